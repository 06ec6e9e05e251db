#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_INTERVAL_MS 20
#define STOP_GRACE_MS 5000
#define MAX_ENV 512

extern char **environ;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Does the environment entry "KEY=value" have the name given by spec ("KEY=..." or "KEY")? */
static int same_key(const char *entry, const char *spec)
{
    while (*entry && *entry != '=' && *entry == *spec) {
        entry++;
        spec++;
    }
    return *entry == '=' && (*spec == '=' || *spec == '\0');
}

/*
 * Build the child's environment before fork: after fork only async-signal-safe calls are
 * allowed, and setenv allocates. "KEY=value" in extra replaces KEY; a bare "KEY" removes it.
 */
static int build_env(char *const extra[], char **env, size_t cap)
{
    size_t n = 0;
    for (char **e = environ; *e != NULL; e++) {
        int is_overridden = 0;
        for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
            is_overridden |= same_key(*e, extra[i]);
        if (is_overridden)
            continue;
        if (n + 1 >= cap)
            return -E2BIG;
        env[n++] = *e;
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        if (strchr(extra[i], '=') == NULL)
            continue; /* an unset: done by skipping it above */
        if (n + 1 >= cap)
            return -E2BIG;
        env[n++] = extra[i];
    }
    env[n] = NULL;
    return 0;
}

/* In the child: never returns. Reports an exec failure's errno through report_fd. */
static void exec_child(char *const argv[], char **env, int log_fd, int report_fd, pid_t parent)
{
    int err = ESRCH;
    (void)setpgid(0, 0); /* the parent does it too; one of the two is enough */
    /* Die with the test: a crashed or killed test run must not leave servers listening. */
    int null_fd = -1;
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
        /* the parent is already gone: err stays ESRCH */
    } else if ((null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
               dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
               dup2(log_fd, STDERR_FILENO) < 0) {
        err = errno;
    } else {
        execve(argv[0], argv, env);
        err = errno;
    }
    ssize_t ignored = write(report_fd, &err, sizeof(err));
    (void)ignored; /* nothing left to tell anyone if this fails */
    _exit(127);
}

pid_t ts_proc_spawn(char *const argv[], char *const extra_env[], const char *log_path)
{
    char **env = calloc(MAX_ENV, sizeof(*env));
    if (env == NULL)
        return -ENOMEM;
    int rc = build_env(extra_env, env, MAX_ENV);
    if (rc < 0) {
        free(env);
        return rc;
    }
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        rc = -errno;
        free(env);
        return rc;
    }
    /* A close-on-exec pipe: it closes with no data if execve worked, or carries its errno. */
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        rc = -errno;
        close(log_fd);
        free(env);
        return rc;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(argv, env, log_fd, report[1], parent);
    rc = pid < 0 ? -errno : 0;
    close(report[1]);
    close(log_fd);
    free(env);
    if (rc < 0) {
        close(report[0]);
        return rc;
    }
    /* Also from here, so the group exists before we might signal it (setpgid(2) race). It
     * fails harmlessly with EACCES if the child has already exec'd, having set it itself. */
    (void)setpgid(pid, pid);

    int child_err = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_err, sizeof(child_err));
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof(child_err)) {
        (void)waitpid(pid, NULL, 0); /* reap it; it has exited with 127 */
        return -child_err;
    }
    return pid;
}

/* Scan the log once for a complete line containing needle. Returns 0 if found, else -ENOENT. */
static int find_line(const char *log_path, const char *needle, char *line_out, size_t line_cap)
{
    FILE *f = fopen(log_path, "r");
    if (f == NULL)
        return -ENOENT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = -ENOENT;
    while ((len = getline(&line, &cap, f)) > 0) {
        /* A line still being written has no '\n' yet: it could hold half a port number. */
        if (line[len - 1] != '\n')
            break;
        if (strstr(line, needle) == NULL)
            continue;
        line[len - 1] = '\0';
        if (line_out != NULL && line_cap > 0)
            snprintf(line_out, line_cap, "%s", line);
        rc = 0;
        break;
    }
    free(line);
    fclose(f);
    return rc;
}

int ts_proc_wait_log(const char *log_path, const char *needle, int timeout_ms, char *line_out,
                     size_t line_cap)
{
    int64_t deadline_ms = now_ms() + timeout_ms;
    for (;;) {
        if (find_line(log_path, needle, line_out, line_cap) == 0)
            return 0;
        int64_t left = deadline_ms - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        sleep_ms(left < POLL_INTERVAL_MS ? (int)left : POLL_INTERVAL_MS);
    }
}

int ts_proc_log_port(const char *log_path, const char *prefix, int timeout_ms)
{
    char line[1024];
    int rc = ts_proc_wait_log(log_path, prefix, timeout_ms, line, sizeof(line));
    if (rc < 0)
        return rc;
    /* After the prefix: HOST:PORT, where HOST may be "[::1]"; the port follows the last ':'. */
    const char *host = strstr(line, prefix) + strlen(prefix);
    size_t host_port_len = strcspn(host, "/ \t");
    const char *colon = NULL;
    for (const char *p = host; p < host + host_port_len; p++) {
        if (*p == ':')
            colon = p;
    }
    if (colon == NULL)
        return -EPROTO;
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || end != host + host_port_len || port < 1 || port > 65535)
        return -EPROTO;
    return (int)port;
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -EPROTO;
}

int ts_proc_stop(pid_t pid)
{
    if (pid <= 0)
        return -EINVAL;
    int status;
    /* The group is the pid (ts_proc_spawn made it so): anything the child forked goes too. */
    if (kill(-pid, SIGTERM) < 0 && kill(pid, SIGTERM) < 0 && errno != ESRCH)
        return -errno;
    int64_t deadline_ms = now_ms() + STOP_GRACE_MS;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return exit_code(status);
        if (r < 0 && errno != EINTR)
            return -errno;
        if (now_ms() >= deadline_ms)
            break;
        sleep_ms(POLL_INTERVAL_MS);
    }
    fprintf(stderr, "ts_proc_stop: pid %d ignored SIGTERM for %d ms; sending SIGKILL\n", (int)pid,
            STOP_GRACE_MS);
    if (kill(-pid, SIGKILL) < 0)
        (void)kill(pid, SIGKILL); /* the group is gone; the pid alone may not be: reaped below */
    pid_t r;
    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    return r == pid ? exit_code(status) : -errno;
}

void ts_proc_print_log(const char *log_path, int max_lines)
{
    FILE *f = fopen(log_path, "r");
    if (f == NULL) {
        fprintf(stderr, "| (no log at %s)\n", log_path);
        return;
    }
    /* Two passes keep memory bounded: count the lines, then print the tail. */
    long total = 0;
    int c;
    while ((c = getc(f)) != EOF)
        total += c == '\n';
    rewind(f);
    long skip = total > max_lines ? total - max_lines : 0;
    char *line = NULL;
    size_t cap = 0;
    fprintf(stderr, "| --- %s (last %ld of %ld lines)\n", log_path, total - skip, total);
    for (long i = 0; getline(&line, &cap, f) > 0; i++) {
        if (i >= skip)
            fprintf(stderr, "| %s%s", line, strchr(line, '\n') ? "" : "\n");
    }
    free(line);
    fclose(f);
}

int ts_proc_start_port(const char *who, char *const argv[], char *const extra_env[],
                       const char *log_path, const char *prefix, int timeout_ms, pid_t *pid)
{
    *pid = ts_proc_spawn(argv, extra_env, log_path);
    if (*pid < 0) {
        int rc = (int)*pid;
        fprintf(stderr, "%s: cannot start %s: %s\n", who, argv[0], strerror(-rc));
        *pid = 0;
        return rc;
    }
    int port = ts_proc_log_port(log_path, prefix, timeout_ms);
    if (port < 0) {
        fprintf(stderr, "%s: %s did not log \"%s\" within %d ms: %s\n", who, argv[0], prefix,
                timeout_ms, strerror(-port));
        ts_proc_print_log(log_path, 40);
    }
    return port;
}

int ts_proc_stop_reporting(const char *who, pid_t *pid, const char *name, const char *log_path)
{
    if (*pid <= 0)
        return 0;
    int code = ts_proc_stop(*pid);
    *pid = 0;
    if (code != 0) {
        fprintf(stderr, "%s: %s exited with %d\n", who, name, code);
        ts_proc_print_log(log_path, 60);
    }
    return code;
}
