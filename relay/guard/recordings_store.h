#pragma once
/*
 * recordings_store: the continuous recordings' side of RECORD_DIR (continuous.h names the files),
 * used by events_store at open and for retention. Blocking file I/O at start-up (recovery,
 * rebuild), unlink on the loop afterwards, as for events.
 */
#include <stddef.h>
#include <stdint.h>

struct event_index;

/*
 * Camera `camera`'s folders under dir: each part a crash left (".DAY_HHMMSS.mkv.part") is
 * recovered into its final name (every readable frame copied; a part with none is removed) and
 * its row made done (added if the index lost it); leftover ".recover" files go. With is_rebuild,
 * every finished file gets a row too (an unreadable one is skipped with a log line).
 */
void recordings_store_scan(const char *dir, struct event_index *idx, const char *camera,
                           int is_rebuild);

/*
 * After every camera's scan: rows still not done (a crash after the rename, before the index
 * heard of it) are made done if their file is there and readable, else dropped.
 */
void recordings_store_settle(const char *dir, struct event_index *idx);

/* Delete recording id: its file, then its row. Returns 0, -ENOENT, -EBUSY (being written) or
 * -EIO. */
int recordings_store_delete(const char *dir, struct event_index *idx, int64_t id);
