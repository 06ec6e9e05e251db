#pragma once
/*
 * clock_ms: the millisecond clock the portable code takes as now_ms (node/, core/servo).
 * esp_timer counts microseconds since boot in 64 bits; the low 32 bits of the millisecond count
 * wrap after 49.7 days, which node_tick and servo_step handle (unsigned differences).
 */
#include <stdint.h>

#include "esp_timer.h"

/* Milliseconds since boot, modulo 2^32. Safe from any task. */
static inline uint32_t clock_ms_now(void)
{
    return (uint32_t)(esp_timer_get_time() / 1000);
}
