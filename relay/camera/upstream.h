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

/*
 * Parse cfg->url and start connecting on `base` (borrowed). Returns NULL and sets *err to a
 * one-line reason (static string) if the URL is unusable, or on allocation failure.
 */
struct upstream *upstream_new(struct event_base *base, const struct upstream_config *cfg,
                              upstream_frame_cb on_frame, void *arg, const char **err);

/*
 * Fill *out with the upstream as a camera's source (source.h): out->impl is u (borrowed), and
 * source_free on *out frees u. The source's operations are how the upstream is used from then
 * on: online? why not? hold (the first hold connects, with an idle timeout), release (the
 * connection closes idle_timeout_ms after the last release; with 0 it stays), fps, counters.
 */
void upstream_as_source(struct upstream *u, struct source *out);
