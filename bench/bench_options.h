#pragma once
/*
 * bench_options: lookout-bench's command line.
 */
#include <stdio.h>
#include <sys/types.h>

/* Most viewers one run opens, in all. */
#define BENCH_MAX_VIEWERS 60000

/* The parsed command line. Plain value type the parser fills. */
struct bench_options {
    const char *url; /* borrowed from argv */
    unsigned fast, slow, stalled;
    unsigned slow_rate_bytes_per_s;
    unsigned slow_rcvbuf_bytes; /* 0: the kernel's default */
    const char *move_url;       /* NULL: no moves; else the URL prefix the angle is appended to */
    int is_move_post;
    double move_every_s;
    double warmup_s, duration_s;
    pid_t server_pid; /* 0: no server to sample */
    int is_one_source;
    int is_kv;
};

enum bench_options_result {
    BENCH_OPTIONS_RUN,        /* *out is filled: run the load */
    BENCH_OPTIONS_FREE_PORT,  /* --free-port */
    BENCH_OPTIONS_SELF_TEST,  /* --self-test */
    BENCH_OPTIONS_EXIT_OK,    /* --help was printed to out */
    BENCH_OPTIONS_EXIT_USAGE, /* a bad command line; the reason was printed to err */
};

/* Parse argv into *out (defaults for what is not given). Returns enum bench_options_result. */
enum bench_options_result bench_options_parse(int argc, char **argv, struct bench_options *out,
                                              FILE *out_stream, FILE *err_stream);
