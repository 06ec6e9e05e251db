#include "control.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock_ms.h"
#include "basic_auth.h"
#include "connlimit.h"
#include "http_glue.h"
#include "node.h"

#define LOG_TAG "control"
#include "log.h"

/* Control requests are one short line; bound everything else. */

struct control {
    struct evhttp *http;
    const struct basic_auth *auth; /* --auth-file, or NULL */
    struct connlimit *guard;       /* freed after http */
    struct node *node;
    control_facts_cb facts_cb;
    void *facts_arg;
    uint16_t port;
    control_sim_cb sim_cb;
    void *sim_arg;
};

void control_set_sim(struct control *c, control_sim_cb cb, void *arg)
{
    c->sim_cb = cb;
    c->sim_arg = arg;
}

/* POST /sim/...: the simulator's scene controls. Returns 1 if it answered. */
static int sim_route(struct control *c, struct evhttp_request *req, const char *path,
                     const char *query)
{
    if (c->sim_cb == NULL || strncmp(path, "/sim/", 5) != 0)
        return 0;
    char body[256];
    int status;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        status = 405;
        snprintf(body, sizeof(body), "method not allowed: use POST\n");
    } else {
        status = c->sim_cb(path, query, body, sizeof(body), c->sim_arg);
    }
    LOG_INFO("sim %s%s%s: %d", path, query ? "?" : "", query ? query : "", status);
    http_glue_send(req, status, "text/plain", body, strlen(body));
    return 1;
}

void control_handle_request(struct evhttp_request *req, void *arg)
{
    struct control *c = arg;
    if (!basic_auth_admit(c->auth, req))
        return;
    connlimit_release(c->guard, req); /* arrived whole in time: ours from here on */
    bool is_get = evhttp_request_get_command(req) == EVHTTP_REQ_GET;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = evhttp_uri_get_path(uri);
    const char *query = evhttp_uri_get_query(uri);
    if (path == NULL || path[0] == '\0')
        path = "/";
    if (sim_route(c, req, path, query))
        return;

    struct node_facts facts;
    memset(&facts, 0, sizeof(facts));
    if (is_get && strcmp(path, "/status") == 0)
        c->facts_cb(&facts, c->facts_arg);

    char body[NODE_BODY_MAX];
    struct node_reply reply;
    node_handle(c->node, is_get, path, query, clock_ms_now(), &facts, body, sizeof(body), &reply);
    if (reply.status == 405)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
    if (strcmp(path, "/control_servo") == 0 && is_get) {
        /* One line per move; a 400 body is already one line ending in '\n'. */
        if (reply.status == 200)
            LOG_INFO("move %s: pan -> %d, tilt -> %d", query ? query : "", node_pan_deg(c->node),
                     node_tilt_deg(c->node));
        else
            LOG_INFO("move rejected (%d): %.*s", reply.status,
                     (int)(reply.body_len > 0 ? reply.body_len - 1 : 0), body);
    }
    http_glue_send(req, reply.status, reply.content_type, body, reply.body_len);
}

struct control *control_new(struct event_base *base, const char *addr, uint16_t port,
                            struct node *node, control_facts_cb facts_cb, void *facts_arg)
{
    struct control *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->node = node;
    c->facts_cb = facts_cb;
    c->facts_arg = facts_arg;
    c->http = evhttp_new(base);
    if (c->http == NULL) {
        LOG_ERROR("out of memory");
        control_free(c);
        return NULL;
    }
    c->guard = http_glue_configure(base, c->http);
    if (c->guard == NULL) {
        LOG_ERROR("out of memory");
        control_free(c);
        return NULL;
    }
    evhttp_set_gencb(c->http, control_handle_request, c);
    int rc = http_glue_bind(c->http, addr, port, &c->port);
    if (rc < 0) {
        LOG_ERROR("cannot listen on %s port %u: %s", addr, (unsigned)port, strerror(-rc));
        control_free(c);
        return NULL;
    }
    char url[HTTP_GLUE_URL_MAX];
    http_glue_url(url, sizeof(url), addr, c->port);
    LOG_INFO("control listening on %s", url);
    return c;
}

void control_free(struct control *c)
{
    if (c == NULL)
        return;
    if (c->http != NULL)
        evhttp_free(c->http);
    connlimit_free(c->guard); /* after evhttp_free: closing connections update it */
    free(c);
}

uint16_t control_port(const struct control *c)
{
    return c->port;
}

void control_set_auth(struct control *c, const struct basic_auth *auth)
{
    c->auth = auth;
}
