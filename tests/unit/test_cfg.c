/* Unit tests for relay/cfg: .env line syntax, keys, precedence and file:line errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../support/tmpdir.h"
#include "cfg.h"
#include "presets.h"
#include "url.h"

static void parse_ok(const char *line, const char *want_key, const char *want_value)
{
    char key[64], value[256];
    const char *reason = NULL;
    assert_true(cfg_parse_line(line, key, sizeof(key), value, sizeof(value), &reason) >= 0);
    assert_string_equal(key, want_key);
    assert_string_equal(value, want_value);
}

static void parse_bad(const char *line, const char *want_reason)
{
    char key[64], value[256];
    const char *reason = NULL;
    assert_int_equal(cfg_parse_line(line, key, sizeof(key), value, sizeof(value), &reason),
                     -EINVAL);
    assert_non_null(reason);
    assert_string_equal(reason, want_reason);
}

static void test_cfg_line_syntax(void **state)
{
    (void)state;
    parse_ok("HTTP_AUTH_USERNAME=exampleUser\n", "HTTP_AUTH_USERNAME", "exampleUser");
    parse_ok("  KEY = spaced value  \r\n", "KEY", "spaced value");
    parse_ok("export CAM_URL=http://h/mjpeg", "CAM_URL", "http://h/mjpeg");
    parse_ok("P=\"with # hash \\\"q\\\"\" # note", "P", "with # hash \"q\"");
    parse_ok("P='single $x \\n'", "P", "single $x \\n");
    /* django-environ's double quotes: a backslash takes the next character, \n \r \t stay. */
    parse_ok("P=\"a\\$b\\\\c\\nd\\te\"", "P", "a$b\\c\\nd\\te");
    parse_ok("HTTP_AUTH_USERNAME=Ali Baba's", "HTTP_AUTH_USERNAME", "Ali Baba's");
    parse_ok("P=abc#not-a-comment", "P", "abc#not-a-comment");
    parse_ok("P=abc # a comment", "P", "abc");
    parse_ok("P=", "P", "");
    parse_ok("# a comment", "", "");
    parse_ok("   \n", "", "");
}

static void test_cfg_line_errors(void **state)
{
    (void)state;
    parse_bad("no equals sign", "expected KEY=VALUE");
    parse_bad("=value", "expected KEY=VALUE");
    parse_bad("1KEY=value", "expected KEY=VALUE");
    parse_bad("K=\"open", "unterminated quoted value");
    parse_bad("K=\"closed\" trailing", "unexpected text after the closing quote");
}

/* The value cut at " #" is said (1), so that a password line can be warned about. */
static void test_cfg_line_reports_comment_cut(void **state)
{
    (void)state;
    char key[64], value[256];
    const char *reason = NULL;
    assert_int_equal(cfg_parse_line("P=abc #def", key, sizeof(key), value, sizeof(value), &reason),
                     1);
    assert_string_equal(value, "abc");
    assert_int_equal(cfg_parse_line("P=abc#def", key, sizeof(key), value, sizeof(value), &reason),
                     0);
    assert_int_equal(
        cfg_parse_line("P='abc #def'", key, sizeof(key), value, sizeof(value), &reason), 0);
    assert_string_equal(value, "abc #def");
}

/* What cfg_read_file reported, one "WHERE: KEY: reason" line each, in order. */
struct reports {
    char text[4096];
    int errors;
    int warnings;
};

static void on_report(enum cfg_severity severity, const char *where, const char *key,
                      const char *reason, void *arg)
{
    struct reports *r = arg;
    size_t n = strlen(r->text);
    snprintf(r->text + n, sizeof(r->text) - n, "%s: %s: %s\n", where, key, reason);
    if (severity == CFG_ERROR)
        r->errors++;
    else
        r->warnings++;
}

static char *write_bytes(const void *data, size_t len)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/lookout-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Notepad's "UTF-8 with BOM" is read; its "Unicode" (UTF-16) is refused with how to fix it. */
static void test_cfg_file_encodings(void **state)
{
    (void)state;
    struct cfg c;
    struct reports r;
    const char bom[] = "\xef\xbb\xbfHTTP_AUTH_USERNAME=alice\r\nCAM_URL=http://h/mjpeg\r\n";
    char *path = write_bytes(bom, sizeof(bom) - 1);
    cfg_defaults(&c);
    memset(&r, 0, sizeof(r));
    assert_int_equal(cfg_read_file(&c, path, 1, on_report, &r), 0);
    assert_int_equal(r.warnings, 0);
    assert_string_equal(c.username, "alice");
    assert_string_equal(c.cam_url, "http://h/mjpeg");
    unlink(path);

    /* UTF-16 little endian, with and without its byte-order mark; and big endian. */
    const char le_bom[] = "\xff\xfeH\0T\0=\0x\0\n\0";
    const char le[] = "H\0T\0=\0x\0\n\0";
    const char be[] = "\0H\0T\0=\0x\0\n";
    const char *files[] = {le_bom, le, be};
    size_t lens[] = {sizeof(le_bom) - 1, sizeof(le) - 1, sizeof(be) - 1};
    for (int i = 0; i < 3; i++) {
        path = write_bytes(files[i], lens[i]);
        cfg_defaults(&c);
        memset(&r, 0, sizeof(r));
        assert_int_equal(cfg_read_file(&c, path, 1, on_report, &r), 1);
        assert_non_null(strstr(r.text, ":1: : the file is UTF-16"));
        assert_non_null(strstr(r.text, "save it as UTF-8"));
        unlink(path);
    }
}

/* Every bad line is reported with its line, the rest still read; warnings do not count. */
static void test_cfg_read_file_reports_everything(void **state)
{
    (void)state;
    struct cfg c;
    struct reports r;
    const char text[] = "HTTP_AUTH_USERNAME=alice\n"
                        "HTTP_AUTH_PASSWORD=abc #def\n"
                        "MAX_VIEWERS=lots\n"
                        "CAM_ULR=http://h/mjpeg\n"
                        "no equals\n"
                        "cam_url=http://h/mjpeg\n"
                        "SERVO_URL=http://h:81/control_servo\n"
                        "COMPLETELY_DIFFERENT=1\n";
    char *path = write_bytes(text, sizeof(text) - 1);
    cfg_defaults(&c);
    memset(&r, 0, sizeof(r));
    assert_int_equal(cfg_read_file(&c, path, 1, on_report, &r), 2);
    assert_int_equal(r.errors, 2);
    char want[256];
    snprintf(want, sizeof(want), "%s:2: HTTP_AUTH_PASSWORD: the value ends where \" #\"", path);
    assert_non_null(strstr(r.text, want));
    assert_null(strstr(r.text, "def")); /* the rest of a password is never shown */
    snprintf(want, sizeof(want), "%s:3: MAX_VIEWERS: expected a whole number", path);
    assert_non_null(strstr(r.text, want));
    snprintf(want, sizeof(want), "%s:4: CAM_ULR: unknown key, ignored; did you mean CAM_URL?",
             path);
    assert_non_null(strstr(r.text, want));
    snprintf(want, sizeof(want), "%s:5: : expected KEY=VALUE", path);
    assert_non_null(strstr(r.text, want));
    snprintf(want, sizeof(want), "%s:6: cam_url: unknown key, ignored; did you mean CAM_URL?",
             path);
    assert_non_null(strstr(r.text, want));
    assert_non_null(strstr(r.text, "COMPLETELY_DIFFERENT: unknown key, ignored\n"));
    /* The good lines were applied, and where each came from is known. */
    assert_string_equal(c.servo_url, "http://h:81/control_servo");
    char where[600];
    cfg_where(&c, "SERVO_URL", where, sizeof(where));
    snprintf(want, sizeof(want), "%s:7", path);
    assert_string_equal(where, want);
    cfg_where(&c, "CAM_URL", where, sizeof(where));
    assert_string_equal(where, path);
    unlink(path);

    assert_string_equal(cfg_nearest_key("HTTP_AUTH_PASWORD"), "HTTP_AUTH_PASSWORD");
    assert_string_equal(cfg_nearest_key("SERVOURL"), "SERVO_URL");
    assert_null(cfg_nearest_key("PORT"));
    assert_null(cfg_nearest_key("DEBUG"));
}

/* The settings as a whole: every problem at once, each where it was made. */
static void test_cfg_check_settings_reports_all(void **state)
{
    (void)state;
    struct cfg c;
    struct reports r;
    cfg_defaults(&c);
    memset(&r, 0, sizeof(r));
    const char *reason = NULL;
    assert_int_equal(cfg_set(&c, "TLS_CERT", "/x.pem", &reason), 0);
    cfg_mark(&c, "TLS_CERT", CFG_FROM_ENVIRONMENT);
    assert_int_equal(cfg_check_settings(&c, on_report, &r), 3);
    assert_non_null(strstr(r.text, "settings: HTTP_AUTH_USERNAME: not set"));
    assert_non_null(strstr(r.text, "environment: TLS_CERT: TLS_CERT and TLS_KEY go together"));
    assert_non_null(strstr(r.text, "settings: CAM_URL: not set"));
}

static void test_cfg_set_values(void **state)
{
    (void)state;
    struct cfg c;
    const char *reason = NULL;
    cfg_defaults(&c);
    assert_int_equal(c.listen_port, 5000);
    assert_int_equal(cfg_set(&c, "MAX_VIEWERS", "25", &reason), 0);
    assert_int_equal(c.max_viewers, 25);
    assert_int_equal(cfg_set(&c, "MAX_VIEWERS", "0", &reason), -EINVAL);
    assert_int_equal(cfg_set(&c, "MAX_VIEWERS", "-3", &reason), -EINVAL);
    assert_int_equal(cfg_set(&c, "MAX_VIEWERS", "12abc", &reason), -EINVAL);
    assert_int_equal(cfg_set(&c, "MAX_FRAME_BYTES", "99999999999999999999", &reason), -EINVAL);
    assert_int_equal(cfg_set(&c, "LISTEN", "127.0.0.1:0", &reason), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 0);
    assert_int_equal(cfg_set(&c, "LISTEN", "[::1]:8000", &reason), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(cfg_set(&c, "LISTEN", "host:70000", &reason), -EINVAL);
    assert_int_equal(cfg_set(&c, "LOG_LEVEL", "debug", &reason), 0);
    assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
    assert_int_equal(cfg_set(&c, "NO_SUCH_KEY", "1", &reason), -ENOENT);
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/lookout-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_cfg_file_and_environment(void **state)
{
    (void)state;
    struct cfg c;
    char err[256] = "";
    char *path = write_temp(
        "# original keys\nHTTP_AUTH_USERNAME=exampleUser\n"
        "HTTP_AUTH_PASSWORD=longNicePassword\n"
        "CAM_URL=http://192.168.1.100/mjpeg\nSERVO_URL=http://192.168.1.100:81/control_servo\n"
        "SOMETHING_ELSE=1\n");
    cfg_defaults(&c);
    assert_int_equal(cfg_load_file(&c, path, 1, err, sizeof(err)), 0);
    assert_string_equal(c.username, "exampleUser");
    assert_string_equal(c.servo_url, "http://192.168.1.100:81/control_servo");
    /* The environment wins over the file, as with the original's django-environ. */
    setenv("HTTP_AUTH_USERNAME", "fromEnv", 1);
    assert_int_equal(cfg_load_environment(&c, err, sizeof(err)), 0);
    unsetenv("HTTP_AUTH_USERNAME");
    assert_string_equal(c.username, "fromEnv");
    assert_int_equal(cfg_validate(&c, err, sizeof(err)), 0);
    unlink(path);
}

static void test_cfg_file_errors_name_file_line_key(void **state)
{
    (void)state;
    struct cfg c;
    char err[256] = "";
    char *path = write_temp("HTTP_AUTH_USERNAME=a\n\nMAX_VIEWERS=lots\n");
    cfg_defaults(&c);
    assert_int_equal(cfg_load_file(&c, path, 1, err, sizeof(err)), -EINVAL);
    char want[200];
    snprintf(want, sizeof(want),
             "%s:3: MAX_VIEWERS: expected a whole number from 1 to 100000, got \"lots\"", path);
    assert_string_equal(err, want);
    unlink(path);

    assert_true(cfg_load_file(&c, "/nonexistent/.env", 1, err, sizeof(err)) < 0);
    assert_string_equal(err, "/nonexistent/.env: No such file or directory");
    assert_int_equal(cfg_load_file(&c, "/nonexistent/.env", 0, err, sizeof(err)), 0);
}

static void test_cfg_validate_requires_login_and_camera(void **state)
{
    (void)state;
    struct cfg c;
    char err[256];
    cfg_defaults(&c);
    assert_int_equal(cfg_validate(&c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "HTTP_AUTH_PASSWORD"));
    snprintf(c.username, sizeof(c.username), "u");
    snprintf(c.password, sizeof(c.password), "p");
    assert_int_equal(cfg_validate(&c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "CAM_URL"));
}

/* CAM_URL and SERVO_URL as the relay uses them (relay/http/url.c). */
static void test_cfg_camera_url_parts(void **state)
{
    (void)state;
    struct url_parts u;
    const char *err = NULL;
    assert_int_equal(url_parse("http://cam.local/mjpeg", &u, &err), 0);
    assert_string_equal(u.host, "cam.local");
    assert_int_equal(u.port, 80);
    assert_string_equal(u.host_header, "cam.local");
    assert_string_equal(u.path_query, "/mjpeg");
    assert_string_equal(u.authorization, "");

    /* An IPv6 literal: connected to without brackets, named with one pair in Host. */
    assert_int_equal(url_parse("http://[::1]:8080/mjpeg?q=1", &u, &err), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.host_header, "[::1]:8080");
    assert_string_equal(u.path_query, "/mjpeg?q=1");
    assert_string_equal(u.display, "http://[::1]:8080/mjpeg?q=1");

    /* Userinfo is percent-encoded (RFC 3986 §3.2.1); Basic carries the plain bytes (RFC 7617),
     * so a password with '@' or '/' in it can be written at all. */
    char want[64] = "Basic ";
    EVP_EncodeBlock((unsigned char *)want + 6, (const unsigned char *)"admin:p@ss/w:rd", 15);
    assert_int_equal(url_parse("http://admin:p%40ss%2Fw:rd@192.0.2.1:81/", &u, &err), 0);
    assert_string_equal(u.authorization, want);
    assert_string_equal(u.display, "http://192.0.2.1:81/");

    /* https:// (another relay, an HTTPS camera): port 443 unless given, and so displayed. */
    assert_int_equal(url_parse("https://cam.local/mjpeg", &u, &err), 0);
    assert_true(u.is_https);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.display, "https://cam.local/mjpeg");
    assert_int_equal(url_parse("ftp://cam.local/", &u, &err), -EINVAL);
    assert_int_equal(url_parse("cam.local", &u, &err), -EINVAL);
}

/* PRESETS_FILE: what presets_save writes, presets_load reads back at the next start. The angles
 * come from the node's answers: one the load would refuse is refused when saving instead. */
static void test_cfg_presets_file_reloads(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    assert_non_null(dir);
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/presets", dir);
    struct presets *p = presets_load(path, err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(presets_save(p, "front door", 30, 120), 0);
    assert_int_equal(presets_save(p, "too far", 30, 361), -EINVAL);
    assert_int_equal(presets_save(p, "negative", -5, 90), -EINVAL);
    assert_int_equal(presets_count(p), 1);
    presets_free(p);
    p = presets_load(path, err, sizeof(err));
    if (p == NULL)
        fail_msg("the relay cannot read the presets it wrote: %s", err);
    int pan = 0, tilt = 0;
    assert_int_equal(presets_find(p, "front door", &pan, &tilt), 0);
    assert_int_equal(pan, 30);
    assert_int_equal(tilt, 120);
    assert_int_equal(presets_count(p), 1);
    presets_free(p);
    ts_tmpdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_line_syntax),
        cmocka_unit_test(test_cfg_line_errors),
        cmocka_unit_test(test_cfg_line_reports_comment_cut),
        cmocka_unit_test(test_cfg_file_encodings),
        cmocka_unit_test(test_cfg_read_file_reports_everything),
        cmocka_unit_test(test_cfg_check_settings_reports_all),
        cmocka_unit_test(test_cfg_set_values),
        cmocka_unit_test(test_cfg_file_and_environment),
        cmocka_unit_test(test_cfg_file_errors_name_file_line_key),
        cmocka_unit_test(test_cfg_validate_requires_login_and_camera),
        cmocka_unit_test(test_cfg_camera_url_parts),
        cmocka_unit_test(test_cfg_presets_file_reloads),
    };
    return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
