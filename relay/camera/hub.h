#pragma once
/*
 * hub: fans each camera frame out to every viewer of the stream.
 *
 * A viewer is an HTTP connection taken over from evhttp after GET /mjpeg. The hub writes the
 * multipart response itself, one reference to the shared frame per viewer (no copy), and
 * follows the "latest frame" rule: a viewer whose previous frame is still being sent gets no
 * backlog; when its output drains it is sent the newest frame. A slow viewer loses frames and
 * never slows another; its memory is bounded by the frame in flight plus the newest. A viewer
 * that makes no write progress for stall_timeout_ms is dropped (after redis's output limits).
 * Everything runs on the one event loop.
 */
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct frame;
struct hub;

/* The boundary of the relay's own stream. */
#define HUB_BOUNDARY "lookoutframe"

/* Called whenever the number of viewers changes, with the new count. */
typedef void (*hub_viewers_cb)(unsigned viewers, void *arg);

/* Bytes one write to a viewer may carry: more than a frame, so a frame is one system call. */
#define HUB_MAX_SINGLE_WRITE (1024 * 1024)

/*
 * A viewer is given its next frame only when the kernel holds at most this many of its bytes
 * unsent (SIOCOUTQNSD); while it waits, TCP_NOTSENT_LOWAT on its socket wakes the hub then.
 * Linux otherwise lets a socket queue megabytes: a slow viewer's frames would wait there and
 * its picture would be seconds old (issue 17; docs/PERFORMANCE.md, "constrained viewers").
 */
#define HUB_UNSENT_MAX_BYTES (16 * 1024)

/* Largest ?fps=N a viewer may ask for. */
#define HUB_FPS_MAX 100

struct hub_config {
    unsigned max_viewers;             /* further viewers are refused (-EBUSY) */
    unsigned max_viewers_per_address; /* from one client address (-EUSERS) */
    unsigned stall_timeout_ms;        /* drop a viewer that accepts no bytes for this long */
    int use_sendfile;                 /* plain TCP viewers: send frames with sendfile(2) */
    hub_viewers_cb on_viewers;        /* may be NULL */
    void *on_viewers_arg;
};

struct hub_stats {
    uint64_t frames_in;      /* frames published */
    uint64_t frames_sent;    /* frame sends started, all viewers */
    uint64_t frames_skipped; /* frames a busy viewer did not get */
    uint64_t frames_capped;  /* frames a viewer's ?fps cap left out */
    uint64_t kernel_waits;   /* times a viewer waited for its kernel backlog to go out */
    uint64_t viewers_total;  /* viewers ever accepted */
    uint64_t viewers_dropped_stalled;
};

/* New hub on `base` (borrowed; must outlive the hub). Returns NULL on allocation failure. */
struct hub *hub_new(struct event_base *base, const struct hub_config *cfg);

/* Close every viewer and free the hub. hub_free(NULL) is a no-op. */
void hub_free(struct hub *hub);

/*
 * Take over the connection of `req` (a GET for the stream) as a viewer: the hub writes the
 * response head and then frames; the request must not be replied to by the caller afterwards.
 * The request's query may carry fps=N (1..HUB_FPS_MAX): the viewer is then sent at most N
 * frames a second, each the newest (a lighter stream for a slow link); other keys are ignored.
 * Returns 0; -EINVAL for a bad fps, -EBUSY if max_viewers are connected, -EUSERS if
 * max_viewers_per_address come from this client's address already, or -ENOMEM; then the caller
 * still owns req and must reply: hub_refusal gives the status and the one-line reason.
 * tags (copied; NULL for none; at most HUB_TAGS_MAX - 1 characters) are TAB-separated words
 * saying whose the viewer is ("user:bob\tsess:1a2b"; a user name may hold a space but no
 * control character), for hub_close_tagged.
 */
int hub_add_viewer(struct hub *hub, struct evhttp_request *req, const char *tags);

#define HUB_TAGS_MAX 160

/*
 * Close every viewer one of whose tags is exactly `tag` (an account removed, a guest link
 * revoked, a session ended): their connections are closed now. Not to be called from a
 * viewer's own callback. Returns how many were closed.
 */
unsigned hub_close_tagged(struct hub *hub, const char *tag);

/* Whether a viewer with these tags (borrowed for the call) may stay: 1 keeps it, 0 closes it. */
typedef int (*hub_keep_fn)(const char *tags, void *arg);

/*
 * Close every viewer `keep` says may not stay (a user's camera list shrank on reload): asks
 * keep(tags, arg) once per viewer. Not to be called from a viewer's own callback, and keep must
 * not change the hub. Returns how many were closed.
 */
unsigned hub_close_unless(struct hub *hub, hub_keep_fn keep, void *arg);

/*
 * The HTTP status (400 or 503, into *status) and one-line reason for a hub_add_viewer error rc.
 * Returns a static string.
 */
const char *hub_refusal(int rc, int *status);

/*
 * The fps=N of a URI query string (NULL: none) into *fps, 0 when absent. Strict: decimal digits
 * only, 1..HUB_FPS_MAX. Returns 0, or -EINVAL for a bad value or an unparsable query.
 */
int hub_fps_from_query(const char *query, unsigned *fps);

/*
 * Publish a complete JPEG frame received at received_us (CLOCK_MONOTONIC): the hub seals it
 * (sequence number, part header) and sends it to every viewer that is ready. The frame is
 * borrowed: the hub takes its own references. Returns 0, or -EINVAL for an empty frame.
 */
int hub_publish(struct hub *hub, struct frame *frame, int64_t received_us);

/* The newest published frame (borrowed; take a frame_ref to keep it), or NULL if none yet. */
struct frame *hub_latest(const struct hub *hub);

/* Current number of viewers. */
unsigned hub_viewer_count(const struct hub *hub);

/* Counters since start (copied into *out). */
void hub_get_stats(const struct hub *hub, struct hub_stats *out);
