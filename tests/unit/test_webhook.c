/*
 * Unit tests for relay/notify/webhook: a receiver on loopback in this process (libevent's HTTP
 * server, plain and TLS) gets the documented body; a receiver that answers 500 twice gets the
 * third try; one that always fails, or hangs, is given up after the bound, counted as dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../support/tls_cert.h"
#include "../support/tmpdir.h"
#include "tls.h"
#include "webhook.h"

#define MAX_SEEN 16

struct receiver {
    struct event_base *base;
    struct evhttp *http;
    struct tls *tls;
    uint16_t port;
    const int *codes; /* status for the n-th request; 0: never answer (a hang) */
    size_t n_codes;
    unsigned seen;
    char uri[MAX_SEEN][256];
    char body[MAX_SEEN][2048];
    char content_type[MAX_SEEN][64];
    int method[MAX_SEEN];
};

static void on_request(struct evhttp_request *req, void *arg)
{
    struct receiver *r = arg;
    unsigned i = r->seen++;
    int code = i < r->n_codes ? r->codes[i] : r->codes[r->n_codes - 1];
    if (i < MAX_SEEN) {
        snprintf(r->uri[i], sizeof(r->uri[i]), "%s", evhttp_request_get_uri(req));
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        n = n < sizeof(r->body[i]) - 1 ? n : sizeof(r->body[i]) - 1;
        evbuffer_remove(in, r->body[i], n);
        r->body[i][n] = '\0';
        const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
        snprintf(r->content_type[i], sizeof(r->content_type[i]), "%s", ct ? ct : "");
        r->method[i] = (int)evhttp_request_get_command(req);
    }
    if (code != 0)
        evhttp_send_reply(req, code, code == 200 ? "OK" : "Nope", NULL);
}

static void receiver_start(struct receiver *r, const int *codes, size_t n, const char *cert,
                           const char *key)
{
    memset(r, 0, sizeof(*r));
    r->base = event_base_new();
    r->http = evhttp_new(r->base);
    assert_non_null(r->http);
    r->codes = codes;
    r->n_codes = n;
    if (cert != NULL) {
        char err[256];
        r->tls = tls_new(cert, key, err, sizeof(err));
        assert_non_null(r->tls);
        evhttp_set_bevcb(r->http, tls_bufferevent_new, r->tls);
    }
    evhttp_set_gencb(r->http, on_request, r);
    struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(r->http, "127.0.0.1", 0);
    assert_non_null(b);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&sa, &len), 0);
    r->port = ntohs(sa.sin_port);
}

static void receiver_stop(struct receiver *r)
{
    evhttp_free(r->http);
    tls_free(r->tls);
    event_base_free(r->base);
}

/* Run the loop until the webhook has settled (delivered + dropped == want) or 10 s passed. */
static void run_until(struct receiver *r, struct webhook *w, uint64_t want)
{
    for (int i = 0; i < 1000; i++) {
        struct webhook_stats st;
        webhook_get_stats(w, &st);
        if (st.delivered + st.dropped >= want)
            return;
        struct timeval tick = {0, 10000};
        event_base_loopexit(r->base, &tick);
        event_base_dispatch(r->base);
    }
    fail_msg("the webhook did not settle");
}

static const struct event_info ev_start = {
    .phase = EVENT_START,
    .camera = "cam",
    .camera_title = "Garden",
    .id = 7,
    .start_unix_ms = 1796668200000,
    .peak_motion_pct = 4.5,
    .thumbnail_path = "/c/cam/events/7/thumb.jpg",
};

static const struct event_info ev_end = {
    .phase = EVENT_END,
    .camera = "cam",
    .camera_title = "Garden",
    .id = 7,
    .start_unix_ms = 1796668200000,
    .end_unix_ms = 1796668230000,
    .peak_motion_pct = 9,
    .thumbnail_path = "/c/cam/events/7/thumb.jpg",
    .recording_path = "/c/cam/events/7/video.mkv",
};

static struct webhook *make(struct receiver *r, const char *path, enum webhook_format f,
                            unsigned retries, unsigned timeout_ms, const char *ca)
{
    char url[256];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", ca ? "https" : "http", (unsigned)r->port,
             path);
    struct webhook_config c = {.url = url,
                               .format = f,
                               .ca_file = ca,
                               .public_url = "https://cam.example.com",
                               .timeout_ms = timeout_ms,
                               .retries = retries,
                               .backoff_ms = 20};
    const char *err = NULL;
    struct webhook *w = webhook_new(r->base, &c, &err);
    assert_non_null(w);
    return w;
}

static void test_webhook_start_and_end_with_the_documented_body(void **state)
{
    (void)state;
    static const int ok[] = {200};
    struct receiver r;
    receiver_start(&r, ok, 1, NULL, NULL);
    struct webhook *w = make(&r, "/hook?key=secret", WEBHOOK_JSON, 3, 2000, NULL);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    assert_int_equal(webhook_send(w, &ev_end), 0);
    run_until(&r, w, 2);
    assert_int_equal(r.seen, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r.method[i], EVHTTP_REQ_POST);
        assert_string_equal(r.uri[i], "/hook?key=secret");
        assert_string_equal(r.content_type[i], "application/json");
    }
    /* Two connections: either may arrive first. */
    int first_is_start = strstr(r.body[0], "\"type\":\"start\"") != NULL;
    const char *start = r.body[first_is_start ? 0 : 1], *end = r.body[first_is_start ? 1 : 0];
    assert_string_equal(
        start, "{\"type\":\"start\",\"camera\":\"cam\",\"title\":\"Garden\",\"event_id\":7,"
               "\"start\":\"2026-12-07T18:30:00.000Z\",\"start_unix_ms\":1796668200000,"
               "\"end\":null,\"end_unix_ms\":null,\"peak_motion_pct\":4.5,"
               "\"thumbnail_url\":\"https://cam.example.com/c/cam/events/7/thumb.jpg\","
               "\"recording_url\":null}");
    assert_non_null(strstr(end, "\"type\":\"end\""));
    assert_non_null(
        strstr(end, "\"recording_url\":\"https://cam.example.com/c/cam/events/7/video.mkv\""));
    struct webhook_stats st;
    webhook_get_stats(w, &st);
    assert_int_equal(st.delivered, 2);
    assert_int_equal(st.retried, 0);
    webhook_free(w);
    receiver_stop(&r);
}

static void test_webhook_500_twice_then_the_third_try(void **state)
{
    (void)state;
    static const int codes[] = {500, 500, 200};
    struct receiver r;
    receiver_start(&r, codes, 3, NULL, NULL);
    struct webhook *w = make(&r, "/", WEBHOOK_JSON, 4, 2000, NULL);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    run_until(&r, w, 1);
    struct webhook_stats st;
    webhook_get_stats(w, &st);
    assert_int_equal(r.seen, 3);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.retried, 2);
    assert_int_equal(st.dropped, 0);
    assert_string_equal(r.body[0], r.body[2]); /* the same body each time */
    webhook_free(w);
    receiver_stop(&r);
}

static void test_webhook_gives_up_after_the_bound(void **state)
{
    (void)state;
    static const int always_500[] = {500};
    struct receiver r;
    receiver_start(&r, always_500, 1, NULL, NULL);
    struct webhook *w = make(&r, "/", WEBHOOK_JSON, 2, 2000, NULL);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    run_until(&r, w, 1);
    struct webhook_stats st;
    webhook_get_stats(w, &st);
    assert_int_equal(r.seen, 3); /* the first try and 2 retries, no more */
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.delivered, 0);
    webhook_free(w);
    receiver_stop(&r);
}

static void test_webhook_hang_times_out(void **state)
{
    (void)state;
    static const int hang[] = {0};
    struct receiver r;
    receiver_start(&r, hang, 1, NULL, NULL);
    struct webhook *w = make(&r, "/", WEBHOOK_JSON, 1, 200, NULL);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    run_until(&r, w, 1);
    struct webhook_stats st;
    webhook_get_stats(w, &st);
    assert_int_equal(r.seen, 2);
    assert_int_equal(st.dropped, 1);
    webhook_free(w);
    receiver_stop(&r);
}

static void test_webhook_ntfy_and_gotify_urls(void **state)
{
    (void)state;
    static const int ok[] = {200};
    struct receiver r;
    receiver_start(&r, ok, 1, NULL, NULL);
    /* ntfy: the topic is the URL's last segment; the JSON goes to the server's root. */
    struct webhook *w = make(&r, "/lookout-alerts", WEBHOOK_NTFY, 0, 2000, NULL);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    run_until(&r, w, 1);
    webhook_free(w);
    assert_string_equal(r.uri[0], "/");
    assert_non_null(
        strstr(r.body[0], "{\"topic\":\"lookout-alerts\",\"title\":\"Motion: Garden\""));
    /* Gotify: POST /message?token=... as given. */
    w = make(&r, "/message?token=AbC", WEBHOOK_GOTIFY, 0, 2000, NULL);
    assert_int_equal(webhook_send(w, &ev_end), 0);
    run_until(&r, w, 1);
    webhook_free(w);
    assert_string_equal(r.uri[1], "/message?token=AbC");
    assert_non_null(strstr(r.body[1], "\"client::notification\""));
    receiver_stop(&r);
}

static void test_webhook_https_verifies_the_certificate(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    assert_non_null(dir);
    char cert[512], key[512], other[512], other_key[512];
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(other, sizeof(other), "%s/other.pem", dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", dir);
    assert_int_equal(ts_tls_cert_make(cert, key, 1), 0);
    assert_int_equal(ts_tls_cert_make(other, other_key, 2), 0);
    static const int ok[] = {200};
    struct receiver r;
    receiver_start(&r, ok, 1, cert, key);
    struct webhook *w = make(&r, "/", WEBHOOK_JSON, 0, 2000, cert);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    run_until(&r, w, 1);
    struct webhook_stats st;
    webhook_get_stats(w, &st);
    assert_int_equal(st.delivered, 1);
    webhook_free(w);
    /* Another CA: the handshake fails, nothing reaches the receiver. */
    w = make(&r, "/", WEBHOOK_JSON, 0, 2000, other);
    assert_int_equal(webhook_send(w, &ev_start), 0);
    run_until(&r, w, 1);
    webhook_get_stats(w, &st);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(r.seen, 1);
    webhook_free(w);
    receiver_stop(&r);
    ts_tmpdir_free(dir);
}

static void test_webhook_bad_urls(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    static const char *const bad[] = {"", "ftp://x/", "http://", "https:///path", "mqtt://h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct webhook_config c = {.url = bad[i], .timeout_ms = 1000};
        const char *err = NULL;
        assert_null(webhook_new(base, &c, &err));
        assert_non_null(err);
    }
    struct webhook_config c = {.url = "https://ntfy.sh/", .format = WEBHOOK_NTFY};
    const char *err = NULL;
    assert_null(webhook_new(base, &c, &err)); /* ntfy needs the topic */
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_start_and_end_with_the_documented_body),
        cmocka_unit_test(test_webhook_500_twice_then_the_third_try),
        cmocka_unit_test(test_webhook_gives_up_after_the_bound),
        cmocka_unit_test(test_webhook_hang_times_out),
        cmocka_unit_test(test_webhook_ntfy_and_gotify_urls),
        cmocka_unit_test(test_webhook_https_verifies_the_certificate),
        cmocka_unit_test(test_webhook_bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
