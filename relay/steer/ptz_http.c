#include "ptz_http.h"
#include "http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ptz_transport.h"
#include "url.h"
#define LOG_TAG "ptz"
#include "log.h"

struct ptz_http {
    struct event_base *base;
    struct evdns_base *dns;
    struct url_parts url;
    struct http_client *client;      /* plain or TLS (https://) connections */
    struct evhttp_connection *conn;  /* of the request in flight, NULL when idle */
    struct evhttp_connection *spent; /* answered, freed by `finish` (see on_reply) */
    int last_error;                  /* enum evhttp_request_error of that request, or -1 */
    struct event *deadline;          /* the whole answer must be in by then */
    struct event *finish;            /* activated by on_reply: frees `spent`, then answers */
    ptz_reply_cb reply;
    void *reply_arg;
    /* The answer on_reply took, delivered by `finish`. */
    int status;
    size_t body_len;
    char body[PTZ_HTTP_REPLY_MAX + 1];
    char reason[200];
};

static void on_error(enum evhttp_request_error error, void *arg)
{
    struct ptz_http *h = arg;
    h->last_error = (int)error;
}

/* The answer to keep for `finish`: status, and the body (200) or a one-line reason. */
static void take_answer(struct ptz_http *h, struct evhttp_request *req)
{
    int code = req ? evhttp_request_get_response_code(req) : 0;
    h->status = 502;
    h->body_len = 0;
    h->reason[0] = '\0';
    char tls_why[160];
    if (code == 0 && http_client_explain(h->client, h->conn, tls_why, sizeof(tls_why))) {
        LOG_WARN("camera control %s: %s", h->url.display, tls_why);
        snprintf(h->reason, sizeof(h->reason),
                 "camera control unreachable (TLS: see the relay's log)");
    } else if (code == 200) {
        ev_ssize_t n =
            evbuffer_copyout(evhttp_request_get_input_buffer(req), h->body, PTZ_HTTP_REPLY_MAX);
        h->body_len = n > 0 ? (size_t)n : 0;
        h->body[h->body_len] = '\0';
        h->status = 200;
    } else if (code == 0 && h->last_error == EVREQ_HTTP_TIMEOUT) {
        h->status = 504;
        snprintf(h->reason, sizeof(h->reason), "camera control did not answer in time");
    } else if (code == 0) {
        /* Refused, reset or unresolvable: libevent 2.1 reports a failed connect with code 0
         * and often no error callback at all. */
        snprintf(h->reason, sizeof(h->reason), "camera control unreachable");
    } else if (code == 401 || code == 403) {
        LOG_WARN("camera control %s refused the relay's credentials (HTTP %d): check the "
                 "user:password in SERVO_URL",
                 h->url.display, code);
        snprintf(h->reason, sizeof(h->reason), "camera control refused the relay's credentials");
    } else {
        LOG_WARN("camera control %s answered HTTP %d", h->url.display, code);
        /* Most often SERVO_URL names the stream's port: the original template has no ":81". */
        snprintf(h->reason, sizeof(h->reason),
                 "camera control refused the move (HTTP %d): check SERVO_URL; the original "
                 "firmware answers /control_servo on port 81, not on the stream's port",
                 code);
    }
}

/*
 * libevent's request callback. The connection is ours to free (it is not marked
 * evhttp_connection_free_on_completion: libevent 2.1 frees such a connection after a reply or
 * an error, but not after a refused or timed-out connect, which leaked it), and it may not be
 * freed inside this callback, which libevent's code for that connection runs. So the answer is
 * kept and `finish` runs once this callback has returned: it frees the connection, then answers.
 * That also keeps ptz_transport's promise that reply never comes before send returns (libevent
 * calls this from inside evhttp_make_request when connecting fails at once).
 */
static void on_reply(struct evhttp_request *req, void *arg)
{
    struct ptz_http *h = arg;
    evtimer_del(h->deadline);
    if (h->conn == NULL)
        return; /* cannot happen: freeing the connection cancels its request */
    take_answer(h, req);
    h->spent = h->conn;
    h->conn = NULL;
    event_active(h->finish, EV_TIMEOUT, 1);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ptz_http *h = arg;
    if (h->spent != NULL)
        evhttp_connection_free(h->spent);
    h->spent = NULL;
    if (h->status == 200)
        h->reply(200, h->body, h->body_len, NULL, h->reply_arg);
    else
        h->reply(h->status, NULL, 0, h->reason, h->reply_arg);
}

/*
 * PTZ_HTTP_TIMEOUT_S after sending, answered or not: libevent's timeout restarts with every
 * byte, so a node trickling its answer held a move (and every move queued behind it) for ever.
 */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ptz_http *h = arg;
    if (h->conn == NULL)
        return;
    evhttp_connection_free(h->conn); /* cancels the request without calling on_reply */
    h->conn = NULL;
    h->reply(504, NULL, 0, "camera control did not answer in time", h->reply_arg);
}

static int http_send(void *impl, const char *query, ptz_reply_cb reply, void *arg)
{
    struct ptz_http *h = impl;
    char target[1200];
    char sep = strchr(h->url.path_query, '?') ? '&' : '?';
    snprintf(target, sizeof(target), "%s%c%s", h->url.path_query, sep, query);
    h->conn = http_client_connect(h->client, h->base, h->dns);
    struct evhttp_request *req = evhttp_request_new(on_reply, h);
    if (h->conn == NULL || req == NULL) {
        if (req != NULL)
            evhttp_request_free(req);
        if (h->conn != NULL)
            evhttp_connection_free(h->conn);
        h->conn = NULL;
        return -ENOMEM;
    }
    h->reply = reply;
    h->reply_arg = arg;
    evhttp_connection_set_timeout(h->conn, PTZ_HTTP_TIMEOUT_S);
    h->last_error = -1;
    evhttp_request_set_error_cb(req, on_error);
    evhttp_connection_set_max_body_size(h->conn, PTZ_HTTP_REPLY_MAX);
    evhttp_connection_set_max_headers_size(h->conn, PTZ_HTTP_HEADERS_MAX);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Host", h->url.host_header);
    evhttp_add_header(out, "Connection", "close");
    if (h->url.authorization[0] != '\0')
        evhttp_add_header(out, "Authorization", h->url.authorization);
    /* One request per connection, freed by on_finish (or on_deadline, or http_free). */
    if (evhttp_make_request(h->conn, req, EVHTTP_REQ_GET, target) < 0 && h->conn != NULL) {
        /* libevent 2.1 never frees the connection here (the request it frees, or leaves
         * behind when a new socket cannot be set up: nothing the caller can reach). */
        evhttp_connection_free(h->conn);
        h->conn = NULL;
        return -EIO;
    }
    if (h->conn != NULL) { /* NULL: on_reply has run already (an immediate failure) */
        struct timeval tv = {.tv_sec = PTZ_HTTP_TIMEOUT_S, .tv_usec = 0};
        evtimer_add(h->deadline, &tv);
    }
    return 0;
}

static const char *http_display(const void *impl)
{
    const struct ptz_http *h = impl;
    return h->url.display;
}

static void http_free(void *impl)
{
    struct ptz_http *h = impl;
    /* Freeing the connection cancels the request without calling on_reply; an answer that
     * `finish` has not delivered yet is dropped with it. */
    if (h->conn != NULL)
        evhttp_connection_free(h->conn);
    if (h->spent != NULL)
        evhttp_connection_free(h->spent);
    if (h->deadline != NULL)
        event_free(h->deadline);
    if (h->finish != NULL)
        event_free(h->finish);
    http_client_free(h->client);
    free(h);
}

static const struct ptz_transport_ops http_ops = {
    .send = http_send,
    .display = http_display,
    .free = http_free,
};

int ptz_http_new(struct event_base *base, struct evdns_base *dns, const char *servo_url,
                 const char *ca_file, struct ptz_transport *out, const char **err)
{
    struct ptz_http *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        *err = "out of memory";
        return -ENOMEM;
    }
    int rc = url_parse(servo_url, &h->url, err);
    if (rc < 0) {
        free(h);
        return rc;
    }
    char cerr[300];
    h->client = http_client_new(&h->url, ca_file, cerr, sizeof(cerr));
    if (h->client == NULL) {
        *err = "cannot load the CA certificates for https:// (CAM_CA_FILE)";
        free(h);
        return -EINVAL;
    }
    h->base = base;
    h->dns = dns;
    h->deadline = evtimer_new(base, on_deadline, h);
    h->finish = evtimer_new(base, on_finish, h);
    if (h->deadline == NULL || h->finish == NULL) {
        *err = "out of memory";
        http_free(h);
        return -ENOMEM;
    }
    out->ops = &http_ops;
    out->impl = h;
    return 0;
}
