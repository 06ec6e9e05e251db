#pragma once
/*
 * access_log: one INFO line per HTTP request, and the request counters /metrics shows.
 *
 * The line is written when the answer has been sent (evhttp's request-complete callback):
 *
 *     access: 127.0.0.1 GET /api/status 200 93B 2ms
 *
 * client address, method, path without the query string (a query may carry secrets), status,
 * body bytes ("-" when unknown) and milliseconds from the request's arrival to the last byte
 * written ("-" when more than ACCESS_LOG_SLOTS requests were in flight meanwhile). Nothing
 * from the request's headers is logged: no credentials, no cookies. A stream is logged once,
 * when it starts ("... 200 stream"); the hub logs when a viewer leaves (at DEBUG).
 * A request whose client leaves before the answer is not logged (evhttp drops it silently).
 * Everything runs on the one event loop.
 */
#include <stdint.h>

struct access_log;
struct evhttp_request;

/* Requests whose start time is remembered at once; more in flight lose their duration only. */
#define ACCESS_LOG_SLOTS 1024
/* Longer paths are cut in the log. */
#define ACCESS_LOG_MAX_PATH 200

struct access_log_stats {
    uint64_t responses[6]; /* by status class: [1] 1xx ... [5] 5xx; [0] anything else */
    uint64_t streams;      /* stream requests taken over by the hub (also counted as 2xx) */
    uint64_t unauthorized; /* 401 answers */
};

/* New access log. NULL on allocation failure. */
struct access_log *access_log_new(void);

/* Free. Requests still in flight must be gone (free it after evhttp_free). NULL is a no-op. */
void access_log_free(struct access_log *a);

/* A request arrived (call first, before anything can answer it): remember when, and log it
 * once it completes. req is borrowed. */
void access_log_begin(struct access_log *a, struct evhttp_request *req);

/* What a stream's log line needs, copied from its request. Plain value type (public layout). */
struct access_log_stream {
    char address[64];
    const char *method; /* static string */
    char path[ACCESS_LOG_MAX_PATH + 1];
};

/*
 * Copy what the stream's line needs from req into *out. Call it before handing req to the hub:
 * the hub may free req (and its connection) before it returns.
 */
void access_log_stream_begin(struct access_log_stream *out, struct evhttp_request *req);

/* The hub took the stream (it never "completes" in evhttp's sense): log and count it now. */
void access_log_stream_end(struct access_log *a, const struct access_log_stream *stream);

/* A camera node's link was taken over after its 101 (source_link.h): log "101 node link". */
void access_log_link_end(struct access_log *a, const struct access_log_stream *stream);
/* Called with each request access_log_begin saw, once its answer is sent (evhttp's
 * request-complete callback); req is borrowed for the call. */
typedef void (*access_log_done_fn)(struct evhttp_request *req, void *arg);

/* Call fn(req, arg) for each completed request (after its log line is counted). NULL: none. */
void access_log_set_done_cb(struct access_log *a, access_log_done_fn fn, void *arg);

/* Counters since start (copied into *out). */
void access_log_get_stats(const struct access_log *a, struct access_log_stats *out);
