/*
 * Commands from MQTT: the pan/tilt buttons (P/N/ptz) and the preset select (P/N/preset/set).
 * They take the page's path (steer/ptz.h and presets.h) as the identity "mqtt" with the operator
 * role, and only if MQTT_CAN_STEER; every command is logged with that identity, a malformed one
 * is ignored with a log line. Also Home Assistant's birth message (D/status "online").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "camera.h"
#include "ha_priv.h"
#include "presets.h"
#include "ptz.h"
#define LOG_TAG "mqtt"
#include "log.h"

#define COMMAND_MAX 64
#define IDENTITY "user mqtt (operator)"

struct pending {
    struct ha *ha;
    struct ha_cam *cam;
    char what[COMMAND_MAX + 16];
    char preset[COMMAND_MAX + 1]; /* "" unless a preset was recalled */
};

static void on_moved(int status, int pan_deg, int tilt_deg, const char *reason, void *arg)
{
    struct pending *p = arg;
    if (status == 200) {
        LOG_INFO(IDENTITY ": camera %s: %s: now at pan %d, tilt %d", p->cam->name, p->what, pan_deg,
                 tilt_deg);
        if (p->preset[0] != '\0') {
            char topic[HA_TOPIC_MAX];
            snprintf(topic, sizeof(topic), "%s/%s/preset", p->ha->prefix, p->cam->name);
            ha_publish_text(p->ha, topic, p->preset, 1);
        }
    } else {
        LOG_WARN(IDENTITY ": camera %s: %s failed: %d %s", p->cam->name, p->what, status, reason);
    }
    free(p);
}

static struct pending *pending_new(struct ha *ha, struct ha_cam *cam, const char *what)
{
    struct pending *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->ha = ha;
    p->cam = cam;
    snprintf(p->what, sizeof(p->what), "%s", what);
    return p;
}

static void started(struct pending *p, int rc)
{
    if (rc == -EBUSY) {
        LOG_WARN(IDENTITY ": camera %s: %s refused: too many moves waiting", p->cam->name, p->what);
        free(p);
    }
}

/* The audit log's line for a command, as the page's routes write theirs (api_ptz.c): the user
 * is "mqtt", the address "mqtt" (the broker hides the publisher's). */
static void audit_command(struct ha *ha, struct ha_cam *cam, const char *kind, int tr_deg,
                          int el_deg, const char *preset_name)
{
    int pan, tilt;
    ptz_get_angles(camera_ptz(cam->live), &pan, &tilt);
    struct audit_field f[6] = {AUDIT_TEXT("camera", cam->name), AUDIT_TEXT("kind", kind),
                               AUDIT_NUM("from_pan", pan), AUDIT_NUM("from_tilt", tilt)};
    size_t n = 4;
    if (preset_name != NULL) {
        f[n++] = AUDIT_TEXT("preset", preset_name);
    } else if (strcmp(kind, "relative") == 0) {
        f[n++] = AUDIT_NUM("tr", tr_deg);
        f[n++] = AUDIT_NUM("el", el_deg);
    }
    audit_record(ha->audit, "move", "mqtt", "mqtt", f, n);
}

static void button(struct ha *ha, struct ha_cam *cam, const char *press)
{
    int step = (int)camera_ptz_step_deg(cam->live);
    struct ptz *ptz = camera_ptz(cam->live);
    int tr = 0, el = 0, is_home = 0;
    if (strcmp(press, "left") == 0)
        tr = step; /* the original firmware's convention: positive tr turns left */
    else if (strcmp(press, "right") == 0)
        tr = -step;
    else if (strcmp(press, "up") == 0)
        el = -step;
    else if (strcmp(press, "down") == 0)
        el = step;
    else if (strcmp(press, "home") == 0)
        is_home = 1;
    else {
        LOG_WARN(IDENTITY ": camera %s: unknown button \"%s\" ignored (left, right, up, down, "
                          "home)",
                 cam->name, press);
        return;
    }
    LOG_INFO(IDENTITY ": camera %s: %s", cam->name, press);
    audit_command(ha, cam, is_home ? "home" : "relative", tr, el, NULL);
    struct pending *p = pending_new(ha, cam, press);
    if (p == NULL)
        return;
    if (is_home) {
        int lim[4];
        ptz_get_limits(ptz, lim);
        started(p,
                ptz_move_to(ptz, 1, (lim[0] + lim[1]) / 2, 1, (lim[2] + lim[3]) / 2, on_moved, p));
    } else {
        started(p, ptz_move(ptz, tr, el, on_moved, p));
    }
}

static void preset(struct ha *ha, struct ha_cam *cam, const char *name)
{
    int pan, tilt;
    if (presets_find(camera_presets(cam->live), name, &pan, &tilt) < 0) {
        LOG_WARN(IDENTITY ": camera %s: no preset \"%s\"; ignored", cam->name, name);
        return;
    }
    char what[COMMAND_MAX + 16];
    snprintf(what, sizeof(what), "preset %s", name);
    LOG_INFO(IDENTITY ": camera %s: %s", cam->name, what);
    audit_command(ha, cam, "preset", 0, 0, name);
    struct pending *p = pending_new(ha, cam, what);
    if (p == NULL)
        return;
    snprintf(p->preset, sizeof(p->preset), "%s", name);
    started(p, ptz_move_to(camera_ptz(cam->live), 1, pan, 1, tilt, on_moved, p));
}

/* A command payload: 1..COMMAND_MAX printable ASCII characters. */
static int payload_ok(const void *payload, size_t len, char *out)
{
    if (len == 0 || len > COMMAND_MAX)
        return 0;
    const unsigned char *s = payload;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    }
    memcpy(out, payload, len);
    out[len] = '\0';
    return 1;
}

void ha_command(struct ha *ha, const char *topic, const void *payload, size_t len)
{
    char text[COMMAND_MAX + 1];
    char birth[HA_TOPIC_MAX];
    snprintf(birth, sizeof(birth), "%s/status", ha->discovery);
    if (strcmp(topic, birth) == 0) {
        for (size_t i = 0; i < HA_MAX_CAMERAS && len == 6 && memcmp(payload, "online", 6) == 0; i++)
            if (ha->cams[i].is_used && ha_live(ha, &ha->cams[i]) != NULL)
                ha_discovery_publish(ha, &ha->cams[i]);
        return;
    }
    size_t plen = strlen(ha->prefix);
    if (strncmp(topic, ha->prefix, plen) != 0 || topic[plen] != '/')
        return;
    const char *name = topic + plen + 1;
    const char *slash = strchr(name, '/');
    struct ha_cam *cam = slash != NULL ? ha_find(ha, name, (size_t)(slash - name)) : NULL;
    if (cam == NULL || cam->live == NULL)
        return; /* another relay's camera under the same prefix, or one just removed */
    int is_ptz = strcmp(slash, "/ptz") == 0, is_preset = strcmp(slash, "/preset/set") == 0;
    if (!is_ptz && !is_preset)
        return;
    if (!payload_ok(payload, len, text)) {
        LOG_WARN("malformed command on %s ignored (%zu bytes; expected 1-%d printable characters)",
                 topic, len, COMMAND_MAX);
        return;
    }
    if (!ha->can_steer) {
        LOG_WARN(IDENTITY ": camera %s: \"%s\" refused: MQTT_CAN_STEER is off", cam->name, text);
        return;
    }
    if (is_ptz)
        button(ha, cam, text);
    else
        preset(ha, cam, text);
}
