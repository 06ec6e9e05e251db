#pragma once
/*
 * throttle: slows down password guessing per client address.
 *
 * After THROTTLE_FREE_FAILURES failed logins from one address, each further attempt must wait
 * a delay that doubles with every failure (1 s, 2 s, 4 s, ... up to THROTTLE_MAX_DELAY_MS);
 * from THROTTLE_LOCKOUT_FAILURES failures on, the address is locked out for
 * THROTTLE_LOCKOUT_MS. An attempt inside the delay is refused without checking the password
 * (429), so a guesser gains nothing by hurrying. A success clears the address. IPv6 clients
 * are counted per /64 (what one subscriber usually holds). The table is bounded
 * (THROTTLE_MAX_ADDRESSES, least recently failed evicted).
 */
#include <stdint.h>

#define THROTTLE_FREE_FAILURES 3
#define THROTTLE_LOCKOUT_FAILURES 10
#define THROTTLE_MAX_DELAY_MS 60000
#define THROTTLE_LOCKOUT_MS (15 * 60 * 1000)
#define THROTTLE_MAX_ADDRESSES 4096
/* Password checks one address may cause per window, right or wrong (cached Basic credentials
 * and sessions cost none): a valid account cannot spend the relay's budget either. */
#define THROTTLE_CHECKS_PER_WINDOW 30
#define THROTTLE_CHECK_WINDOW_MS 60000

struct throttle;

/* New table. NULL on allocation failure. */
struct throttle *throttle_new(void);

/* Free; throttle_free(NULL) is a no-op. */
void throttle_free(struct throttle *t);

/*
 * May `address` try a password at now_us (CLOCK_MONOTONIC µs)? Returns 0 if so, otherwise the
 * number of milliseconds to wait (> 0).
 */
int64_t throttle_wait_ms(struct throttle *t, const char *address, int64_t now_us);

/* Record a failed attempt. Returns the address's failure count. */
unsigned throttle_fail(struct throttle *t, const char *address, int64_t now_us);

/* Has `address` failed recently (is it in the failure table)? 1 or 0. */
int throttle_has_failed(struct throttle *t, const char *address);

/*
 * Count one password check for `address` (successful or not) at now_us. Returns 0 if it may
 * be done, or the milliseconds until its window of THROTTLE_CHECK_WINDOW_MS ends once it has
 * had THROTTLE_CHECKS_PER_WINDOW (then nothing is counted). The table is bounded like the
 * failure table (the entry whose window started first is reused).
 */
int64_t throttle_take_check(struct throttle *t, const char *address, int64_t now_us);

/* Record a success: the address starts afresh. */
void throttle_succeed(struct throttle *t, const char *address);
