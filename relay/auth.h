#pragma once
/*
 * auth: checks HTTP Basic credentials (RFC 7617) against the configured login.
 *
 * Only a SHA-256 digest of "user:password" is kept, and the comparison is constant-time
 * (CRYPTO_memcmp), so neither which part was wrong nor how much of it leaks through timing.
 */
struct auth;

/* New checker for user/password (both copied into the digest only). NULL on failure. */
struct auth *auth_new(const char *user, const char *password);

/* Free; auth_free(NULL) is a no-op. */
void auth_free(struct auth *a);

/*
 * Check an Authorization header value ("Basic base64(user:password)"); NULL counts as absent.
 * Returns 1 if it matches, 0 otherwise (absent, malformed, wrong).
 */
int auth_check_basic(const struct auth *a, const char *authorization);
