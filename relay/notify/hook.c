#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#define LOG_TAG "hook"
#include "log.h"

#define LINE_MAX_BYTES 1024
#define KILL_GRACE_MS 1000
#define ENV_MAX 20

struct run {
    struct hook *h;
    int is_active;
    pid_t pid;
    const char *name; /* "ON_EVENT_START" or "ON_EVENT_END" */
    int out_fd;       /* the read end of its stdout+stderr pipe, -1 once closed */
    struct event *ev_out;
    int pid_fd; /* readable when it exits (pidfd_open) */
    struct event *ev_exit;
    struct event *timer; /* the time limit, then the SIGKILL grace */
    int is_terminated;   /* SIGTERM sent */
    int64_t started_us;
    char line[LINE_MAX_BYTES + 1];
    size_t line_len;
    unsigned lines_logged;
};

struct hook {
    struct event_base *base;
    char on_start[1024];
    char on_end[1024];
    char public_url[512];
    unsigned timeout_ms;
    struct run runs[HOOK_MAX_RUNNING];
    struct hook_stats stats;
};

static void log_line(struct run *r)
{
    r->line[r->line_len] = '\0';
    if (r->lines_logged < HOOK_MAX_LOG_LINES)
        LOG_INFO("%s [%d]: %s", r->name, (int)r->pid, r->line);
    else if (r->lines_logged == HOOK_MAX_LOG_LINES)
        LOG_INFO("%s [%d]: (more output not logged)", r->name, (int)r->pid);
    r->lines_logged++;
    r->line_len = 0;
}

/* Read what the program wrote; whole lines go to the log. Returns 0 at end of file. */
static int drain(struct run *r)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(r->out_fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || r->line_len == LINE_MAX_BYTES)
                log_line(r);
            if (buf[i] != '\n')
                r->line[r->line_len++] =
                    (unsigned char)buf[i] < 0x20 && buf[i] != '\t' ? '?' : buf[i];
        }
    }
    return n == 0 ? 0 : -1;
}

static void close_output(struct run *r)
{
    if (r->out_fd < 0)
        return;
    drain(r);
    if (r->line_len > 0)
        log_line(r);
    event_free(r->ev_out);
    r->ev_out = NULL;
    close(r->out_fd);
    r->out_fd = -1;
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct run *r = arg;
    if (drain(r) == 0)
        close_output(r);
}

static void finish(struct run *r)
{
    close_output(r);
    if (r->ev_exit != NULL)
        event_free(r->ev_exit);
    if (r->pid_fd >= 0)
        close(r->pid_fd);
    if (r->timer != NULL)
        event_free(r->timer);
    memset(r, 0, sizeof(*r));
    r->out_fd = r->pid_fd = -1;
}

static void on_exit_ready(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct run *r = arg;
    int status = 0;
    if (waitpid(r->pid, &status, WNOHANG) != r->pid)
        return;
    if (r->is_terminated)
        kill(-r->pid, SIGKILL); /* what it left behind in its group, if anything ignored TERM */
    long long ms = (long long)((clock_now_us() - r->started_us) / 1000);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        LOG_INFO("%s [%d]: exited 0 after %lld ms", r->name, (int)r->pid, ms);
    } else {
        r->h->stats.failed++;
        if (WIFEXITED(status))
            LOG_WARN("%s [%d]: exited %d after %lld ms", r->name, (int)r->pid, WEXITSTATUS(status),
                     ms);
        else
            LOG_WARN("%s [%d]: killed by signal %d after %lld ms", r->name, (int)r->pid,
                     WTERMSIG(status), ms);
    }
    finish(r);
}

/* The time limit: SIGTERM to its process group, then SIGKILL after the grace. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct run *r = arg;
    if (!r->is_terminated) {
        r->is_terminated = 1;
        r->h->stats.killed++;
        LOG_WARN("%s [%d]: still running after %u ms (HOOK_TIMEOUT_MS): stopping it", r->name,
                 (int)r->pid, r->h->timeout_ms);
        kill(-r->pid, SIGTERM);
        struct timeval tv = {.tv_sec = KILL_GRACE_MS / 1000, .tv_usec = 0};
        evtimer_add(r->timer, &tv);
        return;
    }
    kill(-r->pid, SIGKILL);
}

static void format_time(int64_t unix_ms, char *out, size_t out_size)
{
    out[0] = '\0';
    if (unix_ms <= 0)
        return;
    time_t s = (time_t)(unix_ms / 1000);
    struct tm tm;
    char text[32];
    if (gmtime_r(&s, &tm) != NULL && strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm) > 0)
        snprintf(out, out_size, "%s.%03dZ", text, (int)(unix_ms % 1000));
}

/* The environment: the event's facts, plus a few of the relay's own that programs expect. */
static void build_env(const struct hook *h, const struct event_info *ev, char store[][1200],
                      char *envp[])
{
    size_t n = 0;
    char t[64];
    const char *base = h->public_url;
    size_t base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
#define PUT(...) snprintf(store[n], sizeof(store[0]), __VA_ARGS__), envp[n] = store[n], n++
    PUT("LOOKOUT_EVENT=%s", ev->phase == EVENT_START ? "start" : "end");
    PUT("LOOKOUT_CAMERA=%s", ev->camera);
    PUT("LOOKOUT_CAMERA_TITLE=%s", ev->camera_title != NULL ? ev->camera_title : ev->camera);
    PUT("LOOKOUT_EVENT_ID=%lld", (long long)ev->id);
    format_time(ev->start_unix_ms, t, sizeof(t));
    PUT("LOOKOUT_START=%s", t);
    PUT("LOOKOUT_START_UNIX_MS=%lld", (long long)ev->start_unix_ms);
    format_time(ev->end_unix_ms, t, sizeof(t));
    PUT("LOOKOUT_END=%s", t);
    if (ev->end_unix_ms > 0)
        PUT("LOOKOUT_END_UNIX_MS=%lld", (long long)ev->end_unix_ms);
    else
        PUT("LOOKOUT_END_UNIX_MS=");
    PUT("LOOKOUT_PEAK_MOTION_PCT=%.1f", ev->peak_motion_pct);
    const char *thumb = ev->thumbnail_path, *rec = ev->recording_path;
    PUT("LOOKOUT_THUMBNAIL_URL=%.*s%s", thumb ? (int)base_len : 0, base, thumb ? thumb : "");
    PUT("LOOKOUT_RECORDING_URL=%.*s%s", rec ? (int)base_len : 0, base, rec ? rec : "");
    static const char *const keep[] = {"PATH", "HOME", "LANG", "TZ"};
    for (size_t i = 0; i < 4; i++) {
        const char *v = getenv(keep[i]);
        if (v != NULL)
            PUT("%s=%s", keep[i], v);
        else if (i == 0)
            PUT("PATH=/usr/local/bin:/usr/bin:/bin");
    }
#undef PUT
    envp[n] = NULL;
}

static int spawn(struct run *r, const char *program, char *envp[], int out_w)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, out_w, 2);
    /* Its own process group (so the time limit reaches its children too), no blocked signals,
     * and default dispositions: the relay ignores SIGPIPE, a program must not inherit that. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    char *argv[] = {(char *)program, NULL};
    int rc = posix_spawn(&r->pid, program, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return -rc;
}

static int start(struct hook *h, struct run *r, const char *program, const struct event_info *ev)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    char store[ENV_MAX][1200];
    char *envp[ENV_MAX + 1];
    build_env(h, ev, store, envp);
    int rc = spawn(r, program, envp, fds[1]);
    close(fds[1]);
    if (rc < 0) {
        close(fds[0]);
        return rc;
    }
    r->out_fd = fds[0];
    r->pid_fd = pidfd_open(r->pid, 0);
    r->ev_out = event_new(h->base, r->out_fd, EV_READ | EV_PERSIST, on_output, r);
    r->ev_exit = r->pid_fd >= 0 ? event_new(h->base, r->pid_fd, EV_READ, on_exit_ready, r) : NULL;
    r->timer = evtimer_new(h->base, on_timer, r);
    struct timeval tv = {.tv_sec = h->timeout_ms / 1000, .tv_usec = (h->timeout_ms % 1000) * 1000};
    if (r->ev_out == NULL || r->ev_exit == NULL || r->timer == NULL ||
        event_add(r->ev_out, NULL) < 0 || event_add(r->ev_exit, NULL) < 0 ||
        evtimer_add(r->timer, &tv) < 0) {
        kill(-r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0); /* at once: it was just killed */
        return -ENOMEM;
    }
    return 0;
}

int hook_run(struct hook *h, const struct event_info *ev)
{
    const char *program = ev->phase == EVENT_START ? h->on_start : h->on_end;
    const char *name = ev->phase == EVENT_START ? "ON_EVENT_START" : "ON_EVENT_END";
    if (program[0] == '\0')
        return 0;
    struct run *r = NULL;
    for (size_t i = 0; i < HOOK_MAX_RUNNING && r == NULL; i++) {
        if (!h->runs[i].is_active)
            r = &h->runs[i];
    }
    if (r == NULL) {
        h->stats.skipped++;
        LOG_WARN("%s: %d hooks still running; not run for event %lld", name, HOOK_MAX_RUNNING,
                 (long long)ev->id);
        return -EBUSY;
    }
    r->h = h;
    r->name = name;
    r->started_us = clock_now_us();
    int rc = start(h, r, program, ev);
    if (rc < 0) {
        h->stats.failed++;
        LOG_ERROR("%s: cannot run %s: %s", name, program, strerror(-rc));
        finish(r);
        return rc;
    }
    r->is_active = 1;
    h->stats.runs++;
    LOG_INFO("%s [%d]: %s started for camera %s event %lld", name, (int)r->pid, program, ev->camera,
             (long long)ev->id);
    return 0;
}

struct hook *hook_new(struct event_base *base, const struct hook_config *cfg)
{
    struct hook *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->base = base;
    snprintf(h->on_start, sizeof(h->on_start), "%s", cfg->on_start ? cfg->on_start : "");
    snprintf(h->on_end, sizeof(h->on_end), "%s", cfg->on_end ? cfg->on_end : "");
    snprintf(h->public_url, sizeof(h->public_url), "%s", cfg->public_url ? cfg->public_url : "");
    h->timeout_ms = cfg->timeout_ms;
    for (size_t i = 0; i < HOOK_MAX_RUNNING; i++)
        h->runs[i].out_fd = h->runs[i].pid_fd = -1;
    return h;
}

void hook_free(struct hook *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < HOOK_MAX_RUNNING; i++) {
        struct run *r = &h->runs[i];
        if (!r->is_active)
            continue;
        kill(-r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0); /* SIGKILL cannot be caught: this returns at once */
        LOG_WARN("%s [%d]: killed: the relay is stopping", r->name, (int)r->pid);
        finish(r);
    }
    free(h);
}

void hook_get_stats(const struct hook *h, struct hook_stats *out)
{
    *out = h->stats;
}

unsigned hook_running(const struct hook *h)
{
    unsigned n = 0;
    for (size_t i = 0; i < HOOK_MAX_RUNNING; i++)
        n += h->runs[i].is_active != 0;
    return n;
}
