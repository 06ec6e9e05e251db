#include "cfg.h"
#include "bearer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "config"

enum kind { K_STRING, K_UNSIGNED, K_SIZE, K_LISTEN, K_REDIRECT_LISTEN, K_LOG_LEVEL, K_BOOL };

struct key_def {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size;       /* K_STRING: buffer size */
    unsigned long min; /* numeric range */
    unsigned long max;
};

#define STR(field, name)                                                                           \
    {                                                                                              \
        name, K_STRING, offsetof(struct cfg, field), sizeof(((struct cfg *)0)->field), 0, 0        \
    }
#define NUM(field, name, lo, hi)                                                                   \
    {                                                                                              \
        name, K_UNSIGNED, offsetof(struct cfg, field), 0, lo, hi                                   \
    }

static const struct key_def keys[] = {
    STR(username, "HTTP_AUTH_USERNAME"),
    STR(password, "HTTP_AUTH_PASSWORD"),
    STR(password_hash, "HTTP_AUTH_PASSWORD_HASH"),
    STR(users_file, "USERS_FILE"),
    STR(trusted_proxies, "TRUSTED_PROXIES"),
    NUM(session_idle_ms, "SESSION_IDLE_TIMEOUT_MS", 10000, 2592000000u),
    NUM(session_max_age_ms, "SESSION_MAX_AGE_MS", 10000, 2592000000u),
    STR(sessions_file, "SESSIONS_FILE"),
    STR(shares_file, "SHARES_FILE"),
    STR(alerts_file, "ALERTS_FILE"),
    STR(audit_log, "AUDIT_LOG"),
    {"AUDIT_LOG_MAX_BYTES", K_SIZE, offsetof(struct cfg, audit_log_max_bytes), 0, 4096, 1UL << 30},
    STR(tls_cert, "TLS_CERT"),
    STR(tls_key, "TLS_KEY"),
    {"HTTP_REDIRECT_LISTEN", K_REDIRECT_LISTEN, 0, 0, 0, 0},
    NUM(hsts_max_age_s, "HSTS_MAX_AGE_S", 0, 63072000),
    NUM(max_header_bytes, "MAX_HEADER_BYTES", 1024, 65536),
    NUM(max_headers, "MAX_HEADERS", 8, 1000),
    NUM(max_uri_bytes, "MAX_URI_BYTES", 64, 65536),
    NUM(max_body_bytes, "MAX_BODY_BYTES", 256, 1048576),
    NUM(max_connections, "MAX_CONNECTIONS", 1, 200000),
    NUM(max_connections_per_address, "MAX_CONNECTIONS_PER_ADDRESS", 0, 200000),
    NUM(request_timeout_ms, "REQUEST_TIMEOUT_MS", 1000, 3600000),
    {"HEALTHZ_CAMERA_NAMES", K_BOOL, offsetof(struct cfg, healthz_camera_names), 0, 0, 1},
    STR(cam_url, "CAM_URL"),
    STR(cam_ca_file, "CAM_CA_FILE"),
    STR(node_token, "NODE_TOKEN"),
    STR(node_token_file, "NODE_TOKEN_FILE"),
    STR(servo_url, "SERVO_URL"),
    STR(camera_name, "CAMERA_NAME"),
    STR(camera_title, "CAMERA_TITLE"),
    STR(cameras_dir, "CAMERAS_DIR"),
    {"LISTEN", K_LISTEN, 0, 0, 0, 0},
    NUM(max_viewers, "MAX_VIEWERS", 1, 100000),
    NUM(max_viewers_per_address, "MAX_VIEWERS_PER_ADDRESS", 0, 100000),
    NUM(upstream_idle_timeout_ms, "UPSTREAM_IDLE_TIMEOUT_MS", 0, 86400000),
    NUM(offline_frame_interval_ms, "OFFLINE_FRAME_INTERVAL_MS", 200, 60000),
    NUM(viewer_stall_timeout_ms, "VIEWER_STALL_TIMEOUT_MS", 100, 3600000),
    NUM(upstream_stall_timeout_ms, "UPSTREAM_STALL_TIMEOUT_MS", 100, 3600000),
    NUM(ptz_step_deg, "PTZ_STEP_DEG", 1, 90),
    NUM(camera_fov_deg, "CAMERA_FOV_DEG", 10, 180),
    STR(presets_file, "PRESETS_FILE"),
    {"MAX_FRAME_BYTES", K_SIZE, offsetof(struct cfg, max_frame_bytes), 0, 1024, 64UL << 20},
    {"LOG_LEVEL", K_LOG_LEVEL, 0, 0, 0, 0},
    STR(record_dir, "RECORD_DIR"),
    NUM(record_preroll_ms, "RECORD_PREROLL_MS", 0, 30000),
    NUM(record_quiet_ms, "RECORD_QUIET_MS", 500, 600000),
    NUM(record_max_event_ms, "RECORD_MAX_EVENT_MS", 5000, 86400000),
    NUM(record_max_age_s, "RECORD_MAX_AGE_S", 0, 315360000),
    {"RECORD_MAX_BYTES", K_SIZE, offsetof(struct cfg, record_max_bytes), 0, 0, 1UL << 50},
    {"RECORD_MIN_FREE_BYTES", K_SIZE, offsetof(struct cfg, record_min_free_bytes), 0, 0, 1UL << 50},
    NUM(record_check_interval_ms, "RECORD_CHECK_INTERVAL_MS", 100, 3600000),
    NUM(record_queue_frames, "RECORD_QUEUE_FRAMES", 8, 10000),
    {"RECORD", K_BOOL, offsetof(struct cfg, record), 0, 0, 1},
    NUM(record_segment_s, "RECORD_SEGMENT_S", 0, 86400),
    NUM(record_timelapse_s, "RECORD_TIMELAPSE_S", 0, 86400),
    NUM(motion_settle_ms, "MOTION_SETTLE_MS", 0, 60000),
    NUM(motion_max_fps, "MOTION_MAX_FPS", 1, 60),
    STR(public_url, "PUBLIC_URL"),
    STR(mqtt_url, "MQTT_URL"),
    STR(mqtt_ca_file, "MQTT_CA_FILE"),
    STR(mqtt_user, "MQTT_USER"),
    STR(mqtt_password, "MQTT_PASSWORD"),
    STR(mqtt_password_file, "MQTT_PASSWORD_FILE"),
    STR(mqtt_topic_prefix, "MQTT_TOPIC_PREFIX"),
    STR(mqtt_discovery_prefix, "MQTT_DISCOVERY_PREFIX"),
    {"MQTT_CAN_STEER", K_BOOL, offsetof(struct cfg, mqtt_can_steer), 0, 0, 1},
    NUM(mqtt_snapshot_interval_s, "MQTT_SNAPSHOT_INTERVAL_S", 0, 86400),
    STR(webhook_url, "WEBHOOK_URL"),
    STR(webhook_format, "WEBHOOK_FORMAT"),
    STR(webhook_ca_file, "WEBHOOK_CA_FILE"),
    NUM(webhook_timeout_ms, "WEBHOOK_TIMEOUT_MS", 100, 60000),
    NUM(webhook_retries, "WEBHOOK_RETRIES", 0, 10),
    NUM(webhook_backoff_ms, "WEBHOOK_BACKOFF_MS", 10, 60000),
    STR(on_event_start, "ON_EVENT_START"),
    STR(on_event_end, "ON_EVENT_END"),
    NUM(hook_timeout_ms, "HOOK_TIMEOUT_MS", 100, 3600000),
    STR(alert_schedule, "ALERT_SCHEDULE"),
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) <= CFG_KEYS_MAX, "raise CFG_KEYS_MAX");

int cfg_key_index(const char *key)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].name, key) == 0)
            return (int)i;
    }
    return -1;
}

const char *cfg_key_name(int i)
{
    if (i < 0 || (size_t)i >= sizeof(keys) / sizeof(keys[0]))
        return NULL;
    return keys[i].name;
}

void cfg_mark(struct cfg *c, const char *key, unsigned line)
{
    int i = cfg_key_index(key);
    if (i >= 0)
        c->key_line[i] = line;
}

void cfg_where(const struct cfg *c, const char *key, char *out, size_t out_size)
{
    int i = cfg_key_index(key);
    unsigned line = i >= 0 ? c->key_line[i] : 0;
    const char *file = c->env_path[0] != '\0' ? c->env_path : "settings";
    if (line == CFG_FROM_ENVIRONMENT)
        snprintf(out, out_size, "environment");
    else if (line == CFG_FROM_FLAG)
        snprintf(out, out_size, "--%s", strcmp(key, "LOG_LEVEL") == 0 ? "log-level" : "listen");
    else if (line > 0)
        snprintf(out, out_size, "%s:%u", file, line);
    else
        snprintf(out, out_size, "%s", file);
}

/* Optimal string alignment distance between a and b, ASCII case ignored, capped at 9. */
static unsigned edit_distance(const char *a, const char *b)
{
    enum { N = 48 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= N || lb >= N)
        return 9;
    unsigned d[N][N];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = toupper((unsigned char)a[i - 1]), cb = toupper((unsigned char)b[j - 1]);
            unsigned best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == toupper((unsigned char)b[j - 2]) &&
                toupper((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb] > 9 ? 9 : d[la][lb];
}

const char *cfg_nearest_key(const char *key)
{
    const char *best = NULL;
    unsigned best_d = 9;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        unsigned dist = edit_distance(key, keys[i].name);
        if (dist < best_d) {
            best_d = dist;
            best = keys[i].name;
        }
    }
    /* A third of the name may be wrong, at most 3 edits: CAM_ULR, HTTP_AUTH_PASWORD, cam_url. */
    size_t len = strlen(key);
    if (best == NULL || best_d > 3 || best_d * 3 > len)
        return NULL;
    return best;
}

void cfg_defaults(struct cfg *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->camera_name, sizeof(c->camera_name), "cam");
    snprintf(c->listen_host, sizeof(c->listen_host), "0.0.0.0");
    c->listen_port = 5000;
    c->max_viewers = 1000;
    c->max_viewers_per_address = 0;
    c->upstream_idle_timeout_ms = 30000;
    c->offline_frame_interval_ms = 2000;
    c->viewer_stall_timeout_ms = 30000;
    c->upstream_stall_timeout_ms = 10000;
    c->ptz_step_deg = 5;
    c->camera_fov_deg = 60; /* the simulated camera's; an OV2640 with its stock lens sees ~65 */
    snprintf(c->presets_file, sizeof(c->presets_file), "lookout-presets.txt");
    c->max_frame_bytes = 2u << 20;
    c->log_level = LOG_LEVEL_INFO;
    c->session_idle_ms = 12u * 3600 * 1000;
    c->session_max_age_ms = 7u * 24 * 3600 * 1000;
    c->audit_log_max_bytes = 10u << 20;
    c->max_header_bytes = 8192;
    c->max_headers = 64;
    c->max_uri_bytes = 2048;
    c->max_body_bytes = 4096;
    c->max_connections = 4000;
    c->max_connections_per_address = 200;
    c->request_timeout_ms = 10000;
    c->record_preroll_ms = 3000;
    c->record_quiet_ms = 5000;
    c->record_max_event_ms = 600000;
    c->record_max_age_s = 30u * 24 * 3600;
    c->record_min_free_bytes = 256u << 20;
    c->record_check_interval_ms = 60000;
    c->record_queue_frames = 256;
    c->record = 1;
    c->motion_settle_ms = 1500;
    c->motion_max_fps = 5;
    snprintf(c->mqtt_topic_prefix, sizeof(c->mqtt_topic_prefix), "lookout");
    snprintf(c->mqtt_discovery_prefix, sizeof(c->mqtt_discovery_prefix), "homeassistant");
    c->mqtt_snapshot_interval_s = 300;
    snprintf(c->webhook_format, sizeof(c->webhook_format), "json");
    c->webhook_timeout_ms = 5000;
    c->webhook_retries = 4;
    c->webhook_backoff_ms = 1000;
    c->hook_timeout_ms = 30000;
}

/* "1", "0", and the words people write for them. */
static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "on", "true", "yes"};
    static const char *const no[] = {"0", "off", "false", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *out = strcasecmp(s, yes[i]) == 0;
            return 0;
        }
    }
    return -EINVAL;
}

static int parse_unsigned(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_listen(const char *text, char *host_out, size_t host_size, uint16_t *port_out);

int cfg_set_listen(struct cfg *c, const char *text)
{
    return parse_listen(text, c->listen_host, sizeof(c->listen_host), &c->listen_port);
}

static int parse_listen(const char *text, char *host_out, size_t host_size, uint16_t *port_out)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
        return -EINVAL;
    unsigned long port;
    if (parse_unsigned(colon + 1, 0, 65535, &port) < 0)
        return -EINVAL;
    const char *host = text;
    size_t host_len = (size_t)(colon - text);
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    if (host_len >= host_size)
        return -EINVAL;
    if (host_len == 0) {
        host = "0.0.0.0";
        host_len = strlen(host);
    }
    memcpy(host_out, host, host_len);
    host_out[host_len] = '\0';
    *port_out = (uint16_t)port;
    return 0;
}

int cfg_set(struct cfg *c, const char *key, const char *value, const char **reason)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key_def *k = &keys[i];
        if (strcmp(k->name, key) != 0)
            continue;
        unsigned long v;
        switch (k->kind) {
        case K_STRING:
            if (strlen(value) >= k->size) {
                *reason = "value too long";
                return -EINVAL;
            }
            memcpy((char *)c + k->offset, value, strlen(value) + 1);
            return 0;
        case K_UNSIGNED:
        case K_SIZE:
            if (parse_unsigned(value, k->min, k->max, &v) < 0) {
                *reason = "not a whole number in the allowed range";
                return -EINVAL;
            }
            if (k->kind == K_SIZE)
                *(size_t *)(void *)((char *)c + k->offset) = (size_t)v;
            else
                *(unsigned *)(void *)((char *)c + k->offset) = (unsigned)v;
            return 0;
        case K_LISTEN:
            if (cfg_set_listen(c, value) < 0) {
                *reason = "expected HOST:PORT, e.g. 127.0.0.1:5000";
                return -EINVAL;
            }
            return 0;
        case K_REDIRECT_LISTEN:
            if (parse_listen(value, c->redirect_listen_host, sizeof(c->redirect_listen_host),
                             &c->redirect_listen_port) < 0) {
                *reason = "expected HOST:PORT, e.g. 0.0.0.0:80";
                return -EINVAL;
            }
            c->has_redirect_listen = 1;
            return 0;
        case K_LOG_LEVEL:
            if (log_level_parse(value, &c->log_level) < 0) {
                *reason = "expected error, warn, info or debug";
                return -EINVAL;
            }
            return 0;
        case K_BOOL:
            if (parse_bool(value, (int *)(void *)((char *)c + k->offset)) < 0) {
                *reason = "expected on or off (1/0, true/false, yes/no)";
                return -EINVAL;
            }
            return 0;
        }
    }
    *reason = "unknown key";
    return -ENOENT;
}

void cfg_explain(const char *key, const char *value, const char *reason, char *out, size_t out_size)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key_def *k = &keys[i];
        if (strcmp(k->name, key) == 0 && (k->kind == K_UNSIGNED || k->kind == K_SIZE)) {
            /* Numbers are never secret: show what was read, and what would be right. */
            snprintf(out, out_size, "expected a whole number from %lu to %lu, got \"%.40s\"",
                     k->min, k->max, value);
            return;
        }
    }
    snprintf(out, out_size, "%s", reason);
}

static const char *skip_blank(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A quoted value: copy up to the closing quote; only a comment may follow it. */
static int parse_quoted(const char *p, char *value, size_t value_size, const char **reason)
{
    char quote = *p++;
    size_t n = 0;
    for (; *p != quote; p++) {
        if (*p == '\0' || *p == '\n' || *p == '\r') {
            *reason = "unterminated quoted value";
            return -EINVAL;
        }
        /* django-environ: in double quotes a backslash takes the next character literally
         * (\" \\ \$), but \n, \r and \t are kept as written, both characters. */
        size_t take = 1;
        if (quote == '"' && *p == '\\' && p[1] != '\0' && p[1] != '\r' && p[1] != '\n') {
            if (strchr("nrt", p[1]) != NULL)
                take = 2;
            else
                p++;
        }
        if (n + take >= value_size) {
            *reason = "value too long";
            return -EINVAL;
        }
        memcpy(value + n, p, take);
        n += take;
        p += take - 1;
    }
    value[n] = '\0';
    p = skip_blank(p + 1);
    if (*p != '\0' && *p != '#' && *p != '\r' && *p != '\n') {
        *reason = "unexpected text after the closing quote";
        return -EINVAL;
    }
    return 0;
}

int cfg_parse_line(const char *line, char *key, size_t key_size, char *value, size_t value_size,
                   const char **reason)
{
    key[0] = '\0';
    value[0] = '\0';
    const char *p = skip_blank(line);
    if (*p == '\0' || *p == '#' || *p == '\r' || *p == '\n')
        return 0;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
        p = skip_blank(p + 6);
    size_t n = 0;
    if (!(isalpha((unsigned char)*p) || *p == '_')) {
        *reason = "expected KEY=VALUE";
        return -EINVAL;
    }
    while (isalnum((unsigned char)p[n]) || p[n] == '_')
        n++;
    if (n + 1 > key_size) {
        *reason = "key too long";
        return -EINVAL;
    }
    memcpy(key, p, n);
    key[n] = '\0';
    p = skip_blank(p + n);
    if (*p != '=') {
        key[0] = '\0';
        *reason = "expected KEY=VALUE";
        return -EINVAL;
    }
    p = skip_blank(p + 1);
    if (*p == '"' || *p == '\'')
        return parse_quoted(p, value, value_size, reason);
    /* Unquoted: up to the line end or a " #" comment, trailing blanks dropped. */
    n = 0;
    int is_cut = 0;
    for (; p[n] != '\0' && p[n] != '\r' && p[n] != '\n'; n++) {
        if (p[n] == '#' && n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            is_cut = 1;
            break;
        }
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n + 1 > value_size) {
        *reason = "value too long";
        return -EINVAL;
    }
    memcpy(value, p, n);
    value[n] = '\0';
    return is_cut;
}

void cfg_state_path(const struct cfg *c, const char *set, const char *suffix, char *out,
                    size_t out_size)
{
    if (set[0] != '\0')
        snprintf(out, out_size, "%s", set);
    else if (c->users_file[0] != '\0')
        snprintf(out, out_size, "%s.%s", c->users_file, suffix);
    else if (out_size > 0)
        out[0] = '\0';
}

int cfg_has_main_camera(const struct cfg *c)
{
    return c->cam_url[0] != '\0' || c->node_token[0] != '\0' || c->node_token_file[0] != '\0' ||
           c->has_node_token;
}

int cfg_load_node_token(struct cfg *c, const char **reason)
{
    int rc = bearer_load(c->node_token, c->node_token_file, c->node_token_digest, reason);
    explicit_bzero(c->node_token, sizeof(c->node_token));
    if (rc < 0)
        return rc;
    c->has_node_token = rc == 1 || c->has_node_token;
    return 0;
}
