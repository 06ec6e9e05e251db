/* libFuzzer target for relay/notify/schedule: ALERT_SCHEDULE. Whatever the input, a failure
 * says why on one line, and a success answers every minute of the week. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct schedule s;
    char err[256] = "";
    if (schedule_parse(text, &s, err, sizeof(err)) == 0) {
        for (unsigned m = 0; m < SCHEDULE_MINUTES; m += 7)
            (void)schedule_is_armed(&s, m);
    } else if (err[0] == '\0' || strchr(err, '\n') != NULL) {
        abort();
    }
    free(text);
    return 0;
}
