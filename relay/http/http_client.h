#pragma once
/*
 * http_client: the relay's outgoing connections to a camera (CAM_URL, SERVO_URL) as evhttp client
 * connections, plain for http:// and TLS for https:// (common/tls_verify.h: the certificate
 * chain against the system's CAs or CAM_CA_FILE, the host name or address checked).
 */
#include <stddef.h>

#include "url.h"

struct evdns_base;
struct event_base;
struct evhttp_connection;
struct http_client;

/*
 * What connects to url (parsed; copied): for https://, a TLS context trusting ca_file (NULL or
 * "": the system's CAs). Returns NULL with a one-line reason in err (naming the CA file).
 */
struct http_client *http_client_new(const struct url_parts *url, const char *ca_file, char *err,
                                    size_t err_size);

/* Free; connections made stay the caller's. NULL is a no-op. */
void http_client_free(struct http_client *c);

/* A new connection to the URL's host and port on base (dns borrowed, may be NULL). The caller
 * frees it (evhttp_connection_free). NULL on failure. */
struct evhttp_connection *http_client_connect(struct http_client *c, struct event_base *base,
                                              struct evdns_base *dns);

/*
 * Why a failed connection's TLS went wrong ("the certificate was refused: ..."), into out;
 * returns 1 if it wrote a reason, 0 for a plain connection or a network error.
 */
int http_client_explain(const struct http_client *c, struct evhttp_connection *conn, char *out,
                        size_t size);
