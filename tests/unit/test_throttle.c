/* Unit tests for relay/throttle: free failures, doubling delays, lockout, reset, per address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

#define MS 1000LL       /* µs */
#define T0 5000000000LL /* an arbitrary monotonic start, in µs */

static struct throttle *table(void)
{
    struct throttle *t = throttle_new();
    assert_non_null(t);
    return t;
}

/* The delay expected after `failures` failures (THROTTLE_FREE_FAILURES up to lockout). */
static int64_t expected_delay_ms(unsigned failures)
{
    if (failures < THROTTLE_FREE_FAILURES)
        return 0;
    if (failures >= THROTTLE_LOCKOUT_FAILURES)
        return THROTTLE_LOCKOUT_MS;
    int64_t d = 1000;
    for (unsigned i = THROTTLE_FREE_FAILURES; i < failures; i++)
        d *= 2;
    return d < THROTTLE_MAX_DELAY_MS ? d : THROTTLE_MAX_DELAY_MS;
}

static void test_throttle_first_failures_are_free(void **state)
{
    (void)state;
    struct throttle *t = table();
    assert_int_equal(throttle_wait_ms(t, "192.0.2.1", T0), 0);
    for (unsigned i = 1; i < THROTTLE_FREE_FAILURES; i++) {
        assert_int_equal(throttle_fail(t, "192.0.2.1", T0), i);
        assert_int_equal(throttle_wait_ms(t, "192.0.2.1", T0), 0);
    }
    /* The next failure is the last free one: from then on, a delay. */
    assert_int_equal(throttle_fail(t, "192.0.2.1", T0), THROTTLE_FREE_FAILURES);
    assert_int_equal(throttle_wait_ms(t, "192.0.2.1", T0), 1000);
    throttle_free(t);
    throttle_free(NULL);
}

static void test_throttle_delay_doubles_then_locks_out(void **state)
{
    (void)state;
    struct throttle *t = table();
    const char *a = "198.51.100.7";
    int64_t now = T0;
    int64_t previous = 0;
    for (unsigned n = 1; n <= THROTTLE_LOCKOUT_FAILURES; n++) {
        /* Each failure comes as soon as it is allowed: the wait is over, then it fails. */
        assert_int_equal(throttle_wait_ms(t, a, now), 0);
        assert_int_equal(throttle_fail(t, a, now), n);
        int64_t wait = throttle_wait_ms(t, a, now);
        assert_int_equal(wait, expected_delay_ms(n));
        if (n > THROTTLE_FREE_FAILURES && n < THROTTLE_LOCKOUT_FAILURES)
            assert_true(wait == 2 * previous || wait == THROTTLE_MAX_DELAY_MS);
        assert_true(wait <= THROTTLE_MAX_DELAY_MS || n == THROTTLE_LOCKOUT_FAILURES);
        /* Part way through, the remainder is reported (rounded up to whole ms). */
        if (wait > 0) {
            assert_int_equal(throttle_wait_ms(t, a, now + wait * MS / 2), wait - wait / 2);
            assert_int_equal(throttle_wait_ms(t, a, now + wait * MS - 1), 1);
        }
        previous = wait;
        now += wait * MS;
    }
    assert_int_equal(previous, THROTTLE_LOCKOUT_MS);
    throttle_free(t);
}

static void test_throttle_lockout_ends_and_starts_afresh(void **state)
{
    (void)state;
    struct throttle *t = table();
    const char *a = "203.0.113.9";
    for (unsigned n = 0; n < THROTTLE_LOCKOUT_FAILURES; n++)
        throttle_fail(t, a, T0);
    assert_int_equal(throttle_wait_ms(t, a, T0), THROTTLE_LOCKOUT_MS);
    assert_int_equal(throttle_wait_ms(t, a, T0 + (int64_t)THROTTLE_LOCKOUT_MS * MS - 1), 1);
    int64_t after = T0 + (int64_t)THROTTLE_LOCKOUT_MS * MS;
    assert_int_equal(throttle_wait_ms(t, a, after), 0);
    /* Forgiven: the next failure is the first again. */
    assert_int_equal(throttle_fail(t, a, after), 1);
    assert_int_equal(throttle_wait_ms(t, a, after), 0);
    throttle_free(t);
}

static void test_throttle_success_clears(void **state)
{
    (void)state;
    struct throttle *t = table();
    const char *a = "192.0.2.44";
    for (unsigned n = 0; n < THROTTLE_FREE_FAILURES + 2; n++)
        throttle_fail(t, a, T0);
    assert_true(throttle_wait_ms(t, a, T0) > 0);
    throttle_succeed(t, a);
    assert_int_equal(throttle_wait_ms(t, a, T0), 0);
    assert_int_equal(throttle_fail(t, a, T0), 1);
    /* A success for an address never seen is harmless. */
    throttle_succeed(t, "192.0.2.45");
    assert_int_equal(throttle_wait_ms(t, "192.0.2.45", T0), 0);
    throttle_free(t);
}

static void test_throttle_other_addresses_unaffected(void **state)
{
    (void)state;
    struct throttle *t = table();
    for (unsigned n = 0; n < THROTTLE_LOCKOUT_FAILURES; n++)
        throttle_fail(t, "192.0.2.1", T0);
    assert_int_equal(throttle_wait_ms(t, "192.0.2.1", T0), THROTTLE_LOCKOUT_MS);
    /* Neighbours, prefixes and other families of the locked-out address are strangers. */
    const char *others[] = {"192.0.2.10", "192.0.2.", "192.0.2.2", "::1", "2001:db8::1", "?"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(throttle_wait_ms(t, others[i], T0), 0);
        assert_int_equal(throttle_fail(t, others[i], T0), 1);
    }
    throttle_succeed(t, "192.0.2.10");
    assert_int_equal(throttle_wait_ms(t, "192.0.2.1", T0), THROTTLE_LOCKOUT_MS);
    throttle_free(t);
}

static void test_throttle_ipv6_counts_per_64(void **state)
{
    (void)state;
    struct throttle *t = table();
    /* Addresses of one /64 are one client; the next /64 is another. */
    assert_int_equal(throttle_fail(t, "2001:db8:1:2::1", T0), 1);
    assert_int_equal(throttle_fail(t, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", T0), 2);
    assert_int_equal(throttle_fail(t, "2001:db8:1:3::1", T0), 1);
    throttle_succeed(t, "2001:db8:1:2::ffff");
    assert_int_equal(throttle_fail(t, "2001:db8:1:2::1", T0), 1);
    throttle_free(t);
}

/* Issue 10 #3: on a dual-stack socket IPv4 clients arrive as ::ffff:a.b.c.d; each is its own
 * IPv4 address, not one /64 that every IPv4 client (and a guesser) shares. */
static void test_throttle_ipv4_mapped_is_ipv4(void **state)
{
    (void)state;
    struct throttle *t = table();
    for (unsigned i = 0; i < THROTTLE_LOCKOUT_FAILURES; i++)
        throttle_fail(t, "::ffff:192.0.2.1", T0);
    assert_int_equal(throttle_wait_ms(t, "::ffff:192.0.2.1", T0), THROTTLE_LOCKOUT_MS);
    /* The same client however it is spelt; nobody else. */
    assert_int_equal(throttle_wait_ms(t, "192.0.2.1", T0), THROTTLE_LOCKOUT_MS);
    assert_int_equal(throttle_wait_ms(t, "::FFFF:c000:0201", T0), THROTTLE_LOCKOUT_MS);
    assert_int_equal(throttle_wait_ms(t, "::ffff:192.0.2.2", T0), 0);
    assert_int_equal(throttle_wait_ms(t, "::ffff:198.51.100.7", T0), 0);
    assert_int_equal(throttle_wait_ms(t, "::1", T0), 0);
    throttle_free(t);
}

static void test_throttle_table_is_bounded(void **state)
{
    (void)state;
    struct throttle *t = table();
    char addr[48];
    /* Every slot holds a throttled address; address 0's failures are the oldest. */
    for (unsigned i = 0; i < THROTTLE_MAX_ADDRESSES; i++) {
        snprintf(addr, sizeof(addr), "10.0.%u.%u", i / 256, i % 256);
        for (unsigned n = 0; n < THROTTLE_FREE_FAILURES; n++)
            throttle_fail(t, addr, T0 + i);
    }
    assert_true(throttle_wait_ms(t, "10.0.0.0", T0 + THROTTLE_MAX_ADDRESSES) > 0);
    /* A newcomer takes the slot of the least recently failed address. */
    assert_int_equal(throttle_fail(t, "172.16.0.1", T0 + THROTTLE_MAX_ADDRESSES), 1);
    assert_int_equal(throttle_wait_ms(t, "10.0.0.0", T0 + THROTTLE_MAX_ADDRESSES), 0);
    assert_true(throttle_wait_ms(t, "10.0.0.1", T0 + THROTTLE_MAX_ADDRESSES) > 0);
    snprintf(addr, sizeof(addr), "10.0.%u.%u", (THROTTLE_MAX_ADDRESSES - 1) / 256,
             (THROTTLE_MAX_ADDRESSES - 1) % 256);
    assert_true(throttle_wait_ms(t, addr, T0 + THROTTLE_MAX_ADDRESSES) > 0);
    throttle_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_first_failures_are_free),
        cmocka_unit_test(test_throttle_delay_doubles_then_locks_out),
        cmocka_unit_test(test_throttle_lockout_ends_and_starts_afresh),
        cmocka_unit_test(test_throttle_success_clears),
        cmocka_unit_test(test_throttle_other_addresses_unaffected),
        cmocka_unit_test(test_throttle_ipv6_counts_per_64),
        cmocka_unit_test(test_throttle_ipv4_mapped_is_ipv4),
        cmocka_unit_test(test_throttle_table_is_bounded),
    };
    return cmocka_run_group_tests_name("throttle", tests, NULL, NULL);
}
