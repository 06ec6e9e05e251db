#pragma once
/*
 * json_escape: one character of a JSON string's inside (RFC 8259 §7), the piece both the HTTP
 * replies (relay/http/reply.c) and the audit log (relay/access/audit.c) are built from: '"' and
 * '\\' escaped, control characters and DEL as \u00XX, valid UTF-8 (RFC 3629 §4) kept as it is,
 * and each byte that is not valid UTF-8 replaced by \ufffd, so the output is always valid JSON
 * in valid UTF-8 whatever the input bytes.
 */
#include <stddef.h>

/* The longest piece json_escape_char writes (\u00XX, \ufffd: 6 bytes). */
#define JSON_ESCAPE_PIECE_MAX 6

/*
 * The escaped form of the character at s (s[0] != '\0'; s NUL-terminated, so a sequence cut
 * short by the end is invalid, never read past). Writes it into piece (JSON_ESCAPE_PIECE_MAX
 * bytes, not NUL-terminated), returns its length (1..6) and sets *step to the input bytes it
 * stands for (1..4).
 */
size_t json_escape_char(const char *s, char piece[JSON_ESCAPE_PIECE_MAX], size_t *step);
