/* Unit tests for node/linux/cam_options: defaults, both flag forms, one-line errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

/* node/linux/ is not on the include path; -Inode is. */
#include "linux/cam_options.h"

struct run {
    enum cam_options_result result;
    struct cam_options opts;
    char out[2048];
    char err[256];
};

/* Parse a NULL-terminated argument list (argv[0] is added), capturing both streams. */
static void parse(struct run *r, const char *first, ...)
{
    char *argv[32] = {"lookout-cam"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    memset(r, 0, sizeof(*r));
    FILE *out = fmemopen(r->out, sizeof(r->out) - 1, "w");
    FILE *err = fmemopen(r->err, sizeof(r->err) - 1, "w");
    assert_non_null(out);
    assert_non_null(err);
    r->result = cam_options_parse(argc, argv, &r->opts, out, err);
    fclose(out);
    fclose(err);
}

static void expect_usage(const char *flag, const char *value, const char *want_err)
{
    struct run r;
    parse(&r, flag, value, NULL);
    assert_int_equal(r.result, CAM_OPTIONS_EXIT_USAGE);
    assert_string_equal(r.err, want_err);
}

static void test_cam_options_defaults(void **state)
{
    (void)state;
    struct run r;
    parse(&r, NULL);
    assert_int_equal(r.result, CAM_OPTIONS_RUN);
    assert_string_equal(r.opts.bind_addr, "127.0.0.1");
    assert_int_equal(r.opts.stream_port, 8080);
    assert_int_equal(r.opts.control_port, 8081);
    assert_int_equal(r.opts.width, 640);
    assert_int_equal(r.opts.height, 480);
    assert_int_equal(r.opts.fps, 15);
    assert_int_equal(r.opts.quality, 80);
    assert_int_equal(r.opts.max_clients, 2);
    assert_int_equal(r.opts.log_level, LOG_LEVEL_INFO);
}

static void test_cam_options_both_forms(void **state)
{
    (void)state;
    struct run r;
    parse(&r, "--bind", "::1", "--stream-port=0", "--control-port", "0", "--size", "800x600",
          "--fps=30", "--quality", "55", "--max-clients", "5", "--log-level=debug", NULL);
    assert_int_equal(r.result, CAM_OPTIONS_RUN);
    assert_string_equal(r.opts.bind_addr, "::1");
    assert_int_equal(r.opts.stream_port, 0);
    assert_int_equal(r.opts.control_port, 0);
    assert_int_equal(r.opts.width, 800);
    assert_int_equal(r.opts.height, 600);
    assert_int_equal(r.opts.fps, 30);
    assert_int_equal(r.opts.quality, 55);
    assert_int_equal(r.opts.max_clients, 5);
    assert_int_equal(r.opts.log_level, LOG_LEVEL_DEBUG);
}

static void test_cam_options_bad_values_name_the_flag(void **state)
{
    (void)state;
    expect_usage("--fps", "0",
                 "lookout-cam: --fps: expected an integer 1..60, got \"0\" "
                 "(see --help)\n");
    expect_usage("--quality", "101",
                 "lookout-cam: --quality: expected an integer 1..100, got "
                 "\"101\" (see --help)\n");
    expect_usage("--stream-port", "65536",
                 "lookout-cam: --stream-port: expected a port "
                 "0..65535, got \"65536\" (see --help)\n");
    expect_usage("--control-port", "-1",
                 "lookout-cam: --control-port: expected a port "
                 "0..65535, got \"-1\" (see --help)\n");
    expect_usage("--size", "640x",
                 "lookout-cam: --size: expected WxH with each side 16..4096, "
                 "got \"640x\" (see --help)\n");
    expect_usage("--size", "8x8",
                 "lookout-cam: --size: expected WxH with each side 16..4096, "
                 "got \"8x8\" (see --help)\n");
    expect_usage("--bind", "localhost",
                 "lookout-cam: --bind: expected an IPv4 or IPv6 "
                 "address, got \"localhost\" (see --help)\n");
    expect_usage("--max-clients", "0",
                 "lookout-cam: --max-clients: expected an integer "
                 "1..100, got \"0\" (see --help)\n");
    expect_usage("--log-level", "loud",
                 "lookout-cam: --log-level: expected error, warn, info "
                 "or debug, got \"loud\" (see --help)\n");
    expect_usage("--fps", "15x",
                 "lookout-cam: --fps: expected an integer 1..60, got \"15x\" "
                 "(see --help)\n");
    expect_usage("--fps", NULL,
                 "lookout-cam: --fps: expected an integer 1..60, got \"\" "
                 "(see --help)\n");
}

static void test_cam_options_unknown_flag(void **state)
{
    (void)state;
    expect_usage("--zoom", "2", "lookout-cam: unknown flag --zoom (see --help)\n");
    expect_usage("stray", NULL, "lookout-cam: unknown argument \"stray\" (see --help)\n");
}

static void test_cam_options_same_ports_rejected(void **state)
{
    (void)state;
    struct run r;
    parse(&r, "--stream-port", "9000", "--control-port", "9000", NULL);
    assert_int_equal(r.result, CAM_OPTIONS_EXIT_USAGE);
    assert_string_equal(r.err, "lookout-cam: --control-port: must differ from --stream-port "
                               "(9000)\n");
    parse(&r, "--stream-port", "0", "--control-port", "0", NULL);
    assert_int_equal(r.result, CAM_OPTIONS_RUN);
}

static void test_cam_options_help_and_version(void **state)
{
    (void)state;
    struct run r;
    parse(&r, "--help", NULL);
    assert_int_equal(r.result, CAM_OPTIONS_EXIT_OK);
    assert_non_null(strstr(r.out, "--max-clients N"));
    assert_string_equal(r.err, "");
    parse(&r, "--version", NULL);
    assert_int_equal(r.result, CAM_OPTIONS_EXIT_OK);
    assert_string_equal(r.out, "lookout-cam " CAM_VERSION "\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cam_options_defaults),
        cmocka_unit_test(test_cam_options_both_forms),
        cmocka_unit_test(test_cam_options_bad_values_name_the_flag),
        cmocka_unit_test(test_cam_options_unknown_flag),
        cmocka_unit_test(test_cam_options_same_ports_rejected),
        cmocka_unit_test(test_cam_options_help_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
