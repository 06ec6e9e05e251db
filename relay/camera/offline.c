#include "offline.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <turbojpeg.h>

#include "font.h"
#include "frame.h"
#include "hub.h"
#include "source.h"
#define LOG_TAG "offline"
#include "log.h"

#define DEFAULT_W 640
#define DEFAULT_H 480
#define MAX_DIM 4096
#define QUALITY 70

struct offline {
    struct hub *hub;
    struct source *source;
    struct event *timer;
    tjhandle encoder;
    tjhandle decoder;
    int width;
    int height;
};

/* Remember the camera's frame size from the newest live frame, for a picture of the same size. */
static void learn_size(struct offline *o)
{
    struct frame *f = hub_latest(o->hub);
    if (f == NULL)
        return;
    size_t len;
    const uint8_t *jpeg = frame_jpeg(f, &len);
    int w, h, subsamp, colorspace;
    if (tjDecompressHeader3(o->decoder, jpeg, (unsigned long)len, &w, &h, &subsamp, &colorspace) ==
            0 &&
        w > 0 && h > 0 && w <= MAX_DIM && h <= MAX_DIM) {
        o->width = w;
        o->height = h;
    }
}

/* The font knows digits, A-Z and a few signs; anything else would print as '?'. */
static void printable(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (; *text && n + 1 < size; text++) {
        char c = *text;
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 strchr(" :-/.#", c) != NULL;
        out[n++] = ok ? c : ' ';
    }
    out[n] = '\0';
}

static void draw_centered(uint8_t *rgb, int w, int h, int y, const char *text, unsigned scale,
                          const uint8_t color[3])
{
    /* Shrink until it fits: reasons can be long on a small picture. */
    while (scale > 1 && (int)font_text_width(text, scale) > w - 16)
        scale--;
    int x = (w - (int)font_text_width(text, scale)) / 2;
    font_draw_text(rgb, (unsigned)w, (unsigned)h, x, y, text, scale, color);
}

static struct frame *render(struct offline *o, const char *reason)
{
    static const uint8_t white[3] = {235, 235, 235}, amber[3] = {255, 190, 60},
                         grey[3] = {160, 160, 170};
    int w = o->width, h = o->height;
    uint8_t *rgb = malloc((size_t)w * (size_t)h * 3);
    if (rgb == NULL)
        return NULL;
    memset(rgb, 28, (size_t)w * (size_t)h * 3);
    unsigned big = (unsigned)(w / 160 > 1 ? w / 160 : 1);
    char line[128], when[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    draw_centered(rgb, w, h, h / 2 - (int)(14 * big), "CAMERA OFFLINE", big + 1, amber);
    printable(line, sizeof(line), reason);
    draw_centered(rgb, w, h, h / 2 + (int)(4 * big), line, big, white);
    draw_centered(rgb, w, h, h / 2 + (int)(18 * big), when, big, grey);

    unsigned char *jpeg = NULL;
    unsigned long jpeg_len = 0;
    struct frame *f = NULL;
    if (tjCompress2(o->encoder, rgb, w, 0, h, TJPF_RGB, &jpeg, &jpeg_len, TJSAMP_420, QUALITY,
                    TJFLAG_FASTDCT) == 0) {
        f = frame_new(jpeg_len, jpeg_len);
        if (f != NULL && frame_append(f, jpeg, jpeg_len) < 0) {
            frame_unref(f);
            f = NULL;
        }
    } else {
        LOG_WARN("cannot encode the offline picture: %s", tjGetErrorStr2(o->encoder));
    }
    tjFree(jpeg);
    free(rgb);
    return f;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct offline *o = arg;
    /* On every tick, not only while online: a camera that fails within one interval of its
     * first frame is still drawn at its own size. While offline the newest frame is the
     * camera's last one or an offline picture already of that size. */
    learn_size(o);
    if (source_is_online(o->source))
        return;
    /* Nor while waking from standby: the camera is not known to be offline before it fails. */
    if (hub_viewer_count(o->hub) == 0 || source_is_standby(o->source) ||
        source_is_connecting(o->source))
        return;
    struct frame *f = render(o, source_offline_reason(o->source));
    if (f == NULL)
        return;
    hub_publish(o->hub, f, clock_now_us());
    frame_unref(f);
}

struct offline *offline_new(struct event_base *base, struct hub *hub, struct source *source,
                            unsigned interval_ms)
{
    struct offline *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->hub = hub;
    o->source = source;
    o->width = DEFAULT_W;
    o->height = DEFAULT_H;
    o->encoder = tjInitCompress();
    o->decoder = tjInitDecompress();
    o->timer = event_new(base, -1, EV_PERSIST, on_tick, o);
    struct timeval tv = {.tv_sec = interval_ms / 1000, .tv_usec = (interval_ms % 1000) * 1000};
    if (o->encoder == NULL || o->decoder == NULL || o->timer == NULL ||
        event_add(o->timer, &tv) < 0) {
        offline_free(o);
        return NULL;
    }
    return o;
}

void offline_free(struct offline *o)
{
    if (o == NULL)
        return;
    if (o->timer != NULL)
        event_free(o->timer);
    if (o->encoder != NULL)
        tjDestroy(o->encoder);
    if (o->decoder != NULL)
        tjDestroy(o->decoder);
    free(o);
}
