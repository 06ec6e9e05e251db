#include "sim_panorama.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "sim_scene.h"

/* Bilinear weights in 1/256ths; intermediate rows keep 16 bits (value * 256). */
#define WEIGHT_ONE 256u
#define NAME_SHOWN_MAX 200

struct sim_panorama {
    unsigned width, height;         /* output */
    unsigned src_width, src_height; /* as in the file */
    unsigned img_width, img_height; /* the prepared image (after any box downscale) */
    uint8_t *img;                   /* img_width * img_height * 3, RGB */
    double win_width, win_height;   /* the window in prepared pixels */
    int32_t pan_min_mdeg, pan_max_mdeg, tilt_min_mdeg, tilt_max_mdeg;
    /* Per-frame scratch, sized at creation. */
    uint32_t *col_x0; /* width: byte offset of each output column's left tap in a row */
    uint32_t *col_x1; /* width: of its right tap (the left one's when its weight is 0) */
    uint16_t *col_fx; /* width: weight of the right tap, 0..255 */
    uint16_t *hrows;  /* max_rows rows of width * 3: the horizontal pass */
    unsigned max_rows;
};

static void reason(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write a one-line reason: control bytes (from a file name or a library) become '?'. */
static void reason(char *why, size_t why_size, const char *fmt, ...)
{
    if (why == NULL || why_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    if (n < 0)
        why[0] = '\0';
    for (char *p = why; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
}

/* The window for an image of img_w x img_h (see the header): as wide as the landscape's field of
 * view when the image spans the pan range plus one window; no taller than the image. */
static void window_size(const struct sim_panorama_config *cfg, double img_w, double img_h,
                        double *win_w, double *win_h)
{
    double fov = SIM_SCENE_HFOV_DEG;
    double range = (double)(cfg->pan_max_deg - cfg->pan_min_deg);
    *win_w = img_w * fov / (range + fov);
    *win_h = *win_w * (double)cfg->height / (double)cfg->width;
    if (*win_h > img_h) {
        *win_h = img_h;
        *win_w = img_h * (double)cfg->width / (double)cfg->height;
    }
}

/* Average k x k blocks of src (w x h, RGB) into a new (w / k) x (h / k) image; the last
 * w % k columns and h % k rows are dropped. NULL on allocation failure. */
static uint8_t *box_downscale(const uint8_t *src, unsigned w, unsigned h, unsigned k,
                              unsigned *out_w, unsigned *out_h)
{
    unsigned ow = w / k, oh = h / k;
    uint8_t *out = malloc((size_t)ow * oh * 3);
    uint32_t *acc = malloc((size_t)ow * 3 * sizeof(uint32_t));
    if (out == NULL || acc == NULL) {
        free(out);
        free(acc);
        return NULL;
    }
    uint32_t area = k * k;
    for (unsigned oy = 0; oy < oh; oy++) {
        memset(acc, 0, (size_t)ow * 3 * sizeof(uint32_t));
        for (unsigned dy = 0; dy < k; dy++) {
            const uint8_t *row = src + ((size_t)oy * k + dy) * w * 3;
            for (unsigned ox = 0; ox < ow; ox++) {
                const uint8_t *p = row + (size_t)ox * k * 3;
                uint32_t *a = acc + (size_t)ox * 3;
                for (unsigned dx = 0; dx < k; dx++, p += 3) {
                    a[0] += p[0];
                    a[1] += p[1];
                    a[2] += p[2];
                }
            }
        }
        uint8_t *o = out + (size_t)oy * ow * 3;
        for (size_t i = 0; i < (size_t)ow * 3; i++)
            o[i] = (uint8_t)((acc[i] + area / 2) / area);
    }
    free(acc);
    *out_w = ow;
    *out_h = oh;
    return out;
}

static bool is_config_valid(const struct sim_panorama_config *cfg)
{
    /* Servo limits are within 0..180 (servo.h), which also keeps millidegrees far from
     * overflow. */
    return cfg->width >= 16 && cfg->width <= 4096 && cfg->height >= 16 && cfg->height <= 4096 &&
           cfg->pan_min_deg >= 0 && cfg->pan_min_deg <= cfg->pan_max_deg &&
           cfg->pan_max_deg <= 180 && cfg->tilt_min_deg >= 0 &&
           cfg->tilt_min_deg <= cfg->tilt_max_deg && cfg->tilt_max_deg <= 180;
}

/* Decode jpeg into a new RGB buffer of at most SIM_PANORAMA_MAX_SIDE per side. */
static uint8_t *decode(const uint8_t *jpeg, size_t len, const char *name, unsigned *w, unsigned *h,
                       char *why, size_t why_size)
{
    if (len == 0 || len > SIM_PANORAMA_MAX_FILE_BYTES) {
        reason(why, why_size, "\"%.*s\": %s", NAME_SHOWN_MAX, name,
               len == 0 ? "empty, not a JPEG" : "too large");
        return NULL;
    }
    tjhandle tj = tjInitDecompress();
    if (tj == NULL) {
        reason(why, why_size, "cannot start the JPEG decoder");
        return NULL;
    }
    uint8_t *rgb = NULL;
    int iw = 0, ih = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, jpeg, (unsigned long)len, &iw, &ih, &subsamp, &colorspace) != 0) {
        reason(why, why_size, "\"%.*s\" is not a JPEG (or a corrupt one): %s", NAME_SHOWN_MAX, name,
               tjGetErrorStr2(tj));
    } else if (iw <= 0 || ih <= 0 || iw > SIM_PANORAMA_MAX_SIDE || ih > SIM_PANORAMA_MAX_SIDE) {
        reason(why, why_size, "\"%.*s\" is %dx%d pixels; at most %dx%d are accepted",
               NAME_SHOWN_MAX, name, iw, ih, SIM_PANORAMA_MAX_SIDE, SIM_PANORAMA_MAX_SIDE);
    } else if ((rgb = malloc((size_t)iw * (size_t)ih * 3)) == NULL) {
        reason(why, why_size, "\"%.*s\": out of memory for %dx%d pixels", NAME_SHOWN_MAX, name, iw,
               ih);
    } else if (tjDecompress2(tj, jpeg, (unsigned long)len, rgb, iw, 0, ih, TJPF_RGB,
                             TJFLAG_STOPONWARNING) != 0) {
        /* STOPONWARNING: a truncated file would otherwise "succeed" with a grey bottom. */
        reason(why, why_size, "\"%.*s\" is a corrupt JPEG: %s", NAME_SHOWN_MAX, name,
               tjGetErrorStr2(tj));
        free(rgb);
        rgb = NULL;
    } else {
        *w = (unsigned)iw;
        *h = (unsigned)ih;
    }
    tjDestroy(tj);
    return rgb;
}

struct sim_panorama *sim_panorama_new_from_jpeg(const uint8_t *jpeg, size_t len, const char *name,
                                                const struct sim_panorama_config *cfg, char *why,
                                                size_t why_size)
{
    if (name == NULL)
        name = "image";
    if (!is_config_valid(cfg)) {
        reason(why, why_size, "bad output size or servo limits for a scene");
        return NULL;
    }
    struct sim_panorama *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        reason(why, why_size, "out of memory");
        return NULL;
    }
    p->width = cfg->width;
    p->height = cfg->height;
    p->pan_min_mdeg = cfg->pan_min_deg * 1000;
    p->pan_max_mdeg = cfg->pan_max_deg * 1000;
    p->tilt_min_mdeg = cfg->tilt_min_deg * 1000;
    p->tilt_max_mdeg = cfg->tilt_max_deg * 1000;
    p->img = decode(jpeg, len, name, &p->src_width, &p->src_height, why, why_size);
    if (p->img == NULL) {
        sim_panorama_free(p);
        return NULL;
    }
    p->img_width = p->src_width;
    p->img_height = p->src_height;

    /* A window two or more output widths wide is box-filtered down once, by the integer factor,
     * so that each frame samples at most two source pixels per output pixel (no aliasing from
     * skipping pixels, and a bounded horizontal pass). */
    double win_w, win_h;
    window_size(cfg, p->img_width, p->img_height, &win_w, &win_h);
    unsigned k = (unsigned)(win_w / (double)cfg->width);
    if (k >= 2 && p->img_width / k >= 1 && p->img_height / k >= 1) {
        uint8_t *small =
            box_downscale(p->img, p->img_width, p->img_height, k, &p->img_width, &p->img_height);
        if (small == NULL) {
            reason(why, why_size, "out of memory");
            sim_panorama_free(p);
            return NULL;
        }
        free(p->img);
        p->img = small;
    }
    window_size(cfg, p->img_width, p->img_height, &p->win_width, &p->win_height);

    /* Output rows span win_height - step prepared rows; two more for the taps and rounding. */
    unsigned rows = (unsigned)ceil(p->win_height) + 3;
    p->max_rows = rows < p->img_height ? rows : p->img_height;
    p->col_x0 = calloc(cfg->width, sizeof(*p->col_x0));
    p->col_x1 = calloc(cfg->width, sizeof(*p->col_x1));
    p->col_fx = calloc(cfg->width, sizeof(*p->col_fx));
    p->hrows = malloc((size_t)p->max_rows * cfg->width * 3 * sizeof(*p->hrows));
    if (p->col_x0 == NULL || p->col_x1 == NULL || p->col_fx == NULL || p->hrows == NULL) {
        reason(why, why_size, "out of memory");
        sim_panorama_free(p);
        return NULL;
    }
    return p;
}

struct sim_panorama *sim_panorama_new(const char *path, const struct sim_panorama_config *cfg,
                                      char *why, size_t why_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        reason(why, why_size, "cannot open \"%.*s\": %s", NAME_SHOWN_MAX, path, strerror(errno));
        return NULL;
    }
    struct sim_panorama *p = NULL;
    uint8_t *buf = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        reason(why, why_size, "cannot read \"%.*s\": %s", NAME_SHOWN_MAX, path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        reason(why, why_size, "\"%.*s\" is not a regular file", NAME_SHOWN_MAX, path);
    } else if (st.st_size <= 0) {
        reason(why, why_size, "\"%.*s\" is empty, not a JPEG", NAME_SHOWN_MAX, path);
    } else if ((unsigned long long)st.st_size > SIM_PANORAMA_MAX_FILE_BYTES) {
        reason(why, why_size, "\"%.*s\" is larger than %u MiB", NAME_SHOWN_MAX, path,
               SIM_PANORAMA_MAX_FILE_BYTES / (1024u * 1024u));
    } else if ((buf = malloc((size_t)st.st_size)) == NULL) {
        reason(why, why_size, "\"%.*s\": out of memory", NAME_SHOWN_MAX, path);
    } else {
        size_t want = (size_t)st.st_size, got = 0;
        int err = 0;
        while (got < want && err == 0) {
            ssize_t n = read(fd, buf + got, want - got);
            if (n > 0)
                got += (size_t)n;
            else if (n == 0)
                err = EIO; /* the file shrank while we read it */
            else if (errno != EINTR)
                err = errno;
        }
        if (err != 0)
            reason(why, why_size, "cannot read \"%.*s\": %s", NAME_SHOWN_MAX, path, strerror(err));
        else
            p = sim_panorama_new_from_jpeg(buf, got, path, cfg, why, why_size);
    }
    free(buf);
    close(fd);
    return p;
}

void sim_panorama_free(struct sim_panorama *p)
{
    if (p == NULL)
        return;
    free(p->img);
    free(p->col_x0);
    free(p->col_x1);
    free(p->col_fx);
    free(p->hrows);
    free(p);
}

void sim_panorama_source_size(const struct sim_panorama *p, unsigned *width, unsigned *height)
{
    *width = p->src_width;
    *height = p->src_height;
}

void sim_panorama_output_size(const struct sim_panorama *p, unsigned *width, unsigned *height)
{
    *width = p->width;
    *height = p->height;
}

/* Where `v` lies in [lo, hi] as 0..1 (clamped); 0 if the range is empty. */
static double fraction(int32_t v, int32_t lo, int32_t hi)
{
    if (hi <= lo)
        return 0.0;
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return (double)(v - lo) / (double)(hi - lo);
}

/* The bilinear taps of a sample at s (prepared pixels, centres at .0): left index and the
 * right tap's weight, clamped to 0..n-1. */
static void taps(double s, unsigned n, unsigned *i0, uint16_t *f)
{
    if (s <= 0.0) {
        *i0 = 0;
        *f = 0;
        return;
    }
    unsigned i = (unsigned)s;
    unsigned w = (unsigned)((s - (double)i) * WEIGHT_ONE + 0.5);
    if (w >= WEIGHT_ONE) {
        i++;
        w = 0;
    }
    if (i >= n - 1) {
        i = n - 1;
        w = 0;
    }
    *i0 = i;
    *f = (uint16_t)w;
}

/* Horizontal pass of one source row into dst (w pixels, value x 256, 16 bits). */
static void resample_row(uint16_t *restrict dst, const uint8_t *restrict src,
                         const uint32_t *restrict x0, const uint32_t *restrict x1,
                         const uint16_t *restrict fx, unsigned w)
{
    for (unsigned x = 0; x < w; x++, dst += 3) {
        const uint8_t *a = src + x0[x], *b = src + x1[x];
        uint32_t wb = fx[x], wa = WEIGHT_ONE - wb;
        dst[0] = (uint16_t)(a[0] * wa + b[0] * wb);
        dst[1] = (uint16_t)(a[1] * wa + b[1] * wb);
        dst[2] = (uint16_t)(a[2] * wa + b[2] * wb);
    }
}

/* Vertical pass: out[i] = a[i] and b[i] weighted (256 - wb) : wb, rounded, for n bytes. The
 * fixed 16-byte blocks let the compiler vectorize at -O2; a and b may be the same row. */
static void blend_rows(uint8_t *restrict out, const uint16_t *restrict a,
                       const uint16_t *restrict b, uint32_t wb, size_t n)
{
    const uint32_t wa = WEIGHT_ONE - wb, round = WEIGHT_ONE * WEIGHT_ONE / 2;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t j = 0; j < 16; j++)
            out[i + j] = (uint8_t)((a[i + j] * wa + b[i + j] * wb + round) >> 16);
    }
    for (; i < n; i++)
        out[i] = (uint8_t)((a[i] * wa + b[i] * wb + round) >> 16);
}

void sim_panorama_render(struct sim_panorama *p, uint8_t *rgb, int32_t pan_mdeg, int32_t tilt_mdeg)
{
    const unsigned w = p->width, h = p->height;
    /* pan = max is the image's left edge: a larger pan angle looks further left. */
    double left = (p->img_width - p->win_width) *
                  (1.0 - fraction(pan_mdeg, p->pan_min_mdeg, p->pan_max_mdeg));
    if (p->pan_max_mdeg <= p->pan_min_mdeg)
        left = (p->img_width - p->win_width) * 0.5;
    double top =
        (p->img_height - p->win_height) * fraction(tilt_mdeg, p->tilt_min_mdeg, p->tilt_max_mdeg);
    if (p->tilt_max_mdeg <= p->tilt_min_mdeg)
        top = (p->img_height - p->win_height) * 0.5;
    double step = p->win_width / (double)w; /* square pixels: also win_height / h */

    for (unsigned x = 0; x < w; x++) {
        unsigned x0;
        taps(left + ((double)x + 0.5) * step - 0.5, p->img_width, &x0, &p->col_fx[x]);
        p->col_x0[x] = x0 * 3;
        p->col_x1[x] = (x0 + (p->col_fx[x] != 0 ? 1u : 0u)) * 3;
    }

    /* The rows the window touches, each resampled horizontally once. */
    unsigned row_lo, row_hi;
    uint16_t unused;
    taps(top + 0.5 * step - 0.5, p->img_height, &row_lo, &unused);
    taps(top + ((double)h - 0.5) * step - 0.5, p->img_height, &row_hi, &unused);
    if (row_hi + 1 < p->img_height)
        row_hi++;
    if (row_hi - row_lo + 1 > p->max_rows)
        row_hi = row_lo + p->max_rows - 1; /* rounding can't get here; keeps the buffer safe */
    for (unsigned r = row_lo; r <= row_hi; r++)
        resample_row(p->hrows + (size_t)(r - row_lo) * w * 3, p->img + (size_t)r * p->img_width * 3,
                     p->col_x0, p->col_x1, p->col_fx, w);

    /* Vertical pass: two intermediate rows per output row. */
    for (unsigned y = 0; y < h; y++) {
        unsigned r0;
        uint16_t fy;
        taps(top + ((double)y + 0.5) * step - 0.5, p->img_height, &r0, &fy);
        if (r0 < row_lo)
            r0 = row_lo;
        unsigned r1 = fy != 0 && r0 + 1 <= row_hi ? r0 + 1 : r0;
        if (r0 > row_hi)
            r0 = r1 = row_hi;
        blend_rows(rgb + (size_t)y * w * 3, p->hrows + (size_t)(r0 - row_lo) * w * 3,
                   p->hrows + (size_t)(r1 - row_lo) * w * 3, fy, (size_t)w * 3);
    }
}
