#include "sim_camera.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>

#include "font.h"
#include "node.h"
#include "sim_panorama.h"
#include "sim_scene.h"

struct sim_camera {
    unsigned width, height;
    int quality;
    const struct node *node;
    struct sim_scene *scene;       /* the landscape, or NULL */
    struct sim_panorama *panorama; /* borrowed: --scene, or NULL */
    tjhandle tj;
    uint8_t *rgb;
    unsigned char *jpeg;
    unsigned long jpeg_cap;
    bool is_out;           /* a frame is borrowed */
    unsigned long seq;     /* frame numbers handed out, shown on screen */
    unsigned long encoded; /* frames encoded, for the averages */
    unsigned long long render_us_total, encode_us_total;
    unsigned light_percent;    /* scene brightness, 100 = as rendered */
    uint32_t intruder_from_ms; /* a figure walks across the view from then ... */
    uint32_t intruder_ms;      /* ... for this long; 0: nobody */
};

/* Scale the picture's brightness (a lamp, a cloud, the camera's exposure). */
static void apply_light(struct sim_camera *sc)
{
    if (sc->light_percent == 100)
        return;
    size_t n = (size_t)sc->width * sc->height * 3;
    for (size_t i = 0; i < n; i++) {
        unsigned v = sc->rgb[i] * sc->light_percent / 100;
        sc->rgb[i] = (uint8_t)(v > 255 ? 255 : v);
    }
}

static void fill_rect(struct sim_camera *sc, long x0, long y0, long w, long h, const uint8_t c[3])
{
    for (long y = y0 < 0 ? 0 : y0; y < y0 + h && y < (long)sc->height; y++) {
        for (long x = x0 < 0 ? 0 : x0; x < x0 + w && x < (long)sc->width; x++)
            memcpy(sc->rgb + ((size_t)y * sc->width + (size_t)x) * 3, c, 3);
    }
}

/* The intruder: a dark figure (head, body, legs in step) crossing from left to right. */
static void draw_intruder(struct sim_camera *sc, uint32_t now_ms)
{
    if (sc->intruder_ms == 0 || (uint32_t)(now_ms - sc->intruder_from_ms) >= sc->intruder_ms)
        return;
    static const uint8_t coat[3] = {40, 30, 60}, skin[3] = {200, 150, 120};
    long w = (long)sc->width / 10, h = (long)sc->height / 2;
    uint32_t t = now_ms - sc->intruder_from_ms;
    long x = -w + (long)(((unsigned long long)sc->width + (unsigned long)w) * t / sc->intruder_ms);
    long y = (long)sc->height * 2 / 5;
    fill_rect(sc, x + w / 3, y, w / 3, h / 6, skin); /* head */
    fill_rect(sc, x, y + h / 6, w, h / 2, coat);     /* body */
    long step = (t / 250) % 2 ? w / 5 : 0;           /* legs */
    fill_rect(sc, x + step, y + h * 2 / 3, w / 3, h / 3, coat);
    fill_rect(sc, x + w * 2 / 3 - step, y + h * 2 / 3, w / 3, h / 3, coat);
}

void sim_camera_intruder(struct sim_camera *sc, uint32_t now_ms, uint32_t duration_ms)
{
    sc->intruder_from_ms = now_ms;
    sc->intruder_ms = duration_ms;
}

int sim_camera_set_light(struct sim_camera *sc, unsigned percent)
{
    if (percent < 1 || percent > 400)
        return -EINVAL;
    sc->light_percent = percent;
    return 0;
}

static unsigned long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

/* Darken rows [y0, y1) to about a third, so white text on them reads on any background. */
static void darken_rows(struct sim_camera *sc, unsigned y0, unsigned y1)
{
    if (y1 > sc->height)
        y1 = sc->height;
    for (unsigned y = y0; y < y1; y++) {
        uint8_t *p = sc->rgb + (size_t)y * sc->width * 3;
        for (unsigned i = 0; i < sc->width * 3; i++)
            p[i] = (uint8_t)(p[i] * 5 / 16);
    }
}

static const char *compass_point(int bearing_deg)
{
    static const char *const points[] = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"};
    return points[((bearing_deg + 22) / 45) % 8];
}

static void draw_crosshair(struct sim_camera *sc)
{
    static const uint8_t white[3] = {240, 240, 240};
    long cx = (long)sc->width / 2, cy = (long)sc->height / 2;
    long arm = (long)sc->width / 64 + 3, gap = arm / 2;
    for (long d = gap; d <= arm; d++) {
        long pts[4][2] = {{cx - d, cy}, {cx + d, cy}, {cx, cy - d}, {cx, cy + d}};
        for (int i = 0; i < 4; i++)
            memcpy(sc->rgb + ((size_t)pts[i][1] * sc->width + (size_t)pts[i][0]) * 3, white, 3);
    }
}

/* The on-screen display: date, time and frame number on top; angles and heading below. */
static void draw_osd(struct sim_camera *sc)
{
    static const uint8_t white[3] = {245, 245, 245}, amber[3] = {255, 200, 80};
    unsigned scale = sc->width >= 480 ? 2 : 1;
    unsigned pad = 3 * scale;
    unsigned strip = FONT_GLYPH_H * scale + 2 * pad;
    if (sc->height < 3 * strip)
        return; /* too small for a display; the picture matters more */

    char text[64];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    if (strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm) == 0)
        text[0] = '\0';
    darken_rows(sc, 0, strip);
    font_draw_text(sc->rgb, sc->width, sc->height, (int)pad, (int)pad, text, scale, white);
    snprintf(text, sizeof(text), "#%06lu", sc->seq);
    font_draw_text(sc->rgb, sc->width, sc->height,
                   (int)(sc->width - pad - font_text_width(text, scale)), (int)pad, text, scale,
                   white);

    int pan = node_pan_deg(sc->node), tilt = node_tilt_deg(sc->node);
    int bearing = ((90 - pan) % 360 + 360) % 360;
    darken_rows(sc, sc->height - strip, sc->height);
    snprintf(text, sizeof(text), "PAN %d TILT %d", pan, tilt);
    font_draw_text(sc->rgb, sc->width, sc->height, (int)pad, (int)(sc->height - strip + pad), text,
                   scale, node_is_moving(sc->node) ? amber : white);
    /* A heading means something in the landscape only: an image has no compass. */
    if (sc->scene != NULL) {
        snprintf(text, sizeof(text), "HDG %03d %s", bearing, compass_point(bearing));
        font_draw_text(sc->rgb, sc->width, sc->height,
                       (int)(sc->width - pad - font_text_width(text, scale)),
                       (int)(sc->height - strip + pad), text, scale, white);
    }
    draw_crosshair(sc);
}

static int op_start(void *self)
{
    (void)self;
    return 0;
}

static int op_get(void *self, uint32_t now_ms, struct cam_frame *out)
{
    struct sim_camera *sc = self;
    if (sc->is_out)
        return -EBUSY;
    unsigned long long t0 = mono_us();
    sc->seq++;
    int pan_mdeg = node_pan_mdeg(sc->node), tilt_mdeg = node_tilt_mdeg(sc->node);
    if (sc->panorama != NULL)
        sim_panorama_render(sc->panorama, sc->rgb, pan_mdeg, tilt_mdeg);
    else
        sim_scene_render(sc->scene, sc->rgb, pan_mdeg, tilt_mdeg);
    draw_intruder(sc, now_ms);
    apply_light(sc);
    draw_osd(sc);
    unsigned long long t1 = mono_us();
    unsigned long size = sc->jpeg_cap;
    /* NOREALLOC: the buffer is tjBufSize, the documented worst case, so it always fits. */
    if (tjCompress2(sc->tj, sc->rgb, (int)sc->width, 0, (int)sc->height, TJPF_RGB, &sc->jpeg, &size,
                    TJSAMP_420, sc->quality, TJFLAG_NOREALLOC | TJFLAG_FASTDCT) != 0)
        return -EIO;
    unsigned long long t2 = mono_us();
    sc->encoded++;
    sc->render_us_total += t1 - t0;
    sc->encode_us_total += t2 - t1;
    sc->is_out = true;
    *out = (struct cam_frame){
        .data = sc->jpeg,
        .len = size,
        .width = sc->width,
        .height = sc->height,
        .captured_ms = now_ms,
        .seq = sc->seq,
        .has_angles = 1,
        .pan_mdeg = pan_mdeg,
        .tilt_mdeg = tilt_mdeg,
    };
    return 0;
}

static void op_put(void *self, struct cam_frame *frame)
{
    struct sim_camera *sc = self;
    sc->is_out = false;
    memset(frame, 0, sizeof(*frame));
}

static void op_frame_size(const void *self, unsigned *width, unsigned *height)
{
    const struct sim_camera *sc = self;
    *width = sc->width;
    *height = sc->height;
}

static int op_set_quality(void *self, int quality)
{
    struct sim_camera *sc = self;
    if (quality < 1 || quality > 100)
        return -EINVAL;
    sc->quality = quality;
    return 0;
}

static const struct cam_ops sim_camera_ops = {
    .start = op_start,
    .get = op_get,
    .put = op_put,
    .frame_size = op_frame_size,
    .set_quality = op_set_quality,
};

struct sim_camera *sim_camera_new(const struct sim_camera_config *cfg, const struct node *node)
{
    if (cfg->width < 16 || cfg->width > 4096 || cfg->height < 16 || cfg->height > 4096 ||
        cfg->quality < 1 || cfg->quality > 100 || node == NULL)
        return NULL;
    if (cfg->panorama != NULL) {
        /* It renders into our RGB buffer: a panorama of another size would overrun it. */
        unsigned w, h;
        sim_panorama_output_size(cfg->panorama, &w, &h);
        if (w != cfg->width || h != cfg->height)
            return NULL;
    }
    struct sim_camera *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return NULL;
    sc->width = cfg->width;
    sc->height = cfg->height;
    sc->quality = cfg->quality;
    sc->light_percent = 100;
    sc->node = node;
    sc->panorama = cfg->panorama;
    if (cfg->panorama == NULL)
        sc->scene = sim_scene_new(cfg->width, cfg->height);
    sc->tj = tjInitCompress();
    sc->rgb = malloc((size_t)cfg->width * cfg->height * 3);
    sc->jpeg_cap = tjBufSize((int)cfg->width, (int)cfg->height, TJSAMP_420);
    sc->jpeg = sc->jpeg_cap != (unsigned long)-1 ? tjAlloc((int)sc->jpeg_cap) : NULL;
    if ((sc->scene == NULL && sc->panorama == NULL) || sc->tj == NULL || sc->rgb == NULL ||
        sc->jpeg == NULL) {
        sim_camera_free(sc);
        return NULL;
    }
    return sc;
}

void sim_camera_free(struct sim_camera *sc)
{
    if (sc == NULL)
        return;
    sim_scene_free(sc->scene);
    if (sc->tj != NULL)
        tjDestroy(sc->tj);
    free(sc->rgb);
    tjFree(sc->jpeg);
    free(sc);
}

struct cam sim_camera_cam(struct sim_camera *sc)
{
    return (struct cam){.ops = &sim_camera_ops, .self = sc};
}

void sim_camera_get_stats(const struct sim_camera *sc, struct sim_camera_stats *out)
{
    out->frames = sc->encoded;
    out->render_us_avg = sc->encoded ? (unsigned long)(sc->render_us_total / sc->encoded) : 0;
    out->encode_us_avg = sc->encoded ? (unsigned long)(sc->encode_us_total / sc->encoded) : 0;
}
