/* Unit tests for relay/guard/event_index (SQLite) and retention: rows, ranges, ids, ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/tmpdir.h"
#include "event_index.h"
#include "retention.h"

#define DAY_MS 86400000LL
#define T0 1765000000000LL /* a wall clock in 2025, ms */

static struct event_record rec(const char *camera, int64_t start, int64_t end, uint64_t bytes)
{
    struct event_record r = {.start_unix_ms = start,
                             .end_unix_ms = end,
                             .bytes = bytes,
                             .is_done = end != 0,
                             .peak_pct = 12.5,
                             .frames = 30};
    snprintf(r.camera, sizeof(r.camera), "%s", camera);
    snprintf(r.file, sizeof(r.file), "f%lld.mkv", (long long)start);
    return r;
}

static void test_event_index_rows_and_ranges(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/events.db", dir);
    struct event_index *idx = event_index_open(path, err, sizeof(err));
    assert_non_null(idx);
    struct event_record a = rec("garden", T0, T0 + 20000, 1000);
    struct event_record b = rec("garden", T0 + DAY_MS, 0, 0); /* still recording */
    struct event_record c = rec("door", T0 + 60000, T0 + 70000, 500);
    assert_int_equal(event_index_insert(idx, &a), 0);
    assert_int_equal(event_index_insert(idx, &b), 0);
    assert_int_equal(event_index_insert(idx, &c), 0);
    assert_true(a.id > 0 && b.id > a.id && c.id > b.id);

    struct event_record out[8];
    assert_int_equal(event_index_list(idx, NULL, T0, T0 + DAY_MS, out, 8), 3);
    assert_int_equal(out[0].id, a.id); /* oldest first */
    assert_int_equal(out[1].id, c.id);
    assert_string_equal(out[1].camera, "door");
    assert_int_equal(event_index_list(idx, "garden", T0 + 10000, T0 + 15000, out, 8), 1);
    assert_int_equal(out[0].id, a.id); /* overlaps the range though it started before */
    assert_int_equal(event_index_list(idx, NULL, T0 + 30000, T0 + 40000, out, 8), 0);
    assert_int_equal(event_index_list(idx, NULL, 0, INT64_MAX / 2, out, 2), 2);

    b.end_unix_ms = b.start_unix_ms + 5000;
    b.is_done = 1;
    b.bytes = 700;
    assert_int_equal(event_index_update(idx, &b), 0);
    struct event_record got;
    assert_int_equal(event_index_get(idx, b.id, &got), 0);
    assert_int_equal(got.end_unix_ms, b.end_unix_ms);
    assert_true(got.is_done);
    assert_string_equal(got.file, b.file);
    uint64_t bytes, count;
    assert_int_equal(event_index_totals(idx, &bytes, &count), 0);
    assert_int_equal(bytes, 2200);
    assert_int_equal(count, 3);

    /* Ids are never reused, even after the newest is deleted or the index reopened. */
    assert_int_equal(event_index_delete(idx, c.id), 0);
    assert_int_equal(event_index_delete(idx, c.id), -ENOENT);
    assert_int_equal(event_index_get(idx, c.id, &got), -ENOENT);
    event_index_close(idx);
    idx = event_index_open(path, err, sizeof(err));
    assert_non_null(idx);
    struct event_record d = rec("door", T0 + 90000, 0, 0);
    assert_int_equal(event_index_insert(idx, &d), 0);
    assert_true(d.id > c.id);
    /* A rebuild puts rows back with their own ids. */
    assert_int_equal(event_index_clear(idx), 0);
    assert_int_equal(event_index_put(idx, &a), 0);
    assert_int_equal(event_index_put(idx, &a), -EEXIST);
    assert_int_equal(event_index_list(idx, NULL, 0, INT64_MAX / 2, out, 8), 1);
    event_index_close(idx);
    event_index_close(NULL);
    ts_tmpdir_free(dir);
}

static void test_event_index_refuses_a_foreign_file(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    char path[512], err[256];
    assert_int_equal(
        ts_file_write(dir, "events.db", "not a database, just text\n", path, sizeof(path)), 0);
    assert_null(event_index_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "events.db"));
    ts_tmpdir_free(dir);
}

static void test_retention_oldest_first_never_current(void **state)
{
    (void)state;
    struct retention_item items[] = {
        {.id = 1, .start_unix_ms = T0, .bytes = 100},
        {.id = 2, .start_unix_ms = T0 + 1000, .bytes = 100, .is_current = 1},
        {.id = 3, .start_unix_ms = T0 + 2000, .bytes = 100},
        {.id = 4, .start_unix_ms = T0 + 3000, .bytes = 100},
    };
    int64_t out[4];
    struct retention_limits size = {.max_total_bytes = 250};
    /* 400 bytes, 250 allowed: the two oldest that may go, skipping the one being written. */
    assert_int_equal(retention_pick(items, 4, &size, T0 + 5000, 400, 1 << 30, out, 4), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 3);
    struct retention_limits age = {.max_age_ms = 2500};
    assert_int_equal(retention_pick(items, 4, &age, T0 + 5000, 400, 1 << 30, out, 4), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 3);
    struct retention_limits disk = {.min_free_bytes = 1000};
    assert_int_equal(retention_pick(items, 4, &disk, T0, 400, 850, out, 4), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 3);
    /* Within every limit: nothing; and the output bound holds. */
    struct retention_limits all = {
        .max_age_ms = DAY_MS, .max_total_bytes = 1000, .min_free_bytes = 10};
    assert_int_equal(retention_pick(items, 4, &all, T0 + 5000, 400, 1 << 30, out, 4), 0);
    assert_int_equal(retention_pick(items, 4, &disk, T0, 400, 0, out, 1), 1);
    struct retention_limits none = {0};
    assert_int_equal(retention_pick(items, 4, &none, T0 + DAY_MS, 400, 0, out, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_index_rows_and_ranges),
        cmocka_unit_test(test_event_index_refuses_a_foreign_file),
        cmocka_unit_test(test_retention_oldest_first_never_current),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
