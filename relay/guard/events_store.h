#pragma once
/*
 * events_store: the recording directory (RECORD_DIR) of the whole relay: its event index, what
 * a crash left behind, retention, and deleting events.
 *
 * Layout: RECORD_DIR/events.db (the index, SQLite WAL) and one folder per camera with its
 * recordings (events.h names them). At open: temporary recordings a crash left are recovered
 * (every frame still readable is copied into a finished file) or removed; index rows without a
 * file are dropped; a lost index is rebuilt from the file names, each file opened once (a
 * corrupt one is skipped with a log line). The continuous recordings (continuous.h) in the
 * camera folders' segments/ and timelapse/ get the same (recordings_store.h). Then a timer applies
 * retention every check_interval_ms: oldest first, never an event being recorded. On the event loop
 * only.
 */
#include <stddef.h>
#include <stdint.h>

#include "retention.h"

struct event_base;
struct event_index;
struct events_store;

struct events_store_config {
    const char *dir; /* RECORD_DIR: must exist and be writable */
    struct retention_limits limits;
    unsigned check_interval_ms; /* RECORD_CHECK_INTERVAL_MS */
};

/* Open the store. Returns NULL with err set ("RECORD_DIR: PATH: reason"). */
struct events_store *events_store_open(struct event_base *base,
                                       const struct events_store_config *cfg, char *err,
                                       size_t err_size);

/* Close; NULL is a no-op. Every events object using it must be freed first. */
void events_store_close(struct events_store *s);

/* The index (borrowed). */
struct event_index *events_store_index(struct events_store *s);

/* The directory of a camera's recordings: RECORD_DIR/camera, into out. Returns 0 or
 * -ENAMETOOLONG. */
int events_store_camera_dir(const struct events_store *s, const char *camera, char *out,
                            size_t size);

/* Mark an event as being recorded (never deleted) or not. At most 64 at once; returns 0 or
 * -ENOSPC. */
int events_store_set_busy(struct events_store *s, int64_t id, int is_busy);

/* Delete an event: its files, then its row. Returns 0, -ENOENT, -EBUSY (being recorded) or
 * -EIO. */
int events_store_delete(struct events_store *s, int64_t id);

/* Apply retention now (also run by the timer) to events and continuous recordings together,
 * oldest first. Returns the number of files deleted. */
int events_store_apply_retention(struct events_store *s);

/* Free bytes on the recording disk (for an unprivileged user), or 0 if unknown. */
uint64_t events_store_free_bytes(const struct events_store *s);

/* Take one of max replay slots (1) or give one back (0). Returns 0, or -EBUSY when all are
 * taken. */
int events_store_replay_slot(struct events_store *s, int is_take, unsigned max);

struct events_store_stats {
    uint64_t events;     /* in the index */
    uint64_t recordings; /* continuous recordings (segments, timelapse files) in the index */
    uint64_t bytes;      /* of all recordings, events' and continuous */
    uint64_t free_bytes; /* on the disk */
    uint64_t deleted;    /* by retention since start */
};

/* Counters (filled into *out). */
void events_store_get_stats(struct events_store *s, struct events_store_stats *out);
