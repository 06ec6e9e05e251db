/*
 * Lookout camera node firmware for the AI-Thinker ESP32-CAM: start-up only. Reads the menuconfig
 * settings (main/Kconfig.projbuild), starts NVS, the network stack, the servos, the camera, Wi-Fi,
 * the two HTTP servers (pull mode) and/or the link to the relay (LOOKOUT_RELAY_URL), then returns:
 * everything else runs on their tasks and timers.
 *
 * The only place that uses ESP_ERROR_CHECK (STYLE.md rule 19): a node that cannot start any of
 * these is useless, so it aborts with the cause in the serial log and the chip restarts.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "esp_err.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs_flash.h"
#include "sdkconfig.h"

#include "board.h"
#include "camera.h"
#include "clock_ms.h"
#include "flash_led.h"
#include "http_control.h"
#include "http_stream.h"
#include "node.h"
#include "node_guard.h"
#include "relay_link.h"
#include "servo_ledc.h"
#include "wifi.h"

static const char *TAG = "lookout";

/* menuconfig cannot express "not a camera pin": refuse such a build here, not at run time. */
#if BOARD_PIN_IS_RESERVED(CONFIG_LOOKOUT_PAN_GPIO)
#error                                                                                             \
    "LOOKOUT_PAN_GPIO is a camera, PSRAM, flash, strapping (12), UART0, input-only or missing pin (board.h)"
#endif
#if BOARD_PIN_IS_RESERVED(CONFIG_LOOKOUT_TILT_GPIO)
#error                                                                                             \
    "LOOKOUT_TILT_GPIO is a camera, PSRAM, flash, strapping (12), UART0, input-only or missing pin (board.h)"
#endif
#if CONFIG_LOOKOUT_PAN_GPIO == CONFIG_LOOKOUT_TILT_GPIO
#error "LOOKOUT_PAN_GPIO and LOOKOUT_TILT_GPIO must differ"
#endif
#ifdef CONFIG_LOOKOUT_FLASH_LED
#if BOARD_PIN_IS_RESERVED(CONFIG_LOOKOUT_FLASH_GPIO)
#error "LOOKOUT_FLASH_GPIO is a camera, PSRAM, UART0 or input-only pin (docs/HARDWARE.md)"
#endif
#if CONFIG_LOOKOUT_FLASH_GPIO == CONFIG_LOOKOUT_PAN_GPIO ||                                        \
    CONFIG_LOOKOUT_FLASH_GPIO == CONFIG_LOOKOUT_TILT_GPIO
#error "LOOKOUT_FLASH_GPIO is also a servo pin"
#endif
#endif
#if CONFIG_LOOKOUT_STREAM_PORT == CONFIG_LOOKOUT_CONTROL_PORT
#error "LOOKOUT_STREAM_PORT and LOOKOUT_CONTROL_PORT must differ: each is its own server"
#endif

/* menuconfig's bool options: defined as 1 when set, absent when not. */
#ifdef CONFIG_LOOKOUT_PAN_INVERT
#define PAN_IS_INVERTED true
#else
#define PAN_IS_INVERTED false
#endif
#ifdef CONFIG_LOOKOUT_TILT_INVERT
#define TILT_IS_INVERTED true
#else
#define TILT_IS_INVERTED false
#endif
#ifdef CONFIG_LOOKOUT_CAMERA_VFLIP
#define CAMERA_IS_VFLIP true
#else
#define CAMERA_IS_VFLIP false
#endif
#ifdef CONFIG_LOOKOUT_CAMERA_HMIRROR
#define CAMERA_IS_HMIRROR true
#else
#define CAMERA_IS_HMIRROR false
#endif

/* Everything the callbacks reach, allocated once and never freed (no globals: STYLE.md rule 10). */
struct app {
    struct node_guard *node;
    struct servo_ledc *servos;
    struct flash_led *flash; /* NULL unless LOOKOUT_FLASH_LED */
    struct camera *camera;
    struct wifi_link *wifi;
    struct http_stream *stream;   /* NULL with a relay URL and no LOOKOUT_RELAY_ALSO_LISTEN */
    struct http_control *control; /* likewise */
    struct relay_link *link;      /* NULL without a relay URL */
};

/* A relay URL set in menuconfig: the node dials the relay (relay_link.h). */
#define HAS_RELAY_URL (sizeof(CONFIG_LOOKOUT_RELAY_URL) > 1)
#ifdef CONFIG_LOOKOUT_RELAY_ALSO_LISTEN
#define IS_LISTENING true
#else
#define IS_LISTENING (!HAS_RELAY_URL)
#endif

/* LOOKOUT_RELAY_CA_FILE, embedded by main/CMakeLists.txt under this name; else the CA bundle. */
#ifdef LOOKOUT_HAS_RELAY_CA
extern const char relay_ca_pem_start[] __asm__("_binary_relay_ca_pem_start");
#define RELAY_CA_PEM relay_ca_pem_start
#else
#define RELAY_CA_PEM NULL
#endif

static framesize_t frame_size_from_kconfig(void)
{
#if defined(CONFIG_LOOKOUT_FRAME_SIZE_QVGA)
    return FRAMESIZE_QVGA;
#elif defined(CONFIG_LOOKOUT_FRAME_SIZE_CIF)
    return FRAMESIZE_CIF;
#elif defined(CONFIG_LOOKOUT_FRAME_SIZE_SVGA)
    return FRAMESIZE_SVGA;
#elif defined(CONFIG_LOOKOUT_FRAME_SIZE_XGA)
    return FRAMESIZE_XGA;
#elif defined(CONFIG_LOOKOUT_FRAME_SIZE_HD)
    return FRAMESIZE_HD;
#elif defined(CONFIG_LOOKOUT_FRAME_SIZE_SXGA)
    return FRAMESIZE_SXGA;
#elif defined(CONFIG_LOOKOUT_FRAME_SIZE_UXGA)
    return FRAMESIZE_UXGA;
#else
    return FRAMESIZE_VGA;
#endif
}

static struct node_config node_config_from_kconfig(void)
{
    struct node_config cfg = node_config_default();
    cfg.pan.min_deg = CONFIG_LOOKOUT_PAN_MIN_DEG;
    cfg.pan.max_deg = CONFIG_LOOKOUT_PAN_MAX_DEG;
    cfg.pan.home_deg = CONFIG_LOOKOUT_PAN_HOME_DEG;
    cfg.pan.is_inverted = PAN_IS_INVERTED;
    cfg.pan.pulse_min_us = CONFIG_LOOKOUT_PAN_PULSE_MIN_US;
    cfg.pan.pulse_max_us = CONFIG_LOOKOUT_PAN_PULSE_MAX_US;
    cfg.pan.slew_deg_per_s = CONFIG_LOOKOUT_SERVO_SLEW_DEG_PER_S;
    cfg.tilt.min_deg = CONFIG_LOOKOUT_TILT_MIN_DEG;
    cfg.tilt.max_deg = CONFIG_LOOKOUT_TILT_MAX_DEG;
    cfg.tilt.home_deg = CONFIG_LOOKOUT_TILT_HOME_DEG;
    cfg.tilt.is_inverted = TILT_IS_INVERTED;
    cfg.tilt.pulse_min_us = CONFIG_LOOKOUT_TILT_PULSE_MIN_US;
    cfg.tilt.pulse_max_us = CONFIG_LOOKOUT_TILT_PULSE_MAX_US;
    cfg.tilt.slew_deg_per_s = CONFIG_LOOKOUT_SERVO_SLEW_DEG_PER_S;
    return cfg;
}

static struct wifi_link_settings wifi_settings_from_kconfig(void)
{
    struct wifi_link_settings set = {
        .ssid = CONFIG_LOOKOUT_WIFI_SSID,
        .password = CONFIG_LOOKOUT_WIFI_PASSWORD,
        .retry_max_ms = CONFIG_LOOKOUT_WIFI_RETRY_MAX_MS,
    };
#ifdef CONFIG_LOOKOUT_IP_STATIC
    set.is_static = true;
    set.ip = CONFIG_LOOKOUT_STATIC_IP;
    set.gateway = CONFIG_LOOKOUT_STATIC_GATEWAY;
    set.netmask = CONFIG_LOOKOUT_STATIC_NETMASK;
    set.dns = CONFIG_LOOKOUT_STATIC_DNS;
#endif
    return set;
}

/* /status facts: the stream's counters and the camera's settings (control server task). */
static void on_facts(struct node_facts *out, void *arg)
{
    struct app *app = arg;
    struct http_stream_stats st = {0};
    if (app->stream != NULL)
        http_stream_get_stats(app->stream, &st);
    struct cam cam = camera_cam(app->camera);
    unsigned width = 0, height = 0;
    cam_frame_size(&cam, &width, &height);
    *out = (struct node_facts){
        .fps = CONFIG_LOOKOUT_STREAM_MAX_FPS,
        .has_measured_fps = st.has_measured_fps,
        .measured_mfps = st.measured_mfps,
        .width = width,
        .height = height,
        .quality = camera_quality_percent(app->camera),
        .frames = st.frames + (app->link != NULL ? relay_link_frames(app->link) : 0),
        .stream_clients = st.clients,
        .stream_connections_total = st.connections_total,
        .max_stream_clients = CONFIG_LOOKOUT_MAX_STREAM_CLIENTS,
    };
}

/* The flash LED follows the stream clients (called under the stream's lock, one at a time). */
static void on_stream_clients(unsigned clients, void *arg)
{
    struct app *app = arg;
    if (app->flash == NULL)
        return;
    esp_err_t err = flash_led_set(app->flash, clients > 0);
    if (err != ESP_OK)
        ESP_LOGW(TAG, "flash LED: %s", esp_err_to_name(err));
}

/*
 * A camera that fails to start (a loose ribbon, a brown-out at power-up) is retried here with a
 * growing pause, instead of aborting into a reboot loop that jerks the servos to home each time.
 */
#define CAMERA_RETRY_MAX_MS 30000
static void start_camera(const struct camera_settings *settings, struct camera **out)
{
    uint32_t delay_ms = 1000;
    for (unsigned attempt = 1;; attempt++) {
        esp_err_t err = camera_new(settings, out);
        if (err == ESP_OK)
            return;
        ESP_LOGE(TAG, "camera start failed (%s), attempt %u; retrying in %u ms",
                 esp_err_to_name(err), attempt, (unsigned)delay_ms);
        vTaskDelay(pdMS_TO_TICKS(delay_ms));
        delay_ms = delay_ms * 2 > CAMERA_RETRY_MAX_MS ? CAMERA_RETRY_MAX_MS : delay_ms * 2;
    }
}

/* NVS holds the Wi-Fi driver's calibration and settings. A partition written by another layout
 * or version is erased and started afresh (nothing of Lookout's lives there). */
static esp_err_t nvs_start(void)
{
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_LOGW(TAG, "NVS partition unusable (%s): erasing it", esp_err_to_name(err));
        err = nvs_flash_erase();
        if (err == ESP_OK)
            err = nvs_flash_init();
    }
    return err;
}

void app_main(void)
{
    struct app *app = calloc(1, sizeof(*app));
    ESP_ERROR_CHECK(app != NULL ? ESP_OK : ESP_ERR_NO_MEM);
    ESP_ERROR_CHECK(nvs_start());
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());

    /* Servos first: they are driven to their home angles while everything else starts, instead
     * of twitching on floating pins. */
    const struct node_config node_cfg = node_config_from_kconfig();
    ESP_ERROR_CHECK(node_guard_new(&node_cfg, clock_ms_now(), &app->node));
    const struct servo_ledc_config servo_cfg = {
        .pan_gpio = CONFIG_LOOKOUT_PAN_GPIO,
        .tilt_gpio = CONFIG_LOOKOUT_TILT_GPIO,
        .update_ms = CONFIG_LOOKOUT_SERVO_UPDATE_MS,
    };
    ESP_ERROR_CHECK(servo_ledc_start(&servo_cfg, app->node, &app->servos));

#ifdef CONFIG_LOOKOUT_FLASH_LED
    ESP_ERROR_CHECK(flash_led_new(CONFIG_LOOKOUT_FLASH_GPIO,
                                  CONFIG_LOOKOUT_FLASH_BRIGHTNESS_PERCENT, &app->flash));
#endif

    /* The camera before Wi-Fi: both draw current peaks at start, better one after the other. */
    const struct camera_settings cam_settings = {
        .frame_size = frame_size_from_kconfig(),
        .jpeg_quality = CONFIG_LOOKOUT_JPEG_QUALITY,
        .is_vflip = CAMERA_IS_VFLIP,
        .is_hmirror = CAMERA_IS_HMIRROR,
    };
    start_camera(&cam_settings, &app->camera);

    const struct wifi_link_settings wifi_set = wifi_settings_from_kconfig();
    ESP_ERROR_CHECK(wifi_link_start(&wifi_set, &app->wifi));

    if (IS_LISTENING) {
        /* The servers bind to every interface, so they may start before the link is up. The
         * control server first: the stream port answers its routes too. */
        const struct http_control_config control_cfg = {
            .port = CONFIG_LOOKOUT_CONTROL_PORT,
            .node = app->node,
            .facts_cb = on_facts,
            .facts_arg = app,
        };
        ESP_ERROR_CHECK(http_control_start(&control_cfg, &app->control));
        const struct http_stream_config stream_cfg = {
            .port = CONFIG_LOOKOUT_STREAM_PORT,
            .max_clients = CONFIG_LOOKOUT_MAX_STREAM_CLIENTS,
            .max_fps = CONFIG_LOOKOUT_STREAM_MAX_FPS,
            .cam = camera_cam(app->camera),
            .on_clients = on_stream_clients,
            .on_clients_arg = app,
            .other_route = http_control_handle,
            .other_route_arg = app->control,
        };
        ESP_ERROR_CHECK(http_stream_start(&stream_cfg, &app->stream));
    }
    if (HAS_RELAY_URL) {
        const struct relay_link_config link_cfg = {
            .url = CONFIG_LOOKOUT_RELAY_URL,
            .token = CONFIG_LOOKOUT_RELAY_TOKEN,
            .ca_pem = RELAY_CA_PEM,
            .buffer_bytes = CONFIG_LOOKOUT_RELAY_BUFFER_BYTES,
            .max_fps = CONFIG_LOOKOUT_STREAM_MAX_FPS,
            .cam = camera_cam(app->camera),
            .node = app->node,
            .facts_cb = on_facts,
            .facts_arg = app,
        };
        ESP_ERROR_CHECK(relay_link_start(&link_cfg, &app->link));
    }
    if (IS_LISTENING)
        ESP_LOGI(TAG, "Lookout node started: stream on port %d, control on port %d",
                 CONFIG_LOOKOUT_STREAM_PORT, CONFIG_LOOKOUT_CONTROL_PORT);
    else
        ESP_LOGI(TAG, "Lookout node started: no listening port, dialing the relay");
}
