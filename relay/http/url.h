#pragma once
/*
 * url: split a camera URL (CAM_URL, SERVO_URL) into what an HTTP request needs.
 *
 * Parsing is libevent's (evhttp_uri_parse, RFC 3986); this only checks the parts Lookout
 * supports and prepares the Host and Authorization headers. Credentials in the URL
 * ("http://user:pass@host/") become a Basic Authorization header and never appear in
 * `display`, the form that may be logged.
 */
#include <stdint.h>

struct url_parts {
    char host[256];          /* without brackets for IPv6 */
    uint16_t port;           /* 80 (443 for https) when absent */
    int is_https;            /* https://: TLS with the certificate checked (tls_verify.h) */
    char host_header[272];   /* "host[:port]" for the Host header */
    char path_query[1024];   /* "/path?query", at least "/" */
    char authorization[400]; /* "Basic ..." or "" */
    char display[1400];      /* "http://host:port/path": safe to log */
};

/*
 * Parse `url` into *out. http:// and https:// are accepted. Returns 0, or -EINVAL with *err set to
 * a one-line reason (a static string) for an unusable URL (-ENOMEM: out of memory).
 */
int url_parse(const char *url, struct url_parts *out, const char **err);
