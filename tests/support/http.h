#pragma once
/*
 * http: a small blocking HTTP/1.1 client for integration tests.
 *
 * Loopback only (127.0.0.1), one request per connection ("Connection: close"). Every call takes
 * a timeout and never blocks longer: the socket is non-blocking and every wait is a poll().
 * Response bodies are decoded from Content-Length, chunked transfer coding, or read to close.
 * Not thread-safe per connection; separate connections are independent.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest body ts_http_request accepts; more is -EFBIG. */
#define TS_HTTP_MAX_BODY (8u * 1024u * 1024u)
/* Largest status line plus headers of a response; more is -EMSGSIZE. */
#define TS_HTTP_MAX_HEAD 32768

/* A complete response. Plain value type filled by ts_http_request; release with _deinit. */
struct ts_http_response {
    int status;      /* 200, 401, ... */
    char *head;      /* owned: status line and header lines as received, NUL-terminated */
    uint8_t *body;   /* owned: decoded body plus a NUL after it (so JSON can be strstr'ed) */
    size_t body_len; /* without that NUL */
};

/* An open request whose body is read piece by piece (streams). Opaque. */
struct ts_http_conn;

/*
 * Connect to 127.0.0.1:port, send `method path` with `extra_headers` (NULL, or complete header
 * lines each ending in "\r\n", copied as is) and `body` (NULL for none; POST/PUT without a body
 * send "Content-Length: 0"), then read the status line and headers. All within timeout_ms.
 * On success stores a new connection in *out (free with ts_http_conn_free) and returns 0.
 * Returns -ETIMEDOUT, -ECONNREFUSED and other socket errors, -EMSGSIZE for oversized headers,
 * -EPROTO for a malformed response.
 */
int ts_http_conn_open(uint16_t port, const char *method, const char *path,
                      const char *extra_headers, const char *body, int timeout_ms,
                      struct ts_http_conn **out);

/* As ts_http_conn_open, from the loopback address src (e.g. "127.0.0.9"; NULL: the default):
 * a client of its own for the relay's per-address limits. -EINVAL for a bad src. */
int ts_http_conn_open_from(const char *src, uint16_t port, const char *method, const char *path,
                           const char *extra_headers, const char *body, int timeout_ms,
                           struct ts_http_conn **out);

/* The response's status code. */
int ts_http_conn_status(const struct ts_http_conn *c);

/* The status line and header lines, NUL-terminated. Borrowed: valid until ts_http_conn_free. */
const char *ts_http_conn_head(const struct ts_http_conn *c);

/*
 * Read up to `cap` bytes of the decoded body into buf, waiting at most timeout_ms for the first
 * byte. Returns the number of bytes (> 0), 0 once the body is complete, -ETIMEDOUT, -EPROTO for
 * a body cut short or badly chunked, or another negative errno.
 */
ssize_t ts_http_conn_read(struct ts_http_conn *c, void *buf, size_t cap, int timeout_ms);

/* Close the connection and free it. NULL is a no-op. */
void ts_http_conn_free(struct ts_http_conn *c);

/*
 * One whole request: ts_http_conn_open plus reading the body (at most TS_HTTP_MAX_BODY bytes),
 * all within timeout_ms. On success fills *resp (release with ts_http_response_deinit) and
 * returns the status code (> 0). On failure returns a negative errno as ts_http_conn_open and
 * ts_http_conn_read do, or -EFBIG, and leaves *resp empty (deinit is still safe).
 */
int ts_http_request(uint16_t port, const char *method, const char *path, const char *extra_headers,
                    const char *body, int timeout_ms, struct ts_http_response *resp);

/* As ts_http_request, from the loopback address src (see ts_http_conn_open_from). */
int ts_http_request_from(const char *src, uint16_t port, const char *method, const char *path,
                         const char *extra_headers, const char *body, int timeout_ms,
                         struct ts_http_response *resp);

/* Free what ts_http_request stored in resp and zero it. Safe on a zeroed or failed response. */
void ts_http_response_deinit(struct ts_http_response *resp);

/*
 * Find header `name` (case-insensitive, RFC 9110 §5.1) in `head` (a response head as above) and
 * copy its value, without surrounding whitespace, into out (NUL-terminated). The first
 * occurrence wins. Returns the value's length, -ENOENT if absent, -ENOSPC if out is too small.
 */
int ts_http_header(const char *head, const char *name, char *out, size_t out_size);

/*
 * Write the complete header line "Authorization: Basic <base64(user:pass)>\r\n" (RFC 7617) into
 * out, ready to pass as extra_headers. Returns its length, or -ENOSPC.
 */
int ts_basic_auth_header(const char *user, const char *pass, char *out, size_t out_size);
