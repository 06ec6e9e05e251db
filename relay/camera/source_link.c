#include "source_link_internal.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <wslay/wslay.h>

#include "fps_meter.h"
#include "frame.h"
#include "link_msg.h"
#include "ws_bev.h"
#include "source.h"
#include "ws_upgrade.h"
#define LOG_TAG "link"
#include "log.h"

/* Output the relay lets wait for a node (its own control messages: small). */
#define OUTPUT_MAX_BYTES (64 * 1024)
/* A closing link gets this long to take its close frame. */
#define CLOSE_GRACE_MS 2000
#define FRAME_START_BYTES (64 * 1024)

/* One node connection: the live one, or one that is closing. */
struct link_conn {
    TAILQ_ENTRY(link_conn) next;
    struct source_link *link;
    struct evhttp_connection *evcon; /* owned: freeing it closes the socket */
    struct bufferevent *bev;         /* borrowed from evcon */
    wslay_event_context_ptr ws;
    char peer[64];
    int is_closing;
    int is_in_recv;          /* inside wslay_event_recv: queue, flush afterwards */
    const char *fail_reason; /* set by a callback: close after wslay_event_recv returns */
    uint16_t fail_code;
    char fail_text[120];
    /* The message being received (wslay without buffering: we assemble it). */
    int is_in_message;
    uint8_t message_opcode;
    uint8_t frame_opcode;
    int frame_fin;
    struct frame *partial;
    char text[LINK_MSG_MAX_BYTES];
    size_t text_len;
};

static void conn_free(struct link_conn *c)
{
    TAILQ_REMOVE(&c->link->conns, c, next);
    if (c->ws != NULL)
        wslay_event_context_free(c->ws);
    frame_unref(c->partial);
    /* Frees the bufferevent too; evhttp's close callback (connlimit) runs. */
    evhttp_connection_free(c->evcon);
    free(c);
}

static void flush(struct link_conn *c)
{
    if (!c->is_in_recv && wslay_event_want_write(c->ws) && wslay_event_send(c->ws) < 0)
        c->fail_reason = c->fail_reason ? c->fail_reason : "cannot write to the node";
}

/* The live link is gone: the camera is offline with this reason. */
static void link_down(struct source_link *l, const char *why)
{
    l->live = NULL;
    l->is_online = 0;
    snprintf(l->reason, sizeof(l->reason), "node link down: %s", why);
    if (l->cb.on_state != NULL)
        l->cb.on_state(0, l->cb.arg);
}

/* The connection ended by itself (EOF, error, timeout): free it now. */
static void conn_gone(struct link_conn *c, const char *why)
{
    struct source_link *l = c->link;
    if (l->live == c) {
        LOG_WARN("camera %s: node link from %s down: %s", l->name, c->peer, why);
        link_down(l, why);
    }
    conn_free(c);
}

/*
 * Close with a WebSocket close frame (RFC 6455 §7.1.2) carrying `code` and `why`, then free once
 * the node has closed its end (it has read the frame by then), or after CLOSE_GRACE_MS. Closing
 * first could lose the frame: a node whose TLS layer sees the end of the stream together with
 * the frame may report the end and drop the frame unread. The live link goes down at once.
 */
static void conn_close(struct link_conn *c, uint16_t code, const char *why)
{
    struct source_link *l = c->link;
    if (l->live == c)
        link_down(l, why);
    c->is_closing = 1;
    size_t n = strlen(why);
    wslay_event_queue_close(c->ws, code, (const uint8_t *)why, n > 123 ? 123 : n);
    c->is_in_recv = 0;
    flush(c);
    struct timeval grace = source_link_tv_ms(CLOSE_GRACE_MS);
    bufferevent_set_timeouts(c->bev, &grace, &grace);
    bufferevent_enable(c->bev, EV_READ); /* its bytes are drained; its end frees the conn */
}

/* A protocol breach found in a callback: say why once; on_read closes after the recv. */
static void conn_fail(struct link_conn *c, uint16_t code, const char *what, const char *detail)
{
    if (c->fail_reason != NULL)
        return;
    snprintf(c->fail_text, sizeof(c->fail_text), "%s%s", what, detail);
    c->fail_reason = c->fail_text;
    c->fail_code = code;
}

/* Read timeout: streaming, the stall timeout; otherwise 3 missed status messages. */
static void update_timeouts(struct source_link *l, struct link_conn *c)
{
    unsigned idle_ms = 3 * SOURCE_LINK_STATUS_INTERVAL_MS;
    unsigned read_ms =
        l->is_standby && idle_ms > l->cfg.stall_timeout_ms ? idle_ms : l->cfg.stall_timeout_ms;
    struct timeval rd = source_link_tv_ms(read_ms), wr = source_link_tv_ms(l->cfg.stall_timeout_ms);
    bufferevent_set_timeouts(c->bev, &rd, &wr);
}

void source_link_tell_stream(struct source_link *l)
{
    if (l->live == NULL)
        return;
    char msg[64];
    int n = link_msg_write_stream(msg, sizeof(msg), !l->is_standby);
    if (n > 0 && source_link_send_text(l, msg, (size_t)n) < 0)
        LOG_WARN("camera %s: cannot queue a stream message", l->name);
    update_timeouts(l, l->live);
}

static void deliver_frame(struct source_link *l, struct link_conn *c)
{
    struct frame *f = c->partial;
    c->partial = NULL;
    size_t len;
    const uint8_t *jpeg = frame_jpeg(f, &len);
    if (len < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) {
        if (l->stats.frames_dropped++ % 100 == 0)
            LOG_WARN("camera %s: dropped a %zu-byte binary message that is not a JPEG", l->name,
                     len);
        frame_unref(f);
        return;
    }
    if (!l->is_online)
        LOG_INFO("camera %s online (node link from %s)", l->name, c->peer);
    l->is_online = 1;
    l->stats.frames++;
    int64_t now_us = clock_now_us();
    fps_meter_add(&l->fps, now_us);
    if (l->cb.on_frame != NULL)
        l->cb.on_frame(f, now_us, l->cb.arg);
    frame_unref(f);
}

static void handle_text(struct source_link *l, struct link_conn *c)
{
    struct link_msg m;
    const char *why = NULL;
    if (link_msg_parse(c->text, c->text_len, &m, &why) < 0) {
        conn_fail(c, WSLAY_CODE_PROTOCOL_ERROR, "malformed control message: ", why);
        return;
    }
    if ((m.type == LINK_MSG_MOVED || m.type == LINK_MSG_STATUS) && l->cb.on_message != NULL)
        l->cb.on_message(&m, l->cb.arg);
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
    (void)ctx;
    struct link_conn *c = user;
    c->frame_opcode = arg->opcode;
    c->frame_fin = arg->fin;
    if (c->fail_reason != NULL || (arg->opcode & 0x8) != 0)
        return; /* control frames: wslay buffers and answers them */
    if (arg->opcode == WSLAY_CONTINUATION_FRAME) {
        if (!c->is_in_message)
            conn_fail(c, WSLAY_CODE_PROTOCOL_ERROR, "continuation without a message", "");
        return;
    }
    if (c->is_in_message) {
        conn_fail(c, WSLAY_CODE_PROTOCOL_ERROR, "new message inside a fragmented one", "");
        return;
    }
    c->is_in_message = 1;
    c->message_opcode = arg->opcode;
    c->text_len = 0;
    if (arg->opcode != WSLAY_BINARY_FRAME)
        return;
    size_t max = c->link->cfg.max_frame_bytes;
    if (arg->payload_length > max) {
        conn_fail(c, WSLAY_CODE_MESSAGE_TOO_BIG, "JPEG larger than MAX_FRAME_BYTES", "");
        return;
    }
    size_t start = arg->payload_length > 0 ? (size_t)arg->payload_length : FRAME_START_BYTES;
    c->partial = frame_new(start, max);
    if (c->partial == NULL)
        conn_fail(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "out of memory", "");
}

static void on_frame_chunk(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
    (void)ctx;
    struct link_conn *c = user;
    if (c->fail_reason != NULL || (c->frame_opcode & 0x8) != 0 || !c->is_in_message)
        return;
    if (c->message_opcode == WSLAY_BINARY_FRAME) {
        if (frame_append(c->partial, arg->data, arg->data_length) < 0)
            conn_fail(c, WSLAY_CODE_MESSAGE_TOO_BIG, "JPEG larger than MAX_FRAME_BYTES", "");
        return;
    }
    if (c->text_len + arg->data_length > sizeof(c->text)) {
        conn_fail(c, WSLAY_CODE_MESSAGE_TOO_BIG, "control message longer than 1024 bytes", "");
        return;
    }
    memcpy(c->text + c->text_len, arg->data, arg->data_length);
    c->text_len += arg->data_length;
}

static void on_frame_end(wslay_event_context_ptr ctx, void *user)
{
    (void)ctx;
    struct link_conn *c = user;
    if (c->fail_reason != NULL || (c->frame_opcode & 0x8) != 0 || !c->frame_fin ||
        !c->is_in_message)
        return;
    c->is_in_message = 0;
    if (c->message_opcode == WSLAY_BINARY_FRAME)
        deliver_frame(c->link, c);
    else
        handle_text(c->link, c);
}

static ssize_t on_ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                          void *user)
{
    (void)flags;
    struct link_conn *c = user;
    if (c->fail_reason != NULL) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK); /* read no further: closing */
        return -1;
    }
    ssize_t n = ws_bev_recv(ctx, c->bev, buf, len);
    if (n > 0)
        c->link->stats.bytes += (uint64_t)n;
    return n;
}

static ssize_t on_ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                          void *user)
{
    (void)flags;
    struct link_conn *c = user;
    return ws_bev_send(ctx, c->bev, data, len, OUTPUT_MAX_BYTES);
}

static void on_ws_message(wslay_event_context_ptr ctx,
                          const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    (void)ctx;
    (void)arg;
    (void)user; /* data messages arrive through the frame callbacks; close/ping: wslay answers */
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct link_conn *c = arg;
    if (c->is_closing) {
        evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
        return;
    }
    c->is_in_recv = 1;
    int rc = wslay_event_recv(c->ws);
    c->is_in_recv = 0;
    struct source_link *l = c->link;
    if (c->fail_reason != NULL) {
        LOG_WARN("camera %s: closing the node link from %s: %s", l->name, c->peer, c->fail_reason);
        conn_close(c, c->fail_code, c->fail_reason);
        return;
    }
    if (rc < 0 || !wslay_event_get_read_enabled(c->ws)) {
        const char *why = wslay_event_get_close_received(c->ws) ? "the node closed the link"
                                                                : "WebSocket protocol error";
        if (rc == 0 && !wslay_event_get_close_received(c->ws))
            why = "message over the size limit";
        if (l->live == c)
            LOG_WARN("camera %s: node link from %s: %s (close code %u)", l->name, c->peer, why,
                     (unsigned)wslay_event_get_status_code_received(c->ws));
        conn_close(c, WSLAY_CODE_NORMAL_CLOSURE, why);
        return;
    }
    flush(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct link_conn *c = arg;
    if (c->is_closing)
        return; /* the close frame is out: the node's end of the connection frees it */
    flush(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct link_conn *c = arg;
    struct source_link *l = c->link;
    if (c->is_closing) {
        conn_free(c);
        return;
    }
    char why[96];
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING))
        snprintf(why, sizeof(why), "the node sent nothing for %u ms",
                 l->is_standby ? 3 * SOURCE_LINK_STATUS_INTERVAL_MS : l->cfg.stall_timeout_ms);
    else if (what & BEV_EVENT_TIMEOUT)
        snprintf(why, sizeof(why), "the node stopped reading");
    else if (what & BEV_EVENT_EOF)
        snprintf(why, sizeof(why), "the node disconnected");
    else
        snprintf(why, sizeof(why), "connection error");
    conn_gone(c, why);
}

static const struct wslay_event_callbacks ws_callbacks = {
    .recv_callback = on_ws_recv,
    .send_callback = on_ws_send,
    .on_frame_recv_start_callback = on_frame_start,
    .on_frame_recv_chunk_callback = on_frame_chunk,
    .on_frame_recv_end_callback = on_frame_end,
    .on_msg_recv_callback = on_ws_message,
};

int source_link_accept(struct source_link *l, struct evhttp_request *req, const char *accept)
{
    struct link_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    if (wslay_event_context_server_init(&c->ws, &ws_callbacks, c) != 0) {
        free(c);
        return -ENOMEM;
    }
    /* Frames go straight into a frame buffer (one copy), so wslay must not buffer messages. */
    wslay_event_config_set_no_buffering(c->ws, 1);
    wslay_event_config_set_max_recv_msg_length(c->ws, l->cfg.max_frame_bytes);
    c->link = l;
    c->evcon = evhttp_request_get_connection(req);
    c->bev = evhttp_connection_get_bufferevent(c->evcon);
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(c->evcon, &addr, &port);
    snprintf(c->peer, sizeof(c->peer), "%s:%u", addr ? addr : "?", (unsigned)port);
    TAILQ_INSERT_TAIL(&l->conns, c, next);

    /* From here on the link, not evhttp, drives this connection. Frames come in first. */
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    bufferevent_priority_set(c->bev, 0);
    int one = 1;
    setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (ws_upgrade_write_101(c->bev, accept) < 0) {
        conn_free(c);
        return 0; /* the connection is gone; nothing is left to answer */
    }
    if (l->live != NULL) {
        LOG_INFO("camera %s: a new node link from %s replaces the one from %s", l->name, c->peer,
                 l->live->peer);
        conn_close(l->live, WSLAY_CODE_GOING_AWAY, "replaced by a new link");
    }
    l->live = c;
    l->is_online = 0;
    l->stats.connects++;
    LOG_INFO("camera %s: node dialed in from %s", l->name, c->peer);
    source_link_tell_stream(l);
    if (l->cb.on_state != NULL)
        l->cb.on_state(1, l->cb.arg);
    /* Bytes that came with the request (a node that did not wait for the 101). */
    if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
        on_read(c->bev, c);
    return 0;
}

unsigned source_link_close_live(struct source_link *l, uint16_t code, const char *why)
{
    if (l->live != NULL) {
        LOG_INFO("camera %s: closing the node link from %s: %s", l->name, l->live->peer, why);
        conn_close(l->live, code, why);
    }
    unsigned closing = 0;
    struct link_conn *c;
    TAILQ_FOREACH(c, &l->conns, next)
    closing++;
    return closing;
}

int source_link_send_text(struct source_link *l, const char *text, size_t len)
{
    struct link_conn *c = l->live;
    if (c == NULL)
        return -ENOTCONN;
    if (len > LINK_MSG_MAX_BYTES)
        return -EMSGSIZE;
    if (wslay_event_get_queued_msg_count(c->ws) >= SOURCE_LINK_MAX_QUEUED)
        return -ENOBUFS;
    struct wslay_event_msg msg = {
        .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text, .msg_length = len};
    if (wslay_event_queue_msg(c->ws, &msg) != 0)
        return -ENOMEM;
    flush(c);
    return 0;
}

struct source_link *source_link_new(struct event_base *base, const struct source_link_config *cfg,
                                    const struct source_link_callbacks *cb)
{
    struct source_link *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->base = base;
    l->cfg = *cfg;
    snprintf(l->name, sizeof(l->name), "%s", cfg->name ? cfg->name : "camera");
    l->cfg.name = NULL;
    if (cb != NULL)
        l->cb = *cb;
    TAILQ_INIT(&l->conns);
    fps_meter_init(&l->fps);
    l->is_standby = cfg->idle_timeout_ms != 0; /* as upstream: nobody is watching yet */
    snprintf(l->reason, sizeof(l->reason), "waiting for the node to dial in");
    l->idle_timer = evtimer_new(base, source_link_on_idle, l);
    if (l->idle_timer == NULL) {
        free(l);
        return NULL;
    }
    return l;
}

int source_link_is_up(const struct source_link *l)
{
    return l->live != NULL;
}

void source_link_close_all(struct source_link *l)
{
    struct link_conn *c;
    while ((c = TAILQ_FIRST(&l->conns)) != NULL)
        conn_free(c);
}
