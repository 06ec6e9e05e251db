#pragma once
/*
 * session: login sessions for the web page, identified by a cookie.
 *
 * A token is 256 random bits from getrandom(2), sent as 64 hex digits; only its SHA-256 is kept,
 * so the table itself holds nothing a visitor could replay. A session ends at logout, after
 * idle_ms without use, or absolute_ms after login, whichever comes first. The table is bounded
 * (SESSION_MAX); a new login beyond that replaces the least recently used session. One user (or
 * one guest link) holds at most SESSION_MAX_PER_USER live sessions: its next login ends its own
 * least recently used one, so logging in over and over cannot log everyone else out.
 *
 * Sessions survive a restart: sessions_save writes the table (token hashes, never tokens, with
 * user, role, guest link, address and times as wall-clock seconds) to a file atomically, and
 * sessions_load reads it back. Each session also has a short public id (the first
 * SESSION_ID_CHARS hex digits of SHA-256(SHA-256(token))), so a user can list and end their own
 * sessions without any token being shown.
 */
#include <stddef.h>
#include <stdint.h>

#include "users.h"

#define SESSION_MAX 1024
#define SESSION_MAX_PER_USER 32
#define SESSION_TOKEN_CHARS 64 /* hex digits of the cookie value */
#define SESSION_COOKIE "lookout_session"

struct sessions;

#define SESSION_ID_CHARS 12
#define SESSION_SHARE_CHARS 16 /* a guest link's id (share.h) */
#define SESSION_ADDRESS_MAX 48

struct session_info {
    char user[USER_NAME_MAX];
    enum user_role role;
    char id[SESSION_ID_CHARS + 1];       /* public: lists and "end this one" */
    char share[SESSION_SHARE_CHARS + 1]; /* the guest link it came from; "" for a login */
    char address[SESSION_ADDRESS_MAX];   /* where it logged in from */
    int64_t created_us;                  /* CLOCK_MONOTONIC µs, as the calls' now_us */
    int64_t last_used_us;
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
 * As sessions_create, and note the guest link `share` ("" for none) and the client `address`;
 * the new session's id goes to id_out (may be NULL).
 */
int sessions_create_from(struct sessions *s, const char *user, enum user_role role,
                         const char *share, const char *address, int64_t now_us,
                         char token_out[SESSION_TOKEN_CHARS + 1],
                         char id_out[SESSION_ID_CHARS + 1]);

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
 * End every session whose user is `user` (NULL: any) and whose guest link is `share` (NULL: any;
 * "" : logins only), except the one with id keep_id (NULL: none). An id given as `only_id` (NULL:
 * all) narrows it to that one session. Returns how many ended.
 */
unsigned sessions_end_where(struct sessions *s, const char *user, const char *share,
                            const char *keep_id, const char *only_id);

/* Give every session of `user` the role `role`. Returns how many changed. */
unsigned sessions_set_role(struct sessions *s, const char *user, enum user_role role);

/*
 * The live session in slot i (0 <= i < SESSION_MAX) into *out: 0, or -ENOENT for a free or
 * expired slot. For listing.
 */
int sessions_get(const struct sessions *s, size_t i, int64_t now_us, struct session_info *out);

/* Has the table changed since the last sessions_save (a login, a logout, an end)? */
int sessions_is_dirty(const struct sessions *s);

/*
 * Write the live sessions to path atomically (temporary file, fsync, rename, fsync of the
 * directory), mode 0600: token hashes, user, role, link, address and wall-clock times
 * (now_real_s is the wall clock that goes with now_us). Returns 0, or a negative errno.
 */
int sessions_save(struct sessions *s, const char *path, int64_t now_us, int64_t now_real_s);

/*
 * Read sessions saved by sessions_save into the table (a missing file is no error). Sessions
 * already expired by now are dropped; a malformed line is skipped and counted in *bad.
 * Returns the number loaded, or a negative errno if the file exists but cannot be read.
 */
int sessions_load(struct sessions *s, const char *path, int64_t now_us, int64_t now_real_s,
                  unsigned *bad);

/*
 * Find the value of cookie `name` in a Cookie header (RFC 6265 §5.4 "name=value; name2=value2").
 * Copies it NUL-terminated into out. Returns 0, or -ENOENT if absent, -ENOSPC if it is longer
 * than out_size - 1.
 */
int session_cookie_value(const char *cookie_header, const char *name, char *out, size_t out_size);
