#include "bench_stats.h"

#include <stdlib.h>
#include <string.h>

/* Each band: values below `limit_us` fall in buckets of `width_us`, starting at `first`. */
struct band {
    int64_t start_us, limit_us, width_us;
    size_t first;
};

static const struct band bands[] = {
    {0, 1000, 1, 0},
    {1000, 10000, 10, 1000},
    {10000, 100000, 100, 1900},
    {100000, 10000000, 1000, 2800},
    {10000000, 120000000, 100000, 12700},
};
#define N_BANDS (sizeof(bands) / sizeof(bands[0]))
#define OVERFLOW_BUCKET (BENCH_HIST_BUCKETS - 1)

void bench_hist_init(struct bench_hist *h)
{
    memset(h, 0, sizeof(*h));
}

void bench_hist_add(struct bench_hist *h, int64_t value_us)
{
    if (value_us < 0)
        value_us = 0;
    size_t bucket = OVERFLOW_BUCKET;
    for (size_t i = 0; i < N_BANDS; i++) {
        if (value_us < bands[i].limit_us) {
            bucket = bands[i].first + (size_t)((value_us - bands[i].start_us) / bands[i].width_us);
            break;
        }
    }
    h->buckets[bucket]++;
    h->count++;
}

static int64_t bucket_low_us(size_t bucket)
{
    for (size_t i = N_BANDS; i-- > 0;) {
        if (bucket >= bands[i].first && bucket != OVERFLOW_BUCKET)
            return bands[i].start_us + (int64_t)(bucket - bands[i].first) * bands[i].width_us;
    }
    return bands[N_BANDS - 1].limit_us;
}

int64_t bench_hist_percentile(const struct bench_hist *h, double fraction)
{
    if (h->count == 0)
        return -1;
    if (fraction < 0.0)
        fraction = 0.0;
    if (fraction > 1.0)
        fraction = 1.0;
    /* The rank of the wanted sample, 1-based: p99 of 100 samples is the 99th. */
    uint64_t rank = (uint64_t)(fraction * (double)h->count + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < BENCH_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank)
            return bucket_low_us(b);
    }
    return bucket_low_us(OVERFLOW_BUCKET);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *values, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(values, n, sizeof(values[0]), compare_double);
    if (n % 2 == 1)
        return values[n / 2];
    return (values[n / 2 - 1] + values[n / 2]) / 2.0;
}
