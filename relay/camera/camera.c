#include "camera.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bearer.h"
#include "camfile.h"
#include "cfg.h"
#include "clock.h"
#include "file_sig.h"
#include "hub.h"
#include "link_msg.h"
#include "link_ptz.h"
#include "offline.h"
#include "presets.h"
#include "ptz.h"
#include "ptz_transport.h"
#include "snapshot.h"
#include "source.h"
#include "source_link.h"
#include "upstream.h"
#define LOG_TAG "camera"
#include "log.h"

struct camera {
    struct camfile settings;
    struct source source;      /* at one address: offline and snapshot borrow it */
    struct source_link *link;  /* the source when the node dials in (borrowed from source) */
    struct link_ptz *link_ptz; /* moves over that link (owned by ptz), or NULL */
    struct hub *hub;
    struct ptz *ptz;
    struct presets *presets;
    struct snapshot *snapshot;
    struct offline *offline;
    int is_holding_source;     /* viewers hold the source open */
    uint64_t angles_read_at;   /* the source connection whose node angles were read */
    camera_frame_cb tap;       /* motion detection and recording (guard/), or NULL */
    int is_kept_open;          /* recording holds the source open with nobody watching */
    struct file_sig token_sig; /* NODE_TOKEN_FILE as it was when last read */
    void *tap_arg;
};

void camera_publish(struct camera *cam, struct frame *frame, int64_t received_us)
{
    /* The first frame of a connection may come from a node that restarted: re-read its angles. */
    struct source_stats st;
    source_get_stats(&cam->source, &st);
    if (st.connects != cam->angles_read_at) {
        cam->angles_read_at = st.connects;
        ptz_refresh(cam->ptz);
    }
    hub_publish(cam->hub, frame, received_us);
    snapshot_on_frame(cam->snapshot);
    if (cam->tap != NULL)
        cam->tap(frame, received_us, cam->tap_arg);
}

void camera_set_frame_tap(struct camera *cam, camera_frame_cb cb, void *arg)
{
    cam->tap = cb;
    cam->tap_arg = arg;
}

static void on_frame(struct frame *frame, int64_t received_us, void *arg)
{
    camera_publish(arg, frame, received_us);
}

/* Viewers are what keeps the source open (UPSTREAM_IDLE_TIMEOUT_MS). */
static void on_viewers(unsigned viewers, void *arg)
{
    struct camera *cam = arg;
    if (viewers > 0 && !cam->is_holding_source)
        source_hold(&cam->source);
    else if (viewers == 0 && cam->is_holding_source)
        source_release(&cam->source);
    cam->is_holding_source = viewers > 0;
}

void camera_set_source(struct camera *cam, const struct source *src)
{
    if (cam->is_holding_source)
        source_release(&cam->source);
    if (cam->link != NULL && cam->source.impl == cam->link)
        cam->link = NULL; /* freed with the source below */
    if (cam->is_kept_open)
        source_release(&cam->source);
    source_free(&cam->source);
    cam->source = *src;
    if (cam->is_holding_source)
        source_hold(&cam->source);
    if (cam->is_kept_open)
        source_hold(&cam->source);
}

void camera_keep_open(struct camera *cam, int is_open)
{
    if (is_open && !cam->is_kept_open)
        source_hold(&cam->source);
    else if (!is_open && cam->is_kept_open)
        source_release(&cam->source);
    cam->is_kept_open = is_open;
}

static void on_link_message(const struct link_msg *m, void *arg)
{
    struct camera *cam = arg;
    if (m->type == LINK_MSG_MOVED && cam->link_ptz != NULL)
        link_ptz_answer(cam->link_ptz, m);
}

static void on_link_state(int is_up, void *arg)
{
    struct camera *cam = arg;
    if (is_up)
        ptz_refresh(cam->ptz); /* a node that dials in may have restarted: read its angles */
    else if (cam->link_ptz != NULL)
        link_ptz_down(cam->link_ptz);
}

/* NODE_TOKEN instead of CAM_URL: the camera's source is its node's link, and so are moves. */
static int start_link(struct camera *cam, struct event_base *base, const struct cfg *cfg, char *err,
                      size_t err_size)
{
    struct source_link_config lc = {.name = cam->settings.name,
                                    .max_frame_bytes = cfg->max_frame_bytes,
                                    .stall_timeout_ms = cfg->upstream_stall_timeout_ms,
                                    .idle_timeout_ms = cfg->upstream_idle_timeout_ms};
    struct source_link_callbacks cb = {
        .on_frame = on_frame, .on_message = on_link_message, .on_state = on_link_state, .arg = cam};
    cam->link = source_link_new(base, &lc, &cb);
    if (cam->link == NULL) {
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    source_link_as_source(cam->link, &cam->source);
    if (cam->settings.servo_url[0] != '\0')
        return 0; /* moves go to SERVO_URL */
    struct ptz_transport t;
    cam->link_ptz = link_ptz_new(base, cam->link, &t);
    if (cam->link_ptz == NULL) {
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    ptz_set_transport(cam->ptz, &t); /* the ptz owns it now */
    return 0;
}

int camera_has_link(const struct camera *cam)
{
    return cam->link != NULL;
}

int camera_link_matches(const struct camera *cam, const char *authorization)
{
    return cam->link != NULL && bearer_matches(authorization, cam->settings.node_token_digest);
}

int camera_recheck_token(struct camera *cam, int is_forced)
{
    const char *path = cam->settings.node_token_file;
    if (path[0] == '\0')
        return 0;
    struct file_sig now = file_sig_of(path);
    if (!is_forced && file_sig_same(&now, &cam->token_sig))
        return 0;
    cam->token_sig = now;
    unsigned char digest[BEARER_DIGEST_BYTES];
    const char *reason = NULL;
    int rc = bearer_load(NULL, path, digest, &reason);
    if (rc <= 0) {
        LOG_ERROR("camera %s: NODE_TOKEN_FILE %s: %s; keeping the last good token",
                  cam->settings.name, path, rc == 0 ? "empty" : reason);
        return rc == 0 ? -EINVAL : rc;
    }
    if (memcmp(digest, cam->settings.node_token_digest, sizeof(digest)) == 0)
        return 0;
    memcpy(cam->settings.node_token_digest, digest, sizeof(digest));
    LOG_INFO("camera %s: node token changed (NODE_TOKEN_FILE re-read): the old token no longer "
             "links",
             cam->settings.name);
    if (cam->link != NULL)
        source_link_close_live(cam->link, SOURCE_LINK_CLOSE_POLICY, "node token changed");
    return 1;
}

unsigned camera_going_away(struct camera *cam)
{
    if (cam->link == NULL)
        return 0;
    return source_link_close_live(cam->link, SOURCE_LINK_CLOSE_GOING_AWAY, "relay shutting down");
}

int camera_link_accept(struct camera *cam, struct evhttp_request *req, const char *accept)
{
    if (cam->link == NULL)
        return -ENOTSUP;
    return source_link_accept(cam->link, req, accept);
}

static int start_source(struct camera *cam, struct event_base *base, struct evdns_base *dns,
                        const struct cfg *cfg, char *err, size_t err_size)
{
    if (cam->settings.has_node_token)
        return start_link(cam, base, cfg, err, err_size);
    if (cam->settings.cam_url[0] == '\0')
        return 0;
    const char *why = NULL;
    struct upstream_config uc = {.name = cam->settings.name,
                                 .ca_file = cfg->cam_ca_file,
                                 .url = cam->settings.cam_url,
                                 .dns = dns,
                                 .max_frame_bytes = cfg->max_frame_bytes,
                                 .stall_timeout_ms = cfg->upstream_stall_timeout_ms,
                                 .backoff_min_ms = 250,
                                 .backoff_max_ms = 10000,
                                 .idle_timeout_ms = cfg->upstream_idle_timeout_ms};
    struct upstream *u = upstream_new(base, &uc, on_frame, cam, &why);
    if (u == NULL) {
        snprintf(err, err_size, "CAM_URL: %s", why);
        return -EINVAL;
    }
    upstream_as_source(u, &cam->source);
    return 0;
}

struct camera *camera_new(struct event_base *base, struct evdns_base *dns,
                          const struct camfile *settings, const struct cfg *cfg, char *err,
                          size_t err_size)
{
    if (!camfile_name_ok(settings->name)) {
        snprintf(err, err_size, "camera name \"%.40s\": use 1-32 of a-z, 0-9, '_', '-'",
                 settings->name);
        return NULL;
    }
    struct camera *cam = calloc(1, sizeof(*cam));
    if (cam == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    cam->settings = *settings;
    if (settings->node_token_file[0] != '\0')
        cam->token_sig = file_sig_of(settings->node_token_file);
    struct hub_config hc = {.max_viewers = cfg->max_viewers,
                            .use_sendfile = cfg->tls_cert[0] == '\0',
                            .max_viewers_per_address = cfg->max_viewers_per_address,
                            .stall_timeout_ms = cfg->viewer_stall_timeout_ms,
                            .on_viewers = on_viewers,
                            .on_viewers_arg = cam};
    cam->hub = hub_new(base, &hc);
    if (cam->hub == NULL) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    char perr[512];
    cam->presets = presets_load(settings->presets_file, perr, sizeof(perr));
    if (cam->presets == NULL) {
        snprintf(err, err_size, "PRESETS_FILE: %s", perr);
        goto fail;
    }
    const char *why = NULL;
    cam->ptz = ptz_new(base, dns, settings->servo_url, cfg->cam_ca_file, &why);
    if (cam->ptz == NULL) {
        snprintf(err, err_size, "SERVO_URL: %s", why);
        goto fail;
    }
    if (start_source(cam, base, dns, cfg, err, err_size) < 0)
        goto fail;
    cam->snapshot = snapshot_new(base, cam->hub, &cam->source);
    cam->offline = offline_new(base, cam->hub, &cam->source, cfg->offline_frame_interval_ms);
    if (cam->snapshot == NULL || cam->offline == NULL) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    return cam;
fail:
    camera_free(cam);
    return NULL;
}

void camera_free(struct camera *cam)
{
    if (cam == NULL)
        return;
    /* Reverse order of creation; the viewers go before the source they hold. */
    offline_free(cam->offline);
    snapshot_free(cam->snapshot);
    hub_free(cam->hub);
    source_free(&cam->source);
    ptz_free(cam->ptz);
    presets_free(cam->presets);
    free(cam);
}

const struct camfile *camera_settings(const struct camera *cam)
{
    return &cam->settings;
}

const char *camera_name(const struct camera *cam)
{
    return cam->settings.name;
}

const char *camera_title(const struct camera *cam)
{
    return cam->settings.title;
}

struct hub *camera_hub(const struct camera *cam)
{
    return cam->hub;
}

struct ptz *camera_ptz(const struct camera *cam)
{
    return cam->ptz;
}

struct presets *camera_presets(const struct camera *cam)
{
    return cam->presets;
}

struct snapshot *camera_snapshot(const struct camera *cam)
{
    return cam->snapshot;
}

const char *camera_presets_file(const struct camera *cam)
{
    return cam->settings.presets_file;
}

const char *camera_cam_url(const struct camera *cam)
{
    return cam->settings.cam_url;
}

unsigned camera_fov_deg(const struct camera *cam)
{
    return cam->settings.fov_deg;
}

unsigned camera_ptz_step_deg(const struct camera *cam)
{
    return cam->settings.ptz_step_deg;
}

int camera_is_online(const struct camera *cam)
{
    return source_is_online(&cam->source);
}

int camera_is_standby(const struct camera *cam)
{
    return source_is_standby(&cam->source);
}

int camera_is_connecting(const struct camera *cam)
{
    return source_is_connecting(&cam->source);
}

const char *camera_offline_reason(const struct camera *cam)
{
    return source_offline_reason(&cam->source);
}

double camera_fps(const struct camera *cam, int64_t now_us)
{
    return source_fps(&cam->source, now_us);
}

void camera_get_source_stats(const struct camera *cam, struct source_stats *out)
{
    source_get_stats(&cam->source, out);
}

unsigned camera_viewers(const struct camera *cam)
{
    return hub_viewer_count(cam->hub);
}
