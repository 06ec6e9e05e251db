#include "mjpeg_writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_boundary(const char *boundary)
{
    size_t n = boundary ? strlen(boundary) : 0;
    return (n == 0 || n > MJPEG_BOUNDARY_MAX) ? -EINVAL : 0;
}

/* snprintf reports the length it wanted; anything that did not fit is a caller sizing error. */
static int fitted(int n, size_t out_size)
{
    if (n < 0)
        return -EINVAL;
    return ((size_t)n >= out_size) ? -ENOSPC : n;
}

int mjpeg_write_content_type(char *out, size_t out_size, const char *boundary)
{
    if (check_boundary(boundary) < 0)
        return -EINVAL;
    return fitted(snprintf(out, out_size, "multipart/x-mixed-replace;boundary=%s", boundary),
                  out_size);
}

int mjpeg_write_part_header(char *out, size_t out_size, const char *boundary, size_t jpeg_bytes,
                            const char *extra_headers)
{
    if (check_boundary(boundary) < 0)
        return -EINVAL;
    /* %lu with a cast: newlib-nano's printf has no %zu. */
    int n = snprintf(out, out_size,
                     "\r\n--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %lu\r\n%s\r\n",
                     boundary, (unsigned long)jpeg_bytes, extra_headers ? extra_headers : "");
    return fitted(n, out_size);
}

int mjpeg_write_delimiter(char *out, size_t out_size, const char *boundary)
{
    if (check_boundary(boundary) < 0)
        return -EINVAL;
    return fitted(snprintf(out, out_size, "\r\n--%s\r\n", boundary), out_size);
}

int mjpeg_write_part_fields(char *out, size_t out_size, size_t jpeg_bytes,
                            const char *extra_headers)
{
    int n = snprintf(out, out_size, "Content-Type: image/jpeg\r\nContent-Length: %lu\r\n%s\r\n",
                     (unsigned long)jpeg_bytes, extra_headers ? extra_headers : "");
    return fitted(n, out_size);
}

/* Millidegrees as decimal degrees without trailing zeros, into out (at least 16 bytes). */
static void format_mdeg(char *out, size_t out_size, int mdeg)
{
    /* Widened before negating: -INT_MIN overflows an int. */
    long v = mdeg;
    const char *sign = v < 0 ? "-" : "";
    unsigned long a = (unsigned long)(v < 0 ? -v : v);
    unsigned long whole = a / 1000, frac = a % 1000;
    if (frac == 0) {
        snprintf(out, out_size, "%s%lu", sign, whole);
        return;
    }
    int digits = 3;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(out, out_size, "%s%lu.%0*lu", sign, whole, digits, frac);
}

int mjpeg_write_angle_fields(char *out, size_t out_size, int pan_mdeg, int tilt_mdeg)
{
    char pan[24], tilt[24];
    format_mdeg(pan, sizeof(pan), pan_mdeg);
    format_mdeg(tilt, sizeof(tilt), tilt_mdeg);
    return fitted(snprintf(out, out_size, "X-Pan: %s\r\nX-Tilt: %s\r\n", pan, tilt), out_size);
}
