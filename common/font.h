#pragma once
/*
 * font: a 5x7 bitmap font of our own (digits, A-Z, space and ":-/.#"), drawn into an RGB24
 * image at an integer scale. Used for the simulated camera's on-screen display and the compass
 * letters in its scene, and for the relay's "camera offline" picture. Lowercase letters draw as
 * uppercase; other characters draw as '?'.
 */
#include <stdint.h>

#define FONT_GLYPH_W 5
#define FONT_GLYPH_H 7
/* Horizontal distance from one character to the next, in unscaled pixels. */
#define FONT_ADVANCE 6

/* Width in pixels of `text` drawn at `scale` (no trailing gap), 0 for an empty string. */
unsigned font_text_width(const char *text, unsigned scale);

/*
 * Draw `text` with its top-left corner at (x, y) into rgb, an image of width x height pixels,
 * 3 bytes per pixel, rows packed. Each font pixel becomes a scale x scale block of `color`
 * (r, g, b). Pixels outside the image are clipped, so x and y may be negative. rgb, text and
 * color are borrowed for the call.
 */
void font_draw_text(uint8_t *rgb, unsigned width, unsigned height, int x, int y, const char *text,
                    unsigned scale, const uint8_t color[3]);
