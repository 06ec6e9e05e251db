/* libFuzzer target for relay/cfg: one .env line and its value applied to a config. The parser
 * must never read past the line, write past its buffers, or accept a key it cannot set. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    char key[64], value[256];
    const char *reason = NULL;
    struct cfg c;
    cfg_defaults(&c);
    if (cfg_parse_line(line, key, sizeof(key), value, sizeof(value), &reason) == 0 &&
        key[0] != '\0') {
        int rc = cfg_set(&c, key, value, &reason);
        if (rc != 0 && (reason == NULL || (rc != -EINVAL && rc != -ENOENT)))
            abort();
    }
    free(line);
    return 0;
}
