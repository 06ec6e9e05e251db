#include "bench_selftest.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench_http.h"
#include "bench_stats.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "lookout-bench: self-test failed: %s:%d: %s\n", __FILE__, __LINE__,    \
                    #cond);                                                                        \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int test_head(void)
{
    int failures = 0;
    static const char head[] =
        "HTTP/1.1 200 OK\r\n"
        "Date: Mon, 30 Nov 2026 06:54:34 GMT\r\n"
        "content-type:  multipart/x-mixed-replace; boundary=BoundaryString\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n";
    char buf[sizeof(head) + 8];
    memcpy(buf, head, sizeof(head) - 1);
    memcpy(buf + sizeof(head) - 1, "BODY", 4);
    struct bench_http_head h;
    /* Every proper prefix is incomplete; the whole head is found, body bytes excluded. */
    for (size_t len = 0; len < sizeof(head) - 1; len++)
        CHECK(bench_http_parse_head(buf, len, &h) == 0);
    CHECK(bench_http_parse_head(buf, sizeof(head) - 1 + 4, &h) == (long)sizeof(head) - 1);
    CHECK(h.status == 200);
    CHECK(h.is_chunked == 1);
    CHECK(strcmp(h.content_type, "multipart/x-mixed-replace; boundary=BoundaryString") == 0);

    static const char bare_lf[] = "HTTP/1.0 200 OK\nContent-type: multipart/x-mixed-replace;"
                                  "boundary=x\nConnection: close\n\n--x\n";
    CHECK(bench_http_parse_head(bare_lf, sizeof(bare_lf) - 1, &h) == (long)sizeof(bare_lf) - 5);
    CHECK(h.status == 200 && h.is_chunked == 0);
    CHECK(strcmp(h.content_type, "multipart/x-mixed-replace;boundary=x") == 0);

    static const char not_http[] = "SSH-2.0-OpenSSH\r\n\r\n";
    CHECK(bench_http_parse_head(not_http, sizeof(not_http) - 1, &h) == -EPROTO);
    static const char status_401[] = "HTTP/1.1 401 Unauthorized\r\n\r\n";
    CHECK(bench_http_parse_head(status_401, sizeof(status_401) - 1, &h) > 0 && h.status == 401);
    return failures;
}

/* Decode `in` feeding `step` bytes at a time (0: all at once); returns the result at the end. */
static enum bench_chunked_result decode(const char *in, size_t len, size_t step, char *out,
                                        size_t *out_len)
{
    struct bench_chunked c;
    bench_chunked_init(&c);
    *out_len = 0;
    enum bench_chunked_result r = BENCH_CHUNKED_OK;
    size_t pos = 0;
    while (pos < len && r == BENCH_CHUNKED_OK) {
        size_t n = step == 0 || len - pos < step ? len - pos : step;
        const uint8_t *slice = (const uint8_t *)in + pos;
        while (n > 0 && r == BENCH_CHUNKED_OK) {
            size_t used;
            const uint8_t *data;
            size_t data_len;
            r = bench_chunked_decode(&c, slice, n, &used, &data, &data_len);
            if (data_len > 0)
                memcpy(out + *out_len, data, data_len);
            *out_len += data_len;
            slice += used;
            n -= used;
            pos += used;
        }
    }
    return r;
}

static int test_chunked(void)
{
    int failures = 0;
    /* Sizes in hex (one upper-case), an extension, a trailer after the last chunk. */
    static const char body[] = "4\r\n--ab\r\n"
                               "16;name=value\r\nContent-Length: 5\r\n\r\nJ\r\n"
                               "5\r\nPEG\r\n\r\n"
                               "A\r\n0123456789\r\n"
                               "0\r\nTrailer: x\r\n\r\n";
    static const char want[] = "--abContent-Length: 5\r\n\r\nJPEG\r\n0123456789";
    char out[sizeof(body)];
    size_t out_len;
    for (size_t step = 0; step <= 7; step++) {
        CHECK(decode(body, sizeof(body) - 1, step, out, &out_len) == BENCH_CHUNKED_END);
        CHECK(out_len == sizeof(want) - 1 && memcmp(out, want, out_len) == 0);
    }
    /* A body that is not chunked at all is an error, not silence. */
    static const char plain[] = "--frame\r\nContent-Type: image/jpeg\r\n";
    CHECK(decode(plain, sizeof(plain) - 1, 0, out, &out_len) == BENCH_CHUNKED_ERROR);
    static const char huge[] = "1000000000000\r\n";
    CHECK(decode(huge, sizeof(huge) - 1, 1, out, &out_len) == BENCH_CHUNKED_ERROR);
    return failures;
}

static int test_stats(void)
{
    int failures = 0;
    static struct bench_hist h; /* ~100 KB: not on the stack */
    bench_hist_init(&h);
    CHECK(bench_hist_percentile(&h, 0.5) == -1);
    for (int i = 1; i <= 100; i++)
        bench_hist_add(&h, i * 100); /* 0.1 ms .. 10 ms */
    CHECK(bench_hist_percentile(&h, 0.50) == 5000);
    CHECK(bench_hist_percentile(&h, 0.99) == 9900);
    bench_hist_add(&h, 20000000); /* 20 s: 100 ms buckets */
    CHECK(bench_hist_percentile(&h, 1.0) == 20000000);
    bench_hist_add(&h, 200000000); /* over 120 s: the overflow bucket */
    CHECK(bench_hist_percentile(&h, 1.0) == BENCH_HIST_MAX_US);
    double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2};
    CHECK(bench_median(odd, 3) == 2.0);
    CHECK(bench_median(even, 4) == 2.5);
    return failures;
}

int bench_selftest(void)
{
    return test_head() + test_chunked() + test_stats();
}
