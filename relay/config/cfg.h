#pragma once
/*
 * cfg: the relay's configuration, from a .env file, the process environment and flags.
 *
 * The original project's keys keep working unchanged: HTTP_AUTH_USERNAME, HTTP_AUTH_PASSWORD,
 * CAM_URL, SERVO_URL. Precedence, lowest first: built-in defaults, the .env file, the process
 * environment (the original's django-environ read_env never overwrites a variable that is
 * already set), command-line flags. docs/CONFIG.md lists every key. The struct is a plain value
 * type the caller owns (public layout on purpose).
 *
 * Every problem is reported through a cfg_report_cb as (where, key, reason), where `where` is
 * "FILE:LINE", "FILE", "environment" or a flag, so a check can list them all at once and a
 * start can stop at the first.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* Room for every key of cfg.c's table (a static assertion there keeps it true). */
#define CFG_KEYS_MAX 96
/* key_line values for settings that did not come from the .env file. */
#define CFG_FROM_ENVIRONMENT UINT_MAX
#define CFG_FROM_FLAG (UINT_MAX - 1)

struct cfg {
    char username[128];
    char password[256]; /* plaintext as configured; cleared as soon as it is no longer needed */
    char password_hash[256]; /* crypt(3) string, instead of password */
    char users_file[1024];
    char trusted_proxies[256]; /* comma-separated addresses whose X-Forwarded-For is believed */
    char cam_url[1024];
    char cam_ca_file[1024];     /* PEM CAs for https:// CAM_URL / SERVO_URL; "": the system's */
    char node_token[600];       /* the node's link secret (camfile.h keeps only its digest) */
    char node_token_file[1024]; /* or a file holding it */
    unsigned char node_token_digest[32]; /* SHA-256 of the token (bearer.h), once loaded */
    int has_node_token;                  /* node_token_digest is set: the node dials in */
    char servo_url[1024];
    char camera_name[33];   /* the main .env's camera in /c/NAME/ URLs (camfile.h) */
    char camera_title[65];  /* its title on the page; "": the name */
    char cameras_dir[1024]; /* a folder of NAME.env camera files (camfile.h), or "" */
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
    char sessions_file[1024]; /* sessions kept across restarts ("": USERS_FILE.sessions, or none) */
    char shares_file[1024]; /* guest links kept across restarts ("": USERS_FILE.shares, or none) */
    char alerts_file[1024]; /* the alert snooze kept across restarts ("": USERS_FILE.alerts) */
    char audit_log[1024];   /* one JSON line per action ("": no audit) */
    size_t audit_log_max_bytes; /* rotated to AUDIT_LOG.1 past this */
    char tls_cert[1024];        /* PEM chain; with tls_key, the relay speaks HTTPS */
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
    /* Guarding: motion detection and recording, on when record_dir is set. */
    char record_dir[1024];
    unsigned record_preroll_ms;
    unsigned record_quiet_ms;
    unsigned record_max_event_ms;
    unsigned record_max_age_s; /* 0: keep forever */
    size_t record_max_bytes;   /* 0: no limit */
    size_t record_min_free_bytes;
    unsigned record_check_interval_ms;
    unsigned record_queue_frames;
    int record;                  /* RECORD: the main camera (and every camera's default) guarded */
    unsigned record_segment_s;   /* continuous segments of this length; 0: off */
    unsigned record_timelapse_s; /* a timelapse frame this often; 0: off */
    unsigned motion_settle_ms;
    unsigned motion_max_fps; /* frames judged per second at most */
    /* Telling (relay/notify/, docs/INTEGRATIONS.md) */
    char public_url[512];    /* https://camera.example.com: links in alerts; "" = paths only */
    char mqtt_url[512];      /* mqtt://host[:port] or mqtts://; "" = no MQTT */
    char mqtt_ca_file[1024]; /* mqtts: trust these CAs instead of the system's */
    char mqtt_user[128];
    char mqtt_password[256];
    char mqtt_password_file[1024];
    char mqtt_topic_prefix[128];
    char mqtt_discovery_prefix[128];
    int healthz_camera_names;          /* /healthz names each camera (no login needed there) */
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

    /* Where each setting came from, for messages (cfg_where). */
    char env_path[1024];             /* the .env file that was read, "" if none */
    unsigned key_line[CFG_KEYS_MAX]; /* by key: 0 default, a line of env_path, CFG_FROM_* */
};

enum cfg_severity { CFG_WARNING, CFG_ERROR };

/*
 * Receives one problem: `where` is "FILE:LINE", "FILE", "environment" or "--flag"; `key` the
 * setting concerned ("" for a line that has none); `reason` one line, never a secret value.
 * All strings are borrowed for the call only.
 */
typedef void (*cfg_report_cb)(enum cfg_severity severity, const char *where, const char *key,
                              const char *reason, void *arg);

/* Fill *c with the defaults (port 5000, 0.0.0.0, limits). */
void cfg_defaults(struct cfg *c);

/*
 * Parse one .env line. Blank lines and "# comments" yield *key == '\0'. Accepts what the
 * original's django-environ read: KEY=VALUE, an optional "export " prefix, a value in single
 * quotes (literal) or double quotes (a backslash takes the next character literally, except
 * that \n, \r and \t stay as written, as django-environ keeps them); and, more leniently, blanks
 * around '=' and a " # comment" after a value (django-environ 0.11 cuts at '#' too).
 * Writes NUL-terminated key and value. Returns 0; 1 if an unquoted value was cut at a
 * " # comment" (django-environ before 0.11 kept that text: callers warn for secrets); or
 * -EINVAL with *reason set (static string).
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
 * Read a .env file into *c, reporting every problem and carrying on past it: a bad line is
 * skipped, an unknown key is a warning (with the nearest known key as a suggestion), a value cut
 * at " #" on a secret's line is a warning. A UTF-8 byte-order mark is skipped; a UTF-16 file is
 * refused as a whole with how to fix it. A missing file is an error only if must_exist. Records
 * path and each key's line for cfg_where. Returns the number of errors reported.
 */
int cfg_read_file(struct cfg *c, const char *path, int must_exist, cfg_report_cb report, void *arg);

/*
 * Applies one KEY=VALUE line of a settings file read by cfg_read_env. Returns 0 when applied;
 * -ENOENT for a key it does not take (reported as a warning) or another negative errno (an
 * error), with the one-line reason written to why (never a secret value).
 */
typedef int (*cfg_apply_cb)(const char *key, const char *value, unsigned line, char *why,
                            size_t why_size, void *arg);

/*
 * Read a file in the .env syntax line by line (the encoding checks and bounds of cfg_read_file),
 * handing each setting to apply (apply_arg) and every problem to report (arg). Returns the
 * number of errors reported. cfg_read_file is this with the main settings' keys.
 */
int cfg_read_env(const char *path, int must_exist, cfg_apply_cb apply, void *apply_arg,
                 cfg_report_cb report, void *arg);

/* Apply every known key present in the process environment; "environment" errors. Returns the
 * number of errors reported. */
int cfg_read_environment(struct cfg *c, cfg_report_cb report, void *arg);

/*
 * Check the result is usable: a login, CAM_URL (or CAMERAS_DIR), CAMERA_NAME a camera name,
 * TLS_CERT with TLS_KEY. Reports every problem,
 * each where the setting was made (or the .env file for one that is missing). Returns the number
 * of errors.
 */
int cfg_check_settings(const struct cfg *c, cfg_report_cb report, void *arg);

/*
 * The start-up forms of the three above: stop at the first error, written to err as
 * "WHERE: KEY: reason"; warnings go to the log. Return 0 or a negative errno (-EINVAL, or the
 * open error of a .env that must exist).
 */
int cfg_load_file(struct cfg *c, const char *path, int must_exist, char *err, size_t err_size);
int cfg_load_environment(struct cfg *c, char *err, size_t err_size);
int cfg_validate(const struct cfg *c, char *err, size_t err_size);

/*
 * Where `key` was set, for a message: "FILE:LINE", "environment", "--flag" (the flag named by
 * cfg_mark), or the .env path (or "settings") for a key left at its default. Writes to out.
 */
void cfg_where(const struct cfg *c, const char *key, char *out, size_t out_size);

/* Record that `key` was set from `line` (a .env line, CFG_FROM_ENVIRONMENT or CFG_FROM_FLAG). */
void cfg_mark(struct cfg *c, const char *key, unsigned line);

/* The index of a known key in cfg.c's table (0..CFG_KEYS_MAX-1), or -1. */
int cfg_key_index(const char *key);

/* The name of the key at index i of the table, or NULL past its end. */
const char *cfg_key_name(int i);

/*
 * The known key closest to `key` (case-insensitive, edit distance counting a swap of two
 * neighbours as one), or NULL if none is close enough to be a likely misspelling.
 */
const char *cfg_nearest_key(const char *key);

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" into the listen fields. Returns 0 or -EINVAL. */
int cfg_set_listen(struct cfg *c, const char *text);

/*
 * Where a state file goes: `set` (SESSIONS_FILE, SHARES_FILE, ALERTS_FILE) if not empty, else
 * beside USERS_FILE as USERS_FILE.suffix, else nowhere ("": the state lives in memory only).
 * Writes out[0..out_size).
 */
void cfg_state_path(const struct cfg *c, const char *set, const char *suffix, char *out,
                    size_t out_size);

/*
 * 1 if the main .env defines a camera: CAM_URL (pulled) or NODE_TOKEN / NODE_TOKEN_FILE (its node
 * dials in).
 */
int cfg_has_main_camera(const struct cfg *c);

/*
 * Take the digest of NODE_TOKEN / NODE_TOKEN_FILE into node_token_digest (has_node_token) and
 * wipe the plaintext. Returns 0, or a negative errno with *reason (static; never the token).
 */
int cfg_load_node_token(struct cfg *c, const char **reason);
