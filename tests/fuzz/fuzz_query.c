/* libFuzzer target for core/query: the node's /control_servo query string. Whatever the input,
 * a success names at least one axis with a value in range, and a failure zeroes the result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1);
    if (q == NULL)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    struct query_move move;
    char reason[QUERY_REASON_MAX];
    enum query_status st = query_parse(q, &move, reason, sizeof(reason));
    if (st == QUERY_OK) {
        if (!move.has_pan && !move.has_tilt)
            abort();
        int lo = move.mode == QUERY_MODE_RELATIVE ? QUERY_REL_MIN_DEG : QUERY_ABS_MIN_DEG;
        int hi = move.mode == QUERY_MODE_RELATIVE ? QUERY_REL_MAX_DEG : QUERY_ABS_MAX_DEG;
        if ((move.has_pan && (move.pan_deg < lo || move.pan_deg > hi)) ||
            (move.has_tilt && (move.tilt_deg < lo || move.tilt_deg > hi)))
            abort();
    } else if (move.has_pan || move.has_tilt || strlen(reason) == 0) {
        abort();
    }
    free(q);
    return 0;
}
