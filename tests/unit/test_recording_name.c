/* Unit tests for relay/guard/recording_name: the names of segments and timelapse files, their
 * parts, and reading them back (the index is rebuilt from them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "recording_name.h"

/* 2026-12-07 21:45:14.250 UTC */
#define T_MS 1796679914250LL
#define DAY_MS 86400000LL

static void test_recording_name_segment_and_timelapse(void **state)
{
    (void)state;
    char name[128];
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, T_MS, 1, name, sizeof(name)), 0);
    assert_string_equal(name, "segments/2026-12-07/214514.mkv");
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, T_MS, 2, name, sizeof(name)), 0);
    assert_string_equal(name, "segments/2026-12-07/214514-2.mkv");
    assert_int_equal(recording_name_make(RECORDING_TIMELAPSE, T_MS, 1, name, sizeof(name)), 0);
    assert_string_equal(name, "timelapse/2026-12-07.mkv");
    assert_int_equal(recording_name_make(RECORDING_TIMELAPSE, T_MS, 3, name, sizeof(name)), 0);
    assert_string_equal(name, "timelapse/2026-12-07-3.mkv");
    /* Midnight UTC begins the next day's names. */
    int64_t midnight = (T_MS / DAY_MS + 1) * DAY_MS;
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, midnight, 1, name, sizeof(name)), 0);
    assert_string_equal(name, "segments/2026-12-08/000000.mkv");
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, midnight - 1, 1, name, sizeof(name)),
                     0);
    assert_string_equal(name, "segments/2026-12-07/235959.mkv");
    assert_int_equal(recording_name_day(midnight) - recording_name_day(midnight - 1), 1);
    assert_int_equal(recording_name_day(0), 0);
    assert_int_equal(recording_name_day(-1), -1);
}

static void test_recording_name_refuses_what_it_cannot_name(void **state)
{
    (void)state;
    char name[128], small[10];
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, T_MS, 0, name, sizeof(name)), -EINVAL);
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, -1000, 1, name, sizeof(name)), -EINVAL);
    assert_int_equal(
        recording_name_make(RECORDING_SEGMENT, 253402300800000LL, 1, name, sizeof(name)), -EINVAL);
    assert_int_equal(recording_name_make(RECORDING_SEGMENT, T_MS, 1, small, sizeof(small)),
                     -ENAMETOOLONG);
    assert_int_equal(recording_name_part("nofolder.mkv", name, sizeof(name)), -EINVAL);
}

static void test_recording_name_parts_round_trip(void **state)
{
    (void)state;
    char part[128], back[128];
    assert_int_equal(recording_name_part("segments/2026-12-07/214514.mkv", part, sizeof(part)), 0);
    assert_string_equal(part, "segments/.2026-12-07_214514.mkv.part");
    assert_int_equal(recording_name_from_part(RECORDING_SEGMENT, part + 9, back, sizeof(back)), 0);
    assert_string_equal(back, "segments/2026-12-07/214514.mkv");
    assert_int_equal(recording_name_part("timelapse/2026-12-07-2.mkv", part, sizeof(part)), 0);
    assert_string_equal(part, "timelapse/.2026-12-07-2.mkv.part");
    assert_int_equal(recording_name_from_part(RECORDING_TIMELAPSE, part + 10, back, sizeof(back)),
                     0);
    assert_string_equal(back, "timelapse/2026-12-07-2.mkv");
    /* Anything else is not a part of ours. */
    const char *bad[] = {"2026-12-07_214514.mkv.part",
                         ".2026-12-07_214514.mkv",
                         ".x.mkv.part",
                         ".2026-12-07_214514.mkv.part/x",
                         ".part",
                         ".2026-12-07.mkv.part"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(recording_name_from_part(RECORDING_SEGMENT, bad[i], back, sizeof(back)),
                         -EINVAL);
    /* A segment's part is not a timelapse's. */
    assert_int_equal(recording_name_from_part(RECORDING_TIMELAPSE, ".2026-12-07_214514.mkv.part",
                                              back, sizeof(back)),
                     -EINVAL);
}

static void test_recording_name_parse(void **state)
{
    (void)state;
    enum recording_kind kind;
    int64_t start;
    assert_int_equal(recording_name_parse("segments/2026-12-07/214514.mkv", &kind, &start), 0);
    assert_int_equal(kind, RECORDING_SEGMENT);
    assert_int_equal(start, T_MS / 1000 * 1000);
    assert_int_equal(recording_name_parse("segments/2026-12-07/214514-12.mkv", &kind, &start), 0);
    assert_int_equal(start, T_MS / 1000 * 1000);
    assert_int_equal(recording_name_parse("timelapse/2026-12-07-2.mkv", &kind, &start), 0);
    assert_int_equal(kind, RECORDING_TIMELAPSE);
    assert_int_equal(start, T_MS / DAY_MS * DAY_MS);
    const char *bad[] = {
        "segments/2026-12-07/246000.mkv",   "segments/2026-02-30/101500.mkv",
        "segments/2026-12-07/21451.mkv",    "segments/2026-12-07/214514.mp4",
        "segments/2026-12-07/214514-1.mkv", "segments/2026-12-07/214514-02.mkv",
        "segments/2026-12-07.mkv",          "timelapse/2026-12-07/214514.mkv",
        "timelapse/1969-12-31.mkv",         "events/2026-12-07.mkv",
        "segments/2026-12-07/214514.mkvx",  "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (recording_name_parse(bad[i], &kind, &start) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recording_name_segment_and_timelapse),
        cmocka_unit_test(test_recording_name_refuses_what_it_cannot_name),
        cmocka_unit_test(test_recording_name_parts_round_trip),
        cmocka_unit_test(test_recording_name_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
