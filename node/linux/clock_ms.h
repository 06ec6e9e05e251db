#pragma once
/*
 * clock_ms: the Linux port's millisecond clock for the portable core (`uint32_t now_ms`).
 */
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds, truncated to 32 bits: it wraps every 49.7 days, which the
 * core handles (unsigned differences). Never goes backwards, unaffected by clock changes. */
uint32_t clock_ms_now(void);
