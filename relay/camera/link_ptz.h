#pragma once
/*
 * link_ptz: the pan/tilt transport (ptz_transport.h) over a camera node's link (source_link.h,
 * docs/API.md "Node link"): each move the forwarder sends becomes one "move" message with a
 * fresh id, and the node's "moved" answer with that id completes it. The forwarder keeps its
 * one-move-in-flight merging; this file only carries. An answer that does not come within
 * LINK_PTZ_TIMEOUT_S is a 504 (a late one is ignored by its id); a move while the link is down,
 * or in flight when it drops, is a 502 "camera not connected".
 */
struct event_base;
struct link_msg;
struct link_ptz;
struct ptz_transport;
struct source_link;

#define LINK_PTZ_TIMEOUT_S 5

/*
 * Fill *out with a transport over link (borrowed: must outlive the transport's use). The
 * transport (freed by its ptz, ops->free) is also returned, borrowed, so the camera can hand it
 * the node's answers. Returns NULL on allocation failure (*out untouched).
 */
struct link_ptz *link_ptz_new(struct event_base *base, struct source_link *link,
                              struct ptz_transport *out);

/* A "moved" message from the node (borrowed): completes the move in flight if the ids match. */
void link_ptz_answer(struct link_ptz *lp, const struct link_msg *msg);

/* The link went down: the move in flight, if any, fails with 502. */
void link_ptz_down(struct link_ptz *lp);
