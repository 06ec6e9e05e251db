#pragma once
/*
 * relay_link: lookout-cam dials its relay (lookout-cam --relay URL --token-file FILE): one
 * outbound WebSocket (RFC 6455) over TLS or plain TCP, authenticated with the camera's token,
 * carrying frames up and moves down (docs/API.md, "Node link"; node/node_link.h decides what
 * the messages mean). No listening socket is needed, so the node works behind NAT and CGNAT.
 *
 * The URL is the relay's address as a user types it (https://relay.example/, or http:// on a
 * LAN); the link asks for LINK_MSG_PATH under its path. Over https the relay's certificate is
 * verified against the system's CAs or ca_file, and its name (or IP address) is checked. A
 * failure (refused, wrong token, wrong certificate, the link dropped) is logged once per attempt
 * and retried with capped exponential backoff and jitter; a relay that closes the link with
 * 1001 ("going away", RFC 6455 §7.4.1: it is shutting down or restarting) is no failure: the
 * next try comes after the shortest delay. The servos keep their state across
 * reconnects (the node is the caller's). Frames follow the "latest frame" rule: one is sent
 * only when the previous one has left, so a slow uplink loses frames instead of queueing them.
 * libevent bufferevents (bufferevent_openssl for TLS) and libwslay's client context.
 */
#include <stdint.h>

#include "cam.h"

struct event_base;
struct node;
struct node_facts;
struct relay_link;

/* Fills *out with the camera's facts for a status message; arg is the user pointer. */
typedef void (*relay_link_facts_cb)(struct node_facts *out, void *arg);

struct relay_link_config {
    const char *url;         /* http[s]://host[:port][/path/]; copied */
    const char *token;       /* the camera's NODE_TOKEN; copied, never logged */
    const char *token_file;  /* where token came from (copied), re-read before each connection
                                so a rotated token is used without a restart; NULL: none */
    const char *ca_file;     /* PEM CA bundle to trust instead of the system's; NULL: system */
    unsigned backoff_min_ms; /* first retry delay */
    unsigned backoff_max_ms; /* retry delay cap */
};

/*
 * Start dialing. node and cam are borrowed (they must outlive the link); facts_cb(facts_arg)
 * fills status messages. Returns NULL with err (a one-line reason naming the problem: bad URL,
 * unreadable CA file) on failure.
 */
struct relay_link *relay_link_new(struct event_base *base, const struct relay_link_config *cfg,
                                  struct node *node, const struct cam *cam,
                                  relay_link_facts_cb facts_cb, void *facts_arg, char *err,
                                  size_t err_size);

/* Close the link and free. NULL is a no-op. */
void relay_link_free(struct relay_link *rl);

/*
 * One frame period passed (now_ms, the loop's clock): when the relay wants frames and the
 * previous one has left, grab one from the camera and send it; send a status now and then.
 */
void relay_link_tick(struct relay_link *rl, uint32_t now_ms);

/* 1 while the link is up (after the 101). */
int relay_link_is_up(const struct relay_link *rl);

/* Frames sent so far. */
unsigned long relay_link_frames(const struct relay_link *rl);
