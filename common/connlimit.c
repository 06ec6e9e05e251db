#include "connlimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

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

struct connlimit {
    struct event_base *base;
    struct connlimit_config cfg;
    connlimit_bev_fn make;
    void *make_arg;
    unsigned count;
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

/*
 * Over a cap, at accept: a plain-HTTP client gets a 503 it can read. What it already sent is
 * read first, so that closing sends FIN rather than RST (which could discard the answer).
 */
static void refuse_plain(evutil_socket_t fd, const char *reason)
{
    char msg[320];
    int n = snprintf(msg, sizeof(msg),
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n"
                     "\r\n%s\n",
                     strlen(reason) + 1, reason);
    if (n > 0 && (size_t)n < sizeof(msg) &&
        send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        LOG_DEBUG("503 not sent: %s", strerror(errno));
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
        ;
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
        if (c->make == NULL)
            refuse_plain(fd, reason != NULL ? reason : "out of memory");
        tracked_free(t);
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
