#include "flash_led.h"

#include <stdint.h>
#include <stdlib.h>

#include "driver/ledc.h"
#include "esp_check.h"
#include "esp_log.h"

#include "board.h"

static const char *TAG = "flash_led";

#define FLASH_SPEED_MODE LEDC_LOW_SPEED_MODE
#define FLASH_FREQ_HZ 5000
#define FLASH_DUTY_BITS 8
#define FLASH_DUTY_RESOLUTION LEDC_TIMER_8_BIT

struct flash_led {
    uint32_t on_duty;
};

esp_err_t flash_led_new(int gpio, unsigned brightness_percent, struct flash_led **out)
{
    ESP_RETURN_ON_FALSE(brightness_percent >= 1 && brightness_percent <= 100, ESP_ERR_INVALID_ARG,
                        TAG, "brightness %u%% is outside 1..100", brightness_percent);
    const ledc_timer_config_t timer = {
        .speed_mode = FLASH_SPEED_MODE,
        .duty_resolution = FLASH_DUTY_RESOLUTION,
        .timer_num = BOARD_LEDC_FLASH_TIMER,
        .freq_hz = FLASH_FREQ_HZ,
        .clk_cfg = LEDC_AUTO_CLK,
    };
    ESP_RETURN_ON_ERROR(ledc_timer_config(&timer), TAG, "flash LED timer");
    const ledc_channel_config_t ch = {
        .gpio_num = gpio,
        .speed_mode = FLASH_SPEED_MODE,
        .channel = BOARD_LEDC_FLASH_CHANNEL,
        .timer_sel = BOARD_LEDC_FLASH_TIMER,
        .duty = 0,
        .hpoint = 0,
    };
    ESP_RETURN_ON_ERROR(ledc_channel_config(&ch), TAG, "flash LED channel on GPIO %d", gpio);
    struct flash_led *led = calloc(1, sizeof(*led));
    ESP_RETURN_ON_FALSE(led != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the flash LED");
    /* Full scale is 2^8 (LEDC's duty range is [0, 2^bits]), so 100 % is steadily on. */
    led->on_duty = ((1u << FLASH_DUTY_BITS) * brightness_percent + 50u) / 100u;
    ESP_LOGI(TAG, "flash LED on GPIO %d, %u%% while streaming", gpio, brightness_percent);
    *out = led;
    return ESP_OK;
}

esp_err_t flash_led_set(struct flash_led *led, bool is_on)
{
    ESP_RETURN_ON_ERROR(
        ledc_set_duty(FLASH_SPEED_MODE, BOARD_LEDC_FLASH_CHANNEL, is_on ? led->on_duty : 0), TAG,
        "flash LED duty");
    return ledc_update_duty(FLASH_SPEED_MODE, BOARD_LEDC_FLASH_CHANNEL);
}
