#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"     \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls {
    SSL_CTX *ctx;
    char cert_path[1024];
    char key_path[1024];
};

static void openssl_error(char *err, size_t err_size, const char *what, const char *path)
{
    char detail[256] = "unknown error";
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    snprintf(err, err_size, "%s %s: %s", what, path, detail);
}

static SSL_CTX *make_ctx(const struct tls *t, char *err, size_t err_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        snprintf(err, err_size, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
        openssl_error(err, err_size, "cipher list", "");
    } else if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_path) != 1) {
        openssl_error(err, err_size, "TLS_CERT", t->cert_path);
    } else if (SSL_CTX_use_PrivateKey_file(ctx, t->key_path, SSL_FILETYPE_PEM) != 1) {
        openssl_error(err, err_size, "TLS_KEY", t->key_path);
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        openssl_error(err, err_size, "TLS_KEY does not match TLS_CERT", t->key_path);
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

struct tls *tls_new(const char *cert_path, const char *key_path, char *err, size_t err_size)
{
    struct tls *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    snprintf(t->cert_path, sizeof(t->cert_path), "%s", cert_path);
    snprintf(t->key_path, sizeof(t->key_path), "%s", key_path);
    t->ctx = make_ctx(t, err, err_size);
    if (t->ctx == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void tls_free(struct tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

int tls_reload(struct tls *t, char *err, size_t err_size)
{
    SSL_CTX *ctx = make_ctx(t, err, err_size);
    if (ctx == NULL)
        return -1;
    /* Each open connection's SSL holds a reference to the context it was made with. */
    SSL_CTX_free(t->ctx);
    t->ctx = ctx;
    return 0;
}

static enum bufferevent_filter_result refuse_all(struct evbuffer *src, struct evbuffer *dst,
                                                 ev_ssize_t limit, enum bufferevent_flush_mode mode,
                                                 void *ctx)
{
    (void)src;
    (void)dst;
    (void)limit;
    (void)mode;
    (void)ctx;
    return BEV_ERROR;
}

/*
 * Returning NULL would make libevent fall back to a plain socket, answering in clear text on
 * the HTTPS port. When no TLS state can be had (out of memory), hand back a bufferevent whose
 * filter refuses every byte instead: the connection fails closed.
 */
static struct bufferevent *refusing_bufferevent(struct event_base *base)
{
    struct bufferevent *under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (under == NULL)
        return NULL;
    struct bufferevent *bev =
        bufferevent_filter_new(under, refuse_all, refuse_all, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
    if (bev == NULL)
        bufferevent_free(under);
    return bev;
}

struct bufferevent *tls_bufferevent_new(struct event_base *base, void *arg)
{
    struct tls *t = arg;
    SSL *ssl = SSL_new(t->ctx);
    if (ssl == NULL)
        return refusing_bufferevent(base);
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (bev == NULL) {
        SSL_free(ssl);
        return refusing_bufferevent(base);
    }
    /* Browsers and players often just close the socket; that is not an error worth a log. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}
