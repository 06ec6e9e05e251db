#include "auth_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

#include "audit.h"
#include "share.h"
#include "throttle.h"
#define LOG_TAG "auth"
#include "log.h"

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
enum auth_result auth_checked(struct auth *a, const char *name, enum user_role role,
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
    return auth_checked(a, name, users_verify(a->users, name, password), address, now_us, who);
}

static enum auth_result check_basic(struct auth *a, const char *authorization, const char *address,
                                    int64_t now_us, struct auth_identity *who, int64_t *retry_ms,
                                    auth_done_fn done, void *arg)
{
    char name[USER_NAME_MAX], password[PASSWORD_MAX];
    if (auth_parse_basic(authorization, name, sizeof(name), password, sizeof(password)) < 0)
        return AUTH_BAD;
    unsigned char d[32];
    int has_digest = auth_cache_digest(a, name, password, d) == 0;
    const struct auth_identity *hit = has_digest ? auth_cache_find(a, d, now_us) : NULL;
    struct pending *same = has_digest && hit == NULL ? auth_async_find(a, d) : NULL;
    enum auth_result r;
    if (hit != NULL) {
        r = AUTH_OK;
        *who = *hit;
    } else if (same != NULL && done != NULL) {
        r = auth_async_join(same, address, now_us, done, arg, retry_ms);
    } else if (a->hasher != NULL && done != NULL) {
        r = may_check(a, address, now_us, retry_ms);
        if (r == AUTH_OK)
            r = auth_async_check(a, name, password, address, has_digest ? d : NULL, 0, done, arg,
                                 retry_ms);
    } else {
        r = verify(a, name, password, address, now_us, who, retry_ms);
        if (r == AUTH_OK) {
            struct audit_field f[] = {AUDIT_TEXT("method", "basic")};
            audit_record(a->audit, "login", who->user, address, f, 1);
            if (has_digest)
                auth_cache_remember(a, d, who, now_us);
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

void auth_start_session(struct auth *a, const char *address, int64_t now_us, struct auth_outcome *o)
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
        auth_start_session(a, address, now_us, &o);
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
        return auth_async_check(a, name, password, address, NULL, 1, done, arg, retry_ms);
    struct auth_outcome o = {0};
    o.result =
        auth_checked(a, name, users_verify(a->users, name, password), address, now_us, &o.who);
    if (o.result == AUTH_OK)
        auth_start_session(a, address, now_us, &o);
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
    auth_cache_keep_unchanged(a, old, fresh);
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
