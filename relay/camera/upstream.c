#include "upstream_internal.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "fps_meter.h"
#include "frame.h"
#include "http_client.h"
#include "hub.h"
#include "mjpeg_parser.h"
#include "source.h"
#include "url.h"
#define LOG_TAG "upstream"
#include "log.h"

#define STANDBY_REASON "standby: nobody is watching"
/* Room past one frame for part headers and the chunk framing around it. */
#define UPSTREAM_SLACK (64 * 1024)

static void watch_frames(struct upstream *u);

static void set_offline(struct upstream *u, const char *reason)
{
    snprintf(u->reason, sizeof(u->reason), "%s", reason);
    u->is_online = 0;
    u->is_streaming = 0;
}

/* Capped exponential backoff with jitter: a random delay in [d/2, d], d = min * 2^failures. */
static void schedule_retry(struct upstream *u)
{
    unsigned delay = u->cfg.backoff_min_ms;
    for (unsigned i = 0; i < u->failures && delay < u->cfg.backoff_max_ms; i++)
        delay *= 2;
    if (delay > u->cfg.backoff_max_ms)
        delay = u->cfg.backoff_max_ms;
    unsigned r = 0;
    evutil_secure_rng_get_bytes(&r, sizeof(r));
    delay = delay / 2 + (delay > 1 ? r % (delay / 2 + 1) : 0);
    u->failures++;
    struct timeval tv = {.tv_sec = delay / 1000, .tv_usec = (delay % 1000) * 1000};
    evtimer_add(u->retry_timer, &tv);
    LOG_DEBUG("reconnecting in %u ms", delay);
}

static void drop_partial(struct upstream *u)
{
    frame_unref(u->partial);
    u->partial = NULL;
}

static void deliver(struct upstream *u)
{
    struct frame *f = u->partial;
    u->partial = NULL;
    size_t len;
    const uint8_t *jpeg = frame_jpeg(f, &len);
    /* A JPEG starts with SOI (FF D8); anything else would show as a broken image. */
    if (len < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) {
        u->stats.frames_dropped++;
        LOG_WARN("camera %s: dropped a %zu-byte part that is not a JPEG", u->name, len);
        frame_unref(f);
        return;
    }
    u->stats.frames++;
    if (!u->is_online)
        LOG_INFO("camera %s: online", u->name);
    u->logged_reason[0] = '\0';
    u->is_online = 1;
    u->failures = 0;
    u->reason[0] = '\0';
    watch_frames(u);
    int64_t now_us = clock_now_us();
    fps_meter_add(&u->fps, now_us);
    u->on_frame(f, now_us, u->arg);
    frame_unref(f);
}

static void on_parse_error(struct upstream *u, enum mjpeg_result r)
{
    drop_partial(u);
    u->stats.frames_dropped++;
    /* One line for the first error and then every 100th: a broken camera must not flood. */
    if (u->stats.frames_dropped % 100 == 1)
        LOG_WARN("camera %s: %s (%llu dropped so far)", u->name,
                 r == MJPEG_ERR_TOO_BIG ? "frame larger than the limit dropped"
                                        : "malformed part headers, part dropped",
                 (unsigned long long)u->stats.frames_dropped);
}

/*
 * Give up on this connection (from outside its callbacks: drop_event) and reconnect with
 * backoff, saying why: the stream ended, a chunk too big to be a frame, no frame in time.
 */
static void on_drop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct upstream *u = arg;
    if (u->conn == NULL)
        return;
    evhttp_connection_free(u->conn); /* cancels the request without calling back */
    u->conn = NULL;
    u->req = NULL;
    evtimer_del(u->frame_timer);
    drop_partial(u);
    set_offline(u, u->drop_reason);
    u->has_reason = 1;
    if (strcmp(u->logged_reason, u->reason) != 0) {
        LOG_WARN("camera %s: %s offline: %s; retrying with backoff", u->name, u->url.display,
                 u->reason);
        snprintf(u->logged_reason, sizeof(u->logged_reason), "%s", u->reason);
    }
    schedule_retry(u);
}

static void drop_soon(struct upstream *u, const char *reason)
{
    if (event_pending(u->drop_event, EV_TIMEOUT, NULL) || u->conn == NULL)
        return;
    snprintf(u->drop_reason, sizeof(u->drop_reason), "%s", reason);
    event_active(u->drop_event, EV_TIMEOUT, 0);
}

/* No whole frame for stall_timeout_ms, though bytes may still trickle in. */
static void on_frame_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct upstream *u = arg;
    u->stalls++;
    drop_soon(u, u->is_online ? "camera stopped sending frames (stall timeout)"
                              : "camera sent no frame in time (stall timeout)");
}

static void watch_frames(struct upstream *u)
{
    struct timeval tv = {.tv_sec = u->cfg.stall_timeout_ms / 1000,
                         .tv_usec = (u->cfg.stall_timeout_ms % 1000) * 1000};
    evtimer_add(u->frame_timer, &tv);
}

/*
 * libevent reads a whole declared chunk into the connection's buffer before handing it on: the
 * read watermark (upstream_read_max) stops that at one frame's size, and a buffer that full with
 * nothing handed on is a chunk no frame fits in.
 */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
    struct upstream *u = arg;
    if (info->n_added > 0 && evbuffer_get_length(in) >= u->cfg.max_frame_bytes + UPSTREAM_SLACK) {
        u->stats.frames_dropped++;
        drop_soon(u, "camera sent a chunk larger than MAX_FRAME_BYTES");
    }
}

/* Feed one contiguous slice of the body to the parser and act on every event. */
static void feed(struct upstream *u, const uint8_t *data, size_t len)
{
    for (;;) {
        size_t used = 0;
        struct mjpeg_span span;
        enum mjpeg_result r = mjpeg_parser_feed(&u->parser, data, len, &used, &span);
        data += used;
        len -= used;
        switch (r) {
        case MJPEG_NEED_MORE:
            return;
        case MJPEG_PART_BEGIN: {
            long cl = u->parser.content_length;
            drop_partial(u);
            u->partial = frame_new(cl > 0 ? (size_t)cl : 64 * 1024, u->cfg.max_frame_bytes);
            if (u->partial != NULL)
                frame_pass_fields(u->partial, u->parser.x_fields);
            break;
        }
        case MJPEG_DATA:
            if (u->partial != NULL && frame_append(u->partial, span.data, span.len) < 0)
                drop_partial(u);
            break;
        case MJPEG_PART_END:
            if (u->partial != NULL)
                deliver(u);
            break;
        case MJPEG_ERR_TOO_BIG:
        case MJPEG_ERR_HEADERS:
            on_parse_error(u, r);
            break;
        case MJPEG_END:
            /* Whatever follows the close delimiter is not frames: start again. */
            drop_soon(u, "camera ended the stream");
            return;
        }
    }
}

static void on_body(struct evhttp_request *req, void *arg)
{
    struct upstream *u = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len;
    while ((len = evbuffer_get_length(in)) > 0) {
        struct evbuffer_iovec vec;
        if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1)
            break;
        u->stats.bytes += vec.iov_len;
        feed(u, vec.iov_base, vec.iov_len);
        evbuffer_drain(in, vec.iov_len);
    }
}

static int on_headers(struct evhttp_request *req, void *arg)
{
    struct upstream *u = arg;
    int code = evhttp_request_get_response_code(req);
    if (code != 200) {
        char reason[128];
        if (code == 401 || code == 403)
            snprintf(reason, sizeof(reason),
                     "the camera refused the relay's credentials (HTTP %d): check the "
                     "user:password in CAM_URL",
                     code);
        else
            snprintf(reason, sizeof(reason), "camera answered HTTP %d %s", code,
                     evhttp_request_get_response_code_line(req));
        set_offline(u, reason);
        u->has_reason = 1;
        return -1;
    }
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    char boundary[MJPEG_BOUNDARY_MAX + 1];
    if (ct == NULL || mjpeg_boundary_from_content_type(ct, boundary, sizeof(boundary)) < 0 ||
        mjpeg_parser_init(&u->parser, boundary, u->cfg.max_frame_bytes) < 0) {
        char reason[160];
        snprintf(reason, sizeof(reason), "camera sent no MJPEG stream (Content-Type: %.80s)",
                 ct ? ct : "none");
        set_offline(u, reason);
        u->has_reason = 1;
        return -1;
    }
    u->is_streaming = 1;
    LOG_INFO("camera %s: connected to %s, boundary \"%s\"", u->name, u->url.display, boundary);
    return 0;
}

static void on_error(enum evhttp_request_error error, void *arg)
{
    struct upstream *u = arg;
    u->req = NULL; /* freed by libevent after the callbacks */
    if (u->has_reason)
        return; /* on_headers already said why */
    u->has_reason = 1;
    if (error == EVREQ_HTTP_TIMEOUT)
        set_offline(u, u->is_streaming ? "camera stopped sending (stall timeout)"
                                       : "camera did not answer (timeout)");
    else if (u->is_streaming)
        set_offline(u, error == EVREQ_HTTP_EOF ? "camera closed the stream"
                                               : "connection to camera failed");
    else
        set_offline(u, "cannot connect to camera");
}

static void on_done(struct evhttp_request *req, void *arg)
{
    struct upstream *u = arg;
    u->req = NULL;
    evtimer_del(u->frame_timer);
    /* A refused connection reaches here without on_error (libevent 2.1), response code 0. */
    char tls_why[160];
    if (!u->is_streaming && http_client_explain(u->client, u->conn, tls_why, sizeof(tls_why))) {
        char reason[150];
        snprintf(reason, sizeof(reason), "cannot connect: %.130s", tls_why);
        set_offline(u, reason); /* over the generic reason: the TLS one says what to fix */
    } else if (!u->has_reason) {
        set_offline(u, u->is_streaming ? "camera closed the stream" : "cannot connect to camera");
    }
    (void)req;
    drop_partial(u);
    /* Say it once per cause, not on every retry of an unreachable camera. */
    if (strcmp(u->logged_reason, u->reason) != 0) {
        LOG_WARN("camera %s: %s offline: %s; retrying with backoff", u->name, u->url.display,
                 u->reason);
        snprintf(u->logged_reason, sizeof(u->logged_reason), "%s", u->reason);
    }
    schedule_retry(u);
}

/* Nobody watched for idle_timeout_ms: let the camera rest, as the original relay did. */
static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct upstream *u = arg;
    if (u->conn != NULL)
        evhttp_connection_free(u->conn); /* cancels the request without calling back */
    u->conn = NULL;
    u->req = NULL;
    evtimer_del(u->retry_timer);
    evtimer_del(u->frame_timer);
    drop_partial(u);
    u->is_standby = 1;
    u->failures = 0;
    set_offline(u, STANDBY_REASON);
    u->logged_reason[0] = '\0';
    LOG_INFO("camera %s: nobody watching for %u ms: disconnected from the camera", u->name,
             u->cfg.idle_timeout_ms);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    upstream_connect_now(arg);
}

void upstream_connect_now(struct upstream *u)
{
    /* The previous attempt's connection is freed here, outside its own callbacks. */
    if (u->conn != NULL)
        evhttp_connection_free(u->conn);
    u->conn = NULL;
    u->is_streaming = 0;
    u->is_online = 0;
    u->has_reason = 0;
    u->stats.connects++;
    u->conn = http_client_connect(u->client, u->base, u->cfg.dns);
    /* Priority 0 of the loop's two (main.c): frames come in before viewers are served. The
     * camera's connection holds at most one frame's worth unread (on_input). */
    if (u->conn != NULL) {
        struct bufferevent *bev = evhttp_connection_get_bufferevent(u->conn);
        bufferevent_priority_set(bev, 0);
        bufferevent_setwatermark(bev, EV_READ, 0, u->cfg.max_frame_bytes + UPSTREAM_SLACK);
        evbuffer_add_cb(bufferevent_get_input(bev), on_input, u);
    }
    struct evhttp_request *req = evhttp_request_new(on_done, u);
    if (u->conn == NULL || req == NULL) {
        if (req != NULL)
            evhttp_request_free(req);
        set_offline(u, "out of memory");
        schedule_retry(u);
        return;
    }
    struct timeval stall = {.tv_sec = u->cfg.stall_timeout_ms / 1000,
                            .tv_usec = (u->cfg.stall_timeout_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(u->conn, &stall);
    evhttp_connection_set_max_headers_size(u->conn, 16 * 1024);
    evhttp_request_set_header_cb(req, on_headers);
    evhttp_request_set_chunked_cb(req, on_body);
    evhttp_request_set_error_cb(req, on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", u->url.host_header);
    evhttp_add_header(h, "User-Agent", "lookout");
    if (u->url.authorization[0] != '\0')
        evhttp_add_header(h, "Authorization", u->url.authorization);
    u->reason[0] = '\0';
    if (evhttp_make_request(u->conn, req, EVHTTP_REQ_GET, u->url.path_query) < 0) {
        set_offline(u, "cannot connect to camera");
        schedule_retry(u);
        return;
    }
    u->req = req;
    snprintf(u->reason, sizeof(u->reason), "connecting");
    watch_frames(u); /* the connection must bring a frame, not just bytes, in time */
}

struct upstream *upstream_new(struct event_base *base, const struct upstream_config *cfg,
                              upstream_frame_cb on_frame, void *arg, const char **err)
{
    struct upstream *u = calloc(1, sizeof(*u));
    if (u == NULL) {
        *err = "out of memory";
        return NULL;
    }
    u->base = base;
    u->cfg = *cfg;
    snprintf(u->name, sizeof(u->name), "%s", cfg->name != NULL ? cfg->name : "");
    u->cfg.name = u->name;
    u->on_frame = on_frame;
    u->arg = arg;
    if (url_parse(cfg->url, &u->url, err) < 0) {
        free(u);
        return NULL;
    }
    u->cfg.url = NULL; /* not kept: the parsed copy is */
    char cerr[300];
    u->client = http_client_new(&u->url, cfg->ca_file, cerr, sizeof(cerr));
    u->cfg.ca_file = NULL;
    if (u->client == NULL) {
        *err = "cannot load the CA certificates for https:// (CAM_CA_FILE)";
        free(u);
        return NULL;
    }
    u->retry_timer = evtimer_new(base, on_retry, u);
    u->idle_timer = evtimer_new(base, on_idle, u);
    u->frame_timer = evtimer_new(base, on_frame_timeout, u);
    u->drop_event = event_new(base, -1, 0, on_drop, u);
    if (u->retry_timer == NULL || u->idle_timer == NULL || u->frame_timer == NULL ||
        u->drop_event == NULL) {
        *err = "out of memory";
        upstream_free(u);
        return NULL;
    }
    if (cfg->idle_timeout_ms == 0) {
        upstream_connect_now(u);
    } else {
        u->is_standby = 1;
        set_offline(u, STANDBY_REASON);
    }
    return u;
}

void upstream_free(void *impl)
{
    struct upstream *u = impl;
    if (u == NULL)
        return;
    if (u->conn != NULL)
        evhttp_connection_free(u->conn); /* cancels the request without calling back */
    if (u->retry_timer != NULL)
        event_free(u->retry_timer);
    if (u->idle_timer != NULL)
        event_free(u->idle_timer);
    if (u->frame_timer != NULL)
        event_free(u->frame_timer);
    if (u->drop_event != NULL)
        event_free(u->drop_event);
    http_client_free(u->client);
    drop_partial(u);
    free(u);
}
