#pragma once
/*
 * clock: the relay's one time source for durations and deadlines.
 */
#include <stdint.h>

/* Microseconds on CLOCK_MONOTONIC (never jumps with the wall clock; POSIX clock_gettime(2)). */
int64_t clock_now_us(void);

/* Milliseconds since the Unix epoch on CLOCK_REALTIME (wall clock: may jump; for timestamps people
 * read). */
int64_t clock_unix_ms(void);
