#pragma once
/*
 * auth_internal: the layout of struct auth and what its three files share, as libevent keeps
 * its layouts in *-internal.h. auth.c: the checks, sessions and users; auth_cache.c: verified
 * Basic credentials remembered; auth_async.c: checks on the hasher's thread, and requests that
 * join a check in flight. Nothing else includes it: everyone else sees auth.h.
 */
#include <stdint.h>

#include "auth.h"

#define AUTH_MAX_HEADER 1024
#define PASSWORD_MAX 256

struct cached {
    unsigned char digest[32]; /* of key || user || NUL || password: the decoded credentials */
    int64_t expires_us;
    struct auth_identity who;
};

struct auth {
    struct users *users;
    struct sessions *sessions;
    struct throttle *throttle;
    struct audit *audit;   /* borrowed, may be NULL */
    struct shares *shares; /* borrowed, may be NULL: guest links */
    struct hasher *hasher; /* borrowed, may be NULL: checks then run on the loop */
    unsigned char key[32]; /* random per process: cached digests mean nothing elsewhere */
    struct cached cache[AUTH_CACHE_ENTRIES];
    struct pending *inflight; /* Basic checks on the hasher, with their digest */
    int64_t checks_window_us; /* start of the current second of password checks */
    unsigned checks_in_window;
    unsigned cache_next;
    struct auth_stats stats;
};

struct pending;

/* auth.c: a check's result (role ROLE_NONE: wrong): counted, logged, audited, throttled. Fills
 * *who if right. */
enum auth_result auth_checked(struct auth *a, const char *name, enum user_role role,
                              const char *address, int64_t now_us, struct auth_identity *who);

/* auth.c: a form login that succeeded: a new session (token into o->token), logged and audited;
 * o->result becomes AUTH_BAD if no session can be made. */
void auth_start_session(struct auth *a, const char *address, int64_t now_us,
                        struct auth_outcome *o);

/*
 * auth_cache.c: the keyed digest of decoded credentials into out, so that spellings of one
 * Basic header (blanks, the scheme's case) are one cache entry. Returns 0, or -1 if OpenSSL
 * failed (then the cache must be neither read nor written: every failure gives one digest).
 */
int auth_cache_digest(const struct auth *a, const char *name, const char *password,
                      unsigned char out[32]);

/* auth_cache.c: the identity digest d proved, if remembered and not expired at now_us; NULL
 * otherwise. Borrowed until the cache changes. */
const struct auth_identity *auth_cache_find(const struct auth *a, const unsigned char d[32],
                                            int64_t now_us);

/* auth_cache.c: remember that d proved who, for AUTH_CACHE_MS from now_us (the oldest of the
 * AUTH_CACHE_ENTRIES entries makes room). */
void auth_cache_remember(struct auth *a, const unsigned char d[32], const struct auth_identity *who,
                         int64_t now_us);

/* auth_cache.c: keep the entries of users whose hash and role are unchanged from old to fresh;
 * forget the rest. */
void auth_cache_keep_unchanged(struct auth *a, const struct users *old, const struct users *fresh);

/* auth_async.c: the Basic check of digest d in flight on the hasher, or NULL. */
struct pending *auth_async_find(const struct auth *a, const unsigned char d[32]);

/*
 * auth_async.c: hand a check to the hasher (after may_check allowed it); digest (NULL: none)
 * lets requests with the same credentials join it, is_form starts a session on success.
 * Returns AUTH_PENDING (done will run), or AUTH_THROTTLED with *retry_ms if its queue is full.
 */
enum auth_result auth_async_check(struct auth *a, const char *name, const char *password,
                                  const char *address, const unsigned char *digest, int is_form,
                                  auth_done_fn done, void *arg, int64_t *retry_ms);

/*
 * auth_async.c: wait for the verdict of `same` (the same Basic credentials, in flight) instead
 * of costing another check. Returns AUTH_PENDING, or AUTH_THROTTLED with *retry_ms if address
 * is locked out or too many requests wait already.
 */
enum auth_result auth_async_join(struct pending *same, const char *address, int64_t now_us,
                                 auth_done_fn done, void *arg, int64_t *retry_ms);
