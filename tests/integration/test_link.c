/*
 * The node link on loopback: a relay with NODE_TOKEN and no CAM_URL, and lookout-cam dialing it
 * with --relay and no port of its own (docs/API.md, "Node link"; docs/DEPLOY.md, "No port
 * forwarding"). Started once for the group; the cases run in order and build on each other:
 * the node holds no listening socket; three viewers get frames; a move reaches the node and
 * /api/status shows its angles; the relay restarts and the node comes back by itself; the node
 * dies and comes back while the viewers stay connected (offline pictures in between); the token
 * file is rotated and the node follows without a restart (the old token then gets 401); then the
 * refusals: wrong tokens (401, then 429) and the token in no log line. TLS cases start their own
 * relay with a throwaway certificate. A relay that stops sends the node a close frame (1001).
 *
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"). Every wait is bounded; nothing asserts
 * on timing. Set LOOKOUT_KEEP_TMP=1 to keep the logs of a failed run.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/http.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/relay_stream.h"
#include "../support/stack.h"
#include "../support/tls_cert.h"
#include "../support/tmpdir.h"

#define TOKEN "4f1c2a7be0d95583c6a1e2f0b7d4c9aa"
#define NEW_TOKEN "9e0b3d5c7a1f2e4d6c8b0a9f7e5d3c1b" /* the token rotated to */
#define STARTUP_TIMEOUT_MS 10000
#define LINK_TIMEOUT_MS 15000 /* the node's backoff may have grown while the relay was away */
#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000
#define VIEWERS 3

struct link_test {
    char *dir;
    char token_path[512];
    char env_path[512];
    char relay_log[512];
    char cam_log[512];
    pid_t relay_pid;
    pid_t cam_pid;
    uint16_t relay_port;
    unsigned relay_starts; /* each start logs to its own file */
    unsigned cam_starts;
    char auth[256];
    struct ts_relay_stream *viewers[VIEWERS];
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Start the relay on `port` (0: any) with the group's .env; a new log file each time. */
static int start_relay(struct link_test *t, uint16_t port, int is_tls)
{
    char bin[512], listen[32];
    snprintf(bin, sizeof(bin), "%s/lookout", ts_bin_dir());
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", (unsigned)port);
    snprintf(t->relay_log, sizeof(t->relay_log), "%s/lookout.%u.log", t->dir, ++t->relay_starts);
    char *argv[] = {bin, "--env", t->env_path, "--listen", listen, NULL};
    int p = ts_proc_start_port("link", argv, ts_stack_clean_env, t->relay_log,
                               is_tls ? "listening on https://" : "listening on http://",
                               STARTUP_TIMEOUT_MS, &t->relay_pid);
    if (p < 0)
        return p;
    t->relay_port = (uint16_t)p;
    return 0;
}

/* Start lookout-cam dialing url with extra flags; a new log file each time. */
static int start_node(struct link_test *t, const char *url, const char *ca_file)
{
    char bin[512];
    snprintf(bin, sizeof(bin), "%s/lookout-cam", ts_bin_dir());
    snprintf(t->cam_log, sizeof(t->cam_log), "%s/lookout-cam.%u.log", t->dir, ++t->cam_starts);
    char *argv[] = {bin,     "--relay", (char *)url, "--token-file", t->token_path,
                    "--fps", "20",      NULL,        NULL,           NULL};
    if (ca_file != NULL) {
        argv[7] = "--ca-file";
        argv[8] = (char *)ca_file;
    }
    pid_t pid = ts_proc_spawn(argv, ts_stack_clean_env, t->cam_log);
    if (pid < 0)
        return (int)pid;
    t->cam_pid = pid;
    return 0;
}

static int group_teardown(void **state)
{
    struct link_test *t = *state;
    if (t == NULL)
        return 0;
    for (int i = 0; i < VIEWERS; i++)
        ts_relay_stream_close(t->viewers[i]);
    ts_proc_stop_reporting("link", &t->cam_pid, "lookout-cam", t->cam_log);
    ts_proc_stop_reporting("link", &t->relay_pid, "lookout", t->relay_log);
    ts_tmpdir_free(t->dir);
    free(t);
    *state = NULL;
    return 0;
}

static int write_env(struct link_test *t, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\n"
             "NODE_TOKEN_FILE=%s\nPRESETS_FILE=%s/presets.txt\n"
             "UPSTREAM_IDLE_TIMEOUT_MS=0\nOFFLINE_FRAME_INTERVAL_MS=200\n%s",
             t->token_path, t->dir, extra);
    return ts_file_write(t->dir, "lookout.env", text, t->env_path, sizeof(t->env_path));
}

static int group_setup(void **state)
{
    struct link_test *t = calloc(1, sizeof(*t));
    *state = t;
    if (t == NULL || (t->dir = ts_tmpdir_new()) == NULL)
        return -1;
    if (ts_file_write(t->dir, "token", TOKEN "\n", t->token_path, sizeof(t->token_path)) < 0 ||
        write_env(t, "") < 0 || start_relay(t, 0, 0) < 0)
        return -1;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)t->relay_port);
    if (start_node(t, url, NULL) < 0 ||
        ts_basic_auth_header("alice", "s3cret-pass", t->auth, sizeof(t->auth)) < 0)
        return -1;
    fprintf(stderr, "link: relay :%u, logs in %s\n", (unsigned)t->relay_port, t->dir);
    return 0;
}

static int get_status(struct link_test *t, struct ts_http_response *r)
{
    return ts_http_request(t->relay_port, "GET", "/api/status", t->auth, NULL, HTTP_TIMEOUT_MS, r);
}

/* Poll /api/status until "online" is want (1/0); returns 0 or -ETIMEDOUT. */
static int wait_online(struct link_test *t, int want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        struct ts_http_response r;
        int online = -1;
        if (get_status(t, &r) == 200)
            ts_json_bool((const char *)r.body, "online", &online);
        ts_http_response_deinit(&r);
        if (online == want)
            return 0;
        sleep_ms(100);
    }
    return -ETIMEDOUT;
}

/* 1 if any socket descriptor of pid is a listening TCP socket (by inode, /proc/net/tcp{,6}). */
static int has_listening_socket(pid_t pid)
{
    char fd_dir[64];
    snprintf(fd_dir, sizeof(fd_dir), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fd_dir);
    assert_non_null(d);
    unsigned long inodes[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        char path[320], target[64];
        snprintf(path, sizeof(path), "%s/%.255s", fd_dir, e->d_name);
        ssize_t len = readlink(path, target, sizeof(target) - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (sscanf(target, "socket:[%lu]", &inodes[n]) == 1)
            n++;
    }
    closedir(d);
    int found = 0;
    const char *tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(tables[i], "r");
        char line[512];
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            unsigned state;
            unsigned long inode;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, " %*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &state, &inode) != 2)
                continue;
            for (size_t k = 0; k < n; k++)
                found |= state == 0x0A && inode == inodes[k]; /* 0x0A: TCP_LISTEN */
        }
        if (f != NULL)
            fclose(f);
    }
    fprintf(stderr, "link: lookout-cam (pid %d) has %zu sockets, %s listening\n", (int)pid, n,
            found ? "some" : "none");
    return found;
}

static void test_link_node_dials_in_and_listens_nowhere(void **state)
{
    struct link_test *t = *state;
    assert_int_equal(
        ts_proc_wait_log(t->relay_log, "online (node link from", LINK_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(has_listening_socket(t->cam_pid), 0);
    /* The same with ss(8), as an operator would check it. */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "ss -Hltnp 2>/dev/null | grep -c 'pid=%d,' || true",
             (int)t->cam_pid);
    FILE *p = popen(cmd, "r");
    int count = -1;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &count), 1);
    pclose(p);
    assert_int_equal(count, 0);
    assert_int_equal(ts_proc_wait_log(t->cam_log, "(no listening port)", 1000, NULL, 0), 0);
}

static void test_link_three_viewers_get_frames(void **state)
{
    struct link_test *t = *state;
    for (int i = 0; i < VIEWERS; i++) {
        t->viewers[i] = ts_relay_stream_open(t->relay_port, "/mjpeg", t->auth, HTTP_TIMEOUT_MS);
        assert_non_null(t->viewers[i]);
    }
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < VIEWERS; i++) {
            struct ts_relay_part part;
            assert_int_equal(ts_relay_stream_next(t->viewers[i], FRAME_TIMEOUT_MS, &part), 0);
            assert_true(part.len > 1000 && part.jpeg[0] == 0xFF && part.jpeg[1] == 0xD8);
        }
    }
}

static double status_number(struct link_test *t, const char *key)
{
    struct ts_http_response r;
    assert_int_equal(get_status(t, &r), 200);
    double v = -1;
    if (ts_json_number((const char *)r.body, key, &v) < 0)
        fail_msg("no \"%s\" in %s", key, (const char *)r.body);
    ts_http_response_deinit(&r);
    return v;
}

static void test_link_move_reaches_the_node(void **state)
{
    struct link_test *t = *state;
    int pan = (int)status_number(t, "pan");
    struct ts_http_response r;
    int status =
        ts_http_request(t->relay_port, "POST", "/turnleft", t->auth, NULL, HTTP_TIMEOUT_MS, &r);
    assert_int_equal(status, 200);
    double moved = 0;
    assert_int_equal(ts_json_number((const char *)r.body, "pan", &moved), 0);
    ts_http_response_deinit(&r);
    assert_int_equal((int)moved, pan + 5);
    assert_int_equal((int)status_number(t, "pan"), pan + 5);
    struct ts_http_response s;
    assert_int_equal(get_status(t, &s), 200);
    int confirmed = 0;
    assert_int_equal(ts_json_bool((const char *)s.body, "angles_confirmed", &confirmed), 0);
    assert_true(confirmed);
    ts_http_response_deinit(&s);
}

static void test_link_relay_restart_node_comes_back(void **state)
{
    struct link_test *t = *state;
    for (int i = 0; i < VIEWERS; i++) {
        ts_relay_stream_close(t->viewers[i]);
        t->viewers[i] = NULL;
    }
    uint16_t port = t->relay_port;
    assert_int_equal(ts_proc_stop_reporting("link", &t->relay_pid, "lookout", t->relay_log), 0);
    /* The relay said goodbye with a close frame (1001, going away), and the node took it as a
     * normal end: it reconnects after the shortest delay. */
    assert_int_equal(ts_proc_wait_log(t->cam_log,
                                      "the relay closed the link (1001 relay shutting down); "
                                      "reconnecting in",
                                      LINK_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(ts_proc_wait_log(t->cam_log, "retrying in", LINK_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(start_relay(t, port, 0), 0);
    assert_int_equal(
        ts_proc_wait_log(t->relay_log, "online (node link from", LINK_TIMEOUT_MS, NULL, 0), 0);
    /* The servos kept their angles across the reconnect; the new relay read them. */
    assert_int_equal(wait_online(t, 1, LINK_TIMEOUT_MS), 0);
    t->viewers[0] = ts_relay_stream_open(t->relay_port, "/mjpeg", t->auth, HTTP_TIMEOUT_MS);
    assert_non_null(t->viewers[0]);
    struct ts_relay_part part;
    assert_int_equal(ts_relay_stream_next(t->viewers[0], FRAME_TIMEOUT_MS, &part), 0);
}

static void test_link_node_dies_viewers_stay(void **state)
{
    struct link_test *t = *state;
    struct ts_relay_stream *v = t->viewers[0];
    assert_non_null(v);
    assert_int_equal(ts_proc_stop_reporting("link", &t->cam_pid, "lookout-cam", t->cam_log), 0);
    assert_int_equal(wait_online(t, 0, LINK_TIMEOUT_MS), 0);
    struct ts_http_response r;
    assert_int_equal(get_status(t, &r), 200);
    assert_non_null(strstr((const char *)r.body, "node link down"));
    ts_http_response_deinit(&r);
    /* Offline pictures keep coming on the same connection. */
    struct ts_relay_part part;
    uint64_t seq = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_relay_stream_next(v, FRAME_TIMEOUT_MS, &part), 0);
        assert_true(part.seq > seq);
        seq = part.seq;
    }
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)t->relay_port);
    assert_int_equal(start_node(t, url, NULL), 0);
    assert_int_equal(wait_online(t, 1, LINK_TIMEOUT_MS), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_relay_stream_next(v, FRAME_TIMEOUT_MS, &part), 0);
        assert_true(part.seq > seq);
        seq = part.seq;
    }
}

/* How many lines of the file at path contain needle. */
static int count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Wait (bounded) until `needle` is on `want` lines of the file at path. */
static int wait_count(const char *path, const char *needle, int want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (count_in_file(path, needle) >= want)
            return 0;
        sleep_ms(100);
    }
    return -ETIMEDOUT;
}

/* Replace the token file as an operator should: a new file renamed over the old one. */
static void rotate_token(struct link_test *t, const char *token)
{
    char text[128], fresh[600];
    snprintf(text, sizeof(text), "%s\n", token);
    assert_int_equal(ts_file_write(t->dir, "token.new", text, fresh, sizeof(fresh)), 0);
    assert_int_equal(rename(fresh, t->token_path), 0);
}

static int upgrade(uint16_t port, const char *authorization);

static void test_link_token_rotated_without_restart(void **state)
{
    struct link_test *t = *state;
    struct ts_relay_stream *v = t->viewers[0];
    assert_non_null(v);
    assert_int_equal(wait_online(t, 1, LINK_TIMEOUT_MS), 0);
    int links = count_in_file(t->cam_log, "linked to relay");
    /* The relay and the node share the token file here: rotating it rotates both. The relay
     * notices within a second, drops the node linked with the old token, and the node dials in
     * again with the new one (it re-reads its file before each connection). */
    rotate_token(t, NEW_TOKEN);
    assert_int_equal(wait_count(t->relay_log, "node token changed (NODE_TOKEN_FILE re-read)", 1,
                                LINK_TIMEOUT_MS),
                     0);
    assert_int_equal(ts_proc_wait_log(t->cam_log,
                                      "the relay closed the link (1008 node token "
                                      "changed)",
                                      LINK_TIMEOUT_MS, NULL, 0),
                     0);
    assert_int_equal(wait_count(t->cam_log, "linked to relay", links + 1, LINK_TIMEOUT_MS), 0);
    assert_int_equal(
        ts_proc_wait_log(t->cam_log, "--token-file: a new token", LINK_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(wait_online(t, 1, LINK_TIMEOUT_MS), 0);
    /* The old token no longer links. */
    assert_int_equal(upgrade(t->relay_port, "Authorization: Bearer " TOKEN "\r\n"), 401);
    /* The viewer stayed connected through it all. */
    struct ts_relay_part part;
    for (int i = 0; i < 3; i++)
        assert_int_equal(ts_relay_stream_next(v, FRAME_TIMEOUT_MS, &part), 0);

    /* Back to the first token, on SIGHUP this time (the watch may see it first: either way). */
    rotate_token(t, TOKEN);
    assert_int_equal(kill(t->relay_pid, SIGHUP), 0);
    assert_int_equal(wait_count(t->relay_log, "node token changed (NODE_TOKEN_FILE re-read)", 2,
                                LINK_TIMEOUT_MS),
                     0);
    assert_int_equal(wait_count(t->cam_log, "linked to relay", links + 2, LINK_TIMEOUT_MS), 0);
    assert_int_equal(wait_online(t, 1, LINK_TIMEOUT_MS), 0);
}

/* A WebSocket upgrade to /node/link with the given Authorization line (or none). */
static int upgrade(uint16_t port, const char *authorization)
{
    char headers[512];
    snprintf(headers, sizeof(headers),
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s",
             authorization ? authorization : "");
    struct ts_http_conn *c = NULL;
    int rc = ts_http_conn_open(port, "GET", "/node/link", headers, NULL, HTTP_TIMEOUT_MS, &c);
    if (rc < 0)
        return rc;
    int status = ts_http_conn_status(c);
    ts_http_conn_free(c);
    return status;
}

static void test_link_bad_handshakes_refused(void **state)
{
    struct link_test *t = *state;
    struct ts_http_response r;
    /* Not an upgrade: 400 with a reason; no version 13: 426. */
    assert_int_equal(
        ts_http_request(t->relay_port, "GET", "/node/link", NULL, NULL, HTTP_TIMEOUT_MS, &r), 400);
    ts_http_response_deinit(&r);
    assert_int_equal(ts_http_request(t->relay_port, "GET", "/node/link",
                                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                     "Sec-WebSocket-Version: 8\r\n",
                                     NULL, HTTP_TIMEOUT_MS, &r),
                     426);
    ts_http_response_deinit(&r);
}

/* A raw WebSocket client with the right token: connect, upgrade, expect the 101. Returns the
 * socket (the caller closes it) or -1. */
static int raw_link(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /node/link HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Authorization: Bearer " TOKEN "\r\n\r\n");
    if (write(fd, req, (size_t)n) != n)
        return -1;
    char head[1024];
    size_t got = 0;
    while (got < sizeof(head) - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, HTTP_TIMEOUT_MS) != 1)
            return -1;
        ssize_t r = read(fd, head + got, 1);
        if (r <= 0)
            return -1;
        got++;
        head[got] = '\0';
        if (got >= 4 && strcmp(head + got - 4, "\r\n\r\n") == 0)
            break;
    }
    return strncmp(head, "HTTP/1.1 101", 12) == 0 ? fd : -1;
}

/* Send one masked client frame (RFC 6455 §5.2): opcode, payload (len bytes), or just a header
 * announcing declared_len bytes when payload is NULL. */
static void send_frame(int fd, uint8_t opcode, const char *payload, uint64_t declared_len)
{
    uint8_t frame[2048];
    size_t n = 0;
    frame[n++] = 0x80 | opcode;
    if (declared_len < 126) {
        frame[n++] = 0x80 | (uint8_t)declared_len;
    } else {
        frame[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            frame[n++] = (uint8_t)(declared_len >> (8 * i));
    }
    const uint8_t mask[4] = {1, 2, 3, 4};
    memcpy(frame + n, mask, 4);
    n += 4;
    for (size_t i = 0; payload != NULL && i < declared_len && n < sizeof(frame); i++)
        frame[n++] = (uint8_t)payload[i] ^ mask[i % 4];
    assert_int_equal(write(fd, frame, n), (ssize_t)n);
}

/* The relay answers garbage with a close frame (opcode 8) and ends the connection. */
static void expect_closed(int fd)
{
    uint8_t buf[4096];
    int saw_close = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, HTTP_TIMEOUT_MS) != 1)
            fail_msg("the relay did not close the link");
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        for (ssize_t i = 0; i + 1 < r; i++)
            saw_close |= buf[i] == 0x88;
    }
    assert_true(saw_close);
    close(fd);
}

static void test_link_garbage_is_closed_with_a_reason(void **state)
{
    struct link_test *t = *state;
    int fd = raw_link(t->relay_port);
    assert_true(fd >= 0);
    const char *bad = "this is not json";
    send_frame(fd, 0x1, bad, strlen(bad));
    expect_closed(fd);
    assert_int_equal(ts_proc_wait_log(t->relay_log, "malformed control message: not a JSON object",
                                      HTTP_TIMEOUT_MS, NULL, 0),
                     0);
    /* A JPEG announced larger than MAX_FRAME_BYTES is refused before it is read. */
    fd = raw_link(t->relay_port);
    assert_true(fd >= 0);
    send_frame(fd, 0x2, NULL, 100u << 20);
    expect_closed(fd);
    /* The node (replaced by these links) comes back by itself. */
    assert_int_equal(wait_online(t, 1, LINK_TIMEOUT_MS), 0);
}

static void test_link_wrong_token_refused_and_throttled(void **state)
{
    struct link_test *t = *state;
    assert_int_equal(upgrade(t->relay_port, NULL), 401);
    assert_int_equal(upgrade(t->relay_port, "Authorization: Bearer not-the-token-at-all\r\n"), 401);
    assert_int_equal(upgrade(t->relay_port, "Authorization: Basic YWxpY2U6czNjcmV0LXBhc3M=\r\n"),
                     401);
    /* THROTTLE_FREE_FAILURES (3) are free; the next one within a second is refused unchecked,
     * even with the right token. */
    assert_int_equal(upgrade(t->relay_port, "Authorization: Bearer " TOKEN "\r\n"), 429);
    assert_int_equal(ts_proc_wait_log(t->relay_log, "refused: wrong token", 1000, NULL, 0), 0);
}

static int file_contains(const char *path, const char *needle)
{
    return count_in_file(path, needle) > 0;
}

static void test_link_token_in_no_log(void **state)
{
    struct link_test *t = *state;
    DIR *d = opendir(t->dir);
    assert_non_null(d);
    struct dirent *e;
    int logs = 0;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".log") == NULL)
            continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
        logs++;
        if (file_contains(path, TOKEN) || file_contains(path, NEW_TOKEN))
            fail_msg("the token appears in %s", path);
    }
    closedir(d);
    assert_true(logs >= 4);
}

/* TLS: a relay with a throwaway certificate; the node trusts it with --ca-file. */
static void test_link_tls_right_and_wrong_certificate(void **state)
{
    struct link_test *t = *state;
    ts_proc_stop_reporting("link", &t->cam_pid, "lookout-cam", t->cam_log);
    ts_proc_stop_reporting("link", &t->relay_pid, "lookout", t->relay_log);
    char cert[600], key[600], other[600], other_key[600], extra[1400];
    snprintf(cert, sizeof(cert), "%s/relay.pem", t->dir);
    snprintf(key, sizeof(key), "%s/relay.key", t->dir);
    snprintf(other, sizeof(other), "%s/other.pem", t->dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", t->dir);
    assert_int_equal(ts_tls_cert_make(cert, key, 1), 0);
    assert_int_equal(ts_tls_cert_make(other, other_key, 2), 0);
    snprintf(extra, sizeof(extra), "TLS_CERT=%s\nTLS_KEY=%s\n", cert, key);
    assert_int_equal(write_env(t, extra), 0);
    assert_int_equal(start_relay(t, 0, 1), 0);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)t->relay_port);

    /* A certificate the node does not trust: refused, and it says so. */
    assert_int_equal(start_node(t, url, other), 0);
    assert_int_equal(
        ts_proc_wait_log(t->cam_log, "certificate was refused", LINK_TIMEOUT_MS, NULL, 0), 0);
    ts_proc_stop_reporting("link", &t->cam_pid, "lookout-cam", t->cam_log);
    assert_int_equal(file_contains(t->relay_log, "node dialed in"), 0);

    /* The relay's own certificate: linked, frames flow. */
    assert_int_equal(start_node(t, url, cert), 0);
    assert_int_equal(
        ts_proc_wait_log(t->relay_log, "online (node link from", LINK_TIMEOUT_MS, NULL, 0), 0);
    assert_int_equal(ts_proc_wait_log(t->cam_log, "linked to relay", 1000, NULL, 0), 0);
    /* Over TLS too, a relay that stops says goodbye with a close frame. */
    assert_int_equal(ts_proc_stop_reporting("link", &t->relay_pid, "lookout", t->relay_log), 0);
    assert_int_equal(ts_proc_wait_log(t->cam_log, "(1001 relay shutting down); reconnecting in",
                                      LINK_TIMEOUT_MS, NULL, 0),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_node_dials_in_and_listens_nowhere),
        cmocka_unit_test(test_link_three_viewers_get_frames),
        cmocka_unit_test(test_link_move_reaches_the_node),
        cmocka_unit_test(test_link_relay_restart_node_comes_back),
        cmocka_unit_test(test_link_node_dies_viewers_stay),
        cmocka_unit_test(test_link_token_rotated_without_restart),
        cmocka_unit_test(test_link_bad_handshakes_refused),
        cmocka_unit_test(test_link_garbage_is_closed_with_a_reason),
        cmocka_unit_test(test_link_wrong_token_refused_and_throttled),
        cmocka_unit_test(test_link_token_in_no_log),
        cmocka_unit_test(test_link_tls_right_and_wrong_certificate),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
