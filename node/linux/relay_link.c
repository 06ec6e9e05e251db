#include "relay_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>
#include <wslay/wslay.h>

#include "clock_ms.h"
#include "link_handshake.h"
#include "link_msg.h"
#include "ws_bev.h"
#include "node.h"
#include "node_link.h"
#include "relay_url.h"
#include "secret_file.h"
#include "tls_verify.h"
#include "ws_key.h"

#define LOG_TAG "link"
#include "log.h"

#define HEAD_MAX_BYTES 8192           /* the relay's 101 (or refusal) head */
#define HANDSHAKE_TIMEOUT_MS 10000    /* connect, TLS and the 101 together */
#define WRITE_STALL_MS 30000          /* the relay takes nothing for this long: reconnect */
#define OUTPUT_MAX_BYTES (256 * 1024) /* what may wait in our output buffer */
#define STATUS_INTERVAL_MS 10000      /* source_link.h: SOURCE_LINK_STATUS_INTERVAL_MS */

enum state { ST_IDLE, ST_CONNECTING, ST_HANDSHAKE, ST_UP };

struct relay_link {
    struct event_base *base;
    struct evdns_base *dns; /* NULL: libevent resolves with a blocking getaddrinfo */
    SSL_CTX *ssl_ctx;       /* NULL for http:// */
    struct relay_url url;
    char *token;
    char *token_file; /* NULL: none */
    struct node *node;
    struct cam cam;
    relay_link_facts_cb facts_cb;
    void *facts_arg;
    unsigned backoff_min_ms, backoff_max_ms;

    enum state state;
    struct bufferevent *bev;
    wslay_event_context_ptr ws;
    char key[WS_KEY_SIZE];
    struct event *retry_timer;
    unsigned failures;
    int is_streaming; /* the relay asked for frames */
    uint32_t last_status_ms;
    unsigned long frames;
    const char *close_reason; /* set in a wslay callback: disconnect after it returns */
    int is_going_away;        /* the relay closed with 1001: reconnect as after a clean stop */
    char why[200];
};

static void connect_now(struct relay_link *rl);

static struct timeval tv_ms(unsigned ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

static void drop_connection(struct relay_link *rl)
{
    if (rl->ws != NULL)
        wslay_event_context_free(rl->ws);
    rl->ws = NULL;
    if (rl->bev != NULL)
        bufferevent_free(rl->bev); /* frees the SSL too (BEV_OPT_CLOSE_ON_FREE) */
    rl->bev = NULL;
    rl->is_streaming = 0;
    rl->state = ST_IDLE;
}

/* Capped exponential backoff with jitter: a random delay in [d/2, d], d = min * 2^failures.
 * A relay going away (1001) is no failure: the delay stays the shortest. */
static void retry_later(struct relay_link *rl, const char *why)
{
    int was_up = rl->state == ST_UP;
    int is_normal = rl->is_going_away;
    rl->is_going_away = 0;
    if (is_normal)
        rl->failures = 0;
    drop_connection(rl);
    unsigned delay = rl->backoff_min_ms;
    for (unsigned i = 0; i < rl->failures && delay < rl->backoff_max_ms; i++)
        delay *= 2;
    if (delay > rl->backoff_max_ms)
        delay = rl->backoff_max_ms;
    unsigned r = 0;
    evutil_secure_rng_get_bytes(&r, sizeof(r));
    delay = delay / 2 + (delay > 1 ? r % (delay / 2 + 1) : 0);
    rl->failures += !is_normal;
    if (is_normal)
        LOG_INFO("link to relay %s: %s; reconnecting in %u ms", rl->url.host_header, why, delay);
    else
        LOG_WARN("%s %s: %s; retrying in %u ms", was_up ? "link to relay" : "cannot link to relay",
                 rl->url.host_header, why, delay);
    struct timeval tv = tv_ms(delay);
    evtimer_add(rl->retry_timer, &tv);
}

static void flush(struct relay_link *rl)
{
    if (rl->ws != NULL && wslay_event_want_write(rl->ws) && wslay_event_send(rl->ws) < 0)
        rl->close_reason = "cannot write to the relay";
}

static void send_text(struct relay_link *rl, const char *text, size_t len)
{
    struct wslay_event_msg msg = {
        .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text, .msg_length = len};
    if (wslay_event_queue_msg(rl->ws, &msg) != 0)
        rl->close_reason = "cannot queue a message";
}

static void send_status(struct relay_link *rl, uint32_t now_ms)
{
    struct node_facts facts;
    memset(&facts, 0, sizeof(facts));
    rl->facts_cb(&facts, rl->facts_arg);
    char msg[LINK_MSG_MAX_BYTES];
    int n = node_link_status(rl->node, now_ms, &facts, msg, sizeof(msg));
    if (n > 0)
        send_text(rl, msg, (size_t)n);
    rl->last_status_ms = now_ms;
}

static void on_ws_message(wslay_event_context_ptr ctx,
                          const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    (void)ctx;
    struct relay_link *rl = user;
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        snprintf(rl->why, sizeof(rl->why), "the relay closed the link (%u %.*s)",
                 (unsigned)arg->status_code, (int)(arg->msg_length > 2 ? arg->msg_length - 2 : 0),
                 arg->msg_length > 2 ? (const char *)arg->msg + 2 : "");
        rl->close_reason = rl->why;
        rl->is_going_away = arg->status_code == WSLAY_CODE_GOING_AWAY;
        return;
    }
    if (arg->opcode == WSLAY_BINARY_FRAME) {
        rl->close_reason = "the relay sent a binary message";
        return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return; /* ping/pong: wslay answers */
    char reply[LINK_MSG_MAX_BYTES];
    struct node_link_action act;
    const char *reason = NULL;
    uint32_t now_ms = clock_ms_now();
    if (node_link_handle(rl->node, (const char *)arg->msg, arg->msg_length, now_ms, reply,
                         sizeof(reply), &act, &reason) < 0) {
        snprintf(rl->why, sizeof(rl->why), "bad message from the relay: %s", reason);
        rl->close_reason = rl->why;
        return;
    }
    if (act.has_reply) {
        LOG_DEBUG("move from the relay answered: %s", reply);
        send_text(rl, reply, act.reply_len);
    }
    if (act.has_stream && act.stream_on != rl->is_streaming) {
        rl->is_streaming = act.stream_on;
        LOG_INFO("the relay %s frames", act.stream_on ? "wants" : "needs no");
    }
}

static ssize_t on_ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                          void *user)
{
    (void)flags;
    struct relay_link *rl = user;
    return ws_bev_recv(ctx, rl->bev, buf, len);
}

static ssize_t on_ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                          void *user)
{
    (void)flags;
    struct relay_link *rl = user;
    return ws_bev_send(ctx, rl->bev, data, len, OUTPUT_MAX_BYTES);
}

/* RFC 6455 §5.3: a client masks every frame with a fresh, unpredictable key. */
static int on_ws_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx;
    (void)user;
    evutil_secure_rng_get_bytes(buf, len);
    return 0;
}

static const struct wslay_event_callbacks ws_callbacks = {
    .recv_callback = on_ws_recv,
    .send_callback = on_ws_send,
    .genmask_callback = on_ws_genmask,
    .on_msg_recv_callback = on_ws_message,
};

/* After any wslay call: act on what its callbacks decided. Returns -1 if the link is gone. */
static int check_closed(struct relay_link *rl)
{
    if (rl->close_reason == NULL)
        return 0;
    char why[200];
    snprintf(why, sizeof(why), "%s", rl->close_reason);
    rl->close_reason = NULL;
    retry_later(rl, why);
    return -1;
}

static void on_up_read(struct relay_link *rl)
{
    if (wslay_event_recv(rl->ws) < 0 && rl->close_reason == NULL)
        rl->close_reason = "WebSocket protocol error from the relay";
    if (check_closed(rl) < 0)
        return;
    flush(rl);
    check_closed(rl);
}

static void up(struct relay_link *rl)
{
    if (wslay_event_context_client_init(&rl->ws, &ws_callbacks, rl) != 0) {
        retry_later(rl, "out of memory");
        return;
    }
    wslay_event_config_set_max_recv_msg_length(rl->ws, LINK_MSG_MAX_BYTES);
    rl->state = ST_UP;
    rl->failures = 0;
    struct timeval wr = tv_ms(WRITE_STALL_MS);
    bufferevent_set_timeouts(rl->bev, NULL, &wr);
    LOG_INFO("linked to relay %s", rl->url.host_header);
    send_status(rl, clock_ms_now());
    flush(rl);
    if (check_closed(rl) == 0 && evbuffer_get_length(bufferevent_get_input(rl->bev)) > 0)
        on_up_read(rl);
}

/* The relay's answer to the upgrade: 101 with the right Sec-WebSocket-Accept, or a refusal. */
static void on_handshake_read(struct relay_link *rl)
{
    struct evbuffer *in = bufferevent_get_input(rl->bev);
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0) {
        if (evbuffer_get_length(in) > HEAD_MAX_BYTES)
            retry_later(rl, "the relay's answer head is too long");
        return;
    }
    size_t head_len = (size_t)end.pos + 4;
    if (head_len > HEAD_MAX_BYTES) {
        retry_later(rl, "the relay's answer head is too long");
        return;
    }
    char head[HEAD_MAX_BYTES + 1];
    evbuffer_remove(in, head, head_len);
    head[head_len] = '\0';
    char expected[WS_ACCEPT_SIZE], why[LINK_HANDSHAKE_WHY_MAX];
    int has_expected = ws_key_accept(rl->key, expected) == 0;
    if (link_handshake_check(head, has_expected ? expected : NULL, why, sizeof(why)) < 0) {
        retry_later(rl, why);
        return;
    }
    up(rl);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct relay_link *rl = arg;
    if (rl->state == ST_HANDSHAKE)
        on_handshake_read(rl);
    else if (rl->state == ST_UP)
        on_up_read(rl);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct relay_link *rl = arg;
    if (rl->state == ST_UP) {
        flush(rl);
        check_closed(rl);
    }
}

static void send_upgrade(struct relay_link *rl)
{
    if (ws_key_new(rl->key) < 0) {
        retry_later(rl, "no randomness for the WebSocket key");
        return;
    }
    rl->state = ST_HANDSHAKE;
    int n = evbuffer_add_printf(bufferevent_get_output(rl->bev),
                                "GET %s HTTP/1.1\r\n"
                                "Host: %s\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: %s\r\n"
                                "Sec-WebSocket-Version: 13\r\n"
                                "Authorization: Bearer %s\r\n"
                                "User-Agent: lookout-cam\r\n"
                                "\r\n",
                                rl->url.target, rl->url.host_header, rl->key, rl->token);
    if (n < 0)
        retry_later(rl, "out of memory");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct relay_link *rl = arg;
    if (what & BEV_EVENT_CONNECTED) {
        send_upgrade(rl);
        return;
    }
    char why[220];
    int err = EVUTIL_SOCKET_ERROR();
    if (what & BEV_EVENT_TIMEOUT)
        snprintf(why, sizeof(why), "%s",
                 rl->state == ST_UP ? "the relay stopped taking data" : "no answer in time");
    else if (what & BEV_EVENT_EOF)
        snprintf(why, sizeof(why), "the relay closed the connection");
    else if (rl->state == ST_CONNECTING && bufferevent_socket_get_dns_error(bev) != 0)
        snprintf(why, sizeof(why), "cannot resolve %.100s: %s", rl->url.host,
                 evutil_gai_strerror(bufferevent_socket_get_dns_error(bev)));
    else
        snprintf(why, sizeof(why), "%s",
                 err != 0 ? evutil_socket_error_to_string(err) : "connection failed");
    char tls_why[200];
    if (rl->ssl_ctx != NULL && !(what & BEV_EVENT_TIMEOUT) &&
        tls_verify_explain(bev, tls_why, sizeof(tls_why)))
        snprintf(why, sizeof(why), "%s%.200s",
                 strncmp(tls_why, "the certificate", 15) == 0 ? "the relay's " : "",
                 strncmp(tls_why, "the certificate", 15) == 0 ? tls_why + 4 : tls_why);
    retry_later(rl, why);
}

/* A TLS bufferevent that checks the relay's certificate chain and its name or address. */
static struct bufferevent *tls_bufferevent(struct relay_link *rl)
{
    SSL *ssl = tls_verify_ssl_new(rl->ssl_ctx, rl->url.host);
    if (ssl == NULL)
        return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        rl->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        SSL_free(ssl);
    return bev;
}

/* A token file that now holds another valid line: use it from this connection on. */
static void reread_token(struct relay_link *rl)
{
    char token[600], err[300];
    if (rl->token_file == NULL)
        return;
    if (secret_file_read(rl->token_file, token, sizeof(token), err, sizeof(err)) < 0) {
        LOG_WARN("--token-file: %s; keeping the token read before", err);
        return;
    }
    if (strcmp(token, rl->token) != 0) {
        char *fresh = strdup(token);
        if (fresh != NULL) {
            OPENSSL_cleanse(rl->token, strlen(rl->token));
            free(rl->token);
            rl->token = fresh;
            LOG_INFO("--token-file: a new token; linking with it");
        }
    }
    explicit_bzero(token, sizeof(token));
}

static void connect_now(struct relay_link *rl)
{
    drop_connection(rl);
    reread_token(rl);
    rl->bev = rl->ssl_ctx != NULL ? tls_bufferevent(rl)
                                  : bufferevent_socket_new(rl->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (rl->bev == NULL) {
        retry_later(rl, "out of memory");
        return;
    }
    rl->state = ST_CONNECTING;
    bufferevent_setcb(rl->bev, on_read, on_write, on_event, rl);
    bufferevent_setwatermark(rl->bev, EV_WRITE, 0, 0);
    struct timeval hs = tv_ms(HANDSHAKE_TIMEOUT_MS);
    bufferevent_set_timeouts(rl->bev, &hs, &hs);
    bufferevent_enable(rl->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect_hostname(rl->bev, rl->dns, AF_UNSPEC, rl->url.host,
                                            rl->url.port) < 0)
        retry_later(rl, "cannot start connecting");
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    connect_now(arg);
}

struct relay_link *relay_link_new(struct event_base *base, const struct relay_link_config *cfg,
                                  struct node *node, const struct cam *cam,
                                  relay_link_facts_cb facts_cb, void *facts_arg, char *err,
                                  size_t err_size)
{
    struct relay_link *rl = calloc(1, sizeof(*rl));
    if (rl == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    rl->base = base;
    rl->node = node;
    rl->cam = *cam;
    rl->facts_cb = facts_cb;
    rl->facts_arg = facts_arg;
    rl->backoff_min_ms = cfg->backoff_min_ms;
    rl->backoff_max_ms = cfg->backoff_max_ms;
    if (relay_url_parse(cfg->url, &rl->url, err, err_size) < 0 ||
        (rl->url.is_https &&
         (rl->ssl_ctx = tls_verify_ctx_new(cfg->ca_file, err, err_size)) == NULL)) {
        relay_link_free(rl);
        return NULL;
    }
    if (!rl->url.is_https && cfg->ca_file != NULL)
        LOG_WARN("--ca-file is ignored for an http:// relay");
    if (!rl->url.is_https && !tls_verify_is_address(rl->url.host))
        LOG_WARN("the link to %s is not encrypted: use https:// across the internet", rl->url.host);
    rl->token = strdup(cfg->token);
    rl->token_file = cfg->token_file != NULL ? strdup(cfg->token_file) : NULL;
    rl->retry_timer = evtimer_new(base, on_retry, rl);
    if (rl->token == NULL || rl->retry_timer == NULL ||
        (cfg->token_file != NULL && rl->token_file == NULL)) {
        snprintf(err, err_size, "out of memory");
        relay_link_free(rl);
        return NULL;
    }
    if (!tls_verify_is_address(rl->url.host))
        rl->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    connect_now(rl);
    return rl;
}

void relay_link_free(struct relay_link *rl)
{
    if (rl == NULL)
        return;
    drop_connection(rl);
    if (rl->retry_timer != NULL)
        event_free(rl->retry_timer);
    if (rl->dns != NULL)
        evdns_base_free(rl->dns, 0);
    if (rl->ssl_ctx != NULL)
        SSL_CTX_free(rl->ssl_ctx);
    if (rl->token != NULL) {
        OPENSSL_cleanse(rl->token, strlen(rl->token));
        free(rl->token);
    }
    free(rl->token_file);
    free(rl);
}

/* Latest-frame rule: only when nothing of ours waits, neither in wslay nor in the output. */
static void send_frame(struct relay_link *rl, uint32_t now_ms)
{
    if (wslay_event_get_queued_msg_count(rl->ws) > 0 ||
        evbuffer_get_length(bufferevent_get_output(rl->bev)) > 0)
        return;
    struct cam_frame f;
    if (cam_get(&rl->cam, now_ms, &f) != 0)
        return;
    struct wslay_event_msg msg = {.opcode = WSLAY_BINARY_FRAME, .msg = f.data, .msg_length = f.len};
    int rc = wslay_event_queue_msg(rl->ws, &msg); /* copies the JPEG */
    cam_put(&rl->cam, &f);
    if (rc != 0)
        rl->close_reason = "cannot queue a frame";
    else
        rl->frames++;
}

void relay_link_tick(struct relay_link *rl, uint32_t now_ms)
{
    if (rl->state != ST_UP)
        return;
    if (rl->is_streaming)
        send_frame(rl, now_ms);
    if ((uint32_t)(now_ms - rl->last_status_ms) >= STATUS_INTERVAL_MS)
        send_status(rl, now_ms);
    flush(rl);
    check_closed(rl);
}

int relay_link_is_up(const struct relay_link *rl)
{
    return rl->state == ST_UP;
}

unsigned long relay_link_frames(const struct relay_link *rl)
{
    return rl->frames;
}
