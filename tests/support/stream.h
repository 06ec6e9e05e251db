#pragma once
/*
 * stream: an MJPEG viewer for integration tests, loopback only.
 *
 * Opens GET <path> on 127.0.0.1:port, checks for 200 and a multipart Content-Type, and splits
 * the body (chunked or not) into parts with core/mjpeg_parser. Every call is bounded by its
 * timeout. One stream is used from one thread.
 */
#include <stddef.h>
#include <stdint.h>

/* Largest part accepted; larger parts are dropped by the parser and skipped. */
#define TS_STREAM_MAX_FRAME (8u * 1024u * 1024u)

struct ts_stream;

/*
 * Connect, send GET path with auth_header (NULL, or a complete header line such as
 * ts_basic_auth_header writes) and read the response head, all within timeout_ms.
 * Returns a new stream (free with ts_stream_close), or NULL with errno set and one line on
 * stderr saying why (connect error, timeout, a status other than 200, or a Content-Type that is
 * not multipart with a boundary).
 */
struct ts_stream *ts_stream_open(uint16_t port, const char *path, const char *auth_header,
                                 int timeout_ms);

/*
 * Wait at most timeout_ms for the next complete part and store its body in *jpeg and *len.
 * The bytes are borrowed: valid until the next call on this stream or ts_stream_close. Parts
 * the parser drops (too big, bad headers) are skipped and counted, not returned.
 * Returns 0, -ETIMEDOUT, -EPIPE if the stream ended (close delimiter or end of body), or another
 * negative errno from the connection.
 */
int ts_stream_next_frame(struct ts_stream *s, int timeout_ms, const uint8_t **jpeg, size_t *len);

/* Parts the parser dropped so far (oversized or malformed). */
unsigned long ts_stream_errors(const struct ts_stream *s);

/* The response head (status line and headers). Borrowed: valid until ts_stream_close. */
const char *ts_stream_head(const struct ts_stream *s);

/* Close the connection and free the stream. NULL is a no-op. */
void ts_stream_close(struct ts_stream *s);
