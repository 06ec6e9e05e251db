#pragma once
/*
 * session_file: keeps the sessions in a file so a restart logs nobody out (SESSIONS_FILE).
 *
 * At start the file is read into the table (sessions_load: token hashes, never tokens). Then a
 * timer on the loop writes it again (sessions_save: atomic, mode 0600) within a second of any
 * login, logout or ended session, and every SESSION_FILE_REFRESH_S anyway so the last-use
 * times stay close; and once more when the relay stops. A write that fails is logged once and
 * retried at the next change.
 */
#include <stdint.h>

struct event_base;
struct session_file;
struct sessions;

#define SESSION_FILE_REFRESH_S 300

/*
 * Load path into s (both borrowed; s must outlive the keeper) and start keeping it. An empty
 * path keeps nothing (returns a keeper that does nothing). NULL on allocation failure or if the
 * file exists but cannot be read (logged).
 */
struct session_file *session_file_new(struct event_base *base, struct sessions *s,
                                      const char *path);

/* Write the table a last time and stop; session_file_free(NULL) is a no-op. */
void session_file_free(struct session_file *f);

/* Write now if anything changed (after "log out everywhere", a removed user). */
void session_file_flush(struct session_file *f);
