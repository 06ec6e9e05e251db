#include "stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "mjpeg_parser.h"

#define READ_CHUNK_BYTES 65536

struct ts_stream {
    struct ts_http_conn *conn;
    struct mjpeg_parser parser;
    int is_in_part; /* a part began and none of it was dropped */
    int is_ended;
    size_t in_pos; /* unparsed input is in[in_pos..in_len) */
    size_t in_len;
    uint8_t in[READ_CHUNK_BYTES];
    size_t frame_len;
    uint8_t *frame; /* TS_STREAM_MAX_FRAME bytes */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ts_stream *fail_open(struct ts_stream *s, int err, const char *path, const char *why)
{
    fprintf(stderr, "ts_stream_open %s: %s\n", path, why);
    ts_stream_close(s);
    errno = err;
    return NULL;
}

struct ts_stream *ts_stream_open(uint16_t port, const char *path, const char *auth_header,
                                 int timeout_ms)
{
    struct ts_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return fail_open(NULL, ENOMEM, path, "out of memory");
    s->frame = malloc(TS_STREAM_MAX_FRAME);
    if (s->frame == NULL)
        return fail_open(s, ENOMEM, path, "out of memory");

    int rc = ts_http_conn_open(port, "GET", path, auth_header, NULL, timeout_ms, &s->conn);
    if (rc < 0)
        return fail_open(s, -rc, path, strerror(-rc));
    int status = ts_http_conn_status(s->conn);
    if (status != 200) {
        char why[64];
        snprintf(why, sizeof(why), "HTTP status %d", status);
        return fail_open(s, EPROTO, path, why);
    }
    char content_type[256];
    char boundary[MJPEG_BOUNDARY_MAX + 1];
    const char *head = ts_http_conn_head(s->conn);
    if (ts_http_header(head, "Content-Type", content_type, sizeof(content_type)) < 0)
        return fail_open(s, EPROTO, path, "no usable Content-Type");
    if (mjpeg_boundary_from_content_type(content_type, boundary, sizeof(boundary)) < 0)
        return fail_open(s, EPROTO, path, "Content-Type is not multipart with a boundary");
    if (mjpeg_parser_init(&s->parser, boundary, TS_STREAM_MAX_FRAME) < 0)
        return fail_open(s, EPROTO, path, "boundary rejected by the parser");
    return s;
}

/*
 * Feed buffered input to the parser until a part completes. Returns 1, or 0 once the parser
 * needs more input. The parser may still owe an event after taking the last byte (PART_END right
 * after a Content-Length body), so it is called even with nothing left, until NEED_MORE.
 */
static int parse_buffered(struct ts_stream *s)
{
    while (!s->is_ended) {
        size_t consumed = 0;
        struct mjpeg_span span = {0};
        enum mjpeg_result r = mjpeg_parser_feed(&s->parser, s->in + s->in_pos,
                                                s->in_len - s->in_pos, &consumed, &span);
        s->in_pos += consumed;
        switch (r) {
        case MJPEG_NEED_MORE:
            return 0; /* it took every byte given */
        case MJPEG_PART_BEGIN:
            s->is_in_part = 1;
            s->frame_len = 0;
            break;
        case MJPEG_DATA:
            /* The parser bounds parts to TS_STREAM_MAX_FRAME; the check keeps memcpy honest. */
            if (s->is_in_part && span.len <= TS_STREAM_MAX_FRAME - s->frame_len) {
                memcpy(s->frame + s->frame_len, span.data, span.len);
                s->frame_len += span.len;
            } else {
                s->is_in_part = 0;
            }
            break;
        case MJPEG_PART_END:
            if (s->is_in_part) {
                s->is_in_part = 0;
                return 1;
            }
            break;
        case MJPEG_ERR_TOO_BIG:
        case MJPEG_ERR_HEADERS:
            s->is_in_part = 0;
            break;
        case MJPEG_END:
            s->is_ended = 1;
            break;
        }
    }
    return 0;
}

int ts_stream_next_frame(struct ts_stream *s, int timeout_ms, const uint8_t **jpeg, size_t *len)
{
    int64_t deadline_ms = now_ms() + timeout_ms;
    for (;;) {
        if (parse_buffered(s)) {
            *jpeg = s->frame;
            *len = s->frame_len;
            return 0;
        }
        if (s->is_ended)
            return -EPIPE;
        int64_t left = deadline_ms - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        ssize_t n = ts_http_conn_read(s->conn, s->in, sizeof(s->in), (int)left);
        if (n == 0)
            s->is_ended = 1;
        if (n <= 0)
            return n == 0 ? -EPIPE : (int)n;
        s->in_pos = 0;
        s->in_len = (size_t)n;
    }
}

unsigned long ts_stream_errors(const struct ts_stream *s)
{
    return s->parser.errors;
}

const char *ts_stream_head(const struct ts_stream *s)
{
    return ts_http_conn_head(s->conn);
}

void ts_stream_close(struct ts_stream *s)
{
    if (s == NULL)
        return;
    ts_http_conn_free(s->conn);
    free(s->frame);
    free(s);
}
