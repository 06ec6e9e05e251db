#include "stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "basic_auth.h"
#include "connlimit.h"
#include "http_glue.h"
#include "mjpeg_writer.h"

#define LOG_TAG "stream"
#include "log.h"

#define CT_TEXT "text/plain; charset=utf-8"
/* Part headers: 128 bytes plus the boundary and the extra (angle) fields suffice
 * (mjpeg_writer.h). */
#define PART_HEADER_MAX (128 + MJPEG_BOUNDARY_MAX + 64)
/* Request bodies are not used on this port; headers are small. */
/* A stream client has nothing to say; anything it sends beyond this is not read, bounding the
 * input buffer (close is still noticed when the next write fails). */
#define CLIENT_READ_MAX 4096
#define FPS_WINDOW_MS 2000u

/* One produced frame: the part header followed by the JPEG, shared by every client. */
struct shared_frame {
    unsigned refs;
    size_t len;         /* header + JPEG */
    size_t jpeg_offset; /* where the JPEG starts */
    uint8_t bytes[];
};

/* A slot is free when req is NULL. Slots are fixed at creation: closecb arguments never
 * dangle, and the client limit is the array's size. */
struct client_slot {
    struct stream *s;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    bool is_busy; /* our last frame is not yet fully handed to the kernel */
    unsigned long sent, skipped;
};

struct capture_slot {
    struct stream *s;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
};

struct stream {
    struct evhttp *http;
    const struct basic_auth *auth;                           /* --auth-file, or NULL */
    struct connlimit *guard;                                 /* freed after http */
    void (*other_cb)(struct evhttp_request *req, void *arg); /* other paths, or NULL: 404 */
    void *other_arg;
    struct cam cam;
    uint16_t port;
    unsigned write_timeout_s;
    char content_type[MJPEG_BOUNDARY_MAX + 64];
    struct client_slot *clients;
    unsigned max_clients, n_clients;
    struct capture_slot *captures;
    unsigned max_captures, n_captures;
    struct evbuffer *scratch; /* staging for each send; always empty between calls */
    unsigned long frames, connections_total, frames_skipped;
    uint32_t window_start_ms;
    unsigned long window_frames;
    bool has_window, has_measured_fps;
    unsigned long measured_mfps;
};

static void frame_release(struct shared_frame *f)
{
    if (--f->refs == 0)
        free(f);
}

/* evbuffer_add_reference cleanup: the connection's output no longer needs the bytes. */
static void on_frame_bytes_done(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    frame_release(arg);
}

/* Reference bytes[offset..len) of f from s->scratch. Returns 0 or -ENOMEM. */
static int stage_frame(struct stream *s, struct shared_frame *f, size_t offset)
{
    f->refs++;
    if (evbuffer_add_reference(s->scratch, f->bytes + offset, f->len - offset, on_frame_bytes_done,
                               f) != 0) {
        f->refs--;
        return -ENOMEM;
    }
    return 0;
}

static void send_text(struct evhttp_request *req, int status, const char *text)
{
    http_glue_send(req, status, CT_TEXT, text, strlen(text));
}

/* The connection is going away. If libevent already detached the request (a network error
 * while we were streaming), the request is ours to free; otherwise libevent frees it. */
static void forget_request(struct evhttp_request *req)
{
    if (evhttp_request_get_connection(req) == NULL)
        evhttp_send_reply_end(req);
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
    struct client_slot *c = arg;
    if (c->req == NULL || c->evcon != evcon)
        return;
    LOG_INFO("stream client left: %lu frames sent, %lu skipped (%u/%u clients)", c->sent,
             c->skipped, c->s->n_clients - 1, c->s->max_clients);
    forget_request(c->req);
    c->req = NULL;
    c->evcon = NULL;
    c->s->n_clients--;
}

/* evhttp calls this when the connection's output has drained into the kernel. */
static void on_client_drained(struct evhttp_connection *evcon, void *arg)
{
    struct client_slot *c = arg;
    if (c->evcon == evcon)
        c->is_busy = false;
}

static void on_capture_close(struct evhttp_connection *evcon, void *arg)
{
    struct capture_slot *cap = arg;
    if (cap->req == NULL || cap->evcon != evcon)
        return;
    forget_request(cap->req);
    cap->req = NULL;
    cap->evcon = NULL;
    cap->s->n_captures--;
}

static void start_stream(struct stream *s, struct evhttp_request *req)
{
    struct client_slot *c = NULL;
    for (unsigned i = 0; i < s->max_clients && c == NULL; i++) {
        if (s->clients[i].req == NULL)
            c = &s->clients[i];
    }
    if (c == NULL) {
        char text[96];
        snprintf(text, sizeof(text), "too many stream clients (max %u), try again later\n",
                 s->max_clients);
        LOG_INFO("stream client refused: %u/%u clients", s->n_clients, s->max_clients);
        send_text(req, 503, text);
        return;
    }
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evhttp_add_header(headers, "Content-Type", s->content_type) != 0 ||
        evhttp_add_header(headers, "Cache-Control", "no-store") != 0) {
        send_text(req, 500, "out of memory\n");
        return;
    }
    *c = (struct client_slot){.s = s, .req = req, .evcon = evcon};
    s->n_clients++;
    s->connections_total++;
    evhttp_connection_set_closecb(evcon, on_client_close, c);
    evhttp_send_reply_start(req, 200, "OK");

    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    struct timeval write_tv = {.tv_sec = s->write_timeout_s};
    bufferevent_set_timeouts(bev, NULL, &write_tv);
    bufferevent_setwatermark(bev, EV_READ, 0, CLIENT_READ_MAX);

    char *peer = NULL;
    uint16_t peer_port = 0;
    evhttp_connection_get_peer(evcon, &peer, &peer_port);
    LOG_INFO("stream client %s:%u joined (%u/%u clients)", peer ? peer : "?", (unsigned)peer_port,
             s->n_clients, s->max_clients);
}

static void queue_capture(struct stream *s, struct evhttp_request *req)
{
    struct capture_slot *cap = NULL;
    for (unsigned i = 0; i < s->max_captures && cap == NULL; i++) {
        if (s->captures[i].req == NULL)
            cap = &s->captures[i];
    }
    if (cap == NULL) {
        send_text(req, 503, "too many captures waiting, try again later\n");
        return;
    }
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    *cap = (struct capture_slot){.s = s, .req = req, .evcon = evcon};
    s->n_captures++;
    evhttp_connection_set_closecb(evcon, on_capture_close, cap);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct stream *s = arg;
    if (!basic_auth_admit(s->auth, req))
        return;
    connlimit_release(s->guard, req); /* arrived whole in time: ours from here on */
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    int is_ours = path != NULL && (strcmp(path, "/mjpeg") == 0 || strcmp(path, "/capture") == 0);
    if (!is_ours && s->other_cb != NULL) {
        s->other_cb(req, s->other_arg);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
        send_text(req, 405, "method not allowed: use GET\n");
        return;
    }
    if (path != NULL && strcmp(path, "/mjpeg") == 0)
        start_stream(s, req);
    else if (path != NULL && strcmp(path, "/capture") == 0)
        queue_capture(s, req);
    else
        send_text(req, 404, "no such route (try /mjpeg or /capture)\n");
}

static void send_to_client(struct stream *s, struct client_slot *c, struct shared_frame *f)
{
    if (c->is_busy) {
        c->skipped++;
        s->frames_skipped++;
        return;
    }
    if (stage_frame(s, f, 0) != 0)
        return;
    c->is_busy = true;
    evhttp_send_reply_chunk_with_cb(c->req, s->scratch, on_client_drained, c);
    /* If evhttp did not take the bytes (connection already gone), drop our reference now. */
    evbuffer_drain(s->scratch, evbuffer_get_length(s->scratch));
    c->sent++;
}

static void send_capture(struct stream *s, struct capture_slot *cap, struct shared_frame *f)
{
    struct evhttp_request *req = cap->req;
    /* The connection may carry more requests after this one: detach our slot first. */
    evhttp_connection_set_closecb(cap->evcon, NULL, NULL);
    cap->req = NULL;
    cap->evcon = NULL;
    s->n_captures--;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (stage_frame(s, f, f->jpeg_offset) != 0 ||
        evhttp_add_header(headers, "Content-Type", "image/jpeg") != 0 ||
        evhttp_add_header(headers, "Cache-Control", "no-store") != 0) {
        evbuffer_drain(s->scratch, evbuffer_get_length(s->scratch));
        send_text(req, 500, "out of memory\n");
        return;
    }
    evhttp_send_reply(req, 200, "OK", s->scratch);
    evbuffer_drain(s->scratch, evbuffer_get_length(s->scratch));
}

/* "lookout-cam t=<CLOCK_MONOTONIC µs> seq=<n> pan=<mdeg> tilt=<mdeg>": see make_frame. */
#define STAMP_MAX 96

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * A JPEG comment segment (COM, FF FE, ITU T.81 B.2.4.5) that stamps the frame at its source:
 * when it left the camera and where the camera pointed. Decoders skip it, and servers that
 * re-serve the JPEG unchanged (the relay, VLC's mpjpeg muxer) keep it, so make bench can measure
 * how old a frame is at a viewer of any of them. Returns its length.
 */
static size_t write_stamp(uint8_t *out, const struct cam_frame *cf)
{
    char text[STAMP_MAX];
    int n = snprintf(text, sizeof(text), "lookout-cam t=%llu seq=%lu pan=%d tilt=%d",
                     (unsigned long long)mono_us(), cf->seq, cf->pan_mdeg, cf->tilt_mdeg);
    if (n < 0 || (size_t)n >= sizeof(text))
        n = 0;
    size_t seg_len = (size_t)n + 2; /* the length field counts itself */
    out[0] = 0xFF;
    out[1] = 0xFE;
    out[2] = (uint8_t)(seg_len >> 8);
    out[3] = (uint8_t)(seg_len & 0xFF);
    memcpy(out + 4, text, (size_t)n);
    return 4 + (size_t)n;
}

/* Copy the borrowed camera frame once, behind its part header (with the angle it was taken at)
 * and with a source stamp after its SOI marker. NULL on failure. */
static struct shared_frame *make_frame(const struct cam_frame *cf)
{
    uint8_t stamp[4 + STAMP_MAX];
    int is_jpeg = cf->len >= 2 && cf->data[0] == 0xFF && cf->data[1] == 0xD8;
    size_t stamp_len = is_jpeg ? write_stamp(stamp, cf) : 0;
    size_t jpeg_len = cf->len + stamp_len;
    struct shared_frame *f = malloc(sizeof(*f) + PART_HEADER_MAX + 1 + jpeg_len);
    if (f == NULL)
        return NULL;
    char angles[64] = "";
    if (cf->has_angles &&
        mjpeg_write_angle_fields(angles, sizeof(angles), cf->pan_mdeg, cf->tilt_mdeg) < 0)
        angles[0] = '\0';
    int n = mjpeg_write_part_header((char *)f->bytes, PART_HEADER_MAX + 1, MJPEG_ESP32_BOUNDARY,
                                    jpeg_len, angles);
    if (n < 0) {
        free(f);
        return NULL;
    }
    uint8_t *jpeg = f->bytes + n;
    if (stamp_len > 0) {
        jpeg[0] = 0xFF;
        jpeg[1] = 0xD8;
        memcpy(jpeg + 2, stamp, stamp_len);
        memcpy(jpeg + 2 + stamp_len, cf->data + 2, cf->len - 2);
    } else {
        memcpy(jpeg, cf->data, cf->len);
    }
    f->refs = 1;
    f->jpeg_offset = (size_t)n;
    f->len = (size_t)n + jpeg_len;
    return f;
}

static void measure_fps(struct stream *s, uint32_t now_ms, bool is_producing)
{
    if (!is_producing) {
        s->has_window = false;
        s->has_measured_fps = false;
        return;
    }
    if (!s->has_window) {
        s->has_window = true;
        s->window_start_ms = now_ms;
        s->window_frames = 0;
        return;
    }
    s->window_frames++;
    uint32_t elapsed = now_ms - s->window_start_ms;
    if (elapsed >= FPS_WINDOW_MS) {
        s->measured_mfps =
            (unsigned long)((unsigned long long)s->window_frames * 1000000u / elapsed);
        s->has_measured_fps = true;
        s->window_start_ms = now_ms;
        s->window_frames = 0;
    }
}

void stream_tick(struct stream *s, uint32_t now_ms)
{
    bool is_wanted = stream_is_wanted(s);
    measure_fps(s, now_ms, is_wanted);
    if (!is_wanted)
        return;
    struct cam_frame cf;
    int rc = cam_get(&s->cam, now_ms, &cf);
    if (rc < 0) {
        LOG_WARN("camera: no frame: %s", strerror(-rc));
        return;
    }
    struct shared_frame *f = make_frame(&cf);
    cam_put(&s->cam, &cf);
    if (f == NULL) {
        LOG_WARN("out of memory for a frame");
        return;
    }
    s->frames++;
    for (unsigned i = 0; i < s->max_clients; i++) {
        if (s->clients[i].req != NULL)
            send_to_client(s, &s->clients[i], f);
    }
    for (unsigned i = 0; i < s->max_captures; i++) {
        if (s->captures[i].req != NULL)
            send_capture(s, &s->captures[i], f);
    }
    frame_release(f);
}

struct stream *stream_new(struct event_base *base, const struct stream_config *cfg,
                          const struct cam *cam)
{
    if (cfg->max_clients == 0 || cfg->max_captures == 0)
        return NULL;
    struct stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->cam = *cam;
    s->write_timeout_s = cfg->write_timeout_s;
    s->max_clients = cfg->max_clients;
    s->max_captures = cfg->max_captures;
    s->clients = calloc(cfg->max_clients, sizeof(*s->clients));
    s->captures = calloc(cfg->max_captures, sizeof(*s->captures));
    s->scratch = evbuffer_new();
    s->http = evhttp_new(base);
    if (s->clients == NULL || s->captures == NULL || s->scratch == NULL || s->http == NULL ||
        mjpeg_write_content_type(s->content_type, sizeof(s->content_type), MJPEG_ESP32_BOUNDARY) <
            0) {
        LOG_ERROR("out of memory");
        stream_free(s);
        return NULL;
    }
    s->guard = http_glue_configure(base, s->http);
    if (s->guard == NULL) {
        LOG_ERROR("out of memory");
        stream_free(s);
        return NULL;
    }
    evhttp_set_gencb(s->http, on_request, s);
    int rc = http_glue_bind(s->http, cfg->bind_addr, cfg->port, &s->port);
    if (rc < 0) {
        LOG_ERROR("cannot listen on %s port %u: %s", cfg->bind_addr, (unsigned)cfg->port,
                  strerror(-rc));
        stream_free(s);
        return NULL;
    }
    char url[HTTP_GLUE_URL_MAX];
    http_glue_url(url, sizeof(url), cfg->bind_addr, s->port);
    LOG_INFO("stream listening on %s", url);
    return s;
}

void stream_free(struct stream *s)
{
    if (s == NULL)
        return;
    /* Frees every connection; each closecb clears its slot. */
    if (s->http != NULL)
        evhttp_free(s->http);
    connlimit_free(s->guard); /* after evhttp_free: closing connections update it */
    if (s->scratch != NULL)
        evbuffer_free(s->scratch);
    free(s->clients);
    free(s->captures);
    free(s);
}

void stream_set_other_routes(struct stream *s, void (*cb)(struct evhttp_request *req, void *arg),
                             void *arg)
{
    s->other_cb = cb;
    s->other_arg = arg;
}

uint16_t stream_port(const struct stream *s)
{
    return s->port;
}

bool stream_is_wanted(const struct stream *s)
{
    return s->n_clients > 0 || s->n_captures > 0;
}

void stream_get_stats(const struct stream *s, struct stream_stats *out)
{
    *out = (struct stream_stats){
        .frames = s->frames,
        .clients = s->n_clients,
        .connections_total = s->connections_total,
        .frames_skipped = s->frames_skipped,
        .has_measured_fps = s->has_measured_fps,
        .measured_mfps = s->measured_mfps,
    };
}

void stream_set_auth(struct stream *s, const struct basic_auth *auth)
{
    s->auth = auth;
}
