#include "ha.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "camera.h"
#include "cameras.h"
#include "clock.h"
#include "frame.h"
#include "ha_priv.h"
#include "hub.h"
#include "webhook_body.h"
#define LOG_TAG "mqtt"
#include "log.h"

#define FPS_EVERY_TICKS 10

void ha_publish_text(struct ha *ha, const char *topic, const char *text, int is_retained)
{
    mqtt_publish(ha->mqtt, topic, text, strlen(text), is_retained, 0);
}

static void cam_topic(const struct ha *ha, const struct ha_cam *cam, const char *leaf, char *out,
                      size_t out_size)
{
    snprintf(out, out_size, "%s/%s/%s", ha->prefix, cam->name, leaf);
}

static void publish_snapshot(struct ha *ha, struct ha_cam *cam, const struct frame *frame)
{
    size_t len;
    const uint8_t *jpeg = frame_jpeg(frame, &len);
    char topic[HA_TOPIC_MAX];
    cam_topic(ha, cam, "snapshot", topic, sizeof(topic));
    if (mqtt_publish(ha->mqtt, topic, jpeg, len, 1, 0) == 0)
        cam->last_snapshot_seq = frame_seq(frame);
}

/* The camera's states: on change, or all of them with `force` (a new connection). */
static void publish_states(struct ha *ha, struct ha_cam *cam, int force)
{
    struct camera *c = ha_live(ha, cam);
    if (c == NULL)
        return;
    int is_streaming = camera_is_online(c);
    /* In standby (nobody watching) the camera was fine when last seen: not "offline". */
    int is_online = is_streaming || camera_is_standby(c);
    double fps = is_streaming ? camera_fps(c, clock_now_us()) : 0.0;
    unsigned viewers = camera_viewers(c);
    char topic[HA_TOPIC_MAX], text[32];
    if (force || is_online != cam->last_online) {
        cam_topic(ha, cam, "online", topic, sizeof(topic));
        ha_publish_text(ha, topic, is_online ? "ON" : "OFF", 1);
        cam->last_online = is_online;
    }
    if (force || viewers != cam->last_viewers) {
        cam_topic(ha, cam, "viewers", topic, sizeof(topic));
        snprintf(text, sizeof(text), "%u", viewers);
        ha_publish_text(ha, topic, text, 1);
        cam->last_viewers = viewers;
    }
    if (force || ha->ticks % FPS_EVERY_TICKS == 0) {
        cam_topic(ha, cam, "fps", topic, sizeof(topic));
        snprintf(text, sizeof(text), "%.1f", fps);
        ha_publish_text(ha, topic, text, 1);
    }
    if (force) {
        cam_topic(ha, cam, "motion", topic, sizeof(topic));
        ha_publish_text(ha, topic, cam->is_motion ? "ON" : "OFF", 1);
    }
    /* The first frame, then every interval; a new frame only: in standby the newest frame is
     * old, and was sent already. */
    int is_snapshot_due = ha->snapshot_interval_s > 0 &&
                          (ha->ticks % ha->snapshot_interval_s == 0 || cam->last_snapshot_seq == 0);
    struct frame *latest = hub_latest(camera_hub(c));
    if ((force || is_snapshot_due) && latest != NULL && frame_seq(latest) != cam->last_snapshot_seq)
        publish_snapshot(ha, cam, latest);
}

static void publish_alerts(struct ha *ha)
{
    if (ha->alerts_json == NULL)
        return;
    char topic[HA_TOPIC_MAX];
    snprintf(topic, sizeof(topic), "%s/alerts", ha->prefix);
    ha_publish_text(ha, topic, ha->alerts_json, 1);
    snprintf(topic, sizeof(topic), "%s/alerts/armed", ha->prefix);
    ha_publish_text(ha, topic, ha->is_armed ? "ON" : "OFF", 1);
}

static void sanitize(char *s);

/* A slot for a camera new to ha (its name and title copied). NULL when all are taken. */
static struct ha_cam *add_slot(struct ha *ha, const struct camera *c)
{
    for (size_t i = 0; i < HA_MAX_CAMERAS; i++) {
        struct ha_cam *cam = &ha->cams[i];
        if (cam->is_used)
            continue;
        memset(cam, 0, sizeof(*cam));
        cam->is_used = 1;
        cam->last_online = -1;
        snprintf(cam->name, sizeof(cam->name), "%s", camera_name(c));
        snprintf(cam->title, sizeof(cam->title), "%s", camera_title(c));
        char uid[sizeof(cam->uid)];
        snprintf(uid, sizeof(uid), "%s_%s", ha->prefix, cam->name);
        sanitize(uid);
        memcpy(cam->uid, uid, sizeof(uid));
        return cam;
    }
    LOG_WARN("camera %s: more than %d cameras, not announced on MQTT", camera_name(c),
             HA_MAX_CAMERAS);
    return NULL;
}

/*
 * Follow the set: announce cameras that are new (or whose title changed: a restart with new
 * settings), remove the entities of those that are gone. With force (a new connection) every
 * camera's configs and states are sent again.
 */
static void sync_cameras(struct ha *ha, int force)
{
    int is_connected = mqtt_is_connected(ha->mqtt);
    for (size_t i = 0; i < HA_MAX_CAMERAS; i++) {
        struct ha_cam *cam = &ha->cams[i];
        if (cam->is_used && ha_live(ha, cam) == NULL) {
            if (is_connected)
                ha_discovery_remove(ha, cam);
            LOG_INFO("camera %s is gone: %s", cam->name,
                     is_connected ? "its entities are removed" : "not connected to the broker");
            cam->is_used = 0;
        }
    }
    for (size_t i = 0; i < cameras_count(ha->set); i++) {
        struct camera *c = cameras_at(ha->set, i);
        struct ha_cam *cam = ha_find(ha, camera_name(c), strlen(camera_name(c)));
        int is_new = cam == NULL;
        if (is_new && (cam = add_slot(ha, c)) == NULL)
            continue;
        int is_retitled = strcmp(cam->title, camera_title(c)) != 0;
        if (is_retitled)
            snprintf(cam->title, sizeof(cam->title), "%s", camera_title(c));
        if (!is_connected)
            continue;
        if (force || is_new || is_retitled)
            ha_discovery_publish(ha, cam);
        publish_states(ha, cam, force || is_new);
        ha_discovery_presets(ha, cam);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ha *ha = arg;
    ha->ticks++;
    sync_cameras(ha, 0);
}

static void subscribe_all(struct ha *ha)
{
    char filter[HA_TOPIC_MAX];
    snprintf(filter, sizeof(filter), "%s/+/ptz", ha->prefix);
    mqtt_subscribe(ha->mqtt, filter);
    snprintf(filter, sizeof(filter), "%s/+/preset/set", ha->prefix);
    mqtt_subscribe(ha->mqtt, filter);
    /* Home Assistant's birth message: it lost its state, send the configs again. */
    snprintf(filter, sizeof(filter), "%s/status", ha->discovery);
    mqtt_subscribe(ha->mqtt, filter);
}

static void on_connected(void *arg)
{
    struct ha *ha = arg;
    subscribe_all(ha);
    sync_cameras(ha, 1);
    publish_alerts(ha);
}

static void on_message(const char *topic, const void *payload, size_t len, void *arg)
{
    ha_command(arg, topic, payload, len);
}

/* MQTT topic levels and ids: keep [a-zA-Z0-9_-], the rest becomes '_'. */
static void sanitize(char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            *s = '_';
    }
}

static int topic_prefix_ok(const char *p)
{
    return p[0] != '\0' && strpbrk(p, "+#") == NULL && p[strlen(p) - 1] != '/' && p[0] != '/';
}

struct ha *ha_new(struct event_base *base, const struct ha_config *cfg, struct cameras *set,
                  const char **err)
{
    if (!topic_prefix_ok(cfg->topic_prefix) || !topic_prefix_ok(cfg->discovery_prefix)) {
        *err = "MQTT_TOPIC_PREFIX and MQTT_DISCOVERY_PREFIX: topic levels without '+', '#' or a "
               "leading or trailing '/'";
        return NULL;
    }
    struct ha *ha = calloc(1, sizeof(*ha));
    if (ha == NULL) {
        *err = "out of memory";
        return NULL;
    }
    ha->base = base;
    ha->set = set;
    snprintf(ha->prefix, sizeof(ha->prefix), "%s", cfg->topic_prefix);
    snprintf(ha->discovery, sizeof(ha->discovery), "%s", cfg->discovery_prefix);
    snprintf(ha->public_url, sizeof(ha->public_url), "%s", cfg->public_url ? cfg->public_url : "");
    snprintf(ha->version, sizeof(ha->version), "%s", cfg->version ? cfg->version : "");
    ha->can_steer = cfg->can_steer;
    ha->audit = cfg->audit;
    ha->snapshot_interval_s = cfg->snapshot_interval_s;
    char availability[HA_TOPIC_MAX], client_id[HA_PREFIX_MAX + 80], host[64] = "";
    snprintf(availability, sizeof(availability), "%s/status", ha->prefix);
    gethostname(host, sizeof(host) - 1);
    snprintf(client_id, sizeof(client_id), "lookout-%s-%s", host, ha->prefix);
    sanitize(client_id);
    struct mqtt_config mc = cfg->mqtt;
    mc.availability_topic = availability;
    mc.client_id = client_id;
    ha->tick = event_new(base, -1, EV_PERSIST, on_tick, ha);
    ha->mqtt = ha->tick != NULL ? mqtt_new(base, &mc, on_connected, on_message, ha, err) : NULL;
    if (ha->mqtt == NULL) {
        if (ha->tick == NULL)
            *err = "out of memory";
        ha_free(ha);
        return NULL;
    }
    struct timeval second = {1, 0};
    event_add(ha->tick, &second);
    return ha;
}

void ha_free(struct ha *ha)
{
    if (ha == NULL)
        return;
    if (ha->tick != NULL)
        event_free(ha->tick);
    mqtt_free(ha->mqtt);
    free(ha->alerts_json);
    free(ha);
}

struct ha_cam *ha_find(struct ha *ha, const char *name, size_t len)
{
    for (size_t i = 0; i < HA_MAX_CAMERAS; i++) {
        struct ha_cam *cam = &ha->cams[i];
        if (cam->is_used && strlen(cam->name) == len && memcmp(cam->name, name, len) == 0) {
            ha_live(ha, cam);
            return cam;
        }
    }
    return NULL;
}

struct camera *ha_live(struct ha *ha, struct ha_cam *cam)
{
    cam->live = cameras_find(ha->set, cam->name);
    return cam->live;
}

void ha_event(struct ha *ha, const struct event_info *ev)
{
    struct ha_cam *cam = ha_find(ha, ev->camera, strlen(ev->camera));
    if (cam == NULL)
        return;
    cam->is_motion = ev->phase == EVENT_START;
    char topic[HA_TOPIC_MAX];
    cam_topic(ha, cam, "motion", topic, sizeof(topic));
    ha_publish_text(ha, topic, cam->is_motion ? "ON" : "OFF", 1);
    if (ev->thumbnail != NULL)
        publish_snapshot(ha, cam, ev->thumbnail);
    struct evbuffer *body = evbuffer_new();
    if (body == NULL)
        return;
    if (webhook_body(body, WEBHOOK_JSON, ev, ha->public_url, NULL) == 0) {
        cam_topic(ha, cam, "event", topic, sizeof(topic));
        mqtt_publish(ha->mqtt, topic, evbuffer_pullup(body, -1), evbuffer_get_length(body), 0, 1);
    }
    evbuffer_free(body);
}

void ha_alerts(struct ha *ha, int is_armed, const char *json)
{
    char *copy = strdup(json);
    if (copy == NULL)
        return;
    free(ha->alerts_json);
    ha->alerts_json = copy;
    ha->is_armed = is_armed;
    if (mqtt_is_connected(ha->mqtt))
        publish_alerts(ha);
}

int ha_is_connected(const struct ha *ha)
{
    return mqtt_is_connected(ha->mqtt);
}

void ha_get_mqtt_stats(const struct ha *ha, struct mqtt_stats *out)
{
    mqtt_get_stats(ha->mqtt, out);
}
