#include "metrics.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "access_log.h"
#include "auth.h"
#include "camera.h"
#include "cameras.h"
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

static int camera_state(const struct camera *cam, struct evbuffer *out)
{
    static const char *const states[] = {"online", "standby", "offline"};
    size_t state = camera_is_online(cam) ? 0 : camera_is_standby(cam) ? 1 : 2;
    if (evbuffer_add_printf(out,
                            "# HELP lookout_camera_state The camera connection's state: online "
                            "(frames arriving), standby (nobody watching, disconnected on "
                            "purpose) or offline.\n"
                            "# TYPE lookout_camera_state gauge\n") < 0)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (evbuffer_add_printf(out, "lookout_camera_state{state=\"%s\"} %d\n", states[i],
                                i == state) < 0)
            return -ENOMEM;
    }
    return 0;
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

int metrics_render(const struct relay *relay, struct evbuffer *out)
{
    const struct camera *cam = cameras_default(relay->cameras);
    struct hub_stats hs;
    struct source_stats us;
    struct access_log_stats as;
    struct auth_stats aus;
    hub_get_stats(camera_hub(cam), &hs);
    auth_get_stats(relay->auth, &aus);
    camera_get_source_stats(cam, &us);
    access_log_get_stats(relay->access_log, &as);
    int64_t now = clock_now_us();
    int is_online = camera_is_online(cam);
    int rc = 0;

    rc |= series(out, "lookout_uptime_seconds", "gauge", "Seconds since the relay started.",
                 (unsigned long long)((now - relay->started_us) / 1000000));
    rc |= series(out, "lookout_viewers", "gauge", "Open streams.", camera_viewers(cam));
    rc |= series(out, "lookout_viewers_total", "counter", "Streams accepted since start.",
                 hs.viewers_total);
    rc |= series(out, "lookout_viewers_dropped_stalled_total", "counter",
                 "Viewers disconnected for accepting no bytes for VIEWER_STALL_TIMEOUT_MS.",
                 hs.viewers_dropped_stalled);
    rc |= series(out, "lookout_frames_received_total", "counter",
                 "Frames received from the camera.", us.frames);
    rc |= series(out, "lookout_frames_dropped_total", "counter",
                 "Camera frames dropped: oversized (MAX_FRAME_BYTES), malformed or not JPEG.",
                 us.frames_dropped);
    rc |= series(out, "lookout_frames_published_total", "counter",
                 "Frames handed to the viewers (camera frames and camera-offline pictures).",
                 hs.frames_in);
    rc |= series(out, "lookout_frames_sent_total", "counter",
                 "Frame sends started, summed over all viewers.", hs.frames_sent);
    rc |= series(out, "lookout_frames_skipped_total", "counter",
                 "Frames a viewer did not get because it was still sending an older one.",
                 hs.frames_skipped);
    rc |= series(out, "lookout_camera_received_bytes_total", "counter",
                 "Stream body bytes received from the camera.", us.bytes);
    rc |=
        series(out, "lookout_camera_connects_total", "counter",
               "Connection attempts to CAM_URL (the first one and every reconnect).", us.connects);
    rc |= series(out, "lookout_camera_up", "gauge", "1 while frames arrive from the camera.",
                 (unsigned long long)is_online);
    rc |= camera_state(cam, out);
    if (evbuffer_add_printf(out,
                            "# HELP lookout_camera_fps Frames per second from the camera over "
                            "the last 3 s.\n# TYPE lookout_camera_fps gauge\n"
                            "lookout_camera_fps %.2f\n",
                            camera_fps(cam, now)) < 0)
        rc = -ENOMEM;
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
    return rc < 0 ? -ENOMEM : 0;
}

void metrics_reply(struct evhttp_request *req, const struct route_ctx *ctx)
{
    const struct relay *relay = ctx->relay;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL || metrics_render(relay, body) < 0) {
        if (body != NULL)
            evbuffer_free(body);
        reply_text(req, 503, "out of memory");
        return;
    }
    tell_metrics(relay->tell, body);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", METRICS_CONTENT_TYPE);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply(req, 200, "OK", body);
    evbuffer_free(body);
}

void metrics_healthz(struct evhttp_request *req, const struct route_ctx *ctx)
{
    const struct camera *cam = ctx->camera;
    char text[192];
    if (camera_is_online(cam))
        snprintf(text, sizeof(text), "ok\ncamera: online");
    else if (camera_is_standby(cam))
        snprintf(text, sizeof(text), "ok\ncamera: standby");
    else
        snprintf(text, sizeof(text), "ok\ncamera: offline (%s)", camera_offline_reason(cam));
    reply_text(req, 200, text);
}
