#pragma once
/*
 * mjpeg_parser: an incremental parser for a multipart/x-mixed-replace body (RFC 2046 §5.1).
 *
 * Feed it the body bytes as they arrive, in slices of any size (one byte at a time works); it
 * reports each part's bytes and where each part ends. It never allocates and never copies a
 * part's body except a delimiter-sized tail it must hold back: the caller owns frame memory.
 *
 * Tolerated (real cameras send all of these):
 *   - a boundary quoted or not in Content-Type, and with or without a leading "--" in the body
 *     (some servers put the dashes into the header's boundary parameter);
 *   - Content-Type spelled any way RFC 2045 allows: type and parameter names in any case,
 *     blanks and (comments) around ';' and '=', quoted values with \-escapes, other parameters
 *     before or after the boundary (see mjpeg_boundary_from_content_type);
 *   - parts with or without Content-Length (without it, the part ends at the next delimiter);
 *   - a Content-Length that lies: the delimiter wins. Too large: the part ends at the delimiter
 *     inside it (never delivered with a delimiter in it). Too small: that one part is delivered
 *     short (it ended on its declared last byte, before the lie could be seen). Malformed,
 *     negative or two that disagree: ignored for that part. After one lie the stream's lengths
 *     are ignored and every part ends at its delimiter (length_errors counts them);
 *   - CRLF or bare LF line ends; any extra part headers (ignored); preamble garbage.
 * Bounded: a part larger than max_frame_bytes is skipped (MJPEG_ERR_TOO_BIG, counted) and the
 * parser resyncs on the next delimiter; part headers over MJPEG_HEADERS_MAX bytes likewise.
 *
 * The struct layout is public only so that callers can place it in their own storage (the core
 * never allocates); fields starting with '_' are private.
 */
#include <stddef.h>
#include <stdint.h>

#include "mjpeg_content_type.h"
#include "mjpeg_writer.h"

/* Largest block of part headers accepted (all lines of one part, including line ends). */
#define MJPEG_HEADERS_MAX 4096
/* Header lines are kept only up to this length; longer ones are skipped but still counted. */
#define MJPEG_LINE_MAX 256
/* Room for the current part's extension ("X-") header lines, see x_fields. */
#define MJPEG_X_FIELDS_MAX 256

enum mjpeg_result {
    MJPEG_NEED_MORE = 0, /* every byte given was consumed; feed more */
    MJPEG_PART_BEGIN,    /* part headers parsed: see content_length; body bytes follow */
    MJPEG_DATA,          /* *span holds body bytes of the current part: append them */
    MJPEG_PART_END,      /* the current part is complete: every byte was reported as DATA */
    MJPEG_ERR_TOO_BIG,   /* the current part exceeds max_frame_bytes: drop what you have */
    MJPEG_ERR_HEADERS,   /* malformed or oversized part headers: drop the part */
    MJPEG_END,           /* close delimiter "--boundary--": the stream is over */
};

struct mjpeg_span {
    const uint8_t *data; /* borrowed: valid until the next mjpeg_parser_feed call */
    size_t len;
};

struct mjpeg_parser {
    /* Public, read-only. */
    long content_length;         /* of the current part after MJPEG_PART_BEGIN, or -1 if absent
                                    or not believed (then the part ends at its delimiter) */
    unsigned long parts;         /* complete parts reported */
    unsigned long errors;        /* parts dropped as too big or malformed */
    unsigned long skipped_bytes; /* preamble and resync bytes that belonged to no part */
    /* After MJPEG_PART_BEGIN, until the next part's headers: that part's header lines whose
     * names start with "X-" (X-Timestamp, X-Pan...), as received, each ending in "\r\n",
     * NUL-terminated. Lines that do not fit in MJPEG_X_FIELDS_MAX are left out whole. The
     * bytes are the sender's: check a value before passing it on. */
    char x_fields[MJPEG_X_FIELDS_MAX];
    size_t x_fields_len;
    unsigned long length_errors; /* Content-Length values malformed or caught lying */

    /* Private. */
    int _state;
    size_t _max_frame_bytes;
    char _boundary[MJPEG_BOUNDARY_MAX + 1]; /* without leading dashes */
    size_t _boundary_len;
    size_t _part_bytes;   /* body bytes reported for the current part */
    size_t _header_bytes; /* bytes of the current header block */
    int _match;           /* progress through the delimiter, see mjpeg_parser.c */
    size_t _dashes;       /* dashes seen at the start of a candidate delimiter line */
    size_t _boundary_pos; /* boundary bytes matched so far */
    int _has_cr;
    char _line[MJPEG_LINE_MAX];
    size_t _line_len;
    int _line_overflow;
    int _skipping;                          /* dropping the current part's body */
    uint8_t _held[MJPEG_BOUNDARY_MAX + 32]; /* a delimiter prefix held back, maybe body bytes */
    size_t _held_len;
    uint8_t _flush[MJPEG_BOUNDARY_MAX + 32]; /* held bytes that turned out to be body */
    size_t _flush_len;
    int _pending_end;         /* an END to report after the last PART_END */
    unsigned _cl_headers;     /* Content-Length headers in the current part */
    int _is_length_bad;       /* the current part's Content-Length is not to be used */
    int _is_length_untrusted; /* a length lied: frame every part by its delimiter */
    int _is_verifying;        /* a part just ended by its length: only blanks may follow */
};

/*
 * Prepare p to parse a body whose boundary is `boundary` (as in the Content-Type header; leading
 * dashes are accepted and ignored). Parts larger than max_frame_bytes are dropped.
 * Returns 0, or -EINVAL if the boundary is empty, too long, or max_frame_bytes is 0.
 */
int mjpeg_parser_init(struct mjpeg_parser *p, const char *boundary, size_t max_frame_bytes);

/*
 * Parse from in[0..len). Stops at the first event and stores how many input bytes it used in
 * *consumed; call again with the rest. With MJPEG_DATA, *span holds body bytes (pointing into
 * `in` or into p itself). After MJPEG_END the parser ignores all further input.
 * Call it again (with the remaining bytes, possibly none) until it returns MJPEG_NEED_MORE: an
 * event may be reported with *consumed == 0, and PART_END comes as soon as the last body byte of
 * a part with Content-Length is in, without waiting for the next delimiter.
 * Returns one of enum mjpeg_result. Errors are reported and recovered from; they are never fatal.
 */
enum mjpeg_result mjpeg_parser_feed(struct mjpeg_parser *p, const uint8_t *in, size_t len,
                                    size_t *consumed, struct mjpeg_span *span);
