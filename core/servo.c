#include "servo.h"

#include <errno.h>
#include <stddef.h>

#define MDEG_PER_DEG 1000
#define PWM_PERIOD_US (1000000u / SERVO_PWM_HZ)

struct servo_config servo_config_default(void)
{
    struct servo_config cfg = {
        .min_deg = 0,
        .max_deg = SERVO_RANGE_DEG,
        .home_deg = 90,
        .is_inverted = false,
        .pulse_min_us = 500,
        .pulse_max_us = 2400,
        .slew_deg_per_s = 600,
    };
    return cfg;
}

static bool config_is_valid(const struct servo_config *cfg)
{
    return cfg->min_deg >= 0 && cfg->min_deg <= cfg->home_deg && cfg->home_deg <= cfg->max_deg &&
           cfg->max_deg <= SERVO_RANGE_DEG && cfg->pulse_min_us < cfg->pulse_max_us &&
           cfg->pulse_max_us < PWM_PERIOD_US;
}

int servo_init(struct servo *s, const struct servo_config *cfg)
{
    int rc = 0;
    if (cfg == NULL || !config_is_valid(cfg)) {
        s->_cfg = servo_config_default();
        rc = -EINVAL;
    } else {
        s->_cfg = *cfg;
    }
    s->_current_mdeg = (int32_t)s->_cfg.home_deg * MDEG_PER_DEG;
    s->_target_mdeg = s->_current_mdeg;
    s->_last_ms = 0;
    s->_has_time = false;
    return rc;
}

/* Clamp in long long so that no int argument (or sum of two) can overflow. */
static int clamp_deg(const struct servo *s, long long angle_deg)
{
    if (angle_deg < s->_cfg.min_deg)
        return s->_cfg.min_deg;
    if (angle_deg > s->_cfg.max_deg)
        return s->_cfg.max_deg;
    return (int)angle_deg;
}

int servo_set_target_deg(struct servo *s, int angle_deg, uint32_t now_ms)
{
    int target = clamp_deg(s, angle_deg);
    if (!servo_is_moving(s)) {
        /* Start timing from the command, not from the last step of an idle servo. */
        s->_last_ms = now_ms;
        s->_has_time = true;
    }
    s->_target_mdeg = (int32_t)target * MDEG_PER_DEG;
    if (s->_cfg.slew_deg_per_s == 0)
        s->_current_mdeg = s->_target_mdeg;
    return target;
}

int servo_move_by_deg(struct servo *s, int delta_deg, uint32_t now_ms)
{
    long long target = (long long)servo_target_deg(s) + delta_deg;
    return servo_set_target_deg(s, clamp_deg(s, target), now_ms);
}

void servo_step(struct servo *s, uint32_t now_ms)
{
    /* Unsigned subtraction is exact across a wrap of the millisecond counter. */
    uint32_t elapsed_ms = now_ms - s->_last_ms;
    bool is_first = !s->_has_time;
    s->_last_ms = now_ms;
    s->_has_time = true;
    if (s->_cfg.slew_deg_per_s == 0) {
        s->_current_mdeg = s->_target_mdeg;
        return;
    }
    if (is_first || elapsed_ms > UINT32_MAX / 2u)
        return;
    /* deg/s * ms = millidegrees; 64 bits because a long gap times a fast slew exceeds 2^32. */
    uint64_t max_step_mdeg = (uint64_t)s->_cfg.slew_deg_per_s * elapsed_ms;
    int32_t diff = s->_target_mdeg - s->_current_mdeg;
    uint32_t distance = (uint32_t)(diff < 0 ? -diff : diff);
    if ((uint64_t)distance <= max_step_mdeg)
        s->_current_mdeg = s->_target_mdeg;
    else if (diff > 0)
        s->_current_mdeg += (int32_t)max_step_mdeg;
    else
        s->_current_mdeg -= (int32_t)max_step_mdeg;
}

uint32_t servo_pulse_us(const struct servo *s)
{
    int32_t lo = (int32_t)s->_cfg.min_deg * MDEG_PER_DEG;
    int32_t hi = (int32_t)s->_cfg.max_deg * MDEG_PER_DEG;
    int32_t a = s->_current_mdeg;
    if (a < lo)
        a = lo;
    if (a > hi)
        a = hi;
    if (s->_cfg.is_inverted)
        a = SERVO_RANGE_DEG * MDEG_PER_DEG - a;
    uint32_t span_us = s->_cfg.pulse_max_us - s->_cfg.pulse_min_us;
    const uint32_t range_mdeg = SERVO_RANGE_DEG * MDEG_PER_DEG;
    /* span_us < 20000 and a <= 180000, so the product fits in 32 bits (< 3.6e9). */
    return s->_cfg.pulse_min_us + ((uint32_t)a * span_us + range_mdeg / 2u) / range_mdeg;
}

bool servo_is_moving(const struct servo *s)
{
    return s->_current_mdeg != s->_target_mdeg;
}

/* Angles are never negative (min_deg >= 0), so adding half a degree rounds to nearest. */
int servo_angle_deg(const struct servo *s)
{
    return (int)((s->_current_mdeg + MDEG_PER_DEG / 2) / MDEG_PER_DEG);
}

int32_t servo_angle_mdeg(const struct servo *s)
{
    return s->_current_mdeg;
}

int servo_target_deg(const struct servo *s)
{
    return (int)((s->_target_mdeg + MDEG_PER_DEG / 2) / MDEG_PER_DEG);
}

const struct servo_config *servo_get_config(const struct servo *s)
{
    return &s->_cfg;
}
