#pragma once
/*
 * node: the camera node's state (two servo axes, counters) and its control routes, shared by
 * both ports (lookout-cam on Linux, the ESP32-CAM firmware).
 *
 * Routes are plain functions: they take the raw query string and the time, and write an HTTP
 * status, a content type and a body into caller storage. The port's HTTP glue only moves bytes.
 * Wire contract (DESIGN.md, "Wire contracts", docs/API.md):
 *   GET /control_servo?tr=INT&el=INT   relative move; tr > 0 turns left (pan angle increases),
 *                                       el < 0 tilts up (tilt angle decreases)
 *   GET /control_servo?pan=DEG&tilt=DEG absolute move
 *     200 {"pan":90,"tilt":90,"target_pan":95,"target_tilt":90,
 *          "limits":{"pan":[0,180],"tilt":[0,180]}}      (pan/tilt = current angles)
 *     400 one line of text naming the problem, e.g. `tr: not an integer: "abc"`
 *   GET /status                         JSON: angles, limits, camera facts, uptime, counters
 *   anything else: 404; a method other than GET: 405.
 *
 * No OS calls, no allocation: time comes in as now_ms, the camera facts from the port.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "servo.h"

/* A body buffer of this size fits every reply the routes write. */
#define NODE_BODY_MAX 640

/* Node configuration. Plain value type: public layout, the caller owns the storage. */
struct node_config {
    struct servo_config pan;
    struct servo_config tilt;
};

/*
 * The node. The layout is public only so that a port can place it in its own storage (no
 * allocation in node/); all fields are private: use the functions below.
 */
struct node {
    struct servo _pan;
    struct servo _tilt;
    uint32_t _last_ms;       /* now_ms of the last call that saw the clock */
    uint64_t _uptime_ms;     /* accumulated from now_ms deltas, so it survives a wrap */
    unsigned long _moves;    /* accepted /control_servo requests */
    unsigned long _rejected; /* /control_servo requests answered 400 */
};

/*
 * Facts about the camera and the stream, supplied by the port for /status. Plain value type.
 * Measured frame rate in milli-frames per second, so no float is needed (newlib-nano printf
 * has none); has_measured_fps false omits it.
 */
struct node_facts {
    unsigned fps; /* configured frames per second */
    bool has_measured_fps;
    unsigned long measured_mfps; /* measured frames per second x 1000 */
    unsigned width;              /* frame size, pixels */
    unsigned height;
    unsigned quality;                       /* JPEG quality 1..100 */
    unsigned long frames;                   /* frames produced since start */
    unsigned stream_clients;                /* current /mjpeg clients */
    unsigned long stream_connections_total; /* /mjpeg clients accepted since start */
    unsigned max_stream_clients;
};

/* The outcome of a route: what the HTTP glue sends. Plain value type. */
struct node_reply {
    int status;               /* HTTP status code: 200, 400, 404, 405 or 500 */
    const char *content_type; /* static string, never NULL */
    size_t body_len;          /* bytes written to the body buffer (it is also NUL-terminated) */
};

/*
 * A control route. `query` is the raw query string (after '?', still percent-encoded) or NULL;
 * `facts` may be NULL for routes that do not need them. The body is written, NUL-terminated,
 * into body[0..body_size); NODE_BODY_MAX bytes are always enough (a smaller buffer yields a
 * 500). All pointers are borrowed for the duration of the call.
 */
typedef void (*node_route_fn)(struct node *n, const char *query, uint32_t now_ms,
                              const struct node_facts *facts, char *body, size_t body_size,
                              struct node_reply *out);

/* One entry of the route table: exact path (no query) and its handler. */
struct node_route {
    const char *path;
    node_route_fn handler;
};

/* SG90 defaults on both axes: 0..180 deg, home 90, 500..2400 us, 600 deg/s. */
struct node_config node_config_default(void);

/*
 * Start the node at its home angles at time now_ms (the start of uptime). cfg is copied.
 * Returns 0, or -EINVAL if an axis configuration is invalid (see servo_init).
 */
int node_init(struct node *n, const struct node_config *cfg, uint32_t now_ms);

/* Advance the clock: steps both servos at their slew rate and accumulates uptime. Call it
 * every frame; the routes call it too, so replies show fresh angles. */
void node_tick(struct node *n, uint32_t now_ms);

/* Current angles in millidegrees (what the simulated camera renders). */
int32_t node_pan_mdeg(const struct node *n);
int32_t node_tilt_mdeg(const struct node *n);

/* Current angles rounded to whole degrees, and the servo pulse widths for them in
 * microseconds (what the ESP32 port writes to LEDC). */
int node_pan_deg(const struct node *n);
int node_tilt_deg(const struct node *n);
uint32_t node_pan_pulse_us(const struct node *n);
uint32_t node_tilt_pulse_us(const struct node *n);

/* True while either axis is still travelling. */
bool node_is_moving(const struct node *n);

/* GET /control_servo: a relative or absolute move, then the resulting angles as JSON. */
void node_route_control_servo(struct node *n, const char *query, uint32_t now_ms,
                              const struct node_facts *facts, char *body, size_t body_size,
                              struct node_reply *out);

/* GET /status: angles, limits, the port's facts (all zero if facts is NULL), uptime. */
void node_route_status(struct node *n, const char *query, uint32_t now_ms,
                       const struct node_facts *facts, char *body, size_t body_size,
                       struct node_reply *out);

/* The handler for an exact path, or NULL. The table is static and shared by both ports. */
const struct node_route *node_route_find(const char *path);

/*
 * Dispatch one request: 405 unless is_get, 404 for a path not in the table, else the route.
 * path excludes the query; query as for node_route_fn. Always fills *out and the body.
 */
void node_handle(struct node *n, bool is_get, const char *path, const char *query, uint32_t now_ms,
                 const struct node_facts *facts, char *body, size_t body_size,
                 struct node_reply *out);
