#pragma once
/*
 * camfile: the settings of one camera, from a camera file. CAMERAS_DIR (cfg.h) names a folder of
 * NAME.env files, one per camera, in the main .env's syntax (cfg_parse_line); NAME, the file's
 * name without ".env", is the camera's name in /c/NAME/ URLs: 1-32 of a-z, 0-9, '_', '-'.
 * A camera file holds only per-camera keys (CAMFILE_KEYS below; docs/CONFIG.md); relay-wide keys
 * stay in the main file. The main .env's own CAM_URL/SERVO_URL define one more camera, named
 * CAMERA_NAME, exactly as before.
 *
 * struct camfile is a plain value type the caller owns (public layout on purpose).
 */
#include <stddef.h>

#include "cfg.h"

#define CAMFILE_NAME_MAX 32  /* characters of a camera name */
#define CAMFILE_TITLE_MAX 64 /* bytes of a title */
#define CAMFILE_MAX 64       /* camera files in CAMERAS_DIR */

struct camfile {
    char name[CAMFILE_NAME_MAX + 1];
    char path[1024]; /* the file it came from; "" for the main .env's camera */
    char title[CAMFILE_TITLE_MAX + 1];
    char cam_url[1024];
    char servo_url[1024];
    char presets_file[1024];
    unsigned fov_deg;
    unsigned ptz_step_deg;
    /* Guarding (with RECORD_DIR): the main file's values unless the camera file sets them. */
    int record;                          /* RECORD: 0 = not guarded (no detection, no recording) */
    unsigned record_preroll_ms;          /* RECORD_PREROLL_MS */
    unsigned record_quiet_ms;            /* RECORD_QUIET_MS */
    unsigned record_max_event_ms;        /* RECORD_MAX_EVENT_MS */
    unsigned record_segment_s;           /* RECORD_SEGMENT_S */
    unsigned record_timelapse_s;         /* RECORD_TIMELAPSE_S */
    int has_node_token;                  /* NODE_TOKEN(_FILE): the node dials in, no CAM_URL */
    unsigned char node_token_digest[32]; /* SHA-256 of the token (bearer.h); never the token */
    char node_token_file[1024];          /* NODE_TOKEN_FILE, re-read while running; "" for none */
    /* The line each key was set on (0: not in the file), for messages; not a setting. */
    unsigned cam_url_line;
    unsigned servo_url_line;
    unsigned presets_file_line;
};

/*
 * 1 if a and b hold the same settings (the lines they came from aside). Two cameras whose token
 * comes from the same NODE_TOKEN_FILE are the same whatever the file now holds: a rotated token
 * is taken in place (camera_recheck_token), without restarting the camera.
 */
int camfile_same(const struct camfile *a, const struct camfile *b);

/* 1 if name is a usable camera name: 1-32 of a-z, 0-9, '_', '-'. */
int camfile_name_ok(const char *name);

/*
 * The main .env's camera: name CAMERA_NAME, title CAMERA_TITLE, and its CAM_URL, SERVO_URL,
 * PRESETS_FILE, CAMERA_FOV_DEG, PTZ_STEP_DEG, and the digest of its node token
 * (cfg_load_node_token must have run).
 */
void camfile_from_main(struct camfile *cf, const struct cfg *main);

/*
 * Defaults for camera `name` from the main settings: the main file's CAMERA_FOV_DEG,
 * PTZ_STEP_DEG and per-camera RECORD* keys, presets in "lookout-presets-NAME.txt", no URLs, the
 * name as title.
 */
void camfile_defaults(struct camfile *cf, const struct cfg *main, const char *name);

/*
 * Set one key of a camera file. Returns 0; -ENOENT for a key that is not a camera key (with
 * *reason saying whether it is a relay-wide key that belongs in the main file); -EINVAL with
 * *reason (static) for a bad value.
 */
int camfile_set(struct camfile *cf, const char *key, const char *value, const char **reason);

/*
 * Read the camera file at path into *cf (camfile_defaults first, named after the file), then
 * check it (CAM_URL set). Every problem goes to report (cfg.h: "FILE:LINE", KEY, reason), all of
 * them, not only the first; unknown keys are warnings, relay-wide keys errors. Returns the
 * number of errors (0: *cf is usable).
 */
int camfile_load(struct camfile *cf, const struct cfg *main, const char *path, cfg_report_cb report,
                 void *arg);

/*
 * Read every NAME.env in dir (other names and dotfiles are skipped), sorted by name, into out
 * (room for max, at most CAMFILE_MAX). Reports every problem of every file: bad names, a name
 * taken by `taken` (the main .env's camera, or NULL), more than max files, and each file's own.
 * Returns the number of errors: 0, and out[0..*count) is the new set; otherwise the set must
 * not be used (out holds the files that could be read, for further checks).
 */
int camfile_load_dir(const char *dir, const struct cfg *main, const char *taken,
                     struct camfile *out, size_t max, size_t *count, cfg_report_cb report,
                     void *arg);
