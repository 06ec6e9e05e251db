#include "session_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "session.h"
#define LOG_TAG "sessions"
#include "log.h"

struct session_file {
    char path[1024];
    struct sessions *sessions;
    struct event *timer;
    int64_t saved_us; /* when it was last written */
    int is_failing;
};

static int64_t now_real_s(void)
{
    return (int64_t)time(NULL);
}

static void save(struct session_file *f)
{
    int64_t now = clock_now_us();
    int rc = sessions_save(f->sessions, f->path, now, now_real_s());
    if (rc < 0 && !f->is_failing)
        LOG_ERROR("cannot write SESSIONS_FILE %s: %s (sessions will not survive a restart)",
                  f->path, strerror(-rc));
    f->is_failing = rc < 0;
    f->saved_us = now;
}

void session_file_flush(struct session_file *f)
{
    if (f != NULL && f->path[0] != '\0' && sessions_is_dirty(f->sessions))
        save(f);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct session_file *f = arg;
    int64_t age_s = (clock_now_us() - f->saved_us) / 1000000;
    if (sessions_is_dirty(f->sessions) || age_s >= SESSION_FILE_REFRESH_S)
        save(f);
}

struct session_file *session_file_new(struct event_base *base, struct sessions *s, const char *path)
{
    struct session_file *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->sessions = s;
    f->saved_us = clock_now_us();
    if (path[0] == '\0')
        return f;
    unsigned bad = 0;
    int n = sessions_load(s, path, f->saved_us, now_real_s(), &bad);
    if (n < 0) {
        LOG_ERROR("SESSIONS_FILE %s: %s", path, strerror(-n));
        free(f);
        return NULL;
    }
    if (bad > 0)
        LOG_WARN("SESSIONS_FILE %s: %u unreadable line(s) skipped", path, bad);
    LOG_INFO("%d session(s) restored from %s", n, path);
    f->timer = event_new(base, -1, EV_PERSIST, on_tick, f);
    struct timeval second = {.tv_sec = 1};
    if (f->timer == NULL || event_add(f->timer, &second) < 0) {
        session_file_free(f);
        return NULL;
    }
    return f;
}

void session_file_free(struct session_file *f)
{
    if (f == NULL)
        return;
    if (f->timer != NULL)
        event_free(f->timer);
    if (f->path[0] != '\0')
        save(f);
    free(f);
}
