#pragma once
/*
 * continuous: one camera's recordings without detection, both off by default:
 *  - segments (RECORD_SEGMENT_S): every frame, in consecutive Matroska files of that length;
 *    a segment ends at the first frame past its length, which begins the next one;
 *  - a timelapse (RECORD_TIMELAPSE_S): one frame every N seconds appended to the day's file,
 *    its timestamps 40 ms apart so it plays at 25 fps; the file is finished at midnight (UTC),
 *    and a restart the same day begins a new numbered file (recording_name.h).
 * Both go through the camera's recorder (recorder.h: its writer thread, slots 1 and 2) with the
 * events' crash safety: a part file, fsync, rename; a part a crash left is recovered at start
 * (events_store.h). Each file has a row in the index (event_index.h, recordings) from its start,
 * done once renamed; retention deletes them with the events, oldest first, never one being
 * written. A full disk stops them (one log line, counted) until EVENTS_RESUME_FREE_BYTES are free.
 * On the event loop only.
 */
#include <stddef.h>
#include <stdint.h>

#include "recorder.h"

struct continuous;
struct events_store;
struct frame;

#define CONTINUOUS_SEGMENT_SLOT 1
#define CONTINUOUS_TIMELAPSE_SLOT 2
#define CONTINUOUS_TIMELAPSE_FRAME_MS 40 /* 25 frames a second */

struct continuous_config {
    const char *camera;   /* its folder under RECORD_DIR (copied) */
    unsigned segment_s;   /* 0: no segments */
    unsigned timelapse_s; /* 0: no timelapse */
};

struct continuous_stats {
    uint64_t segments;         /* segments finished */
    uint64_t timelapse_frames; /* frames queued for timelapse files */
    uint64_t disk_full;        /* stops because the disk was full */
    int is_disk_full;
};

/*
 * New continuous recorder for a camera, writing through rec (borrowed: the camera's events'
 * recorder) into store's folder for the camera. Returns NULL if out of memory.
 */
struct continuous *continuous_new(struct events_store *store, struct recorder *rec,
                                  const struct continuous_config *cfg);

/* One frame of the camera (borrowed; references are taken as needed), received at received_us. */
void continuous_on_frame(struct continuous *c, struct frame *f, int64_t received_us);

/* The recorder's results of slots 1 and 2 (a recorder_result_cb; arg: the continuous). */
void continuous_on_result(const struct recorder_result *res, void *arg);

/* Finish the open segment and timelapse file (their results follow from the recorder). */
void continuous_stop(struct continuous *c);

/* Free (after continuous_stop and after the recorder reported its last results); NULL is a
 * no-op. */
void continuous_free(struct continuous *c);

/* Counters (copied). */
void continuous_get_stats(const struct continuous *c, struct continuous_stats *out);
