/*
 * Unit tests for relay/auth: the Basic header parser, session cookie versus Basic, the cache of
 * verified Basic headers, throttling of failed logins, and what reaches the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../support/tmpdir.h"
#include "auth.h"
#include "guard.h"
#include "log.h"
#include "throttle.h"

#define MS 1000LL       /* µs */
#define T0 7000000000LL /* an arbitrary monotonic start, in µs */
#define IDLE_MS 60000u
#define ABSOLUTE_MS 600000u
#define ADDR "192.0.2.10"
#define OTHER_ADDR "192.0.2.11"

/* Hashed once per process: yescrypt takes ~20 ms on purpose. */
static char alice_hash[256];
static char bob_hash[256];

static int group_setup(void **state)
{
    (void)state;
    log_current_level = LOG_LEVEL_ERROR; /* the failures below are expected; one test reads them */
    if (users_hash_password("alice-pass", alice_hash, sizeof(alice_hash)) < 0)
        return -1;
    return users_hash_password("bob-pass", bob_hash, sizeof(bob_hash));
}

/* alice (operator, "alice-pass") and bob (viewer, "bob-pass"). */
static struct auth *make_auth(void)
{
    struct users *u = users_new();
    assert_non_null(u);
    const char *reason = NULL;
    assert_int_equal(users_add(u, "alice", alice_hash, ROLE_OPERATOR, &reason), 0);
    assert_int_equal(users_add(u, "bob", bob_hash, ROLE_VIEWER, &reason), 0);
    struct auth *a = auth_new(u, IDLE_MS, ABSOLUTE_MS);
    assert_non_null(a);
    return a;
}

/* "Basic base64(plain)" for plain of len bytes (may hold NULs), into out. */
static const char *basic_n(const char *plain, size_t len, char *out, size_t out_size)
{
    assert_true(out_size >= 6 + 4 * ((len + 2) / 3) + 1);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)len);
    return out;
}

static const char *basic(const char *plain, char *out, size_t out_size)
{
    return basic_n(plain, strlen(plain), out, out_size);
}

static void parse_ok(const char *header, const char *want_user, const char *want_password)
{
    char user[USER_NAME_MAX], password[1024];
    int rc = auth_parse_basic(header, user, sizeof(user), password, sizeof(password));
    if (rc != 0)
        fail_msg("auth_parse_basic(\"%s\"): %d, want 0", header, rc);
    assert_string_equal(user, want_user);
    assert_string_equal(password, want_password);
}

static void parse_bad(const char *header)
{
    char user[USER_NAME_MAX], password[1024];
    int rc = auth_parse_basic(header, user, sizeof(user), password, sizeof(password));
    if (rc != -EINVAL)
        fail_msg("auth_parse_basic(\"%.80s\"): %d, want -EINVAL", header ? header : "(null)", rc);
}

static void test_auth_parse_basic_good(void **state)
{
    (void)state;
    char h[2048];
    parse_ok(basic("alice:alice-pass", h, sizeof(h)), "alice", "alice-pass");
    parse_ok("Basic YWxpY2U6YWxpY2UtcGFzcw==", "alice", "alice-pass");
    /* The scheme is case-insensitive (RFC 9110 §11.1); blanks around the token are fine. */
    parse_ok("basic YWxpY2U6YWxpY2UtcGFzcw==", "alice", "alice-pass");
    parse_ok("BASIC   YWxpY2U6YWxpY2UtcGFzcw==  ", "alice", "alice-pass");
    /* Every padding length: 3 bytes (none), 4 bytes ("=="), 5 bytes ("="). */
    parse_ok("Basic dTpw", "u", "p");
    parse_ok("Basic dTpwdw==", "u", "pw");
    parse_ok("Basic dTpwdzE=", "u", "pw1");
    /* The password may hold ':' (RFC 7617 §2: only the user-id may not); either may be empty. */
    parse_ok(basic("u:p:q", h, sizeof(h)), "u", "p:q");
    parse_ok(basic(":pw", h, sizeof(h)), "", "pw");
    parse_ok(basic("u:", h, sizeof(h)), "u", "");
    parse_ok(basic("b\xc3\xb6"
                   "b:p\xc3\xa4"
                   "ss",
                   h, sizeof(h)),
             "b\xc3\xb6"
             "b",
             "p\xc3\xa4"
             "ss");
}

static void test_auth_parse_basic_bad(void **state)
{
    (void)state;
    char h[2048];
    parse_bad(NULL);
    parse_bad("");
    parse_bad("Basic");
    parse_bad("Basic ");
    parse_bad("Basic    ");
    parse_bad("BasicYWxpY2U6YWxpY2UtcGFzcw==");
    parse_bad("Bearer YWxpY2U6YWxpY2UtcGFzcw==");
    parse_bad("Digest username=\"alice\"");
    parse_bad(" Basic YWxpY2U6YWxpY2UtcGFzcw==");
    /* Not base64, or cut to a length that is not a multiple of 4. */
    parse_bad("Basic YWxp*2U6YWxpY2UtcGFzcw==");
    parse_bad("Basic YWxpY2U6YWxpY2UtcGFzcw=");
    parse_bad("Basic YWxpY2U6YWxpY2UtcGFzcw");
    parse_bad("Basic dTpwdw");
    parse_bad("Basic YWxp Y2U6YWxpY2UtcGFzcw==");
    parse_bad("Basic YWxpY2U6YWxpY2UtcGFzcw==\t");
    /* No ':' at all, or a NUL inside. */
    parse_bad(basic("alice", h, sizeof(h)));
    parse_bad(basic("", h, sizeof(h)));
    parse_bad(basic_n("u:p\0q", 5, h, sizeof(h)));
    parse_bad(basic_n("u\0:pq", 5, h, sizeof(h)));
}

/* Odd padding must never crash or yield a half-decoded login. */
static void test_auth_parse_basic_odd_padding(void **state)
{
    (void)state;
    const char *odd[] = {"Basic ====",     "Basic =AAA",     "Basic A===",  "Basic AA=A",
                         "Basic dTpw====", "Basic dT==cHc=", "Basic ==dTpw"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        char user[USER_NAME_MAX], password[64];
        int rc = auth_parse_basic(odd[i], user, sizeof(user), password, sizeof(password));
        if (rc == 0 && (strlen(user) + strlen(password) + 1) > 3 * strlen(odd[i] + 6) / 4)
            fail_msg("\"%s\" decoded to more bytes than it holds", odd[i]);
    }
}

static void test_auth_parse_basic_sizes(void **state)
{
    (void)state;
    /* The largest header accepted: 1024 base64 characters, 768 bytes "u:" + 766. */
    char plain[800], header[2048], user[8], password[1024];
    memcpy(plain, "u:", 2);
    memset(plain + 2, 'x', 766);
    plain[768] = '\0';
    basic(plain, header, sizeof(header));
    assert_int_equal(strlen(header + 6), 1024);
    assert_int_equal(auth_parse_basic(header, user, sizeof(user), password, sizeof(password)), 0);
    assert_int_equal(strlen(password), 766);
    /* Three bytes more: 1028 characters, refused before decoding. */
    memset(plain + 768, 'x', 3);
    plain[771] = '\0';
    basic(plain, header, sizeof(header));
    assert_int_equal(auth_parse_basic(header, user, sizeof(user), password, sizeof(password)),
                     -EINVAL);

    /* Fields that do not fit the caller's buffers are refused, never cut short. */
    basic("alice:alice-pass", header, sizeof(header));
    char small[5];
    assert_int_equal(auth_parse_basic(header, small, sizeof(small), password, sizeof(password)),
                     -EINVAL);
    assert_int_equal(auth_parse_basic(header, user, sizeof(user), small, sizeof(small)), -EINVAL);
    char six[6], eleven[11];
    assert_int_equal(auth_parse_basic(header, six, sizeof(six), eleven, sizeof(eleven)), 0);
    assert_string_equal(six, "alice");
    assert_string_equal(eleven, "alice-pass");
}

/* Every prefix of a header, each in a buffer of exactly its size: ASan sees any overread. */
static void test_auth_parse_basic_every_prefix(void **state)
{
    (void)state;
    const char *full = "Basic YWxpY2U6YWxpY2UtcGFzcw==";
    for (size_t len = 0; len <= strlen(full); len++) {
        char *copy = malloc(len + 1);
        assert_non_null(copy);
        memcpy(copy, full, len);
        copy[len] = '\0';
        char user[USER_NAME_MAX], password[64];
        int rc = auth_parse_basic(copy, user, sizeof(user), password, sizeof(password));
        assert_true(rc == 0 || rc == -EINVAL);
        free(copy);
    }
}

static void test_auth_check_basic_and_roles(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char h[256];
    struct auth_stats st;

    assert_int_equal(auth_check(a, NULL, NULL, ADDR, T0, &who, &retry), AUTH_NONE);
    assert_int_equal(auth_check(a, NULL, "theme=dark", ADDR, T0, &who, &retry), AUTH_NONE);

    assert_int_equal(
        auth_check(a, basic("alice:alice-pass", h, sizeof(h)), NULL, ADDR, T0, &who, &retry),
        AUTH_OK);
    assert_string_equal(who.user, "alice");
    assert_int_equal(who.role, ROLE_OPERATOR);
    assert_int_equal(who.is_session, 0);

    assert_int_equal(
        auth_check(a, basic("bob:bob-pass", h, sizeof(h)), NULL, ADDR, T0, &who, &retry), AUTH_OK);
    assert_string_equal(who.user, "bob");
    assert_int_equal(who.role, ROLE_VIEWER);

    /* Someone else's password, an unknown name: both plain failures, and both counted. */
    assert_int_equal(
        auth_check(a, basic("bob:alice-pass", h, sizeof(h)), NULL, ADDR, T0, &who, &retry),
        AUTH_BAD);
    assert_int_equal(
        auth_check(a, basic("eve:alice-pass", h, sizeof(h)), NULL, OTHER_ADDR, T0, &who, &retry),
        AUTH_BAD);
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, 2);

    /* A header that is not Basic credentials is refused without counting as a guess. */
    assert_int_equal(auth_check(a, "Bearer abc", NULL, ADDR, T0, &who, &retry), AUTH_BAD);
    assert_int_equal(auth_check(a, "Basic !!!!", NULL, ADDR, T0, &who, &retry), AUTH_BAD);
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, 2);
    assert_int_equal(st.logins, 0);
    auth_free(a);
    auth_free(NULL);
}

static void test_auth_check_session_cookie_versus_basic(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char tok[SESSION_TOKEN_CHARS + 1], cookie[256], h[256];
    struct auth_stats st;

    assert_int_equal(auth_login(a, "bob", "bob-pass", ADDR, T0, &who, tok, &retry), AUTH_OK);
    assert_string_equal(who.user, "bob");
    assert_int_equal(who.is_session, 1);
    assert_int_equal(strlen(tok), SESSION_TOKEN_CHARS);
    assert_int_equal(strspn(tok, "0123456789abcdef"), SESSION_TOKEN_CHARS);
    auth_get_stats(a, &st);
    assert_int_equal(st.logins, 1);

    snprintf(cookie, sizeof(cookie), "theme=dark; %s=%s; lang=en", SESSION_COOKIE, tok);
    memset(&who, 0, sizeof(who));
    assert_int_equal(auth_check(a, NULL, cookie, ADDR, T0 + MS, &who, &retry), AUTH_OK);
    assert_string_equal(who.user, "bob");
    assert_int_equal(who.role, ROLE_VIEWER);
    assert_int_equal(who.is_session, 1);

    /* A valid session wins over whatever Basic header comes with it, even a wrong one... */
    assert_int_equal(
        auth_check(a, basic("alice:wrong", h, sizeof(h)), cookie, ADDR, T0 + MS, &who, &retry),
        AUTH_OK);
    assert_string_equal(who.user, "bob");
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, 0);
    /* ...and a dead session falls back to Basic when there is one, else is refused. */
    char dead[256];
    snprintf(dead, sizeof(dead), "%s=%064d", SESSION_COOKIE, 0);
    assert_int_equal(auth_check(a, NULL, dead, ADDR, T0, &who, &retry), AUTH_BAD);
    assert_int_equal(
        auth_check(a, basic("alice:alice-pass", h, sizeof(h)), dead, ADDR, T0, &who, &retry),
        AUTH_OK);
    assert_string_equal(who.user, "alice");
    assert_int_equal(who.is_session, 0);
    /* A cookie of a similar name is not ours. */
    snprintf(cookie, sizeof(cookie), "x%s=%s", SESSION_COOKIE, tok);
    assert_int_equal(auth_check(a, NULL, cookie, ADDR, T0, &who, &retry), AUTH_NONE);

    /* Idle expiry, driven by now_us. */
    snprintf(cookie, sizeof(cookie), "%s=%s", SESSION_COOKIE, tok);
    int64_t late = T0 + MS + (int64_t)IDLE_MS * MS + 1;
    assert_int_equal(auth_check(a, NULL, cookie, ADDR, late, &who, &retry), AUTH_BAD);

    /* Logout ends exactly the session named. */
    char t1[SESSION_TOKEN_CHARS + 1], t2[SESSION_TOKEN_CHARS + 1], c1[128], c2[128];
    assert_int_equal(auth_login(a, "alice", "alice-pass", ADDR, late, &who, t1, &retry), AUTH_OK);
    assert_int_equal(auth_login(a, "alice", "alice-pass", ADDR, late, &who, t2, &retry), AUTH_OK);
    snprintf(c1, sizeof(c1), "%s=%s", SESSION_COOKIE, t1);
    snprintf(c2, sizeof(c2), "%s=%s", SESSION_COOKIE, t2);
    auth_logout(a, c1, "127.0.0.1");
    auth_logout(a, NULL, "127.0.0.1");
    auth_logout(a, "unrelated=1", "127.0.0.1");
    assert_int_equal(auth_check(a, NULL, c1, ADDR, late, &who, &retry), AUTH_BAD);
    assert_int_equal(auth_check(a, NULL, c2, ADDR, late, &who, &retry), AUTH_OK);
    assert_string_equal(who.user, "alice");
    assert_int_equal(who.role, ROLE_OPERATOR);

    /* A wrong login form starts nothing. */
    char none[SESSION_TOKEN_CHARS + 1] = "";
    assert_int_equal(auth_login(a, "alice", "bob-pass", ADDR, late, &who, none, &retry), AUTH_BAD);
    auth_get_stats(a, &st);
    assert_int_equal(st.logins, 3);
    assert_int_equal(st.failures, 1);
    auth_free(a);
}

/* Fail from addr until it is throttled: THROTTLE_FREE_FAILURES wrong passwords at now_us. */
static void fail_until_throttled(struct auth *a, const char *addr, int64_t now_us)
{
    struct auth_identity who;
    int64_t retry = 0;
    char h[256];
    for (unsigned i = 0; i < THROTTLE_FREE_FAILURES; i++) {
        assert_int_equal(
            auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, addr, now_us, &who, &retry),
            AUTH_BAD);
    }
    retry = 0;
    assert_int_equal(
        auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, addr, now_us, &who, &retry),
        AUTH_THROTTLED);
    assert_true(retry > 0);
}

static void test_auth_throttled_after_repeated_failures(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char h[256], tok[SESSION_TOKEN_CHARS + 1];
    struct auth_stats st;

    fail_until_throttled(a, ADDR, T0);
    /* Inside the delay even the right password is refused unchecked, by both doors. */
    retry = 0;
    assert_int_equal(
        auth_check(a, basic("bob:bob-pass", h, sizeof(h)), NULL, ADDR, T0, &who, &retry),
        AUTH_THROTTLED);
    assert_int_equal(retry, 1000);
    retry = 0;
    assert_int_equal(auth_login(a, "bob", "bob-pass", ADDR, T0 + 400 * MS, &who, tok, &retry),
                     AUTH_THROTTLED);
    assert_int_equal(retry, 600);
    /* Another address is not held up. */
    assert_int_equal(
        auth_check(a, basic("bob:bob-pass", h, sizeof(h)), NULL, OTHER_ADDR, T0, &who, &retry),
        AUTH_OK);

    /* Refused attempts are not failures: after the delay, one more wrong password is the
     * fourth failure (a 2 s delay), not the eighth. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, ADDR,
                                    T0 + 500 * MS, &who, &retry),
                         AUTH_THROTTLED);
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, THROTTLE_FREE_FAILURES);
    assert_int_equal(st.throttled, 1 + 1 + 1 + 4);
    int64_t t1 = T0 + 1000 * MS;
    assert_int_equal(
        auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, ADDR, t1, &who, &retry), AUTH_BAD);
    assert_int_equal(
        auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, ADDR, t1, &who, &retry),
        AUTH_THROTTLED);
    assert_int_equal(retry, 2000);

    /* A right password once the wait is over clears the address. */
    int64_t t2 = t1 + 2000 * MS;
    assert_int_equal(auth_login(a, "bob", "bob-pass", ADDR, t2, &who, tok, &retry), AUTH_OK);
    assert_int_equal(
        auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, ADDR, t2, &who, &retry), AUTH_BAD);
    assert_int_equal(
        auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, ADDR, t2, &who, &retry), AUTH_BAD);
    auth_free(a);
}

/*
 * A verified Basic header is remembered: crypt is not observable from here, but the throttle
 * is, and a remembered header never reaches it. So from a throttled address the same header
 * keeps working while any header that would need a password check is refused unchecked.
 */
static void test_auth_basic_cache(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char alice[256], h[256];
    struct auth_stats st;
    basic("alice:alice-pass", alice, sizeof(alice));

    assert_int_equal(auth_check(a, alice, NULL, ADDR, T0, &who, &retry), AUTH_OK);
    for (int i = 0; i < 20; i++) {
        memset(&who, 0, sizeof(who));
        assert_int_equal(auth_check(a, alice, NULL, ADDR, T0 + i * MS, &who, &retry), AUTH_OK);
        assert_string_equal(who.user, "alice");
        assert_int_equal(who.role, ROLE_OPERATOR);
        assert_int_equal(who.is_session, 0);
    }
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.throttled, 0);

    /* Lock the address out: each failure comes once the previous delay is over. */
    int64_t now = T0 + 100 * MS;
    unsigned failures = 0;
    while (failures < THROTTLE_LOCKOUT_FAILURES) {
        retry = 0;
        enum auth_result r =
            auth_check(a, basic("alice:guess", h, sizeof(h)), NULL, ADDR, now, &who, &retry);
        if (r == AUTH_THROTTLED) {
            now += retry * MS;
            continue;
        }
        assert_int_equal(r, AUTH_BAD);
        failures++;
    }
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, THROTTLE_LOCKOUT_FAILURES);
    const int64_t locked = now; /* the lockout runs from the last failure */
    const int64_t expiry = T0 + (int64_t)AUTH_CACHE_MS * MS;
    assert_true(locked < expiry && expiry < locked + (int64_t)THROTTLE_LOCKOUT_MS * MS);

    /* Locked out: the remembered login still opens, in any spelling of its header (the cache
     * holds the decoded credentials: issue 10 #5); a new one (even a right one) does not. */
    uint64_t throttled_before = st.throttled;
    assert_int_equal(auth_check(a, alice, NULL, ADDR, locked + MS, &who, &retry), AUTH_OK);
    assert_string_equal(who.user, "alice");
    char alice2[300];
    snprintf(alice2, sizeof(alice2), "Basic  %s", alice + 6); /* same login, other bytes */
    assert_int_equal(auth_check(a, alice2, NULL, ADDR, locked + MS, &who, &retry), AUTH_OK);
    snprintf(alice2, sizeof(alice2), "basic %s ", alice + 6);
    assert_int_equal(auth_check(a, alice2, NULL, ADDR, locked + MS, &who, &retry), AUTH_OK);
    assert_int_equal(
        auth_check(a, basic("bob:bob-pass", h, sizeof(h)), NULL, ADDR, locked + MS, &who, &retry),
        AUTH_THROTTLED);
    auth_get_stats(a, &st);
    assert_int_equal(st.throttled, throttled_before + 1);

    /* The memory lasts AUTH_CACHE_MS from the check that verified it, then the password is
     * checked again (and, from this still locked-out address, refused unchecked). */
    assert_int_equal(auth_check(a, alice, NULL, ADDR, expiry - 1, &who, &retry), AUTH_OK);
    assert_int_equal(auth_check(a, alice, NULL, ADDR, expiry, &who, &retry), AUTH_THROTTLED);
    assert_true(retry > 0);
    /* Elsewhere it verifies afresh and is remembered again. */
    assert_int_equal(auth_check(a, alice, NULL, OTHER_ADDR, expiry, &who, &retry), AUTH_OK);
    assert_int_equal(auth_check(a, alice, NULL, ADDR, expiry + MS, &who, &retry), AUTH_OK);

    /* A wrong header is never remembered: it keeps failing and counting. */
    auth_free(a);
    a = make_auth();
    for (unsigned i = 0; i < THROTTLE_FREE_FAILURES; i++)
        assert_int_equal(
            auth_check(a, basic("bob:nope", h, sizeof(h)), NULL, OTHER_ADDR, T0, &who, &retry),
            AUTH_BAD);
    auth_get_stats(a, &st);
    assert_int_equal(st.failures, THROTTLE_FREE_FAILURES);
    auth_free(a);
}

/* Read a whole small file into a new string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int make_dir(void **state)
{
    *state = ts_tmpdir_new();
    return *state != NULL ? 0 : -1;
}

static int free_dir(void **state)
{
    ts_tmpdir_free(*state);
    *state = NULL;
    return 0;
}

/* Failed logins and lockouts are logged with the name and address, never the password. */
static void test_auth_log_names_failures_not_secrets(void **state)
{
    const char *dir = *state;
    char path[512];
    assert_int_equal(ts_file_write(dir, "log", "", path, sizeof(path)), 0);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char h[256], basic_wrong[256], tok[SESSION_TOKEN_CHARS + 1] = "";
    basic("alice:Wr0ng-Secret", basic_wrong, sizeof(basic_wrong));
    basic("bob:bob-pass", h, sizeof(h));

    /* stderr goes to the file meanwhile: no assertion until it is back. */
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
    enum log_level saved_level = log_current_level;
    log_current_level = LOG_LEVEL_DEBUG;
    int64_t now = T0;
    for (unsigned n = 0; n < THROTTLE_LOCKOUT_FAILURES;) {
        retry = 0;
        enum auth_result r = auth_check(a, basic_wrong, NULL, ADDR, now, &who, &retry);
        if (r == AUTH_THROTTLED)
            now += retry * MS;
        else
            n++;
    }
    /* A name is the client's text: a line end in it must not start a forged log line. */
    enum auth_result forged =
        auth_login(a, "mallory\nFORGED bob logged in\r", "x", "192.0.2.12", now, &who, tok, &retry);
    enum auth_result login = auth_login(a, "bob", "bob-pass", OTHER_ADDR, now, &who, tok, &retry);
    enum auth_result check = auth_check(a, h, NULL, OTHER_ADDR, now, &who, &retry);
    auth_free(a);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    log_current_level = saved_level;

    assert_int_equal(forged, AUTH_BAD);
    assert_int_equal(login, AUTH_OK);
    assert_int_equal(check, AUTH_OK);
    char *log = slurp(path);
    if (strstr(log, "\nFORGED") != NULL || strchr(log, '\r') != NULL)
        fail_msg("a user name broke a log line:\n%s", log);
    assert_non_null(strstr(log, "failed login for \"mallory?FORGED bob logged in?\""));
    char count_line[64];
    snprintf(count_line, sizeof(count_line), "(%d in a row)", THROTTLE_LOCKOUT_FAILURES);
    assert_non_null(strstr(log, "failed login for \"alice\" from " ADDR));
    assert_non_null(strstr(log, count_line));
    assert_non_null(strstr(log, ADDR " locked out"));
    assert_non_null(strstr(log, "bob logged in from " OTHER_ADDR));
    const char *secrets[] = {"Wr0ng-Secret", "bob-pass", "alice-pass",    basic_wrong + 6,
                             h + 6,          tok,        "Authorization", "Basic "};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (strstr(log, secrets[i]) != NULL)
            fail_msg("the log holds \"%s\":\n%s", secrets[i], log);
    }
    free(log);
}

/* guard_same_origin on a request that came by `scheme` with these Host and Origin headers
 * (either may be NULL). */
static int same_origin_by(const char *scheme, const char *host, const char *origin)
{
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    assert_non_null(req);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if (host != NULL)
        assert_int_equal(evhttp_add_header(in, "Host", host), 0);
    if (origin != NULL)
        assert_int_equal(evhttp_add_header(in, "Origin", origin), 0);
    int rc = guard_same_origin(req, scheme);
    evhttp_request_free(req);
    return rc;
}

static int same_origin(const char *host, const char *origin)
{
    return same_origin_by(strncmp(origin ? origin : "", "https:", 6) == 0 ? "https" : "http", host,
                          origin);
}

/* Issue 10 #12: an origin is scheme, host and port (RFC 6454): a page served over plain HTTP
 * at the same host:port is another origin than the HTTPS site. */
static void test_auth_same_origin_scheme(void **state)
{
    (void)state;
    assert_int_equal(same_origin_by("https", "cam.example", "https://cam.example"), 1);
    assert_int_equal(same_origin_by("https", "cam.example", "HTTPS://cam.example"), 1);
    assert_int_equal(same_origin_by("https", "cam.example:8443", "http://cam.example:8443"), 0);
    assert_int_equal(same_origin_by("http", "cam.example:5000", "https://cam.example:5000"), 0);
    assert_int_equal(same_origin_by("http", "cam.example:5000", "ftp://cam.example:5000"), 0);
}

/* The CSRF check compares like with like for IPv6 literals too: libevent keeps the brackets of
 * an IP literal in the host it parses from Origin, and they must not be doubled. */
static void test_auth_same_origin_ipv6(void **state)
{
    (void)state;
    assert_int_equal(same_origin("127.0.0.1:5000", "http://127.0.0.1:5000"), 1);
    assert_int_equal(same_origin("[::1]:5000", "http://[::1]:5000"), 1);
    assert_int_equal(same_origin("[2001:DB8::7]", "https://[2001:db8::7]"), 1);
    assert_int_equal(same_origin("[::1]:5000", "http://[::1]:5001"), 0);
    assert_int_equal(same_origin("[::1]:5000", "http://[::2]:5000"), 0);
    assert_int_equal(same_origin("[::1]:5000", "http://evil.example"), 0);
    assert_int_equal(same_origin("[::1]:5000", NULL), 1);
}

/* Guesses spread over many addresses still cost at most AUTH_MAX_CHECKS_PER_S password checks. */
static void test_auth_global_check_rate(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char h[128], addr[32];
    basic("alice:guess", h, sizeof(h));
    for (unsigned i = 0; i < AUTH_MAX_CHECKS_PER_S; i++) {
        snprintf(addr, sizeof(addr), "198.51.100.%u", i + 1);
        assert_int_equal(auth_check(a, h, NULL, addr, T0, &who, &retry), AUTH_BAD);
    }
    assert_int_equal(auth_check(a, h, NULL, "203.0.113.1", T0 + 300 * MS, &who, &retry),
                     AUTH_THROTTLED);
    assert_int_equal(retry, 700);
    /* The next second has room again, and the right password works. */
    assert_int_equal(auth_check(a, basic("alice:alice-pass", h, sizeof(h)), NULL, "203.0.113.1",
                                T0 + 1000 * MS, &who, &retry),
                     AUTH_OK);
    auth_free(a);
}

/*
 * Issue 10 #5: a flood from addresses that failed before may use only part of the relay's
 * checks a second; AUTH_RESERVED_CHECKS_PER_S stay for addresses without recent failures, so
 * the right password still gets in from elsewhere.
 */
static void test_auth_reserved_checks_for_clean_addresses(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char h[128], addr[32], token[SESSION_TOKEN_CHARS + 1];
    basic("alice:guess", h, sizeof(h));
    for (unsigned i = 0; i < 10; i++) {
        snprintf(addr, sizeof(addr), "198.51.100.%u", i + 1);
        assert_int_equal(auth_check(a, h, NULL, addr, T0 - 2000 * MS, &who, &retry), AUTH_BAD);
    }
    unsigned checked = 0, refused = 0;
    for (unsigned i = 0; i < 20; i++) {
        snprintf(addr, sizeof(addr), "198.51.100.%u", i % 10 + 1);
        enum auth_result r = auth_check(a, h, NULL, addr, T0, &who, &retry);
        checked += r == AUTH_BAD;
        refused += r == AUTH_THROTTLED;
    }
    assert_int_equal(checked, AUTH_MAX_CHECKS_PER_S - AUTH_RESERVED_CHECKS_PER_S);
    assert_int_equal(refused, 20 - checked);
    for (unsigned i = 0; i < AUTH_RESERVED_CHECKS_PER_S; i++) {
        snprintf(addr, sizeof(addr), "203.0.113.%u", i + 1);
        assert_int_equal(auth_login(a, "alice", "alice-pass", addr, T0, &who, token, &retry),
                         AUTH_OK);
    }
    assert_int_equal(auth_login(a, "alice", "alice-pass", "203.0.113.99", T0, &who, token, &retry),
                     AUTH_THROTTLED);
    auth_free(a);
}

/* Issue 10 #5: successful checks count against an address's own budget too. */
static void test_auth_successes_count_per_address(void **state)
{
    (void)state;
    struct auth *a = make_auth();
    struct auth_identity who;
    int64_t retry = 0;
    char token[SESSION_TOKEN_CHARS + 1];
    int64_t now = T0;
    for (unsigned i = 0; i < THROTTLE_CHECKS_PER_WINDOW; i++, now += 100 * MS)
        assert_int_equal(auth_login(a, "bob", "bob-pass", ADDR, now, &who, token, &retry), AUTH_OK);
    assert_int_equal(auth_login(a, "bob", "bob-pass", ADDR, now, &who, token, &retry),
                     AUTH_THROTTLED);
    assert_true(retry > 0);
    assert_int_equal(auth_login(a, "bob", "bob-pass", OTHER_ADDR, now, &who, token, &retry),
                     AUTH_OK);
    auth_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_parse_basic_good),
        cmocka_unit_test(test_auth_parse_basic_bad),
        cmocka_unit_test(test_auth_parse_basic_odd_padding),
        cmocka_unit_test(test_auth_parse_basic_sizes),
        cmocka_unit_test(test_auth_parse_basic_every_prefix),
        cmocka_unit_test(test_auth_check_basic_and_roles),
        cmocka_unit_test(test_auth_check_session_cookie_versus_basic),
        cmocka_unit_test(test_auth_throttled_after_repeated_failures),
        cmocka_unit_test(test_auth_basic_cache),
        cmocka_unit_test(test_auth_global_check_rate),
        cmocka_unit_test(test_auth_reserved_checks_for_clean_addresses),
        cmocka_unit_test(test_auth_successes_count_per_address),
        cmocka_unit_test_setup_teardown(test_auth_log_names_failures_not_secrets, make_dir,
                                        free_dir),
        cmocka_unit_test(test_auth_same_origin_ipv6),
        cmocka_unit_test(test_auth_same_origin_scheme),
    };
    return cmocka_run_group_tests_name("auth", tests, group_setup, NULL);
}
