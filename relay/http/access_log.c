#include "access_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "peer.h"

#define LOG_TAG "access"
#include "log.h"

/*
 * Where a request's start time waits for its completion. evhttp frees a request without
 * telling us when its client leaves early or the hub takes its connection over, so a
 * per-request allocation would leak; a ring of slots cannot. A slot reused before its request
 * completed costs that request its duration, nothing else.
 */
struct slot {
    struct access_log *log;
    const struct evhttp_request *req; /* NULL: free */
    int64_t start_us;
};

struct access_log {
    struct slot slots[ACCESS_LOG_SLOTS];
    unsigned next;
    struct access_log_stats stats;
    access_log_done_fn on_done;
    void *on_done_arg;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct access_log *access_log_new(void)
{
    struct access_log *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    for (unsigned i = 0; i < ACCESS_LOG_SLOTS; i++)
        a->slots[i].log = a;
    return a;
}

void access_log_free(struct access_log *a)
{
    free(a);
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "?";
}

/* The path as sent, without the query, printable ASCII only: a log line is one line. */
static void loggable_path(struct evhttp_request *req, char *out, size_t out_size)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path == NULL || path[0] == '\0')
        path = "/";
    /* A guest link's path is its credential (/s/TOKEN): only its prefix is logged. */
    if (strncmp(path, "/s/", 3) == 0)
        path = "/s/...";
    size_t n = 0;
    for (; path[n] != '\0' && n + 1 < out_size && n < ACCESS_LOG_MAX_PATH; n++) {
        unsigned char c = (unsigned char)path[n];
        out[n] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
}

static const char *client_address(struct evhttp_request *req, char *out, size_t out_size)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    return conn != NULL ? peer_address(conn, out, out_size) : "-";
}

static void count(struct access_log *a, int status)
{
    unsigned cls = (status >= 100 && status < 600) ? (unsigned)status / 100 : 0;
    a->stats.responses[cls]++;
    if (status == 401)
        a->stats.unauthorized++;
}

static void on_complete(struct evhttp_request *req, void *arg)
{
    struct slot *slot = arg;
    struct access_log *a = slot->log;
    int64_t duration_ms = -1;
    if (slot->req == req) {
        duration_ms = (now_us() - slot->start_us) / 1000;
        slot->req = NULL;
    }
    int status = evhttp_request_get_response_code(req);
    count(a, status);
    if (a->on_done != NULL)
        a->on_done(req, a->on_done_arg);
    if (LOG_LEVEL_INFO > log_current_level)
        return;
    /* evhttp sets Content-Length on every reply it frames itself (all but chunked ones). */
    const char *length =
        evhttp_find_header(evhttp_request_get_output_headers(req), "Content-Length");
    char path[ACCESS_LOG_MAX_PATH + 1];
    loggable_path(req, path, sizeof(path));
    char duration[24] = "-";
    if (duration_ms >= 0)
        snprintf(duration, sizeof(duration), "%lldms", (long long)duration_ms);
    char address[PEER_ADDRESS_MAX];
    LOG_INFO("%s %s %s %d %s%s %s", client_address(req, address, sizeof(address)),
             method_name(evhttp_request_get_command(req)), path, status,
             length != NULL ? length : "-", length != NULL ? "B" : "", duration);
}

void access_log_begin(struct access_log *a, struct evhttp_request *req)
{
    struct slot *slot = &a->slots[a->next];
    a->next = (a->next + 1) % ACCESS_LOG_SLOTS;
    slot->req = req;
    slot->start_us = now_us();
    evhttp_request_set_on_complete_cb(req, on_complete, slot);
}

void access_log_stream_begin(struct access_log_stream *out, struct evhttp_request *req)
{
    client_address(req, out->address, sizeof(out->address));
    out->method = method_name(evhttp_request_get_command(req));
    loggable_path(req, out->path, sizeof(out->path));
}

void access_log_stream_end(struct access_log *a, const struct access_log_stream *stream)
{
    /* Its slot is simply left to be reused: evhttp will never complete this request. */
    count(a, 200);
    a->stats.streams++;
    LOG_INFO("%s %s %s 200 stream", stream->address, stream->method, stream->path);
}

void access_log_link_end(struct access_log *a, const struct access_log_stream *stream)
{
    count(a, 101);
    LOG_INFO("%s %s %s 101 node link", stream->address, stream->method, stream->path);
}

void access_log_set_done_cb(struct access_log *a, access_log_done_fn fn, void *arg)
{
    a->on_done = fn;
    a->on_done_arg = arg;
}

void access_log_get_stats(const struct access_log *a, struct access_log_stats *out)
{
    *out = a->stats;
}
