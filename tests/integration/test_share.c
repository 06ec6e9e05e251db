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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_share_audit_records_who_did_what, setup, teardown),
    };
    return cmocka_run_group_tests_name("share", tests, NULL, NULL);
}
