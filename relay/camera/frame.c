#include "frame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "mjpeg_writer.h"

/* Room for "Content-Type: image/jpeg\r\nContent-Length: N\r\nX-Timestamp: ...\r\n..." */
#define FRAME_HEADROOM 192
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

int frame_finish(struct frame *f, uint64_t seq, int64_t received_us, const char *boundary)
{
    char header[FRAME_HEADROOM];
    char extra[96];
    if (f->jpeg_len == 0)
        return -EINVAL;
    f->seq = seq;
    f->received_us = received_us;
    /* X-Timestamp in seconds, as ustreamer and mjpg-streamer send it; the sequence lets a
     * client (make bench) count the frames it lost. */
    snprintf(extra, sizeof(extra),
             "X-Timestamp: %" PRId64 ".%06" PRId64 "\r\nX-Frame-Seq: %" PRIu64 "\r\n",
             received_us / 1000000, received_us % 1000000, seq);
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
