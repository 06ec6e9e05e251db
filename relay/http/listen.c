#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/http.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#define LOG_TAG "listen"
#include "log.h"

/* Log the URL actually bound (port 0 picks one, systemd picks for us), so scripts can find it. */
static void log_bound(evutil_socket_t fd, const char *scheme, const char *how)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        LOG_INFO("listening on an unknown address (%s): %s", how, strerror(errno));
        return;
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        LOG_INFO("listening on %s://[%s]:%u/ (%s)", scheme, host, (unsigned)ntohs(s6->sin6_port),
                 how);
    } else if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        LOG_INFO("listening on %s://%s:%u/ (%s)", scheme, host, (unsigned)ntohs(s4->sin_port), how);
    } else if (ss.ss_family == AF_UNIX) {
        const struct sockaddr_un *su = (const struct sockaddr_un *)&ss;
        LOG_INFO("listening on unix:%.*s (%s)", (int)sizeof(su->sun_path), su->sun_path, how);
    } else {
        LOG_INFO("listening on a socket of family %d (%s)", (int)ss.ss_family, how);
    }
}

/* Sockets from systemd: each must already listen; evhttp owns them once accepted. */
static int accept_passed(struct evhttp *http, int count, const char *scheme)
{
    for (int i = 0; i < count; i++) {
        evutil_socket_t fd = SD_LISTEN_FDS_START + i;
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            LOG_ERROR("socket activation: fd %d is not a listening stream socket; use "
                      "ListenStream= in lookout.socket",
                      (int)fd);
            return -EINVAL;
        }
        if (evutil_make_socket_nonblocking(fd) < 0 ||
            evhttp_accept_socket_with_handle(http, fd) == NULL) {
            int e = errno ? errno : ENOMEM;
            LOG_ERROR("socket activation: cannot accept on fd %d: %s", (int)fd, strerror(e));
            return -e;
        }
        log_bound(fd, scheme, "socket from systemd");
    }
    return count;
}

int listen_start(struct evhttp *http, const char *host, uint16_t port, const char *scheme)
{
    /* 1: unset LISTEN_PID/LISTEN_FDS so nothing the relay might start inherits them. */
    int n = sd_listen_fds(1);
    if (n < 0) {
        LOG_ERROR("socket activation: %s", strerror(-n));
        return n;
    }
    if (n > 0) {
        LOG_DEBUG("socket activation: %d socket(s) passed; LISTEN=%s:%u is not used", n, host,
                  (unsigned)port);
        return accept_passed(http, n, scheme);
    }
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(http, host, port);
    if (bound == NULL) {
        int e = errno ? errno : EADDRNOTAVAIL;
        LOG_ERROR("cannot listen on %s:%u: %s", host, (unsigned)port, strerror(e));
        return -e;
    }
    log_bound(evhttp_bound_socket_get_fd(bound), scheme, "LISTEN");
    return 1;
}

void listen_notify_ready(void)
{
    /* Without NOTIFY_SOCKET this returns 0 and does nothing; a failure only costs readiness. */
    int rc = sd_notify(0, "READY=1\nSTATUS=serving");
    if (rc < 0)
        LOG_WARN("sd_notify READY=1: %s", strerror(-rc));
}

void listen_notify_stopping(void)
{
    int rc = sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
    if (rc < 0)
        LOG_WARN("sd_notify STOPPING=1: %s", strerror(-rc));
}
