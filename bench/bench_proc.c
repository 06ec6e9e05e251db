#include "bench_proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a small /proc file into buf, NUL-terminated. Returns its length or a negative errno. */
static long read_small_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -errno;
    size_t n = fread(buf, 1, size - 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return -EIO;
    buf[n] = '\0';
    return (long)n;
}

int bench_proc_cpu_us(pid_t pid, int64_t *cpu_us)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    long n = read_small_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    /* The command name (field 2) may hold spaces and ')': fields are counted after the last ')'.
     * Then come state (3) ... utime (14) and stime (15), see proc(5). */
    const char *p = strrchr(buf, ')');
    if (p == NULL)
        return -EPROTO;
    p++;
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    while (*p != '\0' && field < 15) {
        while (*p == ' ')
            p++;
        field++;
        unsigned long long v = strtoull(p, NULL, 10);
        if (field == 14)
            utime = v;
        else if (field == 15)
            stime = v;
        p = strchr(p, ' ');
        if (p == NULL)
            break;
    }
    if (field < 15)
        return -EPROTO;
    long ticks = sysconf(_SC_CLK_TCK);
    if (ticks <= 0)
        return -EPROTO;
    *cpu_us = (int64_t)((utime + stime) * 1000000ull / (unsigned long long)ticks);
    return 0;
}

int bench_proc_rss_kb(pid_t pid, long *rss_kb)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    long n = read_small_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    const char *line = strstr(buf, "\nVmRSS:");
    if (line == NULL)
        return -EPROTO; /* a zombie has no memory lines */
    *rss_kb = strtol(line + strlen("\nVmRSS:"), NULL, 10);
    return 0;
}
