#pragma once
/*
 * token: the secrets behind session cookies and guest links, and what the relay keeps of them.
 *
 * A token is TOKEN_BYTES random bytes from getrandom(2), written as 2 * TOKEN_BYTES lower-case
 * hex digits. The relay keeps only its SHA-256 (token_hash), so a stolen table or state file
 * replays nothing; and shows only a public id, hex of SHA-256 of that hash (token_public_id), for
 * lists and the audit. Hashes are compared with CRYPTO_memcmp (token_hash_equal), whose time does
 * not depend on where two hashes first differ.
 */
#include <stddef.h>

#define TOKEN_BYTES 32
#define TOKEN_CHARS (2 * TOKEN_BYTES) /* hex digits */
#define TOKEN_HASH_BYTES 32

/* A new token into out (TOKEN_CHARS hex digits and a NUL). Returns 0, or -EIO. */
int token_new(char out[TOKEN_CHARS + 1]);

/*
 * The SHA-256 of a token as presented (any string), into hash. Returns 0; -EINVAL unless it is
 * exactly TOKEN_CHARS lower-case hex digits (nothing else can be a token); -EIO if OpenSSL fails.
 */
int token_hash(const char *token, unsigned char hash[TOKEN_HASH_BYTES]);

/* 1 if the two hashes are equal; constant time (CRYPTO_memcmp). */
int token_hash_equal(const unsigned char a[TOKEN_HASH_BYTES],
                     const unsigned char b[TOKEN_HASH_BYTES]);

/* The public id of a hash: its first `chars` (even, <= 64) hex digits of SHA-256(hash), and a
 * NUL, into out (chars + 1 bytes). */
void token_public_id(const unsigned char hash[TOKEN_HASH_BYTES], char *out, size_t chars);

/* hash as 64 hex digits and a NUL into out (for state files). */
void token_hash_hex(const unsigned char hash[TOKEN_HASH_BYTES], char out[2 * TOKEN_HASH_BYTES + 1]);

/* Parse 64 lower-case hex digits (exactly) into hash. Returns 0, or -EINVAL. */
int token_hash_parse(const char *hex, unsigned char hash[TOKEN_HASH_BYTES]);
