#include "bench_move.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define URL_MAX 1024

struct bench_mover {
    struct evhttp_connection *conn;
    struct event *timer; /* every period_s */
    struct event *start; /* the first move */
    double period_s;
    char host_header[300];
    char path_prefix[URL_MAX];
    char authorization[512];
    int is_post;
    int pan_deg[2];
    struct bench_move_state state;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct bench_mover *m = arg;
    if (req == NULL || evhttp_request_get_response_code(req) != 200)
        m->state.failed++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct bench_mover *m = arg;
    int deg = m->pan_deg[m->state.id % 2 == 0 ? 1 : 0];
    char path[URL_MAX + 16];
    snprintf(path, sizeof(path), "%s%d", m->path_prefix, deg);
    struct evhttp_request *req = evhttp_request_new(on_reply, m);
    if (req == NULL) {
        m->state.failed++;
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", m->host_header);
    if (m->authorization[0] != '\0')
        evhttp_add_header(h, "Authorization", m->authorization);
    m->state.sent_us = mono_us();
    m->state.pan_mdeg = deg * 1000;
    m->state.id++;
    if (evhttp_make_request(m->conn, req, m->is_post ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, path) < 0)
        m->state.failed++;
}

static struct timeval tv_from_s(double s)
{
    return (struct timeval){.tv_sec = (time_t)s,
                            .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6)};
}

/* The first move: then one every period. */
static void on_start(evutil_socket_t fd, short what, void *arg)
{
    struct bench_mover *m = arg;
    struct timeval period = tv_from_s(m->period_s);
    on_tick(fd, what, m);
    if (event_add(m->timer, &period) < 0)
        m->state.failed++;
}

struct bench_mover *bench_mover_new(struct event_base *base, const char *url_prefix, int is_post,
                                    const char *authorization, double first_delay_s,
                                    double period_s, int pan_a_deg, int pan_b_deg)
{
    struct evhttp_uri *uri = evhttp_uri_parse(url_prefix);
    if (uri == NULL || evhttp_uri_get_host(uri) == NULL || strlen(url_prefix) >= URL_MAX ||
        period_s <= 0) {
        if (uri != NULL)
            evhttp_uri_free(uri);
        return NULL;
    }
    struct bench_mover *m = calloc(1, sizeof(*m));
    int port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
    if (m != NULL) {
        const char *p = evhttp_uri_get_path(uri), *q = evhttp_uri_get_query(uri);
        snprintf(m->path_prefix, sizeof(m->path_prefix), "%s%s%s", (p && *p) ? p : "/",
                 q ? "?" : "", q ? q : "");
        snprintf(m->host_header, sizeof(m->host_header), "%s:%d", evhttp_uri_get_host(uri), port);
        snprintf(m->authorization, sizeof(m->authorization), "%s",
                 authorization ? authorization : "");
        m->is_post = is_post;
        m->period_s = period_s;
        m->pan_deg[0] = pan_a_deg;
        m->pan_deg[1] = pan_b_deg;
        m->conn = evhttp_connection_base_new(base, NULL, evhttp_uri_get_host(uri), (uint16_t)port);
        m->timer = event_new(base, -1, EV_PERSIST, on_tick, m);
        m->start = evtimer_new(base, on_start, m);
    }
    evhttp_uri_free(uri);
    struct timeval first = tv_from_s(first_delay_s);
    if (m == NULL || m->conn == NULL || m->timer == NULL || m->start == NULL ||
        evtimer_add(m->start, &first) < 0) {
        bench_mover_free(m);
        return NULL;
    }
    return m;
}

const struct bench_move_state *bench_mover_state(const struct bench_mover *m)
{
    return &m->state;
}

void bench_mover_free(struct bench_mover *m)
{
    if (m == NULL)
        return;
    if (m->timer != NULL)
        event_free(m->timer);
    if (m->start != NULL)
        event_free(m->start);
    if (m->conn != NULL)
        evhttp_connection_free(m->conn);
    free(m);
}
