#pragma once
/*
 * session: login sessions for the web page, identified by a cookie.
 *
 * A token is 256 random bits from getrandom(2), sent as 64 hex digits; only its SHA-256 is kept,
 * so the table itself holds nothing a visitor could replay. A session ends at logout, after
 * idle_ms without use, or absolute_ms after login, whichever comes first. The table is bounded
 * (SESSION_MAX); a new login beyond that replaces the least recently used session.
 */
#include <stddef.h>
#include <stdint.h>

#include "users.h"

#define SESSION_MAX 1024
#define SESSION_TOKEN_CHARS 64 /* hex digits of the cookie value */
#define SESSION_COOKIE "lookout_session"

struct sessions;

struct session_info {
    char user[USER_NAME_MAX];
    enum user_role role;
};

/* New table. NULL on allocation failure. */
struct sessions *sessions_new(uint32_t idle_ms, uint32_t absolute_ms);

/* Free; sessions_free(NULL) is a no-op. */
void sessions_free(struct sessions *s);

/*
 * Start a session for user/role at now_us (CLOCK_MONOTONIC µs) and write its token (64 hex
 * digits and a NUL) to token_out. Returns 0, or -EIO if no random bytes could be had.
 */
int sessions_create(struct sessions *s, const char *user, enum user_role role, int64_t now_us,
                    char token_out[SESSION_TOKEN_CHARS + 1]);

/*
 * Look up a token (from the cookie; any string). On success fills *out, refreshes the idle
 * timer and returns 0; returns -ENOENT for an unknown, expired or malformed token.
 */
int sessions_lookup(struct sessions *s, const char *token, int64_t now_us,
                    struct session_info *out);

/* Fill *out for token's session, expired or not, without touching it. 0, or -ENOENT. */
int sessions_peek(struct sessions *s, const char *token, struct session_info *out);

/* End the session of token, if any. */
void sessions_end(struct sessions *s, const char *token);

/*
 * Find the value of cookie `name` in a Cookie header (RFC 6265 §5.4 "name=value; name2=value2").
 * Copies it NUL-terminated into out. Returns 0, or -ENOENT if absent, -ENOSPC if it is longer
 * than out_size - 1.
 */
int session_cookie_value(const char *cookie_header, const char *name, char *out, size_t out_size);
