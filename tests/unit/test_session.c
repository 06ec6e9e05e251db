/* Unit tests for relay/session: tokens, idle and absolute expiry, the bounded table, cookies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/run.h"
#include "../support/tmpdir.h"
#include "session.h"

static char *slurp_file(const char *path)
{
    char *text = ts_file_read(path, 1 << 20);
    assert_non_null(text);
    return text;
}

#define IDLE_MS 60000u
#define ABSOLUTE_MS 300000u
#define MS 1000         /* µs */
#define T0 1000000000LL /* an arbitrary monotonic start, in µs */

static struct sessions *table(void)
{
    struct sessions *s = sessions_new(IDLE_MS, ABSOLUTE_MS);
    assert_non_null(s);
    return s;
}

static void create(struct sessions *s, const char *user, enum user_role role, int64_t now_us,
                   char token[SESSION_TOKEN_CHARS + 1])
{
    assert_int_equal(sessions_create(s, user, role, now_us, token), 0);
}

static void test_session_create_then_lookup(void **state)
{
    (void)state;
    struct sessions *s = table();
    char a[SESSION_TOKEN_CHARS + 1], b[SESSION_TOKEN_CHARS + 1];
    create(s, "alice", ROLE_OPERATOR, T0, a);
    create(s, "bob", ROLE_VIEWER, T0, b);

    /* 64 lower-case hex digits, and two logins never share a token. */
    assert_int_equal(strlen(a), SESSION_TOKEN_CHARS);
    assert_int_equal(strspn(a, "0123456789abcdef"), SESSION_TOKEN_CHARS);
    assert_string_not_equal(a, b);

    struct session_info info;
    memset(&info, 0, sizeof(info));
    assert_int_equal(sessions_lookup(s, a, T0 + 1, &info), 0);
    assert_string_equal(info.user, "alice");
    assert_int_equal(info.role, ROLE_OPERATOR);
    assert_int_equal(sessions_lookup(s, b, T0 + 1, &info), 0);
    assert_string_equal(info.user, "bob");
    assert_int_equal(info.role, ROLE_VIEWER);
    sessions_free(s);
    sessions_free(NULL);
}

static void test_session_unknown_or_malformed_token(void **state)
{
    (void)state;
    struct sessions *s = table();
    char tok[SESSION_TOKEN_CHARS + 1];
    create(s, "alice", ROLE_OPERATOR, T0, tok);
    struct session_info info;

    char other[SESSION_TOKEN_CHARS + 1];
    memcpy(other, tok, sizeof(other));
    other[0] = other[0] == '0' ? '1' : '0'; /* one digit off */
    assert_int_equal(sessions_lookup(s, other, T0, &info), -ENOENT);

    char upper[SESSION_TOKEN_CHARS + 1];
    memcpy(upper, tok, sizeof(upper));
    for (size_t i = 0; i < SESSION_TOKEN_CHARS; i++) {
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 'a' + 'A');
    }
    if (strcmp(upper, tok) != 0)
        assert_int_equal(sessions_lookup(s, upper, T0, &info), -ENOENT);

    char longer[SESSION_TOKEN_CHARS + 2];
    snprintf(longer, sizeof(longer), "%s0", tok);
    assert_int_equal(sessions_lookup(s, longer, T0, &info), -ENOENT);
    char shorter[SESSION_TOKEN_CHARS];
    memcpy(shorter, tok, sizeof(shorter) - 1);
    shorter[sizeof(shorter) - 1] = '\0';
    assert_int_equal(sessions_lookup(s, shorter, T0, &info), -ENOENT);

    char quoted[SESSION_TOKEN_CHARS + 3];
    snprintf(quoted, sizeof(quoted), "\"%s\"", tok);
    assert_int_equal(sessions_lookup(s, quoted, T0, &info), -ENOENT);
    assert_int_equal(sessions_lookup(s, "", T0, &info), -ENOENT);
    char zeros[SESSION_TOKEN_CHARS + 1];
    memset(zeros, '0', SESSION_TOKEN_CHARS);
    zeros[SESSION_TOKEN_CHARS] = '\0';
    assert_int_equal(sessions_lookup(s, zeros, T0, &info), -ENOENT);
    char junk[SESSION_TOKEN_CHARS + 1];
    memset(junk, 'g', SESSION_TOKEN_CHARS);
    junk[SESSION_TOKEN_CHARS] = '\0';
    assert_int_equal(sessions_lookup(s, junk, T0, &info), -ENOENT);

    /* None of that disturbed the real one. */
    assert_int_equal(sessions_lookup(s, tok, T0, &info), 0);
    sessions_free(s);
}

static void test_session_idle_expiry(void **state)
{
    (void)state;
    struct sessions *s = table();
    char tok[SESSION_TOKEN_CHARS + 1];
    struct session_info info;
    create(s, "alice", ROLE_OPERATOR, T0, tok);

    /* Used just inside the idle time: the idle timer starts again from that use. */
    int64_t t = T0 + (int64_t)IDLE_MS * MS;
    assert_int_equal(sessions_lookup(s, tok, t, &info), 0);
    t += (int64_t)IDLE_MS * MS;
    assert_int_equal(sessions_lookup(s, tok, t, &info), 0);
    /* One microsecond too long unused: gone, and it stays gone. */
    t += (int64_t)IDLE_MS * MS + 1;
    assert_int_equal(sessions_lookup(s, tok, t, &info), -ENOENT);
    assert_int_equal(sessions_lookup(s, tok, t - (int64_t)IDLE_MS * MS, &info), -ENOENT);
    sessions_free(s);
}

static void test_session_absolute_expiry(void **state)
{
    (void)state;
    struct sessions *s = table();
    char tok[SESSION_TOKEN_CHARS + 1];
    struct session_info info;
    create(s, "alice", ROLE_OPERATOR, T0, tok);

    /* Used every half idle period: never idle, but the absolute limit still ends it. */
    int64_t t = T0;
    int64_t step = (int64_t)IDLE_MS * MS / 2;
    while (t + step <= T0 + (int64_t)ABSOLUTE_MS * MS) {
        t += step;
        assert_int_equal(sessions_lookup(s, tok, t, &info), 0);
    }
    assert_int_equal(t, T0 + (int64_t)ABSOLUTE_MS * MS);
    assert_int_equal(sessions_lookup(s, tok, t + 1, &info), -ENOENT);
    sessions_free(s);
}

static void test_session_end(void **state)
{
    (void)state;
    struct sessions *s = table();
    char a[SESSION_TOKEN_CHARS + 1], b[SESSION_TOKEN_CHARS + 1];
    struct session_info info;
    create(s, "alice", ROLE_OPERATOR, T0, a);
    create(s, "alice", ROLE_OPERATOR, T0, b); /* the same user on a second device */
    sessions_end(s, a);
    assert_int_equal(sessions_lookup(s, a, T0, &info), -ENOENT);
    assert_int_equal(sessions_lookup(s, b, T0, &info), 0);
    /* Ending twice, or ending nonsense, is harmless. */
    sessions_end(s, a);
    sessions_end(s, "not a token");
    sessions_end(s, "");
    assert_int_equal(sessions_lookup(s, b, T0, &info), 0);
    sessions_free(s);
}

static void test_session_table_evicts_least_recently_used(void **state)
{
    (void)state;
    struct sessions *s = table();
    char(*tok)[SESSION_TOKEN_CHARS + 1] = calloc(SESSION_MAX + 1, sizeof(*tok));
    assert_non_null(tok);
    struct session_info info;
    char name[32];
    for (int i = 0; i < SESSION_MAX; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        create(s, name, ROLE_VIEWER, T0 + i, tok[i]);
    }
    /* Session 0 is the oldest login but used again now, so session 1 becomes the least
     * recently used. */
    int64_t now = T0 + SESSION_MAX;
    assert_int_equal(sessions_lookup(s, tok[0], now, &info), 0);
    create(s, "newcomer", ROLE_OPERATOR, now + 1, tok[SESSION_MAX]);

    assert_int_equal(sessions_lookup(s, tok[1], now + 2, &info), -ENOENT);
    assert_int_equal(sessions_lookup(s, tok[0], now + 2, &info), 0);
    assert_string_equal(info.user, "user0");
    assert_int_equal(sessions_lookup(s, tok[SESSION_MAX], now + 2, &info), 0);
    assert_string_equal(info.user, "newcomer");
    assert_int_equal(info.role, ROLE_OPERATOR);
    for (int i = 2; i < SESSION_MAX; i++) {
        if (sessions_lookup(s, tok[i], now + 2, &info) != 0)
            fail_msg("session %d was evicted; only session 1 should have been", i);
        snprintf(name, sizeof(name), "user%d", i);
        assert_string_equal(info.user, name);
    }
    free(tok);
    sessions_free(s);
}

/*
 * Issue 10 #8: 1030 logins of one account used to fill the table and log every idle user out.
 * Now one user holds at most SESSION_MAX_PER_USER sessions, its own oldest going first.
 */
static void test_session_per_user_cap_evicts_own_oldest(void **state)
{
    (void)state;
    struct sessions *s = table();
    char idle[SESSION_TOKEN_CHARS + 1], mine[SESSION_TOKEN_CHARS + 1];
    char(*tok)[SESSION_TOKEN_CHARS + 1] = calloc(SESSION_MAX + 8, sizeof(*tok));
    assert_non_null(tok);
    struct session_info info;
    create(s, "idle-user", ROLE_VIEWER, T0, idle);
    for (int i = 0; i < SESSION_MAX + 8; i++)
        create(s, "flooder", ROLE_VIEWER, T0 + 1 + i, tok[i]);
    int64_t now = T0 + SESSION_MAX + 10;
    assert_int_equal(sessions_lookup(s, idle, now, &info), 0);
    assert_string_equal(info.user, "idle-user");
    unsigned live = 0;
    for (int i = 0; i < SESSION_MAX + 8; i++)
        live += sessions_lookup(s, tok[i], now, &info) == 0;
    assert_int_equal(live, SESSION_MAX_PER_USER);
    /* The newest ones survive. */
    assert_int_equal(sessions_lookup(s, tok[SESSION_MAX + 7], now, &info), 0);
    assert_int_equal(sessions_lookup(s, tok[SESSION_MAX + 8 - SESSION_MAX_PER_USER], now, &info),
                     0);
    /* A different user is unaffected by the flooder's cap. */
    create(s, "other", ROLE_VIEWER, now, mine);
    assert_int_equal(sessions_lookup(s, mine, now, &info), 0);
    free(tok);
    sessions_free(s);
}

/*
 * A full table reuses an expired session's slot before evicting a live one, even when the
 * expired one was used more recently than every live one (its absolute age ran out).
 */
static void test_session_expired_slot_is_reused_first(void **state)
{
    (void)state;
    struct sessions *s = table();
    char(*tok)[SESSION_TOKEN_CHARS + 1] = calloc(SESSION_MAX + 1, sizeof(*tok));
    assert_non_null(tok);
    struct session_info info;
    const int64_t half_idle = (int64_t)IDLE_MS * MS / 2;
    const int64_t absolute = (int64_t)ABSOLUTE_MS * MS;
    const int64_t t1 = T0 + absolute - half_idle;

    create(s, "veteran", ROLE_OPERATOR, T0, tok[0]);
    for (int64_t t = T0 + half_idle; t <= t1; t += half_idle)
        assert_int_equal(sessions_lookup(s, tok[0], t, &info), 0);
    char name[32];
    for (int i = 1; i < SESSION_MAX; i++) {
        snprintf(name, sizeof(name), "other%d", i); /* under SESSION_MAX_PER_USER each */
        create(s, name, ROLE_VIEWER, t1 + i, tok[i]);
    }
    assert_int_equal(sessions_lookup(s, tok[0], T0 + absolute, &info), 0);

    int64_t later = T0 + absolute + 1; /* the veteran's absolute age is up; the rest are live */
    create(s, "new", ROLE_VIEWER, later, tok[SESSION_MAX]);
    assert_int_equal(sessions_lookup(s, tok[SESSION_MAX], later, &info), 0);
    assert_string_equal(info.user, "new");
    assert_int_equal(sessions_lookup(s, tok[0], later, &info), -ENOENT);
    for (int i = 1; i < SESSION_MAX; i++) {
        if (sessions_lookup(s, tok[i], later, &info) != 0)
            fail_msg("live session %d was evicted while an expired slot was free", i);
    }
    free(tok);
    sessions_free(s);
}

static void cookie_is(const char *header, const char *want)
{
    char out[SESSION_TOKEN_CHARS + 1];
    int rc = session_cookie_value(header, SESSION_COOKIE, out, sizeof(out));
    if (rc != 0)
        fail_msg("Cookie \"%s\": %d, want \"%s\"", header, rc, want);
    if (strcmp(out, want) != 0)
        fail_msg("Cookie \"%s\": \"%s\", want \"%s\"", header, out, want);
}

static void cookie_fails(const char *header, int want_rc)
{
    char out[SESSION_TOKEN_CHARS + 1];
    int rc = session_cookie_value(header, SESSION_COOKIE, out, sizeof(out));
    if (rc != want_rc)
        fail_msg("Cookie \"%s\": %d, want %d", header, rc, want_rc);
}

static void test_session_cookie_value(void **state)
{
    (void)state;
    cookie_is("lookout_session=abc", "abc");
    cookie_is("a=1; lookout_session=abc; b=2", "abc");
    cookie_is("a=1;lookout_session=abc;b=2", "abc");
    cookie_is("theme=dark; lookout_session=abc", "abc");
    cookie_is("lookout_session=\"abc\"; b=2", "abc");
    cookie_is("lookout_session=abc ", "abc");
    cookie_is("lookout_session=\"abc\" ; b=2", "abc");
    cookie_is("lookout_session=", "");
    /* The first one wins (RFC 6265 §5.4 orders the longer path first). */
    cookie_is("lookout_session=first; lookout_session=second", "first");
    /* Names that merely start or end like ours are other cookies. */
    cookie_is("xlookout_session=evil; lookout_session=good", "good");
    cookie_is("lookout_session_old=evil; lookout_session=good", "good");
    cookie_is("a=lookout_session=evil; lookout_session=good", "good");
    cookie_fails("xlookout_session=evil", -ENOENT);
    cookie_fails("lookout_sessionx=evil", -ENOENT);
    cookie_fails("lookout_session_old=evil", -ENOENT);
    cookie_fails("LOOKOUT_SESSION=abc", -ENOENT);
    cookie_fails("a=1; b=2", -ENOENT);
    cookie_fails("", -ENOENT);
    cookie_fails(";;;", -ENOENT);
    cookie_fails("lookout_session", -ENOENT);

    /* A value that does not fit is an error, not a truncated token. */
    char header[200];
    snprintf(header, sizeof(header), "lookout_session=%0*d", SESSION_TOKEN_CHARS + 1, 7);
    cookie_fails(header, -ENOSPC);
    snprintf(header, sizeof(header), "lookout_session=%0*d; x=1", SESSION_TOKEN_CHARS, 7);
    char want[SESSION_TOKEN_CHARS + 1];
    snprintf(want, sizeof(want), "%0*d", SESSION_TOKEN_CHARS, 7);
    cookie_is(header, want);
    char tiny[4];
    assert_int_equal(session_cookie_value("lookout_session=abcd", SESSION_COOKIE, tiny, 4),
                     -ENOSPC);
    assert_int_equal(session_cookie_value("lookout_session=abc", SESSION_COOKIE, tiny, 4), 0);
    assert_string_equal(tiny, "abc");
}

/* Every way of cutting a Cookie header short must stay inside the string. */
static void test_session_cookie_value_every_prefix(void **state)
{
    (void)state;
    const char *full = "a=1; lookout_session=\"0123\"; xlookout_session=z; b";
    size_t n = strlen(full);
    for (size_t len = 0; len <= n; len++) {
        char *copy = malloc(len + 1); /* exactly sized: ASan catches any overread */
        assert_non_null(copy);
        memcpy(copy, full, len);
        copy[len] = '\0';
        char out[SESSION_TOKEN_CHARS + 1];
        int rc = session_cookie_value(copy, SESSION_COOKIE, out, sizeof(out));
        assert_true(rc == 0 || rc == -ENOENT);
        free(copy);
    }
}

/* Sessions survive a restart through the file: hashes only, times carried over, expired dropped. */
static void test_session_save_and_load(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof(path), "%s/sessions", dir);
    struct sessions *s = table();
    char a[SESSION_TOKEN_CHARS + 1], b[SESSION_TOKEN_CHARS + 1], g[SESSION_TOKEN_CHARS + 1];
    char a_id[SESSION_ID_CHARS + 1];
    assert_int_equal(
        sessions_create_from(s, "alice smith", ROLE_ADMIN, "", "192.0.2.1", T0, a, a_id), 0);
    create(s, "bob", ROLE_VIEWER, T0 - (int64_t)(IDLE_MS - 1000) * MS, b); /* nearly idle */
    assert_int_equal(
        sessions_create_from(s, "guest", ROLE_VIEWER, "0123456789abcdef", "::1", T0, g, NULL), 0);
    assert_true(sessions_is_dirty(s));
    const int64_t real = 1796652120;
    assert_int_equal(sessions_save(s, path, T0, real), 0);
    assert_false(sessions_is_dirty(s));
    char *text = slurp_file(path);
    assert_null(strstr(text, a));
    assert_null(strstr(text, b));
    assert_null(strstr(text, g));
    assert_non_null(strstr(text, "\talice smith\n"));
    free(text);
    sessions_free(s);

    /* A new run, 5 s later on the wall clock, with a monotonic clock that started elsewhere. */
    const int64_t T1 = 77 * 1000000LL;
    struct sessions *t = table();
    unsigned bad = 9;
    assert_int_equal(sessions_load(t, path, T1, real + 5, &bad), 2); /* bob's idled out */
    assert_int_equal(bad, 0);
    struct session_info info;
    assert_int_equal(sessions_lookup(t, a, T1, &info), 0);
    assert_string_equal(info.user, "alice smith");
    assert_int_equal(info.role, ROLE_ADMIN);
    assert_string_equal(info.address, "192.0.2.1");
    assert_string_equal(info.id, a_id);
    assert_int_equal(sessions_lookup(t, b, T1, &info), -ENOENT);
    assert_int_equal(sessions_lookup(t, g, T1, &info), 0);
    assert_string_equal(info.share, "0123456789abcdef");
    /* The absolute age carried over: alice's session ends ABSOLUTE_MS after its creation. */
    assert_int_equal(
        sessions_lookup(t, a, T1 + (int64_t)ABSOLUTE_MS * MS - 5 * 1000000 + MS, &info), -ENOENT);
    sessions_free(t);

    /* A damaged line is skipped and counted; a missing file is no error. */
    FILE *f = fopen(path, "a");
    fputs("zz\tadmin\t-\t1\t2\t-\tmallory\n", f);
    fclose(f);
    t = table();
    assert_int_equal(sessions_load(t, path, T1, real + 5, &bad), 2);
    assert_int_equal(bad, 1);
    sessions_free(t);
    t = table();
    snprintf(path, sizeof(path), "%s/none", dir);
    assert_int_equal(sessions_load(t, path, T1, real, &bad), 0);
    sessions_free(t);
    ts_tmpdir_free(dir);
}

/* "Log out everywhere" ends a user's other sessions; a removed user's all; guests apart. */
static void test_session_end_where(void **state)
{
    (void)state;
    struct sessions *s = table();
    char t1[SESSION_TOKEN_CHARS + 1], t2[SESSION_TOKEN_CHARS + 1], t3[SESSION_TOKEN_CHARS + 1],
        g[SESSION_TOKEN_CHARS + 1], id1[SESSION_ID_CHARS + 1];
    assert_int_equal(sessions_create_from(s, "alice", ROLE_ADMIN, "", "", T0, t1, id1), 0);
    create(s, "alice", ROLE_ADMIN, T0, t2);
    create(s, "bob", ROLE_VIEWER, T0, t3);
    assert_int_equal(
        sessions_create_from(s, "alice", ROLE_VIEWER, "feedfeedfeedfeed", "", T0, g, NULL), 0);
    assert_int_equal(sessions_end_where(s, "alice", "", id1, NULL), 1);
    struct session_info info;
    assert_int_equal(sessions_lookup(s, t1, T0, &info), 0);
    assert_int_equal(sessions_lookup(s, t2, T0, &info), -ENOENT);
    assert_int_equal(sessions_lookup(s, g, T0, &info), 0); /* a guest link is not alice's login */
    assert_int_equal(sessions_set_role(s, "alice", ROLE_VIEWER), 1);
    assert_int_equal(sessions_lookup(s, t1, T0, &info), 0);
    assert_int_equal(info.role, ROLE_VIEWER);
    assert_int_equal(sessions_end_where(s, NULL, "feedfeedfeedfeed", NULL, NULL), 1);
    assert_int_equal(sessions_lookup(s, g, T0, &info), -ENOENT);
    assert_int_equal(sessions_end_where(s, "bob", NULL, NULL, "000000000000"), 0);
    assert_int_equal(sessions_lookup(s, t3, T0, &info), 0);
    sessions_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_create_then_lookup),
        cmocka_unit_test(test_session_unknown_or_malformed_token),
        cmocka_unit_test(test_session_idle_expiry),
        cmocka_unit_test(test_session_absolute_expiry),
        cmocka_unit_test(test_session_end),
        cmocka_unit_test(test_session_table_evicts_least_recently_used),
        cmocka_unit_test(test_session_expired_slot_is_reused_first),
        cmocka_unit_test(test_session_per_user_cap_evicts_own_oldest),
        cmocka_unit_test(test_session_cookie_value),
        cmocka_unit_test(test_session_cookie_value_every_prefix),
        cmocka_unit_test(test_session_save_and_load),
        cmocka_unit_test(test_session_end_where),
    };
    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
