#pragma once
/*
 * auth: who is making a request.
 *
 * Two ways in: a session cookie from the login page (session.h), or HTTP Basic credentials
 * (RFC 7617) that VLC, ffmpeg, Home Assistant and scripts send. Passwords are checked with
 * crypt_r (users.h); verified Basic credentials are remembered (only a keyed digest of the
 * decoded user and password, for AUTH_CACHE_MS) so a client that sends it with every request costs
 * one hash, not one yescrypt run per request. Failed attempts are throttled per client address
 * (throttle.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "users.h"

#define AUTH_CACHE_ENTRIES 64
#define AUTH_CACHE_MS (10 * 60 * 1000)
/* Password checks (yescrypt) the whole relay does per second at most; more wait (429). */
#define AUTH_MAX_CHECKS_PER_S 20
/* Of those, what addresses that failed recently cannot take: kept for everyone else. */
#define AUTH_RESERVED_CHECKS_PER_S 10

struct auth;

enum auth_result {
    AUTH_OK,        /* *who is filled */
    AUTH_NONE,      /* no credentials at all */
    AUTH_BAD,       /* wrong or malformed credentials, or an expired session */
    AUTH_THROTTLED, /* too many failures from this address: *retry_ms says how long to wait */
    AUTH_PENDING,   /* a password check runs on the hasher's thread: the callback will tell */
};

struct auth_identity {
    char user[USER_NAME_MAX];
    enum user_role role;
    int is_session;                        /* came with the session cookie (a browser) */
    char session_id[SESSION_ID_CHARS + 1]; /* that session's public id, "" for Basic */
    char share[SESSION_SHARE_CHARS + 1];   /* a guest's link id, "" for an account */
};

/* The result of a check that ran off the loop. Plain value type; wiped after the callback. */
struct auth_outcome {
    enum auth_result result; /* AUTH_OK, AUTH_BAD or AUTH_THROTTLED */
    struct auth_identity who;
    int64_t retry_ms;                    /* AUTH_THROTTLED */
    char token[SESSION_TOKEN_CHARS + 1]; /* a form login's new session; "" otherwise */
};

/* Called on the loop with the outcome of an AUTH_PENDING check; o is borrowed for the call. */
typedef void (*auth_done_fn)(const struct auth_outcome *o, void *arg);

struct auth_stats {
    uint64_t failures;  /* wrong passwords */
    uint64_t throttled; /* attempts refused unchecked */
    uint64_t logins;    /* sessions started */
};

/*
 * New authenticator. Takes ownership of users. Sessions expire after idle_ms unused or
 * absolute_ms after login. NULL on allocation failure (users is freed then too).
 */
struct auth *auth_new(struct users *users, uint32_t idle_ms, uint32_t absolute_ms);

/* Free; auth_free(NULL) is a no-op. */
void auth_free(struct auth *a);

struct audit;

/*
 * Record logins in `audit` (borrowed; must outlive a, or be detached with NULL): each form
 * login, each failed password (form or Basic) with the client's address, and each Basic login
 * that was checked (not the cached repeats).
 */
void auth_set_audit(struct auth *a, struct audit *audit);

/*
 * Identify a request from its Authorization and Cookie headers (either may be NULL), coming
 * from client `address`, at now_us (CLOCK_MONOTONIC µs). A valid session cookie wins; otherwise
 * Basic credentials are checked.
 */
enum auth_result auth_check(struct auth *a, const char *authorization, const char *cookie,
                            const char *address, int64_t now_us, struct auth_identity *who,
                            int64_t *retry_ms);

/*
 * As auth_check, but with a hasher set (auth_set_hasher) and done not NULL, a password check
 * runs off the loop: AUTH_PENDING is returned and done(outcome, arg) runs later on the loop,
 * exactly once (right Basic credentials are remembered as auth_check does). With `outcome`, the
 * caller finishes the request (guard_login_verdict).
 */
enum auth_result auth_check_async(struct auth *a, const char *authorization, const char *cookie,
                                  const char *address, int64_t now_us, struct auth_identity *who,
                                  int64_t *retry_ms, auth_done_fn done, void *arg);

/*
 * The login form, checked off the loop if a hasher is set: returns AUTH_THROTTLED (with
 * *retry_ms) without calling done, or AUTH_PENDING, and then done(outcome, arg) runs exactly
 * once with the result and, if right, the new session's token (at once, before this returns,
 * without a hasher).
 */
enum auth_result auth_login_async(struct auth *a, const char *name, const char *password,
                                  const char *address, int64_t now_us, auth_done_fn done, void *arg,
                                  int64_t *retry_ms);

/* Run password checks on `hasher` (borrowed; NULL: on the loop) from now on. */
struct hasher;
void auth_set_hasher(struct auth *a, struct hasher *hasher);

/*
 * The login form: check name/password and, if right, start a session and write its cookie value
 * to token_out. Same results as auth_check.
 */
enum auth_result auth_login(struct auth *a, const char *name, const char *password,
                            const char *address, int64_t now_us, struct auth_identity *who,
                            char token_out[SESSION_TOKEN_CHARS + 1], int64_t *retry_ms);

/*
 * Check a password for name (throttled per address, audited on failure) without starting a
 * session: for changing one's own password. Same results as auth_check.
 */
enum auth_result auth_verify_password(struct auth *a, const char *name, const char *password,
                                      const char *address, int64_t now_us,
                                      struct auth_identity *who, int64_t *retry_ms);

/* End the session named in a Cookie header, if any; audited as "logout" from address. */
void auth_logout(struct auth *a, const char *cookie, const char *address);

/*
 * Split "Basic base64(user:password)" (RFC 7617 §2) into user and password (NUL-terminated).
 * Returns 0, or -EINVAL for another scheme, bad base64, no ':', or fields that do not fit.
 */
int auth_parse_basic(const char *authorization, char *user, size_t user_size, char *password,
                     size_t password_size);

void auth_get_stats(const struct auth *a, struct auth_stats *out);

struct shares;
struct throttle;

/*
 * Guest sessions (a session made from a guest link, share.h) last only while their link is live:
 * auth_check asks `shares` (borrowed; NULL: no guest links) on every request and ends the
 * session once the link has expired or been revoked.
 */
void auth_set_shares(struct auth *a, struct shares *shares);

/* The per-address failure throttle (borrowed), which guessed guest links count against too. */
struct throttle *auth_throttle(struct auth *a);

/* The current users table and the sessions (borrowed; the users table changes on reload). */
const struct users *auth_users(const struct auth *a);
struct sessions *auth_sessions(struct auth *a);

/* Called for each user a reload removed (name borrowed for the call). */
typedef void (*auth_removed_cb)(const char *name, void *arg);

/*
 * Replace the users table with `fresh` (taken). Sessions of users no longer in it end and
 * on_removed (may be NULL) is called for each such user (to close their streams); sessions of
 * users whose role changed take the new role; remembered Basic logins are forgotten (a changed
 * password must be checked again). Returns how many users were removed.
 */
unsigned auth_replace_users(struct auth *a, struct users *fresh, auth_removed_cb on_removed,
                            void *arg);

/*
 * 1 if `who` (a login auth_check or auth_login filled) may see camera `camera`: the user's camera
 * list in USERS_FILE, or every camera without one (users_may_see); a guest, the cameras its live
 * link names (shares_may_see).
 */
int auth_may_see(const struct auth *a, const struct auth_identity *who, const char *camera);

/* users_check_cameras over the login table. */
int auth_check_cameras(const struct auth *a, users_camera_exists_cb exists, void *arg, char *err,
                       size_t err_size);
