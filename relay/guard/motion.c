#include "motion.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "clock.h"

/* Frames the background is built from after a reset before motion is judged. */
#define LEARN_FRAMES 4
/* Background fixed point: value << BG_SHIFT keeps the running average's fraction. */
#define BG_SHIFT 4
/* Running average rates as shifts: still pixels follow in ~16 frames, changed ones ~64. */
#define RATE_STILL 4
#define RATE_CHANGED 6
/* A change of mean brightness beyond this share is lighting (a lamp, a cloud, exposure). */
#define LIGHT_GAIN_PCT 10
/* Changed pixels beyond this share of the picture are a global change, not an intruder. */
#define LIGHT_AREA_PCT 60
/* Largest detection picture (1/8 of 8192x8192): a bigger frame is refused. */
#define MAX_SCALED_PIXELS (1024 * 1024)

struct motion {
    struct motion_settings settings;
    unsigned settle_ms;
    tjhandle tj;
    unsigned width, height;
    uint8_t *gray;   /* the current picture, width * height */
    uint16_t *bg;    /* background << BG_SHIFT */
    uint8_t *masked; /* 1: ignore this pixel */
    size_t unmasked; /* pixels looked at */
    unsigned learn_left;
    int is_moving;
    int64_t paused_until_us;
    int64_t last_cost_us;
};

void motion_settings_default(struct motion_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->sensitivity = 50;
}

int motion_settings_check(const struct motion_settings *s, const char **reason)
{
    if (s->sensitivity < 1 || s->sensitivity > 100) {
        *reason = "sensitivity: expected a whole number from 1 to 100";
        return -EINVAL;
    }
    if (s->mask_count > MOTION_MASKS_MAX) {
        *reason = "mask: at most 16 rectangles";
        return -EINVAL;
    }
    for (size_t i = 0; i < s->mask_count; i++) {
        const struct motion_rect *r = &s->masks[i];
        if (r->w == 0 || r->h == 0 || r->x > 1000 || r->y > 1000 || r->w > 1000 - r->x ||
            r->h > 1000 - r->y) {
            *reason = "mask: each rectangle is x,y,w,h in per-mille, inside 0..1000, not empty";
            return -EINVAL;
        }
    }
    return 0;
}

/* The mask bitmap at the detection size, and the count of pixels left to look at. */
static void build_mask(struct motion *m)
{
    if (m->masked == NULL)
        return;
    memset(m->masked, 0, (size_t)m->width * m->height);
    for (size_t i = 0; i < m->settings.mask_count; i++) {
        const struct motion_rect *r = &m->settings.masks[i];
        unsigned x0 = r->x * m->width / 1000, x1 = ((r->x + r->w) * m->width + 999) / 1000;
        unsigned y0 = r->y * m->height / 1000, y1 = ((r->y + r->h) * m->height + 999) / 1000;
        for (unsigned y = y0; y < y1 && y < m->height; y++)
            memset(m->masked + (size_t)y * m->width + x0, 1, (x1 < m->width ? x1 : m->width) - x0);
    }
    m->unmasked = 0;
    for (size_t i = 0; i < (size_t)m->width * m->height; i++)
        m->unmasked += !m->masked[i];
}

struct motion *motion_new(const struct motion_settings *settings, unsigned settle_ms)
{
    struct motion *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    if (settings != NULL)
        m->settings = *settings;
    else
        motion_settings_default(&m->settings);
    m->settle_ms = settle_ms;
    m->learn_left = LEARN_FRAMES;
    return m;
}

void motion_free(struct motion *m)
{
    if (m == NULL)
        return;
    if (m->tj != NULL)
        tjDestroy(m->tj);
    free(m->gray);
    free(m->bg);
    free(m->masked);
    free(m);
}

int motion_set_settings(struct motion *m, const struct motion_settings *s)
{
    const char *reason;
    if (motion_settings_check(s, &reason) < 0)
        return -EINVAL;
    m->settings = *s;
    build_mask(m);
    return 0;
}

void motion_get_settings(const struct motion *m, struct motion_settings *out)
{
    *out = m->settings;
}

void motion_ptz_moving(struct motion *m, int64_t now_us)
{
    (void)now_us;
    m->is_moving = 1;
    m->learn_left = LEARN_FRAMES;
}

void motion_ptz_settled(struct motion *m, int64_t now_us)
{
    m->is_moving = 0;
    m->paused_until_us = now_us + (int64_t)m->settle_ms * 1000;
    m->learn_left = LEARN_FRAMES;
}

int64_t motion_last_cost_us(const struct motion *m)
{
    return m->last_cost_us;
}

/* (Re)allocate the pictures for a new detection size; the background starts over. */
static int resize(struct motion *m, unsigned width, unsigned height)
{
    if (width == m->width && height == m->height && m->gray != NULL)
        return 0;
    size_t n = (size_t)width * height;
    if (n == 0 || n > MAX_SCALED_PIXELS)
        return -EINVAL;
    free(m->gray);
    free(m->bg);
    free(m->masked);
    m->gray = malloc(n);
    m->bg = malloc(n * sizeof(*m->bg));
    m->masked = malloc(n);
    if (m->gray == NULL || m->bg == NULL || m->masked == NULL) {
        free(m->gray);
        free(m->bg);
        free(m->masked);
        m->gray = NULL;
        m->bg = NULL;
        m->masked = NULL;
        m->width = m->height = 0;
        return -ENOMEM;
    }
    m->width = width;
    m->height = height;
    m->learn_left = LEARN_FRAMES;
    build_mask(m);
    return 0;
}

/* Learning: the first frame is the background, the next ones are averaged in fast. */
static void learn(struct motion *m, const uint8_t *gray, size_t n)
{
    int is_first = m->learn_left == LEARN_FRAMES;
    for (size_t i = 0; i < n; i++) {
        int cur = gray[i] << BG_SHIFT;
        m->bg[i] = is_first ? (uint16_t)cur : (uint16_t)(m->bg[i] + ((cur - m->bg[i]) >> 1));
    }
    m->learn_left--;
}

/* Mean brightness of the unmasked picture and background, as 1/16 grey levels. */
static void means(const struct motion *m, const uint8_t *gray, size_t n, uint64_t *cur_sum,
                  uint64_t *bg_sum)
{
    uint64_t c = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (m->masked[i])
            continue;
        c += (unsigned)gray[i] << BG_SHIFT;
        b += m->bg[i];
    }
    *cur_sum = c;
    *bg_sum = b;
}

/*
 * Compare with the background after scaling the picture by gain_q8 (256 = 1: auto-exposure
 * drift cancelled), update the background, and return the number of changed pixels.
 */
static size_t compare(struct motion *m, const uint8_t *gray, size_t n, unsigned gain_q8)
{
    int threshold = (int)(8 + (100 - m->settings.sensitivity) * 32 / 100) << BG_SHIFT;
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        int cur = (int)((gray[i] * gain_q8) >> (8 - BG_SHIFT));
        int diff = cur - m->bg[i];
        int is_changed = (diff > threshold || diff < -threshold) && !m->masked[i];
        changed += (size_t)is_changed;
        int rate = is_changed ? RATE_CHANGED : RATE_STILL;
        int next = m->bg[i] + (diff >> rate) + (diff > 0 && (diff >> rate) == 0);
        m->bg[i] = (uint16_t)(next < 0 ? 0 : next > 0xffff ? 0xffff : next);
    }
    return changed;
}

int motion_feed_gray(struct motion *m, const uint8_t *gray, unsigned width, unsigned height,
                     int64_t now_us, struct motion_result *out)
{
    out->changed_pct = 0;
    if (m->is_moving || now_us < m->paused_until_us) {
        out->state = MOTION_PAUSED;
        return 0;
    }
    int rc = resize(m, width, height);
    if (rc < 0) {
        out->state = MOTION_UNDECODABLE;
        return rc;
    }
    size_t n = (size_t)width * height;
    if (m->learn_left > 0 || m->unmasked == 0) {
        learn(m, gray, n);
        out->state = MOTION_LEARNING;
        return 0;
    }
    uint64_t cur_sum, bg_sum;
    means(m, gray, n, &cur_sum, &bg_sum);
    unsigned gain_q8 = cur_sum > 0 ? (unsigned)((bg_sum * 256 + cur_sum / 2) / cur_sum) : 256;
    if (gain_q8 > 4 * 256)
        gain_q8 = 4 * 256;
    size_t changed = compare(m, gray, n, gain_q8);
    out->changed_pct = 100.0 * (double)changed / (double)m->unmasked;
    int is_gain_jump = gain_q8 * 100 > 256u * (100 + LIGHT_GAIN_PCT) ||
                       gain_q8 * 100 < 256u * (100 - LIGHT_GAIN_PCT);
    if (is_gain_jump || out->changed_pct >= LIGHT_AREA_PCT) {
        m->learn_left = LEARN_FRAMES;
        learn(m, gray, n);
        out->state = MOTION_RECALIBRATED;
        return 0;
    }
    /* The minimum area shrinks with sensitivity: 0.3 % of the picture at 100, 3.3 % at 1. */
    double min_pct = 0.3 + (100 - m->settings.sensitivity) * 0.03;
    out->state = out->changed_pct >= min_pct ? MOTION_DETECTED : MOTION_STILL;
    return 0;
}

int motion_feed_jpeg(struct motion *m, const uint8_t *jpeg, size_t len, int64_t now_us,
                     struct motion_result *out)
{
    out->changed_pct = 0;
    if (m->is_moving || now_us < m->paused_until_us) {
        out->state = MOTION_PAUSED; /* no decode: a paused detector costs nothing */
        return 0;
    }
    int64_t t0 = clock_now_us();
    if (m->tj == NULL && (m->tj = tjInitDecompress()) == NULL)
        return -ENOMEM;
    int w = 0, h = 0, subsamp, colorspace;
    out->state = MOTION_UNDECODABLE;
    /* A truncated header is only a warning to TurboJPEG: 0 without a size. */
    if (len > 0x7fffffff ||
        tjDecompressHeader3(m->tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0 ||
        w <= 0 || h <= 0)
        return -EINVAL;
    tjscalingfactor eighth = {1, 8};
    unsigned sw = (unsigned)TJSCALED(w, eighth), sh = (unsigned)TJSCALED(h, eighth);
    int rc = resize(m, sw, sh);
    if (rc < 0)
        return rc;
    if (tjDecompress2(m->tj, jpeg, (unsigned long)len, m->gray, (int)sw, (int)sw, (int)sh,
                      TJPF_GRAY, TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE) != 0 &&
        tjGetErrorCode(m->tj) == TJERR_FATAL)
        return -EINVAL;
    rc = motion_feed_gray(m, m->gray, sw, sh, now_us, out);
    m->last_cost_us = clock_now_us() - t0;
    return rc;
}
