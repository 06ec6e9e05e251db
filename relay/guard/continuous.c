#include "continuous.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_index.h"
#include "events.h"
#include "events_store.h"
#include "frame.h"
#include "recording_name.h"
#define LOG_TAG "continuous"
#include "log.h"

/* Names tried for one start before giving up ("-2" .. "-99"). */
#define NAME_TRIES 99

/* One kind of continuous recording: its open file, if any. */
struct track {
    enum recording_kind kind;
    unsigned slot;
    struct recording_record cur; /* the open file's row (cur.id 0: none open) */
    int is_ok;                   /* no write error in the open file */
    int64_t first_us;            /* receive time of its first frame */
    int64_t last_us;             /* receive time of the last frame taken (timelapse pace) */
    int64_t last_unix_ms;        /* wall clock of the last frame written */
    int64_t day;                 /* UTC day of its start (timelapse: ends at midnight) */
    uint32_t queued;             /* frames queued into it */
    int is_start_failing;        /* the last start failed (and said so) */
};

struct continuous {
    char camera[EVENT_CAMERA_MAX];
    char dir[1024];
    unsigned segment_s, timelapse_s;
    struct events_store *store;
    struct recorder *rec;
    struct track seg, tl;
    struct continuous_stats stats;
};

struct continuous *continuous_new(struct events_store *store, struct recorder *rec,
                                  const struct continuous_config *cfg)
{
    struct continuous *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    snprintf(c->camera, sizeof(c->camera), "%s", cfg->camera);
    events_store_camera_dir(store, c->camera, c->dir, sizeof(c->dir));
    c->segment_s = cfg->segment_s;
    c->timelapse_s = cfg->timelapse_s;
    c->store = store;
    c->rec = rec;
    c->seg.kind = RECORDING_SEGMENT;
    c->seg.slot = CONTINUOUS_SEGMENT_SLOT;
    c->tl.kind = RECORDING_TIMELAPSE;
    c->tl.slot = CONTINUOUS_TIMELAPSE_SLOT;
    return c;
}

/* After a full disk, start again only once space is back (as events do). */
static int may_record(struct continuous *c)
{
    if (!c->stats.is_disk_full)
        return 1;
    if (events_store_free_bytes(c->store) < EVENTS_RESUME_FREE_BYTES)
        return 0;
    c->stats.is_disk_full = 0;
    LOG_INFO("camera %s: disk space is back: continuous recording resumes", c->camera);
    return 1;
}

/* A name not listed and not on disk (a file whose row a power cut lost is never replaced). */
static int free_name(struct continuous *c, enum recording_kind kind, int64_t unix_ms, char *out,
                     size_t size)
{
    struct event_index *idx = events_store_index(c->store);
    struct recording_record row;
    for (unsigned n = 1; n <= NAME_TRIES; n++) {
        char path[1200];
        struct stat st;
        if (recording_name_make(kind, unix_ms, n, out, size) < 0)
            return -EINVAL;
        snprintf(path, sizeof(path), "%s/%s", c->dir, out);
        if (event_index_rec_find(idx, c->camera, out, &row) == -ENOENT && stat(path, &st) != 0)
            return 0;
    }
    return -EEXIST;
}

/* A file of kind could not be written (rc): log once why; a full disk stops recording until
 * space is back. */
static void report_failure(struct continuous *c, enum recording_kind kind, int rc)
{
    const char *what = recording_name_dir(kind);
    if (rc == -ENOSPC || rc == -EDQUOT) {
        c->stats.disk_full++;
        c->stats.is_disk_full = 1;
        LOG_ERROR("camera %s: %s stopped: the disk of RECORD_DIR is full; the live stream goes "
                  "on; recording starts again when space returns",
                  c->camera, what);
    } else {
        LOG_ERROR("camera %s: a %s file failed: %s", c->camera, what, strerror(-rc));
    }
}

static void open_track(struct continuous *c, struct track *t, int64_t received_us)
{
    if (!may_record(c))
        return;
    int64_t unix_ms = events_wall_ms(received_us);
    struct recording_record *row = &t->cur;
    char part[RECORDER_NAME_MAX];
    memset(row, 0, sizeof(*row));
    snprintf(row->camera, sizeof(row->camera), "%s", c->camera);
    row->kind = t->kind;
    row->start_unix_ms = row->end_unix_ms = unix_ms;
    if (free_name(c, t->kind, unix_ms, row->file, sizeof(row->file)) < 0 ||
        recording_name_part(row->file, part, sizeof(part)) < 0 ||
        event_index_rec_insert(events_store_index(c->store), row) < 0) {
        row->id = 0;
        /* On a full disk the index often fails before the file would: the same stop. Anything
         * else is said once, not at every frame. */
        if (events_store_free_bytes(c->store) < EVENTS_RESUME_FREE_BYTES)
            report_failure(c, t->kind, -ENOSPC);
        else if (!t->is_start_failing)
            LOG_ERROR("camera %s: cannot start a %s file (name or index): not recorded", c->camera,
                      recording_name_dir(t->kind));
        t->is_start_failing = 1;
        return;
    }
    t->is_start_failing = 0;
    if (recorder_open(c->rec, t->slot, part, row->id) < 0) {
        event_index_rec_delete(events_store_index(c->store), row->id);
        row->id = 0;
        return;
    }
    t->is_ok = 1;
    t->first_us = received_us;
    t->last_unix_ms = unix_ms;
    t->day = recording_name_day(unix_ms);
    t->queued = 0;
}

/* Queue the open file's close; its row is marked done when the recorder reports. */
static void close_track(struct continuous *c, struct track *t)
{
    if (t->cur.id == 0)
        return;
    struct event_index *idx = events_store_index(c->store);
    t->cur.end_unix_ms = t->last_unix_ms;
    t->cur.frames = t->queued;
    if (event_index_rec_update(idx, &t->cur) < 0)
        LOG_ERROR("camera %s: cannot update %s in the index", c->camera, t->cur.file);
    if (t->is_ok && recorder_close(c->rec, t->slot, t->cur.file) < 0)
        LOG_ERROR("camera %s: the recorder's queue is full: %s stays a part until the next start",
                  c->camera, t->cur.file);
    t->cur.id = 0;
}

static void write_frame(struct continuous *c, struct track *t, struct frame *f, int64_t received_us,
                        int64_t pts_ms)
{
    if (!t->is_ok || recorder_write(c->rec, t->slot, f, pts_ms) < 0)
        return;
    t->queued++;
    t->last_unix_ms = events_wall_ms(received_us);
}

static void on_segment_frame(struct continuous *c, struct frame *f, int64_t received_us)
{
    struct track *t = &c->seg;
    if (t->cur.id != 0 && received_us - t->first_us >= (int64_t)c->segment_s * 1000000)
        close_track(c, t);
    if (t->cur.id == 0)
        open_track(c, t, received_us);
    if (t->cur.id != 0)
        write_frame(c, t, f, received_us, (received_us - t->first_us) / 1000);
}

static void on_timelapse_frame(struct continuous *c, struct frame *f, int64_t received_us)
{
    struct track *t = &c->tl;
    if (t->last_us != 0 && received_us - t->last_us < (int64_t)c->timelapse_s * 1000000)
        return;
    t->last_us = received_us;
    if (t->cur.id != 0 && recording_name_day(events_wall_ms(received_us)) != t->day)
        close_track(c, t); /* midnight: the day's file is finished */
    if (t->cur.id == 0)
        open_track(c, t, received_us);
    if (t->cur.id == 0)
        return;
    write_frame(c, t, f, received_us, (int64_t)t->queued * CONTINUOUS_TIMELAPSE_FRAME_MS);
    c->stats.timelapse_frames++;
    /* The row's end follows the frames, so the list shows how far the day's file reaches. */
    t->cur.end_unix_ms = t->last_unix_ms;
    t->cur.frames = t->queued;
    event_index_rec_update(events_store_index(c->store), &t->cur);
}

void continuous_on_frame(struct continuous *c, struct frame *f, int64_t received_us)
{
    if (c->segment_s > 0)
        on_segment_frame(c, f, received_us);
    if (c->timelapse_s > 0)
        on_timelapse_frame(c, f, received_us);
}

static void on_failed(struct continuous *c, struct track *t, const struct recorder_result *res)
{
    report_failure(c, t->kind, res->rc);
    if (t->cur.id == res->tag)
        t->cur.id = 0; /* the recorder dropped the part; the next frame may begin a new file */
    event_index_rec_delete(events_store_index(c->store), res->tag);
}

static void on_closed(struct continuous *c, struct track *t, const struct recorder_result *res)
{
    struct event_index *idx = events_store_index(c->store);
    struct recording_record row;
    if (event_index_rec_get(idx, res->tag, &row) < 0)
        return;
    if (res->rc < 0) {
        /* Finishing it failed (the trailer, fsync, rename: a full disk shows here too); the
         * recorder removed the part. No frame at all (-ENODATA) is no failure. */
        if (res->rc != -ENODATA)
            report_failure(c, t->kind, res->rc);
        event_index_rec_delete(idx, res->tag);
        return;
    }
    row.is_done = 1;
    row.bytes = res->bytes;
    row.frames = res->frames;
    if (event_index_rec_update(idx, &row) < 0)
        LOG_ERROR("camera %s: cannot mark %s done in the index", c->camera, row.file);
    c->stats.segments += row.kind == RECORDING_SEGMENT;
}

void continuous_on_result(const struct recorder_result *res, void *arg)
{
    struct continuous *c = arg;
    struct track *t = res->slot == CONTINUOUS_TIMELAPSE_SLOT ? &c->tl : &c->seg;
    if (res->kind == RECORDER_FAILED)
        on_failed(c, t, res);
    else if (res->kind == RECORDER_CLOSED)
        on_closed(c, t, res);
}

void continuous_stop(struct continuous *c)
{
    close_track(c, &c->seg);
    close_track(c, &c->tl);
}

void continuous_free(struct continuous *c)
{
    free(c);
}

void continuous_get_stats(const struct continuous *c, struct continuous_stats *out)
{
    *out = c->stats;
}
