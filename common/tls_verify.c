#include "tls_verify.h"

#include <arpa/inet.h>
#include <stdio.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

SSL_CTX *tls_verify_ctx_new(const char *ca_file, char *err, size_t err_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, err_size, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int has_file = ca_file != NULL && ca_file[0] != '\0';
    int ok = has_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                      : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        if (has_file)
            snprintf(err, err_size, "cannot load CA certificates from %s", ca_file);
        else
            snprintf(err, err_size, "cannot load the system's CA certificates");
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int tls_verify_is_address(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

SSL *tls_verify_ssl_new(SSL_CTX *ctx, const char *host)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    /* An address is checked against the certificate's IP entries; a name gets SNI and is
     * checked against its DNS names (RFC 6125). */
    int ok = tls_verify_is_address(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1
                                         : SSL_set_tlsext_host_name(ssl, host) == 1 &&
                                               X509_VERIFY_PARAM_set1_host(param, host, 0) == 1;
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

int tls_verify_explain(struct bufferevent *bev, char *out, size_t size)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    long verify = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
    unsigned long e = bufferevent_get_openssl_error(bev);
    int wrote = 0;
    if (verify != X509_V_OK) {
        snprintf(out, size, "the certificate was refused: %s",
                 X509_verify_cert_error_string(verify));
        wrote = 1;
    } else if (e != 0) {
        char text[160];
        ERR_error_string_n(e, text, sizeof(text));
        snprintf(out, size, "TLS failed: %s", text);
        wrote = 1;
    }
    ERR_clear_error();
    return wrote;
}
