#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "frame.h"
#include "recorder_mux.h"

/* Room for open/close/file jobs beyond the frames. */
#define CONTROL_SLOTS 16

enum job_kind { JOB_OPEN, JOB_FRAME, JOB_CLOSE, JOB_FILE };

struct job {
    enum job_kind kind;
    unsigned slot;       /* OPEN, FRAME, CLOSE: which of the recorder's recordings */
    struct frame *frame; /* FRAME, FILE: a reference the loop drops when the job comes back */
    int64_t pts_ms;
    int64_t tag;
    char name[RECORDER_NAME_MAX];
    /* Filled by the writer thread. */
    int rc;
    int is_reported; /* the loop calls back with this job's result */
    enum recorder_result_kind result;
    uint64_t bytes;
    uint32_t frames;
};

/* A ring of jobs; capacity fixed at creation. */
struct ring {
    struct job *jobs;
    size_t cap, head, count;
};

struct recorder {
    struct event_base *base;
    char dir[1024];
    size_t max_frames;
    recorder_result_cb cb;
    void *arg;
    int efd;
    struct event *ev;
    pthread_t thread;
    int has_thread;
    /* Shared with the writer thread, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct ring in, out;
    int is_stopping;
    /* Loop side only. */
    size_t frames_in_flight; /* frame jobs queued, being written, or waiting to be returned */
    size_t in_flight;
    struct recorder_stats stats;
    /* Writer thread only: the recordings, one per slot. */
    struct slot {
        struct recorder_mux *mux;
        char tmp_name[RECORDER_NAME_MAX];
        int64_t tag;
        int cur_rc;
        uint32_t cur_frames;
    } slots[RECORDER_SLOTS];
};

static int ring_init(struct ring *q, size_t cap)
{
    q->jobs = calloc(cap, sizeof(*q->jobs));
    q->cap = cap;
    return q->jobs != NULL ? 0 : -ENOMEM;
}

static void ring_push(struct ring *q, const struct job *j)
{
    q->jobs[(q->head + q->count) % q->cap] = *j;
    q->count++;
}

static void ring_pop(struct ring *q, struct job *j)
{
    *j = q->jobs[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
}

static void path_of(const struct recorder *r, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", r->dir, name);
}

static void fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* makes the rename itself durable */
        close(dfd);
    }
}

/* The folder of the file at path (which has a '/'): fsync it. */
static void fsync_parent(const char *path)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        fsync_dir(dir);
    }
}

/* Create the folders of name (relative to the recorder's directory: "segments/DAY/x.mkv"),
 * each new one made durable in its parent. Returns 0 or a negative errno. */
static int make_parents(const struct recorder *r, const char *name)
{
    char path[1200];
    path_of(r, name, path, sizeof(path));
    size_t base = strlen(r->dir) + 1;
    for (char *p = path + base; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int rc = mkdir(path, 0750) == 0 ? 1 : errno == EEXIST ? 0 : -errno;
        if (rc == 1)
            fsync_parent(path);
        *p = '/';
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- the writer thread ---------------------------------------------------------------- */

static void fail_current(struct recorder *r, struct slot *sl, struct job *j, int rc)
{
    recorder_mux_abort(sl->mux);
    sl->mux = NULL;
    char path[1200];
    path_of(r, sl->tmp_name, path, sizeof(path));
    unlink(path);
    sl->cur_rc = rc;
    j->rc = rc;
    j->is_reported = 1;
    j->result = RECORDER_FAILED;
    j->tag = sl->tag;
}

static void do_open(struct recorder *r, struct job *j)
{
    struct slot *sl = &r->slots[j->slot];
    if (sl->mux != NULL) /* an open without close: finish the old one under its temporary name */
        recorder_mux_close(sl->mux);
    sl->mux = NULL;
    snprintf(sl->tmp_name, sizeof(sl->tmp_name), "%s", j->name);
    sl->tag = j->tag;
    sl->cur_rc = 0;
    sl->cur_frames = 0;
}

static void do_frame(struct recorder *r, struct job *j)
{
    struct slot *sl = &r->slots[j->slot];
    size_t len;
    const uint8_t *jpeg = frame_jpeg(j->frame, &len);
    if (sl->cur_rc < 0) {
        j->rc = sl->cur_rc;
        return;
    }
    if (sl->mux == NULL) { /* opened lazily: the first frame gives the picture's size */
        int w, h;
        char path[1200];
        path_of(r, sl->tmp_name, path, sizeof(path));
        int rc = recorder_mux_jpeg_size(jpeg, len, &w, &h);
        if (rc == 0)
            rc = make_parents(r, sl->tmp_name);
        if (rc == 0)
            rc = recorder_mux_open(&sl->mux, path, w, h);
        if (rc < 0) {
            fail_current(r, sl, j, rc);
            return;
        }
    }
    int rc = recorder_mux_write(sl->mux, jpeg, len, j->pts_ms);
    if (rc < 0) {
        fail_current(r, sl, j, rc);
        return;
    }
    sl->cur_frames++;
}

static void do_close(struct recorder *r, struct job *j)
{
    struct slot *sl = &r->slots[j->slot];
    j->is_reported = 1;
    j->result = RECORDER_CLOSED;
    j->tag = sl->tag;
    j->frames = sl->cur_frames;
    char tmp[1200], final[1200];
    path_of(r, sl->tmp_name, tmp, sizeof(tmp));
    path_of(r, j->name, final, sizeof(final));
    int rc = sl->cur_rc < 0 ? sl->cur_rc : sl->mux == NULL ? -ENODATA : 0;
    if (sl->mux != NULL) {
        int closed = recorder_mux_close(sl->mux);
        rc = rc < 0 ? rc : closed;
    }
    sl->mux = NULL;
    struct stat st;
    if (rc == 0 && stat(tmp, &st) == 0)
        j->bytes = (uint64_t)st.st_size;
    if (rc == 0)
        rc = make_parents(r, j->name);
    if (rc == 0 && rename(tmp, final) != 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    else
        fsync_parent(final);
    j->rc = rc;
}

static void do_file(struct recorder *r, struct job *j)
{
    char tmp[1300], final[1200];
    path_of(r, j->name, final, sizeof(final));
    snprintf(tmp, sizeof(tmp), "%s.part", final);
    size_t len;
    const uint8_t *jpeg = frame_jpeg(j->frame, &len);
    j->is_reported = 1;
    j->result = RECORDER_FILE;
    unlink(tmp); /* a new file: whatever held its name goes (a link would be followed) */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -errno : 0;
    if (rc == 0 && write(fd, jpeg, len) != (ssize_t)len)
        rc = errno ? -errno : -ENOSPC;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, final) != 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    j->rc = rc;
    j->bytes = rc == 0 ? len : 0;
}

static void *writer_main(void *arg)
{
    struct recorder *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->in.count == 0 && !r->is_stopping)
            pthread_cond_wait(&r->wake, &r->lock);
        if (r->in.count == 0)
            break;
        struct job j;
        ring_pop(&r->in, &j);
        pthread_mutex_unlock(&r->lock);
        j.is_reported = 0;
        j.rc = 0;
        if (j.kind == JOB_OPEN)
            do_open(r, &j);
        else if (j.kind == JOB_FRAME)
            do_frame(r, &j);
        else if (j.kind == JOB_CLOSE)
            do_close(r, &j);
        else
            do_file(r, &j);
        pthread_mutex_lock(&r->lock);
        ring_push(&r->out, &j); /* never full: in + out together hold at most cap jobs */
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof(one)) < 0) {
            /* The counter cannot overflow at our rates; the loop drains on its next wake. */
        }
    }
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < RECORDER_SLOTS; i++) {
        if (r->slots[i].mux != NULL) /* stays under its temporary name: recovered at start */
            recorder_mux_close(r->slots[i].mux);
        r->slots[i].mux = NULL;
    }
    return NULL;
}

/* --- the loop side -------------------------------------------------------------------- */

static void handle_returned(struct recorder *r, struct job *j)
{
    r->in_flight--;
    if (j->kind == JOB_FRAME) {
        r->frames_in_flight--;
        if (j->rc == 0)
            r->stats.frames_written++;
    }
    if (j->is_reported) {
        if (j->rc < 0)
            r->stats.failures++;
        else
            r->stats.bytes_written += j->bytes;
        struct recorder_result res = {.kind = j->result,
                                      .slot = j->slot,
                                      .tag = j->tag,
                                      .rc = j->rc,
                                      .bytes = j->bytes,
                                      .frames = j->frames,
                                      .name = j->name};
        r->cb(&res, r->arg);
    }
    frame_unref(j->frame);
}

static void drain(struct recorder *r)
{
    for (;;) {
        struct job j;
        pthread_mutex_lock(&r->lock);
        int has = r->out.count > 0;
        if (has)
            ring_pop(&r->out, &j);
        pthread_mutex_unlock(&r->lock);
        if (!has)
            return;
        handle_returned(r, &j);
    }
}

static void on_returned(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    uint64_t n;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        /* Nothing to do: the jobs are drained below either way. */
    }
    drain(arg);
}

static int submit(struct recorder *r, const struct job *j)
{
    int is_frame = j->kind == JOB_FRAME;
    if ((is_frame && r->frames_in_flight >= r->max_frames) || r->in_flight >= r->in.cap)
        return -ENOBUFS;
    pthread_mutex_lock(&r->lock);
    ring_push(&r->in, j);
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    r->in_flight++;
    r->frames_in_flight += (size_t)is_frame;
    return 0;
}

struct recorder *recorder_new(struct event_base *base, const char *dir, size_t max_frames,
                              recorder_result_cb cb, void *arg)
{
    struct recorder *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->base = base;
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    r->max_frames = max_frames;
    r->cb = cb;
    r->arg = arg;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->efd < 0 || ring_init(&r->in, max_frames + CONTROL_SLOTS) < 0 ||
        ring_init(&r->out, max_frames + CONTROL_SLOTS) < 0 ||
        (r->ev = event_new(base, r->efd, EV_READ | EV_PERSIST, on_returned, r)) == NULL ||
        event_add(r->ev, NULL) < 0 || pthread_create(&r->thread, NULL, writer_main, r) != 0) {
        recorder_free(r);
        return NULL;
    }
    r->has_thread = 1;
    return r;
}

void recorder_free(struct recorder *r)
{
    if (r == NULL)
        return;
    if (r->has_thread) {
        pthread_mutex_lock(&r->lock);
        r->is_stopping = 1;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
        drain(r);
    }
    if (r->ev != NULL)
        event_free(r->ev);
    if (r->efd >= 0)
        close(r->efd);
    free(r->in.jobs);
    free(r->out.jobs);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static int submit_named(struct recorder *r, enum job_kind kind, unsigned slot, const char *name,
                        int64_t tag)
{
    if (slot >= RECORDER_SLOTS)
        return -EINVAL;
    struct job j = {.kind = kind, .slot = slot, .tag = tag};
    if (snprintf(j.name, sizeof(j.name), "%s", name) >= (int)sizeof(j.name))
        return -ENAMETOOLONG;
    return submit(r, &j);
}

int recorder_open(struct recorder *r, unsigned slot, const char *tmp_name, int64_t tag)
{
    return submit_named(r, JOB_OPEN, slot, tmp_name, tag);
}

int recorder_close(struct recorder *r, unsigned slot, const char *final_name)
{
    return submit_named(r, JOB_CLOSE, slot, final_name, 0);
}

int recorder_write(struct recorder *r, unsigned slot, struct frame *f, int64_t pts_ms)
{
    if (slot >= RECORDER_SLOTS)
        return -EINVAL;
    struct job j = {.kind = JOB_FRAME, .slot = slot, .frame = frame_ref(f), .pts_ms = pts_ms};
    if (submit(r, &j) < 0) {
        frame_unref(f);
        r->stats.frames_dropped++;
        return -ENOBUFS;
    }
    return 0;
}

int recorder_write_file(struct recorder *r, struct frame *f, const char *name, int64_t tag)
{
    struct job j = {.kind = JOB_FILE, .tag = tag};
    if (snprintf(j.name, sizeof(j.name), "%s", name) >= (int)sizeof(j.name))
        return -ENAMETOOLONG;
    j.frame = frame_ref(f);
    int rc = submit(r, &j);
    if (rc < 0)
        frame_unref(f);
    return rc;
}

void recorder_get_stats(const struct recorder *r, struct recorder_stats *out)
{
    *out = r->stats;
}

size_t recorder_queued(const struct recorder *r)
{
    return r->frames_in_flight;
}
