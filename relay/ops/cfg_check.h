#pragma once
/*
 * cfg_check: `lookout --check-config`, which reads the configuration as a start would and says
 * what is wrong with it, all at once, without starting anything.
 *
 * A start stops at the first bad line; a check reports every one, as "FILE:LINE: KEY: reason"
 * (the form of cfg_load_file's errors), so one run shows a user everything to fix. Then main
 * loads the configuration the normal way (environment, flags, cfg_validate) and finally
 * cfg_check_finish tests what only a start would otherwise find: the camera URLs and the files
 * the configuration names.
 */
#include <stdio.h>

struct cfg;

/*
 * Report every error in the .env file at path to `out`, one line each. A missing file is an
 * error only if must_exist (as for cfg_load_file). Unknown keys are not errors; the normal
 * load warns about them. Returns the number of errors (0: the file is fine).
 */
int cfg_check_file(const char *path, int must_exist, FILE *out);

/*
 * The last checks on a loaded, validated configuration: CAM_URL and SERVO_URL must parse as
 * the relay will use them, and USERS_FILE, TLS_CERT/TLS_KEY and PRESETS_FILE must load.
 * Prints each problem to err_out as "KEY: reason", or a one-line summary starting "config ok"
 * to ok_out. Returns the exit status: 0 if fine, 1 if not.
 */
int cfg_check_finish(const struct cfg *c, FILE *ok_out, FILE *err_out);
