/*
 * Telling, end to end: lookout-cam's simulated intruder makes the relay's detector (guard/) start
 * and end an event, and it reaches everyone the relay tells: the MQTT motion sensor turns ON then
 * OFF, the event topic carries start and end, the camera topic the thumbnail, and a webhook
 * receiver in the test gets start and end with the documented body (after answering 500 twice,
 * the third try). Snoozed from the API, the next intruder reaches MQTT but not the webhook.
 * A snooze survives a relay restart (ALERTS_FILE), and so does its end.
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
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/json.h"
#include "../support/mqtt_rig.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tmpdir.h"
#include "../support/webhook_rx.h"

#define MSG_TIMEOUT_MS 15000
#define HTTP_TIMEOUT_MS 5000

struct t {
    struct ts_mqtt_rig rig;
    struct ts_webhook_rx *rx;
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    *state = t;
    return t != NULL && ts_mqtt_rig_init(&t->rig) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct t *t = *state;
    if (t == NULL)
        return 0;
    ts_webhook_rx_close(t->rx);
    ts_mqtt_rig_deinit(&t->rig);
    free(t);
    return 0;
}

static void expect_msg(struct t *t, const char *topic, const char *needle, struct ts_mqtt_msg *out)
{
    assert_int_equal(ts_mqtt_rig_expect(&t->rig, topic, needle, MSG_TIMEOUT_MS, out), 0);
}

static void post(uint16_t port, const char *path, const char *auth)
{
    struct ts_http_response r = {0};
    assert_int_equal(ts_http_request(port, "POST", path, auth, NULL, HTTP_TIMEOUT_MS, &r), 200);
    ts_http_response_deinit(&r);
}

static void webhook(struct t *t, struct ts_webhook_req *req)
{
    int rc = ts_webhook_rx_wait(t->rx, MSG_TIMEOUT_MS, req);
    if (rc != 0) {
        ts_proc_print_log(t->rig.stack.relay_log, 40);
        fail_msg("no webhook request: %d", rc);
    }
}

static void test_tell_intruder_reaches_mqtt_and_the_webhook(void **state)
{
    struct t *t = *state;
    static const int codes[] = {500, 500, 200};
    t->rx = ts_webhook_rx_open(codes, 3);
    assert_non_null(t->rx);
    assert_int_equal(ts_broker_start(&t->rig.broker, t->rig.dir, 0, NULL, NULL), 0);
    char rec[600], env[4096];
    snprintf(rec, sizeof(rec), "%s/rec", t->rig.dir);
    assert_int_equal(mkdir(rec, 0700), 0);
    snprintf(env, sizeof(env),
             "RECORD_DIR=%s\nRECORD_QUIET_MS=2000\nRECORD_PREROLL_MS=1000\nMOTION_SETTLE_MS=1000\n"
             "PRESETS_FILE=%s/presets.txt\nUPSTREAM_IDLE_TIMEOUT_MS=0\n"
             "MQTT_URL=mqtt://127.0.0.1:%u\nWEBHOOK_URL=http://127.0.0.1:%u/hook\n"
             "WEBHOOK_BACKOFF_MS=50\nPUBLIC_URL=https://cam.example.com\n",
             rec, t->rig.dir, (unsigned)t->rig.broker.port, (unsigned)ts_webhook_rx_port(t->rx));
    assert_int_equal(ts_stack_start(&t->rig.stack, t->rig.dir, 20, env), 0);
    t->rig.sub = ts_mqtt_open(t->rig.broker.port, NULL, "lookout/#", MSG_TIMEOUT_MS);
    assert_non_null(t->rig.sub);
    assert_int_equal(ts_proc_wait_log(t->rig.stack.relay_log, ": online", 10000, NULL, 0), 0);
    struct timespec settle = {2, 0}; /* the detector learns the scene from the first frames */
    nanosleep(&settle, NULL);

    post(t->rig.stack.control_port, "/sim/intruder?seconds=3", NULL);
    struct ts_mqtt_msg m;
    expect_msg(t, "lookout/cam/motion", "ON", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "lookout/cam/event", "\"type\":\"start\"", &m);
    fprintf(stderr, "lookout/cam/event %s\n", m.payload);
    ts_mqtt_msg_free(&m);
    /* The receiver answers 500 twice; the third try of the start is delivered. */
    struct ts_webhook_req req;
    for (int i = 0; i < 3; i++) {
        webhook(t, &req);
        assert_string_equal(req.method, "POST");
        assert_string_equal(req.target, "/hook");
        assert_string_equal(req.content_type, "application/json");
        assert_non_null(strstr(req.body, "{\"type\":\"start\",\"camera\":\"cam\""));
        assert_non_null(strstr(req.body, "\"thumbnail_url\":\"https://cam.example.com/"));
    }
    fprintf(stderr, "webhook (third try) %s\n", req.body);
    expect_msg(t, "lookout/cam/motion", "OFF", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "lookout/cam/event", "\"type\":\"end\"", &m);
    assert_non_null(
        strstr((const char *)m.payload, "\"recording_url\":\"https://cam.example.com/"));
    ts_mqtt_msg_free(&m);
    webhook(t, &req);
    assert_non_null(strstr(req.body, "{\"type\":\"end\",\"camera\":\"cam\""));
    fprintf(stderr, "webhook %s\n", req.body);

    /* Snoozed: the next intruder is on MQTT, and no webhook comes. */
    post(t->rig.stack.relay_port, "/api/alerts/snooze?minutes=60", t->rig.stack.auth);
    expect_msg(t, "lookout/alerts/armed", "OFF", &m);
    ts_mqtt_msg_free(&m);
    post(t->rig.stack.control_port, "/sim/intruder?seconds=2", NULL);
    expect_msg(t, "lookout/cam/motion", "ON", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "lookout/cam/motion", "OFF", &m);
    ts_mqtt_msg_free(&m);
    assert_int_equal(ts_webhook_rx_wait(t->rx, 1000, &req), -ETIMEDOUT);
    assert_int_equal(
        ts_proc_wait_log(t->rig.stack.relay_log, "alerts are off (snoozed)", 5000, NULL, 0), 0);
}

/* GET /api/alerts: armed? and the snooze's end (Unix seconds, 0: none). */
static void alert_state(struct t *t, int *armed, double *until)
{
    struct ts_http_response r = {0};
    assert_int_equal(ts_http_request(t->rig.stack.relay_port, "GET", "/api/alerts",
                                     t->rig.stack.auth, NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    const char *body = (const char *)r.body;
    assert_int_equal(ts_json_bool(body, "armed", armed), 0);
    *until = 0;
    if (strstr(body, "\"snoozed_until_unix\":null") == NULL)
        assert_int_equal(ts_json_number(body, "snoozed_until_unix", until), 0);
    ts_http_response_deinit(&r);
}

static void test_tell_snooze_survives_a_restart(void **state)
{
    struct t *t = *state;
    char env[1024], path[600];
    snprintf(path, sizeof(path), "%s/alerts", t->rig.dir);
    snprintf(env, sizeof(env), "PRESETS_FILE=%s/presets.txt\nALERTS_FILE=%s\n", t->rig.dir, path);
    assert_int_equal(ts_stack_start(&t->rig.stack, t->rig.dir, 10, env), 0);
    int armed;
    double until;
    alert_state(t, &armed, &until);
    assert_true(armed);
    assert_true(until == 0);

    post(t->rig.stack.relay_port, "/api/alerts/snooze?minutes=30", t->rig.stack.auth);
    double snoozed;
    alert_state(t, &armed, &snoozed);
    assert_false(armed);
    assert_true(snoozed > 0);
    /* Kept on disk, owner-only, by the time the answer came. */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    assert_int_equal(ts_stack_restart_relay(&t->rig.stack), 0);
    assert_int_equal(
        ts_proc_wait_log(t->rig.stack.relay_log, "alerts snoozed for", HTTP_TIMEOUT_MS, NULL, 0),
        0);
    alert_state(t, &armed, &until);
    assert_false(armed);
    assert_true(until == snoozed);

    /* Ended: it stays ended after the next restart. */
    post(t->rig.stack.relay_port, "/api/alerts/snooze?minutes=0", t->rig.stack.auth);
    assert_int_equal(ts_stack_restart_relay(&t->rig.stack), 0);
    alert_state(t, &armed, &until);
    assert_true(armed);
    assert_true(until == 0);

    /* A file that does not read is named in the log and ignored: the relay starts, armed. */
    assert_int_equal(ts_file_write(t->rig.dir, "alerts", "snoozed_until=soon\n", NULL, 0), 0);
    assert_int_equal(ts_stack_restart_relay(&t->rig.stack), 0);
    char want[700];
    snprintf(want, sizeof(want), "ALERTS_FILE: %s:1: snoozed_until: expected Unix seconds", path);
    assert_int_equal(ts_proc_wait_log(t->rig.stack.relay_log, want, HTTP_TIMEOUT_MS, NULL, 0), 0);
    alert_state(t, &armed, &until);
    assert_true(armed);
}

/* A hook that is not an absolute path to an executable stops the start, naming the key. */
static void test_tell_bad_hook_stops_the_start(void **state)
{
    struct t *t = *state;
    static const char *const cases[][2] = {
        {"ON_EVENT_START=hook.sh\n", "ON_EVENT_START: hook.sh: give the program's absolute path"},
        {"ON_EVENT_END=/nonexistent/hook\n",
         "ON_EVENT_END: /nonexistent/hook: No such file or directory"},
    };
    for (size_t i = 0; i < 2; i++) {
        char env[512], env_path[600], log[600], relay[512];
        snprintf(env, sizeof(env),
                 "HTTP_AUTH_USERNAME=a\nHTTP_AUTH_PASSWORD=long-enough-pass\n"
                 "CAM_URL=http://127.0.0.1:9/mjpeg\nPRESETS_FILE=%s/presets.txt\n%s",
                 t->rig.dir, cases[i][0]);
        assert_int_equal(ts_file_write(t->rig.dir, "bad.env", env, env_path, sizeof(env_path)), 0);
        snprintf(log, sizeof(log), "%s/bad-%zu.log", t->rig.dir, i);
        snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
        char *argv[] = {relay, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
        assert_int_equal(ts_run(argv, ts_stack_clean_env, log, 10000), 1);
        assert_int_equal(ts_proc_wait_log(log, cases[i][1], 1000, NULL, 0), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tell_intruder_reaches_mqtt_and_the_webhook, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tell_snooze_survives_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tell_bad_hook_stops_the_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
