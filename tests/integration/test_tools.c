/*
 * The tools people point at a relay, run for real against a camera and a relay on loopback:
 * Prometheus's promtool on /metrics, ffprobe (FFmpeg) on /mjpeg and /snapshot.jpg, a load
 * balancer's /healthz, and the access log an operator reads.
 *
 * promtool and ffprobe come from scripts/install-deps (Debian's prometheus and ffmpeg). A case
 * whose tool is missing is skipped with the reason printed, so a developer without them still
 * runs the rest; CI installs them. Set LOOKOUT_KEEP_TMP=1 to keep the logs of a failed run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define TOOL_TIMEOUT_MS 20000
#define LOG_TIMEOUT_MS 5000
#define FFPROBE_FRAMES 5
#define MAX_OUTPUT_BYTES (1u << 20)

struct tools {
    char *dir;
    struct ts_stack stack;
    char out_path[512]; /* a tool's output, rewritten by each run */
};

static int group_setup(void **state)
{
    struct tools *t = calloc(1, sizeof(*t));
    *state = t;
    if (t == NULL)
        return -1;
    t->dir = ts_tmpdir_new();
    if (t->dir == NULL)
        return -1;
    snprintf(t->out_path, sizeof(t->out_path), "%s/tool.out", t->dir);
    if (ts_stack_start(&t->stack, t->dir, 20, NULL) < 0)
        return -1;
    fprintf(stderr, "tools: relay :%u, logs in %s\n", (unsigned)t->stack.relay_port, t->dir);
    return 0;
}

static int group_teardown(void **state)
{
    struct tools *t = *state;
    if (t == NULL)
        return 0;
    ts_stack_stop(&t->stack);
    ts_tmpdir_free(t->dir);
    free(t);
    return 0;
}

/* Run argv with its output into t->out_path (emptied first); returns the exit code. */
static int run_tool(struct tools *t, char *const argv[])
{
    ts_file_write(t->dir, "tool.out", "", NULL, 0);
    return ts_run(argv, NULL, t->out_path, TOOL_TIMEOUT_MS);
}

/* The tool's output. The caller frees it. */
static char *tool_output(struct tools *t)
{
    char *out = ts_file_read(t->out_path, MAX_OUTPUT_BYTES);
    assert_non_null(out);
    return out;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_tools_healthz_needs_no_login(void **state)
{
    struct tools *t = *state;
    struct ts_http_response r;
    int status =
        ts_http_request(t->stack.relay_port, "GET", "/healthz", NULL, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 200);
    assert_true(strncmp((const char *)r.body, "ok\n", 3) == 0);
    assert_non_null(strstr((const char *)r.body, "camera: "));
    /* Every camera counted; no names without HEALTHZ_CAMERA_NAMES (no login is asked here). */
    assert_non_null(strstr((const char *)r.body, "\ncameras: 1, online "));
    assert_null(strstr((const char *)r.body, "\ncamera cam"));
    ts_http_response_deinit(&r);
}

static void test_tools_metrics_need_login(void **state)
{
    struct tools *t = *state;
    struct ts_http_response r;
    int status =
        ts_http_request(t->stack.relay_port, "GET", "/metrics", NULL, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 401);
    ts_http_response_deinit(&r);
}

static void test_tools_metrics_pass_promtool(void **state)
{
    struct tools *t = *state;
    char promtool[512];
    if (ts_which("promtool", promtool, sizeof(promtool)) < 0) {
        print_message("skipped: promtool not installed (Debian package prometheus; "
                      "scripts/install-deps installs it)\n");
        skip();
    }
    /* Open a stream first so the frame counters are not all zero. */
    struct ts_http_conn *viewer = NULL;
    assert_int_equal(ts_http_conn_open(t->stack.relay_port, "GET", "/mjpeg", t->stack.auth, NULL,
                                       HTTP_TIMEOUT_MS, &viewer),
                     0);
    char buf[4096];
    assert_true(ts_http_conn_read(viewer, buf, sizeof(buf), HTTP_TIMEOUT_MS) > 0);

    struct ts_http_response r;
    int status = ts_http_request(t->stack.relay_port, "GET", "/metrics", t->stack.auth, NULL,
                                 HTTP_TIMEOUT_MS, &r);
    ts_http_conn_free(viewer);
    assert_int_equal(status, 200);
    char type[128];
    assert_true(ts_http_header(r.head, "Content-Type", type, sizeof(type)) > 0);
    assert_true(strncmp(type, "text/plain; version=0.0.4", 25) == 0);
    const char *body = (const char *)r.body;
    /* Per-camera series carry the camera's name; the one camera of a .env is "cam". */
    assert_non_null(strstr(body, "\nlookout_viewers{camera=\"cam\"} "));
    assert_non_null(strstr(body, "\nlookout_frames_received_total{camera=\"cam\"} "));
    assert_non_null(strstr(body, "\nlookout_camera_connects_total{camera=\"cam\"} "));
    assert_non_null(strstr(body, "lookout_http_responses_total{class=\"2xx\"} "));

    char metrics_path[512];
    assert_int_equal(ts_file_write(t->dir, "metrics.txt", body, metrics_path, sizeof(metrics_path)),
                     0);
    ts_http_response_deinit(&r);
    /* promtool reads the exposition from stdin. */
    char script[1200];
    snprintf(script, sizeof(script), "exec '%s' check metrics < '%s'", promtool, metrics_path);
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    int code = run_tool(t, argv);
    char *out = tool_output(t);
    if (code != 0)
        fail_msg("promtool check metrics: exit %d:\n%s", code, out);
    free(out);
}

static void test_tools_access_log_has_no_secrets(void **state)
{
    struct tools *t = *state;
    struct ts_http_response r;
    int status = ts_http_request(t->stack.relay_port, "GET", "/api/status?token=SECRET-TOKEN",
                                 t->stack.auth, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 200);
    ts_http_response_deinit(&r);
    char line[1024];
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "GET /api/status 200 ", LOG_TIMEOUT_MS,
                                      line, sizeof(line)),
                     0);
    assert_non_null(strstr(line, "127.0.0.1 GET /api/status 200 "));
    assert_non_null(strstr(line, "ms"));
    /* The stream opened by the promtool case was logged when it started. */
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "GET /mjpeg 200 stream", LOG_TIMEOUT_MS, NULL, 0), 0);

    char *log = ts_file_read(t->stack.relay_log, MAX_OUTPUT_BYTES);
    assert_non_null(log);
    char b64[256];
    assert_true(sscanf(t->stack.auth, "Authorization: Basic %255s", b64) == 1);
    int leaks = strstr(log, "SECRET-TOKEN") != NULL || strstr(log, TS_STACK_PASSWORD) != NULL ||
                strstr(log, b64) != NULL;
    free(log);
    assert_false(leaks);
}

static void test_tools_ffprobe_reads_the_stream(void **state)
{
    struct tools *t = *state;
    char ffprobe[512];
    if (ts_which("ffprobe", ffprobe, sizeof(ffprobe)) < 0) {
        print_message("skipped: ffprobe not installed (Debian package ffmpeg; "
                      "scripts/install-deps installs it)\n");
        skip();
    }
    char url[128], intervals[32], headers[300];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/mjpeg", (unsigned)t->stack.relay_port);
    snprintf(intervals, sizeof(intervals), "%%+#%d", FFPROBE_FRAMES);
    snprintf(headers, sizeof(headers), "%s", t->stack.auth); /* one line, ending in CRLF */
    char *argv[] = {ffprobe,
                    "-v",
                    "error",
                    "-headers",
                    headers,
                    "-read_intervals",
                    intervals,
                    "-show_entries",
                    "format=format_name:stream=codec_name,width,height:frame=width",
                    "-of",
                    "default=noprint_wrappers=1",
                    url,
                    NULL};
    int code = run_tool(t, argv);
    char *out = tool_output(t);
    if (code != 0)
        fail_msg("ffprobe %s: exit %d:\n%s", url, code, out);
    assert_non_null(strstr(out, "codec_name=mjpeg"));
    assert_non_null(strstr(out, "format_name=mpjpeg"));
    /* Each frame it decoded prints width=...; the stream entry prints one more. */
    int frames = count_lines_with(out, "width=") - 1;
    print_message("ffprobe read %d frames\n", frames);
    assert_true(frames >= FFPROBE_FRAMES);
    free(out);

    /* Without the Authorization header the relay says 401 and ffprobe gives up. */
    char *no_auth[] = {ffprobe, "-v", "error", "-show_entries", "stream=codec_name", url, NULL};
    assert_int_not_equal(run_tool(t, no_auth), 0);
}

static void test_tools_ffprobe_opens_the_snapshot(void **state)
{
    struct tools *t = *state;
    char ffprobe[512];
    if (ts_which("ffprobe", ffprobe, sizeof(ffprobe)) < 0) {
        print_message("skipped: ffprobe not installed (Debian package ffmpeg)\n");
        skip();
    }
    char url[128], headers[300];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/snapshot.jpg", (unsigned)t->stack.relay_port);
    snprintf(headers, sizeof(headers), "%s", t->stack.auth);
    char *argv[] = {ffprobe,
                    "-v",
                    "error",
                    "-headers",
                    headers,
                    "-show_entries",
                    "format=format_name:stream=codec_name,width,height",
                    "-of",
                    "default=noprint_wrappers=1",
                    url,
                    NULL};
    int code = run_tool(t, argv);
    char *out = tool_output(t);
    if (code != 0)
        fail_msg("ffprobe %s: exit %d:\n%s", url, code, out);
    assert_non_null(strstr(out, "codec_name=mjpeg")); /* FFmpeg's name for a JPEG picture */
    assert_non_null(strstr(out, "width="));
    free(out);
}

static void test_tools_relay_exits_cleanly(void **state)
{
    struct tools *t = *state;
    assert_int_equal(ts_stack_stop(&t->stack), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tools_healthz_needs_no_login),
        cmocka_unit_test(test_tools_metrics_need_login),
        cmocka_unit_test(test_tools_metrics_pass_promtool),
        cmocka_unit_test(test_tools_access_log_has_no_secrets),
        cmocka_unit_test(test_tools_ffprobe_reads_the_stream),
        cmocka_unit_test(test_tools_ffprobe_opens_the_snapshot),
        cmocka_unit_test(test_tools_relay_exits_cleanly),
    };
    return cmocka_run_group_tests_name("tools", tests, group_setup, group_teardown);
}
