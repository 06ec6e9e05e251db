#pragma once
/*
 * routes: the relay's HTTP routes (docs/API.md lists them): the page and its assets, login, the
 * stream, the snapshot, pan/tilt, status. Each route names the least role it needs; guard.h
 * checks limits, login and (for POST) the request's origin before a handler runs. Every refusal
 * is a 4xx/5xx with a one-line plain-text reason.
 */
#include <stddef.h>

#include "auth.h"

struct camera;
struct evhttp;
struct evhttp_request;
struct relay;

/* What a handler knows about the request beyond the request itself. */
struct route_ctx {
    struct relay *relay;
    struct camera *camera;    /* the camera the route is for (the default one on legacy routes) */
    struct auth_identity who; /* role ROLE_NONE on public routes */
    int64_t id;               /* the ID of /api/events/ID/... and /api/recordings/ID/... */
    char address[64];         /* the client's, as guard_client_address finds it */
    const struct auth_outcome *verdict; /* a password check's result when routed again */
};

typedef void (*route_fn)(struct evhttp_request *req, const struct route_ctx *ctx);

/* Route every request of `http` to the relay's handlers; relay is borrowed and must outlive it. */
void routes_install(struct evhttp *http, struct relay *relay);

struct web_asset;

/* Answer with an embedded file; HTML gets the page's Content-Security-Policy and X-Frame-Options.
 */
void route_serve_asset(struct evhttp_request *req, const struct web_asset *asset);

struct audit_field;

/*
 * Record `action` in the audit log (AUDIT_LOG) as done by the request's user from its address,
 * with n more fields (audit.h). Never fails the request.
 */
void route_audit(const struct route_ctx *ctx, const char *action, const struct audit_field *fields,
                 size_t n);

/*
 * Close every open stream, of every camera, tagged `tag` ("user:NAME", "share:ID",
 * "sess:ID"; see hub_add_viewer). Returns how many closed.
 */
unsigned routes_close_streams(struct relay *relay, const char *tag);

/*
 * Close every open stream whose owner (its tags) may no longer see its camera (auth_may_see:
 * a USERS_FILE reload shrank a camera list or removed the user; a guest link ended). Call after
 * the accounts change. Returns how many closed.
 */
unsigned routes_recheck_streams(struct relay *relay);

/* Handlers that live in their own files. */
void control_turnleft(struct evhttp_request *req, const struct route_ctx *ctx);
void control_turnright(struct evhttp_request *req, const struct route_ctx *ctx);
void control_turnup(struct evhttp_request *req, const struct route_ctx *ctx);
void control_turndown(struct evhttp_request *req, const struct route_ctx *ctx);
void login_page(struct evhttp_request *req, const struct route_ctx *ctx);
void login_submit(struct evhttp_request *req, const struct route_ctx *ctx);
void login_logout(struct evhttp_request *req, const struct route_ctx *ctx);
void api_move(struct evhttp_request *req, const struct route_ctx *ctx);
void api_home(struct evhttp_request *req, const struct route_ctx *ctx);
void api_presets(struct evhttp_request *req, const struct route_ctx *ctx);
void api_preset_save(struct evhttp_request *req, const struct route_ctx *ctx);
void api_preset_recall(struct evhttp_request *req, const struct route_ctx *ctx);
void api_preset_delete(struct evhttp_request *req, const struct route_ctx *ctx);
/* Guarding (relay/guard/events_api.c): events, their files and replay, motion settings. */
void events_api_list(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_one(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_thumbnail(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_recording(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_play(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_delete(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_motion(struct evhttp_request *req, const struct route_ctx *ctx);
void events_api_motion_set(struct evhttp_request *req, const struct route_ctx *ctx);
/* Continuous recordings (relay/guard/events_api.c): segments, timelapse files. */
void recordings_api_segments(struct evhttp_request *req, const struct route_ctx *ctx);
void recordings_api_timelapse(struct evhttp_request *req, const struct route_ctx *ctx);
void recordings_api_one(struct evhttp_request *req, const struct route_ctx *ctx);
void recordings_api_file(struct evhttp_request *req, const struct route_ctx *ctx);
void audit_api_query(struct evhttp_request *req, const struct route_ctx *ctx);
void api_node_link(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_list(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_add(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_change(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_remove(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_own_password(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_sessions(struct evhttp_request *req, const struct route_ctx *ctx);
void users_api_end_sessions(struct evhttp_request *req, const struct route_ctx *ctx);
void share_api_open(struct evhttp_request *req, const struct route_ctx *ctx, const char *token);
void share_api_shares(struct evhttp_request *req, const struct route_ctx *ctx);
void share_api_revoke(struct evhttp_request *req, const struct route_ctx *ctx);

/* A guest link ended (revoked, expired): its sessions end and its open streams close now. */
void share_api_cut(struct relay *relay, const char *id);
