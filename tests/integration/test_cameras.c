/*
 * Several cameras, one relay: three simulated cameras (lookout-cam, each its own picture size so
 * a frame tells which camera it came from) and one relay with three camera files in CAMERAS_DIR,
 * started once for the group. Each /c/NAME/ route reaches its own camera, every camera sees one
 * connection, a move steers one camera only, the legacy routes answer for the default camera (the
 * first by name without a CAM_URL in the main .env), a user limited to one camera learns nothing
 * of the others, and SIGHUP adds a camera without dropping anyone's stream.
 *
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"); every wait is bounded; nothing asserts
 * on timing. The cases run in order: the first one counts the cameras' connections.
 */
#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/jpeg.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/relay_stream.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tmpdir.h"

#define ADMIN "alice"
#define ADMIN_PASSWORD "s3cret-pass"
#define MUM "mum"
#define MUM_PASSWORD "mums-pass-1234"
#define CAMERAS 3
#define STARTUP_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000

/* Sorted by name, as the relay lists them; "back" is the default camera. */
static const char *const names[CAMERAS] = {"back", "front", "garden"};
static const int widths[CAMERAS] = {160, 320, 480};
static const int heights[CAMERAS] = {120, 240, 360};

struct multi {
    char *dir;
    char cams_dir[600];
    char relay_log[600];
    char cam_logs[CAMERAS][600];
    pid_t cam_pids[CAMERAS];
    uint16_t stream_ports[CAMERAS];
    uint16_t control_ports[CAMERAS];
    pid_t relay_pid;
    uint16_t relay_port;
    char admin[256]; /* Authorization header lines */
    char mum[256];
    struct ts_relay_stream *streams[CAMERAS + 1]; /* closed by the per-case teardown */
};

static int group_teardown(void **state)
{
    struct multi *m = *state;
    if (m == NULL)
        return 0;
    ts_proc_stop_reporting("cameras", &m->relay_pid, "lookout", m->relay_log);
    for (int i = 0; i < CAMERAS; i++)
        ts_proc_stop_reporting("cameras", &m->cam_pids[i], "lookout-cam", m->cam_logs[i]);
    ts_tmpdir_free(m->dir);
    free(m);
    *state = NULL;
    return 0;
}

static int start_camera(struct multi *m, int i)
{
    char bin[512], size[32];
    snprintf(bin, sizeof(bin), "%s/lookout-cam", ts_bin_dir());
    snprintf(size, sizeof(size), "%dx%d", widths[i], heights[i]);
    snprintf(m->cam_logs[i], sizeof(m->cam_logs[i]), "%s/cam-%s.log", m->dir, names[i]);
    char *argv[] = {bin, "--stream-port", "0", "--control-port", "0", "--fps", "10", "--size", size,
                    NULL};
    int port =
        ts_proc_start_port("cameras", argv, ts_stack_clean_env, m->cam_logs[i],
                           "stream listening on http://", STARTUP_TIMEOUT_MS, &m->cam_pids[i]);
    if (port < 0)
        return port;
    m->stream_ports[i] = (uint16_t)port;
    port = ts_proc_log_port(m->cam_logs[i], "control listening on http://", STARTUP_TIMEOUT_MS);
    if (port < 0)
        return port;
    m->control_ports[i] = (uint16_t)port;
    return 0;
}

/* A users file with mum, who may see the cameras `cameras` (comma-separated) only. */
static int write_users_seeing(struct multi *m, const char *cameras, char *path, size_t path_size)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE], line[512];
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    /* SHA-256-crypt at its fewest rounds: any hash libcrypt knows will do, and this one is fast. */
    if (crypt_gensalt_rn("$5$", 1000, NULL, 0, salt, sizeof(salt)) == NULL)
        return -1;
    const char *hash = crypt_r(MUM_PASSWORD, salt, &data);
    if (hash == NULL || hash[0] != '$')
        return -1;
    snprintf(line, sizeof(line), "# mum watches %s\n%s:%s:viewer:%s\n", cameras, MUM, hash,
             cameras);
    return ts_file_write(m->dir, "users", line, path, path_size);
}

/* A users file with mum, who may see the garden camera only. */
static int write_users(struct multi *m, char *path, size_t path_size)
{
    return write_users_seeing(m, "garden", path, path_size);
}

static int write_camera_file(struct multi *m, const char *name, uint16_t stream_port,
                             uint16_t control_port)
{
    char text[512], file[64];
    snprintf(text, sizeof(text),
             "TITLE=\"The %s\"\nCAM_URL=http://127.0.0.1:%u/mjpeg\n"
             "SERVO_URL=http://127.0.0.1:%u/control_servo\nPRESETS_FILE=%s/%s.presets\n",
             name, (unsigned)stream_port, (unsigned)control_port, m->dir, name);
    snprintf(file, sizeof(file), "%s.env", name);
    return ts_file_write(m->cams_dir, file, text, NULL, 0);
}

static int start_relay(struct multi *m)
{
    char users[600], env_text[2048], env_path[600], bin[512];
    if (write_users(m, users, sizeof(users)) < 0)
        return -1;
    /* No CAM_URL in the main file: every camera comes from CAMERAS_DIR. Each is guarded
     * (RECORD_DIR), so a reload also starts and stops what the relay keeps per camera. */
    char record_dir[700];
    snprintf(record_dir, sizeof(record_dir), "%s/recordings", m->dir);
    if (mkdir(record_dir, 0700) < 0)
        return -1;
    snprintf(env_text, sizeof(env_text),
             "HTTP_AUTH_USERNAME=%s\nHTTP_AUTH_PASSWORD=%s\nUSERS_FILE=%s\nCAMERAS_DIR=%s\n"
             "UPSTREAM_IDLE_TIMEOUT_MS=0\nRECORD_DIR=%s\nHEALTHZ_CAMERA_NAMES=on\n",
             ADMIN, ADMIN_PASSWORD, users, m->cams_dir, record_dir);
    if (ts_file_write(m->dir, ".env", env_text, env_path, sizeof(env_path)) < 0)
        return -1;
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("cameras", argv, ts_stack_clean_env, m->relay_log,
                                  "listening on http://", STARTUP_TIMEOUT_MS, &m->relay_pid);
    if (port < 0)
        return port;
    m->relay_port = (uint16_t)port;
    return 0;
}

static int group_setup(void **state)
{
    struct multi *m = calloc(1, sizeof(*m));
    *state = m;
    if (m == NULL || (m->dir = ts_tmpdir_new()) == NULL)
        return -1;
    snprintf(m->cams_dir, sizeof(m->cams_dir), "%s/cameras", m->dir);
    snprintf(m->relay_log, sizeof(m->relay_log), "%s/lookout.log", m->dir);
    if (mkdir(m->cams_dir, 0700) < 0)
        goto fail;
    for (int i = 0; i < CAMERAS; i++) {
        if (start_camera(m, i) < 0 ||
            write_camera_file(m, names[i], m->stream_ports[i], m->control_ports[i]) < 0)
            goto fail;
    }
    if (start_relay(m) < 0 ||
        ts_basic_auth_header(ADMIN, ADMIN_PASSWORD, m->admin, sizeof(m->admin)) < 0 ||
        ts_basic_auth_header(MUM, MUM_PASSWORD, m->mum, sizeof(m->mum)) < 0)
        goto fail;
    fprintf(stderr, "cameras: relay :%u, logs in %s\n", (unsigned)m->relay_port, m->dir);
    return 0;
fail:
    group_teardown(state);
    return -1;
}

static int close_streams(void **state)
{
    struct multi *m = *state;
    for (int i = 0; i <= CAMERAS; i++) {
        ts_relay_stream_close(m->streams[i]);
        m->streams[i] = NULL;
    }
    return 0;
}

/* One request to the relay as `auth`; asserts it completed and returns the status. */
static int request(struct multi *m, const char *auth, const char *method, const char *path,
                   struct ts_http_response *r)
{
    int status = ts_http_request(m->relay_port, method, path, auth, NULL, HTTP_TIMEOUT_MS, r);
    if (status < 0)
        fail_msg("%s %s: %s", method, path, strerror(-status));
    return status;
}

/* The node's own /status (its target angles and stream connections), as JSON. */
static double node_value(struct multi *m, int i, const char *key)
{
    struct ts_http_response r;
    assert_int_equal(
        ts_http_request(m->control_ports[i], "GET", "/status", NULL, NULL, HTTP_TIMEOUT_MS, &r),
        200);
    double v = -1;
    if (ts_json_number((const char *)r.body, key, &v) < 0)
        fail_msg("no \"%s\" in %s", key, (const char *)r.body);
    ts_http_response_deinit(&r);
    return v;
}

/* A frame of the stream, and its picture size: which camera it came from. */
static void next_size(struct ts_relay_stream *s, int *w, int *h, uint64_t *seq)
{
    struct ts_relay_part part;
    assert_int_equal(ts_relay_stream_next(s, FRAME_TIMEOUT_MS, &part), 0);
    assert_int_equal(ts_jpeg_decode_ok(part.jpeg, part.len, w, h), 0);
    if (seq != NULL)
        *seq = part.seq;
}

/* Frames keep coming on s, from camera i, with growing sequence numbers. */
static void assert_streaming(struct ts_relay_stream *s, int i, int frames)
{
    uint64_t last = 0;
    for (int f = 0; f < frames; f++) {
        int w, h;
        uint64_t seq;
        next_size(s, &w, &h, &seq);
        assert_int_equal(w, widths[i]);
        assert_int_equal(h, heights[i]);
        assert_true(f == 0 || seq > last);
        last = seq;
    }
}

static void test_cameras_each_route_reaches_its_camera(void **state)
{
    struct multi *m = *state;
    struct ts_http_response r;
    assert_int_equal(request(m, m->admin, "GET", "/api/cameras", &r), 200);
    const char *body = (const char *)r.body;
    assert_non_null(strstr(body, "\"default\":\"back\""));
    assert_non_null(strstr(body, "{\"name\":\"back\",\"title\":\"The back\","));
    assert_non_null(strstr(body, "{\"name\":\"front\",\"title\":\"The front\","));
    assert_non_null(strstr(body, "{\"name\":\"garden\",\"title\":\"The garden\","));
    ts_http_response_deinit(&r);

    /* Each camera's stream shows that camera: the picture sizes differ. */
    for (int i = 0; i < CAMERAS; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/c/%s/mjpeg", names[i]);
        m->streams[i] = ts_relay_stream_open(m->relay_port, path, m->admin, HTTP_TIMEOUT_MS);
        assert_non_null(m->streams[i]);
        assert_streaming(m->streams[i], i, 3);
    }
    /* The legacy route is the default camera's, the first by name. */
    m->streams[CAMERAS] = ts_relay_stream_open(m->relay_port, "/mjpeg", m->admin, HTTP_TIMEOUT_MS);
    assert_non_null(m->streams[CAMERAS]);
    assert_streaming(m->streams[CAMERAS], 0, 3);
    assert_int_equal(request(m, m->admin, "GET", "/snapshot.jpg", &r), 200);
    int w, h;
    assert_int_equal(ts_jpeg_decode_ok(r.body, r.body_len, &w, &h), 0);
    assert_int_equal(w, widths[0]);
    ts_http_response_deinit(&r);
    assert_int_equal(request(m, m->admin, "GET", "/c/garden/snapshot.jpg", &r), 200);
    assert_int_equal(ts_jpeg_decode_ok(r.body, r.body_len, &w, &h), 0);
    assert_int_equal(w, widths[2]);
    ts_http_response_deinit(&r);

    /* Four viewers, three cameras: each camera serves exactly one stream, to the relay. */
    for (int i = 0; i < CAMERAS; i++) {
        assert_int_equal((int)node_value(m, i, "stream_clients"), 1);
        assert_int_equal((int)node_value(m, i, "stream_connections_total"), 1);
    }
    assert_int_equal(request(m, m->admin, "GET", "/api/status", &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"camera\":\"back\""));
    ts_http_response_deinit(&r);
}

static void test_cameras_a_move_steers_one_camera(void **state)
{
    struct multi *m = *state;
    struct ts_http_response r;
    assert_int_equal(request(m, m->admin, "POST", "/c/front/api/move?pan=40&tilt=100", &r), 200);
    assert_non_null(strstr((const char *)r.body, "{\"pan\":40,\"tilt\":100}"));
    ts_http_response_deinit(&r);
    assert_int_equal((int)node_value(m, 1, "target_pan"), 40);
    assert_int_equal((int)node_value(m, 1, "target_tilt"), 100);
    assert_int_equal((int)node_value(m, 0, "target_pan"), 90);
    assert_int_equal((int)node_value(m, 2, "target_pan"), 90);

    /* The legacy /turnleft steers the default camera (back), by PTZ_STEP_DEG. */
    assert_int_equal(request(m, m->admin, "POST", "/turnleft", &r), 200);
    ts_http_response_deinit(&r);
    assert_int_equal((int)node_value(m, 0, "target_pan"), 95);
    assert_int_equal((int)node_value(m, 1, "target_pan"), 40);
    assert_int_equal((int)node_value(m, 2, "target_pan"), 90);
    assert_int_equal(request(m, m->admin, "GET", "/c/front/api/status", &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"pan\":40,"));
    ts_http_response_deinit(&r);

    /* Presets are per camera: one saved on front is not garden's. */
    assert_int_equal(request(m, m->admin, "POST", "/c/front/api/presets/save?name=gate", &r), 200);
    ts_http_response_deinit(&r);
    assert_int_equal(request(m, m->admin, "GET", "/c/garden/api/presets", &r), 200);
    assert_string_equal((const char *)r.body, "{\"presets\":[]}\n");
    ts_http_response_deinit(&r);
}

/* The status and body of one request as mum. */
static int mum_status(struct multi *m, const char *method, const char *path, char *body,
                      size_t body_size)
{
    struct ts_http_response r;
    int status = request(m, m->mum, method, path, &r);
    snprintf(body, body_size, "%s", r.body != NULL ? (const char *)r.body : "");
    ts_http_response_deinit(&r);
    return status;
}

static void test_cameras_a_limited_user_learns_nothing_of_the_others(void **state)
{
    struct multi *m = *state;
    char body[4096], missing[4096];
    assert_int_equal(mum_status(m, "GET", "/api/cameras", body, sizeof(body)), 200);
    assert_non_null(strstr(body, "\"name\":\"garden\""));
    assert_null(strstr(body, "\"front\""));
    assert_null(strstr(body, "\"back\""));
    assert_non_null(strstr(body, "\"default\":null"));

    /* Hers works. */
    assert_int_equal(mum_status(m, "GET", "/c/garden/api/status", body, sizeof(body)), 200);
    struct ts_relay_stream *s =
        ts_relay_stream_open(m->relay_port, "/c/garden/mjpeg", m->mum, HTTP_TIMEOUT_MS);
    assert_non_null(s);
    m->streams[CAMERAS] = s;
    assert_streaming(s, 2, 2);

    /* Another camera answers exactly like one that does not exist. */
    assert_int_equal(mum_status(m, "GET", "/c/nosuch/mjpeg", missing, sizeof(missing)), 404);
    static const char *const paths[] = {
        "/c/front/mjpeg", "/c/front/snapshot.jpg", "/c/back/api/status", "/c/front/api/presets",
        "/mjpeg",         "/snapshot.jpg",         "/api/status"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_int_equal(mum_status(m, "GET", paths[i], body, sizeof(body)), 404);
        assert_string_equal(body, missing);
    }
    /* A viewer may not steer any camera: the same 403 whether it exists or not. */
    char steer_other[4096];
    assert_int_equal(mum_status(m, "POST", "/c/front/api/home", steer_other, sizeof(steer_other)),
                     403);
    assert_int_equal(mum_status(m, "POST", "/c/nosuch/api/home", body, sizeof(body)), 403);
    assert_string_equal(body, steer_other);
    /* Her metrics show her camera only. */
    assert_int_equal(mum_status(m, "GET", "/metrics", body, sizeof(body)), 200);
    assert_non_null(strstr(body, "lookout_viewers{camera=\"garden\"}"));
    assert_null(strstr(body, "camera=\"front\""));

    /* Without a login every camera name is the same 401: nothing to probe. */
    struct ts_http_response r;
    assert_int_equal(request(m, NULL, "GET", "/c/front/mjpeg", &r), 401);
    ts_http_response_deinit(&r);
    assert_int_equal(request(m, NULL, "GET", "/c/nosuch/mjpeg", &r), 401);
    ts_http_response_deinit(&r);
}

/* Read s until the relay closes it; fails if it is still open after `limit` frames. */
static void expect_closed(struct ts_relay_stream *s, int limit)
{
    struct ts_relay_part part;
    int rc = 0;
    for (int i = 0; i < limit && (rc = ts_relay_stream_next(s, FRAME_TIMEOUT_MS, &part)) == 0; i++)
        ;
    assert_int_equal(rc, -EPIPE);
}

/* Wait (bounded) until mum's GET path answers `want`: the relay has read the users file. */
static void wait_mum_sees(struct multi *m, const char *path, int want)
{
    int status = 0;
    for (int i = 0; i < 100 && status != want; i++) {
        struct ts_http_response r;
        status = request(m, m->mum, "GET", path, &r);
        ts_http_response_deinit(&r);
        if (status != want)
            usleep(100 * 1000);
    }
    assert_int_equal(status, want);
}

static void test_cameras_a_shrunk_camera_list_closes_open_streams(void **state)
{
    struct multi *m = *state;
    /* Mum may see the front camera too (the file is watched: no signal needed). */
    assert_int_equal(write_users_seeing(m, "garden,front", NULL, 0), 0);
    wait_mum_sees(m, "/c/front/api/status", 200);
    struct ts_relay_stream *mum_front =
        ts_relay_stream_open(m->relay_port, "/c/front/mjpeg", m->mum, HTTP_TIMEOUT_MS);
    struct ts_relay_stream *mum_garden =
        ts_relay_stream_open(m->relay_port, "/c/garden/mjpeg", m->mum, HTTP_TIMEOUT_MS);
    struct ts_relay_stream *admin_front =
        ts_relay_stream_open(m->relay_port, "/c/front/mjpeg", m->admin, HTTP_TIMEOUT_MS);
    m->streams[0] = mum_front;
    m->streams[1] = mum_garden;
    m->streams[2] = admin_front;
    assert_non_null(mum_front);
    assert_non_null(mum_garden);
    assert_non_null(admin_front);
    assert_streaming(mum_front, 1, 2);

    /* Her list shrinks back to the garden, on disk: her front stream closes at once; her garden
     * stream and the admin's front stream go on. */
    assert_int_equal(write_users_seeing(m, "garden", NULL, 0), 0);
    assert_int_equal(ts_proc_wait_log(m->relay_log, "1 stream(s) closed: their users may no",
                                      HTTP_TIMEOUT_MS, NULL, 0),
                     0);
    expect_closed(mum_front, 100);
    assert_streaming(mum_garden, 2, 3);
    assert_streaming(admin_front, 1, 3);
    struct ts_http_response r;
    assert_int_equal(request(m, m->mum, "GET", "/c/front/mjpeg", &r), 404);
    ts_http_response_deinit(&r);

    /* On SIGHUP too: a list naming only the front camera closes her garden stream. */
    assert_int_equal(write_users_seeing(m, "front", NULL, 0), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    expect_closed(mum_garden, 100);
    assert_streaming(admin_front, 1, 3);
    assert_int_equal(write_users(m, NULL, 0), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    wait_mum_sees(m, "/c/garden/api/status", 200);
}

static void test_cameras_sighup_adds_a_camera_and_keeps_the_streams(void **state)
{
    struct multi *m = *state;
    for (int i = 0; i < CAMERAS; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/c/%s/mjpeg", names[i]);
        m->streams[i] = ts_relay_stream_open(m->relay_port, path, m->admin, HTTP_TIMEOUT_MS);
        assert_non_null(m->streams[i]);
        assert_streaming(m->streams[i], i, 1);
    }
    /* A fourth file (it shows the front camera's stream again) and a broken one. */
    assert_int_equal(write_camera_file(m, "porch", m->stream_ports[1], m->control_ports[1]), 0);
    assert_int_equal(
        ts_file_write(m->cams_dir, "Bad.env", "CAM_URL=http://127.0.0.1:1/\n", NULL, 0), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    assert_int_equal(ts_proc_wait_log(m->relay_log, "keeping the cameras as they were",
                                      HTTP_TIMEOUT_MS, NULL, 0),
                     0);
    struct ts_http_response r;
    assert_int_equal(request(m, m->admin, "GET", "/c/porch/api/status", &r), 404);
    ts_http_response_deinit(&r);

    char bad[700];
    snprintf(bad, sizeof(bad), "%s/Bad.env", m->cams_dir);
    assert_int_equal(unlink(bad), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    assert_int_equal(
        ts_proc_wait_log(m->relay_log, "camera porch: added", HTTP_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(request(m, m->admin, "GET", "/api/cameras", &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"name\":\"porch\""));
    ts_http_response_deinit(&r);
    struct ts_relay_stream *porch =
        ts_relay_stream_open(m->relay_port, "/c/porch/mjpeg", m->admin, HTTP_TIMEOUT_MS);
    assert_non_null(porch);
    m->streams[CAMERAS] = porch;
    assert_streaming(porch, 1, 2);

    /* The three streams opened before both reloads never stopped. */
    for (int i = 0; i < CAMERAS; i++)
        assert_streaming(m->streams[i], i, 3);

    /* The fourth file removed: its camera closes (its viewer too), the others stream on. */
    char porch_file[700];
    snprintf(porch_file, sizeof(porch_file), "%s/porch.env", m->cams_dir);
    assert_int_equal(unlink(porch_file), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    assert_int_equal(
        ts_proc_wait_log(m->relay_log, "camera porch: its file is gone", HTTP_TIMEOUT_MS, NULL, 0),
        0);
    struct ts_relay_part part;
    int rc;
    while ((rc = ts_relay_stream_next(porch, FRAME_TIMEOUT_MS, &part)) == 0)
        ;
    assert_int_equal(rc, -EPIPE);
    assert_int_equal(request(m, m->admin, "GET", "/c/porch/api/status", &r), 404);
    ts_http_response_deinit(&r);
    for (int i = 0; i < CAMERAS; i++)
        assert_streaming(m->streams[i], i, 3);
}

/* GET /healthz (no login) until its body holds `want` (bounded); the body is left in out. */
static void wait_healthz(struct multi *m, const char *want, char *out, size_t out_size)
{
    for (int i = 0; i < 100; i++) {
        struct ts_http_response r;
        assert_int_equal(request(m, NULL, "GET", "/healthz", &r), 200);
        snprintf(out, out_size, "%s", (const char *)r.body);
        ts_http_response_deinit(&r);
        if (strstr(out, want) != NULL)
            return;
        usleep(100 * 1000);
    }
    fail_msg("/healthz said:\n%s\nwithout: %s", out, want);
}

static void test_cameras_healthz_reports_every_camera(void **state)
{
    struct multi *m = *state;
    char body[4096];
    /* The default camera's line as before, then every camera (named: HEALTHZ_CAMERA_NAMES). */
    wait_healthz(m, "cameras: 3, online 3, standby 0, offline 0\n", body, sizeof(body));
    assert_true(strncmp(body, "ok\ncamera: online\ncameras: 3,", 29) == 0);
    for (int i = 0; i < CAMERAS; i++) {
        char line[64];
        snprintf(line, sizeof(line), "\ncamera %s: online\n", names[i]);
        assert_non_null(strstr(body, line));
    }
    /* A fourth camera that cannot be reached is counted and named offline, with its reason. */
    assert_int_equal(
        ts_file_write(m->cams_dir, "yard.env", "CAM_URL=http://127.0.0.1:1/mjpeg\n", NULL, 0), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    wait_healthz(m, "\ncamera yard: offline (cannot connect", body, sizeof(body));
    assert_non_null(strstr(body, "cameras: 4, online 3, standby 0, offline 1\n"));
    assert_true(strncmp(body, "ok\ncamera: online\n", 18) == 0); /* "back", the default */
    char yard[700];
    snprintf(yard, sizeof(yard), "%s/yard.env", m->cams_dir);
    assert_int_equal(unlink(yard), 0);
    assert_int_equal(kill(m->relay_pid, SIGHUP), 0);
    wait_healthz(m, "cameras: 3, online 3,", body, sizeof(body));
    assert_null(strstr(body, "yard"));
}

static void test_cameras_check_config_names_every_error(void **state)
{
    struct multi *m = *state;
    char dir[700], env_text[1024], env_path[700], log[700], bin[512];
    snprintf(dir, sizeof(dir), "%s/badcams", m->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(ts_file_write(dir, "one.env",
                                   "TITLE=One\nCAM_URL=ftp://127.0.0.1/\nMAX_VIEWERS=4\n", NULL, 0),
                     0);
    assert_int_equal(ts_file_write(dir, "two!.env", "CAM_URL=http://127.0.0.1:1/\n", NULL, 0), 0);
    snprintf(env_text, sizeof(env_text),
             "HTTP_AUTH_USERNAME=a\nHTTP_AUTH_PASSWORD=b\nCAM_URL=http://127.0.0.1:1/\n"
             "CAMERA_NAME=one\nCAMERAS_DIR=%s\n",
             dir);
    assert_int_equal(ts_file_write(m->dir, "bad.env", env_text, env_path, sizeof(env_path)), 0);
    snprintf(log, sizeof(log), "%s/check.log", m->dir);
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--check-config", "--env", env_path, NULL};
    assert_int_equal(ts_run(argv, ts_stack_clean_env, log, HTTP_TIMEOUT_MS), 1);
    char *out = ts_file_read(log, 65536);
    assert_non_null(out);
    char want[5][900];
    snprintf(want[0], sizeof(want[0]), "%s/one.env: camera name \"one\" is taken by the main", dir);
    snprintf(want[1], sizeof(want[1]),
             "%s/one.env:3: MAX_VIEWERS: a relay-wide setting: it belongs in the main .env", dir);
    snprintf(want[2], sizeof(want[2]), "%s/one.env:2: CAM_URL: ", dir);
    snprintf(want[3], sizeof(want[3]), "%s/two!.env: bad camera name \"two!\"", dir);
    snprintf(want[4], sizeof(want[4]), "config: 4 errors");
    for (int i = 0; i < 5; i++) {
        if (strstr(out, want[i]) == NULL)
            fail_msg("--check-config said:\n%s\nwithout: %s", out, want[i]);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_cameras_each_route_reaches_its_camera, close_streams),
        cmocka_unit_test_teardown(test_cameras_a_move_steers_one_camera, close_streams),
        cmocka_unit_test_teardown(test_cameras_a_limited_user_learns_nothing_of_the_others,
                                  close_streams),
        cmocka_unit_test_teardown(test_cameras_a_shrunk_camera_list_closes_open_streams,
                                  close_streams),
        cmocka_unit_test_teardown(test_cameras_sighup_adds_a_camera_and_keeps_the_streams,
                                  close_streams),
        cmocka_unit_test(test_cameras_healthz_reports_every_camera),
        cmocka_unit_test(test_cameras_check_config_names_every_error),
    };
    return cmocka_run_group_tests_name("cameras", tests, group_setup, group_teardown);
}
