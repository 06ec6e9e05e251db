#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit.h"
#include "clock.h"
#include "hasher.h"
#include "share.h"
#include "throttle.h"
#define LOG_TAG "auth"
#include "log.h"

#define AUTH_MAX_HEADER 1024
#define PASSWORD_MAX 256
/* Requests that may wait on one check in flight (each also holds a connection: bounded there). */
#define AUTH_MAX_WAITERS 1024

struct cached {
    unsigned char digest[32]; /* of key || user || NUL || password: the decoded credentials */
    int64_t expires_us;
    struct auth_identity who;
};

/* A request waiting for the verdict of the same credentials' check already in flight. */
struct waiter {
    struct waiter *next;
    char address[64];
    auth_done_fn done;
    void *arg;
};

/* A password check running on the hasher's thread. */
struct pending {
    struct pending *next_inflight; /* Basic checks in flight, found by digest */
    struct waiter *waiters;        /* requests with the same credentials, answered together */
    unsigned n_waiters;
    struct auth *auth;
    char name[USER_NAME_MAX];
    char address[64];
    enum user_role role; /* the user's, if the password matches */
    int is_form;         /* a login form: start a session */
    unsigned char digest[32];
    int has_digest; /* Basic: remember the verdict */
    auth_done_fn done;
    void *arg;
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

struct auth *auth_new(struct users *users, uint32_t idle_ms, uint32_t absolute_ms)
{
    struct auth *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        users_free(users);
        return NULL;
    }
    a->users = users;
    a->sessions = sessions_new(idle_ms, absolute_ms);
    a->throttle = throttle_new();
    if (a->sessions == NULL || a->throttle == NULL ||
        getrandom(a->key, sizeof(a->key), 0) != (ssize_t)sizeof(a->key)) {
        auth_free(a);
        return NULL;
    }
    return a;
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    users_free(a->users);
    sessions_free(a->sessions);
    throttle_free(a->throttle);
    explicit_bzero(a, sizeof(*a));
    free(a);
}

void auth_set_audit(struct auth *a, struct audit *audit)
{
    a->audit = audit;
}

void auth_set_shares(struct auth *a, struct shares *shares)
{
    a->shares = shares;
}

struct throttle *auth_throttle(struct auth *a)
{
    return a->throttle;
}

/* A guest session is good only while its link is live (wall clock: links end at a time). */
static int guest_ok(const struct auth *a, const struct session_info *info)
{
    if (info->share[0] == '\0')
        return 1;
    return a->shares != NULL &&
           shares_state(a->shares, info->share, (int64_t)time(NULL), NULL) == SHARE_LIVE;
}

void auth_set_hasher(struct auth *a, struct hasher *hasher)
{
    a->hasher = hasher;
}

int auth_parse_basic(const char *authorization, char *user, size_t user_size, char *password,
                     size_t password_size)
{
    if (authorization == NULL || strncasecmp(authorization, "Basic ", 6) != 0)
        return -EINVAL;
    const char *b64 = authorization + 6;
    while (*b64 == ' ')
        b64++;
    size_t len = strlen(b64);
    while (len > 0 && b64[len - 1] == ' ')
        len--;
    if (len == 0 || len > AUTH_MAX_HEADER || len % 4 != 0)
        return -EINVAL;
    unsigned char decoded[AUTH_MAX_HEADER];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return -EINVAL;
    /* EVP_DecodeBlock counts padding as zero bytes; take them off again. */
    if (b64[len - 1] == '=')
        n--;
    if (b64[len - 2] == '=')
        n--;
    int rc = -EINVAL;
    unsigned char *colon = memchr(decoded, ':', (size_t)n);
    if (colon != NULL && memchr(decoded, '\0', (size_t)n) == NULL) {
        size_t ulen = (size_t)(colon - decoded), plen = (size_t)n - ulen - 1;
        if (ulen < user_size && plen < password_size) {
            memcpy(user, decoded, ulen);
            user[ulen] = '\0';
            memcpy(password, colon + 1, plen);
            password[plen] = '\0';
            rc = 0;
        }
    }
    explicit_bzero(decoded, sizeof(decoded));
    return rc;
}

/*
 * Digest of the decoded credentials, so that spellings of one Basic header (blanks, the
 * scheme's case) are one cache entry, not one yescrypt run each. Returns 0, or -1 if OpenSSL
 * failed (then the cache must be neither read nor written: every failure would produce the
 * same digest).
 */
static int keyed_digest(const struct auth *a, const char *name, const char *password,
                        unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int rc = 0;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, a->key, sizeof(a->key)) != 1 ||
        EVP_DigestUpdate(ctx, name, strlen(name) + 1) != 1 ||
        EVP_DigestUpdate(ctx, password, strlen(password)) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &n) != 1)
        rc = -1;
    EVP_MD_CTX_free(ctx);
    return rc;
}

static const struct cached *cache_find(const struct auth *a, const unsigned char d[32],
                                       int64_t now_us)
{
    for (size_t i = 0; i < AUTH_CACHE_ENTRIES; i++) {
        const struct cached *c = &a->cache[i];
        if (c->expires_us > now_us && CRYPTO_memcmp(c->digest, d, 32) == 0)
            return c;
    }
    return NULL;
}

/* May a password check run for address now (throttle, the relay's and the address's budget)?
 * AUTH_OK, or AUTH_THROTTLED with *retry_ms. */
static enum auth_result may_check(struct auth *a, const char *address, int64_t now_us,
                                  int64_t *retry_ms)
{
    int64_t wait = throttle_wait_ms(a->throttle, address, now_us);
    if (wait > 0) {
        a->stats.throttled++;
        *retry_ms = wait;
        return AUTH_THROTTLED;
    }
    /* Each check is a yescrypt run (~15 ms here): guesses from many addresses at once must not
     * starve the relay, so it does at most AUTH_MAX_CHECKS_PER_S of them. Addresses that failed
     * recently share only part of it: AUTH_RESERVED_CHECKS_PER_S stay for everyone else, so a
     * flood from rotating addresses cannot lock the right password out. Each address also has
     * its own budget, successes included (throttle_take_check). Cached Basic credentials and
     * sessions cost none. */
    if (now_us - a->checks_window_us >= 1000000) {
        a->checks_window_us = now_us;
        a->checks_in_window = 0;
    }
    unsigned limit = AUTH_MAX_CHECKS_PER_S;
    if (throttle_has_failed(a->throttle, address))
        limit -= AUTH_RESERVED_CHECKS_PER_S;
    int64_t own_wait = 0;
    if (a->checks_in_window >= limit ||
        (own_wait = throttle_take_check(a->throttle, address, now_us)) > 0) {
        a->stats.throttled++;
        *retry_ms = own_wait > 0 ? own_wait : (a->checks_window_us + 1000000 - now_us + 999) / 1000;
        return AUTH_THROTTLED;
    }
    a->checks_in_window++;
    return AUTH_OK;
}

/* A check's result (role ROLE_NONE: wrong): counted, logged, throttled. Fills *who if right. */
static enum auth_result checked(struct auth *a, const char *name, enum user_role role,
                                const char *address, int64_t now_us, struct auth_identity *who)
{
    if (role == ROLE_NONE) {
        a->stats.failures++;
        unsigned n = throttle_fail(a->throttle, address, now_us);
        /* The name is logged (it helps to spot a typo); the password never is. */
        LOG_WARN("failed login for \"%.64s\" from %s (%u in a row)", name, address, n);
        struct audit_field f[] = {AUDIT_NUM("in_a_row", n)};
        audit_record(a->audit, "login_failed", name, address, f, 1);
        if (n == THROTTLE_LOCKOUT_FAILURES)
            LOG_WARN("%s locked out for %d s after %u failed logins", address,
                     THROTTLE_LOCKOUT_MS / 1000, n);
        return AUTH_BAD;
    }
    throttle_succeed(a->throttle, address);
    memset(who, 0, sizeof(*who));
    snprintf(who->user, sizeof(who->user), "%s", name);
    who->role = role;
    return AUTH_OK;
}

/* Check a password for address on the loop, throttled. Fills *who on success. */
static enum auth_result verify(struct auth *a, const char *name, const char *password,
                               const char *address, int64_t now_us, struct auth_identity *who,
                               int64_t *retry_ms)
{
    enum auth_result r = may_check(a, address, now_us, retry_ms);
    if (r != AUTH_OK)
        return r;
    return checked(a, name, users_verify(a->users, name, password), address, now_us, who);
}

static void remember(struct auth *a, const unsigned char d[32], const struct auth_identity *who,
                     int64_t now_us)
{
    struct cached *c = &a->cache[a->cache_next++ % AUTH_CACHE_ENTRIES];
    memcpy(c->digest, d, 32);
    c->expires_us = now_us + (int64_t)AUTH_CACHE_MS * 1000;
    c->who = *who;
}

static void start_session(struct auth *a, const char *address, int64_t now_us,
                          struct auth_outcome *o);

/* The hasher's verdict, back on the loop. */
static void inflight_remove(struct auth *a, const struct pending *p)
{
    for (struct pending **pp = &a->inflight; *pp != NULL; pp = &(*pp)->next_inflight) {
        if (*pp == p) {
            *pp = p->next_inflight;
            return;
        }
    }
}

static struct pending *inflight_find(const struct auth *a, const unsigned char d[32])
{
    for (struct pending *p = a->inflight; p != NULL; p = p->next_inflight) {
        if (CRYPTO_memcmp(p->digest, d, 32) == 0)
            return p;
    }
    return NULL;
}

/*
 * Answer the requests that joined p's check. A match answers them as a cached verdict would
 * (no throttle or audit side effects: one check was made); a mismatch counts as a failed login
 * for each one's address, as their own checks would have.
 */
static void answer_waiters(struct pending *p, int is_match, const struct auth_outcome *first,
                           int64_t now_us)
{
    struct waiter *w = p->waiters;
    p->waiters = NULL;
    while (w != NULL) {
        struct waiter *next = w->next;
        struct auth_outcome o = {.result = AUTH_THROTTLED, .retry_ms = 1000};
        if (is_match == 1 && first->result == AUTH_OK) {
            o.result = AUTH_OK;
            o.who = first->who;
        } else if (is_match >= 0) {
            o.result = checked(p->auth, p->name, ROLE_NONE, w->address, now_us, &o.who);
        }
        w->done(&o, w->arg);
        explicit_bzero(&o, sizeof(o));
        free(w);
        w = next;
    }
}

static void on_checked(int is_match, void *arg)
{
    struct pending *p = arg;
    struct auth *a = p->auth;
    struct auth_outcome o = {.result = AUTH_THROTTLED, .retry_ms = 1000};
    int64_t now_us = clock_now_us();
    inflight_remove(a, p);
    if (is_match >= 0) {
        o.result =
            checked(a, p->name, is_match == 1 ? p->role : ROLE_NONE, p->address, now_us, &o.who);
        if (p->has_digest && o.result == AUTH_OK)
            remember(a, p->digest, &o.who, now_us);
        if (o.result == AUTH_OK && !p->is_form) {
            struct audit_field f[] = {AUDIT_TEXT("method", "basic")};
            audit_record(a->audit, "login", o.who.user, p->address, f, 1);
        }
        if (o.result == AUTH_OK && p->is_form)
            start_session(a, p->address, now_us, &o);
    }
    p->done(&o, p->arg);
    answer_waiters(p, is_match, &o, now_us);
    explicit_bzero(&o, sizeof(o));
    explicit_bzero(p, sizeof(*p));
    free(p);
}

/*
 * Hand a check to the hasher. Returns AUTH_PENDING (done will run), or AUTH_THROTTLED if its
 * queue is full, after may_check allowed it.
 */
static enum auth_result check_off_loop(struct auth *a, const char *name, const char *password,
                                       const char *address, const unsigned char *digest,
                                       int is_form, auth_done_fn done, void *arg, int64_t *retry_ms)
{
    struct pending *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        *retry_ms = 1000;
        return AUTH_THROTTLED;
    }
    p->auth = a;
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->address, sizeof(p->address), "%s", address);
    p->is_form = is_form;
    p->has_digest = digest != NULL;
    if (digest != NULL)
        memcpy(p->digest, digest, sizeof(p->digest));
    p->done = done;
    p->arg = arg;
    const char *hash = users_hash_of(a->users, name, &p->role);
    if (hasher_submit(a->hasher, password, hash, on_checked, p) < 0) {
        free(p);
        a->stats.throttled++;
        *retry_ms = 1000;
        return AUTH_THROTTLED;
    }
    if (p->has_digest && !is_form) {
        p->next_inflight = a->inflight;
        a->inflight = p;
    }
    return AUTH_PENDING;
}

/*
 * The same Basic credentials are being checked already (a client opening many connections at
 * once, before the first verdict is cached): wait for that verdict instead of costing another
 * yescrypt run and another unit of the address's check budget. Returns AUTH_PENDING, or
 * AUTH_THROTTLED if the address is locked out or too many requests wait already.
 */
static enum auth_result join_check(struct pending *same, const char *address, int64_t now_us,
                                   auth_done_fn done, void *arg, int64_t *retry_ms)
{
    int64_t wait = throttle_wait_ms(same->auth->throttle, address, now_us);
    struct waiter *w = NULL;
    if (wait <= 0 && same->n_waiters < AUTH_MAX_WAITERS)
        w = calloc(1, sizeof(*w));
    if (w == NULL) {
        same->auth->stats.throttled++;
        *retry_ms = wait > 0 ? wait : 1000;
        return AUTH_THROTTLED;
    }
    snprintf(w->address, sizeof(w->address), "%s", address);
    w->done = done;
    w->arg = arg;
    w->next = same->waiters;
    same->waiters = w;
    same->n_waiters++;
    return AUTH_PENDING;
}

static enum auth_result check_basic(struct auth *a, const char *authorization, const char *address,
                                    int64_t now_us, struct auth_identity *who, int64_t *retry_ms,
                                    auth_done_fn done, void *arg)
{
    char name[USER_NAME_MAX], password[PASSWORD_MAX];
    if (auth_parse_basic(authorization, name, sizeof(name), password, sizeof(password)) < 0)
        return AUTH_BAD;
    unsigned char d[32];
    int has_digest = keyed_digest(a, name, password, d) == 0;
    const struct cached *hit = has_digest ? cache_find(a, d, now_us) : NULL;
    struct pending *same = has_digest && hit == NULL ? inflight_find(a, d) : NULL;
    enum auth_result r;
    if (hit != NULL) {
        r = AUTH_OK;
        *who = hit->who;
    } else if (same != NULL && done != NULL) {
        r = join_check(same, address, now_us, done, arg, retry_ms);
    } else if (a->hasher != NULL && done != NULL) {
        r = may_check(a, address, now_us, retry_ms);
        if (r == AUTH_OK)
            r = check_off_loop(a, name, password, address, has_digest ? d : NULL, 0, done, arg,
                               retry_ms);
    } else {
        r = verify(a, name, password, address, now_us, who, retry_ms);
        if (r == AUTH_OK) {
            struct audit_field f[] = {AUDIT_TEXT("method", "basic")};
            audit_record(a->audit, "login", who->user, address, f, 1);
            if (has_digest)
                remember(a, d, who, now_us);
        }
    }
    explicit_bzero(password, sizeof(password));
    explicit_bzero(d, sizeof(d));
    return r;
}

enum auth_result auth_check(struct auth *a, const char *authorization, const char *cookie,
                            const char *address, int64_t now_us, struct auth_identity *who,
                            int64_t *retry_ms)
{
    return auth_check_async(a, authorization, cookie, address, now_us, who, retry_ms, NULL, NULL);
}

enum auth_result auth_check_async(struct auth *a, const char *authorization, const char *cookie,
                                  const char *address, int64_t now_us, struct auth_identity *who,
                                  int64_t *retry_ms, auth_done_fn done, void *arg)
{
    char token[SESSION_TOKEN_CHARS + 1];
    int had_cookie = 0;
    if (cookie != NULL && session_cookie_value(cookie, SESSION_COOKIE, token, sizeof(token)) == 0) {
        struct session_info info;
        had_cookie = 1;
        int is_found = sessions_lookup(a->sessions, token, now_us, &info) == 0;
        if (is_found && !guest_ok(a, &info)) {
            sessions_end(a->sessions, token); /* its link expired or was revoked */
            is_found = 0;
        }
        if (is_found) {
            memset(who, 0, sizeof(*who));
            snprintf(who->user, sizeof(who->user), "%s", info.user);
            who->role = info.role;
            who->is_session = 1;
            memcpy(who->session_id, info.id, sizeof(who->session_id));
            memcpy(who->share, info.share, sizeof(who->share));
            return AUTH_OK;
        }
    }
    if (authorization != NULL)
        return check_basic(a, authorization, address, now_us, who, retry_ms, done, arg);
    return had_cookie ? AUTH_BAD : AUTH_NONE;
}

static void start_session(struct auth *a, const char *address, int64_t now_us,
                          struct auth_outcome *o)
{
    if (sessions_create_from(a->sessions, o->who.user, o->who.role, "", address, now_us, o->token,
                             o->who.session_id) < 0) {
        o->result = AUTH_BAD;
        return;
    }
    o->who.is_session = 1;
    a->stats.logins++;
    LOG_INFO("%s logged in from %s (%s)", o->who.user, address, users_role_name(o->who.role));
    struct audit_field f[] = {AUDIT_TEXT("method", "form")};
    audit_record(a->audit, "login", o->who.user, address, f, 1);
}

enum auth_result auth_verify_password(struct auth *a, const char *name, const char *password,
                                      const char *address, int64_t now_us,
                                      struct auth_identity *who, int64_t *retry_ms)
{
    return verify(a, name, password, address, now_us, who, retry_ms);
}

enum auth_result auth_login(struct auth *a, const char *name, const char *password,
                            const char *address, int64_t now_us, struct auth_identity *who,
                            char token_out[SESSION_TOKEN_CHARS + 1], int64_t *retry_ms)
{
    struct auth_outcome o = {0};
    o.result = verify(a, name, password, address, now_us, &o.who, retry_ms);
    if (o.result == AUTH_OK)
        start_session(a, address, now_us, &o);
    enum auth_result r = o.result;
    *who = o.who;
    if (r == AUTH_OK)
        memcpy(token_out, o.token, sizeof(o.token));
    explicit_bzero(&o, sizeof(o));
    return r;
}

enum auth_result auth_login_async(struct auth *a, const char *name, const char *password,
                                  const char *address, int64_t now_us, auth_done_fn done, void *arg,
                                  int64_t *retry_ms)
{
    enum auth_result r = may_check(a, address, now_us, retry_ms);
    if (r != AUTH_OK)
        return r;
    if (a->hasher != NULL)
        return check_off_loop(a, name, password, address, NULL, 1, done, arg, retry_ms);
    struct auth_outcome o = {0};
    o.result = checked(a, name, users_verify(a->users, name, password), address, now_us, &o.who);
    if (o.result == AUTH_OK)
        start_session(a, address, now_us, &o);
    done(&o, arg);
    explicit_bzero(&o, sizeof(o));
    return AUTH_PENDING;
}

void auth_logout(struct auth *a, const char *cookie, const char *address)
{
    char token[SESSION_TOKEN_CHARS + 1];
    if (cookie == NULL || session_cookie_value(cookie, SESSION_COOKIE, token, sizeof(token)) < 0)
        return;
    struct session_info info;
    if (sessions_peek(a->sessions, token, &info) == 0)
        audit_record(a->audit, "logout", info.user, address, NULL, 0);
    sessions_end(a->sessions, token);
    explicit_bzero(token, sizeof(token));
}

void auth_get_stats(const struct auth *a, struct auth_stats *out)
{
    *out = a->stats;
}

const struct users *auth_users(const struct auth *a)
{
    return a->users;
}

struct sessions *auth_sessions(struct auth *a)
{
    return a->sessions;
}

/*
 * Keep the cached verdicts of users whose hash and role are unchanged in `fresh` (an admin
 * editing another account must not make everyone's next request cost a password check);
 * forget the rest.
 */
static void cache_keep_unchanged(struct auth *a, const struct users *old, const struct users *fresh)
{
    for (size_t i = 0; i < AUTH_CACHE_ENTRIES; i++) {
        struct cached *c = &a->cache[i];
        if (c->expires_us == 0)
            continue;
        enum user_role was = ROLE_NONE, now = ROLE_NONE;
        const char *hash_was = users_hash_of(old, c->who.user, &was);
        const char *hash_now = users_hash_of(fresh, c->who.user, &now);
        if (now == ROLE_NONE || now != was || hash_was == NULL || hash_now == NULL ||
            strcmp(hash_was, hash_now) != 0)
            explicit_bzero(c, sizeof(*c));
    }
}

unsigned auth_replace_users(struct auth *a, struct users *fresh, auth_removed_cb on_removed,
                            void *arg)
{
    struct users *old = a->users;
    a->users = fresh;
    unsigned removed = 0;
    const char *name, *hash;
    enum user_role role;
    int is_fixed;
    for (size_t i = 0; users_at(old, i, &name, &hash, &role, &is_fixed) == 0; i++) {
        enum user_role now = users_role_of(fresh, name);
        if (now == ROLE_NONE) {
            unsigned ended = sessions_end_where(a->sessions, name, "", NULL, NULL);
            LOG_INFO("user \"%s\" removed: %u session(s) ended", name, ended);
            if (on_removed != NULL)
                on_removed(name, arg);
            removed++;
        } else if (now != role) {
            sessions_set_role(a->sessions, name, now);
        }
    }
    cache_keep_unchanged(a, old, fresh);
    users_free(old);
    return removed;
}

int auth_may_see(const struct auth *a, const struct auth_identity *who, const char *camera)
{
    /* A guest sees the cameras its link names, and only while the link is live. */
    if (who->share[0] != '\0')
        return a->shares != NULL &&
               shares_may_see(a->shares, who->share, camera, (int64_t)time(NULL));
    return users_may_see(a->users, who->user, camera);
}

int auth_check_cameras(const struct auth *a, users_camera_exists_cb exists, void *arg, char *err,
                       size_t err_size)
{
    return users_check_cameras(a->users, exists, arg, err, err_size);
}
