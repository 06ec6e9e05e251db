#pragma once
/*
 * bench_http: the little HTTP/1.x client-side parsing the load generator needs to read a stream
 * straight from its socket: the response head (status, Content-Type, chunked or not) and an
 * incremental chunked-body decoder (RFC 9112 §7.1).
 *
 * Why not evhttp: libevent 2.1 reads a socket at most 4096 bytes at a time, with a FIONREAD
 * ioctl before each read (EVBUFFER_MAX_READ). At 1000 viewers of a 25 fps, 50 KB stream that is
 * ~600,000 system calls a second in the load generator, on the cores the server needs. Reading
 * 256 KB per recv() keeps the generator's cost small; see docs/PERFORMANCE.md.
 *
 * Nothing here allocates. Both parsers are plain value types the caller places in its storage.
 */
#include <stddef.h>
#include <stdint.h>

/* Largest response head accepted. */
#define BENCH_HTTP_HEAD_MAX 8192
#define BENCH_HTTP_CONTENT_TYPE_MAX 256

/* The parsed response head. Plain value type. */
struct bench_http_head {
    int status;                                     /* e.g. 200 */
    int is_chunked;                                 /* Transfer-Encoding: chunked */
    char content_type[BENCH_HTTP_CONTENT_TYPE_MAX]; /* "" when absent; truncated if longer */
};

/*
 * Look for a complete response head at the start of buf[0..len) (status line and header lines
 * ending with an empty line; CRLF or bare LF). Returns the head's length in bytes (the body
 * starts there) and fills *out; 0 if the head is not complete yet; -EPROTO if the status line
 * is not HTTP/1.x with a three-digit status, or -EMSGSIZE if no head ends within
 * BENCH_HTTP_HEAD_MAX bytes.
 */
long bench_http_parse_head(const char *buf, size_t len, struct bench_http_head *out);

enum bench_chunked_result {
    BENCH_CHUNKED_OK =
        0,             /* *data and *data_len hold body bytes (maybe none): use them, call again */
    BENCH_CHUNKED_END, /* the last chunk arrived: the body is over */
    BENCH_CHUNKED_ERROR, /* not chunked encoding: a size line is malformed or too large */
};

/* Decoder state; zero-fill it (or bench_chunked_init) before the body's first byte. */
struct bench_chunked {
    int _state;
    uint64_t _remaining; /* bytes left in the current chunk, or the size being read */
    unsigned _digits;
};

/* Ready the decoder for a new body. */
void bench_chunked_init(struct bench_chunked *c);

/*
 * Decode from in[0..len): stores in *consumed how many input bytes were used and points
 * *data and *data_len at body bytes found among them (inside `in`, never copied; *data_len may be
 * 0 when only chunk framing was consumed). Call again with the rest until all input is used.
 * Returns enum bench_chunked_result; after END or ERROR, further input is not decoded.
 */
enum bench_chunked_result bench_chunked_decode(struct bench_chunked *c, const uint8_t *in,
                                               size_t len, size_t *consumed, const uint8_t **data,
                                               size_t *data_len);
