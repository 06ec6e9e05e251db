#pragma once
/*
 * source_link: a camera whose node dials in (docs/API.md, "Node link"). The node opens a
 * WebSocket (RFC 6455) to the relay; after the 101 the link drives the connection taken over
 * from evhttp (as the hub does for viewers) and libwslay does the framing:
 *
 *   node -> relay  binary message: one JPEG (at most max_frame_bytes) -> the frame callback
 *                  text message: {"type":"status",...} or {"type":"moved","id":N,...}
 *   relay -> node  text message: {"type":"stream","on":BOOL}, {"type":"move","id":N,...}
 *
 * It answers the questions a camera asks its source (online? why not? hold, release, fps,
 * counters), as upstream does for a pulled camera, so nothing downstream knows which way the
 * camera connected. One live link at a time: a new one (already authenticated by the caller)
 * replaces the old, whose TCP connection may linger half-open after the node rebooted.
 * Everything is bounded: a message (max_frame_bytes for a JPEG, LINK_MSG_MAX_BYTES for text),
 * the relay's queued messages (SOURCE_LINK_MAX_QUEUED), the silence tolerated (stall timeout).
 * A node that breaks the protocol is closed with a WebSocket close frame and one log line
 * saying why. Everything runs on the one event loop.
 */
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct frame;
struct link_msg;
struct source_link;

/* Close codes (RFC 6455 §7.4.1): the relay is shutting down; the node's token is no longer the
 * camera's (NODE_TOKEN_FILE rotated). */
#define SOURCE_LINK_CLOSE_GOING_AWAY 1001
#define SOURCE_LINK_CLOSE_POLICY 1008

/* Messages the relay may have queued to a node at once; more are refused (-ENOBUFS). */
#define SOURCE_LINK_MAX_QUEUED 80
/* The node sends a status at least this often; the link tolerates 3 missed while idle. */
#define SOURCE_LINK_STATUS_INTERVAL_MS 10000

struct source_link_config {
    const char *name;          /* for the logs ("camera"); copied */
    size_t max_frame_bytes;    /* a larger binary message closes the link */
    unsigned stall_timeout_ms; /* streaming and nothing received for this long: close */
    unsigned idle_timeout_ms;  /* nobody watching for this long: tell the node to stop sending
                                  (UPSTREAM_IDLE_TIMEOUT_MS); 0: always stream */
};

/* What the link tells its camera. Every callback is optional (NULL). */
struct source_link_callbacks {
    /* A complete JPEG (borrowed: take a frame_ref to keep it), received at received_us. */
    void (*on_frame)(struct frame *frame, int64_t received_us, void *arg);
    /* A node message other than a frame: "moved" and "status" (borrowed, parsed). */
    void (*on_message)(const struct link_msg *msg, void *arg);
    /* The link came up (is_up 1) or went down (0, reason as the source's offline reason). */
    void (*on_state)(int is_up, void *arg);
    void *arg;
};

/* New link waiting for its node. base is borrowed. Returns NULL on allocation failure. */
struct source_link *source_link_new(struct event_base *base, const struct source_link_config *cfg,
                                    const struct source_link_callbacks *cb);

/*
 * Take over req's connection as this camera's link: the caller has checked the handshake
 * (ws_upgrade_check gave `accept`) and authenticated the node. Writes the 101, replaces the
 * current link if any, and tells the node whether to stream. req must not be answered by the
 * caller afterwards. Returns 0, or -ENOMEM (then the caller still owns req and answers 503).
 */
int source_link_accept(struct source_link *l, struct evhttp_request *req, const char *accept);

/*
 * Queue a text message (copied) to the node. Returns 0, -ENOTCONN without a live link, -ENOBUFS
 * when SOURCE_LINK_MAX_QUEUED wait already, -EMSGSIZE over LINK_MSG_MAX_BYTES, -ENOMEM.
 */
int source_link_send_text(struct source_link *l, const char *text, size_t len);

/*
 * Close the live link, if any, with a WebSocket close frame (RFC 6455 §7.1.2) carrying `code`
 * and `why` (copied; at most 123 bytes are sent), and free it once the frame is written or
 * after a short grace. The camera goes offline; the link waits for the node to dial in again.
 * Returns how many connections are still closing (their close frame not yet written), 0 when
 * nothing is left to wait for.
 */
unsigned source_link_close_live(struct source_link *l, uint16_t code, const char *why);

/* 1 while a node is connected (frames may not be flowing yet). */
int source_link_is_up(const struct source_link *l);

struct source;
/*
 * Fill *out with the link as a camera's source (source.h): out->impl is l, source_free frees l
 * (and closes the link and any link still closing). Online: a frame arrived since the node was
 * asked for frames; standby: the node was told to stop, nobody watches (hold asks it again).
 */
void source_link_as_source(struct source_link *l, struct source *out);
