#pragma once
/*
 * hasher: password checks (crypt_r, yescrypt: ~15 ms each) on a worker thread, so that guesses
 * cannot stall the event loop, and with it every viewer's stream (issue 10 #6).
 *
 * The loop submits a job (a copy of the password and of the hash to compare it with); the
 * one worker thread runs crypt_r and the comparison; the result comes back on the loop through
 * an eventfd, where the job's callback runs. The queue is bounded (max_queued jobs waiting or
 * running): a full queue refuses new jobs (-EBUSY), which the caller answers 429. Passwords are
 * wiped as soon as they are hashed. The only thread in the relay; it touches nothing but its
 * jobs.
 */
#include <stddef.h>

struct event_base;
struct hasher;

/*
 * A job's result, on the loop thread: is_match is 1 if the password hashes to the hash, 0 if
 * not, -ECANCELED if the hasher is being freed (answer the request, touch nothing else).
 */
typedef void (*hasher_done_fn)(int is_match, void *arg);

/* New hasher with its worker thread. NULL on failure (thread, eventfd or memory). */
struct hasher *hasher_new(struct event_base *base, unsigned max_queued);

/* Stop the worker, then call every unfinished job's callback with -ECANCELED; free. NULL: no-op.
 * Call it before freeing what the callbacks use (the HTTP server: they answer requests). */
void hasher_free(struct hasher *h);

/*
 * Queue a check of `password` against `hash` (both copied; the copy of the password is wiped
 * once hashed). done(is_match, arg) runs later on the loop, exactly once. Returns 0, -EBUSY if
 * max_queued jobs are waiting or running, -EINVAL if either string is too long, -ENOMEM.
 */
int hasher_submit(struct hasher *h, const char *password, const char *hash, hasher_done_fn done,
                  void *arg);

/* Jobs waiting or running now. */
unsigned hasher_queued(const struct hasher *h);
