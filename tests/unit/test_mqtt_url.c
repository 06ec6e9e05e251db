/* Unit tests for relay/notify/mqtt_url: MQTT_URL's two forms, default ports, and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mqtt_url.h"

static void expect_ok(const char *text, int is_tls, const char *host, unsigned port)
{
    struct mqtt_url u;
    const char *reason = NULL;
    assert_int_equal(mqtt_url_parse(text, &u, &reason), 0);
    assert_int_equal(u.is_tls, is_tls);
    assert_string_equal(u.host, host);
    assert_int_equal(u.port, port);
}

static void expect_bad(const char *text)
{
    struct mqtt_url u;
    const char *reason = NULL;
    assert_int_equal(mqtt_url_parse(text, &u, &reason), -EINVAL);
    assert_non_null(reason);
    assert_null(strchr(reason, '\n'));
}

static void test_mqtt_url_forms(void **state)
{
    (void)state;
    expect_ok("mqtt://broker.lan", 0, "broker.lan", 1883);
    expect_ok("mqtts://broker.example.com", 1, "broker.example.com", 8883);
    expect_ok("mqtt://127.0.0.1:1884", 0, "127.0.0.1", 1884);
    expect_ok("mqtts://[::1]:8884", 1, "::1", 8884);
    expect_ok("mqtt://[fe80::1]", 0, "fe80::1", 1883);
    expect_ok("mqtt://broker/", 0, "broker", 1883);
}

static void test_mqtt_url_refusals(void **state)
{
    (void)state;
    expect_bad("");
    expect_bad("http://broker");
    expect_bad("tcp://broker:1883");
    expect_bad("mqtt://");
    expect_bad("mqtt://:1883");
    expect_bad("mqtt://broker:0");
    expect_bad("mqtt://broker:65536");
    expect_bad("mqtt://broker:12ab");
    expect_bad("mqtt://broker:");
    expect_bad("mqtt://user:secret@broker"); /* credentials have their own settings */
    expect_bad("mqtt://broker/topic");
    expect_bad("mqtt://broker?x=1");
    expect_bad("mqtt://[::1");
    expect_bad("mqtt://bro ker");
    expect_bad("mqtt://[::1]x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqtt_url_forms),
        cmocka_unit_test(test_mqtt_url_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
