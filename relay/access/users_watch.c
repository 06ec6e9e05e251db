#include "users_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "audit.h"
#include "file_sig.h"
#include "users.h"
#define LOG_TAG "users"
#include "log.h"

struct users_watch {
    char path[1024];
    char env_name[128];
    char env_hash[256];
    struct auth *auth;
    struct audit *audit;
    users_watch_changed_cb on_changed;
    void *arg;
    struct event *timer;
    struct file_sig seen; /* the file as it was at the last read, good or bad */
    char error[USERS_WATCH_ERROR_MAX];
};

struct users *users_watch_build(const struct users_watch_config *cfg, char *err, size_t err_size)
{
    struct users *u = users_new();
    if (u == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    const char *reason = NULL;
    if (cfg->env_name[0] != '\0' &&
        (users_add(u, cfg->env_name, cfg->env_hash, ROLE_ADMIN, &reason) < 0 ||
         users_set_fixed(u, cfg->env_name) < 0)) {
        snprintf(err, err_size, "HTTP_AUTH_USERNAME: %s", reason ? reason : "cannot add");
        users_free(u);
        return NULL;
    }
    if (cfg->path[0] != '\0' && users_load_file(u, cfg->path, err, err_size) < 0) {
        users_free(u);
        return NULL;
    }
    return u;
}

static void on_removed(const char *name, void *arg)
{
    struct users_watch *w = arg;
    audit_record(
        w->audit, "account_removed", "", "",
        (struct audit_field[]){AUDIT_TEXT("account", name), AUDIT_TEXT("by", "USERS_FILE")}, 2);
}

int users_watch_reload(struct users_watch *w, const char *why)
{
    if (w->path[0] == '\0')
        return -ENOENT;
    w->seen = file_sig_of(w->path);
    struct users_watch_config cfg = {
        .path = w->path, .env_name = w->env_name, .env_hash = w->env_hash};
    char err[USERS_WATCH_ERROR_MAX];
    struct users *fresh = users_watch_build(&cfg, err, sizeof(err));
    if (fresh == NULL) {
        if (strcmp(err, w->error) != 0)
            LOG_ERROR("USERS_FILE (%s): keeping the last good accounts: %s", why, err);
        snprintf(w->error, sizeof(w->error), "%s", err);
        return -EINVAL;
    }
    w->error[0] = '\0';
    size_t count = users_count(fresh);
    unsigned removed = auth_replace_users(w->auth, fresh, on_removed, w);
    LOG_INFO("USERS_FILE re-read (%s): %zu account(s), %u removed", why, count, removed);
    if (w->on_changed != NULL)
        w->on_changed(w->arg);
    return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct users_watch *w = arg;
    struct file_sig now = file_sig_of(w->path);
    if (!file_sig_same(&now, &w->seen))
        users_watch_reload(w, "changed on disk");
}

struct users_watch *users_watch_new(struct event_base *base, const struct users_watch_config *cfg,
                                    struct auth *auth, struct audit *audit,
                                    users_watch_changed_cb on_changed, void *arg)
{
    struct users_watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    snprintf(w->path, sizeof(w->path), "%s", cfg->path);
    snprintf(w->env_name, sizeof(w->env_name), "%s", cfg->env_name);
    snprintf(w->env_hash, sizeof(w->env_hash), "%s", cfg->env_hash);
    w->auth = auth;
    w->audit = audit;
    w->on_changed = on_changed;
    w->arg = arg;
    w->seen = file_sig_of(w->path);
    if (w->path[0] == '\0' || cfg->poll_ms == 0)
        return w;
    w->timer = event_new(base, -1, EV_PERSIST, on_tick, w);
    struct timeval tv = {.tv_sec = cfg->poll_ms / 1000, .tv_usec = (cfg->poll_ms % 1000) * 1000};
    if (w->timer == NULL || event_add(w->timer, &tv) < 0) {
        users_watch_free(w);
        return NULL;
    }
    return w;
}

void users_watch_free(struct users_watch *w)
{
    if (w == NULL)
        return;
    if (w->timer != NULL)
        event_free(w->timer);
    explicit_bzero(w->env_hash, sizeof(w->env_hash));
    free(w);
}

const char *users_watch_error(const struct users_watch *w)
{
    return w->error;
}

const char *users_watch_path(const struct users_watch *w)
{
    return w->path;
}
