#pragma once
/*
 * relay_stream: a strict reader of the relay's own MJPEG stream, for integration tests.
 *
 * ts_stream (stream.h) accepts any camera's stream and returns only JPEG bytes. This reader
 * instead checks the relay's wire format exactly as docs/API.md gives it, and returns each part's
 * X-Frame-Seq, so a test can tell that frames keep coming on the same connection and count what
 * it missed:
 *
 *   --B\r\n                                    (once, right after the response head)
 *   Content-Type: image/jpeg\r\n               (any order, other fields allowed)
 *   Content-Length: N\r\n
 *   X-Frame-Seq: S\r\n
 *   \r\n
 *   <N bytes>\r\n--B\r\n                       (the delimiter follows each JPEG at once)
 *
 * Anything else is -EPROTO, with one line on stderr saying what. Loopback only; every call is
 * bounded by its timeout; one stream is used from one thread.
 */
#include <stddef.h>
#include <stdint.h>

/* Largest part accepted; a larger Content-Length is -EFBIG. */
#define TS_RELAY_STREAM_MAX_PART (8u * 1024u * 1024u)

struct ts_relay_stream;

/* One part. Plain value type filled by ts_relay_stream_next. */
struct ts_relay_part {
    const uint8_t *jpeg; /* borrowed: valid until the next call on the stream, or its close */
    size_t len;          /* Content-Length, which is also the number of bytes at jpeg */
    uint64_t seq;        /* X-Frame-Seq */
};

/*
 * GET path on 127.0.0.1:port with auth_header (NULL, or a complete header line such as
 * ts_basic_auth_header writes), all within timeout_ms. Returns a new stream (free with
 * ts_relay_stream_close), or NULL with errno set and one line on stderr saying why (connect
 * error, timeout, a status other than 200, no multipart Content-Type with a boundary).
 */
struct ts_relay_stream *ts_relay_stream_open(uint16_t port, const char *path,
                                             const char *auth_header, int timeout_ms);

/*
 * Wait at most timeout_ms for the next complete part and fill *out. Returns 0, -ETIMEDOUT,
 * -EPIPE if the relay closed the stream, -EPROTO for a part not in the format above, -EFBIG, or
 * another negative errno from the connection. After an error other than -ETIMEDOUT the stream
 * is unusable (only ts_relay_stream_close).
 */
int ts_relay_stream_next(struct ts_relay_stream *s, int timeout_ms, struct ts_relay_part *out);

/* The response head (status line and headers). Borrowed: valid until ts_relay_stream_close. */
const char *ts_relay_stream_head(const struct ts_relay_stream *s);

/* Close the connection and free the stream. NULL is a no-op. */
void ts_relay_stream_close(struct ts_relay_stream *s);
