#pragma once
/*
 * bench_viewer: one viewer of an MJPEG stream, for the load generator.
 *
 * A non-blocking socket watched by the caller's libevent loop: it sends one GET, reads the
 * response with large recv() calls into the run's shared buffer (bench_http.h says why not
 * evhttp), removes chunked framing if the server uses it (motion does; VLC and the relay send
 * the body until close) and feeds the body to core/mjpeg_parser. Each part is timed when the
 * read that completed it returns, and counted if that moment falls inside the run's measurement
 * window. When the stream carries them (the relay's
 * does), X-Frame-Seq gaps count as lost frames and X-Timestamp, the relay's CLOCK_MONOTONIC
 * receipt of the frame from the camera, gives the latency the relay adds up to this viewer's
 * read: both clocks are the same machine's CLOCK_MONOTONIC, so they compare directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bench_hist;
struct bench_move_state;
struct event_base;
struct bench_viewer;

enum bench_viewer_mode {
    BENCH_VIEWER_FAST,    /* reads as fast as the loop allows */
    BENCH_VIEWER_SLOW,    /* reads at rate_bytes_per_s (libevent's token-bucket rate limit) */
    BENCH_VIEWER_STALLED, /* reads the response head, then nothing, with a tiny receive buffer */
};

/* A sum and a count per half of the measurement window. Plain value type. */
struct bench_halves {
    double sum_ms[2];
    uint64_t n[2];
};

/*
 * What every viewer of one run shares. Plain value type filled by the caller and borrowed by
 * each viewer, so it must outlive them; latency is written to, from the loop's thread only.
 */
struct bench_target {
    const struct sockaddr *addr; /* the server */
    socklen_t addr_len;
    const char *host_header;   /* value of the Host header */
    const char *path;          /* path and query to GET */
    const char *authorization; /* a complete "Basic ..." value, or NULL */
    uint8_t *read_buf;         /* scratch for every viewer's reads (one thread, one loop) */
    size_t read_buf_size;
    size_t max_frame_bytes;  /* larger parts are dropped by the parser and counted as errors */
    int64_t window_start_us; /* CLOCK_MONOTONIC bounds of the measurement window */
    int64_t window_end_us;
    struct bench_hist *latency; /* receives added-latency samples from inside the window */
    /* Constrained viewers (BENCH_VIEWER_SLOW): the receive buffer they ask for before
     * connecting (0: the kernel's default, which grows), and the age of each frame they
     * complete inside the window, from the relay's X-Timestamp and from the camera's stamp
     * (bench_stamp.h); slow_age_halves sums the latter per half of the window: is it growing? */
    int slow_rcvbuf_bytes;
    struct bench_hist *slow_age_relay;
    struct bench_hist *slow_age_source;
    struct bench_halves *slow_age_halves;
    /* Move-to-picture: NULL, or the mover's state; each viewer times its first frame taken at
     * the angle of each move sent inside the window (X-Pan, else the camera's stamp). */
    const struct bench_move_state *move;
    struct bench_hist *move_fast;
    struct bench_hist *move_slow;
};

/* One viewer's figures. Plain value type. */
struct bench_viewer_stats {
    int status;            /* HTTP status of the response, 0 before it arrived */
    int is_streaming;      /* the response was a multipart stream and has not ended */
    int has_seq;           /* parts carried X-Frame-Seq */
    int has_timestamp;     /* parts carried X-Timestamp */
    int has_pan;           /* parts carried X-Pan */
    int has_stamp;         /* JPEGs carried lookout-cam's source stamp */
    uint64_t frames;       /* parts completed inside the window */
    uint64_t bytes;        /* body bytes read inside the window */
    uint64_t lost;         /* frames missing between consecutive X-Frame-Seq inside the window */
    uint64_t frames_total; /* parts completed since the start */
    uint64_t part_errors;  /* parts the parser dropped (too big, bad headers) */
    const char *failure;   /* NULL, or why the stream failed or ended (static string) */
};

/*
 * Start one viewer: connect (from source_addr when not NULL, a numeric IPv4 address, so that
 * a per-address viewer cap in the server sees distinct clients) and send GET target->path.
 * rate_bytes_per_s (and target->slow_rcvbuf_bytes) are used by BENCH_VIEWER_SLOW only. `base` and
 * `target` are borrowed and must outlive the viewer. Returns a new viewer (free with
 * bench_viewer_free) or NULL when out of memory; a failure to connect or to stream shows in the
 * stats.
 */
struct bench_viewer *bench_viewer_new(struct event_base *base, const struct bench_target *target,
                                      enum bench_viewer_mode mode, unsigned rate_bytes_per_s,
                                      const char *source_addr);

/* Close the connection and free the viewer. bench_viewer_free(NULL) is a no-op. */
void bench_viewer_free(struct bench_viewer *v);

/* The viewer's mode, as given to bench_viewer_new. */
enum bench_viewer_mode bench_viewer_mode(const struct bench_viewer *v);

/* Copy the viewer's figures so far into *out. */
void bench_viewer_get_stats(const struct bench_viewer *v, struct bench_viewer_stats *out);
