#include "events_store.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libavutil/log.h>

#include "av_lib.h"
#include "clock.h"
#include "event_index.h"
#include "recorder_mux.h"
#include "record_path.h"
#include "recordings_store.h"
#define LOG_TAG "events"
#include "log.h"

#define BUSY_MAX 64
#define RETENTION_BATCH 256

struct events_store {
    char dir[1024];
    struct events_store_config cfg;
    struct event_index *idx;
    struct event *timer;
    int64_t busy[BUSY_MAX];
    uint64_t deleted;
    unsigned replays;
};

int events_store_camera_dir(const struct events_store *s, const char *camera, char *out,
                            size_t size)
{
    return snprintf(out, size, "%s/%s", s->dir, camera) < (int)size ? 0 : -ENAMETOOLONG;
}

/* dir/camera/name into out; a path that does not fit is cut (and then names no file of ours). */
static int file_path(const struct events_store *s, const char *camera, const char *name, char *out,
                     size_t size)
{
    return snprintf(out, size, "%s/%s/%s", s->dir, camera, name) < (int)size ? 0 : -ENAMETOOLONG;
}

static uint64_t file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* "ev-ID-START-END-PEAK.mkv" into rec (id, times, peak). Returns 0 or -EINVAL. */
static int parse_name(const char *name, struct event_record *rec)
{
    long long id, start, end;
    unsigned peak;
    int used = 0;
    if (sscanf(name, "ev-%lld-%lld-%lld-%u.mkv%n", &id, &start, &end, &peak, &used) != 4 ||
        name[used] != '\0' || id <= 0 || end < start)
        return -EINVAL;
    rec->id = id;
    rec->start_unix_ms = start;
    rec->end_unix_ms = end;
    rec->peak_pct = peak / 10.0;
    return 0;
}

/* A temporary recording a crash left: copy what is readable into a finished file. */
static void recover_part(struct events_store *s, const char *camera, const char *name)
{
    long long id;
    char part[1400 + 256], final[1400 + 256];
    file_path(s, camera, name, part, sizeof(part));
    struct event_record rec;
    int has_row =
        sscanf(name, ".ev-%lld.mkv.part", &id) == 1 && event_index_get(s->idx, id, &rec) == 0;
    uint32_t frames = 0;
    int64_t duration_ms = 0;
    if (has_row) {
        snprintf(rec.file, sizeof(rec.file), ".ev-%lld.mkv.recover", id);
        file_path(s, camera, rec.file, final, sizeof(final));
    }
    if (!has_row || recorder_mux_recover(part, final, &frames, &duration_ms) < 0) {
        LOG_WARN("RECORD_DIR: %s: an interrupted recording with nothing readable: removed", part);
        unlink(part);
        if (has_row)
            event_index_delete(s->idx, id);
        return;
    }
    unlink(part);
    rec.end_unix_ms = rec.start_unix_ms + duration_ms;
    snprintf(rec.file, sizeof(rec.file), "ev-%lld-%lld-%lld-%u.mkv", id,
             (long long)rec.start_unix_ms, (long long)rec.end_unix_ms,
             (unsigned)(rec.peak_pct * 10 + 0.5));
    file_path(s, camera, rec.file, part, sizeof(part));
    if (rename(final, part) != 0) {
        unlink(final);
        event_index_delete(s->idx, id);
        return;
    }
    rec.is_done = 1;
    rec.frames = frames;
    rec.bytes = file_bytes(part);
    rec.thumb[0] = '\0';
    event_index_update(s->idx, &rec);
    LOG_INFO("RECORD_DIR: recovered event %lld after a crash (%u frames)", id, frames);
}

/* A finished recording found while rebuilding the index. */
static void rebuild_one(struct events_store *s, const char *camera, const char *name)
{
    struct event_record rec = {.is_done = 1};
    char path[1400 + 256], thumb[1400 + 256];
    file_path(s, camera, name, path, sizeof(path));
    int64_t duration_ms;
    if (parse_name(name, &rec) < 0 || recorder_mux_probe(path, &rec.frames, &duration_ms) < 0) {
        LOG_WARN("RECORD_DIR: %s: not a readable recording: skipped", path);
        return;
    }
    if (snprintf(rec.camera, sizeof(rec.camera), "%s", camera) >= (int)sizeof(rec.camera) ||
        snprintf(rec.file, sizeof(rec.file), "%s", name) >= (int)sizeof(rec.file))
        return;
    snprintf(rec.thumb, sizeof(rec.thumb), "ev-%lld.jpg", (long long)rec.id);
    file_path(s, camera, rec.thumb, thumb, sizeof(thumb));
    rec.bytes = file_bytes(path);
    if (record_path_is_file(thumb))
        rec.bytes += file_bytes(thumb);
    else
        rec.thumb[0] = '\0';
    if (event_index_put(s->idx, &rec) < 0)
        LOG_WARN("RECORD_DIR: %s: event %lld is twice in the directory: skipped", path,
                 (long long)rec.id);
}

/* One camera's folder: recover temporary files; rebuild rows if asked. */
static void scan_camera(struct events_store *s, const char *camera, int is_rebuild)
{
    char dir[1100];
    DIR *d = snprintf(dir, sizeof(dir), "%s/%s", s->dir, camera) < (int)sizeof(dir) ? opendir(dir)
                                                                                    : NULL;
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, ".ev-", 4) == 0 && n > 9 &&
            strcmp(e->d_name + n - 9, ".mkv.part") == 0)
            recover_part(s, camera, e->d_name);
        else if (n > 5 && (strcmp(e->d_name + n - 5, ".part") == 0 ||
                           strcmp(e->d_name + n - 8, ".recover") == 0)) {
            char path[1400 + 256];
            file_path(s, camera, e->d_name, path, sizeof(path));
            unlink(path); /* a half-written thumbnail or recovery */
        } else if (is_rebuild && strncmp(e->d_name, "ev-", 3) == 0 && n > 4 &&
                   strcmp(e->d_name + n - 4, ".mkv") == 0)
            rebuild_one(s, camera, e->d_name);
    }
    closedir(d);
}

/* Rows whose recording is not done (their temporary file was handled above) go. */
static void drop_unfinished(struct events_store *s)
{
    struct event_record recs[64];
    int64_t from = 0;
    for (;;) {
        int n = event_index_list(s->idx, NULL, from, INT64_MAX / 4, recs, 64);
        for (int i = 0; i < n; i++) {
            if (!recs[i].is_done)
                event_index_delete(s->idx, recs[i].id);
        }
        if (n < 64)
            return;
        from = recs[n - 1].start_unix_ms + 1;
    }
}

/* is_rebuild: the events' index was lost; is_rec_rebuild: the continuous recordings' rows (also
 * when their table is new: a relay from before continuous recording left files it never had). */
static void scan(struct events_store *s, int is_rebuild, int is_rec_rebuild)
{
    DIR *d = opendir(s->dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[1100];
        int is_cut = snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name) >= (int)sizeof(path);
        if (!is_cut && e->d_name[0] != '.' && record_path_is_dir(path)) {
            scan_camera(s, e->d_name, is_rebuild);
            recordings_store_scan(s->dir, s->idx, e->d_name, is_rec_rebuild);
        }
    }
    closedir(d);
    drop_unfinished(s);
    recordings_store_settle(s->dir, s->idx);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    events_store_apply_retention(arg);
}

/*
 * An index that cannot be opened (a damaged file, "file is not a database") is only a cache of
 * the recordings' names: move it and its WAL aside (kept for a look, never deleted) so that start
 * rebuilds it, instead of refusing to start. why is the open's error. Returns 0 or -errno.
 */
static int move_index_aside(const char *db, const char *why)
{
    char aside[1200], from[1100], to[1300];
    snprintf(aside, sizeof(aside), "%s.broken-%lld", db, (long long)time(NULL));
    if (rename(db, aside) != 0)
        return -errno;
    static const char *const sidecars[] = {"-wal", "-shm"};
    for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
        snprintf(from, sizeof(from), "%s%s", db, sidecars[i]);
        snprintf(to, sizeof(to), "%s%s", aside, sidecars[i]);
        if (rename(from, to) != 0 && errno != ENOENT)
            unlink(from);
    }
    LOG_WARN("RECORD_DIR: the index cannot be used (%s): moved aside to %s; rebuilding it from "
             "the recordings",
             why, aside);
    return 0;
}

struct events_store *events_store_open(struct event_base *base,
                                       const struct events_store_config *cfg, char *err,
                                       size_t err_size)
{
    struct events_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, err_size, "RECORD_DIR: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    char why[600];
    if (av_lib_load(why, sizeof(why)) < 0) {
        snprintf(err, err_size, "RECORD_DIR: %s", why);
        free(s);
        return NULL;
    }
    /* libavformat's own messages on a damaged file would say less than our one line. */
    av_log_set_level(AV_LOG_FATAL);
    snprintf(s->dir, sizeof(s->dir), "%s", cfg->dir);
    s->cfg.dir = s->dir;
    struct stat st;
    if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(s->dir, W_OK | X_OK) != 0) {
        snprintf(err, err_size, "RECORD_DIR: %s: %s", s->dir,
                 errno ? strerror(errno) : "not a directory");
        if (stat(s->dir, &st) == 0 && !S_ISDIR(st.st_mode))
            snprintf(err, err_size, "RECORD_DIR: %s: not a directory", s->dir);
        free(s);
        return NULL;
    }
    char db[1100], ierr[1400 + 256];
    snprintf(db, sizeof(db), "%s/events.db", s->dir);
    int is_lost = stat(db, &st) != 0;
    s->idx = event_index_open(db, ierr, sizeof(ierr));
    if (s->idx == NULL && !is_lost && move_index_aside(db, ierr) == 0) {
        is_lost = 1;
        s->idx = event_index_open(db, ierr, sizeof(ierr));
    }
    if (s->idx == NULL) {
        snprintf(err, err_size, "RECORD_DIR: %s", ierr);
        free(s);
        return NULL;
    }
    if (is_lost)
        LOG_INFO("RECORD_DIR: no index: rebuilding it from the recordings in %s", s->dir);
    uint64_t rec_bytes = 0, rec_count = 0;
    event_index_rec_totals(s->idx, &rec_bytes, &rec_count);
    scan(s, is_lost, is_lost || rec_count == 0);
    s->timer = event_new(base, -1, EV_PERSIST, on_timer, s);
    struct timeval tv = {.tv_sec = cfg->check_interval_ms / 1000,
                         .tv_usec = (cfg->check_interval_ms % 1000) * 1000};
    if (s->timer == NULL || event_add(s->timer, &tv) < 0) {
        snprintf(err, err_size, "RECORD_DIR: out of memory");
        events_store_close(s);
        return NULL;
    }
    events_store_apply_retention(s);
    return s;
}

void events_store_close(struct events_store *s)
{
    if (s == NULL)
        return;
    if (s->timer != NULL)
        event_free(s->timer);
    event_index_close(s->idx);
    free(s);
}

struct event_index *events_store_index(struct events_store *s)
{
    return s->idx;
}

static int is_busy(const struct events_store *s, int64_t id)
{
    for (size_t i = 0; i < BUSY_MAX; i++) {
        if (s->busy[i] == id)
            return 1;
    }
    return 0;
}

int events_store_set_busy(struct events_store *s, int64_t id, int busy)
{
    for (size_t i = 0; i < BUSY_MAX; i++) {
        if (busy ? s->busy[i] == 0 : s->busy[i] == id) {
            s->busy[i] = busy ? id : 0;
            return 0;
        }
    }
    return busy ? -ENOSPC : 0;
}

int events_store_delete(struct events_store *s, int64_t id)
{
    struct event_record rec;
    int rc = event_index_get(s->idx, id, &rec);
    if (rc < 0)
        return rc;
    if (is_busy(s, id) || !rec.is_done)
        return -EBUSY;
    char path[1400 + 256];
    const char *names[] = {rec.file, rec.thumb};
    for (size_t i = 0; i < 2; i++) {
        if (names[i][0] == '\0')
            continue;
        file_path(s, rec.camera, names[i], path, sizeof(path));
        if (unlink(path) != 0 && errno != ENOENT)
            LOG_WARN("cannot delete %s: %s", path, strerror(errno));
    }
    return event_index_delete(s->idx, id);
}

uint64_t events_store_free_bytes(const struct events_store *s)
{
    struct statvfs vfs;
    if (statvfs(s->dir, &vfs) != 0)
        return 0;
    return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

/* What retention may delete: an event or a continuous recording, by its id. */
struct doomed {
    int is_recording;
    int64_t id;
};

/* The oldest events and continuous recordings (up to a batch of each), merged oldest first into
 * items; items[i].id is the index into doomed. Returns how many. */
static size_t oldest(struct events_store *s, struct retention_item *items, struct doomed *doomed)
{
    struct event_record *evs = calloc(RETENTION_BATCH, sizeof(*evs));
    struct recording_record *recs = calloc(RETENTION_BATCH, sizeof(*recs));
    int ne =
        evs != NULL ? event_index_list(s->idx, NULL, 0, INT64_MAX / 4, evs, RETENTION_BATCH) : 0;
    int nr = recs != NULL
                 ? event_index_rec_list(s->idx, NULL, 0, 0, INT64_MAX / 4, recs, RETENTION_BATCH)
                 : 0;
    size_t n = 0;
    int i = 0, j = 0;
    ne = ne < 0 ? 0 : ne;
    nr = nr < 0 ? 0 : nr;
    while (i < ne || j < nr) {
        int is_event = j >= nr || (i < ne && evs[i].start_unix_ms <= recs[j].start_unix_ms);
        if (is_event) {
            items[n] =
                (struct retention_item){.start_unix_ms = evs[i].start_unix_ms,
                                        .bytes = evs[i].bytes,
                                        .is_current = is_busy(s, evs[i].id) || !evs[i].is_done};
            doomed[n] = (struct doomed){0, evs[i++].id};
        } else {
            items[n] = (struct retention_item){.start_unix_ms = recs[j].start_unix_ms,
                                               .bytes = recs[j].bytes,
                                               .is_current = !recs[j].is_done};
            doomed[n] = (struct doomed){1, recs[j++].id};
        }
        items[n].id = (int64_t)n;
        n++;
    }
    free(evs);
    free(recs);
    return n;
}

int events_store_apply_retention(struct events_store *s)
{
    const struct retention_limits *lim = &s->cfg.limits;
    if (lim->max_age_ms == 0 && lim->max_total_bytes == 0 && lim->min_free_bytes == 0)
        return 0;
    struct retention_item *items = calloc(2 * RETENTION_BATCH, sizeof(*items));
    struct doomed *doomed = calloc(2 * RETENTION_BATCH, sizeof(*doomed));
    int64_t *picks = calloc(2 * RETENTION_BATCH, sizeof(*picks));
    uint64_t total, count, rec_total, rec_count;
    size_t n = items && doomed && picks ? oldest(s, items, doomed) : 0;
    if (n == 0 || event_index_totals(s->idx, &total, &count) < 0 ||
        event_index_rec_totals(s->idx, &rec_total, &rec_count) < 0) {
        free(items);
        free(doomed);
        free(picks);
        return 0;
    }
    size_t picked = retention_pick(items, n, lim, clock_unix_ms(), total + rec_total,
                                   events_store_free_bytes(s), picks, 2 * RETENTION_BATCH);
    int deleted = 0;
    for (size_t i = 0; i < picked; i++) {
        const struct doomed *d = &doomed[picks[i]];
        int rc = d->is_recording ? recordings_store_delete(s->dir, s->idx, d->id)
                                 : events_store_delete(s, d->id);
        if (rc == 0) {
            LOG_INFO("retention: deleted %s %" PRId64, d->is_recording ? "recording" : "event",
                     d->id);
            deleted++;
        }
    }
    free(items);
    free(doomed);
    free(picks);
    s->deleted += (uint64_t)deleted;
    return deleted;
}

void events_store_get_stats(struct events_store *s, struct events_store_stats *out)
{
    memset(out, 0, sizeof(*out));
    uint64_t rec_bytes = 0;
    event_index_totals(s->idx, &out->bytes, &out->events);
    event_index_rec_totals(s->idx, &rec_bytes, &out->recordings);
    out->bytes += rec_bytes;
    out->free_bytes = events_store_free_bytes(s);
    out->deleted = s->deleted;
}

int events_store_replay_slot(struct events_store *s, int is_take, unsigned max)
{
    if (!is_take) {
        s->replays -= s->replays > 0;
        return 0;
    }
    if (s->replays >= max)
        return -EBUSY;
    s->replays++;
    return 0;
}
