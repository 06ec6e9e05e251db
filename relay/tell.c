#include "tell.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "alerts.h"
#include "alerts_file.h"
#include "cfg.h"
#include "ha.h"
#include "hook.h"
#include "relay.h"
#include "tell_priv.h"
#include "webhook.h"
#define LOG_TAG "lookout"
#include "log.h"

#ifndef LOOKOUT_VERSION
#define LOOKOUT_VERSION "0.1.0"
#endif

#define MQTT_KEEPALIVE_S 30
#define MQTT_BACKOFF_MIN_MS 1000
#define MQTT_BACKOFF_MAX_MS 60000
#define ALERTS_CHECK_S 20 /* the schedule's state is published when it changes */

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

static int start_mqtt(struct relay *relay, struct tell *t, const struct cfg *cfg)
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
        .audit = relay->audit,
    };
    const char *err = NULL;
    t->ha = ha_new(relay->base, &hc, relay->cameras, &err);
    explicit_bzero(password, sizeof(password));
    if (t->ha == NULL) {
        LOG_ERROR("MQTT_URL: %s", err);
        return -1;
    }
    LOG_INFO("MQTT: topics under %s/, Home Assistant discovery under %s/, steering %s",
             cfg->mqtt_topic_prefix, cfg->mqtt_discovery_prefix,
             cfg->mqtt_can_steer ? "allowed (MQTT_CAN_STEER)" : "off");
    return 0;
}

static int start_webhook(struct relay *relay, struct tell *t, const struct cfg *cfg)
{
    struct webhook_config wc = {.url = cfg->webhook_url,
                                .ca_file = cfg->webhook_ca_file,
                                .public_url = cfg->public_url,
                                .timeout_ms = cfg->webhook_timeout_ms,
                                .retries = cfg->webhook_retries,
                                .backoff_ms = cfg->webhook_backoff_ms,
                                .dns = relay->dns};
    const char *err = NULL;
    if (webhook_format_parse(cfg->webhook_format, &wc.format) < 0) {
        LOG_ERROR("WEBHOOK_FORMAT: expected json, ntfy or gotify");
        return -1;
    }
    t->webhook = webhook_new(relay->base, &wc, &err);
    if (t->webhook == NULL) {
        LOG_ERROR("WEBHOOK_URL: %s", err);
        return -1;
    }
    return 0;
}

/* The alert state to MQTT, now and whenever it changes. */
void tell_publish_alerts(struct tell *t)
{
    int64_t now_s = (int64_t)time(NULL);
    t->was_armed = alerts_is_armed(t->alerts, now_s);
    if (t->ha == NULL)
        return;
    char json[1024];
    alerts_json(t->alerts, now_s, json, sizeof(json));
    ha_alerts(t->ha, t->was_armed, json);
}

static void on_alerts_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct tell *t = arg;
    if (alerts_is_armed(t->alerts, (int64_t)time(NULL)) != t->was_armed) {
        tell_publish_alerts(t);
        LOG_INFO("alerts %s", t->was_armed ? "armed" : "off");
    }
}

void tell_save_alerts(struct tell *t)
{
    if (t->alerts_path[0] == '\0')
        return;
    int rc =
        alerts_file_write(t->alerts_path, alerts_snoozed_until(t->alerts, (int64_t)time(NULL)));
    if (rc < 0)
        LOG_ERROR("ALERTS_FILE %s: %s: the snooze lasts until a restart only", t->alerts_path,
                  strerror(-rc));
}

/* A snooze a previous run left in ALERTS_FILE goes on; a file that does not read is logged and
 * ignored (alerts then follow the schedule): it must not stop the relay. */
static void load_snooze(struct tell *t)
{
    char err[1300];
    int64_t until = 0, now = (int64_t)time(NULL);
    if (t->alerts_path[0] == '\0')
        return;
    if (alerts_file_read(t->alerts_path, &until, err, sizeof(err)) < 0) {
        LOG_WARN("ALERTS_FILE: %s; no snooze", err);
        return;
    }
    if (alerts_snooze_until(t->alerts, now, until) < 0)
        LOG_WARN("ALERTS_FILE %s: the snooze ends more than a day from now; ignored",
                 t->alerts_path);
    else if (until > now)
        LOG_INFO("alerts snoozed for %lld more minute(s) (ALERTS_FILE)",
                 (long long)((until - now + 59) / 60));
}

static int start_alerts(struct relay *relay, struct tell *t, const struct cfg *cfg)
{
    char err[256];
    t->alerts = alerts_new(cfg->alert_schedule, err, sizeof(err));
    if (t->alerts == NULL) {
        LOG_ERROR("ALERT_SCHEDULE: %s", err);
        return -1;
    }
    cfg_state_path(cfg, cfg->alerts_file, "alerts", t->alerts_path, sizeof(t->alerts_path));
    load_snooze(t);
    t->alerts_timer = event_new(relay->base, -1, EV_PERSIST, on_alerts_check, t);
    struct timeval tv = {ALERTS_CHECK_S, 0};
    if (t->alerts_timer == NULL || event_add(t->alerts_timer, &tv) < 0) {
        LOG_ERROR("out of memory");
        return -1;
    }
    tell_publish_alerts(t);
    return 0;
}

/* A hook is run without a shell or PATH search: an absolute path to an executable file. */
static int check_hook(const char *key, const char *path)
{
    if (path[0] == '\0')
        return 0;
    if (path[0] != '/') {
        LOG_ERROR("%s: %s: give the program's absolute path (it runs without a shell)", key, path);
        return -1;
    }
    if (access(path, X_OK) != 0) {
        LOG_ERROR("%s: %s: %s", key, path, strerror(errno));
        return -1;
    }
    return 0;
}

int tell_start(struct relay *relay)
{
    const struct cfg *cfg = relay->cfg;
    struct tell *t = calloc(1, sizeof(*t));
    relay->tell = t;
    if (t == NULL) {
        LOG_ERROR("out of memory");
        return -1;
    }
    t->audit = relay->audit;
    if (cfg->mqtt_url[0] != '\0' && start_mqtt(relay, t, cfg) < 0)
        return -1;
    if (cfg->webhook_url[0] != '\0' && start_webhook(relay, t, cfg) < 0)
        return -1;
    if (check_hook("ON_EVENT_START", cfg->on_event_start) < 0 ||
        check_hook("ON_EVENT_END", cfg->on_event_end) < 0)
        return -1;
    if (cfg->on_event_start[0] != '\0' || cfg->on_event_end[0] != '\0') {
        struct hook_config hc = {.on_start = cfg->on_event_start,
                                 .on_end = cfg->on_event_end,
                                 .timeout_ms = cfg->hook_timeout_ms,
                                 .public_url = cfg->public_url};
        t->hook = hook_new(relay->base, &hc);
        if (t->hook == NULL) {
            LOG_ERROR("out of memory");
            return -1;
        }
    }
    return start_alerts(relay, t, cfg);
}

void tell_stop(struct relay *relay)
{
    struct tell *t = relay->tell;
    if (t == NULL)
        return;
    if (t->alerts_timer != NULL)
        event_free(t->alerts_timer);
    hook_free(t->hook);
    webhook_free(t->webhook);
    ha_free(t->ha);
    alerts_free(t->alerts);
    free(t);
    relay->tell = NULL;
}

void tell_on_event(const struct event_info *ev, void *arg)
{
    struct relay *relay = arg;
    struct tell *t = relay->tell;
    if (t == NULL)
        return;
    if (t->ha != NULL)
        ha_event(t->ha, ev);
    int64_t now_s = (int64_t)time(NULL);
    if (t->alerts != NULL && !alerts_is_armed(t->alerts, now_s)) {
        int64_t until = alerts_snoozed_until(t->alerts, now_s);
        LOG_INFO("camera %s event %lld %s: alerts are off (%s): no webhook, no hook", ev->camera,
                 (long long)ev->id, ev->phase == EVENT_START ? "start" : "end",
                 until > 0 ? "snoozed" : "outside ALERT_SCHEDULE");
        return;
    }
    if (t->webhook != NULL)
        webhook_send(t->webhook, ev);
    if (t->hook != NULL)
        hook_run(t->hook, ev);
}

void tell_metrics(const struct tell *t, struct evbuffer *out)
{
    if (t == NULL)
        return;
    if (t->ha != NULL) {
        struct mqtt_stats ms;
        ha_get_mqtt_stats(t->ha, &ms);
        evbuffer_add_printf(out,
                            "# HELP lookout_mqtt_connected 1 while the MQTT broker has accepted "
                            "the relay's connection.\n# TYPE lookout_mqtt_connected gauge\n"
                            "lookout_mqtt_connected %d\n"
                            "# HELP lookout_mqtt_messages_total MQTT messages, by result.\n"
                            "# TYPE lookout_mqtt_messages_total counter\n"
                            "lookout_mqtt_messages_total{result=\"published\"} %llu\n"
                            "lookout_mqtt_messages_total{result=\"dropped\"} %llu\n"
                            "# HELP lookout_mqtt_connection_failures_total MQTT connection "
                            "attempts that failed or were lost.\n"
                            "# TYPE lookout_mqtt_connection_failures_total counter\n"
                            "lookout_mqtt_connection_failures_total %llu\n",
                            ha_is_connected(t->ha), (unsigned long long)ms.published,
                            (unsigned long long)ms.dropped, (unsigned long long)ms.failures);
    }
    if (t->webhook != NULL) {
        struct webhook_stats ws;
        webhook_get_stats(t->webhook, &ws);
        evbuffer_add_printf(out,
                            "# HELP lookout_webhook_deliveries_total Webhook deliveries, by "
                            "result (dropped: given up after the last try).\n"
                            "# TYPE lookout_webhook_deliveries_total counter\n"
                            "lookout_webhook_deliveries_total{result=\"delivered\"} %llu\n"
                            "lookout_webhook_deliveries_total{result=\"dropped\"} %llu\n"
                            "# HELP lookout_webhook_retries_total Webhook tries after a failure.\n"
                            "# TYPE lookout_webhook_retries_total counter\n"
                            "lookout_webhook_retries_total %llu\n",
                            (unsigned long long)ws.delivered, (unsigned long long)ws.dropped,
                            (unsigned long long)ws.retried);
    }
    if (t->hook != NULL) {
        struct hook_stats hs;
        hook_get_stats(t->hook, &hs);
        evbuffer_add_printf(out,
                            "# HELP lookout_hook_runs_total Command hook runs, by result.\n"
                            "# TYPE lookout_hook_runs_total counter\n"
                            "lookout_hook_runs_total{result=\"started\"} %llu\n"
                            "lookout_hook_runs_total{result=\"failed\"} %llu\n"
                            "lookout_hook_runs_total{result=\"killed\"} %llu\n"
                            "lookout_hook_runs_total{result=\"skipped\"} %llu\n",
                            (unsigned long long)hs.runs, (unsigned long long)hs.failed,
                            (unsigned long long)hs.killed, (unsigned long long)hs.skipped);
    }
}
