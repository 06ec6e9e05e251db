#include "attack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t ts_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ts_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

long ts_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -errno;
    long kb = -ENOENT;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Fill ss from a numeric address and port. Returns the length, or -EINVAL. */
static socklen_t make_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        return sizeof(*s4);
    }
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        return sizeof(*s6);
    }
    return 0;
}

static int wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    int rc;
    while ((rc = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    return rc > 0 ? 0 : rc == 0 ? -ETIMEDOUT : -errno;
}

int ts_tcp_connect(const char *src, const char *dst, uint16_t port, int timeout_ms)
{
    struct sockaddr_storage to, from;
    socklen_t to_len = make_addr(dst, port, &to);
    if (to_len == 0)
        return -EINVAL;
    int fd = socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    socklen_t from_len = src != NULL ? make_addr(src, 0, &from) : 0;
    if (src != NULL && (from_len == 0 || bind(fd, (struct sockaddr *)&from, from_len) < 0)) {
        int e = from_len == 0 ? EINVAL : errno;
        close(fd);
        return -e;
    }
    int rc = connect(fd, (struct sockaddr *)&to, to_len) == 0 ? 0 : -errno;
    if (rc == -EINPROGRESS && (rc = wait_fd(fd, POLLOUT, timeout_ms)) == 0) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = -err;
    }
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int ts_send_all(int fd, const void *data, size_t len, int timeout_ms)
{
    const char *p = data;
    int64_t deadline = ts_now_ms() + timeout_ms;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
        int left = (int)(deadline - ts_now_ms());
        if (left <= 0 || wait_fd(fd, POLLOUT, left) < 0)
            return -ETIMEDOUT;
    }
    return 0;
}

int ts_wait_closed(int fd, int timeout_ms)
{
    char sink[4096];
    int64_t deadline = ts_now_ms() + timeout_ms;
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return 0;
        if (n > 0)
            continue;
        int left = (int)(deadline - ts_now_ms());
        if (left <= 0 || wait_fd(fd, POLLIN, left) == -ETIMEDOUT)
            return -ETIMEDOUT;
    }
}

size_t ts_read_some(int fd, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    int64_t deadline = ts_now_ms() + timeout_ms;
    while (got + 1 < cap) {
        ssize_t n = recv(fd, out + got, cap - 1 - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            break;
        int left = (int)(deadline - ts_now_ms());
        if (left <= 0 || wait_fd(fd, POLLIN, left) == -ETIMEDOUT)
            break;
    }
    out[got] = '\0';
    return got;
}

int ts_raw_request(const char *src, const char *dst, uint16_t port, const char *request, char *out,
                   size_t out_cap, int timeout_ms)
{
    int64_t start = ts_now_ms();
    int fd = ts_tcp_connect(src, dst, port, timeout_ms);
    if (fd < 0)
        return fd;
    int rc = ts_send_all(fd, request, strlen(request), timeout_ms);
    if (rc == 0) {
        int left = timeout_ms - (int)(ts_now_ms() - start);
        ts_read_some(fd, out, out_cap, left > 0 ? left : 1);
        int status = 0;
        rc = sscanf(out, "HTTP/1.%*d %d", &status) == 1 ? status : -EPROTO;
    }
    close(fd);
    return rc;
}

static void hostile_serve(int fd, const void *prefix, size_t prefix_len, const void *repeat,
                          size_t repeat_len, int gap_ms)
{
    char sink[4096];
    if (recv(fd, sink, sizeof(sink), 0) < 0)
        return;
    if (ts_send_all(fd, prefix, prefix_len, 10000) < 0)
        return;
    for (size_t sent = 0; repeat_len > 0 && sent < (1u << 30); sent += repeat_len) {
        if (ts_send_all(fd, repeat, repeat_len, 10000) < 0)
            return;
        if (gap_ms > 0)
            ts_sleep_ms(gap_ms);
    }
}

pid_t ts_hostile_start(const void *prefix, size_t prefix_len, const void *repeat, size_t repeat_len,
                       int gap_ms, uint16_t *port)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return -errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
        int e = errno;
        close(lfd);
        return -e;
    }
    *port = ntohs(sa.sin_port);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(lfd);
        return -e;
    }
    if (pid > 0) {
        close(lfd);
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0); /* its own group: ts_hostile_stop ends the connections' children too */
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pid_t child = fork(); /* one connection at a time would let a retry wait behind it */
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            hostile_serve(fd, prefix, prefix_len, repeat, repeat_len, gap_ms);
            _exit(0);
        }
        close(fd);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

void ts_hostile_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
