#pragma once
/*
 * recorder: writes recordings and thumbnails on its own thread, so a slow disk (an SD card
 * stalling for seconds) never stalls the event loop and its viewers.
 *
 * The loop queues jobs (open a recording, a frame, close it, write a JPEG file); the writer
 * thread does the blocking I/O (recorder_mux.h) and hands every job back through an eventfd,
 * and the loop then drops the frame reference and reports results. The queue is bounded: past
 * max_frames frames waiting, a frame is dropped and counted, never queued. Frames are shared,
 * not copied: the queue holds a reference per frame; the writer thread only reads the JPEG
 * bytes (immutable once published) and never touches a reference count, because the last
 * frame_unref also frees a libevent file segment, which is not thread-safe (see
 * docs/ARCHITECTURE.md, "Recording").
 *
 * Up to RECORDER_SLOTS recordings are open at once, one per slot (a camera's event, its
 * continuous segment and its timelapse: continuous.h), all written by the one thread in the
 * order queued. Names are relative to the recorder's directory and may have folders
 * ("segments/2026-12-07/101500.mkv"): the writer creates missing ones. Every function is called
 * on the loop thread.
 */
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct frame;
struct recorder;

#define RECORDER_NAME_MAX 128
#define RECORDER_SLOTS 3

enum recorder_result_kind {
    RECORDER_FAILED = 1, /* the open recording hit its first error (rc); it will be discarded */
    RECORDER_CLOSED = 2, /* a recording was finished and renamed (rc 0), or discarded (rc < 0) */
    RECORDER_FILE = 3,   /* a JPEG file was written (rc 0) or not */
};

struct recorder_result {
    enum recorder_result_kind kind;
    unsigned slot;  /* FAILED, CLOSED: the recording's slot; FILE: 0 */
    int64_t tag;    /* the caller's tag given with the job (an event id) */
    int rc;         /* 0 or a negative errno (-ENOSPC: disk full) */
    uint64_t bytes; /* CLOSED: the file's size */
    uint32_t frames;
    const char *name; /* the file's name in the directory (borrowed for the call) */
};

/* Called on the loop for each result; `arg` as given to recorder_new. */
typedef void (*recorder_result_cb)(const struct recorder_result *res, void *arg);

struct recorder_stats {
    uint64_t frames_written;
    uint64_t frames_dropped; /* queue full, or refused while no recording is open */
    uint64_t bytes_written;  /* finished recordings and files */
    uint64_t failures;
};

/*
 * New recorder writing into dir (copied; must exist) with its writer thread. At most max_frames
 * frames wait at once. Returns NULL on failure (thread, eventfd, memory).
 */
struct recorder *recorder_new(struct event_base *base, const char *dir, size_t max_frames,
                              recorder_result_cb cb, void *arg);

/*
 * Finish every queued job, stop the thread, report the last results (the callback runs from
 * here), free. A recording still open is finished but keeps its temporary name: the next start
 * recovers it. NULL is a no-op.
 */
void recorder_free(struct recorder *r);

/* Start slot's recording (slot < RECORDER_SLOTS) into dir/tmp_name tagged `tag`. Returns 0,
 * -EINVAL (slot) or -ENOBUFS (queue full). */
int recorder_open(struct recorder *r, unsigned slot, const char *tmp_name, int64_t tag);

/* Queue a frame for slot's recording (a reference is taken) shown at pts_ms. Returns 0 or
 * -ENOBUFS (dropped). */
int recorder_write(struct recorder *r, unsigned slot, struct frame *f, int64_t pts_ms);

/* Finish slot's open recording and rename it to final_name; a RECORDER_CLOSED result follows.
 * Returns 0 or -ENOBUFS. */
int recorder_close(struct recorder *r, unsigned slot, const char *final_name);

/* Write f's JPEG to dir/name atomically (temporary, fsync, rename); a RECORDER_FILE result
 * follows. Returns 0 or -ENOBUFS. */
int recorder_write_file(struct recorder *r, struct frame *f, const char *name, int64_t tag);

/* Counters (copied). */
void recorder_get_stats(const struct recorder *r, struct recorder_stats *out);

/* Frames waiting in the queue now. */
size_t recorder_queued(const struct recorder *r);
