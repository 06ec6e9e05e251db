/*
 * The relay's frame path when things go wrong, on loopback: a viewer that stops reading, a camera
 * that dies and comes back or hangs, nobody watching, a frame over MAX_FRAME_BYTES, too many
 * viewers.
 *
 * Each case starts its own lookout-cam and lookout (or a fake camera forked from this process)
 * with the settings it tests, and the per-case teardown stops every one of them by pid, even
 * after a failed assertion. Every wait has a bound; nothing asserts on timing, only on counts and
 * values (X-Frame-Seq on the same connection, picture sizes, status fields). The camera runs at
 * 60 fps and 320x240 so frames come fast and cost little, also under AddressSanitizer.
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"); LOOKOUT_KEEP_TMP=1 keeps the logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mjpeg_writer.h"
#include "../support/fake_cam.h"
#include "../support/http.h"
#include "../support/jpeg.h"
#include "../support/json.h"
#include "../support/proc.h"
#include "../support/relay_stream.h"
#include "../support/tmpdir.h"

#define USER "alice"
#define PASSWORD "s3cret-pass"

#define STARTUP_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 5000
#define FRAME_TIMEOUT_MS 5000
/* Bound on waiting for a state change (a stalled viewer dropped, standby, a reconnect). The
 * relay's reconnect backoff alone may take up to 10 s once the camera has been gone a while. */
#define CHANGE_TIMEOUT_MS 20000
#define POLL_MS 20

#define CAM_FPS "60"
#define CAM_SIZE "320x240"
#define CAM_W 320
#define CAM_H 240

#define MAX_STREAMS 4
#define MAX_RAW 4
/* The stalled viewer's socket: Linux doubles SO_RCVBUF and rounds it up to its minimum (~2 KB),
 * far below one 320x240 frame; a small segment size keeps the relay's send buffer from growing
 * (Linux sizes it in segments, and loopback's are 64 KB). */
#define TINY_RCVBUF 1024
#define TINY_SEGMENT 536
#define STALLED_FRAMES 40

/* The fake camera's limit: its big parts are well over it, its small ones well under. */
#define FAKE_MAX_FRAME_BYTES 4096
#define FAKE_PART_GAP_MS 5
#define FAKE_ROUNDS 5

struct fp {
    char *dir;
    char cam_log[512];
    char relay_log[512];
    unsigned cam_runs; /* each run of lookout-cam logs to its own file */
    pid_t cam_pid;
    pid_t relay_pid;
    pid_t fake_pid;
    uint16_t stream_port;
    uint16_t control_port;
    uint16_t relay_port;
    char auth[256];
    struct ts_relay_stream *streams[MAX_STREAMS];
    int raw[MAX_RAW];
    uint8_t *owned[8]; /* the fake camera's JPEGs, freed in teardown */
    int is_done;       /* reached the end of the case: teardown need not show the logs */
};

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

/* ---- setup and teardown ---------------------------------------------------------------- */

static int fp_setup(void **state)
{
    struct fp *f = calloc(1, sizeof(*f));
    *state = f;
    if (f == NULL)
        return -1;
    for (int i = 0; i < MAX_RAW; i++)
        f->raw[i] = -1;
    f->dir = ts_tmpdir_new();
    if (f->dir == NULL) {
        fprintf(stderr, "frame_path: cannot create a temporary directory: %s\n", strerror(errno));
        return -1;
    }
    snprintf(f->relay_log, sizeof(f->relay_log), "%s/lookout.log", f->dir);
    if (ts_basic_auth_header(USER, PASSWORD, f->auth, sizeof(f->auth)) < 0)
        return -1;
    return 0;
}

/* Stop one child started with ts_proc_spawn. Returns its exit code (0 is clean). */
static int stop(pid_t *pid, const char *name, const char *log_path, int is_done)
{
    if (*pid <= 0)
        return 0;
    (void)kill(*pid, SIGCONT); /* a stopped process cannot act on SIGTERM */
    int code = ts_proc_stop(*pid);
    *pid = 0;
    if (code != 0 || !is_done) {
        fprintf(stderr, "frame_path: %s exited with %d\n", name, code);
        ts_proc_print_log(log_path, 40);
    }
    return code;
}

/*
 * Stop the relay while its viewers are still connected (a stalled one with a frame still
 * referenced in its output, in the first case): it must shut down cleanly with them. Then close
 * the clients and stop the camera. Fails the case if a program exits other than 0 on SIGTERM:
 * under `make asan` that includes leaks and sanitizer reports.
 */
static int fp_teardown(void **state)
{
    struct fp *f = *state;
    if (f == NULL)
        return 0;
    int rc = 0;
    if (stop(&f->relay_pid, "lookout", f->relay_log, f->is_done) != 0)
        rc = -1;
    for (int i = 0; i < MAX_STREAMS; i++)
        ts_relay_stream_close(f->streams[i]);
    for (int i = 0; i < MAX_RAW; i++) {
        if (f->raw[i] >= 0)
            close(f->raw[i]);
    }
    if (stop(&f->cam_pid, "lookout-cam", f->cam_log, f->is_done) != 0)
        rc = -1;
    ts_fake_cam_stop(f->fake_pid);
    for (size_t i = 0; i < sizeof(f->owned) / sizeof(f->owned[0]); i++)
        free(f->owned[i]);
    ts_tmpdir_free(f->dir);
    free(f);
    *state = NULL;
    return rc;
}

/* ---- starting the programs ------------------------------------------------------------- */

/* Start one program and wait for its "<prefix>HOST:PORT" log line; fails the case if not. */
static uint16_t start(char *const argv[], char *const env[], const char *log_path,
                      const char *prefix, pid_t *pid)
{
    *pid = ts_proc_spawn(argv, env, log_path);
    if (*pid < 0) {
        int err = (int)-*pid;
        *pid = 0;
        fail_msg("cannot start %s: %s", argv[0], strerror(err));
    }
    int port = ts_proc_log_port(log_path, prefix, STARTUP_TIMEOUT_MS);
    if (port < 0) {
        ts_proc_print_log(log_path, 40);
        fail_msg("%s did not log \"%s\": %s", argv[0], prefix, strerror(-port));
    }
    return (uint16_t)port;
}

/* lookout-cam on the given ports (0: any free one), at CAM_FPS and CAM_SIZE. */
static void start_cam(struct fp *f, uint16_t stream_port, uint16_t control_port)
{
    char bin[512];
    char stream_arg[16];
    char control_arg[16];
    snprintf(bin, sizeof(bin), "%s/lookout-cam", bin_dir());
    snprintf(stream_arg, sizeof(stream_arg), "%u", (unsigned)stream_port);
    snprintf(control_arg, sizeof(control_arg), "%u", (unsigned)control_port);
    snprintf(f->cam_log, sizeof(f->cam_log), "%s/lookout-cam.%u.log", f->dir, ++f->cam_runs);
    char *argv[] = {bin,     "--stream-port", stream_arg, "--control-port", control_arg, "--fps",
                    CAM_FPS, "--size",        CAM_SIZE,   "--max-clients",  "4",         NULL};
    f->stream_port = start(argv, NULL, f->cam_log, "stream listening on http://", &f->cam_pid);
    int port = ts_proc_log_port(f->cam_log, "control listening on http://", STARTUP_TIMEOUT_MS);
    if (port < 0)
        fail_msg("lookout-cam logged no control port");
    f->control_port = (uint16_t)port;
}

/*
 * The relay, with the camera at cam_port (its /mjpeg) and `settings` (.env lines, each ending in
 * "\n") after the login. Settings from the caller's environment are kept out.
 */
static void start_relay(struct fp *f, uint16_t cam_port, const char *settings)
{
    char text[2048];
    char env_path[512];
    char bin[512];
    snprintf(text, sizeof(text),
             "HTTP_AUTH_USERNAME=%s\nHTTP_AUTH_PASSWORD=%s\nCAM_URL=http://127.0.0.1:%u/mjpeg\n"
             "%s",
             USER, PASSWORD, (unsigned)cam_port, settings);
    assert_int_equal(ts_file_write(f->dir, ".env", text, env_path, sizeof(env_path)), 0);
    snprintf(bin, sizeof(bin), "%s/lookout", bin_dir());
    char *env[] = {"HTTP_AUTH_USERNAME",
                   "HTTP_AUTH_PASSWORD",
                   "HTTP_AUTH_PASSWORD_HASH",
                   "USERS_FILE",
                   "MAX_CONNECTIONS",
                   "MAX_CONNECTIONS_PER_ADDRESS",
                   "CAM_URL",
                   "SERVO_URL",
                   "LISTEN",
                   "MAX_VIEWERS",
                   "MAX_VIEWERS_PER_ADDRESS",
                   "MAX_FRAME_BYTES",
                   "UPSTREAM_IDLE_TIMEOUT_MS",
                   "OFFLINE_FRAME_INTERVAL_MS",
                   "VIEWER_STALL_TIMEOUT_MS",
                   "UPSTREAM_STALL_TIMEOUT_MS",
                   "LOG_LEVEL",
                   NULL};
    char *argv[] = {bin, "--env", env_path, "--listen", "127.0.0.1:0", NULL};
    f->relay_port = start(argv, env, f->relay_log, "listening on http://", &f->relay_pid);
}

/* ---- asking the relay and the camera ---------------------------------------------------- */

static double number(const struct ts_http_response *r, const char *key)
{
    double v = 0;
    if (ts_json_number((const char *)r->body, key, &v) < 0)
        fail_msg("no number \"%s\" in %s", key, (const char *)r->body);
    return v;
}

/* GET path on port, with our login (the camera ignores it); asserts a 200. Release r with
 * ts_http_response_deinit. */
static void get_json(struct fp *f, uint16_t port, const char *path, struct ts_http_response *r)
{
    int status = ts_http_request(port, "GET", path, f->auth, NULL, HTTP_TIMEOUT_MS, r);
    if (status != 200)
        fail_msg("GET %s on :%u: %d%s%s", path, (unsigned)port, status, status < 0 ? " " : "",
                 status < 0 ? strerror(-status) : "");
}

/* How many viewers the relay counts (/counter). */
static int relay_viewers(struct fp *f)
{
    struct ts_http_response r;
    get_json(f, f->relay_port, "/counter", &r);
    int n = (int)number(&r, "viewers");
    ts_http_response_deinit(&r);
    return n;
}

/* Poll /counter until it says `want`; returns 1, or 0 after CHANGE_TIMEOUT_MS. */
static int wait_relay_viewers(struct fp *f, int want)
{
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    while (relay_viewers(f) != want) {
        if (now_ms() > deadline)
            return 0;
        sleep_ms(POLL_MS);
    }
    return 1;
}

/* A number from the camera's /status. */
static int cam_number(struct fp *f, const char *key)
{
    struct ts_http_response r;
    get_json(f, f->control_port, "/status", &r);
    int n = (int)number(&r, key);
    ts_http_response_deinit(&r);
    return n;
}

static int wait_cam_clients(struct fp *f, int want)
{
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    while (cam_number(f, "stream_clients") != want) {
        if (now_ms() > deadline)
            return 0;
        sleep_ms(POLL_MS);
    }
    return 1;
}

/* The relay's /api/status: online, and the reason into reason[] (unescaped JSON is enough). */
static int relay_online(struct fp *f, char *reason, size_t reason_size)
{
    struct ts_http_response r;
    get_json(f, f->relay_port, "/api/status", &r);
    int online = -1;
    if (ts_json_bool((const char *)r.body, "online", &online) < 0)
        fail_msg("no \"online\" in %s", (const char *)r.body);
    const char *key = strstr((const char *)r.body, "\"offline_reason\":\"");
    if (key == NULL)
        fail_msg("no \"offline_reason\" in %s", (const char *)r.body);
    key += strlen("\"offline_reason\":\"");
    size_t n = strcspn(key, "\"");
    if (n >= reason_size)
        n = reason_size - 1;
    memcpy(reason, key, n);
    reason[n] = '\0';
    ts_http_response_deinit(&r);
    return online;
}

#define STANDBY_REASON "standby: nobody is watching"

/* Poll /api/status until the relay says it is in standby; returns 1, or 0 on timeout. */
static int wait_standby(struct fp *f)
{
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    char reason[160];
    while (relay_online(f, reason, sizeof(reason)) != 0 || strcmp(reason, STANDBY_REASON) != 0) {
        if (now_ms() > deadline)
            return 0;
        sleep_ms(POLL_MS);
    }
    return 1;
}

/* ---- viewers ----------------------------------------------------------------------------- */

static struct ts_relay_stream *open_viewer(struct fp *f, int slot)
{
    f->streams[slot] = ts_relay_stream_open(f->relay_port, "/mjpeg", f->auth, HTTP_TIMEOUT_MS);
    if (f->streams[slot] == NULL)
        fail_msg("viewer %d: cannot open the stream: %s", slot, strerror(errno));
    return f->streams[slot];
}

static void close_viewer(struct fp *f, int slot)
{
    ts_relay_stream_close(f->streams[slot]);
    f->streams[slot] = NULL;
}

/*
 * The next part on viewer `slot`; asserts it arrives, decodes as a JPEG, and carries a higher
 * X-Frame-Seq than *last_seq (which it updates). Returns the picture's size in *w, *h.
 */
/* The next part viewer `slot` receives, with a higher X-Frame-Seq than the last one. */
static struct ts_relay_part next_part_raw(struct fp *f, int slot, uint64_t *last_seq)
{
    struct ts_relay_part p;
    int rc = ts_relay_stream_next(f->streams[slot], FRAME_TIMEOUT_MS, &p);
    if (rc < 0)
        fail_msg("viewer %d: no frame after seq %llu: %s", slot, (unsigned long long)*last_seq,
                 strerror(-rc));
    if (p.seq <= *last_seq)
        fail_msg("viewer %d: X-Frame-Seq %llu after %llu", slot, (unsigned long long)p.seq,
                 (unsigned long long)*last_seq);
    *last_seq = p.seq;
    return p;
}

/* The same, and it must decode as a JPEG (its size in *w, *h). */
static struct ts_relay_part next_part(struct fp *f, int slot, uint64_t *last_seq, int *w, int *h)
{
    struct ts_relay_part p = next_part_raw(f, slot, last_seq);
    if (ts_jpeg_decode_ok(p.jpeg, p.len, w, h) != 0)
        fail_msg("viewer %d: frame %llu (%zu bytes) does not decode", slot,
                 (unsigned long long)p.seq, p.len);
    return p;
}

/*
 * The relay's "CAMERA OFFLINE" picture is a flat dark grey (28) with three lines of text; the
 * camera's scene is sky, hills and ground. Most pixels near 28 tells them apart.
 */
static int is_offline_picture(const struct ts_relay_part *p)
{
    uint8_t *gray;
    int w;
    int h;
    if (ts_jpeg_decode_gray(p->jpeg, p->len, &gray, &w, &h) != 0)
        return 0;
    size_t dark = 0;
    size_t total = (size_t)w * (size_t)h;
    for (size_t i = 0; i < total; i++)
        dark += gray[i] >= 18 && gray[i] <= 38;
    free(gray);
    return dark * 10 >= total * 8;
}

/* ---- raw sockets: a viewer that never reads, a client from another address ---------------- */

/*
 * Connect from src_addr (an IPv4 loopback address) to the relay and send GET /mjpeg with our
 * login. If is_stalled, the socket takes little: SO_RCVBUF TINY_RCVBUF and TCP_MAXSEG
 * TINY_SEGMENT, set before connect so that the window and the segment size it advertises stay
 * small. Stores the socket in f->raw[slot] (closed in teardown) and returns it, or -1 if this
 * machine has no such loopback address.
 */
static int raw_viewer(struct fp *f, int slot, const char *src_addr, int is_stalled)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    f->raw[slot] = fd;
    if (is_stalled) {
        int rcvbuf = TINY_RCVBUF;
        int mss = TINY_SEGMENT;
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
        assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
    }
    struct sockaddr_in src = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, src_addr, &src.sin_addr), 1);
    if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
        if (errno == EADDRNOTAVAIL)
            return -1; /* a sandbox with 127.0.0.1 alone */
        fail_msg("bind to %s: %s", src_addr, strerror(errno));
    }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(f->relay_port)};
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Loopback: connect completes or fails at once; it never waits on the network. */
    if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
        fail_msg("connect from %s: %s", src_addr, strerror(errno));
    char req[512];
    int n = snprintf(req, sizeof(req), "GET /mjpeg HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n",
                     (unsigned)f->relay_port, f->auth);
    assert_true(n > 0 && (size_t)n < sizeof(req));
    /* A few hundred bytes always fit in an empty socket buffer: send does not block. */
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT), n);
    return fd;
}

/*
 * Read from fd into buf (NUL-terminated, at most cap - 1 bytes) until it holds `needle`, the peer
 * closes, or timeout_ms passes. Returns the bytes held.
 */
static size_t raw_read_until(int fd, char *buf, size_t cap, const char *needle, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    size_t len = 0;
    buf[0] = '\0';
    while (len + 1 < cap && memmem(buf, len, needle, strlen(needle)) == NULL) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
            break;
        if (n > 0)
            len += (size_t)n;
        buf[len] = '\0';
    }
    return len;
}

/* Read and discard until the peer closes fd (1), or timeout_ms passes (0). */
static int raw_wait_closed(int fd, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    char buf[16384];
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) < 0)
            return 0;
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return 0;
    }
}

/* ---- 1. a stalled viewer ----------------------------------------------------------------- */

/*
 * Bytes the relay's kernel holds for the connection from our local port peer_port (its Send-Q,
 * as `ss` shows it), read from /proc/net/tcp; -1 if there is no such connection.
 */
static long relay_send_queue(struct fp *f, uint16_t peer_port)
{
    FILE *tcp = fopen("/proc/net/tcp", "r");
    if (tcp == NULL)
        return -1;
    char line[512];
    long queued = -1;
    while (queued < 0 && fgets(line, sizeof(line), tcp) != NULL) {
        unsigned local_addr;
        unsigned local_port;
        unsigned remote_addr;
        unsigned remote_port;
        unsigned st;
        unsigned long tx;
        unsigned long rx;
        if (sscanf(line, " %*u: %x:%x %x:%x %x %lx:%lx", &local_addr, &local_port, &remote_addr,
                   &remote_port, &st, &tx, &rx) == 7 &&
            local_port == f->relay_port && remote_port == peer_port)
            queued = (long)tx;
    }
    fclose(tcp);
    return queued;
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

/*
 * Read the reader (viewer 0) until the relay's kernel queue to the stalled viewer stops growing:
 * the same over PLATEAU_FRAMES frames in a row. From then on, whatever the relay has not handed
 * to the kernel waits in the relay: the viewer is stalled for the relay itself, not just for TCP.
 * Returns the queue's size.
 */
static long wait_stalled(struct fp *f, int stalled_fd, uint64_t *seq)
{
    enum { PLATEAU_FRAMES = 3, MAX_FRAMES = 600 };
    uint16_t port = local_port(stalled_fd);
    long queued = relay_send_queue(f, port);
    int same = 0;
    for (int i = 0; i < MAX_FRAMES && same < PLATEAU_FRAMES; i++) {
        int w;
        int h;
        next_part(f, 0, seq, &w, &h);
        long now = relay_send_queue(f, port);
        assert_true(now >= 0);
        same = now == queued ? same + 1 : 0;
        queued = now;
    }
    if (same < PLATEAU_FRAMES)
        fail_msg("the relay's queue to the stalled viewer kept growing (%ld bytes)", queued);
    return queued;
}

/*
 * A viewer that sends its request and then reads nothing must cost the others nothing. Its socket
 * takes ~2 KB (SO_RCVBUF) in 536-byte segments (TCP_MAXSEG): otherwise, on loopback, Linux grows
 * the relay's send buffer to about 1 MB before the relay sees any back-pressure, and the first
 * few seconds would test the kernel, not the relay. Once the relay's kernel queue to it is full,
 * the second viewer gets STALLED_FRAMES frames in a row while the stalled one stays stalled and
 * connected (its stall timeout is far away here).
 */
static void test_frame_path_stalled_viewer_does_not_block_others(void **state)
{
    struct fp *f = *state;
    start_cam(f, 0, 0);
    start_relay(f, f->stream_port, "VIEWER_STALL_TIMEOUT_MS=600000\n");

    int stalled = raw_viewer(f, 0, "127.0.0.1", 1);
    assert_true(stalled >= 0);
    assert_true(wait_relay_viewers(f, 1));
    open_viewer(f, 0);
    assert_int_equal(relay_viewers(f), 2);
    uint64_t seq = 0;
    long queued = wait_stalled(f, stalled, &seq);

    uint64_t first = seq;
    size_t bytes = 0;
    for (int i = 0; i < STALLED_FRAMES; i++) {
        int w;
        int h;
        struct ts_relay_part p = next_part(f, 0, &seq, &w, &h);
        assert_int_equal(w, CAM_W);
        assert_int_equal(h, CAM_H);
        bytes += p.len;
    }
    /* The stalled viewer stayed stalled meanwhile: its queue took less than a quarter of what
     * the reader got (the kernel may still grow the buffer by a segment or a frame now and then,
     * or shrink it by what a zero-window probe got through: the relay keeps at most
     * HUB_UNSENT_MAX_BYTES unsent there). And it is still there: the relay neither dropped it
     * nor waited for it. */
    long grown = relay_send_queue(f, local_port(stalled)) - queued;
    assert_true(grown < 0 || (size_t)grown < bytes / 4);
    assert_int_equal(relay_viewers(f), 2);
    print_message("reader: %d frames (seq %llu..%llu, %zu bytes); the stalled viewer's queue in "
                  "the relay's kernel: %ld bytes, %ld more after them\n",
                  STALLED_FRAMES, (unsigned long long)first + 1, (unsigned long long)seq, bytes,
                  queued, grown);
    f->is_done = 1;
}

/*
 * With VIEWER_STALL_TIMEOUT_MS=1000 the relay closes the stalled viewer's connection (/counter
 * drops to 1 and the socket sees the close), and the reading viewer keeps receiving frames
 * before and after. The reader reads all along: one that stopped for the timeout would be
 * dropped too.
 */
static void test_frame_path_stalled_viewer_is_dropped(void **state)
{
    struct fp *f = *state;
    start_cam(f, 0, 0);
    start_relay(f, f->stream_port, "VIEWER_STALL_TIMEOUT_MS=1000\n");

    int stalled = raw_viewer(f, 0, "127.0.0.1", 1);
    assert_true(stalled >= 0);
    assert_true(wait_relay_viewers(f, 1));
    open_viewer(f, 0);

    uint64_t seq = 0;
    int w;
    int h;
    int viewers = relay_viewers(f);
    int frames_before = 0;
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    while (viewers != 1 && now_ms() < deadline) {
        next_part(f, 0, &seq, &w, &h);
        frames_before++;
        viewers = relay_viewers(f);
    }
    assert_int_equal(viewers, 1);
    assert_true(raw_wait_closed(stalled, CHANGE_TIMEOUT_MS));

    for (int i = 0; i < 10; i++)
        next_part(f, 0, &seq, &w, &h);
    assert_int_equal(relay_viewers(f), 1);
    print_message("stalled viewer dropped while the reader got %d frames\n", frames_before);
    f->is_done = 1;
}

/* ---- 2. the camera dies and comes back ----------------------------------------------------- */

/*
 * Read viewer `slot` until a part that is (want_offline) or is not an offline picture arrives,
 * and return it; it must be CAM_W x CAM_H. Every part read must decode and raise X-Frame-Seq.
 * The parts skipped are not measured: an offline picture sent before the relay has seen any
 * camera frame is 640x480 (if the first connection attempt fails, say). Fails after
 * CHANGE_TIMEOUT_MS.
 */
static struct ts_relay_part read_until(struct fp *f, int slot, int want_offline, uint64_t *seq)
{
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    for (;;) {
        int w;
        int h;
        struct ts_relay_part p = next_part(f, slot, seq, &w, &h);
        if (is_offline_picture(&p) == want_offline) {
            if (w != CAM_W || h != CAM_H)
                fail_msg("viewer %d: %s picture %llu is %dx%d, not the camera's %dx%d", slot,
                         want_offline ? "offline" : "live", (unsigned long long)p.seq, w, h, CAM_W,
                         CAM_H);
            return p;
        }
        if (now_ms() > deadline)
            fail_msg("viewer %d: no %s picture by seq %llu", slot,
                     want_offline ? "offline" : "live", (unsigned long long)*seq);
    }
}

/*
 * lookout-cam killed (SIGKILL) under two viewers: they stay connected and get "CAMERA OFFLINE"
 * pictures; /api/status says why and a snapshot is refused. lookout-cam started again on the
 * same ports: the same two connections get camera frames again, X-Frame-Seq still rising.
 */
static void test_frame_path_camera_restart_keeps_viewers(void **state)
{
    struct fp *f = *state;
    enum { VIEWERS = 2, LIVE = 5 };
    start_cam(f, 0, 0);
    uint16_t stream_port = f->stream_port;
    uint16_t control_port = f->control_port;
    start_relay(f, stream_port, "OFFLINE_FRAME_INTERVAL_MS=200\n");

    uint64_t seq[VIEWERS] = {0};
    size_t live_min = SIZE_MAX;
    for (int v = 0; v < VIEWERS; v++)
        open_viewer(f, v);
    /* Offline pictures will have the size of the camera's last frame. */
    for (int i = 0; i < LIVE; i++) {
        for (int v = 0; v < VIEWERS; v++) {
            struct ts_relay_part p = read_until(f, v, 0, &seq[v]);
            live_min = p.len < live_min ? p.len : live_min;
        }
    }

    /* Gone without a word, as if unplugged from power. */
    assert_int_equal(kill(f->cam_pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(f->cam_pid, &status, 0), f->cam_pid);
    f->cam_pid = 0;

    /* Each viewer, on its connection, gets at least two offline pictures: the same size as the
     * camera's, and smaller (a flat picture with a few words). */
    size_t offline_max = 0;
    for (int v = 0; v < VIEWERS; v++) {
        for (int i = 0; i < 2; i++) {
            struct ts_relay_part p = read_until(f, v, 1, &seq[v]);
            offline_max = p.len > offline_max ? p.len : offline_max;
        }
    }
    print_message("live frames >= %zu bytes, offline pictures <= %zu bytes\n", live_min,
                  offline_max);
    assert_true(offline_max < live_min);
    char reason[160];
    assert_int_equal(relay_online(f, reason, sizeof(reason)), 0);
    assert_true(reason[0] != '\0');
    assert_string_not_equal(reason, STANDBY_REASON);
    print_message("offline: \"%s\"\n", reason);
    struct ts_http_response r;
    assert_int_equal(
        ts_http_request(f->relay_port, "GET", "/snapshot.jpg", f->auth, NULL, HTTP_TIMEOUT_MS, &r),
        503);
    ts_http_response_deinit(&r);

    /* The camera comes back on the same ports; the relay finds it by itself. */
    start_cam(f, stream_port, control_port);
    assert_int_equal(f->stream_port, stream_port);
    for (int v = 0; v < VIEWERS; v++) {
        read_until(f, v, 0, &seq[v]);
        for (int i = 0; i < 3; i++)
            read_until(f, v, 0, &seq[v]);
    }
    assert_int_equal(relay_online(f, reason, sizeof(reason)), 1);
    assert_string_equal(reason, "");
    assert_int_equal(relay_viewers(f), VIEWERS);
    assert_int_equal(cam_number(f, "stream_clients"), 1);
    assert_int_equal(cam_number(f, "stream_connections_total"), 1);
    print_message("same connections, X-Frame-Seq now %llu and %llu\n", (unsigned long long)seq[0],
                  (unsigned long long)seq[1]);
    f->is_done = 1;
}

/*
 * A camera that hangs without closing the connection (here SIGSTOP; in the field a crashed
 * ESP32 or a Wi-Fi link gone quiet) is noticed by the stall watchdog, UPSTREAM_STALL_TIMEOUT_MS:
 * the viewer gets offline pictures and /api/status a timeout as the reason; when the camera
 * resumes, frames come back on the same connection.
 */
static void test_frame_path_hung_camera_is_noticed(void **state)
{
    struct fp *f = *state;
    start_cam(f, 0, 0);
    start_relay(f, f->stream_port,
                "UPSTREAM_STALL_TIMEOUT_MS=300\nOFFLINE_FRAME_INTERVAL_MS=200\n");
    uint64_t seq = 0;
    open_viewer(f, 0);
    for (int i = 0; i < 10; i++)
        read_until(f, 0, 0, &seq);

    assert_int_equal(kill(f->cam_pid, SIGSTOP), 0);
    read_until(f, 0, 1, &seq);
    read_until(f, 0, 1, &seq);
    /* Between attempts the reason is "camera stopped sending (stall timeout)", then "camera did
     * not answer (timeout)" (the kernel still accepts connections for the stopped process), or
     * "connecting" during an attempt. */
    char reason[160] = "";
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    while (relay_online(f, reason, sizeof(reason)) != 0 || strstr(reason, "timeout") == NULL) {
        if (now_ms() > deadline)
            fail_msg("no timeout reported; the reason is \"%s\"", reason);
        sleep_ms(POLL_MS);
    }
    print_message("offline: \"%s\"\n", reason);

    assert_int_equal(kill(f->cam_pid, SIGCONT), 0);
    for (int i = 0; i < 3; i++)
        read_until(f, 0, 0, &seq);
    assert_int_equal(relay_online(f, reason, sizeof(reason)), 1);
    assert_int_equal(relay_viewers(f), 1);
    f->is_done = 1;
}

/* ---- 3. nobody watching -------------------------------------------------------------------- */

/* GET /snapshot.jpg answers 200 with a JPEG of the camera's size. */
static void assert_snapshot(struct fp *f)
{
    struct ts_http_response r;
    char type[64];
    int w;
    int h;
    int status =
        ts_http_request(f->relay_port, "GET", "/snapshot.jpg", f->auth, NULL, HTTP_TIMEOUT_MS, &r);
    if (status != 200)
        fail_msg("snapshot: %d %s", status, status > 0 ? (const char *)r.body : strerror(-status));
    assert_true(ts_http_header(r.head, "Content-Type", type, sizeof(type)) > 0);
    assert_string_equal(type, "image/jpeg");
    assert_int_equal(ts_jpeg_decode_ok(r.body, r.body_len, &w, &h), 0);
    assert_int_equal(w, CAM_W);
    assert_int_equal(h, CAM_H);
    ts_http_response_deinit(&r);
}

/*
 * UPSTREAM_IDLE_TIMEOUT_MS=500: the relay calls the camera only while someone watches, and
 * hangs up 500 ms after the last viewer leaves; a viewer or a snapshot wakes it again.
 */
static void test_frame_path_idle_upstream_closes_and_wakes(void **state)
{
    struct fp *f = *state;
    start_cam(f, 0, 0);
    start_relay(f, f->stream_port, "UPSTREAM_IDLE_TIMEOUT_MS=500\n");
    uint64_t seq = 0;

    /* Nobody has watched yet: the relay has not called the camera. */
    assert_true(wait_standby(f));
    assert_int_equal(cam_number(f, "stream_connections_total"), 0);

    open_viewer(f, 0);
    assert_true(wait_cam_clients(f, 1));
    read_until(f, 0, 0, &seq);
    close_viewer(f, 0);

    /* The grace period passes with nobody watching: the camera's stream is closed. */
    assert_true(wait_cam_clients(f, 0));
    assert_true(wait_standby(f));
    assert_int_equal(cam_number(f, "stream_connections_total"), 1);

    /* A new viewer wakes it. A snapshot asked for at the same moment waits for the camera, which
     * is waking up, not offline. The viewer's first frame may be the newest from before standby;
     * the next are new, from a second camera connection. */
    uint64_t before = seq;
    seq = 0;
    open_viewer(f, 0);
    assert_snapshot(f);
    read_until(f, 0, 0, &seq);
    read_until(f, 0, 0, &seq);
    assert_true(seq > before);
    assert_int_equal(cam_number(f, "stream_connections_total"), 2);
    char reason[160];
    assert_int_equal(relay_online(f, reason, sizeof(reason)), 1);
    close_viewer(f, 0);
    assert_true(wait_cam_clients(f, 0));
    assert_true(wait_standby(f));

    /* A snapshot in standby wakes the camera for one frame, then lets it rest again. */
    assert_snapshot(f);
    assert_int_equal(cam_number(f, "stream_connections_total"), 3);
    assert_true(wait_cam_clients(f, 0));
    assert_true(wait_standby(f));
    f->is_done = 1;
}

/* ---- 4. an oversized frame, from a fake camera --------------------------------------------- */

/* A part of the fake camera's stream, and the picture size that identifies it at the viewer. */
struct fake_part {
    struct ts_fake_part wire;
    uint8_t *jpeg; /* owned by the fixture (f->owned) */
    int w;
    int h;
};

/* A w x h grey picture: flat `level`, or noise if level < 0 (noise compresses badly). */
static void make_part(struct fp *f, struct fake_part *p, int w, int h, int level, int has_length,
                      uint32_t seed)
{
    uint8_t *pixels = malloc((size_t)w * (size_t)h);
    assert_non_null(pixels);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        pixels[i] = level >= 0 ? (uint8_t)level : (uint8_t)seed;
    }
    size_t len = 0;
    int rc = ts_jpeg_encode_gray(pixels, w, h, level >= 0 ? 80 : 95, &p->jpeg, &len);
    free(pixels);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < sizeof(f->owned) / sizeof(f->owned[0]); i++) {
        if (f->owned[i] == NULL) {
            f->owned[i] = p->jpeg;
            break;
        }
    }
    p->wire = (struct ts_fake_part){.data = p->jpeg, .len = len, .has_length = has_length};
    p->w = w;
    p->h = h;
}

/*
 * The camera sends small A, big B, small C, big E without Content-Length, small D without
 * Content-Length, and again. The relay (MAX_FRAME_BYTES=4096) must drop B and E and deliver A, C
 * and D intact; no viewer ever gets a part over the limit.
 */
static void test_frame_path_oversized_frame_is_dropped(void **state)
{
    struct fp *f = *state;
    enum { A, B, C, E, D, PARTS };
    struct fake_part parts[PARTS];
    memset(parts, 0, sizeof(parts));
    make_part(f, &parts[A], 64, 48, 60, 1, 1);
    make_part(f, &parts[B], 256, 256, -1, 1, 2463534242u);
    make_part(f, &parts[C], 96, 64, 190, 1, 1);
    make_part(f, &parts[E], 256, 256, -1, 0, 88675123u);
    make_part(f, &parts[D], 80, 80, 120, 0, 1);
    struct ts_fake_part wire[PARTS];
    for (int i = 0; i < PARTS; i++)
        wire[i] = parts[i].wire;
    /* The premise: which parts are over the limit. */
    assert_true(wire[B].len > FAKE_MAX_FRAME_BYTES && wire[E].len > FAKE_MAX_FRAME_BYTES);
    assert_true(wire[A].len < FAKE_MAX_FRAME_BYTES && wire[C].len < FAKE_MAX_FRAME_BYTES &&
                wire[D].len < FAKE_MAX_FRAME_BYTES);

    uint16_t cam_port = 0;
    pid_t pid = ts_fake_cam_start(wire, PARTS, FAKE_PART_GAP_MS, &cam_port);
    if (pid < 0)
        fail_msg("cannot start the fake camera: %s", strerror((int)-pid));
    f->fake_pid = pid;
    char settings[256];
    snprintf(settings, sizeof(settings),
             "MAX_FRAME_BYTES=%u\nUPSTREAM_IDLE_TIMEOUT_MS=0\nOFFLINE_FRAME_INTERVAL_MS=60000\n",
             FAKE_MAX_FRAME_BYTES);
    start_relay(f, cam_port, settings);
    open_viewer(f, 0);

    int seen[PARTS] = {0};
    uint64_t seq = 0;
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    while (seen[A] < FAKE_ROUNDS || seen[C] < FAKE_ROUNDS || seen[D] < FAKE_ROUNDS) {
        if (now_ms() > deadline)
            fail_msg("after seq %llu: A %d, C %d, D %d frames", (unsigned long long)seq, seen[A],
                     seen[C], seen[D]);
        int w;
        int h;
        struct ts_relay_part p = next_part(f, 0, &seq, &w, &h);
        if (p.len > FAKE_MAX_FRAME_BYTES)
            fail_msg("frame %llu has %zu bytes, over MAX_FRAME_BYTES", (unsigned long long)p.seq,
                     p.len);
        /* Which part it is, byte for byte: delivered intact or not at all. */
        int which = -1;
        for (int i = 0; i < PARTS; i++) {
            if (parts[i].w == w && parts[i].h == h && wire[i].len == p.len &&
                memcmp(wire[i].data, p.jpeg, p.len) == 0)
                which = i;
        }
        if (which != A && which != C && which != D)
            fail_msg("frame %llu (%dx%d, %zu bytes) is none of A, C, D", (unsigned long long)p.seq,
                     w, h, p.len);
        seen[which]++;
    }
    print_message("A %d, C %d, D %d frames, none over %u bytes, by seq %llu\n", seen[A], seen[C],
                  seen[D], FAKE_MAX_FRAME_BYTES, (unsigned long long)seq);
    f->is_done = 1;
}

/*
 * A camera as real firmwares write them: its Content-Type spelled with blanks, capitals and
 * quotes, and Content-Length values that lie: A's too large (by more than B's whole part), B's
 * right, C's too small. The delimiter wins: A and B arrive intact and separate (never merged),
 * and once a length lied the rest are framed by delimiters, so C arrives whole too after at
 * most one short copy.
 */
static void test_frame_path_camera_quirks(void **state)
{
    struct fp *f = *state;
    enum { A, B, C, PARTS };
    struct fake_part parts[PARTS];
    memset(parts, 0, sizeof(parts));
    make_part(f, &parts[A], 64, 48, 60, 1, 1);
    make_part(f, &parts[B], 96, 64, 190, 1, 1);
    make_part(f, &parts[C], 80, 80, 120, 1, 1);
    struct ts_fake_part wire[PARTS];
    for (int i = 0; i < PARTS; i++)
        wire[i] = parts[i].wire;
    wire[A].length_error_bytes = (long)wire[B].len + 200;
    wire[C].length_error_bytes = -10;

    uint16_t cam_port = 0;
    pid_t pid = ts_fake_cam_start_typed(
        wire, PARTS, FAKE_PART_GAP_MS,
        "Multipart/X-Mixed-Replace ; Charset=\"a;b\" ; BOUNDARY = \"" MJPEG_ESP32_BOUNDARY "\"",
        &cam_port);
    if (pid < 0)
        fail_msg("cannot start the fake camera: %s", strerror((int)-pid));
    f->fake_pid = pid;
    start_relay(f, cam_port, "UPSTREAM_IDLE_TIMEOUT_MS=0\nOFFLINE_FRAME_INTERVAL_MS=60000\n");
    open_viewer(f, 0);

    int seen[PARTS] = {0}, short_c = 0;
    uint64_t seq = 0;
    int64_t deadline = now_ms() + CHANGE_TIMEOUT_MS;
    while (seen[A] < FAKE_ROUNDS || seen[B] < FAKE_ROUNDS || seen[C] < FAKE_ROUNDS) {
        if (now_ms() > deadline)
            fail_msg("after seq %llu: A %d, B %d, C %d frames", (unsigned long long)seq, seen[A],
                     seen[B], seen[C]);
        struct ts_relay_part p = next_part_raw(f, 0, &seq);
        if (memmem(p.jpeg, p.len, "--" MJPEG_ESP32_BOUNDARY, strlen(MJPEG_ESP32_BOUNDARY) + 2))
            fail_msg("frame %llu (%zu bytes) holds a delimiter", (unsigned long long)p.seq, p.len);
        int which = -1;
        for (int i = 0; i < PARTS; i++) {
            if (wire[i].len == p.len && memcmp(wire[i].data, p.jpeg, p.len) == 0)
                which = i;
        }
        /* The one part delivered before C's lie could show: C cut at its declared length. */
        if (which < 0 && short_c == 0 && p.len == wire[C].len - 10 &&
            memcmp(wire[C].data, p.jpeg, p.len) == 0) {
            short_c++;
            continue;
        }
        if (which < 0)
            fail_msg("frame %llu (%zu bytes) is none of A, B, C", (unsigned long long)p.seq, p.len);
        seen[which]++;
    }
    print_message("A %d, B %d, C %d intact frames, %d short, by seq %llu\n", seen[A], seen[B],
                  seen[C], short_c, (unsigned long long)seq);
    f->is_done = 1;
}

/* ---- 5. viewer caps -------------------------------------------------------------------------- */

/* A 503 whose body is one line of plain text containing `words`. */
static void assert_refused(const struct ts_http_response *r, int status, const char *words)
{
    char type[128];
    if (status != 503)
        fail_msg("want 503 \"%s\", got %d", words, status);
    assert_true(ts_http_header(r->head, "Content-Type", type, sizeof(type)) > 0);
    assert_true(strncmp(type, "text/plain", strlen("text/plain")) == 0);
    const char *body = (const char *)r->body;
    assert_true(r->body_len > 1);
    assert_true(body[r->body_len - 1] == '\n');
    assert_true(strchr(body, '\n') == body + r->body_len - 1);
    if (strstr(body, words) == NULL)
        fail_msg("503 body \"%s\" does not say \"%s\"", body, words);
}

static void test_frame_path_viewer_cap_answers_503(void **state)
{
    struct fp *f = *state;
    start_cam(f, 0, 0);
    start_relay(f, f->stream_port, "MAX_VIEWERS=2\n");
    uint64_t seq[3] = {0};
    int w;
    int h;
    open_viewer(f, 0);
    open_viewer(f, 1);
    next_part(f, 0, &seq[0], &w, &h);
    next_part(f, 1, &seq[1], &w, &h);

    struct ts_http_response r;
    int status =
        ts_http_request(f->relay_port, "GET", "/mjpeg", f->auth, NULL, HTTP_TIMEOUT_MS, &r);
    assert_refused(&r, status, "too many viewers");
    print_message("third viewer: %d %s", status, (const char *)r.body);
    ts_http_response_deinit(&r);
    assert_int_equal(relay_viewers(f), 2);

    /* A place that frees up is given to the next viewer. */
    close_viewer(f, 1);
    assert_true(wait_relay_viewers(f, 1));
    open_viewer(f, 2);
    next_part(f, 2, &seq[2], &w, &h);
    next_part(f, 0, &seq[0], &w, &h);
    assert_int_equal(relay_viewers(f), 2);
    f->is_done = 1;
}

static void test_frame_path_viewer_cap_per_address(void **state)
{
    struct fp *f = *state;
    start_cam(f, 0, 0);
    start_relay(f, f->stream_port, "MAX_VIEWERS_PER_ADDRESS=1\n");
    uint64_t seq = 0;
    int w;
    int h;
    open_viewer(f, 0);
    next_part(f, 0, &seq, &w, &h);

    struct ts_http_response r;
    int status =
        ts_http_request(f->relay_port, "GET", "/mjpeg", f->auth, NULL, HTTP_TIMEOUT_MS, &r);
    assert_refused(&r, status, "from your address");
    print_message("second viewer from 127.0.0.1: %d %s", status, (const char *)r.body);
    ts_http_response_deinit(&r);
    assert_int_equal(relay_viewers(f), 1);

    /* Another address (all of 127/8 is loopback) still gets in, and gets frames. */
    int fd = raw_viewer(f, 0, "127.0.0.2", 0);
    if (fd < 0) {
        print_message("no 127.0.0.2 here: the other address is not tried\n");
        f->is_done = 1;
        return;
    }
    char buf[65536];
    size_t len = raw_read_until(fd, buf, sizeof(buf), "X-Frame-Seq: ", FRAME_TIMEOUT_MS);
    if (strncmp(buf, "HTTP/1.1 200 ", strlen("HTTP/1.1 200 ")) != 0)
        fail_msg("viewer from 127.0.0.2: %.*s", (int)strcspn(buf, "\r\n"), buf);
    assert_non_null(memmem(buf, len, "X-Frame-Seq: ", strlen("X-Frame-Seq: ")));
    assert_int_equal(relay_viewers(f), 2);
    next_part(f, 0, &seq, &w, &h);
    f->is_done = 1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_frame_path_stalled_viewer_does_not_block_others,
                                        fp_setup, fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_stalled_viewer_is_dropped, fp_setup,
                                        fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_camera_restart_keeps_viewers, fp_setup,
                                        fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_hung_camera_is_noticed, fp_setup,
                                        fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_idle_upstream_closes_and_wakes, fp_setup,
                                        fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_camera_quirks, fp_setup, fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_oversized_frame_is_dropped, fp_setup,
                                        fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_viewer_cap_answers_503, fp_setup,
                                        fp_teardown),
        cmocka_unit_test_setup_teardown(test_frame_path_viewer_cap_per_address, fp_setup,
                                        fp_teardown),
    };
    return cmocka_run_group_tests_name("frame_path", tests, NULL, NULL);
}
