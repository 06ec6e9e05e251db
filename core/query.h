#pragma once
/*
 * query: strict parsing of the camera node's control query string (the part after '?').
 *
 * Grammar (DESIGN.md, "Wire contracts"; the original firmware's /control_servo plus the new
 * absolute form):
 *   query    = param *( "&" param )
 *   param    = key "=" value
 *   key      = "tr" / "el"          relative move, degrees, -180..180 (traverse, elevation)
 *            / "pan" / "tilt"       absolute move, degrees, 0..180
 *   value    = [ "+" / "-" ] 1*DIGIT, after percent-decoding (RFC 3986 §2.1)
 * One key alone moves one axis. '+' is a literal plus sign, not a space: this is RFC 3986
 * query syntax, not HTML form encoding, so "tr=+5" (what the original page sent) means +5.
 * Keys are percent-decoded too, so "%74r=1" is "tr=1".
 *
 * Other keys are ignored whatever their value, as real clients add them: cache busters
 * ("_=1699999", jQuery's cache:false), tracking parameters. Everything else is an error with its
 * own code and a one-line reason, where the original firmware treated garbage as 0: no move
 * (nothing, or only other keys), "tr", "tr=", "tr=abc", "tr=5.0", "tr=0x10", "tr= 5", values
 * out of range, integers that overflow, "tr=1&tr=2", "tr=1&pan=3", bad escapes in a key or in
 * one of our values ("%G1", a trailing '%'), empty parameters ("tr=1&"), and queries longer
 * than QUERY_MAX_BYTES (QUERY_ERR_TOO_LONG, answered 414 by the node: never cut short and
 * acted on). Pure functions over caller buffers: no allocation, newlib-safe.
 */
#include <stdbool.h>
#include <stddef.h>

/* Longest query accepted, in bytes (without the '?' and the NUL). */
#define QUERY_MAX_BYTES 256

/* Room for any reason query_parse writes (it truncates safely if given less). */
#define QUERY_REASON_MAX 128

/* Range of a relative move (tr, el) and of an absolute angle (pan, tilt), in degrees. */
#define QUERY_REL_MIN_DEG (-180)
#define QUERY_REL_MAX_DEG 180
#define QUERY_ABS_MIN_DEG 0
#define QUERY_ABS_MAX_DEG 180

enum query_status {
    QUERY_OK = 0,
    QUERY_ERR_EMPTY,        /* no move: nothing (NULL or ""), or only keys not ours */
    QUERY_ERR_TOO_LONG,     /* longer than QUERY_MAX_BYTES */
    QUERY_ERR_EMPTY_PARAM,  /* "&&", a leading or trailing '&' */
    QUERY_ERR_BAD_ESCAPE,   /* '%' not followed by two hex digits */
    QUERY_ERR_UNKNOWN_KEY,  /* no longer returned: other keys are ignored (kept for the ABI) */
    QUERY_ERR_DUPLICATE,    /* the same key twice */
    QUERY_ERR_MIXED,        /* relative and absolute keys together */
    QUERY_ERR_NO_VALUE,     /* "tr" or "tr=" */
    QUERY_ERR_NOT_INTEGER,  /* anything but an optional sign and decimal digits */
    QUERY_ERR_OVERFLOW,     /* more than fits in an int32 */
    QUERY_ERR_OUT_OF_RANGE, /* an integer outside the key's range */
};

enum query_mode {
    QUERY_MODE_RELATIVE = 0, /* tr / el: degrees to add to the target angle */
    QUERY_MODE_ABSOLUTE,     /* pan / tilt: target angle in degrees */
};

/*
 * A parsed move. Plain value type: the layout is public and the caller owns the storage.
 * The pan axis is set by "tr" or "pan", the tilt axis by "el" or "tilt".
 */
struct query_move {
    enum query_mode mode;
    bool has_pan;
    bool has_tilt;
    int pan_deg;  /* valid if has_pan: a delta (relative) or an angle (absolute) */
    int tilt_deg; /* valid if has_tilt */
};

/*
 * Parse `query` (raw, still percent-encoded; NULL counts as empty) into *out.
 * On success returns QUERY_OK and *out holds at least one axis. On error returns the first
 * problem found, left to right, and *out is zeroed. If reason is not NULL, a one-line reason
 * without a trailing newline is written there (NUL-terminated, truncated to reason_size),
 * naming the key and quoting the offending text, e.g. `tr: not an integer: "abc"`; text taken
 * from the query is limited to 32 bytes and non-printable bytes are shown as '?', so the
 * reason is safe to send back to the client. `reason` is only written, never kept.
 */
enum query_status query_parse(const char *query, struct query_move *out, char *reason,
                              size_t reason_size);

/*
 * A fixed one-line description of `status` ("not an integer"), never NULL; for logs and for
 * callers that passed no reason buffer. Unknown values give "unknown error".
 */
const char *query_strerror(enum query_status status);
