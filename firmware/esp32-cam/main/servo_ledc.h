#pragma once
/*
 * servo_ledc: drives the node's two servos (pan, tilt) with the ESP32's LEDC peripheral.
 *
 * One 50 Hz LEDC timer (board.h: BOARD_LEDC_SERVO_TIMER, not the camera's XCLK timer) with one
 * channel per servo. A periodic esp_timer steps the node's slew (node_tick) every update_ms and
 * rewrites a channel's duty only when its pulse width changed. The pulse comes from core/servo
 * (servo_pulse_us), which clamps the angle to the limits before mapping it to a pulse.
 *
 * Lives until reset (no _free: the firmware never tears it down).
 */
#include <stdint.h>

#include "esp_err.h"

#include "node_guard.h"

struct servo_ledc_config {
    int pan_gpio;       /* signal pin of the pan servo */
    int tilt_gpio;      /* signal pin of the tilt servo */
    uint32_t update_ms; /* period of the slew step and duty update, >= 1 */
};

struct servo_ledc;

/*
 * Configure the timer and both channels, starting at the node's current (home) pulses so the
 * servos do not jump to 0 deg at power-up, then start the periodic update. node is borrowed and
 * must outlive the servos (it does: neither is ever freed). Returns ESP_OK, ESP_ERR_NO_MEM, or
 * the LEDC / esp_timer error (each logged with its cause).
 */
esp_err_t servo_ledc_start(const struct servo_ledc_config *cfg, struct node_guard *node,
                           struct servo_ledc **out);
