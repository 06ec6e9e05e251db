#include "hub.h"
#include "clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/sockios.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "frame.h"
#include "peer.h"
#define LOG_TAG "hub"
#include "log.h"

struct viewer {
    TAILQ_ENTRY(viewer) link;
    struct hub *hub;
    struct evhttp_connection *conn; /* owned: freeing it closes the socket and the bufferevent */
    struct bufferevent *bev;        /* borrowed from conn */
    struct event *kernel_drained;   /* EV_WRITE: the kernel's unsent bytes fell below the mark */
    uint64_t last_seq;              /* newest frame sent or being sent */
    int is_sending;                 /* a frame is in the output buffer or unsent in the kernel */
    int is_mark_set;                /* TCP_NOTSENT_LOWAT is on: waiting for kernel_drained */
    int64_t interval_us;            /* ?fps=N: at least this long between frames, or 0 */
    int64_t due_us;                 /* with a cap: the next frame may go from this time on */
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
    if (v->kernel_drained != NULL)
        event_free(v->kernel_drained);
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
static int viewer_send(struct viewer *v, struct frame *f, int64_t now_us)
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
    if (v->interval_us > 0) {
        /* Due times advance by the interval, so the rate is the cap on average; a viewer that
         * fell behind (slow link, stall) starts afresh instead of catching up in a burst. */
        v->due_us += v->interval_us;
        if (v->due_us < now_us)
            v->due_us = now_us + v->interval_us;
    }
    v->hub->stats.frames_sent++;
    return 0;
}

/* Is the viewer's ?fps cap (if any) letting a frame through at now_us? */
static int viewer_is_due(const struct viewer *v, int64_t now_us)
{
    return v->interval_us == 0 || now_us >= v->due_us;
}

/* A new viewer is not shown a frame older than this (say, the last one before standby): it
 * waits for the next live frame or offline picture instead. */
#define STALE_FRAME_US 5000000LL

/*
 * Bytes the kernel holds for this viewer that have not gone out yet (SIOCOUTQNSD: queued but
 * never transmitted; bytes in flight are bounded by the viewer's receive window instead).
 * 0 if the socket cannot say (not TCP): such a viewer is paced by its output buffer alone.
 */
static int kernel_unsent_bytes(const struct viewer *v)
{
    int unsent = 0;
    if (ioctl(bufferevent_getfd(v->bev), SIOCOUTQNSD, &unsent) < 0)
        return 0;
    return unsent;
}

static void viewer_offer_latest(struct viewer *v);

static void on_kernel_drained(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct viewer *v = arg;
    if (what & EV_TIMEOUT) {
        /* The kernel sent nothing for the stall timeout: as a write timeout would say. */
        v->hub->stats.viewers_dropped_stalled++;
        LOG_INFO("viewer %s stalled, dropped", v->peer);
        viewer_free(v);
        return;
    }
    viewer_offer_latest(v);
}

/*
 * TCP_NOTSENT_LOWAT makes EPOLLOUT wait until the kernel's unsent bytes are under the mark
 * (Linux tcp_poll, tcp_stream_memory_free). It is set only while a viewer waits: it also makes
 * the kernel accept at most about the mark per write, which would split a fast viewer's frame
 * into several writes and wake-ups. 0 restores the system default (no mark). Best effort: a
 * socket that is not TCP just keeps its output-buffer pacing.
 */
static void set_unsent_mark(struct viewer *v, int is_on)
{
    if (v->is_mark_set == is_on)
        return;
    int lowat = is_on ? HUB_UNSENT_MAX_BYTES : 0;
    setsockopt(bufferevent_getfd(v->bev), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
    v->is_mark_set = is_on;
}

/*
 * The viewer's output buffer is empty. Its previous frame may still sit unsent in the kernel's
 * socket buffer (Linux grows it to megabytes): a frame queued behind it would be as old as that
 * backlog when it finally goes out. So the newest frame is given only once the kernel's unsent
 * bytes are under HUB_UNSENT_MAX_BYTES; until then the viewer counts as busy and waits for the
 * EPOLLOUT that TCP_NOTSENT_LOWAT raises exactly then. A fast viewer's kernel queue is empty
 * by now: it costs one ioctl per frame.
 */
static void viewer_offer_latest(struct viewer *v)
{
    if (kernel_unsent_bytes(v) > HUB_UNSENT_MAX_BYTES) {
        v->is_sending = 1;
        v->hub->stats.kernel_waits++;
        set_unsent_mark(v, 1);
        struct timeval stall = {.tv_sec = v->hub->cfg.stall_timeout_ms / 1000,
                                .tv_usec = (v->hub->cfg.stall_timeout_ms % 1000) * 1000};
        if (event_add(v->kernel_drained, &stall) < 0)
            viewer_free(v);
        return;
    }
    set_unsent_mark(v, 0);
    v->is_sending = 0;
    struct frame *f = v->hub->latest;
    if (f == NULL || frame_seq(f) <= v->last_seq)
        return;
    int64_t now_us = clock_now_us();
    if (v->last_seq == 0 && now_us - frame_received_us(f) > STALE_FRAME_US)
        return;
    if (!viewer_is_due(v, now_us))
        return; /* the next frame published after the due time goes out */
    if (viewer_send(v, f, now_us) < 0)
        viewer_free(v);
}

/* Output drained to the kernel: the viewer may be ready for the newest frame. */
static void on_viewer_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    viewer_offer_latest(arg);
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

/* The head carries the relay's clock (X-Timestamp, the clock of the frames' X-Timestamp) as it
 * is written, just before the first frame: the page compares it with its own clock to tell how
 * late each frame is. */
static int write_response_head(struct bufferevent *bev)
{
    int64_t now_us = clock_now_us();
    return evbuffer_add_printf(bufferevent_get_output(bev),
                               "HTTP/1.1 200 OK\r\n"
                               "Content-Type: multipart/x-mixed-replace;boundary=" HUB_BOUNDARY
                               "\r\n"
                               "Cache-Control: no-store, no-cache, must-revalidate, max-age=0\r\n"
                               "Pragma: no-cache\r\n"
                               "X-Content-Type-Options: nosniff\r\n"
                               "Referrer-Policy: same-origin\r\n"
                               "X-Timestamp: %" PRId64 ".%06" PRId64 "\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "--" HUB_BOUNDARY "\r\n",
                               now_us / 1000000, now_us % 1000000);
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

int hub_fps_from_query(const char *query, unsigned *fps)
{
    *fps = 0;
    if (query == NULL)
        return 0;
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    if (evhttp_parse_query_str(query, &params) < 0)
        return -EINVAL;
    const char *value = evhttp_find_header(&params, "fps");
    int rc = 0;
    if (value != NULL) {
        unsigned n = 0;
        size_t i = 0;
        for (; value[i] >= '0' && value[i] <= '9' && n <= HUB_FPS_MAX; i++)
            n = n * 10 + (unsigned)(value[i] - '0');
        if (i == 0 || value[i] != '\0' || n < 1 || n > HUB_FPS_MAX)
            rc = -EINVAL;
        else
            *fps = n;
    }
    evhttp_clear_headers(&params);
    return rc;
}

const char *hub_refusal(int rc, int *status)
{
    *status = 503;
    switch (rc) {
    case -EINVAL:
        *status = 400;
        return "bad fps: give a whole number of frames per second from 1 to 100 (?fps=2)";
    case -EBUSY:
        return "too many viewers: the relay's viewer limit (MAX_VIEWERS) is reached";
    case -EUSERS:
        return "too many viewers from your address (MAX_VIEWERS_PER_ADDRESS)";
    default:
        return "out of memory";
    }
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

unsigned hub_close_unless(struct hub *hub, hub_keep_fn keep, void *arg)
{
    unsigned closed = 0;
    struct viewer *v, *next;
    for (v = TAILQ_FIRST(&hub->viewers); v != NULL; v = next) {
        next = TAILQ_NEXT(v, link);
        if (!keep(v->tags, arg)) {
            LOG_INFO("viewer %s closed (may no longer see this camera)", v->peer);
            viewer_free(v);
            closed++;
        }
    }
    return closed;
}

int hub_add_viewer(struct hub *hub, struct evhttp_request *req, const char *tags)
{
    unsigned fps = 0;
    if (hub_fps_from_query(evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)), &fps) < 0)
        return -EINVAL;
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
    evutil_socket_t fd = bufferevent_getfd(v->bev);
    v->kernel_drained = event_new(hub->base, fd, EV_WRITE, on_kernel_drained, v);
    if (v->kernel_drained == NULL) {
        free(v);
        return -ENOMEM;
    }
    v->interval_us = fps > 0 ? 1000000 / fps : 0;
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
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
        if (!viewer_is_due(v, received_us)) {
            hub->stats.frames_capped++;
            continue;
        }
        if (viewer_send(v, frame, received_us) < 0)
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
