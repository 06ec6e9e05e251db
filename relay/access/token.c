#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static const char HEX[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int token_new(char out[TOKEN_CHARS + 1])
{
    unsigned char raw[TOKEN_BYTES];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -EIO;
    to_hex(raw, sizeof(raw), out);
    explicit_bzero(raw, sizeof(raw));
    return 0;
}

static int sha256(const void *data, size_t len, unsigned char out[TOKEN_HASH_BYTES])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int token_hash(const char *token, unsigned char hash[TOKEN_HASH_BYTES])
{
    if (strlen(token) != TOKEN_CHARS || strspn(token, HEX) != TOKEN_CHARS)
        return -EINVAL;
    return sha256(token, TOKEN_CHARS, hash);
}

int token_hash_equal(const unsigned char a[TOKEN_HASH_BYTES],
                     const unsigned char b[TOKEN_HASH_BYTES])
{
    return CRYPTO_memcmp(a, b, TOKEN_HASH_BYTES) == 0;
}

void token_public_id(const unsigned char hash[TOKEN_HASH_BYTES], char *out, size_t chars)
{
    unsigned char h[TOKEN_HASH_BYTES];
    if (sha256(hash, TOKEN_HASH_BYTES, h) < 0)
        memset(h, 0, sizeof(h));
    if (chars > 2 * TOKEN_HASH_BYTES)
        chars = 2 * TOKEN_HASH_BYTES;
    to_hex(h, chars / 2, out);
}

void token_hash_hex(const unsigned char hash[TOKEN_HASH_BYTES], char out[2 * TOKEN_HASH_BYTES + 1])
{
    to_hex(hash, TOKEN_HASH_BYTES, out);
}

int token_hash_parse(const char *hex, unsigned char hash[TOKEN_HASH_BYTES])
{
    if (strlen(hex) != 2 * TOKEN_HASH_BYTES || strspn(hex, HEX) != 2 * TOKEN_HASH_BYTES)
        return -EINVAL;
    for (size_t i = 0; i < TOKEN_HASH_BYTES; i++) {
        const char *hi = strchr(HEX, hex[2 * i]), *lo = strchr(HEX, hex[2 * i + 1]);
        hash[i] = (unsigned char)(((hi - HEX) << 4) | (lo - HEX));
    }
    return 0;
}
