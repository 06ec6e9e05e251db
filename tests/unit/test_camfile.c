/* Unit tests for relay/config/camfile: camera files, their names and every error at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../support/tmpdir.h"
#include "bearer.h"
#include "camfile.h"
#include "cfg.h"

/* Every report as "WHERE: KEY: reason" lines, errors and warnings alike. */
struct reports {
    char text[8192];
    int errors;
    int warnings;
};

static void on_report(enum cfg_severity severity, const char *where, const char *key,
                      const char *reason, void *arg)
{
    struct reports *r = arg;
    size_t used = strlen(r->text);
    snprintf(r->text + used, sizeof(r->text) - used, "%s: %s%s%s\n", where, key, key[0] ? ": " : "",
             reason);
    if (severity == CFG_ERROR)
        r->errors++;
    else
        r->warnings++;
}

static int make_dir(void **state)
{
    *state = ts_tmpdir_new();
    return *state != NULL ? 0 : -1;
}

static int free_dir(void **state)
{
    ts_tmpdir_free(*state);
    return 0;
}

static void test_camfile_names(void **state)
{
    (void)state;
    assert_true(camfile_name_ok("front"));
    assert_true(camfile_name_ok("back_door-2"));
    assert_true(camfile_name_ok("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
    assert_false(camfile_name_ok("abcdefghijklmnopqrstuvwxyz0123456"));
    assert_false(camfile_name_ok(""));
    assert_false(camfile_name_ok("Front"));
    assert_false(camfile_name_ok("front door"));
    assert_false(camfile_name_ok("front/door"));
    assert_false(camfile_name_ok("..")); /* never a path */
}

static void test_camfile_from_main_and_defaults(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    snprintf(c.cam_url, sizeof(c.cam_url), "http://127.0.0.1:8080/mjpeg");
    c.camera_fov_deg = 70;
    struct camfile cf;
    camfile_from_main(&cf, &c);
    assert_string_equal(cf.name, "cam");
    assert_string_equal(cf.title, "cam");
    assert_string_equal(cf.cam_url, "http://127.0.0.1:8080/mjpeg");
    assert_string_equal(cf.presets_file, "lookout-presets.txt");
    assert_int_equal(cf.fov_deg, 70);

    camfile_defaults(&cf, &c, "back");
    assert_string_equal(cf.presets_file, "lookout-presets-back.txt");
    assert_string_equal(cf.cam_url, "");
    assert_int_equal(cf.ptz_step_deg, 5);
}

static void test_camfile_load_dir(void **state)
{
    const char *dir = *state;
    assert_int_equal(ts_file_write(dir, "front.env",
                                   "TITLE=\"Front door\"\n"
                                   "CAM_URL=http://127.0.0.1:1/mjpeg\n"
                                   "SERVO_URL=http://127.0.0.1:2/control_servo\n"
                                   "CAMERA_FOV_DEG=90\n",
                                   NULL, 0),
                     0);
    assert_int_equal(ts_file_write(dir, "back.env", "CAM_URL=http://127.0.0.1:3/mjpeg\n", NULL, 0),
                     0);
    /* Neither is a camera file. */
    assert_int_equal(ts_file_write(dir, "README", "not a camera\n", NULL, 0), 0);
    assert_int_equal(ts_file_write(dir, ".hidden.env", "X\n", NULL, 0), 0);
    struct cfg c;
    cfg_defaults(&c);
    struct camfile files[4];
    size_t count = 99;
    struct reports r = {0};
    assert_int_equal(camfile_load_dir(dir, &c, NULL, files, 4, &count, on_report, &r), 0);
    assert_string_equal(r.text, "");
    assert_int_equal(count, 2);
    assert_string_equal(files[0].name, "back"); /* sorted by name */
    assert_string_equal(files[0].title, "back");
    assert_int_equal(files[0].fov_deg, 60);
    assert_string_equal(files[1].name, "front");
    assert_string_equal(files[1].title, "Front door");
    assert_string_equal(files[1].servo_url, "http://127.0.0.1:2/control_servo");
    assert_int_equal(files[1].fov_deg, 90);
    assert_int_equal(files[1].cam_url_line, 2);
    assert_int_equal(files[1].servo_url_line, 3);
    assert_true(camfile_same(&files[1], &files[1]));
    assert_false(camfile_same(&files[0], &files[1]));

    /* The name of the main .env's camera is taken. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(camfile_load_dir(dir, &c, "front", files, 4, &count, on_report, &r), 1);
    assert_non_null(strstr(r.text, "/front.env: camera name \"front\" is taken by the main"));

    /* More files than room. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(camfile_load_dir(dir, &c, NULL, files, 1, &count, on_report, &r), 1);
    assert_non_null(strstr(r.text, "CAMERAS_DIR: more than 1 camera files"));
}

static void test_camfile_every_error_at_once(void **state)
{
    const char *dir = *state;
    assert_int_equal(ts_file_write(dir, "gate.env",
                                   "TITLE=Gate\n"
                                   "CAM_URLL=http://127.0.0.1:1/mjpeg\n"
                                   "MAX_VIEWERS=3\n"
                                   "PTZ_STEP_DEG=500\n"
                                   "not a line\n",
                                   NULL, 0),
                     0);
    assert_int_equal(
        ts_file_write(dir, "Bad Name.env", "CAM_URL=http://127.0.0.1:1/mjpeg\n", NULL, 0), 0);
    struct cfg c;
    cfg_defaults(&c);
    struct camfile files[4];
    size_t count;
    struct reports r = {0};
    assert_int_equal(camfile_load_dir(dir, &c, NULL, files, 4, &count, on_report, &r), 5);
    char want[4096];
    snprintf(want, sizeof(want),
             "%s/Bad Name.env: bad camera name \"Bad Name\": the file name without .env must be "
             "1-32 of a-z, 0-9, '_', '-'\n"
             "%s/gate.env:2: CAM_URLL: unknown key, ignored\n"
             "%s/gate.env:3: MAX_VIEWERS: a relay-wide setting: it belongs in the main .env\n"
             "%s/gate.env:4: PTZ_STEP_DEG: expected a whole number from 1 to 90, got \"500\"\n"
             "%s/gate.env:5: expected KEY=VALUE\n"
             "%s/gate.env: CAM_URL: not set; it is this camera's stream, e.g. "
             "CAM_URL=http://192.168.1.101/mjpeg (or NODE_TOKEN, for a camera that dials in)\n",
             dir, dir, dir, dir, dir, dir);
    assert_string_equal(r.text, want);
    assert_int_equal(r.warnings, 1);
}

static void test_camfile_missing_dir(void **state)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/nope", (const char *)*state);
    struct cfg c;
    cfg_defaults(&c);
    struct camfile files[1];
    size_t count;
    struct reports r = {0};
    assert_int_equal(camfile_load_dir(path, &c, NULL, files, 1, &count, on_report, &r), 1);
    assert_non_null(strstr(r.text, "/nope: CAMERAS_DIR: No such file or directory"));
}

/* NODE_TOKEN in a camera file: the camera's node dials in; only the token's digest is kept, and
 * a token too short is refused without echoing it. */
static void test_camfile_node_token(void **state)
{
    (void)state;
    struct cfg main_cfg;
    cfg_defaults(&main_cfg);
    struct camfile cf;
    camfile_defaults(&cf, &main_cfg, "porch");
    const char *reason = NULL;
    assert_int_equal(camfile_set(&cf, "NODE_TOKEN", "s3kr1t", &reason), -EINVAL);
    assert_null(strstr(reason, "s3kr1t"));
    assert_false(cf.has_node_token);
    const char *token = "0123456789abcdef0123456789abcdef";
    assert_int_equal(camfile_set(&cf, "NODE_TOKEN", token, &reason), 0);
    assert_true(cf.has_node_token);
    unsigned char want[BEARER_DIGEST_BYTES];
    bearer_digest(token, want);
    assert_memory_equal(cf.node_token_digest, want, sizeof(want));
    assert_null(memmem(&cf, sizeof(cf), token, strlen(token)));
    char header[80];
    snprintf(header, sizeof(header), "Bearer %s", token);
    assert_int_equal(bearer_matches(header, cf.node_token_digest), 1);
    assert_int_equal(
        bearer_matches("Bearer 0123456789abcdef0123456789abcdeX", cf.node_token_digest), 0);
    assert_int_equal(bearer_matches(NULL, cf.node_token_digest), 0);
}

/* NODE_TOKEN_FILE: its path is kept, and a rotated token in the same file does not make the
 * camera "changed" (it is taken in place, without a restart); another file or an inline token
 * does. */
static void test_camfile_token_file_rotation_is_no_change(void **state)
{
    const char *dir = *state;
    char path[600], other[600];
    assert_int_equal(
        ts_file_write(dir, "token", "0123456789abcdef0123456789abcdef\n", path, sizeof(path)), 0);
    assert_int_equal(
        ts_file_write(dir, "other", "0123456789abcdef0123456789abcdef\n", other, sizeof(other)), 0);
    struct cfg main_cfg;
    cfg_defaults(&main_cfg);
    struct camfile a, b, c;
    const char *reason = NULL;
    camfile_defaults(&a, &main_cfg, "porch");
    assert_int_equal(camfile_set(&a, "NODE_TOKEN_FILE", path, &reason), 0);
    assert_string_equal(a.node_token_file, path);
    assert_int_equal(ts_file_write(dir, "token", "fedcba9876543210fedcba9876543210\n", NULL, 0), 0);
    camfile_defaults(&b, &main_cfg, "porch");
    assert_int_equal(camfile_set(&b, "NODE_TOKEN_FILE", path, &reason), 0);
    assert_memory_not_equal(a.node_token_digest, b.node_token_digest, BEARER_DIGEST_BYTES);
    assert_true(camfile_same(&a, &b));
    camfile_defaults(&c, &main_cfg, "porch");
    assert_int_equal(camfile_set(&c, "NODE_TOKEN_FILE", other, &reason), 0);
    assert_false(camfile_same(&a, &c));
    camfile_defaults(&c, &main_cfg, "porch");
    assert_int_equal(camfile_set(&c, "NODE_TOKEN", "fedcba9876543210fedcba9876543210", &reason), 0);
    assert_string_equal(c.node_token_file, "");
    assert_false(camfile_same(&b, &c));
}

static void test_camfile_record_keys(void **state)
{
    char *dir = *state;
    struct cfg main_cfg;
    cfg_defaults(&main_cfg);
    main_cfg.record_segment_s = 600;
    main_cfg.record_quiet_ms = 4000;
    struct camfile cf;
    camfile_from_main(&cf, &main_cfg);
    /* The main file's values are every camera's default. */
    assert_true(cf.record);
    assert_int_equal(cf.record_segment_s, 600);
    assert_int_equal(cf.record_quiet_ms, 4000);
    assert_int_equal(cf.record_preroll_ms, main_cfg.record_preroll_ms);
    assert_int_equal(cf.record_timelapse_s, 0);
    const char *reason = NULL;
    assert_int_equal(camfile_set(&cf, "RECORD", "off", &reason), 0);
    assert_false(cf.record);
    assert_int_equal(camfile_set(&cf, "RECORD_SEGMENT_S", "0", &reason), 0);
    assert_int_equal(cf.record_segment_s, 0);
    assert_int_equal(camfile_set(&cf, "RECORD_TIMELAPSE_S", "60", &reason), 0);
    assert_int_equal(cf.record_timelapse_s, 60);
    assert_int_equal(camfile_set(&cf, "RECORD_MAX_EVENT_MS", "5000", &reason), 0);
    assert_int_equal(cf.record_max_event_ms, 5000);
    assert_int_equal(camfile_set(&cf, "RECORD_QUIET_MS", "100", &reason), -EINVAL);
    assert_int_equal(cf.record_quiet_ms, 4000);
    assert_int_equal(camfile_set(&cf, "RECORD", "perhaps", &reason), -EINVAL);
    assert_false(cf.record);
    /* RECORD_DIR, retention and the queue stay the relay's. */
    const char *wide[] = {"RECORD_DIR",          "RECORD_MAX_AGE_S",
                          "RECORD_MAX_BYTES",    "RECORD_MIN_FREE_BYTES",
                          "RECORD_QUEUE_FRAMES", "RECORD_CHECK_INTERVAL_MS"};
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        assert_int_equal(camfile_set(&cf, wide[i], "1000", &reason), -ENOENT);
        assert_non_null(strstr(reason, "relay-wide"));
    }
    /* A file: each bad value at its line, the good ones applied. */
    char path[1100];
    FILE *f;
    snprintf(path, sizeof(path), "%s/yard.env", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("CAM_URL=http://127.0.0.1:9/mjpeg\nRECORD_SEGMENT_S=90000\nRECORD_PREROLL_MS=2000\n"
          "RECORD=maybe\nRECORD_DIR=/tmp\n",
          f);
    fclose(f);
    struct reports r = {0};
    assert_int_equal(camfile_load(&cf, &main_cfg, path, on_report, &r), 3);
    assert_non_null(strstr(r.text, "yard.env:2: RECORD_SEGMENT_S: expected a whole number from 0 "
                                   "to 86400, got \"90000\""));
    assert_non_null(strstr(r.text, "yard.env:4: RECORD: expected on or off"));
    assert_non_null(strstr(r.text, "yard.env:5: RECORD_DIR: a relay-wide setting"));
    assert_int_equal(cf.record_preroll_ms, 2000);
    assert_int_equal(cf.record_segment_s, 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_camfile_names),
        cmocka_unit_test(test_camfile_from_main_and_defaults),
        cmocka_unit_test(test_camfile_node_token),
        cmocka_unit_test_setup_teardown(test_camfile_token_file_rotation_is_no_change, make_dir,
                                        free_dir),
        cmocka_unit_test_setup_teardown(test_camfile_load_dir, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_camfile_every_error_at_once, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_camfile_missing_dir, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_camfile_record_keys, make_dir, free_dir),
    };
    return cmocka_run_group_tests_name("camfile", tests, NULL, NULL);
}
