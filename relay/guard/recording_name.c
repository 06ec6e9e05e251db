#include "recording_name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000LL
#define PART_SUFFIX ".part"

const char *recording_name_dir(enum recording_kind kind)
{
    return kind == RECORDING_TIMELAPSE ? "timelapse" : "segments";
}

int64_t recording_name_day(int64_t unix_ms)
{
    return unix_ms >= 0 ? unix_ms / DAY_MS : -((-unix_ms + DAY_MS - 1) / DAY_MS);
}

static int fits(int n, size_t size)
{
    return n >= 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

int recording_name_make(enum recording_kind kind, int64_t start_unix_ms, unsigned n, char *out,
                        size_t size)
{
    /* 253402300800: 10000-01-01, past which the year has five digits. */
    if (n == 0 || start_unix_ms < 0 || start_unix_ms / 1000 >= 253402300800LL)
        return -EINVAL;
    time_t t = (time_t)(start_unix_ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return -EINVAL;
    char suffix[16] = "";
    if (n > 1)
        snprintf(suffix, sizeof(suffix), "-%u", n);
    int len;
    if (kind == RECORDING_TIMELAPSE)
        len = snprintf(out, size, "timelapse/%04d-%02d-%02d%s.mkv", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, suffix);
    else
        len = snprintf(out, size, "segments/%04d-%02d-%02d/%02d%02d%02d%s.mkv", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, suffix);
    return fits(len, size);
}

int recording_name_part(const char *final, char *out, size_t size)
{
    const char *slash = strchr(final, '/');
    if (slash == NULL || slash[1] == '\0')
        return -EINVAL;
    int len = snprintf(out, size, "%.*s/.%s" PART_SUFFIX, (int)(slash - final), final, slash + 1);
    if (fits(len, size) < 0)
        return -ENAMETOOLONG;
    for (char *p = out + (slash - final) + 2; *p != '\0'; p++) {
        if (*p == '/')
            *p = '_';
    }
    return 0;
}

int recording_name_from_part(enum recording_kind kind, const char *part, char *out, size_t size)
{
    size_t n = strlen(part), s = strlen(PART_SUFFIX);
    if (n <= s + 1 || part[0] != '.' || strcmp(part + n - s, PART_SUFFIX) != 0 ||
        strchr(part, '/') != NULL)
        return -EINVAL;
    int len = snprintf(out, size, "%s/%.*s", recording_name_dir(kind), (int)(n - s - 1), part + 1);
    if (fits(len, size) < 0)
        return -ENAMETOOLONG;
    for (char *p = out + strlen(recording_name_dir(kind)) + 1; *p != '\0'; p++) {
        if (*p == '_')
            *p = '/';
    }
    enum recording_kind parsed;
    int64_t start;
    return recording_name_parse(out, &parsed, &start) == 0 && parsed == kind ? 0 : -EINVAL;
}

static int is_digits(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
    }
    return 1;
}

/* The number of n digits at text (checked by the caller). */
static int number(const char *text, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (text[i] - '0');
    return v;
}

/* "YYYY-MM-DD" at text, digits exactly (sscanf's %d would take "+7" or " 7"), into tm. Returns
 * the characters read or -1. */
static int parse_day(const char *text, struct tm *tm)
{
    if (strlen(text) < 10 || !is_digits(text, 4) || text[4] != '-' || !is_digits(text + 5, 2) ||
        text[7] != '-' || !is_digits(text + 8, 2))
        return -1;
    int y = number(text, 4), m = number(text + 5, 2), d = number(text + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    memset(tm, 0, sizeof(*tm));
    tm->tm_year = y - 1900;
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    return 10;
}

/* "-N.mkv" (N from 2, at most 5 digits, no leading 0) or ".mkv" exactly at text. Returns 0 or
 * -1. */
static int parse_tail(const char *text)
{
    if (strcmp(text, ".mkv") == 0)
        return 0;
    size_t n = strspn(text + 1, "0123456789");
    if (text[0] != '-' || n == 0 || n > 5 || text[1] == '0' || strcmp(text + 1 + n, ".mkv") != 0)
        return -1;
    return number(text + 1, n) >= 2 ? 0 : -1;
}

int recording_name_parse(const char *final, enum recording_kind *kind, int64_t *start_unix_ms)
{
    struct tm tm;
    int used;
    if (strncmp(final, "timelapse/", 10) == 0) {
        if ((used = parse_day(final + 10, &tm)) < 0 || parse_tail(final + 10 + used) < 0)
            return -EINVAL;
        *kind = RECORDING_TIMELAPSE;
    } else if (strncmp(final, "segments/", 9) == 0) {
        const char *p = final + 9;
        if ((used = parse_day(p, &tm)) < 0 || p[used] != '/' || !is_digits(p + used + 1, 6))
            return -EINVAL;
        p += used + 1;
        tm.tm_hour = number(p, 2);
        tm.tm_min = number(p + 2, 2);
        tm.tm_sec = number(p + 4, 2);
        if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 || parse_tail(p + 6) < 0)
            return -EINVAL;
        *kind = RECORDING_SEGMENT;
    } else {
        return -EINVAL;
    }
    int mday = tm.tm_mday;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != mday) /* 2026-02-30 is not a day */
        return -EINVAL;
    *start_unix_ms = (int64_t)t * 1000;
    return 0;
}
