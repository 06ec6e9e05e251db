#include "alerts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct alerts {
    struct schedule schedule;
    char schedule_text[512];
    int64_t snoozed_until_s; /* 0: not snoozed */
};

struct alerts *alerts_new(const char *schedule_text, char *err, size_t err_size)
{
    struct alerts *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    const char *text = schedule_text != NULL ? schedule_text : "";
    if (strlen(text) >= sizeof(a->schedule_text) ||
        schedule_parse(text, &a->schedule, err, err_size) < 0) {
        if (strlen(text) >= sizeof(a->schedule_text))
            snprintf(err, err_size, "too long");
        free(a);
        return NULL;
    }
    snprintf(a->schedule_text, sizeof(a->schedule_text), "%s", text);
    return a;
}

void alerts_free(struct alerts *a)
{
    free(a);
}

int64_t alerts_snoozed_until(const struct alerts *a, int64_t now_s)
{
    return a->snoozed_until_s > now_s ? a->snoozed_until_s : 0;
}

int alerts_is_armed(const struct alerts *a, int64_t now_s)
{
    return alerts_snoozed_until(a, now_s) == 0 &&
           schedule_is_armed(&a->schedule, schedule_minute_of_week(now_s));
}

int alerts_snooze(struct alerts *a, int64_t now_s, unsigned seconds)
{
    if (seconds > ALERTS_SNOOZE_MAX_S)
        return -EINVAL;
    a->snoozed_until_s = seconds == 0 ? 0 : now_s + seconds;
    return 0;
}

int alerts_snooze_until(struct alerts *a, int64_t now_s, int64_t until_s)
{
    if (until_s > now_s + ALERTS_SNOOZE_MAX_S)
        return -EINVAL;
    a->snoozed_until_s = until_s > now_s ? until_s : 0;
    return 0;
}

size_t alerts_json(const struct alerts *a, int64_t now_s, char *out, size_t out_size)
{
    int64_t until = alerts_snoozed_until(a, now_s);
    char when[64] = "null", unix_text[32] = "null";
    if (until > 0) {
        time_t t = (time_t)until;
        struct tm tm;
        char text[32];
        if (gmtime_r(&t, &tm) != NULL && strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
            snprintf(when, sizeof(when), "\"%s\"", text);
        snprintf(unix_text, sizeof(unix_text), "%lld", (long long)until);
    }
    /* The schedule text was accepted by schedule_parse: days, digits, ':', '-', ';' and
     * blanks, nothing to escape. */
    int n = snprintf(
        out, out_size,
        "{\"armed\":%s,\"snoozed_until\":%s,\"snoozed_until_unix\":%s,"
        "\"schedule\":%s%s%s,\"scheduled\":%s}",
        alerts_is_armed(a, now_s) ? "true" : "false", when, unix_text,
        a->schedule.is_always ? "null" : "\"", a->schedule.is_always ? "" : a->schedule_text,
        a->schedule.is_always ? "" : "\"",
        schedule_is_armed(&a->schedule, schedule_minute_of_week(now_s)) ? "true" : "false");
    return n < 0 ? 0 : (size_t)n >= out_size ? out_size - 1 : (size_t)n;
}
