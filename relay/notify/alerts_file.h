#pragma once
/*
 * alerts_file: the alert snooze kept across restarts (ALERTS_FILE, default USERS_FILE.alerts).
 * One setting a line, '#' comments and blank lines ignored:
 *
 *   # lookout alert state: written by the relay
 *   snoozed_until=1797033600
 *
 * snoozed_until is the snooze's end in Unix seconds, 0 for none. The file is replaced
 * atomically (common/atomic_file: temporary file, fsync, rename), mode 0600, whenever the snooze
 * is set or ended, so a crash leaves the old state or the new one.
 */
#include <stddef.h>
#include <stdint.h>

/* Largest file read; a longer one is an error. */
#define ALERTS_FILE_MAX_BYTES 4096

/*
 * Parse the file's text (len bytes, need not be NUL-terminated) into *until_s. Returns 0, or
 * -EINVAL with *line (1-based) and *reason (static) saying what is wrong: an unknown key, a value
 * that is not decimal digits, a line without '='.
 */
int alerts_file_parse(const char *text, size_t len, int64_t *until_s, unsigned *line,
                      const char **reason);

/*
 * Read path into *until_s (0 when the file does not exist). Returns 0, or a negative errno with
 * err set ("PATH:LINE: reason", or "PATH: why" when it cannot be read).
 */
int alerts_file_read(const char *path, int64_t *until_s, char *err, size_t err_size);

/* Replace path with the state until_s (atomically). Returns 0 or a negative errno. */
int alerts_file_write(const char *path, int64_t until_s);
