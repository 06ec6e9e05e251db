/* libFuzzer target for core/mjpeg_parser: the first byte picks a slice size, the rest is the
 * stream. Checks the parser's own invariants: every byte is consumed, reported parts never
 * exceed the frame limit, and the counters add up. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mjpeg_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAME 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t slice = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    struct mjpeg_parser p;
    if (mjpeg_parser_init(&p, "b0undary", MAX_FRAME) != 0)
        return 0;
    size_t part = 0;
    unsigned long ends = 0;
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
            if (r == MJPEG_DATA) {
                assert(span.len > 0);
                part += span.len;
                assert(part <= MAX_FRAME);
            } else if (r == MJPEG_PART_END) {
                ends++;
                part = 0;
            } else if (r == MJPEG_PART_BEGIN || r == MJPEG_ERR_TOO_BIG || r == MJPEG_ERR_HEADERS) {
                part = 0;
            }
        }
        if (n == 0)
            break;
        off += n;
    }
    assert(ends == p.parts);
    return 0;
}
