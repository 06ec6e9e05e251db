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

#include "cfg.h"

static void parse_ok(const char *line, const char *want_key, const char *want_value)
{
    char key[64], value[256];
    const char *reason = NULL;
    assert_int_equal(cfg_parse_line(line, key, sizeof(key), value, sizeof(value), &reason), 0);
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
    char *path = write_temp("# original keys\nHTTP_AUTH_USERNAME=exampleUser\n"
                            "HTTP_AUTH_PASSWORD=longNicePassword\n"
                            "CAM_URL=http://192.168.1.100/mjpeg\nSERVO_URL=http://192.168.1.100:81/control_servo\n"
                            "SOMETHING_ELSE=1\n");
    cfg_defaults(&c);
    assert_int_equal(cfg_load_file(&c, path, 1, err, sizeof(err)), 0);
    assert_string_equal(c.username, "exampleUser");
    assert_string_equal(c.servo_url, "http://192.168.1.100:81/control_servo");
    /* The environment wins over the file, as with the original's python-dotenv. */
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
    snprintf(want, sizeof(want), "%s:3: MAX_VIEWERS: not a whole number in the allowed range",
             path);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_line_syntax),
        cmocka_unit_test(test_cfg_line_errors),
        cmocka_unit_test(test_cfg_set_values),
        cmocka_unit_test(test_cfg_file_and_environment),
        cmocka_unit_test(test_cfg_file_errors_name_file_line_key),
        cmocka_unit_test(test_cfg_validate_requires_login_and_camera),
    };
    return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
