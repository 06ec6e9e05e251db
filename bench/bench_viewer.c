#include "bench_viewer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_http.h"
#include "bench_move.h"
#include "bench_stamp.h"
#include "bench_stats.h"
#include "mjpeg_parser.h"

/* Part header text kept per part to find X-Timestamp and X-Frame-Seq; the rest is skipped. */
#define PART_HEAD_KEEP 512
/* A stalled viewer's receive buffer (the kernel doubles it and keeps a floor of ~2 KB). */
#define STALLED_RCVBUF_BYTES 4096
/* The slow viewer's byte budget refills this often, so its reads are smooth. */
#define SLOW_TICK_MS 100
#define REQUEST_MAX 1024

enum state {
    ST_CONNECTING, /* waiting for the socket to become writable */
    ST_SENDING,    /* the request is partly written */
    ST_HEAD,       /* reading the response head */
    ST_BODY,       /* reading the stream */
    ST_CLOSED,     /* failed or ended: see stats.failure */
};

struct bench_viewer {
    const struct bench_target *target;
    enum bench_viewer_mode mode;
    enum state state;
    int fd;
    struct event *ev_write; /* connect and request */
    struct event *ev_read;  /* persistent while streaming */
    struct event *ev_tick;  /* slow viewers: refills the byte budget */
    size_t slow_budget, slow_per_tick;
    char request[REQUEST_MAX];
    size_t request_len, request_sent;
    char *head; /* BENCH_HTTP_HEAD_MAX bytes while reading the head, then freed */
    size_t head_len;
    int is_chunked;
    struct bench_chunked chunked;
    struct mjpeg_parser parser;
    int is_in_part;                 /* between PART_BEGIN and PART_END */
    char part_head[PART_HEAD_KEEP]; /* delimiter and part headers of the part being announced */
    size_t part_head_len;
    int64_t part_timestamp_us; /* X-Timestamp of the current part, -1 if none */
    uint64_t part_seq;         /* X-Frame-Seq of the current part, 0 if none */
    uint64_t last_seq;         /* of the previous part, 0 if none */
    int part_pan_mdeg;         /* X-Pan of the current part */
    int has_part_pan;
    uint8_t body_head[BENCH_STAMP_PREFIX_MAX]; /* the JPEG's first bytes: the camera's stamp */
    size_t body_head_len;
    unsigned move_seen; /* the newest move whose angle this viewer has seen */
    struct bench_viewer_stats stats;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int is_in_window(const struct bench_target *t, int64_t when_us)
{
    return when_us >= t->window_start_us && when_us < t->window_end_us;
}

/* Stop reading and writing; the socket stays open until bench_viewer_free. */
static void fail(struct bench_viewer *v, const char *why)
{
    if (v->state == ST_CLOSED)
        return;
    v->state = ST_CLOSED;
    v->stats.is_streaming = 0;
    if (v->stats.failure == NULL)
        v->stats.failure = why;
    if (v->ev_write != NULL)
        event_del(v->ev_write);
    if (v->ev_read != NULL)
        event_del(v->ev_read);
    if (v->ev_tick != NULL)
        event_del(v->ev_tick);
}

static const char *errno_text(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return "connection refused";
    case ECONNRESET:
        return "connection reset by the server";
    case ETIMEDOUT:
        return "connection timed out";
    case EPIPE:
        return "the server closed the connection";
    case EADDRNOTAVAIL:
        return "no local address or port available";
    case EMFILE:
    case ENFILE:
        return "out of file descriptors";
    default:
        return "socket error";
    }
}

/* "1234.000567" (seconds, optional fraction) to microseconds; -1 if it is not a number. */
static int64_t parse_timestamp_us(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end || *s < '0' || *s > '9')
        return -1;
    int64_t sec = 0;
    while (s < end && *s >= '0' && *s <= '9' && sec < INT64_MAX / 10000000)
        sec = sec * 10 + (*s++ - '0');
    int64_t frac_us = 0, scale = 100000;
    if (s < end && *s == '.') {
        for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
            frac_us += (*s - '0') * scale;
            scale /= 10;
        }
    }
    return sec * 1000000 + frac_us;
}

static uint64_t parse_u64(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    uint64_t v = 0;
    while (s < end && *s >= '0' && *s <= '9' && v < UINT64_MAX / 10)
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

/* Look through the kept part headers for the relay's timing headers. */
static void parse_part_head(struct bench_viewer *v)
{
    static const char ts_name[] = "X-Timestamp:", seq_name[] = "X-Frame-Seq:";
    static const char pan_name[] = "X-Pan:";
    v->part_timestamp_us = -1;
    v->part_seq = 0;
    v->has_part_pan = 0;
    const char *p = v->part_head, *end = v->part_head + v->part_head_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        size_t len = (size_t)(line_end - p);
        if (len > sizeof(ts_name) - 1 && strncasecmp(p, ts_name, sizeof(ts_name) - 1) == 0)
            v->part_timestamp_us = parse_timestamp_us(p + sizeof(ts_name) - 1, line_end);
        else if (len > sizeof(seq_name) - 1 && strncasecmp(p, seq_name, sizeof(seq_name) - 1) == 0)
            v->part_seq = parse_u64(p + sizeof(seq_name) - 1, line_end);
        else if (len > sizeof(pan_name) - 1 && strncasecmp(p, pan_name, sizeof(pan_name) - 1) == 0)
            v->has_part_pan =
                bench_degrees_to_mdeg(p + sizeof(pan_name) - 1, line_end, &v->part_pan_mdeg) == 0;
        p = eol ? eol + 1 : end;
    }
}

/* A constrained viewer's frame: how old it is now that its last byte is read. */
static void count_age(struct bench_viewer *v, const struct bench_stamp *stamp, int has_stamp,
                      int64_t t_us)
{
    const struct bench_target *t = v->target;
    if (v->mode != BENCH_VIEWER_SLOW || t->slow_age_relay == NULL)
        return;
    if (v->part_timestamp_us >= 0)
        bench_hist_add(t->slow_age_relay, t_us - v->part_timestamp_us);
    if (!has_stamp)
        return;
    bench_hist_add(t->slow_age_source, t_us - stamp->sent_us);
    int half = t_us - t->window_start_us >= (t->window_end_us - t->window_start_us) / 2;
    t->slow_age_halves->sum_ms[half] += (double)(t_us - stamp->sent_us) / 1000.0;
    t->slow_age_halves->n[half]++;
}

/* The first frame taken at the newest move's angle: time it from the move request. */
static void count_move(struct bench_viewer *v, const struct bench_stamp *stamp, int has_stamp,
                       int64_t t_us)
{
    const struct bench_move_state *m = v->target->move;
    if (m == NULL || m->id == 0 || m->id == v->move_seen || !is_in_window(v->target, m->sent_us))
        return;
    /* Taken after the request, at its angle: an old frame from an earlier move to the same
     * angle (a constrained viewer of a server that queues) does not count. */
    int64_t taken_us = has_stamp ? stamp->sent_us : v->part_timestamp_us;
    int pan_mdeg = v->has_part_pan ? v->part_pan_mdeg : stamp->pan_mdeg;
    if (taken_us < m->sent_us || (!v->has_part_pan && !has_stamp) || pan_mdeg != m->pan_mdeg)
        return;
    v->move_seen = m->id;
    struct bench_hist *h =
        v->mode == BENCH_VIEWER_SLOW ? v->target->move_slow : v->target->move_fast;
    if (h != NULL)
        bench_hist_add(h, t_us - m->sent_us);
}

static void on_part_end(struct bench_viewer *v, int64_t t_us)
{
    struct bench_viewer_stats *s = &v->stats;
    int is_counted = is_in_window(v->target, t_us);
    struct bench_stamp stamp;
    int has_stamp = bench_stamp_parse(v->body_head, v->body_head_len, &stamp) == 0;
    s->has_stamp |= has_stamp;
    s->has_pan |= v->has_part_pan;
    if (is_counted)
        count_age(v, &stamp, has_stamp, t_us);
    count_move(v, &stamp, has_stamp, t_us);
    s->frames_total++;
    if (is_counted)
        s->frames++;
    if (v->part_seq != 0) {
        s->has_seq = 1;
        if (is_counted && v->last_seq != 0 && v->part_seq > v->last_seq + 1)
            s->lost += v->part_seq - v->last_seq - 1;
        v->last_seq = v->part_seq;
    }
    if (v->part_timestamp_us >= 0) {
        s->has_timestamp = 1;
        if (is_counted)
            bench_hist_add(v->target->latency, t_us - v->part_timestamp_us);
    }
}

/* Run body bytes through the multipart parser; t_us is when they were read. */
static void feed_multipart(struct bench_viewer *v, const uint8_t *data, size_t len, int64_t t_us)
{
    for (;;) {
        size_t used = 0;
        struct mjpeg_span span;
        enum mjpeg_result r = mjpeg_parser_feed(&v->parser, data, len, &used, &span);
        /* Bytes consumed between parts are the delimiter and the next part's headers. */
        if (!v->is_in_part && used > 0 && v->part_head_len < sizeof(v->part_head)) {
            size_t keep = sizeof(v->part_head) - v->part_head_len;
            if (keep > used)
                keep = used;
            memcpy(v->part_head + v->part_head_len, data, keep);
            v->part_head_len += keep;
        }
        data += used;
        len -= used;
        switch (r) {
        case MJPEG_NEED_MORE:
            return;
        case MJPEG_PART_BEGIN:
            parse_part_head(v);
            v->is_in_part = 1;
            v->body_head_len = 0;
            break;
        case MJPEG_DATA:
            if (v->body_head_len < sizeof(v->body_head)) {
                size_t keep = sizeof(v->body_head) - v->body_head_len;
                if (keep > span.len)
                    keep = span.len;
                memcpy(v->body_head + v->body_head_len, span.data, keep);
                v->body_head_len += keep;
            }
            break;
        case MJPEG_PART_END:
            on_part_end(v, t_us);
            v->is_in_part = 0;
            v->part_head_len = 0;
            break;
        case MJPEG_ERR_TOO_BIG:
        case MJPEG_ERR_HEADERS:
            v->stats.part_errors++;
            v->is_in_part = 0;
            v->part_head_len = 0;
            break;
        case MJPEG_END:
            fail(v, "the server ended the stream (close delimiter)");
            return;
        }
    }
}

/* Body bytes as read from the socket: remove chunked framing if any. */
static void feed_body(struct bench_viewer *v, const uint8_t *data, size_t len, int64_t t_us)
{
    if (!v->is_chunked) {
        feed_multipart(v, data, len, t_us);
        return;
    }
    while (len > 0 && v->state == ST_BODY) {
        size_t used;
        const uint8_t *span;
        size_t span_len;
        enum bench_chunked_result r =
            bench_chunked_decode(&v->chunked, data, len, &used, &span, &span_len);
        if (span_len > 0)
            feed_multipart(v, span, span_len, t_us);
        data += used;
        len -= used;
        if (r == BENCH_CHUNKED_END) {
            fail(v, "the server ended the stream (last chunk)");
        } else if (r == BENCH_CHUNKED_ERROR) {
            fail(v, "malformed chunked encoding");
        }
    }
}

/* The response head is complete: check it is a multipart stream and get ready for the body. */
static int start_body(struct bench_viewer *v, const struct bench_http_head *h)
{
    v->stats.status = h->status;
    if (h->status != 200) {
        fail(v, "the response was not 200");
        return -1;
    }
    char boundary[MJPEG_BOUNDARY_MAX + 1];
    if (mjpeg_boundary_from_content_type(h->content_type, boundary, sizeof(boundary)) < 0 ||
        mjpeg_parser_init(&v->parser, boundary, v->target->max_frame_bytes) < 0) {
        fail(v, "the response is not multipart with a boundary");
        return -1;
    }
    v->is_chunked = h->is_chunked;
    bench_chunked_init(&v->chunked);
    v->state = ST_BODY;
    v->stats.is_streaming = 1;
    free(v->head);
    v->head = NULL;
    return 0;
}

/* Bytes of the response head, and maybe the first body bytes after it. */
static void feed_head(struct bench_viewer *v, const uint8_t *data, size_t len, int64_t t_us)
{
    size_t old = v->head_len, room = BENCH_HTTP_HEAD_MAX - v->head_len;
    size_t take = len < room ? len : room;
    memcpy(v->head + v->head_len, data, take);
    v->head_len += take;
    struct bench_http_head h;
    long rc = bench_http_parse_head(v->head, v->head_len, &h);
    if (rc == 0)
        return;
    if (rc < 0) {
        fail(v, rc == -EMSGSIZE ? "response head too long" : "not an HTTP/1.x response");
        return;
    }
    if (start_body(v, &h) < 0)
        return;
    /* The head ended inside this read (else an earlier call would have found it). */
    size_t body_at = (size_t)rc - old;
    if (v->mode == BENCH_VIEWER_STALLED) {
        /* Read nothing more: the server's socket buffer fills and its writes stop progressing.
         * Locking a tiny receive buffer also stops the kernel from growing the window. */
        int rcvbuf = STALLED_RCVBUF_BYTES;
        if (setsockopt(v->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
            v->stats.failure = "setsockopt(SO_RCVBUF) failed; stalled anyway";
        event_del(v->ev_read);
    }
    if (len > body_at)
        feed_body(v, data + body_at, len - body_at, t_us);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct bench_viewer *v = arg;
    const struct bench_target *t = v->target;
    size_t want = t->read_buf_size;
    if (v->mode == BENCH_VIEWER_SLOW) {
        if (v->slow_budget < want)
            want = v->slow_budget;
        if (want == 0) {
            event_del(v->ev_read); /* the next tick re-arms it */
            return;
        }
    }
    /* One read per wake-up, as large as the buffer: fair to the other viewers and few calls. */
    ssize_t n = recv(fd, t->read_buf, want, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(v, errno_text(errno));
        return;
    }
    if (n == 0) {
        fail(v, "the server closed the connection");
        return;
    }
    int64_t t_us = now_us();
    if (is_in_window(t, t_us))
        v->stats.bytes += (uint64_t)n;
    if (v->mode == BENCH_VIEWER_SLOW) {
        v->slow_budget -= (size_t)n;
        if (v->slow_budget == 0)
            event_del(v->ev_read);
    }
    if (v->state == ST_HEAD)
        feed_head(v, t->read_buf, (size_t)n, t_us);
    else if (v->state == ST_BODY)
        feed_body(v, t->read_buf, (size_t)n, t_us);
}

static void on_slow_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct bench_viewer *v = arg;
    v->slow_budget = v->slow_per_tick;
    if ((v->state == ST_HEAD || v->state == ST_BODY) && !event_pending(v->ev_read, EV_READ, NULL))
        event_add(v->ev_read, NULL);
}

/* Connected (or failed to), or the socket has room for the rest of the request. */
static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct bench_viewer *v = arg;
    if (v->state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err != 0) {
            fail(v, errno_text(err));
            return;
        }
        v->state = ST_SENDING;
    }
    ssize_t n =
        send(fd, v->request + v->request_sent, v->request_len - v->request_sent, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(v, errno_text(errno));
        else
            event_add(v->ev_write, NULL);
        return;
    }
    v->request_sent += (size_t)n;
    if (v->request_sent < v->request_len) {
        event_add(v->ev_write, NULL);
        return;
    }
    v->state = ST_HEAD;
    if (event_add(v->ev_read, NULL) < 0)
        fail(v, "cannot watch the socket");
    if (v->ev_tick != NULL) {
        struct timeval tick = {.tv_sec = 0, .tv_usec = SLOW_TICK_MS * 1000};
        event_add(v->ev_tick, &tick);
    }
}

static int format_request(struct bench_viewer *v)
{
    const struct bench_target *t = v->target;
    int n = snprintf(v->request, sizeof(v->request),
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "User-Agent: lookout-bench\r\n"
                     "Accept: */*\r\n"
                     "%s%s%s"
                     "\r\n",
                     t->path, t->host_header, t->authorization ? "Authorization: " : "",
                     t->authorization ? t->authorization : "", t->authorization ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(v->request))
        return -ENAMETOOLONG;
    v->request_len = (size_t)n;
    return 0;
}

/* Create the socket and start a non-blocking connect. Returns 0 or a negative errno. */
static int start_connect(struct bench_viewer *v, struct event_base *base, const char *source)
{
    const struct bench_target *t = v->target;
    v->fd = socket(t->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (v->fd < 0)
        return -errno;
    if (v->mode == BENCH_VIEWER_SLOW && t->slow_rcvbuf_bytes > 0) {
        /* Before connect: the window scale is fixed by the handshake. */
        int rcvbuf = t->slow_rcvbuf_bytes;
        if (setsockopt(v->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
            return -errno;
    }
    if (source != NULL && t->addr->sa_family == AF_INET) {
        struct sockaddr_in local = {.sin_family = AF_INET};
        int one = 1;
        /* The port is chosen at connect time, per destination: no early exhaustion. */
        setsockopt(v->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (inet_pton(AF_INET, source, &local.sin_addr) != 1)
            return -EINVAL;
        if (bind(v->fd, (struct sockaddr *)&local, sizeof(local)) < 0)
            return -errno;
    }
    v->ev_write = event_new(base, v->fd, EV_WRITE, on_writable, v);
    v->ev_read = event_new(base, v->fd, EV_READ | EV_PERSIST, on_readable, v);
    if (v->ev_write == NULL || v->ev_read == NULL)
        return -ENOMEM;
    if (connect(v->fd, t->addr, t->addr_len) < 0 && errno != EINPROGRESS)
        return -errno;
    v->state = ST_CONNECTING;
    return event_add(v->ev_write, NULL) < 0 ? -ENOMEM : 0;
}

struct bench_viewer *bench_viewer_new(struct event_base *base, const struct bench_target *target,
                                      enum bench_viewer_mode mode, unsigned rate_bytes_per_s,
                                      const char *source_addr)
{
    struct bench_viewer *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    v->target = target;
    v->mode = mode;
    v->fd = -1;
    v->part_timestamp_us = -1;
    v->head = malloc(BENCH_HTTP_HEAD_MAX);
    if (v->head == NULL || format_request(v) < 0) {
        bench_viewer_free(v);
        return NULL;
    }
    if (mode == BENCH_VIEWER_SLOW) {
        v->slow_per_tick = rate_bytes_per_s / (1000 / SLOW_TICK_MS);
        if (v->slow_per_tick == 0)
            v->slow_per_tick = 1;
        v->slow_budget = v->slow_per_tick;
        v->ev_tick = event_new(base, -1, EV_PERSIST, on_slow_tick, v);
        if (v->ev_tick == NULL) {
            bench_viewer_free(v);
            return NULL;
        }
    }
    int rc = start_connect(v, base, source_addr);
    if (rc == -ENOMEM) {
        bench_viewer_free(v);
        return NULL;
    }
    if (rc < 0) {
        v->state = ST_CONNECTING; /* so that fail() records it */
        fail(v, errno_text(-rc));
    }
    return v;
}

void bench_viewer_free(struct bench_viewer *v)
{
    if (v == NULL)
        return;
    if (v->ev_write != NULL)
        event_free(v->ev_write);
    if (v->ev_read != NULL)
        event_free(v->ev_read);
    if (v->ev_tick != NULL)
        event_free(v->ev_tick);
    if (v->fd >= 0)
        close(v->fd);
    free(v->head);
    free(v);
}

enum bench_viewer_mode bench_viewer_mode(const struct bench_viewer *v)
{
    return v->mode;
}

void bench_viewer_get_stats(const struct bench_viewer *v, struct bench_viewer_stats *out)
{
    *out = v->stats;
}
