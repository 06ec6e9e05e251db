#include "camera.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "esp_check.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"

#include "board.h"

static const char *TAG = "camera";

#define SENSOR_QUALITY_MAX 63

struct camera {
    SemaphoreHandle_t mutex;            /* guards lent[], seq and jpeg_quality */
    camera_fb_t *lent[CAMERA_FB_COUNT]; /* frames out on loan; NULL slots are free */
    unsigned long seq;
    int jpeg_quality; /* sensor scale */
    unsigned width, height;
};

static void lock(struct camera *c)
{
    BaseType_t is_taken = xSemaphoreTake(c->mutex, portMAX_DELAY);
    assert(is_taken == pdTRUE); /* cannot time out with portMAX_DELAY */
    (void)is_taken;
}

static void unlock(struct camera *c)
{
    BaseType_t is_given = xSemaphoreGive(c->mutex);
    assert(is_given == pdTRUE); /* fails only if we do not hold it */
    (void)is_given;
}

static int percent_to_sensor(int percent)
{
    return ((100 - percent) * SENSOR_QUALITY_MAX + 50) / 100;
}

static unsigned sensor_to_percent(int q)
{
    int percent = ((SENSOR_QUALITY_MAX - q) * 100 + SENSOR_QUALITY_MAX / 2) / SENSOR_QUALITY_MAX;
    return percent < 1 ? 1u : (unsigned)percent;
}

static int cam_op_start(void *self)
{
    /* camera_new already started the driver: esp32-camera starts capturing in esp_camera_init. */
    (void)self;
    return 0;
}

static int cam_op_get(void *self, uint32_t now_ms, struct cam_frame *out)
{
    struct camera *c = self;
    /* Blocks until the driver has a frame; NULL after its 4 s timeout (sensor stalled). */
    camera_fb_t *fb = esp_camera_fb_get();
    if (fb == NULL)
        return -EIO;
    if (fb->format != PIXFORMAT_JPEG) {
        esp_camera_fb_return(fb);
        return -EPROTO;
    }
    lock(c);
    size_t slot = CAMERA_FB_COUNT;
    for (size_t i = 0; i < CAMERA_FB_COUNT && slot == CAMERA_FB_COUNT; i++) {
        if (c->lent[i] == NULL)
            slot = i;
    }
    if (slot == CAMERA_FB_COUNT) {
        /* Cannot happen while fb_count == CAMERA_FB_COUNT (the driver lends no more), but a
         * frame we cannot track must go straight back. */
        unlock(c);
        esp_camera_fb_return(fb);
        return -EBUSY;
    }
    c->lent[slot] = fb;
    c->seq++;
    *out = (struct cam_frame){
        .data = fb->buf,
        .len = fb->len,
        .width = (unsigned)fb->width,
        .height = (unsigned)fb->height,
        .captured_ms = now_ms,
        .seq = c->seq,
    };
    unlock(c);
    return 0;
}

static void cam_op_put(void *self, struct cam_frame *frame)
{
    struct camera *c = self;
    camera_fb_t *fb = NULL;
    lock(c);
    for (size_t i = 0; i < CAMERA_FB_COUNT && fb == NULL; i++) {
        if (c->lent[i] != NULL && c->lent[i]->buf == frame->data) {
            fb = c->lent[i];
            c->lent[i] = NULL;
        }
    }
    unlock(c);
    /* A frame not on loan is a caller bug (cam.h: one put per successful get). */
    assert(fb != NULL);
    if (fb != NULL)
        esp_camera_fb_return(fb);
    frame->data = NULL;
    frame->len = 0;
}

static void cam_op_frame_size(const void *self, unsigned *width, unsigned *height)
{
    const struct camera *c = self;
    *width = c->width;
    *height = c->height;
}

static int cam_op_set_quality(void *self, int quality)
{
    struct camera *c = self;
    if (quality < 1 || quality > 100)
        return -EINVAL;
    sensor_t *sensor = esp_camera_sensor_get();
    if (sensor == NULL || sensor->set_quality == NULL)
        return -ENODEV;
    int q = percent_to_sensor(quality);
    if (sensor->set_quality(sensor, q) != 0)
        return -EIO;
    lock(c);
    c->jpeg_quality = q;
    unlock(c);
    return 0;
}

static const struct cam_ops camera_ops = {
    .start = cam_op_start,
    .get = cam_op_get,
    .put = cam_op_put,
    .frame_size = cam_op_frame_size,
    .set_quality = cam_op_set_quality,
};

/* Apply one on/off sensor setting; a sensor without it (NULL function) is left as it is. */
static esp_err_t set_flag(sensor_t *sensor, int (*fn)(sensor_t *, int), bool is_on,
                          const char *what)
{
    if (fn == NULL) {
        ESP_LOGW(TAG, "this sensor cannot %s", what);
        return ESP_OK;
    }
    ESP_RETURN_ON_FALSE(fn(sensor, is_on ? 1 : 0) == 0, ESP_FAIL, TAG, "sensor refused to %s",
                        what);
    return ESP_OK;
}

esp_err_t camera_new(const struct camera_settings *settings, struct camera **out)
{
    ESP_RETURN_ON_FALSE(settings->frame_size < FRAMESIZE_INVALID, ESP_ERR_INVALID_ARG, TAG,
                        "bad frame size %d", (int)settings->frame_size);
    ESP_RETURN_ON_FALSE(settings->jpeg_quality >= 0 && settings->jpeg_quality <= SENSOR_QUALITY_MAX,
                        ESP_ERR_INVALID_ARG, TAG, "JPEG quality %d is outside 0..63",
                        settings->jpeg_quality);
    struct camera *c = calloc(1, sizeof(*c));
    ESP_RETURN_ON_FALSE(c != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the camera");
    esp_err_t ret = ESP_OK;
    c->mutex = xSemaphoreCreateMutex();
    ESP_GOTO_ON_FALSE(c->mutex != NULL, ESP_ERR_NO_MEM, fail, TAG, "no memory for a mutex");

    const camera_config_t config = {
        .pin_pwdn = BOARD_CAM_PIN_PWDN,
        .pin_reset = BOARD_CAM_PIN_RESET,
        .pin_xclk = BOARD_CAM_PIN_XCLK,
        .pin_sccb_sda = BOARD_CAM_PIN_SIOD,
        .pin_sccb_scl = BOARD_CAM_PIN_SIOC,
        .pin_d7 = BOARD_CAM_PIN_D7,
        .pin_d6 = BOARD_CAM_PIN_D6,
        .pin_d5 = BOARD_CAM_PIN_D5,
        .pin_d4 = BOARD_CAM_PIN_D4,
        .pin_d3 = BOARD_CAM_PIN_D3,
        .pin_d2 = BOARD_CAM_PIN_D2,
        .pin_d1 = BOARD_CAM_PIN_D1,
        .pin_d0 = BOARD_CAM_PIN_D0,
        .pin_vsync = BOARD_CAM_PIN_VSYNC,
        .pin_href = BOARD_CAM_PIN_HREF,
        .pin_pclk = BOARD_CAM_PIN_PCLK,
        .xclk_freq_hz = BOARD_CAM_XCLK_HZ,
        .ledc_timer = BOARD_LEDC_CAM_TIMER,
        .ledc_channel = BOARD_LEDC_CAM_CHANNEL,
        .pixel_format = PIXFORMAT_JPEG,
        .frame_size = settings->frame_size,
        .jpeg_quality = settings->jpeg_quality,
        .fb_count = CAMERA_FB_COUNT,
        .fb_location = CAMERA_FB_IN_PSRAM,
        .grab_mode = CAMERA_GRAB_LATEST,
    };
    ESP_GOTO_ON_ERROR(esp_camera_init(&config), fail, TAG,
                      "esp_camera_init (check the ribbon cable and that PSRAM is enabled)");
    sensor_t *sensor = esp_camera_sensor_get();
    ESP_GOTO_ON_FALSE(sensor != NULL, ESP_ERR_INVALID_STATE, fail, TAG, "no sensor after init");
    ESP_GOTO_ON_ERROR(set_flag(sensor, sensor->set_vflip, settings->is_vflip, "flip vertically"),
                      fail, TAG, "vertical flip");
    ESP_GOTO_ON_ERROR(
        set_flag(sensor, sensor->set_hmirror, settings->is_hmirror, "mirror horizontally"), fail,
        TAG, "horizontal mirror");

    c->jpeg_quality = settings->jpeg_quality;
    /* The driver lowers a frame size the sensor cannot do to its maximum: report what it uses. */
    framesize_t used = sensor->status.framesize;
    ESP_GOTO_ON_FALSE(used < FRAMESIZE_INVALID, ESP_ERR_INVALID_STATE, fail, TAG,
                      "sensor reports frame size %d", (int)used);
    c->width = resolution[used].width;
    c->height = resolution[used].height;
    ESP_LOGI(TAG, "sensor PID 0x%x: %ux%u JPEG, quality %d (0..63, lower is better), %d buffers",
             (unsigned)sensor->id.PID, c->width, c->height, c->jpeg_quality, CAMERA_FB_COUNT);
    *out = c;
    return ESP_OK;

fail:
    /* Start-up only (the caller aborts); a failed esp_camera_init has already cleaned up. */
    if (c->mutex != NULL)
        vSemaphoreDelete(c->mutex);
    free(c);
    return ret;
}

struct cam camera_cam(struct camera *c)
{
    return (struct cam){.ops = &camera_ops, .self = c};
}

unsigned camera_quality_percent(struct camera *c)
{
    lock(c);
    int q = c->jpeg_quality;
    unlock(c);
    return sensor_to_percent(q);
}
