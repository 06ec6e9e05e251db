/* Unit tests for node/linux/link_handshake: the relay's answer to lookout-cam's upgrade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "link_handshake.h"

/* RFC 6455 §1.3's example: this accept value belongs to the key "dGhlIHNhbXBsZSBub25jZQ==". */
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static void expect_refused(const char *head, const char *expected, const char *want)
{
    char why[LINK_HANDSHAKE_WHY_MAX];
    assert_int_equal(link_handshake_check(head, expected, why, sizeof(why)), -1);
    if (strstr(why, want) == NULL)
        fail_msg("%s: why \"%s\", want \"%s\" in it", head, why, want);
}

static void test_link_handshake_101(void **state)
{
    (void)state;
    char why[LINK_HANDSHAKE_WHY_MAX] = "";
    assert_int_equal(link_handshake_check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
                                          "websocket\r\nsec-websocket-accept:  " ACCEPT "\r\n\r\n",
                                          ACCEPT, why, sizeof(why)),
                     0);
    expect_refused("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: x\r\n\r\n", ACCEPT,
                   "wrong Sec-WebSocket-Accept");
    expect_refused("HTTP/1.1 101 Switching Protocols\r\n\r\n", ACCEPT,
                   "wrong Sec-WebSocket-Accept");
    expect_refused("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " ACCEPT "\r\n\r\n",
                   NULL, "wrong Sec-WebSocket-Accept");
}

static void test_link_handshake_refusals(void **state)
{
    (void)state;
    expect_refused("HTTP/1.1 401 Unauthorized\r\n\r\n", ACCEPT, "check --token-file");
    expect_refused("HTTP/1.1 429 Too Many Requests\r\n\r\n", ACCEPT, "throttling");
    expect_refused("HTTP/1.0 404 Not Found\r\n\r\n", ACCEPT, "no node link here");
    expect_refused("HTTP/1.1 503 Service Unavailable\r\nX: y\r\n\r\n", ACCEPT,
                   "the relay answered HTTP/1.1 503 Service Unavailable");
    expect_refused("SSH-2.0-OpenSSH\r\n\r\n", ACCEPT, "did not answer HTTP");
    expect_refused("", ACCEPT, "did not answer HTTP");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_handshake_101),
        cmocka_unit_test(test_link_handshake_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
