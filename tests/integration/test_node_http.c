/*
 * The camera node's HTTP contract, against a running lookout-cam on loopback (docs/API.md,
 * "Camera node"): strict /control_servo (every bad query a 400 with one line, nothing moves,
 * the node keeps serving), moves reflected in /status and reached after the slew, 405 and 404,
 * the stream-client cap, /capture, `--scene FILE.jpg` end to end, and bad flags.
 *
 * One lookout-cam (--max-clients 2, --size 320x240) runs for the whole group; the --scene and
 * bad-flag cases start their own. Every process is stopped by its pid (a failed assertion
 * cannot skip it: teardowns do it). Every wait is bounded and nothing asserts on timing: the
 * slew is waited for by polling /status. The cases run in order; each that moves the servos
 * leaves them at home (90/90), and SIGTERM comes last.
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"); LOOKOUT_KEEP_TMP=1 keeps the logs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "../support/http.h"
#include "../support/jpeg.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stream.h"
#include "../support/tmpdir.h"

#define STARTUP_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000
#define RUN_TIMEOUT_MS 10000
/* An SG90 crosses 180 degrees in 0.3 s; this only bounds a broken node. */
#define SLEW_WAIT_MS 10000
#define POLL_MS 20
#define WIDTH 320
#define HEIGHT 240
#define MAX_CLIENTS 2
#define STREAMS (MAX_CLIENTS + 1)
#define FRAMES_EACH 5
/* Frames to look at after a move before deciding the picture did not change (20 fps). */
#define SLEW_FRAMES 40
/*
 * Mean absolute grey difference of the middle band between two frames of the --scene
 * gradient 30 degrees apart: the red channel changes by about 32 levels, grey by about 10.
 * Between frames of a still camera it is 0 (the text strips are outside the band).
 */
#define MOVED_MIN_DIFF 4.0
/* The --scene gradient, and how far a decoded channel may be from the computed value after two
 * JPEG round trips (the test's 4:4:4 and the node's 4:2:0 at quality 80). */
#define SCENE_W 1200
#define SCENE_H 300
#define SCENE_BLUE 80
#define COLOUR_TOLERANCE 8

struct node_http {
    char *dir;
    char log[512];
    pid_t pid;
    uint16_t stream_port;
    uint16_t control_port;
    /* Per case, released by the teardown. */
    struct ts_stream *streams[STREAMS];
    pid_t scene_pid;
    char scene_log[512];
};

static const char *bin_dir(void)
{
    const char *dir = getenv("LOOKOUT_BIN_DIR");
    return (dir != NULL && dir[0] != '\0') ? dir : "build";
}

static void cam_bin(char *out, size_t size)
{
    snprintf(out, size, "%s/lookout-cam", bin_dir());
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start lookout-cam with argv and read both ports from its log. Returns 0 or -1 (log shown). */
static int start_cam(char *const argv[], const char *log_path, pid_t *pid, uint16_t *stream_port,
                     uint16_t *control_port)
{
    *pid = ts_proc_spawn(argv, NULL, log_path);
    if (*pid < 0) {
        fprintf(stderr, "node_http: cannot start %s: %s\n", argv[0], strerror((int)-*pid));
        *pid = 0;
        return -1;
    }
    int sp = ts_proc_log_port(log_path, "stream listening on http://", STARTUP_TIMEOUT_MS);
    int cp = ts_proc_log_port(log_path, "control listening on http://", STARTUP_TIMEOUT_MS);
    if (sp < 0 || cp < 0) {
        fprintf(stderr, "node_http: %s logged no ports\n", argv[0]);
        ts_proc_print_log(log_path, 40);
        return -1;
    }
    *stream_port = (uint16_t)sp;
    *control_port = (uint16_t)cp;
    return 0;
}

static int group_teardown(void **state)
{
    struct node_http *t = *state;
    if (t == NULL)
        return 0;
    ts_proc_stop_reporting("node_http", &t->pid, "lookout-cam", t->log);
    ts_tmpdir_free(t->dir);
    free(t);
    *state = NULL;
    return 0;
}

static int group_setup(void **state)
{
    struct node_http *t = calloc(1, sizeof(*t));
    *state = t;
    if (t == NULL)
        return -1;
    t->dir = ts_tmpdir_new();
    if (t->dir == NULL) {
        fprintf(stderr, "node_http: cannot create a temporary directory: %s\n", strerror(errno));
        return -1;
    }
    snprintf(t->log, sizeof(t->log), "%s/lookout-cam.log", t->dir);
    char bin[512];
    cam_bin(bin, sizeof(bin));
    char size[32];
    snprintf(size, sizeof(size), "%ux%u", WIDTH, HEIGHT);
    char clients[16];
    snprintf(clients, sizeof(clients), "%d", MAX_CLIENTS);
    char *argv[] = {bin,     "--stream-port", "0",  "--control-port", "0",  "--max-clients",
                    clients, "--size",        size, "--fps",          "20", NULL};
    if (start_cam(argv, t->log, &t->pid, &t->stream_port, &t->control_port) < 0) {
        group_teardown(state);
        return -1;
    }
    fprintf(stderr, "node_http: lookout-cam :%u/:%u, logs in %s\n", (unsigned)t->stream_port,
            (unsigned)t->control_port, t->dir);
    return 0;
}

/* GET path on port; asserts the request completed. */
static int get(uint16_t port, const char *path, struct ts_http_response *r)
{
    int status = ts_http_request(port, "GET", path, NULL, NULL, HTTP_TIMEOUT_MS, r);
    if (status < 0)
        fail_msg("GET %s: %s", path, strerror(-status));
    return status;
}

static double json_number(const struct ts_http_response *r, const char *key)
{
    double v = 0;
    if (ts_json_number((const char *)r->body, key, &v) < 0)
        fail_msg("no number \"%s\" in %s", key, (const char *)r->body);
    return v;
}

/* The refusal rule of docs/API.md: a text body of exactly one line, ending in '\n'. */
static void assert_one_line(const struct ts_http_response *r, const char *what)
{
    const char *body = (const char *)r->body;
    if (r->body_len == 0 || body[r->body_len - 1] != '\n' ||
        memchr(body, '\n', r->body_len) != body + r->body_len - 1)
        fail_msg("%s: body is not one line: \"%s\"", what, body);
    char type[128];
    assert_true(ts_http_header(r->head, "Content-Type", type, sizeof(type)) > 0);
    assert_true(strncmp(type, "text/plain", strlen("text/plain")) == 0);
}

struct angles {
    int pan, tilt, target_pan, target_tilt, is_moving;
};

static void read_angles(const struct ts_http_response *r, struct angles *a)
{
    a->pan = (int)json_number(r, "pan");
    a->tilt = (int)json_number(r, "tilt");
    a->target_pan = (int)json_number(r, "target_pan");
    a->target_tilt = (int)json_number(r, "target_tilt");
    a->is_moving = 0;
    (void)ts_json_bool((const char *)r->body, "moving", &a->is_moving);
}

static void status(uint16_t control_port, struct angles *a)
{
    struct ts_http_response r;
    assert_int_equal(get(control_port, "/status", &r), 200);
    read_angles(&r, a);
    ts_http_response_deinit(&r);
}

/* GET /control_servo?query, asserting 200; the reply's angles go to *a. */
static void move(uint16_t control_port, const char *query, struct angles *a)
{
    char path[256];
    snprintf(path, sizeof(path), "/control_servo?%s", query);
    struct ts_http_response r;
    int code = get(control_port, path, &r);
    if (code != 200)
        fail_msg("%s: %d %s", path, code, (const char *)r.body);
    read_angles(&r, a);
    ts_http_response_deinit(&r);
}

/* Poll /status until the servos are at (pan, tilt) and still; fail after SLEW_WAIT_MS. */
static void wait_until_at(uint16_t control_port, int pan, int tilt)
{
    struct angles a;
    int64_t deadline = now_ms() + SLEW_WAIT_MS;
    for (;;) {
        status(control_port, &a);
        if (a.pan == pan && a.tilt == tilt && !a.is_moving)
            return;
        if (now_ms() > deadline)
            fail_msg("servos at %d/%d (moving %d), never reached %d/%d", a.pan, a.tilt, a.is_moving,
                     pan, tilt);
        sleep_ms(POLL_MS);
    }
}

/* Per case: close streams a failed assertion left open, stop a --scene node, and wait (bounded)
 * until the shared node has seen its stream clients leave, so the next case starts clean. */
static int case_teardown(void **state)
{
    struct node_http *t = *state;
    int had_streams = 0;
    for (int i = 0; i < STREAMS; i++) {
        had_streams |= t->streams[i] != NULL;
        ts_stream_close(t->streams[i]);
        t->streams[i] = NULL;
    }
    ts_proc_stop_reporting("node_http", &t->scene_pid, "lookout-cam", t->scene_log);
    int64_t deadline = now_ms() + HTTP_TIMEOUT_MS;
    while (had_streams && t->pid > 0 && now_ms() < deadline) {
        struct ts_http_response r;
        double clients = -1;
        if (ts_http_request(t->control_port, "GET", "/status", NULL, NULL, HTTP_TIMEOUT_MS, &r) ==
            200)
            (void)ts_json_number((const char *)r.body, "stream_clients", &clients);
        ts_http_response_deinit(&r);
        if (clients == 0)
            break;
        sleep_ms(POLL_MS);
    }
    return 0;
}

static void test_node_http_bad_queries_are_400_in_one_line(void **state)
{
    struct node_http *t = *state;
    static const struct {
        const char *path;
        const char *reason; /* a part of the expected one-line reason */
    } bad[] = {
        {"/control_servo", "empty query"},
        {"/control_servo?", "empty query"},
        {"/control_servo?tr=", "tr: missing value"},
        {"/control_servo?tr=abc", "tr: not an integer: \"abc\""},
        {"/control_servo?tr=5.0", "tr: not an integer: \"5.0\""},
        {"/control_servo?tr=0x10", "tr: not an integer: \"0x10\""},
        {"/control_servo?tr=999", "tr: 999 out of range -180..180"},
        {"/control_servo?tr=99999999999999999999", "tr: integer overflow"},
        {"/control_servo?tr=1&tr=2", "tr: duplicated key"},
        {"/control_servo?tr=1&pan=3", "cannot be mixed"},
        {"/control_servo?zoom=1", "no move"},
        {"/control_servo?_=1699999", "no move"},
        {"/control_servo?%G1", "bad percent escape"},
    };
    struct angles before;
    status(t->control_port, &before);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ts_http_response r;
        int code = get(t->control_port, bad[i].path, &r);
        if (code != 400)
            fail_msg("GET %s: %d, want 400", bad[i].path, code);
        assert_one_line(&r, bad[i].path);
        if (strstr((const char *)r.body, bad[i].reason) == NULL)
            fail_msg("GET %s: \"%s\" lacks \"%s\"", bad[i].path, (const char *)r.body,
                     bad[i].reason);
        ts_http_response_deinit(&r);
    }

    /* Nothing moved, and the node still serves. */
    struct angles after;
    status(t->control_port, &after);
    assert_int_equal(after.target_pan, before.target_pan);
    assert_int_equal(after.target_tilt, before.target_tilt);
    struct angles a;
    move(t->control_port, "tr=0&el=0", &a);
    assert_int_equal(a.target_pan, before.target_pan);
    struct ts_http_response r;
    assert_int_equal(get(t->control_port, "/status", &r), 200);
    assert_true(json_number(&r, "rejected_moves") >= (double)(sizeof(bad) / sizeof(bad[0])));
    ts_http_response_deinit(&r);
}

static void expect_status(uint16_t port, const char *method, const char *path, int want)
{
    struct ts_http_response r;
    int code = ts_http_request(port, method, path, NULL, NULL, HTTP_TIMEOUT_MS, &r);
    if (code != want)
        fail_msg("%s %s: %d, want %d", method, path, code, want);
    char what[128];
    snprintf(what, sizeof(what), "%s %s", method, path);
    assert_one_line(&r, what);
    if (want == 405) {
        char allow[64];
        assert_true(ts_http_header(r.head, "Allow", allow, sizeof(allow)) > 0);
        assert_string_equal(allow, "GET");
    }
    ts_http_response_deinit(&r);
}

/* What real clients send: cache busters and tracking keys are ignored and the move happens; a
 * query longer than the node reads is 414 and moves nothing (never a move cut short). */
static void test_node_http_client_junk_ignored_and_long_query_414(void **state)
{
    struct node_http *t = *state;
    struct angles a;
    move(t->control_port, "pan=90&tilt=90", &a);
    move(t->control_port, "tr=5&_=1699999999999&utm_source=phone", &a);
    assert_int_equal(a.target_pan, 95);
    move(t->control_port, "_=1&el=-5", &a);
    assert_int_equal(a.target_tilt, 85);

    char path[600];
    int n = snprintf(path, sizeof(path), "/control_servo?tr=10&_=");
    memset(path + n, '7', 400);
    path[n + 400] = '\0';
    struct ts_http_response r;
    int code = get(t->control_port, path, &r);
    if (code != 414)
        fail_msg("a %zu-byte query: %d, want 414", strlen(path), code);
    assert_one_line(&r, "long query");
    assert_non_null(strstr((const char *)r.body, "query too long"));
    ts_http_response_deinit(&r);
    status(t->control_port, &a);
    assert_int_equal(a.target_pan, 95);
    assert_int_equal(a.target_tilt, 85);
    wait_until_at(t->control_port, 95, 85);
}

/* SERVO_URL written without ":81" (the original's template) reaches the stream port: the node
 * answers /control_servo and /status there too. */
static void test_node_http_control_on_the_stream_port(void **state)
{
    struct node_http *t = *state;
    struct angles a;
    move(t->stream_port, "pan=80&tilt=100", &a);
    assert_int_equal(a.target_pan, 80);
    assert_int_equal(a.target_tilt, 100);
    status(t->control_port, &a);
    assert_int_equal(a.target_pan, 80);
    struct ts_http_response r;
    assert_int_equal(get(t->stream_port, "/control_servo?tr=abc", &r), 400);
    ts_http_response_deinit(&r);
    expect_status(t->stream_port, "POST", "/control_servo?tr=1", 405);
    wait_until_at(t->control_port, 80, 100);
}

static void test_node_http_plus_sign_moves_by_plus_five(void **state)
{
    struct node_http *t = *state;
    struct angles a;
    move(t->control_port, "pan=90&tilt=90", &a);
    /* '+' is a plus sign in a query (RFC 3986), and %2B is its escape: both mean +5. */
    static const char *const queries[] = {"tr=%2B5", "tr=+5", "el=%2B5", "el=+5"};
    int want_pan = 90, want_tilt = 90;
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        if (queries[i][0] == 't')
            want_pan += 5;
        else
            want_tilt += 5;
        move(t->control_port, queries[i], &a);
        if (a.target_pan != want_pan || a.target_tilt != want_tilt)
            fail_msg("%s: target %d/%d, want %d/%d", queries[i], a.target_pan, a.target_tilt,
                     want_pan, want_tilt);
        status(t->control_port, &a);
        assert_int_equal(a.target_pan, want_pan);
        assert_int_equal(a.target_tilt, want_tilt);
    }
    wait_until_at(t->control_port, 100, 100);
}

static void test_node_http_moves_reach_status_and_the_servos(void **state)
{
    struct node_http *t = *state;
    struct angles a;
    move(t->control_port, "pan=30&tilt=120", &a);
    assert_int_equal(a.target_pan, 30);
    assert_int_equal(a.target_tilt, 120);
    status(t->control_port, &a);
    assert_int_equal(a.target_pan, 30);
    assert_int_equal(a.target_tilt, 120);
    wait_until_at(t->control_port, 30, 120);

    /* Relative: positive tr turns left (pan up), negative el tilts up (tilt down). */
    move(t->control_port, "tr=10&el=-20", &a);
    assert_int_equal(a.target_pan, 40);
    assert_int_equal(a.target_tilt, 100);
    status(t->control_port, &a);
    assert_int_equal(a.target_pan, 40);
    assert_int_equal(a.target_tilt, 100);
    wait_until_at(t->control_port, 40, 100);

    /* One key moves one axis; targets are clamped to the limits. */
    move(t->control_port, "tilt=170", &a);
    assert_int_equal(a.target_pan, 40);
    assert_int_equal(a.target_tilt, 170);
    move(t->control_port, "el=30", &a);
    assert_int_equal(a.target_tilt, 180);
    move(t->control_port, "tr=-180", &a);
    assert_int_equal(a.target_pan, 0);
    assert_int_equal(a.target_tilt, 180);
    wait_until_at(t->control_port, 0, 180);
    move(t->control_port, "pan=90&tilt=90", &a);
    wait_until_at(t->control_port, 90, 90);
}

static void test_node_http_other_methods_are_405(void **state)
{
    struct node_http *t = *state;
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        expect_status(t->control_port, methods[i], "/control_servo?tr=5", 405);
        expect_status(t->control_port, methods[i], "/status", 405);
        expect_status(t->stream_port, methods[i], "/mjpeg", 405);
        expect_status(t->stream_port, methods[i], "/capture", 405);
    }
    /* A refused POST did not move anything. */
    struct angles a;
    status(t->control_port, &a);
    assert_int_equal(a.target_pan, 90);
}

static void test_node_http_unknown_paths_are_404(void **state)
{
    struct node_http *t = *state;
    static const char *const control[] = {"/", "/nope", "/control_servo/x", "/STATUS",
                                          "/status.json"};
    static const char *const stream[] = {"/", "/nope", "/mjpeg/x", "/capture.jpg", "/stream"};
    for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++)
        expect_status(t->control_port, "GET", control[i], 404);
    for (size_t i = 0; i < sizeof(stream) / sizeof(stream[0]); i++)
        expect_status(t->stream_port, "GET", stream[i], 404);
}

/* Next frame of s; asserts it arrives and decodes at WIDTH x HEIGHT. */
static void expect_frame(struct ts_stream *s, const char *who)
{
    const uint8_t *jpeg;
    size_t len;
    int rc = ts_stream_next_frame(s, FRAME_TIMEOUT_MS, &jpeg, &len);
    if (rc < 0)
        fail_msg("%s: no frame: %s", who, strerror(-rc));
    int w = 0, h = 0;
    assert_int_equal(ts_jpeg_decode_ok(jpeg, len, &w, &h), 0);
    assert_int_equal(w, WIDTH);
    assert_int_equal(h, HEIGHT);
}

static void test_node_http_third_stream_client_is_503(void **state)
{
    struct node_http *t = *state;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        t->streams[i] = ts_stream_open(t->stream_port, "/mjpeg", NULL, HTTP_TIMEOUT_MS);
        assert_non_null(t->streams[i]);
        expect_frame(t->streams[i], "client before the refusal");
    }
    expect_status(t->stream_port, "GET", "/mjpeg", 503);
    struct ts_http_response r;
    assert_int_equal(get(t->stream_port, "/mjpeg", &r), 503);
    assert_non_null(strstr((const char *)r.body, "too many stream clients (max 2)"));
    ts_http_response_deinit(&r);

    /* The two keep receiving, the refusals did not disturb them. */
    for (int n = 0; n < FRAMES_EACH; n++) {
        for (int i = 0; i < MAX_CLIENTS; i++)
            expect_frame(t->streams[i], "client after the refusal");
    }
    assert_int_equal(get(t->control_port, "/status", &r), 200);
    assert_int_equal((int)json_number(&r, "stream_clients"), MAX_CLIENTS);
    assert_int_equal((int)json_number(&r, "max_stream_clients"), MAX_CLIENTS);
    ts_http_response_deinit(&r);
}

static void test_node_http_capture_is_a_jpeg_of_the_configured_size(void **state)
{
    struct node_http *t = *state;
    struct ts_http_response r;
    assert_int_equal(get(t->stream_port, "/capture", &r), 200);
    char type[64];
    assert_true(ts_http_header(r.head, "Content-Type", type, sizeof(type)) > 0);
    assert_string_equal(type, "image/jpeg");
    int w = 0, h = 0;
    assert_int_equal(ts_jpeg_decode_ok(r.body, r.body_len, &w, &h), 0);
    assert_int_equal(w, WIDTH);
    assert_int_equal(h, HEIGHT);
    ts_http_response_deinit(&r);

    assert_int_equal(get(t->control_port, "/status", &r), 200);
    assert_int_equal((int)json_number(&r, "width"), WIDTH);
    assert_int_equal((int)json_number(&r, "height"), HEIGHT);
    assert_int_equal((int)json_number(&r, "fps"), 20);
    ts_http_response_deinit(&r);
}

/* --- --scene ------------------------------------------------------------------------------ */

/* red = column, green = row across the image, 0..255; blue constant. */
static int gradient(double v, int n)
{
    return (int)(v * 255.0 / (n - 1) + 0.5);
}

/* Write the gradient as a JPEG (4:4:4, quality 95) to path. */
static void write_gradient_jpeg(const char *path)
{
    uint8_t *rgb = malloc((size_t)SCENE_W * SCENE_H * 3);
    assert_non_null(rgb);
    for (int y = 0; y < SCENE_H; y++) {
        for (int x = 0; x < SCENE_W; x++) {
            uint8_t *p = rgb + ((size_t)y * SCENE_W + x) * 3;
            p[0] = (uint8_t)gradient(x, SCENE_W);
            p[1] = (uint8_t)gradient(y, SCENE_H);
            p[2] = SCENE_BLUE;
        }
    }
    tjhandle tj = tjInitCompress();
    assert_non_null(tj);
    unsigned char *jpeg = NULL;
    unsigned long len = 0;
    assert_int_equal(
        tjCompress2(tj, rgb, SCENE_W, 0, SCENE_H, TJPF_RGB, &jpeg, &len, TJSAMP_444, 95, 0), 0);
    tjDestroy(tj);
    free(rgb);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(jpeg, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    tjFree(jpeg);
}

/* Decode a JPEG to RGB (new buffer, free()); asserts WIDTH x HEIGHT. */
static uint8_t *decode_rgb(const uint8_t *jpeg, size_t len)
{
    tjhandle tj = tjInitDecompress();
    assert_non_null(tj);
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    assert_int_equal(
        tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &colorspace), 0);
    assert_int_equal(w, WIDTH);
    assert_int_equal(h, HEIGHT);
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, w, 0, h, TJPF_RGB, 0), 0);
    tjDestroy(tj);
    return rgb;
}

/* Mean of channel c over the 3 x 3 pixels around (x, y). */
static int mean3(const uint8_t *rgb, int x, int y, int c)
{
    int sum = 0;
    for (int dy = -1; dy <= 1; dy++) {
        for (int dx = -1; dx <= 1; dx++)
            sum += rgb[((size_t)(y + dy) * WIDTH + (size_t)(x + dx)) * 3 + (size_t)c];
    }
    return (sum + 4) / 9;
}

/*
 * The /capture of a --scene node at rest at (pan, tilt): the centre column must show the source
 * column the documented geometry predicts (node/linux/sim_panorama.h): the window is a quarter
 * of the image's width (60 of 180 + 60 degrees), pan 180 at the left edge, pan 0 at the right;
 * the tilt range maps down the image's height. Rows a quarter from the top and bottom keep
 * clear of the text strips and the crosshair.
 */
static void check_scene_capture(uint16_t stream_port, int pan, int tilt)
{
    struct ts_http_response r;
    assert_int_equal(get(stream_port, "/capture", &r), 200);
    uint8_t *rgb = decode_rgb(r.body, r.body_len);
    ts_http_response_deinit(&r);

    double win_w = SCENE_W / 4.0;
    double win_h = win_w * HEIGHT / WIDTH;
    double cx = win_w / 2 + (SCENE_W - win_w) * (180 - pan) / 180.0;
    double top = (SCENE_H - win_h) * tilt / 180.0;
    double step = win_w / WIDTH;
    int want_red = gradient(cx, SCENE_W);
    static const int rows[] = {HEIGHT / 4, 3 * HEIGHT / 4};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int y = rows[i];
        int want_green = gradient(top + (y + 0.5) * step - 0.5, SCENE_H);
        int red = mean3(rgb, WIDTH / 2, y, 0);
        int green = mean3(rgb, WIDTH / 2, y, 1);
        int blue = mean3(rgb, WIDTH / 2, y, 2);
        if (abs(red - want_red) > COLOUR_TOLERANCE || abs(green - want_green) > COLOUR_TOLERANCE ||
            abs(blue - SCENE_BLUE) > COLOUR_TOLERANCE)
            fail_msg("pan %d tilt %d, centre column row %d: rgb %d,%d,%d, want %d,%d,%d (+-%d)",
                     pan, tilt, y, red, green, blue, want_red, want_green, SCENE_BLUE,
                     COLOUR_TOLERANCE);
    }
    free(rgb);
}

/* Next frame of s decoded to grey; asserts WIDTH x HEIGHT. The caller frees it. */
static uint8_t *next_gray(struct ts_stream *s)
{
    const uint8_t *jpeg;
    size_t len;
    int rc = ts_stream_next_frame(s, FRAME_TIMEOUT_MS, &jpeg, &len);
    if (rc < 0)
        fail_msg("no frame: %s", strerror(-rc));
    uint8_t *gray;
    int w = 0, h = 0;
    assert_int_equal(ts_jpeg_decode_gray(jpeg, len, &gray, &w, &h), 0);
    assert_int_equal(w, WIDTH);
    assert_int_equal(h, HEIGHT);
    return gray;
}

/* Mean absolute difference over the middle third of the rows, clear of the text strips. */
static double middle_band_diff(const uint8_t *a, const uint8_t *b)
{
    unsigned long long sum = 0;
    for (int y = HEIGHT / 3; y < 2 * HEIGHT / 3; y++) {
        for (int x = 0; x < WIDTH; x++) {
            int d = (int)a[y * WIDTH + x] - (int)b[y * WIDTH + x];
            sum += (unsigned long long)(d < 0 ? -d : d);
        }
    }
    return (double)sum / ((double)WIDTH * (HEIGHT / 3));
}

static void test_node_http_scene_pans_across_a_jpeg(void **state)
{
    struct node_http *t = *state;
    char scene[512];
    snprintf(scene, sizeof(scene), "%s/gradient.jpg", t->dir);
    write_gradient_jpeg(scene);
    snprintf(t->scene_log, sizeof(t->scene_log), "%s/lookout-cam-scene.log", t->dir);
    char bin[512];
    cam_bin(bin, sizeof(bin));
    char size[32];
    snprintf(size, sizeof(size), "%ux%u", WIDTH, HEIGHT);
    char *argv[] = {bin,  "--stream-port", "0",  "--control-port", "0",   "--size",
                    size, "--fps",         "20", "--scene",        scene, NULL};
    uint16_t stream_port, control_port;
    assert_int_equal(start_cam(argv, t->scene_log, &t->scene_pid, &stream_port, &control_port), 0);

    /* At home (90/90) the window is centred; then at both ends of the pan range. */
    check_scene_capture(stream_port, 90, 90);
    struct angles a;
    move(control_port, "pan=180&tilt=0", &a);
    wait_until_at(control_port, 180, 0);
    check_scene_capture(stream_port, 180, 0);
    move(control_port, "pan=0&tilt=180", &a);
    wait_until_at(control_port, 0, 180);
    check_scene_capture(stream_port, 0, 180);
    move(control_port, "pan=90&tilt=90", &a);
    wait_until_at(control_port, 90, 90);

    /* The stream: frames decode, a still camera's frames match, a pan changes the picture. */
    t->streams[0] = ts_stream_open(stream_port, "/mjpeg", NULL, HTTP_TIMEOUT_MS);
    assert_non_null(t->streams[0]);
    uint8_t *still = next_gray(t->streams[0]);
    uint8_t *before = next_gray(t->streams[0]);
    double noise = middle_band_diff(still, before);
    free(still);
    move(control_port, "tr=30", &a);
    assert_int_equal(a.target_pan, 120);
    double moved = 0;
    for (int i = 0; i < SLEW_FRAMES && moved <= MOVED_MIN_DIFF; i++) {
        uint8_t *after = next_gray(t->streams[0]);
        double d = middle_band_diff(before, after);
        moved = d > moved ? d : moved;
        free(after);
    }
    free(before);
    print_message("scene middle band: %.2f still, %.2f after a 30 degree pan\n", noise, moved);
    assert_true(moved > MOVED_MIN_DIFF);
    assert_true(moved > 2 * noise);
    ts_stream_close(t->streams[0]);
    t->streams[0] = NULL;

    assert_int_equal(
        ts_proc_stop_reporting("node_http", &t->scene_pid, "lookout-cam", t->scene_log), 0);
}

/* --- the command line ---------------------------------------------------------------------- */

/* Run lookout-cam with args (NULL-terminated, after argv[0]); returns its exit code and stores
 * its combined output, which the caller frees. */
static int run_cam(struct node_http *t, const char *name, char **output, ...)
{
    char bin[512];
    cam_bin(bin, sizeof(bin));
    char *argv[16] = {bin};
    int argc = 1;
    va_list ap;
    va_start(ap, output);
    for (char *a = va_arg(ap, char *); a != NULL && argc < 15; a = va_arg(ap, char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    char log_path[600];
    snprintf(log_path, sizeof(log_path), "%s/run-%s.log", t->dir, name);
    int code = ts_run(argv, NULL, log_path, RUN_TIMEOUT_MS);
    *output = ts_file_read(log_path, 65536);
    if (*output == NULL)
        fail_msg("%s: no output at %s", name, log_path);
    return code;
}

/* Exit 2 and one line on stderr containing each of want1 and want2 (want2 may be NULL). */
static void expect_usage_error(struct node_http *t, const char *name, const char *flag,
                               const char *value, const char *want1, const char *want2)
{
    char *out;
    int code = run_cam(t, name, &out, flag, value, NULL);
    size_t len = strlen(out);
    if (code != 2 || len == 0 || out[len - 1] != '\n' || strchr(out, '\n') != out + len - 1 ||
        strstr(out, want1) == NULL || (want2 != NULL && strstr(out, want2) == NULL))
        fail_msg("%s %s: exit %d, output \"%s\"; want exit 2 and one line with \"%s\" %s", flag,
                 value, code, out, want1, want2 != NULL ? want2 : "");
    free(out);
}

static void test_node_http_bad_flags_exit_2_in_one_line(void **state)
{
    struct node_http *t = *state;
    expect_usage_error(t, "fps", "--fps", "0", "--fps", "1..60");
    expect_usage_error(t, "size", "--size", "10x", "--size", "\"10x\"");
    expect_usage_error(t, "size-small", "--size", "10x10", "--size", "16..4096");
    expect_usage_error(t, "scene-missing", "--scene", "/nonexistent.jpg", "--scene",
                       "\"/nonexistent.jpg\"");
    expect_usage_error(t, "scene-dir", "--scene", t->dir, "--scene", "not a regular file");

    char path[600];
    assert_int_equal(
        ts_file_write(t->dir, "corrupt.jpg", "\xff\xd8\xff\xe0 not really", path, sizeof(path)), 0);
    expect_usage_error(t, "scene-corrupt", "--scene", path, "--scene", path);
    assert_int_equal(ts_file_write(t->dir, "empty.jpg", "", path, sizeof(path)), 0);
    expect_usage_error(t, "scene-empty", "--scene", path, "--scene", "empty");
}

static void test_node_http_help_lists_every_flag_with_its_default(void **state)
{
    struct node_http *t = *state;
    char *help;
    assert_int_equal(run_cam(t, "help", &help, "--help", NULL), 0);
    /* Every flag the parser knows (cam_options.c), each with its default. */
    static const char *const flags[] = {"--bind",        "--stream-port", "--control-port",
                                        "--size",        "--fps",         "--quality",
                                        "--max-clients", "--scene",       "--log-level"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), "\n  %s ", flags[i]);
        const char *at = strstr(help, key);
        if (at == NULL) {
            fail_msg("--help does not list %s:\n%s", flags[i], help);
            break; /* not reached: fail_msg leaves the case */
        }
        /* The flag's paragraph runs to the next "\n  --". */
        const char *end = strstr(at + 1, "\n  --");
        size_t n = end != NULL ? (size_t)(end - at) : strlen(at);
        char para[512];
        snprintf(para, sizeof(para), "%.*s", (int)(n < sizeof(para) - 1 ? n : sizeof(para) - 1),
                 at);
        if (strstr(para, "default") == NULL)
            fail_msg("--help gives no default for %s: \"%s\"", flags[i], para);
    }
    assert_non_null(strstr(help, "\n  --help "));
    assert_non_null(strstr(help, "\n  --version "));

    /* And every flag --help lists is one the parser takes (not "unknown flag"). */
    for (const char *p = strstr(help, "\n  --"); p != NULL; p = strstr(p + 1, "\n  --")) {
        char flag[32];
        if (sscanf(p + 3, "%31[a-z-]", flag) != 1)
            continue;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "--version") == 0)
            continue;
        char arg[48];
        snprintf(arg, sizeof(arg), "%s=", flag);
        char *out;
        int code = run_cam(t, "flag", &out, arg, NULL);
        if (code != 2 || strstr(out, "unknown") != NULL || strstr(out, flag) == NULL)
            fail_msg("%s (listed by --help): exit %d, \"%s\"", arg, code, out);
        free(out);
    }
    free(help);
}

/* Last: the shared node shuts down on SIGTERM and exits 0 (under ASan: with no leaks). */
static void test_node_http_sigterm_exits_cleanly(void **state)
{
    struct node_http *t = *state;
    assert_int_equal(ts_proc_stop_reporting("node_http", &t->pid, "lookout-cam", t->log), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_node_http_bad_queries_are_400_in_one_line, case_teardown),
        cmocka_unit_test_teardown(test_node_http_client_junk_ignored_and_long_query_414,
                                  case_teardown),
        cmocka_unit_test_teardown(test_node_http_control_on_the_stream_port, case_teardown),
        cmocka_unit_test_teardown(test_node_http_plus_sign_moves_by_plus_five, case_teardown),
        cmocka_unit_test_teardown(test_node_http_moves_reach_status_and_the_servos, case_teardown),
        cmocka_unit_test_teardown(test_node_http_other_methods_are_405, case_teardown),
        cmocka_unit_test_teardown(test_node_http_unknown_paths_are_404, case_teardown),
        cmocka_unit_test_teardown(test_node_http_third_stream_client_is_503, case_teardown),
        cmocka_unit_test_teardown(test_node_http_capture_is_a_jpeg_of_the_configured_size,
                                  case_teardown),
        cmocka_unit_test_teardown(test_node_http_scene_pans_across_a_jpeg, case_teardown),
        cmocka_unit_test_teardown(test_node_http_bad_flags_exit_2_in_one_line, case_teardown),
        cmocka_unit_test_teardown(test_node_http_help_lists_every_flag_with_its_default,
                                  case_teardown),
        cmocka_unit_test_teardown(test_node_http_sigterm_exits_cleanly, case_teardown),
    };
    return cmocka_run_group_tests_name("node_http", tests, group_setup, group_teardown);
}
