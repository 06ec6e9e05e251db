#include "snapshot.h"

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "frame.h"
#include "hub.h"
#include "reply.h"
#include "source.h"

struct snapshot {
    struct hub *hub;
    struct source *source;
    struct event *timeout;
    struct evhttp_request *waiting[SNAPSHOT_MAX_WAITING];
    unsigned count;
};

static void on_release_frame(const void *data, size_t len, void *frame)
{
    (void)data;
    (void)len;
    frame_unref(frame);
}

static void send_frame(struct evhttp_request *req, struct frame *f)
{
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    size_t len;
    const uint8_t *jpeg = frame_jpeg(f, &len);
    /* The frame's memory goes out by reference; the reference is dropped once sent. */
    if (evbuffer_add_reference(body, jpeg, len, on_release_frame, frame_ref(f)) < 0) {
        frame_unref(f); /* not taken: no cleanup callback will run */
        evbuffer_free(body);
        reply_text(req, 503, "out of memory");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "image/jpeg");
    reply_no_store(req);
    evhttp_send_reply(req, 200, "OK", body);
    evbuffer_free(body);
}

/* Answer every waiting request, with the frame or with 503 and reason. */
static void answer_all(struct snapshot *s, struct frame *f, const char *reason)
{
    if (s->count == 0)
        return;
    for (unsigned i = 0; i < s->count; i++) {
        if (f != NULL)
            send_frame(s->waiting[i], f);
        else
            reply_text(s->waiting[i], 503, reason);
    }
    s->count = 0;
    evtimer_del(s->timeout);
    source_release(s->source);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    answer_all(arg, NULL, "no picture: the camera did not send one in time");
}

struct snapshot *snapshot_new(struct event_base *base, struct hub *hub, struct source *source)
{
    struct snapshot *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->hub = hub;
    s->source = source;
    s->timeout = evtimer_new(base, on_timeout, s);
    if (s->timeout == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void snapshot_free(struct snapshot *s)
{
    if (s == NULL)
        return;
    answer_all(s, NULL, "relay shutting down");
    event_free(s->timeout);
    free(s);
}

void snapshot_request(struct snapshot *s, struct evhttp_request *req)
{
    struct frame *f = hub_latest(s->hub);
    if (f != NULL && source_is_online(s->source)) {
        send_frame(req, f);
        return;
    }
    if (!source_is_standby(s->source) && !source_is_connecting(s->source) && s->count == 0) {
        /* Trying again after a failure: the camera is down, not asleep or just waking up. */
        reply_text(req, 503, "no picture: the camera is offline");
        return;
    }
    if (s->count >= SNAPSHOT_MAX_WAITING) {
        reply_text(req, 503, "no picture yet: too many snapshot requests waiting");
        return;
    }
    if (s->count == 0) {
        struct timeval tv = {.tv_sec = SNAPSHOT_WAIT_MS / 1000,
                             .tv_usec = (SNAPSHOT_WAIT_MS % 1000) * 1000};
        evtimer_add(s->timeout, &tv);
        source_hold(s->source);
    }
    s->waiting[s->count++] = req;
}

void snapshot_on_frame(struct snapshot *s)
{
    answer_all(s, hub_latest(s->hub), NULL);
}
