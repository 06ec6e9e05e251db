/* Unit tests for core/query: every error has its own code, good input parses exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "query.h"

static enum query_status parse(const char *q, struct query_move *m, char *reason)
{
    return query_parse(q, m, reason, QUERY_REASON_MAX);
}

static void expect_error(const char *q, enum query_status want, const char *want_reason)
{
    struct query_move m;
    char reason[QUERY_REASON_MAX];
    assert_int_equal(parse(q, &m, reason), want);
    assert_false(m.has_pan);
    assert_false(m.has_tilt);
    if (want_reason != NULL)
        assert_string_equal(reason, want_reason);
    assert_null(strchr(reason, '\n'));
}

static void test_query_relative_both_axes(void **state)
{
    (void)state;
    struct query_move m;
    char reason[QUERY_REASON_MAX];
    assert_int_equal(parse("tr=5&el=-10", &m, reason), QUERY_OK);
    assert_int_equal(m.mode, QUERY_MODE_RELATIVE);
    assert_true(m.has_pan);
    assert_true(m.has_tilt);
    assert_int_equal(m.pan_deg, 5);
    assert_int_equal(m.tilt_deg, -10);
    assert_string_equal(reason, "");
}

static void test_query_relative_single_key(void **state)
{
    (void)state;
    struct query_move m;
    assert_int_equal(parse("el=7", &m, NULL), QUERY_OK);
    assert_int_equal(m.mode, QUERY_MODE_RELATIVE);
    assert_false(m.has_pan);
    assert_true(m.has_tilt);
    assert_int_equal(m.tilt_deg, 7);
    assert_int_equal(parse("tr=-180", &m, NULL), QUERY_OK);
    assert_true(m.has_pan);
    assert_false(m.has_tilt);
    assert_int_equal(m.pan_deg, -180);
}

static void test_query_absolute(void **state)
{
    (void)state;
    struct query_move m;
    assert_int_equal(parse("pan=0&tilt=180", &m, NULL), QUERY_OK);
    assert_int_equal(m.mode, QUERY_MODE_ABSOLUTE);
    assert_int_equal(m.pan_deg, 0);
    assert_int_equal(m.tilt_deg, 180);
    assert_int_equal(parse("tilt=45", &m, NULL), QUERY_OK);
    assert_int_equal(m.mode, QUERY_MODE_ABSOLUTE);
    assert_false(m.has_pan);
    assert_int_equal(m.tilt_deg, 45);
}

static void test_query_plus_sign_and_percent_encoding(void **state)
{
    (void)state;
    struct query_move m;
    assert_int_equal(parse("tr=+5", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 5);
    assert_int_equal(parse("tr=%2B5", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 5);
    assert_int_equal(parse("tr=%2D5", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, -5);
    assert_int_equal(parse("tr=%2b%35", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 5);
    assert_int_equal(parse("%74r=3", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 3);
    assert_int_equal(parse("tr=-0&el=007", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 0);
    assert_int_equal(m.tilt_deg, 7);
}

static void test_query_empty(void **state)
{
    (void)state;
    expect_error("", QUERY_ERR_EMPTY, "empty query: expected tr=INT&el=INT or pan=DEG&tilt=DEG");
    expect_error(NULL, QUERY_ERR_EMPTY, NULL);
}

static void test_query_empty_value(void **state)
{
    (void)state;
    expect_error("tr=", QUERY_ERR_NO_VALUE, "tr: missing value");
    expect_error("tr", QUERY_ERR_NO_VALUE, "tr: missing value");
    expect_error("tr=1&el=", QUERY_ERR_NO_VALUE, "el: missing value");
}

static void test_query_not_integer(void **state)
{
    (void)state;
    expect_error("tr=abc", QUERY_ERR_NOT_INTEGER, "tr: not an integer: \"abc\"");
    expect_error("tr=5.0", QUERY_ERR_NOT_INTEGER, "tr: not an integer: \"5.0\"");
    expect_error("tr=0x10", QUERY_ERR_NOT_INTEGER, "tr: not an integer: \"0x10\"");
    expect_error("tr= 5", QUERY_ERR_NOT_INTEGER, "tr: not an integer: \" 5\"");
    expect_error("tr=%205", QUERY_ERR_NOT_INTEGER, "tr: not an integer: \"%205\"");
    expect_error("tr=5 ", QUERY_ERR_NOT_INTEGER, NULL);
    expect_error("tr=+", QUERY_ERR_NOT_INTEGER, NULL);
    expect_error("tr=-", QUERY_ERR_NOT_INTEGER, NULL);
    expect_error("tr=+-5", QUERY_ERR_NOT_INTEGER, NULL);
    expect_error("tr=5%00", QUERY_ERR_NOT_INTEGER, NULL);
    expect_error("tr=1=2", QUERY_ERR_NOT_INTEGER, NULL);
}

static void test_query_out_of_range(void **state)
{
    (void)state;
    expect_error("tr=181", QUERY_ERR_OUT_OF_RANGE, "tr: 181 out of range -180..180");
    expect_error("el=-181", QUERY_ERR_OUT_OF_RANGE, "el: -181 out of range -180..180");
    expect_error("pan=-1", QUERY_ERR_OUT_OF_RANGE, "pan: -1 out of range 0..180");
    expect_error("tilt=181", QUERY_ERR_OUT_OF_RANGE, "tilt: 181 out of range 0..180");
    expect_error("tr=2147483647", QUERY_ERR_OUT_OF_RANGE, NULL);
    expect_error("tr=-2147483648", QUERY_ERR_OUT_OF_RANGE, NULL);
}

static void test_query_overflow(void **state)
{
    (void)state;
    expect_error("tr=99999999999999999999", QUERY_ERR_OVERFLOW,
                 "tr: integer overflow: \"99999999999999999999\"");
    expect_error("tr=2147483648", QUERY_ERR_OVERFLOW, NULL);
    expect_error("tr=-2147483649", QUERY_ERR_OVERFLOW, NULL);
    /* Leading zeros are not an overflow: the value counts, not the digits. */
    struct query_move m;
    assert_int_equal(parse("tr=0000000000000000000000000005", &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 5);
}

static void test_query_duplicate_key(void **state)
{
    (void)state;
    expect_error("tr=1&tr=2", QUERY_ERR_DUPLICATE, "tr: duplicated key");
    expect_error("tilt=1&pan=2&tilt=1", QUERY_ERR_DUPLICATE, "tilt: duplicated key");
}

static void test_query_mixed_modes(void **state)
{
    (void)state;
    expect_error("tr=1&pan=3", QUERY_ERR_MIXED,
                 "pan: relative (tr, el) and absolute (pan, tilt) keys cannot be mixed");
    expect_error("tilt=3&el=1", QUERY_ERR_MIXED, NULL);
}

/* Real clients add their own keys (cache busters, tracking): ignored, whatever their value,
 * while tr/el/pan/tilt stay strict. A query with nothing of ours is no move. */
static void test_query_unknown_keys_ignored(void **state)
{
    (void)state;
    struct query_move m;
    assert_int_equal(parse("tr=5&_=1699999", &m, NULL), QUERY_OK);
    assert_true(m.has_pan && !m.has_tilt);
    assert_int_equal(m.pan_deg, 5);
    assert_int_equal(parse("_=1&utm_source=x%G&el=-3&fbclid=abc=def&TR=9", &m, NULL), QUERY_OK);
    assert_true(!m.has_pan && m.has_tilt);
    assert_int_equal(m.tilt_deg, -3);
    assert_int_equal(parse("zoom&pan=10&tilt=20", &m, NULL), QUERY_OK);
    assert_int_equal(m.mode, QUERY_MODE_ABSOLUTE);
    expect_error("foo=1", QUERY_ERR_EMPTY,
                 "no move: expected tr=INT&el=INT or pan=DEG&tilt=DEG (other keys are ignored)");
    expect_error("=5&_=1", QUERY_ERR_EMPTY, NULL);
    /* Strictness on our keys stays, next to other keys too. */
    expect_error("_=1&tr=abc", QUERY_ERR_NOT_INTEGER, "tr: not an integer: \"abc\"");
    expect_error("tr=1&_=2&tr=2", QUERY_ERR_DUPLICATE, NULL);
    expect_error("tr=1&_=x&pan=2", QUERY_ERR_MIXED, NULL);
}

static void test_query_bad_escape(void **state)
{
    (void)state;
    expect_error("tr=%G1", QUERY_ERR_BAD_ESCAPE, "tr: bad percent escape: \"%G1\"");
    expect_error("tr=5%", QUERY_ERR_BAD_ESCAPE, "tr: bad percent escape: \"5%\"");
    expect_error("tr=%2", QUERY_ERR_BAD_ESCAPE, NULL);
    expect_error("t%r=1", QUERY_ERR_BAD_ESCAPE, "bad percent escape in key: \"t%r\"");
}

static void test_query_empty_param(void **state)
{
    (void)state;
    expect_error("tr=1&", QUERY_ERR_EMPTY_PARAM, "empty parameter (stray '&')");
    expect_error("&tr=1", QUERY_ERR_EMPTY_PARAM, NULL);
    expect_error("tr=1&&el=2", QUERY_ERR_EMPTY_PARAM, NULL);
    expect_error("&", QUERY_ERR_EMPTY_PARAM, NULL);
}

static void test_query_too_long(void **state)
{
    (void)state;
    char q[QUERY_MAX_BYTES + 2];
    /* Exactly the maximum is fine as far as length goes ("tr=000...01"). */
    memset(q, '0', QUERY_MAX_BYTES);
    memcpy(q, "tr=", 3);
    q[QUERY_MAX_BYTES - 1] = '1';
    q[QUERY_MAX_BYTES] = '\0';
    struct query_move m;
    assert_int_equal(parse(q, &m, NULL), QUERY_OK);
    assert_int_equal(m.pan_deg, 1);
    q[QUERY_MAX_BYTES] = '0';
    q[QUERY_MAX_BYTES + 1] = '\0';
    expect_error(q, QUERY_ERR_TOO_LONG, "query too long: more than 256 bytes");
}

static void test_query_first_error_wins(void **state)
{
    (void)state;
    expect_error("tr=abc&foo=1", QUERY_ERR_NOT_INTEGER, NULL);
    expect_error("tr=1&el=abc&pan=x", QUERY_ERR_NOT_INTEGER, NULL);
}

static void test_query_reason_is_bounded(void **state)
{
    (void)state;
    struct query_move m;
    char small[8];
    memset(small, 'x', sizeof(small));
    assert_int_equal(query_parse("tr=abc", &m, small, sizeof(small)), QUERY_ERR_NOT_INTEGER);
    assert_string_equal(small, "tr: not");
    /* Long client text is cut to 32 bytes plus "...". */
    expect_error("tr=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", QUERY_ERR_NOT_INTEGER,
                 "tr: not an integer: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
}

static void test_query_strerror_distinct(void **state)
{
    (void)state;
    for (int a = QUERY_OK; a <= QUERY_ERR_OUT_OF_RANGE; a++) {
        assert_non_null(query_strerror((enum query_status)a));
        for (int b = a + 1; b <= QUERY_ERR_OUT_OF_RANGE; b++)
            assert_string_not_equal(query_strerror((enum query_status)a),
                                    query_strerror((enum query_status)b));
    }
    assert_string_equal(query_strerror((enum query_status)999), "unknown error");
}

/* The query placed right before a PROT_NONE page: any read past its NUL faults. */
static void test_query_guard_page(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *mem =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
    static const char *const inputs[] = {"tr=5&el=-5", "tr=%", "tr=%2", "tr=", "tr", "&", "t%"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        size_t len = strlen(inputs[i]) + 1;
        char *q = (char *)mem + page - len;
        memcpy(q, inputs[i], len);
        struct query_move m;
        (void)query_parse(q, &m, NULL, 0);
    }
    munmap(mem, (size_t)page * 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_relative_both_axes),
        cmocka_unit_test(test_query_relative_single_key),
        cmocka_unit_test(test_query_absolute),
        cmocka_unit_test(test_query_plus_sign_and_percent_encoding),
        cmocka_unit_test(test_query_empty),
        cmocka_unit_test(test_query_empty_value),
        cmocka_unit_test(test_query_not_integer),
        cmocka_unit_test(test_query_out_of_range),
        cmocka_unit_test(test_query_overflow),
        cmocka_unit_test(test_query_duplicate_key),
        cmocka_unit_test(test_query_mixed_modes),
        cmocka_unit_test(test_query_unknown_keys_ignored),
        cmocka_unit_test(test_query_bad_escape),
        cmocka_unit_test(test_query_empty_param),
        cmocka_unit_test(test_query_too_long),
        cmocka_unit_test(test_query_first_error_wins),
        cmocka_unit_test(test_query_reason_is_bounded),
        cmocka_unit_test(test_query_strerror_distinct),
        cmocka_unit_test(test_query_guard_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
