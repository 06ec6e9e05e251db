#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit.h"
#include "throttle.h"
#define LOG_TAG "auth"
#include "log.h"

#define AUTH_MAX_HEADER 1024
#define PASSWORD_MAX 256

struct cached {
    unsigned char digest[32]; /* of key || Authorization value */
    int64_t expires_us;
    struct auth_identity who;
};

struct auth {
    struct users *users;
    struct sessions *sessions;
    struct throttle *throttle;
    struct audit *audit;   /* borrowed, may be NULL */
    unsigned char key[32]; /* random per process: cached digests mean nothing elsewhere */
    struct cached cache[AUTH_CACHE_ENTRIES];
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

/* Returns 0, or -1 if OpenSSL failed (then the cache must be neither read nor written: every
 * failure would produce the same digest). */
static int keyed_digest(const struct auth *a, const char *value, unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int rc = 0;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, a->key, sizeof(a->key)) != 1 ||
        EVP_DigestUpdate(ctx, value, strlen(value)) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1)
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

/* Check a password for address, throttled. Fills *who on success. */
static enum auth_result verify(struct auth *a, const char *name, const char *password,
                               const char *address, int64_t now_us, struct auth_identity *who,
                               int64_t *retry_ms)
{
    int64_t wait = throttle_wait_ms(a->throttle, address, now_us);
    if (wait > 0) {
        a->stats.throttled++;
        *retry_ms = wait;
        return AUTH_THROTTLED;
    }
    /* Each check is a yescrypt run on the event loop (~15 ms here): guesses from many
     * addresses at once must not starve the stream, so the whole relay does at most
     * AUTH_MAX_CHECKS_PER_S of them. Cached Basic headers and sessions cost none. */
    if (now_us - a->checks_window_us >= 1000000) {
        a->checks_window_us = now_us;
        a->checks_in_window = 0;
    }
    if (a->checks_in_window >= AUTH_MAX_CHECKS_PER_S) {
        a->stats.throttled++;
        *retry_ms = (a->checks_window_us + 1000000 - now_us + 999) / 1000;
        return AUTH_THROTTLED;
    }
    a->checks_in_window++;
    enum user_role role = users_verify(a->users, name, password);
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

static enum auth_result check_basic(struct auth *a, const char *authorization, const char *address,
                                    int64_t now_us, struct auth_identity *who, int64_t *retry_ms)
{
    unsigned char d[32];
    int has_digest = keyed_digest(a, authorization, d) == 0;
    const struct cached *hit = has_digest ? cache_find(a, d, now_us) : NULL;
    if (hit != NULL) {
        *who = hit->who;
        return AUTH_OK;
    }
    char name[USER_NAME_MAX], password[PASSWORD_MAX];
    if (auth_parse_basic(authorization, name, sizeof(name), password, sizeof(password)) < 0)
        return AUTH_BAD;
    enum auth_result r = verify(a, name, password, address, now_us, who, retry_ms);
    explicit_bzero(password, sizeof(password));
    if (r == AUTH_OK) {
        struct audit_field f[] = {AUDIT_TEXT("method", "basic")};
        audit_record(a->audit, "login", who->user, address, f, 1);
    }
    if (r == AUTH_OK && has_digest) {
        struct cached *c = &a->cache[a->cache_next++ % AUTH_CACHE_ENTRIES];
        memcpy(c->digest, d, sizeof(d));
        c->expires_us = now_us + (int64_t)AUTH_CACHE_MS * 1000;
        c->who = *who;
    }
    return r;
}

enum auth_result auth_check(struct auth *a, const char *authorization, const char *cookie,
                            const char *address, int64_t now_us, struct auth_identity *who,
                            int64_t *retry_ms)
{
    char token[SESSION_TOKEN_CHARS + 1];
    int had_cookie = 0;
    if (cookie != NULL && session_cookie_value(cookie, SESSION_COOKIE, token, sizeof(token)) == 0) {
        struct session_info info;
        had_cookie = 1;
        if (sessions_lookup(a->sessions, token, now_us, &info) == 0) {
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
        return check_basic(a, authorization, address, now_us, who, retry_ms);
    return had_cookie ? AUTH_BAD : AUTH_NONE;
}

enum auth_result auth_login(struct auth *a, const char *name, const char *password,
                            const char *address, int64_t now_us, struct auth_identity *who,
                            char token_out[SESSION_TOKEN_CHARS + 1], int64_t *retry_ms)
{
    enum auth_result r = verify(a, name, password, address, now_us, who, retry_ms);
    if (r != AUTH_OK)
        return r;
    if (sessions_create_from(a->sessions, who->user, who->role, "", address, now_us, token_out,
                             who->session_id) < 0)
        return AUTH_BAD;
    who->is_session = 1;
    a->stats.logins++;
    LOG_INFO("%s logged in from %s (%s)", who->user, address, users_role_name(who->role));
    struct audit_field f[] = {AUDIT_TEXT("method", "form")};
    audit_record(a->audit, "login", who->user, address, f, 1);
    return AUTH_OK;
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
    memset(a->cache, 0, sizeof(a->cache));
    users_free(old);
    return removed;
}

int auth_may_see(const struct auth *a, const struct auth_identity *who, const char *camera)
{
    return users_may_see(a->users, who->user, camera);
}

int auth_check_cameras(const struct auth *a, users_camera_exists_cb exists, void *arg, char *err,
                       size_t err_size)
{
    return users_check_cameras(a->users, exists, arg, err, err_size);
}
