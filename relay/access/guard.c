#include "guard.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cfg.h"
#include "peer.h"
#include "reply.h"

int guard_limits(struct evhttp_request *req, const struct cfg *cfg)
{
    const char *uri = evhttp_request_get_uri(req);
    if (uri != NULL && strlen(uri) > cfg->max_uri_bytes) {
        reply_text(req, 414, "URI too long (MAX_URI_BYTES)");
        return -1;
    }
    const struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
    const struct evkeyval *h;
    unsigned count = 0;
    size_t bytes = 0;
    TAILQ_FOREACH(h, headers, next)
    {
        count++;
        bytes += strlen(h->key) + strlen(h->value) + 4; /* ": " and CRLF */
    }
    if (count > cfg->max_headers || bytes > cfg->max_header_bytes) {
        /* RFC 6585 §5. Connection: close, so a flood of big headers costs one request. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        reply_text(req, 431, "request header fields too large (MAX_HEADERS, MAX_HEADER_BYTES)");
        return -1;
    }
    return 0;
}

/* "host[:port]" of an absolute URL into out, and its scheme into scheme (as sent). Returns 0,
 * or -1 if it has none. */
static int url_authority(const char *url, char *out, size_t out_size, char *scheme,
                         size_t scheme_size)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    if (u == NULL)
        return -1;
    const char *host = evhttp_uri_get_host(u);
    const char *sch = evhttp_uri_get_scheme(u);
    int port = evhttp_uri_get_port(u);
    int rc = -1;
    snprintf(scheme, scheme_size, "%s", sch != NULL ? sch : "");
    if (host != NULL && host[0] != '\0') {
        /* libevent keeps an IP literal's brackets ("[::1]"): add them only if missing. */
        int is_v6 = host[0] != '[' && strchr(host, ':') != NULL;
        int n = port > 0
                    ? snprintf(out, out_size, "%s%s%s:%d", is_v6 ? "[" : "", host, is_v6 ? "]" : "",
                               port)
                    : snprintf(out, out_size, "%s%s%s", is_v6 ? "[" : "", host, is_v6 ? "]" : "");
        rc = (n > 0 && (size_t)n < out_size) ? 0 : -1;
    }
    evhttp_uri_free(u);
    return rc;
}

int guard_same_origin(struct evhttp_request *req, const char *scheme)
{
    const struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *origin = evhttp_find_header(in, "Origin");
    const char *source = origin != NULL ? origin : evhttp_find_header(in, "Referer");
    if (source == NULL)
        return 1;
    const char *host = evhttp_find_header(in, "Host");
    char authority[300], source_scheme[16];
    if (host == NULL || strcmp(source, "null") == 0 ||
        url_authority(source, authority, sizeof(authority), source_scheme, sizeof(source_scheme)) <
            0)
        return 0;
    /* RFC 6454 §4: an origin is scheme, host and port; http://host is not https://host. */
    return strcasecmp(source_scheme, scheme) == 0 && strcasecmp(authority, host) == 0;
}

/* Is addr one of the comma-separated literals in list? */
static int in_list(const char *list, const char *addr)
{
    size_t n = strlen(addr);
    for (const char *p = list; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == n && len > 0 && strncmp(p, addr, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

const char *guard_client_address(struct evhttp_request *req, const char *trusted_proxies, char *out,
                                 size_t out_size)
{
    peer_address(evhttp_request_get_connection(req), out, out_size);
    if (trusted_proxies == NULL || !in_list(trusted_proxies, out))
        return out;
    /* The proxy appends the address it saw to X-Forwarded-For ($proxy_add_x_forwarded_for):
     * the last entry is the only one it vouches for; earlier ones came from the client. */
    const char *xff = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Forwarded-For");
    if (xff == NULL)
        return out;
    const char *last = strrchr(xff, ',');
    last = last != NULL ? last + 1 : xff;
    while (*last == ' ')
        last++;
    size_t len = strcspn(last, " ");
    char forwarded[PEER_ADDRESS_MAX];
    if (len > 0 && len < sizeof(forwarded) && strspn(last, "0123456789abcdefABCDEF.:") >= len) {
        memcpy(forwarded, last, len);
        forwarded[len] = '\0';
        peer_normalize(forwarded, out, out_size);
    }
    return out;
}

const char *guard_request_scheme(struct evhttp_request *req, int is_tls,
                                 const char *trusted_proxies)
{
    if (is_tls)
        return "https";
    char peer[PEER_ADDRESS_MAX];
    peer_address(evhttp_request_get_connection(req), peer, sizeof(peer));
    if (trusted_proxies == NULL || !in_list(trusted_proxies, peer))
        return "http";
    const char *proto =
        evhttp_find_header(evhttp_request_get_input_headers(req), "X-Forwarded-Proto");
    return proto != NULL && strcasecmp(proto, "https") == 0 ? "https" : "http";
}

/* A browser page load (not a script's fetch, not an <img>): Sec-Fetch-Mode says so. */
static int is_navigation(const struct evkeyvalq *in)
{
    const char *mode = evhttp_find_header(in, "Sec-Fetch-Mode");
    return mode == NULL || strcmp(mode, "navigate") == 0;
}

static void refuse_anonymous(struct evhttp_request *req, enum auth_result r)
{
    const struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    const char *accept = evhttp_find_header(in, "Accept");
    int wants_page = path != NULL && (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0);
    if (wants_page && accept != NULL && strstr(accept, "text/html") != NULL &&
        evhttp_find_header(in, "Authorization") == NULL) {
        evhttp_add_header(out, "Location", "/login");
        reply_text(req, 303, "log in first: /login");
        return;
    }
    /* A challenge makes a browser pop up its own login box: only for clients that navigated
     * here (VLC, curl, a typed-in stream URL), never for the page's own scripts and images. */
    if (is_navigation(in))
        evhttp_add_header(out, "WWW-Authenticate", "Basic realm=\"Lookout\", charset=\"UTF-8\"");
    reply_text(req, 401, r == AUTH_BAD ? "wrong user name or password" : "login required");
}

/* Wipe the value of every header `name` in place (it stays, empty, for later lookups). */
static void wipe_header(struct evkeyvalq *headers, const char *name)
{
    struct evkeyval *h;
    TAILQ_FOREACH(h, headers, next)
    {
        if (strcasecmp(h->key, name) == 0)
            explicit_bzero(h->value, strlen(h->value));
    }
}

void guard_wipe_credentials(struct evhttp_request *req)
{
    wipe_header(evhttp_request_get_input_headers(req), "Authorization");
}

int guard_login(struct evhttp_request *req, struct auth *auth, const char *trusted_proxies,
                enum user_role role, struct auth_identity *who, const struct auth_outcome *verdict,
                auth_done_fn done, void *arg)
{
    const struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    char address[64];
    int64_t retry_ms = 0;
    enum auth_result r;
    if (verdict != NULL) {
        r = verdict->result;
        *who = verdict->who;
        retry_ms = verdict->retry_ms;
    } else {
        r = auth_check_async(auth, evhttp_find_header(in, "Authorization"),
                             evhttp_find_header(in, "Cookie"),
                             guard_client_address(req, trusted_proxies, address, sizeof(address)),
                             clock_now_us(), who, &retry_ms, done, arg);
    }
    /* Basic credentials are the password in base64: once checked (or handed to the hasher,
     * which keeps its own copy), no copy of them stays in the request, which evhttp frees
     * without wiping (issue 10 #7). */
    guard_wipe_credentials(req);
    if (r == AUTH_PENDING)
        return 1;
    if (r == AUTH_THROTTLED) {
        char seconds[24];
        snprintf(seconds, sizeof(seconds), "%lld", (long long)((retry_ms + 999) / 1000));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", seconds);
        reply_text(req, 429, "too many failed logins from your address; wait and try again");
        return -1;
    }
    if (r != AUTH_OK) {
        refuse_anonymous(req, r);
        return -1;
    }
    if (who->role < role) {
        reply_text(req, 403,
                   role >= ROLE_ADMIN ? "only an admin may do this"
                                      : "your account may watch but not steer (role: viewer)");
        return -1;
    }
    return 0;
}
