/*
 * Pull mode with the node's login (lookout-cam --auth-file): both ports answer 401 without the
 * right credentials; a relay whose CAM_URL and SERVO_URL carry them streams and steers; a relay
 * with wrong ones says in its log that the camera refused its credentials (not just "offline").
 * Binaries from $LOOKOUT_BIN_DIR; every wait bounded; LOOKOUT_KEEP_TMP=1 keeps the logs.
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
#include "../support/proc.h"
#include "../support/stack.h"
#include "../support/tls_cert.h"
#include "../support/tmpdir.h"

#define STARTUP_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000

struct auth_test {
    char *dir;
    char cam_log[512];
    char relay_log[512];
    char front_log[512];
    pid_t cam_pid;
    pid_t relay_pid;
    pid_t front_pid; /* a relay pulling the first one over https:// */
    uint16_t stream_port;
    uint16_t control_port;
};

static int group_setup(void **state)
{
    struct auth_test *t = calloc(1, sizeof(*t));
    *state = t;
    if (t == NULL || (t->dir = ts_tmpdir_new()) == NULL)
        return -1;
    char auth_path[512], bin[512];
    if (ts_file_write(t->dir, "auth", "relay:p4ss w0rd:x\n", auth_path, sizeof(auth_path)) < 0)
        return -1;
    snprintf(t->cam_log, sizeof(t->cam_log), "%s/lookout-cam.log", t->dir);
    snprintf(bin, sizeof(bin), "%s/lookout-cam", ts_bin_dir());
    char *argv[] = {bin, "--stream-port", "0",       "--control-port",
                    "0", "--auth-file",   auth_path, NULL};
    int port = ts_proc_start_port("auth", argv, ts_stack_clean_env, t->cam_log,
                                  "stream listening on http://", STARTUP_TIMEOUT_MS, &t->cam_pid);
    if (port < 0)
        return -1;
    t->stream_port = (uint16_t)port;
    port = ts_proc_log_port(t->cam_log, "control listening on http://", STARTUP_TIMEOUT_MS);
    if (port < 0)
        return -1;
    t->control_port = (uint16_t)port;
    return 0;
}

static int group_teardown(void **state)
{
    struct auth_test *t = *state;
    if (t == NULL)
        return 0;
    ts_proc_stop_reporting("auth", &t->front_pid, "lookout", t->front_log);
    ts_proc_stop_reporting("auth", &t->relay_pid, "lookout", t->relay_log);
    ts_proc_stop_reporting("auth", &t->cam_pid, "lookout-cam", t->cam_log);
    ts_tmpdir_free(t->dir);
    free(t);
    return 0;
}

static int status_of(uint16_t port, const char *path, const char *auth)
{
    struct ts_http_response r;
    int status = ts_http_request(port, "GET", path, auth, NULL, HTTP_TIMEOUT_MS, &r);
    if (status == 401)
        assert_non_null(strstr(r.head, "WWW-Authenticate: Basic"));
    ts_http_response_deinit(&r);
    return status;
}

static void test_node_auth_both_ports_refuse(void **state)
{
    struct auth_test *t = *state;
    char right[256], wrong[256];
    assert_true(ts_basic_auth_header("relay", "p4ss w0rd:x", right, sizeof(right)) > 0);
    assert_true(ts_basic_auth_header("relay", "guess", wrong, sizeof(wrong)) > 0);
    assert_int_equal(status_of(t->stream_port, "/capture", NULL), 401);
    assert_int_equal(status_of(t->stream_port, "/capture", wrong), 401);
    assert_int_equal(status_of(t->stream_port, "/capture", right), 200);
    assert_int_equal(status_of(t->control_port, "/status", NULL), 401);
    assert_int_equal(status_of(t->control_port, "/control_servo?tr=5", wrong), 401);
    assert_int_equal(status_of(t->control_port, "/status", right), 200);
    assert_int_equal(
        ts_proc_wait_log(t->cam_log, "with wrong credentials: answered 401", 1000, NULL, 0), 0);
}

/* A relay pulling with `userinfo` in both URLs; returns its port. */
static uint16_t start_relay(struct auth_test *t, const char *userinfo, const char *log_name)
{
    char env[1024], env_path[512], bin[512];
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\n"
             "CAM_URL=http://%s@127.0.0.1:%u/mjpeg\n"
             "SERVO_URL=http://%s@127.0.0.1:%u/control_servo\n"
             "UPSTREAM_IDLE_TIMEOUT_MS=0\nPRESETS_FILE=%s/presets.txt\n",
             userinfo, (unsigned)t->stream_port, userinfo, (unsigned)t->control_port, t->dir);
    assert_int_equal(ts_file_write(t->dir, "lookout.env", env, env_path, sizeof(env_path)), 0);
    snprintf(t->relay_log, sizeof(t->relay_log), "%s/%s", t->dir, log_name);
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("auth", argv, ts_stack_clean_env, t->relay_log,
                                  "listening on http://", STARTUP_TIMEOUT_MS, &t->relay_pid);
    assert_true(port > 0);
    return (uint16_t)port;
}

static void test_node_auth_relay_with_right_credentials(void **state)
{
    struct auth_test *t = *state;
    /* The password has a space and a colon: percent-encoded in the URL. */
    start_relay(t, "relay:p4ss%20w0rd%3Ax", "lookout-right.log");
    assert_int_equal(
        ts_proc_wait_log(t->relay_log, "camera at pan 90, tilt 90", STARTUP_TIMEOUT_MS, NULL, 0),
        0);
    assert_int_equal(ts_proc_wait_log(t->relay_log, "connected to", STARTUP_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(ts_proc_stop_reporting("auth", &t->relay_pid, "lookout", t->relay_log), 0);
}

static void test_node_auth_relay_says_credentials_refused(void **state)
{
    struct auth_test *t = *state;
    start_relay(t, "relay:guess", "lookout-wrong.log");
    assert_int_equal(ts_proc_wait_log(t->relay_log,
                                      "the camera refused the relay's credentials (HTTP 401)",
                                      STARTUP_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(ts_proc_wait_log(t->relay_log,
                                      "refused the relay's credentials (HTTP 401): "
                                      "check the user:password in SERVO_URL",
                                      STARTUP_TIMEOUT_MS, NULL, 0),
                     0);
}

/* A relay whose CAM_URL is https:// (here: another relay, with a throwaway certificate): it
 * pulls with the certificate checked against CAM_CA_FILE, and refuses one it does not trust. */
static uint16_t start_tls_relay(struct auth_test *t, const char *cert, const char *key)
{
    char env[1400], env_path[512], bin[512];
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\n"
             "CAM_URL=http://relay:p4ss%%20w0rd%%3Ax@127.0.0.1:%u/mjpeg\n"
             "UPSTREAM_IDLE_TIMEOUT_MS=0\nPRESETS_FILE=%s/presets.txt\nTLS_CERT=%s\nTLS_KEY=%s\n",
             (unsigned)t->stream_port, t->dir, cert, key);
    assert_int_equal(ts_file_write(t->dir, "tls.env", env, env_path, sizeof(env_path)), 0);
    snprintf(t->relay_log, sizeof(t->relay_log), "%s/lookout-tls.log", t->dir);
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("auth", argv, ts_stack_clean_env, t->relay_log,
                                  "listening on https://", STARTUP_TIMEOUT_MS, &t->relay_pid);
    assert_true(port > 0);
    return (uint16_t)port;
}

static void start_front(struct auth_test *t, uint16_t tls_port, const char *ca, const char *log)
{
    char env[1400], env_path[512], bin[512];
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=bob\nHTTP_AUTH_PASSWORD=an0ther-pass\n"
             "CAM_URL=https://alice:s3cret-pass@127.0.0.1:%u/mjpeg\nCAM_CA_FILE=%s\n"
             "UPSTREAM_IDLE_TIMEOUT_MS=0\nPRESETS_FILE=%s/front-presets.txt\n",
             (unsigned)tls_port, ca, t->dir);
    assert_int_equal(ts_file_write(t->dir, "front.env", env, env_path, sizeof(env_path)), 0);
    snprintf(t->front_log, sizeof(t->front_log), "%s/%s", t->dir, log);
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("auth", argv, ts_stack_clean_env, t->front_log,
                                  "listening on http://", STARTUP_TIMEOUT_MS, &t->front_pid);
    assert_true(port > 0);
}

static void test_node_auth_https_cam_url_checks_the_certificate(void **state)
{
    struct auth_test *t = *state;
    char cert[600], key[600], other[600], other_key[600];
    snprintf(cert, sizeof(cert), "%s/relay.pem", t->dir);
    snprintf(key, sizeof(key), "%s/relay.key", t->dir);
    snprintf(other, sizeof(other), "%s/other.pem", t->dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", t->dir);
    assert_int_equal(ts_tls_cert_make(cert, key, 11), 0);
    assert_int_equal(ts_tls_cert_make(other, other_key, 12), 0);
    ts_proc_stop_reporting("auth", &t->relay_pid, "lookout", t->relay_log);
    uint16_t tls_port = start_tls_relay(t, cert, key);

    start_front(t, tls_port, cert, "front-right.log");
    assert_int_equal(ts_proc_wait_log(t->front_log, "connected to https://127.0.0.1:",
                                      STARTUP_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(ts_proc_stop_reporting("auth", &t->front_pid, "lookout", t->front_log), 0);

    start_front(t, tls_port, other, "front-wrong.log");
    assert_int_equal(
        ts_proc_wait_log(t->front_log, "the certificate was refused", STARTUP_TIMEOUT_MS, NULL, 0),
        0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_auth_both_ports_refuse),
        cmocka_unit_test(test_node_auth_relay_with_right_credentials),
        cmocka_unit_test(test_node_auth_relay_says_credentials_refused),
        cmocka_unit_test(test_node_auth_https_cam_url_checks_the_certificate),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
