/* Unit tests for core/mjpeg_parser: streams fed whole, at every split point, byte by byte, and
 * placed against a PROT_NONE guard page so that any read past the input crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mjpeg_parser.h"
#include "mjpeg_writer.h"

#define MAX_FRAMES 16

struct collected {
    char frames[MAX_FRAMES][256];
    size_t lens[MAX_FRAMES];
    int count;
    int begins;
    int too_big;
    int bad_headers;
    int ended;
    char current[4096];
    size_t current_len;
    long content_length[MAX_FRAMES];
    char x_fields[MAX_FRAMES][MJPEG_X_FIELDS_MAX];
};

/* Feed `len` bytes in slices of `slice` bytes (0 = whole), as a network reader would. */
static void feed(struct mjpeg_parser *p, struct collected *c, const uint8_t *in, size_t len)
{
    size_t off = 0;
    for (;;) {
        size_t used = 0;
        struct mjpeg_span span;
        enum mjpeg_result r = mjpeg_parser_feed(p, in + off, len - off, &used, &span);
        off += used;
        assert_true(off <= len);
        switch (r) {
        case MJPEG_NEED_MORE:
            assert_int_equal(off, len);
            return;
        case MJPEG_PART_BEGIN:
            c->begins++;
            c->current_len = 0;
            if (c->count < MAX_FRAMES) {
                c->content_length[c->count] = p->content_length;
                assert_int_equal(strlen(p->x_fields), p->x_fields_len);
                memcpy(c->x_fields[c->count], p->x_fields, p->x_fields_len + 1);
            }
            break;
        case MJPEG_DATA:
            assert_true(span.len > 0);
            assert_true(c->current_len + span.len <= sizeof(c->current));
            memcpy(c->current + c->current_len, span.data, span.len);
            c->current_len += span.len;
            break;
        case MJPEG_PART_END:
            assert_true(c->count < MAX_FRAMES);
            assert_true(c->current_len < sizeof(c->frames[0]));
            memcpy(c->frames[c->count], c->current, c->current_len);
            c->lens[c->count++] = c->current_len;
            c->current_len = 0;
            break;
        case MJPEG_ERR_TOO_BIG:
            c->too_big++;
            c->current_len = 0;
            break;
        case MJPEG_ERR_HEADERS:
            c->bad_headers++;
            c->current_len = 0;
            break;
        case MJPEG_END:
            c->ended++;
            break;
        }
    }
}

static void feed_sliced(const char *boundary, size_t max, const char *stream, size_t len,
                        size_t slice, struct collected *c)
{
    struct mjpeg_parser p;
    memset(c, 0, sizeof(*c));
    assert_int_equal(mjpeg_parser_init(&p, boundary, max), 0);
    if (slice == 0)
        slice = len ? len : 1;
    for (size_t off = 0; off < len; off += slice) {
        size_t n = len - off < slice ? len - off : slice;
        feed(&p, c, (const uint8_t *)stream + off, n);
    }
    feed(&p, c, (const uint8_t *)"", 0);
}

static void assert_frame(const struct collected *c, int i, const char *want)
{
    assert_true(i < c->count);
    assert_int_equal(c->lens[i], strlen(want));
    assert_memory_equal(c->frames[i], want, strlen(want));
}

/* The ESP32 firmware's wire format, built with our own writer. */
static size_t esp32_stream(char *out, size_t cap, const char *const *parts, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        int h = mjpeg_write_part_header(out + len, cap - len, MJPEG_ESP32_BOUNDARY,
                                        strlen(parts[i]), "X-Timestamp: 1.5\r\n");
        assert_true(h > 0);
        len += (size_t)h;
        memcpy(out + len, parts[i], strlen(parts[i]));
        len += strlen(parts[i]);
    }
    return len;
}

static const char *const three[] = {"\xff\xd8 first \r\n-- not a delimiter\xff\xd9",
                                    "\xff\xd8second\n\r\n--1234\xff\xd9", "\xff\xd8third\xff\xd9"};

static void test_mjpeg_parser_every_split_point(void **state)
{
    (void)state;
    char buf[2048];
    size_t len = esp32_stream(buf, sizeof(buf), three, 3);
    /* Two slices split at every offset, so every state sees a slice end. */
    for (size_t cut = 0; cut <= len; cut++) {
        struct mjpeg_parser p;
        struct collected c;
        memset(&c, 0, sizeof(c));
        assert_int_equal(mjpeg_parser_init(&p, MJPEG_ESP32_BOUNDARY, 1000), 0);
        feed(&p, &c, (const uint8_t *)buf, cut);
        feed(&p, &c, (const uint8_t *)buf + cut, len - cut);
        assert_int_equal(c.count, 3);
        for (int i = 0; i < 3; i++)
            assert_frame(&c, i, three[i]);
        assert_int_equal(p.parts, 3);
        assert_int_equal(p.errors, 0);
    }
}

static void test_mjpeg_parser_byte_by_byte(void **state)
{
    (void)state;
    char buf[2048];
    size_t len = esp32_stream(buf, sizeof(buf), three, 3);
    struct collected c;
    feed_sliced(MJPEG_ESP32_BOUNDARY, 1000, buf, len, 1, &c);
    assert_int_equal(c.count, 3);
    for (int i = 0; i < 3; i++)
        assert_frame(&c, i, three[i]);
}

/* A part with Content-Length ends when its last byte arrives, not at the next delimiter. */
static void test_mjpeg_parser_part_end_without_next_delimiter(void **state)
{
    (void)state;
    const char *s = "--b\r\nContent-Length: 4\r\n\r\nJPEG";
    struct collected c;
    feed_sliced("b", 100, s, strlen(s), 0, &c);
    assert_int_equal(c.count, 1);
    assert_frame(&c, 0, "JPEG");
    assert_int_equal(c.content_length[0], 4);
}

static void test_mjpeg_parser_lf_only(void **state)
{
    (void)state;
    const char *s = "--b\nContent-Type: image/jpeg\nContent-Length: 3\n\nabc\n--b\n"
                    "Content-Type: image/jpeg\n\nxyz\n--b\n\nlast\n--b--\n";
    struct collected c;
    for (size_t slice = 0; slice < 5; slice++) {
        feed_sliced("b", 100, s, strlen(s), slice, &c);
        assert_int_equal(c.count, 3);
        assert_frame(&c, 0, "abc");
        assert_frame(&c, 1, "xyz");
        assert_frame(&c, 2, "last");
        assert_int_equal(c.ended, 1);
    }
}

static void test_mjpeg_parser_missing_content_length(void **state)
{
    (void)state;
    /* Without Content-Length the part ends at CRLF--boundary; near-misses are body bytes. */
    const char *s = "\r\n--frame\r\nContent-Type: image/jpeg\r\n\r\n"
                    "ab\r\n--fram\r\n--framex\n-frame\r\r\n--frame \t\r\n"
                    "Content-Type: image/jpeg\r\n\r\nsecond\r\n--frame\r\n";
    struct collected c;
    for (size_t slice = 0; slice < 7; slice++) {
        feed_sliced("frame", 100, s, strlen(s), slice, &c);
        assert_int_equal(c.count, 2);
        assert_frame(&c, 0, "ab\r\n--fram\r\n--framex\n-frame\r");
        assert_frame(&c, 1, "second");
        assert_int_equal(c.content_length[0], -1);
    }
}

static void test_mjpeg_parser_boundary_dashes_in_header(void **state)
{
    (void)state;
    /* Header says boundary=--myboundary; bodies in the wild use both "--myboundary" and
     * "----myboundary". */
    const char *s = "--myboundary\r\nContent-Length: 1\r\n\r\nA\r\n"
                    "----myboundary\r\nContent-Length: 1\r\n\r\nB\r\n"
                    "myboundary\r\nContent-Length: 1\r\n\r\nC";
    struct collected c;
    feed_sliced("--myboundary", 100, s, strlen(s), 0, &c);
    assert_int_equal(c.count, 3);
    assert_frame(&c, 0, "A");
    assert_frame(&c, 1, "B");
    assert_frame(&c, 2, "C");
}

static void test_mjpeg_parser_garbage_before_first_boundary(void **state)
{
    (void)state;
    const char *s = "HTTP junk\r\nmore --b junk\r\n--bx\r\n\r\n--b\r\nContent-Length: 2\r\n\r\nok";
    struct collected c;
    feed_sliced("b", 100, s, strlen(s), 1, &c);
    assert_int_equal(c.count, 1);
    assert_frame(&c, 0, "ok");
}

static void test_mjpeg_parser_oversized_then_recovery(void **state)
{
    (void)state;
    /* One part declared too big, one too big without Content-Length, then good ones. */
    const char *s =
        "--b\r\nContent-Length: 50\r\n\r\n01234567890123456789012345678901234567890123456789"
        "\r\n--b\r\n\r\n0123456789012345678901234567890\r\n"
        "--b\r\nContent-Length: 5\r\n\r\nsmall\r\n--b\r\n\r\ntiny\r\n--b\r\n";
    struct collected c;
    for (size_t slice = 0; slice < 4; slice++) {
        struct mjpeg_parser p;
        memset(&c, 0, sizeof(c));
        assert_int_equal(mjpeg_parser_init(&p, "b", 10), 0);
        for (size_t off = 0; off < strlen(s); off += slice ? slice : strlen(s))
            feed(&p, &c, (const uint8_t *)s + off,
                 slice && strlen(s) - off > slice ? slice : strlen(s) - off);
        assert_int_equal(c.too_big, 2);
        assert_int_equal(p.errors, 2);
        assert_int_equal(c.count, 2);
        assert_frame(&c, 0, "small");
        assert_frame(&c, 1, "tiny");
    }
}

static void test_mjpeg_parser_bad_headers(void **state)
{
    (void)state;
    char s[8192];
    /* A malformed Content-Length (the delimiter ends that part), then a header block over
     * MJPEG_HEADERS_MAX (dropped), then a good part. */
    int n = snprintf(s, sizeof(s), "--b\r\nContent-Length: 12x\r\n\r\nzz\r\n--b\r\n");
    for (int i = 0; i < 100; i++)
        n += snprintf(s + n, sizeof(s) - (size_t)n, "X-Filler-%02d: %0*d\r\n", i, 60, i);
    n += snprintf(s + n, sizeof(s) - (size_t)n, "\r\nbody\r\n--b\r\nContent-Length: 2\r\n\r\nok");
    struct collected c;
    feed_sliced("b", 100, s, (size_t)n, 3, &c);
    assert_int_equal(c.bad_headers, 1);
    assert_int_equal(c.count, 2);
    assert_frame(&c, 0, "zz");
    assert_frame(&c, 1, "ok");
}

/* Feed s whole, byte by byte and split in two at every offset; each way must give exactly the
 * frames in want (n of them) and `length_errors` Content-Length errors. */
static void assert_frames_every_way(const char *boundary, const char *s, const char *const *want,
                                    int n, unsigned long length_errors)
{
    size_t len = strlen(s);
    for (size_t way = 0; way <= len + 1; way++) {
        struct mjpeg_parser p;
        struct collected c;
        memset(&c, 0, sizeof(c));
        assert_int_equal(mjpeg_parser_init(&p, boundary, 1000), 0);
        if (way == 0) {
            feed(&p, &c, (const uint8_t *)s, len);
        } else if (way == 1) {
            for (size_t i = 0; i < len; i++)
                feed(&p, &c, (const uint8_t *)s + i, 1);
        } else {
            feed(&p, &c, (const uint8_t *)s, way - 2);
            feed(&p, &c, (const uint8_t *)s + way - 2, len - (way - 2));
        }
        if (c.count != n)
            fail_msg("way %zu: %d frames, want %d", way, c.count, n);
        for (int i = 0; i < n; i++) {
            assert_frame(&c, i, want[i]);
            /* Never a part holding a delimiter. */
            assert_null(memmem(c.frames[i], c.lens[i], "\n--", 3));
        }
        assert_int_equal(p.length_errors, length_errors);
    }
}

/* A camera that miscounts upwards: the delimiter ends the part, the next part is not swallowed. */
static void test_mjpeg_parser_length_too_large(void **state)
{
    (void)state;
    const char *s = "--b\r\nContent-Length: 10\r\n\r\nAB\r\n"
                    "--b\r\nContent-Length: 2\r\n\r\nCD\r\n"
                    "--b\r\nContent-Length: 900\r\n\r\nEF\r\n--b\r\n\r\nGH\r\n--b--\r\n";
    const char *const want[] = {"AB", "CD", "EF", "GH"};
    assert_frames_every_way("b", s, want, 4, 1);
}

/* A camera that miscounts downwards: that one part ends short (it ended on its declared last
 * byte, before the lie could show); from then on parts end at their delimiters. */
static void test_mjpeg_parser_length_too_small(void **state)
{
    (void)state;
    const char *s = "--b\r\nContent-Length: 2\r\n\r\nABCD\r\n"
                    "--b\r\nContent-Length: 2\r\n\r\nEF\r\n"
                    "--b\r\nContent-Length: 1\r\n\r\nGHIJ\r\n--b--";
    const char *const want[] = {"AB", "EF", "GHIJ"};
    assert_frames_every_way("b", s, want, 3, 1);
    struct collected c;
    feed_sliced("b", 100, s, strlen(s), 0, &c);
    assert_int_equal(c.content_length[0], 2);
    assert_int_equal(c.content_length[1], -1); /* not believed any more */
    assert_int_equal(c.content_length[2], -1);
}

/* Malformed, negative and contradictory lengths are ignored for their part: the delimiter ends
 * it. A length that counts the delimiter's CRLF, or blanks after the body, is no lie. */
static void test_mjpeg_parser_length_malformed(void **state)
{
    (void)state;
    const char *s = "--b\r\nContent-Length: -5\r\n\r\nneg\r\n"
                    "--b\r\nCONTENT-LENGTH: five\r\n\r\nword\r\n"
                    "--b\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\ntwo\r\n"
                    "--b\r\nContent-Length: +4\r\n\r\nplus\r\n--b--";
    const char *const want[] = {"neg", "word", "two", "plus"};
    assert_frames_every_way("b", s, want, 4, 4);

    const char *crlf = "--b\r\nContent-Length: 4\r\n\r\nAB\r\n--b\r\n"
                       "content-length : 2\r\n\r\nCD \r\n\r\n--b\r\nContent-Length: 2\r\n\r\nEF";
    const char *const want_crlf[] = {"AB", "CD", "EF"};
    assert_frames_every_way("b", crlf, want_crlf, 3, 0);
}

/* A stream whose boundary came from a spelled-out header (quoted, with \-pairs) parses like
 * any other (the spellings themselves: test_mjpeg_content_type). */
static void test_mjpeg_parser_content_type_spellings(void **state)
{
    (void)state;
    char b[MJPEG_BOUNDARY_MAX + 1];
    assert_int_equal(mjpeg_boundary_from_content_type(
                         "multipart/x-mixed-replace; boundary=\"a\\\"b\\\\c\"", b, sizeof(b)),
                     0);
    const char *s = "--a\"b\\c\r\nContent-Length: 2\r\n\r\nOK\r\n--a\"b\\c--";
    const char *const want[] = {"OK"};
    assert_frames_every_way(b, s, want, 1, 0);
}

static void test_mjpeg_parser_long_header_line_ignored(void **state)
{
    (void)state;
    char s[2048];
    int n = snprintf(s, sizeof(s), "--b\r\nX-Long: %0*d\r\nContent-Length: 3\r\n\r\nabc", 600, 7);
    struct collected c;
    feed_sliced("b", 100, s, (size_t)n, 0, &c);
    assert_int_equal(c.count, 1);
    assert_frame(&c, 0, "abc");
}

static void test_mjpeg_parser_empty_part_and_close(void **state)
{
    (void)state;
    const char *s = "--b\r\nContent-Length: 0\r\n\r\n\r\n--b--\r\nafter the end";
    struct collected c;
    feed_sliced("b", 100, s, strlen(s), 0, &c);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.lens[0], 0);
    assert_int_equal(c.ended, 1);
}

static void test_mjpeg_parser_init_rejects_bad_boundaries(void **state)
{
    (void)state;
    struct mjpeg_parser p;
    char long_boundary[MJPEG_BOUNDARY_MAX + 2];
    memset(long_boundary, 'x', sizeof(long_boundary) - 1);
    long_boundary[sizeof(long_boundary) - 1] = '\0';
    assert_int_equal(mjpeg_parser_init(&p, "", 10), -EINVAL);
    assert_int_equal(mjpeg_parser_init(&p, "--", 10), -EINVAL);
    assert_int_equal(mjpeg_parser_init(&p, "a\nb", 10), -EINVAL);
    assert_int_equal(mjpeg_parser_init(&p, long_boundary, 10), -EINVAL);
    assert_int_equal(mjpeg_parser_init(&p, "ok", 0), -EINVAL);
    assert_int_equal(mjpeg_parser_init(&p, "ok", 10), 0);
}

/* Input that ends exactly at a PROT_NONE page: any read past `len` faults. */
static void test_mjpeg_parser_guard_page(void **state)
{
    (void)state;
    char buf[2048];
    size_t len = esp32_stream(buf, sizeof(buf), three, 3);
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (len + (size_t)page - 1) / (size_t)page;
    uint8_t *map = mmap(NULL, (pages + 1) * (size_t)page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + pages * (size_t)page, (size_t)page, PROT_NONE), 0);
    uint8_t *start = map + pages * (size_t)page - len;
    memcpy(start, buf, len);
    for (size_t cut = 0; cut <= len; cut += 7) {
        struct mjpeg_parser p;
        struct collected c;
        memset(&c, 0, sizeof(c));
        assert_int_equal(mjpeg_parser_init(&p, MJPEG_ESP32_BOUNDARY, 1000), 0);
        /* The first slice is moved to end at the guard too. */
        uint8_t *first = map + pages * (size_t)page - cut;
        memmove(first, buf, cut);
        feed(&p, &c, first, cut);
        memcpy(start, buf, len);
        feed(&p, &c, start + cut, len - cut);
        assert_int_equal(c.count, 3);
    }
    munmap(map, (pages + 1) * (size_t)page);
}

/* Each part's X- header lines, whatever the slicing, and only that part's. */
static void test_mjpeg_parser_x_fields(void **state)
{
    (void)state;
    const char *s = "--b\r\nX-Timestamp: 1.5\r\nContent-Type: image/jpeg\r\nx-pan:92.5\n"
                    "Content-Length: 2\r\n\r\nab\r\n--b\r\nContent-Length: 1\r\n\r\nc"
                    "\r\n--b\r\nX-Tilt: -3\r\n\r\nd\r\n--b--\r\n";
    for (size_t slice = 0; slice < 8; slice++) {
        struct collected c;
        feed_sliced("b", 100, s, strlen(s), slice, &c);
        assert_int_equal(c.count, 3);
        assert_string_equal(c.x_fields[0], "X-Timestamp: 1.5\r\nx-pan:92.5\r\n");
        assert_string_equal(c.x_fields[1], "");
        assert_string_equal(c.x_fields[2], "X-Tilt: -3\r\n");
    }
}

/* Lines that do not fit are left out whole; the ones before them stay. */
static void test_mjpeg_parser_x_fields_bounded(void **state)
{
    (void)state;
    char s[1024];
    int n = snprintf(s, sizeof(s),
                     "--b\r\nX-A: %0*d\r\nX-B: %0*d\r\nX-C: 1\r\n"
                     "Content-Length: 1\r\n\r\nz",
                     200, 1, 100, 2);
    struct collected c;
    feed_sliced("b", 100, s, (size_t)n, 0, &c);
    assert_int_equal(c.count, 1);
    assert_true(strncmp(c.x_fields[0], "X-A: 000", 8) == 0);
    assert_null(strstr(c.x_fields[0], "X-B"));
    assert_non_null(strstr(c.x_fields[0], "X-C: 1\r\n"));
    assert_true(strlen(c.x_fields[0]) < MJPEG_X_FIELDS_MAX);
}

static void test_mjpeg_writer_angle_fields(void **state)
{
    (void)state;
    char out[64];
    int n = mjpeg_write_angle_fields(out, sizeof(out), 92500, 90000);
    assert_string_equal(out, "X-Pan: 92.5\r\nX-Tilt: 90\r\n");
    assert_int_equal(n, (int)strlen(out));
    mjpeg_write_angle_fields(out, sizeof(out), -250, 7);
    assert_string_equal(out, "X-Pan: -0.25\r\nX-Tilt: 0.007\r\n");
    mjpeg_write_angle_fields(out, sizeof(out), -2147483647 - 1, 0);
    assert_string_equal(out, "X-Pan: -2147483.648\r\nX-Tilt: 0\r\n");
    assert_int_equal(mjpeg_write_angle_fields(out, 10, 1, 1), -ENOSPC);
}

static void test_mjpeg_writer_formats(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(mjpeg_write_content_type(out, sizeof(out), "abc"),
                     (int)strlen("multipart/x-mixed-replace;boundary=abc"));
    assert_string_equal(out, "multipart/x-mixed-replace;boundary=abc");
    int n = mjpeg_write_part_header(out, sizeof(out), "abc", 1234, NULL);
    assert_string_equal(out,
                        "\r\n--abc\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n\r\n");
    assert_int_equal(n, (int)strlen(out));
    assert_int_equal(mjpeg_write_part_header(out, 10, "abc", 1, NULL), -ENOSPC);
    assert_int_equal(mjpeg_write_part_header(out, sizeof(out), "", 1, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mjpeg_parser_every_split_point),
        cmocka_unit_test(test_mjpeg_parser_byte_by_byte),
        cmocka_unit_test(test_mjpeg_parser_part_end_without_next_delimiter),
        cmocka_unit_test(test_mjpeg_parser_lf_only),
        cmocka_unit_test(test_mjpeg_parser_missing_content_length),
        cmocka_unit_test(test_mjpeg_parser_boundary_dashes_in_header),
        cmocka_unit_test(test_mjpeg_parser_garbage_before_first_boundary),
        cmocka_unit_test(test_mjpeg_parser_oversized_then_recovery),
        cmocka_unit_test(test_mjpeg_parser_bad_headers),
        cmocka_unit_test(test_mjpeg_parser_length_too_large),
        cmocka_unit_test(test_mjpeg_parser_length_too_small),
        cmocka_unit_test(test_mjpeg_parser_length_malformed),
        cmocka_unit_test(test_mjpeg_parser_content_type_spellings),
        cmocka_unit_test(test_mjpeg_parser_long_header_line_ignored),
        cmocka_unit_test(test_mjpeg_parser_empty_part_and_close),
        cmocka_unit_test(test_mjpeg_parser_init_rejects_bad_boundaries),
        cmocka_unit_test(test_mjpeg_parser_guard_page),
        cmocka_unit_test(test_mjpeg_parser_x_fields),
        cmocka_unit_test(test_mjpeg_parser_x_fields_bounded),
        cmocka_unit_test(test_mjpeg_writer_angle_fields),
        cmocka_unit_test(test_mjpeg_writer_formats),
    };
    return cmocka_run_group_tests_name("mjpeg_parser", tests, NULL, NULL);
}
