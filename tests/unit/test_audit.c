/* Unit tests for relay/access/audit: escaping, one line per action, rotation, the admin's query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>

#include "audit.h"
#include "../support/tmpdir.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_audit_escape(void **state)
{
    (void)state;
    char out[64];
    audit_escape("plain", out, sizeof(out));
    assert_string_equal(out, "plain");
    /* Quotes and backslashes cannot end the string; control characters cannot end the line. */
    audit_escape("a\"b\\c\nd\re\x01", out, sizeof(out));
    assert_string_equal(out, "a\\\"b\\\\c\\u000ad\\u000de\\u0001");
    /* Valid UTF-8 stays; a stray byte, an overlong form and a surrogate become U+FFFD. */
    audit_escape("M\xc3\xbcller", out, sizeof(out));
    assert_string_equal(out, "M\xc3\xbcller");
    audit_escape("x\xff"
                 "y\xc0\xaf"
                 "z\xed\xa0\x80",
                 out, sizeof(out));
    assert_string_equal(out, "x\\ufffdy\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffd");
    /* Cut at a character boundary, never inside an escape. */
    char small[8];
    size_t n = audit_escape("ab\"\"\"\"", small, sizeof(small));
    assert_int_equal(n, 6);
    assert_string_equal(small, "ab\\\"\\\"");
    n = audit_escape("\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc", small, sizeof(small));
    assert_int_equal(n, 6);
}

static void test_audit_lines(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    assert_non_null(dir);
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    struct audit *a = audit_new(path, 1 << 20, err, sizeof(err));
    assert_non_null(a);
    assert_true(audit_is_on(a));
    struct audit_field f[] = {AUDIT_TEXT("camera", "front"), AUDIT_NUM("pan", -5)};
    assert_int_equal(audit_record(a, "move", "alice", "192.0.2.1", f, 2), 0);
    /* A hostile name cannot add a field or a line. */
    assert_int_equal(audit_record(a, "login_failed", "x\",\"user\":\"root\n{", "::1", NULL, 0), 0);
    audit_free(a);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = slurp(path);
    assert_non_null(text);
    char *second = strchr(text, '\n');
    assert_non_null(second);
    assert_int_equal(strncmp(text, "{\"t\":", 5), 0);
    assert_non_null(strstr(text, ",\"action\":\"move\",\"user\":\"alice\",\"address\":"
                                 "\"192.0.2.1\",\"camera\":\"front\",\"pan\":-5}\n"));
    assert_non_null(strstr(second + 1, "\"user\":\"x\\\",\\\"user\\\":\\\"root\\u000a{\""));
    assert_null(strchr(strchr(second + 1, '\n') + 1, '\n')); /* exactly two lines */
    ts_tmpdir_free(dir);
}

static void test_audit_off(void **state)
{
    (void)state;
    char err[64];
    struct audit *a = audit_new("", 0, err, sizeof(err));
    assert_non_null(a);
    assert_false(audit_is_on(a));
    assert_int_equal(audit_record(a, "login", "alice", "::1", NULL, 0), 0);
    assert_int_equal(audit_record(NULL, "login", "alice", "::1", NULL, 0), 0);
    struct evbuffer *out = evbuffer_new();
    struct audit_filter f = {0};
    assert_int_equal(audit_query(a, &f, out), 0);
    evbuffer_add(out, "", 1);
    assert_string_equal((char *)evbuffer_pullup(out, -1),
                        "{\"enabled\":false,\"entries\":[],\"truncated\":false}\n");
    evbuffer_free(out);
    audit_free(a);
    audit_free(NULL);
    assert_null(audit_new("/nonexistent-dir/audit.log", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "AUDIT_LOG: /nonexistent-dir/audit.log: "));
}

static void test_audit_rotates_by_size(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    char path[512], old[520], err[256];
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    snprintf(old, sizeof(old), "%s.1", path);
    struct audit *a = audit_new(path, 4096, err, sizeof(err));
    assert_non_null(a);
    for (int i = 0; i < 100; i++) {
        struct audit_field f[] = {AUDIT_NUM("i", i)};
        assert_int_equal(audit_record(a, "move", "alice", "192.0.2.1", f, 1), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size <= 4096);
    }
    struct stat st;
    assert_int_equal(stat(old, &st), 0);
    assert_true(st.st_size <= 4096 && st.st_size > 2048);
    /* The newest line is in the current file, and the query sees both files, newest first. */
    assert_non_null(strstr(slurp(path), "\"i\":99}"));
    struct evbuffer *out = evbuffer_new();
    struct audit_filter f = {.limit = 3};
    assert_int_equal(audit_query(a, &f, out), 0);
    evbuffer_add(out, "", 1);
    const char *json = (const char *)evbuffer_pullup(out, -1);
    const char *i99 = strstr(json, "\"i\":99}"), *i97 = strstr(json, "\"i\":97}");
    assert_non_null(i99);
    assert_non_null(i97);
    assert_true(i99 < i97);
    assert_null(strstr(json, "\"i\":96}"));
    assert_non_null(strstr(json, "\"truncated\":true"));
    evbuffer_free(out);
    audit_free(a);
    ts_tmpdir_free(dir);
}

static const char *query(struct audit *a, const struct audit_filter *f, struct evbuffer *out)
{
    evbuffer_drain(out, evbuffer_get_length(out));
    assert_int_equal(audit_query(a, f, out), 0);
    evbuffer_add(out, "", 1);
    return (const char *)evbuffer_pullup(out, -1);
}

static void test_audit_query_filters(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    struct audit *a = audit_new(path, 1 << 20, err, sizeof(err));
    audit_record(a, "login", "alice", "192.0.2.1", NULL, 0);
    audit_record(a, "move", "alice", "192.0.2.1", NULL, 0);
    audit_record(a, "move", "bob", "192.0.2.2", NULL, 0);
    audit_record(a, "move", "bo\"b", "192.0.2.3", NULL, 0);
    /* A line edited in by hand is skipped, not passed on as JSON. */
    FILE *f = fopen(path, "a");
    fputs("not json\n{\"t\":1,\"action\":\"move\"}\n", f);
    fclose(f);
    struct evbuffer *out = evbuffer_new();
    struct audit_filter all = {0};
    const char *json = query(a, &all, out);
    assert_null(strstr(json, "not json"));
    assert_null(strstr(json, "{\"t\":1,"));
    struct audit_filter moves_by_bob = {.user = "bob", .action = "move"};
    json = query(a, &moves_by_bob, out);
    assert_non_null(strstr(json, "192.0.2.2"));
    assert_null(strstr(json, "192.0.2.1"));
    assert_null(strstr(json, "192.0.2.3"));
    struct audit_filter quoted = {.user = "bo\"b"};
    json = query(a, &quoted, out);
    assert_non_null(strstr(json, "192.0.2.3"));
    assert_null(strstr(json, "192.0.2.2"));
    struct audit_filter future = {.since_s = 4102444800}; /* 2100 */
    json = query(a, &future, out);
    assert_non_null(strstr(json, "\"entries\":[]"));
    evbuffer_free(out);
    audit_free(a);
    ts_tmpdir_free(dir);
}

static void test_audit_parse_time(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(audit_parse_time("1700000000", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(audit_parse_time("2026-12-07T14:02", &t), 0);
    assert_int_equal(t, 1796652120);
    assert_int_equal(audit_parse_time("2026-12-07T14:02:30Z", &t), 0);
    assert_int_equal(t, 1796652150);
    assert_int_equal(audit_parse_time("yesterday", &t), -EINVAL);
    assert_int_equal(audit_parse_time("2026-12-07T14:02+01", &t), -EINVAL);
    assert_int_equal(audit_parse_time("", &t), -EINVAL);
    assert_int_equal(audit_parse_time("99999999999999", &t), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_escape),        cmocka_unit_test(test_audit_lines),
        cmocka_unit_test(test_audit_off),           cmocka_unit_test(test_audit_rotates_by_size),
        cmocka_unit_test(test_audit_query_filters), cmocka_unit_test(test_audit_parse_time),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
