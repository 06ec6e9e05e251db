#include "retention.h"

/* 1 if the directory is still over one of its limits with this item as the oldest left. */
static int is_over(const struct retention_item *it, const struct retention_limits *lim,
                   int64_t now_ms, uint64_t total_bytes, uint64_t free_bytes)
{
    if (lim->max_age_ms > 0 && now_ms - it->start_unix_ms > (int64_t)lim->max_age_ms)
        return 1;
    if (lim->max_total_bytes > 0 && total_bytes > lim->max_total_bytes)
        return 1;
    return lim->min_free_bytes > 0 && free_bytes < lim->min_free_bytes;
}

size_t retention_pick(const struct retention_item *items, size_t n,
                      const struct retention_limits *lim, int64_t now_ms, uint64_t total_bytes,
                      uint64_t free_bytes, int64_t *out, size_t max)
{
    size_t picked = 0;
    for (size_t i = 0; i < n && picked < max; i++) {
        const struct retention_item *it = &items[i];
        if (!is_over(it, lim, now_ms, total_bytes, free_bytes))
            break; /* oldest first: nothing younger is over the age limit either */
        if (it->is_current)
            continue;
        out[picked++] = it->id;
        total_bytes = total_bytes > it->bytes ? total_bytes - it->bytes : 0;
        free_bytes += it->bytes;
    }
    return picked;
}
