#include "schedule.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t len)
{
    for (int i = 0; i < 7; i++) {
        if (len == 3 && strncmp(s, days[i], 3) == 0)
            return i;
    }
    return -1;
}

/* "HH:MM" (00:00..24:00) into minutes of the day. */
static int parse_clock(const char *s, size_t len, unsigned *out)
{
    if (len != 5 || s[2] != ':')
        return -EINVAL;
    for (size_t i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -EINVAL;
    }
    unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    unsigned m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -EINVAL;
    *out = h * 60 + m;
    return 0;
}

/* "mon", "mon-fri", "daily": the first day and how many days. */
static int parse_days(const char *s, size_t len, int *first, int *count)
{
    if (len == 5 && strncmp(s, "daily", 5) == 0) {
        *first = 0;
        *count = 7;
        return 0;
    }
    const char *dash = memchr(s, '-', len);
    int a = day_index(s, dash != NULL ? (size_t)(dash - s) : len);
    int b = dash != NULL ? day_index(dash + 1, len - (size_t)(dash - s) - 1) : a;
    if (a < 0 || b < 0)
        return -EINVAL;
    *first = a;
    *count = (b - a + 7) % 7 + 1;
    return 0;
}

static void arm(struct schedule *s, unsigned from, unsigned minutes)
{
    for (unsigned i = 0; i < minutes; i++) {
        unsigned m = (from + i) % SCHEDULE_MINUTES;
        s->armed[m / 8] |= (uint8_t)(1u << (m % 8));
    }
}

static int parse_entry(const char *e, size_t len, struct schedule *out)
{
    while (len > 0 && (*e == ' ' || *e == '\t')) {
        e++;
        len--;
    }
    while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == '\t'))
        len--;
    const char *space = memchr(e, ' ', len);
    if (space == NULL)
        return -EINVAL;
    int first, count;
    unsigned start, end;
    const char *times = space + 1;
    size_t times_len = len - (size_t)(times - e);
    const char *dash = memchr(times, '-', times_len);
    if (parse_days(e, (size_t)(space - e), &first, &count) < 0 || dash == NULL ||
        parse_clock(times, (size_t)(dash - times), &start) < 0 ||
        parse_clock(dash + 1, times_len - (size_t)(dash - times) - 1, &end) < 0 || start == 24 * 60)
        return -EINVAL;
    unsigned minutes = end > start ? end - start : 24 * 60 - start + end;
    for (int d = 0; d < count; d++)
        arm(out, (unsigned)((first + d) % 7) * 24 * 60 + start, minutes);
    return 0;
}

int schedule_parse(const char *text, struct schedule *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0') {
        out->is_always = 1;
        return 0;
    }
    while (*p != '\0') {
        size_t len = strcspn(p, ";");
        if (parse_entry(p, len, out) < 0) {
            /* The entry is quoted in a one-line message: control characters (a newline from
             * the settings file or the environment) become '?'. */
            char shown[61];
            size_t n = len > 60 ? 60 : len;
            for (size_t i = 0; i < n; i++)
                shown[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];
            shown[n] = '\0';
            snprintf(err, err_size,
                     "\"%s\": expected DAYS HH:MM-HH:MM (DAYS: mon..sun, a range like mon-fri, "
                     "or daily), entries separated by ';'",
                     shown);
            return -EINVAL;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    return 0;
}

int schedule_is_armed(const struct schedule *s, unsigned minute_of_week)
{
    if (s->is_always)
        return 1;
    minute_of_week %= SCHEDULE_MINUTES;
    return (s->armed[minute_of_week / 8] >> (minute_of_week % 8)) & 1;
}

unsigned schedule_minute_of_week(int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        return 0;
    unsigned monday_based = (unsigned)(tm.tm_wday + 6) % 7; /* tm_wday: 0 = Sunday */
    return monday_based * 24 * 60 + (unsigned)tm.tm_hour * 60 + (unsigned)tm.tm_min;
}
