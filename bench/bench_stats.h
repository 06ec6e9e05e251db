#pragma once
/*
 * bench_stats: the load generator's arithmetic. A latency histogram of bounded size (every
 * sample of a 1000-viewer run would be millions) and the median of a small array.
 */
#include <stddef.h>
#include <stdint.h>

/*
 * Bucket widths grow with the value (at most 1 % of it above 1 ms, 1 us below):
 * 1 us up to 1 ms, 10 us up to 10 ms, 100 us up to 100 ms, 1 ms up to 10 s, 100 ms up to 120 s
 * (a frame's age at a constrained viewer of a peer grows that far); one overflow bucket.
 */
#define BENCH_HIST_BUCKETS (1000 + 900 + 900 + 9900 + 1100 + 1)
/* Values from here on fall in the overflow bucket, which reports this value. */
#define BENCH_HIST_MAX_US 120000000

/* Plain value type the caller owns; bench_hist_init zero-fills it. */
struct bench_hist {
    uint64_t count;
    uint64_t buckets[BENCH_HIST_BUCKETS];
};

/* Empty the histogram. */
void bench_hist_init(struct bench_hist *h);

/* Count one sample in microseconds; negative values count as 0, values from BENCH_HIST_MAX_US on as
 * overflow. */
void bench_hist_add(struct bench_hist *h, int64_t value_us);

/*
 * The value below which `fraction` (0..1) of the samples lie, in microseconds: the lower edge of
 * the bucket that holds that sample (the overflow bucket reports BENCH_HIST_MAX_US). Returns -1
 * when empty.
 */
int64_t bench_hist_percentile(const struct bench_hist *h, double fraction);

/*
 * Sort values[0..n) in place and return its median (the mean of the middle two for an even n).
 * Returns 0 for n == 0.
 */
double bench_median(double *values, size_t n);
