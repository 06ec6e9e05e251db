/* Unit tests for core/servo: clamping, slew over time, pulse mapping, inversion, clock wrap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>

#include "servo.h"

static struct servo make_default(void)
{
    struct servo s;
    struct servo_config cfg = servo_config_default();
    assert_int_equal(servo_init(&s, &cfg), 0);
    return s;
}

static void test_servo_defaults_are_sg90(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    assert_int_equal(cfg.min_deg, 0);
    assert_int_equal(cfg.max_deg, 180);
    assert_int_equal(cfg.home_deg, 90);
    assert_false(cfg.is_inverted);
    assert_int_equal(cfg.pulse_min_us, 500);
    assert_int_equal(cfg.pulse_max_us, 2400);
    assert_int_equal(cfg.slew_deg_per_s, 600);
}

static void test_servo_init_at_home_and_at_rest(void **state)
{
    (void)state;
    struct servo s = make_default();
    assert_int_equal(servo_angle_deg(&s), 90);
    assert_int_equal(servo_angle_mdeg(&s), 90000);
    assert_int_equal(servo_target_deg(&s), 90);
    assert_false(servo_is_moving(&s));
    assert_int_equal(servo_pulse_us(&s), 1450);
}

static void test_servo_init_rejects_bad_config(void **state)
{
    (void)state;
    struct servo s;
    struct servo_config cfg = servo_config_default();
    cfg.home_deg = 170;
    cfg.max_deg = 160;
    assert_int_equal(servo_init(&s, &cfg), -EINVAL);
    /* Falls back to the defaults, so a careless caller still gets a safe servo. */
    assert_int_equal(servo_angle_deg(&s), 90);
    assert_int_equal(servo_get_config(&s)->max_deg, 180);
    cfg = servo_config_default();
    cfg.min_deg = -1;
    assert_int_equal(servo_init(&s, &cfg), -EINVAL);
    cfg = servo_config_default();
    cfg.max_deg = 181;
    assert_int_equal(servo_init(&s, &cfg), -EINVAL);
    cfg = servo_config_default();
    cfg.pulse_max_us = cfg.pulse_min_us;
    assert_int_equal(servo_init(&s, &cfg), -EINVAL);
    cfg = servo_config_default();
    cfg.pulse_max_us = 20000;
    assert_int_equal(servo_init(&s, &cfg), -EINVAL);
    assert_int_equal(servo_init(&s, NULL), -EINVAL);
}

static void test_servo_pulse_at_0_90_180(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    cfg.slew_deg_per_s = 0;
    struct servo s;
    assert_int_equal(servo_init(&s, &cfg), 0);
    servo_set_target_deg(&s, 0, 0);
    assert_int_equal(servo_pulse_us(&s), 500);
    servo_set_target_deg(&s, 90, 0);
    assert_int_equal(servo_pulse_us(&s), 1450);
    servo_set_target_deg(&s, 180, 0);
    assert_int_equal(servo_pulse_us(&s), 2400);
    servo_set_target_deg(&s, 45, 0);
    assert_int_equal(servo_pulse_us(&s), 975);
    /* The original firmware's 400-2400 us range: 1 deg = 11.11 us, rounded to nearest. */
    cfg.pulse_min_us = 400;
    assert_int_equal(servo_init(&s, &cfg), 0);
    servo_set_target_deg(&s, 1, 0);
    assert_int_equal(servo_pulse_us(&s), 411);
    servo_set_target_deg(&s, 0, 0);
    assert_int_equal(servo_pulse_us(&s), 400);
}

static void test_servo_clamps_before_pulse(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    cfg.min_deg = 20;
    cfg.max_deg = 150;
    cfg.slew_deg_per_s = 0;
    struct servo s;
    assert_int_equal(servo_init(&s, &cfg), 0);
    assert_int_equal(servo_set_target_deg(&s, 200, 0), 150);
    assert_int_equal(servo_angle_deg(&s), 150);
    /* 150 deg: 500 + 1900 * 150 / 180 = 2083.3 -> 2083, never the 2400 of an unclamped 180+. */
    assert_int_equal(servo_pulse_us(&s), 2083);
    assert_int_equal(servo_set_target_deg(&s, -40, 0), 20);
    assert_int_equal(servo_pulse_us(&s), 711);
    assert_int_equal(servo_set_target_deg(&s, INT_MIN, 0), 20);
    assert_int_equal(servo_set_target_deg(&s, INT_MAX, 0), 150);
}

static void test_servo_move_by_is_relative_to_target_and_clamped(void **state)
{
    (void)state;
    struct servo s = make_default();
    assert_int_equal(servo_move_by_deg(&s, 5, 0), 95);
    /* Still travelling: the next move adds to the target, not to the current angle. */
    assert_int_equal(servo_move_by_deg(&s, 5, 1), 100);
    assert_int_equal(servo_move_by_deg(&s, 500, 2), 180);
    assert_int_equal(servo_move_by_deg(&s, INT_MAX, 3), 180);
    assert_int_equal(servo_move_by_deg(&s, INT_MIN, 4), 0);
    assert_int_equal(servo_move_by_deg(&s, -5, 5), 0);
}

static void test_servo_slew_60_deg_takes_100_ms(void **state)
{
    (void)state;
    struct servo s = make_default();
    servo_step(&s, 1000);
    assert_int_equal(servo_set_target_deg(&s, 150, 1000), 150);
    assert_true(servo_is_moving(&s));
    assert_int_equal(servo_angle_mdeg(&s), 90000);
    servo_step(&s, 1050);
    assert_int_equal(servo_angle_mdeg(&s), 120000);
    assert_int_equal(servo_angle_deg(&s), 120);
    assert_int_equal(servo_pulse_us(&s), 1767); /* 500 + 1900 * 120 / 180 = 1766.7 */
    assert_true(servo_is_moving(&s));
    servo_step(&s, 1099);
    assert_int_equal(servo_angle_mdeg(&s), 149400);
    servo_step(&s, 1100);
    assert_int_equal(servo_angle_mdeg(&s), 150000);
    assert_false(servo_is_moving(&s));
    /* Never overshoots, whatever the gap. */
    servo_step(&s, 60000);
    assert_int_equal(servo_angle_mdeg(&s), 150000);
}

static void test_servo_slew_downward(void **state)
{
    (void)state;
    struct servo s = make_default();
    servo_set_target_deg(&s, 30, 0);
    servo_step(&s, 10);
    assert_int_equal(servo_angle_mdeg(&s), 84000);
    servo_step(&s, 100);
    assert_int_equal(servo_angle_mdeg(&s), 30000);
}

static void test_servo_idle_time_does_not_jump(void **state)
{
    (void)state;
    struct servo s = make_default();
    servo_step(&s, 0);
    /* Idle for 5 s, then a command: motion is timed from the command. */
    servo_set_target_deg(&s, 150, 5000);
    servo_step(&s, 5050);
    assert_int_equal(servo_angle_mdeg(&s), 120000);
}

static void test_servo_first_step_only_records_time(void **state)
{
    (void)state;
    struct servo s = make_default();
    s._target_mdeg = 150000; /* as if commanded before any clock was seen */
    servo_step(&s, 123456);
    assert_int_equal(servo_angle_mdeg(&s), 90000);
    servo_step(&s, 123506);
    assert_int_equal(servo_angle_mdeg(&s), 120000);
}

static void test_servo_clock_wraparound(void **state)
{
    (void)state;
    struct servo s = make_default();
    servo_set_target_deg(&s, 150, UINT32_MAX - 24);
    servo_step(&s, 25); /* 50 ms later, across the wrap */
    assert_int_equal(servo_angle_mdeg(&s), 120000);
}

static void test_servo_clock_backwards_is_ignored(void **state)
{
    (void)state;
    struct servo s = make_default();
    servo_set_target_deg(&s, 150, 1000);
    servo_step(&s, 900);
    assert_int_equal(servo_angle_mdeg(&s), 90000);
    servo_step(&s, 950);
    assert_int_equal(servo_angle_mdeg(&s), 120000);
}

static void test_servo_zero_slew_is_instant(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    cfg.slew_deg_per_s = 0;
    struct servo s;
    assert_int_equal(servo_init(&s, &cfg), 0);
    servo_set_target_deg(&s, 10, 0);
    assert_int_equal(servo_angle_deg(&s), 10);
    assert_false(servo_is_moving(&s));
}

static void test_servo_inversion_mirrors_pulse(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    cfg.is_inverted = true;
    cfg.slew_deg_per_s = 0;
    struct servo s;
    assert_int_equal(servo_init(&s, &cfg), 0);
    assert_int_equal(servo_pulse_us(&s), 1450);
    servo_set_target_deg(&s, 0, 0);
    assert_int_equal(servo_pulse_us(&s), 2400);
    servo_set_target_deg(&s, 180, 0);
    assert_int_equal(servo_pulse_us(&s), 500);
    servo_set_target_deg(&s, 30, 0);
    assert_int_equal(servo_angle_deg(&s), 30); /* the logical angle is not mirrored */
    assert_int_equal(servo_pulse_us(&s), 2083);
}

static void test_servo_inversion_respects_limits(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    cfg.is_inverted = true;
    cfg.min_deg = 30;
    cfg.max_deg = 120;
    cfg.slew_deg_per_s = 0;
    struct servo s;
    assert_int_equal(servo_init(&s, &cfg), 0);
    assert_int_equal(servo_set_target_deg(&s, 0, 0), 30);
    assert_int_equal(servo_pulse_us(&s), 2083); /* mirrored 150 deg */
    assert_int_equal(servo_set_target_deg(&s, 180, 0), 120);
    assert_int_equal(servo_pulse_us(&s), 1133); /* mirrored 60 deg: 500 + 633.3 */
}

static void test_servo_pulse_clamps_current_angle(void **state)
{
    (void)state;
    struct servo_config cfg = servo_config_default();
    cfg.min_deg = 10;
    cfg.max_deg = 170;
    struct servo s;
    assert_int_equal(servo_init(&s, &cfg), 0);
    s._current_mdeg = 175000;                   /* state corrupted or restored from elsewhere */
    assert_int_equal(servo_pulse_us(&s), 2294); /* 170 deg: 500 + 1794.4 */
    s._current_mdeg = -5000;
    assert_int_equal(servo_pulse_us(&s), 606); /* 10 deg: 500 + 105.6 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_servo_defaults_are_sg90),
        cmocka_unit_test(test_servo_init_at_home_and_at_rest),
        cmocka_unit_test(test_servo_init_rejects_bad_config),
        cmocka_unit_test(test_servo_pulse_at_0_90_180),
        cmocka_unit_test(test_servo_clamps_before_pulse),
        cmocka_unit_test(test_servo_move_by_is_relative_to_target_and_clamped),
        cmocka_unit_test(test_servo_slew_60_deg_takes_100_ms),
        cmocka_unit_test(test_servo_slew_downward),
        cmocka_unit_test(test_servo_idle_time_does_not_jump),
        cmocka_unit_test(test_servo_first_step_only_records_time),
        cmocka_unit_test(test_servo_clock_wraparound),
        cmocka_unit_test(test_servo_clock_backwards_is_ignored),
        cmocka_unit_test(test_servo_zero_slew_is_instant),
        cmocka_unit_test(test_servo_inversion_mirrors_pulse),
        cmocka_unit_test(test_servo_inversion_respects_limits),
        cmocka_unit_test(test_servo_pulse_clamps_current_angle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
