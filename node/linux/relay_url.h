#pragma once
/*
 * relay_url: where lookout-cam's node link connects (--relay URL), read once at start-up:
 * http[s]://host[:port][/path], as a user types the relay's address. The link asks for
 * LINK_MSG_PATH under the URL's path. No user:password@ and no ?query (the token file
 * authenticates). libevent's URI parser (evhttp_uri_parse) does the syntax.
 */
#include <stddef.h>

/* Where to connect and what to ask for. Plain value type filled by relay_url_parse. */
struct relay_url {
    int is_https;
    char host[256];        /* a name or an address, without brackets */
    int port;              /* the URL's, or 443 / 80 */
    char host_header[300]; /* the Host header: "[v6]" bracketed, ":port" if the URL has one */
    char target[1100];     /* the request target: the URL's path + LINK_MSG_PATH */
};

/*
 * Parse url into *out. Returns 0, or -EINVAL with a one-line reason in err ("--relay: ...":
 * not http(s), no host, credentials or a query in it, a host or path too long).
 */
int relay_url_parse(const char *url, struct relay_url *out, char *err, size_t err_size);
