/*
 * Unit tests for relay/notify/hook: the program runs with the event's facts in its environment
 * and nothing of the relay's settings, without a shell, its output read on the loop; one that
 * outlives HOOK_TIMEOUT_MS is killed with its process group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "../support/run.h"
#include "../support/tmpdir.h"
#include "hook.h"

static const struct event_info ev_end = {
    .phase = EVENT_END,
    .camera = "garden",
    .camera_title = "Garden $(touch pwned) `id`",
    .id = 42,
    .start_unix_ms = 1796668200000,
    .end_unix_ms = 1796668230500,
    .peak_motion_pct = 12.5,
    .thumbnail_path = "/c/garden/events/42/thumb.jpg",
    .recording_path = "/c/garden/events/42/video.mkv",
};

static void write_script(const char *dir, const char *name, const char *body, char *path,
                         size_t path_size)
{
    assert_int_equal(ts_file_write(dir, name, body, path, path_size), 0);
    assert_int_equal(chmod(path, 0700), 0);
}

/* Run the loop until nothing runs any more, at most 10 s. */
static void run_until_done(struct event_base *base, struct hook *h)
{
    for (int i = 0; i < 1000 && hook_running(h) > 0; i++) {
        struct timeval tick = {0, 10000};
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
    assert_int_equal(hook_running(h), 0);
}

static void test_hook_environment(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    assert_non_null(dir);
    char script[1024], out[600], text[1200];
    snprintf(out, sizeof(out), "%s/env.txt", dir);
    snprintf(text, sizeof(text), "#!/bin/sh\ncd '%s'\nenv > '%s'\necho hello from the hook\n", dir,
             out);
    write_script(dir, "hook.sh", text, script, sizeof(script));
    /* A secret in the relay's environment must not reach the program. */
    setenv("HTTP_AUTH_PASSWORD", "do-not-leak", 1);
    struct event_base *base = event_base_new();
    struct hook_config c = {
        .on_end = script, .timeout_ms = 5000, .public_url = "https://cam.example.com/"};
    struct hook *h = hook_new(base, &c);
    assert_non_null(h);
    assert_int_equal(hook_run(h, &ev_end), 0);
    run_until_done(base, h);
    char *env = ts_file_read(out, 65536);
    assert_non_null(env);
    static const char *const want[] = {
        "LOOKOUT_EVENT=end\n",
        "LOOKOUT_CAMERA=garden\n",
        "LOOKOUT_CAMERA_TITLE=Garden $(touch pwned) `id`\n",
        "LOOKOUT_EVENT_ID=42\n",
        "LOOKOUT_START=2026-12-07T18:30:00.000Z\n",
        "LOOKOUT_START_UNIX_MS=1796668200000\n",
        "LOOKOUT_END=2026-12-07T18:30:30.500Z\n",
        "LOOKOUT_END_UNIX_MS=1796668230500\n",
        "LOOKOUT_PEAK_MOTION_PCT=12.5\n",
        "LOOKOUT_THUMBNAIL_URL=https://cam.example.com/c/garden/events/42/thumb.jpg\n",
        "LOOKOUT_RECORDING_URL=https://cam.example.com/c/garden/events/42/video.mkv\n",
        "PATH=",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (strstr(env, want[i]) == NULL)
            fail_msg("%s missing from the hook's environment:\n%s", want[i], env);
    }
    assert_null(strstr(env, "do-not-leak"));
    assert_null(strstr(env, "HTTP_AUTH"));
    free(env);
    /* Nothing of the title was run by a shell. */
    char pwned[600];
    snprintf(pwned, sizeof(pwned), "%s/pwned", dir);
    assert_int_equal(access(pwned, F_OK), -1);
    struct hook_stats st;
    hook_get_stats(h, &st);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.failed, 0);
    /* No program for the start: nothing runs. */
    struct event_info start = ev_end;
    start.phase = EVENT_START;
    assert_int_equal(hook_run(h, &start), 0);
    assert_int_equal(hook_running(h), 0);
    hook_free(h);
    event_base_free(base);
    unsetenv("HTTP_AUTH_PASSWORD");
    ts_tmpdir_free(dir);
}

static void test_hook_killed_at_its_time_limit(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    assert_non_null(dir);
    char script[1024], pidfile[600], text[1200];
    snprintf(pidfile, sizeof(pidfile), "%s/child.pid", dir);
    /* A child of its own too: the whole process group must go. */
    snprintf(text, sizeof(text), "#!/bin/sh\nsleep 30 &\necho $! > '%s'\nsleep 30\n", pidfile);
    write_script(dir, "slow.sh", text, script, sizeof(script));
    struct event_base *base = event_base_new();
    struct hook_config c = {.on_start = script, .timeout_ms = 300};
    struct hook *h = hook_new(base, &c);
    struct event_info ev = ev_end;
    ev.phase = EVENT_START;
    assert_int_equal(hook_run(h, &ev), 0);
    run_until_done(base, h);
    struct hook_stats st;
    hook_get_stats(h, &st);
    assert_int_equal(st.killed, 1);
    assert_int_equal(st.failed, 1); /* it did not exit 0 */
    char *pid_text = ts_file_read(pidfile, 64);
    assert_non_null(pid_text);
    pid_t child = (pid_t)atoi(pid_text);
    free(pid_text);
    assert_true(child > 0);
    /* The grandchild got the signal too (it may linger a moment as a zombie of init). */
    int is_gone = 0;
    for (int i = 0; i < 100 && !is_gone; i++) {
        char stat_path[64], *stat;
        snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", (int)child);
        stat = ts_file_read(stat_path, 4096);
        is_gone = stat == NULL || strstr(stat, ") Z ") != NULL;
        free(stat);
        if (!is_gone)
            usleep(20000);
    }
    assert_true(is_gone);
    hook_free(h);
    event_base_free(base);
    ts_tmpdir_free(dir);
}

static void test_hook_missing_program(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct hook_config c = {.on_start = "/nonexistent/hook", .timeout_ms = 1000};
    struct hook *h = hook_new(base, &c);
    struct event_info ev = ev_end;
    ev.phase = EVENT_START;
    assert_int_equal(hook_run(h, &ev), -ENOENT);
    struct hook_stats st;
    hook_get_stats(h, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(hook_running(h), 0);
    hook_free(h);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_environment),
        cmocka_unit_test(test_hook_killed_at_its_time_limit),
        cmocka_unit_test(test_hook_missing_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
