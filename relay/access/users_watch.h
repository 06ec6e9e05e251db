#pragma once
/*
 * users_watch: the accounts, kept in step with USERS_FILE without a restart.
 *
 * The table is the .env user (HTTP_AUTH_USERNAME, fixed: never written to the file) plus every
 * line of USERS_FILE. The file is re-read on SIGHUP (users_watch_reload) and whenever it changes
 * on disk: a timer on the loop compares its device, inode, size and modification time every
 * poll_ms (a stat(2), nothing more; an editor's rename and an in-place write both show). A file
 * that reads well replaces the table at once (auth_replace_users): new users may log in, removed
 * users' sessions end, and on_changed closes every stream whose owner may no longer see its
 * camera (a removed user, a shrunk camera list); everyone else keeps theirs. A file
 * that does not read keeps the last good table; the reason ("FILE:LINE: reason") is logged once
 * per change and kept for the admins' page (users_watch_error).
 */
#include <stdint.h>

#include "auth.h"

struct audit;
struct event_base;
struct users;
struct users_watch;

struct users_watch_config {
    const char *path;     /* USERS_FILE; "" for none */
    const char *env_name; /* HTTP_AUTH_USERNAME; "" for none */
    const char *env_hash; /* its crypt(3) hash */
    unsigned poll_ms;     /* how often to look at the file; 0: only on SIGHUP */
};

/* Longest reason kept for users_watch_error. */
#define USERS_WATCH_ERROR_MAX 600

/*
 * Build the table: the .env user (admin, fixed) and the file's users. Returns a new table, or
 * NULL with err filled ("FILE:LINE: reason", or the .env user's problem).
 */
struct users *users_watch_build(const struct users_watch_config *cfg, char *err, size_t err_size);

/* Called on the loop after a reload replaced the table (whatever changed in it). */
typedef void (*users_watch_changed_cb)(void *arg);

/*
 * Watch cfg->path for auth (borrowed, as are audit, which may be NULL, and base). Strings of
 * cfg are copied. on_changed(arg) (may be NULL) is called after each reload that replaced the
 * table, once the removed users' sessions have ended. NULL on allocation failure.
 */
struct users_watch *users_watch_new(struct event_base *base, const struct users_watch_config *cfg,
                                    struct auth *auth, struct audit *audit,
                                    users_watch_changed_cb on_changed, void *arg);

/* Stop watching; users_watch_free(NULL) is a no-op. */
void users_watch_free(struct users_watch *w);

/*
 * Re-read the file now (why: "SIGHUP", "changed on disk", "edited on the page", for the log).
 * Returns 0 if the new table is in use, -ENOENT without a USERS_FILE, or a negative errno if the
 * file did not read (the last good table stays; users_watch_error says why).
 */
int users_watch_reload(struct users_watch *w, const char *why);

/* Why the last read of the file failed, or "" if it read well. Borrowed. */
const char *users_watch_error(const struct users_watch *w);

/* The USERS_FILE path ("" for none). Borrowed. */
const char *users_watch_path(const struct users_watch *w);
