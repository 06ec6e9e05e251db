/*
 * Attacks on loopback (issue 10), each performed as a hostile client would and held to a
 * stated bound: the relay's memory (VmRSS), connections closed by their deadline, other
 * clients still served. Every attack is bounded in time and bytes; nothing asserts on speed.
 *
 * Each test starts its own simulated camera and relay (tests/support/stack.h) with the
 * settings it attacks; a second relay (TLS, or a dual-stack listener) is started by pid beside
 * it when needed. 127.0.0.2 is "another address" to the relay (all of 127/8 is loopback).
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"); LOOKOUT_KEEP_TMP=1 keeps the logs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cmocka.h>

#include "../support/attack.h"
#include "../support/relay_stream.h"
#include "../support/http.h"
#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tls_cert.h"
#include "../support/tmpdir.h"
#include "connlimit.h"
#include "users.h"

#define MAX_FDS 64
#define TIMEOUT_MS 5000
#define STARTUP_MS 10000
/* The relay's REQUEST_TIMEOUT_MS in these tests, and the slack allowed past it. */
#define DEADLINE_MS 2000
#define SLACK_MS 2500
/* lookout-cam's fixed deadline (node/linux/http_glue.c). */
#define NODE_DEADLINE_MS 10000

struct atk {
    char *dir;
    struct ts_stack stack;
    int fds[MAX_FDS];
    pid_t extra_pid; /* a second relay, or 0 */
    char extra_log[512];
    pid_t children[4]; /* forked attackers and viewers, or 0 */
    pid_t hostile;     /* a hostile camera or control port, or 0 */
};

/* Fork a child running fn(a, arg) until it returns or is killed; it dies with the test. */
static pid_t fork_child(struct atk *a, int slot, void (*fn)(struct atk *, int), int arg)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fn(a, arg);
        _exit(0);
    }
    a->children[slot] = pid;
    return pid;
}

static void stop_child(struct atk *a, int slot)
{
    if (a->children[slot] > 0) {
        kill(a->children[slot], SIGKILL);
        waitpid(a->children[slot], NULL, 0);
        a->children[slot] = 0;
    }
}

static int setup(void **state)
{
    struct atk *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return -1;
    for (int i = 0; i < MAX_FDS; i++)
        a->fds[i] = -1;
    a->dir = ts_tmpdir_new();
    *state = a;
    return a->dir != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct atk *a = *state;
    for (int i = 0; i < 4; i++)
        stop_child(a, i);
    ts_hostile_stop(a->hostile);
    for (int i = 0; i < MAX_FDS; i++) {
        if (a->fds[i] >= 0)
            close(a->fds[i]);
    }
    int rc = ts_proc_stop_reporting("attack", &a->extra_pid, "lookout (second)", a->extra_log);
    int rc2 = ts_stack_stop(&a->stack);
    ts_tmpdir_free(a->dir);
    free(a);
    return rc == 0 && rc2 == 0 ? 0 : -1;
}

static void start_stack(struct atk *a, const char *extra_env)
{
    if (ts_stack_start(&a->stack, a->dir, 10, extra_env) < 0)
        fail_msg("cannot start the camera and the relay");
}

/* A second relay on the stack's .env plus extra lines, listening on `listen`. Returns its port. */
static uint16_t start_second_relay(struct atk *a, const char *extra_env, const char *listen,
                                   const char *log_prefix)
{
    char *env = ts_file_read(a->stack.env_path, 65536);
    assert_non_null(env);
    char text[8192], path[512];
    snprintf(text, sizeof(text), "%s%s", env, extra_env);
    free(env);
    assert_int_equal(ts_file_write(a->dir, "second.env", text, path, sizeof(path)), 0);
    snprintf(a->extra_log, sizeof(a->extra_log), "%s/second.log", a->dir);
    char bin[512];
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--env", path, "--listen", (char *)listen, NULL};
    int port = ts_proc_start_port("attack", argv, ts_stack_clean_env, a->extra_log, log_prefix,
                                  STARTUP_MS, &a->extra_pid);
    assert_true(port > 0);
    return (uint16_t)port;
}

/* The stack, and a second relay on TLS (a throwaway certificate) with the extra settings.
 * Returns the TLS relay's port. */
static uint16_t start_tls_relay(struct atk *a, const char *extra_env)
{
    start_stack(a, NULL);
    char cert[512], key[512], extra[1400];
    snprintf(cert, sizeof(cert), "%s/cert.pem", a->dir);
    snprintf(key, sizeof(key), "%s/key.pem", a->dir);
    assert_int_equal(ts_tls_cert_make(cert, key, 1), 0);
    snprintf(extra, sizeof(extra), "TLS_CERT=%s\nTLS_KEY=%s\n%s", cert, key, extra_env);
    return start_second_relay(a, extra, "127.0.0.1:0", "listening on https://");
}

static int healthz_from(const char *src, const char *dst, uint16_t port)
{
    char out[4096];
    return ts_raw_request(src, dst, port,
                          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
                          sizeof(out), TIMEOUT_MS);
}

/*
 * #1: four connections pipeline GET /healthz without reading an answer, as fast as the relay
 * takes them, for 3 s (at most 64 MiB each). Before: the relay read them all into memory
 * (600 MB a second per connection). Bound: the relay's RSS grows by less than 32 MiB, since it
 * reads ahead at most ~136 KiB per connection and TCP pushes back.
 */
static void test_attack_pipelined_requests_unread(void **state)
{
    struct atk *a = *state;
    start_stack(a, NULL);
    long before = ts_rss_kb(a->stack.relay_pid);
    assert_true(before > 0);
    static char chunk[65536];
    const char one[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t per = sizeof(one) - 1, chunk_len = (sizeof(chunk) / per) * per;
    for (size_t off = 0; off < chunk_len; off += per)
        memcpy(chunk + off, one, per);
    for (int i = 0; i < 4; i++) {
        a->fds[i] = ts_tcp_connect("127.0.0.1", "127.0.0.1", a->stack.relay_port, TIMEOUT_MS);
        assert_true(a->fds[i] >= 0);
        int small = 4096;
        setsockopt(a->fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    }
    size_t sent[4] = {0};
    int64_t end = ts_now_ms() + 3000;
    while (ts_now_ms() < end) {
        int progressed = 0;
        for (int i = 0; i < 4; i++) {
            if (sent[i] >= 64u << 20)
                continue;
            ssize_t n = send(a->fds[i], chunk, chunk_len, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                sent[i] += (size_t)n;
                progressed = 1;
            }
        }
        if (!progressed)
            ts_sleep_ms(20);
    }
    long after = ts_rss_kb(a->stack.relay_pid);
    print_message("pipelined: sent %zu+%zu+%zu+%zu KiB unread; relay RSS %ld -> %ld KiB\n",
                  sent[0] >> 10, sent[1] >> 10, sent[2] >> 10, sent[3] >> 10, before, after);
    assert_true(after > 0);
    assert_true(after - before < 32 * 1024);
    /* Everyone else is still served. */
    assert_int_equal(healthz_from("127.0.0.2", "127.0.0.1", a->stack.relay_port), 200);
}

/* Send one byte to every open fd every 200 ms until all are closed or `limit_ms` passes.
 * Returns how many are still open; *last_ms is when the last one closed (from start). */
static int trickle_until_closed(struct atk *a, int from, int to, int limit_ms, int64_t start,
                                int64_t *last_ms)
{
    int open_count = to - from;
    int64_t end = start + limit_ms;
    while (open_count > 0 && ts_now_ms() < end) {
        for (int i = from; i < to; i++) {
            if (a->fds[i] < 0)
                continue;
            char sink[512];
            ssize_t r = recv(a->fds[i], sink, sizeof(sink), MSG_DONTWAIT);
            int is_closed =
                r == 0 || (r < 0 && errno != EAGAIN) ||
                (send(a->fds[i], "a", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN);
            if (is_closed) {
                close(a->fds[i]);
                a->fds[i] = -1;
                open_count--;
                *last_ms = ts_now_ms() - start;
            }
        }
        ts_sleep_ms(200);
    }
    return open_count;
}

/*
 * #2: slowloris. 30 connections from one address (cap 20): the 10 over the cap are answered 503
 * at accept although none has sent a byte. The 20 trickle one byte every 200 ms, half inside
 * the header, half inside a POST body. Before: each byte restarted the timeout, so they stayed
 * open for ever. Bound: all are closed by REQUEST_TIMEOUT_MS (+ slack); meanwhile another
 * address is served; afterwards the first address is served again.
 */
static void test_attack_slowloris_plain(void **state)
{
    struct atk *a = *state;
    start_stack(a, "REQUEST_TIMEOUT_MS=2000\nMAX_CONNECTIONS_PER_ADDRESS=20\n");
    uint16_t port = a->stack.relay_port;
    int64_t start = ts_now_ms();
    for (int i = 0; i < 30; i++) {
        a->fds[i] = ts_tcp_connect("127.0.0.1", "127.0.0.1", port, TIMEOUT_MS);
        assert_true(a->fds[i] >= 0);
    }
    for (int i = 20; i < 30; i++) {
        char out[1024];
        ts_read_some(a->fds[i], out, sizeof(out), TIMEOUT_MS);
        assert_non_null(strstr(out, "HTTP/1.1 503"));
        assert_non_null(strstr(out, "MAX_CONNECTIONS_PER_ADDRESS"));
        close(a->fds[i]);
        a->fds[i] = -1;
    }
    const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    const char *post = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                       "application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nuser=";
    for (int i = 0; i < 20; i++) {
        const char *p = i % 2 ? post : head;
        assert_int_equal(ts_send_all(a->fds[i], p, strlen(p), TIMEOUT_MS), 0);
    }
    assert_int_equal(healthz_from("127.0.0.2", "127.0.0.1", port), 200);
    int64_t last_ms = 0;
    int still_open = trickle_until_closed(a, 0, 20, DEADLINE_MS + SLACK_MS, start, &last_ms);
    print_message("slowloris: 20 trickling connections closed, the last %lld ms after accept\n",
                  (long long)last_ms);
    assert_int_equal(still_open, 0);
    assert_int_equal(healthz_from("127.0.0.1", "127.0.0.1", port), 200);
}

/*
 * #2 over TLS: a handshake trickled one byte every 200 ms is closed by the same deadline, and
 * connections that never send a byte count from accept (cap 3: the fourth is closed at once).
 */
static void test_attack_slowloris_tls(void **state)
{
    struct atk *a = *state;
    uint16_t port = start_tls_relay(a, "REQUEST_TIMEOUT_MS=2000\nMAX_CONNECTIONS_PER_ADDRESS=3\n");
    int64_t start = ts_now_ms();
    for (int i = 0; i < 4; i++) {
        a->fds[i] = ts_tcp_connect("127.0.0.1", "127.0.0.1", port, TIMEOUT_MS);
        assert_true(a->fds[i] >= 0);
    }
    /* The fourth: over the cap at accept. It never starts the handshake its 503 would need, so
     * it is closed when its refusal's grace (CONNLIMIT_TLS_REFUSAL_GRACE_MS) is up. */
    assert_int_equal(ts_wait_closed(a->fds[3], DEADLINE_MS + SLACK_MS), 0);
    close(a->fds[3]);
    a->fds[3] = -1;
    /* A TLS record header, then a byte at a time. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(ts_send_all(a->fds[i], "\x16\x03\x01\x02\x00", 5, TIMEOUT_MS), 0);
    int64_t last_ms = 0;
    assert_int_equal(trickle_until_closed(a, 0, 3, DEADLINE_MS + SLACK_MS, start, &last_ms), 0);
    print_message("slowloris over TLS: closed %lld ms after accept\n", (long long)last_ms);
}

/*
 * One request over TLS on a new connection (the certificate is not checked: a throwaway one),
 * the answer read until close into out (NUL-terminated). Returns the bytes read, or -1 if the
 * handshake failed. Every step is bounded by TIMEOUT_MS (socket timeouts).
 */
static int tls_request(uint16_t port, char *out, size_t cap)
{
    out[0] = '\0';
    int fd = ts_tcp_connect("127.0.0.1", "127.0.0.1", port, TIMEOUT_MS);
    if (fd < 0)
        return -1;
    signal(SIGPIPE, SIG_IGN); /* SSL_write to a closed connection must fail, not kill */
    /* ts_tcp_connect's socket is non-blocking; OpenSSL's simple loop wants a blocking one. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
    int n = -1;
    if (ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
        static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        n = 0;
        if (SSL_write(ssl, req, (int)sizeof(req) - 1) > 0) {
            int r;
            while ((size_t)n + 1 < cap && (r = SSL_read(ssl, out + n, (int)(cap - 1 - n))) > 0)
                n += r;
        }
        out[n] = '\0';
    } else {
        ERR_print_errors_fp(stderr);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return n;
}

/* Open descriptors of pid (entries of /proc/PID/fd). */
static int open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/*
 * #2, its loose end: a TLS connection over the cap gets the same one-line 503 as plain HTTP
 * once it has done its handshake, but a flood over the cap does not buy unbounded handshakes:
 * at most CONNLIMIT_TLS_REFUSALS_MAX refusals are held at once, the rest are closed at accept.
 */
static void test_attack_tls_over_the_cap_gets_503(void **state)
{
    struct atk *a = *state;
    /* A long deadline: the three held connections stay for the whole case. */
    uint16_t port = start_tls_relay(a, "REQUEST_TIMEOUT_MS=60000\nMAX_CONNECTIONS_PER_ADDRESS=3\n");
    char out[2048];
    /* Under the cap: a normal answer. */
    assert_true(tls_request(port, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    for (int i = 0; i < 3; i++) {
        a->fds[i] = ts_tcp_connect("127.0.0.1", "127.0.0.1", port, TIMEOUT_MS);
        assert_true(a->fds[i] >= 0);
    }
    /* Over it: the handshake, then the 503 with its reason, then the close. */
    assert_true(tls_request(port, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "HTTP/1.1 503"));
    assert_non_null(strstr(out, "MAX_CONNECTIONS_PER_ADDRESS"));

    /* 40 more that never start a handshake: at most CONNLIMIT_TLS_REFUSALS_MAX held. */
    int before = open_fds(a->extra_pid);
    assert_true(before > 0);
    enum { FLOOD = 40 };
    for (int i = 0; i < FLOOD; i++) {
        a->fds[3 + i] = ts_tcp_connect("127.0.0.1", "127.0.0.1", port, TIMEOUT_MS);
        assert_true(a->fds[3 + i] >= 0);
    }
    /* Look at every socket without waiting on any, until those closed at accept are seen. */
    int closed = 0;
    for (int round = 0; round < 250 && closed < FLOOD - CONNLIMIT_TLS_REFUSALS_MAX; round++) {
        for (int i = 0; i < FLOOD; i++) {
            char sink[64];
            if (a->fds[3 + i] < 0)
                continue;
            ssize_t r = recv(a->fds[3 + i], sink, sizeof(sink), MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                close(a->fds[3 + i]);
                a->fds[3 + i] = -1;
                closed++;
            }
        }
        ts_sleep_ms(20);
    }
    int held = open_fds(a->extra_pid) - before;
    print_message("TLS over the cap: %d of %d closed at once, %d held by the relay\n", closed,
                  FLOOD, held);
    assert_true(held <= CONNLIMIT_TLS_REFUSALS_MAX);
    /* Every one is closed by the refusal's grace, and the budget is free again. */
    for (int i = 0; i < FLOOD; i++) {
        if (a->fds[3 + i] >= 0) {
            assert_int_equal(ts_wait_closed(a->fds[3 + i], TIMEOUT_MS), 0);
            close(a->fds[3 + i]);
            a->fds[3 + i] = -1;
        }
    }
    assert_true(tls_request(port, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "HTTP/1.1 503"));
}

/*
 * #2 on the HTTPS-redirect listener (HTTP_REDIRECT_LISTEN): it kept libevent's idle timeout, so
 * a header trickled a byte at a time stayed open for ever. Now the same deadline as the main
 * listener closes it; an honest request still gets its 301.
 */
static void test_attack_slowloris_redirect(void **state)
{
    struct atk *a = *state;
    start_tls_relay(a, "REQUEST_TIMEOUT_MS=2000\nHTTP_REDIRECT_LISTEN=127.0.0.1:0\n"
                       "MAX_CONNECTIONS_PER_ADDRESS=3\n");
    int port = ts_proc_log_port(a->extra_log, "redirecting to HTTPS on http://", STARTUP_MS);
    assert_true(port > 0);
    char out[2048];
    assert_int_equal(ts_raw_request("127.0.0.1", "127.0.0.1", (uint16_t)port,
                                    "GET /x HTTP/1.1\r\nHost: cam.example\r\n"
                                    "Connection: close\r\n\r\n",
                                    out, sizeof(out), TIMEOUT_MS),
                     301);
    int64_t start = ts_now_ms();
    for (int i = 0; i < 4; i++) {
        a->fds[i] = ts_tcp_connect("127.0.0.1", "127.0.0.1", (uint16_t)port, TIMEOUT_MS);
        assert_true(a->fds[i] >= 0);
    }
    /* The caps hold there too: the fourth is answered 503 at accept. */
    ts_read_some(a->fds[3], out, sizeof(out), TIMEOUT_MS);
    assert_non_null(strstr(out, "HTTP/1.1 503"));
    close(a->fds[3]);
    a->fds[3] = -1;
    const char *head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (int i = 0; i < 3; i++)
        assert_int_equal(ts_send_all(a->fds[i], head, strlen(head), TIMEOUT_MS), 0);
    int64_t last_ms = 0;
    assert_int_equal(trickle_until_closed(a, 0, 3, DEADLINE_MS + SLACK_MS, start, &last_ms), 0);
    print_message("slowloris on the redirect listener: closed %lld ms after accept\n",
                  (long long)last_ms);
}

/*
 * #12: lookout-cam had the same idle timeout. A connection to each of its ports trickling a
 * request header is closed by its 10 s deadline.
 */
static void test_attack_slowloris_node(void **state)
{
    struct atk *a = *state;
    start_stack(a, NULL);
    int64_t start = ts_now_ms();
    a->fds[0] = ts_tcp_connect(NULL, "127.0.0.1", a->stack.stream_port, TIMEOUT_MS);
    a->fds[1] = ts_tcp_connect(NULL, "127.0.0.1", a->stack.control_port, TIMEOUT_MS);
    assert_true(a->fds[0] >= 0 && a->fds[1] >= 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(ts_send_all(a->fds[i], "GET /status HTTP/1.1\r\nX: ", 25, TIMEOUT_MS), 0);
    int64_t last_ms = 0;
    assert_int_equal(trickle_until_closed(a, 0, 2, NODE_DEADLINE_MS + SLACK_MS, start, &last_ms),
                     0);
    print_message("slowloris on lookout-cam: closed %lld ms after accept\n", (long long)last_ms);
}

static int login_from(const char *src, const char *dst, uint16_t port, const char *password)
{
    char auth[256], request[512], out[4096];
    assert_true(ts_basic_auth_header(TS_STACK_USER, password, auth, sizeof(auth)) > 0);
    snprintf(request, sizeof(request),
             "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", auth);
    return ts_raw_request(src, dst, port, request, out, sizeof(out), TIMEOUT_MS);
}

/*
 * #3: on a dual-stack listener ([::]:PORT) IPv4 clients arrive as ::ffff:a.b.c.d. Ten wrong
 * passwords from 127.0.0.1 lock out 127.0.0.1 only: 127.0.0.2 and ::1 still log in, and the
 * log names the IPv4 address as such.
 */
static void test_attack_ipv4_mapped_guesser(void **state)
{
    struct atk *a = *state;
    start_stack(a, NULL);
    uint16_t port = start_second_relay(a, "", "[::]:0", "listening on http://");
    int status = 0;
    for (int i = 0; i < 12 && status != 429; i++)
        status = login_from("127.0.0.1", "127.0.0.1", port, "wrong-guess");
    assert_int_equal(status, 429);
    assert_int_equal(login_from("127.0.0.2", "127.0.0.1", port, TS_STACK_PASSWORD), 200);
    assert_int_equal(login_from("::1", "::1", port, TS_STACK_PASSWORD), 200);
    assert_int_equal(login_from("127.0.0.1", "127.0.0.1", port, "wrong-again"), 429);
    assert_int_equal(ts_proc_wait_log(a->extra_log, "failed login for \"alice\" from 127.0.0.1 ",
                                      TIMEOUT_MS, NULL, 0),
                     0);
    char *log = ts_file_read(a->extra_log, 1 << 20);
    assert_non_null(log);
    assert_null(strstr(log, "::ffff:"));
    free(log);
}

/* A guesser from 15 rotating addresses (127.0.1.base..), wrong Basic passwords, until killed. */
static void flood(struct atk *a, int base)
{
    char auth[256], request[512], out[2048], src[32];
    if (ts_basic_auth_header(TS_STACK_USER, "not-the-password", auth, sizeof(auth)) < 0)
        return;
    snprintf(request, sizeof(request),
             "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", auth);
    for (unsigned k = 0;; k++) {
        snprintf(src, sizeof(src), "127.0.1.%u", (unsigned)base + k % 15);
        ts_raw_request(src, "127.0.0.1", a->stack.relay_port, request, out, sizeof(out), 3000);
    }
}

/* A fast viewer: reads the stream for `seconds` and writes its longest gap between frames
 * (ms) to the file viewer-gap.txt in the test's directory. */
static void view(struct atk *a, int seconds)
{
    struct ts_relay_stream *st =
        ts_relay_stream_open(a->stack.relay_port, "/mjpeg", a->stack.auth, TIMEOUT_MS);
    if (st == NULL)
        _exit(1);
    struct ts_relay_part part;
    int64_t end = ts_now_ms() + seconds * 1000, last = 0, worst = 0;
    unsigned long frames = 0;
    while (ts_now_ms() < end && ts_relay_stream_next(st, TIMEOUT_MS, &part) == 0) {
        int64_t now = ts_now_ms();
        if (last != 0 && now - last > worst)
            worst = now - last;
        last = now;
        frames++;
    }
    ts_relay_stream_close(st);
    char text[64];
    snprintf(text, sizeof(text), "%lld %lu\n", (long long)worst, frames);
    ts_file_write(a->dir, "viewer-gap.txt", text, NULL, 0);
}

static int form_login(const char *src, uint16_t port, const char *user, const char *password,
                      char *cookie, size_t cookie_size)
{
    char body[256], request[1024], out[4096];
    snprintf(body, sizeof(body), "user=%s&password=%s", user, password);
    snprintf(request, sizeof(request),
             "POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
             "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    int status = ts_raw_request(src, "127.0.0.1", port, request, out, sizeof(out), TIMEOUT_MS);
    const char *set = strstr(out, "lookout_session=");
    if (status != 303 || set == NULL || strstr(out, "Location: /\r\n") == NULL)
        return -1;
    if (cookie != NULL)
        snprintf(cookie, cookie_size, "%.80s", set);
    if (cookie != NULL)
        cookie[strcspn(cookie, ";")] = '\0';
    return 0;
}

/*
 * #5, #6: two guessers from 30 rotating addresses keep the relay's password checks busy. Once
 * each address has failed, 12 right logins from 12 other addresses, one every 250 ms, all get in
 * (before: 0 of 12). Meanwhile a viewer of a 30 fps camera measures its longest gap between
 * frames; printed, not asserted (password checks now run off the loop).
 */
static void test_attack_login_flood(void **state)
{
    struct atk *a = *state;
    if (ts_stack_start(&a->stack, a->dir, 30, NULL) < 0)
        fail_msg("cannot start the camera and the relay");
    fork_child(a, 0, view, 7);
    ts_sleep_ms(1000);
    fork_child(a, 1, flood, 1);
    fork_child(a, 2, flood, 16);
    ts_sleep_ms(2500);
    unsigned ok = 0;
    for (unsigned i = 0; i < 12; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.0.%u", i + 2);
        ok += form_login(src, a->stack.relay_port, TS_STACK_USER, TS_STACK_PASSWORD, NULL, 0) == 0;
        ts_sleep_ms(250);
    }
    int status = 0;
    waitpid(a->children[0], &status, 0);
    a->children[0] = 0;
    stop_child(a, 1);
    stop_child(a, 2);
    char path[600];
    snprintf(path, sizeof(path), "%s/viewer-gap.txt", a->dir);
    char *gap = ts_file_read(path, 1024);
    print_message("login flood: %u of 12 right logins got in; fast viewer's longest gap between "
                  "frames (ms) and frames seen: %s",
                  ok, gap != NULL ? gap : "(none)\n");
    free(gap);
    assert_int_equal(ok, 12);
}

static int status_with_cookie(uint16_t port, const char *cookie)
{
    char request[512], out[4096];
    snprintf(request, sizeof(request),
             "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: "
             "application/json\r\nCookie: %s\r\n\r\n",
             cookie);
    return ts_raw_request(NULL, "127.0.0.1", port, request, out, sizeof(out), TIMEOUT_MS);
}

/* Does the memory of pid hold `needle` anywhere (its writable mappings, as a core dump would)? */
static int memory_holds(pid_t pid, const char *needle)
{
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *maps = fopen(path, "r");
    snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
    FILE *mem = fopen(path, "r");
    assert_non_null(maps);
    assert_non_null(mem);
    size_t n = strlen(needle);
    int found = 0;
    static char buf[1 << 20];
    while (!found && fgets(line, sizeof(line), maps) != NULL) {
        unsigned long lo, hi;
        char perms[8];
        /* Writable mappings; not ASan's shadow (terabytes reserved, never a copy of data). */
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
            perms[1] != 'w' || hi - lo > (1ul << 30))
            continue;
        for (unsigned long at = lo; at < hi && !found; at += sizeof(buf) - n) {
            size_t want = hi - at < sizeof(buf) ? hi - at : sizeof(buf);
            if (fseek(mem, (long)at, SEEK_SET) != 0)
                break;
            size_t got = fread(buf, 1, want, mem);
            if (got < n)
                break;
            found = memmem(buf, got, needle, n) != NULL;
            if (got < sizeof(buf))
                break;
        }
    }
    fclose(maps);
    fclose(mem);
    return found;
}

/*
 * #7: after Basic logins, a form login and a password passed in the environment, neither the
 * base64 credentials nor the passwords are left anywhere in the relay's memory.
 */
static void test_attack_credentials_wiped(void **state)
{
    struct atk *a = *state;
    start_stack(a, NULL);
    const char *pw = "Env-Pw-8675309-wiped";
    char line[128];
    snprintf(line, sizeof(line), "HTTP_AUTH_PASSWORD=%s", pw);
    char bin[512], *env[] = {line, "LISTEN", "LISTEN_FDS", "LISTEN_PID", "NOTIFY_SOCKET", NULL};
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    snprintf(a->extra_log, sizeof(a->extra_log), "%s/second.log", a->dir);
    /* The stack's .env has a password too: the environment wins, as it always did. */
    char *argv[] = {bin, "--env", a->stack.env_path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("attack", argv, env, a->extra_log, "listening on http://",
                                  STARTUP_MS, &a->extra_pid);
    assert_true(port > 0);
    char auth[256], request[512], out[4096];
    assert_true(ts_basic_auth_header(TS_STACK_USER, pw, auth, sizeof(auth)) > 0);
    snprintf(request, sizeof(request),
             "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", auth);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ts_raw_request("127.0.0.1", "127.0.0.1", (uint16_t)port, request, out,
                                        sizeof(out), TIMEOUT_MS),
                         200);
    assert_int_equal(form_login("127.0.0.1", (uint16_t)port, TS_STACK_USER, pw, NULL, 0), 0);
    /* Let the loop finish with those connections. */
    assert_int_equal(healthz_from("127.0.0.1", "127.0.0.1", (uint16_t)port), 200);
    const char *b64 = strstr(auth, "Basic ") + 6;
    char base64[128];
    snprintf(base64, sizeof(base64), "%.*s", (int)strcspn(b64, "\r"), b64);
#if defined(__SANITIZE_ADDRESS__)
    /* ASan's allocator keeps its own copies (quarantine, redzones): the scan means nothing. */
    print_message("credentials scan skipped under ASan (%s)\n", base64[0] ? "built" : "");
    return;
#endif
    assert_false(memory_holds(a->extra_pid, base64));
    /* Also the environment block (in the [stack] mapping, what /proc/PID/environ shows). */
    assert_false(memory_holds(a->extra_pid, pw));
}

/*
 * #8: one viewer account logging in over and over (from many addresses) cannot log anyone
 * else out: it keeps at most SESSION_MAX_PER_USER sessions, its own oldest going first.
 */
static void test_attack_session_flood(void **state)
{
    struct atk *a = *state;
    char hash[256], users[512], extra[600];
    assert_int_equal(users_hash_password("bob-Pw-idle", hash, sizeof(hash)), 0);
    snprintf(users, sizeof(users), "bob:%s:viewer\n", hash);
    char users_path[512];
    assert_int_equal(ts_file_write(a->dir, "users", users, users_path, sizeof(users_path)), 0);
    snprintf(extra, sizeof(extra), "USERS_FILE=%s\n", users_path);
    start_stack(a, extra);
    uint16_t port = a->stack.relay_port;
    char idle[128], first[128], cookie[160];
    assert_int_equal(form_login("127.0.0.2", port, "bob", "bob-Pw-idle", idle, sizeof(idle)), 0);
    assert_int_equal(
        form_login("127.0.2.1", port, TS_STACK_USER, TS_STACK_PASSWORD, first, sizeof(first)), 0);
    /* 40 more logins of one account, from many addresses: over its cap of 32 (session.h). */
    for (unsigned i = 0; i < 40; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.2.%u", i + 2);
        int rc = -1;
        for (int tries = 0; tries < 20 && rc < 0; tries++) {
            rc = form_login(src, port, TS_STACK_USER, TS_STACK_PASSWORD, cookie, sizeof(cookie));
            if (rc < 0)
                ts_sleep_ms(100); /* the relay-wide budget: 20 checks a second */
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(status_with_cookie(port, cookie), 200); /* the newest */
    assert_int_equal(status_with_cookie(port, first), 401);  /* the flooder's oldest */
    assert_int_equal(status_with_cookie(port, idle), 200);   /* everyone else's */
}

/* A relay alone (no stack) with exactly these settings; returns its port. */
static uint16_t start_relay_with(struct atk *a, const char *env_text)
{
    static unsigned started;
    char path[512], bin[512], name[32];
    snprintf(name, sizeof(name), "relay%u.env", ++started);
    assert_int_equal(ts_file_write(a->dir, name, env_text, path, sizeof(path)), 0);
    snprintf(a->extra_log, sizeof(a->extra_log), "%s/relay%u.log", a->dir, started);
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    char *argv[] = {bin, "--env", path, "--listen", "127.0.0.1:0", NULL};
    int port = ts_proc_start_port("attack", argv, ts_stack_clean_env, a->extra_log,
                                  "listening on http://", STARTUP_MS, &a->extra_pid);
    assert_true(port > 0);
    return (uint16_t)port;
}

static const char *status_json(uint16_t port, char *out, size_t out_size)
{
    char auth[256], request[512];
    assert_true(ts_basic_auth_header("alice", "alice-Pw-1", auth, sizeof(auth)) > 0);
    snprintf(request, sizeof(request),
             "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", auth);
    assert_int_equal(ts_raw_request(NULL, "127.0.0.1", port, request, out, out_size, TIMEOUT_MS),
                     200);
    return out;
}

/* Wait up to timeout_ms for /api/status to say offline with `reason` in its reason. */
static int wait_offline(uint16_t port, const char *reason, int timeout_ms)
{
    char out[8192];
    for (int64_t end = ts_now_ms() + timeout_ms; ts_now_ms() < end; ts_sleep_ms(100)) {
        status_json(port, out, sizeof(out));
        if (strstr(out, "\"online\":false") != NULL && strstr(out, reason) != NULL)
            return 0;
    }
    print_message("last status: %s\n", out);
    return -ETIMEDOUT;
}

#define HOSTILE_ENV                                                                                \
    "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=alice-Pw-1\nCAM_URL=http://127.0.0.1:%u/mjpeg\n" \
    "SERVO_URL=http://127.0.0.1:%u/control_servo\nMAX_FRAME_BYTES=1048576\n"                       \
    "UPSTREAM_STALL_TIMEOUT_MS=1500\nUPSTREAM_IDLE_TIMEOUT_MS=0\n"

static const char STREAM_HEAD[] = "HTTP/1.1 200 OK\r\nContent-Type: "
                                  "multipart/x-mixed-replace;boundary=b\r\n";

/*
 * #4: a camera declares one chunk of 1 GiB and sends it as fast as the relay takes it. Before:
 * libevent buffered the whole chunk (838 MB). Bound: the relay reads at most MAX_FRAME_BYTES
 * (1 MiB here) plus 64 KiB ahead, drops the connection, says why, and its RSS grows < 16 MiB.
 */
static void test_attack_camera_huge_chunk(void **state)
{
    struct atk *a = *state;
    static char prefix[512], fill[65536];
    snprintf(prefix, sizeof(prefix), "%sTransfer-Encoding: chunked\r\n\r\n40000000\r\n",
             STREAM_HEAD);
    memset(fill, 'x', sizeof(fill));
    uint16_t cam = 0;
    a->hostile = ts_hostile_start(prefix, strlen(prefix), fill, sizeof(fill), 0, &cam);
    assert_true(a->hostile > 0);
    char env[1024];
    snprintf(env, sizeof(env), HOSTILE_ENV, (unsigned)cam, (unsigned)cam);
    uint16_t port = start_relay_with(a, env);
    long before = ts_rss_kb(a->extra_pid);
    assert_int_equal(wait_offline(port, "chunk larger than MAX_FRAME_BYTES", TIMEOUT_MS), 0);
    ts_sleep_ms(2000); /* it keeps trying, with backoff; each try is bounded the same */
    long after = ts_rss_kb(a->extra_pid);
    print_message("huge chunk: relay RSS %ld -> %ld KiB\n", before, after);
    assert_true(after - before < 16 * 1024);
}

/*
 * #9: a camera whose first part trickles in one byte at a time and never completes. Before:
 * the byte-based stall timer never fired, "online" stayed true for ever. Bound: offline (no
 * frame) by UPSTREAM_STALL_TIMEOUT_MS (+ slack), and viewers get the offline picture.
 */
static void test_attack_camera_bytes_but_no_frames(void **state)
{
    struct atk *a = *state;
    static char prefix[512];
    snprintf(prefix, sizeof(prefix),
             "%s\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n",
             STREAM_HEAD);
    uint16_t cam = 0;
    a->hostile = ts_hostile_start(prefix, strlen(prefix), "\xff", 1, 100, &cam);
    assert_true(a->hostile > 0);
    char env[1024];
    snprintf(env, sizeof(env), HOSTILE_ENV "OFFLINE_FRAME_INTERVAL_MS=500\n", (unsigned)cam,
             (unsigned)cam);
    uint16_t port = start_relay_with(a, env);
    assert_int_equal(wait_offline(port, "no frame", 1500 + SLACK_MS + 1000), 0);
    char auth[256];
    assert_true(ts_basic_auth_header("alice", "alice-Pw-1", auth, sizeof(auth)) > 0);
    struct ts_relay_stream *st = ts_relay_stream_open(port, "/mjpeg", auth, TIMEOUT_MS);
    assert_non_null(st);
    struct ts_relay_part part;
    assert_int_equal(ts_relay_stream_next(st, TIMEOUT_MS, &part), 0); /* the offline picture */
    assert_true(part.len > 2 && part.jpeg[0] == 0xFF && part.jpeg[1] == 0xD8);
    ts_relay_stream_close(st);
}

/*
 * #4, #10: the control port (SERVO_URL) answering with endless headers, then one trickling
 * its answer a byte every 300 ms. Before: 1 GB of headers; a move held 20 s and more. Bound: the
 * endless head is refused at 8 KiB (502, RSS grows < 16 MiB); a trickled answer is cut at
 * PTZ_HTTP_TIMEOUT_S (5 s) from sending, so a move waits at most for the request in flight
 * (the relay's first angle read, here) and its own: 504 within 2 x 5 s (+ slack).
 */
static void test_attack_control_port(void **state)
{
    struct atk *a = *state;
    static char line[4096];
    memset(line, 'h', sizeof(line));
    memcpy(line, "X-Endless: ", 11);
    line[sizeof(line) - 2] = '\r';
    line[sizeof(line) - 1] = '\n';
    const char *head = "HTTP/1.1 200 OK\r\n";
    uint16_t ctl = 0;
    a->hostile = ts_hostile_start(head, strlen(head), line, sizeof(line), 0, &ctl);
    assert_true(a->hostile > 0);
    char env[1024];
    snprintf(env, sizeof(env), HOSTILE_ENV, (unsigned)ctl, (unsigned)ctl);
    uint16_t port = start_relay_with(a, env);
    long before = ts_rss_kb(a->extra_pid);
    char auth[256], request[512], out[4096];
    assert_true(ts_basic_auth_header("alice", "alice-Pw-1", auth, sizeof(auth)) > 0);
    snprintf(request, sizeof(request),
             "POST /turnleft HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
             "0\r\n%s\r\n",
             auth);
    int64_t start = ts_now_ms();
    int status = ts_raw_request(NULL, "127.0.0.1", port, request, out, sizeof(out), 8000);
    int64_t took = ts_now_ms() - start;
    long after = ts_rss_kb(a->extra_pid);
    print_message("endless headers: %d after %lld ms; relay RSS %ld -> %ld KiB\n", status,
                  (long long)took, before, after);
    assert_true(status == 502 || status == 504);
    assert_true(after - before < 16 * 1024);

    /* Now a node that trickles a well-formed answer. */
    ts_hostile_stop(a->hostile);
    ts_proc_stop_reporting("attack", &a->extra_pid, "lookout", a->extra_log);
    const char *slow = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    a->hostile = ts_hostile_start(slow, strlen(slow), "{", 1, 300, &ctl);
    assert_true(a->hostile > 0);
    snprintf(env, sizeof(env), HOSTILE_ENV, (unsigned)ctl, (unsigned)ctl);
    port = start_relay_with(a, env);
    start = ts_now_ms();
    status = ts_raw_request(NULL, "127.0.0.1", port, request, out, sizeof(out), 12000);
    took = ts_now_ms() - start;
    print_message("trickling control port: %d after %lld ms\n", status, (long long)took);
    assert_int_equal(status, 504);
}

/*
 * #11: --check-config runs the validation a start runs: a user name the start refuses (':' is
 * HTTP Basic's separator) is refused by the check too, naming the key, and both exit non-zero.
 */
static void test_attack_check_config_agrees_with_start(void **state)
{
    struct atk *a = *state;
    char env[512], bin[512], log[600];
    assert_int_equal(ts_file_write(a->dir, "bad.env",
                                   "HTTP_AUTH_USERNAME=ali:ce\nHTTP_AUTH_PASSWORD=pw-1234567890\n"
                                   "CAM_URL=http://127.0.0.1:9/mjpeg\n",
                                   env, sizeof(env)),
                     0);
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    snprintf(log, sizeof(log), "%s/check.log", a->dir);
    char *check[] = {bin, "--check-config", "--env", env, NULL};
    int check_rc = ts_run(check, ts_stack_clean_env, log, TIMEOUT_MS);
    char *text = ts_file_read(log, 65536);
    assert_non_null(text);
    print_message("--check-config: %d: %s", check_rc, text);
    assert_true(check_rc != 0);
    assert_non_null(strstr(text, "HTTP_AUTH_USERNAME"));
    free(text);
    snprintf(log, sizeof(log), "%s/start.log", a->dir);
    char *start[] = {bin, "--env", env, "--listen", "127.0.0.1:0", NULL};
    int start_rc = ts_run(start, ts_stack_clean_env, log, TIMEOUT_MS);
    assert_true(start_rc != 0 && start_rc != -ETIMEDOUT);
}

/*
 * #12: behind nginx's TLS (X-Forwarded-Proto: https from a proxy in TRUSTED_PROXIES) the session
 * cookie is Secure, and only then; a page of the plain-HTTP origin cannot POST to the HTTPS
 * one (the Origin's scheme counts); HEAD on the page's static files answers 200.
 */
static void test_attack_proxy_scheme_and_head(void **state)
{
    struct atk *a = *state;
    start_stack(a, "TRUSTED_PROXIES=127.0.0.1\n");
    uint16_t port = a->stack.relay_port;
    char body[128], request[1024], out[4096];
    snprintf(body, sizeof(body), "user=%s&password=%s", TS_STACK_USER, TS_STACK_PASSWORD);
    snprintf(request, sizeof(request),
             "POST /login HTTP/1.1\r\nHost: cam.example\r\nConnection: close\r\n"
             "X-Forwarded-Proto: https\r\nX-Forwarded-For: 198.51.100.9\r\nContent-Type: "
             "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    assert_int_equal(
        ts_raw_request("127.0.0.1", "127.0.0.1", port, request, out, sizeof(out), TIMEOUT_MS), 303);
    assert_non_null(strstr(out, "SameSite=Strict; Secure"));
    /* The header from anyone but the proxy means nothing. */
    assert_int_equal(
        ts_raw_request("127.0.0.2", "127.0.0.1", port, request, out, sizeof(out), TIMEOUT_MS), 303);
    assert_non_null(strstr(out, "lookout_session="));
    assert_null(strstr(out, "Secure"));
    /* Same host, other scheme: another origin. */
    snprintf(request, sizeof(request),
             "POST /turnleft HTTP/1.1\r\nHost: cam.example\r\nConnection: close\r\n"
             "X-Forwarded-Proto: https\r\nOrigin: http://cam.example\r\nContent-Length: "
             "0\r\n%s\r\n",
             a->stack.auth);
    assert_int_equal(
        ts_raw_request("127.0.0.1", "127.0.0.1", port, request, out, sizeof(out), TIMEOUT_MS), 403);
    assert_int_equal(ts_raw_request("127.0.0.1", "127.0.0.1", port,
                                    "HEAD /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                    out, sizeof(out), TIMEOUT_MS),
                     200);
}

/*
 * Not an attack: one client opening many connections at once with the same right Basic
 * credentials (a dashboard, a bench, several players behind one NAT), before the first verdict
 * is cached. They share the one password check in flight instead of each spending the
 * address's check budget, so none is refused.
 */
static void test_attack_same_credentials_at_once_share_one_check(void **state)
{
    struct atk *a = *state;
    enum { N = 40 };
    if (ts_stack_start(&a->stack, a->dir, 10, NULL) < 0)
        fail_msg("cannot start the camera and the relay");
    char request[512];
    snprintf(request, sizeof(request),
             "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", a->stack.auth);
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = ts_tcp_connect(NULL, "127.0.0.1", a->stack.relay_port, TIMEOUT_MS);
        assert_true(fds[i] >= 0);
        assert_int_equal(ts_send_all(fds[i], request, strlen(request), TIMEOUT_MS), 0);
    }
    unsigned ok = 0;
    for (int i = 0; i < N; i++) {
        char out[2048];
        ts_read_some(fds[i], out, sizeof(out), TIMEOUT_MS);
        ok += strncmp(out, "HTTP/1.1 200", 12) == 0;
        close(fds[i]);
    }
    print_message("%u of %d connections opened at once with the same credentials got 200\n", ok, N);
    assert_int_equal(ok, N);
}

int main(void)
{
    /* Under ASan freed memory waits in a 256 MB quarantine: the relays' RSS would measure that,
     * not what they hold. Harmless without ASan. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=1", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attack_pipelined_requests_unread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_slowloris_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_slowloris_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_tls_over_the_cap_gets_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_slowloris_redirect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_slowloris_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_ipv4_mapped_guesser, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_login_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_same_credentials_at_once_share_one_check, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attack_credentials_wiped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_session_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_camera_huge_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_camera_bytes_but_no_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_control_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attack_check_config_agrees_with_start, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_attack_proxy_scheme_and_head, setup, teardown),
    };
    return cmocka_run_group_tests_name("attack", tests, NULL, NULL);
}
