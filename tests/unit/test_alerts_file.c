/* Unit tests for relay/notify/alerts_file (ALERTS_FILE: the snooze kept across restarts) and
 * alerts_snooze_until: written atomically and read back, a missing file is no snooze, a bad
 * line is named, and a snooze read back never lasts longer than a day from now. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../support/tmpdir.h"
#include "alerts.h"
#include "alerts_file.h"

static int make_dir(void **state)
{
    *state = ts_tmpdir_new();
    return *state != NULL ? 0 : -1;
}

static int free_dir(void **state)
{
    ts_tmpdir_free(*state);
    return 0;
}

static void test_alerts_file_round_trip(void **state)
{
    const char *dir = *state;
    char path[600], err[700];
    snprintf(path, sizeof(path), "%s/alerts", dir);
    int64_t until = 42;
    /* No file yet: no snooze, no error. */
    assert_int_equal(alerts_file_read(path, &until, err, sizeof(err)), 0);
    assert_int_equal(until, 0);
    assert_int_equal(alerts_file_write(path, 1797033600), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(alerts_file_read(path, &until, err, sizeof(err)), 0);
    assert_int_equal(until, 1797033600);
    assert_int_equal(alerts_file_write(path, 0), 0);
    assert_int_equal(alerts_file_read(path, &until, err, sizeof(err)), 0);
    assert_int_equal(until, 0);
}

static void test_alerts_file_bad_lines_named(void **state)
{
    const char *dir = *state;
    static const char *const cases[][2] = {
        {"# x\nsnoozed_until=12a\n", ":2: snoozed_until: expected Unix seconds"},
        {"armed=1\n", ":1: unknown key"},
        {"\n\nsnoozed\n", ":3: expected snoozed_until=SECONDS"},
        {"snoozed_until=\n", ":1: snoozed_until: expected Unix seconds"},
        {"snoozed_until=1234567890123456\n", ":1: snoozed_until: expected Unix seconds"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[600], err[700];
        assert_int_equal(ts_file_write(dir, "alerts", cases[i][0], path, sizeof(path)), 0);
        int64_t until = 7;
        assert_int_equal(alerts_file_read(path, &until, err, sizeof(err)), -EINVAL);
        if (strstr(err, cases[i][1]) == NULL)
            fail_msg("%s: got \"%s\"", cases[i][1], err);
    }
    /* Blanks, comments and CRLF are fine. */
    int64_t until = 0;
    unsigned line;
    const char *reason;
    const char text[] = "  # c\r\n\r\n\tsnoozed_until=99 \r\n";
    assert_int_equal(alerts_file_parse(text, sizeof(text) - 1, &until, &line, &reason), 0);
    assert_int_equal(until, 99);
}

static void test_alerts_snooze_until_bounds(void **state)
{
    (void)state;
    char err[256];
    struct alerts *a = alerts_new("", err, sizeof(err));
    assert_non_null(a);
    const int64_t now = 1797000000;
    assert_int_equal(alerts_snooze_until(a, now, now + 600), 0);
    assert_int_equal(alerts_snoozed_until(a, now), now + 600);
    assert_false(alerts_is_armed(a, now));
    /* Past, or none: no snooze. */
    assert_int_equal(alerts_snooze_until(a, now, now - 1), 0);
    assert_int_equal(alerts_snoozed_until(a, now), 0);
    assert_true(alerts_is_armed(a, now));
    /* Longer than a day from now (a clock set back, a hand-edited file): refused, unchanged. */
    assert_int_equal(alerts_snooze_until(a, now, now + ALERTS_SNOOZE_MAX_S + 1), -EINVAL);
    assert_int_equal(alerts_snoozed_until(a, now), 0);
    alerts_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alerts_file_round_trip, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_alerts_file_bad_lines_named, make_dir, free_dir),
        cmocka_unit_test(test_alerts_snooze_until_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
