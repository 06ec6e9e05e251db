/*
 * A RECORD_DIR someone else has written into (docs/SECURITY.md, "Recordings"): FIFOs, symbolic
 * links leading out of it (a camera folder, a day folder, a thumbnail), a folder where a file is
 * expected. The relay rebuilds its index past all of it without blocking, never lists, serves or
 * deletes anything outside RECORD_DIR, a recording replaced by a FIFO while it runs is a 404,
 * not a stuck event loop, and a link where a file is about to be written is replaced, never
 * written through.
 *
 * lookout-cam and a relay with RECORD_SEGMENT_S=1 record one real segment, which is copied into
 * the traps. Every wait is bounded; nothing asserts on timing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define FPS 10

struct dir_test {
    char *dir;
    char rec[600], outside[600];
    struct ts_stack stack;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    struct dir_test *t = calloc(1, sizeof(*t));
    t->dir = ts_tmpdir_new();
    snprintf(t->rec, sizeof(t->rec), "%s/rec", t->dir);
    snprintf(t->outside, sizeof(t->outside), "%s/outside", t->dir);
    mkdir(t->rec, 0700);
    mkdir(t->outside, 0700);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct dir_test *t = *state;
    ts_stack_stop(&t->stack);
    ts_tmpdir_free(t->dir);
    free(t);
    return 0;
}

/* GET path as alice: the status; the response into *r (caller deinits). */
static int get(struct dir_test *t, const char *path, struct ts_http_response *r)
{
    return ts_http_request(t->stack.relay_port, "GET", path, t->stack.auth, NULL, HTTP_TIMEOUT_MS,
                           r);
}

/* The id and start of the oldest finished segment listed, waiting up to timeout_ms for one. */
static void finished_segment(struct dir_test *t, long long *id, long long *start_ms, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 250) {
        struct ts_http_response r = {0};
        assert_int_equal(get(t, "/api/segments", &r), 200);
        const char *p = strstr((const char *)r.body, "\"recording\":false");
        const char *obj = p;
        while (obj != NULL && obj > (const char *)r.body && strncmp(obj, "{\"id\":", 6) != 0)
            obj--;
        if (p != NULL && obj != NULL) {
            *id = atoll(obj + 6);
            *start_ms = atoll(strstr(obj, "\"start_ms\":") + 11);
            ts_http_response_deinit(&r);
            return;
        }
        ts_http_response_deinit(&r);
        sleep_ms(250);
    }
    ts_proc_print_log(t->stack.relay_log, 30);
    fail_msg("no finished segment within %d ms", timeout_ms);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void join(char *out, size_t size, const char *a, const char *b)
{
    assert_true(snprintf(out, size, "%s/%s", a, b) < (int)size);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Traps in RECORD_DIR and outside it, with copies of a real recording (mkv, len bytes). */
static void lay_traps(struct dir_test *t, const void *mkv, size_t len)
{
    char p[900], q[900];
    long long now_s = (long long)time(NULL);
    /* Outside: a secret, and recordings that look like old ones (retention would delete them). */
    join(p, sizeof(p), t->outside, "secret.txt");
    write_file(p, "TOPSECRET\n", 10);
    join(p, sizeof(p), t->outside, "ev-20-1000-2000-44.mkv");
    write_file(p, mkv, len);
    join(p, sizeof(p), t->outside, "day");
    mkdir(p, 0700);
    join(p, sizeof(p), t->outside, "day/120000.mkv");
    write_file(p, mkv, len);
    /* A camera folder and a day folder that are links out. */
    join(p, sizeof(p), t->rec, "evil");
    assert_int_equal(symlink(t->outside, p), 0);
    join(q, sizeof(q), t->outside, "day");
    join(p, sizeof(p), t->rec, "cam/segments/2020-01-01");
    assert_int_equal(symlink(q, p), 0);
    /* A real event whose thumbnail is a link to the secret. */
    snprintf(q, sizeof(q), "cam/ev-7-%lld000-%lld000-44.mkv", now_s - 60, now_s - 58);
    join(p, sizeof(p), t->rec, q);
    write_file(p, mkv, len);
    join(q, sizeof(q), t->outside, "secret.txt");
    join(p, sizeof(p), t->rec, "cam/ev-7.jpg");
    assert_int_equal(symlink(q, p), 0);
    /* FIFOs where recordings and parts are expected: opening one blocks until a writer comes. */
    snprintf(q, sizeof(q), "cam/ev-13-%lld000-%lld000-44.mkv", now_s - 50, now_s - 48);
    const char *fifos[] = {q, "cam/.ev-14.mkv.part", "cam/segments/2020-01-03/120000.mkv",
                           "cam/segments/.2020-01-03_130000.mkv.part",
                           "cam/timelapse/2020-01-04.mkv"};
    join(p, sizeof(p), t->rec, "cam/segments/2020-01-03");
    mkdir(p, 0750);
    join(p, sizeof(p), t->rec, "cam/timelapse");
    mkdir(p, 0750);
    for (size_t i = 0; i < sizeof(fifos) / sizeof(fifos[0]); i++) {
        join(p, sizeof(p), t->rec, fifos[i]);
        assert_int_equal(mkfifo(p, 0600), 0);
    }
    /* A folder where an event's file is expected. */
    snprintf(q, sizeof(q), "cam/ev-15-%lld000-%lld000-44.mkv", now_s - 40, now_s - 38);
    join(p, sizeof(p), t->rec, q);
    mkdir(p, 0700);
    /* The index is lost: everything above is looked at. */
    const char *db[] = {"events.db", "events.db-wal", "events.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        join(p, sizeof(p), t->rec, db[i]);
        unlink(p);
    }
}

static void test_record_dir_traps_neither_block_nor_lead_out(void **state)
{
    struct dir_test *t = *state;
    char env[1024];
    snprintf(env, sizeof(env),
             "RECORD_DIR=%s\nRECORD_SEGMENT_S=1\nMOTION_SETTLE_MS=1000\n"
             "RECORD_CHECK_INTERVAL_MS=500\nRECORD_MIN_FREE_BYTES=0\n",
             t->rec);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, FPS, env), 0);
    long long id, start_ms;
    finished_segment(t, &id, &start_ms, 20000);
    char url[128];
    snprintf(url, sizeof(url), "/api/recordings/%lld/recording.mkv", id);
    struct ts_http_response r = {0};
    assert_int_equal(get(t, url, &r), 200);
    lay_traps(t, r.body, r.body_len);
    ts_http_response_deinit(&r);

    assert_int_equal(ts_stack_restart_relay(&t->stack), 0);
    /* The index was rebuilt past the FIFOs: the relay answers. */
    assert_int_equal(get(t, "/healthz", &r), 200);
    ts_http_response_deinit(&r);
    /* The event whose thumbnail was a link is listed without one; nothing outside is served. */
    assert_int_equal(get(t, "/api/events/7", &r), 200);
    ts_http_response_deinit(&r);
    assert_int_equal(get(t, "/api/events/7/thumbnail.jpg", &r), 404);
    ts_http_response_deinit(&r);
    assert_int_equal(get(t, "/api/segments?from=0&to=1609459200000", &r), 200);
    assert_null(strstr((const char *)r.body, "\"id\":"));
    ts_http_response_deinit(&r);
    /* Retention has run (at start and every 500 ms): nothing outside was deleted. */
    sleep_ms(1000);
    char p[900];
    const char *kept[] = {"secret.txt", "ev-20-1000-2000-44.mkv", "day/120000.mkv"};
    for (size_t i = 0; i < 3; i++) {
        join(p, sizeof(p), t->outside, kept[i]);
        if (!exists(p))
            fail_msg("%s outside RECORD_DIR was deleted", kept[i]);
    }

    /* A finished segment replaced by a FIFO while the relay runs: 404, and the relay answers. */
    finished_segment(t, &id, &start_ms, 20000);
    time_t s = (time_t)(start_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char name[128];
    strftime(name, sizeof(name), "cam/segments/%Y-%m-%d/%H%M%S.mkv", &tm);
    join(p, sizeof(p), t->rec, name);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(url, sizeof(url), "/api/recordings/%lld/recording.mkv", id);
    assert_int_equal(get(t, url, &r), 404);
    ts_http_response_deinit(&r);
    assert_int_equal(get(t, "/healthz", &r), 200);
    ts_http_response_deinit(&r);

    /* Links where the next event's files will be written (event 8: after 7, the highest
     * rebuilt): its files replace the links; what they led to is untouched. */
    const char *victims[][2] = {{"cam/.ev-8.mkv.part", "victim-mkv"},
                                {"cam/ev-8.jpg.part", "victim-jpg"}};
    for (size_t i = 0; i < 2; i++) {
        char q[900];
        join(q, sizeof(q), t->outside, victims[i][1]);
        write_file(q, "KEEP", 4);
        join(p, sizeof(p), t->rec, victims[i][0]);
        assert_int_equal(symlink(q, p), 0);
    }
    assert_int_equal(ts_http_request(t->stack.control_port, "POST", "/sim/intruder?seconds=2", NULL,
                                     NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    int is_done = 0;
    for (int waited = 0; waited <= 20000 && !is_done; waited += 250) {
        if (get(t, "/api/events/8", &r) == 200)
            is_done = strstr((const char *)r.body, "\"recording\":false") != NULL;
        ts_http_response_deinit(&r);
        sleep_ms(250);
    }
    assert_true(is_done);
    for (size_t i = 0; i < 2; i++) {
        join(p, sizeof(p), t->outside, victims[i][1]);
        char *text = ts_file_read(p, 64);
        assert_non_null(text);
        if (strcmp(text, "KEEP") != 0)
            fail_msg("%s outside RECORD_DIR was written through a link", victims[i][1]);
        free(text);
    }
    assert_int_equal(get(t, "/api/events/8/thumbnail.jpg", &r), 200);
    ts_http_response_deinit(&r);
}

/* motion.txt is read at start: a FIFO there is refused with its name, not waited on. */
static void test_record_dir_motion_file_fifo_is_refused(void **state)
{
    struct dir_test *t = *state;
    char p[900], env[1024];
    join(p, sizeof(p), t->rec, "cam");
    mkdir(p, 0750);
    join(p, sizeof(p), t->rec, "cam/motion.txt");
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(env, sizeof(env), "RECORD_DIR=%s\n", t->rec);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, FPS, env), 0);
    if (ts_proc_wait_log(t->stack.relay_log, "motion.txt: not a plain file", 10000, NULL, 0) != 0) {
        ts_proc_print_log(t->stack.relay_log, 20);
        fail_msg("the relay did not refuse the FIFO at %s", p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_dir_traps_neither_block_nor_lead_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_record_dir_motion_file_fifo_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
