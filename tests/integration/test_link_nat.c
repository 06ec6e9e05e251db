/*
 * The node behind NAT, in network namespaces of the test's own (CI runs as root): nothing can
 * connect to the node, and the whole system still works because the node dials out.
 *
 *   home (lookout-cam)        router (NAT)                      vps (lookout)
 *   10.77.1.2 ──veth── 10.77.1.1 | 10.77.2.1 ──veth── 10.77.2.2
 *   default via .1.1          MASQUERADE out of the vps side;   no route to 10.77.1.0/24
 *                             new connections in are dropped
 *
 * The addresses exist only inside these namespaces; the host's own network is not touched. The
 * checks run inside the vps namespace (ip netns exec ... curl): the relay sees the node coming
 * from the router's address (NAT), a viewer gets a JPEG and a move turns the node, and the node
 * cannot be reached from the vps side even with a route to it. Skipped, with the reason, where
 * namespaces cannot be made (not root, no ip/iptables/curl, a sandbox without CAP_NET_ADMIN).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/proc.h"
#include "../support/run.h"
#include "../support/stack.h"
#include "../support/tmpdir.h"

#define TOKEN "9b2e61c0d4f84a7e8c3b5d6f1a2e4c7b"
#define STARTUP_TIMEOUT_MS 10000
#define LINK_TIMEOUT_MS 15000
#define CMD_TIMEOUT_MS 10000

struct nat {
    char *dir;
    char home[32], router[32], vps[32]; /* namespace names, unique to this run */
    int has_namespaces;
    char ip[256], iptables[256], curl[256], sysctl[256];
    char relay_log[512], cam_log[512], cmd_log[512];
    pid_t relay_pid, cam_pid;
    uint16_t relay_port;
};

/* Run argv (argv[0] a path); its output goes to the command log. Returns the exit code. */
static int run(struct nat *n, char *const argv[])
{
    return ts_run(argv, NULL, n->cmd_log, CMD_TIMEOUT_MS);
}

/* [ip netns exec NS] WORDS: IP, IPTABLES and SYSCTL stand for the tools' paths. */
static int ip_cmd(struct nat *n, const char *ns, const char *words)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", words);
    char *argv[24];
    int k = 0;
    if (ns != NULL) {
        argv[k++] = n->ip;
        argv[k++] = "netns";
        argv[k++] = "exec";
        argv[k++] = (char *)ns;
    }
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w != NULL && k < 22;
         w = strtok_r(NULL, " ", &save))
        argv[k++] = strcmp(w, "IP") == 0         ? n->ip
                    : strcmp(w, "IPTABLES") == 0 ? n->iptables
                    : strcmp(w, "SYSCTL") == 0   ? n->sysctl
                                                 : w;
    argv[k] = NULL;
    return run(n, argv);
}

static void delete_namespaces(struct nat *n)
{
    const char *names[] = {n->home, n->router, n->vps};
    for (int i = 0; i < 3; i++) {
        if (names[i][0] == '\0')
            continue;
        char *argv[] = {n->ip, "netns", "del", (char *)names[i], NULL};
        run(n, argv);
    }
}

/* The three namespaces, the two links, the routes and the router's NAT. Returns 0 or -1. */
static int make_network(struct nat *n)
{
    int pid = (int)getpid();
    snprintf(n->home, sizeof(n->home), "lkhome%d", pid);
    snprintf(n->router, sizeof(n->router), "lkrtr%d", pid);
    snprintf(n->vps, sizeof(n->vps), "lkvps%d", pid);
    char cmd[400];
    const char *spaces[] = {n->home, n->router, n->vps};
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof(cmd), "IP netns add %s", spaces[i]);
        if (ip_cmd(n, NULL, cmd) != 0)
            return -1;
    }
    /* veth pairs made inside the router namespace, one end moved to each neighbour. */
    snprintf(cmd, sizeof(cmd), "IP link add rh type veth peer name hr netns %s", n->home);
    if (ip_cmd(n, n->router, cmd) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "IP link add rv type veth peer name vr netns %s", n->vps);
    if (ip_cmd(n, n->router, cmd) != 0)
        return -1;
    const char *steps[][2] = {
        {n->router, "IP addr add 10.77.1.1/24 dev rh"},
        {n->router, "IP addr add 10.77.2.1/24 dev rv"},
        {n->router, "IP link set rh up"},
        {n->router, "IP link set rv up"},
        {n->router, "IP link set lo up"},
        {n->router, "SYSCTL -q -w net.ipv4.ip_forward=1"},
        {n->router, "IPTABLES -t nat -A POSTROUTING -o rv -j MASQUERADE"},
        {n->router, "IPTABLES -A FORWARD -i rv -o rh -m conntrack --ctstate ESTABLISHED,RELATED "
                    "-j ACCEPT"},
        {n->router, "IPTABLES -A FORWARD -i rv -o rh -j DROP"},
        {n->home, "IP addr add 10.77.1.2/24 dev hr"},
        {n->home, "IP link set hr up"},
        {n->home, "IP link set lo up"},
        {n->home, "IP route add default via 10.77.1.1"},
        {n->vps, "IP addr add 10.77.2.2/24 dev vr"},
        {n->vps, "IP link set vr up"},
        {n->vps, "IP link set lo up"},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (ip_cmd(n, steps[i][0], steps[i][1]) != 0) {
            fprintf(stderr, "link_nat: failed in %s: %s\n", steps[i][0], steps[i][1]);
            return -1;
        }
    }
    return 0;
}

static int group_teardown(void **state)
{
    struct nat *n = *state;
    if (n == NULL)
        return 0;
    ts_proc_stop_reporting("link_nat", &n->cam_pid, "lookout-cam", n->cam_log);
    ts_proc_stop_reporting("link_nat", &n->relay_pid, "lookout", n->relay_log);
    if (n->has_namespaces)
        delete_namespaces(n);
    ts_tmpdir_free(n->dir);
    free(n);
    return 0;
}

static int start_programs(struct nat *n)
{
    char token_path[512], env_path[512], env[1024], relay_bin[512], cam_bin[512], url[64];
    if (ts_file_write(n->dir, "token", TOKEN "\n", token_path, sizeof(token_path)) < 0)
        return -1;
    snprintf(env, sizeof(env),
             "HTTP_AUTH_USERNAME=alice\nHTTP_AUTH_PASSWORD=s3cret-pass\nNODE_TOKEN_FILE=%s\n"
             "PRESETS_FILE=%s/presets.txt\nUPSTREAM_IDLE_TIMEOUT_MS=0\n",
             token_path, n->dir);
    if (ts_file_write(n->dir, "lookout.env", env, env_path, sizeof(env_path)) < 0)
        return -1;
    snprintf(relay_bin, sizeof(relay_bin), "%s/lookout", ts_bin_dir());
    snprintf(cam_bin, sizeof(cam_bin), "%s/lookout-cam", ts_bin_dir());
    /* ip netns exec execs the program: the pid is the program's. */
    char *relay_argv[] = {n->ip,   "netns",  "exec",     n->vps,        relay_bin,
                          "--env", env_path, "--listen", "10.77.2.2:0", NULL};
    int port = ts_proc_start_port("link_nat", relay_argv, ts_stack_clean_env, n->relay_log,
                                  "listening on http://", STARTUP_TIMEOUT_MS, &n->relay_pid);
    if (port < 0)
        return -1;
    n->relay_port = (uint16_t)port;
    snprintf(url, sizeof(url), "http://10.77.2.2:%u/", (unsigned)port);
    char *cam_argv[] = {n->ip, "netns",        "exec",     n->home, cam_bin, "--relay",
                        url,   "--token-file", token_path, "--fps", "10",    NULL};
    n->cam_pid = ts_proc_spawn(cam_argv, ts_stack_clean_env, n->cam_log);
    return n->cam_pid > 0 ? 0 : -1;
}

static int group_setup(void **state)
{
    struct nat *n = calloc(1, sizeof(*n));
    *state = n;
    if (n == NULL || (n->dir = ts_tmpdir_new()) == NULL)
        return -1;
    snprintf(n->relay_log, sizeof(n->relay_log), "%s/lookout.log", n->dir);
    snprintf(n->cam_log, sizeof(n->cam_log), "%s/lookout-cam.log", n->dir);
    snprintf(n->cmd_log, sizeof(n->cmd_log), "%s/commands.log", n->dir);
    if (geteuid() != 0 || ts_which("ip", n->ip, sizeof(n->ip)) < 0 ||
        ts_which("iptables", n->iptables, sizeof(n->iptables)) < 0 ||
        ts_which("curl", n->curl, sizeof(n->curl)) < 0 ||
        ts_which("sysctl", n->sysctl, sizeof(n->sysctl)) < 0) {
        fprintf(stderr, "link_nat: SKIPPED: needs root, ip, iptables, sysctl and curl\n");
        return 0;
    }
    n->has_namespaces = 1;
    if (make_network(n) < 0) {
        fprintf(stderr, "link_nat: SKIPPED: cannot make network namespaces here (see %s)\n",
                n->cmd_log);
        ts_proc_print_log(n->cmd_log, 10);
        delete_namespaces(n);
        n->has_namespaces = 0;
        return 0;
    }
    if (start_programs(n) < 0)
        return -1;
    fprintf(stderr, "link_nat: relay 10.77.2.2:%u in %s, node in %s behind %s, logs in %s\n",
            (unsigned)n->relay_port, n->vps, n->home, n->router, n->dir);
    return 0;
}

/* curl inside the vps namespace; the body goes to out_path. Returns curl's exit code. */
static int curl_in_vps(struct nat *n, const char *method, const char *url, const char *out_path)
{
    char *argv[] = {n->ip,
                    "netns",
                    "exec",
                    n->vps,
                    n->curl,
                    "-s",
                    "-f",
                    "-m",
                    "5",
                    "-u",
                    "alice:s3cret-pass",
                    "-X",
                    (char *)method,
                    "-o",
                    (char *)out_path,
                    (char *)url,
                    NULL};
    return run(n, argv);
}

static void test_link_nat_node_behind_nat_works(void **state)
{
    struct nat *n = *state;
    if (!n->has_namespaces)
        skip();
    /* The relay sees the node coming from the router's outside address: NAT. */
    char line[512];
    assert_int_equal(ts_proc_wait_log(n->relay_log, "online (node link from", LINK_TIMEOUT_MS, line,
                                      sizeof(line)),
                     0);
    fprintf(stderr, "link_nat: %s\n", line);
    assert_non_null(strstr(line, "from 10.77.2.1:"));

    char url[128], out[600];
    snprintf(out, sizeof(out), "%s/snapshot.jpg", n->dir);
    snprintf(url, sizeof(url), "http://10.77.2.2:%u/snapshot.jpg", (unsigned)n->relay_port);
    assert_int_equal(curl_in_vps(n, "GET", url, out), 0);
    char *jpeg = ts_file_read(out, 4u << 20);
    assert_non_null(jpeg);
    assert_true((unsigned char)jpeg[0] == 0xFF && (unsigned char)jpeg[1] == 0xD8);
    free(jpeg);

    snprintf(url, sizeof(url), "http://10.77.2.2:%u/turnleft", (unsigned)n->relay_port);
    snprintf(out, sizeof(out), "%s/turnleft.json", n->dir);
    assert_int_equal(curl_in_vps(n, "POST", url, out), 0);
    char *json = ts_file_read(out, 4096);
    assert_non_null(json);
    fprintf(stderr, "link_nat: POST /turnleft -> %s", json);
    assert_non_null(strstr(json, "\"pan\":95"));
    free(json);
}

static void test_link_nat_nothing_reaches_the_node(void **state)
{
    struct nat *n = *state;
    if (!n->has_namespaces)
        skip();
    /* Give the vps a route to the home network: the router still drops new connections in,
     * and the node listens on nothing anyway. */
    assert_int_equal(ip_cmd(n, n->vps, "IP route add 10.77.1.0/24 via 10.77.2.1"), 0);
    char *argv[] = {
        n->ip, "netns", "exec", n->vps, n->curl, "-s", "-m", "2", "http://10.77.1.2:8080/mjpeg",
        NULL};
    int rc = run(n, argv);
    fprintf(stderr, "link_nat: curl from the vps to the node: exit %d (28: timed out)\n", rc);
    assert_true(rc != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_nat_node_behind_nat_works),
        cmocka_unit_test(test_link_nat_nothing_reaches_the_node),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
