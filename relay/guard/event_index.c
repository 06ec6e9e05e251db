#include "event_index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define COLUMNS "id, camera, start_ms, end_ms, peak, bytes, frames, done, file, thumb"

struct event_index {
    sqlite3 *db;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, camera TEXT NOT NULL, start_ms INTEGER NOT NULL,"
    " end_ms INTEGER NOT NULL, peak REAL NOT NULL, bytes INTEGER NOT NULL,"
    " frames INTEGER NOT NULL, done INTEGER NOT NULL, file TEXT NOT NULL, thumb TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_start ON events(start_ms);"
    "CREATE TABLE IF NOT EXISTS recordings ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, camera TEXT NOT NULL, kind INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    " frames INTEGER NOT NULL, done INTEGER NOT NULL, file TEXT NOT NULL,"
    " UNIQUE (camera, file));"
    "CREATE INDEX IF NOT EXISTS recordings_start ON recordings(start_ms);";

struct event_index *event_index_open(const char *path, char *err, size_t err_size)
{
    struct event_index *idx = calloc(1, sizeof(*idx));
    if (idx == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    char *msg = NULL;
    int rc = sqlite3_open_v2(
        path, &idx->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(idx->db, 1000);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(idx->db, schema, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", path,
                 msg       ? msg
                 : idx->db ? sqlite3_errmsg(idx->db)
                           : "cannot open");
        sqlite3_free(msg);
        event_index_close(idx);
        return NULL;
    }
    return idx;
}

void event_index_close(struct event_index *idx)
{
    if (idx == NULL)
        return;
    sqlite3_close(idx->db);
    free(idx);
}

static sqlite3_stmt *prepare(struct event_index *idx, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

/* Bind rec's columns 2..10 (camera .. thumb) to st. */
static void bind_record(sqlite3_stmt *st, const struct event_record *rec)
{
    sqlite3_bind_text(st, 2, rec->camera, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, rec->start_unix_ms);
    sqlite3_bind_int64(st, 4, rec->end_unix_ms);
    sqlite3_bind_double(st, 5, rec->peak_pct);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)rec->bytes);
    sqlite3_bind_int64(st, 7, rec->frames);
    sqlite3_bind_int(st, 8, rec->is_done);
    sqlite3_bind_text(st, 9, rec->file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, rec->thumb, -1, SQLITE_TRANSIENT);
}

static void copy_text(char *out, size_t size, const unsigned char *text)
{
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

static void read_record(sqlite3_stmt *st, struct event_record *out)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    copy_text(out->camera, sizeof(out->camera), sqlite3_column_text(st, 1));
    out->start_unix_ms = sqlite3_column_int64(st, 2);
    out->end_unix_ms = sqlite3_column_int64(st, 3);
    out->peak_pct = sqlite3_column_double(st, 4);
    out->bytes = (uint64_t)sqlite3_column_int64(st, 5);
    out->frames = (uint32_t)sqlite3_column_int64(st, 6);
    out->is_done = sqlite3_column_int(st, 7);
    copy_text(out->file, sizeof(out->file), sqlite3_column_text(st, 8));
    copy_text(out->thumb, sizeof(out->thumb), sqlite3_column_text(st, 9));
}

/* Run a statement that returns no rows; -EEXIST for a constraint, -EIO otherwise. */
static int step_done(struct event_index *idx, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return sqlite3_changes(idx->db) > 0 ? 0 : -ENOENT;
    return rc == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

int event_index_insert(struct event_index *idx, struct event_record *rec)
{
    sqlite3_stmt *st = prepare(idx, "INSERT INTO events (" COLUMNS
                                    ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (st == NULL)
        return -EIO;
    bind_record(st, rec);
    int rc = step_done(idx, st);
    if (rc == 0)
        rec->id = sqlite3_last_insert_rowid(idx->db);
    return rc == -ENOENT ? -EIO : rc;
}

int event_index_put(struct event_index *idx, const struct event_record *rec)
{
    sqlite3_stmt *st = prepare(idx, "INSERT INTO events (" COLUMNS
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, rec->id);
    bind_record(st, rec);
    int rc = step_done(idx, st);
    return rc == -ENOENT ? -EIO : rc;
}

int event_index_update(struct event_index *idx, const struct event_record *rec)
{
    sqlite3_stmt *st =
        prepare(idx, "UPDATE events SET camera=?2, start_ms=?3, end_ms=?4, peak=?5,"
                     " bytes=?6, frames=?7, done=?8, file=?9, thumb=?10 WHERE id=?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, rec->id);
    bind_record(st, rec);
    return step_done(idx, st);
}

int event_index_delete(struct event_index *idx, int64_t id)
{
    sqlite3_stmt *st = prepare(idx, "DELETE FROM events WHERE id=?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return step_done(idx, st);
}

int event_index_get(struct event_index *idx, int64_t id, struct event_record *out)
{
    sqlite3_stmt *st = prepare(idx, "SELECT " COLUMNS " FROM events WHERE id=?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_record(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int event_index_list(struct event_index *idx, const char *camera, int64_t from_ms, int64_t to_ms,
                     struct event_record *out, size_t max)
{
    /* An event overlaps the range if it starts before its end and ends (or runs) after its
     * start; start_ms is indexed, and no event is longer than a day (events.h). */
    sqlite3_stmt *st = prepare(idx, "SELECT " COLUMNS " FROM events WHERE start_ms <= ?2"
                                    " AND start_ms >= ?1 - 86400000"
                                    " AND (end_ms >= ?1 OR end_ms = 0)"
                                    " AND (?3 IS NULL OR camera = ?3)"
                                    " ORDER BY start_ms, id LIMIT ?4");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    if (camera != NULL)
        sqlite3_bind_text(st, 3, camera, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
    size_t n = 0;
    int rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        read_record(st, &out[n++]);
    if (n < max && rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return -EIO;
    }
    sqlite3_finalize(st);
    return (int)n;
}

/* Sum of bytes and count of rows of a table, by the query sql. Returns 0 or -EIO. */
static int totals(struct event_index *idx, const char *sql, uint64_t *bytes, uint64_t *count)
{
    sqlite3_stmt *st = prepare(idx, sql);
    if (st == NULL)
        return -EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *bytes = (uint64_t)sqlite3_column_int64(st, 0);
        *count = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -EIO;
}

int event_index_totals(struct event_index *idx, uint64_t *bytes, uint64_t *count)
{
    return totals(idx, "SELECT COALESCE(SUM(bytes), 0), COUNT(*) FROM events", bytes, count);
}

int event_index_clear(struct event_index *idx)
{
    return sqlite3_exec(idx->db, "DELETE FROM events", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* --- continuous recordings ------------------------------------------------------------- */

#define REC_COLUMNS "id, camera, kind, start_ms, end_ms, bytes, frames, done, file"

static void bind_recording(sqlite3_stmt *st, const struct recording_record *rec)
{
    sqlite3_bind_text(st, 2, rec->camera, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, (int)rec->kind);
    sqlite3_bind_int64(st, 4, rec->start_unix_ms);
    sqlite3_bind_int64(st, 5, rec->end_unix_ms);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)rec->bytes);
    sqlite3_bind_int64(st, 7, rec->frames);
    sqlite3_bind_int(st, 8, rec->is_done);
    sqlite3_bind_text(st, 9, rec->file, -1, SQLITE_TRANSIENT);
}

static void read_recording(sqlite3_stmt *st, struct recording_record *out)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    copy_text(out->camera, sizeof(out->camera), sqlite3_column_text(st, 1));
    out->kind = (enum recording_kind)sqlite3_column_int(st, 2);
    out->start_unix_ms = sqlite3_column_int64(st, 3);
    out->end_unix_ms = sqlite3_column_int64(st, 4);
    out->bytes = (uint64_t)sqlite3_column_int64(st, 5);
    out->frames = (uint32_t)sqlite3_column_int64(st, 6);
    out->is_done = sqlite3_column_int(st, 7);
    copy_text(out->file, sizeof(out->file), sqlite3_column_text(st, 8));
}

int event_index_rec_insert(struct event_index *idx, struct recording_record *rec)
{
    sqlite3_stmt *st = prepare(idx, "INSERT INTO recordings (" REC_COLUMNS
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (st == NULL)
        return -EIO;
    if (rec->id > 0)
        sqlite3_bind_int64(st, 1, rec->id);
    else
        sqlite3_bind_null(st, 1);
    bind_recording(st, rec);
    int rc = step_done(idx, st);
    if (rc == 0)
        rec->id = sqlite3_last_insert_rowid(idx->db);
    return rc == -ENOENT ? -EIO : rc;
}

int event_index_rec_update(struct event_index *idx, const struct recording_record *rec)
{
    sqlite3_stmt *st =
        prepare(idx, "UPDATE recordings SET camera=?2, kind=?3, start_ms=?4,"
                     " end_ms=?5, bytes=?6, frames=?7, done=?8, file=?9 WHERE id=?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, rec->id);
    bind_recording(st, rec);
    return step_done(idx, st);
}

int event_index_rec_delete(struct event_index *idx, int64_t id)
{
    sqlite3_stmt *st = prepare(idx, "DELETE FROM recordings WHERE id=?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return step_done(idx, st);
}

/* Run st (its parameters bound) for at most one row into out: 0, -ENOENT or -EIO. */
static int rec_one(sqlite3_stmt *st, struct recording_record *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_recording(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* Run st (its parameters bound) for at most max rows into out; finalizes it. Returns how many
 * or -EIO. */
static int rec_rows(sqlite3_stmt *st, struct recording_record *out, size_t max)
{
    size_t n = 0;
    int rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        read_recording(st, &out[n++]);
    sqlite3_finalize(st);
    return n < max && rc != SQLITE_DONE ? -EIO : (int)n;
}

int event_index_rec_get(struct event_index *idx, int64_t id, struct recording_record *out)
{
    sqlite3_stmt *st = prepare(idx, "SELECT " REC_COLUMNS " FROM recordings WHERE id=?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return rec_one(st, out);
}

int event_index_rec_find(struct event_index *idx, const char *camera, const char *file,
                         struct recording_record *out)
{
    sqlite3_stmt *st =
        prepare(idx, "SELECT " REC_COLUMNS " FROM recordings WHERE camera=?1 AND file=?2");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, file, -1, SQLITE_TRANSIENT);
    return rec_one(st, out);
}

int event_index_rec_list(struct event_index *idx, const char *camera, enum recording_kind kind,
                         int64_t from_ms, int64_t to_ms, struct recording_record *out, size_t max)
{
    /* As event_index_list: no recording spans more than a day (a segment is at most one, a
     * timelapse file ends at midnight). */
    sqlite3_stmt *st = prepare(idx, "SELECT " REC_COLUMNS " FROM recordings WHERE start_ms <= ?2"
                                    " AND start_ms >= ?1 - 86400000"
                                    " AND (end_ms >= ?1 OR done = 0)"
                                    " AND (?3 IS NULL OR camera = ?3) AND (?4 = 0 OR kind = ?4)"
                                    " ORDER BY start_ms, id LIMIT ?5");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    if (camera != NULL)
        sqlite3_bind_text(st, 3, camera, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int(st, 4, (int)kind);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)max);
    return rec_rows(st, out, max);
}

int event_index_rec_unfinished(struct event_index *idx, struct recording_record *out, size_t max)
{
    sqlite3_stmt *st =
        prepare(idx, "SELECT " REC_COLUMNS " FROM recordings WHERE done = 0 ORDER BY id LIMIT ?1");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
    return rec_rows(st, out, max);
}

int event_index_rec_totals(struct event_index *idx, uint64_t *bytes, uint64_t *count)
{
    return totals(idx, "SELECT COALESCE(SUM(bytes), 0), COUNT(*) FROM recordings", bytes, count);
}
