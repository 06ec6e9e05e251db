/*
 * Replays of recorded events (/api/events/ID/play.mjpeg) held to their bounds, as a logged-in
 * viewer would push them: at most EVENTS_REPLAY_MAX at once (one more is a 503 with a reason),
 * a replay whose viewer vanishes gives its place back, and a finished replay closes its
 * connection. A replay takes its connection out of the per-address cap and the request deadline
 * (connlimit_release); kept alive after it, a connection escaped both for good, so one viewer
 * could hold any number of connections by replaying a short piece on each.
 *
 * lookout-cam's simulated intruder makes one event to replay. Every wait is bounded; nothing
 * asserts on timing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/attack.h"
#include "../support/http.h"
#include "../support/proc.h"
#include "../support/stack.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define FPS 10
#define REPLAY_MAX 8 /* EVENTS_REPLAY_MAX */

struct replay_test {
    char *dir;
    struct ts_stack stack;
    long long event_id;
};

/* Start the stack recording into DIR/rec and make one finished event. */
static int setup(void **state)
{
    struct replay_test *t = calloc(1, sizeof(*t));
    t->dir = ts_tmpdir_new();
    char rec[600], env[800];
    snprintf(rec, sizeof(rec), "%s/rec", t->dir);
    mkdir(rec, 0700);
    /* A long request deadline: only the relay closing the connection ends it in the test. */
    snprintf(env, sizeof(env),
             "RECORD_DIR=%s\nMOTION_SETTLE_MS=1000\nRECORD_QUIET_MS=1000\n"
             "REQUEST_TIMEOUT_MS=60000\nMAX_CONNECTIONS_PER_ADDRESS=4\n",
             rec);
    *state = t;
    if (ts_stack_start(&t->stack, t->dir, FPS, env) != 0 ||
        ts_proc_wait_log(t->stack.relay_log, "camera cam: online", 10000, NULL, 0) != 0)
        return -1;
    ts_sleep_ms(1500); /* the detector settles */
    struct ts_http_response r = {0};
    if (ts_http_request(t->stack.control_port, "POST", "/sim/intruder?seconds=2", NULL, NULL,
                        HTTP_TIMEOUT_MS, &r) != 200)
        return -1;
    ts_http_response_deinit(&r);
    for (int waited = 0; waited <= 20000 && t->event_id == 0; waited += 250) {
        if (ts_http_request(t->stack.relay_port, "GET", "/api/events", t->stack.auth, NULL,
                            HTTP_TIMEOUT_MS, &r) == 200 &&
            strstr((const char *)r.body, "\"recording\":false") != NULL)
            t->event_id = atoll(strstr((const char *)r.body, "{\"id\":") + 6);
        ts_http_response_deinit(&r);
        ts_sleep_ms(250);
    }
    return t->event_id > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct replay_test *t = *state;
    ts_stack_stop(&t->stack);
    ts_tmpdir_free(t->dir);
    free(t);
    return 0;
}

/* A keep-alive request for the event's replay (from second t_s), as a browser sends it. */
static int open_replay(struct replay_test *t, const char *query)
{
    int fd = ts_tcp_connect(NULL, "127.0.0.1", t->stack.relay_port, HTTP_TIMEOUT_MS);
    assert_true(fd >= 0);
    char req[600];
    snprintf(req, sizeof(req), "GET /api/events/%lld/play.mjpeg%s HTTP/1.1\r\nHost: x\r\n%s\r\n",
             t->event_id, query, t->stack.auth);
    assert_int_equal(ts_send_all(fd, req, strlen(req), HTTP_TIMEOUT_MS), 0);
    return fd;
}

static void test_replay_closes_its_connection_when_done(void **state)
{
    struct replay_test *t = *state;
    /* More finished replays than the per-address cap (4): each ends and its connection closes,
     * instead of staying open outside the cap and without a deadline. */
    for (int i = 0; i < 6; i++) {
        int fd = open_replay(t, "?t=86000"); /* past the end: one frame, then the end */
        char head[64];
        assert_true(ts_read_some(fd, head, sizeof(head), HTTP_TIMEOUT_MS) > 12);
        assert_memory_equal(head, "HTTP/1.1 200", 12);
        if (ts_wait_closed(fd, HTTP_TIMEOUT_MS) != 0)
            fail_msg("replay %d: its connection stayed open after the replay", i + 1);
        close(fd);
    }
}

static void test_replay_bounded_and_places_given_back(void **state)
{
    struct replay_test *t = *state;
    int fds[REPLAY_MAX + 1];
    for (int i = 0; i < REPLAY_MAX; i++) {
        fds[i] = open_replay(t, "");
        char head[64];
        assert_true(ts_read_some(fds[i], head, sizeof(head), HTTP_TIMEOUT_MS) > 12);
        assert_memory_equal(head, "HTTP/1.1 200", 12);
    }
    /* One more: refused with its reason, and closed. */
    fds[REPLAY_MAX] = open_replay(t, "");
    char answer[4096];
    ts_read_some(fds[REPLAY_MAX], answer, sizeof(answer), HTTP_TIMEOUT_MS);
    assert_memory_equal(answer, "HTTP/1.1 503", 12);
    assert_non_null(strstr(answer, "too many replays"));
    /* The viewers vanish mid-replay (a reset, not a goodbye): every place comes back. */
    for (int i = 0; i <= REPLAY_MAX; i++) {
        struct linger lg = {1, 0};
        setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fds[i]);
    }
    int ok = 0;
    for (int tries = 0; tries < 20 && ok < REPLAY_MAX; tries++) {
        ok = 0;
        for (int i = 0; i < REPLAY_MAX; i++) {
            fds[i] = open_replay(t, "?t=86000");
            char head[64];
            ok += ts_read_some(fds[i], head, sizeof(head), HTTP_TIMEOUT_MS) > 12 &&
                  memcmp(head, "HTTP/1.1 200", 12) == 0;
        }
        for (int i = 0; i < REPLAY_MAX; i++)
            close(fds[i]);
        if (ok < REPLAY_MAX)
            ts_sleep_ms(250); /* the resets are still being noticed */
    }
    assert_int_equal(ok, REPLAY_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replay_closes_its_connection_when_done, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_replay_bounded_and_places_given_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
