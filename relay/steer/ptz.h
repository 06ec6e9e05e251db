#pragma once
/*
 * ptz: forwards pan/tilt moves to the camera node, over a transport (ptz_transport.h): an HTTP
 * GET to its control URL (SERVO_URL, ptz_http.h), or a node's link.
 *
 * An ESP32 serves one request at a time, so at most one request is in flight; moves that arrive
 * meanwhile are merged (their degrees added up) into the next request, and each caller is
 * answered when the request carrying its move completes. Angles are tracked from the node's
 * JSON answer ("target_pan", "target_tilt"); a node that answers without JSON (the original
 * firmware) is tracked locally, clamped to 0..180 from the 90/90 it starts at.
 */
struct evdns_base;
struct event_base;
struct ptz;
struct ptz_transport;

/* Called once per ptz_move: status is 200 on success (pan/tilt hold the target angles), or an
 * HTTP status for the caller to answer (502, 503, 504) with `reason` (borrowed for the call). */
typedef void (*ptz_done_cb)(int status, int pan_deg, int tilt_deg, const char *reason, void *arg);

/* Maximum of moves waiting for an answer at once; more are refused (-EBUSY). */
#define PTZ_MAX_WAITING 64

/*
 * New forwarder for `servo_url` (http://host[:port]/control_servo), NULL or "" for none (every
 * move then fails with 503). Asks the node for its angles at once (a zero move). dns (borrowed,
 * may be NULL: blocking resolution) resolves a host name without blocking the loop.
 * Returns NULL with *err set (static string) for a bad URL or on allocation failure.
 */
struct ptz *ptz_new(struct event_base *base, struct evdns_base *dns, const char *servo_url,
                    const char *ca_file, const char **err);

/*
 * New forwarder over *transport (taken: the forwarder frees it), or with transport NULL or its
 * ops NULL, none yet (moves fail with 503 until ptz_set_transport). Asks the node for its angles
 * at once. Returns NULL on allocation failure (the transport is then still the caller's).
 */
struct ptz *ptz_new_transport(struct event_base *base, const struct ptz_transport *transport);

/*
 * Replace the transport with *transport (taken), or with none (NULL): a node's link came or
 * went. The request in flight and the moves waiting are answered 503 ("camera control changed"),
 * and the node's angles are asked for again over the new transport.
 */
void ptz_set_transport(struct ptz *ptz, const struct ptz_transport *transport);

/* Free; pending callers are answered 503 first. ptz_free(NULL) is a no-op. */
void ptz_free(struct ptz *ptz);

/*
 * Move by tr_deg (traverse: positive turns left) and el_deg (elevation: negative tilts up),
 * the original firmware's convention. `done` is called exactly once, possibly before this
 * returns (no SERVO_URL). Returns 0, or -EBUSY when PTZ_MAX_WAITING moves wait already (done is
 * then not called).
 */
int ptz_move(struct ptz *ptz, int tr_deg, int el_deg, ptz_done_cb done, void *arg);

/*
 * Move to absolute angles (degrees; either axis may be left alone with has_* = 0). Targets are
 * clamped to the node's limits. A node that reports its angles gets ?pan=&tilt=; the original
 * firmware gets the equivalent relative move. Same contract as ptz_move.
 */
int ptz_move_to(struct ptz *ptz, int has_pan, int pan_deg, int has_tilt, int tilt_deg,
                ptz_done_cb done, void *arg);

/*
 * Ask the node for its angles again (a zero move), e.g. when its stream comes back after a
 * restart: a restarted node is back at its home angles, not where the relay last sent it.
 */
void ptz_refresh(struct ptz *ptz);

/* The node's angle limits: pan min, pan max, tilt min, tilt max (0..180 until it says). */
void ptz_get_limits(const struct ptz *ptz, int limits_deg[4]);

/* The last known target angles; returns 1 if the node has confirmed them, 0 if assumed. */
int ptz_get_angles(const struct ptz *ptz, int *pan_deg, int *tilt_deg);

/* Told is_moving 1 when a request that turns the servos is sent to the node, and 0 when it has
 * been answered or has failed, so motion detection can pause around the camera's own moves. */
typedef void (*ptz_watch_cb)(int is_moving, void *arg);

/* Register the one watcher (NULL to remove); arg is passed back. */
void ptz_set_watch(struct ptz *ptz, ptz_watch_cb cb, void *arg);
