#pragma once
/*
 * cfg_check: `lookout --check-config`, which reads the configuration as a start would and says
 * what is wrong with it, all at once, without starting anything.
 *
 * A start stops at the first error; a check reports every one, each as "WHERE: KEY: reason"
 * with WHERE the "FILE:LINE" that set the key (or the file, for a key that is missing, or
 * "environment", or the flag), so one run shows a user everything to fix. It goes on after
 * every error: a bad line is skipped and the rest still checked, a missing login does not hide a
 * bad URL. Warnings (unknown keys with the nearest known one, a password cut at " #", SERVO_URL
 * on the stream's port) are printed the same way but do not fail the check.
 */
#include <stddef.h>
#include <stdio.h>

#include "cfg.h"

/*
 * Run the whole check: the .env file at env_path (a missing one is an error only if must_exist),
 * the environment, the flags (listen, level: NULL when not given), the settings as a whole,
 * the camera URLs and the files the settings name. Problems go to err_out, one a line; if there
 * is no error, a one-line summary starting "config ok" goes to ok_out. Returns the exit status:
 * 0 if fine, 1 if not.
 */
int cfg_check_run(const char *env_path, int must_exist, const char *listen, const char *level,
                  FILE *ok_out, FILE *err_out);

/*
 * CAM_URL and SERVO_URL must parse as the relay will use them; SERVO_URL on CAM_URL's host and
 * port is a warning (the original firmware answers /control_servo on port 81 only). A start
 * calls this too, for the warning. Returns the number of errors reported.
 */
int cfg_check_urls(const struct cfg *c, cfg_report_cb report, void *arg);

/*
 * The files a start reads besides the .env: USERS_FILE, HTTP_AUTH_PASSWORD_HASH, TLS_CERT and
 * TLS_KEY, PRESETS_FILE, each loaded (and dropped) as a start would. Returns the errors reported.
 */
int cfg_check_files(const struct cfg *c, cfg_report_cb report, void *arg);

/*
 * The cameras: every camera file of CAMERAS_DIR (camfile.h: names, keys, values, each file's
 * CAM_URL, SERVO_URL and PRESETS_FILE as a start would use them) and the camera lists of
 * USERS_FILE (each name must be a camera). Sets *count to the cameras found (the main .env's
 * included). Returns the number of errors reported.
 */
int cfg_check_cameras(const struct cfg *c, size_t *count, cfg_report_cb report, void *arg);
