/*
 * hasher: password checks on the worker thread, results back on the loop (issue 10 #6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "hasher.h"
#include "users.h"

struct result {
    int is_match;
    int calls;
};

static void on_done(int is_match, void *arg)
{
    struct result *r = arg;
    r->is_match = is_match;
    r->calls++;
}

static void run_until(struct event_base *base, const struct result *r, int n)
{
    for (int i = 0; i < 500; i++) {
        int done = 0;
        for (int k = 0; k < n; k++)
            done += r[k].calls;
        if (done == n)
            return;
        struct timeval tv = {.tv_sec = 0, .tv_usec = 10000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    fail_msg("the hasher's results did not come back within 5 s");
}

static void test_hasher_checks_off_the_loop(void **state)
{
    (void)state;
    char hash[256];
    assert_int_equal(users_hash_password("right-pass", hash, sizeof(hash)), 0);
    struct event_base *base = event_base_new();
    assert_non_null(base);
    struct hasher *h = hasher_new(base, 2);
    assert_non_null(h);
    struct result r[3] = {{-1, 0}, {-1, 0}, {-1, 0}};
    assert_int_equal(hasher_submit(h, "right-pass", hash, on_done, &r[0]), 0);
    assert_int_equal(hasher_submit(h, "wrong-pass", hash, on_done, &r[1]), 0);
    /* Bounded: a third waits for neither. */
    assert_int_equal(hasher_submit(h, "right-pass", hash, on_done, &r[2]), -EBUSY);
    assert_int_equal(hasher_queued(h), 2);
    /* Nothing is called back before the loop runs. */
    assert_int_equal(r[0].calls + r[1].calls, 0);
    run_until(base, r, 2);
    assert_int_equal(r[0].is_match, 1);
    assert_int_equal(r[1].is_match, 0);
    assert_int_equal(hasher_queued(h), 0);
    /* Freed with a job outstanding: it is called back, once, cancelled. */
    assert_int_equal(hasher_submit(h, "right-pass", hash, on_done, &r[2]), 0);
    hasher_free(h);
    assert_int_equal(r[2].calls, 1);
    assert_true(r[2].is_match == -ECANCELED || r[2].is_match == 1);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hasher_checks_off_the_loop),
    };
    return cmocka_run_group_tests_name("hasher", tests, NULL, NULL);
}
