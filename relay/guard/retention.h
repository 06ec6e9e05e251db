#pragma once
/*
 * retention: which recordings to delete so the recording directory stays within its limits (by
 * age, by total size, and a minimum of free disk), oldest first, never the event being written.
 * A pure function: the caller lists the events, measures the disk and deletes what it is told.
 */
#include <stddef.h>
#include <stdint.h>

/* Limits, 0 = none. A plain value type. */
struct retention_limits {
    uint64_t max_age_ms;      /* RECORD_MAX_AGE_S */
    uint64_t max_total_bytes; /* RECORD_MAX_BYTES */
    uint64_t min_free_bytes;  /* RECORD_MIN_FREE_BYTES */
};

/* One recorded event as retention sees it. */
struct retention_item {
    int64_t id;
    int64_t start_unix_ms;
    uint64_t bytes;
    int is_current; /* being written: never deleted */
};

/*
 * Pick what to delete from items (n of them, oldest first), given the directory's total bytes
 * and the disk's free bytes now, and the wall clock now_ms. Stores at most max ids in out,
 * oldest first, and returns how many. Each deletion counts as freeing its bytes.
 */
size_t retention_pick(const struct retention_item *items, size_t n,
                      const struct retention_limits *lim, int64_t now_ms, uint64_t total_bytes,
                      uint64_t free_bytes, int64_t *out, size_t max);
