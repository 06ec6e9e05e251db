#include "frame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "mjpeg_writer.h"

/* Room for "Content-Type: image/jpeg\r\nContent-Length: N\r\nX-Timestamp: ...\r\n..." */
#define FRAME_HEADROOM 256
/* The camera's fields passed on (X-Pan, X-Tilt), each value at most FIELD_VALUE_MAX. */
#define FRAME_PASSED_MAX 64
#define FIELD_VALUE_MAX 12
#define FRAME_TAILROOM (MJPEG_BOUNDARY_MAX + 8)

struct frame {
    unsigned refs;
    uint64_t seq;
    int64_t received_us;
    size_t jpeg_len;
    size_t capacity; /* JPEG bytes that fit without growing */
    size_t max_bytes;
    size_t header_len;
    size_t tail_len;
    uint8_t *buf;                          /* FRAME_HEADROOM + capacity + FRAME_TAILROOM bytes */
    struct evbuffer_file_segment *segment; /* the wire bytes in a memfd, made on first use */
    int has_segment_failed;
    char passed[FRAME_PASSED_MAX]; /* header lines from the camera, checked, for viewers */
};

struct frame *frame_new(size_t capacity, size_t max_bytes)
{
    if (capacity > max_bytes)
        capacity = max_bytes;
    struct frame *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->buf = malloc(FRAME_HEADROOM + capacity + FRAME_TAILROOM);
    if (f->buf == NULL) {
        free(f);
        return NULL;
    }
    f->refs = 1;
    f->capacity = capacity;
    f->max_bytes = max_bytes;
    return f;
}

int frame_append(struct frame *f, const void *data, size_t len)
{
    if (len > f->max_bytes - f->jpeg_len)
        return -ENOSPC;
    if (f->jpeg_len + len > f->capacity) {
        /* Only parts without Content-Length grow; doubling keeps that to a few reallocs. */
        size_t want = f->capacity ? f->capacity * 2 : 64 * 1024;
        if (want < f->jpeg_len + len)
            want = f->jpeg_len + len;
        if (want > f->max_bytes)
            want = f->max_bytes;
        uint8_t *grown = realloc(f->buf, FRAME_HEADROOM + want + FRAME_TAILROOM);
        if (grown == NULL)
            return -ENOMEM;
        f->buf = grown;
        f->capacity = want;
    }
    memcpy(f->buf + FRAME_HEADROOM + f->jpeg_len, data, len);
    f->jpeg_len += len;
    return 0;
}

/* A decimal number as a camera may write an angle: "-12", "90.5". */
static int is_number(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    size_t digits = 0, dots = 0;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && dots++ == 0 && digits > 0)
            continue;
        else
            return 0;
    }
    return digits > 0 && s[n - 1] != '.';
}

/* Append "Name: value\r\n" to f->passed if x_fields has the field with a numeric value. */
static void pass_field(struct frame *f, const char *x_fields, const char *name)
{
    size_t name_len = strlen(name);
    for (const char *line = x_fields; *line != '\0';) {
        const char *end = strstr(line, "\r\n");
        if (end == NULL)
            return;
        if ((size_t)(end - line) > name_len + 1 && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            size_t n = (size_t)(end - v);
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n == 0 || n > FIELD_VALUE_MAX || !is_number(v, n))
                return;
            size_t used = strlen(f->passed);
            snprintf(f->passed + used, sizeof(f->passed) - used, "%s: %.*s\r\n", name, (int)n, v);
            return;
        }
        line = end + 2;
    }
}

void frame_pass_fields(struct frame *f, const char *x_fields)
{
    f->passed[0] = '\0';
    pass_field(f, x_fields, "X-Pan");
    pass_field(f, x_fields, "X-Tilt");
}

int frame_finish(struct frame *f, uint64_t seq, int64_t received_us, const char *boundary)
{
    char header[FRAME_HEADROOM];
    char extra[96 + FRAME_PASSED_MAX];
    if (f->jpeg_len == 0)
        return -EINVAL;
    f->seq = seq;
    f->received_us = received_us;
    /* X-Timestamp in seconds, as ustreamer and mjpg-streamer send it; the sequence lets a
     * client (make bench) count the frames it lost. */
    snprintf(extra, sizeof(extra),
             "X-Timestamp: %" PRId64 ".%06" PRId64 "\r\nX-Frame-Seq: %" PRIu64 "\r\n%s",
             received_us / 1000000, received_us % 1000000, seq, f->passed);
    int h = mjpeg_write_part_fields(header, sizeof(header), f->jpeg_len, extra);
    int t = mjpeg_write_delimiter((char *)f->buf + FRAME_HEADROOM + f->jpeg_len, FRAME_TAILROOM,
                                  boundary);
    if (h < 0 || t < 0)
        return -EINVAL;
    f->header_len = (size_t)h;
    f->tail_len = (size_t)t;
    memcpy(f->buf + FRAME_HEADROOM - f->header_len, header, f->header_len);
    return 0;
}

struct frame *frame_ref(struct frame *f)
{
    f->refs++;
    return f;
}

void frame_unref(struct frame *f)
{
    if (f == NULL || --f->refs > 0)
        return;
    /* Output buffers still sending it hold their own references to the segment. */
    if (f->segment != NULL)
        evbuffer_file_segment_free(f->segment);
    free(f->buf);
    free(f);
}

const uint8_t *frame_jpeg(const struct frame *f, size_t *len)
{
    *len = f->jpeg_len;
    return f->buf + FRAME_HEADROOM;
}

const uint8_t *frame_wire(const struct frame *f, size_t *len)
{
    *len = f->header_len + f->jpeg_len + f->tail_len;
    return f->buf + FRAME_HEADROOM - f->header_len;
}

uint64_t frame_seq(const struct frame *f)
{
    return f->seq;
}

int64_t frame_received_us(const struct frame *f)
{
    return f->received_us;
}

struct evbuffer_file_segment *frame_file_segment(struct frame *f)
{
    if (f->segment != NULL || f->has_segment_failed)
        return f->segment;
    size_t len;
    const uint8_t *wire = frame_wire(f, &len);
    int fd = memfd_create("lookout-frame", MFD_CLOEXEC);
    ssize_t written = fd >= 0 ? write(fd, wire, len) : -1;
    if (written == (ssize_t)len) {
        /* Without mmap libevent sends it with sendfile(2); CLOSE_ON_FREE: the fd goes with
         * the segment's last reference. */
        f->segment = evbuffer_file_segment_new(fd, 0, (ev_off_t)len,
                                               EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_MMAP);
    }
    if (f->segment == NULL) {
        if (fd >= 0)
            close(fd);
        f->has_segment_failed = 1; /* out of descriptors or memory: references it is */
    }
    return f->segment;
}
