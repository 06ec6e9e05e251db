#pragma once
/*
 * proc: start the programs under test, watch their logs, and stop them.
 *
 * Each child runs in its own process group with stdout and stderr appended to a log file, and
 * gets SIGTERM if the test process dies first (PR_SET_PDEATHSIG), so a crashed test leaves
 * nothing behind. Tests still stop every child they start with ts_proc_stop, by pid, in their
 * cmocka teardown so that an assertion failure cannot skip it.
 * Every call is bounded by its timeout. Not thread-safe (uses fork).
 */
#include <stddef.h>
#include <sys/types.h>

/*
 * Start argv[0] (a path; no PATH search) with arguments argv (NULL-terminated), the current
 * environment changed by extra_env (NULL, or NULL-terminated strings: "KEY=VALUE" sets KEY,
 * a bare "KEY" removes it, so a variable of the caller's cannot leak into a test),
 * stdin from /dev/null, and stdout+stderr appended to log_path (created if needed).
 * Returns the child's pid, or a negative errno: -ENOENT/-EACCES if argv[0] cannot be executed
 * (reported by the child before it would have run), or a fork/open error.
 */
pid_t ts_proc_spawn(char *const argv[], char *const extra_env[], const char *log_path);

/*
 * Poll log_path (every 20 ms) until a complete line contains `needle`, for at most timeout_ms.
 * Copies that line, without its newline and truncated to fit, into line_out (NUL-terminated) if
 * line_out is not NULL. The first matching line in the file wins.
 * Returns 0, or -ETIMEDOUT.
 */
int ts_proc_wait_log(const char *log_path, const char *needle, int timeout_ms, char *line_out,
                     size_t line_cap);

/*
 * Wait as ts_proc_wait_log for a line containing `prefix` followed by "HOST:PORT", as in
 * "... stream listening on http://127.0.0.1:40123/" with prefix "stream listening on http://".
 * Returns the port (1..65535), -ETIMEDOUT, or -EPROTO if the line holds no valid port.
 */
int ts_proc_log_port(const char *log_path, const char *prefix, int timeout_ms);

/*
 * Stop the child `pid` started by ts_proc_spawn: SIGTERM to its process group, wait up to 5 s,
 * then SIGKILL, and reap it. Returns its exit code if it exited (0..255), 128 + the signal number
 * if a signal killed it (as a shell reports it), or a negative errno (-ECHILD: not our child).
 */
int ts_proc_stop(pid_t pid);

/* Copy the last `max_lines` lines of log_path to stderr, each prefixed with "| ", for diagnosis. */
void ts_proc_print_log(const char *log_path, int max_lines);

/*
 * Spawn argv (as ts_proc_spawn, with extra_env) and wait up to timeout_ms for its
 * "<prefix>HOST:PORT" log line. Stores the pid in *pid (0 if the spawn failed). Returns the port,
 * or a negative errno after printing why (and the log) to stderr, each line tagged with `who`.
 */
int ts_proc_start_port(const char *who, char *const argv[], char *const extra_env[],
                       const char *log_path, const char *prefix, int timeout_ms, pid_t *pid);

/*
 * Stop *pid (if > 0) with ts_proc_stop and set it to 0. A non-zero exit is reported on stderr
 * with the last lines of log_path. Returns the exit code (0: clean, also no leaks under ASan).
 */
int ts_proc_stop_reporting(const char *who, pid_t *pid, const char *name, const char *log_path);
