/*
 * Home Assistant MQTT discovery configs, one retained message per entity, in the per-component
 * form <discovery>/<component>/<node_id>/<object_id>/config
 * (https://www.home-assistant.io/integrations/mqtt/#discovery-messages). The keys are those of
 * each platform's page: binary_sensor.mqtt, camera.mqtt, button.mqtt, select.mqtt, sensor.mqtt;
 * availability through availability_topic with the default "online"/"offline" payloads; the
 * device (identifiers, name, manufacturer, model, sw_version) groups a camera's entities.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "camera.h"
#include "ha_priv.h"
#include "mqtt.h"
#include "presets.h"
#include "reply.h"
#include "webhook_body.h"

static void config_topic(const struct ha *ha, const struct ha_cam *cam, const char *component,
                         const char *object, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s/%s/%s/%s/config", ha->discovery, component, cam->uid, object);
}

/* The keys every entity of the camera shares; leaves the object open for its own keys. */
static void begin(const struct ha *ha, const struct ha_cam *cam, struct evbuffer *b,
                  const char *object, const char *name)
{
    evbuffer_add_printf(b, "{\"name\":");
    reply_json_string(b, name);
    evbuffer_add_printf(b, ",\"unique_id\":\"%s_%s\",\"availability_topic\":\"%s/status\"",
                        cam->uid, object, ha->prefix);
    evbuffer_add_printf(b, ",\"device\":{\"identifiers\":[\"%s\"],\"name\":", cam->uid);
    reply_json_string(b, cam->title);
    evbuffer_add_printf(b, ",\"manufacturer\":\"Lookout\",\"model\":\"Lookout pan/tilt camera\"");
    evbuffer_add_printf(b, ",\"sw_version\":");
    reply_json_string(b, ha->version);
    if (ha->public_url[0] != '\0') {
        size_t n = strlen(ha->public_url);
        while (n > 0 && ha->public_url[n - 1] == '/')
            n--;
        char url[700];
        snprintf(url, sizeof(url), "%.*s/", (int)n, ha->public_url);
        evbuffer_add_printf(b, ",\"configuration_url\":");
        reply_json_string(b, url);
    }
    evbuffer_add_printf(b, "},\"origin\":{\"name\":\"Lookout\",\"sw_version\":");
    reply_json_string(b, ha->version);
    evbuffer_add_printf(b, "}");
}

/* Close the object and publish it retained on its config topic. */
static void finish(struct ha *ha, const struct ha_cam *cam, struct evbuffer *b,
                   const char *component, const char *object)
{
    char topic[HA_TOPIC_MAX];
    evbuffer_add_printf(b, "}");
    config_topic(ha, cam, component, object, topic, sizeof(topic));
    mqtt_publish(ha->mqtt, topic, evbuffer_pullup(b, -1), evbuffer_get_length(b), 1, 1);
    evbuffer_drain(b, evbuffer_get_length(b));
}

static void binary_sensors(struct ha *ha, const struct ha_cam *cam, struct evbuffer *b)
{
    begin(ha, cam, b, "motion", "Motion");
    evbuffer_add_printf(b, ",\"device_class\":\"motion\",\"state_topic\":\"%s/%s/motion\"",
                        ha->prefix, cam->name);
    finish(ha, cam, b, "binary_sensor", "motion");
    begin(ha, cam, b, "online", "Camera online");
    evbuffer_add_printf(b,
                        ",\"device_class\":\"connectivity\",\"entity_category\":\"diagnostic\","
                        "\"state_topic\":\"%s/%s/online\"",
                        ha->prefix, cam->name);
    finish(ha, cam, b, "binary_sensor", "online");
    begin(ha, cam, b, "alerts", "Alerts armed");
    evbuffer_add_printf(b, ",\"icon\":\"mdi:bell-ring\",\"state_topic\":\"%s/alerts/armed\"",
                        ha->prefix);
    finish(ha, cam, b, "binary_sensor", "alerts");
}

static void sensors(struct ha *ha, const struct ha_cam *cam, struct evbuffer *b)
{
    begin(ha, cam, b, "viewers", "Viewers");
    evbuffer_add_printf(b,
                        ",\"icon\":\"mdi:eye\",\"state_class\":\"measurement\","
                        "\"state_topic\":\"%s/%s/viewers\"",
                        ha->prefix, cam->name);
    finish(ha, cam, b, "sensor", "viewers");
    begin(ha, cam, b, "fps", "Frame rate");
    evbuffer_add_printf(b,
                        ",\"icon\":\"mdi:filmstrip\",\"state_class\":\"measurement\","
                        "\"unit_of_measurement\":\"fps\",\"suggested_display_precision\":1,"
                        "\"entity_category\":\"diagnostic\",\"state_topic\":\"%s/%s/fps\"",
                        ha->prefix, cam->name);
    finish(ha, cam, b, "sensor", "fps");
}

/* An empty retained config removes the entity (MQTT_CAN_STEER off: no buttons that refuse). */
static void remove_config(struct ha *ha, const struct ha_cam *cam, const char *component,
                          const char *object)
{
    char topic[HA_TOPIC_MAX];
    config_topic(ha, cam, component, object, topic, sizeof(topic));
    mqtt_publish(ha->mqtt, topic, "", 0, 1, 1);
}

static void buttons(struct ha *ha, const struct ha_cam *cam, struct evbuffer *b)
{
    static const struct {
        const char *press, *name, *icon;
    } list[] = {
        {"left", "Pan left", "mdi:arrow-left-bold"},
        {"right", "Pan right", "mdi:arrow-right-bold"},
        {"up", "Tilt up", "mdi:arrow-up-bold"},
        {"down", "Tilt down", "mdi:arrow-down-bold"},
        {"home", "Home position", "mdi:home-circle"},
    };
    for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
        char object[32];
        snprintf(object, sizeof(object), "ptz_%s", list[i].press);
        if (!ha->can_steer) {
            remove_config(ha, cam, "button", object);
            continue;
        }
        begin(ha, cam, b, object, list[i].name);
        evbuffer_add_printf(b,
                            ",\"icon\":\"%s\",\"command_topic\":\"%s/%s/ptz\","
                            "\"payload_press\":\"%s\"",
                            list[i].icon, ha->prefix, cam->name, list[i].press);
        finish(ha, cam, b, "button", object);
    }
}

static void camera(struct ha *ha, const struct ha_cam *cam, struct evbuffer *b)
{
    begin(ha, cam, b, "camera", "Snapshot");
    evbuffer_add_printf(b, ",\"topic\":\"%s/%s/snapshot\"", ha->prefix, cam->name);
    finish(ha, cam, b, "camera", "camera");
}

uint32_t ha_presets_hash(const struct presets *p)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; p != NULL && i < presets_count(p); i++) {
        const char *name;
        int pan, tilt;
        presets_get(p, i, &name, &pan, &tilt);
        for (const char *s = name; *s; s++)
            h = (h ^ (uint8_t)*s) * 16777619u;
        h = (h ^ 0xff) * 16777619u;
    }
    return h;
}

/* The select lists the presets; with none it is removed (an empty retained config), since
 * Home Assistant's select needs at least one option. */
static void preset_select(struct ha *ha, struct ha_cam *cam, struct evbuffer *b)
{
    const struct presets *p = cam->live != NULL ? camera_presets(cam->live) : NULL;
    cam->presets_hash = ha_presets_hash(p);
    if (p == NULL || presets_count(p) == 0 || !ha->can_steer) {
        remove_config(ha, cam, "select", "preset");
        return;
    }
    begin(ha, cam, b, "preset", "Preset");
    evbuffer_add_printf(b,
                        ",\"icon\":\"mdi:crosshairs-gps\",\"command_topic\":\"%s/%s/preset/set\","
                        "\"state_topic\":\"%s/%s/preset\",\"options\":[",
                        ha->prefix, cam->name, ha->prefix, cam->name);
    for (size_t i = 0; i < presets_count(p); i++) {
        const char *name;
        int pan, tilt;
        presets_get(p, i, &name, &pan, &tilt);
        if (i > 0)
            evbuffer_add(b, ",", 1);
        reply_json_string(b, name);
    }
    evbuffer_add_printf(b, "]");
    finish(ha, cam, b, "select", "preset");
}

void ha_discovery_publish(struct ha *ha, struct ha_cam *cam)
{
    struct evbuffer *b = evbuffer_new();
    if (b == NULL)
        return;
    binary_sensors(ha, cam, b);
    camera(ha, cam, b);
    buttons(ha, cam, b);
    sensors(ha, cam, b);
    preset_select(ha, cam, b);
    evbuffer_free(b);
}

void ha_discovery_presets(struct ha *ha, struct ha_cam *cam)
{
    struct camera *c = ha_live(ha, cam);
    if (c == NULL || ha_presets_hash(camera_presets(c)) == cam->presets_hash)
        return;
    struct evbuffer *b = evbuffer_new();
    if (b == NULL)
        return;
    preset_select(ha, cam, b);
    evbuffer_free(b);
}

void ha_discovery_remove(struct ha *ha, struct ha_cam *cam)
{
    static const char *const configs[][2] = {
        {"binary_sensor", "motion"}, {"binary_sensor", "online"}, {"binary_sensor", "alerts"},
        {"camera", "camera"},        {"button", "ptz_left"},      {"button", "ptz_right"},
        {"button", "ptz_up"},        {"button", "ptz_down"},      {"button", "ptz_home"},
        {"sensor", "viewers"},       {"sensor", "fps"},           {"select", "preset"},
    };
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
        remove_config(ha, cam, configs[i][0], configs[i][1]);
}
