#include "tell.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "camera.h"
#include "cameras.h"
#include "cfg.h"
#include "clock.h"
#include "ha.h"
#include "relay.h"
#define LOG_TAG "lookout"
#include "log.h"

#ifndef LOOKOUT_VERSION
#define LOOKOUT_VERSION "0.1.0"
#endif

#define MQTT_KEEPALIVE_S 30
#define MQTT_BACKOFF_MIN_MS 1000
#define MQTT_BACKOFF_MAX_MS 60000

static void camera_status(void *arg, struct ha_status *out)
{
    const struct camera *cam = arg;
    int is_streaming = camera_is_online(cam);
    /* In standby (nobody watching) the camera was fine when last seen: not "offline". */
    out->is_online = is_streaming || camera_is_standby(cam);
    out->fps = is_streaming ? camera_fps(cam, clock_now_us()) : 0.0;
    out->viewers = camera_viewers(cam);
}

/* MQTT_PASSWORD_FILE: its first line, so the secret need not sit in the settings. */
static int read_password_file(const char *path, char *out, size_t out_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        LOG_ERROR("MQTT_PASSWORD_FILE %s: %s", path, strerror(errno));
        return -1;
    }
    if (fgets(out, (int)out_size, f) == NULL)
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int start_mqtt(struct relay *relay, const struct cfg *cfg)
{
    char password[256];
    snprintf(password, sizeof(password), "%s", cfg->mqtt_password);
    if (cfg->mqtt_password_file[0] != '\0' &&
        read_password_file(cfg->mqtt_password_file, password, sizeof(password)) < 0)
        return -1;
    struct ha_config hc = {
        .mqtt = {.url = cfg->mqtt_url,
                 .ca_file = cfg->mqtt_ca_file,
                 .user = cfg->mqtt_user,
                 .password = password,
                 .keepalive_s = MQTT_KEEPALIVE_S,
                 .backoff_min_ms = MQTT_BACKOFF_MIN_MS,
                 .backoff_max_ms = MQTT_BACKOFF_MAX_MS,
                 .dns = relay->dns},
        .topic_prefix = cfg->mqtt_topic_prefix,
        .discovery_prefix = cfg->mqtt_discovery_prefix,
        .can_steer = cfg->mqtt_can_steer,
        .snapshot_interval_s = cfg->mqtt_snapshot_interval_s,
        .public_url = cfg->public_url,
        .version = LOOKOUT_VERSION,
    };
    const char *err = NULL;
    relay->ha = ha_new(relay->base, &hc, &err);
    explicit_bzero(password, sizeof(password));
    if (relay->ha == NULL) {
        LOG_ERROR("MQTT_URL: %s", err);
        return -1;
    }
    for (size_t i = 0; i < cameras_count(relay->cameras); i++) {
        struct camera *c = cameras_at(relay->cameras, i);
        struct ha_camera cam = {.name = camera_name(c),
                                .title = camera_title(c),
                                .hub = camera_hub(c),
                                .ptz = camera_ptz(c),
                                .presets = camera_presets(c),
                                .ptz_step_deg = camera_ptz_step_deg(c),
                                .status = camera_status,
                                .status_arg = c};
        if (ha_add_camera(relay->ha, &cam) < 0) {
            LOG_ERROR("camera %s: cannot publish it on MQTT (more than %d cameras?)",
                      camera_name(c), HA_MAX_CAMERAS);
            return -1;
        }
    }
    LOG_INFO("MQTT: topics under %s/, Home Assistant discovery under %s/, steering %s",
             cfg->mqtt_topic_prefix, cfg->mqtt_discovery_prefix,
             cfg->mqtt_can_steer ? "allowed (MQTT_CAN_STEER)" : "off");
    return 0;
}

int tell_start(struct relay *relay)
{
    const struct cfg *cfg = relay->cfg;
    if (cfg->mqtt_url[0] != '\0' && start_mqtt(relay, cfg) < 0)
        return -1;
    return 0;
}

void tell_stop(struct relay *relay)
{
    ha_free(relay->ha);
    relay->ha = NULL;
}
