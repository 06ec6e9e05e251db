#include "metrics.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "access_log.h"
#include "auth.h"
#include "camera.h"
#include "cameras.h"
#include "cfg.h"
#include "events.h"
#include "events_camera.h"
#include "events_store.h"
#include "hub.h"
#include "relay.h"
#include "tell.h"
#include "reply.h"
#include "source.h"

/* Status classes as Prometheus label values, index = status / 100 ([0]: anything else). */
static const char *const status_classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

/* One series without labels, with its HELP and TYPE lines (promtool wants both). */
static int series(struct evbuffer *out, const char *name, const char *type, const char *help,
                  unsigned long long value)
{
    return evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
                               name, value) < 0
               ? -ENOMEM
               : 0;
}

static int responses(const struct access_log_stats *as, struct evbuffer *out)
{
    if (evbuffer_add_printf(out, "# HELP lookout_http_responses_total HTTP answers sent, by "
                                 "status class (a stream counts when it starts).\n"
                                 "# TYPE lookout_http_responses_total counter\n") < 0)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(status_classes) / sizeof(status_classes[0]); i++) {
        if (evbuffer_add_printf(out, "lookout_http_responses_total{class=\"%s\"} %llu\n",
                                status_classes[i], (unsigned long long)as->responses[i]) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* One labelled series per guarded camera, with its HELP and TYPE lines. */
static int per_camera(const struct relay *relay, const struct auth_identity *who,
                      struct evbuffer *out, const char *name, const char *type, const char *help,
                      int field)
{
    if (evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < relay->guard_count; i++) {
        const struct events_camera *g = relay->guards[i];
        if (!auth_may_see(relay->auth, who, camera_name(events_camera_camera(g))))
            continue;
        struct events_stats es;
        struct events_camera_stats ds;
        events_get_stats(events_camera_events(g), &es);
        events_camera_get_stats(g, &ds);
        const struct continuous_stats *cs = &ds.continuous;
        unsigned long long values[] = {es.events,
                                       es.bytes_written,
                                       es.frames_dropped,
                                       es.disk_full + cs->disk_full,
                                       es.is_disk_full || cs->is_disk_full,
                                       ds.frames_checked,
                                       ds.detect_us,
                                       es.is_recording,
                                       es.frames_written,
                                       cs->segments,
                                       cs->timelapse_frames};
        if (evbuffer_add_printf(out, "%s{camera=\"%s\"} %llu\n", name,
                                camera_name(events_camera_camera(g)), values[field]) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Guarding (RECORD_DIR): events, recording, the disk, detection cost. */
static int guarding(const struct relay *relay, const struct auth_identity *who,
                    struct evbuffer *out)
{
    if (relay->events == NULL)
        return 0;
    struct events_store_stats ss;
    events_store_get_stats(relay->events, &ss);
    int rc = 0;
    rc |=
        per_camera(relay, who, out, "lookout_events_total", "counter", "Motion events started.", 0);
    rc |= per_camera(relay, who, out, "lookout_recorded_bytes_total", "counter",
                     "Bytes of recordings and thumbnails written.", 1);
    rc |= per_camera(relay, who, out, "lookout_recorder_frames_dropped_total", "counter",
                     "Frames not recorded because the writer's queue was full.", 2);
    rc |= per_camera(relay, who, out, "lookout_recorder_frames_written_total", "counter",
                     "Frames written into recordings.", 8);
    rc |= per_camera(relay, who, out, "lookout_recording_disk_full_total", "counter",
                     "Recordings stopped because the disk was full.", 3);
    rc |= per_camera(relay, who, out, "lookout_recording_stopped", "gauge",
                     "1 while recording waits for disk space to return.", 4);
    rc |= per_camera(relay, who, out, "lookout_recording", "gauge", "1 while an event is recorded.",
                     7);
    rc |= per_camera(relay, who, out, "lookout_segments_total", "counter",
                     "Continuous segments finished (RECORD_SEGMENT_S).", 9);
    rc |= per_camera(relay, who, out, "lookout_timelapse_frames_total", "counter",
                     "Frames added to timelapse files (RECORD_TIMELAPSE_S).", 10);
    rc |= per_camera(relay, who, out, "lookout_motion_frames_checked_total", "counter",
                     "Frames the motion detector decoded and compared.", 5);
    rc |= per_camera(relay, who, out, "lookout_motion_detect_microseconds_total", "counter",
                     "Time spent detecting motion (decode and compare), microseconds; divided "
                     "by lookout_motion_frames_checked_total: the cost per frame.",
                     6);
    rc |= series(out, "lookout_recordings", "gauge", "Events in the index.", ss.events);
    rc |=
        series(out, "lookout_recordings_bytes", "gauge", "Bytes of all recorded events.", ss.bytes);
    rc |= series(out, "lookout_recording_disk_free_bytes", "gauge",
                 "Free bytes on the disk of RECORD_DIR.", ss.free_bytes);
    rc |= series(out, "lookout_retention_deleted_total", "counter",
                 "Events deleted by retention (age, size, free disk).", ss.deleted);
    return rc < 0 ? -ENOMEM : 0;
}

/* What one camera's series are made of, read once per scrape. */
struct cam_sample {
    struct hub_stats hs;
    struct source_stats ss;
    unsigned viewers;
    int state; /* 0 online, 1 standby, 2 offline */
    double fps;
};

enum cam_field {
    F_VIEWERS,
    F_VIEWERS_TOTAL,
    F_STALLED,
    F_RECEIVED,
    F_DROPPED,
    F_PUBLISHED,
    F_SENT,
    F_SKIPPED,
    F_BYTES,
    F_CONNECTS,
    F_UP,
};

struct cam_metric {
    const char *name;
    const char *type;
    const char *help;
    enum cam_field field;
};

/* Every per-camera series carries camera="NAME" (docs/DEPLOY.md, "Monitoring"). */
static const struct cam_metric cam_metrics[] = {
    {"lookout_viewers", "gauge", "Open streams.", F_VIEWERS},
    {"lookout_viewers_total", "counter", "Streams accepted since start.", F_VIEWERS_TOTAL},
    {"lookout_viewers_dropped_stalled_total", "counter",
     "Viewers disconnected for accepting no bytes for VIEWER_STALL_TIMEOUT_MS.", F_STALLED},
    {"lookout_frames_received_total", "counter", "Frames received from the camera.", F_RECEIVED},
    {"lookout_frames_dropped_total", "counter",
     "Camera frames dropped: oversized (MAX_FRAME_BYTES), malformed or not JPEG.", F_DROPPED},
    {"lookout_frames_published_total", "counter",
     "Frames handed to the viewers (camera frames and camera-offline pictures).", F_PUBLISHED},
    {"lookout_frames_sent_total", "counter", "Frame sends started, summed over all viewers.",
     F_SENT},
    {"lookout_frames_skipped_total", "counter",
     "Frames a viewer did not get because it was still sending an older one.", F_SKIPPED},
    {"lookout_camera_received_bytes_total", "counter",
     "Stream body bytes received from the camera.", F_BYTES},
    {"lookout_camera_connects_total", "counter",
     "Connection attempts to the camera's CAM_URL (the first one and every reconnect).",
     F_CONNECTS},
    {"lookout_camera_up", "gauge", "1 while frames arrive from the camera.", F_UP},
};

static unsigned long long cam_value(const struct cam_sample *c, enum cam_field f)
{
    switch (f) {
    case F_VIEWERS:
        return c->viewers;
    case F_VIEWERS_TOTAL:
        return c->hs.viewers_total;
    case F_STALLED:
        return c->hs.viewers_dropped_stalled;
    case F_RECEIVED:
        return c->ss.frames;
    case F_DROPPED:
        return c->ss.frames_dropped;
    case F_PUBLISHED:
        return c->hs.frames_in;
    case F_SENT:
        return c->hs.frames_sent;
    case F_SKIPPED:
        return c->hs.frames_skipped;
    case F_BYTES:
        return c->ss.bytes;
    case F_CONNECTS:
        return c->ss.connects;
    case F_UP:
        return c->state == 0;
    }
    return 0;
}

/* The cameras `who` may see (all of them for NULL), sampled; returns how many. */
static size_t sample(const struct relay *relay, const struct auth_identity *who,
                     const struct camera **cams, struct cam_sample *samples, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < cameras_count(relay->cameras); i++) {
        const struct camera *cam = cameras_at(relay->cameras, i);
        if (who != NULL && !auth_may_see(relay->auth, who, camera_name(cam)))
            continue;
        struct cam_sample *c = &samples[n];
        hub_get_stats(camera_hub(cam), &c->hs);
        camera_get_source_stats(cam, &c->ss);
        c->viewers = camera_viewers(cam);
        c->state = camera_is_online(cam) ? 0 : camera_is_standby(cam) ? 1 : 2;
        c->fps = camera_fps(cam, now);
        cams[n++] = cam;
    }
    return n;
}

static int camera_series(struct evbuffer *out, const struct camera *const *cams,
                         const struct cam_sample *samples, size_t n)
{
    static const char *const states[] = {"online", "standby", "offline"};
    int rc = 0;
    for (size_t m = 0; m < sizeof(cam_metrics) / sizeof(cam_metrics[0]); m++) {
        const struct cam_metric *cm = &cam_metrics[m];
        rc |= evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", cm->name, cm->help, cm->name,
                                  cm->type);
        for (size_t i = 0; i < n; i++)
            rc |= evbuffer_add_printf(out, "%s{camera=\"%s\"} %llu\n", cm->name,
                                      camera_name(cams[i]), cam_value(&samples[i], cm->field));
    }
    rc |= evbuffer_add_printf(out, "# HELP lookout_camera_state The camera connection's state: "
                                   "online (frames arriving), standby (nobody watching, "
                                   "disconnected on purpose) or offline.\n"
                                   "# TYPE lookout_camera_state gauge\n");
    for (size_t i = 0; i < n; i++) {
        for (int s = 0; s < 3; s++)
            rc |= evbuffer_add_printf(out, "lookout_camera_state{camera=\"%s\",state=\"%s\"} %d\n",
                                      camera_name(cams[i]), states[s], samples[i].state == s);
    }
    rc |= evbuffer_add_printf(out, "# HELP lookout_camera_fps Frames per second from the camera "
                                   "over the last 3 s.\n# TYPE lookout_camera_fps gauge\n");
    for (size_t i = 0; i < n; i++)
        rc |= evbuffer_add_printf(out, "lookout_camera_fps{camera=\"%s\"} %.2f\n",
                                  camera_name(cams[i]), samples[i].fps);
    return rc < 0 ? -ENOMEM : 0;
}

int metrics_render(const struct relay *relay, const struct auth_identity *who, struct evbuffer *out)
{
    struct access_log_stats as;
    struct auth_stats aus;
    auth_get_stats(relay->auth, &aus);
    access_log_get_stats(relay->access_log, &as);
    int64_t now = clock_now_us();
    int rc = 0;
    const struct camera *cams[CAMERAS_MAX];
    struct cam_sample *samples = calloc(CAMERAS_MAX, sizeof(*samples));
    if (samples == NULL)
        return -ENOMEM;
    size_t n = sample(relay, who, cams, samples, now);

    rc |= series(out, "lookout_uptime_seconds", "gauge", "Seconds since the relay started.",
                 (unsigned long long)((now - relay->started_us) / 1000000));
    rc |= camera_series(out, cams, samples, n);
    free(samples);
    rc |= responses(&as, out);
    rc |= series(out, "lookout_http_unauthorized_total", "counter",
                 "401 answers: requests without a valid login.", as.unauthorized);
    rc |= series(out, "lookout_auth_failures_total", "counter",
                 "Wrong passwords (Basic credentials or the login form).", aus.failures);
    rc |= series(out, "lookout_auth_throttled_total", "counter",
                 "Login attempts refused unchecked: too many failures from the address.",
                 aus.throttled);
    rc |= series(out, "lookout_logins_total", "counter", "Sessions started by the login form.",
                 aus.logins);
    rc |= guarding(relay, who, out);
    return rc < 0 ? -ENOMEM : 0;
}

void metrics_reply(struct evhttp_request *req, const struct route_ctx *ctx)
{
    const struct relay *relay = ctx->relay;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL || metrics_render(relay, &ctx->who, body) < 0) {
        if (body != NULL)
            evbuffer_free(body);
        reply_text(req, 503, "out of memory");
        return;
    }
    tell_metrics(relay->tell, body);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", METRICS_CONTENT_TYPE);
    reply_no_store(req);
    evhttp_send_reply(req, 200, "OK", body);
    evbuffer_free(body);
}

/* One camera's state for /healthz: "online", "standby" or "offline (<reason>)"; returns 0, 1
 * or 2 (online, standby, offline). */
static int health_of(const struct camera *cam, char *out, size_t out_size)
{
    if (camera_is_online(cam)) {
        snprintf(out, out_size, "online");
        return 0;
    }
    if (camera_is_standby(cam)) {
        snprintf(out, out_size, "standby");
        return 1;
    }
    snprintf(out, out_size, "offline (%s)", camera_offline_reason(cam));
    return 2;
}

void metrics_healthz(struct evhttp_request *req, const struct route_ctx *ctx)
{
    const struct relay *relay = ctx->relay;
    struct evbuffer *text = evbuffer_new();
    if (text == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    char state[192];
    int rc = evbuffer_add_printf(text, "ok");
    if (ctx->camera != NULL) {
        health_of(ctx->camera, state, sizeof(state));
        rc |= evbuffer_add_printf(text, "\ncamera: %s", state);
    }
    /* Every camera: how many in each state, then (if the settings allow naming them here,
     * where no login is asked) one line each. */
    unsigned count[3] = {0, 0, 0};
    size_t n = cameras_count(relay->cameras);
    for (size_t i = 0; i < n; i++)
        count[health_of(cameras_at(relay->cameras, i), state, sizeof(state))]++;
    rc |= evbuffer_add_printf(text, "\ncameras: %zu, online %u, standby %u, offline %u", n,
                              count[0], count[1], count[2]);
    for (size_t i = 0; relay->cfg->healthz_camera_names && i < n; i++) {
        const struct camera *cam = cameras_at(relay->cameras, i);
        health_of(cam, state, sizeof(state));
        rc |= evbuffer_add_printf(text, "\ncamera %s: %s", camera_name(cam), state);
    }
    rc |= evbuffer_add(text, "", 1);
    const char *body = (const char *)evbuffer_pullup(text, -1);
    if (rc < 0 || body == NULL)
        reply_text(req, 503, "out of memory");
    else
        reply_text(req, 200, body);
    evbuffer_free(text);
}
