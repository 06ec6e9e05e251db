/* Unit tests for node/node: the control routes' exact replies, shared by both ports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "node.h"

struct fixture {
    struct node node;
    char body[NODE_BODY_MAX];
    struct node_reply reply;
};

static int setup(void **state)
{
    static struct fixture f;
    struct node_config cfg = node_config_default();
    memset(&f, 0, sizeof(f));
    if (node_init(&f.node, &cfg, 1000) != 0)
        return -1;
    *state = &f;
    return 0;
}

static void get(struct fixture *f, const char *path, const char *query, uint32_t now_ms,
                const struct node_facts *facts)
{
    memset(f->body, 'x', sizeof(f->body));
    node_handle(&f->node, true, path, query, now_ms, facts, f->body, sizeof(f->body), &f->reply);
    assert_int_equal(f->reply.body_len, strlen(f->body));
}

static void test_node_relative_move_reply_shape(void **state)
{
    struct fixture *f = *state;
    get(f, "/control_servo", "tr=5", 1000, NULL);
    assert_int_equal(f->reply.status, 200);
    assert_string_equal(f->reply.content_type, "application/json");
    assert_string_equal(f->body, "{\"pan\":90,\"tilt\":90,\"target_pan\":95,\"target_tilt\":90,"
                                 "\"limits\":{\"pan\":[0,180],\"tilt\":[0,180]}}");
}

static void test_node_signs_follow_original_page(void **state)
{
    struct fixture *f = *state;
    /* /turnleft is tr=+5 (pan angle up), /turnup is el=-5 (tilt angle down). */
    get(f, "/control_servo", "tr=%2B5&el=-5", 1000, NULL);
    assert_int_equal(f->reply.status, 200);
    assert_non_null(strstr(f->body, "\"target_pan\":95,\"target_tilt\":85"));
}

static void test_node_servos_move_at_slew_rate(void **state)
{
    struct fixture *f = *state;
    get(f, "/control_servo", "pan=150", 1000, NULL);
    node_tick(&f->node, 1050);
    assert_int_equal(node_pan_mdeg(&f->node), 120000);
    assert_true(node_is_moving(&f->node));
    get(f, "/control_servo", "tilt=90", 1100, NULL);
    assert_string_equal(f->body, "{\"pan\":150,\"tilt\":90,\"target_pan\":150,\"target_tilt\":90,"
                                 "\"limits\":{\"pan\":[0,180],\"tilt\":[0,180]}}");
    assert_false(node_is_moving(&f->node));
    assert_int_equal(node_pan_pulse_us(&f->node), 2083);
}

static void test_node_clamps_to_limits(void **state)
{
    struct fixture *f = *state;
    get(f, "/control_servo", "tr=180&el=-180", 1000, NULL);
    assert_int_equal(f->reply.status, 200);
    assert_non_null(strstr(f->body, "\"target_pan\":180,\"target_tilt\":0"));
}

static void test_node_bad_query_is_400_one_line(void **state)
{
    struct fixture *f = *state;
    get(f, "/control_servo", "tr=abc", 1000, NULL);
    assert_int_equal(f->reply.status, 400);
    assert_string_equal(f->reply.content_type, "text/plain; charset=utf-8");
    assert_string_equal(f->body, "tr: not an integer: \"abc\"\n");
    get(f, "/control_servo", NULL, 1000, NULL);
    assert_int_equal(f->reply.status, 400);
    /* Nothing moved. */
    assert_int_equal(node_pan_deg(&f->node), 90);
    get(f, "/control_servo", "tr=1&tr=2", 1000, NULL);
    assert_string_equal(f->body, "tr: duplicated key\n");
}

static void test_node_status_reports_facts(void **state)
{
    struct fixture *f = *state;
    struct node_facts facts = {
        .fps = 15,
        .has_measured_fps = true,
        .measured_mfps = 14950,
        .width = 640,
        .height = 480,
        .quality = 80,
        .frames = 1234,
        .stream_clients = 1,
        .stream_connections_total = 7,
        .max_stream_clients = 2,
    };
    get(f, "/control_servo", "tr=1", 2000, NULL);
    get(f, "/control_servo", "tr=x", 2000, NULL);
    get(f, "/status", NULL, 62500, &facts);
    assert_int_equal(f->reply.status, 200);
    assert_string_equal(f->reply.content_type, "application/json");
    assert_string_equal(f->body,
                        "{\"pan\":91,\"tilt\":90,\"target_pan\":91,\"target_tilt\":90,"
                        "\"limits\":{\"pan\":[0,180],\"tilt\":[0,180]},\"moving\":false,"
                        "\"fps\":15,\"measured_fps\":15.0,\"width\":640,\"height\":480,"
                        "\"quality\":80,\"uptime_s\":61,\"frames\":1234,\"stream_clients\":1,"
                        "\"stream_connections_total\":7,\"max_stream_clients\":2,"
                        "\"moves\":1,\"rejected_moves\":1}");
    facts.has_measured_fps = false;
    get(f, "/status", NULL, 62500, &facts);
    assert_null(strstr(f->body, "measured_fps"));
}

static void test_node_uptime_survives_clock_wrap(void **state)
{
    struct fixture *f = *state;
    struct node_config cfg = node_config_default();
    assert_int_equal(node_init(&f->node, &cfg, UINT32_MAX - 999), 0);
    node_tick(&f->node, 2000000000u);
    get(f, "/status", NULL, 3000, NULL);
    /* (2^32 + 4000) ms, where a plain now - start would give 4 s. */
    assert_non_null(strstr(f->body, "\"uptime_s\":4294971,"));
}

static void test_node_unknown_path_and_method(void **state)
{
    struct fixture *f = *state;
    get(f, "/nope\x01", NULL, 1000, NULL);
    assert_int_equal(f->reply.status, 404);
    assert_string_equal(f->body, "no such route: \"/nope?\" (try /control_servo or /status)\n");
    node_handle(&f->node, false, "/status", NULL, 1000, NULL, f->body, sizeof(f->body), &f->reply);
    assert_int_equal(f->reply.status, 405);
    assert_string_equal(f->body, "method not allowed: use GET\n");
    assert_null(node_route_find("/status/"));
    assert_non_null(node_route_find("/control_servo"));
}

static void test_node_small_buffer_is_500(void **state)
{
    struct fixture *f = *state;
    char small[16];
    node_handle(&f->node, true, "/status", NULL, 1000, NULL, small, sizeof(small), &f->reply);
    assert_int_equal(f->reply.status, 500);
    assert_int_equal(f->reply.body_len, strlen(small));
    assert_int_equal(f->reply.body_len, sizeof(small) - 1);
}

static void test_node_bad_config_rejected(void **state)
{
    struct fixture *f = *state;
    struct node_config cfg = node_config_default();
    cfg.tilt.min_deg = 100;
    assert_int_equal(node_init(&f->node, &cfg, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_node_relative_move_reply_shape, setup),
        cmocka_unit_test_setup(test_node_signs_follow_original_page, setup),
        cmocka_unit_test_setup(test_node_servos_move_at_slew_rate, setup),
        cmocka_unit_test_setup(test_node_clamps_to_limits, setup),
        cmocka_unit_test_setup(test_node_bad_query_is_400_one_line, setup),
        cmocka_unit_test_setup(test_node_status_reports_facts, setup),
        cmocka_unit_test_setup(test_node_uptime_survives_clock_wrap, setup),
        cmocka_unit_test_setup(test_node_unknown_path_and_method, setup),
        cmocka_unit_test_setup(test_node_small_buffer_is_500, setup),
        cmocka_unit_test_setup(test_node_bad_config_rejected, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
