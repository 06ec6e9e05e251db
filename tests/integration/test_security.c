/*
 * Security on loopback: the real relay (lookout) in front of the simulated camera (lookout-cam),
 * attacked the way issue 5 lists: wrong passwords, another site's page, a viewer trying to
 * steer, the login page and its cookie, TLS (versions, reload on SIGHUP, the redirect, HSTS),
 * oversized requests, too many connections, and finally the logs, which must hold no secret.
 *
 * Three relays share one camera, each with its own log:
 *   main  alice (operator, .env HTTP_AUTH_PASSWORD), bob (viewer) and dave (operator) from a
 *         USERS_FILE; bob's line comes from `lookout passwd bob viewer`. CAM_URL and SERVO_URL
 *         carry the node's own user:password, which must not be logged either.
 *   tls   carol (operator, HTTP_AUTH_PASSWORD_HASH), TLS_CERT/TLS_KEY made here with OpenSSL,
 *         HTTP_REDIRECT_LISTEN, HSTS_MAX_AGE_S.
 *   caps  MAX_CONNECTIONS_PER_ADDRESS=3.
 * Every client is 127.0.0.1, so the wrong-password case runs last on main: throttling is per
 * address. HTTPS requests go through curl (the client a user would try first), started and
 * stopped by pid like the servers. Every wait is bounded; nothing asserts on timing.
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"); LOOKOUT_KEEP_TMP=1 keeps the logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stream.h"
#include "../support/tls_cert.h"
#include "../support/tmpdir.h"
#include "session.h"
#include "throttle.h"
#include "users.h"

/* Distinctive, so that finding one in a log cannot be a coincidence. */
#define ALICE_PW "alice-Pw-31415"
#define BOB_PW "bob-Pw-27182"
#define CAROL_PW "carol-Pw-16180"
/* Characters a form must encode, and '+' which a form decodes as a space. */
#define DAVE_PW "dave Pw+&=%14142"
#define DAVE_PW_FORM "dave+Pw%2B%26%3D%2514142"
#define NODE_PW "node-Pw-57721"
#define WRONG_PW "wrong-Pw-69314"
#define QUERY_SECRET "query-Secret-66260"

#define STARTUP_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000
#define CURL_TIMEOUT_S 10
#define STEP_DEG 5
#define HSTS_S 600
#define SESSION_MAX_AGE_S 3600
#define MAX_SECRETS 64
#define CAPS 3

struct relay_proc {
    const char *name;
    char log[512];
    pid_t pid;
    uint16_t port;
};

struct sec {
    char *dir;
    char cam_log[512];
    pid_t cam_pid;
    uint16_t stream_port;
    uint16_t control_port;
    struct relay_proc main;
    struct relay_proc tls;
    struct relay_proc caps;
    uint16_t redirect_port;
    char cert[512]; /* what TLS_CERT and TLS_KEY name; replaced for the reload */
    char key[512];
    char ca1[512]; /* copies of the first and second certificate, for curl --cacert */
    char ca2[512];
    char curl[512]; /* curl's path */
    int curl_runs;
    char alice[256]; /* "Authorization: Basic ...\r\n" lines */
    char bob[256];
    char secrets[MAX_SECRETS][160];
    int n_secrets;
    /* Left open by a case; closed by the per-case teardown if an assertion fails first. */
    struct ts_http_conn *conns[CAPS];
    struct ts_stream *stream;
    int raw_fd;
    pid_t bg_pid;
};

/* ---------------------------------------------------------------- helpers: processes */

static const char *bin_dir(void)
{
    const char *dir = getenv("LOOKOUT_BIN_DIR");
    return (dir != NULL && dir[0] != '\0') ? dir : "build";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/*
 * What the relays and curl must not inherit from whoever runs the tests: every relay setting
 * (the environment overrides .env), systemd's socket activation and journal, proxies.
 */
/* clang-format off */
static char *clean_env[] = {
    /* relay settings */
    "HTTP_AUTH_USERNAME", "HTTP_AUTH_PASSWORD", "HTTP_AUTH_PASSWORD_HASH", "USERS_FILE",
    "SESSION_IDLE_TIMEOUT_MS", "SESSION_MAX_AGE_MS", "TLS_CERT", "TLS_KEY",
    "HTTP_REDIRECT_LISTEN", "HSTS_MAX_AGE_S", "MAX_HEADER_BYTES", "MAX_HEADERS", "MAX_URI_BYTES",
    "MAX_BODY_BYTES", "MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_ADDRESS", "REQUEST_TIMEOUT_MS",
    "CAM_URL", "SERVO_URL", "LISTEN", "MAX_VIEWERS", "MAX_VIEWERS_PER_ADDRESS",
    "UPSTREAM_IDLE_TIMEOUT_MS", "OFFLINE_FRAME_INTERVAL_MS", "VIEWER_STALL_TIMEOUT_MS",
    "UPSTREAM_STALL_TIMEOUT_MS", "PTZ_STEP_DEG", "MAX_FRAME_BYTES", "LOG_LEVEL", "PRESETS_FILE",
    "CAMERA_FOV_DEG",
    /* systemd */
    "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "JOURNAL_STREAM",
    /* curl */
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy", "CURL_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR",
    NULL};
/* clang-format on */

/*
 * Start a program and wait until its log has a "<prefix>HOST:PORT" line, or it exits (then
 * fail at once instead of waiting out the timeout). Returns the port, or -1 after printing why.
 */
static int start_proc(char *const argv[], const char *log_path, const char *prefix, pid_t *pid)
{
    *pid = ts_proc_spawn(argv, clean_env, log_path);
    if (*pid < 0) {
        fprintf(stderr, "security: cannot start %s: %s\n", argv[0], strerror((int)-*pid));
        *pid = 0;
        return -1;
    }
    int64_t deadline = now_ms() + STARTUP_TIMEOUT_MS;
    for (;;) {
        int port = ts_proc_log_port(log_path, prefix, 0);
        if (port > 0)
            return port;
        int status;
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            fprintf(stderr, "security: %s exited during start-up\n", argv[0]);
            ts_proc_print_log(log_path, 40);
            *pid = 0;
            return -1;
        }
        if (now_ms() >= deadline) {
            fprintf(stderr, "security: %s logged no \"%s\" within %d ms\n", argv[0], prefix,
                    STARTUP_TIMEOUT_MS);
            ts_proc_print_log(log_path, 40);
            return -1;
        }
        sleep_ms(20);
    }
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Remember a string that must never appear in a log. */
static void add_secret(struct sec *s, const char *secret)
{
    assert_true(s->n_secrets < MAX_SECRETS);
    assert_true(strlen(secret) > 0 && strlen(secret) < sizeof(s->secrets[0]));
    snprintf(s->secrets[s->n_secrets++], sizeof(s->secrets[0]), "%s", secret);
}

/* "Authorization: Basic <b64>\r\n" for user:pass into out; its base64 becomes a secret. */
static void auth_line(struct sec *s, const char *user, const char *pass, char *out, size_t size)
{
    assert_true(ts_basic_auth_header(user, pass, out, size) > 0);
    char b64[200];
    const char *v = out + strlen("Authorization: Basic ");
    snprintf(b64, sizeof(b64), "%.*s", (int)strcspn(v, "\r\n"), v);
    add_secret(s, b64);
}

/* Largest log or curl output read back. */
#define READ_MAX (4u << 20)

static int copy_file(const char *from, const char *to)
{
    char *data = ts_file_read(from, READ_MAX);
    if (data == NULL)
        return -1;
    FILE *f = fopen(to, "w");
    int rc = (f != NULL && fputs(data, f) >= 0) ? 0 : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(data);
    return rc;
}

/* ---------------------------------------------------------------- helpers: curl */

struct curl_result {
    int exit_code; /* curl's: 0 ok, 35 TLS handshake, 60 certificate, ... */
    int status;    /* HTTP status of the last response, or 0 */
    char *head;    /* owned: response head(s) as curl dumped them */
    char *body;    /* owned */
    char *err;     /* owned: curl's stderr */
};

static void curl_result_deinit(struct curl_result *r)
{
    free(r->head);
    free(r->body);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

/*
 * Run curl with the common options (no config file, no proxy, silent but errors shown, a
 * deadline, head and body to files) followed by args (NULL-terminated), and wait for it.
 */
static void run_curl(struct sec *s, const char *const args[], struct curl_result *r)
{
    memset(r, 0, sizeof(*r));
    int n = ++s->curl_runs;
    char head_path[600], body_path[600], err_path[600], max_time[16];
    snprintf(head_path, sizeof(head_path), "%s/curl%d.head", s->dir, n);
    snprintf(body_path, sizeof(body_path), "%s/curl%d.body", s->dir, n);
    snprintf(err_path, sizeof(err_path), "%s/curl%d.err", s->dir, n);
    snprintf(max_time, sizeof(max_time), "%d", CURL_TIMEOUT_S);
    const char *argv[40] = {s->curl,  "-q", "--noproxy", "*",  "-sS",    "--max-time",
                            max_time, "-D", head_path,   "-o", body_path};
    size_t argc = 11;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(argc + 1 < sizeof(argv) / sizeof(argv[0]));
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    r->exit_code = ts_run((char *const *)argv, clean_env, err_path, (CURL_TIMEOUT_S + 5) * 1000);
    assert_true(r->exit_code >= 0);
    r->head = ts_file_read(head_path, READ_MAX);
    r->body = ts_file_read(body_path, READ_MAX);
    r->err = ts_file_read(err_path, READ_MAX);
    if (r->head == NULL)
        r->head = strdup("");
    if (r->body == NULL)
        r->body = strdup("");
    if (r->err == NULL)
        r->err = strdup("");
    assert_non_null(r->head);
    assert_non_null(r->body);
    assert_non_null(r->err);
    /* With a redirect or 100-continue there may be several heads: the last one counts. */
    const char *last = r->head, *p = r->head;
    while ((p = strstr(p, "HTTP/")) != NULL) {
        if (p == r->head || p[-1] == '\n')
            last = p;
        p++;
    }
    int minor = 0;
    if (sscanf(last, "HTTP/1.%d %d", &minor, &r->status) != 2)
        r->status = 0;
    if (last != r->head)
        memmove(r->head, last, strlen(last) + 1);
}

static void https_url(const struct sec *s, const char *path, char *out, size_t size)
{
    snprintf(out, size, "https://127.0.0.1:%u%s", (unsigned)s->tls.port, path);
}

/* ---------------------------------------------------------------- helpers: HTTP */

static int request(uint16_t port, const char *method, const char *path, const char *headers,
                   const char *body, struct ts_http_response *r)
{
    int status = ts_http_request(port, method, path, headers, body, HTTP_TIMEOUT_MS, r);
    if (status < 0)
        fail_msg("%s %s on :%u: %s", method, path, (unsigned)port, strerror(-status));
    return status;
}

static void header_is(const char *head, const char *name, const char *want)
{
    char value[1024];
    if (ts_http_header(head, name, value, sizeof(value)) < 0)
        fail_msg("no %s header in:\n%s", name, head);
    if (strcmp(value, want) != 0)
        fail_msg("%s: \"%s\", want \"%s\"", name, value, want);
}

/* A refusal's body: one non-empty line of text. */
static void one_line_reason(const struct ts_http_response *r)
{
    const char *body = (const char *)r->body;
    if (r->body_len < 2 || body[r->body_len - 1] != '\n' || memchr(body, '\n', r->body_len - 1))
        fail_msg("want a one-line reason, got %zu bytes: \"%s\"", r->body_len, body);
}

static double json_number(const char *json, const char *key)
{
    double v = 0;
    if (ts_json_number(json, key, &v) < 0)
        fail_msg("no number \"%s\" in %s", key, json);
    return v;
}

/* The relay's pan (/api/status) and the camera's target pan (its own /status). */
static void pans(struct sec *s, int *relay_pan, int *camera_target_pan)
{
    struct ts_http_response r;
    assert_int_equal(request(s->main.port, "GET", "/api/status", s->alice, NULL, &r), 200);
    *relay_pan = (int)json_number((const char *)r.body, "pan");
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->control_port, "GET", "/status", NULL, NULL, &r), 200);
    *camera_target_pan = (int)json_number((const char *)r.body, "target_pan");
    ts_http_response_deinit(&r);
}

/* The session token from a Set-Cookie header, checked for form; becomes a secret. */
static void cookie_token(struct sec *s, const char *head, char token[SESSION_TOKEN_CHARS + 1])
{
    char set_cookie[512];
    if (ts_http_header(head, "Set-Cookie", set_cookie, sizeof(set_cookie)) < 0)
        fail_msg("no Set-Cookie in:\n%s", head);
    const char *prefix = SESSION_COOKIE "=";
    assert_true(strncmp(set_cookie, prefix, strlen(prefix)) == 0);
    const char *v = set_cookie + strlen(prefix);
    assert_int_equal(strspn(v, "0123456789abcdef"), SESSION_TOKEN_CHARS);
    memcpy(token, v, SESSION_TOKEN_CHARS);
    token[SESSION_TOKEN_CHARS] = '\0';
    add_secret(s, token);
}

/* POST /login as a browser on the relay's own page would. */
static int login(struct sec *s, const char *user, const char *password, struct ts_http_response *r)
{
    char headers[256], body[256];
    snprintf(headers, sizeof(headers),
             "Origin: http://127.0.0.1:%u\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\n",
             (unsigned)s->main.port);
    snprintf(body, sizeof(body), "user=%s&password=%s", user, password);
    return request(s->main.port, "POST", "/login", headers, body, r);
}

/* Connect to 127.0.0.1:port (blocking, then non-blocking for poll). Returns the fd. */
static int connect_loopback(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    return fd;
}

/*
 * One GET on a kept-alive connection (HTTP/1.1 without "Connection: close"): send it, read the
 * head and the Content-Length body. Returns the status, or -1 if the server closed or was slow.
 */
static int keepalive_get(int fd, uint16_t port, const char *path)
{
    char req[512], buf[8192];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", path,
                     (unsigned)port);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        return -1;
    size_t len = 0;
    int64_t deadline = now_ms() + HTTP_TIMEOUT_MS;
    for (;;) {
        buf[len] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            char value[32];
            int status = 0, minor = 0;
            if (sscanf(buf, "HTTP/1.%d %d", &minor, &status) != 2 ||
                ts_http_header(buf, "Content-Length", value, sizeof(value)) < 0)
                return -1;
            if (len >= (size_t)(end + 4 - buf) + strtoul(value, NULL, 10))
                return status;
        }
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || len + 1 >= sizeof(buf))
            return -1;
        ssize_t got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (got <= 0)
            return -1;
        len += (size_t)got;
    }
}

/* ---------------------------------------------------------------- set-up and tear-down */

static int group_teardown(void **state)
{
    struct sec *s = *state;
    if (s == NULL)
        return 0;
    ts_proc_stop_reporting("security", &s->main.pid, "lookout (main)", s->main.log);
    ts_proc_stop_reporting("security", &s->tls.pid, "lookout (tls)", s->tls.log);
    ts_proc_stop_reporting("security", &s->caps.pid, "lookout (caps)", s->caps.log);
    ts_proc_stop_reporting("security", &s->cam_pid, "lookout-cam", s->cam_log);
    ts_tmpdir_free(s->dir);
    free(s);
    *state = NULL;
    return 0;
}

/* Write dir/name.env, start a relay with it, wait for its "listening on SCHEME://" line. */
static int start_relay(struct sec *s, struct relay_proc *r, const char *env_text,
                       const char *listen, const char *scheme)
{
    char name[64], env_path[600], relay_bin[512], prefix[64];
    snprintf(name, sizeof(name), "%s.env", r->name);
    if (ts_file_write(s->dir, name, env_text, env_path, sizeof(env_path)) < 0)
        return -1;
    snprintf(r->log, sizeof(r->log), "%s/lookout-%s.log", s->dir, r->name);
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", bin_dir());
    snprintf(prefix, sizeof(prefix), "listening on %s://", scheme);
    char *argv[] = {relay_bin,      "--env",       env_path, "--listen",
                    (char *)listen, "--log-level", "debug",  NULL};
    int port = start_proc(argv, r->log, prefix, &r->pid);
    if (port < 0)
        return -1;
    r->port = (uint16_t)port;
    return 0;
}

/* `lookout passwd NAME ROLE` with the password on standard input: the USERS_FILE line. */
static int lookout_passwd(struct sec *s, const char *user, const char *role, const char *pw,
                          char *line, size_t line_size)
{
    char out_path[600], relay_bin[512], pw_env[128];
    snprintf(out_path, sizeof(out_path), "%s/passwd-%s.out", s->dir, user);
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", bin_dir());
    snprintf(pw_env, sizeof(pw_env), "LOOKOUT_TEST_PW=%s", pw);
    char *argv[] = {"/bin/sh",
                    "-c",
                    "printf '%s\\n' \"$LOOKOUT_TEST_PW\" | exec \"$0\" passwd \"$1\" \"$2\"",
                    relay_bin,
                    (char *)user,
                    (char *)role,
                    NULL};
    char *env[] = {pw_env, NULL};
    int code = ts_run(argv, env, out_path, 10000);
    char *out = ts_file_read(out_path, READ_MAX);
    int rc = -1;
    if (code == 0 && out != NULL) {
        snprintf(line, line_size, "%.*s", (int)strcspn(out, "\n"), out);
        rc = 0;
    } else {
        fprintf(stderr, "security: lookout passwd exited %d: %s\n", code, out ? out : "");
    }
    free(out);
    return rc;
}

static int group_setup(void **state)
{
    struct sec *s = calloc(1, sizeof(*s));
    *state = s;
    if (s == NULL)
        return -1;
    s->raw_fd = -1;
    s->main.name = "main";
    s->tls.name = "tls";
    s->caps.name = "caps";
    s->dir = ts_tmpdir_new();
    if (s->dir == NULL)
        goto fail;
    if (ts_which("curl", s->curl, sizeof(s->curl)) < 0) {
        fprintf(stderr, "security: curl not found (scripts/install-deps installs it)\n");
        goto fail;
    }
    add_secret(s, ALICE_PW);
    add_secret(s, BOB_PW);
    add_secret(s, CAROL_PW);
    add_secret(s, DAVE_PW);
    add_secret(s, NODE_PW);
    add_secret(s, WRONG_PW);
    add_secret(s, QUERY_SECRET);
    auth_line(s, "alice", ALICE_PW, s->alice, sizeof(s->alice));
    auth_line(s, "bob", BOB_PW, s->bob, sizeof(s->bob));

    /* The camera: room for the three relays' upstreams. */
    char cam_bin[512];
    snprintf(cam_bin, sizeof(cam_bin), "%s/lookout-cam", bin_dir());
    snprintf(s->cam_log, sizeof(s->cam_log), "%s/lookout-cam.log", s->dir);
    char *cam_argv[] = {cam_bin, "--stream-port", "0", "--control-port", "0",       "--fps",
                        "10",    "--max-clients", "6", "--size",         "320x240", NULL};
    int port = start_proc(cam_argv, s->cam_log, "stream listening on http://", &s->cam_pid);
    if (port < 0)
        goto fail;
    s->stream_port = (uint16_t)port;
    port = ts_proc_log_port(s->cam_log, "control listening on http://", STARTUP_TIMEOUT_MS);
    if (port < 0)
        goto fail;
    s->control_port = (uint16_t)port;

    /* main: alice from .env, bob (via `lookout passwd`) and dave from the users file. */
    char bob_line[400], dave_hash[256], users[1024], users_path[600], env[4096];
    if (lookout_passwd(s, "bob", "viewer", BOB_PW, bob_line, sizeof(bob_line)) < 0 ||
        strncmp(bob_line, "bob:$y$", 7) != 0 ||
        strcmp(bob_line + strlen(bob_line) - strlen(":viewer"), ":viewer") != 0) {
        fprintf(stderr, "security: unexpected `lookout passwd` output\n");
        goto fail;
    }
    if (users_hash_password(DAVE_PW, dave_hash, sizeof(dave_hash)) < 0)
        goto fail;
    snprintf(users, sizeof(users), "# made by test_security\n%s\ndave:%s:operator\n", bob_line,
             dave_hash);
    if (ts_file_write(s->dir, "users", users, users_path, sizeof(users_path)) < 0)
        goto fail;
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=%s\nUSERS_FILE=%s\n"
             "CAM_URL=http://node:%s@127.0.0.1:%u/mjpeg\n"
             "SERVO_URL=http://node:%s@127.0.0.1:%u/control_servo\n"
             "SESSION_MAX_AGE_MS=%u\nPRESETS_FILE=%s/presets-main.txt\n",
             ALICE_PW, users_path, NODE_PW, (unsigned)s->stream_port, NODE_PW,
             (unsigned)s->control_port, SESSION_MAX_AGE_S * 1000u, s->dir);
    if (start_relay(s, &s->main, env, "127.0.0.1:0", "http") < 0)
        goto fail;

    /* tls: carol by hash only; a certificate made here. Its port is fixed in advance, as a real
     * deployment's is: the redirect names the configured LISTEN port, so with port 0 it would
     * send clients to https://HOST:0/. */
    char carol_hash[256];
    snprintf(s->cert, sizeof(s->cert), "%s/cert.pem", s->dir);
    snprintf(s->key, sizeof(s->key), "%s/key.pem", s->dir);
    snprintf(s->ca1, sizeof(s->ca1), "%s/ca1.pem", s->dir);
    snprintf(s->ca2, sizeof(s->ca2), "%s/ca2.pem", s->dir);
    if (ts_tls_cert_make(s->cert, s->key, 1) < 0 || copy_file(s->cert, s->ca1) < 0) {
        fprintf(stderr, "security: cannot make a test certificate\n");
        goto fail;
    }
    if (users_hash_password(CAROL_PW, carol_hash, sizeof(carol_hash)) < 0)
        goto fail;
    int started = -1;
    for (int attempt = 0; attempt < 3 && started < 0; attempt++) {
        int tls_port = ts_free_port();
        if (tls_port < 0)
            goto fail;
        char listen[32];
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", tls_port);
        snprintf(env, sizeof(env),
                 "HTTP_AUTH_USERNAME=carol\nHTTP_AUTH_PASSWORD_HASH='%s'\n"
                 "CAM_URL=http://127.0.0.1:%u/mjpeg\nSERVO_URL=http://127.0.0.1:%u/control_servo\n"
                 "TLS_CERT=%s\nTLS_KEY=%s\nHTTP_REDIRECT_LISTEN=127.0.0.1:0\nHSTS_MAX_AGE_S=%d\n"
                 "PRESETS_FILE=%s/presets-tls.txt\n",
                 carol_hash, (unsigned)s->stream_port, (unsigned)s->control_port, s->cert, s->key,
                 HSTS_S, s->dir);
        started = start_relay(s, &s->tls, env, listen, "https");
        if (started < 0) {
            /* The port was taken meanwhile: a fresh log, so no stale line is read next time. */
            ts_proc_stop_reporting("security", &s->tls.pid, "lookout (tls)", s->tls.log);
            unlink(s->tls.log);
        }
    }
    if (started < 0)
        goto fail;
    port = ts_proc_log_port(s->tls.log, "redirecting to HTTPS on http://", 0);
    if (port < 0) {
        fprintf(stderr, "security: no redirect listener in the TLS relay's log\n");
        goto fail;
    }
    s->redirect_port = (uint16_t)port;

    /* caps: three connections per address. */
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=%s\n"
             "CAM_URL=http://127.0.0.1:%u/mjpeg\nSERVO_URL=http://127.0.0.1:%u/control_servo\n"
             "MAX_CONNECTIONS_PER_ADDRESS=%d\nPRESETS_FILE=%s/presets-caps.txt\n",
             ALICE_PW, (unsigned)s->stream_port, (unsigned)s->control_port, CAPS, s->dir);
    if (start_relay(s, &s->caps, env, "127.0.0.1:0", "http") < 0)
        goto fail;
    fprintf(stderr,
            "security: camera :%u, relays main :%u, tls :%u (redirect :%u), caps :%u; "
            "logs in %s\n",
            (unsigned)s->stream_port, (unsigned)s->main.port, (unsigned)s->tls.port,
            (unsigned)s->redirect_port, (unsigned)s->caps.port, s->dir);
    return 0;

fail:
    group_teardown(state);
    return -1;
}

/* Per case: whatever a failed assertion left open. */
static int case_teardown(void **state)
{
    struct sec *s = *state;
    for (int i = 0; i < CAPS; i++) {
        ts_http_conn_free(s->conns[i]);
        s->conns[i] = NULL;
    }
    ts_stream_close(s->stream);
    s->stream = NULL;
    if (s->raw_fd >= 0)
        close(s->raw_fd);
    s->raw_fd = -1;
    if (s->bg_pid > 0)
        ts_proc_stop(s->bg_pid);
    s->bg_pid = 0;
    return 0;
}

/* ---------------------------------------------------------------- cases */

/* Every route that changes something (docs/API.md), legacy ones included. */
static const char *const state_changing[] = {
    "/turnleft",         "/turnright",          "/turnup",
    "/turndown",         "/api/move",           "/api/home",
    "/api/presets/save", "/api/presets/recall", "/api/presets/delete"};
#define N_STATE_CHANGING (sizeof(state_changing) / sizeof(state_changing[0]))

/* 3. A viewer watches but cannot steer; the refused move reaches neither relay nor camera. */
static void test_security_viewer_cannot_steer(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    assert_int_equal(request(s->main.port, "GET", "/api/status", s->bob, NULL, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"user\":\"bob\""));
    assert_non_null(strstr((const char *)r.body, "\"role\":\"viewer\""));
    ts_http_response_deinit(&r);

    s->stream = ts_stream_open(s->main.port, "/mjpeg", s->bob, HTTP_TIMEOUT_MS);
    assert_non_null(s->stream);
    const uint8_t *jpeg;
    size_t len;
    assert_int_equal(ts_stream_next_frame(s->stream, HTTP_TIMEOUT_MS, &jpeg, &len), 0);
    assert_true(len > 0);
    ts_stream_close(s->stream);
    s->stream = NULL;

    int pan0, cam0, pan1, cam1;
    pans(s, &pan0, &cam0);
    char headers[512];
    snprintf(headers, sizeof(headers), "%sOrigin: http://127.0.0.1:%u\r\n", s->bob,
             (unsigned)s->main.port);
    for (size_t i = 0; i < N_STATE_CHANGING; i++) {
        int status = request(s->main.port, "POST", state_changing[i], headers, NULL, &r);
        if (status != 403 || strstr((const char *)r.body, "viewer") == NULL)
            fail_msg("bob: POST %s: %d %s, want 403 naming the role", state_changing[i], status,
                     (const char *)r.body);
        one_line_reason(&r);
        ts_http_response_deinit(&r);
    }
    /* The same through the login page's cookie. */
    char token[SESSION_TOKEN_CHARS + 1], cookie[256];
    assert_int_equal(login(s, "bob", BOB_PW, &r), 303);
    cookie_token(s, r.head, token);
    ts_http_response_deinit(&r);
    snprintf(cookie, sizeof(cookie), "Cookie: %s=%s\r\nOrigin: http://127.0.0.1:%u\r\n",
             SESSION_COOKIE, token, (unsigned)s->main.port);
    assert_int_equal(request(s->main.port, "POST", "/turnleft", cookie, NULL, &r), 403);
    ts_http_response_deinit(&r);
    pans(s, &pan1, &cam1);
    assert_int_equal(pan1, pan0);
    assert_int_equal(cam1, cam0);
}

/* Exactly one Cache-Control header in head, and it says `want`. */
static void cache_control_is(const char *what, const char *head, const char *want)
{
    int count = 0;
    for (const char *p = head; (p = strcasestr(p, "\r\nCache-Control:")) != NULL; p++)
        count++;
    char value[256] = "";
    ts_http_header(head, "Cache-Control", value, sizeof(value));
    if (count != 1 || strcmp(value, want) != 0)
        fail_msg("%s: %d Cache-Control header(s), \"%s\"; want one, \"%s\"", what, count, value,
                 want);
}

/* The page and every answer that needed a login are never stored by a shared or browser cache
 * (a stale page after a logout, or someone else's); public scripts are only revalidated. */
static void test_security_authenticated_answers_never_stored(void **state)
{
    struct sec *s = *state;
    static const char *const gets[] = {"/",        "/index.html",  "/api/status", "/api/presets",
                                       "/metrics", "/snapshot.jpg"};
    struct ts_http_response r;
    char token[SESSION_TOKEN_CHARS + 1], cookie[256];
    assert_int_equal(login(s, "bob", BOB_PW, &r), 303);
    cookie_token(s, r.head, token);
    ts_http_response_deinit(&r);
    snprintf(cookie, sizeof(cookie), "Cookie: %s=%s\r\n", SESSION_COOKIE, token);
    const char *const logins[] = {s->bob, cookie};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
            int status = request(s->main.port, "GET", gets[i], logins[l], NULL, &r);
            if (status != 200)
                fail_msg("GET %s: %d", gets[i], status);
            cache_control_is(gets[i], r.head, "no-store");
            ts_http_response_deinit(&r);
        }
        assert_int_equal(request(s->main.port, "HEAD", "/mjpeg", logins[l], NULL, &r), 200);
        cache_control_is("HEAD /mjpeg", r.head, "no-store");
        ts_http_response_deinit(&r);
    }
    assert_int_equal(request(s->main.port, "GET", "/api/status", NULL, NULL, &r), 401);
    cache_control_is("401", r.head, "no-store");
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->main.port, "GET", "/login", NULL, NULL, &r), 200);
    cache_control_is("/login", r.head, "no-store");
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->main.port, "GET", "/app.js", NULL, NULL, &r), 200);
    cache_control_is("/app.js", r.head, "no-cache");
    ts_http_response_deinit(&r);
}

/* 2. POSTs that another site's page could send are refused before anything moves. */
static void test_security_cross_origin_post_refused(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    /* The relay must know the camera's angles for "unchanged" to mean anything. */
    int confirmed = 0;
    for (int64_t deadline = now_ms() + HTTP_TIMEOUT_MS; !confirmed && now_ms() < deadline;) {
        assert_int_equal(request(s->main.port, "GET", "/api/status", s->alice, NULL, &r), 200);
        assert_int_equal(ts_json_bool((const char *)r.body, "angles_confirmed", &confirmed), 0);
        ts_http_response_deinit(&r);
        if (!confirmed)
            sleep_ms(50);
    }
    assert_true(confirmed);
    int pan0, cam0, pan, cam;
    pans(s, &pan0, &cam0);
    assert_int_equal(pan0, cam0);

    unsigned p = s->main.port;
    char refused[8][256];
    snprintf(refused[0], sizeof(refused[0]), "Origin: http://evil.example\r\n");
    snprintf(refused[1], sizeof(refused[1]), "Origin: null\r\n");
    snprintf(refused[2], sizeof(refused[2]), "Referer: http://evil.example/cats.html\r\n");
    snprintf(refused[3], sizeof(refused[3]), "Origin: http://127.0.0.1:%u.evil.example\r\n", p);
    snprintf(refused[4], sizeof(refused[4]), "Origin: http://127.0.0.1:%u@evil.example\r\n", p);
    snprintf(refused[5], sizeof(refused[5]), "Origin: http://127.0.0.1:%u\r\n", p + 1);
    snprintf(refused[6], sizeof(refused[6]),
             "Origin: http://evil.example\r\nReferer: http://127.0.0.1:%u/\r\n", p);
    snprintf(refused[7], sizeof(refused[7]), "Origin: garbage\r\n");
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char headers[4096];
        snprintf(headers, sizeof(headers), "%s%s", s->alice, refused[i]);
        int status = request(s->main.port, "POST", "/turnleft", headers, NULL, &r);
        if (status != 403)
            fail_msg("POST /turnleft with %s: %d, want 403", refused[i], status);
        assert_non_null(strstr((const char *)r.body, "cross-site"));
        one_line_reason(&r);
        ts_http_response_deinit(&r);
    }
    /* Every other state-changing route, with the right password: refused all the same. */
    for (size_t i = 0; i < N_STATE_CHANGING; i++) {
        char headers[512];
        snprintf(headers, sizeof(headers), "%sOrigin: http://evil.example\r\n", s->alice);
        int status = request(s->main.port, "POST", state_changing[i], headers, NULL, &r);
        if (status != 403)
            fail_msg("cross-site POST %s: %d, want 403", state_changing[i], status);
        ts_http_response_deinit(&r);
    }
    /* Without credentials too, and on the login and logout forms (login CSRF). */
    assert_int_equal(
        request(s->main.port, "POST", "/turnleft", "Origin: http://evil.example\r\n", NULL, &r),
        403);
    ts_http_response_deinit(&r);
    char body[128];
    snprintf(body, sizeof(body), "user=alice&password=%s", ALICE_PW);
    assert_int_equal(
        request(s->main.port, "POST", "/login", "Origin: http://evil.example\r\n", body, &r), 403);
    assert_int_equal(ts_http_header(r.head, "Set-Cookie", body, sizeof(body)), -ENOENT);
    ts_http_response_deinit(&r);
    assert_int_equal(
        request(s->main.port, "POST", "/logout", "Origin: http://evil.example\r\n", NULL, &r), 403);
    ts_http_response_deinit(&r);

    pans(s, &pan, &cam);
    assert_int_equal(pan, pan0);
    assert_int_equal(cam, cam0);

    /* The same origin, a same-site Referer, and no Origin or Referer at all (curl, scripts)
     * each move exactly one step: nothing refused earlier was queued and merged in. */
    char allowed[3][512];
    snprintf(allowed[0], sizeof(allowed[0]), "%sOrigin: http://127.0.0.1:%u\r\n", s->alice, p);
    snprintf(allowed[1], sizeof(allowed[1]), "%sReferer: http://127.0.0.1:%u/index.html\r\n",
             s->alice, p);
    snprintf(allowed[2], sizeof(allowed[2]), "%s", s->alice);
    for (int i = 0; i < 3; i++) {
        int status = request(s->main.port, "POST", "/turnleft", allowed[i], NULL, &r);
        if (status != 200)
            fail_msg("POST /turnleft with %s: %d, want 200 (%s)", allowed[i], status,
                     (const char *)r.body);
        assert_int_equal((int)json_number((const char *)r.body, "pan"), pan0 + (i + 1) * STEP_DEG);
        ts_http_response_deinit(&r);
        pans(s, &pan, &cam);
        assert_int_equal(pan, pan0 + (i + 1) * STEP_DEG);
        assert_int_equal(cam, cam0 + (i + 1) * STEP_DEG);
    }
    /* Moves are POST only. */
    assert_int_equal(request(s->main.port, "GET", "/turnleft", s->alice, NULL, &r), 405);
    ts_http_response_deinit(&r);
}

/* 4. The login page, its cookie, and logout. */
static void test_security_login_form_and_cookie(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    char value[512], token[SESSION_TOKEN_CHARS + 1], want[512];

    /* A browser opening the page without a login is sent to the form, which is public. */
    assert_int_equal(request(s->main.port, "GET", "/",
                             "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n", NULL, &r),
                     303);
    header_is(r.head, "Location", "/login");
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->main.port, "GET", "/login", NULL, NULL, &r), 200);
    assert_true(ts_http_header(r.head, "Content-Type", value, sizeof(value)) > 0);
    assert_true(strncmp(value, "text/html", 9) == 0);
    assert_non_null(strstr((const char *)r.body, "<form"));
    ts_http_response_deinit(&r);

    assert_int_equal(login(s, "alice", ALICE_PW, &r), 303);
    header_is(r.head, "Location", "/");
    cookie_token(s, r.head, token);
    snprintf(want, sizeof(want), "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict",
             SESSION_COOKIE, token, SESSION_MAX_AGE_S);
    header_is(r.head, "Set-Cookie", want); /* and so no Secure over plain HTTP */
    assert_int_equal(ts_http_header(r.head, "Strict-Transport-Security", value, sizeof(value)),
                     -ENOENT);
    ts_http_response_deinit(&r);

    /* The cookie alone opens the API. */
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "Cookie: theme=dark; %s=%s\r\n", SESSION_COOKIE, token);
    assert_int_equal(request(s->main.port, "GET", "/api/status", cookie, NULL, &r), 200);
    assert_non_null(strstr((const char *)r.body, "\"user\":\"alice\""));
    assert_non_null(strstr((const char *)r.body, "\"role\":\"admin\"")); /* the .env user */
    ts_http_response_deinit(&r);

    /* Logout ends it: the cookie is cleared and no longer works. */
    char logout_headers[512];
    snprintf(logout_headers, sizeof(logout_headers), "%sOrigin: http://127.0.0.1:%u\r\n", cookie,
             (unsigned)s->main.port);
    assert_int_equal(request(s->main.port, "POST", "/logout", logout_headers, NULL, &r), 303);
    header_is(r.head, "Location", "/login");
    assert_true(ts_http_header(r.head, "Set-Cookie", value, sizeof(value)) > 0);
    assert_true(strncmp(value, SESSION_COOKIE "=;", strlen(SESSION_COOKIE) + 2) == 0);
    assert_non_null(strstr(value, "Max-Age=0"));
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->main.port, "GET", "/api/status", cookie, NULL, &r), 401);
    ts_http_response_deinit(&r);

    /* A wrong password goes back to the form with an error, and sets no cookie. */
    assert_int_equal(login(s, "alice", WRONG_PW, &r), 303);
    header_is(r.head, "Location", "/login?error=bad");
    assert_int_equal(ts_http_header(r.head, "Set-Cookie", value, sizeof(value)), -ENOENT);
    ts_http_response_deinit(&r);
    /* Form encoding: '+' is a space, %XX any byte; dave's password needs both. */
    assert_int_equal(login(s, "dave", DAVE_PW_FORM, &r), 303);
    header_is(r.head, "Location", "/");
    cookie_token(s, r.head, token);
    ts_http_response_deinit(&r);
    /* A form that is not one, or too big for MAX_BODY_BYTES. */
    char form_headers[256];
    snprintf(form_headers, sizeof(form_headers), "Origin: http://127.0.0.1:%u\r\n",
             (unsigned)s->main.port);
    assert_int_equal(request(s->main.port, "POST", "/login", form_headers, "user=alice", &r), 400);
    one_line_reason(&r);
    ts_http_response_deinit(&r);
    char *huge = malloc(8192);
    assert_non_null(huge);
    memset(huge, 'a', 8191);
    memcpy(huge, "user=alice&password=", 20);
    huge[8191] = '\0';
    assert_int_equal(request(s->main.port, "POST", "/login", form_headers, huge, &r), 413);
    free(huge);
    ts_http_response_deinit(&r);
    /* A right one (clearing that failure for the cases after this one). */
    assert_int_equal(login(s, "alice", ALICE_PW, &r), 303);
    cookie_token(s, r.head, token);
    ts_http_response_deinit(&r);
}

/* 6. Oversized requests are refused with 414/431 and a reason; the server keeps serving. */
static void test_security_request_limits(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    char value[64];

    size_t big = 100 * 1024;
    char *headers = malloc(big + 512);
    assert_non_null(headers);
    int n = snprintf(headers, 512, "%sX-Big: ", s->alice);
    memset(headers + n, 'a', big);
    memcpy(headers + n + big, "\r\n", 3);
    assert_int_equal(request(s->main.port, "GET", "/api/status", headers, NULL, &r), 431);
    free(headers);
    one_line_reason(&r);
    header_is(r.head, "Connection", "close");
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->main.port, "GET", "/counter", NULL, NULL, &r), 200);
    ts_http_response_deinit(&r);

    char *path = malloc(3 * 1024 + 2);
    assert_non_null(path);
    path[0] = '/';
    memset(path + 1, 'u', 3 * 1024);
    path[3 * 1024 + 1] = '\0';
    assert_int_equal(request(s->main.port, "GET", path, s->alice, NULL, &r), 414);
    free(path);
    one_line_reason(&r);
    ts_http_response_deinit(&r);

    char many[4096];
    size_t used = (size_t)snprintf(many, sizeof(many), "%s", s->alice);
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(many + used, sizeof(many) - used, "X-H%d: v\r\n", i);
    assert_true(used < sizeof(many) - 1);
    assert_int_equal(request(s->main.port, "GET", "/api/status", many, NULL, &r), 431);
    one_line_reason(&r);
    ts_http_response_deinit(&r);

    /* Still serving, with a login too. */
    assert_int_equal(request(s->main.port, "GET", "/counter", NULL, NULL, &r), 200);
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->main.port, "GET", "/api/status", s->alice, NULL, &r), 200);
    assert_true(ts_http_header(r.head, "Cache-Control", value, sizeof(value)) > 0);
    assert_non_null(strstr(value, "no-store"));
    header_is(r.head, "X-Content-Type-Options", "nosniff");
    ts_http_response_deinit(&r);
    /* A query string may carry a secret: it must not reach the (debug) log. */
    assert_int_equal(request(s->main.port, "GET", "/counter?token=" QUERY_SECRET, NULL, NULL, &r),
                     200);
    ts_http_response_deinit(&r);
}

/* 7. MAX_CONNECTIONS_PER_ADDRESS: the fourth connection is refused until one closes. */
static void test_security_connection_caps(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    uint16_t port = s->caps.port;

    /* Two streams and one kept-alive connection. */
    for (int i = 0; i < 2; i++) {
        int rc =
            ts_http_conn_open(port, "GET", "/mjpeg", s->alice, NULL, HTTP_TIMEOUT_MS, &s->conns[i]);
        if (rc < 0)
            fail_msg("stream %d: %s", i, strerror(-rc));
        assert_int_equal(ts_http_conn_status(s->conns[i]), 200);
    }
    s->raw_fd = connect_loopback(port);
    assert_int_equal(keepalive_get(s->raw_fd, port, "/counter"), 200);

    assert_int_equal(request(port, "GET", "/counter", NULL, NULL, &r), 503);
    assert_non_null(strstr((const char *)r.body, "MAX_CONNECTIONS_PER_ADDRESS"));
    one_line_reason(&r);
    ts_http_response_deinit(&r);
    assert_int_equal(request(port, "GET", "/api/status", s->alice, NULL, &r), 503);
    ts_http_response_deinit(&r);
    /* A connection already admitted keeps working. */
    assert_int_equal(keepalive_get(s->raw_fd, port, "/counter"), 200);

    /* Close one stream: once the relay has seen it go, a new connection is let in. */
    ts_http_conn_free(s->conns[0]);
    s->conns[0] = NULL;
    int status = 0;
    for (int64_t deadline = now_ms() + HTTP_TIMEOUT_MS; status != 200 && now_ms() < deadline;) {
        status = request(port, "GET", "/counter", NULL, NULL, &r);
        ts_http_response_deinit(&r);
        if (status != 200) {
            assert_int_equal(status, 503);
            sleep_ms(20);
        }
    }
    assert_int_equal(status, 200);
    /* Full again with a new stream in that place. */
    int rc =
        ts_http_conn_open(port, "GET", "/mjpeg", s->alice, NULL, HTTP_TIMEOUT_MS, &s->conns[0]);
    if (rc < 0)
        fail_msg("stream after the cap freed up: %s", strerror(-rc));
    assert_int_equal(ts_http_conn_status(s->conns[0]), 200);
    assert_int_equal(request(port, "GET", "/counter", NULL, NULL, &r), 503);
    ts_http_response_deinit(&r);
}

/* 5a. HTTPS with the test certificate; TLS 1.1 refused by the server; no cleartext. */
static void test_security_tls_versions(void **state)
{
    struct sec *s = *state;
    struct curl_result c;
    char url[128];
    https_url(s, "/counter", url, sizeof(url));

    const char *ok[] = {"--cacert", s->ca1, url, NULL};
    run_curl(s, ok, &c);
    if (c.exit_code != 0)
        fail_msg("curl --cacert: exit %d: %s", c.exit_code, c.err);
    assert_int_equal(c.status, 200);
    assert_non_null(strstr(c.body, "\"viewers\":"));
    curl_result_deinit(&c);

    /* TLS 1.1 offered and refused by the relay (its protocol_version alert), not by curl. */
    const char *old[] = {"--cacert", s->ca1,      "--tlsv1.1",           "--tls-max",
                         "1.1",      "--ciphers", "DEFAULT:@SECLEVEL=0", url,
                         NULL};
    run_curl(s, old, &c);
    if (c.exit_code == 0 || strstr(c.err, "alert protocol version") == NULL)
        fail_msg("curl --tls-max 1.1: exit %d, status %d: %s (want a protocol version alert)",
                 c.exit_code, c.status, c.err);
    curl_result_deinit(&c);
    /* TLS 1.2 alone is enough. */
    const char *v12[] = {"--cacert", s->ca1, "--tlsv1.2", "--tls-max", "1.2", url, NULL};
    run_curl(s, v12, &c);
    if (c.exit_code != 0)
        fail_msg("curl --tls-max 1.2: exit %d: %s", c.exit_code, c.err);
    curl_result_deinit(&c);

    /* Plain HTTP on the HTTPS port gets no HTTP answer. */
    struct ts_http_response r;
    int status = ts_http_request(s->tls.port, "GET", "/counter", NULL, NULL, HTTP_TIMEOUT_MS, &r);
    if (status >= 0)
        fail_msg("plain HTTP on the HTTPS port was answered in clear text: %d", status);
    ts_http_response_deinit(&r);

    /* Still serving. */
    run_curl(s, ok, &c);
    assert_int_equal(c.exit_code, 0);
    assert_int_equal(c.status, 200);
    curl_result_deinit(&c);
}

/* 5b. Over TLS the login cookie is Secure, HSTS is sent, and carol (a hash in .env) works. */
static void test_security_tls_cookie_hsts_and_hash_login(void **state)
{
    struct sec *s = *state;
    struct curl_result c;
    char url[128], origin[128], value[512], hsts[32], token[SESSION_TOKEN_CHARS + 1];
    snprintf(hsts, sizeof(hsts), "max-age=%d", HSTS_S);

    https_url(s, "/login", url, sizeof(url));
    snprintf(origin, sizeof(origin), "Origin: https://127.0.0.1:%u", (unsigned)s->tls.port);
    const char *form[] = {
        "--cacert", s->ca1, "-H", origin, "--data", "user=carol&password=" CAROL_PW, url, NULL};
    run_curl(s, form, &c);
    if (c.exit_code != 0)
        fail_msg("curl login: exit %d: %s", c.exit_code, c.err);
    assert_int_equal(c.status, 303);
    header_is(c.head, "Location", "/");
    header_is(c.head, "Strict-Transport-Security", hsts);
    cookie_token(s, c.head, token);
    char want[256];
    snprintf(want, sizeof(want), "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict; Secure",
             SESSION_COOKIE, token, 7 * 24 * 3600);
    header_is(c.head, "Set-Cookie", want);
    curl_result_deinit(&c);

    char cookie[128];
    snprintf(cookie, sizeof(cookie), "Cookie: %s=%s", SESSION_COOKIE, token);
    https_url(s, "/api/status", url, sizeof(url));
    const char *with_cookie[] = {"--cacert", s->ca1, "-H", cookie, url, NULL};
    run_curl(s, with_cookie, &c);
    assert_int_equal(c.exit_code, 0);
    assert_int_equal(c.status, 200);
    assert_non_null(strstr(c.body, "\"user\":\"carol\""));
    assert_non_null(strstr(c.body, "\"role\":\"admin\"")); /* the .env user */
    header_is(c.head, "Strict-Transport-Security", hsts);
    curl_result_deinit(&c);

    const char *basic[] = {"--cacert", s->ca1, "-u", "carol:" CAROL_PW, url, NULL};
    run_curl(s, basic, &c);
    assert_int_equal(c.exit_code, 0);
    assert_int_equal(c.status, 200);
    assert_non_null(strstr(c.body, "\"user\":\"carol\""));
    curl_result_deinit(&c);
    const char *wrong[] = {"--cacert", s->ca1, "-u", "carol:" WRONG_PW, url, NULL};
    run_curl(s, wrong, &c);
    assert_int_equal(c.exit_code, 0);
    assert_int_equal(c.status, 401);
    curl_result_deinit(&c);

    /* Plain HTTP carries no HSTS (browsers ignore it there, and it is not ours to send). */
    struct ts_http_response r;
    assert_int_equal(request(s->main.port, "GET", "/counter", NULL, NULL, &r), 200);
    assert_int_equal(ts_http_header(r.head, "Strict-Transport-Security", value, sizeof(value)),
                     -ENOENT);
    ts_http_response_deinit(&r);
}

/* 5c. The plain-HTTP listener sends every request to the same path over HTTPS. */
static void test_security_tls_redirect(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    char want[128];
    assert_int_equal(request(s->redirect_port, "GET", "/counter?x=1", NULL, NULL, &r), 301);
    https_url(s, "/counter?x=1", want, sizeof(want));
    header_is(r.head, "Location", want);
    ts_http_response_deinit(&r);
    assert_int_equal(request(s->redirect_port, "POST", "/login", NULL, "user=a&password=b", &r),
                     301);
    https_url(s, "/login", want, sizeof(want));
    header_is(r.head, "Location", want);
    ts_http_response_deinit(&r);
    /* A request-target that is not "/...": never glued after the host, where
     * "https://127.0.0.1:PORT" "@evil.example/x" would name evil.example as the host. */
    assert_int_equal(request(s->redirect_port, "GET", "@evil.example/x", NULL, NULL, &r), 301);
    https_url(s, "/", want, sizeof(want));
    header_is(r.head, "Location", want);
    ts_http_response_deinit(&r);
    /* The absolute form a forward proxy sends: its path and query, not the whole URL. */
    char target[128];
    snprintf(target, sizeof(target), "http://127.0.0.1:%u/counter?x=1", (unsigned)s->redirect_port);
    assert_int_equal(request(s->redirect_port, "GET", target, NULL, NULL, &r), 301);
    https_url(s, "/counter?x=1", want, sizeof(want));
    header_is(r.head, "Location", want);
    ts_http_response_deinit(&r);
    /* Bounded like the main listener: a huge body is refused at once, not buffered. */
    int status = request(s->redirect_port, "GET", "/", "Content-Length: 1000000000\r\n", NULL, &r);
    if (status != 413)
        fail_msg("a 1 GB body announced to the redirect listener: %d, want 413", status);
    ts_http_response_deinit(&r);
}

/* Wait until path is larger than size (a stream still flowing). Returns its new size or -1. */
static long wait_growth(const char *path, long size, int timeout_ms)
{
    for (int64_t deadline = now_ms() + timeout_ms; now_ms() < deadline; sleep_ms(20)) {
        long now = file_size(path);
        if (now > size)
            return now;
    }
    return -1;
}

/* 5d. SIGHUP reloads the certificate: new connections get the new one, open streams go on. */
static void test_security_tls_sighup_reload(void **state)
{
    struct sec *s = *state;
    char url[128], stream_path[600], stream_err[600], max_time[16];
    https_url(s, "/mjpeg", url, sizeof(url));
    snprintf(stream_path, sizeof(stream_path), "%s/tls-stream.bin", s->dir);
    snprintf(stream_err, sizeof(stream_err), "%s/tls-stream.err", s->dir);
    snprintf(max_time, sizeof(max_time), "%d", 3 * CURL_TIMEOUT_S);

    /* A viewer over TLS, in the background, stopped by pid at the end. */
    /* -N: every piece received is written at once, so the file's size shows what arrived. */
    char *argv[] = {s->curl, "-q", "--noproxy",       "*",          "-sS",    "-N", "--cacert",
                    s->ca1,  "-u", "carol:" CAROL_PW, "--max-time", max_time, "-o", stream_path,
                    url,     NULL};
    s->bg_pid = ts_proc_spawn(argv, clean_env, stream_err);
    assert_true(s->bg_pid > 0);
    long size = wait_growth(stream_path, 0, HTTP_TIMEOUT_MS);
    assert_true(size > 0);
    size = wait_growth(stream_path, size, HTTP_TIMEOUT_MS); /* frames, not only the head */
    assert_true(size > 0);

    /* certbot renews: new files at the same paths, then a SIGHUP. */
    char new_cert[600], new_key[600];
    snprintf(new_cert, sizeof(new_cert), "%s/cert.pem.new", s->dir);
    snprintf(new_key, sizeof(new_key), "%s/key.pem.new", s->dir);
    assert_int_equal(ts_tls_cert_make(new_cert, new_key, 2), 0);
    assert_int_equal(copy_file(new_cert, s->ca2), 0);
    assert_int_equal(rename(new_key, s->key), 0);
    assert_int_equal(rename(new_cert, s->cert), 0);
    assert_int_equal(kill(s->tls.pid, SIGHUP), 0);
    assert_int_equal(
        ts_proc_wait_log(s->tls.log, "SIGHUP: certificate reloaded", HTTP_TIMEOUT_MS, NULL, 0), 0);

    /* New connections: the new certificate verifies, the old one no longer does. */
    struct curl_result c;
    https_url(s, "/counter", url, sizeof(url));
    const char *with_new[] = {"--cacert", s->ca2, url, NULL};
    run_curl(s, with_new, &c);
    if (c.exit_code != 0)
        fail_msg("curl --cacert (new): exit %d: %s", c.exit_code, c.err);
    assert_int_equal(c.status, 200);
    curl_result_deinit(&c);
    const char *with_old[] = {"--cacert", s->ca1, url, NULL};
    run_curl(s, with_old, &c);
    if (c.exit_code != 60)
        fail_msg("curl --cacert (old) after the reload: exit %d, want 60: %s", c.exit_code, c.err);
    curl_result_deinit(&c);

    /* The viewer from before the reload still receives frames. */
    size = file_size(stream_path);
    assert_true(wait_growth(stream_path, size, HTTP_TIMEOUT_MS) > size);
    int status;
    assert_int_equal(waitpid(s->bg_pid, &status, WNOHANG), 0); /* curl still streaming */
    ts_proc_stop(s->bg_pid);
    s->bg_pid = 0;

    /* A broken renewal keeps the working certificate. */
    assert_int_equal(ts_file_write(s->dir, "key.pem", "not a key\n", NULL, 0), 0);
    assert_int_equal(kill(s->tls.pid, SIGHUP), 0);
    assert_int_equal(ts_proc_wait_log(s->tls.log, "SIGHUP: keeping the old certificate",
                                      HTTP_TIMEOUT_MS, NULL, 0),
                     0);
    run_curl(s, with_new, &c);
    if (c.exit_code != 0)
        fail_msg("curl --cacert (new) after a failed reload: exit %d: %s", c.exit_code, c.err);
    curl_result_deinit(&c);
}

/* This test's client address: the throttle and the per-address check budget (30 checks a
 * minute) are keyed on it, and the earlier tests spend 127.0.0.1's within the same minute on a
 * fast machine. */
#define THROTTLED_SRC "127.0.0.77"

static int request_src(uint16_t port, const char *method, const char *path, const char *headers,
                       const char *body, struct ts_http_response *r)
{
    int status =
        ts_http_request_from(THROTTLED_SRC, port, method, path, headers, body, HTTP_TIMEOUT_MS, r);
    if (status < 0)
        fail_msg("%s %s on :%u from %s: %s", method, path, (unsigned)port, THROTTLED_SRC,
                 strerror(-status));
    return status;
}

static int login_src(struct sec *s, const char *user, const char *password,
                     struct ts_http_response *r)
{
    char headers[256], body[256];
    snprintf(headers, sizeof(headers),
             "Origin: http://127.0.0.1:%u\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\n",
             (unsigned)s->main.port);
    snprintf(body, sizeof(body), "user=%s&password=%s", user, password);
    return request_src(s->main.port, "POST", "/login", headers, body, r);
}

/* 1. Wrong passwords: 401, then 429 with Retry-After even for the right one; logged. */
static void test_security_wrong_password_throttled(void **state)
{
    struct sec *s = *state;
    struct ts_http_response r;
    char wrong[256], dave[256], value[64];
    auth_line(s, "alice", WRONG_PW, wrong, sizeof(wrong));
    auth_line(s, "dave", DAVE_PW, dave, sizeof(dave));

    /* A right login first: whatever failed earlier from 127.0.0.1 is forgotten. */
    assert_int_equal(login_src(s, "alice", ALICE_PW, &r), 303);
    header_is(r.head, "Location", "/");
    char token[SESSION_TOKEN_CHARS + 1];
    cookie_token(s, r.head, token);
    ts_http_response_deinit(&r);

    /*
     * THROTTLE_FREE_FAILURES wrong passwords, then the right one (dave's, never used before, so
     * it must really be checked) comes well inside the first delay (1 s after the third
     * failure). Should a starved machine take longer than that between two requests, the
     * right password gets in (200) and clears the address; then the round is repeated rather
     * than the test depending on the clock.
     */
    int status = 0;
    for (int round = 0; round < 3 && status != 429; round++) {
        for (int i = 0; i < THROTTLE_FREE_FAILURES; i++) {
            assert_int_equal(request_src(s->main.port, "GET", "/api/status", wrong, NULL, &r), 401);
            assert_true(ts_http_header(r.head, "WWW-Authenticate", value, sizeof(value)) > 0);
            one_line_reason(&r);
            ts_http_response_deinit(&r);
        }
        status = request_src(s->main.port, "GET", "/api/status", dave, NULL, &r);
        if (status != 429) {
            assert_int_equal(status, 200);
            print_message("more than the first delay passed between two requests; again\n");
            ts_http_response_deinit(&r);
        }
    }
    assert_int_equal(status, 429);
    assert_true(ts_http_header(r.head, "Retry-After", value, sizeof(value)) > 0);
    assert_true(atoi(value) >= 1);
    one_line_reason(&r);
    ts_http_response_deinit(&r);
    /* The login form is held up the same way. */
    assert_int_equal(login_src(s, "alice", ALICE_PW, &r), 303);
    assert_true(ts_http_header(r.head, "Location", value, sizeof(value)) > 0);
    assert_true(strncmp(value, "/login?error=wait", 17) == 0);
    assert_int_equal(ts_http_header(r.head, "Set-Cookie", value, sizeof(value)), -ENOENT);
    ts_http_response_deinit(&r);
    /* What was already proven keeps working: a live session, a remembered Basic header. */
    char cookie[128];
    snprintf(cookie, sizeof(cookie), "Cookie: %s=%s\r\n", SESSION_COOKIE, token);
    assert_int_equal(request_src(s->main.port, "GET", "/api/status", cookie, NULL, &r), 200);
    ts_http_response_deinit(&r);
    assert_int_equal(request_src(s->main.port, "GET", "/api/status", s->alice, NULL, &r), 200);
    ts_http_response_deinit(&r);

    assert_int_equal(ts_proc_wait_log(s->main.log, "failed login for \"alice\" from " THROTTLED_SRC,
                                      HTTP_TIMEOUT_MS, NULL, 0),
                     0);
}

/* 8. Last: every process exits cleanly, and no log holds a password, header or token. */
static void test_security_logs_hold_no_secrets(void **state)
{
    struct sec *s = *state;
    assert_int_equal(
        ts_proc_stop_reporting("security", &s->main.pid, "lookout (main)", s->main.log), 0);
    assert_int_equal(ts_proc_stop_reporting("security", &s->tls.pid, "lookout (tls)", s->tls.log),
                     0);
    assert_int_equal(
        ts_proc_stop_reporting("security", &s->caps.pid, "lookout (caps)", s->caps.log), 0);
    assert_int_equal(ts_proc_stop_reporting("security", &s->cam_pid, "lookout-cam", s->cam_log), 0);

    const char *logs[] = {s->main.log, s->tls.log, s->caps.log, s->cam_log};
    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        char *text = ts_file_read(logs[i], READ_MAX);
        assert_non_null(text);
        for (int k = 0; k < s->n_secrets; k++) {
            if (strstr(text, s->secrets[k]) != NULL)
                fail_msg("%s holds the secret \"%s\"", logs[i], s->secrets[k]);
        }
        const char *never[] = {"Authorization", "authorization", "Basic ",
                               "Cookie:", SESSION_COOKIE "="};
        for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++) {
            if (strcasestr(text, never[k]) != NULL)
                fail_msg("%s holds \"%s\"", logs[i], never[k]);
        }
        free(text);
    }
    /* The checks above mean something only if the logs saw the events. */
    char *main_log = ts_file_read(s->main.log, READ_MAX);
    assert_non_null(main_log);
    assert_non_null(strstr(main_log, "failed login"));
    assert_non_null(strstr(main_log, "alice logged in from 127.0.0.1"));
    assert_non_null(strstr(main_log, "connected to"));
    free(main_log);
    print_message("no secret in 4 logs (%d secrets checked)\n", s->n_secrets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_security_viewer_cannot_steer, case_teardown),
        cmocka_unit_test_teardown(test_security_authenticated_answers_never_stored, case_teardown),
        cmocka_unit_test_teardown(test_security_cross_origin_post_refused, case_teardown),
        cmocka_unit_test_teardown(test_security_login_form_and_cookie, case_teardown),
        cmocka_unit_test_teardown(test_security_request_limits, case_teardown),
        cmocka_unit_test_teardown(test_security_connection_caps, case_teardown),
        cmocka_unit_test_teardown(test_security_tls_versions, case_teardown),
        cmocka_unit_test_teardown(test_security_tls_cookie_hsts_and_hash_login, case_teardown),
        cmocka_unit_test_teardown(test_security_tls_redirect, case_teardown),
        cmocka_unit_test_teardown(test_security_tls_sighup_reload, case_teardown),
        cmocka_unit_test_teardown(test_security_wrong_password_throttled, case_teardown),
        cmocka_unit_test_teardown(test_security_logs_hold_no_secrets, case_teardown),
    };
    return cmocka_run_group_tests_name("security", tests, group_setup, group_teardown);
}
