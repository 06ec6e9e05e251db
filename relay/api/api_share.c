/*
 * Guest links' routes (docs/API.md): GET /s/TOKEN opens one (a guest session cookie and the page,
 * 410 once it expired or was revoked, 404 and a throttled failure for a guess), POST /api/shares
 * makes one (operators), GET /api/shares lists them, POST /api/shares/revoke?id= ends one and
 * closes its open streams at once. share.h keeps the links; every step is audited.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "audit.h"
#include "auth.h"
#include "camera.h"
#include "cameras.h"
#include "cfg.h"
#include "clock.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"
#include "session.h"
#include "share.h"
#include "throttle.h"
#include "web_assets.h"
#define LOG_TAG "share"
#include "log.h"

#define FORM_MAX 2048

static void json_text(struct evbuffer *out, const char *key, const char *value, int is_last)
{
    char esc[512];
    audit_escape(value, esc, sizeof(esc));
    evbuffer_add_printf(out, "\"%s\":\"%s\"%s", key, esc, is_last ? "" : ",");
}

static const char *state_name(enum share_state st)
{
    return st == SHARE_LIVE ? "live" : st == SHARE_EXPIRED ? "expired" : "revoked";
}

static void json_link(struct evbuffer *out, const struct share_info *in, enum share_state st)
{
    evbuffer_add(out, "{", 1);
    json_text(out, "id", in->id, 0);
    json_text(out, "label", in->label, 0);
    json_text(out, "creator", in->creator, 0);
    evbuffer_add(out, "\"cameras\":[", 11);
    for (const char *p = in->cameras; *p != '\0';) {
        size_t len = strcspn(p, ",");
        evbuffer_add_printf(out, "%s\"%.*s\"", p == in->cameras ? "" : ",", (int)len, p);
        p += len + (p[len] == ',');
    }
    evbuffer_add_printf(out,
                        "],\"state\":\"%s\",\"created\":%lld,\"expires\":%lld,"
                        "\"last_used\":%lld,\"uses\":%u}",
                        state_name(st), (long long)in->created_s, (long long)in->expires_s,
                        (long long)in->last_used_s, in->uses);
}

/* The page, answered to /s/TOKEN itself (no redirect: a SameSite=Strict cookie set by a link
 * followed from another site would not come along on a redirect). */
static void serve_page(struct evhttp_request *req)
{
    const struct web_asset *page = web_asset_find("/");
    if (page == NULL)
        reply_text(req, 500, "page missing from this build");
    else
        route_serve_asset(req, page);
}

/* 410 and a small page that says the link ended and why: not a login prompt. */
static void gone(struct evhttp_request *req, enum share_state st)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
                      "frame-ancestors 'none'");
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 410, "this guest link has ended");
        return;
    }
    evbuffer_add_printf(
        body,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"dark light\">\n"
        "<title>Link ended · Lookout</title>\n"
        "<link rel=\"stylesheet\" href=\"/app.css\">\n"
        "<link rel=\"stylesheet\" href=\"/login.css\">\n</head>\n"
        "<body class=\"login-body\">\n<main class=\"login-card\">\n"
        "<h1 class=\"brand login-brand\"><img class=\"brand-icon\" src=\"/icon.svg\" alt=\"\" "
        "width=\"32\" height=\"32\">Lookout</h1>\n"
        "<p id=\"link-gone\">This guest link %s.</p>\n"
        "<p>Ask whoever sent it to you for a new one.</p>\n</main>\n</body>\n</html>\n",
        st == SHARE_REVOKED ? "was revoked" : "has expired");
    evhttp_send_reply(req, 410, "Gone", body);
    evbuffer_free(body);
}

static void set_cookie(struct evhttp_request *req, const struct relay *relay, const char *token,
                       int64_t max_age_s)
{
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
             SESSION_COOKIE, token, (long long)max_age_s, relay->is_tls ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
}

void share_api_open(struct evhttp_request *req, const struct route_ctx *ctx, const char *token)
{
    struct relay *relay = ctx->relay;
    int64_t now_us = clock_now_us(), now_s = (int64_t)time(NULL);
    struct throttle *t = auth_throttle(relay->auth);
    int64_t wait_ms = throttle_wait_ms(t, ctx->address, now_us);
    if (wait_ms > 0) {
        char seconds[24];
        snprintf(seconds, sizeof(seconds), "%lld", (long long)((wait_ms + 999) / 1000));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", seconds);
        reply_text(req, 429, "too many wrong links from your address; wait and try again");
        return;
    }
    struct share_info in;
    enum share_state st = shares_open(relay->shares, token, now_s, &in);
    if (st == SHARE_UNKNOWN) {
        /* A guessed token counts as a failed login: the same per-address throttle. */
        unsigned n = throttle_fail(t, ctx->address, now_us);
        LOG_WARN("unknown guest link from %s (%u in a row)", ctx->address, n);
        audit_record(relay->audit, "share_unknown", "", ctx->address, NULL, 0);
        reply_text(req, 404, "no such guest link");
        return;
    }
    struct audit_field f[] = {AUDIT_TEXT("share", in.id), AUDIT_TEXT("label", in.label),
                              AUDIT_TEXT("creator", in.creator),
                              AUDIT_TEXT("state", state_name(st))};
    if (st != SHARE_LIVE) {
        audit_record(relay->audit, "share_refused", "guest", ctx->address, f, 4);
        gone(req, st);
        return;
    }
    char session_token[SESSION_TOKEN_CHARS + 1];
    if (sessions_create_from(auth_sessions(relay->auth), "guest", ROLE_VIEWER, in.id, ctx->address,
                             now_us, session_token, NULL) < 0) {
        reply_text(req, 503, "cannot start a session");
        return;
    }
    audit_record(relay->audit, "share_open", "guest", ctx->address, f, 3);
    set_cookie(req, relay, session_token, in.expires_s - now_s);
    explicit_bzero(session_token, sizeof(session_token));
    serve_page(req);
}

/* The POST body (a form), NUL-terminated, parsed into fields. -1 after a 400. */
static int read_form(struct evhttp_request *req, struct evkeyvalq *fields)
{
    char form[FORM_MAX];
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (len >= sizeof(form)) {
        reply_text(req, 413, "form too large");
        return -1;
    }
    evbuffer_copyout(in, form, len);
    form[len] = '\0';
    if (len == 0 && query != NULL)
        snprintf(form, sizeof(form), "%s", query);
    if (evhttp_parse_query_str(form, fields) < 0) {
        reply_text(req, 400, "expected a form: cameras, expires, label");
        return -1;
    }
    return 0;
}

/* The cameras asked for: each must exist and be one the creator may see (404 otherwise). */
static int check_cameras(const struct route_ctx *ctx, const char *list, char *out, size_t size)
{
    if (list == NULL || list[0] == '\0') {
        snprintf(out, size, "%s", ctx->camera != NULL ? camera_name(ctx->camera) : "");
        return ctx->camera != NULL && auth_may_see(ctx->relay->auth, &ctx->who, out) ? 0 : -1;
    }
    snprintf(out, size, "%s", list);
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), p);
        if (cameras_find(ctx->relay->cameras, name) == NULL ||
            !auth_may_see(ctx->relay->auth, &ctx->who, name))
            return -1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* "https://HOST/s/TOKEN" for the Host the creator used (checked: host characters only). */
static int link_url(struct evhttp_request *req, const struct relay *relay, const char *token,
                    char *out, size_t size)
{
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
            strlen(host))
        return -1;
    const char *proto =
        evhttp_find_header(evhttp_request_get_input_headers(req), "X-Forwarded-Proto");
    int is_https = relay->is_tls || (proto != NULL && strcmp(proto, "https") == 0 &&
                                     relay->cfg->trusted_proxies[0] != '\0');
    snprintf(out, size, "%s://%s/s/%s", is_https ? "https" : "http", host, token);
    return 0;
}

static void share_api_create(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct relay *relay = ctx->relay;
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    if (read_form(req, &fields) < 0) {
        evhttp_clear_headers(&fields);
        return;
    }
    int64_t now_s = (int64_t)time(NULL), expires_s = 0;
    const char *label = evhttp_find_header(&fields, "label");
    char cameras[SHARE_CAMERAS_MAX], token[SHARE_TOKEN_CHARS + 1], url[512];
    const char *reason = "expires: 1h, tonight, week, or Unix seconds";
    struct share_info in;
    int rc = -EINVAL;
    if (check_cameras(ctx, evhttp_find_header(&fields, "cameras"), cameras, sizeof(cameras)) < 0)
        reason = "cameras: no camera by that name";
    else if (share_parse_expiry(evhttp_find_header(&fields, "expires"), now_s, &expires_s) == 0)
        rc = shares_create(relay->shares, ctx->who.user, cameras, label ? label : "", now_s,
                           expires_s, token, &in, &reason);
    evhttp_clear_headers(&fields);
    if (rc == 0 && link_url(req, relay, token, url, sizeof(url)) < 0) {
        shares_revoke(relay->shares, in.id, now_s);
        reason = "no usable Host header to build the link from";
        rc = -EINVAL;
    }
    explicit_bzero(token, sizeof(token));
    if (rc < 0) {
        reply_text(req, rc == -ENOSPC ? 409 : 400, reason);
        return;
    }
    struct audit_field f[] = {AUDIT_TEXT("share", in.id), AUDIT_TEXT("label", in.label),
                              AUDIT_TEXT("cameras", in.cameras),
                              AUDIT_NUM("expires", in.expires_s)};
    route_audit(ctx, "share_create", f, 4);
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    evbuffer_add_printf(body, "{\"url\":\"%s\",\"link\":", url); /* url: checked characters */
    json_link(body, &in, SHARE_LIVE);
    evbuffer_add(body, "}\n", 2);
    reply_json(req, 200, body);
    evbuffer_free(body);
    explicit_bzero(url, sizeof(url));
}

static void share_api_list(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    int64_t now_s = (int64_t)time(NULL);
    evbuffer_add_printf(body, "{\"now\":%lld,\"links\":[", (long long)now_s);
    struct share_info in;
    int n = 0;
    for (size_t i = 0; i < SHARE_MAX; i++) {
        if (shares_get(ctx->relay->shares, i, &in) < 0)
            continue;
        if (n++ > 0)
            evbuffer_add(body, ",", 1);
        json_link(body, &in, shares_state(ctx->relay->shares, in.id, now_s, NULL));
    }
    evbuffer_add(body, "]}\n", 3);
    reply_json(req, 200, body);
    evbuffer_free(body);
}

/* Everything a link still holds ends now: its sessions and its open streams. */
void share_api_cut(struct relay *relay, const char *id)
{
    char tag[SHARE_ID_CHARS + 8];
    snprintf(tag, sizeof(tag), "share:%s", id);
    unsigned ended = sessions_end_where(auth_sessions(relay->auth), NULL, id, NULL, NULL);
    unsigned closed = routes_close_streams(relay, tag);
    LOG_INFO("guest link %s ended: %u session(s), %u stream(s) closed", id, ended, closed);
}

void share_api_revoke(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    if (read_form(req, &fields) < 0) {
        evhttp_clear_headers(&fields);
        return;
    }
    const char *id = evhttp_find_header(&fields, "id");
    char copy[SHARE_ID_CHARS + 1] = "";
    if (id != NULL && strlen(id) == SHARE_ID_CHARS)
        memcpy(copy, id, sizeof(copy));
    evhttp_clear_headers(&fields);
    struct share_info in;
    int64_t now_s = (int64_t)time(NULL);
    int rc = copy[0] != '\0' ? shares_revoke(ctx->relay->shares, copy, now_s) : -ENOENT;
    if (rc == -ENOENT) {
        reply_text(req, 404, "no guest link with that id");
        return;
    }
    if (rc == -EALREADY) {
        reply_text(req, 409, "that guest link has already ended");
        return;
    }
    shares_state(ctx->relay->shares, copy, now_s, &in);
    share_api_cut(ctx->relay, copy);
    struct audit_field f[] = {AUDIT_TEXT("share", in.id), AUDIT_TEXT("label", in.label),
                              AUDIT_TEXT("creator", in.creator)};
    route_audit(ctx, "share_revoke", f, 3);
    share_api_list(req, ctx);
}

void share_api_shares(struct evhttp_request *req, const struct route_ctx *ctx)
{
    if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
        share_api_create(req, ctx);
    else
        share_api_list(req, ctx);
}
