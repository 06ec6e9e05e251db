#pragma once
/*
 * schedule: the weekly schedule of when alerts are armed (ALERT_SCHEDULE), in local time.
 *
 * Entries separated by ';', each "DAYS HH:MM-HH:MM": DAYS is a day (mon, tue, wed, thu, fri,
 * sat, sun), a range of days ("mon-fri", "fri-mon" wraps), or "daily". A range whose end is
 * not after its start runs past midnight into the next day ("mon-fri 22:00-06:30" also arms
 * Saturday until 06:30); "24:00" is the end of the day. Example:
 *   ALERT_SCHEDULE=mon-fri 08:00-17:00; daily 22:00-06:30
 * An empty schedule is always armed. Resolution: one minute.
 */
#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_MINUTES (7 * 24 * 60)

/* A parsed schedule: one bit per minute of the week, Monday 00:00 first. Plain value type. */
struct schedule {
    int is_always; /* the empty schedule */
    uint8_t armed[SCHEDULE_MINUTES / 8];
};

/* Parse text into *out. Returns 0, or -EINVAL with err holding a one-line reason naming the
 * entry. */
int schedule_parse(const char *text, struct schedule *out, char *err, size_t err_size);

/* Armed at minute `minute_of_week` (0 = Monday 00:00, in local time)? */
int schedule_is_armed(const struct schedule *s, unsigned minute_of_week);

/* The minute of the week (local time) of a Unix time. */
unsigned schedule_minute_of_week(int64_t unix_s);
