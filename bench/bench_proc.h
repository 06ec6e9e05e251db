#pragma once
/*
 * bench_proc: what a server process costs, read from Linux's /proc while the load runs.
 * Covers every thread of the process (VLC and motion are multi-threaded; the relay is not).
 */
#include <stdint.h>
#include <sys/types.h>

/*
 * CPU time the process has used so far (utime + stime of /proc/PID/stat), in microseconds.
 * Returns 0, or a negative errno (-ENOENT when the process is gone, -EPROTO if unparsable).
 */
int bench_proc_cpu_us(pid_t pid, int64_t *cpu_us);

/*
 * Resident set size now (VmRSS of /proc/PID/status), in KiB. The kernel's peak (VmHWM) covers
 * the process's whole life, so the caller samples this and keeps the maximum of one run.
 * Returns 0, or a negative errno as above.
 */
int bench_proc_rss_kb(pid_t pid, long *rss_kb);
