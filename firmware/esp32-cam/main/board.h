#pragma once
/*
 * board: the AI-Thinker ESP32-CAM's fixed wiring (camera connector, PSRAM, serial port) and the
 * LEDC resources Lookout assigns. docs/HARDWARE.md has the same tables for people.
 *
 * The camera pin map is the AI-Thinker schematic's (the same map esp32-camera's examples use for
 * CAMERA_MODEL_AI_THINKER). PSRAM CS/CLK are GPIO 16/17 on the ESP32 module; GPIO 1/3 are UART0
 * (flashing and the serial log); 34..39 are input-only.
 */
#include "driver/ledc.h"

#define BOARD_CAM_PIN_PWDN 32
#define BOARD_CAM_PIN_RESET (-1) /* not wired: the sensor is reset over SCCB */
#define BOARD_CAM_PIN_XCLK 0
#define BOARD_CAM_PIN_SIOD 26
#define BOARD_CAM_PIN_SIOC 27
#define BOARD_CAM_PIN_D7 35
#define BOARD_CAM_PIN_D6 34
#define BOARD_CAM_PIN_D5 39
#define BOARD_CAM_PIN_D4 36
#define BOARD_CAM_PIN_D3 21
#define BOARD_CAM_PIN_D2 19
#define BOARD_CAM_PIN_D1 18
#define BOARD_CAM_PIN_D0 5
#define BOARD_CAM_PIN_VSYNC 25
#define BOARD_CAM_PIN_HREF 23
#define BOARD_CAM_PIN_PCLK 22

/* XCLK for the sensor: 20 MHz, what the OV2640 is specified for. */
#define BOARD_CAM_XCLK_HZ 20000000

/*
 * True for a GPIO that Lookout must not drive: the camera's pins, the PSRAM's (16, 17), UART0
 * (1, 3), the SPI flash's (6..11: driving them crashes the chip), the strapping pin 12 (pulled
 * high at reset by a servo input it selects 1.8 V flash and the board does not boot), pins the
 * ESP32 does not have (20, 24, 28..31, above 39) and the input-only pins 34..39. Usable in #if,
 * so a bad menuconfig choice stops the build instead of fighting the camera at run time.
 */
#define BOARD_PIN_IS_RESERVED(p)                                                                   \
    ((p) < 0 || (p) == 0 || (p) == 1 || (p) == 3 || (p) == 5 || ((p) >= 6 && (p) <= 12) ||         \
     (p) == 16 || (p) == 17 || (p) == 18 || (p) == 19 || (p) == 20 || (p) == 21 || (p) == 22 ||    \
     (p) == 23 || (p) == 24 || (p) == 25 || (p) == 26 || (p) == 27 || ((p) >= 28 && (p) <= 32) ||  \
     (p) >= 34)

/*
 * LEDC assignment, all in low-speed mode. esp32-camera drives XCLK from the timer and channel in
 * camera_config_t (camera.c passes LEDC_TIMER_0 / LEDC_CHANNEL_0, its documented defaults), so
 * the servos take timer 1 with channels 2 and 3, and the flash LED timer 2 with channel 1: no
 * resource is shared, so the original firmware's "dummy servo" trick (attaching throwaway servos
 * to skip the camera's channels) is not needed. Each user needs its own timer because each needs
 * its own frequency: 20 MHz XCLK, 50 Hz servos, 5 kHz LED (no flicker in the picture).
 */
#define BOARD_LEDC_CAM_TIMER LEDC_TIMER_0
#define BOARD_LEDC_CAM_CHANNEL LEDC_CHANNEL_0
#define BOARD_LEDC_SERVO_TIMER LEDC_TIMER_1
#define BOARD_LEDC_PAN_CHANNEL LEDC_CHANNEL_2
#define BOARD_LEDC_TILT_CHANNEL LEDC_CHANNEL_3
#define BOARD_LEDC_FLASH_TIMER LEDC_TIMER_2
#define BOARD_LEDC_FLASH_CHANNEL LEDC_CHANNEL_1
