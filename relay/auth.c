#include "auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define AUTH_MAX_HEADER 1024

struct auth {
    unsigned char digest[32];
};

static int digest_of(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

struct auth *auth_new(const char *user, const char *password)
{
    struct auth *a = calloc(1, sizeof(*a));
    size_t ulen = strlen(user), plen = strlen(password);
    char *joined = malloc(ulen + plen + 2);
    if (a == NULL || joined == NULL) {
        free(a);
        free(joined);
        return NULL;
    }
    memcpy(joined, user, ulen);
    joined[ulen] = ':';
    memcpy(joined + ulen + 1, password, plen + 1);
    int rc = digest_of(joined, ulen + plen + 1, a->digest);
    explicit_bzero(joined, ulen + plen + 1);
    free(joined);
    if (rc < 0) {
        free(a);
        return NULL;
    }
    return a;
}

void auth_free(struct auth *a)
{
    free(a);
}

int auth_check_basic(const struct auth *a, const char *authorization)
{
    if (authorization == NULL || strncasecmp(authorization, "Basic ", 6) != 0)
        return 0;
    const char *b64 = authorization + 6;
    while (*b64 == ' ')
        b64++;
    size_t len = strlen(b64);
    if (len == 0 || len > AUTH_MAX_HEADER || len % 4 != 0)
        return 0;
    unsigned char decoded[AUTH_MAX_HEADER];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return 0;
    /* EVP_DecodeBlock counts padding as zero bytes; take them off again. */
    if (len >= 1 && b64[len - 1] == '=')
        n--;
    if (len >= 2 && b64[len - 2] == '=')
        n--;
    unsigned char digest[32];
    int ok = digest_of(decoded, (size_t)n, digest) == 0 && CRYPTO_memcmp(digest, a->digest, 32) == 0;
    explicit_bzero(decoded, sizeof(decoded));
    return ok;
}
