#include "redirect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "accept_pause.h"
#include "connlimit.h"
#include "reply.h"
#define LOG_TAG "redirect"
#include "log.h"

#define REDIRECT_MAX_HEADER_BYTES (64 * 1024)
#define REDIRECT_MAX_BODY_BYTES 4096

struct redirect {
    struct evhttp *http;
    struct connlimit *limit;
    uint16_t https_port;
};

/* The Host header without its port, if it looks like a host name or address; else NULL. */
static const char *host_name(const char *host, char *out, size_t out_size)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789.-:[]";
    if (host == NULL || host[0] == '\0' || strlen(host) >= out_size ||
        strspn(host, allowed) != strlen(host))
        return NULL;
    snprintf(out, out_size, "%s", host);
    char *colon = strrchr(out, ':');
    if (colon != NULL && strchr(colon, ']') == NULL) /* keep an IPv6 literal whole */
        *colon = '\0';
    return out;
}

/* The answer is sent: the next request on the connection has its own deadline. */
static void on_done(struct evhttp_request *req, void *arg)
{
    struct redirect *r = arg;
    connlimit_request_done(r->limit, req);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct redirect *r = arg;
    connlimit_request_begin(r->limit, req); /* arrived whole: stop its deadline */
    evhttp_request_set_on_complete_cb(req, on_done, r);
    char name[256];
    const char *host = host_name(evhttp_find_header(evhttp_request_get_input_headers(req), "Host"),
                                 name, sizeof(name));
    if (host == NULL) {
        reply_text(req, 400, "a Host header is needed to redirect to HTTPS");
        return;
    }
    /* The parsed path and query, not the raw request-target: one that does not start with '/'
     * ("@evil.example/", or a proxy's absolute "http://...") would otherwise be read as part of
     * the authority after the host. */
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    if (path == NULL || path[0] != '/')
        path = "/";
    char port[8] = "";
    if (r->https_port != 443)
        snprintf(port, sizeof(port), ":%u", (unsigned)r->https_port);
    char location[2400];
    snprintf(location, sizeof(location), "https://%s%s%s%s%s", host, port, path,
             query != NULL ? "?" : "", query != NULL ? query : "");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
    reply_text(req, 301, location);
}

struct redirect *redirect_new(struct event_base *base, const char *host, uint16_t port,
                              uint16_t https_port, const struct connlimit_config *limits)
{
    struct connlimit_config lc = *limits;
    lc.max_input_bytes = REDIRECT_MAX_HEADER_BYTES + REDIRECT_MAX_BODY_BYTES;
    struct redirect *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->http = evhttp_new(base)) == NULL ||
        (r->limit = connlimit_new(base, &lc)) == NULL) {
        LOG_ERROR("out of memory");
        redirect_free(r);
        return NULL;
    }
    r->https_port = https_port;
    evhttp_set_gencb(r->http, on_request, r);
    /* Idle and write timeouts as the main listener's; connlimit keeps the request's deadline
     * (an idle timeout alone restarts with every byte: a slowloris stays forever). */
    struct timeval timeout = {.tv_sec = lc.request_timeout_ms / 1000,
                              .tv_usec = (lc.request_timeout_ms % 1000) * 1000};
    evhttp_set_timeout_tv(r->http, &timeout);
    connlimit_install(r->limit, r->http, NULL, NULL);
    /* libevent buffers headers and bodies without limit unless told: this port faces the
     * internet too (SECURITY.md, "a bound on everything"). */
    evhttp_set_max_headers_size(r->http, REDIRECT_MAX_HEADER_BYTES);
    evhttp_set_max_body_size(r->http, REDIRECT_MAX_BODY_BYTES);
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(r->http, host, port);
    if (bound == NULL) {
        LOG_ERROR("cannot listen on %s:%u: %s", host, (unsigned)port, strerror(errno));
        redirect_free(r);
        return NULL;
    }
    /* Out of descriptors, pause accepting as the main listener does, instead of spinning. */
    accept_pause_install(r->http, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char text[INET6_ADDRSTRLEN] = "?";
    unsigned bound_port = port;
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len) == 0) {
        int is_v6 = ss.ss_family == AF_INET6;
        const void *a = is_v6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                              : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
        inet_ntop(ss.ss_family, a, text, sizeof(text));
        bound_port = ntohs(is_v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                 : ((struct sockaddr_in *)&ss)->sin_port);
    }
    LOG_INFO("redirecting to HTTPS on http://%s:%u/", text, bound_port);
    return r;
}

void redirect_free(struct redirect *r)
{
    if (r == NULL)
        return;
    if (r->http != NULL)
        evhttp_free(r->http);
    connlimit_free(r->limit); /* after evhttp_free: closing connections update it */
    free(r);
}
