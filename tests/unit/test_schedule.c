/* Unit tests for relay/notify/schedule and alerts: ALERT_SCHEDULE's syntax, ranges past
 * midnight and across the week's end, and the snooze. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "schedule.h"

#define AT(day, h, m) ((unsigned)(day)*1440u + (unsigned)(h)*60u + (unsigned)(m))
enum { MON, TUE, WED, THU, FRI, SAT, SUN };

static void test_schedule_ranges(void **state)
{
    (void)state;
    struct schedule s;
    char err[256];
    assert_int_equal(schedule_parse("mon-fri 08:00-17:00; daily 22:00-06:30", &s, err, sizeof(err)),
                     0);
    assert_true(schedule_is_armed(&s, AT(MON, 8, 0)));
    assert_true(schedule_is_armed(&s, AT(FRI, 16, 59)));
    assert_false(schedule_is_armed(&s, AT(FRI, 17, 0)));
    assert_false(schedule_is_armed(&s, AT(SAT, 12, 0)));
    assert_true(schedule_is_armed(&s, AT(SAT, 23, 0)));
    assert_true(schedule_is_armed(&s, AT(MON, 6, 29))); /* Sunday night runs into Monday */
    assert_false(schedule_is_armed(&s, AT(MON, 6, 30)));
    assert_int_equal(schedule_parse("fri-mon 00:00-24:00", &s, err, sizeof(err)), 0);
    assert_true(schedule_is_armed(&s, AT(SUN, 12, 0)));
    assert_true(schedule_is_armed(&s, AT(MON, 23, 59)));
    assert_false(schedule_is_armed(&s, AT(TUE, 0, 0)));
    assert_false(schedule_is_armed(&s, AT(THU, 23, 59)));
    assert_int_equal(schedule_parse("  ", &s, err, sizeof(err)), 0);
    assert_true(schedule_is_armed(&s, AT(WED, 3, 0)));
}

static void test_schedule_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {"mon",
                                      "mon 8:00-17:00",
                                      "mon 08:00",
                                      "xyz 08:00-09:00",
                                      "mon 25:00-26:00",
                                      "mon 08:60-09:00",
                                      "mon-fri 24:00-01:00",

                                      "monday 08:00-09:00",
                                      "mon 08:00-17:00, tue 08:00-09:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct schedule s;
        char err[256] = "";
        if (schedule_parse(bad[i], &s, err, sizeof(err)) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(err[0] != '\0' && strchr(err, '\n') == NULL);
    }
}

static void test_alerts_snooze(void **state)
{
    (void)state;
    char err[256];
    struct alerts *a = alerts_new("", err, sizeof(err));
    assert_non_null(a);
    int64_t now = 1796668200;
    assert_true(alerts_is_armed(a, now));
    assert_int_equal(alerts_snooze(a, now, 3600), 0);
    assert_false(alerts_is_armed(a, now + 3599));
    assert_true(alerts_is_armed(a, now + 3600)); /* the hour is over by itself */
    char json[512];
    alerts_json(a, now, json, sizeof(json));
    assert_string_equal(json, "{\"armed\":false,\"snoozed_until\":\"2026-12-07T19:30:00Z\","
                              "\"snoozed_until_unix\":1796671800,\"schedule\":null,"
                              "\"scheduled\":true}");
    assert_int_equal(alerts_snooze(a, now, 0), 0);
    assert_true(alerts_is_armed(a, now));
    assert_int_equal(alerts_snooze(a, now, ALERTS_SNOOZE_MAX_S + 1), -EINVAL);
    alerts_free(a);
    assert_null(alerts_new("sometimes", err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_ranges),
        cmocka_unit_test(test_schedule_refusals),
        cmocka_unit_test(test_alerts_snooze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
