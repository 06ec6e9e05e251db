#pragma once
/*
 * camera: one camera and everything the relay keeps for it: its source (a pulled CAM_URL today,
 * a node that dialed in tomorrow: source.h), its hub (the viewers), the offline pictures, the
 * snapshot server, the pan/tilt forwarder and the presets; its name (shown in /c/NAME/ URLs),
 * title and settings. The relay holds a set of them (cameras.h) and routes find them by name.
 *
 * A source hands frames in with camera_publish; everything per camera that wants frames (the
 * hub, the snapshot, later motion detection and recording) is fed from there. Viewers hold the
 * source open (UPSTREAM_IDLE_TIMEOUT_MS standby). Everything runs on the relay's one loop.
 */
#include <stddef.h>
#include <stdint.h>

struct camera;
struct event_base;
struct evdns_base;
struct frame;
struct hub;
struct presets;
struct ptz;
struct snapshot;
struct source;
struct source_stats;

#define CAMERA_NAME_MAX 32 /* characters of a name, not counting the NUL */

/* The settings of one camera (public layout: the caller fills it; strings are copied). */
struct camera_config {
    const char *name;         /* [a-z0-9_-]{1,32}: camera_name_ok */
    const char *title;        /* shown on the page; NULL or "": the name */
    const char *cam_url;      /* the MJPEG stream to pull; NULL or "": no source until one is
                                 attached with camera_set_source (a node that dials in) */
    const char *servo_url;    /* the node's pan/tilt URL; NULL or "": no steering (503) */
    const char *presets_file; /* this camera's presets */
    unsigned fov_deg;         /* horizontal field of view, for click-to-aim */
    unsigned ptz_step_deg;    /* the legacy /turn* routes' step */
    /* Relay-wide limits, the same for every camera. */
    unsigned max_viewers;             /* of this camera */
    unsigned max_viewers_per_address; /* of this camera, from one address */
    unsigned viewer_stall_timeout_ms;
    int use_sendfile; /* plain-TCP viewers get frames by sendfile(2) */
    size_t max_frame_bytes;
    unsigned upstream_stall_timeout_ms;
    unsigned upstream_idle_timeout_ms; /* 0: stay connected with nobody watching */
    unsigned offline_frame_interval_ms;
};

/*
 * New camera on base; dns (borrowed, may be NULL) resolves host names in its URLs off the loop.
 * Starts pulling cam_url and asks the node for its angles. Returns NULL with err set to a
 * one-line reason naming the setting ("CAM_URL: ...", "PRESETS_FILE: ...") on a bad setting or
 * allocation failure.
 */
struct camera *camera_new(struct event_base *base, struct evdns_base *dns,
                          const struct camera_config *cfg, char *err, size_t err_size);

/* Close its viewers and its source, answer what waits, free. camera_free(NULL) is a no-op. */
void camera_free(struct camera *cam);

/* 1 if name is a usable camera name: 1-32 of a-z, 0-9, '_', '-'. */
int camera_name_ok(const char *name);

/*
 * A source delivers a complete JPEG frame (borrowed) that arrived at received_us
 * (CLOCK_MONOTONIC µs): it goes to the viewers and to whatever waits for a picture. The first
 * frame of a new source connection also re-reads the node's angles (a restarted node is back
 * at home).
 */
void camera_publish(struct camera *cam, struct frame *frame, int64_t received_us);

/*
 * Replace the camera's source with *src (taken: the camera frees it with source_free; the old
 * one is freed now). Viewers stay connected; a hold the viewers had on the old source is moved
 * to the new one. A zeroed *src detaches (the camera is then offline, "no source").
 */
void camera_set_source(struct camera *cam, const struct source *src);

/* The parts, borrowed for the camera's lifetime. */
const char *camera_name(const struct camera *cam);
const char *camera_title(const struct camera *cam);
struct hub *camera_hub(const struct camera *cam);
struct ptz *camera_ptz(const struct camera *cam);
struct presets *camera_presets(const struct camera *cam);
struct snapshot *camera_snapshot(const struct camera *cam);
const char *camera_presets_file(const struct camera *cam);
const char *camera_cam_url(const struct camera *cam);
unsigned camera_fov_deg(const struct camera *cam);
unsigned camera_ptz_step_deg(const struct camera *cam);

/* The source's state (source.h): frames flowing; idle on purpose; why not online ("" if it is). */
int camera_is_online(const struct camera *cam);
int camera_is_standby(const struct camera *cam);
const char *camera_offline_reason(const struct camera *cam);

/* Frames per second from the source over the last 3 s before now_us; 0 while offline. */
double camera_fps(const struct camera *cam, int64_t now_us);

/* The source's counters. */
void camera_get_source_stats(const struct camera *cam, struct source_stats *out);

/* Number of viewers of the camera's stream. */
unsigned camera_viewers(const struct camera *cam);
