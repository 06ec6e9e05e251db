/*
 * End to end on loopback: the simulated camera (lookout-cam) and the relay (lookout), started
 * once for the whole group, driven the way a browser and a few viewers would drive them.
 *
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"). Every wait is bounded by a timeout and
 * nothing asserts on timing: only counts and values. The cases run in order and the order
 * matters in two places: the fan-out case runs first, so the camera has seen exactly one stream
 * connection, and the failed logins run last, so login throttling cannot touch the others.
 * Set LOOKOUT_KEEP_TMP=1 to keep the logs of a failed run.
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

#include <cmocka.h>

#include "../support/http.h"
#include "../support/jpeg.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stream.h"
#include "../support/tmpdir.h"

#define USER "alice"
#define PASSWORD "s3cret-pass"

#define STARTUP_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000
#define VIEWERS 3
#define FRAMES_PER_VIEWER 10
#define STEP_DEG 5
/* Frames to wait after a move for the servo to slew and the picture to show it (20 fps). */
#define SLEW_FRAMES 40
/*
 * Mean absolute grey-level difference of the middle band (clear of the text strips) between a
 * frame before a 5° pan and one after it. The simulated scene shifts by 1/12 of the picture's
 * width. Measured with lookout-cam 0.1.0 at 640x480: 0.00 between frames of a still camera,
 * 19-20 after the pan; the threshold sits far from both.
 */
#define MOVED_MIN_DIFF 4.0

struct e2e {
    char *dir;
    char cam_log[512];
    char relay_log[512];
    pid_t cam_pid;
    pid_t relay_pid;
    uint16_t stream_port;
    uint16_t control_port;
    uint16_t relay_port;
    char auth[256];
    struct ts_stream *streams[VIEWERS]; /* closed by the per-case teardown */
    pid_t other_relay_pid;              /* a case's own relay, stopped by the per-case teardown */
    char other_log[512];
};

static const char *bin_dir(void)
{
    const char *dir = getenv("LOOKOUT_BIN_DIR");
    return (dir != NULL && dir[0] != '\0') ? dir : "build";
}

static int group_teardown(void **state)
{
    struct e2e *e = *state;
    if (e == NULL)
        return 0;
    /* The relay first: the camera then sees its client leave, as it would in production. */
    ts_proc_stop_reporting("e2e", &e->relay_pid, "lookout", e->relay_log);
    ts_proc_stop_reporting("e2e", &e->cam_pid, "lookout-cam", e->cam_log);
    ts_tmpdir_free(e->dir);
    free(e);
    *state = NULL;
    return 0;
}

static int group_setup(void **state)
{
    struct e2e *e = calloc(1, sizeof(*e));
    *state = e;
    if (e == NULL)
        return -1;
    e->dir = ts_tmpdir_new();
    if (e->dir == NULL) {
        fprintf(stderr, "e2e: cannot create a temporary directory: %s\n", strerror(errno));
        return -1;
    }
    snprintf(e->cam_log, sizeof(e->cam_log), "%s/lookout-cam.log", e->dir);
    snprintf(e->relay_log, sizeof(e->relay_log), "%s/lookout.log", e->dir);

    char cam_bin[512];
    char relay_bin[512];
    snprintf(cam_bin, sizeof(cam_bin), "%s/lookout-cam", bin_dir());
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", bin_dir());

    char *cam_argv[] = {cam_bin, "--stream-port", "0", "--control-port", "0", "--fps", "20", NULL};
    int port = ts_proc_start_port("e2e", cam_argv, NULL, e->cam_log, "stream listening on http://",
                                  STARTUP_TIMEOUT_MS, &e->cam_pid);
    if (port < 0)
        goto fail;
    e->stream_port = (uint16_t)port;
    port = ts_proc_log_port(e->cam_log, "control listening on http://", STARTUP_TIMEOUT_MS);
    if (port < 0) {
        fprintf(stderr, "e2e: lookout-cam logged no control port\n");
        ts_proc_print_log(e->cam_log, 40);
        goto fail;
    }
    e->control_port = (uint16_t)port;

    /* The original project's .env keys, exactly as an existing user's file has them. */
    char env_text[512];
    char env_path[512];
    snprintf(env_text, sizeof(env_text),
             "HTTP_AUTH_USERNAME=%s\nHTTP_AUTH_PASSWORD=%s\n"
             "CAM_URL=http://127.0.0.1:%u/mjpeg\nSERVO_URL=http://127.0.0.1:%u/control_servo\n",
             USER, PASSWORD, (unsigned)e->stream_port, (unsigned)e->control_port);
    if (ts_file_write(e->dir, ".env", env_text, env_path, sizeof(env_path)) < 0) {
        fprintf(stderr, "e2e: cannot write %s/.env\n", e->dir);
        goto fail;
    }

    /* The process environment overrides the file: keep the caller's own settings out. */
    char *relay_env[] = {"HTTP_AUTH_USERNAME", "HTTP_AUTH_PASSWORD", "CAM_URL", "SERVO_URL", NULL};
    char *relay_argv[] = {relay_bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    port = ts_proc_start_port("e2e", relay_argv, relay_env, e->relay_log, "listening on http://",
                              STARTUP_TIMEOUT_MS, &e->relay_pid);
    if (port < 0)
        goto fail;
    e->relay_port = (uint16_t)port;

    if (ts_basic_auth_header(USER, PASSWORD, e->auth, sizeof(e->auth)) < 0)
        goto fail;
    fprintf(stderr, "e2e: camera :%u/:%u, relay :%u, logs in %s\n", (unsigned)e->stream_port,
            (unsigned)e->control_port, (unsigned)e->relay_port, e->dir);
    return 0;

fail:
    group_teardown(state);
    return -1;
}

/* Per case: close any stream a failed assertion left open (cmocka longjmps out of the case). */
static int close_streams(void **state)
{
    struct e2e *e = *state;
    for (int i = 0; i < VIEWERS; i++) {
        ts_stream_close(e->streams[i]);
        e->streams[i] = NULL;
    }
    if (e->other_relay_pid > 0)
        ts_proc_stop_reporting("e2e", &e->other_relay_pid, "lookout", e->other_log);
    return 0;
}

/* GET or POST on the relay with our credentials; asserts the request completed. */
static int relay_request(struct e2e *e, const char *method, const char *path,
                         struct ts_http_response *resp)
{
    int status = ts_http_request(e->relay_port, method, path, e->auth, NULL, HTTP_TIMEOUT_MS, resp);
    if (status < 0)
        fail_msg("%s %s: %s", method, path, strerror(-status));
    return status;
}

static double json_number(const struct ts_http_response *resp, const char *key)
{
    double v = 0;
    int rc = ts_json_number((const char *)resp->body, key, &v);
    if (rc < 0)
        fail_msg("no number \"%s\" in %s", key, (const char *)resp->body);
    return v;
}

/* The relay's idea of the angles, from /api/status. */
static void relay_angles(struct e2e *e, int *pan, int *tilt)
{
    struct ts_http_response r;
    assert_int_equal(relay_request(e, "GET", "/api/status", &r), 200);
    *pan = (int)json_number(&r, "pan");
    *tilt = (int)json_number(&r, "tilt");
    ts_http_response_deinit(&r);
}

static struct ts_stream *open_viewer(struct e2e *e, int slot)
{
    e->streams[slot] = ts_stream_open(e->relay_port, "/mjpeg", e->auth, HTTP_TIMEOUT_MS);
    assert_non_null(e->streams[slot]);
    return e->streams[slot];
}

/* Next frame of s, decoded to grey; asserts it arrives and decodes. The caller frees it. */
static uint8_t *next_gray(struct ts_stream *s, int *w, int *h)
{
    const uint8_t *jpeg;
    size_t len;
    int rc = ts_stream_next_frame(s, FRAME_TIMEOUT_MS, &jpeg, &len);
    if (rc < 0)
        fail_msg("no frame: %s", strerror(-rc));
    uint8_t *gray;
    assert_int_equal(ts_jpeg_decode_gray(jpeg, len, &gray, w, h), 0);
    return gray;
}

/* Mean absolute difference over the middle third of the rows, clear of the text overlays. */
static double middle_band_diff(const uint8_t *a, const uint8_t *b, int w, int h)
{
    unsigned long long sum = 0;
    int y0 = h / 3;
    int y1 = 2 * h / 3;
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < w; x++) {
            int d = (int)a[y * w + x] - (int)b[y * w + x];
            sum += (unsigned long long)(d < 0 ? -d : d);
        }
    }
    return (double)sum / ((double)w * (y1 - y0));
}

static void test_e2e_three_viewers_share_one_upstream(void **state)
{
    struct e2e *e = *state;
    int frames[VIEWERS] = {0};
    for (int i = 0; i < VIEWERS; i++)
        open_viewer(e, i);

    /* Round robin: the others' frames wait in their sockets meanwhile, as for slow viewers. */
    for (int done = 0; done < VIEWERS;) {
        done = 0;
        for (int i = 0; i < VIEWERS; i++) {
            if (frames[i] >= FRAMES_PER_VIEWER) {
                done++;
                continue;
            }
            const uint8_t *jpeg;
            size_t len;
            int w = 0;
            int h = 0;
            int rc = ts_stream_next_frame(e->streams[i], FRAME_TIMEOUT_MS, &jpeg, &len);
            if (rc < 0)
                fail_msg("viewer %d, frame %d: %s", i, frames[i], strerror(-rc));
            assert_int_equal(ts_jpeg_decode_ok(jpeg, len, &w, &h), 0);
            assert_true(w > 0 && h > 0);
            frames[i]++;
        }
    }

    /* While all three watch, the camera serves one stream, to the relay. */
    struct ts_http_response r;
    int status =
        ts_http_request(e->control_port, "GET", "/status", NULL, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 200);
    assert_int_equal((int)json_number(&r, "stream_connections_total"), 1);
    assert_int_equal((int)json_number(&r, "stream_clients"), 1);
    ts_http_response_deinit(&r);

    assert_int_equal(relay_request(e, "GET", "/api/status", &r), 200);
    assert_int_equal((int)json_number(&r, "viewers"), VIEWERS);
    ts_http_response_deinit(&r);
}

static void test_e2e_turnleft_moves_pan_and_picture(void **state)
{
    struct e2e *e = *state;
    struct ts_stream *s = open_viewer(e, 0);
    int w = 0;
    int h = 0;
    int w2 = 0;
    int h2 = 0;

    /* Two frames of a still camera give the noise floor: JPEG noise, drifting clouds. */
    free(next_gray(s, &w, &h));
    uint8_t *still = next_gray(s, &w, &h);
    uint8_t *before = next_gray(s, &w2, &h2);
    assert_true(w == w2 && h == h2);
    double noise = middle_band_diff(still, before, w, h);
    free(still);

    int pan0;
    int tilt0;
    relay_angles(e, &pan0, &tilt0);

    struct ts_http_response r;
    assert_int_equal(relay_request(e, "POST", "/turnleft", &r), 200);
    assert_int_equal((int)json_number(&r, "pan"), pan0 + STEP_DEG);
    assert_int_equal((int)json_number(&r, "tilt"), tilt0);
    ts_http_response_deinit(&r);

    int pan1;
    int tilt1;
    relay_angles(e, &pan1, &tilt1);
    assert_int_equal(pan1, pan0 + STEP_DEG);
    assert_int_equal(tilt1, tilt0);

    /* The servo slews at an SG90's speed: look at frames until one shows the new view. */
    double moved = 0;
    for (int i = 0; i < SLEW_FRAMES && moved <= MOVED_MIN_DIFF; i++) {
        uint8_t *after = next_gray(s, &w2, &h2);
        assert_true(w == w2 && h == h2);
        double d = middle_band_diff(before, after, w, h);
        moved = d > moved ? d : moved;
        free(after);
    }
    free(before);
    print_message("middle band: %.2f still, %.2f after a %d degree pan\n", noise, moved, STEP_DEG);
    assert_true(moved > MOVED_MIN_DIFF);
    assert_true(moved > 2 * noise);
}

/* A relay of this case's own, with SERVO_URL as given and the same camera; returns its port. */
static uint16_t start_other_relay(struct e2e *e, const char *name, const char *servo_url)
{
    char env_text[512], env_path[512], relay_bin[512];
    snprintf(env_text, sizeof(env_text),
             "HTTP_AUTH_USERNAME=%s\nHTTP_AUTH_PASSWORD=%s\n"
             "CAM_URL=http://127.0.0.1:%u/mjpeg\nSERVO_URL=%s\n",
             USER, PASSWORD, (unsigned)e->stream_port, servo_url);
    assert_int_equal(ts_file_write(e->dir, name, env_text, env_path, sizeof(env_path)), 0);
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", bin_dir());
    snprintf(e->other_log, sizeof(e->other_log), "%s/%s.log", e->dir, name);
    char *relay_env[] = {"HTTP_AUTH_USERNAME", "HTTP_AUTH_PASSWORD", "CAM_URL", "SERVO_URL", NULL};
    char *relay_argv[] = {relay_bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("e2e", relay_argv, relay_env, e->other_log,
                                  "listening on http://", STARTUP_TIMEOUT_MS, &e->other_relay_pid);
    assert_true(port > 0);
    return (uint16_t)port;
}

/*
 * The original's .env template has no ":81": SERVO_URL names the stream's port. The relay says
 * so when it starts, and lookout-cam steers from there too. A SERVO_URL that answers an error is
 * a 502 that says what to check.
 */
static void test_e2e_servo_url_without_the_control_port(void **state)
{
    struct e2e *e = *state;
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/control_servo", (unsigned)e->stream_port);
    uint16_t port = start_other_relay(e, "template.env", url);
    assert_int_equal(ts_proc_wait_log(e->other_log, "SERVO_URL: same host and port as CAM_URL",
                                      STARTUP_TIMEOUT_MS, NULL, 0),
                     0);
    struct ts_http_response r;
    assert_int_equal(
        ts_http_request(e->control_port, "GET", "/status", NULL, NULL, HTTP_TIMEOUT_MS, &r), 200);
    int pan0 = (int)json_number(&r, "target_pan");
    ts_http_response_deinit(&r);
    assert_int_equal(ts_http_request(port, "POST", "/turnleft", e->auth, NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    assert_int_equal(
        ts_http_request(e->control_port, "GET", "/status", NULL, NULL, HTTP_TIMEOUT_MS, &r), 200);
    assert_int_equal((int)json_number(&r, "target_pan"), pan0 + STEP_DEG);
    ts_http_response_deinit(&r);
    assert_int_equal(ts_proc_stop_reporting("e2e", &e->other_relay_pid, "lookout", e->other_log),
                     0);

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/not_control_servo", (unsigned)e->control_port);
    port = start_other_relay(e, "wrongpath.env", url);
    assert_int_equal(
        ts_http_request(port, "POST", "/turnright", e->auth, NULL, HTTP_TIMEOUT_MS, &r), 502);
    if (strstr((const char *)r.body, "check SERVO_URL") == NULL)
        fail_msg("the 502 does not say what to check: %s", (const char *)r.body);
    ts_http_response_deinit(&r);
    assert_int_equal(ts_proc_stop_reporting("e2e", &e->other_relay_pid, "lookout", e->other_log),
                     0);
    /* Put the camera back where the other cases expect it. */
    assert_int_equal(relay_request(e, "POST", "/turnright", &r), 200);
    ts_http_response_deinit(&r);
}

/*
 * A SERVO_URL whose port is closed: each move is a 502 that says so, and the relay still exits
 * 0 on SIGTERM (under `make asan`, a connection leaked per refused connect made it exit 1).
 */
static void test_e2e_servo_url_refused(void **state)
{
    struct e2e *e = *state;
    int closed = ts_free_port(); /* bound, then closed: nothing listens there */
    assert_true(closed > 0);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/control_servo", closed);
    uint16_t port = start_other_relay(e, "refused.env", url);
    static const char *const moves[] = {"/turnleft", "/turnright", "/turnup"};
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
        struct ts_http_response r;
        assert_int_equal(
            ts_http_request(port, "POST", moves[i], e->auth, NULL, HTTP_TIMEOUT_MS, &r), 502);
        if (strstr((const char *)r.body, "camera control unreachable") == NULL)
            fail_msg("POST %s: the 502 does not say why: %s", moves[i], (const char *)r.body);
        ts_http_response_deinit(&r);
    }
    assert_int_equal(ts_proc_stop_reporting("e2e", &e->other_relay_pid, "lookout", e->other_log),
                     0);
}

static void test_e2e_turnup_decreases_tilt(void **state)
{
    struct e2e *e = *state;
    int pan0;
    int tilt0;
    relay_angles(e, &pan0, &tilt0);

    struct ts_http_response r;
    assert_int_equal(relay_request(e, "POST", "/turnup", &r), 200);
    assert_int_equal((int)json_number(&r, "tilt"), tilt0 - STEP_DEG);
    assert_int_equal((int)json_number(&r, "pan"), pan0);
    ts_http_response_deinit(&r);

    int pan1;
    int tilt1;
    relay_angles(e, &pan1, &tilt1);
    assert_int_equal(tilt1, tilt0 - STEP_DEG);
    assert_int_equal(pan1, pan0);
}

static void test_e2e_turn_with_get_is_405(void **state)
{
    struct e2e *e = *state;
    struct ts_http_response r;
    assert_int_equal(relay_request(e, "GET", "/turnleft", &r), 405);
    ts_http_response_deinit(&r);
}

static void test_e2e_snapshot_is_a_jpeg(void **state)
{
    struct e2e *e = *state;
    /* A viewer with a frame in hand means the relay has a picture to give. */
    const uint8_t *jpeg;
    size_t len;
    struct ts_stream *s = open_viewer(e, 0);
    assert_int_equal(ts_stream_next_frame(s, FRAME_TIMEOUT_MS, &jpeg, &len), 0);

    struct ts_http_response r;
    char type[128];
    assert_int_equal(relay_request(e, "GET", "/snapshot.jpg", &r), 200);
    assert_true(ts_http_header(r.head, "Content-Type", type, sizeof(type)) > 0);
    assert_string_equal(type, "image/jpeg");
    int w = 0;
    int h = 0;
    assert_int_equal(ts_jpeg_decode_ok(r.body, r.body_len, &w, &h), 0);
    assert_true(w > 0 && h > 0);
    ts_http_response_deinit(&r);
}

static void test_e2e_page_is_html(void **state)
{
    struct e2e *e = *state;
    struct ts_http_response r;
    char type[128];
    assert_int_equal(relay_request(e, "GET", "/", &r), 200);
    assert_true(ts_http_header(r.head, "Content-Type", type, sizeof(type)) > 0);
    assert_true(strncmp(type, "text/html", strlen("text/html")) == 0);
    assert_non_null(strstr((const char *)r.body, "<title>Lookout</title>"));
    ts_http_response_deinit(&r);

    /* The page's script is embedded too, with its own type. */
    assert_int_equal(relay_request(e, "GET", "/app.js", &r), 200);
    assert_true(ts_http_header(r.head, "Content-Type", type, sizeof(type)) > 0);
    assert_true(strncmp(type, "text/javascript", strlen("text/javascript")) == 0);
    ts_http_response_deinit(&r);
}

static void test_e2e_counter_needs_no_login(void **state)
{
    struct e2e *e = *state;
    struct ts_http_response r;
    int status = ts_http_request(e->relay_port, "GET", "/counter", NULL, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 200);
    double viewers = -1;
    assert_int_equal(ts_json_number((const char *)r.body, "viewers", &viewers), 0);
    assert_true(viewers >= 0);
    ts_http_response_deinit(&r);
}

static void test_e2e_wrong_password_is_401(void **state)
{
    struct e2e *e = *state;
    char wrong[256];
    assert_true(ts_basic_auth_header(USER, "not-the-password", wrong, sizeof(wrong)) > 0);
    struct ts_http_response r;
    int status =
        ts_http_request(e->relay_port, "GET", "/api/status", wrong, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 401);
    ts_http_response_deinit(&r);
}

static void test_e2e_no_credentials_is_401_with_challenge(void **state)
{
    struct e2e *e = *state;
    const char *paths[] = {"/", "/mjpeg", "/snapshot.jpg", "/api/status"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct ts_http_response r;
        char challenge[256];
        int status =
            ts_http_request(e->relay_port, "GET", paths[i], NULL, NULL, HTTP_TIMEOUT_MS, &r);
        if (status != 401)
            fail_msg("GET %s without credentials: %d, want 401", paths[i], status);
        assert_true(ts_http_header(r.head, "WWW-Authenticate", challenge, sizeof(challenge)) > 0);
        assert_true(strncmp(challenge, "Basic realm=", strlen("Basic realm=")) == 0);
        ts_http_response_deinit(&r);
    }
    struct ts_http_response r;
    int status =
        ts_http_request(e->relay_port, "POST", "/turnleft", NULL, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 401);
    ts_http_response_deinit(&r);
}

/* Last: both programs shut down on SIGTERM and exit 0 (under `make asan`: with no leaks). */
static void test_e2e_sigterm_exits_cleanly(void **state)
{
    struct e2e *e = *state;
    assert_int_equal(ts_proc_stop_reporting("e2e", &e->relay_pid, "lookout", e->relay_log), 0);
    assert_int_equal(ts_proc_stop_reporting("e2e", &e->cam_pid, "lookout-cam", e->cam_log), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_e2e_three_viewers_share_one_upstream, close_streams),
        cmocka_unit_test_teardown(test_e2e_turnleft_moves_pan_and_picture, close_streams),
        cmocka_unit_test_teardown(test_e2e_turnup_decreases_tilt, close_streams),
        cmocka_unit_test_teardown(test_e2e_servo_url_without_the_control_port, close_streams),
        cmocka_unit_test_teardown(test_e2e_servo_url_refused, close_streams),
        cmocka_unit_test_teardown(test_e2e_turn_with_get_is_405, close_streams),
        cmocka_unit_test_teardown(test_e2e_snapshot_is_a_jpeg, close_streams),
        cmocka_unit_test_teardown(test_e2e_page_is_html, close_streams),
        cmocka_unit_test_teardown(test_e2e_counter_needs_no_login, close_streams),
        cmocka_unit_test_teardown(test_e2e_wrong_password_is_401, close_streams),
        cmocka_unit_test_teardown(test_e2e_no_credentials_is_401_with_challenge, close_streams),
        cmocka_unit_test_teardown(test_e2e_sigterm_exits_cleanly, close_streams),
    };
    return cmocka_run_group_tests_name("e2e", tests, group_setup, group_teardown);
}
