/*
 * Unit tests for node/linux/sim_panorama (lookout-cam --scene): where the window looks for a
 * given pan/tilt, scaling up and down, and the one-line reasons for images it refuses.
 *
 * The images are built here with TurboJPEG (nothing binary is committed): a gradient whose red
 * channel encodes the column and green channel the row, so the colour at the output's centre
 * says which source pixel the window is centred on. JPEG loss on a smooth gradient is a couple
 * of levels, hence the tolerance.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <unistd.h>

/* node/linux/ is not on the include path; -Inode is. */
#include "linux/sim_panorama.h"

/* Colour levels a decoded gradient may differ from the value computed here. */
#define TOLERANCE 4
#define BLUE 80

/* red = column, green = row, each scaled to 0..255 across the image; blue constant. */
static uint8_t gradient(unsigned v, unsigned n)
{
    return n > 1 ? (uint8_t)((v * 255u + (n - 1) / 2) / (n - 1)) : 0;
}

/* A new JPEG (free with tjFree) of the gradient, 4:4:4 at quality 95. */
static uint8_t *make_gradient_jpeg(unsigned w, unsigned h, size_t *len)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    for (unsigned y = 0; y < h; y++) {
        for (unsigned x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = gradient(x, w);
            p[1] = gradient(y, h);
            p[2] = BLUE;
        }
    }
    tjhandle tj = tjInitCompress();
    assert_non_null(tj);
    unsigned char *jpeg = NULL;
    unsigned long jpeg_len = 0;
    assert_int_equal(
        tjCompress2(tj, rgb, (int)w, 0, (int)h, TJPF_RGB, &jpeg, &jpeg_len, TJSAMP_444, 95, 0), 0);
    tjDestroy(tj);
    free(rgb);
    *len = jpeg_len;
    return jpeg;
}

static struct sim_panorama_config config(unsigned w, unsigned h)
{
    return (struct sim_panorama_config){
        .width = w,
        .height = h,
        .pan_min_deg = 0,
        .pan_max_deg = 180,
        .tilt_min_deg = 0,
        .tilt_max_deg = 180,
    };
}

static struct sim_panorama *new_gradient(unsigned img_w, unsigned img_h,
                                         const struct sim_panorama_config *cfg)
{
    size_t len;
    uint8_t *jpeg = make_gradient_jpeg(img_w, img_h, &len);
    char why[SIM_PANORAMA_REASON_MAX] = "";
    struct sim_panorama *p =
        sim_panorama_new_from_jpeg(jpeg, len, "gradient", cfg, why, sizeof(why));
    tjFree(jpeg);
    if (p == NULL)
        fail_msg("gradient %ux%u refused: %s", img_w, img_h, why);
    unsigned w, h;
    sim_panorama_source_size(p, &w, &h);
    assert_int_equal(w, img_w);
    assert_int_equal(h, img_h);
    return p;
}

static void assert_near(int got, int want, const char *what, int pan, int tilt)
{
    if (got < want - TOLERANCE || got > want + TOLERANCE)
        fail_msg("%s at pan %d tilt %d: got %d, want %d +- %d", what, pan, tilt, got, want,
                 TOLERANCE);
}

/*
 * The expected source pixel under the output's centre, computed from the documented geometry
 * (sim_panorama.h) independently of the code: with a 0..180 pan range the window is a quarter
 * of the image's width (60 of 240 degrees); pan 180 puts it at the left edge, pan 0 at the
 * right; tilt 0 at the top, tilt 180 at the bottom.
 */
static void expected_centre(unsigned img_w, unsigned img_h, unsigned out_w, unsigned out_h, int pan,
                            int tilt, double *cx, double *cy)
{
    double win_w = img_w / 4.0;
    double win_h = win_w * out_h / out_w;
    if (win_h > img_h) {
        win_h = img_h;
        win_w = win_h * out_w / out_h;
    }
    *cx = win_w / 2 + (img_w - win_w) * (180 - pan) / 180.0;
    *cy = win_h / 2 + (img_h - win_h) * tilt / 180.0;
}

/* Check the output's centre pixel against the gradient at the expected source pixel. */
static void check_centre(struct sim_panorama *p, uint8_t *rgb, unsigned img_w, unsigned img_h,
                         unsigned out_w, unsigned out_h, int pan, int tilt)
{
    sim_panorama_render(p, rgb, pan * 1000, tilt * 1000);
    double cx, cy;
    expected_centre(img_w, img_h, out_w, out_h, pan, tilt, &cx, &cy);
    const uint8_t *c = rgb + ((size_t)(out_h / 2) * out_w + out_w / 2) * 3;
    assert_near(c[0], gradient((unsigned)(cx + 0.5), img_w), "red (column)", pan, tilt);
    assert_near(c[1], gradient((unsigned)(cy + 0.5), img_h), "green (row)", pan, tilt);
    assert_near(c[2], BLUE, "blue", pan, tilt);
}

static double mean_abs_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (unsigned long long)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
    return (double)sum / (double)n;
}

static void test_sim_panorama_centre_follows_pan_and_tilt(void **state)
{
    (void)state;
    /* 1200 x 300 into 160 x 120: a 300 x 225 window, no downscale, 75 rows of tilt travel. */
    struct sim_panorama_config cfg = config(160, 120);
    struct sim_panorama *p = new_gradient(1200, 300, &cfg);
    uint8_t *rgb = malloc(160 * 120 * 3);
    assert_non_null(rgb);
    static const int pans[] = {180, 135, 90, 45, 0};
    static const int tilts[] = {0, 90, 180};
    for (size_t i = 0; i < sizeof(pans) / sizeof(pans[0]); i++) {
        for (size_t j = 0; j < sizeof(tilts) / sizeof(tilts[0]); j++)
            check_centre(p, rgb, 1200, 300, 160, 120, pans[i], tilts[j]);
    }
    free(rgb);
    sim_panorama_free(p);
}

static void test_sim_panorama_pan_moves_the_window_left(void **state)
{
    (void)state;
    struct sim_panorama_config cfg = config(160, 120);
    struct sim_panorama *p = new_gradient(1200, 300, &cfg);
    const size_t n = 160 * 120 * 3;
    uint8_t *a = malloc(n);
    uint8_t *b = malloc(n);
    assert_non_null(a);
    assert_non_null(b);

    sim_panorama_render(p, a, 90000, 90000);
    sim_panorama_render(p, b, 90000, 90000);
    assert_memory_equal(a, b, n); /* the same angles: the same picture */

    /* 5 degrees more pan (tr=+5, to the left) moves the window 900 / 180 * 5 = 25 source
     * columns left: every pixel's red drops by about 25 * 255 / 1199 = 5.3 levels. */
    sim_panorama_render(p, b, 95000, 90000);
    assert_true(mean_abs_diff(a, b, n) > 1.0);
    for (unsigned y = 0; y < 120; y += 17) {
        for (unsigned x = 0; x < 160; x += 13) {
            const uint8_t *pa = a + ((size_t)y * 160 + x) * 3;
            const uint8_t *pb = b + ((size_t)y * 160 + x) * 3;
            int drop = pa[0] - pb[0];
            if (drop < 2 || drop > 9)
                fail_msg("pixel %u,%u: red %d -> %d after a 5 degree pan left", x, y, pa[0], pb[0]);
            assert_in_range(pa[1] - pb[1] + 2, 0, 4); /* the same rows: green within JPEG noise */
        }
    }
    /* Millidegrees count: the slewing servo's intermediate angles give intermediate views. */
    sim_panorama_render(p, b, 92500, 90000);
    assert_true(mean_abs_diff(a, b, n) > 0.5);
    free(a);
    free(b);
    sim_panorama_free(p);
}

static void test_sim_panorama_angles_outside_the_limits_are_clamped(void **state)
{
    (void)state;
    struct sim_panorama_config cfg = config(160, 120);
    struct sim_panorama *p = new_gradient(1200, 300, &cfg);
    const size_t n = 160 * 120 * 3;
    uint8_t *a = malloc(n);
    uint8_t *b = malloc(n);
    assert_non_null(a);
    assert_non_null(b);
    sim_panorama_render(p, a, 180000, 0);
    sim_panorama_render(p, b, 250000, -40000);
    assert_memory_equal(a, b, n);
    sim_panorama_render(p, a, 0, 180000);
    sim_panorama_render(p, b, INT32_MIN, INT32_MAX);
    assert_memory_equal(a, b, n);
    free(a);
    free(b);
    sim_panorama_free(p);
}

static void test_sim_panorama_small_image_is_scaled_up(void **state)
{
    (void)state;
    /* 64 x 48 into 320 x 240: a 16 x 12 window, each source pixel 20 output pixels wide. */
    struct sim_panorama_config cfg = config(320, 240);
    struct sim_panorama *p = new_gradient(64, 48, &cfg);
    uint8_t *rgb = malloc(320 * 240 * 3);
    assert_non_null(rgb);
    static const int angles[][2] = {{180, 0}, {90, 90}, {0, 180}, {30, 150}};
    for (size_t i = 0; i < sizeof(angles) / sizeof(angles[0]); i++) {
        sim_panorama_render(p, rgb, angles[i][0] * 1000, angles[i][1] * 1000);
        double cx, cy;
        expected_centre(64, 48, 320, 240, angles[i][0], angles[i][1], &cx, &cy);
        /* Bilinear between two pixels about 4 levels apart: within a level or two of either. */
        const uint8_t *c = rgb + ((size_t)120 * 320 + 160) * 3;
        assert_near(c[0], gradient((unsigned)(cx + 0.5), 64), "red", angles[i][0], angles[i][1]);
        assert_near(c[1], gradient((unsigned)(cy + 0.5), 48), "green", angles[i][0], angles[i][1]);
    }
    /* Smooth, not blocky: neighbouring output columns differ by a fraction of a source step
     * (255 / 63 = 4 levels per source pixel, spread over 20 output pixels). */
    sim_panorama_render(p, rgb, 90000, 90000);
    for (unsigned x = 1; x < 320; x++) {
        int d = rgb[(120 * 320 + x) * 3] - rgb[(120 * 320 + x - 1) * 3];
        if (d < -1 || d > 2)
            fail_msg("columns %u and %u: red %d -> %d", x - 1, x, rgb[(120 * 320 + x - 1) * 3],
                     rgb[(120 * 320 + x) * 3]);
    }
    free(rgb);
    sim_panorama_free(p);
}

static void test_sim_panorama_large_image_is_scaled_down(void **state)
{
    (void)state;
    /* 4096 x 512 into 160 x 120: the window would be 1024 x 768, taller than the image, so it
     * shrinks to 683 x 512; that is 4 output widths, so the image is box-filtered by 4 first.
     * Tilt then has nothing to move over. */
    struct sim_panorama_config cfg = config(160, 120);
    struct sim_panorama *p = new_gradient(4096, 512, &cfg);
    const size_t n = 160 * 120 * 3;
    uint8_t *a = malloc(n);
    uint8_t *b = malloc(n);
    assert_non_null(a);
    assert_non_null(b);
    static const int pans[] = {180, 120, 90, 60, 0};
    for (size_t i = 0; i < sizeof(pans) / sizeof(pans[0]); i++)
        check_centre(p, a, 4096, 512, 160, 120, pans[i], 90);
    sim_panorama_render(p, a, 90000, 0);
    sim_panorama_render(p, b, 90000, 180000);
    assert_memory_equal(a, b, n);
    free(a);
    free(b);
    sim_panorama_free(p);
}

static void test_sim_panorama_fixed_pan_shows_the_middle(void **state)
{
    (void)state;
    /* Equal limits: the window spans the whole width (no travel) and never moves. */
    struct sim_panorama_config cfg = config(160, 120);
    cfg.pan_min_deg = cfg.pan_max_deg = 90;
    cfg.tilt_min_deg = cfg.tilt_max_deg = 45;
    struct sim_panorama *p = new_gradient(400, 400, &cfg);
    const size_t n = 160 * 120 * 3;
    uint8_t *a = malloc(n);
    uint8_t *b = malloc(n);
    assert_non_null(a);
    assert_non_null(b);
    sim_panorama_render(p, a, 0, 0);
    sim_panorama_render(p, b, 180000, 180000);
    assert_memory_equal(a, b, n);
    const uint8_t *c = a + ((size_t)60 * 160 + 80) * 3;
    assert_near(c[0], 128, "red", 90, 45);
    assert_near(c[1], 128, "green", 90, 45);
    free(a);
    free(b);
    sim_panorama_free(p);
}

/* Expect sim_panorama_new_from_jpeg to refuse, with a one-line reason containing `want`. */
static void expect_refused(const uint8_t *jpeg, size_t len, const char *name,
                           const struct sim_panorama_config *cfg, const char *want)
{
    char why[SIM_PANORAMA_REASON_MAX];
    memset(why, 'x', sizeof(why));
    assert_null(sim_panorama_new_from_jpeg(jpeg, len, name, cfg, why, sizeof(why)));
    assert_non_null(memchr(why, '\0', sizeof(why)));
    if (strstr(why, want) == NULL)
        fail_msg("reason \"%s\" lacks \"%s\"", why, want);
    assert_null(strchr(why, '\n'));
}

static void test_sim_panorama_refuses_bad_images_in_one_line(void **state)
{
    (void)state;
    struct sim_panorama_config cfg = config(160, 120);
    static const uint8_t text[] = "this is not a JPEG at all";
    expect_refused(text, sizeof(text), "notes.txt", &cfg, "\"notes.txt\" is not a JPEG");
    expect_refused(text, 0, "empty.jpg", &cfg, "\"empty.jpg\": empty");

    size_t len;
    uint8_t *jpeg = make_gradient_jpeg(256, 256, &len);
    expect_refused(jpeg, len / 2, "cut.jpg", &cfg, "\"cut.jpg\" is a corrupt JPEG");
    /* A name with a newline cannot break the one-line rule. */
    expect_refused(jpeg, len / 2, "two\nlines.jpg", &cfg, "\"two?lines.jpg\"");
    struct sim_panorama_config bad = cfg;
    bad.pan_min_deg = 100;
    bad.pan_max_deg = 80;
    expect_refused(jpeg, len, "ok.jpg", &bad, "servo limits");
    bad = cfg;
    bad.width = 8;
    expect_refused(jpeg, len, "ok.jpg", &bad, "output size");
    tjFree(jpeg);

    /* One pixel over the bound, refused after reading the header only. */
    uint8_t *gray = calloc(SIM_PANORAMA_MAX_SIDE + 1, 16);
    assert_non_null(gray);
    tjhandle tj = tjInitCompress();
    assert_non_null(tj);
    unsigned char *wide = NULL;
    unsigned long wide_len = 0;
    assert_int_equal(tjCompress2(tj, gray, SIM_PANORAMA_MAX_SIDE + 1, 0, 16, TJPF_GRAY, &wide,
                                 &wide_len, TJSAMP_GRAY, 50, 0),
                     0);
    tjDestroy(tj);
    free(gray);
    expect_refused(wide, wide_len, "wide.jpg", &cfg,
                   "\"wide.jpg\" is 8193x16 pixels; at most 8192x8192 are accepted");
    tjFree(wide);
}

static void test_sim_panorama_file_errors_name_the_file(void **state)
{
    (void)state;
    struct sim_panorama_config cfg = config(160, 120);
    char why[SIM_PANORAMA_REASON_MAX];
    assert_null(sim_panorama_new("/nonexistent/scene.jpg", &cfg, why, sizeof(why)));
    assert_string_equal(why, "cannot open \"/nonexistent/scene.jpg\": No such file or directory");
    assert_null(sim_panorama_new("/", &cfg, why, sizeof(why)));
    assert_string_equal(why, "\"/\" is not a regular file");
    assert_null(sim_panorama_new("/dev/null", &cfg, why, sizeof(why)));
    assert_string_equal(why, "\"/dev/null\" is not a regular file");

    /* And a good file works through the same path. */
    char path[] = "/tmp/lookout-test-scene-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len;
    uint8_t *jpeg = make_gradient_jpeg(320, 80, &len);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(jpeg, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    tjFree(jpeg);
    struct sim_panorama *p = sim_panorama_new(path, &cfg, why, sizeof(why));
    unlink(path);
    if (p == NULL)
        fail_msg("%s", why);
    sim_panorama_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_panorama_centre_follows_pan_and_tilt),
        cmocka_unit_test(test_sim_panorama_pan_moves_the_window_left),
        cmocka_unit_test(test_sim_panorama_angles_outside_the_limits_are_clamped),
        cmocka_unit_test(test_sim_panorama_small_image_is_scaled_up),
        cmocka_unit_test(test_sim_panorama_large_image_is_scaled_down),
        cmocka_unit_test(test_sim_panorama_fixed_pan_shows_the_middle),
        cmocka_unit_test(test_sim_panorama_refuses_bad_images_in_one_line),
        cmocka_unit_test(test_sim_panorama_file_errors_name_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
