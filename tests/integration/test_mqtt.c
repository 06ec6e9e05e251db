/*
 * The relay on MQTT, against a real Mosquitto broker on loopback (tests/support/broker.h):
 * Home Assistant discovery checked field by field against the platform pages it follows
 * (docs/INTEGRATIONS.md), the states, the camera topic carrying a JPEG, a button press moving the
 * camera (lookout-cam), the last will when the relay is killed, a broker that is down at start and
 * comes back while the stream keeps flowing, and TLS to the broker with certificate checks.
 * Set LOOKOUT_KEEP_TMP=1 to keep the logs of a failed run.
 */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/json.h"
#include "../support/mqtt_rig.h"
#include "../support/proc.h"
#include "../support/relay_stream.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tls_cert.h"
#include "../support/tmpdir.h"

#define MSG_TIMEOUT_MS 10000
#define LOG_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000
#define RECONNECT_TIMEOUT_MS 20000

/* Broker, then the stack with MQTT_URL pointing at it (plus `extra` .env lines), then a
 * subscriber to everything. */
static void start_all(struct ts_mqtt_rig *t, const char *extra)
{
    assert_int_equal(ts_broker_start(&t->broker, t->dir, 0, NULL, NULL), 0);
    char env[2048];
    snprintf(env, sizeof(env), "MQTT_URL=mqtt://127.0.0.1:%u\nPRESETS_FILE=%s/presets.txt\n%s",
             (unsigned)t->broker.port, t->dir, extra);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, 20, env), 0);
    t->sub = ts_mqtt_open(t->broker.port, NULL, "#", MSG_TIMEOUT_MS);
    assert_non_null(t->sub);
}

static void expect_msg(struct ts_mqtt_rig *t, const char *topic, const char *needle,
                       struct ts_mqtt_msg *out)
{
    assert_int_equal(ts_mqtt_rig_expect(t, topic, needle, MSG_TIMEOUT_MS, out), 0);
}

/* The payload holds each "key":value pair of `fields` (NULL-terminated) exactly. */
static void expect_fields(const struct ts_mqtt_msg *m, const char *const fields[])
{
    for (size_t i = 0; fields[i] != NULL; i++) {
        if (strstr((const char *)m->payload, fields[i]) == NULL) {
            fprintf(stderr, "%s: %s missing in %s\n", m->topic, fields[i], m->payload);
            fail();
        }
    }
}

/* Every discovery config shares these (the device, availability, origin). */
static const char *const common_fields[] = {
    "\"availability_topic\":\"lookout/status\"",
    "\"device\":{\"identifiers\":[\"lookout_cam\"],\"name\":\"cam\",\"manufacturer\":"
    "\"Lookout\",\"model\":\"Lookout pan/tilt camera\",\"sw_version\":",
    "\"origin\":{\"name\":\"Lookout\"", NULL};

static void expect_config(struct ts_mqtt_rig *t, const char *topic, const char *const fields[])
{
    struct ts_mqtt_msg m;
    expect_msg(t, topic, "{", &m); /* an empty config (a removal) may come first */
    assert_true(m.len > 2 && m.payload[0] == '{' && m.payload[m.len - 1] == '}');
    expect_fields(&m, common_fields);
    expect_fields(&m, fields);
    ts_mqtt_msg_free(&m);
}

static void test_mqtt_discovery_and_states(void **state)
{
    struct ts_mqtt_rig *t = *state;
    /* Connected to the camera from the start, so there are frames for the snapshot. */
    start_all(t, "MQTT_CAN_STEER=on\nUPSTREAM_IDLE_TIMEOUT_MS=0\n");
    struct ts_mqtt_msg m;
    expect_msg(t, "lookout/status", "online", &m); /* retained, or live if we were first */
    ts_mqtt_msg_free(&m);
    /* https://www.home-assistant.io/integrations/binary_sensor.mqtt/ */
    expect_config(t, "homeassistant/binary_sensor/lookout_cam/motion/config",
                  (const char *const[]){"\"name\":\"Motion\"",
                                        "\"unique_id\":\"lookout_cam_motion\"",
                                        "\"device_class\":\"motion\"",
                                        "\"state_topic\":\"lookout/cam/motion\"", NULL});
    expect_config(t, "homeassistant/binary_sensor/lookout_cam/online/config",
                  (const char *const[]){"\"unique_id\":\"lookout_cam_online\"",
                                        "\"device_class\":\"connectivity\"",
                                        "\"state_topic\":\"lookout/cam/online\"", NULL});
    /* https://www.home-assistant.io/integrations/camera.mqtt/ */
    expect_config(t, "homeassistant/camera/lookout_cam/camera/config",
                  (const char *const[]){"\"unique_id\":\"lookout_cam_camera\"",
                                        "\"topic\":\"lookout/cam/snapshot\"", NULL});
    /* https://www.home-assistant.io/integrations/button.mqtt/ */
    static const char *const presses[] = {"left", "right", "up", "down", "home"};
    for (size_t i = 0; i < 5; i++) {
        char topic[128], uid[64], press[64];
        snprintf(topic, sizeof(topic), "homeassistant/button/lookout_cam/ptz_%s/config",
                 presses[i]);
        snprintf(uid, sizeof(uid), "\"unique_id\":\"lookout_cam_ptz_%s\"", presses[i]);
        snprintf(press, sizeof(press), "\"payload_press\":\"%s\"", presses[i]);
        expect_config(
            t, topic,
            (const char *const[]){uid, press, "\"command_topic\":\"lookout/cam/ptz\"", NULL});
    }
    /* https://www.home-assistant.io/integrations/sensor.mqtt/ */
    expect_config(t, "homeassistant/sensor/lookout_cam/viewers/config",
                  (const char *const[]){"\"state_topic\":\"lookout/cam/viewers\"",
                                        "\"state_class\":\"measurement\"", NULL});
    expect_config(t, "homeassistant/sensor/lookout_cam/fps/config",
                  (const char *const[]){"\"state_topic\":\"lookout/cam/fps\"",
                                        "\"unit_of_measurement\":\"fps\"", NULL});
    /* No presets yet: no select (its retained config was cleared, so none arrives). */
    assert_int_equal(
        ts_mqtt_wait(t->sub, "homeassistant/select/lookout_cam/preset/config", "{", 500, &m),
        -ETIMEDOUT);
    /* States. */
    expect_msg(t, "lookout/cam/online", "ON", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "lookout/cam/motion", "OFF", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "lookout/cam/viewers", "0", &m);
    ts_mqtt_msg_free(&m);
    /* The camera topic carries a whole JPEG (SOI ... EOI). */
    expect_msg(t, "lookout/cam/snapshot", NULL, &m);
    assert_true(m.len > 1000);
    assert_true(m.payload[0] == 0xff && m.payload[1] == 0xd8);
    assert_true(m.payload[m.len - 2] == 0xff && m.payload[m.len - 1] == 0xd9);
    ts_mqtt_msg_free(&m);
    /* A preset saved on the page appears in the select's options. */
    struct ts_http_response r;
    assert_int_equal(ts_http_request(t->stack.relay_port, "POST", "/api/presets/save?name=Gate",
                                     t->stack.auth, NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    expect_config(t, "homeassistant/select/lookout_cam/preset/config",
                  (const char *const[]){"\"options\":[\"Gate\"]",
                                        "\"command_topic\":\"lookout/cam/preset/set\"",
                                        "\"state_topic\":\"lookout/cam/preset\"", NULL});
    /* The configs are retained: Home Assistant, started later, gets them all. */
    struct ts_mqtt *late = ts_mqtt_open(t->broker.port, NULL, "homeassistant/#", MSG_TIMEOUT_MS);
    assert_non_null(late);
    static const char *const later[] = {"binary_sensor/lookout_cam/motion",
                                        "camera/lookout_cam/camera", "button/lookout_cam/ptz_home",
                                        "select/lookout_cam/preset", "sensor/lookout_cam/fps"};
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        char topic[128];
        snprintf(topic, sizeof(topic), "homeassistant/%s/config", later[i]);
        assert_int_equal(ts_mqtt_wait(late, topic, NULL, MSG_TIMEOUT_MS, &m), 0);
        assert_true(m.is_retained);
        ts_mqtt_msg_free(&m);
    }
    ts_mqtt_close(late);
    fprintf(stderr, "messages seen (mosquitto_sub -v style):\n");
    ts_mqtt_dump(t->sub);
    assert_int_equal(ts_stack_stop(&t->stack), 0);
}

static double relay_pan(struct ts_mqtt_rig *t)
{
    struct ts_http_response r;
    double pan = -1;
    if (ts_http_request(t->stack.relay_port, "GET", "/api/status", t->stack.auth, NULL,
                        HTTP_TIMEOUT_MS, &r) == 200)
        ts_json_number((const char *)r.body, "pan", &pan);
    ts_http_response_deinit(&r);
    return pan;
}

static void test_mqtt_button_moves_camera(void **state)
{
    struct ts_mqtt_rig *t = *state;
    start_all(t, "MQTT_CAN_STEER=on\n");
    struct ts_mqtt_msg m;
    expect_msg(t, "lookout/status", "online", &m);
    ts_mqtt_msg_free(&m);
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "camera at pan 90", LOG_TIMEOUT_MS, NULL, 0), 0);
    assert_true(relay_pan(t) == 90);
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/ptz", "left", 0), 0);
    char line[512];
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "user mqtt (operator): camera cam: left:",
                                      LOG_TIMEOUT_MS, line, sizeof(line)),
                     0);
    fprintf(stderr, "relay: %s\n", line);
    assert_true(relay_pan(t) == 95); /* PTZ_STEP_DEG 5, positive turns left */
    /* The preset select steers too, and reports the preset as its state. */
    struct ts_http_response r;
    assert_int_equal(ts_http_request(t->stack.relay_port, "POST", "/api/presets/save?name=Door",
                                     t->stack.auth, NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/ptz", "home", 0), 0);
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "camera cam: home:", LOG_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/preset/set", "Door", 0), 0);
    expect_msg(t, "lookout/cam/preset", "Door", &m);
    ts_mqtt_msg_free(&m);
    assert_true(relay_pan(t) == 95);
    /* Garbage is ignored with a log line, and the relay carries on. */
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/ptz", "\x01\x02zz", 0), 0);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "malformed command on lookout/cam/ptz",
                                      LOG_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/ptz", "sideways", 0), 0);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "unknown button \"sideways\"",
                                      LOG_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/preset/set", "Nowhere", 0), 0);
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "no preset \"Nowhere\"", LOG_TIMEOUT_MS, NULL, 0), 0);
    assert_true(relay_pan(t) == 95);
    assert_int_equal(ts_stack_stop(&t->stack), 0);
}

static void test_mqtt_will_when_killed(void **state)
{
    struct ts_mqtt_rig *t = *state;
    start_all(t, "");
    struct ts_mqtt_msg m;
    expect_msg(t, "lookout/status", "online", &m);
    ts_mqtt_msg_free(&m);
    /* Not a clean stop: the broker must tell everyone from the will. */
    assert_int_equal(kill(t->stack.relay_pid, SIGKILL), 0);
    expect_msg(t, "lookout/status", "offline", &m);
    ts_mqtt_msg_free(&m);
    /* Retained: whoever subscribes later (Home Assistant after a restart) learns it too. */
    struct ts_mqtt *late = ts_mqtt_open(t->broker.port, NULL, "lookout/status", MSG_TIMEOUT_MS);
    assert_non_null(late);
    assert_int_equal(ts_mqtt_wait(late, "lookout/status", "offline", MSG_TIMEOUT_MS, &m), 0);
    assert_true(m.is_retained);
    ts_mqtt_msg_free(&m);
    ts_mqtt_close(late);
    assert_int_equal(ts_proc_stop(t->stack.relay_pid), 128 + SIGKILL);
    t->stack.relay_pid = 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the stream for ms milliseconds; returns frames, and the longest gap in *max_gap_ms. */
static int read_frames(struct ts_relay_stream *s, int ms, long long *max_gap_ms)
{
    long long end = now_ms() + ms, last = now_ms();
    int frames = 0;
    while (now_ms() < end) {
        struct ts_relay_part part;
        if (ts_relay_stream_next(s, 2000, &part) != 0)
            break;
        long long now = now_ms();
        if (now - last > *max_gap_ms)
            *max_gap_ms = now - last;
        last = now;
        frames++;
    }
    return frames;
}

static void test_mqtt_broker_down_at_start(void **state)
{
    struct ts_mqtt_rig *t = *state;
    int port = ts_free_port();
    assert_true(port > 0);
    char env[256];
    snprintf(env, sizeof(env), "MQTT_URL=mqtt://127.0.0.1:%d\n", port);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, 20, env), 0);
    struct ts_relay_stream *s =
        ts_relay_stream_open(t->stack.relay_port, "/mjpeg", t->stack.auth, HTTP_TIMEOUT_MS);
    assert_non_null(s);
    char line[512];
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "retrying in", LOG_TIMEOUT_MS, line, sizeof(line)), 0);
    fprintf(stderr, "relay: %s\n", line);
    long long gap_ms = 0;
    int before = read_frames(s, 2000, &gap_ms);
    assert_int_equal(ts_broker_start(&t->broker, t->dir, (uint16_t)port, NULL, NULL), 0);
    t->sub = ts_mqtt_open(t->broker.port, NULL, "#", MSG_TIMEOUT_MS);
    assert_non_null(t->sub);
    long long start = now_ms();
    struct ts_mqtt_msg m;
    while (ts_mqtt_wait(t->sub, "lookout/status", "online", 200, &m) != 0) {
        read_frames(s, 100, &gap_ms);
        assert_true(now_ms() - start < RECONNECT_TIMEOUT_MS);
    }
    ts_mqtt_msg_free(&m);
    int after = read_frames(s, 2000, &gap_ms);
    fprintf(stderr,
            "stream: %.1f fps before the broker came back, %.1f fps after; longest gap %lld ms; "
            "connected %lld ms after the broker started\n",
            before / 2.0, after / 2.0, gap_ms, now_ms() - start);
    /* The stream kept flowing throughout. The bound is loose on purpose (a loaded test machine
     * pauses too); what it catches is a loop that blocks on the broker, which takes seconds. */
    assert_true(before > 0 && after > 0);
    assert_true(gap_ms < 3000);
    ts_relay_stream_close(s);
    /* MQTT_CAN_STEER is off by default: a button press is refused, with the identity. */
    assert_int_equal(ts_mqtt_publish(t->sub, "lookout/cam/ptz", "left", 0), 0);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log,
                                      "user mqtt (operator): camera cam: \"left\" refused: "
                                      "MQTT_CAN_STEER is off",
                                      LOG_TIMEOUT_MS, NULL, 0),
                     0);
    /* And no buttons are offered to Home Assistant then. */
    expect_msg(t, "homeassistant/button/lookout_cam/ptz_left/config", NULL, &m);
    assert_int_equal(m.len, 0);
    ts_mqtt_msg_free(&m);
    assert_int_equal(ts_stack_stop(&t->stack), 0);
}

static void test_mqtt_tls(void **state)
{
    struct ts_mqtt_rig *t = *state;
    char cert[600], key[600], other[600], other_key[600];
    snprintf(cert, sizeof(cert), "%s/broker.pem", t->dir);
    snprintf(key, sizeof(key), "%s/broker.key", t->dir);
    snprintf(other, sizeof(other), "%s/other.pem", t->dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", t->dir);
    assert_int_equal(ts_tls_cert_make(cert, key, 1), 0);
    assert_int_equal(ts_tls_cert_make(other, other_key, 2), 0);
    assert_int_equal(ts_broker_start(&t->broker, t->dir, 0, cert, key), 0);
    /* A relay that trusts another CA refuses the broker, and says why. */
    char env[1600];
    snprintf(env, sizeof(env), "MQTT_URL=mqtts://127.0.0.1:%u\nMQTT_CA_FILE=%s\n",
             (unsigned)t->broker.port, other);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, 20, env), 0);
    char line[512];
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "certificate verify failed",
                                      LOG_TIMEOUT_MS, line, sizeof(line)),
                     0);
    fprintf(stderr, "relay: %s\n", line);
    assert_int_equal(ts_stack_stop(&t->stack), 0);
    /* The right CA: connected, and the subscriber (TLS too) sees it online. */
    snprintf(env, sizeof(env), "MQTT_URL=mqtts://127.0.0.1:%u\nMQTT_CA_FILE=%s\n",
             (unsigned)t->broker.port, cert);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, 20, env), 0);
    t->sub = ts_mqtt_open(t->broker.port, cert, "#", MSG_TIMEOUT_MS);
    assert_non_null(t->sub);
    struct ts_mqtt_msg m;
    expect_msg(t, "lookout/status", "online", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "homeassistant/binary_sensor/lookout_cam/motion/config", NULL, &m);
    ts_mqtt_msg_free(&m);
    assert_int_equal(ts_proc_wait_log(t->stack.relay_log, "(TLS, certificate verified)",
                                      LOG_TIMEOUT_MS, NULL, 0),
                     0);
    /* Both relays exit 0 on SIGTERM (under `make asan`: with no leaks). */
    assert_int_equal(ts_stack_stop(&t->stack), 0);
}

/* Several cameras (CAMERAS_DIR): a device each; SIGHUP that removes one removes its entities. */
static void test_mqtt_cameras_follow_sighup(void **state)
{
    struct ts_mqtt_rig *t = *state;
    char camdir[600], yard[700], env[2048];
    snprintf(camdir, sizeof(camdir), "%s/cameras", t->dir);
    assert_int_equal(mkdir(camdir, 0700), 0);
    assert_int_equal(ts_broker_start(&t->broker, t->dir, 0, NULL, NULL), 0);
    /* The second camera reads the first's simulated stream (its port is known only once the
     * stack runs): written now with a placeholder, rewritten below before SIGHUP is needed. */
    snprintf(env, sizeof(env),
             "MQTT_URL=mqtt://127.0.0.1:%u\nPRESETS_FILE=%s/presets.txt\n"
             "CAMERAS_DIR=%s\n",
             (unsigned)t->broker.port, t->dir, camdir);
    assert_int_equal(ts_stack_start(&t->stack, t->dir, 20, env), 0);
    snprintf(env, sizeof(env),
             "TITLE=Yard\nCAM_URL=http://127.0.0.1:%u/mjpeg\n"
             "PRESETS_FILE=%s/presets-yard.txt\n",
             (unsigned)t->stack.stream_port, t->dir);
    assert_int_equal(ts_file_write(camdir, "yard.env", env, yard, sizeof(yard)), 0);
    t->sub = ts_mqtt_open(t->broker.port, NULL, "#", MSG_TIMEOUT_MS);
    assert_non_null(t->sub);
    assert_int_equal(kill(t->stack.relay_pid, SIGHUP), 0);
    struct ts_mqtt_msg m;
    expect_msg(t, "homeassistant/binary_sensor/lookout_yard/motion/config",
               "\"identifiers\":[\"lookout_yard\"],\"name\":\"Yard\"", &m);
    ts_mqtt_msg_free(&m);
    expect_msg(t, "lookout/yard/online", NULL, &m);
    ts_mqtt_msg_free(&m);
    /* The camera goes: each of its configs is emptied (Home Assistant removes the entities). */
    assert_int_equal(unlink(yard), 0);
    assert_int_equal(kill(t->stack.relay_pid, SIGHUP), 0);
    static const char *const gone[] = {"binary_sensor/lookout_yard/motion",
                                       "camera/lookout_yard/camera", "sensor/lookout_yard/fps"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        char topic[128];
        snprintf(topic, sizeof(topic), "homeassistant/%s/config", gone[i]);
        int is_removed = 0;
        while (!is_removed) { /* the config first, then its removal */
            expect_msg(t, topic, NULL, &m);
            is_removed = m.len == 0;
            ts_mqtt_msg_free(&m);
        }
    }
    /* The main camera stays. */
    assert_int_equal(
        ts_proc_wait_log(t->stack.relay_log, "camera yard is gone", LOG_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(ts_stack_stop(&t->stack), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mqtt_discovery_and_states, ts_mqtt_rig_setup,
                                        ts_mqtt_rig_teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_button_moves_camera, ts_mqtt_rig_setup,
                                        ts_mqtt_rig_teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_will_when_killed, ts_mqtt_rig_setup,
                                        ts_mqtt_rig_teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_broker_down_at_start, ts_mqtt_rig_setup,
                                        ts_mqtt_rig_teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_tls, ts_mqtt_rig_setup, ts_mqtt_rig_teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_cameras_follow_sighup, ts_mqtt_rig_setup,
                                        ts_mqtt_rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
