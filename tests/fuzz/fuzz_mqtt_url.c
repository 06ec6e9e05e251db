/* libFuzzer target for relay/notify/mqtt_url: MQTT_URL. Whatever the input, a success has a
 * host of allowed characters and a port, and a failure a one-line reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct mqtt_url u;
    const char *reason = NULL;
    if (mqtt_url_parse(text, &u, &reason) == 0) {
        if (u.host[0] == '\0' || u.port == 0 ||
            strspn(u.host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:") !=
                strlen(u.host))
            abort();
    } else if (reason == NULL || strchr(reason, '\n') != NULL) {
        abort();
    }
    free(text);
    return 0;
}
