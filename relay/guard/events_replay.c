#include "events_replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <libavformat/avformat.h>

#include "auth.h"
#include "clock.h"
#include "events_store.h"
#include "record_path.h"
#define LOG_TAG "replay"
#include "log.h"

#define REPLAY_BOUNDARY "lookoutreplay"
/* Past this much unsent, frames are skipped: a slow viewer falls behind, the relay does not
 * buffer the recording for it. */
#define REPLAY_MAX_BUFFERED (2u << 20)

struct replay {
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    struct events_store *store;
    AVFormatContext *ic;
    AVPacket *pkt;
    struct event *timer;
    AVRational tb;
    int64_t origin_us; /* loop time of pts origin_pts_ms */
    int64_t origin_pts_ms;
    int has_origin;
    const struct auth *auth; /* NULL: the viewer is not asked again */
    struct auth_identity who;
    char camera[64];
};

static void finish(struct replay *r, int is_closed)
{
    if (!is_closed) {
        evhttp_connection_set_closecb(r->conn, NULL, NULL);
        evhttp_send_reply_end(r->req);
    }
    event_free(r->timer);
    av_packet_free(&r->pkt);
    avformat_close_input(&r->ic);
    events_store_replay_slot(r->store, 0, 0);
    free(r);
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct replay *r = arg;
    /* The viewer left mid-reply: libevent 2.1 detaches a request the user has not finished
     * (evhttp_connection_incoming_fail) and leaves freeing it to us. On a relay shutdown the
     * request is still attached and evhttp frees it after this callback. */
    if (evhttp_request_get_connection(r->req) == NULL)
        evhttp_request_free(r->req);
    finish(r, 1);
}

static size_t unsent(struct replay *r)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(r->conn);
    return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void send_frame(struct replay *r)
{
    struct evbuffer *out = evbuffer_new();
    if (out == NULL)
        return;
    evbuffer_add_printf(out,
                        "--" REPLAY_BOUNDARY "\r\nContent-Type: image/jpeg\r\n"
                        "Content-Length: %d\r\n\r\n",
                        r->pkt->size);
    evbuffer_add(out, r->pkt->data, (size_t)r->pkt->size);
    evbuffer_add(out, "\r\n", 2);
    evhttp_send_reply_chunk(r->req, out);
    evbuffer_free(out);
}

/* The viewer may no longer see the camera: close the connection, as the hub does a viewer's. */
static void cut(struct replay *r)
{
    struct evhttp_connection *conn = r->conn;
    LOG_INFO("replay of camera %s closed: its viewer may no longer see the camera", r->camera);
    evhttp_connection_set_closecb(conn, NULL, NULL);
    finish(r, 1);
    evhttp_connection_free(conn); /* frees the request too */
}

/* Send every frame that is due, then sleep until the next one. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct replay *r = arg;
    if (evhttp_request_get_connection(r->req) == NULL) { /* detached without a close callback */
        evhttp_request_free(r->req);
        finish(r, 1);
        return;
    }
    if (r->auth != NULL && !auth_may_see(r->auth, &r->who, r->camera)) {
        cut(r);
        return;
    }
    for (;;) {
        if (r->pkt->size == 0 && av_read_frame(r->ic, r->pkt) < 0) {
            finish(r, 0);
            return;
        }
        int64_t pts_ms = av_rescale_q(r->pkt->pts, r->tb, (AVRational){1, 1000});
        int64_t now = clock_now_us();
        if (!r->has_origin) {
            r->origin_us = now;
            r->origin_pts_ms = pts_ms;
            r->has_origin = 1;
        }
        int64_t due_us = r->origin_us + (pts_ms - r->origin_pts_ms) * 1000;
        if (due_us > now) {
            struct timeval tv = {.tv_sec = (due_us - now) / 1000000,
                                 .tv_usec = (due_us - now) % 1000000};
            event_add(r->timer, &tv);
            return;
        }
        if (r->pkt->stream_index == 0 && unsent(r) < REPLAY_MAX_BUFFERED)
            send_frame(r);
        av_packet_unref(r->pkt);
    }
}

int events_replay_start(struct event_base *base, struct events_store *store,
                        struct evhttp_request *req, const char *path, int64_t t_ms,
                        const struct events_replay_viewer *viewer)
{
    if (events_store_replay_slot(store, 1, EVENTS_REPLAY_MAX) < 0)
        return -EBUSY;
    struct replay *r = calloc(1, sizeof(*r));
    if (r == NULL || !record_path_is_file(path) ||
        avformat_open_input(&r->ic, path, NULL, NULL) < 0 ||
        avformat_find_stream_info(r->ic, NULL) < 0 || r->ic->nb_streams < 1 ||
        (r->pkt = av_packet_alloc()) == NULL ||
        (r->timer = evtimer_new(base, on_timer, r)) == NULL) {
        if (r != NULL) {
            av_packet_free(&r->pkt);
            avformat_close_input(&r->ic);
        }
        free(r);
        events_store_replay_slot(store, 0, 0);
        return -EINVAL;
    }
    r->req = req;
    r->store = store;
    if (viewer != NULL && viewer->auth != NULL) {
        r->auth = viewer->auth;
        r->who = *viewer->who;
        snprintf(r->camera, sizeof(r->camera), "%s", viewer->camera);
    }
    r->conn = evhttp_request_get_connection(req);
    r->tb = r->ic->streams[0]->time_base;
    if (t_ms > 0) {
        int64_t first =
            r->ic->streams[0]->start_time != AV_NOPTS_VALUE
                ? av_rescale_q(r->ic->streams[0]->start_time, r->tb, (AVRational){1, 1000})
                : 0;
        av_seek_frame(r->ic, 0, av_rescale_q(first + t_ms, (AVRational){1, 1000}, r->tb),
                      AVSEEK_FLAG_BACKWARD);
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "multipart/x-mixed-replace;boundary=" REPLAY_BOUNDARY);
    evhttp_add_header(h, "Cache-Control", "no-store");
    /* The connection left connlimit's caps and deadline for the replay (events_api_play): it
     * ends with it, or it would stay open outside them for good. */
    evhttp_add_header(h, "Connection", "close");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(r->conn, on_close, r);
    event_active(r->timer, EV_TIMEOUT, 0);
    return 0;
}
