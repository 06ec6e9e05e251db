#include "servo_ledc.h"

#include <stdbool.h>
#include <stdlib.h>

#include "driver/ledc.h"
#include "esp_check.h"
#include "esp_log.h"
#include "esp_timer.h"

#include "board.h"
#include "clock_ms.h"
#include "servo.h"

static const char *TAG = "servo_ledc";

#define SERVO_SPEED_MODE LEDC_LOW_SPEED_MODE
/* 16 bits over the 20 ms period: 0.31 us per step, finer than any SG90 can resolve. With
 * LEDC_AUTO_CLK the driver picks the 80 MHz APB clock for this (the 1 MHz REF_TICK cannot divide
 * down to 50 Hz x 2^16), the same low-speed clock it picks for the camera's 20 MHz XCLK, so the two
 * timers do not conflict over the shared low-speed clock source. */
#define SERVO_DUTY_BITS 16
#define SERVO_DUTY_RESOLUTION LEDC_TIMER_16_BIT
#define SERVO_PERIOD_US (1000000u / SERVO_PWM_HZ)

struct servo_ledc {
    struct node_guard *node;
    esp_timer_handle_t timer;
    uint32_t pan_pulse_us; /* last pulse written, so an idle servo costs no register writes */
    uint32_t tilt_pulse_us;
    bool has_warned; /* one log line for a failing update, not fifty a second */
};

/* LEDC duty for a pulse width: the fraction of the 20 ms period, in 2^16ths, rounded. */
static uint32_t duty_for_pulse(uint32_t pulse_us)
{
    uint64_t scaled = (uint64_t)pulse_us << SERVO_DUTY_BITS;
    return (uint32_t)((scaled + SERVO_PERIOD_US / 2) / SERVO_PERIOD_US);
}

/* Write one channel's pulse; the new duty takes effect at the start of the next PWM period. */
static esp_err_t write_pulse(ledc_channel_t channel, uint32_t pulse_us)
{
    ESP_RETURN_ON_ERROR(ledc_set_duty(SERVO_SPEED_MODE, channel, duty_for_pulse(pulse_us)), TAG,
                        "set duty on channel %d", (int)channel);
    return ledc_update_duty(SERVO_SPEED_MODE, channel);
}

static esp_err_t channel_start(ledc_channel_t channel, int gpio, uint32_t pulse_us)
{
    const ledc_channel_config_t ch = {
        .gpio_num = gpio,
        .speed_mode = SERVO_SPEED_MODE,
        .channel = channel,
        .timer_sel = BOARD_LEDC_SERVO_TIMER,
        .duty = duty_for_pulse(pulse_us),
        .hpoint = 0,
    };
    return ledc_channel_config(&ch);
}

/* esp_timer task: step the slew, then write whichever pulse changed. Only this callback writes
 * the servo channels, so LEDC's non-thread-safe set/update pair is safe here. */
static void on_update(void *arg)
{
    struct servo_ledc *s = arg;
    struct node *n = node_guard_lock(s->node);
    node_tick(n, clock_ms_now());
    uint32_t pan_us = node_pan_pulse_us(n);
    uint32_t tilt_us = node_tilt_pulse_us(n);
    node_guard_unlock(s->node);

    esp_err_t err = ESP_OK;
    if (pan_us != s->pan_pulse_us) {
        err = write_pulse(BOARD_LEDC_PAN_CHANNEL, pan_us);
        if (err == ESP_OK)
            s->pan_pulse_us = pan_us;
    }
    if (err == ESP_OK && tilt_us != s->tilt_pulse_us) {
        err = write_pulse(BOARD_LEDC_TILT_CHANNEL, tilt_us);
        if (err == ESP_OK)
            s->tilt_pulse_us = tilt_us;
    }
    if (err != ESP_OK && !s->has_warned) {
        ESP_LOGW(TAG, "cannot update the servo pulse: %s (retrying every period)",
                 esp_err_to_name(err));
        s->has_warned = true;
    } else if (err == ESP_OK) {
        s->has_warned = false;
    }
}

esp_err_t servo_ledc_start(const struct servo_ledc_config *cfg, struct node_guard *node,
                           struct servo_ledc **out)
{
    ESP_RETURN_ON_FALSE(cfg->update_ms > 0, ESP_ERR_INVALID_ARG, TAG, "update period is 0");
    struct servo_ledc *s = calloc(1, sizeof(*s));
    ESP_RETURN_ON_FALSE(s != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the servos");
    s->node = node;
    struct node *n = node_guard_lock(node);
    s->pan_pulse_us = node_pan_pulse_us(n);
    s->tilt_pulse_us = node_tilt_pulse_us(n);
    node_guard_unlock(node);

    esp_err_t ret = ESP_OK;
    const ledc_timer_config_t timer = {
        .speed_mode = SERVO_SPEED_MODE,
        .duty_resolution = SERVO_DUTY_RESOLUTION,
        .timer_num = BOARD_LEDC_SERVO_TIMER,
        .freq_hz = SERVO_PWM_HZ,
        .clk_cfg = LEDC_AUTO_CLK,
    };
    ESP_GOTO_ON_ERROR(ledc_timer_config(&timer), fail, TAG, "servo LEDC timer (50 Hz)");
    ESP_GOTO_ON_ERROR(channel_start(BOARD_LEDC_PAN_CHANNEL, cfg->pan_gpio, s->pan_pulse_us), fail,
                      TAG, "pan servo channel on GPIO %d", cfg->pan_gpio);
    ESP_GOTO_ON_ERROR(channel_start(BOARD_LEDC_TILT_CHANNEL, cfg->tilt_gpio, s->tilt_pulse_us),
                      fail, TAG, "tilt servo channel on GPIO %d", cfg->tilt_gpio);

    const esp_timer_create_args_t args = {
        .callback = on_update,
        .arg = s,
        .dispatch_method = ESP_TIMER_TASK,
        .name = "servo",
        .skip_unhandled_events = true,
    };
    ESP_GOTO_ON_ERROR(esp_timer_create(&args, &s->timer), fail, TAG, "servo update timer");
    ESP_GOTO_ON_ERROR(esp_timer_start_periodic(s->timer, (uint64_t)cfg->update_ms * 1000u), fail,
                      TAG, "start the servo update timer");
    ESP_LOGI(TAG, "servos on GPIO %d (pan) and %d (tilt): %lu / %lu us, updated every %lu ms",
             cfg->pan_gpio, cfg->tilt_gpio, (unsigned long)s->pan_pulse_us,
             (unsigned long)s->tilt_pulse_us, (unsigned long)cfg->update_ms);
    *out = s;
    return ESP_OK;

fail:
    /* Start-up only: the caller aborts. The LEDC channels stay configured; free only our own. */
    if (s->timer != NULL && esp_timer_delete(s->timer) != ESP_OK)
        ESP_LOGW(TAG, "cannot delete the servo update timer");
    free(s);
    return ret;
}
