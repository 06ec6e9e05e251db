#pragma once
/*
 * basic_auth: lookout-cam's optional login on both ports (--auth-file): HTTP Basic (RFC 7617)
 * with one user:password, what the relay sends from the user:pass@ of CAM_URL and SERVO_URL.
 * Only a digest of the expected header is kept, and the comparison takes constant time
 * (CRYPTO_memcmp over SHA-256 digests).
 */
struct basic_auth;
struct evhttp_request;

/* New check for "user:password" (copied into a digest; the caller wipes its copy). NULL if it
 * has no ':' or on allocation failure. */
struct basic_auth *basic_auth_new(const char *user_password);

/* Free; NULL is a no-op. */
void basic_auth_free(struct basic_auth *a);

/*
 * 1 if req carries the credentials (or a is NULL: no login configured). Otherwise answers
 * 401 with a Basic challenge and a one-line reason, and returns 0: req is done.
 */
int basic_auth_admit(const struct basic_auth *a, struct evhttp_request *req);
