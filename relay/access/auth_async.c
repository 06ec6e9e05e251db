#include "auth_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "clock.h"
#include "hasher.h"
#include "throttle.h"

/* Requests that may wait on one check in flight (each also holds a connection: bounded there). */
#define AUTH_MAX_WAITERS 1024

/* A request waiting for the verdict of the same credentials' check already in flight. */
struct waiter {
    struct waiter *next;
    char address[64];
    auth_done_fn done;
    void *arg;
};

/* A password check running on the hasher's thread. */
struct pending {
    struct pending *next_inflight; /* Basic checks in flight, found by digest */
    struct waiter *waiters;        /* requests with the same credentials, answered together */
    unsigned n_waiters;
    struct auth *auth;
    char name[USER_NAME_MAX];
    char address[64];
    enum user_role role; /* the user's, if the password matches */
    int is_form;         /* a login form: start a session */
    unsigned char digest[32];
    int has_digest; /* Basic: remember the verdict */
    auth_done_fn done;
    void *arg;
};

static void inflight_remove(struct auth *a, const struct pending *p)
{
    for (struct pending **pp = &a->inflight; *pp != NULL; pp = &(*pp)->next_inflight) {
        if (*pp == p) {
            *pp = p->next_inflight;
            return;
        }
    }
}

struct pending *auth_async_find(const struct auth *a, const unsigned char d[32])
{
    for (struct pending *p = a->inflight; p != NULL; p = p->next_inflight) {
        if (CRYPTO_memcmp(p->digest, d, 32) == 0)
            return p;
    }
    return NULL;
}

/*
 * Answer the requests that joined p's check. A match answers them as a cached verdict would
 * (no throttle or audit side effects: one check was made); a mismatch counts as a failed login
 * for each one's address, as their own checks would have.
 */
static void answer_waiters(struct pending *p, int is_match, const struct auth_outcome *first,
                           int64_t now_us)
{
    struct waiter *w = p->waiters;
    p->waiters = NULL;
    while (w != NULL) {
        struct waiter *next = w->next;
        struct auth_outcome o = {.result = AUTH_THROTTLED, .retry_ms = 1000};
        if (is_match == 1 && first->result == AUTH_OK) {
            o.result = AUTH_OK;
            o.who = first->who;
        } else if (is_match >= 0) {
            o.result = auth_checked(p->auth, p->name, ROLE_NONE, w->address, now_us, &o.who);
        }
        w->done(&o, w->arg);
        explicit_bzero(&o, sizeof(o));
        free(w);
        w = next;
    }
}

/* The hasher's verdict, back on the loop. */
static void on_checked(int is_match, void *arg)
{
    struct pending *p = arg;
    struct auth *a = p->auth;
    struct auth_outcome o = {.result = AUTH_THROTTLED, .retry_ms = 1000};
    int64_t now_us = clock_now_us();
    inflight_remove(a, p);
    if (is_match >= 0) {
        o.result = auth_checked(a, p->name, is_match == 1 ? p->role : ROLE_NONE, p->address, now_us,
                                &o.who);
        if (p->has_digest && o.result == AUTH_OK)
            auth_cache_remember(a, p->digest, &o.who, now_us);
        if (o.result == AUTH_OK && !p->is_form) {
            struct audit_field f[] = {AUDIT_TEXT("method", "basic")};
            audit_record(a->audit, "login", o.who.user, p->address, f, 1);
        }
        if (o.result == AUTH_OK && p->is_form)
            auth_start_session(a, p->address, now_us, &o);
    }
    p->done(&o, p->arg);
    answer_waiters(p, is_match, &o, now_us);
    explicit_bzero(&o, sizeof(o));
    explicit_bzero(p, sizeof(*p));
    free(p);
}

/*
 * Hand a check to the hasher. Returns AUTH_PENDING (done will run), or AUTH_THROTTLED if its
 * queue is full, after may_check allowed it.
 */
enum auth_result auth_async_check(struct auth *a, const char *name, const char *password,
                                  const char *address, const unsigned char *digest, int is_form,
                                  auth_done_fn done, void *arg, int64_t *retry_ms)
{
    struct pending *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        *retry_ms = 1000;
        return AUTH_THROTTLED;
    }
    p->auth = a;
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->address, sizeof(p->address), "%s", address);
    p->is_form = is_form;
    p->has_digest = digest != NULL;
    if (digest != NULL)
        memcpy(p->digest, digest, sizeof(p->digest));
    p->done = done;
    p->arg = arg;
    const char *hash = users_hash_of(a->users, name, &p->role);
    if (hasher_submit(a->hasher, password, hash, on_checked, p) < 0) {
        free(p);
        a->stats.throttled++;
        *retry_ms = 1000;
        return AUTH_THROTTLED;
    }
    if (p->has_digest && !is_form) {
        p->next_inflight = a->inflight;
        a->inflight = p;
    }
    return AUTH_PENDING;
}

/*
 * The same Basic credentials are being checked already (a client opening many connections at
 * once, before the first verdict is cached): wait for that verdict instead of costing another
 * yescrypt run and another unit of the address's check budget. Returns AUTH_PENDING, or
 * AUTH_THROTTLED if the address is locked out or too many requests wait already.
 */
enum auth_result auth_async_join(struct pending *same, const char *address, int64_t now_us,
                                 auth_done_fn done, void *arg, int64_t *retry_ms)
{
    int64_t wait = throttle_wait_ms(same->auth->throttle, address, now_us);
    struct waiter *w = NULL;
    if (wait <= 0 && same->n_waiters < AUTH_MAX_WAITERS)
        w = calloc(1, sizeof(*w));
    if (w == NULL) {
        same->auth->stats.throttled++;
        *retry_ms = wait > 0 ? wait : 1000;
        return AUTH_THROTTLED;
    }
    snprintf(w->address, sizeof(w->address), "%s", address);
    w->done = done;
    w->arg = arg;
    w->next = same->waiters;
    same->waiters = w;
    same->n_waiters++;
    return AUTH_PENDING;
}
