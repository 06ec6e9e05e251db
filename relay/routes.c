#include "routes.h"
#include "clock.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "access_log.h"
#include "audit.h"
#include "auth.h"
#include "camera.h"
#include "cameras.h"
#include "connlimit.h"
#include "guard.h"
#include "cfg.h"
#include "hub.h"
#include "link_msg.h"
#include "metrics.h"
#include "ptz.h"
#include "relay.h"
#include "tell.h"
#include "reply.h"
#include "share.h"
#include "snapshot.h"
#include "source.h"
#include "web_assets.h"
#define LOG_TAG "http"
#include "log.h"

/* A strict policy works because the page has no inline script or style (web/). */
#define PAGE_CSP                                                                                   \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "        \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

enum { M_GET = 1, M_POST = 2 };

struct route {
    const char *path;
    int methods;
    enum user_role role; /* the least role allowed; ROLE_NONE: public */
    route_fn handler;
    int is_camera; /* acts on one camera: also under /c/NAME/, and only for who may see it */
};

/* Routes under /c/NAME/: the camera's part of the page's API and its stream. */
#define CAMERA_PREFIX "/c/"

void route_serve_asset(struct evhttp_request *req, const struct web_asset *asset)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", asset->content_type);
    /* Pages are never stored (a cache must not show one after a logout); scripts and styles
     * hold nothing private and are revalidated. */
    if (strncmp(asset->content_type, "text/html", 9) == 0)
        reply_no_store(req);
    else if (evhttp_find_header(h, "Cache-Control") == NULL)
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

static void on_page(struct evhttp_request *req, const struct route_ctx *ctx)
{
    (void)ctx;
    const struct web_asset *asset = web_asset_find("/");
    if (asset == NULL) {
        reply_text(req, 500, "page missing from this build");
        return;
    }
    route_serve_asset(req, asset);
}

static void on_manage(struct evhttp_request *req, const struct route_ctx *ctx)
{
    (void)ctx;
    const struct web_asset *asset = web_asset_find("/manage.html");
    if (asset == NULL)
        reply_text(req, 500, "page missing from this build");
    else
        route_serve_asset(req, asset);
}

static void on_stream(struct evhttp_request *req, const struct route_ctx *ctx)
{
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        /* The stream's headers only: a monitor's HEAD must not become a viewer. */
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Content-Type", "multipart/x-mixed-replace;boundary=" HUB_BOUNDARY);
        reply_no_store(req);
        evhttp_send_reply(req, 200, "OK", NULL);
        return;
    }
    struct access_log_stream logged;
    access_log_stream_begin(&logged, req); /* before the hub owns req */
    /* Whose stream it is, so removing the account, ending the session or revoking the guest
     * link closes it (routes_close_streams). */
    char tags[HUB_TAGS_MAX];
    if (ctx->who.share[0] != '\0')
        snprintf(tags, sizeof(tags), "share:%s\tsess:%s", ctx->who.share, ctx->who.session_id);
    else if (ctx->who.session_id[0] != '\0')
        snprintf(tags, sizeof(tags), "user:%s\tsess:%s", ctx->who.user, ctx->who.session_id);
    else
        snprintf(tags, sizeof(tags), "user:%s", ctx->who.user);
    int rc = hub_add_viewer(camera_hub(ctx->camera), req, tags);
    if (rc == 0) {
        access_log_stream_end(ctx->relay->access_log, &logged);
        return;
    }
    int status;
    const char *reason = hub_refusal(rc, &status);
    reply_text(req, status, reason);
}

static void on_snapshot(struct evhttp_request *req, const struct route_ctx *ctx)
{
    snapshot_request(camera_snapshot(ctx->camera), req);
}

static void on_status(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct relay *relay = ctx->relay;
    struct camera *cam = ctx->camera;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    int pan, tilt;
    int is_confirmed = ptz_get_angles(camera_ptz(cam), &pan, &tilt);
    int lim[4];
    ptz_get_limits(camera_ptz(cam), lim);
    int64_t now = clock_now_us();
    int online = camera_is_online(cam);
    struct source_stats ss;
    camera_get_source_stats(cam, &ss);
    evbuffer_add_printf(body, "{\"camera\":");
    reply_json_string(body, camera_name(cam));
    evbuffer_add_printf(body, ",\"title\":");
    reply_json_string(body, camera_title(cam));
    evbuffer_add_printf(body, ",\"online\":%s,\"offline_reason\":", online ? "true" : "false");
    reply_json_string(body, camera_offline_reason(cam));
    /* A user name may hold any printable character but ':' (RFC 7617), '"' and '\\' too. */
    evbuffer_add_printf(body, ",\"user\":");
    reply_json_string(body, ctx->who.user);
    evbuffer_add_printf(
        body,
        ",\"role\":\"%s\",\"pan\":%d,\"tilt\":%d,"
        "\"angles_confirmed\":%s,\"limits\":{\"pan\":[%d,%d],\"tilt\":[%d,%d]},"
        "\"fov_deg\":%u,\"fps\":%.1f,"
        "\"viewers\":%u,\"frames\":%llu,\"uptime_s\":%lld,\"recording\":%s,"
        "\"is_guest\":%s}\n",
        users_role_name(ctx->who.role), pan, tilt, is_confirmed ? "true" : "false", lim[0], lim[1],
        lim[2], lim[3], camera_fov_deg(cam), camera_fps(cam, now), camera_viewers(cam),
        (unsigned long long)ss.frames, (long long)((now - relay->started_us) / 1000000),
        relay->events != NULL ? "true" : "false", ctx->who.share[0] != '\0' ? "true" : "false");
    reply_json(req, 200, body);
    evbuffer_free(body);
}

static void on_counter(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evbuffer *body = evbuffer_new();
    if (body != NULL)
        evbuffer_add_printf(body, "{\"viewers\":%u}\n", camera_viewers(ctx->camera));
    reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
}

static void on_cameras(struct evhttp_request *req, const struct route_ctx *ctx);

static const struct route routes[] = {
    {"/", M_GET, ROLE_VIEWER, on_page, 0},
    {"/index.html", M_GET, ROLE_VIEWER, on_page, 0},
    {"/login", M_GET | M_POST, ROLE_NONE, NULL, 0}, /* GET: login_page, POST: login_submit */
    {"/logout", M_POST, ROLE_NONE, login_logout, 0},
    {"/mjpeg", M_GET, ROLE_VIEWER, on_stream, 1},
    {"/stream.mjpeg", M_GET, ROLE_VIEWER, on_stream, 1},
    {"/snapshot.jpg", M_GET, ROLE_VIEWER, on_snapshot, 1},
    {"/turnleft", M_POST, ROLE_OPERATOR, control_turnleft, 1},
    {"/turnright", M_POST, ROLE_OPERATOR, control_turnright, 1},
    {"/turnup", M_POST, ROLE_OPERATOR, control_turnup, 1},
    {"/turndown", M_POST, ROLE_OPERATOR, control_turndown, 1},
    {"/api/status", M_GET, ROLE_VIEWER, on_status, 1},
    {"/api/move", M_POST, ROLE_OPERATOR, api_move, 1},
    {"/api/home", M_POST, ROLE_OPERATOR, api_home, 1},
    {"/api/presets", M_GET, ROLE_VIEWER, api_presets, 1},
    {"/api/presets/save", M_POST, ROLE_OPERATOR, api_preset_save, 1},
    {"/api/presets/recall", M_POST, ROLE_OPERATOR, api_preset_recall, 1},
    {"/api/presets/delete", M_POST, ROLE_OPERATOR, api_preset_delete, 1},
    {"/api/cameras", M_GET, ROLE_VIEWER, on_cameras, 0},
    {"/api/audit", M_GET, ROLE_ADMIN, audit_api_query, 0},
    {"/api/alerts", M_GET, ROLE_VIEWER, api_alerts, 0},
    {"/api/alerts/snooze", M_POST, ROLE_OPERATOR, api_alerts_snooze, 0},
    {"/api/accounts", M_GET, ROLE_ADMIN, users_api_list, 0},
    {"/api/accounts/add", M_POST, ROLE_ADMIN, users_api_add, 0},
    {"/api/accounts/change", M_POST, ROLE_ADMIN, users_api_change, 0},
    {"/api/accounts/remove", M_POST, ROLE_ADMIN, users_api_remove, 0},
    {"/api/account/password", M_POST, ROLE_VIEWER, users_api_own_password, 0},
    {"/api/sessions", M_GET, ROLE_VIEWER, users_api_sessions, 0},
    {"/api/sessions/end", M_POST, ROLE_VIEWER, users_api_end_sessions, 0},
    {"/manage", M_GET, ROLE_VIEWER, on_manage, 0},
    {"/api/shares", M_GET | M_POST, ROLE_OPERATOR, share_api_shares, 0},
    {"/api/shares/revoke", M_POST, ROLE_OPERATOR, share_api_revoke, 0},
    {"/counter", M_GET, ROLE_NONE, on_counter, 0}, /* public: the default camera's count */
    {"/metrics", M_GET, ROLE_VIEWER, metrics_reply, 0},
    {"/healthz", M_GET, ROLE_NONE, metrics_healthz, 0},
    {"/" LINK_MSG_PATH, M_GET, ROLE_NONE, api_node_link, 0}, /* the node's token, not a login */
    {"/api/events", M_GET, ROLE_VIEWER, events_api_list, 1},
    {"/api/segments", M_GET, ROLE_VIEWER, recordings_api_segments, 1},
    {"/api/timelapse", M_GET, ROLE_VIEWER, recordings_api_timelapse, 1},
    {"/api/motion", M_GET, ROLE_VIEWER, events_api_motion, 1},
    {"/api/motion/save", M_POST, ROLE_OPERATOR, events_api_motion_set, 1},
};

static const char *camera_state_name(const struct camera *cam)
{
    return camera_is_online(cam)       ? "online"
           : camera_is_standby(cam)    ? "standby"
           : camera_is_connecting(cam) ? "connecting"
                                       : "offline";
}

/* GET /api/cameras: the cameras the caller may see, by name (docs/API.md). */
static void on_cameras(struct evhttp_request *req, const struct route_ctx *ctx)
{
    const struct cameras *set = ctx->relay->cameras;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    int64_t now = clock_now_us();
    const struct camera *def = cameras_default(set);
    int is_default_seen = auth_may_see(ctx->relay->auth, &ctx->who, camera_name(def));
    evbuffer_add_printf(body, "{\"user\":");
    reply_json_string(body, ctx->who.user);
    evbuffer_add_printf(body, ",\"role\":\"%s\",\"default\":", users_role_name(ctx->who.role));
    if (is_default_seen)
        reply_json_string(body, camera_name(def));
    else
        evbuffer_add_printf(body, "null");
    evbuffer_add_printf(body, ",\"cameras\":[");
    int n = 0;
    for (size_t i = 0; i < cameras_count(set); i++) {
        const struct camera *cam = cameras_at(set, i);
        if (!auth_may_see(ctx->relay->auth, &ctx->who, camera_name(cam)))
            continue;
        evbuffer_add_printf(body, "%s{\"name\":", n++ ? "," : "");
        reply_json_string(body, camera_name(cam));
        evbuffer_add_printf(body, ",\"title\":");
        reply_json_string(body, camera_title(cam));
        evbuffer_add_printf(body, ",\"online\":%s,\"state\":\"%s\",\"fps\":%.1f,\"viewers\":%u}",
                            camera_is_online(cam) ? "true" : "false", camera_state_name(cam),
                            camera_fps(cam, now), camera_viewers(cam));
    }
    evbuffer_add_printf(body, "]}\n");
    reply_json(req, 200, body);
    evbuffer_free(body);
}

/* /api/events/ID followed by one of these. */
static const struct route event_routes[] = {
    {"", M_GET, ROLE_VIEWER, events_api_one, 1},
    {"/thumbnail.jpg", M_GET, ROLE_VIEWER, events_api_thumbnail, 1},
    {"/recording.mkv", M_GET, ROLE_VIEWER, events_api_recording, 1},
    {"/play.mjpeg", M_GET, ROLE_VIEWER, events_api_play, 1},
    {"/delete", M_POST, ROLE_OPERATOR, events_api_delete, 1},
};

/* /api/recordings/ID followed by one of these: continuous recordings (segments, timelapse). */
static const struct route recording_routes[] = {
    {"", M_GET, ROLE_VIEWER, recordings_api_one, 1},
    {"/recording.mkv", M_GET, ROLE_VIEWER, recordings_api_file, 1},
};

/* prefix ID REST: REST's route in table (n entries), with ctx->id set, or NULL. */
static const struct route *id_route(const char *path, const char *prefix, const struct route *table,
                                    size_t n, struct route_ctx *ctx)
{
    size_t len = strlen(prefix);
    if (strncmp(path, prefix, len) != 0)
        return NULL;
    const char *p = path + len;
    int64_t id = 0;
    for (; *p >= '0' && *p <= '9' && id < (INT64_MAX - 9) / 10; p++)
        id = id * 10 + (*p - '0');
    if (id <= 0 || (*p >= '0' && *p <= '9'))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].path, p) == 0) {
            ctx->id = id;
            return &table[i];
        }
    }
    return NULL;
}

/* The route for /api/events/ID... or /api/recordings/ID..., with ctx->id set, or NULL. */
static const struct route *event_route(const char *path, struct route_ctx *ctx)
{
    const struct route *r = id_route(path, "/api/events/", event_routes,
                                     sizeof(event_routes) / sizeof(event_routes[0]), ctx);
    if (r == NULL)
        r = id_route(path, "/api/recordings/", recording_routes,
                     sizeof(recording_routes) / sizeof(recording_routes[0]), ctx);
    return r;
}

/* HEAD is a GET without the body (RFC 9110 §9.3.2): evhttp leaves the body out itself. */
static int method_bit(enum evhttp_cmd_type cmd)
{
    return (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) ? M_GET
           : cmd == EVHTTP_REQ_POST                          ? M_POST
                                                             : 0;
}

static void add_security_headers(struct evhttp_request *req, const struct relay *relay)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(out, "Referrer-Policy", "same-origin");
    if (relay->is_tls && relay->cfg->hsts_max_age_s > 0) {
        char hsts[64];
        snprintf(hsts, sizeof(hsts), "max-age=%u", relay->cfg->hsts_max_age_s);
        evhttp_add_header(out, "Strict-Transport-Security", hsts);
    }
}

/*
 * A guest (a session from a guest link) may only watch: the page, the stream, the snapshot, the
 * status and the list of cameras. Steering is refused by role already (403); another route is
 * 403 here; a camera the link does not name is 404 (auth_may_see), as if it did not exist.
 * Returns 1 after replying.
 */
static int guest_refused(const struct route *r, struct evhttp_request *req)
{
    int is_watching = r->handler == on_page || r->handler == on_stream ||
                      r->handler == on_snapshot || r->handler == on_status ||
                      r->handler == on_cameras;
    if (is_watching)
        return 0;
    reply_text(req, 403, "a guest link may only watch");
    return 1;
}

/*
 * A request waiting for its password check (off the loop). evhttp keeps a request it has
 * handed us until we answer it, even if its client leaves, so it is valid when we resume.
 */
struct parked {
    struct relay *relay;
    struct evhttp_request *req;
};

static void on_checked(const struct auth_outcome *o, void *arg);

/* A parked request for guard_login's callback, or NULL (no memory: the check runs on the loop
 * instead, since auth_check_async without a callback never parks). */
static struct parked *park(struct relay *relay, struct evhttp_request *req)
{
    struct parked *p = malloc(sizeof(*p));
    if (p != NULL) {
        p->relay = relay;
        p->req = req;
    }
    return p;
}

static void run(const struct route *r, struct evhttp_request *req, struct route_ctx *ctx)
{
    int is_post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
    if (!(method_bit(evhttp_request_get_command(req)) & r->methods)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          r->methods == M_POST ? "POST" : "GET");
        reply_text(req, 405,
                   r->methods == M_POST ? "method not allowed: use POST"
                                        : "method not allowed: use GET");
        return;
    }
    /* Another site's page must not be able to steer, log in or log out (CSRF). */
    if (is_post &&
        !guard_same_origin(
            req, guard_request_scheme(req, ctx->relay->is_tls, ctx->relay->cfg->trusted_proxies))) {
        reply_text(req, 403, "cross-site request refused (Origin is not this site)");
        return;
    }
    const char *proxies = ctx->relay->cfg->trusted_proxies;
    if (r->role != ROLE_NONE) {
        struct parked *p = ctx->verdict == NULL ? park(ctx->relay, req) : NULL;
        int g = guard_login(req, ctx->relay->auth, proxies, r->role, &ctx->who, ctx->verdict,
                            p != NULL ? on_checked : NULL, p);
        if (g != 1)
            free(p); /* not parked: answered, or allowed on */
        if (g != 0)
            return;
        /* Every answer that needed a login is for that user only: never stored by any cache. */
        reply_no_store(req);
    }
    if (ctx->who.share[0] != '\0' && guest_refused(r, req))
        return;
    /* After the login, so that nobody learns which cameras exist: a camera the caller may not
     * see answers as one that does not exist. */
    if (r->is_camera && (ctx->camera == NULL ||
                         (r->role != ROLE_NONE &&
                          !auth_may_see(ctx->relay->auth, &ctx->who, camera_name(ctx->camera))))) {
        reply_text(req, 404, "not found");
        return;
    }
    if (r->handler == NULL)
        (is_post ? login_submit : login_page)(req, ctx);
    else
        r->handler(req, ctx);
}

unsigned routes_close_streams(struct relay *relay, const char *tag)
{
    unsigned closed = 0;
    for (size_t i = 0; i < cameras_count(relay->cameras); i++)
        closed += hub_close_tagged(camera_hub(cameras_at(relay->cameras, i)), tag);
    return closed;
}

struct recheck {
    const struct auth *auth;
    const char *camera;
};

/* Whose stream it is, from its tags (on_stream: "user:NAME" or "share:ID", then "sess:ID"). */
static void owner_from_tags(const char *tags, struct auth_identity *who)
{
    memset(who, 0, sizeof(*who));
    for (const char *p = tags; *p != '\0';) {
        size_t len = strcspn(p, "\t");
        if (len > 5 && strncmp(p, "user:", 5) == 0)
            snprintf(who->user, sizeof(who->user), "%.*s", (int)(len - 5), p + 5);
        else if (len > 6 && strncmp(p, "share:", 6) == 0)
            snprintf(who->share, sizeof(who->share), "%.*s", (int)(len - 6), p + 6);
        p += len;
        p += strspn(p, "\t");
    }
}

static int may_keep(const char *tags, void *arg)
{
    const struct recheck *r = arg;
    struct auth_identity who;
    owner_from_tags(tags, &who);
    return auth_may_see(r->auth, &who, r->camera);
}

unsigned routes_recheck_streams(struct relay *relay)
{
    unsigned closed = 0;
    for (size_t i = 0; i < cameras_count(relay->cameras); i++) {
        struct camera *cam = cameras_at(relay->cameras, i);
        struct recheck r = {relay->auth, camera_name(cam)};
        closed += hub_close_unless(camera_hub(cam), may_keep, &r);
    }
    return closed;
}

void route_audit(const struct route_ctx *ctx, const char *action, const struct audit_field *fields,
                 size_t n)
{
    audit_record(ctx->relay->audit, action, ctx->who.user, ctx->address, fields, n);
}

static const struct route *find_route(const char *path, int is_camera_only)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, path) == 0 && (!is_camera_only || routes[i].is_camera))
            return &routes[i];
    }
    return NULL;
}

/* /c/NAME/REST: REST's route for camera NAME. An unknown NAME is found out only after the
 * login (run), so the answer does not tell who is not logged in which cameras exist. */
static void dispatch_camera(struct evhttp_request *req, struct route_ctx *ctx, const char *name)
{
    size_t n = strcspn(name, "/");
    const struct route *r = name[n] == '/' ? find_route(name + n, 1) : NULL;
    if (r == NULL && name[n] == '/')
        r = event_route(name + n, ctx);
    if (r == NULL || n == 0 || n > 32) {
        reply_text(req, 404, "not found");
        return;
    }
    char camera[33];
    memcpy(camera, name, n);
    camera[n] = '\0';
    ctx->camera = cameras_find(ctx->relay->cameras, camera);
    run(r, req, ctx);
}

/* Everything after the per-request prologue: limits, the route, login, the handler. */
static void route(struct evhttp_request *req, struct relay *relay,
                  const struct auth_outcome *verdict)
{
    struct route_ctx ctx = {
        .relay = relay, .camera = cameras_default(relay->cameras), .verdict = verdict};
    guard_client_address(req, ctx.relay->cfg->trusted_proxies, ctx.address, sizeof(ctx.address));
    if (guard_limits(req, ctx.relay->cfg) < 0)
        return;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (path == NULL || path[0] == '\0')
        path = "/";
    /* A guest link, /s/TOKEN: public (the token is the credential), GET only. */
    if (strncmp(path, "/s/", 3) == 0) {
        if (method_bit(evhttp_request_get_command(req)) != M_GET) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            reply_text(req, 405, "method not allowed: use GET");
        } else {
            share_api_open(req, &ctx, path + 3);
        }
        return;
    }
    if (strncmp(path, CAMERA_PREFIX, strlen(CAMERA_PREFIX)) == 0) {
        dispatch_camera(req, &ctx, path + strlen(CAMERA_PREFIX));
        return;
    }
    const struct route *r = find_route(path, 0);
    if (r != NULL) {
        run(r, req, &ctx);
        return;
    }
    const struct route *ev = event_route(path, &ctx);
    if (ev != NULL) {
        run(ev, req, &ctx);
        return;
    }
    /* The page's own scripts and styles need no login: they hold nothing private. */
    const struct web_asset *asset = web_asset_find(path);
    if (asset != NULL && method_bit(evhttp_request_get_command(req)) == M_GET) {
        route_serve_asset(req, asset);
        return;
    }
    reply_text(req, 404, "not found");
}

/* The hasher's verdict on a parked request's password: route it again with that verdict. */
static void on_checked(const struct auth_outcome *o, void *arg)
{
    struct parked *p = arg;
    route(p->req, p->relay, o);
    free(p);
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    struct relay *relay = arg;
    access_log_begin(relay->access_log, req);
    add_security_headers(req, relay);
    connlimit_request_begin(relay->connlimit, req); /* arrived whole: stop its deadline */
    route(req, relay, NULL);
}

void routes_install(struct evhttp *http, struct relay *relay)
{
    evhttp_set_gencb(http, dispatch, relay);
}
