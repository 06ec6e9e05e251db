#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Read buffer: holds the whole head, then body bytes on their way to the caller. */
#define CONN_BUF_BYTES (TS_HTTP_MAX_HEAD + 32768)

enum body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_TO_CLOSE };
enum chunk_state { CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER };

struct ts_http_conn {
    int fd;
    int status;
    char *head;
    enum body_mode mode;
    enum chunk_state chunk;
    unsigned long long remaining; /* of the body (BODY_LENGTH) or of the current chunk */
    int is_done;
    size_t pos; /* unread bytes are buf[pos..len) */
    size_t len;
    uint8_t buf[CONN_BUF_BYTES];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or the deadline passes. Returns 0 or -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

/* Connect to 127.0.0.1:port, from the loopback address src if not NULL (e.g. "127.0.0.9": the
 * relay keys its login throttle on the client's address). */
static int connect_loopback(const char *src, uint16_t port, int64_t deadline_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (src != NULL) {
        struct sockaddr_in from = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, src, &from.sin_addr) != 1) {
            close(fd);
            return -EINVAL;
        }
        if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
            int rc = -errno;
            close(fd);
            return rc;
        }
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int rc = -errno;
        if (errno == EINPROGRESS) {
            int err = 0;
            socklen_t err_len = sizeof(err);
            rc = wait_fd(fd, POLLOUT, deadline_ms);
            if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
                rc = -errno;
            else if (rc == 0 && err != 0)
                rc = -err;
        }
        if (rc < 0) {
            close(fd);
            return rc;
        }
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t len, int64_t deadline_ms)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -errno;
            int rc = wait_fd(fd, POLLOUT, deadline_ms);
            if (rc < 0)
                return rc;
            continue;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Receive more bytes into c->buf. Returns the count (> 0), 0 at end of stream, or -errno. */
static ssize_t fill(struct ts_http_conn *c, int64_t deadline_ms)
{
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len == sizeof(c->buf))
        return -EMSGSIZE;
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (n >= 0) {
            c->len += (size_t)n;
            return n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int rc = wait_fd(c->fd, POLLIN, deadline_ms);
        if (rc < 0)
            return rc;
    }
}

/* The unread bytes up to and including the next '\n', or NULL if no whole line is buffered. */
static const uint8_t *buffered_line(const struct ts_http_conn *c, size_t *line_len)
{
    const uint8_t *start = c->buf + c->pos;
    const uint8_t *nl = memchr(start, '\n', c->len - c->pos);
    if (nl == NULL)
        return NULL;
    *line_len = (size_t)(nl - start) + 1;
    return start;
}

/* A macro, not a variable, so that -Wformat=2 can check the arguments against it. */
#define REQUEST_FMT                                                                                \
    "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: lookout-tests\r\n"                        \
    "Connection: close\r\n%s%s\r\n"

static int send_request(int fd, uint16_t port, const char *method, const char *path,
                        const char *extra_headers, const char *body, int64_t deadline_ms)
{
    int needs_length = body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    size_t body_len = body ? strlen(body) : 0;
    char length_line[64] = "";
    if (needs_length)
        snprintf(length_line, sizeof(length_line), "Content-Length: %zu\r\n", body_len);
    const char *extra = extra_headers ? extra_headers : "";
    int n = snprintf(NULL, 0, REQUEST_FMT, method, path, (unsigned)port, extra, length_line);
    if (n < 0)
        return -EINVAL;
    char *req = malloc((size_t)n + 1);
    if (req == NULL)
        return -ENOMEM;
    snprintf(req, (size_t)n + 1, REQUEST_FMT, method, path, (unsigned)port, extra, length_line);
    int rc = send_all(fd, req, (size_t)n, deadline_ms);
    free(req);
    if (rc == 0 && body_len > 0)
        rc = send_all(fd, body, body_len, deadline_ms);
    return rc;
}

/* Parse a decimal Content-Length or hex chunk size; anything but digits is an error. */
static int parse_number(const char *s, size_t len, int base, unsigned long long *out)
{
    unsigned long long v = 0;
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        if (v > (~0ULL - (unsigned)d) / (unsigned)base)
            return -EPROTO;
        v = v * (unsigned)base + (unsigned)d;
        digits++;
    }
    if (digits == 0)
        return -EPROTO;
    *out = v;
    return 0;
}

static int read_head(struct ts_http_conn *c, const char *method, int64_t deadline_ms)
{
    size_t head_len = 0;
    for (;;) {
        uint8_t *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end != NULL) {
            head_len = (size_t)(end - c->buf) + 4;
            break;
        }
        if (c->len >= TS_HTTP_MAX_HEAD)
            return -EMSGSIZE;
        ssize_t n = fill(c, deadline_ms);
        if (n == 0)
            return -EPROTO;
        if (n < 0)
            return (int)n;
    }
    c->head = malloc(head_len + 1);
    if (c->head == NULL)
        return -ENOMEM;
    memcpy(c->head, c->buf, head_len);
    c->head[head_len] = '\0';
    c->pos = head_len;

    int minor = 0;
    if (sscanf(c->head, "HTTP/1.%d %3d", &minor, &c->status) != 2 || c->status < 100)
        return -EPROTO;

    /* RFC 9112 §6.3: which of the ways a response body can end applies to this one. */
    char value[128];
    if (strcmp(method, "HEAD") == 0 || c->status < 200 || c->status == 204 || c->status == 304) {
        c->mode = BODY_NONE;
        c->is_done = 1;
    } else if (ts_http_header(c->head, "Transfer-Encoding", value, sizeof(value)) >= 0 &&
               strcasestr(value, "chunked") != NULL) {
        c->mode = BODY_CHUNKED;
        c->chunk = CHUNK_SIZE;
    } else if (ts_http_header(c->head, "Content-Length", value, sizeof(value)) >= 0) {
        c->mode = BODY_LENGTH;
        if (parse_number(value, strlen(value), 10, &c->remaining) < 0)
            return -EPROTO;
        c->is_done = c->remaining == 0;
    } else {
        c->mode = BODY_TO_CLOSE;
    }
    return 0;
}

int ts_http_conn_open(uint16_t port, const char *method, const char *path,
                      const char *extra_headers, const char *body, int timeout_ms,
                      struct ts_http_conn **out)
{
    return ts_http_conn_open_from(NULL, port, method, path, extra_headers, body, timeout_ms, out);
}

int ts_http_conn_open_from(const char *src, uint16_t port, const char *method, const char *path,
                           const char *extra_headers, const char *body, int timeout_ms,
                           struct ts_http_conn **out)
{
    int64_t deadline_ms = now_ms() + timeout_ms;
    *out = NULL;
    struct ts_http_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->fd = connect_loopback(src, port, deadline_ms);
    int rc = c->fd;
    if (rc >= 0)
        rc = send_request(c->fd, port, method, path, extra_headers, body, deadline_ms);
    if (rc >= 0)
        rc = read_head(c, method, deadline_ms);
    if (rc < 0) {
        ts_http_conn_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ts_http_conn_status(const struct ts_http_conn *c)
{
    return c->status;
}

const char *ts_http_conn_head(const struct ts_http_conn *c)
{
    return c->head;
}

/* Give the caller up to `limit` buffered body bytes. */
static size_t take(struct ts_http_conn *c, void *buf, size_t cap, unsigned long long limit)
{
    size_t n = c->len - c->pos;
    if (n > cap)
        n = cap;
    if (n > limit)
        n = (size_t)limit;
    memcpy(buf, c->buf + c->pos, n);
    c->pos += n;
    return n;
}

/*
 * One step of the chunked decoder (RFC 9112 §7.1) over buffered bytes. Returns body bytes given
 * to the caller (> 0), 0 if it made progress without any, -EAGAIN if it needs more input, or
 * -EPROTO.
 */
static ssize_t chunked_step(struct ts_http_conn *c, void *buf, size_t cap)
{
    size_t line_len;
    const uint8_t *line;
    switch (c->chunk) {
    case CHUNK_DATA: {
        if (c->pos == c->len)
            return -EAGAIN;
        size_t n = take(c, buf, cap, c->remaining);
        c->remaining -= n;
        if (c->remaining == 0)
            c->chunk = CHUNK_DATA_END;
        return (ssize_t)n;
    }
    case CHUNK_SIZE:
        line = buffered_line(c, &line_len);
        if (line == NULL)
            return -EAGAIN;
        /* chunk-size [ chunk-ext ] CRLF: the extension, if any, is ignored. */
        if (parse_number((const char *)line, line_len, 16, &c->remaining) < 0)
            return -EPROTO;
        c->pos += line_len;
        c->chunk = c->remaining == 0 ? CHUNK_TRAILER : CHUNK_DATA;
        return 0;
    case CHUNK_DATA_END:
        line = buffered_line(c, &line_len);
        if (line == NULL)
            return -EAGAIN;
        if (!(line_len == 1 || (line_len == 2 && line[0] == '\r')))
            return -EPROTO;
        c->pos += line_len;
        c->chunk = CHUNK_SIZE;
        return 0;
    case CHUNK_TRAILER:
        line = buffered_line(c, &line_len);
        if (line == NULL)
            return -EAGAIN;
        c->pos += line_len;
        if (line_len == 1 || (line_len == 2 && line[0] == '\r'))
            c->is_done = 1;
        return 0;
    }
    return -EPROTO;
}

ssize_t ts_http_conn_read(struct ts_http_conn *c, void *buf, size_t cap, int timeout_ms)
{
    int64_t deadline_ms = now_ms() + timeout_ms;
    if (cap == 0)
        return -EINVAL;
    for (;;) {
        if (c->is_done)
            return 0;
        ssize_t n = -EAGAIN;
        if (c->mode == BODY_CHUNKED) {
            n = chunked_step(c, buf, cap);
            if (n == 0)
                continue;
        } else if (c->pos < c->len) {
            n = (ssize_t)take(c, buf, cap, c->mode == BODY_LENGTH ? c->remaining : ~0ULL);
            if (c->mode == BODY_LENGTH) {
                c->remaining -= (size_t)n;
                c->is_done = c->remaining == 0;
            }
        }
        if (n != -EAGAIN)
            return n;
        ssize_t got = fill(c, deadline_ms);
        if (got < 0)
            return got;
        if (got == 0) {
            if (c->mode != BODY_TO_CLOSE)
                return -EPROTO; /* the peer closed before the body was complete */
            c->is_done = 1;
        }
    }
}

void ts_http_conn_free(struct ts_http_conn *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->head);
    free(c);
}

int ts_http_request(uint16_t port, const char *method, const char *path, const char *extra_headers,
                    const char *body, int timeout_ms, struct ts_http_response *resp)
{
    return ts_http_request_from(NULL, port, method, path, extra_headers, body, timeout_ms, resp);
}

int ts_http_request_from(const char *src, uint16_t port, const char *method, const char *path,
                         const char *extra_headers, const char *body, int timeout_ms,
                         struct ts_http_response *resp)
{
    int64_t deadline_ms = now_ms() + timeout_ms;
    memset(resp, 0, sizeof(*resp));
    struct ts_http_conn *c;
    int rc = ts_http_conn_open_from(src, port, method, path, extra_headers, body, timeout_ms, &c);
    if (rc < 0)
        return rc;

    size_t cap = 65536;
    uint8_t *data = malloc(cap + 1);
    size_t len = 0;
    rc = data ? 0 : -ENOMEM;
    while (rc == 0) {
        if (len == cap) {
            /* Grow by doubling up to the fixed maximum, never past it. */
            size_t bigger_cap = cap * 2 > TS_HTTP_MAX_BODY ? TS_HTTP_MAX_BODY : cap * 2;
            if (bigger_cap == cap) {
                rc = -EFBIG;
                break;
            }
            uint8_t *bigger = realloc(data, bigger_cap + 1);
            if (bigger == NULL) {
                rc = -ENOMEM;
                break;
            }
            data = bigger;
            cap = bigger_cap;
        }
        int64_t left = deadline_ms - now_ms();
        ssize_t n = left > 0 ? ts_http_conn_read(c, data + len, cap - len, (int)left) : -ETIMEDOUT;
        if (n == 0)
            break;
        if (n < 0)
            rc = (int)n;
        else
            len += (size_t)n;
    }
    if (rc < 0) {
        free(data);
        ts_http_conn_free(c);
        return rc;
    }
    data[len] = '\0';
    resp->status = c->status;
    resp->head = c->head;
    c->head = NULL;
    resp->body = data;
    resp->body_len = len;
    ts_http_conn_free(c);
    return resp->status;
}

void ts_http_response_deinit(struct ts_http_response *resp)
{
    free(resp->head);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

int ts_http_header(const char *head, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name);
    /* The first line is the status line; headers follow, one per line, until an empty line. */
    const char *line = strchr(head, '\n');
    while (line != NULL) {
        line++;
        const char *eol = strchr(line, '\n');
        if (eol == NULL || eol == line || (eol == line + 1 && line[0] == '\r'))
            break;
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;
            const char *end = eol;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            size_t n = (size_t)(end - v);
            if (n + 1 > out_size)
                return -ENOSPC;
            memcpy(out, v, n);
            out[n] = '\0';
            return (int)n;
        }
        line = eol;
    }
    return -ENOENT;
}

int ts_basic_auth_header(const char *user, const char *pass, char *out, size_t out_size)
{
    char plain[512];
    int n = snprintf(plain, sizeof(plain), "%s:%s", user, pass);
    if (n < 0 || (size_t)n >= sizeof(plain))
        return -ENOSPC;
    /* EVP_EncodeBlock writes 4 bytes per 3 (rounded up) plus a NUL. */
    unsigned char encoded[4 * (sizeof(plain) + 2) / 3 + 1];
    EVP_EncodeBlock(encoded, (const unsigned char *)plain, n);
    OPENSSL_cleanse(plain, sizeof(plain));
    int len = snprintf(out, out_size, "Authorization: Basic %s\r\n", (const char *)encoded);
    OPENSSL_cleanse(encoded, sizeof(encoded));
    if (len < 0 || (size_t)len >= out_size)
        return -ENOSPC;
    return len;
}
