#pragma once
/*
 * guard: the checks every request passes before a route runs, each refusal a status code and a
 * one-line reason: request size limits (URI 414, header count and bytes 431), the cross-site
 * check for state-changing requests (403), and the login (401, 403 by role, 429 when throttled).
 */
#include <stdint.h>

#include "auth.h"

struct cfg;
struct evhttp_request;

/*
 * Check the request line and headers against the configured limits. Returns 0, or replies
 * (414/431 with a reason) and returns -1.
 */
int guard_limits(struct evhttp_request *req, const struct cfg *cfg);

/*
 * For a state-changing request: 1 if its Origin (or, without one, its Referer) names this very
 * origin (RFC 6454: the scheme the request came by, "http" or "https", and its Host), or if it
 * carries neither (not a browser: browsers send Origin on every cross-site POST); 0 if it names
 * another site, another scheme, or "null" (RFC 6454 §7: a sandboxed or privacy-sensitive origin).
 */
int guard_same_origin(struct evhttp_request *req, const char *scheme);

/*
 * The scheme the client used: "https" on the relay's own TLS, or behind a proxy in
 * trusted_proxies (TRUSTED_PROXIES, as guard_client_address) that says X-Forwarded-Proto: https
 * (nginx terminating TLS); else "http". A static string.
 */
const char *guard_request_scheme(struct evhttp_request *req, int is_tls,
                                 const char *trusted_proxies);

/*
 * The client's address as text (no port), into out. When the peer is one of trusted_proxies
 * (comma-separated address literals, TRUSTED_PROXIES; may be NULL or ""), the last
 * X-Forwarded-For entry is used instead: the address that proxy saw. Returns out.
 */
const char *guard_client_address(struct evhttp_request *req, const char *trusted_proxies, char *out,
                                 size_t out_size);

/*
 * Identify the request's user and require at least `role` (failures are throttled per client
 * address, as guard_client_address finds it). Returns 0 with *who filled, or
 * replies (303 to the login page for a browser opening the page, 401 with a Basic challenge for
 * other clients, 403 for a role too low, 429 with Retry-After when throttled) and returns -1.
 * A password check runs off the loop (auth_check_async with done, arg): then it returns 1, and
 * done(outcome, arg) runs later; the caller calls guard_login again with that outcome as
 * `verdict` (not NULL: no new check) to finish the request.
 */
int guard_login(struct evhttp_request *req, struct auth *auth, const char *trusted_proxies,
                enum user_role role, struct auth_identity *who, const struct auth_outcome *verdict,
                auth_done_fn done, void *arg);

/* Wipe the Authorization header's value in req's input headers (in place, left empty), once it
 * has been checked: a password must not linger in freed memory. req borrowed. */
void guard_wipe_credentials(struct evhttp_request *req);
