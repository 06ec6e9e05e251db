#pragma once
/*
 * tls: HTTPS for the relay's listener with OpenSSL 3 through libevent's bufferevent_openssl.
 *
 * TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only (ECDHE with AES-GCM or
 * ChaCha20-Poly1305), following Mozilla's "intermediate" profile. The certificate and key are
 * PEM files (TLS_CERT may hold the whole chain, as certbot's fullchain.pem does). tls_reload
 * reads them again (on SIGHUP, after a renewal): new connections use the new certificate, open
 * ones (viewers mid-stream) keep theirs and are not dropped.
 */
#include <stddef.h>

struct bufferevent;
struct event_base;
struct tls;

/*
 * Load cert_path and key_path. Returns NULL with err set ("TLS_CERT /path: reason") if they
 * cannot be read, do not match, or on allocation failure.
 */
struct tls *tls_new(const char *cert_path, const char *key_path, char *err, size_t err_size);

/* Free; connections already open keep their own reference to the old context. */
void tls_free(struct tls *t);

/*
 * The bufferevent of a connection just accepted (fd -1: evhttp sets it), speaking TLS as a
 * server with t's current certificate. `t` is the struct tls (void * to fit evhttp_set_bevcb and
 * connlimit_bev_fn); it must outlive the connections. Never NULL: when no TLS state can be
 * made (out of memory) the bufferevent refuses every byte, so the connection fails closed
 * instead of falling back to clear text; NULL only if not even that can be allocated.
 */
struct bufferevent *tls_bufferevent_new(struct event_base *base, void *t);

/* Re-read the files. Returns 0, or -1 with err set and the old certificate still in use. */
int tls_reload(struct tls *t, char *err, size_t err_size);
