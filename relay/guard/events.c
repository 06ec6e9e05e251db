#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "event_index.h"
#include "events_store.h"
#include "frame.h"
#include "recorder.h"
#define LOG_TAG "events"
#include "log.h"

/* The recorder's slot for events; the others are the continuous recordings' (continuous.h). */
#define EVENTS_SLOT 0

struct events {
    struct events_config cfg;
    char camera[EVENT_CAMERA_MAX];
    char title[128];
    struct events_store *store;
    struct recorder *recorder;
    event_cb listener;
    void *listener_arg;
    recorder_result_cb sink; /* results of the other slots */
    void *sink_arg;
    /* Pre-roll: a ring of references, oldest at ring_head. */
    struct frame **ring;
    size_t ring_head, ring_count;
    /* The open event. */
    struct event_record cur;
    int64_t first_pts_us; /* receive time of the recording's first frame */
    int64_t start_us;     /* receive time of the first moving frame */
    int64_t last_motion_us;
    int64_t last_frame_unix_ms;
    struct frame *peak_frame; /* the thumbnail to be */
    int is_recording_ok;      /* no write error in the open event */
    struct events_stats stats;
};

int64_t events_wall_ms(int64_t received_us)
{
    return clock_unix_ms() - (clock_now_us() - received_us) / 1000;
}

static void ring_clear(struct events *ev)
{
    for (size_t i = 0; i < ev->ring_count; i++)
        frame_unref(ev->ring[(ev->ring_head + i) % ev->cfg.preroll_max_frames]);
    ev->ring_head = ev->ring_count = 0;
}

/* Keep f in the pre-roll; frames older than preroll_ms, or past the bound, fall out. */
static void ring_push(struct events *ev, struct frame *f, int64_t received_us)
{
    size_t cap = ev->cfg.preroll_max_frames;
    if (cap == 0)
        return;
    while (ev->ring_count > 0) {
        struct frame *old = ev->ring[ev->ring_head];
        int is_full = ev->ring_count >= cap;
        if (!is_full && received_us - frame_received_us(old) <= (int64_t)ev->cfg.preroll_ms * 1000)
            break;
        frame_unref(old);
        ev->ring_head = (ev->ring_head + 1) % cap;
        ev->ring_count--;
    }
    ev->ring[(ev->ring_head + ev->ring_count) % cap] = frame_ref(f);
    ev->ring_count++;
}

static void url_paths(const struct event_record *rec, char *thumb, size_t thumb_size, char *file,
                      size_t file_size)
{
    snprintf(thumb, thumb_size, "/api/events/%lld/thumbnail.jpg", (long long)rec->id);
    snprintf(file, file_size, "/api/events/%lld/recording.mkv", (long long)rec->id);
}

static void tell(struct events *ev, enum event_phase phase, const struct event_record *rec,
                 const struct frame *thumbnail, int has_recording)
{
    if (ev->listener == NULL)
        return;
    char thumb[96], file[96];
    url_paths(rec, thumb, sizeof(thumb), file, sizeof(file));
    struct event_info info = {.phase = phase,
                              .camera = ev->camera,
                              .camera_title = ev->title,
                              .id = rec->id,
                              .start_unix_ms = rec->start_unix_ms,
                              .end_unix_ms = phase == EVENT_END ? rec->end_unix_ms : 0,
                              .peak_motion_pct = rec->peak_pct,
                              .thumbnail_path = thumb,
                              .recording_path = phase == EVENT_END && has_recording ? file : NULL,
                              .thumbnail = thumbnail};
    ev->listener(&info, ev->listener_arg);
}

/* After a full disk, start recording again only once space is back. */
static int may_record(struct events *ev)
{
    if (!ev->stats.is_disk_full)
        return 1;
    if (events_store_free_bytes(ev->store) < EVENTS_RESUME_FREE_BYTES)
        return 0;
    ev->stats.is_disk_full = 0;
    LOG_INFO("camera %s: disk space is back: recording resumes", ev->camera);
    return 1;
}

static void write_frame(struct events *ev, struct frame *f)
{
    if (!ev->is_recording_ok)
        return;
    int64_t pts_ms = (frame_received_us(f) - ev->first_pts_us) / 1000;
    if (recorder_write(ev->recorder, EVENTS_SLOT, f, pts_ms) < 0)
        LOG_DEBUG("camera %s: recorder queue full, frame dropped", ev->camera);
}

static void start_event(struct events *ev, struct frame *f, int64_t received_us, double pct)
{
    memset(&ev->cur, 0, sizeof(ev->cur));
    snprintf(ev->cur.camera, sizeof(ev->cur.camera), "%s", ev->camera);
    ev->cur.start_unix_ms = events_wall_ms(received_us);
    ev->cur.peak_pct = pct;
    if (event_index_insert(events_store_index(ev->store), &ev->cur) < 0) {
        LOG_ERROR("camera %s: cannot index a new event (SQLite): not recorded", ev->camera);
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof(tmp), ".ev-%lld.mkv.part", (long long)ev->cur.id);
    ev->is_recording_ok =
        may_record(ev) && recorder_open(ev->recorder, EVENTS_SLOT, tmp, ev->cur.id) == 0;
    events_store_set_busy(ev->store, ev->cur.id, 1);
    ev->stats.is_recording = 1;
    ev->stats.current_id = ev->cur.id;
    ev->stats.events++;
    ev->start_us = ev->last_motion_us = received_us;
    ev->first_pts_us =
        ev->ring_count > 0 ? frame_received_us(ev->ring[ev->ring_head]) : received_us;
    for (size_t i = 0; i < ev->ring_count; i++)
        write_frame(ev, ev->ring[(ev->ring_head + i) % ev->cfg.preroll_max_frames]);
    ring_clear(ev);
    ev->peak_frame = frame_ref(f);
    LOG_INFO("camera %s: event %lld starts (%.1f %% of the picture moves)", ev->camera,
             (long long)ev->cur.id, pct);
    tell(ev, EVENT_START, &ev->cur, f, 0);
}

static void end_event(struct events *ev)
{
    struct event_record *rec = &ev->cur;
    rec->end_unix_ms = ev->last_frame_unix_ms;
    snprintf(rec->file, sizeof(rec->file), "ev-%lld-%lld-%lld-%u.mkv", (long long)rec->id,
             (long long)rec->start_unix_ms, (long long)rec->end_unix_ms,
             (unsigned)(rec->peak_pct * 10 + 0.5));
    snprintf(rec->thumb, sizeof(rec->thumb), "ev-%lld.jpg", (long long)rec->id);
    if (ev->is_recording_ok && event_index_update(events_store_index(ev->store), rec) < 0)
        LOG_ERROR("camera %s: cannot update event %lld in the index", ev->camera,
                  (long long)rec->id);
    int queued = ev->is_recording_ok && recorder_close(ev->recorder, EVENTS_SLOT, rec->file) == 0;
    if (queued && ev->peak_frame != NULL)
        recorder_write_file(ev->recorder, ev->peak_frame, rec->thumb, rec->id);
    if (!queued) { /* nothing was recorded: the event is not listed */
        event_index_delete(events_store_index(ev->store), rec->id);
        events_store_set_busy(ev->store, rec->id, 0);
        tell(ev, EVENT_END, rec, ev->peak_frame, 0);
    }
    frame_unref(ev->peak_frame);
    ev->peak_frame = NULL;
    ev->stats.is_recording = 0;
    ev->stats.current_id = 0;
    LOG_INFO("camera %s: event %lld ends", ev->camera, (long long)rec->id);
}

/* A write failed: log once why, and for a full disk stop recording until space is back. */
static void on_failed(struct events *ev, const struct recorder_result *res)
{
    if (res->rc == -ENOSPC || res->rc == -EDQUOT) {
        ev->stats.disk_full++;
        ev->stats.is_disk_full = 1;
        LOG_ERROR("camera %s: recording stopped: the disk of RECORD_DIR is full (event %lld "
                  "discarded); the live stream goes on; recording starts again when space returns",
                  ev->camera, (long long)res->tag);
    } else {
        LOG_ERROR("camera %s: recording of event %lld failed: %s", ev->camera, (long long)res->tag,
                  strerror(-res->rc));
    }
    if (ev->stats.current_id == res->tag)
        ev->is_recording_ok = 0;
    /* Nothing of it will be kept: it is not listed from now on. */
    event_index_delete(events_store_index(ev->store), res->tag);
}

static void on_closed(struct events *ev, const struct recorder_result *res)
{
    struct event_index *idx = events_store_index(ev->store);
    struct event_record rec;
    events_store_set_busy(ev->store, res->tag, 0);
    if (res->rc < 0 || event_index_get(idx, res->tag, &rec) < 0) {
        /* Not recorded (the failure was reported and its row dropped): the end is still told. */
        memset(&rec, 0, sizeof(rec));
        rec.id = res->tag;
        event_index_delete(idx, res->tag);
        tell(ev, EVENT_END, &rec, NULL, 0);
        return;
    }
    rec.is_done = 1;
    rec.bytes += res->bytes;
    rec.frames = res->frames;
    if (event_index_update(idx, &rec) < 0)
        LOG_ERROR("camera %s: cannot mark event %lld done in the index", ev->camera,
                  (long long)rec.id);
    tell(ev, EVENT_END, &rec, NULL, 1);
}

static void on_file(struct events *ev, const struct recorder_result *res)
{
    struct event_index *idx = events_store_index(ev->store);
    struct event_record rec;
    if (res->rc < 0 || event_index_get(idx, res->tag, &rec) < 0) {
        char dir[1024], path[1200];
        if (res->rc == 0 && events_store_camera_dir(ev->store, ev->camera, dir, sizeof(dir)) == 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, res->name);
            unlink(path); /* its event was discarded meanwhile */
        }
        return;
    }
    rec.bytes += res->bytes;
    event_index_update(idx, &rec);
}

static void on_result(const struct recorder_result *res, void *arg)
{
    struct events *ev = arg;
    if (res->slot != EVENTS_SLOT) {
        if (ev->sink != NULL)
            ev->sink(res, ev->sink_arg);
        return;
    }
    if (res->kind == RECORDER_FAILED)
        on_failed(ev, res);
    else if (res->kind == RECORDER_CLOSED)
        on_closed(ev, res);
    else
        on_file(ev, res);
}

struct events *events_new(struct event_base *base, struct events_store *store,
                          const struct events_config *cfg, char *err, size_t err_size)
{
    struct events *ev = calloc(1, sizeof(*ev));
    char dir[1024];
    if (ev == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    ev->cfg = *cfg;
    ev->store = store;
    snprintf(ev->camera, sizeof(ev->camera), "%s", cfg->camera);
    snprintf(ev->title, sizeof(ev->title), "%s", cfg->camera_title ? cfg->camera_title : "");
    ev->cfg.camera = ev->camera;
    ev->cfg.camera_title = ev->title;
    if (events_store_camera_dir(store, ev->camera, dir, sizeof(dir)) < 0 ||
        (mkdir(dir, 0750) != 0 && errno != EEXIST)) {
        snprintf(err, err_size, "RECORD_DIR: cannot create %s: %s", dir, strerror(errno));
        free(ev);
        return NULL;
    }
    ev->ring = calloc(cfg->preroll_max_frames ? cfg->preroll_max_frames : 1, sizeof(*ev->ring));
    ev->recorder = recorder_new(base, dir, cfg->queue_max_frames, on_result, ev);
    if (ev->ring == NULL || ev->recorder == NULL) {
        snprintf(err, err_size, "cannot start the recorder for %s (memory, thread)", dir);
        events_free(ev);
        return NULL;
    }
    return ev;
}

void events_free(struct events *ev)
{
    if (ev == NULL)
        return;
    if (ev->stats.is_recording)
        end_event(ev);
    recorder_free(ev->recorder); /* finishes the queue and reports: the index is up to date */
    ring_clear(ev);
    free(ev->ring);
    free(ev);
}

void events_set_listener(struct events *ev, event_cb cb, void *arg)
{
    ev->listener = cb;
    ev->listener_arg = arg;
}

void events_on_frame(struct events *ev, struct frame *f, int64_t received_us,
                     const struct motion_result *verdict)
{
    int is_motion = verdict->state == MOTION_DETECTED;
    if (!ev->stats.is_recording) {
        ring_push(ev, f, received_us);
        if (is_motion) {
            ev->last_frame_unix_ms = events_wall_ms(received_us);
            start_event(ev, f, received_us, verdict->changed_pct);
        }
        return;
    }
    ev->last_frame_unix_ms = events_wall_ms(received_us);
    write_frame(ev, f);
    if (is_motion) {
        ev->last_motion_us = received_us;
        if (verdict->changed_pct > ev->cur.peak_pct) {
            ev->cur.peak_pct = verdict->changed_pct;
            frame_unref(ev->peak_frame);
            ev->peak_frame = frame_ref(f);
        }
    }
    if (received_us - ev->last_motion_us >= (int64_t)ev->cfg.quiet_ms * 1000 ||
        received_us - ev->start_us >= (int64_t)ev->cfg.max_event_ms * 1000)
        end_event(ev);
}

void events_get_stats(const struct events *ev, struct events_stats *out)
{
    *out = ev->stats;
    struct recorder_stats rs;
    recorder_get_stats(ev->recorder, &rs);
    out->frames_written = rs.frames_written;
    out->frames_dropped = rs.frames_dropped;
    out->bytes_written = rs.bytes_written;
}

struct recorder *events_recorder(const struct events *ev)
{
    return ev->recorder;
}

void events_set_result_sink(struct events *ev, recorder_result_cb cb, void *arg)
{
    ev->sink = cb;
    ev->sink_arg = arg;
}

const char *events_camera(const struct events *ev)
{
    return ev->camera;
}
