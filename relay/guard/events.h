#pragma once
/*
 * events: one camera's motion events, from the detector's verdicts to finished recordings.
 *
 * While nothing happens it keeps the last preroll_ms of frames as a bounded ring of references
 * (no copies). On motion an event starts: it is indexed (event_index.h), the pre-roll and every
 * following frame go to the camera's recorder (recorder.h: its own thread), and the listener
 * hears EVENT_START. After quiet_ms without motion (or max_event_ms in all) the recording is
 * closed and renamed to its final name, the frame with the most motion becomes the thumbnail,
 * and the listener hears EVENT_END. A lighting recalibration or a servo pause neither starts nor
 * ends an event: a running one goes on until quiet_ms of frames judged still.
 *
 * Files in the camera's folder: "ev-ID-STARTMS-ENDMS-PEAK.mkv" (PEAK: per-mille of the picture),
 * "ev-ID.jpg"; while recording ".ev-ID.mkv.part". The names carry everything the index holds,
 * so the index can be rebuilt from them (events_store.h).
 * On the event loop only.
 */
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "motion.h"
#include "recorder.h"

/* Recording resumes after a full disk once this much is free again. */
#define EVENTS_RESUME_FREE_BYTES (16ull << 20)

struct event_base;
struct events;
struct events_store;
struct frame;

struct events_config {
    const char *camera;        /* name ([a-z0-9_-]), also the folder under RECORD_DIR */
    const char *camera_title;  /* display title */
    unsigned preroll_ms;       /* RECORD_PREROLL_MS */
    unsigned quiet_ms;         /* RECORD_QUIET_MS: an event ends after this long without motion */
    unsigned max_event_ms;     /* RECORD_MAX_EVENT_MS: a longer event is closed and a new begins */
    size_t preroll_max_frames; /* bound of the pre-roll ring */
    size_t queue_max_frames;   /* bound of the recorder's queue (RECORD_QUEUE_FRAMES) */
    unsigned segment_s;        /* RECORD_SEGMENT_S: continuous segments (continuous.h); 0 = off */
    unsigned timelapse_s;      /* RECORD_TIMELAPSE_S: a timelapse frame this often; 0 = off */
};

struct events_stats {
    uint64_t events;         /* events started */
    uint64_t disk_full;      /* recordings stopped because the disk was full */
    int is_recording;        /* an event is open now */
    int is_disk_full;        /* recording is stopped until space returns */
    int64_t current_id;      /* the open event's id, 0 if none */
    uint64_t frames_written; /* recorder counters */
    uint64_t frames_dropped;
    uint64_t bytes_written;
};

/*
 * New event keeper for one camera, recording into the store's folder for it (created if
 * needed). store is borrowed and must outlive it. Returns NULL with err set.
 */
struct events *events_new(struct event_base *base, struct events_store *store,
                          const struct events_config *cfg, char *err, size_t err_size);

/* Close an open event (its recording is finished and indexed), stop the recorder, free.
 * NULL is a no-op. */
void events_free(struct events *ev);

/* Register the listener (NULL to remove): called with EVENT_START and EVENT_END. */
void events_set_listener(struct events *ev, event_cb cb, void *arg);

/*
 * One frame of the camera (borrowed; references are taken as needed), received at received_us
 * (CLOCK_MONOTONIC), with the detector's verdict on it.
 */
void events_on_frame(struct events *ev, struct frame *f, int64_t received_us,
                     const struct motion_result *verdict);

/* Counters and state (copied). */
void events_get_stats(const struct events *ev, struct events_stats *out);

/*
 * The camera's recorder (borrowed; freed by events_free), which also writes its continuous
 * recordings in slots 1 and 2 (continuous.h). Their results go to the sink set here (NULL: none),
 * also while events_free finishes the queue.
 */
struct recorder *events_recorder(const struct events *ev);
void events_set_result_sink(struct events *ev, recorder_result_cb cb, void *arg);

/* The wall clock (Unix ms) of a frame received at received_us (CLOCK_MONOTONIC). */
int64_t events_wall_ms(int64_t received_us);

/* The camera's name as configured. */
const char *events_camera(const struct events *ev);
