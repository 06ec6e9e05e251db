#pragma once
/*
 * http_glue: the few evhttp chores both of lookout-cam's listeners share: binding a port and
 * reporting the port actually bound (port 0 asks the kernel for an ephemeral one), writing a
 * listener's URL, and sending a small complete reply.
 */
#include <stddef.h>
#include <stdint.h>

struct connlimit;
struct event_base;
struct evhttp;
struct evhttp_request;

/* Enough for "http://[" + an IPv6 address + "]:65535/". */
#define HTTP_GLUE_URL_MAX 80

/*
 * The node's request limits on http (headers 8 KiB, body 1 KiB), every method accepted (so the
 * node's own handler answers 405 rather than evhttp's 501), and a connection guard
 * (connlimit.h): a connection must deliver its first request whole within 10 s of accept, at
 * most 64 wait for theirs, and each reads ahead at most 9 KiB. Each handler calls
 * connlimit_release on the returned guard as a request arrives. Returns the guard (the caller
 * frees it after http), or NULL on allocation failure.
 */
struct connlimit *http_glue_configure(struct event_base *base, struct evhttp *http);

/*
 * Listen on addr:port (port 0: ephemeral) and store the port actually bound, read back with
 * getsockname, in *bound_port. Returns 0, or a negative errno (-EADDRINUSE, -EINVAL...).
 */
int http_glue_bind(struct evhttp *http, const char *addr, uint16_t port, uint16_t *bound_port);

/* Write "http://ADDR:PORT/" into out (IPv6 addresses in brackets), truncated to out_size. */
void http_glue_url(char *out, size_t out_size, const char *addr, uint16_t port);

/*
 * Send a complete reply: status (with its standard reason phrase), Content-Type, then
 * body[0..len) copied. Adds "Cache-Control: no-store": nothing lookout-cam serves is cacheable.
 * A failure to build the reply sends a bare 500 instead. The request is done afterwards.
 */
void http_glue_send(struct evhttp_request *req, int status, const char *content_type,
                    const char *body, size_t len);
