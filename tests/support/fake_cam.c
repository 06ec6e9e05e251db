#include "fake_cam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mjpeg_writer.h"

#define REQUEST_MAX_BYTES 8192

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int send_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One HTTP/1.1 chunk (RFC 9112 §7.1), as httpd_resp_send_chunk sends it. */
static int send_chunk(int fd, const void *data, size_t len)
{
    char size_line[32];
    int n = snprintf(size_line, sizeof(size_line), "%zx\r\n", len);
    if (send_all(fd, size_line, (size_t)n) < 0 || send_all(fd, data, len) < 0)
        return -1;
    return send_all(fd, "\r\n", 2);
}

/* Stream parts[] to one client until it goes away. */
static void serve_client(int fd, const struct ts_fake_part *parts, size_t count, unsigned gap_ms,
                         const char *content_type)
{
    char head[512];
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\n"
             "Content-Type: %s\r\n"
             "Transfer-Encoding: chunked\r\n"
             "Access-Control-Allow-Origin: *\r\n"
             "\r\n",
             content_type ? content_type
                          : "multipart/x-mixed-replace;boundary=" MJPEG_ESP32_BOUNDARY);
    /* The request, up to its blank line; what it asks for does not matter. */
    char req[REQUEST_MAX_BYTES];
    size_t len = 0;
    while (len < sizeof(req) && memmem(req, len, "\r\n\r\n", 4) == NULL) {
        ssize_t n = recv(fd, req + len, sizeof(req) - len, 0);
        if (n <= 0)
            return;
        len += (size_t)n;
    }
    if (send_all(fd, head, strlen(head)) < 0)
        return;
    for (size_t i = 0;; i = (i + 1) % count) {
        const struct ts_fake_part *p = &parts[i];
        char part_head[256];
        int n;
        if (p->has_length)
            n = mjpeg_write_part_header(part_head, sizeof(part_head), MJPEG_ESP32_BOUNDARY,
                                        (size_t)((long)p->len + p->length_error_bytes), NULL);
        else
            n = snprintf(part_head, sizeof(part_head),
                         "\r\n--" MJPEG_ESP32_BOUNDARY "\r\nContent-Type: image/jpeg\r\n\r\n");
        if (n <= 0 || send_chunk(fd, part_head, (size_t)n) < 0 ||
            send_chunk(fd, p->data, p->len) < 0)
            return;
        /* Paced, as a camera is: parts that arrive together are read in one go, and the relay
         * rightly gives a viewer only the newest of them. */
        sleep_ms(gap_ms);
    }
}

pid_t ts_fake_cam_start(const struct ts_fake_part *parts, size_t count, unsigned gap_ms,
                        uint16_t *port)
{
    return ts_fake_cam_start_typed(parts, count, gap_ms, NULL, port);
}

pid_t ts_fake_cam_start_typed(const struct ts_fake_part *parts, size_t count, unsigned gap_ms,
                              const char *content_type, uint16_t *port)
{
    if (count == 0)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sa_len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sa_len) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    pid_t parent = getpid();
    /* Buffered output would otherwise be written twice, once by each process. */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        /* Die with the test, whatever happens to it; never return into the test's code. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(1);
        for (;;) {
            int client = accept(fd, NULL, NULL);
            if (client < 0 && errno != EINTR)
                _exit(1);
            if (client >= 0) {
                serve_client(client, parts, count, gap_ms, content_type);
                close(client);
            }
        }
    }
    int err = errno;
    close(fd);
    if (pid < 0)
        return -err;
    *port = ntohs(sa.sin_port);
    return pid;
}

void ts_fake_cam_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    (void)kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}
