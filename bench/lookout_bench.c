/*
 * lookout-bench: a load generator for MJPEG servers on loopback. Opens N concurrent viewers of
 * one stream on one libevent loop, lets them warm up, then measures for a fixed time: delivered
 * frames per second per viewer, frames lost (X-Frame-Seq gaps), the latency the relay adds
 * (X-Timestamp), aggregate throughput, and the server's CPU and memory from /proc.
 * `make bench` (bench/run) drives it against Lookout and its peers; docs/PERFORMANCE.md has
 * the figures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>

#include "bench_move.h"
#include "bench_options.h"
#include "bench_proc.h"
#include "bench_selftest.h"
#include "bench_stats.h"
#include "bench_viewer.h"

#define CONNECT_BATCH 50 /* viewers opened per tick, so no listen backlog overflows */
#define CONNECT_TICK_MS 10
#define SAMPLE_TICK_MS 100 /* server RSS sampling period */
#define MAX_FRAME_BYTES (8u << 20)
#define READ_BUF_BYTES (256u << 10) /* one recv() per wake-up, up to this much */
#define FD_HEADROOM 64
#define MAX_FAILURE_KINDS 8

/* One run's state, owned by main and passed to every callback. */
struct bench {
    struct bench_options opt;
    struct event_base *base;
    struct bench_target target;
    struct bench_hist latency;
    struct bench_hist slow_age_relay, slow_age_source, move_fast, move_slow;
    struct bench_halves slow_age_halves;
    struct bench_mover *mover;
    struct bench_viewer **viewers;
    unsigned n_viewers, n_opened, n_open_failed;
    struct event *connect_timer, *sample_timer, *start_timer, *end_timer;
    /* Samples of the server and of ourselves at the window's edges. */
    int has_server;
    int64_t server_cpu0_us, server_cpu1_us, t0_us, t1_us;
    long server_rss_max_kb;
    int64_t self_cpu0_us, self_cpu1_us;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t self_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static struct timeval tv_from_us(int64_t us)
{
    if (us < 0)
        us = 0;
    return (struct timeval){.tv_sec = (time_t)(us / 1000000),
                            .tv_usec = (suseconds_t)(us % 1000000)};
}

/* Bind 127.0.0.1:0 and print the port the kernel picked (bench/run uses it for the peers). */
static int print_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("lookout-bench: socket");
        return 1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("lookout-bench: bind");
        close(fd);
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(sa.sin_port));
    close(fd);
    return 0;
}

/* Each viewer needs a descriptor: raise the soft limit, and the hard one if allowed (root). */
static int raise_fd_limit(unsigned viewers)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)viewers + FD_HEADROOM;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need)
        rl.rlim_max = need;
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < need)
            return -EMFILE;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -errno;
    }
    return 0;
}

/* "Basic base64(user:pass)" from the URL's userinfo or LOOKOUT_BENCH_AUTH; NULL if neither. */
static char *make_authorization(const char *userinfo)
{
    const char *cred = userinfo != NULL ? userinfo : getenv("LOOKOUT_BENCH_AUTH");
    if (cred == NULL || *cred == '\0')
        return NULL;
    size_t len = strlen(cred);
    size_t out_size = strlen("Basic ") + 4 * ((len + 2) / 3) + 1;
    char *out = malloc(out_size);
    if (out == NULL)
        return NULL;
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)cred, (int)len);
    return out;
}

static void on_connect_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct bench *b = arg;
    const struct bench_options *o = &b->opt;
    int is_spread =
        !o->is_one_source && b->target.addr->sa_family == AF_INET &&
        (ntohl(((const struct sockaddr_in *)b->target.addr)->sin_addr.s_addr) >> 24) == 127;
    for (unsigned k = 0; k < CONNECT_BATCH && b->n_opened < b->n_viewers; k++) {
        unsigned i = b->n_opened++;
        /* The stalled and slow viewers first, so they are in place before the fast ones. */
        enum bench_viewer_mode mode = i < o->stalled             ? BENCH_VIEWER_STALLED
                                      : i < o->stalled + o->slow ? BENCH_VIEWER_SLOW
                                                                 : BENCH_VIEWER_FAST;
        char source[32];
        if (is_spread)
            snprintf(source, sizeof(source), "127.1.%u.%u", (i / 250) % 250, 1 + i % 250);
        b->viewers[i] = bench_viewer_new(b->base, &b->target, mode, o->slow_rate_bytes_per_s,
                                         is_spread ? source : NULL);
        if (b->viewers[i] == NULL)
            b->n_open_failed++;
    }
    if (b->n_opened < b->n_viewers) {
        struct timeval tick = tv_from_us(CONNECT_TICK_MS * 1000);
        evtimer_add(b->connect_timer, &tick);
    }
}

static void sample_server_rss(struct bench *b)
{
    long rss_kb;
    if (b->has_server && bench_proc_rss_kb(b->opt.server_pid, &rss_kb) == 0 &&
        rss_kb > b->server_rss_max_kb)
        b->server_rss_max_kb = rss_kb;
}

static void on_sample_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sample_server_rss(arg);
}

static void on_window_start(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct bench *b = arg;
    b->t0_us = mono_us();
    b->self_cpu0_us = self_cpu_us();
    if (b->has_server && bench_proc_cpu_us(b->opt.server_pid, &b->server_cpu0_us) < 0)
        b->has_server = 0;
}

static void on_window_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct bench *b = arg;
    b->t1_us = mono_us();
    b->self_cpu1_us = self_cpu_us();
    sample_server_rss(b);
    if (b->has_server && bench_proc_cpu_us(b->opt.server_pid, &b->server_cpu1_us) < 0)
        b->has_server = 0;
    event_base_loopexit(b->base, NULL);
}

static void fmt_ms(char *out, size_t size, int64_t us)
{
    if (us < 0)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.2f", (double)us / 1000.0);
}

/* Summarise and print the run. */
static void report(struct bench *b)
{
    const struct bench_options *o = &b->opt;
    double secs = o->duration_s;
    double *fps = calloc(o->fast ? o->fast : 1, sizeof(*fps));
    if (fps == NULL) {
        fputs("lookout-bench: out of memory for the report\n", stderr);
        return;
    }
    unsigned n_fast = 0, streaming = 0, connected = 0;
    uint64_t bytes = 0, fast_frames = 0, fast_bytes = 0, lost = 0, part_errors = 0;
    uint64_t slow_frames = 0, stalled_frames = 0;
    int has_seq = 0;
    const char *fail_kind[MAX_FAILURE_KINDS] = {0};
    unsigned fail_count[MAX_FAILURE_KINDS] = {0}, failed = b->n_open_failed;
    for (unsigned i = 0; i < b->n_viewers; i++) {
        struct bench_viewer_stats s = {.failure = "could not start the request"};
        if (b->viewers[i] != NULL)
            bench_viewer_get_stats(b->viewers[i], &s);
        enum bench_viewer_mode mode = i < o->stalled             ? BENCH_VIEWER_STALLED
                                      : i < o->stalled + o->slow ? BENCH_VIEWER_SLOW
                                                                 : BENCH_VIEWER_FAST;
        bytes += s.bytes;
        part_errors += s.part_errors;
        streaming += s.is_streaming != 0;
        connected += s.status == 200;
        /* Accepted by the kernel's backlog but never answered: the server is out of
         * descriptors or overloaded. */
        if (s.failure == NULL && s.status == 0)
            s.failure = "no response by the end of the run";
        if (s.failure != NULL && b->viewers[i] != NULL) {
            failed++;
            for (unsigned k = 0; k < MAX_FAILURE_KINDS; k++) {
                if (fail_kind[k] == NULL || fail_kind[k] == s.failure) {
                    fail_kind[k] = s.failure;
                    fail_count[k]++;
                    break;
                }
            }
        }
        if (mode == BENCH_VIEWER_STALLED) {
            stalled_frames += s.frames_total;
        } else if (mode == BENCH_VIEWER_SLOW) {
            slow_frames += s.frames;
        } else {
            fps[n_fast++] = (double)s.frames / secs;
            fast_frames += s.frames;
            fast_bytes += s.bytes;
            lost += s.lost;
            has_seq |= s.has_seq;
        }
    }
    double fps_min = 0, fps_max = 0, fps_med = 0;
    if (n_fast > 0) {
        fps_med = bench_median(fps, n_fast); /* sorts */
        fps_min = fps[0];
        fps_max = fps[n_fast - 1];
    }
    free(fps);
    double mbps = (double)bytes / secs / 1e6;
    double frame_kb = fast_frames ? (double)fast_bytes / (double)fast_frames / 1000.0 : 0.0;
    double wall_s = (double)(b->t1_us - b->t0_us) / 1e6;
    double self_pct = wall_s > 0 ? (double)(b->self_cpu1_us - b->self_cpu0_us) / 1e4 / wall_s : 0;
    double cpu_pct = -1, rss_mb = -1;
    if (b->has_server && wall_s > 0) {
        cpu_pct = (double)(b->server_cpu1_us - b->server_cpu0_us) / 1e4 / wall_s;
        rss_mb = (double)b->server_rss_max_kb / 1024.0;
    }
    char p50[32], p99[32];
    fmt_ms(p50, sizeof(p50), bench_hist_percentile(&b->latency, 0.50));
    fmt_ms(p99, sizeof(p99), bench_hist_percentile(&b->latency, 0.99));
    double slow_fps = o->slow ? (double)slow_frames / secs / o->slow : 0;

    char age50[32], age99[32], src50[32], src99[32], src_max[32];
    fmt_ms(age50, sizeof(age50), bench_hist_percentile(&b->slow_age_relay, 0.50));
    fmt_ms(age99, sizeof(age99), bench_hist_percentile(&b->slow_age_relay, 0.99));
    fmt_ms(src50, sizeof(src50), bench_hist_percentile(&b->slow_age_source, 0.50));
    fmt_ms(src99, sizeof(src99), bench_hist_percentile(&b->slow_age_source, 0.99));
    fmt_ms(src_max, sizeof(src_max), bench_hist_percentile(&b->slow_age_source, 1.0));
    const struct bench_halves *hv = &b->slow_age_halves;
    char half1[32], half2[32];
    fmt_ms(half1, sizeof(half1),
           hv->n[0] ? (int64_t)(hv->sum_ms[0] * 1000.0 / (double)hv->n[0]) : -1);
    fmt_ms(half2, sizeof(half2),
           hv->n[1] ? (int64_t)(hv->sum_ms[1] * 1000.0 / (double)hv->n[1]) : -1);
    char mf50[32], mf99[32], ms50[32], ms99[32];
    fmt_ms(mf50, sizeof(mf50), bench_hist_percentile(&b->move_fast, 0.50));
    fmt_ms(mf99, sizeof(mf99), bench_hist_percentile(&b->move_fast, 0.99));
    fmt_ms(ms50, sizeof(ms50), bench_hist_percentile(&b->move_slow, 0.50));
    fmt_ms(ms99, sizeof(ms99), bench_hist_percentile(&b->move_slow, 0.99));
    const struct bench_move_state *mv = b->mover ? bench_mover_state(b->mover) : NULL;

    char lost_text[32] = "-";
    if (has_seq)
        snprintf(lost_text, sizeof(lost_text), "%llu", (unsigned long long)lost);

    if (o->is_kv) {
        /* One token per field; "-" marks a figure the stream or the run does not provide. */
        printf("viewers=%u slow=%u stalled=%u connected=%u streaming=%u failed=%u "
               "fps_min=%.2f fps_med=%.2f fps_max=%.2f lost=%s lat_p50_ms=%s lat_p99_ms=%s "
               "mbps=%.1f frame_kb=%.1f cpu_pct=%.1f rss_mb=%.1f bench_cpu_pct=%.1f "
               "slow_fps=%.2f stalled_frames=%llu part_errors=%llu "
               "age_p50_ms=%s age_p99_ms=%s src_age_p50_ms=%s src_age_p99_ms=%s "
               "src_age_max_ms=%s src_age_half1_ms=%s src_age_half2_ms=%s "
               "move_fast_p50_ms=%s move_fast_p99_ms=%s move_slow_p50_ms=%s move_slow_p99_ms=%s "
               "moves=%u moves_failed=%u\n",
               o->fast, o->slow, o->stalled, connected, streaming, failed, fps_min, fps_med,
               fps_max, lost_text, p50, p99, mbps, frame_kb, cpu_pct, rss_mb, self_pct, slow_fps,
               (unsigned long long)stalled_frames, (unsigned long long)part_errors, age50, age99,
               src50, src99, src_max, half1, half2, mf50, mf99, ms50, ms99, mv ? mv->id : 0,
               mv ? mv->failed : 0);
    } else {
        printf("lookout-bench: %u fast, %u slow, %u stalled viewers; %.1f s warm-up, %.1f s "
               "measured\n",
               o->fast, o->slow, o->stalled, o->warmup_s, secs);
        printf("  answered 200  %u of %u, still streaming at the end: %u\n", connected,
               b->n_viewers, streaming);
        printf("  fps/viewer    min %.2f  median %.2f  max %.2f  (fast viewers)\n", fps_min,
               fps_med, fps_max);
        printf("  frames lost   %s (X-Frame-Seq gaps, fast viewers; - when not sent)\n", lost_text);
        printf("  latency       p50 %s ms  p99 %s ms  (X-Timestamp -> read by the viewer)\n", p50,
               p99);
        printf("  throughput    %.1f MB/s, %.1f KB per frame\n", mbps, frame_kb);
        if (o->slow)
            printf("  slow viewers  %.2f fps each (at %u B/s)\n", slow_fps,
                   o->slow_rate_bytes_per_s);
        if (o->slow && o->slow_rcvbuf_bytes)
            printf("  frame age     p50 %s ms  p99 %s ms (X-Timestamp); from the camera's stamp "
                   "p50 %s ms  p99 %s ms  max %s ms; mean %s ms in the first half, %s in the "
                   "second\n",
                   age50, age99, src50, src99, src_max, half1, half2);
        if (mv != NULL)
            printf("  move->picture fast p50 %s ms  p99 %s ms; slow p50 %s ms  p99 %s ms "
                   "(%u moves, %u failed)\n",
                   mf50, mf99, ms50, ms99, mv->id, mv->failed);
        if (o->stalled)
            printf("  stalled       %llu frames received in all before stalling\n",
                   (unsigned long long)stalled_frames);
        if (cpu_pct >= 0)
            printf("  server        pid %ld: CPU %.1f %% of one core, RSS max %.1f MB\n",
                   (long)o->server_pid, cpu_pct, rss_mb);
        printf("  load gen      CPU %.1f %% of one core\n", self_pct);
        if (part_errors)
            printf("  part errors   %llu parts dropped by the parser\n",
                   (unsigned long long)part_errors);
        for (unsigned k = 0; k < MAX_FAILURE_KINDS && fail_kind[k] != NULL; k++)
            printf("  failed        %u: %s\n", fail_count[k], fail_kind[k]);
    }
}

static void free_event(struct event *ev)
{
    if (ev != NULL)
        event_free(ev);
}

/* Open the viewers, run the loop through warm-up and window, report. Returns the exit code. */
static int run(struct bench *b)
{
    const struct bench_options *o = &b->opt;
    struct evhttp_uri *uri = evhttp_uri_parse(o->url);
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    if (uri == NULL || scheme == NULL || strcmp(scheme, "http") != 0 ||
        evhttp_uri_get_host(uri) == NULL) {
        fprintf(stderr, "lookout-bench: expected http://HOST:PORT/path, got \"%s\"\n", o->url);
        if (uri != NULL)
            evhttp_uri_free(uri);
        return 2;
    }
    char path[2048];
    const char *p = evhttp_uri_get_path(uri), *q = evhttp_uri_get_query(uri);
    snprintf(path, sizeof(path), "%s%s%s", (p && *p) ? p : "/", q ? "?" : "", q ? q : "");
    int port = evhttp_uri_get_port(uri);
    if (port <= 0)
        port = 80;
    char port_text[16], host_header[300];
    snprintf(port_text, sizeof(port_text), "%d", port);
    snprintf(host_header, sizeof(host_header), "%s:%d", evhttp_uri_get_host(uri), port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(evhttp_uri_get_host(uri), port_text, &hints, &ai);
    if (gai != 0) {
        fprintf(stderr, "lookout-bench: %s: %s\n", evhttp_uri_get_host(uri), gai_strerror(gai));
        evhttp_uri_free(uri);
        return 1;
    }
    char *authorization = make_authorization(evhttp_uri_get_userinfo(uri));

    b->n_viewers = o->fast + o->slow + o->stalled;
    int err = raise_fd_limit(b->n_viewers);
    if (err < 0)
        fprintf(stderr, "lookout-bench: cannot raise RLIMIT_NOFILE for %u viewers: %s\n",
                b->n_viewers, strerror(-err));

    int rc = 1;
    bench_hist_init(&b->latency);
    bench_hist_init(&b->slow_age_relay);
    bench_hist_init(&b->slow_age_source);
    bench_hist_init(&b->move_fast);
    bench_hist_init(&b->move_slow);
    int64_t start_us = mono_us();
    int64_t warmup_us = (int64_t)(o->warmup_s * 1e6);
    int64_t duration_us = (int64_t)(o->duration_s * 1e6);
    uint8_t *read_buf = malloc(READ_BUF_BYTES);
    b->target = (struct bench_target){
        .addr = ai->ai_addr,
        .addr_len = ai->ai_addrlen,
        .host_header = host_header,
        .path = path,
        .authorization = authorization,
        .read_buf = read_buf,
        .read_buf_size = READ_BUF_BYTES,
        .max_frame_bytes = MAX_FRAME_BYTES,
        .window_start_us = start_us + warmup_us,
        .window_end_us = start_us + warmup_us + duration_us,
        .latency = &b->latency,
        .slow_rcvbuf_bytes = (int)o->slow_rcvbuf_bytes,
        .slow_age_relay = &b->slow_age_relay,
        .slow_age_source = &b->slow_age_source,
        .slow_age_halves = &b->slow_age_halves,
        .move_fast = &b->move_fast,
        .move_slow = &b->move_slow,
    };
    b->has_server = o->server_pid > 0;
    if (b->has_server && bench_proc_rss_kb(o->server_pid, &b->server_rss_max_kb) < 0) {
        fprintf(stderr, "lookout-bench: no process %ld to sample\n", (long)o->server_pid);
        b->has_server = 0;
    }
    b->viewers = calloc(b->n_viewers, sizeof(*b->viewers));
    b->base = event_base_new();
    if (b->viewers != NULL && b->base != NULL && read_buf != NULL) {
        b->connect_timer = evtimer_new(b->base, on_connect_tick, b);
        b->sample_timer = event_new(b->base, -1, EV_PERSIST, on_sample_tick, b);
        b->start_timer = evtimer_new(b->base, on_window_start, b);
        b->end_timer = evtimer_new(b->base, on_window_end, b);
    }
    int is_mover_ok = 1;
    if (o->move_url != NULL && b->base != NULL) {
        b->mover = bench_mover_new(b->base, o->move_url, o->is_move_post, authorization,
                                   o->warmup_s, o->move_every_s, 90, 95);
        is_mover_ok = b->mover != NULL;
        if (b->mover != NULL)
            b->target.move = bench_mover_state(b->mover);
        else
            fprintf(stderr, "lookout-bench: bad --move-url \"%s\"\n", o->move_url);
    }
    if (is_mover_ok && b->connect_timer && b->sample_timer && b->start_timer && b->end_timer) {
        struct timeval now = {0, 0}, sample = tv_from_us(SAMPLE_TICK_MS * 1000);
        struct timeval to_start = tv_from_us(warmup_us);
        struct timeval to_end = tv_from_us(warmup_us + duration_us);
        evtimer_add(b->connect_timer, &now);
        evtimer_add(b->sample_timer, &sample);
        evtimer_add(b->start_timer, &to_start);
        evtimer_add(b->end_timer, &to_end);
        event_base_dispatch(b->base);
        report(b);
        rc = 0;
    } else {
        fputs("lookout-bench: out of memory\n", stderr);
    }
    for (unsigned i = 0; b->viewers != NULL && i < b->n_viewers; i++)
        bench_viewer_free(b->viewers[i]);
    free(b->viewers);
    bench_mover_free(b->mover);
    free_event(b->connect_timer);
    free_event(b->sample_timer);
    free_event(b->start_timer);
    free_event(b->end_timer);
    if (b->base != NULL)
        event_base_free(b->base);
    free(authorization);
    free(read_buf);
    freeaddrinfo(ai);
    evhttp_uri_free(uri);
    return rc;
}

int main(int argc, char **argv)
{
    struct bench *b = calloc(1, sizeof(*b)); /* the histogram is ~100 KB: not on the stack */
    if (b == NULL)
        return 1;
    int rc = 0;
    switch (bench_options_parse(argc, argv, &b->opt, stdout, stderr)) {
    case BENCH_OPTIONS_RUN:
        rc = run(b);
        break;
    case BENCH_OPTIONS_FREE_PORT:
        rc = print_free_port();
        break;
    case BENCH_OPTIONS_SELF_TEST: {
        int failures = bench_selftest();
        printf("lookout-bench self-test: %s\n", failures ? "FAILED" : "ok");
        rc = failures ? 1 : 0;
        break;
    }
    case BENCH_OPTIONS_EXIT_OK:
        rc = 0;
        break;
    case BENCH_OPTIONS_EXIT_USAGE:
        rc = 2;
        break;
    }
    free(b);
    return rc;
}
