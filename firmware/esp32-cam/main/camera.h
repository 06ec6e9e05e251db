#pragma once
/*
 * camera: the AI-Thinker's OV2640 through esp32-camera, offered to the shared stream code as a
 * node/cam.h port (cam_get / cam_put over esp_camera_fb_get / esp_camera_fb_return).
 *
 * JPEG straight from the sensor, CAMERA_FB_COUNT frame buffers in PSRAM, "grab latest": a client
 * always gets the newest frame, never a backlog. Unlike lookout-cam's simulator, this port lends
 * up to CAMERA_FB_COUNT frames at once (one per stream client task); cam_get blocks until the
 * driver has a frame (up to its 4 s timeout). Every operation is safe from any task.
 *
 * esp32-camera is a singleton driver that can be initialised once, so there is one camera and it
 * lives until reset (no _free).
 */
#include <stdbool.h>

#include "esp_camera.h"
#include "esp_err.h"

#include "cam.h"

/* Frame buffers, and so the most frames lent at once. Two lets the driver fill one while a
 * client sends the other (esp32-camera doubles the frame rate with more than one). */
#define CAMERA_FB_COUNT 2

/* What menuconfig chooses. Plain value type. */
struct camera_settings {
    framesize_t frame_size;
    int jpeg_quality; /* the sensor's scale: 0..63, lower is better (camera_config_t's) */
    bool is_vflip;
    bool is_hmirror;
};

struct camera;

/*
 * Start the camera: esp_camera_init with the AI-Thinker pin map (board.h), XCLK on LEDC timer 0 /
 * channel 0, then flip and mirror as set. Returns ESP_OK, ESP_ERR_NO_MEM, or esp32-camera's error
 * (ESP_ERR_CAMERA_NOT_DETECTED for a loose ribbon cable; ESP_ERR_NOT_FOUND...), logged.
 */
esp_err_t camera_new(const struct camera_settings *settings, struct camera **out);

/* The node/cam.h port for c (both pointers borrowed; valid as long as c, i.e. forever). Its
 * set_quality takes Lookout's 1..100 (higher is better) and rescales it for the sensor. */
struct cam camera_cam(struct camera *c);

/* JPEG quality on Lookout's 1..100 scale (higher is better), for /status: the sensor's 0..63
 * quantiser mapped linearly (0 -> 100, 63 -> 1). Not libjpeg's quality, only its direction.
 * Safe from any task. */
unsigned camera_quality_percent(struct camera *c);
