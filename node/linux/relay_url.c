#include "relay_url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "link_msg.h"

int relay_url_parse(const char *url, struct relay_url *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    int rc = -EINVAL;
    if (scheme == NULL || host == NULL || host[0] == '\0') {
        snprintf(err, err_size, "--relay: expected http://HOST/ or https://HOST/, got \"%s\"", url);
    } else if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
        snprintf(err, err_size, "--relay: the scheme must be http or https, not \"%s\"", scheme);
    } else if (evhttp_uri_get_userinfo(uri) != NULL || evhttp_uri_get_query(uri) != NULL) {
        snprintf(err, err_size,
                 "--relay: no user:password@ or ?query in the URL (the token "
                 "file authenticates)");
    } else if (strlen(host) >= sizeof(out->host)) {
        snprintf(err, err_size, "--relay: host name too long");
    } else {
        out->is_https = strcasecmp(scheme, "https") == 0;
        int port = evhttp_uri_get_port(uri);
        out->port = port > 0 ? port : out->is_https ? 443 : 80;
        /* libevent keeps an IPv6 literal's brackets (RFC 3986 §3.2.2): the Host header wants
         * them, a connect or a certificate check does not. */
        size_t len = strlen(host);
        int is_v6 = len >= 2 && host[0] == '[' && host[len - 1] == ']';
        snprintf(out->host, sizeof(out->host), "%.*s", (int)(is_v6 ? len - 2 : len),
                 is_v6 ? host + 1 : host);
        snprintf(out->host_header, sizeof(out->host_header), "%s", host);
        if (port > 0)
            snprintf(out->host_header + strlen(out->host_header),
                     sizeof(out->host_header) - strlen(out->host_header), ":%d", port);
        const char *path = evhttp_uri_get_path(uri);
        if (path == NULL || path[0] == '\0')
            path = "/";
        size_t n = strlen(path);
        rc = snprintf(out->target, sizeof(out->target), "%s%s" LINK_MSG_PATH, path,
                      path[n - 1] == '/' ? "" : "/") < (int)sizeof(out->target)
                 ? 0
                 : -EINVAL;
        if (rc < 0)
            snprintf(err, err_size, "--relay: path too long");
    }
    if (uri != NULL)
        evhttp_uri_free(uri);
    return rc;
}
