#pragma once
/*
 * stack: the simulated camera (lookout-cam) and a relay (lookout) in front of it, on loopback
 * ports the programs pick themselves, for integration tests that need a running system but
 * are not about the frame path (deployment, tools).
 *
 * Binaries come from $LOOKOUT_BIN_DIR (default "build"). The relay reads a .env written into the
 * test's directory with the original project's four keys plus any extra lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TS_STACK_USER "alice"
#define TS_STACK_PASSWORD "s3cret-pass"

/* A running stack. Plain value type filled by ts_stack_start; stop with ts_stack_stop. */
struct ts_stack {
    char cam_log[512];
    char relay_log[512];
    unsigned relay_starts; /* ts_stack_restart_relay counts here */
    char env_path[512];    /* the relay's .env */
    pid_t cam_pid;         /* 0 once stopped */
    pid_t relay_pid;
    uint16_t stream_port; /* the camera's */
    uint16_t control_port;
    uint16_t relay_port;
    char auth[256]; /* "Authorization: Basic ...\r\n" for TS_STACK_USER */
};

/* The directory the binaries are in ($LOOKOUT_BIN_DIR or "build"). Borrowed. */
const char *ts_bin_dir(void);

/*
 * Start the camera (at `fps`) and a relay in directory dir (logs and .env go there), the relay
 * with extra_env_lines (NULL, or "KEY=VALUE\n" lines) appended to its .env. Waits for both to
 * log their ports. Returns 0; on failure prints why (and the logs), stops what started, and
 * returns a negative errno.
 */
int ts_stack_start(struct ts_stack *s, const char *dir, unsigned fps, const char *extra_env_lines);

/*
 * Stop the relay (SIGTERM; it must exit 0) and start it again with the same .env, logging to a
 * new file (relay_log becomes lookout.N.log) and on a new port (relay_port). The camera keeps
 * running. Returns 0, or a negative errno after printing why.
 */
int ts_stack_restart_relay(struct ts_stack *s);

/*
 * Stop the relay, then the camera (SIGTERM, as systemd would). Returns 0 if both exited 0,
 * else the first non-zero exit code (and prints that program's log). Safe to call twice.
 */
int ts_stack_stop(struct ts_stack *s);

/* For ts_proc_spawn's extra_env: the relay's settings and systemd's socket-activation and
 * notify variables removed, so the caller's own environment cannot override the test's file. */
extern char *const ts_stack_clean_env[];
