#pragma once
/*
 * ha: Lookout on MQTT, and as Home Assistant devices through MQTT discovery
 * (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery), one device per camera.
 *
 * Topics (P = MQTT_TOPIC_PREFIX, default "lookout"; N = the camera's name), docs/INTEGRATIONS.md:
 *   P/status              "online" / "offline" (retained; "offline" is the last will)
 *   P/N/motion            "ON" / "OFF" (retained)          binary_sensor, device_class motion
 *   P/N/online            "ON" / "OFF" (retained)          binary_sensor, device_class connectivity
 *   P/N/snapshot          JPEG bytes (retained)            camera: event thumbnails, and the
 *                                                          newest frame every
 * MQTT_SNAPSHOT_INTERVAL_S P/N/viewers, P/N/fps  numbers (retained)               sensors P/N/ptz
 * command: left|right|up|down|home buttons (payload_press) P/N/preset/set        command: a
 * preset's name         select (state on P/N/preset) P/N/event             event JSON, start and
 * end (webhook_body.h), not retained P/alerts, P/alerts/armed   the alert state (alerts.h),
 * retained; binary_sensor "Alerts armed" Discovery configs go to
 * D/<component>/<P>_<N>/<object>/config (D = MQTT_DISCOVERY_PREFIX), retained, and again when Home
 * Assistant announces itself ("online" on D/status).
 *
 * Commands steer through the same pan/tilt forwarder and presets as the page, as the identity
 * "mqtt" with the operator role, only if MQTT_CAN_STEER; each is logged with that identity.
 * A malformed payload is ignored with a log line.
 */
#include <stdint.h>

#include "event.h"
#include "mqtt.h"

struct audit;
struct cameras;
struct event_base;
struct ha;

struct ha_config {
    struct mqtt_config mqtt;      /* client_id and availability_topic are filled in by ha_new */
    const char *topic_prefix;     /* MQTT_TOPIC_PREFIX */
    const char *discovery_prefix; /* MQTT_DISCOVERY_PREFIX */
    int can_steer;                /* MQTT_CAN_STEER */
    unsigned snapshot_interval_s; /* 0: only event thumbnails */
    const char *public_url;       /* PUBLIC_URL, for the device's link and event URLs */
    const char *version;          /* the relay's, shown as the device's sw_version */
    struct audit *audit;          /* AUDIT_LOG (borrowed, may be NULL): commands are recorded */
};

#define HA_MAX_CAMERAS 64 /* as CAMERAS_MAX; more are not announced (logged) */

/*
 * Connect (mqtt.h) and publish every camera of `set` (borrowed: the relay's set, which must
 * outlive the ha object). Cameras are looked up by name whenever they are needed, never kept:
 * the set changes on SIGHUP (cameras added, removed, restarted), and each second ha follows it,
 * announcing new cameras and removing the entities of those that are gone.
 * NULL with *err set on a bad setting.
 */
struct ha *ha_new(struct event_base *base, const struct ha_config *cfg, struct cameras *set,
                  const char **err);

/* Free (mqtt_free: "offline", then the will). ha_free(NULL) is a no-op. */
void ha_free(struct ha *ha);

/* A motion event (guard/event.h): the motion sensor, the event topic, the thumbnail. */
void ha_event(struct ha *ha, const struct event_info *ev);

/* The alert state: is_armed on P/alerts/armed, json (a complete object) on P/alerts. Kept and
 * published again on every reconnect. */
void ha_alerts(struct ha *ha, int is_armed, const char *json);

/* 1 while the broker has accepted the connection. */
int ha_is_connected(const struct ha *ha);

/* The MQTT connection's counters (for /metrics). */
void ha_get_mqtt_stats(const struct ha *ha, struct mqtt_stats *out);
