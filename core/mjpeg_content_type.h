#pragma once
/*
 * mjpeg_content_type: the boundary of a multipart stream from its Content-Type header value,
 * read with the whole of RFC 2045 §5.1's syntax (tokens, quoted strings, RFC 822 comments),
 * for core/mjpeg_parser. No allocation; the caller's buffers only.
 */
#include <stddef.h>

#include "mjpeg_writer.h" /* MJPEG_BOUNDARY_MAX */

/*
 * Extract the boundary from a Content-Type header value such as
 * `multipart/x-mixed-replace; boundary="frame"` (RFC 2045 §5.1 syntax: type and parameter names
 * are case-insensitive, blanks and RFC 822 comments may surround every token, ';' and '=', the
 * value is a token or a quoted string whose \-pairs stand for the character). The value is kept
 * byte-exact, only unquoted; an unquoted one may hold any RFC 2046 bchar but blanks. Writes it,
 * NUL-terminated, into out. Returns 0, or -EINVAL if the type is not multipart/ or has no usable
 * boundary, or -ENOSPC if it is longer than out_size - 1 or MJPEG_BOUNDARY_MAX.
 */
int mjpeg_boundary_from_content_type(const char *content_type, char *out, size_t out_size);
