/* Unit tests for node/linux/relay_url: lookout-cam's --relay URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "link_msg.h"
#include "relay_url.h"

static void test_relay_url_good(void **state)
{
    (void)state;
    struct relay_url u;
    char err[200];
    assert_int_equal(relay_url_parse("https://relay.example/", &u, err, sizeof(err)), 0);
    assert_true(u.is_https);
    assert_string_equal(u.host, "relay.example");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.host_header, "relay.example");
    assert_string_equal(u.target, "/" LINK_MSG_PATH);
    assert_int_equal(relay_url_parse("HTTP://10.0.0.2:8080/cams", &u, err, sizeof(err)), 0);
    assert_false(u.is_https);
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.host_header, "10.0.0.2:8080");
    assert_string_equal(u.target, "/cams/" LINK_MSG_PATH);
    /* An IPv6 literal: connected to without its brackets, named with them in Host. */
    assert_int_equal(relay_url_parse("http://[::1]:5000", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.host_header, "[::1]:5000");
    assert_string_equal(u.target, "/" LINK_MSG_PATH);
    assert_int_equal(relay_url_parse("https://[2001:db8::7]/", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "2001:db8::7");
    assert_string_equal(u.host_header, "[2001:db8::7]");
    assert_int_equal(u.port, 443);
    assert_int_equal(relay_url_parse("http://cam.lan", &u, err, sizeof(err)), 0);
    assert_int_equal(u.port, 80);
}

static void test_relay_url_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "relay.example",
        "ftp://relay.example/",
        "https://user:pw@relay.example/",
        "https://relay.example/?x=1",
        "https:///path",
        "",
    };
    struct relay_url u;
    char err[200];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (relay_url_parse(bad[i], &u, err, sizeof(err)) != -EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_true(strncmp(err, "--relay: ", 9) == 0);
    }
    char long_path[1200] = "http://relay.example/";
    memset(long_path + strlen(long_path), 'p', 1100);
    long_path[sizeof(long_path) - 1] = '\0';
    assert_int_equal(relay_url_parse(long_path, &u, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "--relay: path too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_url_good),
        cmocka_unit_test(test_relay_url_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
