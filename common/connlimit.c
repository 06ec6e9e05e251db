#include "connlimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "peer.h"
#define LOG_TAG "connlimit"
#include "log.h"

struct tracked {
    TAILQ_ENTRY(tracked) link;
    struct connlimit *owner;
    struct bufferevent *bev;        /* referenced from accept until picked up, then NULL */
    struct evhttp_connection *conn; /* evhttp's, once picked up */
    struct event *deadline;         /* the current request must be whole by then */
    unsigned in_flight;             /* requests being answered (a stream: until it closes) */
    char address[PEER_ADDRESS_MAX];
};

TAILQ_HEAD(tracked_list, tracked);

/* A TLS connection over a cap, being told so: handshake, the 503, then closed (refuse_tls). */
struct refusal {
    struct connlimit *owner;
    struct evhttp_connection *conn; /* evhttp's; freeing it frees this (on_refusal_closed) */
    struct event *grace;
    int is_sent; /* the 503 has left the output buffer */
    int is_read; /* the client's first bytes after the handshake were read */
};

struct connlimit {
    struct event_base *base;
    struct connlimit_config cfg;
    connlimit_bev_fn make;
    void *make_arg;
    unsigned count;
    unsigned refusing;           /* TLS refusals in flight (CONNLIMIT_TLS_REFUSALS_MAX) */
    struct tracked_list open;    /* counted */
    struct tracked_list pending; /* accepted this loop turn, not yet picked up */
    struct event *pickup;
    struct connlimit_stats stats;
};

static void on_pickup(evutil_socket_t fd, short what, void *arg);

struct connlimit *connlimit_new(struct event_base *base, const struct connlimit_config *cfg)
{
    struct connlimit *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->base = base;
    c->cfg = *cfg;
    TAILQ_INIT(&c->open);
    TAILQ_INIT(&c->pending);
    c->pickup = event_new(base, -1, 0, on_pickup, c);
    if (c->pickup == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void tracked_free(struct tracked *t)
{
    if (t->deadline != NULL)
        event_free(t->deadline);
    free(t);
}

void connlimit_free(struct connlimit *c)
{
    if (c == NULL)
        return;
    struct tracked *t;
    while ((t = TAILQ_FIRST(&c->pending)) != NULL) {
        TAILQ_REMOVE(&c->pending, t, link);
        bufferevent_decref(t->bev);
        tracked_free(t);
    }
    while ((t = TAILQ_FIRST(&c->open)) != NULL) {
        TAILQ_REMOVE(&c->open, t, link);
        tracked_free(t);
    }
    event_free(c->pickup);
    free(c);
}

static void arm(struct tracked *t)
{
    uint32_t ms = t->owner->cfg.request_timeout_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    evtimer_add(t->deadline, &tv);
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct tracked *t = arg;
    TAILQ_REMOVE(&t->owner->open, t, link);
    t->owner->count--;
    tracked_free(t);
}

/* No answer in time: evhttp frees the connection (and its request); on_close forgets it. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct tracked *t = arg;
    if (t->in_flight > 0)
        return;
    t->owner->stats.timed_out++;
    LOG_DEBUG("%s: no whole request within %u ms, closed", t->address,
              (unsigned)t->owner->cfg.request_timeout_ms);
    evhttp_connection_free(t->conn);
}

/* The one-line 503 for a connection over a cap, into out; NULL if it does not fit. */
static const char *refusal_text(const char *reason, char *out, size_t out_size)
{
    int n = snprintf(out, out_size,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n"
                     "\r\n%s\n",
                     strlen(reason) + 1, reason);
    return n > 0 && (size_t)n < out_size ? out : NULL;
}

/*
 * Over a cap, at accept: a plain-HTTP client gets a 503 it can read. What it already sent is
 * read first, so that closing sends FIN rather than RST (which could discard the answer).
 */
static void refuse_plain(evutil_socket_t fd, const char *reason)
{
    char msg[320];
    if (refusal_text(reason, msg, sizeof(msg)) != NULL &&
        send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        LOG_DEBUG("503 not sent: %s", strerror(errno));
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
        ;
}

static void on_refusal_closed(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct refusal *r = arg;
    r->owner->refusing--;
    event_free(r->grace);
    free(r);
}

/* Done once the 503 has left and the client's request was read (closing with unread bytes
 * would send RST, which may discard the answer), or when the grace is up. */
static void refusal_check(struct refusal *r)
{
    if (r->is_sent && r->is_read)
        evhttp_connection_free(r->conn);
}

static void on_refusal_read(struct bufferevent *bev, void *arg)
{
    struct refusal *r = arg;
    evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
    r->is_read = 1;
    refusal_check(r);
}

static void on_refusal_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct refusal *r = arg;
    r->is_sent = 1;
    refusal_check(r);
}

static void on_refusal_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct refusal *r = arg;
    if (what & BEV_EVENT_CONNECTED)
        return;                      /* the handshake is done: the 503 goes now */
    evhttp_connection_free(r->conn); /* EOF, error, or the handshake failed */
}

static void on_refusal_grace(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct refusal *r = arg;
    evhttp_connection_free(r->conn);
}

/*
 * Over a cap, at accept, on a TLS listener: the 503 can only be read after a TLS handshake,
 * and a handshake costs the relay a key exchange. So only CONNLIMIT_TLS_REFUSALS_MAX such
 * refusals run at once, each given CONNLIMIT_TLS_REFUSAL_GRACE_MS for all of it; past that,
 * a connection over the cap is closed without a word, as before. The connection is taken over
 * from evhttp (its bufferevent's callbacks are ours), so no request is parsed or routed.
 * Returns 0 if the refusal runs, -1 if the caller must close the connection.
 */
static int refuse_tls(struct connlimit *c, struct evhttp_connection *conn, const char *reason)
{
    char text[320];
    struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
    if (c->refusing >= CONNLIMIT_TLS_REFUSALS_MAX || bev == NULL ||
        refusal_text(reason, text, sizeof(text)) == NULL)
        return -1;
    struct refusal *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -1;
    r->owner = c;
    r->conn = conn;
    r->grace = evtimer_new(c->base, on_refusal_grace, r);
    struct timeval tv = {.tv_sec = CONNLIMIT_TLS_REFUSAL_GRACE_MS / 1000,
                         .tv_usec = (CONNLIMIT_TLS_REFUSAL_GRACE_MS % 1000) * 1000};
    if (r->grace == NULL || evtimer_add(r->grace, &tv) < 0) {
        if (r->grace != NULL)
            event_free(r->grace);
        free(r);
        return -1;
    }
    c->refusing++;
    evhttp_connection_set_closecb(conn, on_refusal_closed, r);
    bufferevent_setcb(bev, on_refusal_read, on_refusal_write, on_refusal_event, r);
    bufferevent_set_timeouts(bev, NULL, NULL);
    bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
    bufferevent_setwatermark(bev, EV_READ, 0, 4096);
    /* Written now, sent by the TLS bufferevent once the handshake is done. */
    bufferevent_write(bev, text, strlen(text));
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return 0;
}

static unsigned open_from(const struct connlimit *c, const char *address)
{
    unsigned n = 0;
    const struct tracked *t;
    TAILQ_FOREACH(t, &c->open, link)
    {
        if (strcmp(t->address, address) == 0)
            n++;
    }
    return n;
}

/* Count a connection evhttp has just set up, or close it if it is over a cap. */
static void pick_up(struct connlimit *c, struct tracked *t)
{
    void *cbarg = NULL;
    bufferevent_getcb(t->bev, NULL, NULL, NULL, &cbarg);
    evutil_socket_t fd = bufferevent_getfd(t->bev);
    /* Our reference kept the bufferevent valid; if evhttp already freed it (no callbacks
     * left), this frees it for good. */
    bufferevent_decref(t->bev);
    t->bev = NULL;
    if (cbarg == NULL || fd < 0) {
        tracked_free(t);
        return;
    }
    struct evhttp_connection *conn = cbarg; /* evhttp's own callback argument */
    peer_address(conn, t->address, sizeof(t->address));
    const char *reason = NULL;
    if (c->count >= c->cfg.max_total)
        reason = "too many connections (MAX_CONNECTIONS)";
    else if (c->cfg.max_per_address > 0 && open_from(c, t->address) >= c->cfg.max_per_address)
        reason = "too many connections from your address (MAX_CONNECTIONS_PER_ADDRESS)";
    if (reason == NULL)
        t->deadline = evtimer_new(c->base, on_deadline, t);
    if (reason != NULL || t->deadline == NULL) {
        c->stats.refused++;
        LOG_DEBUG("%s: %s", t->address, reason != NULL ? reason : "out of memory");
        tracked_free(t);
        if (c->make == NULL)
            refuse_plain(fd, reason != NULL ? reason : "out of memory");
        else if (reason != NULL && refuse_tls(c, conn, reason) == 0)
            return;
        evhttp_connection_free(conn);
        return;
    }
    t->conn = conn;
    TAILQ_INSERT_TAIL(&c->open, t, link);
    c->count++;
    evhttp_connection_set_closecb(conn, on_close, t);
    arm(t);
}

static void on_pickup(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct connlimit *c = arg;
    struct tracked *t;
    while ((t = TAILQ_FIRST(&c->pending)) != NULL) {
        TAILQ_REMOVE(&c->pending, t, link);
        pick_up(c, t);
    }
}

/*
 * evhttp's bufferevent callback, at accept. evhttp sets the socket and its own callbacks right
 * after this returns, so the connection is picked up on this loop turn's next event.
 */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
    struct connlimit *c = arg;
    struct bufferevent *bev = c->make != NULL
                                  ? c->make(base, c->make_arg)
                                  : bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        return NULL;
    /* Stop reading a connection that has this much unread: TCP then pushes back. */
    bufferevent_setwatermark(bev, EV_READ, 0, c->cfg.max_input_bytes);
    struct tracked *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        LOG_WARN("out of memory: a connection goes uncounted");
        return bev;
    }
    t->owner = c;
    t->bev = bev;
    bufferevent_incref(bev);
    TAILQ_INSERT_TAIL(&c->pending, t, link);
    event_active(c->pickup, EV_TIMEOUT, 0);
    return bev;
}

void connlimit_install(struct connlimit *c, struct evhttp *http, connlimit_bev_fn make,
                       void *make_arg)
{
    c->make = make;
    c->make_arg = make_arg;
    evhttp_set_bevcb(http, on_accept, c);
}

/* A linear walk: a few thousand pointers at most, once per request. */
static struct tracked *find(struct connlimit *c, struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct tracked *t;
    TAILQ_FOREACH(t, &c->open, link)
    {
        if (t->conn == conn)
            return t;
    }
    return NULL;
}

void connlimit_request_begin(struct connlimit *c, struct evhttp_request *req)
{
    struct tracked *t = find(c, req);
    if (t == NULL)
        return;
    t->in_flight++;
    evtimer_del(t->deadline);
}

void connlimit_request_done(struct connlimit *c, struct evhttp_request *req)
{
    struct tracked *t = find(c, req);
    if (t == NULL || t->in_flight == 0)
        return;
    if (--t->in_flight == 0)
        arm(t);
}

void connlimit_release(struct connlimit *c, struct evhttp_request *req)
{
    struct tracked *t = find(c, req);
    if (t == NULL)
        return;
    evhttp_connection_set_closecb(t->conn, NULL, NULL);
    TAILQ_REMOVE(&c->open, t, link);
    c->count--;
    tracked_free(t);
}

unsigned connlimit_count(const struct connlimit *c)
{
    return c->count;
}

void connlimit_get_stats(const struct connlimit *c, struct connlimit_stats *out)
{
    *out = c->stats;
}
