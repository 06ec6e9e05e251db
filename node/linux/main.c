/*
 * lookout-cam: the Lookout camera node on Linux, with a simulated camera and simulated SG90
 * servos. One event loop: a stream port (stream.c), a control port (control.c, routes from
 * node/), and a frame timer that steps the servos and produces frames.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cam_options.h"
#include "clock_ms.h"
#include "control.h"
#include "basic_auth.h"
#include "node.h"
#include "relay_link.h"
#include "secret_file.h"
#include "sim_camera.h"
#include "sim_panorama.h"
#include "stream.h"

#define LOG_TAG "cam"
#include "log.h"

#define MAX_CAPTURES 8
#define WRITE_TIMEOUT_S 10

/* Everything the callbacks need, owned by main's stack frame (no globals). */
struct app {
    struct cam_options opts;
    struct node_config node_cfg;
    struct node node;
    struct sim_panorama *panorama; /* --scene, or NULL */
    struct sim_camera *camera;
    struct stream *stream;
    struct control *control;
    struct relay_link *link; /* --relay, or NULL */
    struct basic_auth *auth; /* --auth-file, or NULL */
    struct event_base *base;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct app *app = arg;
    uint32_t now_ms = clock_ms_now();
    node_tick(&app->node, now_ms);
    if (app->stream != NULL)
        stream_tick(app->stream, now_ms);
    if (app->link != NULL)
        relay_link_tick(app->link, now_ms);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct app *app = arg;
    LOG_INFO("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopexit(app->base, NULL);
}

static void on_facts(struct node_facts *out, void *arg)
{
    const struct app *app = arg;
    struct stream_stats st;
    memset(&st, 0, sizeof(st));
    if (app->stream != NULL)
        stream_get_stats(app->stream, &st);
    *out = (struct node_facts){
        .fps = app->opts.fps,
        .has_measured_fps = st.has_measured_fps,
        .measured_mfps = st.measured_mfps,
        .width = app->opts.width,
        .height = app->opts.height,
        .quality = (unsigned)app->opts.quality,
        .frames = st.frames + (app->link != NULL ? relay_link_frames(app->link) : 0),
        .stream_clients = st.clients,
        .stream_connections_total = st.connections_total,
        .max_stream_clients = app->opts.max_clients,
    };
}

/* The simulator's cost per frame, measured over the whole run (kept well under the frame
 * period). */
static void log_frame_costs(const struct app *app)
{
    if (app->camera == NULL)
        return;
    struct sim_camera_stats st;
    sim_camera_get_stats(app->camera, &st);
    if (st.frames > 0)
        LOG_INFO("%lu frames; per frame: render %lu us, encode %lu us (%ux%u)", st.frames,
                 st.render_us_avg, st.encode_us_avg, app->opts.width, app->opts.height);
}

/* Decode --scene for the frame size and the servos' limits. Returns 0, or -1 after one line on
 * stderr naming the flag and the file. */
static int load_scene(struct app *app)
{
    struct sim_panorama_config cfg = {
        .width = app->opts.width,
        .height = app->opts.height,
        .pan_min_deg = app->node_cfg.pan.min_deg,
        .pan_max_deg = app->node_cfg.pan.max_deg,
        .tilt_min_deg = app->node_cfg.tilt.min_deg,
        .tilt_max_deg = app->node_cfg.tilt.max_deg,
    };
    char why[SIM_PANORAMA_REASON_MAX];
    app->panorama = sim_panorama_new(app->opts.scene_path, &cfg, why, sizeof(why));
    if (app->panorama == NULL) {
        fprintf(stderr, "lookout-cam: --scene: %s\n", why);
        return -1;
    }
    unsigned w, h;
    sim_panorama_source_size(app->panorama, &w, &h);
    LOG_INFO("scene: %s (%ux%u), pan %d..%d across its width, tilt %d..%d down its height",
             app->opts.scene_path, w, h, cfg.pan_min_deg, cfg.pan_max_deg, cfg.tilt_min_deg,
             cfg.tilt_max_deg);
    return 0;
}

#define LINK_BACKOFF_MIN_MS 500
#define LINK_BACKOFF_MAX_MS 30000

static int start_link(struct app *app, const struct cam *cam)
{
    char token[600], err[300];
    if (secret_file_read(app->opts.token_file, token, sizeof(token), err, sizeof(err)) < 0) {
        LOG_ERROR("--token-file: %s", err);
        return -1;
    }
    struct relay_link_config cfg = {
        .url = app->opts.relay_url,
        .token = token,
        .token_file = app->opts.token_file,
        .ca_file = app->opts.ca_file,
        .backoff_min_ms = LINK_BACKOFF_MIN_MS,
        .backoff_max_ms = LINK_BACKOFF_MAX_MS,
    };
    app->link = relay_link_new(app->base, &cfg, &app->node, cam, on_facts, app, err, sizeof(err));
    explicit_bzero(token, sizeof(token));
    if (app->link == NULL) {
        LOG_ERROR("%s", err);
        return -1;
    }
    LOG_INFO("dialing the relay at %s (no listening port%s)", app->opts.relay_url,
             app->opts.has_stream_port || app->opts.has_control_port ? " but those asked for" : "");
    return 0;
}

/* --auth-file: both ports ask for this user:password (HTTP Basic). */
static int load_auth(struct app *app)
{
    if (app->opts.auth_file == NULL)
        return 0;
    char line[600], err[300];
    if (secret_file_read(app->opts.auth_file, line, sizeof(line), err, sizeof(err)) < 0) {
        LOG_ERROR("--auth-file: %s", err);
        return -1;
    }
    app->auth = basic_auth_new(line);
    explicit_bzero(line, sizeof(line));
    if (app->auth == NULL) {
        LOG_ERROR("--auth-file: %s: expected one line user:password", app->opts.auth_file);
        return -1;
    }
    return 0;
}

/* A whole number from lo to hi in `query`'s `key`, or def when absent. Returns 0 or -EINVAL. */
static int query_number(const char *query, const char *key, unsigned lo, unsigned hi, unsigned def,
                        unsigned *out)
{
    *out = def;
    size_t klen = strlen(key);
    for (const char *p = query; p != NULL && *p != '\0';) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            char *end;
            unsigned long v = strtoul(p + klen + 1, &end, 10);
            if (end == p + klen + 1 || (*end != '\0' && *end != '&') || v < lo || v > hi)
                return -EINVAL;
            *out = (unsigned)v;
            return 0;
        }
        p = strchr(p, '&');
        p = p != NULL ? p + 1 : NULL;
    }
    return 0;
}

/* POST /sim/intruder[?seconds=N] and POST /sim/light?percent=N (control.h). */
static int on_sim(const char *path, const char *query, char *body, size_t body_size, void *arg)
{
    struct app *app = arg;
    unsigned v;
    if (strcmp(path, "/sim/intruder") == 0) {
        if (query_number(query, "seconds", 1, 60, 4, &v) < 0) {
            snprintf(body, body_size, "seconds: expected a whole number from 1 to 60\n");
            return 400;
        }
        sim_camera_intruder(app->camera, clock_ms_now(), v * 1000);
        snprintf(body, body_size, "an intruder crosses the view for %u s\n", v);
        return 200;
    }
    if (strcmp(path, "/sim/light") == 0) {
        if (query == NULL || strstr(query, "percent=") == NULL ||
            query_number(query, "percent", 1, 400, 100, &v) < 0) {
            snprintf(body, body_size, "percent: expected a whole number from 1 to 400\n");
            return 400;
        }
        sim_camera_set_light(app->camera, v);
        snprintf(body, body_size, "scene brightness %u %%\n", v);
        return 200;
    }
    snprintf(body, body_size, "not found\n");
    return 404;
}

/* Start everything in order; on failure the caller's teardown frees what was made. */
static int start(struct app *app)
{
    if (load_auth(app) != 0)
        return -1;
    if (node_init(&app->node, &app->node_cfg, clock_ms_now()) != 0) {
        LOG_ERROR("bad servo configuration");
        return -1;
    }
    struct sim_camera_config cam_cfg = {
        .width = app->opts.width,
        .height = app->opts.height,
        .quality = app->opts.quality,
        .panorama = app->panorama,
    };
    app->camera = sim_camera_new(&cam_cfg, &app->node);
    if (app->camera == NULL) {
        LOG_ERROR("cannot create the simulated camera (%ux%u)", cam_cfg.width, cam_cfg.height);
        return -1;
    }
    struct cam cam = sim_camera_cam(app->camera);
    if (cam_start(&cam) != 0) {
        LOG_ERROR("cannot start the camera");
        return -1;
    }
    /* --relay: one outbound link, and no listening socket unless a port was asked for. */
    int is_relay = app->opts.relay_url != NULL;
    if (is_relay && start_link(app, &cam) != 0)
        return -1;
    if (is_relay && !app->opts.has_stream_port && !app->opts.has_control_port)
        return 0;
    struct stream_config stream_cfg = {
        .bind_addr = app->opts.bind_addr,
        .port = app->opts.stream_port,
        .max_clients = app->opts.max_clients,
        .max_captures = MAX_CAPTURES,
        .write_timeout_s = WRITE_TIMEOUT_S,
    };
    if (!is_relay || app->opts.has_stream_port) {
        app->stream = stream_new(app->base, &stream_cfg, &cam);
        if (app->stream == NULL)
            return -1;
        stream_set_auth(app->stream, app->auth);
    }
    if (is_relay && !app->opts.has_control_port)
        return 0;
    app->control = control_new(app->base, app->opts.bind_addr, app->opts.control_port, &app->node,
                               on_facts, app);
    if (app->control == NULL)
        return -1;
    control_set_auth(app->control, app->auth);
    control_set_sim(app->control, on_sim, app);
    /* The original firmware steers on port 81 only, but its users' SERVO_URL often names the
     * stream's port (its template has no ":81"): answer the node's routes there too. */
    stream_set_other_routes(app->stream, control_handle_request, app->control);
    return 0;
}

int main(int argc, char **argv)
{
    struct app app;
    memset(&app, 0, sizeof(app));
    switch (cam_options_parse(argc, argv, &app.opts, stdout, stderr)) {
    case CAM_OPTIONS_RUN:
        break;
    case CAM_OPTIONS_EXIT_OK:
        return 0;
    case CAM_OPTIONS_EXIT_USAGE:
    default:
        return 2;
    }
    log_current_level = app.opts.log_level;
    app.node_cfg = node_config_default();
    if (app.opts.scene_path != NULL) {
        /* Before anything listens: a scene that cannot be shown is a usage error (exit 2). */
        if (load_scene(&app) != 0)
            return 2;
    }
    /* A viewer that disconnects mid-write must not kill the process. */
    signal(SIGPIPE, SIG_IGN);

    int status = 1;
    struct event *tick = NULL, *sigint = NULL, *sigterm = NULL;
    app.base = event_base_new();
    if (app.base == NULL) {
        LOG_ERROR("cannot create the event loop");
        return 1;
    }
    if (start(&app) != 0)
        goto out;
    tick = event_new(app.base, -1, EV_PERSIST, on_tick, &app);
    sigint = evsignal_new(app.base, SIGINT, on_signal, &app);
    sigterm = evsignal_new(app.base, SIGTERM, on_signal, &app);
    struct timeval period = {.tv_sec = 0, .tv_usec = (suseconds_t)(1000000 / app.opts.fps)};
    if (app.opts.fps == 1)
        period = (struct timeval){.tv_sec = 1, .tv_usec = 0};
    if (tick == NULL || sigint == NULL || sigterm == NULL || event_add(tick, &period) != 0 ||
        event_add(sigint, NULL) != 0 || event_add(sigterm, NULL) != 0) {
        LOG_ERROR("cannot set up timers and signals");
        goto out;
    }
    LOG_INFO("lookout-cam %s: %ux%u at %u fps, JPEG quality %d, up to %u stream clients",
             CAM_VERSION, app.opts.width, app.opts.height, app.opts.fps, app.opts.quality,
             app.opts.max_clients);
    if (event_base_dispatch(app.base) < 0) {
        LOG_ERROR("event loop failed");
        goto out;
    }
    status = 0;

out:
    log_frame_costs(&app);
    if (tick != NULL)
        event_free(tick);
    if (sigint != NULL)
        event_free(sigint);
    if (sigterm != NULL)
        event_free(sigterm);
    relay_link_free(app.link);
    control_free(app.control);
    stream_free(app.stream);
    sim_camera_free(app.camera);
    sim_panorama_free(app.panorama);
    basic_auth_free(app.auth);
    /* Runs libevent's pending finalizers, which release the last frame references. */
    event_base_free(app.base);
    return status;
}
