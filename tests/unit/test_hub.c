/*
 * hub: the per-viewer frame-rate cap's query parsing and the refusals a stream route answers
 * with; frame: which of the camera's part header fields reach viewers. The fan-out itself is
 * tested end to end (tests/integration/test_frame_path.c, test_slow_viewer.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "hub.h"

static void test_hub_fps_from_query(void **state)
{
    (void)state;
    unsigned fps = 99;
    assert_int_equal(hub_fps_from_query(NULL, &fps), 0);
    assert_int_equal(fps, 0);
    assert_int_equal(hub_fps_from_query("t=123", &fps), 0);
    assert_int_equal(fps, 0);
    assert_int_equal(hub_fps_from_query("fps=2", &fps), 0);
    assert_int_equal(fps, 2);
    assert_int_equal(hub_fps_from_query("t=1&fps=100", &fps), 0);
    assert_int_equal(fps, 100);
    const char *bad[] = {"fps=0",   "fps=101", "fps=",
                         "fps=2.5", "fps=-1",  "fps=+2",
                         "fps= 2",  "fps=x",   "fps=99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fps = 7;
        if (hub_fps_from_query(bad[i], &fps) != -EINVAL)
            fail_msg("%s accepted", bad[i]);
        assert_int_equal(fps, 0);
    }
}

static void test_hub_refusal(void **state)
{
    (void)state;
    int status = 0;
    const char *reason = hub_refusal(-EINVAL, &status);
    assert_int_equal(status, 400);
    assert_non_null(strstr(reason, "fps"));
    assert_null(strchr(reason, '\n'));
    hub_refusal(-EBUSY, &status);
    assert_int_equal(status, 503);
    hub_refusal(-EUSERS, &status);
    assert_int_equal(status, 503);
    assert_non_null(strstr(hub_refusal(-ENOMEM, &status), "memory"));
}

/* The part header fields of a finished frame, as a viewer gets them. */
static const char *finish(struct frame *f, char *out, size_t cap)
{
    static const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xD9};
    assert_int_equal(frame_append(f, jpeg, sizeof(jpeg)), 0);
    assert_int_equal(frame_finish(f, 7, 1500000, HUB_BOUNDARY), 0);
    size_t len;
    const uint8_t *wire = frame_wire(f, &len);
    size_t header_len = len - sizeof(jpeg) - strlen("\r\n--" HUB_BOUNDARY "\r\n");
    assert_true(header_len < cap);
    memcpy(out, wire, header_len);
    out[header_len] = '\0';
    return out;
}

static void test_frame_passes_angles_only(void **state)
{
    (void)state;
    char head[512];
    struct frame *f = frame_new(16, 1024);
    assert_non_null(f);
    frame_pass_fields(f, "X-Timestamp: 1.5\r\nx-pan:  92.5 \r\nX-Tilt: -3\r\nX-Evil: 1\r\n");
    assert_string_equal(finish(f, head, sizeof(head)),
                        "Content-Type: image/jpeg\r\nContent-Length: 4\r\n"
                        "X-Timestamp: 1.500000\r\nX-Frame-Seq: 7\r\n"
                        "X-Pan: 92.5\r\nX-Tilt: -3\r\n\r\n");
    frame_unref(f);
}

/* A camera cannot inject header lines or odd values through the angle fields. */
static void test_frame_rejects_bad_angles(void **state)
{
    (void)state;
    const char *bad[] = {"X-Pan: 1\rSet-Cookie: a\r\n",
                         "X-Pan: 1e3\r\n",
                         "X-Pan: 1.\r\n",
                         "X-Pan: .5\r\n",
                         "X-Pan: --1\r\n",
                         "X-Pan: 1.2.3\r\n",
                         "X-Pan: 1234567890123\r\n",
                         "X-Pan:\r\n",
                         "X-Panorama: 1\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char head[512];
        struct frame *f = frame_new(16, 1024);
        assert_non_null(f);
        frame_pass_fields(f, bad[i]);
        if (strstr(finish(f, head, sizeof(head)), "X-Pan") != NULL)
            fail_msg("passed: %s", bad[i]);
        frame_unref(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_fps_from_query),
        cmocka_unit_test(test_hub_refusal),
        cmocka_unit_test(test_frame_passes_angles_only),
        cmocka_unit_test(test_frame_rejects_bad_angles),
    };
    return cmocka_run_group_tests_name("hub", tests, NULL, NULL);
}
