#include "connlimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>

struct tracked {
    TAILQ_ENTRY(tracked) link;
    struct connlimit *owner;
    struct evhttp_connection *conn;
    char address[48];
};

struct connlimit {
    unsigned max_total;
    unsigned max_per_address;
    unsigned count;
    TAILQ_HEAD(tracked_list, tracked) list;
};

struct connlimit *connlimit_new(unsigned max_total, unsigned max_per_address)
{
    struct connlimit *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->max_total = max_total;
    c->max_per_address = max_per_address;
    TAILQ_INIT(&c->list);
    return c;
}

void connlimit_free(struct connlimit *c)
{
    if (c == NULL)
        return;
    struct tracked *t;
    while ((t = TAILQ_FIRST(&c->list)) != NULL) {
        TAILQ_REMOVE(&c->list, t, link);
        free(t);
    }
    free(c);
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct tracked *t = arg;
    TAILQ_REMOVE(&t->owner->list, t, link);
    t->owner->count--;
    free(t);
}

int connlimit_admit(struct connlimit *c, struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(conn, &addr, &port);
    if (addr == NULL)
        addr = "?";
    /* A linear walk: a few thousand pointers at most, once per request. */
    unsigned same = 0;
    struct tracked *t;
    TAILQ_FOREACH(t, &c->list, link)
    {
        if (t->conn == conn)
            return 0; /* a further request on a kept-alive connection */
        if (strcmp(t->address, addr) == 0)
            same++;
    }
    if (c->count >= c->max_total)
        return -EBUSY;
    if (c->max_per_address > 0 && same >= c->max_per_address)
        return -EUSERS;
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    t->owner = c;
    t->conn = conn;
    snprintf(t->address, sizeof(t->address), "%s", addr);
    TAILQ_INSERT_TAIL(&c->list, t, link);
    c->count++;
    evhttp_connection_set_closecb(conn, on_close, t);
    return 0;
}

unsigned connlimit_count(const struct connlimit *c)
{
    return c->count;
}
