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
