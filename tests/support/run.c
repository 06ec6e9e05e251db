#include "run.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

int ts_which(const char *name, char *out, size_t out_size)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path != NULL ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
        int n = snprintf(out, out_size, "%s/%s", dir, name);
        if (n < 0 || (size_t)n >= out_size)
            return -ENOSPC;
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
    }
    out[0] = '\0';
    return -ENOENT;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ts_run(char *const argv[], char *const extra_env[], const char *log_path, int timeout_ms)
{
    pid_t pid = ts_proc_spawn(argv, extra_env, log_path);
    if (pid < 0)
        return (int)pid;
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status))
                return WEXITSTATUS(status);
            return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -EPROTO;
        }
        if (r < 0)
            return -errno;
        if (now_ms() >= deadline) {
            fprintf(stderr, "run: %s still running after %d ms, stopped\n", argv[0], timeout_ms);
            ts_proc_stop(pid);
            return -ETIMEDOUT;
        }
        poll(NULL, 0, 10);
    }
}

char *ts_file_read(const char *path, size_t max_bytes)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(max_bytes + 1);
    if (buf == NULL) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    size_t n = fread(buf, 1, max_bytes + 1, f);
    int is_error = ferror(f);
    fclose(f);
    if (is_error || n > max_bytes) {
        free(buf);
        errno = is_error ? EIO : EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int ts_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int rc = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        rc = -errno;
    close(fd);
    return rc < 0 ? rc : (int)ntohs(sa.sin_port);
}
