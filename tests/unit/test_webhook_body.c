/* Unit tests for relay/notify/webhook_body: the documented event JSON, and the ntfy and Gotify
 * bodies, for a start and an end, with and without PUBLIC_URL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "webhook_body.h"

static char *body(enum webhook_format f, const struct event_info *ev, const char *url,
                  const char *topic)
{
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    assert_int_equal(webhook_body(b, f, ev, url, topic), 0);
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    assert_non_null(s);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    evbuffer_free(b);
    return s;
}

static const struct event_info start = {
    .phase = EVENT_START,
    .camera = "garden",
    .camera_title = "Garden \"north\"",
    .id = 42,
    .start_unix_ms = 1796668200123,
    .peak_motion_pct = 12.25,
    .thumbnail_path = "/c/garden/events/42/thumb.jpg",
};

static const struct event_info end = {
    .phase = EVENT_END,
    .camera = "garden",
    .camera_title = "Garden",
    .id = 42,
    .start_unix_ms = 1796668200123,
    .end_unix_ms = 1796668242623,
    .peak_motion_pct = 30,
    .thumbnail_path = "/c/garden/events/42/thumb.jpg",
    .recording_path = "/c/garden/events/42/video.mkv",
};

static void test_webhook_body_json(void **state)
{
    (void)state;
    char *s = body(WEBHOOK_JSON, &start, "https://cam.example.com/", NULL);
    assert_string_equal(
        s, "{\"type\":\"start\",\"camera\":\"garden\",\"title\":\"Garden \\\"north\\\"\","
           "\"event_id\":42,\"start\":\"2026-12-07T18:30:00.123Z\",\"start_unix_ms\":1796668200123,"
           "\"end\":null,\"end_unix_ms\":null,\"peak_motion_pct\":12.2,"
           "\"thumbnail_url\":\"https://cam.example.com/c/garden/events/42/thumb.jpg\","
           "\"recording_url\":null}");
    free(s);
    s = body(WEBHOOK_JSON, &end, NULL, NULL);
    assert_non_null(strstr(s, "\"type\":\"end\""));
    assert_non_null(
        strstr(s, "\"end\":\"2026-12-07T18:30:42.623Z\",\"end_unix_ms\":1796668242623"));
    assert_non_null(strstr(s, "\"recording_url\":\"/c/garden/events/42/video.mkv\""));
    free(s);
}

static void test_webhook_body_ntfy(void **state)
{
    (void)state;
    char *s = body(WEBHOOK_NTFY, &start, "https://cam.example.com", "lookout-alerts");
    assert_non_null(
        strstr(s, "{\"topic\":\"lookout-alerts\",\"title\":\"Motion: Garden \\\"north\\\"\""));
    assert_non_null(strstr(s, "\"priority\":4"));
    assert_non_null(
        strstr(s, "\"click\":\"https://cam.example.com/c/garden/events/42/thumb.jpg\""));
    assert_non_null(
        strstr(s, "\"attach\":\"https://cam.example.com/c/garden/events/42/thumb.jpg\""));
    free(s);
    /* Without PUBLIC_URL there is no link a phone could open: none is sent. */
    s = body(WEBHOOK_NTFY, &end, "", "t");
    assert_null(strstr(s, "\"click\""));
    assert_null(strstr(s, "\"attach\""));
    assert_non_null(strstr(s, "ended after 43 s (peak 30%)"));
    free(s);
}

static void test_webhook_body_gotify(void **state)
{
    (void)state;
    char *s = body(WEBHOOK_GOTIFY, &end, "https://cam.example.com", NULL);
    assert_non_null(strstr(s, "\"title\":\"Motion: Garden\""));
    assert_non_null(strstr(s, "\"priority\":4"));
    assert_non_null(
        strstr(s, "\"extras\":{\"client::notification\":{\"click\":{\"url\":"
                  "\"https://cam.example.com/c/garden/events/42/video.mkv\"},"
                  "\"bigImageUrl\":\"https://cam.example.com/c/garden/events/42/thumb.jpg\"}}"));
    free(s);
    enum webhook_format f;
    assert_int_equal(webhook_format_parse("gotify", &f), 0);
    assert_int_equal(f, WEBHOOK_GOTIFY);
    assert_int_equal(webhook_format_parse("slack", &f), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_body_json),
        cmocka_unit_test(test_webhook_body_ntfy),
        cmocka_unit_test(test_webhook_body_gotify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
