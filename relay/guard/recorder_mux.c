#include "recorder_mux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "record_path.h"

struct recorder_mux {
    AVFormatContext *oc;
    AVPacket *pkt;
    char path[1024];
};

/* libavformat's codes are negative errnos for system errors; anything else is -EIO. */
static int av_errno(int averr)
{
    return averr < 0 && averr > -4096 ? averr : -EIO;
}

static void free_mux(struct recorder_mux *m)
{
    if (m->oc != NULL) {
        if (m->oc->pb != NULL)
            avio_closep(&m->oc->pb);
        avformat_free_context(m->oc);
    }
    av_packet_free(&m->pkt);
    free(m);
}

int recorder_mux_open(struct recorder_mux **out, const char *path, int width, int height)
{
    struct recorder_mux *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -ENOMEM;
    snprintf(m->path, sizeof(m->path), "%s", path);
    int rc = avformat_alloc_output_context2(&m->oc, NULL, "matroska", path);
    AVStream *st = rc >= 0 ? avformat_new_stream(m->oc, NULL) : NULL;
    m->pkt = av_packet_alloc();
    if (st == NULL || m->pkt == NULL) {
        free_mux(m);
        return rc < 0 ? av_errno(rc) : -ENOMEM;
    }
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_MJPEG;
    st->codecpar->width = width;
    st->codecpar->height = height;
    st->time_base = (AVRational){1, 1000};
    /* Each frame reaches the file (the kernel's page cache) as it is written, its cluster
     * closed: a process killed a moment later loses nothing written, which matters most for a
     * timelapse's rare frames. One write per frame; no fsync until the end. */
    m->oc->flush_packets = 1;
    /* A new file each time: whatever holds its name goes first (a link would be followed). */
    unlink(path);
    rc = avio_open(&m->oc->pb, path, AVIO_FLAG_WRITE);
    if (rc >= 0)
        rc = avformat_write_header(m->oc, NULL);
    if (rc < 0) {
        free_mux(m);
        unlink(path);
        return av_errno(rc);
    }
    *out = m;
    return 0;
}

int recorder_mux_write(struct recorder_mux *m, const uint8_t *jpeg, size_t len, int64_t pts_ms)
{
    AVStream *st = m->oc->streams[0];
    av_packet_unref(m->pkt);
    m->pkt->data = (uint8_t *)jpeg; /* not reference-counted: the muxer copies what it keeps */
    m->pkt->size = (int)len;
    m->pkt->stream_index = 0;
    m->pkt->flags |= AV_PKT_FLAG_KEY;
    m->pkt->pts = m->pkt->dts = av_rescale_q(pts_ms, (AVRational){1, 1000}, st->time_base);
    int rc = av_write_frame(m->oc, m->pkt);
    m->pkt->data = NULL;
    m->pkt->size = 0;
    if (rc >= 0)
        rc = av_write_frame(m->oc, NULL); /* close the cluster; flush_packets writes it out */
    if (rc >= 0 && m->oc->pb->error < 0)
        rc = m->oc->pb->error;
    return rc < 0 ? av_errno(rc) : 0;
}

int recorder_mux_close(struct recorder_mux *m)
{
    int rc = av_write_trailer(m->oc);
    if (rc >= 0 && m->oc->pb->error < 0)
        rc = m->oc->pb->error;
    int closed = avio_closep(&m->oc->pb);
    if (rc >= 0)
        rc = closed;
    /* avio hides its descriptor: open again to fsync (it syncs the file, not the descriptor). */
    if (rc >= 0) {
        int fd = open(m->path, O_RDONLY | O_CLOEXEC);
        rc = fd < 0 || fsync(fd) != 0 ? -errno : 0;
        if (fd >= 0)
            close(fd);
    }
    free_mux(m);
    return rc < 0 ? av_errno(rc) : 0;
}

void recorder_mux_abort(struct recorder_mux *m)
{
    if (m != NULL)
        free_mux(m);
}

/* Open a recording for reading; 0 or -EINVAL. */
static int open_input(const char *path, AVFormatContext **ic)
{
    *ic = NULL;
    if (!record_path_is_file(path) || avformat_open_input(ic, path, NULL, NULL) < 0)
        return -EINVAL;
    if (avformat_find_stream_info(*ic, NULL) < 0 || (*ic)->nb_streams < 1 ||
        (*ic)->streams[0]->codecpar->codec_id != AV_CODEC_ID_MJPEG) {
        avformat_close_input(ic);
        return -EINVAL;
    }
    return 0;
}

/* Read every packet of ic; call out (if any) for each. Stores the frame count and duration. */
static int read_all(AVFormatContext *ic, struct recorder_mux *out, uint32_t *frames,
                    int64_t *duration_ms)
{
    AVPacket *pkt = av_packet_alloc();
    if (pkt == NULL)
        return -ENOMEM;
    AVRational tb = ic->streams[0]->time_base;
    int64_t first = AV_NOPTS_VALUE, last = 0;
    uint32_t n = 0;
    int rc = 0;
    while (av_read_frame(ic, pkt) >= 0) {
        if (pkt->stream_index == 0 && pkt->size > 0) {
            int64_t ms = av_rescale_q(pkt->pts, tb, (AVRational){1, 1000});
            if (first == AV_NOPTS_VALUE)
                first = ms;
            last = ms;
            n++;
            if (out != NULL &&
                (rc = recorder_mux_write(out, pkt->data, (size_t)pkt->size, ms - first)) < 0)
                break;
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    *frames = n;
    *duration_ms = n > 0 ? last - first : 0;
    return rc < 0 ? rc : n > 0 ? 0 : -EINVAL;
}

int recorder_mux_probe(const char *path, uint32_t *frames, int64_t *duration_ms)
{
    AVFormatContext *ic;
    if (open_input(path, &ic) < 0)
        return -EINVAL;
    int rc = read_all(ic, NULL, frames, duration_ms);
    avformat_close_input(&ic);
    return rc;
}

int recorder_mux_recover(const char *in_path, const char *out_path, uint32_t *frames,
                         int64_t *duration_ms)
{
    AVFormatContext *ic;
    if (open_input(in_path, &ic) < 0)
        return -EINVAL;
    AVCodecParameters *par = ic->streams[0]->codecpar;
    struct recorder_mux *out = NULL;
    int rc = recorder_mux_open(&out, out_path, par->width, par->height);
    if (rc == 0)
        rc = read_all(ic, out, frames, duration_ms);
    avformat_close_input(&ic);
    if (rc == 0)
        return recorder_mux_close(out);
    recorder_mux_abort(out);
    unlink(out_path);
    return rc;
}

int recorder_mux_jpeg_size(const uint8_t *jpeg, size_t len, int *width, int *height)
{
    /* Walk the markers to the first SOFn (ITU T.81 B.2.2): FF Cn, length, precision, height,
     * width. Sizes are bounded by len at every step. */
    size_t i = 2;
    if (len < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
        return -EINVAL;
    while (i + 4 <= len) {
        if (jpeg[i] != 0xff)
            return -EINVAL;
        uint8_t marker = jpeg[i + 1];
        size_t seg = (size_t)jpeg[i + 2] << 8 | jpeg[i + 3];
        int is_sof =
            marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
        if (is_sof && i + 9 <= len) {
            *height = jpeg[i + 5] << 8 | jpeg[i + 6];
            *width = jpeg[i + 7] << 8 | jpeg[i + 8];
            return *width > 0 && *height > 0 ? 0 : -EINVAL;
        }
        if (seg < 2)
            return -EINVAL;
        i += 2 + seg;
    }
    return -EINVAL;
}
