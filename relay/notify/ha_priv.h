#pragma once
/*
 * ha_priv: the layout shared by ha.c (connection, state, events), ha_discovery.c (the Home
 * Assistant configs) and ha_command.c (buttons and presets). Not for other modules.
 */
#include <stdint.h>

#include "ha.h"

#define HA_TOPIC_MAX 1024
#define HA_TEXT_MAX 256
#define HA_PREFIX_MAX 128 /* as cfg's MQTT_TOPIC_PREFIX */

struct camera;
struct cameras;

struct ha_cam {
    int is_used;
    struct camera *live; /* refreshed from the set before each use (ha_live); NULL: gone */
    char name[64];
    char title[HA_TEXT_MAX];
    char uid[HA_PREFIX_MAX + 64]; /* <prefix>_<name>, [a-zA-Z0-9_-]: node id and unique_id base */
    int is_motion;
    int last_online; /* -1: not published on this connection yet */
    unsigned last_viewers;
    uint64_t last_snapshot_seq;
    uint32_t presets_hash; /* of the preset names the select was published with */
};

struct ha {
    struct event_base *base;
    struct mqtt *mqtt;
    struct event *tick; /* once a second: states, snapshots, preset list */
    unsigned ticks;
    char prefix[HA_PREFIX_MAX];
    char discovery[HA_PREFIX_MAX];
    char public_url[512];
    char version[64];
    int can_steer;
    struct audit *audit; /* borrowed, may be NULL */
    unsigned snapshot_interval_s;
    struct cameras *set; /* borrowed */
    struct ha_cam cams[HA_MAX_CAMERAS];
    int is_armed;
    char *alerts_json; /* the last ha_alerts, republished on connect; NULL before */
};

/* Publish a NUL-terminated text; failures are counted by mqtt and otherwise ignored (the
 * state is published again on the next connect). */
void ha_publish_text(struct ha *ha, const char *topic, const char *text, int is_retained);

/* Every discovery config of a camera (retained). */
void ha_discovery_publish(struct ha *ha, struct ha_cam *cam);

/* The preset select only, when the list changed. */
void ha_discovery_presets(struct ha *ha, struct ha_cam *cam);

/* A hash of the preset names (to notice a change). */
uint32_t ha_presets_hash(const struct presets *p);

/* A message on a subscribed topic. */
void ha_command(struct ha *ha, const char *topic, const void *payload, size_t len);

/* The slot of the camera named by `name` (len bytes), or NULL; its `live` is refreshed. */
struct ha_cam *ha_find(struct ha *ha, const char *name, size_t len);

/* Look the slot's camera up in the set again; returns it (borrowed until the loop next runs)
 * or NULL when it is gone. */
struct camera *ha_live(struct ha *ha, struct ha_cam *cam);

/* Remove the camera's entities from Home Assistant (empty retained configs). */
void ha_discovery_remove(struct ha *ha, struct ha_cam *cam);
