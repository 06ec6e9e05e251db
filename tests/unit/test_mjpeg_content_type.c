/* Unit tests for core/mjpeg_content_type: the boundary from a Content-Type header value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mjpeg_content_type.h"

/* Content-Type as camera firmwares write it (RFC 2045 §5.1, RFC 822 comments and quoting):
 * the boundary's value is byte-exact whatever the spelling around it. */
static void test_mjpeg_content_type_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *ct;
        const char *boundary;
    } ok[] = {
        {"multipart/x-mixed-replace;boundary=FrAmE", "FrAmE"},
        {"multipart/x-mixed-replace ; boundary = FrAmE", "FrAmE"},
        {"MULTIPART/X-MIXED-REPLACE;BOUNDARY=FrAmE", "FrAmE"},
        {"Multipart / x-mixed-replace;\tBoundary\t=\t\"FrAmE\"\t", "FrAmE"},
        {"multipart/x-mixed-replace; boundary=\"a\\\"b\\\\c\"", "a\"b\\c"},
        {"multipart/x-mixed-replace; boundary=\"with space\"", "with space"},
        {"multipart/x-mixed-replace; charset=\"x;boundary=fake\"; boundary=real", "real"},
        {"multipart/x-mixed-replace;;boundary=x;", "x"},
        {"multipart/x-mixed-replace (a comment); boundary=(another) --myboundary", "--myboundary"},
        {"multipart/x-mixed-replace;boundary=ip:cam/1?x", "ip:cam/1?x"},
        {"multipart/x-mixed-replace; boundary=first; boundary=second", "first"},
        {"multipart/x-mixed-replace boundary=nosemicolon", "nosemicolon"},
        {"  multipart/mixed;\r\n boundary=folded", "folded"},
    };
    char b[MJPEG_BOUNDARY_MAX + 1];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int rc = mjpeg_boundary_from_content_type(ok[i].ct, b, sizeof(b));
        if (rc != 0 || strcmp(b, ok[i].boundary) != 0)
            fail_msg("%s: rc %d, boundary \"%s\", want \"%s\"", ok[i].ct, rc, rc ? "" : b,
                     ok[i].boundary);
    }
    const char *bad[] = {"multipartx/x; boundary=a",   "multipart; boundary=a",
                         "multipart/; boundary=a",     "multipart/x; boundary*=a",
                         "multipart/x; boundary=\"\"", "multipart/x; notboundary=a",
                         "text/multipart; boundary=a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (mjpeg_boundary_from_content_type(bad[i], b, sizeof(b)) != -EINVAL)
            fail_msg("%s accepted", bad[i]);
    }
}

static void test_mjpeg_content_type_boundary(void **state)
{
    (void)state;
    char b[MJPEG_BOUNDARY_MAX + 1];
    assert_int_equal(
        mjpeg_boundary_from_content_type(
            "multipart/x-mixed-replace;boundary=123456789000000000000987654321", b, sizeof(b)),
        0);
    assert_string_equal(b, MJPEG_ESP32_BOUNDARY);
    assert_int_equal(
        mjpeg_boundary_from_content_type(
            "Multipart/X-Mixed-Replace; charset=x; BOUNDARY=\"my frame\"", b, sizeof(b)),
        0);
    assert_string_equal(b, "my frame");
    assert_int_equal(mjpeg_boundary_from_content_type(
                         "multipart/x-mixed-replace; boundary=--ab; x=1", b, sizeof(b)),
                     0);
    assert_string_equal(b, "--ab");
    assert_int_equal(mjpeg_boundary_from_content_type("image/jpeg; boundary=x", b, sizeof(b)),
                     -EINVAL);
    assert_int_equal(mjpeg_boundary_from_content_type("multipart/x-mixed-replace", b, sizeof(b)),
                     -EINVAL);
    assert_int_equal(mjpeg_boundary_from_content_type("multipart/x; boundary=", b, sizeof(b)),
                     -EINVAL);
    assert_int_equal(mjpeg_boundary_from_content_type("multipart/x; boundary=\"open", b, sizeof(b)),
                     -EINVAL);
    assert_int_equal(mjpeg_boundary_from_content_type("multipart/x; boundary=abcdef", b, 4),
                     -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mjpeg_content_type_spellings),
        cmocka_unit_test(test_mjpeg_content_type_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
