#include "webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define LOG_TAG "webhook"
#include "log.h"

#define BACKOFF_MAX_MS 60000
#define REPLY_MAX_BYTES 65536

struct delivery {
    struct webhook *w;
    int is_active;
    struct evbuffer *body;
    char what[64]; /* "event 42 start", for the log */
    unsigned tries;
    unsigned delay_ms;
    struct event *timer;
    struct evhttp_connection *conn; /* while a try is under way */
    char reason[160];               /* why the try failed, if known before the reply callback */
};

struct webhook {
    struct event_base *base;
    struct evdns_base *dns;
    SSL_CTX *ssl_ctx; /* https only */
    char host[256];
    uint16_t port;
    char host_header[280];
    char target[1024];       /* path and query the POST goes to */
    char display[600];       /* scheme://host:port/path, no query: safe to log */
    char authorization[400]; /* from user:password@ in the URL, or "" */
    char ntfy_topic[128];
    char public_url[512];
    enum webhook_format format;
    unsigned timeout_ms;
    unsigned retries;
    unsigned backoff_ms;
    struct delivery slots[WEBHOOK_MAX_PENDING];
    struct webhook_stats stats;
};

static int is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void finish(struct delivery *d)
{
    if (d->timer != NULL)
        event_free(d->timer);
    if (d->body != NULL)
        evbuffer_free(d->body);
    memset(d, 0, sizeof(*d));
}

static void try_send(struct delivery *d);

/* A try failed: again after the backoff while tries remain, else drop it with a log line. */
static void failed(struct delivery *d, const char *reason)
{
    struct webhook *w = d->w;
    if (d->tries <= w->retries) {
        w->stats.retried++;
        LOG_WARN("%s: %s: %s; try %u of %u in %u ms", w->display, d->what, reason, d->tries + 1,
                 w->retries + 1, d->delay_ms);
        struct timeval tv = {.tv_sec = d->delay_ms / 1000, .tv_usec = (d->delay_ms % 1000) * 1000};
        evtimer_add(d->timer, &tv);
        d->delay_ms = d->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->delay_ms * 2;
        return;
    }
    w->stats.dropped++;
    LOG_WARN("%s: %s: %s; dropped after %u tries", w->display, d->what, reason, d->tries);
    finish(d);
}

static void on_error(enum evhttp_request_error error, void *arg)
{
    struct delivery *d = arg;
    if (error == EVREQ_HTTP_TIMEOUT) {
        snprintf(d->reason, sizeof(d->reason), "no answer within %u ms", d->w->timeout_ms);
        return;
    }
    struct bufferevent *bev = d->conn != NULL ? evhttp_connection_get_bufferevent(d->conn) : NULL;
    unsigned long e = bev != NULL && d->w->ssl_ctx != NULL ? bufferevent_get_openssl_error(bev) : 0;
    if (e != 0) {
        char text[128];
        ERR_error_string_n(e, text, sizeof(text));
        snprintf(d->reason, sizeof(d->reason), "TLS: %s", text);
    }
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct delivery *d = arg;
    d->conn = NULL; /* libevent frees it once this returns (free_on_completion) */
    int code = req != NULL ? evhttp_request_get_response_code(req) : 0;
    if (code >= 200 && code < 300) {
        d->w->stats.delivered++;
        LOG_INFO("%s: %s delivered (HTTP %d, try %u)", d->w->display, d->what, code, d->tries);
        finish(d);
        return;
    }
    char reason[200];
    if (code != 0)
        snprintf(reason, sizeof(reason), "answered HTTP %d", code);
    else
        snprintf(reason, sizeof(reason), "%s",
                 d->reason[0] != '\0' ? d->reason : "cannot connect or no answer");
    failed(d, reason);
}

static struct bufferevent *tls_bufferevent(struct webhook *w)
{
    SSL *ssl = SSL_new(w->ssl_ctx);
    if (ssl == NULL)
        return NULL;
    /* The host name is checked by OpenSSL during the handshake (RFC 6125), and sent as SNI. */
    int ok = is_ip(w->host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), w->host)
                            : SSL_set1_host(ssl, w->host) && SSL_set_tlsext_host_name(ssl, w->host);
    struct bufferevent *bev =
        ok ? bufferevent_openssl_socket_new(w->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                            BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
           : NULL;
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static void try_send(struct delivery *d)
{
    struct webhook *w = d->w;
    d->tries++;
    d->reason[0] = '\0';
    struct bufferevent *bev = w->ssl_ctx != NULL ? tls_bufferevent(w) : NULL;
    if (w->ssl_ctx != NULL && bev == NULL) {
        failed(d, "cannot set up TLS");
        return;
    }
    d->conn = evhttp_connection_base_bufferevent_new(w->base, w->dns, bev, w->host, w->port);
    struct evhttp_request *req = d->conn != NULL ? evhttp_request_new(on_reply, d) : NULL;
    if (req == NULL) {
        if (d->conn != NULL)
            evhttp_connection_free(d->conn);
        else if (bev != NULL)
            bufferevent_free(bev);
        d->conn = NULL;
        failed(d, "out of memory");
        return;
    }
    struct timeval tv = {.tv_sec = w->timeout_ms / 1000, .tv_usec = (w->timeout_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(d->conn, &tv);
    evhttp_connection_set_max_body_size(d->conn, REPLY_MAX_BYTES);
    evhttp_request_set_error_cb(req, on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", w->host_header);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "User-Agent", "Lookout");
    evhttp_add_header(h, "Connection", "close");
    if (w->authorization[0] != '\0')
        evhttp_add_header(h, "Authorization", w->authorization);
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    evbuffer_add(out, evbuffer_pullup(d->body, -1), evbuffer_get_length(d->body));
    evhttp_connection_free_on_completion(d->conn);
    if (evhttp_make_request(d->conn, req, EVHTTP_REQ_POST, w->target) < 0) {
        d->conn = NULL;
        failed(d, "cannot send the request");
    }
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    try_send(arg);
}

int webhook_send(struct webhook *w, const struct event_info *ev)
{
    struct delivery *d = NULL;
    for (size_t i = 0; i < WEBHOOK_MAX_PENDING && d == NULL; i++) {
        if (!w->slots[i].is_active)
            d = &w->slots[i];
    }
    if (d == NULL) {
        w->stats.dropped++;
        LOG_WARN("%s: %d deliveries under way already; event %lld dropped", w->display,
                 WEBHOOK_MAX_PENDING, (long long)ev->id);
        return -ENOBUFS;
    }
    d->w = w;
    d->body = evbuffer_new();
    d->timer = evtimer_new(w->base, on_retry, d);
    if (d->body == NULL || d->timer == NULL ||
        webhook_body(d->body, w->format, ev, w->public_url, w->ntfy_topic) < 0) {
        finish(d);
        return -ENOMEM;
    }
    d->is_active = 1;
    d->delay_ms = w->backoff_ms;
    snprintf(d->what, sizeof(d->what), "camera %.20s event %lld %s", ev->camera, (long long)ev->id,
             ev->phase == EVENT_START ? "start" : "end");
    try_send(d);
    return 0;
}

/* user:password@ in the URL becomes a Basic Authorization header (RFC 7617), as curl does. */
static int set_authorization(struct webhook *w, const char *userinfo)
{
    if (userinfo == NULL || userinfo[0] == '\0')
        return 0;
    unsigned char b64[300];
    size_t n = strlen(userinfo);
    if (n > 200)
        return -EINVAL;
    EVP_EncodeBlock(b64, (const unsigned char *)userinfo, (int)n);
    snprintf(w->authorization, sizeof(w->authorization), "Basic %s", (const char *)b64);
    return 0;
}

/* For ntfy, WEBHOOK_URL names the topic (https://ntfy.sh/mytopic); JSON goes to the root. */
static int split_ntfy(struct webhook *w, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *topic = slash != NULL ? slash + 1 : path;
    if (topic[0] == '\0' || strlen(topic) >= sizeof(w->ntfy_topic))
        return -EINVAL;
    snprintf(w->ntfy_topic, sizeof(w->ntfy_topic), "%s", topic);
    snprintf(w->target, sizeof(w->target), "%.*s/", (int)(slash != NULL ? slash - path : 0), path);
    return 0;
}

static int parse_url(struct webhook *w, const char *url, const char **err)
{
    struct evhttp_uri *uri = evhttp_uri_parse_with_flags(url, 0);
    const char *scheme = uri != NULL ? evhttp_uri_get_scheme(uri) : NULL;
    const char *host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
    int is_https = scheme != NULL && strcmp(scheme, "https") == 0;
    if (uri == NULL || scheme == NULL || (!is_https && strcmp(scheme, "http") != 0) ||
        host == NULL || host[0] == '\0' || strlen(host) >= sizeof(w->host)) {
        *err = "expected http://HOST[:PORT]/PATH or https://...";
        if (uri != NULL)
            evhttp_uri_free(uri);
        return -EINVAL;
    }
    int port = evhttp_uri_get_port(uri);
    w->port = (uint16_t)(port > 0 ? port : is_https ? 443 : 80);
    snprintf(w->host, sizeof(w->host), "%s", host);
    const char *path = evhttp_uri_get_path(uri);
    const char *query = evhttp_uri_get_query(uri);
    path = path != NULL && path[0] != '\0' ? path : "/";
    int is_v6 = strchr(host, ':') != NULL;
    const char *open = is_v6 ? "[" : "", *close = is_v6 ? "]" : "";
    if (port > 0)
        snprintf(w->host_header, sizeof(w->host_header), "%s%s%s:%d", open, host, close, port);
    else
        snprintf(w->host_header, sizeof(w->host_header), "%s%s%s", open, host, close);
    snprintf(w->display, sizeof(w->display), "%s://%s%s%s:%u%.300s", scheme, open, host, close,
             (unsigned)w->port, path);
    snprintf(w->target, sizeof(w->target), "%s%s%s", path, query ? "?" : "", query ? query : "");
    int rc = set_authorization(w, evhttp_uri_get_userinfo(uri));
    if (rc == 0 && w->format == WEBHOOK_NTFY)
        rc = split_ntfy(w, path);
    evhttp_uri_free(uri);
    if (rc < 0)
        *err = w->format == WEBHOOK_NTFY ? "for ntfy, the URL ends with the topic: "
                                           "https://ntfy.sh/TOPIC"
                                         : "user:password in the URL is too long";
    if (rc == 0 && is_https) {
        w->ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (w->ssl_ctx == NULL) {
            *err = "out of memory";
            return -ENOMEM;
        }
        SSL_CTX_set_min_proto_version(w->ssl_ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(w->ssl_ctx, SSL_VERIFY_PEER, NULL);
    }
    return rc;
}

struct webhook *webhook_new(struct event_base *base, const struct webhook_config *cfg,
                            const char **err)
{
    struct webhook *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        *err = "out of memory";
        return NULL;
    }
    w->base = base;
    w->dns = cfg->dns;
    w->format = cfg->format;
    w->timeout_ms = cfg->timeout_ms;
    w->retries = cfg->retries;
    w->backoff_ms = cfg->backoff_ms;
    snprintf(w->public_url, sizeof(w->public_url), "%s", cfg->public_url ? cfg->public_url : "");
    if (parse_url(w, cfg->url, err) < 0) {
        webhook_free(w);
        return NULL;
    }
    if (w->ssl_ctx != NULL) {
        int ok = cfg->ca_file != NULL && cfg->ca_file[0] != '\0'
                     ? SSL_CTX_load_verify_locations(w->ssl_ctx, cfg->ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(w->ssl_ctx);
        if (ok != 1) {
            *err = "cannot read WEBHOOK_CA_FILE (PEM certificates expected)";
            webhook_free(w);
            return NULL;
        }
    }
    return w;
}

void webhook_free(struct webhook *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < WEBHOOK_MAX_PENDING; i++) {
        struct delivery *d = &w->slots[i];
        if (!d->is_active)
            continue;
        if (d->conn != NULL)
            evhttp_connection_free(d->conn); /* cancels the request without a callback */
        finish(d);
    }
    SSL_CTX_free(w->ssl_ctx);
    free(w);
}

void webhook_get_stats(const struct webhook *w, struct webhook_stats *out)
{
    *out = w->stats;
}
