#pragma once
/*
 * redirect: a plain-HTTP listener (HTTP_REDIRECT_LISTEN) whose only answer is 301 to the same
 * path on the relay's HTTPS port, so that http://camera.example/ still works once TLS is on.
 */
#include <stdint.h>

struct connlimit_config;
struct event_base;
struct redirect;

/*
 * Listen on host:port and send every request to https://<its Host>:https_port<its path and
 * query> (the port left out when it is 443; "/" for a request-target that is not a path).
 * Headers and bodies are bounded; out of descriptors it pauses accepting (accept_pause.h).
 * Its connections are held to the main listener's bounds (connlimit.h, limits: copied; its
 * own table, and its own read-ahead bound, the largest request it accepts): the caps counted
 * from accept, and a request that must arrive whole within limits->request_timeout_ms from
 * accept or from the previous answer, not libevent's idle timeout that each byte restarts.
 * Logs "redirecting to HTTPS on http://HOST:PORT/".
 * Returns NULL after logging why (bind failed, out of memory).
 */
struct redirect *redirect_new(struct event_base *base, const char *host, uint16_t port,
                              uint16_t https_port, const struct connlimit_config *limits);

/* Stop listening and free; redirect_free(NULL) is a no-op. */
void redirect_free(struct redirect *r);
