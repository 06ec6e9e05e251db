#pragma once
/*
 * bearer: the secret a camera node proves itself with (NODE_TOKEN, NODE_TOKEN_FILE), sent as
 * "Authorization: Bearer TOKEN" (RFC 6750 §2.1) on the link's upgrade request. The relay keeps
 * only the token's SHA-256 and compares digests in constant time (CRYPTO_memcmp), so neither
 * the comparison's timing nor the token's length leaks. Never log a token.
 */
#include <stddef.h>

#define BEARER_DIGEST_BYTES 32
/* Shortest token accepted: 16 characters (`openssl rand -hex 32` makes 64). */
#define BEARER_MIN_CHARS 16
#define BEARER_MAX_CHARS 512

/* The digest the relay keeps for `token` (NUL-terminated) into out. */
void bearer_digest(const char *token, unsigned char out[BEARER_DIGEST_BYTES]);

/*
 * 1 if `authorization` (an Authorization header's value, may be NULL) is "Bearer TOKEN" (the
 * scheme case-insensitive) and TOKEN's digest equals `expected`; else 0.
 */
int bearer_matches(const char *authorization, const unsigned char expected[BEARER_DIGEST_BYTES]);

/*
 * Check a token's shape: BEARER_MIN_CHARS..BEARER_MAX_CHARS printable ASCII characters without
 * spaces (RFC 6750's b64token is a subset; hex and base64 tokens pass). Returns 0, or -EINVAL
 * with *reason set (static phrase, never the token).
 */
int bearer_check_token(const char *token, const char **reason);

/*
 * Read a token file: its first line, without the line end, into out[0..size). Returns 0, or a
 * negative errno (-ENOENT, -EACCES...) or -EINVAL (empty, too long, bad shape) with *reason set.
 */
int bearer_read_file(const char *path, char *out, size_t size, const char **reason);

/*
 * The digest for the settings NODE_TOKEN (a token) or NODE_TOKEN_FILE (a file holding it; at
 * most one of them non-empty). Returns 1 with out filled, 0 if neither is set, or a negative
 * errno with *reason set (static phrase, never the token).
 */
int bearer_load(const char *token, const char *file, unsigned char out[BEARER_DIGEST_BYTES],
                const char **reason);
