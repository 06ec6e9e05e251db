/* libFuzzer target for core/mjpeg_parser: the first byte picks a slice size, the rest is the
 * stream. Checks the parser's own invariants: every byte is consumed, reported parts never
 * exceed the frame limit, no reported part holds a delimiter (whatever its Content-Length
 * said), the counters add up, and slicing the input differently reports the same parts. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mjpeg_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAME 4096
#define BOUNDARY "b0undary"

/* A delimiter line inside a delivered part: a line end, 0 to 4 dashes, the boundary, then a
 * line end or the closing "--" (mjpeg_parser.c's definition, without transport padding). */
static int holds_delimiter(const uint8_t *part, size_t len)
{
    size_t blen = strlen(BOUNDARY);
    for (size_t i = 0; i < len; i++) {
        if (part[i] != '\n')
            continue;
        size_t j = i + 1, dashes = 0;
        while (j < len && part[j] == '-' && dashes < 4) {
            j++;
            dashes++;
        }
        /* The boundary may also follow after fewer dashes than were skipped. */
        for (size_t d = 0; d <= dashes; d++) {
            size_t k = i + 1 + d;
            if (k + blen > len || memcmp(part + k, BOUNDARY, blen) != 0)
                continue;
            k += blen;
            if (k < len && part[k] == '\n')
                return 1;
            if (k + 1 < len && ((part[k] == '\r' && part[k + 1] == '\n') ||
                                (part[k] == '-' && part[k + 1] == '-')))
                return 1;
        }
    }
    return 0;
}

/* What one run reported, for comparing runs: a hash over the results and the parts' bytes. */
struct outcome {
    uint64_t hash;
    unsigned long ends;
};

static void mix(struct outcome *o, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        o->hash = (o->hash ^ data[i]) * 1099511628211u; /* FNV-1a */
}

/* Feed the stream in slices of slice bytes, checking the invariants above as it goes. */
static struct outcome run(const uint8_t *data, size_t size, size_t slice)
{
    struct outcome o = {14695981039346656037u, 0};
    struct mjpeg_parser p;
    if (mjpeg_parser_init(&p, BOUNDARY, MAX_FRAME) != 0)
        return o;
    static uint8_t frame[MAX_FRAME];
    size_t part = 0;
    for (size_t off = 0; off <= size;) {
        size_t n = size - off < slice ? size - off : slice;
        const uint8_t *in = data + off;
        size_t left = n;
        for (;;) {
            size_t used = 0;
            struct mjpeg_span span;
            enum mjpeg_result r = mjpeg_parser_feed(&p, in, left, &used, &span);
            assert(used <= left);
            in += used;
            left -= used;
            if (r == MJPEG_NEED_MORE) {
                assert(left == 0);
                break;
            }
            if (r != MJPEG_DATA) {
                uint8_t kind = (uint8_t)r;
                mix(&o, &kind, 1);
            }
            if (r == MJPEG_DATA) {
                assert(span.len > 0);
                assert(part + span.len <= MAX_FRAME);
                memcpy(frame + part, span.data, span.len);
                part += span.len;
            } else if (r == MJPEG_PART_END) {
                assert(!holds_delimiter(frame, part));
                mix(&o, frame, part);
                o.ends++;
                part = 0;
            } else if (r == MJPEG_PART_BEGIN || r == MJPEG_ERR_TOO_BIG || r == MJPEG_ERR_HEADERS) {
                part = 0;
            }
        }
        if (n == 0)
            break;
        off += n;
    }
    assert(o.ends == p.parts);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t slice = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    struct outcome sliced = run(data, size, slice);
    /* Where the input is cut must not change what is reported: the relay's reads are cut
     * wherever the kernel cut them. */
    struct outcome whole = run(data, size, size + 1);
    assert(sliced.ends == whole.ends);
    assert(sliced.hash == whole.hash);
    return 0;
}
