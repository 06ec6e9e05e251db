/* Unit tests for core/link_msg (the link's control messages) and node/node_link (the node's
 * side of them): strict reading, bounded everything, writers that read back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "link_msg.h"
#include "node.h"
#include "node_link.h"

static int parse(const char *text, struct link_msg *m, const char **reason)
{
    return link_msg_parse(text, strlen(text), m, reason);
}

static void expect_bad(const char *text, const char *want_reason)
{
    struct link_msg m;
    const char *reason = NULL;
    assert_int_equal(parse(text, &m, &reason), -EPROTO);
    assert_non_null(reason);
    if (want_reason != NULL)
        assert_string_equal(reason, want_reason);
}

static void test_link_msg_move_and_moved(void **state)
{
    (void)state;
    struct link_msg m;
    const char *reason = NULL;
    assert_int_equal(
        parse(" {\"type\" : \"move\", \"id\":4294967295,\"tr\":-5,\"el\":10}\n", &m, &reason), 0);
    assert_int_equal(m.type, LINK_MSG_MOVE);
    assert_true(m.has_id && m.has_tr && m.has_el);
    assert_false(m.has_pan || m.has_tilt);
    assert_int_equal(m.id, 4294967295u);
    assert_int_equal(m.tr, -5);
    assert_int_equal(m.el, 10);
    assert_int_equal(parse("{\"type\":\"moved\",\"id\":3,\"status\":200,\"pan\":90,\"tilt\":91,"
                           "\"target_pan\":95,\"target_tilt\":80,\"limits\":{\"pan\":[10,170],"
                           "\"tilt\":[20,160]},\"moving\":true,\"measured_fps\":14.9}",
                           &m, &reason),
                     0);
    assert_int_equal(m.type, LINK_MSG_MOVED);
    assert_int_equal(m.status, 200);
    assert_int_equal(m.target_pan, 95);
    assert_int_equal(m.target_tilt, 80);
    assert_true(m.has_limits);
    int want[4] = {10, 170, 20, 160};
    assert_memory_equal(m.limits, want, sizeof(want));
}

static void test_link_msg_unknown_members_and_types(void **state)
{
    (void)state;
    struct link_msg m;
    const char *reason = NULL;
    assert_int_equal(parse("{\"type\":\"hello-from-the-future\",\"x\":{\"a\":[1,2,{\"b\":null}]},"
                           "\"s\":\"\\u00e9\\n\",\"t\":true,\"n\":-1.5e3}",
                           &m, &reason),
                     0);
    assert_int_equal(m.type, LINK_MSG_OTHER);
}

static void test_link_msg_errors_are_named(void **state)
{
    (void)state;
    expect_bad("", "not a JSON object");
    expect_bad("[]", "not a JSON object");
    expect_bad("{\"id\":1}", "no \"type\" member");
    expect_bad("{\"type\":5}", "\"type\": not a string");
    expect_bad("{\"type\":\"move\",\"id\":-1}", "\"id\": not an integer 0..4294967295");
    expect_bad("{\"type\":\"move\",\"id\":4294967296}", "\"id\": not an integer 0..4294967295");
    expect_bad("{\"type\":\"move\",\"id\":01}", "\"id\": not an integer 0..4294967295");
    expect_bad("{\"type\":\"move\",\"tr\":5.5}", "\"tr\": not an integer in range");
    expect_bad("{\"type\":\"move\",\"tr\":99999999999}", "\"tr\": not an integer in range");
    expect_bad("{\"type\":\"stream\",\"on\":1}", "\"on\": not true or false");
    expect_bad("{\"type\":\"moved\",\"limits\":{\"pan\":[0,180]}}",
               "\"limits\": needs pan and tilt");
    expect_bad("{\"type\":\"move\"", "message cut short");
    expect_bad("{\"type\":\"move\"} x", "text after the object");
    expect_bad("{\"type\":\"mo\nve\"}", "control character in a string");
    expect_bad("{\"type\":\"move\",\"x\":[[[[[1]]]]]}", "nested too deep");
    expect_bad("{\"type\":\"move\",\"x\":tru}", "expected a value");
    char big[LINK_MSG_MAX_BYTES + 2];
    memset(big, ' ', sizeof(big));
    struct link_msg m;
    const char *reason = NULL;
    assert_int_equal(link_msg_parse(big, sizeof(big), &m, &reason), -EMSGSIZE);
}

/* The message ends at the last byte before a PROT_NONE page: any overread faults. */
static void test_link_msg_guard_page(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *mem =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
    const char *cases[] = {"{\"type\":\"move\",\"id\":12",
                           "{\"type\":\"move\",\"id\":1,\"tr\":-",
                           "{\"type\":\"mo",
                           "{\"type\":\"move\",\"s\":\"\\u00",
                           "{\"t\":1e",
                           "{\"type\":\"move\",\"id\":1}"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]);
        char *text = (char *)mem + page - n;
        memcpy(text, cases[i], n);
        struct link_msg m;
        const char *reason = NULL;
        int rc = link_msg_parse(text, n, &m, &reason);
        assert_int_equal(rc, i + 1 == sizeof(cases) / sizeof(cases[0]) ? 0 : -EPROTO);
    }
    munmap(mem, (size_t)page * 2);
}

static void test_link_msg_writers_read_back(void **state)
{
    (void)state;
    char out[LINK_MSG_MAX_BYTES];
    struct link_msg m;
    const char *reason = NULL;
    int n = link_msg_write_move_to(out, sizeof(out), 42, 0, 180);
    assert_true(n > 0);
    assert_int_equal(link_msg_parse(out, (size_t)n, &m, &reason), 0);
    assert_true(m.type == LINK_MSG_MOVE && m.id == 42 && m.has_pan && m.pan == 0 && m.tilt == 180);
    n = link_msg_write_error(out, sizeof(out), 9, 400, "tr: \"x\" is \\ bad\n");
    assert_int_equal(link_msg_parse(out, (size_t)n, &m, &reason), 0);
    assert_string_equal(m.error, "tr: \"x\" is \\ bad");
    n = link_msg_write_stream(out, sizeof(out), false);
    assert_int_equal(link_msg_parse(out, (size_t)n, &m, &reason), 0);
    assert_true(m.type == LINK_MSG_STREAM && m.has_on && !m.on);
    assert_int_equal(link_msg_write_move_by(out, 10, 1, 5, 5), -ENOSPC);
}

static void handle(struct node *n, const char *text, char *reply, struct node_link_action *act,
                   int want_rc)
{
    const char *reason = NULL;
    assert_int_equal(
        node_link_handle(n, text, strlen(text), 1000, reply, LINK_MSG_MAX_BYTES, act, &reason),
        want_rc);
}

static void test_node_link_moves_and_stream(void **state)
{
    (void)state;
    struct node n;
    struct node_config cfg = node_config_default();
    assert_int_equal(node_init(&n, &cfg, 0), 0);
    char reply[LINK_MSG_MAX_BYTES];
    struct node_link_action act;
    handle(&n, "{\"type\":\"move\",\"id\":5,\"tr\":10}", reply, &act, 0);
    assert_true(act.has_reply);
    struct link_msg m;
    const char *reason = NULL;
    assert_int_equal(link_msg_parse(reply, act.reply_len, &m, &reason), 0);
    assert_true(m.type == LINK_MSG_MOVED && m.id == 5 && m.status == 200);
    assert_int_equal(m.target_pan, 100);
    assert_int_equal(m.target_tilt, 90);
    assert_true(m.has_limits);

    handle(&n, "{\"type\":\"move\",\"id\":6,\"pan\":0,\"tilt\":0}", reply, &act, 0);
    assert_int_equal(link_msg_parse(reply, act.reply_len, &m, &reason), 0);
    assert_true(m.target_pan == 0 && m.target_tilt == 0);

    /* The node's own strict limits answer, not the link's. */
    handle(&n, "{\"type\":\"move\",\"id\":7,\"tr\":500}", reply, &act, 0);
    assert_int_equal(link_msg_parse(reply, act.reply_len, &m, &reason), 0);
    assert_true(m.status == 400 && m.id == 7 && m.has_error);
    handle(&n, "{\"type\":\"move\",\"id\":8,\"tr\":1,\"pan\":3}", reply, &act, 0);
    assert_int_equal(link_msg_parse(reply, act.reply_len, &m, &reason), 0);
    assert_int_equal(m.status, 400);

    handle(&n, "{\"type\":\"stream\",\"on\":true}", reply, &act, 0);
    assert_true(act.has_stream && act.stream_on && !act.has_reply);
    handle(&n, "{\"type\":\"what\"}", reply, &act, 0);
    assert_false(act.has_stream || act.has_reply);
    handle(&n, "{\"type\":\"move\",\"tr\":1}", reply, &act, -EPROTO);
    handle(&n, "{\"type\":\"stream\"}", reply, &act, -EPROTO);
    handle(&n, "not json", reply, &act, -EPROTO);
}

static void test_node_link_status(void **state)
{
    (void)state;
    struct node n;
    struct node_config cfg = node_config_default();
    assert_int_equal(node_init(&n, &cfg, 0), 0);
    struct node_facts facts = {.fps = 15, .width = 640, .height = 480};
    char out[LINK_MSG_MAX_BYTES];
    int len = node_link_status(&n, 10, &facts, out, sizeof(out));
    assert_true(len > 0);
    struct link_msg m;
    const char *reason = NULL;
    assert_int_equal(link_msg_parse(out, (size_t)len, &m, &reason), 0);
    assert_true(m.type == LINK_MSG_STATUS && m.target_pan == 90 && m.has_limits);
    assert_int_equal(node_link_status(&n, 10, &facts, out, 40), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_msg_move_and_moved),
        cmocka_unit_test(test_link_msg_unknown_members_and_types),
        cmocka_unit_test(test_link_msg_errors_are_named),
        cmocka_unit_test(test_link_msg_guard_page),
        cmocka_unit_test(test_link_msg_writers_read_back),
        cmocka_unit_test(test_node_link_moves_and_stream),
        cmocka_unit_test(test_node_link_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
