#include "bench_stamp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int bench_stamp_parse(const uint8_t *jpeg, size_t len, struct bench_stamp *out)
{
    static const char tag[] = "lookout-cam ";
    if (len < 6 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 || jpeg[2] != 0xFF || jpeg[3] != 0xFE)
        return -ENOENT;
    size_t seg = ((size_t)jpeg[4] << 8) | jpeg[5]; /* counts its own two length bytes */
    if (seg < 2 || 6 + seg - 2 > len || seg - 2 >= BENCH_STAMP_PREFIX_MAX)
        return -ENOENT;
    char text[BENCH_STAMP_PREFIX_MAX];
    memcpy(text, jpeg + 6, seg - 2);
    text[seg - 2] = '\0';
    if (strncmp(text, tag, sizeof(tag) - 1) != 0)
        return -ENOENT;
    int64_t t = 0;
    uint64_t seq = 0;
    int pan = 0, tilt = 0;
    if (sscanf(text + sizeof(tag) - 1, "t=%" SCNd64 " seq=%" SCNu64 " pan=%d tilt=%d", &t, &seq,
               &pan, &tilt) != 4)
        return -ENOENT;
    *out = (struct bench_stamp){.sent_us = t, .seq = seq, .pan_mdeg = pan, .tilt_mdeg = tilt};
    return 0;
}

int bench_degrees_to_mdeg(const char *s, const char *end, int *mdeg)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    int sign = 1;
    if (s < end && *s == '-') {
        sign = -1;
        s++;
    }
    long whole = 0, frac = 0, scale = 100;
    const char *first = s;
    for (; s < end && *s >= '0' && *s <= '9' && whole < 1000000; s++)
        whole = whole * 10 + (*s - '0');
    if (s == first)
        return -EINVAL;
    if (s < end && *s == '.') {
        for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
            frac += (*s - '0') * scale;
            scale /= 10;
        }
    }
    if (s != end)
        return -EINVAL;
    *mdeg = sign * (int)(whole * 1000 + frac);
    return 0;
}
