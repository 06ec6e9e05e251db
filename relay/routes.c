#include "routes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "cfg.h"
#include "frame.h"
#include "hub.h"
#include "ptz.h"
#include "relay.h"
#include "reply.h"
#include "snapshot.h"
#include "upstream.h"
#include "web_assets.h"
#define LOG_TAG "http"
#include "log.h"

/* A strict policy works because the page has no inline script or style (web/). */
#define PAGE_CSP                                                                                   \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "        \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

enum { M_GET = 1, M_POST = 2 };

typedef void (*route_fn)(struct evhttp_request *req, struct relay *relay);

struct route {
    const char *path;
    int methods;
    int needs_auth;
    route_fn handler;
};

static void serve_asset(struct evhttp_request *req, const struct web_asset *asset)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", asset->content_type);
    evhttp_add_header(h, "Cache-Control", "no-cache");
    if (strncmp(asset->content_type, "text/html", 9) == 0) {
        evhttp_add_header(h, "Content-Security-Policy", PAGE_CSP);
        evhttp_add_header(h, "X-Frame-Options", "DENY");
    }
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    /* Static storage: referenced, not copied. */
    evbuffer_add_reference(body, asset->data, asset->size, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", body);
    evbuffer_free(body);
}

static void on_page(struct evhttp_request *req, struct relay *relay)
{
    (void)relay;
    const struct web_asset *asset = web_asset_find("/");
    if (asset == NULL) {
        reply_text(req, 500, "page missing from this build");
        return;
    }
    serve_asset(req, asset);
}

static void on_stream(struct evhttp_request *req, struct relay *relay)
{
    int rc = hub_add_viewer(relay->hub, req);
    if (rc == -EBUSY)
        reply_text(req, 503, "too many viewers: the relay's viewer limit (MAX_VIEWERS) is reached");
    else if (rc == -EUSERS)
        reply_text(req, 503, "too many viewers from your address (MAX_VIEWERS_PER_ADDRESS)");
    else if (rc < 0)
        reply_text(req, 503, "out of memory");
}

static void on_snapshot(struct evhttp_request *req, struct relay *relay)
{
    snapshot_request(relay->snapshot, req);
}

static void on_moved(int status, int pan_deg, int tilt_deg, const char *reason, void *arg)
{
    struct evhttp_request *req = arg;
    if (status != 200) {
        reply_text(req, status, reason);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (body != NULL)
        evbuffer_add_printf(body, "{\"pan\":%d,\"tilt\":%d}\n", pan_deg, tilt_deg);
    reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
}

static void move(struct evhttp_request *req, struct relay *relay, int tr_deg, int el_deg)
{
    if (ptz_move(relay->ptz, tr_deg, el_deg, on_moved, req) == -EBUSY)
        reply_text(req, 503, "too many moves waiting for the camera; try again");
}

/* The original page's 5° moves: tr positive turns left, el negative tilts up. */
static void on_turnleft(struct evhttp_request *req, struct relay *relay)
{
    move(req, relay, (int)relay->cfg->ptz_step_deg, 0);
}

static void on_turnright(struct evhttp_request *req, struct relay *relay)
{
    move(req, relay, -(int)relay->cfg->ptz_step_deg, 0);
}

static void on_turnup(struct evhttp_request *req, struct relay *relay)
{
    move(req, relay, 0, -(int)relay->cfg->ptz_step_deg);
}

static void on_turndown(struct evhttp_request *req, struct relay *relay)
{
    move(req, relay, 0, (int)relay->cfg->ptz_step_deg);
}

/* Writes s as a JSON string; reasons are our own ASCII phrases, but quote them safely anyway. */
static void json_string(struct evbuffer *out, const char *s)
{
    evbuffer_add(out, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            evbuffer_add_printf(out, "\\%c", c);
        else if (c < 0x20)
            evbuffer_add_printf(out, "\\u%04x", c);
        else
            evbuffer_add(out, s, 1);
    }
    evbuffer_add(out, "\"", 1);
}

static void on_status(struct evhttp_request *req, struct relay *relay)
{
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    int pan, tilt;
    int is_confirmed = ptz_get_angles(relay->ptz, &pan, &tilt);
    int64_t now = hub_now_us();
    struct hub_stats hs;
    hub_get_stats(relay->hub, &hs);
    int online = upstream_is_online(relay->upstream);
    struct upstream_stats us;
    upstream_get_stats(relay->upstream, &us);
    evbuffer_add_printf(body,
                        "{\"online\":%s,\"offline_reason\":", online ? "true" : "false");
    json_string(body, upstream_offline_reason(relay->upstream));
    evbuffer_add_printf(body,
                        ",\"pan\":%d,\"tilt\":%d,\"angles_confirmed\":%s,\"fps\":%.1f,"
                        "\"viewers\":%u,\"frames\":%llu,\"uptime_s\":%lld}\n",
                        pan, tilt, is_confirmed ? "true" : "false",
                        online ? upstream_fps(relay->upstream, now) : 0.0,
                        hub_viewer_count(relay->hub), (unsigned long long)us.frames,
                        (long long)((now - relay->started_us) / 1000000));
    reply_json(req, 200, body);
    evbuffer_free(body);
}

static void on_counter(struct evhttp_request *req, struct relay *relay)
{
    struct evbuffer *body = evbuffer_new();
    if (body != NULL)
        evbuffer_add_printf(body, "{\"viewers\":%u}\n", hub_viewer_count(relay->hub));
    reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
}

static const struct route routes[] = {
    {"/", M_GET, 1, on_page},
    {"/index.html", M_GET, 1, on_page},
    {"/mjpeg", M_GET, 1, on_stream},
    {"/stream.mjpeg", M_GET, 1, on_stream},
    {"/snapshot.jpg", M_GET, 1, on_snapshot},
    {"/turnleft", M_POST, 1, on_turnleft},
    {"/turnright", M_POST, 1, on_turnright},
    {"/turnup", M_POST, 1, on_turnup},
    {"/turndown", M_POST, 1, on_turndown},
    {"/api/status", M_GET, 1, on_status},
    {"/counter", M_GET, 0, on_counter},
};

static int method_bit(enum evhttp_cmd_type cmd)
{
    return cmd == EVHTTP_REQ_GET ? M_GET : cmd == EVHTTP_REQ_POST ? M_POST : 0;
}

static void challenge(struct evhttp_request *req)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Basic realm=\"Lookout\", charset=\"UTF-8\"");
    reply_text(req, 401, "login required");
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    struct relay *relay = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path == NULL || path[0] == '\0')
        path = "/";
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(out, "Referrer-Policy", "no-referrer");

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        if (strcmp(r->path, path) != 0)
            continue;
        if (r->needs_auth &&
            !auth_check_basic(relay->auth, evhttp_find_header(evhttp_request_get_input_headers(req),
                                                              "Authorization"))) {
            challenge(req);
            return;
        }
        if (!(method_bit(evhttp_request_get_command(req)) & r->methods)) {
            evhttp_add_header(out, "Allow", r->methods == M_POST ? "POST" : "GET");
            reply_text(req, 405, r->methods == M_POST ? "method not allowed: use POST"
                                                      : "method not allowed: use GET");
            return;
        }
        r->handler(req, relay);
        return;
    }
    /* The page's own scripts and styles need no login: they hold nothing private. */
    const struct web_asset *asset = web_asset_find(path);
    if (asset != NULL && evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
        serve_asset(req, asset);
        return;
    }
    reply_text(req, 404, "not found");
}

void routes_install(struct evhttp *http, struct relay *relay)
{
    evhttp_set_gencb(http, dispatch, relay);
}
