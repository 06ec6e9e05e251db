#include "auth_internal.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * Digest of the decoded credentials, so that spellings of one Basic header (blanks, the
 * scheme's case) are one cache entry, not one yescrypt run each. Returns 0, or -1 if OpenSSL
 * failed (then the cache must be neither read nor written: every failure would produce the
 * same digest).
 */
int auth_cache_digest(const struct auth *a, const char *name, const char *password,
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

const struct auth_identity *auth_cache_find(const struct auth *a, const unsigned char d[32],
                                            int64_t now_us)
{
    for (size_t i = 0; i < AUTH_CACHE_ENTRIES; i++) {
        const struct cached *c = &a->cache[i];
        if (c->expires_us > now_us && CRYPTO_memcmp(c->digest, d, 32) == 0)
            return &c->who;
    }
    return NULL;
}

void auth_cache_remember(struct auth *a, const unsigned char d[32], const struct auth_identity *who,
                         int64_t now_us)
{
    struct cached *c = &a->cache[a->cache_next++ % AUTH_CACHE_ENTRIES];
    memcpy(c->digest, d, 32);
    c->expires_us = now_us + (int64_t)AUTH_CACHE_MS * 1000;
    c->who = *who;
}

/*
 * Keep the cached verdicts of users whose hash and role are unchanged in `fresh` (an admin
 * editing another account must not make everyone's next request cost a password check);
 * forget the rest.
 */
void auth_cache_keep_unchanged(struct auth *a, const struct users *old, const struct users *fresh)
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
