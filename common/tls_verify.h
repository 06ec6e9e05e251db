#pragma once
/*
 * tls_verify: the client side of TLS for connections Lookout makes (lookout-cam dialing its
 * relay, the relay pulling an https:// CAM_URL or SERVO_URL): OpenSSL 3 with the peer's
 * certificate chain verified against the system's CAs or a CA file, and its name or IP address
 * checked (RFC 6125), over libevent's bufferevent_openssl. Never "accept anything".
 */
#include <stddef.h>

#include <openssl/ssl.h>

struct bufferevent;

/*
 * A client context: TLS 1.2 or later, peers verified against ca_file (PEM; NULL or "": the
 * system's CAs). The caller frees it with SSL_CTX_free. Returns NULL with a one-line reason in
 * err (naming the file) on failure.
 */
SSL_CTX *tls_verify_ctx_new(const char *ca_file, char *err, size_t err_size);

/*
 * An SSL for one connection to host (a name, or an IP address literal without brackets): SNI
 * for a name, and the certificate must name host (or hold its address). The caller owns it
 * (bufferevent_openssl_socket_new with BEV_OPT_CLOSE_ON_FREE takes it). NULL on failure.
 */
SSL *tls_verify_ssl_new(SSL_CTX *ctx, const char *host);

/*
 * Why the TLS connection of bev (a bufferevent_openssl) failed, into out: "the certificate was
 * refused: <OpenSSL's reason>" or "TLS failed: <error>"; out is left alone if TLS said nothing
 * (a plain network error). Clears OpenSSL's error queue. Returns 1 if it wrote a reason.
 */
int tls_verify_explain(struct bufferevent *bev, char *out, size_t size);

/* 1 if host is an IPv4 or IPv6 address literal (no brackets), 0 for a name. */
int tls_verify_is_address(const char *host);
