#pragma once
/*
 * mjpeg_writer: the bytes that frame one JPEG as a part of a multipart/x-mixed-replace stream.
 *
 * Format (RFC 2046 §5.1.1; the same bytes the original ESP32 firmware sent):
 *   "\r\n--" boundary "\r\n"
 *   "Content-Type: image/jpeg\r\n"
 *   "Content-Length: " N "\r\n"
 *   extra headers (each ending in "\r\n"), if any
 *   "\r\n"
 *   then the N bytes of the JPEG.
 * The CRLF before "--" belongs to the delimiter (RFC 2046 §5.1.1), so no trailer follows a part;
 * before the first part it is harmless preamble. Pure functions over caller buffers, newlib-safe.
 */
#include <stddef.h>

/* The boundary the original ESP32 firmware used; lookout-cam and the firmware keep it. */
#define MJPEG_ESP32_BOUNDARY "123456789000000000000987654321"

/* Longest boundary accepted anywhere in Lookout (RFC 2046 allows 70 characters). */
#define MJPEG_BOUNDARY_MAX 100

/*
 * Write the Content-Type header value for a stream with `boundary` into out (NUL-terminated):
 * "multipart/x-mixed-replace;boundary=<boundary>".
 * Returns the length written (without the NUL), or -EINVAL if boundary is empty or longer than
 * MJPEG_BOUNDARY_MAX, or -ENOSPC if out_size is too small.
 */
int mjpeg_write_content_type(char *out, size_t out_size, const char *boundary);

/*
 * Write the delimiter and part headers that precede a JPEG of `jpeg_bytes` bytes into out
 * (NUL-terminated). `extra_headers` is NULL or a string of complete header lines, each ending in
 * "\r\n" (for example "X-Timestamp: 12.5\r\n"); it is copied as is.
 * Returns the length written (without the NUL), -EINVAL for a bad boundary, or -ENOSPC if out is
 * too small (128 bytes plus the boundary and extra headers are always enough).
 */
int mjpeg_write_part_header(char *out, size_t out_size, const char *boundary, size_t jpeg_bytes,
                            const char *extra_headers);

/*
 * Write only the delimiter line, "\r\n--" boundary "\r\n", into out (NUL-terminated).
 * A server that writes it right after each JPEG (instead of before the next one) lets a browser
 * show the part at once: browsers end a part at the delimiter, not at Content-Length.
 * Returns the length written, -EINVAL for a bad boundary, or -ENOSPC if out is too small.
 */
int mjpeg_write_delimiter(char *out, size_t out_size, const char *boundary);

/*
 * Write only the part header fields that follow a delimiter: "Content-Type: image/jpeg\r\n",
 * "Content-Length: N\r\n", extra_headers as in mjpeg_write_part_header, then the blank line.
 * Returns the length written, or -ENOSPC if out is too small.
 */
int mjpeg_write_part_fields(char *out, size_t out_size, size_t jpeg_bytes,
                            const char *extra_headers);

/*
 * Write the part header lines that say where the camera pointed when it took the frame:
 * "X-Pan: DEG\r\nX-Tilt: DEG\r\n", degrees from millidegrees with up to three decimals and no
 * trailing zeros ("90", "92.5", "-0.25"), for mjpeg_write_part_header's extra_headers.
 * The relay passes these two fields on to its viewers. Returns the length written (without the
 * NUL), or -ENOSPC if out is too small (48 bytes are always enough).
 */
int mjpeg_write_angle_fields(char *out, size_t out_size, int pan_mdeg, int tilt_mdeg);
