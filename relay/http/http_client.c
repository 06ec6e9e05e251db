#include "http_client.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>

#include "tls_verify.h"

struct http_client {
    struct url_parts url;
    SSL_CTX *ssl_ctx; /* NULL for http:// */
};

struct http_client *http_client_new(const struct url_parts *url, const char *ca_file, char *err,
                                    size_t err_size)
{
    struct http_client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    c->url = *url;
    if (url->is_https && (c->ssl_ctx = tls_verify_ctx_new(ca_file, err, err_size)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    if (c->ssl_ctx != NULL)
        SSL_CTX_free(c->ssl_ctx);
    free(c);
}

struct evhttp_connection *http_client_connect(struct http_client *c, struct event_base *base,
                                              struct evdns_base *dns)
{
    if (c->ssl_ctx == NULL)
        return evhttp_connection_base_new(base, dns, c->url.host, c->url.port);
    SSL *ssl = tls_verify_ssl_new(c->ssl_ctx, c->url.host);
    if (ssl == NULL)
        return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    /* A server that closes without close_notify is common for HTTP; the body length decides. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    struct evhttp_connection *conn =
        evhttp_connection_base_bufferevent_new(base, dns, bev, c->url.host, c->url.port);
    if (conn == NULL)
        bufferevent_free(bev);
    return conn;
}

int http_client_explain(const struct http_client *c, struct evhttp_connection *conn, char *out,
                        size_t size)
{
    if (c->ssl_ctx == NULL || conn == NULL)
        return 0;
    return tls_verify_explain(evhttp_connection_get_bufferevent(conn), out, size);
}
