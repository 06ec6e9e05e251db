#pragma once
/*
 * run: run outside tools to completion (nginx -t, promtool, ffprobe, systemd-analyze, the relay's
 * own --check-config) and read what they wrote, for integration tests.
 *
 * Built on proc.h: the child runs in its own process group with stdin from /dev/null and
 * stdout+stderr appended to a log file, and is killed if it outlives its timeout.
 */
#include <stddef.h>
#include <stdint.h>

/*
 * Find `name` in $PATH (then /usr/sbin and /sbin, where Debian keeps nginx) and store its full
 * path in out. Returns 0, -ENOENT if it is nowhere, or -ENOSPC.
 */
int ts_which(const char *name, char *out, size_t out_size);

/*
 * Start argv (argv[0] a path, as ts_proc_spawn) with extra_env, output appended to log_path,
 * and wait for it to exit, at most timeout_ms; then it is stopped (ts_proc_stop).
 * Returns its exit code (0..255, or 128 + signal), -ETIMEDOUT if it had to be stopped, or a
 * negative errno from ts_proc_spawn.
 */
int ts_run(char *const argv[], char *const extra_env[], const char *log_path, int timeout_ms);

/*
 * Read the whole file at path (at most max_bytes) into a new NUL-terminated buffer. The caller
 * frees it. Returns NULL with errno set (EFBIG if larger than max_bytes).
 */
char *ts_file_read(const char *path, size_t max_bytes);

/*
 * A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, closed), for
 * programs that cannot report the port they picked (nginx). Returns the port or a negative
 * errno. Another process could take it in between; on loopback in a test run it does not.
 */
int ts_free_port(void);
