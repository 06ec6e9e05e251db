#pragma once
/*
 * listen: where the relay's HTTP server accepts connections, and telling systemd how it is.
 *
 * Under systemd socket activation (deploy/lookout.socket) the listening sockets are passed in
 * by the service manager (sd_listen_fds(3): fds from 3, LISTEN_FDS, LISTEN_PID) and LISTEN is
 * ignored; otherwise the relay binds LISTEN itself. Either way the bound address is logged as
 * "listening on http://HOST:PORT/" ("https" with TLS; scripts and tests read that line).
 * Readiness and shutdown go to systemd with sd_notify(3); without NOTIFY_SOCKET they are no-ops.
 */
#include <stdint.h>

struct evhttp;

/*
 * Accept connections for `http` (borrowed) on the sockets systemd passed, or else bind
 * host:port; scheme ("http" or "https") is only for the log line. Passed sockets must be
 * listening stream sockets; they are made non-blocking and owned by `http` from then on
 * (evhttp_free closes them). Consumes the LISTEN_* variables so that children do not inherit
 * them.
 * Returns the number of sockets accepting (>= 1), or a negative errno after logging why:
 * -EINVAL for a passed fd that is not a listening stream socket, or bind's error.
 */
int listen_start(struct evhttp *http, const char *host, uint16_t port, const char *scheme);

/* Tell systemd the relay is serving (READY=1 and a STATUS= line). No-op outside systemd. */
void listen_notify_ready(void);

/* Tell systemd the relay is shutting down (STOPPING=1). No-op outside systemd. */
void listen_notify_stopping(void);
