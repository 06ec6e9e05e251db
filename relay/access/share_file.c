#include "share_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define LOG_TAG "share"
#include "log.h"

struct share_file {
    char path[1024];
    struct shares *shares;
    struct event *timer;
    shares_expired_cb on_expired;
    void *arg;
    int is_failing;
};

static void save_if_dirty(struct share_file *f)
{
    if (f->path[0] == '\0' || !shares_is_dirty(f->shares))
        return;
    int rc = shares_save(f->shares, f->path);
    if (rc < 0 && !f->is_failing)
        LOG_ERROR("cannot write SHARES_FILE %s: %s (guest links will not survive a restart)",
                  f->path, strerror(-rc));
    f->is_failing = rc < 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct share_file *f = arg;
    shares_expire(f->shares, (int64_t)time(NULL), f->on_expired, f->arg);
    save_if_dirty(f);
}

struct share_file *share_file_new(struct event_base *base, struct shares *s, const char *path,
                                  shares_expired_cb on_expired, void *arg)
{
    struct share_file *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->shares = s;
    f->on_expired = on_expired;
    f->arg = arg;
    if (path[0] != '\0') {
        unsigned bad = 0;
        int n = shares_load(s, path, &bad);
        if (n < 0) {
            LOG_ERROR("SHARES_FILE %s: %s", path, strerror(-n));
            free(f);
            return NULL;
        }
        if (bad > 0)
            LOG_WARN("SHARES_FILE %s: %u unreadable line(s) skipped", path, bad);
        LOG_INFO("%d guest link(s) restored from %s", n, path);
    }
    /* Links that ended while the relay was down are noted now, not reported as news. */
    shares_expire(s, (int64_t)time(NULL), NULL, NULL);
    f->timer = event_new(base, -1, EV_PERSIST, on_tick, f);
    struct timeval second = {.tv_sec = 1};
    if (f->timer == NULL || event_add(f->timer, &second) < 0) {
        share_file_free(f);
        return NULL;
    }
    return f;
}

void share_file_free(struct share_file *f)
{
    if (f == NULL)
        return;
    if (f->timer != NULL)
        event_free(f->timer);
    save_if_dirty(f);
    free(f);
}
