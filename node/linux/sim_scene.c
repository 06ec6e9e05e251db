#include "sim_scene.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"

#define PI_F 3.14159265f
#define DEG_F (PI_F / 180.0f)
#define CAMERA_HEIGHT_M 1.6f
#define MAX_GROUND_M 3000.0f
#define ROAD_EAST_M 9.0f /* the road runs north-south, this far east of the camera */
#define CLOUD_TERMS 3
#define SUN_BEARING_DEG 62.0f
#define SUN_ELEVATION_DEG 24.0f
#define SUN_RADIUS_DEG 1.6f
#define SUN_GLOW_DEG 7.0f

/* Per-column terms: everything that depends only on the bearing. */
struct column {
    float sin_b, cos_b;      /* bearing, for ground coordinates */
    float far_deg, near_deg; /* skyline elevations of the mountains and of the hills */
    float snow_deg;          /* snow line on the mountains */
    float hill_tint;         /* -1..1 texture of the hills (trees, fields) */
    float sun_db;            /* bearing distance to the sun, degrees */
    float cloud_s[CLOUD_TERMS], cloud_c[CLOUD_TERMS];
    float puff; /* bearing factor of the puffy cloud cells */
};

/* Per-row terms: everything that depends only on the elevation. */
struct row {
    float el_deg;
    float dist_m; /* ground distance for rows below the horizon */
    float haze;   /* 0 near, 1 at the horizon */
    float sky[3]; /* sky colour at this elevation */
    float band;   /* where clouds may be (0..1) */
    float sun_de; /* elevation distance to the sun, degrees */
    float cloud_s[CLOUD_TERMS], cloud_c[CLOUD_TERMS];
    float puff; /* elevation factor of the puffy cloud cells */
};

struct sim_scene {
    unsigned width, height;
    float focal_px;     /* pixels per unit tangent */
    float *col_off_deg; /* fixed: angle of each column from the optical axis */
    float *row_off_deg; /* fixed: angle of each row above the optical axis */
    struct column *cols;
    struct row *rows;
};

/* Cloud field: a product P(bearing) * Q(elevation) makes cells (puffs), and a sum of
 * sin(n*b + m*e + phase) breaks their grid into streaks; both are separable, the second by
 * sin(A+B) = sinA cosB + cosA sinB. n is an integer so the sky wraps seamlessly at 360 deg. */
static const float cloud_n[CLOUD_TERMS] = {7.0f, 13.0f, 23.0f};
static const float cloud_m[CLOUD_TERMS] = {9.0f, 17.0f, 29.0f};
static const float cloud_a[CLOUD_TERMS] = {0.5f, 0.3f, 0.2f};
static const float cloud_phase[CLOUD_TERMS] = {0.4f, 2.2f, 4.1f};

static const float horizon_rgb[3] = {196.0f, 212.0f, 232.0f};
static const float zenith_rgb[3] = {52.0f, 102.0f, 186.0f};

struct landmark {
    float bearing_deg;
    float dist_m;
    char letter; /* a signpost with this letter, or 0 for a tree */
    float height_m;
};

static const struct landmark landmarks[] = {
    {0.0f, 25.0f, 'N', 3.8f},   {90.0f, 25.0f, 'E', 3.8f}, {180.0f, 25.0f, 'S', 3.8f},
    {270.0f, 25.0f, 'W', 3.8f}, {23.0f, 60.0f, 0, 9.0f},   {52.0f, 35.0f, 0, 7.0f},
    {118.0f, 80.0f, 0, 11.0f},  {151.0f, 45.0f, 0, 8.0f},  {203.0f, 30.0f, 0, 6.0f},
    {236.0f, 70.0f, 0, 10.0f},  {301.0f, 40.0f, 0, 8.0f},  {332.0f, 90.0f, 0, 12.0f},
    {345.0f, 38.0f, 0, 7.5f},   {76.0f, 120.0f, 0, 12.0f},
};

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Wrap an angle difference into -180..180 degrees. */
static float wrap_deg(float a)
{
    a = fmodf(a, 360.0f);
    if (a > 180.0f)
        a -= 360.0f;
    if (a < -180.0f)
        a += 360.0f;
    return a;
}

struct sim_scene *sim_scene_new(unsigned width, unsigned height)
{
    if (width < 16 || height < 16 || width > 8192 || height > 8192)
        return NULL;
    struct sim_scene *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->width = width;
    s->height = height;
    s->col_off_deg = calloc(width, sizeof(float));
    s->row_off_deg = calloc(height, sizeof(float));
    s->cols = calloc(width, sizeof(struct column));
    s->rows = calloc(height, sizeof(struct row));
    if (!s->col_off_deg || !s->row_off_deg || !s->cols || !s->rows) {
        sim_scene_free(s);
        return NULL;
    }
    s->focal_px = (float)width * 0.5f / tanf((float)SIM_SCENE_HFOV_DEG * 0.5f * DEG_F);
    for (unsigned x = 0; x < width; x++)
        s->col_off_deg[x] = atanf(((float)x + 0.5f - (float)width * 0.5f) / s->focal_px) / DEG_F;
    for (unsigned y = 0; y < height; y++)
        s->row_off_deg[y] = atanf(((float)height * 0.5f - (float)y - 0.5f) / s->focal_px) / DEG_F;
    return s;
}

void sim_scene_free(struct sim_scene *s)
{
    if (s == NULL)
        return;
    free(s->col_off_deg);
    free(s->row_off_deg);
    free(s->cols);
    free(s->rows);
    free(s);
}

static void prepare_columns(struct sim_scene *s, float center_bearing_deg)
{
    for (unsigned x = 0; x < s->width; x++) {
        struct column *c = &s->cols[x];
        float bd = center_bearing_deg + s->col_off_deg[x];
        float b = bd * DEG_F;
        c->sin_b = sinf(b);
        c->cos_b = cosf(b);
        c->far_deg = 3.6f + 2.2f * sinf(2.0f * b + 0.7f) + 1.6f * sinf(5.0f * b + 2.1f) +
                     0.8f * sinf(11.0f * b + 0.3f) + 0.35f * sinf(27.0f * b + 1.1f);
        c->near_deg = 1.1f + 0.8f * sinf(3.0f * b + 1.9f) + 0.45f * sinf(8.0f * b + 0.4f) +
                      0.2f * sinf(21.0f * b + 2.5f) + 0.06f * sinf(97.0f * b);
        c->snow_deg = 5.6f + 0.4f * sinf(41.0f * b) + 0.3f * sinf(17.0f * b + 1.0f);
        c->hill_tint = 0.6f * sinf(151.0f * b) * sinf(37.0f * b + 0.5f) + 0.4f * sinf(61.0f * b);
        c->sun_db = wrap_deg(bd - SUN_BEARING_DEG);
        for (int k = 0; k < CLOUD_TERMS; k++) {
            c->cloud_s[k] = 0.5f * cloud_a[k] * sinf(cloud_n[k] * b + cloud_phase[k]);
            c->cloud_c[k] = 0.5f * cloud_a[k] * cosf(cloud_n[k] * b + cloud_phase[k]);
        }
        c->puff = 0.6f * sinf(9.0f * b + 0.3f) + 0.3f * sinf(20.0f * b + 1.7f) +
                  0.15f * sinf(43.0f * b + 0.9f);
    }
}

static void prepare_rows(struct sim_scene *s, float center_el_deg)
{
    for (unsigned y = 0; y < s->height; y++) {
        struct row *r = &s->rows[y];
        float el = clampf(center_el_deg + s->row_off_deg[y], -89.5f, 89.5f);
        r->el_deg = el;
        float t = clampf(el / 70.0f, 0.0f, 1.0f);
        t = sqrtf(t);
        for (int i = 0; i < 3; i++)
            r->sky[i] = horizon_rgb[i] + (zenith_rgb[i] - horizon_rgb[i]) * t;
        r->dist_m = el < 0.0f ? CAMERA_HEIGHT_M / tanf(-el * DEG_F) : MAX_GROUND_M;
        if (r->dist_m > MAX_GROUND_M)
            r->dist_m = MAX_GROUND_M;
        r->haze = powf(r->dist_m / MAX_GROUND_M, 0.45f);
        /* Clouds between 6 and 50 degrees, fading in and out. */
        r->band = clampf((el - 6.0f) / 8.0f, 0.0f, 1.0f) * clampf((50.0f - el) / 15.0f, 0.0f, 1.0f);
        r->sun_de = el - SUN_ELEVATION_DEG;
        float e = el * DEG_F;
        for (int k = 0; k < CLOUD_TERMS; k++) {
            r->cloud_s[k] = sinf(cloud_m[k] * e);
            r->cloud_c[k] = cosf(cloud_m[k] * e);
        }
        r->puff = 0.7f * sinf(14.0f * e + 0.5f) + 0.3f * sinf(31.0f * e + 2.0f);
    }
}

static void put(uint8_t *p, float r, float g, float b)
{
    p[0] = (uint8_t)clampf(r, 0.0f, 255.0f);
    p[1] = (uint8_t)clampf(g, 0.0f, 255.0f);
    p[2] = (uint8_t)clampf(b, 0.0f, 255.0f);
}

static void shade_sky(uint8_t *p, const struct column *c, const struct row *r)
{
    float rgb[3] = {r->sky[0], r->sky[1], r->sky[2]};
    if (r->band > 0.0f) {
        float d = 1.1f * c->puff * r->puff;
        for (int k = 0; k < CLOUD_TERMS; k++)
            d += c->cloud_s[k] * r->cloud_c[k] + c->cloud_c[k] * r->cloud_s[k];
        d = d * r->band - 0.22f;
        if (d > 0.0f) {
            float a = clampf(d * 3.0f, 0.0f, 0.92f);
            float shade = 248.0f - 40.0f * clampf(d * 2.0f, 0.0f, 1.0f);
            for (int i = 0; i < 3; i++)
                rgb[i] += (shade - rgb[i]) * a;
        }
    }
    if (fabsf(c->sun_db) < SUN_GLOW_DEG && fabsf(r->sun_de) < SUN_GLOW_DEG) {
        float dist = sqrtf(c->sun_db * c->sun_db + r->sun_de * r->sun_de);
        float a = dist < SUN_RADIUS_DEG
                      ? 1.0f
                      : 0.55f * powf(clampf(1.0f - dist / SUN_GLOW_DEG, 0.0f, 1.0f), 2.0f);
        rgb[0] += (255.0f - rgb[0]) * a;
        rgb[1] += (248.0f - rgb[1]) * a;
        rgb[2] += (215.0f - rgb[2]) * a;
    }
    put(p, rgb[0], rgb[1], rgb[2]);
}

static void shade_ground(uint8_t *p, const struct column *c, const struct row *r)
{
    static const float paint[3] = {225.0f, 222.0f, 205.0f}, asphalt[3] = {82.0f, 82.0f, 88.0f};
    static const float grass_light[3] = {98.0f, 142.0f, 62.0f};
    static const float grass_dark[3] = {78.0f, 120.0f, 50.0f};
    float u = r->dist_m * c->sin_b; /* metres east */
    float v = r->dist_m * c->cos_b; /* metres north */
    float road_u = u - ROAD_EAST_M;
    const float *rgb;
    if (fabsf(road_u) < 3.0f) {
        /* The road: asphalt with a dashed centre line, 3 m dashes. */
        int is_dash = ((int)(v * (1.0f / 3.0f) + 10000.0f)) & 1;
        rgb = (fabsf(road_u) < 0.12f && is_dash) ? paint : asphalt;
    } else {
        /* 2 m squares. The offset makes truncation act as floor() without a libm call; it holds
         * while |u|, |v| < 10 km, and the ground ends at MAX_GROUND_M. */
        int is_light = ((int)(u * 0.5f + 5000.0f) ^ (int)(v * 0.5f + 5000.0f)) & 1;
        rgb = is_light ? grass_light : grass_dark;
    }
    float h = r->haze;
    put(p, rgb[0] + (horizon_rgb[0] - rgb[0]) * h, rgb[1] + (horizon_rgb[1] - rgb[1]) * h,
        rgb[2] + (horizon_rgb[2] - rgb[2]) * h);
}

static void shade_pixel(uint8_t *p, const struct column *c, const struct row *r)
{
    float el = r->el_deg;
    if (el < 0.0f) {
        shade_ground(p, c, r);
    } else if (el < c->near_deg) {
        float depth = clampf((c->near_deg - el) / 2.0f, 0.0f, 1.0f);
        float t = c->hill_tint * 14.0f;
        put(p, 66.0f + t - 20.0f * depth, 104.0f + t - 22.0f * depth, 58.0f - 12.0f * depth);
    } else if (el < c->far_deg) {
        if (el > c->snow_deg) {
            put(p, 236.0f, 239.0f, 246.0f);
        } else {
            /* Aerial perspective: the mountains fade toward the sky colour at their base. */
            float a = clampf(el / 6.0f, 0.0f, 1.0f);
            put(p, 120.0f - 25.0f * a, 134.0f - 22.0f * a, 162.0f - 14.0f * a);
        }
    } else {
        shade_sky(p, c, r);
    }
}

static void fill_rect(struct sim_scene *s, uint8_t *rgb, long x0, long y0, long x1, long y1,
                      const uint8_t color[3])
{
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > (long)s->width)
        x1 = (long)s->width;
    if (y1 > (long)s->height)
        y1 = (long)s->height;
    for (long y = y0; y < y1; y++) {
        uint8_t *p = rgb + ((size_t)y * s->width + (size_t)x0) * 3;
        for (long x = x0; x < x1; x++, p += 3)
            memcpy(p, color, 3);
    }
}

/* Project a point at `bearing`, ground distance `dist`, height `z` above the ground. Returns
 * 0 and the pixel position, or -1 if it is behind or far outside the view. */
static int project(const struct sim_scene *s, float center_b, float center_e, float bearing,
                   float dist, float z, float *px, float *py)
{
    float db = wrap_deg(bearing - center_b);
    float de = atanf((z - CAMERA_HEIGHT_M) / dist) / DEG_F - center_e;
    if (fabsf(db) > 80.0f || fabsf(de) > 80.0f)
        return -1;
    *px = (float)s->width * 0.5f + s->focal_px * tanf(db * DEG_F);
    *py = (float)s->height * 0.5f - s->focal_px * tanf(de * DEG_F);
    return 0;
}

static void draw_landmark(struct sim_scene *s, uint8_t *rgb, const struct landmark *m,
                          float center_b, float center_e)
{
    static const uint8_t trunk[3] = {92, 64, 40}, leaves[3] = {38, 84, 40};
    static const uint8_t pole[3] = {60, 60, 66}, board[3] = {28, 58, 140};
    static const uint8_t white[3] = {245, 245, 245};
    float bx, by, tx, ty;
    if (project(s, center_b, center_e, m->bearing_deg, m->dist_m, 0.0f, &bx, &by) < 0 ||
        project(s, center_b, center_e, m->bearing_deg, m->dist_m, m->height_m, &tx, &ty) < 0)
        return;
    float px_per_m = (by - ty) / m->height_m;
    if (px_per_m <= 0.0f)
        return;
    if (m->letter == 0) {
        float half_trunk = fmaxf(0.5f, 0.18f * px_per_m);
        float crown_base = by - 0.3f * (by - ty);
        fill_rect(s, rgb, (long)(bx - half_trunk), (long)crown_base, (long)(bx + half_trunk) + 1,
                  (long)by, trunk);
        /* The crown: a triangle, one span per row, widest at its base. */
        float half_base = 0.28f * m->height_m * px_per_m;
        for (long y = (long)ty; y < (long)crown_base; y++) {
            float f = ((float)y - ty) / (crown_base - ty);
            float half = half_base * f;
            fill_rect(s, rgb, (long)(bx - half), y, (long)(bx + half) + 1, y + 1, leaves);
        }
        return;
    }
    float half_pole = fmaxf(0.5f, 0.07f * px_per_m);
    float side = 1.6f * px_per_m;
    fill_rect(s, rgb, (long)(bx - half_pole), (long)(ty + side * 0.5f), (long)(bx + half_pole) + 1,
              (long)by, pole);
    long x0 = (long)(bx - side * 0.5f), y0 = (long)ty;
    long x1 = (long)(bx + side * 0.5f), y1 = (long)(ty + side);
    fill_rect(s, rgb, x0, y0, x1, y1, white);
    long border = (long)fmaxf(1.0f, side * 0.06f);
    fill_rect(s, rgb, x0 + border, y0 + border, x1 - border, y1 - border, board);
    unsigned scale = (unsigned)fmaxf(1.0f, side * 0.6f / FONT_GLYPH_H);
    char text[2] = {m->letter, '\0'};
    int gx = (int)(bx - (float)(FONT_GLYPH_W * scale) * 0.5f);
    int gy = (int)(ty + side * 0.5f - (float)(FONT_GLYPH_H * scale) * 0.5f);
    font_draw_text(rgb, s->width, s->height, gx, gy, text, scale, white);
}

void sim_scene_render(struct sim_scene *s, uint8_t *rgb, int32_t pan_mdeg, int32_t tilt_mdeg)
{
    float center_b = 90.0f - (float)pan_mdeg / 1000.0f;
    float center_e = 90.0f - (float)tilt_mdeg / 1000.0f;
    prepare_columns(s, center_b);
    prepare_rows(s, center_e);
    uint8_t *p = rgb;
    for (unsigned y = 0; y < s->height; y++) {
        const struct row *r = &s->rows[y];
        for (unsigned x = 0; x < s->width; x++, p += 3)
            shade_pixel(p, &s->cols[x], r);
    }
    /* Far to near, so nearer objects cover farther ones. */
    const size_t n = sizeof(landmarks) / sizeof(landmarks[0]);
    bool drawn[sizeof(landmarks) / sizeof(landmarks[0])] = {false};
    for (size_t k = 0; k < n; k++) {
        size_t far = n;
        for (size_t i = 0; i < n; i++) {
            if (!drawn[i] && (far == n || landmarks[i].dist_m > landmarks[far].dist_m))
                far = i;
        }
        drawn[far] = true;
        draw_landmark(s, rgb, &landmarks[far], center_b, center_e);
    }
}
