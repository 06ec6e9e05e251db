#pragma once
/*
 * bench_move: the steering half of the move-to-picture measurement. Every period it asks the
 * server (or the camera) to pan to the other of two angles and notes when it asked; each viewer
 * then times its first frame taken at the new angle (bench_viewer).
 *
 * Requests go out with libevent's HTTP client on the run's loop: METHOD url_prefix<degrees>,
 * e.g. POST http://127.0.0.1:5000/api/move?pan= + "95".
 */
#include <stdint.h>

struct event_base;
struct bench_mover;

/* The move in progress, read by the viewers. Plain value type. */
struct bench_move_state {
    unsigned id;     /* 0 before the first move; one more for each move */
    int64_t sent_us; /* CLOCK_MONOTONIC when the request was sent */
    int pan_mdeg;    /* the angle asked for */
    unsigned failed; /* requests that got no 200 */
};

/*
 * Start moving on `base` (borrowed): the first request after first_delay_s, then one every
 * period_s, alternating between pan_a_deg and pan_b_deg. url_prefix and authorization (NULL, or
 * a complete "Basic ..." value) are copied. Returns NULL for a bad URL or out of memory.
 */
struct bench_mover *bench_mover_new(struct event_base *base, const char *url_prefix, int is_post,
                                    const char *authorization, double first_delay_s,
                                    double period_s, int pan_a_deg, int pan_b_deg);

/* The current move (borrowed; valid until bench_mover_free). */
const struct bench_move_state *bench_mover_state(const struct bench_mover *m);

/* Stop and free. NULL is a no-op. */
void bench_mover_free(struct bench_mover *m);
