#pragma once
/*
 * stream: lookout-cam's stream port, in the ORIGINAL ESP32 wire format (the relay is tested
 * against what real nodes send):
 *   GET /mjpeg    200, Content-Type multipart/x-mixed-replace;boundary=MJPEG_ESP32_BOUNDARY,
 *                 chunked; each part is mjpeg_write_part_header's bytes and then the JPEG.
 *                 More than max_clients at once: 503 with a one-line reason.
 *   GET /capture  one JPEG (image/jpeg), the next frame produced.
 *   other paths 404, other methods 405; every reply carries Cache-Control: no-store.
 *
 * Frames are produced by stream_tick (the caller's frame timer), only while someone watches or
 * a capture waits. Each frame is copied once out of the camera's borrowed buffer into a
 * reference-counted block (part header + JPEG) that every client's output references, never
 * copies. A client still sending an earlier frame skips the new one (evhttp's chunk-sent
 * callback tells when it is drained), so a slow client costs at most one frame of memory and
 * never slows the others; one that takes nothing for write_timeout_s is closed.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cam.h"

struct event_base;

struct stream_config {
    const char *bind_addr;    /* borrowed for stream_new only */
    uint16_t port;            /* 0: ephemeral */
    unsigned max_clients;     /* concurrent /mjpeg clients, >= 1 */
    unsigned max_captures;    /* /capture requests waiting for the next frame, >= 1 */
    unsigned write_timeout_s; /* close a client that accepts no data for this long */
};

struct stream_stats {
    unsigned long frames;            /* frames produced */
    unsigned clients;                /* current /mjpeg clients */
    unsigned long connections_total; /* /mjpeg clients accepted since start */
    unsigned long frames_skipped;    /* frames a busy client did not get, summed */
    bool has_measured_fps;           /* a full measuring window has passed while producing */
    unsigned long measured_mfps;     /* frames per second x 1000 over the last window */
};

struct evhttp_request;
struct stream;

/*
 * Listen on cfg->bind_addr:cfg->port with evhttp on `base` and log
 * "stream listening on http://ADDR:PORT/". `cam` is copied; the camera it points to is
 * borrowed and must outlive the stream. Returns NULL (after logging why) on failure.
 */
struct stream *stream_new(struct event_base *base, const struct stream_config *cfg,
                          const struct cam *cam);

/* Close every connection and free the stream; NULL is a no-op. Frames still referenced by a
 * connection's output are released when libevent frees that output (at the latest in
 * event_base_free). */
void stream_free(struct stream *s);

/* The port actually bound. */
uint16_t stream_port(const struct stream *s);

/*
 * Requests for paths other than /mjpeg and /capture go to cb(req, arg) instead of a 404 (the
 * node's control routes, which the original firmware serves only on port 81). cb NULL: 404.
 */
void stream_set_other_routes(struct stream *s, void (*cb)(struct evhttp_request *req, void *arg),
                             void *arg);

/* True if a frame produced now would be used: a client is watching or a capture waits. */
bool stream_is_wanted(const struct stream *s);

/*
 * One frame period has passed: if wanted, grab one frame from the camera and hand it to every
 * client that is not busy and to every waiting capture. now_ms is the loop's clock.
 */
void stream_tick(struct stream *s, uint32_t now_ms);

/* Counters for /status and the logs. */
void stream_get_stats(const struct stream *s, struct stream_stats *out);

struct basic_auth;
/* Require the credentials of auth (borrowed; must outlive the port) on every request: 401
 * otherwise (basic_auth.h). NULL: no login. */
void stream_set_auth(struct stream *s, const struct basic_auth *auth);
