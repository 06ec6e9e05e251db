#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

struct session {
    unsigned char token_hash[32];
    int is_used;
    int64_t created_us;
    int64_t last_used_us;
    struct session_info info;
};

struct sessions {
    int64_t idle_us;
    int64_t absolute_us;
    struct session list[SESSION_MAX];
};

struct sessions *sessions_new(uint32_t idle_ms, uint32_t absolute_ms)
{
    struct sessions *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->idle_us = (int64_t)idle_ms * 1000;
    s->absolute_us = (int64_t)absolute_ms * 1000;
    return s;
}

void sessions_free(struct sessions *s)
{
    if (s != NULL)
        explicit_bzero(s, sizeof(*s));
    free(s);
}

static int hash_token(const char *token, unsigned char out[32])
{
    unsigned int n = 0;
    return EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int is_expired(const struct sessions *s, const struct session *e, int64_t now_us)
{
    return now_us - e->last_used_us > s->idle_us || now_us - e->created_us > s->absolute_us;
}

int sessions_create(struct sessions *s, const char *user, enum user_role role, int64_t now_us,
                    char token_out[SESSION_TOKEN_CHARS + 1])
{
    unsigned char raw[SESSION_TOKEN_CHARS / 2];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -EIO;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(token_out + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));

    /* A free or expired slot, else the least recently used one. */
    struct session *slot = &s->list[0];
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (!e->is_used || is_expired(s, e, now_us)) {
            slot = e;
            break;
        }
        if (e->last_used_us < slot->last_used_us)
            slot = e;
    }
    memset(slot, 0, sizeof(*slot));
    if (hash_token(token_out, slot->token_hash) < 0)
        return -EIO;
    slot->is_used = 1;
    slot->created_us = now_us;
    slot->last_used_us = now_us;
    snprintf(slot->info.user, sizeof(slot->info.user), "%s", user);
    slot->info.role = role;
    return 0;
}

static struct session *find(struct sessions *s, const char *token)
{
    if (strlen(token) != SESSION_TOKEN_CHARS ||
        strspn(token, "0123456789abcdef") != SESSION_TOKEN_CHARS)
        return NULL;
    unsigned char h[32];
    if (hash_token(token, h) < 0)
        return NULL;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *e = &s->list[i];
        if (e->is_used && CRYPTO_memcmp(e->token_hash, h, sizeof(h)) == 0)
            return e;
    }
    return NULL;
}

int sessions_lookup(struct sessions *s, const char *token, int64_t now_us, struct session_info *out)
{
    struct session *e = find(s, token);
    if (e == NULL)
        return -ENOENT;
    if (is_expired(s, e, now_us)) {
        memset(e, 0, sizeof(*e));
        return -ENOENT;
    }
    e->last_used_us = now_us;
    *out = e->info;
    return 0;
}

int sessions_peek(struct sessions *s, const char *token, struct session_info *out)
{
    struct session *e = find(s, token);
    if (e == NULL)
        return -ENOENT;
    *out = e->info;
    return 0;
}

void sessions_end(struct sessions *s, const char *token)
{
    struct session *e = find(s, token);
    if (e != NULL)
        memset(e, 0, sizeof(*e));
}

int session_cookie_value(const char *header, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name);
    const char *p = header;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            const char *v = p + name_len + 1;
            size_t vlen = len - name_len - 1;
            /* Blanks before the ';' first, then the quotes RFC 6265 §4.1.1 allows around the
             * value: the other order left "\"tok\" " quoted. */
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            if (vlen + 1 > out_size)
                return -ENOSPC;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return -ENOENT;
}
