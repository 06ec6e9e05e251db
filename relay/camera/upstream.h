#pragma once
/*
 * upstream: the relay's one connection to the camera's MJPEG stream (CAM_URL).
 *
 * An evhttp client request whose body is fed, as it arrives and chunked or not (libevent
 * decodes the transfer encoding), to core/mjpeg_parser. Each complete JPEG becomes a frame
 * handed to the frame callback. When the stream fails, ends or stalls it reconnects with
 * capped exponential backoff and jitter; the reason it is offline is kept for /api/status.
 */
#include <stddef.h>
#include <stdint.h>

struct evdns_base;
struct event_base;
struct frame;
struct source;
struct upstream;

/* Called with each complete JPEG frame (borrowed: take a frame_ref to keep it) and the
 * CLOCK_MONOTONIC time its last byte arrived, in µs. */
typedef void (*upstream_frame_cb)(struct frame *frame, int64_t received_us, void *arg);

struct upstream_config {
    const char *name;          /* the camera's, in log lines; copied */
    const char *url;           /* http[s]://[user:pass@]host[:port]/path; copied */
    const char *ca_file;       /* https: PEM CAs to trust (CAM_CA_FILE); NULL: the system's */
    size_t max_frame_bytes;    /* larger frames are dropped and counted */
    unsigned stall_timeout_ms; /* no whole frame (bytes do not count) for this long: reconnect */
    unsigned backoff_min_ms;   /* first reconnect delay */
    unsigned backoff_max_ms;   /* reconnect delay cap */
    unsigned idle_timeout_ms;  /* with nobody watching, disconnect after this; 0 = stay connected */
    struct evdns_base *dns;    /* resolves a host name without blocking the loop; borrowed, or
                                  NULL (libevent then resolves with a blocking getaddrinfo) */
};

struct upstream_stats {
    uint64_t connects;       /* connection attempts */
    uint64_t frames;         /* frames delivered */
    uint64_t frames_dropped; /* oversized, malformed or not JPEG */
    uint64_t bytes;          /* body bytes received */
    uint64_t stalls;         /* connections dropped for bringing no frame in time */
};

/*
 * Parse cfg->url and start connecting on `base` (borrowed). Returns NULL and sets *err to a
 * one-line reason (static string) if the URL is unusable, or on allocation failure.
 */
struct upstream *upstream_new(struct event_base *base, const struct upstream_config *cfg,
                              upstream_frame_cb on_frame, void *arg, const char **err);

/* Close the connection and free. upstream_free(NULL) is a no-op. */
void upstream_free(struct upstream *u);

/* 1 while the camera's stream is flowing (a frame arrived since the last connect), else 0. */
int upstream_is_online(const struct upstream *u);

/* Why the camera is offline (a short phrase), or "" while online. Borrowed, valid until the
 * next loop iteration. */
const char *upstream_offline_reason(const struct upstream *u);

void upstream_get_stats(const struct upstream *u, struct upstream_stats *out);

/*
 * Someone needs frames (a viewer, a waiting snapshot): hold the connection open; release it
 * when done. With idle_timeout_ms set, the first hold connects and the connection closes
 * idle_timeout_ms after the last release; with 0 the upstream stays connected regardless.
 */
void upstream_hold(struct upstream *u);
void upstream_release(struct upstream *u);

/* Connection attempts so far: changes with every new connection to the camera. */
uint64_t upstream_connects(const struct upstream *u);

/* 1 while deliberately disconnected for lack of viewers. */
int upstream_is_standby(const struct upstream *u);

/*
 * 1 during the first connection attempt after start-up or a wake-up from standby: no frame yet,
 * and no failure either, so the camera is presumably fine, only not streaming yet. Callers wait
 * for a frame then, rather than report the camera offline.
 */
int upstream_is_connecting(const struct upstream *u);

/* Frames per second from the camera over the last 3 s before now_us (CLOCK_MONOTONIC µs). */
double upstream_fps(const struct upstream *u, int64_t now_us);

/*
 * Fill *out with the upstream as a camera's source (source.h): out->impl is u (borrowed), and
 * source_free on *out frees u.
 */
void upstream_as_source(struct upstream *u, struct source *out);
