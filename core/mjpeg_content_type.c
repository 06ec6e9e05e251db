#include "mjpeg_content_type.h"

#include <errno.h>
#include <string.h>

#include "mjpeg_chars.h"

/* RFC 2045 §5.1 tspecials: they end a token. */
static int is_tspecial(int c)
{
    return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static int is_token_char(int c)
{
    return c > 0x20 && c < 0x7f && !is_tspecial(c);
}

/* Skip blanks, folded line ends and RFC 822 comments "(...)" (nested, with quoted pairs), which
 * RFC 2045 allows between the tokens of a Content-Type. */
static const char *skip_cfws(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        char c = *p;
        if (depth > 0 && c == '\\' && p + 1 < end)
            p++;
        else if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (depth == 0 && !mjpeg_is_blank(c) && c != '\r' && c != '\n')
            break;
        p++;
    }
    return p;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && is_token_char((unsigned char)*p))
        p++;
    return p;
}

/* A quoted string (RFC 822 §3.3: quoted pairs "\x" stand for x), unquoted into out (if not NULL).
 * p is at the opening quote. Returns the position after the closing quote, or NULL. */
static const char *quoted_string(const char *p, const char *end, char *out, size_t out_size,
                                 size_t *n, int *rc)
{
    for (p++; p < end && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p + 1 < end)
            c = *++p;
        if (out == NULL)
            continue;
        if (!mjpeg_bchar_ok((unsigned char)c) && c != ' ')
            *rc = -EINVAL;
        else if (*n + 1 >= out_size || *n >= MJPEG_BOUNDARY_MAX)
            *rc = -ENOSPC;
        else
            out[(*n)++] = c;
    }
    return p < end ? p + 1 : NULL;
}

/* The boundary value at p (a token, leniently any run up to ';' or a blank, or a quoted string).
 * Byte-exact: only the quoting is removed. Returns 0, -EINVAL or -ENOSPC. */
static int boundary_value(const char *p, const char *end, char *out, size_t out_size)
{
    size_t n = 0;
    int rc = 0;
    if (p < end && *p == '"') {
        if (quoted_string(p, end, out, out_size, &n, &rc) == NULL)
            return -EINVAL;
    } else {
        /* Cameras put '/', ':', '=' or '?' into unquoted boundaries; RFC 2046 bchars allow them. */
        for (; p < end && *p != ';' && !mjpeg_is_blank(*p) && *p != '\r' && *p != '\n'; p++) {
            if (!mjpeg_bchar_ok((unsigned char)*p))
                return -EINVAL;
            if (n + 1 >= out_size || n >= MJPEG_BOUNDARY_MAX)
                return -ENOSPC;
            out[n++] = *p;
        }
    }
    if (rc < 0)
        return rc;
    if (n == 0)
        return -EINVAL;
    out[n] = '\0';
    return 0;
}

/* Past one parameter value (quoted or not) to the next ';' or the end. */
static const char *skip_value(const char *p, const char *end)
{
    while (p < end && *p != ';') {
        if (*p == '"') {
            size_t n = 0;
            int rc = 0;
            p = quoted_string(p, end, NULL, 0, &n, &rc);
            if (p == NULL)
                return end;
        } else {
            p++;
        }
    }
    return p;
}

int mjpeg_boundary_from_content_type(const char *ct, char *out, size_t out_size)
{
    const char *end = ct + strlen(ct);
    /* type "/" subtype, case-insensitive (RFC 2045 §5.1); blanks and comments around them. */
    const char *p = skip_cfws(ct, end);
    const char *type = p;
    p = skip_token(p, end);
    if (p - type != 9 || !mjpeg_has_prefix_ci(type, 9, "multipart"))
        return -EINVAL;
    p = skip_cfws(p, end);
    if (p >= end || *p != '/')
        return -EINVAL;
    p = skip_cfws(p + 1, end);
    const char *subtype = p;
    p = skip_token(p, end);
    if (p == subtype)
        return -EINVAL;
    /* Parameters: ";" name "=" value, blanks and comments around every part, names in any
     * case, empty ones (";;") skipped, a ';' inside a quoted value is no separator. The first
     * boundary wins. */
    while ((p = skip_cfws(p, end)) < end) {
        if (*p == ';')
            p++; /* a missing ';' before a parameter is forgiven */
        p = skip_cfws(p, end);
        const char *name = p;
        p = skip_token(p, end);
        size_t name_len = (size_t)(p - name);
        p = skip_cfws(p, end);
        if (name_len == 0 || p >= end || *p != '=') {
            p = skip_value(p, end);
            continue;
        }
        p = skip_cfws(p + 1, end);
        if (name_len == 8 && mjpeg_has_prefix_ci(name, 8, "boundary"))
            return boundary_value(p, end, out, out_size);
        p = skip_value(p, end);
    }
    return -EINVAL;
}
