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
#include <sys/stat.h>
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
    /* A second camera, "back" (offline: no camera there), for "other cameras are 404". */
    char cams[600], back[1024];
    snprintf(cams, sizeof(cams), "%s/cams", f->dir);
    snprintf(back, sizeof(back), "CAM_URL=http://127.0.0.1:9/mjpeg\nPRESETS_FILE=%s/back.presets\n",
             f->dir);
    if (mkdir(cams, 0700) < 0 || ts_file_write(cams, "back.env", back, NULL, 0) < 0)
        return -1;
    char env[2048];
    snprintf(env, sizeof(env),
             "USERS_FILE=%s\nAUDIT_LOG=%s\nPRESETS_FILE=%s/presets\nCAMERAS_DIR=%s\n",
             f->users_path, f->audit_path, f->dir, cams);
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
static void test_sharing_audit_records_who_did_what(void **state)
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

/* Read what already waits in the socket: until a frame takes more than 25 ms to come. */
static void drain(struct ts_stream *st)
{
    for (int i = 0; i < 1000; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        read_frames(st, 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) > 25000000L)
            return;
    }
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
static void test_sharing_users_file_reloads_without_restart(void **state)
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
    drain(alice); /* what waited in the socket while we edited */
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
    /* The admins' page says so too. */
    assert_int_equal(get(f, "/api/accounts", f->stack.auth, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"error\":\""));
    assert_non_null(strstr((const char *)r.body, ":3: not a crypt(3) hash"));
    ts_http_response_deinit(&r);
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
static void test_sharing_sessions_survive_restart(void **state)
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

/* POST /api/shares as alice (Basic); copies the token of the link's url. Returns the status. */
static int make_link(struct fx *f, const char *form, char *token, char *id, char *url_out)
{
    struct ts_http_response r;
    char headers[512];
    snprintf(headers, sizeof(headers), "%sContent-Type: application/x-www-form-urlencoded\r\n",
             f->stack.auth);
    int status = post(f, "/api/shares", headers, form, &r);
    if (status == 200) {
        const char *url = strstr((const char *)r.body, "\"url\":\"");
        assert_non_null(url);
        url += 7;
        char want[64];
        snprintf(want, sizeof(want), "http://127.0.0.1:%u/s/", (unsigned)f->stack.relay_port);
        assert_int_equal(strncmp(url, want, strlen(want)), 0);
        snprintf(token, 65, "%.64s", url + strlen(want));
        assert_int_equal(strspn(token, "0123456789abcdef"), 64);
        if (url_out != NULL)
            snprintf(url_out, 200, "%.*s", (int)strcspn(url, "\""), url);
        const char *idp = strstr((const char *)r.body, "\"id\":\"");
        assert_non_null(idp);
        snprintf(id, 17, "%.16s", idp + 6);
    }
    ts_http_response_deinit(&r);
    return status;
}

/* GET /s/TOKEN from a fresh client; on 200 copies the guest cookie's token. Returns status. */
static int open_link(struct fx *f, const char *token, char *cookie_token, char *body_word,
                     size_t word_size)
{
    char path[128];
    snprintf(path, sizeof(path), "/s/%s", token);
    struct ts_http_response r;
    int status = get(f, path, NULL, &r);
    char cookie[256];
    if (cookie_token != NULL)
        cookie_token[0] = '\0';
    if (status == 200 && cookie_token != NULL &&
        ts_http_header(r.head, "Set-Cookie", cookie, sizeof(cookie)) > 0)
        snprintf(cookie_token, 65, "%.64s", cookie + strlen(COOKIE_NAME) + 1);
    if (body_word != NULL)
        snprintf(body_word, word_size, "%s", r.body != NULL ? (const char *)r.body : "");
    ts_http_response_deinit(&r);
    return status;
}

/*
 * A guest link: the picture without a login, nothing else (steer 403, another route 403, a camera
 * it does not name 404), until it is revoked (its stream closes at once) or expires; a dead link
 * answers 410 with a page that says so; guessing is throttled; all of it audited, no secrets.
 */
static void test_sharing_guest_link(void **state)
{
    struct fx *f = *state;
    char token[65], id[17], url[200], guest[65], cookie[256], page[8192];
    assert_int_equal(make_link(f, "cameras=cam&expires=1h&label=babysitter", token, id, url), 200);
    assert_int_equal(make_link(f, "cameras=nosuchcam&expires=1h", token, id, NULL), 400);
    assert_int_equal(make_link(f, "expires=sometime", token, id, NULL), 400);
    assert_int_equal(make_link(f, "cameras=cam&expires=week&label=babysitter", token, id, url),
                     200);

    assert_int_equal(open_link(f, token, guest, page, sizeof(page)), 200);
    assert_non_null(strstr(page, "<!doctype html>")); /* the page itself, no login */
    assert_int_equal(strlen(guest), 64);
    cookie_header(guest, cookie, sizeof(cookie));
    struct ts_stream *st = ts_stream_open(f->stack.relay_port, "/mjpeg", cookie, HTTP_TIMEOUT_MS);
    assert_non_null(st);
    read_frames(st, 3);
    struct ts_http_response r;
    assert_int_equal(get(f, "/api/status", cookie, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"is_guest\":true"));
    assert_non_null(strstr((const char *)r.body, "\"role\":\"viewer\""));
    ts_http_response_deinit(&r);
    assert_int_equal(status_of(get(f, "/snapshot.jpg", cookie, &r), &r), 200);
    assert_int_equal(status_of(post(f, "/api/move?tr=10", cookie, NULL, &r), &r), 403);
    assert_int_equal(status_of(post(f, "/turnleft", cookie, NULL, &r), &r), 403);
    assert_int_equal(status_of(get(f, "/metrics", cookie, &r), &r), 403);
    assert_int_equal(status_of(get(f, "/api/presets", cookie, &r), &r), 403);
    assert_int_equal(status_of(get(f, "/api/shares", cookie, &r), &r), 403);
    /* Another camera is not there, for a guest: 404, as for a camera that does not exist. */
    assert_int_equal(status_of(get(f, "/c/back/api/status", cookie, &r), &r), 404);
    assert_int_equal(status_of(get(f, "/c/back/mjpeg", cookie, &r), &r), 404);
    assert_int_equal(status_of(get(f, "/c/back/snapshot.jpg", cookie, &r), &r), 404);
    assert_int_equal(status_of(get(f, "/c/nosuch/api/status", cookie, &r), &r), 404);
    assert_int_equal(status_of(get(f, "/c/cam/api/status", cookie, &r), &r), 200);
    assert_int_equal(status_of(get(f, "/c/back/api/status", f->stack.auth, &r), &r), 200);
    assert_int_equal(get(f, "/api/cameras", cookie, &r), 200);
    assert_null(strstr((const char *)r.body, "\"back\""));
    ts_http_response_deinit(&r);

    /* The list says who made it and when it was last used. */
    assert_int_equal(get(f, "/api/shares", f->stack.auth, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"label\":\"babysitter\",\"creator\":\"alice\""));
    assert_non_null(strstr((const char *)r.body, "\"uses\":1"));
    assert_null(strstr((const char *)r.body, token));
    ts_http_response_deinit(&r);

    /* Revoked: its open stream closes at once, its cookie stops working, the link says so. */
    char form[64], headers[512];
    snprintf(form, sizeof(form), "id=%s", id);
    snprintf(headers, sizeof(headers), "%sContent-Type: application/x-www-form-urlencoded\r\n",
             f->stack.auth);
    assert_int_equal(status_of(post(f, "/api/shares/revoke", headers, form, &r), &r), 200);
    expect_stream_closed(st);
    ts_stream_close(st);
    assert_int_equal(status_of(get(f, "/api/status", cookie, &r), &r), 401);
    assert_int_equal(open_link(f, token, NULL, page, sizeof(page)), 410);
    assert_non_null(strstr(page, "This guest link was revoked."));
    assert_int_equal(status_of(post(f, "/api/shares/revoke", headers, form, &r), &r), 409);

    /* Expiry: a link that ends two seconds from now stops its stream by itself. */
    char expires[80];
    snprintf(expires, sizeof(expires), "cameras=cam&expires=%lld", (long long)time(NULL) + 2);
    assert_int_equal(make_link(f, expires, token, id, NULL), 200);
    assert_int_equal(open_link(f, token, guest, NULL, 0), 200);
    st = ts_stream_open(f->stack.relay_port, "/mjpeg", cookie_header(guest, cookie, sizeof(cookie)),
                        HTTP_TIMEOUT_MS);
    assert_non_null(st);
    expect_stream_closed(st);
    ts_stream_close(st);
    assert_int_equal(open_link(f, token, NULL, page, sizeof(page)), 410);
    assert_non_null(strstr(page, "This guest link has expired."));
    assert_int_equal(status_of(get(f, "/api/status", cookie, &r), &r), 401);

    /* Guessing: like a wrong password, a few free tries, then 429. */
    const char *guess = "00000000000000000000000000000000000000000000000000000000000000ff";
    int status = 0;
    for (int i = 0; i < 6 && status != 429; i++)
        status = open_link(f, guess, NULL, NULL, 0);
    assert_int_equal(status, 429);

    /* Audited with the address, and no token anywhere in the audit or the relay's log. */
    char *audit = ts_file_read(f->audit_path, 1 << 20);
    assert_non_null(strstr(audit, "\"action\":\"share_create\",\"user\":\"alice\""));
    assert_non_null(
        strstr(audit, "\"action\":\"share_open\",\"user\":\"guest\",\"address\":\"127.0.0.1\""));
    assert_non_null(strstr(audit, "\"action\":\"share_revoke\",\"user\":\"alice\""));
    assert_non_null(strstr(audit, "\"action\":\"share_expired\""));
    assert_null(strstr(audit, token));
    assert_null(strstr(audit, guest));
    free(audit);
    char *log = ts_file_read(f->stack.relay_log, 4 << 20);
    assert_null(strstr(log, token));
    assert_null(strstr(log, guest));
    free(log);
}

/* POST a form as alice (Basic). Returns the status; the body into out if not NULL. */
static int admin_post(struct fx *f, const char *path, const char *form, char *out, size_t size)
{
    char headers[512];
    snprintf(headers, sizeof(headers), "%sContent-Type: application/x-www-form-urlencoded\r\n",
             f->stack.auth);
    struct ts_http_response r;
    int status = post(f, path, headers, form, &r);
    if (out != NULL)
        snprintf(out, size, "%s", r.body != NULL ? (const char *)r.body : "");
    ts_http_response_deinit(&r);
    return status;
}

/*
 * Accounts from the page: an admin adds one (it logs in at once, the file gets a yescrypt hash),
 * changes its role, resets its password (its sessions end), removes it; the .env admin cannot be
 * touched; a user lists and ends their own sessions and changes their own password.
 */
static void test_sharing_accounts_from_the_page(void **state)
{
    struct fx *f = *state;
    char body[8192], token[65], cookie[256];
    struct ts_http_response r;
    assert_int_equal(admin_post(f, "/api/accounts/add",
                                "name=dave&role=operator&password=dave-pw-1234", body,
                                sizeof(body)),
                     200);
    assert_non_null(strstr(body, "{\"name\":\"dave\",\"cameras\":\"\",\"role\":\"operator\""));
    assert_int_equal(form_login(f, "dave", "dave-pw-1234", token), 303);
    assert_int_equal(strlen(token), 64);
    char *file = ts_file_read(f->users_path, 1 << 20);
    assert_non_null(strstr(file, "\ndave:$y$"));
    assert_non_null(strstr(file, f->bob_line)); /* bob untouched */
    assert_null(strstr(file, "dave-pw-1234"));
    free(file);
    assert_int_equal(
        admin_post(f, "/api/accounts/add", "name=dave&role=viewer&password=x1234567", NULL, 0),
        400); /* twice */
    assert_int_equal(
        admin_post(f, "/api/accounts/add", "name=eve&role=viewer&password=short", NULL, 0), 400);
    /* The .env admin is not the page's to change; a viewer may not manage accounts. */
    assert_int_equal(admin_post(f, "/api/accounts/remove", "name=alice", NULL, 0), 409);
    assert_int_equal(admin_post(f, "/api/accounts/change", "name=alice&role=viewer", NULL, 0), 409);
    char bob_token[65], bob_cookie[256];
    assert_int_equal(form_login(f, "bob", BOB_PW, bob_token), 303);
    cookie_header(bob_token, bob_cookie, sizeof(bob_cookie));
    assert_int_equal(status_of(get(f, "/api/accounts", bob_cookie, &r), &r), 403);

    /* Camera rights: only cameras that exist; dave then sees "cam" only. */
    assert_int_equal(admin_post(f, "/api/accounts/change", "name=dave&cameras=nosuch", NULL, 0),
                     400);
    assert_int_equal(
        admin_post(f, "/api/accounts/change", "name=dave&cameras=cam", body, sizeof(body)), 200);
    assert_non_null(strstr(body, "{\"name\":\"dave\",\"cameras\":\"cam\""));
    cookie_header(token, cookie, sizeof(cookie));
    assert_int_equal(status_of(get(f, "/c/back/api/status", cookie, &r), &r), 404);
    assert_int_equal(status_of(get(f, "/c/cam/api/status", cookie, &r), &r), 200);
    file = ts_file_read(f->users_path, 1 << 20);
    assert_non_null(strstr(file, ":operator:cam\n"));
    free(file);

    /* Role change keeps the session, with the new role; a reset password ends it. */
    cookie_header(token, cookie, sizeof(cookie));
    assert_int_equal(admin_post(f, "/api/accounts/change", "name=dave&role=viewer", NULL, 0), 200);
    assert_int_equal(get(f, "/api/status", cookie, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"role\":\"viewer\""));
    ts_http_response_deinit(&r);
    assert_int_equal(
        admin_post(f, "/api/accounts/change", "name=dave&password=dave-new-5678", NULL, 0), 200);
    assert_int_equal(status_of(get(f, "/api/status", cookie, &r), &r), 401);
    assert_int_equal(form_login(f, "dave", "dave-new-5678", token), 303);
    cookie_header(token, cookie, sizeof(cookie));
    assert_int_equal(admin_post(f, "/api/accounts/remove", "name=dave", NULL, 0), 200);
    assert_int_equal(status_of(get(f, "/api/status", cookie, &r), &r), 401);
    assert_int_equal(admin_post(f, "/api/accounts/remove", "name=dave", NULL, 0), 404);

    /* bob's own sessions: two, one ended by "log out everywhere" from the other. */
    char other[65], other_cookie[256], headers[600];
    assert_int_equal(form_login(f, "bob", BOB_PW, other), 303);
    cookie_header(other, other_cookie, sizeof(other_cookie));
    assert_int_equal(get(f, "/api/sessions", bob_cookie, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"is_current\":true"));
    assert_non_null(strstr((const char *)r.body, "\"is_current\":false"));
    assert_null(strstr((const char *)r.body, bob_token));
    ts_http_response_deinit(&r);
    snprintf(headers, sizeof(headers), "%sContent-Type: application/x-www-form-urlencoded\r\n",
             bob_cookie);
    assert_int_equal(status_of(post(f, "/api/sessions/end", headers, "all=1", &r), &r), 200);
    assert_int_equal(status_of(get(f, "/api/status", other_cookie, &r), &r), 401);
    assert_int_equal(status_of(get(f, "/api/status", bob_cookie, &r), &r), 200);

    /* bob changes his own password: the current one is checked. */
    assert_int_equal(status_of(post(f, "/api/account/password", headers,
                                    "current=wrong-one-99&password=bob-next-pw-88", &r),
                               &r),
                     403);
    assert_int_equal(status_of(post(f, "/api/account/password", headers,
                                    "current=" BOB_PW "&password=bob-next-pw-88", &r),
                               &r),
                     200);
    assert_int_equal(status_of(get(f, "/api/status", bob_cookie, &r), &r), 200);
    assert_int_equal(form_login(f, "bob", "bob-next-pw-88", NULL), 303);

    char *audit = ts_file_read(f->audit_path, 1 << 20);
    assert_non_null(strstr(audit, "\"action\":\"account_add\",\"user\":\"alice\""));
    assert_non_null(strstr(audit, "\"action\":\"account_password_reset\",\"user\":\"alice\""));
    assert_non_null(strstr(audit, "\"action\":\"account_remove\",\"user\":\"alice\""));
    assert_non_null(strstr(audit, "\"action\":\"password_change\",\"user\":\"bob\""));
    assert_null(strstr(audit, "dave-pw-1234"));
    assert_null(strstr(audit, "bob-next-pw-88"));
    free(audit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sharing_audit_records_who_did_what, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sharing_users_file_reloads_without_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sharing_sessions_survive_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sharing_guest_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sharing_accounts_from_the_page, setup, teardown),
    };
    return cmocka_run_group_tests_name("sharing", tests, NULL, NULL);
}
