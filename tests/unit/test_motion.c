/* Unit tests for relay/guard/motion: motion found, servo pause, lighting change, masks, JPEG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../support/jpeg.h"
#include "motion.h"

#define W 100
#define H 75
#define FRAME_US 100000LL /* 10 fps */

/* A textured scene seen from pan offset `shift` (pixels), brightness in percent, and a dark
 * 14x20 figure at figure_x (negative: none). */
static void scene(uint8_t *px, int shift, int percent, int figure_x)
{
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            int u = x + shift;
            int v = 60 + ((u / 6) * 37 + (y / 5) * 23) % 120;
            if (figure_x >= 0 && x >= figure_x && x < figure_x + 14 && y >= 40 && y < 60)
                v = 15;
            v = v * percent / 100;
            px[y * W + x] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
}

static enum motion_state feed(struct motion *m, const uint8_t *px, int64_t *t, double *pct)
{
    struct motion_result r;
    *t += FRAME_US;
    assert_int_equal(motion_feed_gray(m, px, W, H, *t, &r), 0);
    if (pct != NULL)
        *pct = r.changed_pct;
    return r.state;
}

/* Feed the still scene until the background is learnt; returns the time reached. */
static int64_t settle(struct motion *m, uint8_t *px, int shift, int percent, int64_t t)
{
    scene(px, shift, percent, -1);
    for (int i = 0; i < 8; i++)
        feed(m, px, &t, NULL);
    assert_int_equal(feed(m, px, &t, NULL), MOTION_STILL);
    return t;
}

static void test_motion_figure_is_detected(void **state)
{
    (void)state;
    uint8_t px[W * H];
    struct motion *m = motion_new(NULL, 1000);
    assert_non_null(m);
    int64_t t = settle(m, px, 0, 100, 0);
    double pct = 0;
    scene(px, 0, 100, 30);
    assert_int_equal(feed(m, px, &t, &pct), MOTION_DETECTED);
    assert_true(pct > 2.0 && pct < 10.0);
    /* Walking on: still motion. */
    scene(px, 0, 100, 40);
    assert_int_equal(feed(m, px, &t, NULL), MOTION_DETECTED);
    motion_free(m);
    motion_free(NULL);
}

static void test_motion_servo_move_pauses_and_rebuilds(void **state)
{
    (void)state;
    uint8_t px[W * H];
    struct motion *m = motion_new(NULL, 1000);
    int64_t t = settle(m, px, 0, 100, 0);
    motion_ptz_moving(m, t);
    /* While the camera turns, every frame is a different view: nothing is judged. */
    for (int shift = 5; shift <= 50; shift += 5) {
        scene(px, shift, 100, -1);
        assert_int_equal(feed(m, px, &t, NULL), MOTION_PAUSED);
    }
    motion_ptz_settled(m, t);
    scene(px, 50, 100, -1);
    for (int i = 0; i < 9; i++) /* 0.9 s of the 1 s settle time */
        assert_int_equal(feed(m, px, &t, NULL), MOTION_PAUSED);
    int learning = 0;
    enum motion_state s;
    while ((s = feed(m, px, &t, NULL)) == MOTION_PAUSED || s == MOTION_LEARNING)
        learning += s == MOTION_LEARNING;
    /* The new view became the background: no motion, and a figure there is still seen. */
    assert_true(learning > 0);
    assert_int_equal(s, MOTION_STILL);
    scene(px, 50, 100, 60);
    assert_int_equal(feed(m, px, &t, NULL), MOTION_DETECTED);
    motion_free(m);
}

static void test_motion_lighting_step_recalibrates(void **state)
{
    (void)state;
    uint8_t px[W * H];
    struct motion *m = motion_new(NULL, 1000);
    int64_t t = settle(m, px, 0, 100, 0);
    int percents[] = {140, 60, 100};
    for (size_t k = 0; k < 3; k++) {
        scene(px, 0, percents[k], -1);
        assert_int_equal(feed(m, px, &t, NULL), MOTION_RECALIBRATED);
        for (int i = 0; i < 6; i++)
            assert_int_not_equal(feed(m, px, &t, NULL), MOTION_DETECTED);
        assert_int_equal(feed(m, px, &t, NULL), MOTION_STILL);
    }
    /* Slow drift (auto-exposure creeping 1 % a frame) never looks like motion. */
    for (int p = 100; p <= 130; p++) {
        scene(px, 0, p, -1);
        assert_int_not_equal(feed(m, px, &t, NULL), MOTION_DETECTED);
    }
    motion_free(m);
}

static void test_motion_mask_hides_an_area(void **state)
{
    (void)state;
    uint8_t px[W * H];
    struct motion_settings s;
    motion_settings_default(&s);
    s.mask_count = 1;
    s.masks[0] = (struct motion_rect){.x = 200, .y = 400, .w = 300, .h = 600};
    struct motion *m = motion_new(&s, 1000);
    int64_t t = settle(m, px, 0, 100, 0);
    scene(px, 0, 100, 25); /* x 25..38 of 100: inside 20..50 % */
    assert_int_equal(feed(m, px, &t, NULL), MOTION_STILL);
    scene(px, 0, 100, 70);
    assert_int_equal(feed(m, px, &t, NULL), MOTION_DETECTED);
    /* Settings replaced on a running detector: without the mask, the same place is motion. */
    struct motion_settings none;
    motion_settings_default(&none);
    assert_int_equal(motion_set_settings(m, &none), 0);
    t = settle(m, px, 0, 100, t);
    scene(px, 0, 100, 25);
    assert_int_equal(feed(m, px, &t, NULL), MOTION_DETECTED);
    motion_free(m);
}

static void test_motion_settings_check(void **state)
{
    (void)state;
    struct motion_settings s;
    const char *reason = NULL;
    motion_settings_default(&s);
    assert_int_equal(motion_settings_check(&s, &reason), 0);
    s.sensitivity = 0;
    assert_int_equal(motion_settings_check(&s, &reason), -EINVAL);
    assert_non_null(strstr(reason, "sensitivity"));
    s.sensitivity = 101;
    assert_int_equal(motion_settings_check(&s, &reason), -EINVAL);
    s.sensitivity = 50;
    s.mask_count = 1;
    s.masks[0] = (struct motion_rect){.x = 900, .y = 0, .w = 200, .h = 10};
    assert_int_equal(motion_settings_check(&s, &reason), -EINVAL);
    assert_non_null(strstr(reason, "mask"));
    s.masks[0] = (struct motion_rect){.x = 0, .y = 0, .w = 0, .h = 10};
    assert_int_equal(motion_settings_check(&s, &reason), -EINVAL);
    s.mask_count = MOTION_MASKS_MAX + 1;
    assert_int_equal(motion_settings_check(&s, &reason), -EINVAL);
}

/* An 800x600 JPEG is looked at as 100x75 and motion in it is found; garbage is refused. */
static void test_motion_jpeg_decode(void **state)
{
    (void)state;
    uint8_t *big = malloc(800 * 600), small[W * H];
    assert_non_null(big);
    struct motion *m = motion_new(NULL, 1000);
    struct motion_result r;
    int64_t t = 0;
    for (int k = 0; k < 12; k++) {
        scene(small, 0, 100, k < 10 ? -1 : 20 + 10 * k - 100);
        for (int y = 0; y < 600; y++)
            for (int x = 0; x < 800; x++)
                big[y * 800 + x] = small[(y / 8) * W + x / 8];
        uint8_t *jpeg;
        size_t len;
        assert_int_equal(ts_jpeg_encode_gray(big, 800, 600, 80, &jpeg, &len), 0);
        t += FRAME_US;
        assert_int_equal(motion_feed_jpeg(m, jpeg, len, t, &r), 0);
        free(jpeg);
        if (k == 9)
            assert_int_equal(r.state, MOTION_STILL);
    }
    assert_int_equal(r.state, MOTION_DETECTED);
    assert_true(motion_last_cost_us(m) >= 0);
    static const uint8_t junk[] = {0xff, 0xd8, 0x00, 0x01, 0x02};
    assert_int_equal(motion_feed_jpeg(m, junk, sizeof(junk), t + FRAME_US, &r), -EINVAL);
    assert_int_equal(r.state, MOTION_UNDECODABLE);
    free(big);
    motion_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motion_figure_is_detected),
        cmocka_unit_test(test_motion_servo_move_pauses_and_rebuilds),
        cmocka_unit_test(test_motion_lighting_step_recalibrates),
        cmocka_unit_test(test_motion_mask_hides_an_area),
        cmocka_unit_test(test_motion_settings_check),
        cmocka_unit_test(test_motion_jpeg_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
