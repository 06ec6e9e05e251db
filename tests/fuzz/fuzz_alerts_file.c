/* libFuzzer target for relay/notify/alerts_file: ALERTS_FILE's text. Whatever the input, a
 * failure names a line within the input and a one-line reason; a success gives a time that
 * written back and parsed again is the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t until = -1;
    unsigned line = 0;
    const char *reason = NULL;
    if (alerts_file_parse((const char *)data, size, &until, &line, &reason) < 0) {
        if (reason == NULL || strchr(reason, '\n') != NULL || line == 0 || line > size + 1)
            abort();
        return 0;
    }
    if (until < 0)
        abort();
    char again[64];
    int n = snprintf(again, sizeof(again), "snoozed_until=%lld\n", (long long)until);
    int64_t back = -1;
    if (alerts_file_parse(again, (size_t)n, &back, &line, &reason) < 0 || back != until)
        abort();
    return 0;
}
