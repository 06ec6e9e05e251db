#include "webhook_rx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct ts_webhook_rx {
    int fd;
    uint16_t port;
    int codes[16];
    size_t n_codes;
    size_t answered;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ts_webhook_rx *ts_webhook_rx_open(const int *codes, size_t n_codes)
{
    struct ts_webhook_rx *rx = calloc(1, sizeof(*rx));
    if (rx == NULL)
        return NULL;
    rx->n_codes = n_codes < 16 ? n_codes : 16;
    memcpy(rx->codes, codes, rx->n_codes * sizeof(int));
    rx->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (rx->fd < 0 || bind(rx->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(rx->fd, 16) < 0 || getsockname(rx->fd, (struct sockaddr *)&sa, &len) < 0) {
        ts_webhook_rx_close(rx);
        return NULL;
    }
    rx->port = ntohs(sa.sin_port);
    return rx;
}

uint16_t ts_webhook_rx_port(const struct ts_webhook_rx *rx)
{
    return rx->port;
}

/* Read until the head is complete and Content-Length body bytes follow it. */
static int read_request(int fd, long long deadline, char *buf, size_t cap, size_t *head_len,
                        size_t *body_len)
{
    size_t n = 0;
    for (;;) {
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            *head_len = (size_t)(end - buf) + 4;
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            size_t want = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            if (n >= *head_len + want || n + 1 >= cap) {
                *body_len = n - *head_len;
                return 0;
            }
        }
        int left = (int)(deadline - now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return -ETIMEDOUT;
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            return -EPROTO;
        n += (size_t)r;
    }
}

int ts_webhook_rx_wait(struct ts_webhook_rx *rx, int timeout_ms, struct ts_webhook_req *out)
{
    memset(out, 0, sizeof(*out));
    long long deadline = now_ms() + timeout_ms;
    struct pollfd p = {.fd = rx->fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return -ETIMEDOUT;
    int c = accept4(rx->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return -EPROTO;
    enum { CAP = 16384 };
    char *buf = malloc(CAP);
    size_t head_len = 0, body_len = 0;
    int rc = buf != NULL ? read_request(c, deadline, buf, CAP, &head_len, &body_len) : -ENOMEM;
    if (rc == 0) {
        sscanf(buf, "%15s %511s", out->method, out->target);
        const char *ct = strcasestr(buf, "\r\nContent-Type:");
        if (ct != NULL && ct < buf + head_len)
            sscanf(ct + 15, " %127[^\r]", out->content_type);
        out->body_len = body_len < sizeof(out->body) - 1 ? body_len : sizeof(out->body) - 1;
        memcpy(out->body, buf + head_len, out->body_len);
        out->body[out->body_len] = '\0';
        size_t i = rx->answered < rx->n_codes ? rx->answered : rx->n_codes - 1;
        rx->answered++;
        char reply[128];
        int len = snprintf(reply, sizeof(reply),
                           "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                           rx->codes[i]);
        if (write(c, reply, (size_t)len) != len)
            rc = -EPROTO;
    }
    free(buf);
    close(c);
    return rc;
}

void ts_webhook_rx_close(struct ts_webhook_rx *rx)
{
    if (rx == NULL)
        return;
    if (rx->fd >= 0)
        close(rx->fd);
    free(rx);
}
