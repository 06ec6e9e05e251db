#pragma once
/*
 * fps_meter: a camera's frame rate over the last few seconds, from the arrival times of its
 * last FPS_METER_WINDOW frames. Caller storage (x_init), no allocation.
 */
#include <stdint.h>

#define FPS_METER_WINDOW 32            /* frame times kept */
#define FPS_METER_MAX_AGE_US 3000000LL /* older frames do not count */

/* Plain value type; the members are private. Zero it (or fps_meter_init) before use. */
struct fps_meter {
    int64_t times_us[FPS_METER_WINDOW];
    unsigned next;
};

void fps_meter_init(struct fps_meter *m);

/* A frame arrived at now_us (CLOCK_MONOTONIC µs). */
void fps_meter_add(struct fps_meter *m, int64_t now_us);

/* Frames per second over the frames of the last FPS_METER_MAX_AGE_US before now_us; 0 with
 * fewer than two. */
double fps_meter_fps(const struct fps_meter *m, int64_t now_us);
