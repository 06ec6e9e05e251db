#include "hub.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "frame.h"
#include "peer.h"
#define LOG_TAG "hub"
#include "log.h"

struct viewer {
    TAILQ_ENTRY(viewer) link;
    struct hub *hub;
    struct evhttp_connection *conn; /* owned: freeing it closes the socket and the bufferevent */
    struct bufferevent *bev;        /* borrowed from conn */
    uint64_t last_seq;              /* newest frame sent or being sent */
    int is_sending;                 /* a frame is still in the output buffer */
    char address[PEER_ADDRESS_MAX]; /* client address without port, for the per-address cap */
    char peer[64];
    char tags[HUB_TAGS_MAX]; /* whose viewer this is: hub_close_tagged */
};

struct hub {
    struct event_base *base;
    struct hub_config cfg;
    TAILQ_HEAD(viewer_list, viewer) viewers;
    unsigned viewer_count;
    struct frame *latest;
    uint64_t next_seq;
    struct hub_stats stats;
};

struct hub *hub_new(struct event_base *base, const struct hub_config *cfg)
{
    struct hub *hub = calloc(1, sizeof(*hub));
    if (hub == NULL)
        return NULL;
    hub->base = base;
    hub->cfg = *cfg;
    hub->next_seq = 1;
    TAILQ_INIT(&hub->viewers);
    return hub;
}

static void viewer_free(struct viewer *v)
{
    struct hub *hub = v->hub;
    TAILQ_REMOVE(&hub->viewers, v, link);
    hub->viewer_count--;
    /* Frees the bufferevent and its output; each frame reference in it is released. */
    evhttp_connection_free(v->conn);
    free(v);
    if (hub->cfg.on_viewers != NULL)
        hub->cfg.on_viewers(hub->viewer_count, hub->cfg.on_viewers_arg);
}

void hub_free(struct hub *hub)
{
    if (hub == NULL)
        return;
    hub->cfg.on_viewers = NULL; /* the owner is shutting down */
    struct viewer *v;
    while ((v = TAILQ_FIRST(&hub->viewers)) != NULL)
        viewer_free(v);
    frame_unref(hub->latest);
    free(hub);
}

static void on_frame_released(const void *data, size_t len, void *frame)
{
    (void)data;
    (void)len;
    frame_unref(frame);
}

/*
 * Queue the frame for the viewer without copying it: as a file segment (sendfile) on plain TCP,
 * or as a reference to the frame's memory (TLS must encrypt from memory, and it is the fallback).
 */
static int viewer_send(struct viewer *v, struct frame *f)
{
    size_t len;
    const uint8_t *wire = frame_wire(f, &len);
    struct evbuffer *out = bufferevent_get_output(v->bev);
    struct evbuffer_file_segment *seg = v->hub->cfg.use_sendfile ? frame_file_segment(f) : NULL;
    if (seg != NULL) {
        if (evbuffer_add_file_segment(out, seg, 0, (ev_off_t)len) < 0)
            return -ENOMEM;
    } else {
        frame_ref(f);
        if (evbuffer_add_reference(out, wire, len, on_frame_released, f) < 0) {
            frame_unref(f);
            return -ENOMEM;
        }
    }
    v->last_seq = frame_seq(f);
    v->is_sending = 1;
    v->hub->stats.frames_sent++;
    return 0;
}

/* A new viewer is not shown a frame older than this (say, the last one before standby): it
 * waits for the next live frame or offline picture instead. */
#define STALE_FRAME_US 5000000LL

/* Output drained to the kernel: the viewer is ready for the newest frame. */
static void on_viewer_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct viewer *v = arg;
    struct hub *hub = v->hub;
    v->is_sending = 0;
    struct frame *f = hub->latest;
    if (f == NULL || frame_seq(f) <= v->last_seq)
        return;
    if (v->last_seq == 0 && clock_now_us() - frame_received_us(f) > STALE_FRAME_US)
        return;
    if (viewer_send(v, f) < 0)
        viewer_free(v);
}

/* Viewers send nothing after the request; read and discard so EOF is noticed. */
static void on_viewer_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_viewer_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct viewer *v = arg;
    if (what & BEV_EVENT_TIMEOUT) {
        v->hub->stats.viewers_dropped_stalled++;
        LOG_INFO("viewer %s stalled, dropped", v->peer);
    } else {
        LOG_DEBUG("viewer %s left", v->peer);
    }
    viewer_free(v);
}

static int write_response_head(struct bufferevent *bev)
{
    return evbuffer_add_printf(bufferevent_get_output(bev),
                               "HTTP/1.1 200 OK\r\n"
                               "Content-Type: multipart/x-mixed-replace;boundary=" HUB_BOUNDARY
                               "\r\n"
                               "Cache-Control: no-store, no-cache, must-revalidate, max-age=0\r\n"
                               "Pragma: no-cache\r\n"
                               "X-Content-Type-Options: nosniff\r\n"
                               "Referrer-Policy: same-origin\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "--" HUB_BOUNDARY "\r\n");
}

static unsigned viewers_from(const struct hub *hub, const char *address)
{
    unsigned n = 0;
    const struct viewer *v;
    TAILQ_FOREACH(v, &hub->viewers, link)
    {
        if (strcmp(v->address, address) == 0)
            n++;
    }
    return n;
}

static int has_tag(const char *tags, const char *tag)
{
    size_t n = strlen(tag);
    for (const char *p = tags; n > 0 && *p != '\0';) {
        size_t len = strcspn(p, "\t");
        if (len == n && strncmp(p, tag, n) == 0)
            return 1;
        p += len;
        p += strspn(p, "\t");
    }
    return 0;
}

unsigned hub_close_tagged(struct hub *hub, const char *tag)
{
    unsigned closed = 0;
    struct viewer *v, *next;
    for (v = TAILQ_FIRST(&hub->viewers); v != NULL; v = next) {
        next = TAILQ_NEXT(v, link);
        if (has_tag(v->tags, tag)) {
            LOG_INFO("viewer %s closed (%s)", v->peer, tag);
            viewer_free(v);
            closed++;
        }
    }
    return closed;
}

int hub_add_viewer(struct hub *hub, struct evhttp_request *req, const char *tags)
{
    if (hub->viewer_count >= hub->cfg.max_viewers)
        return -EBUSY;
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    char *raw = NULL, addr[PEER_ADDRESS_MAX];
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(conn, &raw, &port);
    peer_address(conn, addr, sizeof(addr));
    if (hub->cfg.max_viewers_per_address > 0 &&
        viewers_from(hub, addr) >= hub->cfg.max_viewers_per_address)
        return -EUSERS;
    struct viewer *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    v->hub = hub;
    v->conn = conn;
    v->bev = evhttp_connection_get_bufferevent(v->conn);
    snprintf(v->address, sizeof(v->address), "%s", addr);
    snprintf(v->peer, sizeof(v->peer), "%s:%u", addr, (unsigned)port);
    snprintf(v->tags, sizeof(v->tags), "%s", tags != NULL ? tags : "");

    /* From here on the hub, not evhttp, drives this connection (as ustreamer does). */
    struct timeval stall = {.tv_sec = hub->cfg.stall_timeout_ms / 1000,
                            .tv_usec = (hub->cfg.stall_timeout_ms % 1000) * 1000};
    bufferevent_setcb(v->bev, on_viewer_read, on_viewer_write, on_viewer_event, v);
    bufferevent_set_timeouts(v->bev, NULL, &stall);
    bufferevent_setwatermark(v->bev, EV_WRITE, 0, 0);
    /* A frame's last partial TCP segment must not wait for the viewer's delayed ACK (Nagle:
     * +40 ms); and a whole frame goes in one write, not libevent's default 16 KB ones, or the
     * many small sends cost more than the frame (docs/PERFORMANCE.md). */
    int one = 1;
    setsockopt(bufferevent_getfd(v->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    bufferevent_set_max_single_write(v->bev, HUB_MAX_SINGLE_WRITE);
    bufferevent_enable(v->bev, EV_READ | EV_WRITE);
    TAILQ_INSERT_TAIL(&hub->viewers, v, link);
    hub->viewer_count++;
    hub->stats.viewers_total++;
    if (write_response_head(v->bev) < 0) {
        viewer_free(v);
        return 0; /* the connection is gone; nothing is left for the caller to answer */
    }
    v->is_sending = 1; /* the head is in flight; the write callback sends the newest frame */
    LOG_DEBUG("viewer %s joined (%u watching)", v->peer, hub->viewer_count);
    if (hub->cfg.on_viewers != NULL)
        hub->cfg.on_viewers(hub->viewer_count, hub->cfg.on_viewers_arg);
    return 0;
}

int hub_publish(struct hub *hub, struct frame *frame, int64_t received_us)
{
    int rc = frame_finish(frame, hub->next_seq, received_us, HUB_BOUNDARY);
    if (rc < 0)
        return rc;
    hub->next_seq++;
    frame_unref(hub->latest);
    hub->latest = frame_ref(frame);
    hub->stats.frames_in++;

    struct viewer *v, *next;
    for (v = TAILQ_FIRST(&hub->viewers); v != NULL; v = next) {
        next = TAILQ_NEXT(v, link);
        if (v->is_sending) {
            hub->stats.frames_skipped++;
            continue;
        }
        if (viewer_send(v, frame) < 0)
            viewer_free(v);
    }
    return 0;
}

struct frame *hub_latest(const struct hub *hub)
{
    return hub->latest;
}

unsigned hub_viewer_count(const struct hub *hub)
{
    return hub->viewer_count;
}

void hub_get_stats(const struct hub *hub, struct hub_stats *out)
{
    *out = hub->stats;
}
