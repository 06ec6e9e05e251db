#include "bench_http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

enum {
    CH_SIZE,     /* hex digits of a chunk size */
    CH_EXT,      /* chunk extensions after the size, up to LF */
    CH_DATA,     /* chunk body */
    CH_DATA_END, /* the CRLF after a chunk's body */
    CH_END,
    CH_ERROR,
};

/* Chunks larger than this are not plausible for a camera stream: treat them as an error. */
#define CHUNK_MAX_DIGITS 12

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Case-insensitive: does the header line line[0..len) have this name? Sets *value after ':'. */
static int header_is(const char *line, size_t len, const char *name, const char **value,
                     size_t *value_len)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return 0;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *value = v;
    *value_len = (size_t)(end - v);
    return 1;
}

long bench_http_parse_head(const char *buf, size_t len, struct bench_http_head *out)
{
    /* Find the empty line that ends the head: "\n\r\n" or "\n\n" (the status line is never
     * empty, so the empty line always follows a LF). */
    size_t end = 0;
    for (size_t i = 0; i + 1 < len && end == 0; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            end = i + 2;
        else if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
            end = i + 3;
    }
    if (end == 0)
        return len >= BENCH_HTTP_HEAD_MAX ? -EMSGSIZE : 0;
    if (end > BENCH_HTTP_HEAD_MAX)
        return -EMSGSIZE;

    memset(out, 0, sizeof(*out));
    /* "HTTP/1.x NNN reason" */
    if (end < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
        return -EPROTO;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return -EPROTO;
        out->status = out->status * 10 + (buf[i] - '0');
    }
    const char *line = memchr(buf, '\n', end);
    for (line = line + 1; line < buf + end;) {
        const char *eol = memchr(line, '\n', (size_t)(buf + end - line));
        size_t line_len = (size_t)(eol - line);
        const char *value;
        size_t value_len;
        if (header_is(line, line_len, "Content-Type", &value, &value_len)) {
            if (value_len >= sizeof(out->content_type))
                value_len = sizeof(out->content_type) - 1;
            memcpy(out->content_type, value, value_len);
            out->content_type[value_len] = '\0';
        } else if (header_is(line, line_len, "Transfer-Encoding", &value, &value_len)) {
            /* "chunked" is the last coding whenever it is present (RFC 9112 §6.1). */
            out->is_chunked =
                value_len >= 7 && strncasecmp(value + value_len - 7, "chunked", 7) == 0;
        }
        line = eol + 1;
    }
    return (long)end;
}

void bench_chunked_init(struct bench_chunked *c)
{
    memset(c, 0, sizeof(*c));
}

enum bench_chunked_result bench_chunked_decode(struct bench_chunked *c, const uint8_t *in,
                                               size_t len, size_t *consumed, const uint8_t **data,
                                               size_t *data_len)
{
    size_t i = 0;
    *data = NULL;
    *data_len = 0;
    while (i < len) {
        switch (c->_state) {
        case CH_SIZE: {
            int v = hex_value(in[i]);
            if (v >= 0) {
                if (++c->_digits > CHUNK_MAX_DIGITS) {
                    c->_state = CH_ERROR;
                    break;
                }
                c->_remaining = c->_remaining * 16 + (uint64_t)v;
                i++;
            } else if (c->_digits > 0 && (in[i] == ';' || in[i] == ' ' || in[i] == '\t' ||
                                          in[i] == '\r' || in[i] == '\n')) {
                c->_state = CH_EXT; /* the LF is consumed there */
            } else {
                c->_state = CH_ERROR;
            }
            break;
        }
        case CH_EXT:
            if (in[i++] == '\n') {
                /* A zero-size chunk ends the body; trailers are not read (the stream is over). */
                c->_state = c->_remaining == 0 ? CH_END : CH_DATA;
                c->_digits = 0;
            }
            break;
        case CH_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > c->_remaining)
                n = (size_t)c->_remaining;
            *data = in + i;
            *data_len = n;
            i += n;
            c->_remaining -= n;
            if (c->_remaining == 0)
                c->_state = CH_DATA_END;
            *consumed = i;
            return BENCH_CHUNKED_OK; /* one span per call */
        }
        case CH_DATA_END:
            if (in[i] == '\r') {
                i++;
            } else if (in[i] == '\n') {
                i++;
                c->_state = CH_SIZE;
            } else {
                c->_state = CH_ERROR;
            }
            break;
        default:
            break;
        }
        if (c->_state == CH_END || c->_state == CH_ERROR)
            break;
    }
    *consumed = i;
    if (c->_state == CH_END)
        return BENCH_CHUNKED_END;
    if (c->_state == CH_ERROR)
        return BENCH_CHUNKED_ERROR;
    return BENCH_CHUNKED_OK;
}
