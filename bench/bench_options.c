#include "bench_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

static const char usage_text[] =
    "usage: lookout-bench [options] URL\n"
    "       lookout-bench --free-port | --self-test\n"
    "Load generator for an MJPEG stream on loopback: N concurrent viewers, then per-viewer fps,\n"
    "frames lost, added latency and throughput, and the server's CPU and RSS.\n"
    "\n"
    "  URL                http://HOST:PORT/path (HTTP Basic: http://USER:PASS@HOST:PORT/path,\n"
    "                     or LOOKOUT_BENCH_AUTH=USER:PASS in the environment)\n"
    "  --viewers N        viewers reading as fast as they can (default 1)\n"
    "  --slow N           viewers reading at --slow-rate (default 0)\n"
    "  --slow-rate BYTES  bytes per second a slow viewer reads (default 10240)\n"
    "  --slow-rcvbuf B    SO_RCVBUF of each slow viewer, set before connecting (default: the\n"
    "                     kernel's, which grows); slow viewers then report frame age\n"
    "  --stalled N        viewers that read the response head, then nothing (default 0)\n"
    "  --move-url URL     from the window's start, every --move-every seconds, request URL\n"
    "                     followed by 90 or 95 (e.g. http://H:P/api/move?pan=) and time each\n"
    "                     viewer's first frame taken at that pan (X-Pan or the camera's stamp)\n"
    "  --move-post        send the moves as POST (default GET)\n"
    "  --move-every S     seconds between moves (default 2)\n"
    "  --warmup S         seconds before measuring; connections open during it (default 3)\n"
    "  --duration S       seconds measured (default 8)\n"
    "  --server-pid PID   sample this process's CPU time and RSS during the run\n"
    "  --one-source       connect every viewer from 127.0.0.1 (default: each viewer from its\n"
    "                     own 127.1.x.y, as distinct clients would, when HOST is 127.x)\n"
    "  --kv               print one line of key=value results (bench/run reads it)\n"
    "  --free-port        print a free TCP port on 127.0.0.1 and exit\n"
    "  --self-test        check the generator's own HTTP and statistics code and exit\n"
    "  --help             this text\n";

/* Strict unsigned decimal in [lo, hi]. */
static int parse_unsigned(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, double lo, double hi, double *out)
{
    if (s == NULL || *s == '\0')
        return -EINVAL;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || !(v >= lo && v <= hi))
        return -EINVAL;
    *out = v;
    return 0;
}

enum bench_options_result bench_options_parse(int argc, char **argv, struct bench_options *o,
                                              FILE *out_stream, FILE *err_stream)
{
    static const struct option longopts[] = {
        {"viewers", required_argument, NULL, 'n'},
        {"slow", required_argument, NULL, 's'},
        {"slow-rate", required_argument, NULL, 'r'},
        {"stalled", required_argument, NULL, 'S'},
        {"slow-rcvbuf", required_argument, NULL, 'b'},
        {"move-url", required_argument, NULL, 'm'},
        {"move-post", no_argument, NULL, 'P'},
        {"move-every", required_argument, NULL, 'e'},
        {"warmup", required_argument, NULL, 'w'},
        {"duration", required_argument, NULL, 'd'},
        {"server-pid", required_argument, NULL, 'p'},
        {"one-source", no_argument, NULL, '1'},
        {"kv", no_argument, NULL, 'k'},
        {"free-port", no_argument, NULL, 'F'},
        {"self-test", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct bench_options){.fast = 1,
                                .slow_rate_bytes_per_s = 10240,
                                .warmup_s = 3.0,
                                .duration_s = 8.0,
                                .move_every_s = 2.0};
    int c;
    unsigned long n;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'n':
            rc = parse_unsigned(optarg, 0, BENCH_MAX_VIEWERS, &n);
            o->fast = (unsigned)n;
            break;
        case 's':
            rc = parse_unsigned(optarg, 0, BENCH_MAX_VIEWERS, &n);
            o->slow = (unsigned)n;
            break;
        case 'S':
            rc = parse_unsigned(optarg, 0, BENCH_MAX_VIEWERS, &n);
            o->stalled = (unsigned)n;
            break;
        case 'r':
            rc = parse_unsigned(optarg, 1, 1u << 30, &n);
            o->slow_rate_bytes_per_s = (unsigned)n;
            break;
        case 'w':
            rc = parse_seconds(optarg, 0.0, 600.0, &o->warmup_s);
            break;
        case 'b':
            rc = parse_unsigned(optarg, 1024, 1u << 26, &n);
            o->slow_rcvbuf_bytes = (unsigned)n;
            break;
        case 'm':
            o->move_url = optarg;
            break;
        case 'P':
            o->is_move_post = 1;
            break;
        case 'e':
            rc = parse_seconds(optarg, 0.1, 600.0, &o->move_every_s);
            break;
        case 'd':
            rc = parse_seconds(optarg, 0.1, 3600.0, &o->duration_s);
            break;
        case 'p':
            rc = parse_unsigned(optarg, 1, 1ul << 22, &n);
            o->server_pid = (pid_t)n;
            break;
        case '1':
            o->is_one_source = 1;
            break;
        case 'k':
            o->is_kv = 1;
            break;
        case 'F':
            return BENCH_OPTIONS_FREE_PORT;
        case 'T':
            return BENCH_OPTIONS_SELF_TEST;
        case 'h':
            fputs(usage_text, out_stream);
            return BENCH_OPTIONS_EXIT_OK;
        default:
            fputs(usage_text, err_stream);
            return BENCH_OPTIONS_EXIT_USAGE;
        }
        if (rc < 0) {
            fprintf(err_stream, "lookout-bench: bad value \"%s\" (see --help)\n", optarg);
            return BENCH_OPTIONS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs("lookout-bench: expected one URL (see --help)\n", err_stream);
        return BENCH_OPTIONS_EXIT_USAGE;
    }
    o->url = argv[optind];
    if ((unsigned long)o->fast + o->slow + o->stalled == 0 ||
        (unsigned long)o->fast + o->slow + o->stalled > BENCH_MAX_VIEWERS) {
        fprintf(err_stream, "lookout-bench: between 1 and %u viewers in all\n", BENCH_MAX_VIEWERS);
        return BENCH_OPTIONS_EXIT_USAGE;
    }
    return BENCH_OPTIONS_RUN;
}
