/*
 * Sharing the camera safely, against a real camera and relay on loopback: the audit log (who did
 * what, from where, nothing secret in it), accounts re-read without a restart, sessions that
 * survive one, and guest links.
 *
 * Each case starts its own camera and relay (tests/support/stack) in a fresh directory, with a
 * USERS_FILE, AUDIT_LOG and SESSIONS_FILE there. Set LOOKOUT_KEEP_TMP=1 to keep the logs of a
 * failed run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/stream.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000
#define COOKIE_NAME "lookout_session"
#define BOB_PW "bob-viewer-pw-42"
#define CAROL_PW "carol-new-pw-77"

struct fx {
    char *dir;
    struct ts_stack stack;
    char users_path[512];
    char audit_path[512];
    char bob_line[512]; /* bob's USERS_FILE line (viewer) */
};

/* `lookout passwd NAME ROLE` with the password on standard input: NAME:HASH:ROLE. */
static void passwd_line(struct fx *f, const char *name, const char *pw, const char *role, char *out,
                        size_t out_size)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | %s/lookout passwd %s %s", pw, ts_bin_dir(),
             name, role);
    (void)f;
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, (int)out_size, p));
    assert_int_equal(pclose(p), 0);
    out[strcspn(out, "\n")] = '\0';
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    *state = f;
    if (f == NULL || (f->dir = ts_tmpdir_new()) == NULL)
        return -1;
    passwd_line(f, "bob", BOB_PW, "viewer", f->bob_line, sizeof(f->bob_line));
    char content[1024];
    snprintf(content, sizeof(content), "%s\n", f->bob_line);
    if (ts_file_write(f->dir, "users", content, f->users_path, sizeof(f->users_path)) < 0)
        return -1;
    snprintf(f->audit_path, sizeof(f->audit_path), "%s/audit.log", f->dir);
    char env[2048];
    snprintf(env, sizeof(env), "USERS_FILE=%s\nAUDIT_LOG=%s\nPRESETS_FILE=%s/presets\n",
             f->users_path, f->audit_path, f->dir);
    if (ts_stack_start(&f->stack, f->dir, 20, env) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f == NULL)
        return 0;
    int rc = ts_stack_stop(&f->stack);
    ts_tmpdir_free(f->dir);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* POST /login; on 303 to "/" copies the session token into token (65 bytes). Returns status. */
static int form_login(struct fx *f, const char *user, const char *pw, char *token)
{
    char body[256];
    snprintf(body, sizeof(body), "user=%s&password=%s", user, pw);
    struct ts_http_response r;
    int status = ts_http_request(f->stack.relay_port, "POST", "/login",
                                 "Content-Type: application/x-www-form-urlencoded\r\n", body,
                                 HTTP_TIMEOUT_MS, &r);
    char cookie[256] = "";
    if (token != NULL)
        token[0] = '\0';
    if (status == 303 && ts_http_header(r.head, "Set-Cookie", cookie, sizeof(cookie)) > 0 &&
        token != NULL && strncmp(cookie, COOKIE_NAME "=", strlen(COOKIE_NAME) + 1) == 0) {
        snprintf(token, 65, "%.64s", cookie + strlen(COOKIE_NAME) + 1);
        char location[64];
        if (ts_http_header(r.head, "Location", location, sizeof(location)) < 0 ||
            strcmp(location, "/") != 0)
            token[0] = '\0';
    }
    ts_http_response_deinit(&r);
    return status;
}

/* "Cookie: lookout_session=TOKEN\r\n" into out. */
static const char *cookie_header(const char *token, char *out, size_t out_size)
{
    snprintf(out, out_size, "Cookie: " COOKIE_NAME "=%s\r\n", token);
    return out;
}

static int get(struct fx *f, const char *path, const char *headers, struct ts_http_response *r)
{
    return ts_http_request(f->stack.relay_port, "GET", path, headers, NULL, HTTP_TIMEOUT_MS, r);
}

static int post(struct fx *f, const char *path, const char *headers, const char *body,
                struct ts_http_response *r)
{
    return ts_http_request(f->stack.relay_port, "POST", path, headers, body, HTTP_TIMEOUT_MS, r);
}

static int status_of(int status, struct ts_http_response *r)
{
    ts_http_response_deinit(r);
    return status;
}

/* Every login, logout and move is in the audit log with its user and address; no secret is. */
static void test_share_audit_records_who_did_what(void **state)
{
    struct fx *f = *state;
    struct ts_http_response r;
    char token[65], cookie[256];
    assert_int_equal(form_login(f, "bob", "wrong-password-1", NULL), 303);
    assert_int_equal(form_login(f, "bob", BOB_PW, token), 303);
    assert_int_equal(strlen(token), 64);
    char bob_token[65];
    snprintf(bob_token, sizeof(bob_token), "%s", token);
    /* bob is a viewer: no audit page, no steering (and a refused move is not a move). */
    assert_int_equal(
        status_of(get(f, "/api/audit", cookie_header(token, cookie, sizeof(cookie)), &r), &r), 403);
    assert_int_equal(status_of(post(f, "/api/move?tr=10", cookie, NULL, &r), &r), 403);
    assert_int_equal(status_of(post(f, "/logout", cookie, NULL, &r), &r), 303);

    /* alice (the .env user, an admin) moves, saves a preset, and reads the log. */
    assert_int_equal(form_login(f, TS_STACK_USER, TS_STACK_PASSWORD, token), 303);
    cookie_header(token, cookie, sizeof(cookie));
    assert_int_equal(status_of(post(f, "/api/move?pan=40&tilt=100", cookie, NULL, &r), &r), 200);
    assert_int_equal(status_of(post(f, "/api/presets/save?name=door", cookie, NULL, &r), &r), 200);
    assert_int_equal(status_of(post(f, "/turnleft", f->stack.auth, NULL, &r), &r), 200);

    assert_int_equal(get(f, "/api/audit?user=bob", cookie, &r), 200);
    const char *json = (const char *)r.body;
    assert_non_null(
        strstr(json, "\"action\":\"login_failed\",\"user\":\"bob\",\"address\":\"127.0.0.1\""));
    assert_non_null(
        strstr(json, "\"action\":\"login\",\"user\":\"bob\",\"address\":\"127.0.0.1\""));
    assert_non_null(
        strstr(json, "\"action\":\"logout\",\"user\":\"bob\",\"address\":\"127.0.0.1\""));
    assert_null(strstr(json, "\"user\":\"alice\""));
    ts_http_response_deinit(&r);

    assert_int_equal(get(f, "/api/audit?action=move", cookie, &r), 200);
    json = (const char *)r.body;
    assert_non_null(
        strstr(json, "\"action\":\"move\",\"user\":\"alice\",\"address\":\"127.0.0.1\","
                     "\"camera\":\"cam\",\"kind\":\"absolute\",\"from_pan\":90,\"from_tilt\":90,"
                     "\"pan\":40,\"tilt\":100"));
    assert_non_null(strstr(json, "\"kind\":\"relative\",\"from_pan\":40,\"from_tilt\":100,"
                                 "\"tr\":5,\"el\":0"));
    assert_null(strstr(json, "\"action\":\"login"));
    ts_http_response_deinit(&r);
    assert_int_equal(
        status_of(get(f, "/api/audit?action=preset_save&since=2020-01-01T00:00", cookie, &r), &r),
        200);
    assert_int_equal(status_of(get(f, "/api/audit?since=yesterday", cookie, &r), &r), 400);

    /* Nothing secret in the file: no password, no session token, no Basic credentials. */
    char *text = ts_file_read(f->audit_path, 1 << 20);
    assert_non_null(text);
    const char *basic = strstr(f->stack.auth, "Basic ") + 6;
    char basic_value[128];
    snprintf(basic_value, sizeof(basic_value), "%.*s", (int)strcspn(basic, "\r\n"), basic);
    const char *secrets[] = {BOB_PW, "wrong-password-1", TS_STACK_PASSWORD,
                             token,  bob_token,          basic_value};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (strstr(text, secrets[i]) != NULL)
            fail_msg("audit log holds secret #%zu", i);
    }
    assert_non_null(strstr(text, "\"action\":\"preset_save\",\"user\":\"alice\""));
    free(text);
}

/* Replace the users file (as an editor would: a new file renamed over the old one). */
static void write_users(struct fx *f, const char *content)
{
    char tmp_name[64];
    static unsigned n;
    snprintf(tmp_name, sizeof(tmp_name), "users.new%u", n++);
    char tmp[512];
    assert_int_equal(ts_file_write(f->dir, tmp_name, content, tmp, sizeof(tmp)), 0);
    assert_int_equal(rename(tmp, f->users_path), 0);
}

/* Poll until `user` can log in (303 to "/"), for at most 5 s. Returns 0 with token filled. */
static int wait_login(struct fx *f, const char *user, const char *pw, char *token)
{
    for (int i = 0; i < 50; i++) {
        if (form_login(f, user, pw, token) == 303 && token[0] != '\0')
            return 0;
        usleep(100 * 1000);
    }
    return -ETIMEDOUT;
}

/* Poll until GET path with headers answers `want`, for at most 5 s. Returns 0 or -ETIMEDOUT. */
static int wait_status(struct fx *f, const char *path, const char *headers, int want)
{
    for (int i = 0; i < 50; i++) {
        struct ts_http_response r;
        if (status_of(get(f, path, headers, &r), &r) == want)
            return 0;
        usleep(100 * 1000);
    }
    return -ETIMEDOUT;
}

/* Read `n` frames from the stream; returns the frames per second seen (printed, not asserted). */
static double read_frames(struct ts_stream *st, int n)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        const uint8_t *jpeg;
        size_t len;
        assert_int_equal(ts_stream_next_frame(st, FRAME_TIMEOUT_MS, &jpeg, &len), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return s > 0 ? n / s : 0;
}

/* The stream ends (closed by the relay) within 5 s. */
static void expect_stream_closed(struct ts_stream *st)
{
    for (int i = 0; i < 200; i++) {
        const uint8_t *jpeg;
        size_t len;
        int rc = ts_stream_next_frame(st, FRAME_TIMEOUT_MS, &jpeg, &len);
        if (rc == -EPIPE || (rc < 0 && rc != -ETIMEDOUT))
            return;
        assert_int_not_equal(rc, -ETIMEDOUT);
    }
    fail_msg("the stream was not closed");
}

/*
 * Editing USERS_FILE takes effect without a restart: a new user logs in, a removed user's session
 * ends and their stream closes, a broken file keeps the last good accounts; a viewer watching
 * all along keeps its connection.
 */
static void test_share_users_file_reloads_without_restart(void **state)
{
    struct fx *f = *state;
    struct ts_stream *alice =
        ts_stream_open(f->stack.relay_port, "/mjpeg", f->stack.auth, HTTP_TIMEOUT_MS);
    assert_non_null(alice);
    double before = read_frames(alice, 10);

    char bob_token[65], cookie[256], bob_cookie[256];
    assert_int_equal(form_login(f, "bob", BOB_PW, bob_token), 303);
    cookie_header(bob_token, bob_cookie, sizeof(bob_cookie));
    struct ts_stream *bob =
        ts_stream_open(f->stack.relay_port, "/mjpeg", bob_cookie, HTTP_TIMEOUT_MS);
    assert_non_null(bob);
    read_frames(bob, 2);

    /* carol is added by editing the file: she logs in at once. */
    char carol_line[512], content[2048], carol_token[65];
    passwd_line(f, "carol", CAROL_PW, "operator", carol_line, sizeof(carol_line));
    snprintf(content, sizeof(content), "%s\n%s\n", f->bob_line, carol_line);
    assert_int_equal(form_login(f, "carol", CAROL_PW, NULL), 303); /* to /login?error=bad */
    write_users(f, content);
    assert_int_equal(wait_login(f, "carol", CAROL_PW, carol_token), 0);
    read_frames(alice, 10); /* what waited in the socket while we edited */
    double after = read_frames(alice, 20);
    fprintf(stderr, "share: the watching viewer got %.1f fps before the edit, %.1f after\n", before,
            after);
    struct ts_http_response r;
    assert_int_equal(status_of(get(f, "/api/status", bob_cookie, &r), &r), 200);

    /* A broken edit keeps the last good accounts and says where it is broken. */
    snprintf(content, sizeof(content), "%s\n%s\nmallory:not-a-hash:admin\n", f->bob_line,
             carol_line);
    write_users(f, content);
    char line[512];
    assert_int_equal(ts_proc_wait_log(f->stack.relay_log, "keeping the last good accounts", 5000,
                                      line, sizeof(line)),
                     0);
    char want[600];
    snprintf(want, sizeof(want), "%s:3: not a crypt(3) hash", f->users_path);
    assert_non_null(strstr(line, want));
    assert_int_equal(status_of(get(f, "/api/status", bob_cookie, &r), &r), 200);
    assert_int_equal(form_login(f, "carol", CAROL_PW, carol_token), 303);
    assert_int_equal(strlen(carol_token), 64);

    /* bob is removed: his session ends on his next request and his stream is closed. */
    snprintf(content, sizeof(content), "%s\n", carol_line);
    write_users(f, content);
    assert_int_equal(wait_status(f, "/api/status", bob_cookie, 401), 0);
    expect_stream_closed(bob);
    ts_stream_close(bob);
    /* Everyone else keeps theirs. */
    read_frames(alice, 5);
    assert_int_equal(
        status_of(get(f, "/api/status", cookie_header(carol_token, cookie, sizeof(cookie)), &r),
                  &r),
        200);
    ts_stream_close(alice);
    assert_int_equal(form_login(f, "bob", BOB_PW, NULL), 303);
    char *audit = ts_file_read(f->audit_path, 1 << 20);
    assert_non_null(strstr(audit, "\"action\":\"account_removed\",\"user\":\"\",\"address\":\"\","
                                  "\"account\":\"bob\""));
    free(audit);
}

/* A restart keeps every session: a browser that was logged in stays logged in. */
static void test_share_sessions_survive_restart(void **state)
{
    struct fx *f = *state;
    char token[65], cookie[256];
    assert_int_equal(form_login(f, "bob", BOB_PW, token), 303);
    cookie_header(token, cookie, sizeof(cookie));
    struct ts_http_response r;
    assert_int_equal(status_of(get(f, "/api/status", cookie, &r), &r), 200);
    assert_int_equal(ts_stack_restart_relay(&f->stack), 0);
    assert_int_equal(get(f, "/api/status", cookie, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"user\":\"bob\""));
    ts_http_response_deinit(&r);
    /* The file holds the token's hash, not the token. */
    char path[600];
    snprintf(path, sizeof(path), "%s.sessions", f->users_path);
    char *text = ts_file_read(path, 1 << 20);
    assert_non_null(text);
    assert_null(strstr(text, token));
    assert_non_null(strstr(text, "\tbob\n"));
    free(text);
    /* Logged out before a restart stays logged out after it. */
    assert_int_equal(status_of(post(f, "/logout", cookie, NULL, &r), &r), 303);
    assert_int_equal(ts_stack_restart_relay(&f->stack), 0);
    assert_int_equal(status_of(get(f, "/api/status", cookie, &r), &r), 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_share_audit_records_who_did_what, setup, teardown),
        cmocka_unit_test_setup_teardown(test_share_users_file_reloads_without_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_share_sessions_survive_restart, setup, teardown),
    };
    return cmocka_run_group_tests_name("share", tests, NULL, NULL);
}
