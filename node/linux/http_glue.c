#include "http_glue.h"
#include "connlimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

int http_glue_bind(struct evhttp *http, const char *addr, uint16_t port, uint16_t *bound_port)
{
    errno = 0;
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(http, addr, port);
    if (bound == NULL)
        return errno != 0 ? -errno : -EINVAL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len) != 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
        *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        return -EAFNOSUPPORT;
    return 0;
}

void http_glue_url(char *out, size_t out_size, const char *addr, uint16_t port)
{
    int is_v6 = strchr(addr, ':') != NULL;
    snprintf(out, out_size, "http://%s%s%s:%u/", is_v6 ? "[" : "", addr, is_v6 ? "]" : "",
             (unsigned)port);
}

void http_glue_send(struct evhttp_request *req, int status, const char *content_type,
                    const char *body, size_t len)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evbuffer *buf = evbuffer_new();
    if (buf == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (evbuffer_add(buf, body, len) != 0 ||
        evhttp_add_header(headers, "Content-Type", content_type) != 0 ||
        evhttp_add_header(headers, "Cache-Control", "no-store") != 0) {
        evbuffer_free(buf);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evhttp_send_reply(req, status, NULL, buf);
    evbuffer_free(buf);
}

/* A node serves one relay: requests are tiny GETs, so the limits can be small. */
#define MAX_HEADERS_BYTES 8192
#define MAX_BODY_BYTES 1024
#define REQUEST_TIMEOUT_S 10
/* Connections still sending their first request (a relay needs two or three). */
#define MAX_PENDING_CONNECTIONS 64

struct connlimit *http_glue_configure(struct event_base *base, struct evhttp *http)
{
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                         EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(http, MAX_HEADERS_BYTES);
    evhttp_set_max_body_size(http, MAX_BODY_BYTES);
    evhttp_set_timeout(http, REQUEST_TIMEOUT_S); /* idle; the deadline below is absolute */
    struct connlimit_config lc = {.max_total = MAX_PENDING_CONNECTIONS,
                                  .max_per_address = 0,
                                  .request_timeout_ms = REQUEST_TIMEOUT_S * 1000,
                                  .max_input_bytes = MAX_HEADERS_BYTES + MAX_BODY_BYTES};
    struct connlimit *guard = connlimit_new(base, &lc);
    if (guard != NULL)
        connlimit_install(guard, http, NULL, NULL);
    return guard;
}
