#pragma once
/*
 * jpeg: check and decode JPEG frames in tests, with TurboJPEG (libjpeg-turbo).
 *
 * Decoding is strict: libjpeg's warnings (a truncated scan, corrupt data) count as failures, so a
 * frame cut short in transit does not pass for a good one.
 */
#include <stddef.h>
#include <stdint.h>

/*
 * Decode jpeg[0..len) completely and store its size in *width and *height (either may be NULL).
 * Returns 0 if it decodes without error or warning, -EINVAL if not, -ENOMEM.
 */
int ts_jpeg_decode_ok(const uint8_t *jpeg, size_t len, int *width, int *height);

/*
 * Decode jpeg[0..len) to 8-bit grayscale, one byte per pixel, rows packed (pitch = width).
 * On success stores a new buffer in *pixels (the caller frees it with free()) and the size in
 * *width and *height, and returns 0; otherwise returns -EINVAL or -ENOMEM and sets *pixels NULL.
 */
int ts_jpeg_decode_gray(const uint8_t *jpeg, size_t len, uint8_t **pixels, int *width, int *height);

/*
 * Encode an 8-bit grayscale picture (one byte per pixel, rows packed) as a baseline JPEG of the
 * given quality (1..100). On success stores a new buffer in *jpeg (the caller frees it with
 * free()) and its length in *len, and returns 0; otherwise returns -EINVAL or -ENOMEM and sets
 * *jpeg NULL.
 */
int ts_jpeg_encode_gray(const uint8_t *pixels, int width, int height, int quality, uint8_t **jpeg,
                        size_t *len);
