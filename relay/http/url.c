#include "url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <openssl/evp.h>

static int fill(const struct evhttp_uri *uri, struct url_parts *out, const char **err)
{
    const char *scheme = evhttp_uri_get_scheme(uri);
    const char *host = evhttp_uri_get_host(uri);
    if (scheme == NULL || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        *err = "only http:// and https:// URLs are supported";
        return -EINVAL;
    }
    out->is_https = strcasecmp(scheme, "https") == 0;
    if (host == NULL || host[0] == '\0') {
        *err = "URL has no host";
        return -EINVAL;
    }
    /* libevent keeps an IP literal's brackets ("[::1]"): connecting wants the bare address. */
    size_t host_len = strlen(host);
    int is_ipv6 = host[0] == '[';
    if (is_ipv6) {
        host++;
        host_len -= 2;
    }
    if (host_len >= sizeof(out->host)) {
        *err = "URL host is too long";
        return -EINVAL;
    }
    int port = evhttp_uri_get_port(uri);
    out->port = (uint16_t)(port > 0 ? port : out->is_https ? 443 : 80);
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    host = out->host;
    char port_text[16] = "";
    if (port > 0)
        snprintf(port_text, sizeof(port_text), ":%d", port);
    snprintf(out->host_header, sizeof(out->host_header), "%s%s%s%s", is_ipv6 ? "[" : "", host,
             is_ipv6 ? "]" : "", port_text);
    const char *path = evhttp_uri_get_path(uri);
    const char *query = evhttp_uri_get_query(uri);
    int n = snprintf(out->path_query, sizeof(out->path_query), "%s%s%s",
                     (path && path[0]) ? path : "/", query ? "?" : "", query ? query : "");
    if (n < 0 || (size_t)n >= sizeof(out->path_query)) {
        *err = "URL path is too long";
        return -EINVAL;
    }
    snprintf(out->display, sizeof(out->display), "%s://%s%s", out->is_https ? "https" : "http",
             out->host_header, out->path_query);
    return 0;
}

static int fill_authorization(const char *userinfo, struct url_parts *out, const char **err)
{
    out->authorization[0] = '\0';
    if (userinfo == NULL || userinfo[0] == '\0')
        return 0;
    /* The URL percent-encodes its userinfo (RFC 3986 §3.2.1, so "p%40ss" for "p@ss"); Basic
     * carries the plain bytes (RFC 7617). */
    size_t len = 0;
    char *plain = evhttp_uridecode(userinfo, 0, &len);
    if (plain == NULL) {
        *err = "out of memory";
        return -ENOMEM;
    }
    int rc = 0;
    /* Base64 grows 3 bytes to 4; keep room for "Basic " and the NUL. */
    if ((len + 2) / 3 * 4 + 7 > sizeof(out->authorization)) {
        *err = "URL credentials are too long";
        rc = -EINVAL;
    } else {
        memcpy(out->authorization, "Basic ", 6);
        EVP_EncodeBlock((unsigned char *)out->authorization + 6, (const unsigned char *)plain,
                        (int)len);
    }
    explicit_bzero(plain, len);
    free(plain);
    return rc;
}

int url_parse(const char *url, struct url_parts *out, const char **err)
{
    memset(out, 0, sizeof(*out));
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    if (uri == NULL) {
        *err = "not a valid URL";
        return -EINVAL;
    }
    int rc = fill(uri, out, err);
    if (rc == 0)
        rc = fill_authorization(evhttp_uri_get_userinfo(uri), out, err);
    evhttp_uri_free(uri);
    return rc;
}
