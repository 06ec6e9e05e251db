#pragma once
/*
 * mjpeg_chars: the ASCII character classes both the multipart parser (mjpeg_parser.c) and the
 * Content-Type reader (mjpeg_content_type.c) use. Internal to core/; static inline, so each
 * file gets its own copy of these few lines without a second definition in the source.
 */
#include <stddef.h>
#include <string.h>

/* A blank: space or horizontal tab (RFC 5234 WSP). */
static inline int mjpeg_is_blank(int c)
{
    return c == ' ' || c == '\t';
}

static inline int mjpeg_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive prefix test for ASCII header names: s[0..len) starts with prefix. */
static inline int mjpeg_has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    if (len < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (mjpeg_lower((unsigned char)s[i]) != mjpeg_lower((unsigned char)prefix[i]))
            return 0;
    }
    return 1;
}

/* RFC 2046 §5.1.1 bchars are printable ASCII; anything else cannot be matched safely. */
static inline int mjpeg_bchar_ok(int c)
{
    return c > 0x20 && c < 0x7f;
}
