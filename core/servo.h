#pragma once
/*
 * servo: kinematics of one hobby-servo axis (pan or tilt), modelled on the TowerPro SG90.
 *
 * SG90 facts used here (TowerPro "SG90 Digital Micro Servo" datasheet, and DESIGN.md "Servos"):
 *   - 50 Hz PWM (20 ms period);
 *   - pulse width ~500 us at 0 deg, ~1450 us at 90 deg, ~2400 us at 180 deg (linear between);
 *     the datasheet's nominal 1-2 ms covers only about +-45 deg, real units span ~0.5-2.4 ms.
 *     The original Lookout firmware used 400-2400 us, which drives the horn into its end stop;
 *     that value is still available through servo_config.pulse_min_us;
 *   - operating speed 0.1 s / 60 deg at 4.8 V, i.e. 600 deg/s.
 *
 * The model: a target angle (what was commanded) and a current angle (where the horn is),
 * both in millidegrees. servo_step moves the current angle toward the target at most at
 * slew_deg_per_s, so a big move is smooth, and the simulator's picture pans at real speed.
 * Angles are clamped to [min_deg, max_deg] BEFORE anything else: the original firmware wrote
 * the pulse first and clamped afterwards, so one bad command could hit the end stop.
 *
 * Pure functions of (state, command, time): no OS calls, no allocation, time comes in as a
 * uint32_t millisecond counter that may wrap. newlib-safe.
 */
#include <stdbool.h>
#include <stdint.h>

/* Mechanical range of the pulse mapping: pulse_min_us is 0 deg, pulse_max_us is 180 deg. */
#define SERVO_RANGE_DEG 180
#define SERVO_PWM_HZ 50

/* Configuration of one axis. Plain value type: public layout, the caller owns the storage. */
struct servo_config {
    int min_deg;             /* lowest allowed angle, 0..180 */
    int max_deg;             /* highest allowed angle, min_deg..180 */
    int home_deg;            /* start angle, min_deg..max_deg */
    bool is_inverted;        /* mirror the pulse: angle a is driven as 180 - a */
    uint32_t pulse_min_us;   /* pulse width at 0 deg */
    uint32_t pulse_max_us;   /* pulse width at 180 deg, > pulse_min_us, < 20000 */
    uint32_t slew_deg_per_s; /* top speed; 0 means instant */
};

/*
 * One axis. The layout is public only so that callers can place it in their own storage (the
 * core never allocates); all fields are private: use the functions below.
 */
struct servo {
    struct servo_config _cfg;
    int32_t _current_mdeg; /* where the horn is */
    int32_t _target_mdeg;  /* where it is going, always within the limits */
    uint32_t _last_ms;     /* time of the last step, valid if _has_time */
    bool _has_time;
};

/* SG90 defaults: limits 0..180, home 90, not inverted, 500..2400 us, 600 deg/s. */
struct servo_config servo_config_default(void);

/*
 * Check cfg and start s at rest at cfg->home_deg (copying cfg). Returns 0, or -EINVAL if the
 * limits are not 0 <= min_deg <= home_deg <= max_deg <= 180 or the pulse range is empty or
 * not shorter than the 20 ms period. On error s is left at rest at 90 deg with the defaults.
 */
int servo_init(struct servo *s, const struct servo_config *cfg);

/*
 * Command an absolute angle. The angle is clamped to [min_deg, max_deg] first; any int is
 * accepted. now_ms is the time of the command: if the servo was at rest, motion is timed from
 * now_ms (an idle servo does not jump by the time it spent idle). With slew 0 the current
 * angle is set at once. Returns the clamped target in degrees.
 */
int servo_set_target_deg(struct servo *s, int angle_deg, uint32_t now_ms);

/*
 * Command a relative move of delta_deg from the current TARGET (not from the current angle,
 * so moves sent while the servo is still travelling add up). Clamped like
 * servo_set_target_deg; any int is accepted without overflow. Returns the clamped target.
 */
int servo_move_by_deg(struct servo *s, int delta_deg, uint32_t now_ms);

/*
 * Advance the current angle toward the target by at most slew_deg_per_s times the time since
 * the previous step. The first step (or the first after servo_init) only records now_ms.
 * now_ms may wrap around 2^32; a time that goes backwards (more than 2^31 ms "elapsed") only
 * re-records now_ms. Call it often (every frame); it never overshoots.
 */
void servo_step(struct servo *s, uint32_t now_ms);

/*
 * The pulse width for the CURRENT angle, in microseconds, rounded to the nearest: the angle is
 * clamped to the limits first, mirrored (180 - a) if is_inverted, then mapped linearly from
 * 0..180 deg onto pulse_min_us..pulse_max_us.
 */
uint32_t servo_pulse_us(const struct servo *s);

/* True while the current angle differs from the target. */
bool servo_is_moving(const struct servo *s);

/* The current angle rounded to the nearest degree. */
int servo_angle_deg(const struct servo *s);

/* The current angle in millidegrees (the precise value the simulator renders). */
int32_t servo_angle_mdeg(const struct servo *s);

/* The target angle in degrees (rounded; targets set through this API are whole degrees). */
int servo_target_deg(const struct servo *s);

/* The configuration in use (borrowed, valid as long as s). */
const struct servo_config *servo_get_config(const struct servo *s);
