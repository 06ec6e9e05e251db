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
struct camfile;
struct cfg;
struct event_base;
struct evdns_base;
struct frame;
struct hub;
struct presets;
struct ptz;
struct snapshot;
struct source;
struct source_stats;

/*
 * New camera on base from its settings (camfile.h: name, title, CAM_URL, SERVO_URL, presets,
 * field of view, step; copied) and the relay-wide limits of cfg (MAX_VIEWERS and the others:
 * each camera gets them whole; borrowed for the call). dns (borrowed, may be NULL) resolves host
 * names in its URLs off the loop. Starts pulling CAM_URL (none: no source until
 * camera_set_source) and asks the node for its angles. Returns NULL with err set to a one-line
 * reason naming the setting ("CAM_URL: ...", "PRESETS_FILE: ...") on a bad setting or
 * allocation failure.
 */
struct camera *camera_new(struct event_base *base, struct evdns_base *dns,
                          const struct camfile *settings, const struct cfg *cfg, char *err,
                          size_t err_size);

/* Close its viewers and its source, answer what waits, free. camera_free(NULL) is a no-op. */
void camera_free(struct camera *cam);

/*
 * A source delivers a complete JPEG frame (borrowed) that arrived at received_us
 * (CLOCK_MONOTONIC µs): it goes to the viewers and to whatever waits for a picture. The first
 * frame of a new source connection also re-reads the node's angles (a restarted node is back
 * at home).
 */
void camera_publish(struct camera *cam, struct frame *frame, int64_t received_us);

/*
 * Called with every frame the source delivers (after the viewers got it), on the loop: the
 * frame is borrowed for the call (take a frame_ref to keep it). The guard layer (motion
 * detection, recording) listens here; the camera layer cannot see it.
 */
typedef void (*camera_frame_cb)(struct frame *frame, int64_t received_us, void *arg);

/* Register the one frame listener (NULL to remove); arg is passed back. */
void camera_set_frame_tap(struct camera *cam, camera_frame_cb cb, void *arg);

/* Keep the source connected even with nobody watching (1), as recording needs, or not (0). */
void camera_keep_open(struct camera *cam, int is_open);

/*
 * Replace the camera's source with *src (taken: the camera frees it with source_free; the old
 * one is freed now). Viewers stay connected; a hold the viewers had on the old source is moved
 * to the new one. A zeroed *src detaches (the camera is then offline, "no source").
 */
void camera_set_source(struct camera *cam, const struct source *src);

/*
 * The node link (source_link.h), for a camera with a NODE_TOKEN. camera_has_link: 1 if the
 * camera waits for (or has) a node link. camera_link_matches: 1 if `authorization` (an
 * Authorization header value, may be NULL) carries this camera's token (constant time); 0
 * otherwise or for a camera without a link. camera_link_accept: take req's connection over as
 * the camera's link (ws_upgrade_check gave accept); returns 0, -ENOTSUP for a camera without a
 * link, -ENOMEM (the caller then still answers req).
 */
struct evhttp_request;
int camera_has_link(const struct camera *cam);
int camera_link_matches(const struct camera *cam, const char *authorization);
int camera_link_accept(struct camera *cam, struct evhttp_request *req, const char *accept);

/*
 * Re-read the camera's NODE_TOKEN_FILE if it changed on disk since the last read (file_sig.h),
 * or always with is_forced (SIGHUP). A new token replaces the old at once: the old one no longer
 * links, and a node linked with it is closed (1008, "node token changed") so that it dials in
 * again with its new token. A file that does not read keeps the last good token (logged).
 * Returns 1 if the token changed, 0 if not (or no token file), or a negative errno.
 */
int camera_recheck_token(struct camera *cam, int is_forced);

/*
 * The relay is shutting down: a node linked to this camera gets a close frame (1001, "going
 * away", RFC 6455 §7.4.1). Returns how many link connections still wait for their close frame
 * to be written (run the loop a little, then camera_free).
 */
unsigned camera_going_away(struct camera *cam);

/* The parts, borrowed for the camera's lifetime. */
const struct camfile *camera_settings(const struct camera *cam); /* as given to camera_new */
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
int camera_is_connecting(const struct camera *cam); /* first attempt after start or standby */
const char *camera_offline_reason(const struct camera *cam);

/* Frames per second from the source over the last 3 s before now_us; 0 while offline. */
double camera_fps(const struct camera *cam, int64_t now_us);

/* The source's counters. */
void camera_get_source_stats(const struct camera *cam, struct source_stats *out);

/* Number of viewers of the camera's stream. */
unsigned camera_viewers(const struct camera *cam);
