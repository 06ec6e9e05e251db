#pragma once
/*
 * events_camera: guarding for one camera: its motion detector (motion.h) and its events and
 * recorder (events.h), fed from the camera's frames (camera_set_frame_tap), paused around the
 * camera's own pan/tilt moves (ptz_set_watch), and the source kept open so recording goes on
 * with nobody watching. The detector's settings (sensitivity, masks) are the operator's, kept
 * in the camera's folder as "motion.txt", rewritten atomically (temporary file, fsync, rename,
 * fsync of the directory) like presets.
 * On the event loop only.
 */
#include <stddef.h>
#include <stdint.h>

#include "continuous.h"
#include "events.h"
#include "motion.h"

struct camera;
struct event_base;
struct events_camera;
struct events_store;

struct events_camera_stats {
    uint64_t frames_checked; /* frames decoded and compared */
    uint64_t detect_us;      /* time spent on them, µs */
    int64_t last_detect_us;
    struct continuous_stats continuous; /* segments and timelapse (zero if off) */
};

/*
 * Start guarding cam (borrowed; must outlive the result) into store's folder for it, judging at
 * most max_fps frames a second (frames in between are recorded, not decoded). Returns
 * NULL with err set ("RECORD_DIR: ..." or "FILE:LINE: reason" for a bad motion.txt).
 */
struct events_camera *events_camera_new(struct event_base *base, struct camera *cam,
                                        struct events_store *store, const struct events_config *cfg,
                                        unsigned settle_ms, unsigned max_fps, char *err,
                                        size_t err_size);

/* Stop: detach from the camera, finish an open event, free. NULL is a no-op. */
void events_camera_free(struct events_camera *ec);

/* The camera guarded, and its events (borrowed). */
struct camera *events_camera_camera(const struct events_camera *ec);
struct events *events_camera_events(const struct events_camera *ec);

/* The detector's settings (copied into *out). */
void events_camera_get_settings(const struct events_camera *ec, struct motion_settings *out);

/*
 * Replace the settings: checked (-EINVAL with *reason), written to motion.txt (a negative errno
 * if that fails: nothing changes), then applied. Returns 0.
 */
int events_camera_set_settings(struct events_camera *ec, const struct motion_settings *s,
                               const char **reason);

/* Detection counters (copied). */
void events_camera_get_stats(const struct events_camera *ec, struct events_camera_stats *out);

/*
 * Parse motion settings text ("sensitivity N" and "mask X Y W H" lines, '#' comments) into *out.
 * Returns 0 or -EINVAL with err "LINE: reason".
 */
int events_camera_parse_settings(const char *text, struct motion_settings *out, char *err,
                                 size_t err_size);
