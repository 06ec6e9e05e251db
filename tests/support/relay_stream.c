#include "relay_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "mjpeg_parser.h"

/* All header fields of one part; the relay's are about 110 bytes. */
#define PART_HEADERS_MAX 4096
#define BUF_BYTES (TS_RELAY_STREAM_MAX_PART + PART_HEADERS_MAX + 2 * (MJPEG_BOUNDARY_MAX + 8))

struct ts_relay_stream {
    struct ts_http_conn *conn;
    char delimiter[MJPEG_BOUNDARY_MAX + 8]; /* "\r\n--B" */
    size_t delimiter_len;
    int is_started; /* the delimiter before the first part was read */
    int is_broken;  /* a format error or end of stream: no more parts */
    size_t pos;     /* unread bytes are buf[pos..len) */
    size_t len;
    uint8_t *buf; /* BUF_BYTES */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ts_relay_stream *fail_open(struct ts_relay_stream *s, int err, const char *path,
                                         const char *why)
{
    fprintf(stderr, "ts_relay_stream_open %s: %s\n", path, why);
    ts_relay_stream_close(s);
    errno = err;
    return NULL;
}

struct ts_relay_stream *ts_relay_stream_open(uint16_t port, const char *path,
                                             const char *auth_header, int timeout_ms)
{
    struct ts_relay_stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return fail_open(NULL, ENOMEM, path, "out of memory");
    s->buf = malloc(BUF_BYTES);
    if (s->buf == NULL)
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
    if (ts_http_header(ts_http_conn_head(s->conn), "Content-Type", content_type,
                       sizeof(content_type)) < 0 ||
        mjpeg_boundary_from_content_type(content_type, boundary, sizeof(boundary)) < 0)
        return fail_open(s, EPROTO, path, "Content-Type is not multipart with a boundary");
    s->delimiter_len = (size_t)snprintf(s->delimiter, sizeof(s->delimiter), "\r\n--%s", boundary);
    return s;
}

/* Make sure at least n unread bytes are buffered. Returns 0, -EPIPE at end, or -errno. */
static int need(struct ts_relay_stream *s, size_t n, int64_t deadline_ms)
{
    while (s->len - s->pos < n) {
        if (s->len == BUF_BYTES) {
            memmove(s->buf, s->buf + s->pos, s->len - s->pos);
            s->len -= s->pos;
            s->pos = 0;
        }
        int64_t left = deadline_ms - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        ssize_t got = ts_http_conn_read(s->conn, s->buf + s->len, BUF_BYTES - s->len, (int)left);
        if (got == 0)
            return -EPIPE;
        if (got < 0)
            return (int)got;
        s->len += (size_t)got;
    }
    return 0;
}

static int broken(struct ts_relay_stream *s, int rc, const char *why)
{
    s->is_broken = 1;
    if (rc == -EPROTO || rc == -EFBIG)
        fprintf(stderr, "ts_relay_stream: %s\n", why);
    return rc;
}

/* The value of header `name` in the block [p, end) of "Name: value\r\n" lines, or NULL. */
static const char *field(const char *p, const char *end, const char *name, size_t *value_len)
{
    size_t name_len = strlen(name);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        if ((size_t)(eol - p) > name_len && strncasecmp(p, name, name_len) == 0 &&
            p[name_len] == ':') {
            const char *v = p + name_len + 1;
            const char *v_end = eol;
            while (v < v_end && (*v == ' ' || *v == '\t'))
                v++;
            while (v_end > v && (v_end[-1] == '\r' || v_end[-1] == ' '))
                v_end--;
            *value_len = (size_t)(v_end - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* A decimal field of one or more digits and nothing else. Returns 0 or -EPROTO. */
static int decimal(const char *v, size_t len, uint64_t *out)
{
    uint64_t n = 0;
    if (v == NULL || len == 0 || len > 19)
        return -EPROTO;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -EPROTO;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return 0;
}

int ts_relay_stream_next(struct ts_relay_stream *s, int timeout_ms, struct ts_relay_part *out)
{
    int64_t deadline_ms = now_ms() + timeout_ms;
    if (s->is_broken)
        return -EPIPE;
    /* Bytes are consumed (pos moves) only once a whole part is in, so a timeout loses nothing. */
    if (s->pos > 0) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    int rc;
    if (!s->is_started) {
        /* The body begins with the delimiter line, without the CRLF before it. */
        size_t first_len = s->delimiter_len - 2 + 2;
        rc = need(s, first_len, deadline_ms);
        if (rc < 0)
            return rc == -ETIMEDOUT ? rc : broken(s, rc, "stream ended before the first part");
        if (memcmp(s->buf, s->delimiter + 2, s->delimiter_len - 2) != 0 ||
            memcmp(s->buf + s->delimiter_len - 2, "\r\n", 2) != 0)
            return broken(s, -EPROTO, "the body does not begin with --boundary CRLF");
        s->pos = first_len;
        s->is_started = 1;
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }

    /* Part header fields, up to the empty line. */
    const uint8_t *blank = NULL;
    for (size_t want = 4; blank == NULL; want = s->len + 1) {
        rc = need(s, want, deadline_ms);
        if (rc < 0)
            return rc == -ETIMEDOUT ? rc : broken(s, rc, "stream ended inside part headers");
        blank = memmem(s->buf, s->len, "\r\n\r\n", 4);
        if (blank == NULL && s->len > PART_HEADERS_MAX)
            return broken(s, -EPROTO, "part headers longer than 4096 bytes");
    }
    const char *h = (const char *)s->buf;
    const char *h_end = (const char *)blank + 2;
    size_t headers_len = (size_t)((const uint8_t *)h_end - s->buf) + 2;
    size_t n;
    const char *type = field(h, h_end, "Content-Type", &n);
    if (type == NULL || n != strlen("image/jpeg") || strncasecmp(type, "image/jpeg", n) != 0)
        return broken(s, -EPROTO, "part without Content-Type: image/jpeg");
    uint64_t content_length;
    uint64_t seq;
    const char *v = field(h, h_end, "Content-Length", &n);
    if (decimal(v, n, &content_length) < 0)
        return broken(s, -EPROTO, "part without a valid Content-Length");
    v = field(h, h_end, "X-Frame-Seq", &n);
    if (decimal(v, n, &seq) < 0)
        return broken(s, -EPROTO, "part without a valid X-Frame-Seq");
    if (content_length > TS_RELAY_STREAM_MAX_PART)
        return broken(s, -EFBIG, "part larger than TS_RELAY_STREAM_MAX_PART");

    /* The JPEG, then at once the delimiter and the CRLF that ends its line. */
    size_t body_at = headers_len;
    size_t total = body_at + (size_t)content_length + s->delimiter_len + 2;
    rc = need(s, total, deadline_ms);
    if (rc < 0)
        return rc == -ETIMEDOUT ? rc : broken(s, rc, "stream ended inside a part");
    const uint8_t *after = s->buf + body_at + content_length;
    if (memcmp(after, s->delimiter, s->delimiter_len) != 0)
        return broken(s, -EPROTO, "Content-Length bytes are not followed by the delimiter");
    if (memcmp(after + s->delimiter_len, "--", 2) == 0)
        s->is_broken = 1; /* the close delimiter: this part is the last */
    else if (memcmp(after + s->delimiter_len, "\r\n", 2) != 0)
        return broken(s, -EPROTO, "the delimiter line does not end with CRLF");
    out->jpeg = s->buf + body_at;
    out->len = (size_t)content_length;
    out->seq = seq;
    s->pos = total;
    return 0;
}

const char *ts_relay_stream_head(const struct ts_relay_stream *s)
{
    return ts_http_conn_head(s->conn);
}

void ts_relay_stream_close(struct ts_relay_stream *s)
{
    if (s == NULL)
        return;
    ts_http_conn_free(s->conn);
    free(s->buf);
    free(s);
}
