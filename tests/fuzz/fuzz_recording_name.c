/* libFuzzer target for relay/guard/recording_name: the names read back from RECORD_DIR at start
 * (a part a crash left, a finished file when the index is rebuilt). Whatever the input, a name
 * accepted is one the relay could have made: made again from what was read, it is the same
 * name, and a part accepted gives a name that makes the same part again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recording_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The N of a name's "-N" (after "HHMMSS" or "YYYY-MM-DD"), 1 if none. */
static unsigned number_of(const char *name, enum recording_kind kind)
{
    const char *base = strrchr(name, '/');
    size_t stem = kind == RECORDING_TIMELAPSE ? 10 : 6;
    base = base != NULL ? base + 1 : name;
    if (strlen(base) <= stem + 4 + 1 || base[stem] != '-')
        return 1;
    return (unsigned)strtoul(base + stem + 1, NULL, 10);
}

static void check_final(const char *name)
{
    enum recording_kind kind;
    int64_t start;
    if (recording_name_parse(name, &kind, &start) < 0)
        return;
    char again[256], part[256], back[256];
    if (recording_name_make(kind, start, number_of(name, kind), again, sizeof(again)) != 0 ||
        strcmp(again, name) != 0)
        abort();
    if (recording_name_part(name, part, sizeof(part)) != 0)
        abort();
    const char *slash = strchr(part, '/');
    if (slash == NULL || recording_name_from_part(kind, slash + 1, back, sizeof(back)) != 0 ||
        strcmp(back, name) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200)
        return 0;
    char text[201];
    memcpy(text, data, size);
    text[size] = '\0';
    check_final(text);
    char final[256];
    for (int kind = RECORDING_SEGMENT; kind <= RECORDING_TIMELAPSE; kind++) {
        if (recording_name_from_part((enum recording_kind)kind, text, final, sizeof(final)) == 0)
            check_final(final);
    }
    return 0;
}
