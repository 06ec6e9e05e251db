#pragma once
/*
 * motion: a motion detector for one camera that knows when its own camera moves.
 *
 * Each frame is decoded to a 1/8-scale greyscale picture with TurboJPEG's DCT scaling (only the
 * DC coefficients: a fraction of a millisecond at 800x600) and compared with a background that
 * adapts slowly (a running average): a pixel has changed when it differs from the background by
 * more than a threshold, and the frame shows motion when the changed pixels cover at least a
 * minimum share of the unmasked picture (the approach of motion's and Frigate's detectors).
 *
 * It knows its servos: motion_ptz_moving pauses detection while a move is in flight and
 * motion_ptz_settled for a settle time after it, then the background is rebuilt at the new
 * position, so steering never looks like motion. It ignores lighting: a change of the picture's
 * mean brightness, or a change over most of the picture, rebuilds the background and reports
 * MOTION_RECALIBRATED instead of motion (the caller keeps a running event going).
 *
 * Single-threaded: one detector per camera, used on the event loop.
 */
#include <stddef.h>
#include <stdint.h>

struct motion;

#define MOTION_MASKS_MAX 16

/* A rectangle to ignore, in per-mille of the picture's width and height (0..1000). */
struct motion_rect {
    unsigned x, y, w, h;
};

/* Operator settings: a plain value type (public layout on purpose). */
struct motion_settings {
    unsigned sensitivity; /* 1..100: higher reacts to smaller and fainter changes (default 50) */
    size_t mask_count;
    struct motion_rect masks[MOTION_MASKS_MAX];
};

enum motion_state {
    MOTION_PAUSED = 0,       /* the camera moves or settles: frame not looked at */
    MOTION_LEARNING = 1,     /* the background is being (re)built */
    MOTION_STILL = 2,        /* nothing moves */
    MOTION_DETECTED = 3,     /* changed_pct >= the minimum area */
    MOTION_RECALIBRATED = 4, /* a lighting change: background rebuilt, no verdict */
    MOTION_UNDECODABLE = 5,  /* the JPEG could not be decoded */
};

struct motion_result {
    enum motion_state state;
    double changed_pct; /* share of the unmasked picture that changed, 0..100 */
};

/* Default settle time after a move, ms: SG90 travel plus a frame or two in flight. */
#define MOTION_SETTLE_MS_DEFAULT 1500

/* New detector with settings (copied; NULL: defaults) and a settle time in ms. NULL if out of
 * memory. */
struct motion *motion_new(const struct motion_settings *settings, unsigned settle_ms);

/* Free; motion_free(NULL) is a no-op. */
void motion_free(struct motion *m);

/* The default settings: sensitivity 50, no masks. */
void motion_settings_default(struct motion_settings *s);

/*
 * Check settings: sensitivity 1..100, at most MOTION_MASKS_MAX masks, each inside 0..1000 with a
 * non-zero size. Returns 0 or -EINVAL with *reason set (a static one-line phrase).
 */
int motion_settings_check(const struct motion_settings *s, const char **reason);

/* Replace the settings (after motion_settings_check). The background is kept. Returns 0 or
 * -EINVAL. */
int motion_set_settings(struct motion *m, const struct motion_settings *s);

/* The current settings (copied into *out). */
void motion_get_settings(const struct motion *m, struct motion_settings *out);

/* A move was sent to the camera at now_us (CLOCK_MONOTONIC, µs): pause until it settles. */
void motion_ptz_moving(struct motion *m, int64_t now_us);

/* The move was answered at now_us: detection resumes settle_ms later, from a new background. */
void motion_ptz_settled(struct motion *m, int64_t now_us);

/* Decode one JPEG frame received at now_us and look at it. Fills *out. Returns 0, or -EINVAL
 * (then out->state is MOTION_UNDECODABLE) for a JPEG TurboJPEG cannot read. */
int motion_feed_jpeg(struct motion *m, const uint8_t *jpeg, size_t len, int64_t now_us,
                     struct motion_result *out);

/* The same for a greyscale picture already at detection scale (1 byte a pixel, rows packed), for
 * tests and benchmarks. A new size rebuilds the background. Returns 0 or -ENOMEM. */
int motion_feed_gray(struct motion *m, const uint8_t *gray, unsigned width, unsigned height,
                     int64_t now_us, struct motion_result *out);

/* Time spent in the last motion_feed_jpeg (decode + compare), µs. */
int64_t motion_last_cost_us(const struct motion *m);
