/* Unit tests for common/json_escape and relay/http/reply's reply_json_string built on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <event2/buffer.h>

#include "json_escape.h"
#include "reply.h"

/* reply_json_string(s) as a NUL-terminated string in out. */
static void quoted(const char *s, char *out, size_t out_size)
{
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    reply_json_string(b, s);
    size_t n = evbuffer_get_length(b);
    assert_true(n < out_size);
    evbuffer_remove(b, out, n);
    out[n] = '\0';
    evbuffer_free(b);
}

static void test_json_escape_pieces(void **state)
{
    (void)state;
    char piece[JSON_ESCAPE_PIECE_MAX];
    size_t step = 0;
    assert_int_equal(json_escape_char("a", piece, &step), 1);
    assert_int_equal(step, 1);
    assert_memory_equal(piece, "a", 1);
    assert_int_equal(json_escape_char("\"x", piece, &step), 2);
    assert_memory_equal(piece, "\\\"", 2);
    assert_int_equal(json_escape_char("\x1f", piece, &step), 6);
    assert_memory_equal(piece, "\\u001f", 6);
    assert_int_equal(json_escape_char("\x7f", piece, &step), 6);
    assert_memory_equal(piece, "\\u007f", 6);
    /* A four-byte character is one piece; a sequence cut by the end is one invalid byte. */
    assert_int_equal(json_escape_char("\xf0\x9f\x93\xb7", piece, &step), 4);
    assert_int_equal(step, 4);
    assert_int_equal(json_escape_char("\xf0\x9f\x93", piece, &step), 6);
    assert_int_equal(step, 1);
    assert_memory_equal(piece, "\\ufffd", 6);
}

static void test_json_escape_reply_string(void **state)
{
    (void)state;
    char out[128];
    quoted("plain", out, sizeof(out));
    assert_string_equal(out, "\"plain\"");
    quoted("a\"b\\c\nd", out, sizeof(out));
    assert_string_equal(out, "\"a\\\"b\\\\c\\u000ad\"");
    /* UTF-8 stays; Latin-1 bytes (an old users file) and a surrogate become U+FFFD, so the
     * reply is valid JSON in UTF-8 whatever the input. */
    quoted("M\xc3\xbcller", out, sizeof(out));
    assert_string_equal(out, "\"M\xc3\xbcller\"");
    quoted("M\xfcller \xed\xa0\x80", out, sizeof(out));
    assert_string_equal(out, "\"M\\ufffdller \\ufffd\\ufffd\\ufffd\"");
    /* Whole, however long (the users API cut its strings at 511 bytes before). */
    char long_in[1000];
    memset(long_in, 'x', sizeof(long_in) - 1);
    long_in[sizeof(long_in) - 1] = '\0';
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    reply_json_string(b, long_in);
    assert_int_equal(evbuffer_get_length(b), sizeof(long_in) - 1 + 2);
    evbuffer_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escape_pieces),
        cmocka_unit_test(test_json_escape_reply_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
