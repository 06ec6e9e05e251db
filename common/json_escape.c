#include "json_escape.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* the NUL at the end stops here too */
            return 0;
    }
    /* Overlong three- and four-byte forms, UTF-16 surrogates and values past U+10FFFF. */
    if ((n == 3 && c == 0xe0 && s[1] < 0xa0) || (n == 3 && c == 0xed && s[1] >= 0xa0) ||
        (n == 4 && c == 0xf0 && s[1] < 0x90) || (n == 4 && c == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

size_t json_escape_char(const char *s, char piece[JSON_ESCAPE_PIECE_MAX], size_t *step)
{
    const unsigned char *u = (const unsigned char *)s;
    *step = 1;
    if (*u == '"' || *u == '\\') {
        piece[0] = '\\';
        piece[1] = (char)*u;
        return 2;
    }
    if (*u < 0x20 || *u == 0x7f) {
        static const char hex[] = "0123456789abcdef";
        memcpy(piece, "\\u00", 4);
        piece[4] = hex[*u >> 4];
        piece[5] = hex[*u & 0xf];
        return 6;
    }
    size_t n = utf8_len(u);
    if (n == 0) {
        memcpy(piece, "\\ufffd", 6);
        return 6;
    }
    memcpy(piece, s, n);
    *step = n;
    return n;
}
