#include "query.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Query text echoed in a reason is cut here: the reason goes back to an untrusted client. */
#define QUOTE_MAX 32

enum query_key { KEY_TR = 0, KEY_EL, KEY_PAN, KEY_TILT, KEY_COUNT, KEY_NONE = -1 };

static const char *const key_names[KEY_COUNT] = {"tr", "el", "pan", "tilt"};

static const char *const status_texts[] = {
    [QUERY_OK] = "ok",
    [QUERY_ERR_EMPTY] = "empty query",
    [QUERY_ERR_TOO_LONG] = "query too long",
    [QUERY_ERR_EMPTY_PARAM] = "empty parameter",
    [QUERY_ERR_BAD_ESCAPE] = "bad percent escape",
    [QUERY_ERR_UNKNOWN_KEY] = "unknown key",
    [QUERY_ERR_DUPLICATE] = "duplicated key",
    [QUERY_ERR_MIXED] = "relative and absolute keys mixed",
    [QUERY_ERR_NO_VALUE] = "missing value",
    [QUERY_ERR_NOT_INTEGER] = "not an integer",
    [QUERY_ERR_OVERFLOW] = "integer overflow",
    [QUERY_ERR_OUT_OF_RANGE] = "out of range",
};

const char *query_strerror(enum query_status status)
{
    size_t i = (size_t)status;
    if (i >= sizeof(status_texts) / sizeof(status_texts[0]) || status_texts[i] == NULL)
        return "unknown error";
    return status_texts[i];
}

static void write_reason(char *reason, size_t reason_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void write_reason(char *reason, size_t reason_size, const char *fmt, ...)
{
    if (reason == NULL || reason_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    /* Truncation is acceptable: the reason is advisory, the status is the contract. */
    (void)vsnprintf(reason, reason_size, fmt, ap);
    va_end(ap);
}

/* Copy s[0..len) for display: at most QUOTE_MAX bytes, '?' for anything not printable ASCII
 * (including '"' and '\\', so the quoted text cannot break out of its quotes). */
static void quote_text(const char *s, size_t len, char out[QUOTE_MAX + 4])
{
    size_t n = len < QUOTE_MAX ? len : QUOTE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (len > QUOTE_MAX) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode in[0..len) into out (room for len bytes), RFC 3986 §2.1. Returns the decoded
 * length, or -1 if a '%' is not followed by two hex digits. '+' stays '+' (see query.h). */
static long percent_decode(const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '%') {
            out[n++] = in[i];
            continue;
        }
        if (len - i < 3)
            return -1;
        int hi = hex_digit(in[i + 1]);
        int lo = hex_digit(in[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        out[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    return (long)n;
}

static enum query_key find_key(const char *name, size_t len)
{
    for (int k = 0; k < KEY_COUNT; k++) {
        if (strlen(key_names[k]) == len && memcmp(key_names[k], name, len) == 0)
            return (enum query_key)k;
    }
    return KEY_NONE;
}

/* Strict decimal integer: optional sign, then one or more digits, nothing else. Every byte is
 * checked before the value is accumulated, so "99999999999999999999x" is not an integer rather
 * than an overflow. */
static enum query_status parse_int(const char *s, size_t len, int32_t *value)
{
    size_t i = 0;
    bool is_negative = false;
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        is_negative = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return QUERY_ERR_NOT_INTEGER;
    for (size_t j = i; j < len; j++) {
        if (s[j] < '0' || s[j] > '9')
            return QUERY_ERR_NOT_INTEGER;
    }
    /* The magnitude may reach 2^31 for a negative number; stop as soon as it cannot fit. */
    const uint32_t limit = is_negative ? (uint32_t)INT32_MAX + 1u : (uint32_t)INT32_MAX;
    uint32_t magnitude = 0;
    for (; i < len; i++) {
        uint32_t digit = (uint32_t)(s[i] - '0');
        if (magnitude > (limit - digit) / 10u)
            return QUERY_ERR_OVERFLOW;
        magnitude = magnitude * 10u + digit;
    }
    if (is_negative)
        *value = (magnitude == (uint32_t)INT32_MAX + 1u) ? INT32_MIN : -(int32_t)magnitude;
    else
        *value = (int32_t)magnitude;
    return QUERY_OK;
}

static enum query_status fail(struct query_move *out, enum query_status status)
{
    memset(out, 0, sizeof(*out));
    return status;
}

/* Parse one "key=value" parameter p[0..len) into *out; seen[] marks keys already given. */
static enum query_status parse_param(const char *p, size_t len, struct query_move *out,
                                     bool seen[KEY_COUNT], char *reason, size_t reason_size)
{
    char quoted[QUOTE_MAX + 4];
    char decoded[QUERY_MAX_BYTES];
    const char *eq = memchr(p, '=', len);
    size_t key_len = eq ? (size_t)(eq - p) : len;

    long n = percent_decode(p, key_len, decoded);
    if (n < 0) {
        quote_text(p, key_len, quoted);
        write_reason(reason, reason_size, "bad percent escape in key: \"%s\"", quoted);
        return QUERY_ERR_BAD_ESCAPE;
    }
    enum query_key key = find_key(decoded, (size_t)n);
    if (key == KEY_NONE)
        return QUERY_OK; /* a cache buster ("_=1699999") or tracking junk: not ours, ignored */
    const char *name = key_names[key];
    if (seen[key]) {
        write_reason(reason, reason_size, "%s: duplicated key", name);
        return QUERY_ERR_DUPLICATE;
    }
    enum query_mode mode =
        (key == KEY_TR || key == KEY_EL) ? QUERY_MODE_RELATIVE : QUERY_MODE_ABSOLUTE;
    bool has_any = out->has_pan || out->has_tilt;
    if (has_any && mode != out->mode) {
        write_reason(reason, reason_size,
                     "%s: relative (tr, el) and absolute (pan, tilt) keys cannot be mixed", name);
        return QUERY_ERR_MIXED;
    }
    seen[key] = true;
    out->mode = mode;

    if (eq == NULL || key_len + 1 == len) {
        write_reason(reason, reason_size, "%s: missing value", name);
        return QUERY_ERR_NO_VALUE;
    }
    const char *raw = eq + 1;
    size_t raw_len = len - key_len - 1;
    quote_text(raw, raw_len, quoted);
    n = percent_decode(raw, raw_len, decoded);
    if (n < 0) {
        write_reason(reason, reason_size, "%s: bad percent escape: \"%s\"", name, quoted);
        return QUERY_ERR_BAD_ESCAPE;
    }
    int32_t value = 0;
    enum query_status st = parse_int(decoded, (size_t)n, &value);
    if (st == QUERY_ERR_NOT_INTEGER) {
        write_reason(reason, reason_size, "%s: not an integer: \"%s\"", name, quoted);
        return st;
    }
    if (st == QUERY_ERR_OVERFLOW) {
        write_reason(reason, reason_size, "%s: integer overflow: \"%s\"", name, quoted);
        return st;
    }
    int lo = mode == QUERY_MODE_RELATIVE ? QUERY_REL_MIN_DEG : QUERY_ABS_MIN_DEG;
    int hi = mode == QUERY_MODE_RELATIVE ? QUERY_REL_MAX_DEG : QUERY_ABS_MAX_DEG;
    if (value < lo || value > hi) {
        /* %ld with a cast: newlib-nano's printf has no length modifiers beyond l. */
        write_reason(reason, reason_size, "%s: %ld out of range %d..%d", name, (long)value, lo, hi);
        return QUERY_ERR_OUT_OF_RANGE;
    }
    if (key == KEY_TR || key == KEY_PAN) {
        out->has_pan = true;
        out->pan_deg = (int)value;
    } else {
        out->has_tilt = true;
        out->tilt_deg = (int)value;
    }
    return QUERY_OK;
}

enum query_status query_parse(const char *query, struct query_move *out, char *reason,
                              size_t reason_size)
{
    memset(out, 0, sizeof(*out));
    write_reason(reason, reason_size, "%s", "");

    /* Bounded scan: never read more than one byte past the limit. */
    size_t len = 0;
    while (query != NULL && len <= QUERY_MAX_BYTES && query[len] != '\0')
        len++;
    if (len == 0) {
        write_reason(reason, reason_size,
                     "empty query: expected tr=INT&el=INT or pan=DEG&tilt=DEG");
        return QUERY_ERR_EMPTY;
    }
    if (len > QUERY_MAX_BYTES) {
        write_reason(reason, reason_size, "query too long: more than %d bytes", QUERY_MAX_BYTES);
        return QUERY_ERR_TOO_LONG;
    }

    bool seen[KEY_COUNT] = {false};
    size_t start = 0;
    while (start <= len) {
        const char *amp = memchr(query + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - query) : len;
        if (end == start) {
            write_reason(reason, reason_size, "empty parameter (stray '&')");
            return fail(out, QUERY_ERR_EMPTY_PARAM);
        }
        enum query_status st =
            parse_param(query + start, end - start, out, seen, reason, reason_size);
        if (st != QUERY_OK)
            return fail(out, st);
        start = end + 1;
    }
    if (!out->has_pan && !out->has_tilt) {
        write_reason(reason, reason_size,
                     "no move: expected tr=INT&el=INT or pan=DEG&tilt=DEG (other keys are "
                     "ignored)");
        return fail(out, QUERY_ERR_EMPTY);
    }
    return QUERY_OK;
}
