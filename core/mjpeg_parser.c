#include "mjpeg_parser.h"

#include <errno.h>
#include <string.h>

#include "mjpeg_chars.h"

/*
 * Design (after nginx's ngx_http_parse.c): an explicit state kept in the struct, advanced byte by
 * byte where it must be, so parsing resumes wherever the previous slice ended.
 *
 *   S_SCAN     looking for a delimiter line. With _skipping == 0 the bytes before it are the
 *              current part's body (a part without Content-Length); otherwise they are preamble,
 *              resync garbage or an oversized part, and are only counted.
 *   S_HEADERS  reading part header lines up to the blank line.
 *   S_BODY_CL  reading content_length body bytes, still watching for a delimiter: when the two
 *              disagree, the delimiter wins (RFC 2046 §5.1.1: a boundary never occurs inside a
 *              part), so a length that is too large cannot merge two frames.
 *   S_PART_DONE  report PART_END without waiting for more input (no frame of added latency).
 *   S_END      after the close delimiter.
 *
 * A delimiter is a line holding the boundary: "\r\n--" boundary, CRLF or bare LF, 0 to 4 dashes
 * (servers disagree on whether the header's boundary includes them), optional transport padding
 * (RFC 2046 §5.1.1), then a line end; "--" right after the boundary closes the stream. Bytes that
 * might start a delimiter are held in _held until the match is decided; if it fails they were
 * body bytes and are reported from _flush.
 *
 * Content-Length is believed until it is caught lying: a delimiter inside the declared body
 * (too large), or anything but blanks between the declared end and the next delimiter (too
 * small: that part was cut short). From then on this stream's lengths are ignored and parts end
 * at their delimiters (_is_length_untrusted), at the cost of waiting for the next delimiter.
 * A malformed, negative or contradictory length is ignored for its part only.
 */

enum state { S_SCAN, S_HEADERS, S_BODY_CL, S_PART_DONE, S_END };

/* Delimiter matcher positions (_match). */
enum { M_IDLE, M_CR, M_LF, M_BOUNDARY, M_AFTER, M_DASH, M_PAD, M_PAD_CR };

enum match { MATCH_NONE, MATCH_HOLD, MATCH_MISS, MATCH_DELIM, MATCH_CLOSE };

#define MAX_DASHES 4
#define MAX_PADDING 16

static void start_headers(struct mjpeg_parser *p)
{
    p->_state = S_HEADERS;
    p->content_length = -1;
    p->x_fields[0] = '\0';
    p->x_fields_len = 0;
    p->_cl_headers = 0;
    p->_is_length_bad = 0;
    p->_header_bytes = 0;
    p->_line_len = 0;
    p->_line_overflow = 0;
}

/* Scan for the next delimiter, counting whatever precedes it as skipped. */
static void start_scan(struct mjpeg_parser *p, int skipping, int at_line_start)
{
    p->_state = S_SCAN;
    p->_skipping = skipping;
    p->_match = at_line_start ? M_LF : M_IDLE;
    p->_dashes = 0;
    p->_held_len = 0;
}

int mjpeg_parser_init(struct mjpeg_parser *p, const char *boundary, size_t max_frame_bytes)
{
    memset(p, 0, sizeof(*p));
    if (boundary == NULL || max_frame_bytes == 0)
        return -EINVAL;
    while (*boundary == '-')
        boundary++;
    size_t n = strlen(boundary);
    if (n == 0 || n > MJPEG_BOUNDARY_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        /* Quoted boundaries may hold spaces; a line end inside one could never be matched. */
        if (!mjpeg_bchar_ok((unsigned char)boundary[i]) && boundary[i] != ' ')
            return -EINVAL;
    }
    memcpy(p->_boundary, boundary, n + 1);
    p->_boundary_len = n;
    p->_max_frame_bytes = max_frame_bytes;
    p->content_length = -1;
    /* The body starts at a line start: a first delimiter without a CRLF before it is fine. */
    start_scan(p, 1, 1);
    return 0;
}

static enum match hold(struct mjpeg_parser *p, uint8_t c, int next)
{
    p->_held[p->_held_len++] = c;
    p->_match = next;
    return MATCH_HOLD;
}

/* Advance the delimiter matcher by one byte; see the comment at the top of the file. */
static enum match match_byte(struct mjpeg_parser *p, uint8_t c)
{
    switch (p->_match) {
    case M_IDLE:
        if (c == '\r')
            return hold(p, c, M_CR);
        if (c != '\n')
            return MATCH_NONE;
        p->_dashes = 0;
        return hold(p, c, M_LF);
    case M_CR:
        if (c != '\n')
            return MATCH_MISS;
        p->_dashes = 0;
        return hold(p, c, M_LF);
    case M_LF:
        if (c == '-' && p->_dashes < MAX_DASHES) {
            p->_dashes++;
            return hold(p, c, M_LF);
        }
        if (c != (uint8_t)p->_boundary[0])
            return MATCH_MISS;
        p->_boundary_pos = 1;
        return hold(p, c, p->_boundary_len == 1 ? M_AFTER : M_BOUNDARY);
    case M_BOUNDARY:
        if (c != (uint8_t)p->_boundary[p->_boundary_pos])
            return MATCH_MISS;
        p->_boundary_pos++;
        return hold(p, c, p->_boundary_pos == p->_boundary_len ? M_AFTER : M_BOUNDARY);
    case M_AFTER:
        if (c == '-')
            return hold(p, c, M_DASH);
        /* Otherwise padding and the line end are handled as in M_PAD. */
        /* fall through */
    case M_PAD:
        if (c == '\n')
            return MATCH_DELIM;
        if (c == '\r')
            return hold(p, c, M_PAD_CR);
        if (mjpeg_is_blank(c) && p->_held_len < sizeof(p->_held) - 1 &&
            p->_held_len < p->_boundary_len + MAX_DASHES + 2 + MAX_PADDING)
            return hold(p, c, M_PAD);
        return MATCH_MISS;
    case M_DASH:
        return c == '-' ? MATCH_CLOSE : MATCH_MISS;
    case M_PAD_CR:
        return c == '\n' ? MATCH_DELIM : MATCH_MISS;
    }
    return MATCH_MISS;
}

/* Where the run of plain body bytes starting at in[i] ends: at the first line end that may
 * begin a delimiter (a LF followed by a dash or the boundary's first byte, with the CR before it
 * if any), or at stop. Bytes up to len may be looked at but only those before stop are claimed.
 * Every delimiter holds such a LF, so memchr() over the run is enough: a JPEG has a line end
 * every 128 bytes or so, and handing each one to the byte matcher cost the bench's 1000 viewers
 * most of their CPU. A line end that cannot be decided here (the input ends) goes to the
 * matcher, which keeps the state across calls. */
static size_t body_run_end(const struct mjpeg_parser *p, const uint8_t *in, size_t i, size_t stop,
                           size_t len)
{
    size_t k = i;
    while (k < stop) {
        const uint8_t *lf = memchr(in + k, '\n', stop - k);
        if (lf == NULL)
            break;
        size_t at = (size_t)(lf - in);
        if (at + 1 >= len || in[at + 1] == '-' || in[at + 1] == (uint8_t)p->_boundary[0])
            return (at > i && in[at - 1] == '\r') ? at - 1 : at;
        k = at + 1;
    }
    /* A CR last might begin "\r\n--boundary" in bytes not seen yet. */
    if (stop > i && in[stop - 1] == '\r')
        return stop - 1;
    return stop;
}

/* Report n body bytes at data, or count them when the part is being skipped. */
/* A Content-Length was wrong: count it and frame by delimiters from now on. */
static void length_lied(struct mjpeg_parser *p)
{
    p->length_errors++;
    p->_is_length_untrusted = 1;
    p->_is_verifying = 0;
}

static enum mjpeg_result emit(struct mjpeg_parser *p, const uint8_t *data, size_t n,
                              struct mjpeg_span *span)
{
    if (n == 0)
        return MJPEG_NEED_MORE;
    if (p->_skipping) {
        /* After a part that ended by its Content-Length only blanks may come before the next
         * delimiter; anything else was the rest of that part. */
        for (size_t i = 0; p->_is_verifying && i < n; i++) {
            if (!mjpeg_is_blank(data[i]) && data[i] != '\r' && data[i] != '\n')
                length_lied(p);
        }
        p->skipped_bytes += n;
        return MJPEG_NEED_MORE;
    }
    if (n > p->_max_frame_bytes - p->_part_bytes) {
        p->errors++;
        p->skipped_bytes += p->_part_bytes + n;
        p->_skipping = 1;
        return MJPEG_ERR_TOO_BIG;
    }
    p->_part_bytes += n;
    span->data = data;
    span->len = n;
    return MJPEG_DATA;
}

static enum mjpeg_result part_end(struct mjpeg_parser *p)
{
    p->parts++;
    return MJPEG_PART_END;
}

static enum mjpeg_result scan(struct mjpeg_parser *p, const uint8_t *in, size_t len, size_t *i,
                              struct mjpeg_span *span)
{
    while (*i < len) {
        enum mjpeg_result r;
        if (p->_match == M_IDLE) {
            /* Fast path: everything up to a line end that may begin a delimiter is body (or
             * skipped). */
            size_t j = body_run_end(p, in, *i, len, len);
            r = emit(p, in + *i, j - *i, span);
            *i = j;
            if (r != MJPEG_NEED_MORE)
                return r;
            if (j == len)
                break;
        }
        int was_skipping = p->_skipping;
        switch (match_byte(p, in[*i])) {
        case MATCH_NONE:
        case MATCH_HOLD:
            (*i)++;
            break;
        case MATCH_MISS:
            /* The held bytes were body after all; the current byte is looked at again. */
            memcpy(p->_flush, p->_held, p->_held_len);
            p->_flush_len = p->_held_len;
            p->_held_len = 0;
            p->_match = M_IDLE;
            r = emit(p, p->_flush, p->_flush_len, span);
            if (r != MJPEG_NEED_MORE)
                return r;
            break;
        case MATCH_DELIM:
            (*i)++;
            p->_is_verifying = 0;
            start_headers(p);
            return was_skipping ? MJPEG_NEED_MORE : part_end(p);
        case MATCH_CLOSE:
            (*i)++;
            p->_is_verifying = 0;
            p->_state = S_END;
            p->_pending_end = !was_skipping;
            return was_skipping ? MJPEG_END : part_end(p);
        }
    }
    return MJPEG_NEED_MORE;
}

/* Parse a Content-Length value: digits with optional surrounding blanks (RFC 9110 §8.6). -1 if
 * malformed (a sign, letters, nothing); values over the frame limit are clamped to limit + 1,
 * since only "too big" matters then. */
static long parse_length(const char *s, size_t n, size_t limit)
{
    size_t i = 0;
    unsigned long v = 0;
    while (i < n && mjpeg_is_blank(s[i]))
        i++;
    size_t first = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v <= limit)
            v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (i == first)
        return -1;
    while (i < n && mjpeg_is_blank(s[i]))
        i++;
    if (i != n)
        return -1;
    return (long)(v > limit ? limit + 1 : v);
}

/* Keep the current header line (n bytes, without its line end) in x_fields if it fits. */
static void keep_x_field(struct mjpeg_parser *p, size_t n)
{
    if (p->x_fields_len + n + 3 > sizeof(p->x_fields))
        return;
    memcpy(p->x_fields + p->x_fields_len, p->_line, n);
    p->x_fields_len += n;
    memcpy(p->x_fields + p->x_fields_len, "\r\n", 3);
    p->x_fields_len += 2;
}

/* The value of header line s[0..n) if its name is `name` (any case, blanks before the colon
 * forgiven), else NULL. */
static const char *header_value(const char *s, size_t n, const char *name, size_t *value_len)
{
    size_t name_len = strlen(name);
    if (!mjpeg_has_prefix_ci(s, n, name))
        return NULL;
    size_t i = name_len;
    while (i < n && mjpeg_is_blank(s[i]))
        i++;
    if (i >= n || s[i] != ':')
        return NULL;
    *value_len = n - i - 1;
    return s + i + 1;
}

static enum mjpeg_result header_line(struct mjpeg_parser *p)
{
    size_t n = p->_line_len;
    if (n > 0 && p->_line[n - 1] == '\r')
        n--;
    if (p->_line_overflow)
        return MJPEG_NEED_MORE; /* too long to be a header we use */
    if (n > 0) {
        if (mjpeg_has_prefix_ci(p->_line, n, "x-"))
            keep_x_field(p, n);
        size_t vlen;
        const char *v = header_value(p->_line, n, "content-length", &vlen);
        if (v != NULL) {
            long len = parse_length(v, vlen, p->_max_frame_bytes);
            /* Malformed, or a second one that disagrees: the delimiter will end this part. */
            if (len < 0 || (p->_cl_headers > 0 && len != p->content_length)) {
                p->length_errors++;
                p->_is_length_bad = 1;
            }
            p->_cl_headers++;
            p->content_length = len;
        }
        return MJPEG_NEED_MORE;
    }
    /* Blank line: the headers are complete. */
    p->_part_bytes = 0;
    p->_skipping = 0;
    if (p->_is_length_bad || p->_is_length_untrusted)
        p->content_length = -1;
    if (p->content_length > (long)p->_max_frame_bytes) {
        p->errors++;
        start_scan(p, 1, 0);
        return MJPEG_ERR_TOO_BIG;
    }
    if (p->content_length < 0) {
        start_scan(p, 0, 0);
    } else {
        p->_state = p->content_length == 0 ? S_PART_DONE : S_BODY_CL;
        p->_match = M_IDLE;
        p->_held_len = 0;
    }
    return MJPEG_PART_BEGIN;
}

static enum mjpeg_result headers(struct mjpeg_parser *p, const uint8_t *in, size_t len, size_t *i)
{
    while (*i < len) {
        uint8_t c = in[(*i)++];
        if (++p->_header_bytes > MJPEG_HEADERS_MAX) {
            p->errors++;
            start_scan(p, 1, 0);
            return MJPEG_ERR_HEADERS;
        }
        if (c == '\n') {
            enum mjpeg_result r = header_line(p);
            p->_line_len = 0;
            p->_line_overflow = 0;
            if (r != MJPEG_NEED_MORE)
                return r;
            continue;
        }
        if (p->_line_len < sizeof(p->_line))
            p->_line[p->_line_len++] = (char)c;
        else
            p->_line_overflow = 1;
    }
    return MJPEG_NEED_MORE;
}

/* The delimiter matcher failed inside a Content-Length body: the held bytes up to the declared
 * end are body, any beyond it come after the part (only blanks may, see emit). */
static enum mjpeg_result body_cl_miss(struct mjpeg_parser *p, struct mjpeg_span *span)
{
    size_t room = (size_t)p->content_length - p->_part_bytes;
    size_t body = p->_held_len < room ? p->_held_len : room;
    memcpy(p->_flush, p->_held, p->_held_len);
    p->_flush_len = p->_held_len;
    p->_held_len = 0;
    p->_match = M_IDLE;
    enum mjpeg_result r = emit(p, p->_flush, body, span);
    if (p->_part_bytes == (size_t)p->content_length) {
        p->_state = S_PART_DONE;
        p->_skipping = 1;
        p->_is_verifying = 1;
        emit(p, p->_flush + body, p->_flush_len - body, span);
        p->_skipping = 0;
    }
    return r;
}

/* A delimiter inside a Content-Length body. It is only the line end of the delimiter that the
 * length counted ("...JPEG\r\n" then "--boundary"), or the length was too large. */
static enum mjpeg_result body_cl_delimiter(struct mjpeg_parser *p, enum match m)
{
    size_t line_end = p->_held[0] == '\r' ? 2 : 1;
    if ((size_t)p->content_length > p->_part_bytes + line_end)
        length_lied(p);
    p->_held_len = 0;
    if (m == MATCH_CLOSE) {
        p->_state = S_END;
        p->_pending_end = 1;
    } else {
        start_headers(p);
    }
    return part_end(p);
}

static enum mjpeg_result body_cl(struct mjpeg_parser *p, const uint8_t *in, size_t len, size_t *i,
                                 struct mjpeg_span *span)
{
    size_t cl = (size_t)p->content_length;
    while (*i < len) {
        if (p->_match == M_IDLE) {
            /* Fast path: body up to the declared end or a line end that might begin a
             * delimiter. A JPEG ends in FF D9, so with a right length this ends the part on its
             * last byte, without waiting for the delimiter. */
            size_t end = *i + (cl - p->_part_bytes < len - *i ? cl - p->_part_bytes : len - *i);
            size_t j = body_run_end(p, in, *i, end, len);
            enum mjpeg_result r = emit(p, in + *i, j - *i, span);
            *i = j;
            if (p->_part_bytes == cl) {
                p->_state = S_PART_DONE;
                p->_is_verifying = 1;
                return r;
            }
            if (r != MJPEG_NEED_MORE || j == len)
                return r;
        }
        enum match m = match_byte(p, in[*i]);
        if (m == MATCH_NONE || m == MATCH_HOLD) {
            (*i)++;
        } else if (m == MATCH_MISS) {
            enum mjpeg_result r = body_cl_miss(p, span);
            if (r != MJPEG_NEED_MORE || p->_state != S_BODY_CL)
                return r;
        } else {
            (*i)++;
            return body_cl_delimiter(p, m);
        }
    }
    return MJPEG_NEED_MORE;
}

enum mjpeg_result mjpeg_parser_feed(struct mjpeg_parser *p, const uint8_t *in, size_t len,
                                    size_t *consumed, struct mjpeg_span *span)
{
    size_t i = 0;
    enum mjpeg_result r = MJPEG_NEED_MORE;
    span->data = NULL;
    span->len = 0;
    while (r == MJPEG_NEED_MORE) {
        switch (p->_state) {
        case S_PART_DONE:
            /* After exactly Content-Length bytes the delimiter is still to come: resume at a
             * line start so that "--boundary" is found with or without the CRLF before it. */
            start_scan(p, 1, 1);
            r = part_end(p);
            continue;
        case S_END:
            if (p->_pending_end) {
                p->_pending_end = 0;
                r = MJPEG_END;
                continue;
            }
            i = len;
            break;
        default:
            break;
        }
        if (i >= len)
            break;
        if (p->_state == S_SCAN)
            r = scan(p, in, len, &i, span);
        else if (p->_state == S_HEADERS)
            r = headers(p, in, len, &i);
        else if (p->_state == S_BODY_CL)
            r = body_cl(p, in, len, &i, span);
    }
    *consumed = i;
    return r;
}
