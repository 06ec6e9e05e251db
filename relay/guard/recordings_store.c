#include "recordings_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_index.h"
#include "record_path.h"
#include "recorder_mux.h"
#include "recording_name.h"
#define LOG_TAG "events"
#include "log.h"

#define PATH_MAX_BYTES 1600
#define SETTLE_BATCH 64
#define SETTLE_ROUNDS 64

static int path_of(const char *dir, const char *camera, const char *name, char *out, size_t size)
{
    return snprintf(out, size, "%s/%s/%s", dir, camera, name) < (int)size ? 0 : -ENAMETOOLONG;
}

static void fsync_dir_of(const char *path)
{
    char dir[PATH_MAX_BYTES];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* mkdir the folder of path (one level: the day's folder of a segment). */
static int make_folder_of(const char *path)
{
    char dir[PATH_MAX_BYTES];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    return mkdir(dir, 0750) == 0 || errno == EEXIST ? 0 : -errno;
}

/*
 * The row of a finished file at path (named final), filled from what the file says: frames,
 * bytes, and the end (a segment: its start + duration; a timelapse, whose timestamps are
 * compressed: the file's last change, unless the row already knew its end).
 */
static int fill_done(struct recording_record *row, const char *path, uint32_t frames,
                     int64_t duration_ms)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    row->is_done = 1;
    row->frames = frames;
    row->bytes = (uint64_t)st.st_size;
    if (row->kind == RECORDING_SEGMENT)
        row->end_unix_ms = row->start_unix_ms + duration_ms;
    else if (row->end_unix_ms <= row->start_unix_ms)
        row->end_unix_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return 0;
}

/* Store row: update if it has an id, else insert. */
static int put_row(struct event_index *idx, struct recording_record *row)
{
    return row->id > 0 ? event_index_rec_update(idx, row) : event_index_rec_insert(idx, row);
}

/* The row of camera's final name: the index's, or a new one from the name. Returns 0 or -EINVAL
 * (not one of our names). */
static int row_for(struct event_index *idx, const char *camera, const char *final,
                   struct recording_record *row)
{
    if (event_index_rec_find(idx, camera, final, row) == 0)
        return 0;
    memset(row, 0, sizeof(*row));
    if (recording_name_parse(final, &row->kind, &row->start_unix_ms) < 0)
        return -EINVAL;
    snprintf(row->camera, sizeof(row->camera), "%s", camera);
    snprintf(row->file, sizeof(row->file), "%s", final);
    return 0;
}

static void recover_part(const char *dir, struct event_index *idx, const char *camera,
                         enum recording_kind kind, const char *part_name)
{
    char final[EVENT_FILE_MAX], rel[NAME_MAX + 16]; /* part_name is a whole directory entry */
    char part[PATH_MAX_BYTES], tmp[PATH_MAX_BYTES], path[PATH_MAX_BYTES];
    struct recording_record row;
    int len = snprintf(rel, sizeof(rel), "%s/%s", recording_name_dir(kind), part_name);
    if (len < 0 || (size_t)len >= sizeof(rel) || path_of(dir, camera, rel, part, sizeof(part)) < 0)
        return; /* longer than any name of ours */
    if (recording_name_from_part(kind, part_name, final, sizeof(final)) < 0 ||
        row_for(idx, camera, final, &row) < 0) {
        LOG_WARN("RECORD_DIR: %s: not a part of ours: removed", part);
        unlink(part);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%.*s.recover", (int)(strlen(part) - 5), part);
    path_of(dir, camera, final, path, sizeof(path));
    uint32_t frames = 0;
    int64_t duration_ms = 0;
    int rc = recorder_mux_recover(part, tmp, &frames, &duration_ms);
    if (rc == 0)
        rc = make_folder_of(path);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc == 0) {
        fsync_dir_of(path);
        rc = fill_done(&row, path, frames, duration_ms);
    }
    if (rc == 0)
        rc = put_row(idx, &row);
    unlink(part);
    if (rc < 0) {
        unlink(tmp);
        if (row.id > 0)
            event_index_rec_delete(idx, row.id);
        LOG_WARN("RECORD_DIR: %s: an interrupted recording with nothing readable: removed", part);
        return;
    }
    LOG_INFO("RECORD_DIR: recovered %s of camera %s after a crash (%u frames)", final, camera,
             frames);
}

/* A finished file found while rebuilding the index (final: its name under the camera). */
static void rebuild_one(const char *dir, struct event_index *idx, const char *camera,
                        const char *final)
{
    char path[PATH_MAX_BYTES];
    struct recording_record row;
    uint32_t frames;
    int64_t duration_ms;
    if (path_of(dir, camera, final, path, sizeof(path)) < 0)
        return;
    if (event_index_rec_find(idx, camera, final, &row) == 0)
        return; /* listed already */
    if (row_for(idx, camera, final, &row) < 0 ||
        recorder_mux_probe(path, &frames, &duration_ms) < 0 ||
        fill_done(&row, path, frames, duration_ms) < 0 || put_row(idx, &row) < 0)
        LOG_WARN("RECORD_DIR: %s: not a readable recording: skipped", path);
}

static int ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

/* A folder of finished files ("segments/DAY", "timelapse"): every one into the index. */
static void rebuild_folder(const char *dir, struct event_index *idx, const char *camera,
                           const char *rel)
{
    char path[PATH_MAX_BYTES];
    if (path_of(dir, camera, rel, path, sizeof(path)) < 0 || !record_path_is_dir(path))
        return;
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char final[EVENT_FILE_MAX + 300];
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".mkv"))
            continue;
        if (snprintf(final, sizeof(final), "%s/%s", rel, e->d_name) < EVENT_FILE_MAX)
            rebuild_one(dir, idx, camera, final);
    }
    closedir(d);
}

/* Recover the parts in kind's folder; with is_rebuild, index its finished files (a segment's
 * are in day folders). */
static void scan_kind(const char *dir, struct event_index *idx, const char *camera,
                      enum recording_kind kind, int is_rebuild)
{
    char path[PATH_MAX_BYTES];
    const char *sub = recording_name_dir(kind);
    if (path_of(dir, camera, sub, path, sizeof(path)) < 0 || !record_path_is_dir(path))
        return;
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        char file[PATH_MAX_BYTES + 300];
        snprintf(file, sizeof(file), "%s/%s", path, name);
        if (name[0] == '.' && ends_with(name, ".mkv.part")) {
            recover_part(dir, idx, camera, kind, name);
        } else if (name[0] == '.' && ends_with(name, ".recover")) {
            unlink(file); /* a recovery cut short: its part is still there */
        } else if (is_rebuild && name[0] != '.' && kind == RECORDING_SEGMENT) {
            char day[EVENT_FILE_MAX];
            if (snprintf(day, sizeof(day), "%s/%s", sub, name) < (int)sizeof(day))
                rebuild_folder(dir, idx, camera, day);
        }
    }
    closedir(d);
    if (is_rebuild && kind == RECORDING_TIMELAPSE)
        rebuild_folder(dir, idx, camera, sub);
}

void recordings_store_scan(const char *dir, struct event_index *idx, const char *camera,
                           int is_rebuild)
{
    scan_kind(dir, idx, camera, RECORDING_SEGMENT, is_rebuild);
    scan_kind(dir, idx, camera, RECORDING_TIMELAPSE, is_rebuild);
}

void recordings_store_settle(const char *dir, struct event_index *idx)
{
    struct recording_record rows[SETTLE_BATCH];
    /* Each row is made done or dropped, so each round sees fewer; bounded all the same. */
    for (int round = 0; round < SETTLE_ROUNDS; round++) {
        int n = event_index_rec_unfinished(idx, rows, SETTLE_BATCH);
        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            char path[PATH_MAX_BYTES];
            uint32_t frames;
            int64_t duration_ms;
            if (path_of(dir, rows[i].camera, rows[i].file, path, sizeof(path)) == 0 &&
                recorder_mux_probe(path, &frames, &duration_ms) == 0 &&
                fill_done(&rows[i], path, frames, duration_ms) == 0 &&
                event_index_rec_update(idx, &rows[i]) == 0)
                continue;
            event_index_rec_delete(idx, rows[i].id);
        }
    }
}

int recordings_store_delete(const char *dir, struct event_index *idx, int64_t id)
{
    struct recording_record row;
    int rc = event_index_rec_get(idx, id, &row);
    if (rc < 0)
        return rc;
    if (!row.is_done)
        return -EBUSY;
    char path[PATH_MAX_BYTES];
    if (path_of(dir, row.camera, row.file, path, sizeof(path)) == 0 && unlink(path) != 0 &&
        errno != ENOENT)
        LOG_WARN("cannot delete %s: %s", path, strerror(errno));
    return event_index_rec_delete(idx, id);
}
