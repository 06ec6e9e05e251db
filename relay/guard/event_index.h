#pragma once
/*
 * event_index: the list of recorded events in SQLite (WAL mode), so listing a year of events by
 * time range is one indexed query. The recordings are the truth: the index can be dropped and
 * rebuilt from the files (events_store.h), and a row is only "done" once its file was renamed
 * into place.
 *
 * Single-threaded: used on the event loop only. Queries are small (a row per event) and WAL with
 * synchronous=NORMAL commits without an fsync; measured in docs/ARCHITECTURE.md.
 */
#include <stddef.h>
#include <stdint.h>

struct event_index;

#define EVENT_CAMERA_MAX 64
#define EVENT_FILE_MAX 128

/* One event as stored: a plain value type (public layout on purpose). */
struct event_record {
    int64_t id;
    char camera[EVENT_CAMERA_MAX]; /* camera name, also its subfolder of RECORD_DIR */
    int64_t start_unix_ms;
    int64_t end_unix_ms;        /* 0 while recording */
    double peak_pct;            /* largest changed share of the picture, 0..100 */
    uint64_t bytes;             /* recording + thumbnail */
    uint32_t frames;            /* frames in the recording */
    int is_done;                /* 0: being recorded (or left by a crash) */
    char file[EVENT_FILE_MAX];  /* recording's file name in the camera's folder ("" while open) */
    char thumb[EVENT_FILE_MAX]; /* thumbnail's file name, "" if none */
};

/*
 * Open (creating if needed) the index at path. Returns NULL with err set ("PATH: reason") if
 * SQLite cannot open it or it is not an index of ours.
 */
struct event_index *event_index_open(const char *path, char *err, size_t err_size);

/* Close; event_index_close(NULL) is a no-op. */
void event_index_close(struct event_index *idx);

/* Insert rec (its id is chosen: larger than any before, also deleted ones). Sets rec->id.
 * Returns 0 or -EIO. */
int event_index_insert(struct event_index *idx, struct event_record *rec);

/* Insert rec with its own id (a rebuild from the files). Returns 0, -EEXIST or -EIO. */
int event_index_put(struct event_index *idx, const struct event_record *rec);

/* Replace the row with rec's id. Returns 0, -ENOENT or -EIO. */
int event_index_update(struct event_index *idx, const struct event_record *rec);

/* Delete by id. Returns 0, -ENOENT or -EIO. */
int event_index_delete(struct event_index *idx, int64_t id);

/* Fetch by id into *out. Returns 0, -ENOENT or -EIO. */
int event_index_get(struct event_index *idx, int64_t id, struct event_record *out);

/*
 * Events of `camera` (NULL: all) that overlap [from_ms, to_ms] (unix ms), oldest first, at most
 * max into out. Returns the number stored (0..max) or -EIO.
 */
int event_index_list(struct event_index *idx, const char *camera, int64_t from_ms, int64_t to_ms,
                     struct event_record *out, size_t max);

/* Total bytes of every event, and the number of events. Returns 0 or -EIO. */
int event_index_totals(struct event_index *idx, uint64_t *bytes, uint64_t *count);

/*
 * Continuous recordings (continuous.h): segments and daily timelapse files, in a table of their
 * own beside the events, with the same rules (the files are the truth; rebuilt from them).
 */
enum recording_kind { RECORDING_SEGMENT = 1, RECORDING_TIMELAPSE = 2 };

/* One continuous recording as stored: a plain value type (public layout on purpose). */
struct recording_record {
    int64_t id;
    char camera[EVENT_CAMERA_MAX];
    enum recording_kind kind;
    int64_t start_unix_ms; /* wall clock of the first frame */
    int64_t end_unix_ms;   /* of the last frame so far */
    uint64_t bytes;        /* the file's size once done */
    uint32_t frames;
    int is_done;               /* 0: being written (or left by a crash) */
    char file[EVENT_FILE_MAX]; /* final path under the camera's folder, "segments/DAY/HHMMSS.mkv" */
};

/* Insert rec; with rec->id 0 an id is chosen and stored in rec->id. Returns 0, -EEXIST (the
 * camera's file is listed already) or -EIO. */
int event_index_rec_insert(struct event_index *idx, struct recording_record *rec);

/* Replace the row with rec's id. Returns 0, -ENOENT or -EIO. */
int event_index_rec_update(struct event_index *idx, const struct recording_record *rec);

/* Delete by id. Returns 0, -ENOENT or -EIO. */
int event_index_rec_delete(struct event_index *idx, int64_t id);

/* Fetch by id, or by camera and file, into *out. Returns 0, -ENOENT or -EIO. */
int event_index_rec_get(struct event_index *idx, int64_t id, struct recording_record *out);
int event_index_rec_find(struct event_index *idx, const char *camera, const char *file,
                         struct recording_record *out);

/*
 * Recordings of `camera` (NULL: all) of `kind` (0: both) that overlap [from_ms, to_ms], oldest
 * first, at most max into out. Returns the number stored or -EIO.
 */
int event_index_rec_list(struct event_index *idx, const char *camera, enum recording_kind kind,
                         int64_t from_ms, int64_t to_ms, struct recording_record *out, size_t max);

/* Recordings not done (being written, or left by a crash), at most max. Returns how many or
 * -EIO. */
int event_index_rec_unfinished(struct event_index *idx, struct recording_record *out, size_t max);

/* Total bytes of every recording, and their number. Returns 0 or -EIO. */
int event_index_rec_totals(struct event_index *idx, uint64_t *bytes, uint64_t *count);

/* Delete every row (before a rebuild). Returns 0 or -EIO. */
int event_index_clear(struct event_index *idx);
