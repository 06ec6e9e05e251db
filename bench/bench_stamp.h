#pragma once
/*
 * bench_stamp: what a viewer can tell about a frame's origin, for the constrained-viewer and
 * move-to-picture rows of make bench.
 *
 * lookout-cam puts a JPEG comment segment (COM, FF FE) right after each frame's SOI:
 *   "lookout-cam t=<CLOCK_MONOTONIC us> seq=<n> pan=<mdeg> tilt=<mdeg>"
 * Servers that re-serve the JPEG unchanged keep it (the relay; VLC's mpjpeg muxer, which drops
 * every part header but the two it writes), so a frame's age at any viewer can be measured
 * against the same machine's CLOCK_MONOTONIC.
 */
#include <stddef.h>
#include <stdint.h>

/* Bytes at the start of a JPEG that hold the stamp when there is one. */
#define BENCH_STAMP_PREFIX_MAX 128

/* A parsed stamp. Plain value type. */
struct bench_stamp {
    int64_t sent_us; /* when the camera sent the frame, CLOCK_MONOTONIC */
    uint64_t seq;    /* the camera's frame number */
    int pan_mdeg;    /* the angle the frame was taken at */
    int tilt_mdeg;
};

/*
 * Find the stamp in the first len bytes of a JPEG (at most BENCH_STAMP_PREFIX_MAX are looked
 * at). Returns 0 and fills *out, or -ENOENT if the JPEG does not start with a lookout-cam stamp.
 */
int bench_stamp_parse(const uint8_t *jpeg, size_t len, struct bench_stamp *out);

/*
 * A part header value in decimal degrees ("92.5", "-3", as X-Pan carries it) in millidegrees.
 * Returns 0, or -EINVAL if s..end is not such a number.
 */
int bench_degrees_to_mdeg(const char *s, const char *end, int *mdeg);
