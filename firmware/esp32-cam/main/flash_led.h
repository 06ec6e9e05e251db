#pragma once
/*
 * flash_led: the AI-Thinker's white LED (GPIO 4 by default), dimmed with LEDC (board.h: its own
 * timer at 5 kHz, so the PWM does not band the picture). Lit while a stream client is connected
 * when menuconfig enables it (LOOKOUT_FLASH_LED).
 *
 * Lives until reset (no _free: the firmware never tears it down).
 */
#include <stdbool.h>

#include "esp_err.h"

struct flash_led;

/*
 * Configure the LED's LEDC timer and channel on gpio, off. brightness_percent (1..100) is the
 * duty used while lit. Returns ESP_OK, ESP_ERR_INVALID_ARG, ESP_ERR_NO_MEM or the LEDC error.
 */
esp_err_t flash_led_new(int gpio, unsigned brightness_percent, struct flash_led **out);

/*
 * Light or darken the LED. Not thread-safe (LEDC's duty update is not): call it from one task at a
 * time (http_stream calls it under its own lock). Returns ESP_OK or the LEDC error.
 */
esp_err_t flash_led_set(struct flash_led *led, bool is_on);
