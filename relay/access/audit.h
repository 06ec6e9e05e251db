#pragma once
/*
 * audit: a record of who did what, one JSON object a line in the file AUDIT_LOG names.
 *
 * Each line starts {"t":UNIX_SECONDS,"ts":"ISO-8601 UTC","action":"...","user":"...",
 * "address":"..."} and may carry more fields (the camera, the angles, a share's id). Lines are
 * appended with one write(2) each (O_APPEND: whole lines even if another process appends too),
 * and when the file would pass max_bytes it is renamed to FILE.1 (one old file kept) and a new one
 * is started. Nothing secret goes in: callers pass names, addresses, ids and angles, never a
 * password, token or cookie; every string is JSON-escaped (RFC 8259 §7), invalid UTF-8 replaced by
 * U+FFFD, so a hostile user name or label cannot forge a field or a line.
 */
#include <stddef.h>
#include <stdint.h>

struct audit;
struct evbuffer;

/* One extra field of a line: text (escaped) or a whole number. */
struct audit_field {
    const char *key; /* a plain ASCII identifier, written as is */
    const char *text;
    long long number;
    int is_number;
};

#define AUDIT_TEXT(k, v) ((struct audit_field){.key = (k), .text = (v)})
#define AUDIT_NUM(k, v) ((struct audit_field){.key = (k), .number = (v), .is_number = 1})

/* Longest line written; longer text fields are cut (at a character boundary). */
#define AUDIT_LINE_MAX 2048

/*
 * Open (create, mode 0600) the log at path for appending; rotate it past max_bytes. An empty
 * path gives an audit that records nothing (AUDIT_LOG unset). Returns NULL with err filled
 * ("AUDIT_LOG: PATH: reason") if the file cannot be opened, or on allocation failure.
 */
struct audit *audit_new(const char *path, uint64_t max_bytes, char *err, size_t err_size);

/* Close; audit_free(NULL) is a no-op. */
void audit_free(struct audit *a);

/* Does this audit write anywhere (AUDIT_LOG set)? a may be NULL (then 0). */
int audit_is_on(const struct audit *a);

/* The file's path ("" when off); borrowed, valid until audit_free. */
const char *audit_path(const struct audit *a);

/*
 * Append one line: action (e.g. "login", "move"), the acting user ("" for none) and the client
 * address ("" if none), then n fields. a may be NULL (records nothing). Stamped with the wall
 * clock. Returns 0, or a negative errno if the line could not be written (logged once per
 * failure streak, never fatal: the action itself has happened).
 */
int audit_record(struct audit *a, const char *action, const char *user, const char *address,
                 const struct audit_field *fields, size_t n);

/*
 * Write text as the inside of a JSON string into out (NUL-terminated): '"', '\\' and control
 * characters escaped, valid UTF-8 kept, each invalid byte replaced by \ufffd; cut at a character
 * boundary when out is too small. Returns the length written.
 */
size_t audit_escape(const char *text, char *out, size_t out_size);

/* What an admin asks of the log; empty strings and 0 match everything. */
struct audit_filter {
    const char *user;   /* exact user name */
    const char *action; /* exact action */
    int64_t since_s;    /* Unix seconds: lines at or after */
    unsigned limit;     /* newest lines at most (1..AUDIT_QUERY_MAX; 0: AUDIT_QUERY_MAX) */
};

#define AUDIT_QUERY_MAX 1000

/*
 * Append to out the JSON answer of GET /api/audit: {"entries":[LINE,...],"truncated":BOOL,
 * "enabled":BOOL}, the newest matching lines first, from FILE.1 and FILE. Lines that are not the
 * relay's own (edited by hand) are skipped. Returns 0, or -ENOMEM.
 */
int audit_query(struct audit *a, const struct audit_filter *f, struct evbuffer *out);

/*
 * Parse the `since` of a query: Unix seconds ("1700000000") or ISO 8601 UTC
 * ("2026-12-07T14:02", seconds and a trailing Z optional). Returns 0, or -EINVAL.
 */
int audit_parse_time(const char *text, int64_t *out_s);
