/*
 * Deployment, tested with the real programs on loopback: the shipped systemd units pass
 * `systemd-analyze verify`; the relay runs socket-activated and tells systemd when it is ready
 * and when it stops; the shipped nginx sites run in front of a relay and stream to two viewers
 * (plain) and serve HTTPS (TLS); `lookout --check-config` reports every error.
 *
 * The deploy/ files are read from $LOOKOUT_SRC_DIR (default: the current directory, where
 * `make test` runs). systemd-analyze, nginx, openssl and curl come from scripts/install-deps; a
 * case whose tool is missing is skipped with the reason printed. nginx runs in the foreground
 * with a configuration generated in the test's directory, is stopped by its pid, and listens on
 * 127.0.0.1 only. Set LOOKOUT_KEEP_TMP=1 to keep the logs of a failed run.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/jpeg.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/stream.h"
#include "../support/tmpdir.h"

#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000
#define TOOL_TIMEOUT_MS 30000
#define STARTUP_TIMEOUT_MS 10000
#define FRAMES_PER_VIEWER 10
#define NGINX_VIEWERS 2
#define MAX_FILE_BYTES (1u << 20)

struct deploy {
    char *dir;
    struct ts_stack stack;
    pid_t nginx_pid; /* stopped by the per-case teardown */
    char nginx_log[512];
    pid_t relay_pid; /* the socket-activated relay, or the node link's relay */
    pid_t cam_pid;   /* a lookout-cam dialing through nginx */
    struct ts_stream *viewers[NGINX_VIEWERS];
};

static const char *src_dir(void)
{
    const char *dir = getenv("LOOKOUT_SRC_DIR");
    return (dir != NULL && dir[0] != '\0') ? dir : ".";
}

static int group_setup(void **state)
{
    struct deploy *d = calloc(1, sizeof(*d));
    *state = d;
    if (d == NULL)
        return -1;
    d->dir = ts_tmpdir_new();
    if (d->dir == NULL)
        return -1;
    if (ts_stack_start(&d->stack, d->dir, 20, NULL) < 0)
        return -1;
    fprintf(stderr, "deploy: relay :%u, logs in %s\n", (unsigned)d->stack.relay_port, d->dir);
    return 0;
}

static int group_teardown(void **state)
{
    struct deploy *d = *state;
    if (d == NULL)
        return 0;
    ts_stack_stop(&d->stack);
    ts_tmpdir_free(d->dir);
    free(d);
    return 0;
}

/* Per case: whatever a failed assertion left running or open. */
static int case_teardown(void **state)
{
    struct deploy *d = *state;
    for (int i = 0; i < NGINX_VIEWERS; i++) {
        ts_stream_close(d->viewers[i]);
        d->viewers[i] = NULL;
    }
    if (d->nginx_pid > 0) {
        int code = ts_proc_stop(d->nginx_pid);
        if (code != 0) {
            fprintf(stderr, "deploy: nginx exited with %d\n", code);
            ts_proc_print_log(d->nginx_log, 40);
        }
        d->nginx_pid = 0;
    }
    if (d->relay_pid > 0) {
        ts_proc_stop(d->relay_pid);
        d->relay_pid = 0;
    }
    if (d->cam_pid > 0) {
        ts_proc_stop(d->cam_pid);
        d->cam_pid = 0;
    }
    return 0;
}

/* Path of the tool, or skip the case saying which package brings it. */
static void need_tool(const char *name, const char *package, char *out, size_t out_size)
{
    if (ts_which(name, out, out_size) < 0) {
        print_message("skipped: %s not installed (Debian package %s; scripts/install-deps "
                      "installs it)\n",
                      name, package);
        skip();
    }
}

/* Read src_dir()/rel. The caller frees it. */
static char *read_source(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", src_dir(), rel);
    char *text = ts_file_read(path, MAX_FILE_BYTES);
    if (text == NULL)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    return text;
}

/* Replace every occurrence of `from` in *text with `to` (reallocating); returns how many. */
static int replace_all(char **text, const char *from, const char *to)
{
    int count = 0;
    size_t from_len = strlen(from), to_len = strlen(to);
    for (char *p = strstr(*text, from); p != NULL; p = strstr(p, from), count++) {
        size_t head = (size_t)(p - *text), tail = strlen(p + from_len);
        char *next = malloc(head + to_len + tail + 1);
        assert_non_null(next);
        memcpy(next, *text, head);
        memcpy(next + head, to, to_len);
        memcpy(next + head + to_len, p + from_len, tail + 1);
        free(*text);
        *text = next;
        p = next + head + to_len;
    }
    return count;
}

/* Run argv, output to dir/name.log; returns the exit code. */
static int run_logged(struct deploy *d, const char *name, char *const argv[], char *log_path,
                      size_t log_cap)
{
    snprintf(log_path, log_cap, "%s/%s.log", d->dir, name);
    return ts_run(argv, ts_stack_clean_env, log_path, TOOL_TIMEOUT_MS);
}

static char *log_text(const char *log_path)
{
    char *text = ts_file_read(log_path, MAX_FILE_BYTES);
    assert_non_null(text);
    return text;
}

/* --- lookout --check-config, --version, --help ------------------------------------------- */

static int check_config(struct deploy *d, const char *env_name, const char *env_text,
                        char *log_path, size_t log_cap)
{
    char env_path[512], relay[512];
    assert_int_equal(ts_file_write(d->dir, env_name, env_text, env_path, sizeof(env_path)), 0);
    snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
    char *argv[] = {relay, "--check-config", "--env", env_path, NULL};
    return run_logged(d, env_name, argv, log_path, log_cap);
}

static void test_deploy_check_config_reports_every_error(void **state)
{
    struct deploy *d = *state;
    char log_path[600];
    int code = check_config(d, "bad.env",
                            "HTTP_AUTH_USERNAME=alice\n"
                            "MAX_VIEWERS=lots\n"
                            "HTTP_AUTH_PASSWORD=pw\n"
                            "PTZ_STEP_DEG=500\n"
                            "NOT_A_LOOKOUT_KEY=1\n"
                            "CAM_URL=http://127.0.0.1:1/mjpeg\n",
                            log_path, sizeof(log_path));
    char *out = log_text(log_path);
    if (code == 0)
        fail_msg("--check-config accepted a bad file:\n%s", out);
    assert_non_null(strstr(out, "bad.env:2: MAX_VIEWERS: "));
    assert_non_null(strstr(out, "bad.env:4: PTZ_STEP_DEG: "));
    assert_null(strstr(out, "config ok"));
    free(out);

    code = check_config(d, "badurl.env",
                        "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=pw\nCAM_URL=ftp://camera/\n",
                        log_path, sizeof(log_path));
    out = log_text(log_path);
    assert_int_not_equal(code, 0);
    assert_non_null(strstr(out, "badurl.env:3: CAM_URL: "));
    free(out);

    /* A missing login hides nothing: the misspelled key, the bad URL and the bad number are all
     * named, each with its file and line, the misspelling with the key it most likely meant. */
    code = check_config(d, "nologin.env",
                        "HTTP_AUTH_USERNAME=alice\n"
                        "HTTP_AUTH_PASWORD=pw\n"
                        "CAM_URL=http://192.0.2.1/mjpeg\n"
                        "SERVO_URL=ftp://192.0.2.1/control_servo\n"
                        "MAX_VIEWERS=-1\n",
                        log_path, sizeof(log_path));
    out = log_text(log_path);
    if (code == 0)
        fail_msg("--check-config accepted a file without a password:\n%s", out);
    assert_non_null(strstr(out,
                           "nologin.env:2: HTTP_AUTH_PASWORD: unknown key, ignored; did you mean "
                           "HTTP_AUTH_PASSWORD?"));
    assert_non_null(strstr(out, "nologin.env:1: HTTP_AUTH_USERNAME: set, but neither"));
    assert_non_null(strstr(out, "nologin.env:4: SERVO_URL: "));
    assert_non_null(strstr(out, "nologin.env:5: MAX_VIEWERS: "));
    assert_non_null(strstr(out, "config: 3 errors"));
    free(out);
}

/* The original's template has no ":81" in SERVO_URL: said at the check (not an error) and
 * at start. */
static void test_deploy_check_config_servo_on_stream_port(void **state)
{
    struct deploy *d = *state;
    char log_path[600];
    int code = check_config(d, "sameport.env",
                            "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=pw\n"
                            "CAM_URL=http://192.0.2.1/mjpeg\n"
                            "SERVO_URL=http://192.0.2.1/control_servo\n",
                            log_path, sizeof(log_path));
    char *out = log_text(log_path);
    if (code != 0)
        fail_msg("--check-config refused a working (if suspicious) file:\n%s", out);
    assert_non_null(strstr(out, "sameport.env:4: SERVO_URL: same host and port as CAM_URL"));
    assert_non_null(strstr(out, "http://192.0.2.1:81/control_servo"));
    assert_non_null(strstr(out, "config ok"));
    free(out);
}

static void test_deploy_check_config_ok(void **state)
{
    struct deploy *d = *state;
    char log_path[600];
    int code = check_config(d, "good.env",
                            "# the original project's file\n"
                            "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=pw\n"
                            "CAM_URL=http://192.0.2.1/mjpeg\n"
                            "SERVO_URL=http://192.0.2.1:81/control_servo\n"
                            "NOT_A_LOOKOUT_KEY=1\n",
                            log_path, sizeof(log_path));
    char *out = log_text(log_path);
    if (code != 0)
        fail_msg("--check-config refused a good file (exit %d):\n%s", code, out);
    assert_non_null(strstr(out, "config ok"));
    /* An unknown key is no error, but it is named. */
    assert_non_null(strstr(out, "NOT_A_LOOKOUT_KEY: unknown key"));
    assert_null(strstr(out, "pw\n"));
    free(out);

    /* The shipped example is a good file too. */
    char example[1024], relay[512];
    snprintf(example, sizeof(example), "%s/deploy/lookout.env.example", src_dir());
    snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
    char *argv[] = {relay, "--check-config", "--env", example, NULL};
    code = run_logged(d, "example", argv, log_path, sizeof(log_path));
    out = log_text(log_path);
    if (code != 0)
        fail_msg("--check-config refused deploy/lookout.env.example (exit %d):\n%s", code, out);
    free(out);
}

static void test_deploy_version_and_help(void **state)
{
    struct deploy *d = *state;
    char relay[512], log_path[600];
    snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
    char *version[] = {relay, "--version", NULL};
    assert_int_equal(run_logged(d, "version", version, log_path, sizeof(log_path)), 0);
    char *out = log_text(log_path);
    assert_true(strncmp(out, "lookout ", 8) == 0);
    free(out);
    char *help[] = {relay, "--help", NULL};
    assert_int_equal(run_logged(d, "help", help, log_path, sizeof(log_path)), 0);
    out = log_text(log_path);
    assert_non_null(strstr(out, "--check-config"));
    free(out);
}

/* docs/CONFIG.md names every key of relay/config/cfg.c's table, so the doc cannot fall behind. */
static void test_deploy_config_doc_lists_every_key(void **state)
{
    (void)state;
    char *source = read_source("relay/config/cfg.c");
    char *doc = read_source("docs/CONFIG.md");
    const char *table = strstr(source, "keys[] = {");
    assert_non_null(table);
    const char *end = strstr(table, "\n};");
    assert_non_null(end);
    int keys = 0;
    for (const char *q = strchr(table, '"'); q != NULL && q < end; q = strchr(q, '"')) {
        const char *close = strchr(q + 1, '"');
        assert_non_null(close);
        char name[80];
        snprintf(name, sizeof(name), "`%.*s`", (int)(close - q - 1), q + 1);
        if (strstr(doc, name) == NULL)
            fail_msg("docs/CONFIG.md does not mention %s (a key in relay/config/cfg.c)", name);
        keys++;
        q = close + 1;
    }
    print_message("docs/CONFIG.md lists all %d keys\n", keys);
    assert_true(keys >= 4);
    free(source);
    free(doc);
}

/* Documents read by people on other machines: no path of the machine they were written on, and
 * the first things a newcomer looks for are where they should be. */
static void test_deploy_docs_hold_no_build_machine_paths(void **state)
{
    (void)state;
    static const char *const dirs[] = {"docs", "man", "deploy", "deploy/nginx"};
    static const char *const leaks[] = {"/work/", "/root/", "/tmp/", "/var/tmp/", "/home/"};
    char paths[64][300];
    int n = 0;
    snprintf(paths[n++], sizeof(paths[0]), "README.md");
    snprintf(paths[n++], sizeof(paths[0]), "firmware/esp32-cam/README.md");
    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        char dir[600];
        snprintf(dir, sizeof(dir), "%s/%s", src_dir(), dirs[d]);
        DIR *dh = opendir(dir);
        assert_non_null(dh);
        struct dirent *e;
        while ((e = readdir(dh)) != NULL && n < 64) {
            if (e->d_name[0] != '.' && strchr(e->d_name, '.') != NULL)
                snprintf(paths[n++], sizeof(paths[0]), "%s/%.200s", dirs[d], e->d_name);
        }
        closedir(dh);
    }
    for (int i = 0; i < n; i++) {
        char *text = read_source(paths[i]);
        for (size_t l = 0; l < sizeof(leaks) / sizeof(leaks[0]); l++) {
            const char *hit = strstr(text, leaks[l]);
            if (hit != NULL)
                fail_msg("%s names a build machine's path: \"%.60s\"", paths[i], hit);
        }
        free(text);
    }
    print_message("%d documents checked\n", n);

    char *readme = read_source("README.md");
    assert_non_null(strstr(readme, "docs/HARDWARE.md"));
    assert_non_null(strstr(readme, "firmware/esp32-cam/README.md"));
    assert_non_null(strstr(readme, "original Arduino firmware"));
    free(readme);
    /* The recording example must work: a multipart stream has no timestamps of its own. */
    char *man = read_source("man/lookout.8");
    assert_non_null(strstr(man, "use_wallclock_as_timestamps 1"));
    free(man);
}

/* Plain `make` on a machine without pkg-config says what to run, not "No such file". */
static void test_deploy_make_without_pkg_config_says_what_to_run(void **state)
{
    struct deploy *d = *state;
    char make[512], src[PATH_MAX], log_path[600];
    if (ts_which("make", make, sizeof(make)) < 0)
        skip();
    assert_non_null(realpath(src_dir(), src));
    char *argv[] = {make, "-C", src, "-n", "all", NULL};
    char *env[] = {"PATH=/nonexistent", NULL};
    snprintf(log_path, sizeof(log_path), "%s/make-no-pkg-config.log", d->dir);
    int code = ts_run(argv, env, log_path, TOOL_TIMEOUT_MS);
    char *out = log_text(log_path);
    if (code == 0 || strstr(out, "pkg-config is not installed: run scripts/install-deps") == NULL)
        fail_msg("make without pkg-config (exit %d) said:\n%s", code, out);
    free(out);
}

/* --- make run's demo ------------------------------------------------------------------------ */

/*
 * scripts/run-demo (make run) next to a .env the user edited for a real camera, even one that
 * still has the old demo's header: the .env is never read or changed (the demo's settings live
 * in BUILD/demo.env), and LOOKOUT_LISTEN=0.0.0.0:PORT opens the relay to the network with the
 * login it prints.
 */
static void test_deploy_run_demo_keeps_the_users_env(void **state)
{
    struct deploy *d = *state;
    static const char user_env[] = "# Created by `make run` for the demo.\n"
                                   "HTTP_AUTH_USERNAME=me\nHTTP_AUTH_PASSWORD=mine\n"
                                   "CAM_URL=http://192.0.2.7/mjpeg\n";
    char dir[600], env_path[700], bin[PATH_MAX], script[PATH_MAX + 32], cmd[3 * PATH_MAX], log[700];
    snprintf(dir, sizeof(dir), "%s/demo", d->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(ts_file_write(dir, ".env", user_env, env_path, sizeof(env_path)), 0);
    assert_non_null(realpath(ts_bin_dir(), bin));
    char src[PATH_MAX];
    assert_non_null(realpath(src_dir(), src));
    snprintf(script, sizeof(script), "%s/scripts/run-demo", src);
    snprintf(cmd, sizeof(cmd), "cd '%s' && exec '%s' '%s'", dir, script, bin);
    int port = ts_free_port(), cam_port = ts_free_port();
    assert_true(port > 0 && cam_port > 0);
    char env_port[32], env_cam[32], env_listen[48];
    snprintf(env_port, sizeof(env_port), "LOOKOUT_PORT=%d", port);
    snprintf(env_cam, sizeof(env_cam), "LOOKOUT_CAM_PORT=%d", cam_port);
    snprintf(env_listen, sizeof(env_listen), "LOOKOUT_LISTEN=0.0.0.0:%d", port);
    char *const env[] = {
        env_port, env_cam, env_listen, "LOOKOUT_TLS", "HTTP_AUTH_USERNAME", "HTTP_AUTH_PASSWORD",
        NULL};
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    snprintf(log, sizeof(log), "%s/demo.log", d->dir);
    d->relay_pid = ts_proc_spawn(argv, env, log);
    assert_true(d->relay_pid > 0);
    char line[256];
    if (ts_proc_wait_log(log, "Lookout is running", 15000, NULL, 0) < 0 ||
        ts_proc_wait_log(log, "login  ", 2000, line, sizeof(line)) < 0) {
        ts_proc_print_log(log, 30);
        fail_msg("the demo did not start");
    }
    assert_int_equal(ts_proc_wait_log(log, "anyone on your network", 2000, NULL, 0), 0);

    /* The printed login opens the relay on the port it was asked to listen on. */
    char user[64], pass[128];
    assert_int_equal(sscanf(line, " login %63s / %127s", user, pass), 2);
    char basic[256], raw[200], headers[400];
    snprintf(raw, sizeof(raw), "%s:%s", user, pass);
    EVP_EncodeBlock((unsigned char *)basic, (const unsigned char *)raw, (int)strlen(raw));
    snprintf(headers, sizeof(headers), "Authorization: Basic %s\r\n", basic);
    struct ts_http_response r;
    int code = ts_http_request((uint16_t)port, "GET", "/api/status", headers, NULL, 5000, &r);
    if (code != 200)
        fail_msg("GET /api/status with the printed login: %d", code);
    ts_http_response_deinit(&r);
    ts_proc_stop(d->relay_pid);
    d->relay_pid = 0;

    char *after = ts_file_read(env_path, MAX_FILE_BYTES);
    assert_non_null(after);
    assert_string_equal(after, user_env);
    free(after);
    char demo_env[PATH_MAX + 16];
    snprintf(demo_env, sizeof(demo_env), "%s/demo.env", bin);
    char *demo = ts_file_read(demo_env, MAX_FILE_BYTES);
    assert_non_null(demo);
    char want[80];
    snprintf(want, sizeof(want), "CAM_URL=http://127.0.0.1:%d/mjpeg", cam_port);
    assert_non_null(strstr(demo, want));
    free(demo);
}

/* --- systemd ------------------------------------------------------------------------------ */

static void test_deploy_systemd_units_verify(void **state)
{
    struct deploy *d = *state;
    char analyze[512];
    need_tool("systemd-analyze", "systemd", analyze, sizeof(analyze));
    /* verify insists that ExecStart's program exists: point it at the one just built. */
    char relay[PATH_MAX];
    assert_non_null(realpath(ts_bin_dir(), relay));
    strncat(relay, "/lookout", sizeof(relay) - strlen(relay) - 1);
    char *service = read_source("deploy/lookout.service");
    char *socket_unit = read_source("deploy/lookout.socket");
    assert_true(replace_all(&service, "/usr/local/bin/lookout", relay) >= 1);
    char service_path[512], socket_path[512];
    assert_int_equal(
        ts_file_write(d->dir, "lookout.service", service, service_path, sizeof(service_path)), 0);
    assert_int_equal(
        ts_file_write(d->dir, "lookout.socket", socket_unit, socket_path, sizeof(socket_path)), 0);
    free(service);
    free(socket_unit);
    /* --man=no: lookout(8) is installed by `make install`, not yet here. */
    char *argv[] = {analyze, "verify", "--man=no", service_path, socket_path, NULL};
    char log_path[600];
    int code = run_logged(d, "systemd-analyze", argv, log_path, sizeof(log_path));
    char *out = log_text(log_path);
    if (code != 0 || strstr(out, "lookout.s") != NULL)
        fail_msg("systemd-analyze verify (exit %d):\n%s", code, out);
    free(out);
}

/* A listening socket on 127.0.0.1 that a child inherits (no CLOEXEC), as systemd passes one. */
static int inheritable_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Wait for one sd_notify datagram on fd containing `want`. */
static void expect_notify(int fd, const char *want)
{
    char msg[512];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, STARTUP_TIMEOUT_MS) != 1)
            fail_msg("no \"%s\" from the relay within %d ms", want, STARTUP_TIMEOUT_MS);
        ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
        assert_true(n >= 0);
        msg[n] = '\0';
        if (strstr(msg, want) != NULL)
            return;
    }
}

static void test_deploy_socket_activation_and_notify(void **state)
{
    struct deploy *d = *state;
    /* What systemd does for lookout.socket + Type=notify, done by hand: the listening socket
     * as fd 3 with LISTEN_FDS and LISTEN_PID (the shell's pid, which exec keeps), and a
     * NOTIFY_SOCKET to report to. */
    uint16_t port = 0;
    int listener = inheritable_listener(&port);
    int notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(notify >= 0);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof(su.sun_path), "%s/notify", d->dir);
    assert_int_equal(bind(notify, (struct sockaddr *)&su, sizeof(su)), 0);

    char relay[512], script[256], notify_env[sizeof(su.sun_path) + 16], log_path[600];
    snprintf(relay, sizeof(relay), "%s/lookout", ts_bin_dir());
    snprintf(script, sizeof(script),
             "export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=lookout.socket; "
             "exec \"$0\" \"$@\" 3<&%d",
             listener);
    snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", su.sun_path);
    snprintf(log_path, sizeof(log_path), "%s/activated.log", d->dir);
    char *argv[] = {"/bin/sh", "-c", script, relay, "--env", d->stack.env_path, NULL};
    char *env[] = {notify_env, "HTTP_AUTH_USERNAME", "HTTP_AUTH_PASSWORD",
                   "CAM_URL",  "SERVO_URL",          "LISTEN",
                   NULL};
    d->relay_pid = ts_proc_spawn(argv, env, log_path);
    close(listener); /* the relay has it now */
    assert_true(d->relay_pid > 0);

    expect_notify(notify, "READY=1");
    assert_int_equal(
        ts_proc_wait_log(log_path, "(socket from systemd)", STARTUP_TIMEOUT_MS, NULL, 0), 0);
    struct ts_http_response r;
    assert_int_equal(ts_http_request(port, "GET", "/healthz", NULL, NULL, HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);

    int code = ts_proc_stop(d->relay_pid);
    d->relay_pid = 0;
    if (code != 0) {
        ts_proc_print_log(log_path, 40);
        fail_msg("socket-activated relay exited with %d", code);
    }
    expect_notify(notify, "STOPPING=1");
    close(notify);
}

/* --- nginx -------------------------------------------------------------------------------- */

/* The nginx.conf around a site file: everything in the test's directory, errors logged there. */
static void write_nginx_conf(struct deploy *d, const char *site_name, char *conf_path,
                             size_t conf_cap)
{
    char conf[4096];
    snprintf(conf, sizeof(conf),
             "%s"
             "worker_processes 1;\n"
             "error_log %s/nginx-error.log info;\n"
             "events { worker_connections 256; }\n"
             "http {\n"
             "    access_log %s/nginx-access.log;\n"
             "    client_body_temp_path %s/nginx-body;\n"
             "    proxy_temp_path %s/nginx-proxy;\n"
             "    fastcgi_temp_path %s/nginx-fastcgi;\n"
             "    uwsgi_temp_path %s/nginx-uwsgi;\n"
             "    scgi_temp_path %s/nginx-scgi;\n"
             "    include %s/%s;\n"
             "}\n",
             /* As root, workers would switch to an account that cannot enter our 0700 dir. */
             geteuid() == 0 ? "user root root;\n" : "", d->dir, d->dir, d->dir, d->dir, d->dir,
             d->dir, d->dir, d->dir, site_name);
    assert_int_equal(ts_file_write(d->dir, "nginx.conf", conf, conf_path, conf_cap), 0);
}

/* Start nginx on conf in the foreground, and wait until `port` answers. */
static void start_nginx(struct deploy *d, const char *nginx, const char *conf_path, uint16_t port)
{
    char globals[700];
    snprintf(globals, sizeof(globals), "daemon off; pid %s/nginx.pid;", d->dir);
    snprintf(d->nginx_log, sizeof(d->nginx_log), "%s/nginx.log", d->dir);
    char *argv[] = {(char *)nginx, "-p", d->dir, "-c", (char *)conf_path, "-g", globals, NULL};
    d->nginx_pid = ts_proc_spawn(argv, NULL, d->nginx_log);
    assert_true(d->nginx_pid > 0);
    for (int waited = 0;; waited += 50) {
        struct ts_http_conn *c = NULL;
        if (ts_http_conn_open(port, "GET", "/healthz", NULL, NULL, HTTP_TIMEOUT_MS, &c) == 0) {
            ts_http_conn_free(c);
            return;
        }
        if (waited >= STARTUP_TIMEOUT_MS) {
            ts_proc_print_log(d->nginx_log, 40);
            fail_msg("nginx did not answer on port %u", (unsigned)port);
        }
        poll(NULL, 0, 50);
    }
}

static void test_deploy_nginx_streams_to_two_viewers(void **state)
{
    struct deploy *d = *state;
    char nginx[512];
    need_tool("nginx", "nginx", nginx, sizeof(nginx));
    int port = ts_free_port();
    assert_true(port > 0);

    /* The shipped site, moved to loopback ports: nothing else in it changes. */
    char *site = read_source("deploy/nginx/lookout.conf");
    char listen[64], upstream[64];
    snprintf(listen, sizeof(listen), "listen 127.0.0.1:%d;", port);
    snprintf(upstream, sizeof(upstream), "server 127.0.0.1:%u;", (unsigned)d->stack.relay_port);
    assert_int_equal(replace_all(&site, "listen 80;", listen), 1);
    assert_int_equal(replace_all(&site, "listen [::]:80;", ""), 1);
    assert_int_equal(replace_all(&site, "server 127.0.0.1:5000;", upstream), 1);
    assert_int_equal(ts_file_write(d->dir, "site.conf", site, NULL, 0), 0);
    free(site);
    char conf_path[512];
    write_nginx_conf(d, "site.conf", conf_path, sizeof(conf_path));
    start_nginx(d, nginx, conf_path, (uint16_t)port);

    /* Login and the API pass through. */
    struct ts_http_response r;
    assert_int_equal(ts_http_request((uint16_t)port, "GET", "/api/status", d->stack.auth, NULL,
                                     HTTP_TIMEOUT_MS, &r),
                     200);
    ts_http_response_deinit(&r);
    assert_int_equal(
        ts_http_request((uint16_t)port, "GET", "/api/status", NULL, NULL, HTTP_TIMEOUT_MS, &r),
        401);
    ts_http_response_deinit(&r);

    /* A pan/tilt move from the page passes the relay's same-origin check through nginx: the
     * site forwards the Host with its port, as the browser's Origin has it. */
    char headers[512];
    snprintf(headers, sizeof(headers), "%sOrigin: http://127.0.0.1:%d\r\n", d->stack.auth, port);
    assert_int_equal(
        ts_http_request((uint16_t)port, "POST", "/turnleft", headers, NULL, HTTP_TIMEOUT_MS, &r),
        200);
    ts_http_response_deinit(&r);

    /* Two viewers through nginx, read in turn: each gets whole, decodable frames. */
    int frames[NGINX_VIEWERS] = {0};
    for (int i = 0; i < NGINX_VIEWERS; i++) {
        d->viewers[i] = ts_stream_open((uint16_t)port, "/mjpeg", d->stack.auth, HTTP_TIMEOUT_MS);
        assert_non_null(d->viewers[i]);
    }
    for (int round = 0; round < FRAMES_PER_VIEWER; round++) {
        for (int i = 0; i < NGINX_VIEWERS; i++) {
            const uint8_t *jpeg;
            size_t len;
            int w = 0, h = 0;
            int rc = ts_stream_next_frame(d->viewers[i], FRAME_TIMEOUT_MS, &jpeg, &len);
            if (rc < 0)
                fail_msg("viewer %d through nginx, frame %d: %s", i, round, strerror(-rc));
            assert_int_equal(ts_jpeg_decode_ok(jpeg, len, &w, &h), 0);
            frames[i]++;
        }
    }
    assert_int_equal(frames[0], FRAMES_PER_VIEWER);
    assert_int_equal(frames[1], FRAMES_PER_VIEWER);

    /* The relay sees both viewers (from nginx's address). */
    assert_int_equal(
        ts_http_request(d->stack.relay_port, "GET", "/counter", NULL, NULL, HTTP_TIMEOUT_MS, &r),
        200);
    assert_non_null(strstr((const char *)r.body, "\"viewers\":2"));
    ts_http_response_deinit(&r);
}

/* The shipped site passes the node link through as a WebSocket: a node dials the relay through
 * nginx (docs/DEPLOY.md, "No port forwarding"). */
static void test_deploy_nginx_passes_the_node_link(void **state)
{
    struct deploy *d = *state;
    char nginx[512];
    need_tool("nginx", "nginx", nginx, sizeof(nginx));
    char token_path[600], env_path[600], env[1400], log_path[600], cam_log[600];
    assert_int_equal(ts_file_write(d->dir, "node-token", "6f0e1d2c3b4a59687766554433221100\n",
                                   token_path, sizeof(token_path)),
                     0);
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\nNODE_TOKEN_FILE=%s\n"
             "PRESETS_FILE=%s/link-presets.txt\nTRUSTED_PROXIES=127.0.0.1\n",
             token_path, d->dir);
    assert_int_equal(ts_file_write(d->dir, "link.env", env, env_path, sizeof(env_path)), 0);
    snprintf(log_path, sizeof(log_path), "%s/link-relay.log", d->dir);
    char relay_bin[512], cam_bin[512];
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", ts_bin_dir());
    snprintf(cam_bin, sizeof(cam_bin), "%s/lookout-cam", ts_bin_dir());
    char *relay_argv[] = {relay_bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    int relay_port = ts_proc_start_port("deploy", relay_argv, ts_stack_clean_env, log_path,
                                        "listening on http://", STARTUP_TIMEOUT_MS, &d->relay_pid);
    assert_true(relay_port > 0);

    int port = ts_free_port();
    assert_true(port > 0);
    char *site = read_source("deploy/nginx/lookout.conf");
    char listen[64], upstream[64];
    snprintf(listen, sizeof(listen), "listen 127.0.0.1:%d;", port);
    snprintf(upstream, sizeof(upstream), "server 127.0.0.1:%d;", relay_port);
    assert_int_equal(replace_all(&site, "listen 80;", listen), 1);
    assert_int_equal(replace_all(&site, "listen [::]:80;", ""), 1);
    assert_int_equal(replace_all(&site, "server 127.0.0.1:5000;", upstream), 1);
    assert_int_equal(ts_file_write(d->dir, "site-link.conf", site, NULL, 0), 0);
    free(site);
    char conf_path[512];
    write_nginx_conf(d, "site-link.conf", conf_path, sizeof(conf_path));
    start_nginx(d, nginx, conf_path, (uint16_t)port);

    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    snprintf(cam_log, sizeof(cam_log), "%s/link-cam.log", d->dir);
    char *cam_argv[] = {cam_bin, "--relay", url, "--token-file", token_path, NULL};
    d->cam_pid = ts_proc_spawn(cam_argv, ts_stack_clean_env, cam_log);
    assert_true(d->cam_pid > 0);
    if (ts_proc_wait_log(log_path, "node dialed in from", 15000, NULL, 0) != 0) {
        ts_proc_print_log(cam_log, 20);
        ts_proc_print_log(log_path, 20);
        fail_msg("the node did not link through nginx");
    }
    /* Through nginx as a viewer would: a snapshot wakes the camera from standby (the node is
     * told to send frames), and a move. */
    struct ts_http_response r;
    assert_int_equal(ts_http_request((uint16_t)port, "GET", "/snapshot.jpg", d->stack.auth, NULL,
                                     HTTP_TIMEOUT_MS, &r),
                     200);
    assert_true(r.body_len > 2 && r.body[0] == 0xFF && r.body[1] == 0xD8);
    ts_http_response_deinit(&r);
    assert_int_equal(ts_http_request((uint16_t)port, "POST", "/turnleft", d->stack.auth, NULL,
                                     HTTP_TIMEOUT_MS, &r),
                     200);
    assert_non_null(strstr((const char *)r.body, "\"pan\":95"));
    ts_http_response_deinit(&r);
}

static void test_deploy_nginx_terminates_tls(void **state)
{
    struct deploy *d = *state;
    char nginx[512], openssl[512], curl[512];
    need_tool("nginx", "nginx", nginx, sizeof(nginx));
    need_tool("openssl", "openssl", openssl, sizeof(openssl));
    need_tool("curl", "curl", curl, sizeof(curl));

    /* A throwaway self-signed certificate in place of certbot's. */
    char key[600], cert[600], log_path[600];
    snprintf(key, sizeof(key), "%s/privkey.pem", d->dir);
    snprintf(cert, sizeof(cert), "%s/fullchain.pem", d->dir);
    char *req[] = {openssl,
                   "req",
                   "-x509",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:prime256v1",
                   "-nodes",
                   "-days",
                   "1",
                   "-subj",
                   "/CN=localhost",
                   "-keyout",
                   key,
                   "-out",
                   cert,
                   NULL};
    assert_int_equal(run_logged(d, "openssl", req, log_path, sizeof(log_path)), 0);

    int http_port = ts_free_port();
    int https_port = ts_free_port();
    for (int i = 0; i < 10 && https_port == http_port; i++)
        https_port = ts_free_port();
    assert_true(http_port > 0 && https_port > 0 && http_port != https_port);
    char *site = read_source("deploy/nginx/lookout-tls.conf");
    char text[700];
    snprintf(text, sizeof(text), "listen 127.0.0.1:%d;", http_port);
    assert_int_equal(replace_all(&site, "listen 80;", text), 1);
    snprintf(text, sizeof(text), "listen 127.0.0.1:%d ssl http2;", https_port);
    assert_int_equal(replace_all(&site, "listen 443 ssl http2;", text), 1);
    assert_int_equal(replace_all(&site, "listen [::]:80;", ""), 1);
    assert_int_equal(replace_all(&site, "listen [::]:443 ssl http2;", ""), 1);
    assert_int_equal(
        replace_all(&site, "/etc/letsencrypt/live/camera.example.com/fullchain.pem", cert), 1);
    assert_int_equal(
        replace_all(&site, "/etc/letsencrypt/live/camera.example.com/privkey.pem", key), 1);
    snprintf(text, sizeof(text), "server 127.0.0.1:%u;", (unsigned)d->stack.relay_port);
    assert_int_equal(replace_all(&site, "server 127.0.0.1:5000;", text), 1);
    assert_int_equal(ts_file_write(d->dir, "site-tls.conf", site, NULL, 0), 0);
    free(site);
    char conf_path[512];
    write_nginx_conf(d, "site-tls.conf", conf_path, sizeof(conf_path));

    char *test_conf[] = {nginx, "-t", "-p", d->dir, "-c", conf_path, NULL};
    int code = run_logged(d, "nginx-t", test_conf, log_path, sizeof(log_path));
    if (code != 0) {
        ts_proc_print_log(log_path, 20);
        fail_msg("nginx -t on deploy/nginx/lookout-tls.conf: exit %d", code);
    }
    start_nginx(d, nginx, conf_path, (uint16_t)http_port);

    /* Plain HTTP is redirected to HTTPS. */
    struct ts_http_response r;
    assert_int_equal(
        ts_http_request((uint16_t)http_port, "GET", "/", NULL, NULL, HTTP_TIMEOUT_MS, &r), 301);
    ts_http_response_deinit(&r);
    /* Over HTTPS the relay answers, with the HSTS header nginx adds. */
    char url[128], user_pass[128], out_path[600];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/status", https_port);
    snprintf(user_pass, sizeof(user_pass), "%s:%s", TS_STACK_USER, TS_STACK_PASSWORD);
    char *get[] = {curl, "-sS", "-k", "-i", "--max-time", "10", "-u", user_pass, url, NULL};
    code = run_logged(d, "curl-tls", get, out_path, sizeof(out_path));
    char *out = log_text(out_path);
    if (code != 0)
        fail_msg("curl %s: exit %d:\n%s", url, code, out);
    assert_non_null(strstr(out, " 200"));
    assert_non_null(strcasestr(out, "strict-transport-security: max-age="));
    assert_non_null(strstr(out, "\"online\":"));
    free(out);
}

/* `make install DESTDIR=... PREFIX=/usr` puts every file docs/DEPLOY.md names in its place. */
static void test_deploy_make_install_tree(void **state)
{
    struct deploy *d = *state;
    char make[512];
    need_tool("make", "make", make, sizeof(make));
    char destdir[600], bin_dir_arg[600], destdir_arg[700], log_path[600];
    snprintf(destdir, sizeof(destdir), "%s/root", d->dir);
    snprintf(destdir_arg, sizeof(destdir_arg), "DESTDIR=%s", destdir);
    snprintf(bin_dir_arg, sizeof(bin_dir_arg), "O=%s", ts_bin_dir());
    char *argv[] = {make,        "-s",          "-C",        (char *)src_dir(), "install",
                    destdir_arg, "PREFIX=/usr", bin_dir_arg, "NO_DEPS=1",       NULL};
    /* A make running this test must not hand its jobserver or flags to this one. */
    char *env[] = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", NULL};
    snprintf(log_path, sizeof(log_path), "%s/install.log", d->dir);
    int code = ts_run(argv, env, log_path, TOOL_TIMEOUT_MS);
    if (code != 0) {
        ts_proc_print_log(log_path, 30);
        fail_msg("make install: exit %d", code);
    }
    static const char *const files[] = {
        "usr/bin/lookout",
        "usr/bin/lookout-cam",
        "usr/share/man/man8/lookout.8",
        "usr/share/man/man1/lookout-cam.1",
        "usr/lib/systemd/system/lookout.service",
        "usr/lib/systemd/system/lookout.socket",
        "usr/share/doc/lookout/lookout.env.example",
        "usr/share/doc/lookout/nginx/lookout.conf",
        "usr/share/doc/lookout/nginx/lookout-tls.conf",
        "usr/share/doc/lookout/README.md",
        "usr/share/doc/lookout/API.md",
        "usr/share/doc/lookout/CONFIG.md",
        "usr/share/doc/lookout/DEPLOY.md",
        "usr/share/doc/lookout/INTEGRATIONS.md",
        "usr/share/doc/lookout/SECURITY.md",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[900];
        snprintf(path, sizeof(path), "%s/%s", destdir, files[i]);
        if (access(path, R_OK) != 0)
            fail_msg("make install did not install /%s", files[i]);
    }
    /* The unit starts the binary where PREFIX put it. */
    char path[900];
    snprintf(path, sizeof(path), "%s/usr/lib/systemd/system/lookout.service", destdir);
    char *unit = ts_file_read(path, MAX_FILE_BYTES);
    assert_non_null(unit);
    assert_non_null(strstr(unit, "\nExecStart=/usr/bin/lookout --env "));
    assert_null(strstr(unit, "/usr/local/"));
    free(unit);
    snprintf(path, sizeof(path), "%s/usr/bin/lookout", destdir);
    char *version[] = {path, "--version", NULL};
    assert_int_equal(run_logged(d, "installed-version", version, log_path, sizeof(log_path)), 0);
}

static void test_deploy_relay_exits_cleanly(void **state)
{
    struct deploy *d = *state;
    assert_int_equal(ts_stack_stop(&d->stack), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_deploy_check_config_reports_every_error, case_teardown),
        cmocka_unit_test_teardown(test_deploy_check_config_ok, case_teardown),
        cmocka_unit_test_teardown(test_deploy_check_config_servo_on_stream_port, case_teardown),
        cmocka_unit_test_teardown(test_deploy_version_and_help, case_teardown),
        cmocka_unit_test_teardown(test_deploy_config_doc_lists_every_key, case_teardown),
        cmocka_unit_test_teardown(test_deploy_docs_hold_no_build_machine_paths, case_teardown),
        cmocka_unit_test_teardown(test_deploy_run_demo_keeps_the_users_env, case_teardown),
        cmocka_unit_test_teardown(test_deploy_make_without_pkg_config_says_what_to_run,
                                  case_teardown),
        cmocka_unit_test_teardown(test_deploy_systemd_units_verify, case_teardown),
        cmocka_unit_test_teardown(test_deploy_socket_activation_and_notify, case_teardown),
        cmocka_unit_test_teardown(test_deploy_nginx_streams_to_two_viewers, case_teardown),
        cmocka_unit_test_teardown(test_deploy_nginx_passes_the_node_link, case_teardown),
        cmocka_unit_test_teardown(test_deploy_nginx_terminates_tls, case_teardown),
        cmocka_unit_test_teardown(test_deploy_make_install_tree, case_teardown),
        cmocka_unit_test_teardown(test_deploy_relay_exits_cleanly, case_teardown),
    };
    return cmocka_run_group_tests_name("deploy", tests, group_setup, group_teardown);
}
