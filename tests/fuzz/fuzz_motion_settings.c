/* libFuzzer target for relay/guard: the camera's motion.txt (events_camera_parse_settings) and
 * the JPEG header walk that sizes a recording (recorder_mux_jpeg_size). Neither may read past
 * its input; accepted settings must pass motion_settings_check. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events_camera.h"
#include "recorder_mux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w, h;
    if (recorder_mux_jpeg_size(data, size, &w, &h) == 0 && (w <= 0 || h <= 0))
        abort();
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct motion_settings s;
    char err[128];
    const char *reason = NULL;
    if (events_camera_parse_settings(text, &s, err, sizeof(err)) == 0 &&
        motion_settings_check(&s, &reason) != 0)
        abort();
    free(text);
    return 0;
}
