#include "bearer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

void bearer_digest(const char *token, unsigned char out[BEARER_DIGEST_BYTES])
{
    SHA256((const unsigned char *)token, strlen(token), out);
}

int bearer_matches(const char *authorization, const unsigned char expected[BEARER_DIGEST_BYTES])
{
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    unsigned char digest[BEARER_DIGEST_BYTES];
    bearer_digest(token, digest);
    int is_same = CRYPTO_memcmp(digest, expected, BEARER_DIGEST_BYTES) == 0;
    OPENSSL_cleanse(digest, sizeof(digest));
    return is_same;
}

int bearer_check_token(const char *token, const char **reason)
{
    size_t n = strlen(token);
    if (n < BEARER_MIN_CHARS) {
        *reason = "too short: use at least 16 characters (openssl rand -hex 32)";
        return -EINVAL;
    }
    if (n > BEARER_MAX_CHARS) {
        *reason = "too long: at most 512 characters";
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (token[i] <= ' ' || token[i] > '~') {
            *reason = "only printable ASCII without spaces";
            return -EINVAL;
        }
    }
    return 0;
}

int bearer_read_file(const char *path, char *out, size_t size, const char **reason)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        *reason = strerror(e);
        return -e;
    }
    char line[BEARER_MAX_CHARS + 3];
    int rc = 0;
    if (fgets(line, sizeof(line), f) == NULL) {
        *reason = "empty file";
        rc = -EINVAL;
    }
    fclose(f);
    if (rc == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        rc = bearer_check_token(line, reason);
    }
    if (rc == 0 && strlen(line) >= size) {
        *reason = "too long";
        rc = -EINVAL;
    }
    if (rc == 0)
        snprintf(out, size, "%s", line);
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

int bearer_load(const char *token, const char *file, unsigned char out[BEARER_DIGEST_BYTES],
                const char **reason)
{
    char text[BEARER_MAX_CHARS + 1];
    int rc = 0;
    if (file != NULL && file[0] != '\0') {
        rc = bearer_read_file(file, text, sizeof(text), reason);
    } else if (token != NULL && token[0] != '\0') {
        rc = bearer_check_token(token, reason);
        if (rc == 0)
            snprintf(text, sizeof(text), "%s", token);
    } else {
        return 0;
    }
    if (rc < 0)
        return rc;
    bearer_digest(text, out);
    OPENSSL_cleanse(text, sizeof(text));
    return 1;
}
