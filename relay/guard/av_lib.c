#include "av_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* The sonames of the libraries the headers describe (libavformat.so.59 on Debian 12). */
#define SONAME_AVUTIL "libavutil.so." STR(LIBAVUTIL_VERSION_MAJOR)
#define SONAME_AVCODEC "libavcodec.so." STR(LIBAVCODEC_VERSION_MAJOR)
#define SONAME_AVFORMAT "libavformat.so." STR(LIBAVFORMAT_VERSION_MAJOR)

/* Every function used, with the header's own type. */
#define AV_FUNCTIONS(X)                                                                            \
    X(avutil, av_log_set_level)                                                                    \
    X(avutil, av_rescale_q)                                                                        \
    X(avcodec, av_packet_alloc)                                                                    \
    X(avcodec, av_packet_free)                                                                     \
    X(avcodec, av_packet_unref)                                                                    \
    X(avformat, avformat_alloc_output_context2)                                                    \
    X(avformat, avformat_new_stream)                                                               \
    X(avformat, avformat_write_header)                                                             \
    X(avformat, avformat_free_context)                                                             \
    X(avformat, avformat_open_input)                                                               \
    X(avformat, avformat_find_stream_info)                                                         \
    X(avformat, avformat_close_input)                                                              \
    X(avformat, av_write_frame)                                                                    \
    X(avformat, av_write_trailer)                                                                  \
    X(avformat, av_read_frame)                                                                     \
    X(avformat, av_seek_frame)                                                                     \
    X(avformat, avio_open)                                                                         \
    X(avformat, avio_closep)

#define AV_POINTER(lib, name) __typeof__(name) *name;
static struct {
    AV_FUNCTIONS(AV_POINTER)
} av;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[512];

static void *open_lib(const char *soname, const char *package)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        snprintf(load_err, sizeof(load_err), "recording needs %s (Debian package %s): %s", soname,
                 package, dlerror());
    return h;
}

/* Never dlclose()d: the functions stay in use until the process ends. */
static void load(void)
{
    void *avutil = open_lib(SONAME_AVUTIL, "libavutil" STR(LIBAVUTIL_VERSION_MAJOR));
    void *avcodec =
        avutil ? open_lib(SONAME_AVCODEC, "libavcodec" STR(LIBAVCODEC_VERSION_MAJOR)) : NULL;
    void *avformat =
        avcodec ? open_lib(SONAME_AVFORMAT, "libavformat" STR(LIBAVFORMAT_VERSION_MAJOR)) : NULL;
    if (avformat == NULL) {
        load_rc = -ENOENT;
        return;
    }
#define AV_RESOLVE(lib, name)                                                                      \
    if (load_rc == 0 && (av.name = (__typeof__(av.name))dlsym(lib, #name)) == NULL) {              \
        snprintf(load_err, sizeof(load_err), "lib%s has no %s: %s", #lib, #name, dlerror());       \
        load_rc = -ENOENT;                                                                         \
    }
    AV_FUNCTIONS(AV_RESOLVE)
#undef AV_RESOLVE
}

int av_lib_load(char *err, size_t err_size)
{
    pthread_once(&load_once, load);
    if (load_rc < 0 && err != NULL)
        snprintf(err, err_size, "%s", load_err);
    return load_rc;
}

/* For the forwarders: start-up loads the libraries before recording starts and refuses to start
 * without them, so failing here is a broken invariant, not an error to handle. */
static void need(void)
{
    if (av_lib_load(NULL, 0) < 0) {
        fprintf(stderr, "lookout: %s\n", load_err);
        abort();
    }
}

/* The forwarders, with the prototypes of Debian 12's headers (the compiler checks them). */
void av_log_set_level(int level)
{
    need();
    av.av_log_set_level(level);
}

int64_t av_rescale_q(int64_t a, AVRational bq, AVRational cq)
{
    need();
    return av.av_rescale_q(a, bq, cq);
}

AVPacket *av_packet_alloc(void)
{
    need();
    return av.av_packet_alloc();
}

void av_packet_free(AVPacket **pkt)
{
    need();
    av.av_packet_free(pkt);
}

void av_packet_unref(AVPacket *pkt)
{
    need();
    av.av_packet_unref(pkt);
}

int avformat_alloc_output_context2(AVFormatContext **ctx, const AVOutputFormat *oformat,
                                   const char *format_name, const char *filename)
{
    need();
    return av.avformat_alloc_output_context2(ctx, oformat, format_name, filename);
}

AVStream *avformat_new_stream(AVFormatContext *s, const AVCodec *c)
{
    need();
    return av.avformat_new_stream(s, c);
}

int avformat_write_header(AVFormatContext *s, AVDictionary **options)
{
    need();
    return av.avformat_write_header(s, options);
}

void avformat_free_context(AVFormatContext *s)
{
    need();
    av.avformat_free_context(s);
}

int avformat_open_input(AVFormatContext **ps, const char *url, const AVInputFormat *fmt,
                        AVDictionary **options)
{
    need();
    return av.avformat_open_input(ps, url, fmt, options);
}

int avformat_find_stream_info(AVFormatContext *ic, AVDictionary **options)
{
    need();
    return av.avformat_find_stream_info(ic, options);
}

void avformat_close_input(AVFormatContext **s)
{
    need();
    av.avformat_close_input(s);
}

int av_write_frame(AVFormatContext *s, AVPacket *pkt)
{
    need();
    return av.av_write_frame(s, pkt);
}

int av_write_trailer(AVFormatContext *s)
{
    need();
    return av.av_write_trailer(s);
}

int av_read_frame(AVFormatContext *s, AVPacket *pkt)
{
    need();
    return av.av_read_frame(s, pkt);
}

int av_seek_frame(AVFormatContext *s, int stream_index, int64_t timestamp, int flags)
{
    need();
    return av.av_seek_frame(s, stream_index, timestamp, flags);
}

int avio_open(AVIOContext **s, const char *url, int flags)
{
    need();
    return av.avio_open(s, url, flags);
}

int avio_closep(AVIOContext **s)
{
    need();
    return av.avio_closep(s);
}
