#pragma once
/*
 * cfg: the relay's configuration, from a .env file, the process environment and flags.
 *
 * The original project's keys keep working unchanged: HTTP_AUTH_USERNAME, HTTP_AUTH_PASSWORD,
 * CAM_URL, SERVO_URL. Precedence, lowest first: built-in defaults, the .env file, the process
 * environment (as the original's python-dotenv did), command-line flags. docs/CONFIG.md lists
 * every key. The struct is a plain value type the caller owns (public layout on purpose).
 */
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct cfg {
    char username[128];
    char password[256]; /* plaintext as configured; cleared as soon as it is no longer needed */
    char password_hash[256]; /* crypt(3) string, instead of password */
    char users_file[1024];
    char trusted_proxies[256]; /* comma-separated addresses whose X-Forwarded-For is believed */
    char cam_url[1024];
    char servo_url[1024];
    char listen_host[128];
    uint16_t listen_port;
    unsigned max_viewers;
    unsigned max_viewers_per_address;
    unsigned upstream_idle_timeout_ms; /* 0: stay connected with nobody watching */
    unsigned offline_frame_interval_ms;
    unsigned viewer_stall_timeout_ms;
    unsigned upstream_stall_timeout_ms;
    unsigned ptz_step_deg;   /* the legacy /turn* routes' step */
    unsigned camera_fov_deg; /* horizontal field of view, for click-to-aim on the page */
    char presets_file[1024];
    size_t max_frame_bytes;
    enum log_level log_level;
    unsigned session_idle_ms;
    unsigned session_max_age_ms;
    char tls_cert[1024]; /* PEM chain; with tls_key, the relay speaks HTTPS */
    char tls_key[1024];
    char redirect_listen_host[128]; /* plain-HTTP listener that redirects to HTTPS */
    uint16_t redirect_listen_port;
    int has_redirect_listen;
    unsigned hsts_max_age_s; /* 0: no Strict-Transport-Security header */
    unsigned max_header_bytes;
    unsigned max_headers;
    unsigned max_uri_bytes;
    unsigned max_body_bytes;
    unsigned max_connections;
    unsigned max_connections_per_address;
    unsigned request_timeout_ms;
    /* Telling (relay/notify/, docs/INTEGRATIONS.md) */
    char public_url[512];    /* https://camera.example.com: links in alerts; "" = paths only */
    char mqtt_url[512];      /* mqtt://host[:port] or mqtts://; "" = no MQTT */
    char mqtt_ca_file[1024]; /* mqtts: trust these CAs instead of the system's */
    char mqtt_user[128];
    char mqtt_password[256];
    char mqtt_password_file[1024];
    char mqtt_topic_prefix[128];
    char mqtt_discovery_prefix[128];
    int mqtt_can_steer;                /* MQTT buttons and presets may move the camera */
    unsigned mqtt_snapshot_interval_s; /* a snapshot on the camera topic this often; 0 = never */
    char webhook_url[1024];
    char webhook_format[16]; /* json, ntfy or gotify */
    char webhook_ca_file[1024];
    unsigned webhook_timeout_ms;
    unsigned webhook_retries;
    unsigned webhook_backoff_ms;
    char on_event_start[1024]; /* program run at an event's start (no shell) */
    char on_event_end[1024];
    unsigned hook_timeout_ms;
    char alert_schedule[512]; /* when alerts are armed; "" = always */
};

/* Fill *c with the defaults (port 5000, 0.0.0.0, limits). */
void cfg_defaults(struct cfg *c);

/*
 * Parse one .env line. Blank lines and "# comments" yield *key == '\0'. Accepts an optional
 * "export " prefix, spaces around '=', single- or double-quoted values (double quotes take \",
 * \\ and \n escapes), and " # comment" after an unquoted value, as python-dotenv does.
 * Writes NUL-terminated key and value. Returns 0, or -EINVAL with *reason set (static string).
 */
int cfg_parse_line(const char *line, char *key, size_t key_size, char *value, size_t value_size,
                   const char **reason);

/*
 * Set one key. Returns 0; -ENOENT for a key Lookout does not know; -EINVAL with *reason set
 * (static string) for a bad value.
 */
int cfg_set(struct cfg *c, const char *key, const char *value, const char **reason);

/*
 * The message for a value cfg_set refused: for numeric keys "expected a whole number from MIN to
 * MAX, got \"VALUE\"" (never a secret), otherwise `reason` as is. Writes it NUL-terminated.
 */
void cfg_explain(const char *key, const char *value, const char *reason, char *out,
                 size_t out_size);

/*
 * Read a .env file. A missing file is an error only if must_exist. Unknown keys are warned
 * about by name and skipped. Returns 0, or a negative errno with err holding
 * "FILE:LINE: KEY: reason" (or "FILE: reason").
 */
int cfg_load_file(struct cfg *c, const char *path, int must_exist, char *err, size_t err_size);

/* Apply every known key present in the process environment. Same errors, "environment: KEY:". */
int cfg_load_environment(struct cfg *c, char *err, size_t err_size);

/* Check the result is usable (credentials and CAM_URL set). Returns 0 or -EINVAL with err. */
int cfg_validate(const struct cfg *c, char *err, size_t err_size);

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" into the listen fields. Returns 0 or -EINVAL. */
int cfg_set_listen(struct cfg *c, const char *text);
