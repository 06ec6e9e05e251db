/*
 * Accounts and sessions from the page (docs/API.md):
 *   GET  /api/accounts                  admins: the accounts, USERS_FILE's path and its last error
 *   POST /api/accounts/add              admins: name, role, password, cameras
 *   POST /api/accounts/change           admins: name, role, cameras (and/or password: a reset)
 *   POST /api/accounts/remove           admins: name (never the last admin)
 *   POST /api/account/password          anyone logged in: current, password (their own)
 *   GET  /api/sessions                  anyone logged in: their own sessions
 *   POST /api/sessions/end              their own: id=ID, or all=1 (every other one)
 * An edit copies the table, changes the copy, writes USERS_FILE atomically (yescrypt hashes
 * only), and re-reads it (users_watch_reload): the file stays the truth, and a removed user's
 * sessions and streams end by the same path as a hand edit. Each change is audited.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "audit.h"
#include "auth.h"
#include "camera.h"
#include "cameras.h"
#include "clock.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"
#include "session.h"
#include "users.h"
#include "users_watch.h"

#define FORM_MAX 2048
#define PASSWORD_MIN 8
#define PASSWORD_MAX 256

/* Form fields from the body (or, if empty, the query). -1 after replying 400/413. */
static int read_form(struct evhttp_request *req, struct evkeyvalq *fields)
{
    char form[FORM_MAX];
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len >= sizeof(form)) {
        reply_text(req, 413, "form too large");
        return -1;
    }
    evbuffer_copyout(in, form, len);
    form[len] = '\0';
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (len == 0 && query != NULL)
        snprintf(form, sizeof(form), "%s", query);
    int rc = evhttp_parse_query_str(form, fields);
    explicit_bzero(form, sizeof(form));
    if (rc < 0) {
        reply_text(req, 400, "expected a form");
        return -1;
    }
    return 0;
}

/* Wipe and free the fields (passwords among them). */
static void clear_form(struct evkeyvalq *fields)
{
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, fields, next)
    {
        if (kv->value != NULL)
            explicit_bzero(kv->value, strlen(kv->value));
    }
    evhttp_clear_headers(fields);
}

static unsigned sessions_of(struct sessions *s, const char *name)
{
    unsigned n = 0;
    struct session_info info;
    int64_t now = clock_now_us();
    for (size_t i = 0; i < SESSION_MAX; i++)
        n += sessions_get(s, i, now, &info) == 0 && info.share[0] == '\0' &&
             strcmp(info.user, name) == 0;
    return n;
}

void users_api_list(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct relay *relay = ctx->relay;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    const char *path = users_watch_path(relay->users_watch);
    evbuffer_add_printf(body, "{\"file\":");
    reply_json_string(body, path);
    evbuffer_add_printf(body, ",\"is_editable\":%s,\"error\":", path[0] ? "true" : "false");
    reply_json_string(body, users_watch_error(relay->users_watch));
    evbuffer_add_printf(body, ",\"accounts\":[");
    const struct users *u = auth_users(relay->auth);
    const char *name, *hash;
    enum user_role role;
    int is_fixed;
    for (size_t i = 0; users_at(u, i, &name, &hash, &role, &is_fixed) == 0; i++) {
        evbuffer_add_printf(body, "%s{\"name\":", i > 0 ? "," : "");
        reply_json_string(body, name);
        char cams[USER_CAMERAS_MAX];
        users_cameras_of(u, name, cams, sizeof(cams));
        evbuffer_add_printf(body, ",\"cameras\":");
        reply_json_string(body, cams);
        evbuffer_add_printf(body, ",\"role\":\"%s\",\"is_fixed\":%s,\"sessions\":%u}",
                            users_role_name(role), is_fixed ? "true" : "false",
                            sessions_of(auth_sessions(relay->auth), name));
    }
    evbuffer_add_printf(body, "]}\n");
    reply_json(req, 200, body);
    evbuffer_free(body);
}

/* Write the edited copy and re-read it. Replies on failure (and returns -1). */
static int commit(struct evhttp_request *req, const struct route_ctx *ctx, struct users *copy)
{
    struct relay *relay = ctx->relay;
    char err[600];
    int rc = users_save_file(copy, users_watch_path(relay->users_watch), err, sizeof(err));
    users_free(copy);
    if (rc < 0) {
        reply_text(req, 500, err);
        return -1;
    }
    if (users_watch_reload(relay->users_watch, "edited on the page") < 0) {
        reply_text(req, 500, users_watch_error(relay->users_watch));
        return -1;
    }
    return 0;
}

/* A copy of the table to edit, or NULL after replying (no USERS_FILE, out of memory). */
static struct users *editable(struct evhttp_request *req, const struct route_ctx *ctx)
{
    if (users_watch_path(ctx->relay->users_watch)[0] == '\0') {
        reply_text(req, 409, "accounts live in the .env file: set USERS_FILE to manage them here");
        return NULL;
    }
    struct users *copy = users_copy(auth_users(ctx->relay->auth));
    if (copy == NULL)
        reply_text(req, 503, "out of memory");
    return copy;
}

/* Hash a new password from the form (checked: 8-255 bytes). 0, or -1 after a 400. */
static int new_hash(struct evhttp_request *req, const char *password, char *hash, size_t size)
{
    if (password == NULL || strlen(password) < PASSWORD_MIN || strlen(password) >= PASSWORD_MAX) {
        reply_text(req, 400, "password: 8 to 255 characters");
        return -1;
    }
    if (users_hash_password(password, hash, size) < 0) {
        reply_text(req, 500, "cannot hash the password (libcrypt)");
        return -1;
    }
    return 0;
}

/* End every session of name but keep_id (NULL: all), and close those sessions' streams. */
static void end_sessions(struct relay *relay, const char *name, const char *keep_id)
{
    struct sessions *s = auth_sessions(relay->auth);
    struct session_info info;
    int64_t now = clock_now_us();
    for (size_t i = 0; i < SESSION_MAX; i++) {
        if (sessions_get(s, i, now, &info) < 0 || info.share[0] != '\0' ||
            strcmp(info.user, name) != 0 || (keep_id != NULL && strcmp(info.id, keep_id) == 0))
            continue;
        char tag[SESSION_ID_CHARS + 8];
        snprintf(tag, sizeof(tag), "sess:%s", info.id);
        sessions_end_where(s, NULL, NULL, NULL, info.id);
        routes_close_streams(relay, tag);
    }
}

/*
 * Apply the form's `cameras` (absent: keep; "" or "*": every camera) to name in copy; each named
 * camera must exist (a users file naming a missing camera would not start). 0, or -1 after a 400.
 */
static int apply_cameras(struct evhttp_request *req, const struct route_ctx *ctx,
                         struct users *copy, const char *name, const char *list)
{
    if (list == NULL)
        return 0;
    for (const char *p = list; *p != '\0' && strcmp(list, "*") != 0;) {
        size_t n = strcspn(p, ",");
        char camera[40];
        snprintf(camera, sizeof(camera), "%.*s", (int)(n < 32 ? n : 32), p);
        if (cameras_find(ctx->relay->cameras, camera) == NULL) {
            reply_text(req, 400, "cameras: no camera by that name");
            return -1;
        }
        p += n + (p[n] == ',');
    }
    const char *reason = "";
    if (users_set_cameras(copy, name, list, &reason) < 0) {
        reply_text(req, 400, reason);
        return -1;
    }
    return 0;
}

static void audit_account(const struct route_ctx *ctx, const char *action, const char *name,
                          const char *role)
{
    struct audit_field f[] = {AUDIT_TEXT("account", name), AUDIT_TEXT("role", role)};
    route_audit(ctx, action, f, role != NULL ? 2 : 1);
}

void users_api_add(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    struct users *copy = read_form(req, &fields) == 0 ? editable(req, ctx) : NULL;
    const char *name = evhttp_find_header(&fields, "name");
    const char *role_text = evhttp_find_header(&fields, "role");
    enum user_role role = users_role_parse(role_text != NULL ? role_text : "viewer");
    char hash[256];
    const char *reason = "name: 1 to 63 bytes, no ':' and no control characters";
    int rc = -1;
    if (copy != NULL && name != NULL &&
        new_hash(req, evhttp_find_header(&fields, "password"), hash, sizeof(hash)) == 0) {
        rc = users_add(copy, name, hash, role, &reason);
        if (rc < 0)
            reply_text(req, rc == -ENOSPC ? 409 : 400, reason);
        else if (apply_cameras(req, ctx, copy, name, evhttp_find_header(&fields, "cameras")) < 0)
            rc = -1;
    } else if (copy != NULL && name == NULL) {
        reply_text(req, 400, reason);
    }
    if (rc == 0 && commit(req, ctx, copy) == 0) {
        audit_account(ctx, "account_add", name, users_role_name(role));
        users_api_list(req, ctx);
    } else if (rc < 0) {
        users_free(copy);
    }
    clear_form(&fields);
}

/* Would the table still have an admin if name became `role` (ROLE_NONE: removed)? */
static int keeps_an_admin(const struct users *u, const char *name, enum user_role role)
{
    size_t admins = users_count_role(u, ROLE_ADMIN);
    int is_admin = users_role_of(u, name) == ROLE_ADMIN;
    return !is_admin || role == ROLE_ADMIN || admins > 1;
}

void users_api_change(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    struct users *copy = read_form(req, &fields) == 0 ? editable(req, ctx) : NULL;
    const char *name = evhttp_find_header(&fields, "name");
    const char *role_text = evhttp_find_header(&fields, "role");
    const char *password = evhttp_find_header(&fields, "password");
    enum user_role role = role_text != NULL ? users_role_parse(role_text) : ROLE_NONE;
    char hash[256];
    const char *reason = "";
    int rc = -1;
    if (copy == NULL) {
        rc = -1;
    } else if (name == NULL || users_role_of(copy, name) == ROLE_NONE) {
        reply_text(req, 404, "no account by that name");
    } else if (role_text != NULL && role == ROLE_NONE) {
        reply_text(req, 400, "role: viewer, operator or admin");
    } else if (!keeps_an_admin(copy, name, role == ROLE_NONE ? ROLE_ADMIN : role)) {
        reply_text(req, 409, "that is the last admin: make another admin first");
    } else if (password == NULL || new_hash(req, password, hash, sizeof(hash)) == 0) {
        rc = users_change(copy, name, role, password != NULL ? hash : NULL, &reason);
        if (rc == -EPERM)
            reply_text(req, 409, "the .env user is changed in the .env file, not here");
        else if (rc < 0)
            reply_text(req, 400, reason);
        else if (apply_cameras(req, ctx, copy, name, evhttp_find_header(&fields, "cameras")) < 0)
            rc = -1;
    }
    if (rc == 0 && commit(req, ctx, copy) == 0) {
        if (role != ROLE_NONE)
            audit_account(ctx, "account_role", name, users_role_name(role));
        const char *cams = evhttp_find_header(&fields, "cameras");
        if (cams != NULL) {
            struct audit_field f[] = {AUDIT_TEXT("account", name), AUDIT_TEXT("cameras", cams)};
            route_audit(ctx, "account_cameras", f, 2);
        }
        if (password != NULL) {
            audit_account(ctx, "account_password_reset", name, NULL);
            end_sessions(ctx->relay, name, NULL); /* a reset password: log them out */
        }
        users_api_list(req, ctx);
    } else if (rc < 0) {
        users_free(copy);
    }
    clear_form(&fields);
}

void users_api_remove(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    struct users *copy = read_form(req, &fields) == 0 ? editable(req, ctx) : NULL;
    const char *name = evhttp_find_header(&fields, "name");
    int rc = -1;
    if (copy == NULL)
        rc = -1;
    else if (name == NULL || users_role_of(copy, name) == ROLE_NONE)
        reply_text(req, 404, "no account by that name");
    else if (!keeps_an_admin(copy, name, ROLE_NONE))
        reply_text(req, 409, "that is the last admin: make another admin first");
    else if ((rc = users_remove(copy, name)) == -EPERM)
        reply_text(req, 409, "the .env user is removed in the .env file, not here");
    if (rc == 0 && commit(req, ctx, copy) == 0) {
        audit_account(ctx, "account_remove", name, NULL);
        users_api_list(req, ctx);
    } else if (rc < 0) {
        users_free(copy);
    }
    clear_form(&fields);
}

/* Set the user's own hash and re-read. Replies on failure; returns 0 or -1. */
static int set_own_hash(struct evhttp_request *req, const struct route_ctx *ctx, const char *hash)
{
    struct users *copy = editable(req, ctx);
    if (copy == NULL)
        return -1;
    const char *reason = "";
    int rc = users_change(copy, ctx->who.user, ROLE_NONE, hash, &reason);
    if (rc < 0) {
        users_free(copy);
        reply_text(req, rc == -EPERM ? 409 : 400,
                   rc == -EPERM ? "the .env user's password is changed in the .env file" : reason);
        return -1;
    }
    return commit(req, ctx, copy);
}

void users_api_own_password(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    if (read_form(req, &fields) < 0) {
        clear_form(&fields);
        return;
    }
    const char *current = evhttp_find_header(&fields, "current");
    int64_t retry_ms = 0;
    struct auth_identity who;
    char hash[256];
    enum auth_result r =
        auth_verify_password(ctx->relay->auth, ctx->who.user, current != NULL ? current : "",
                             ctx->address, clock_now_us(), &who, &retry_ms);
    if (r == AUTH_THROTTLED) {
        reply_text(req, 429, "too many failed attempts from your address; wait and try again");
    } else if (r != AUTH_OK) {
        reply_text(req, 403, "the current password is wrong");
    } else if (new_hash(req, evhttp_find_header(&fields, "password"), hash, sizeof(hash)) == 0 &&
               set_own_hash(req, ctx, hash) == 0) {
        route_audit(ctx, "password_change", NULL, 0);
        end_sessions(ctx->relay, ctx->who.user, ctx->who.session_id); /* all but this one */
        struct evbuffer *body = evbuffer_new();
        if (body != NULL)
            evbuffer_add_printf(body, "{\"changed\":true}\n");
        reply_json(req, 200, body);
        if (body != NULL)
            evbuffer_free(body);
    }
    clear_form(&fields);
}

void users_api_sessions(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    struct sessions *s = auth_sessions(ctx->relay->auth);
    struct session_info info;
    int64_t now = clock_now_us();
    evbuffer_add_printf(body, "{\"sessions\":[");
    int n = 0;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        if (sessions_get(s, i, now, &info) < 0 || info.share[0] != '\0' ||
            strcmp(info.user, ctx->who.user) != 0)
            continue;
        evbuffer_add_printf(body, "%s{\"id\":\"%s\",\"address\":", n++ ? "," : "", info.id);
        reply_json_string(body, info.address);
        evbuffer_add_printf(body, ",\"age_s\":%lld,\"idle_s\":%lld,\"is_current\":%s}",
                            (long long)((now - info.created_us) / 1000000),
                            (long long)((now - info.last_used_us) / 1000000),
                            strcmp(info.id, ctx->who.session_id) == 0 ? "true" : "false");
    }
    evbuffer_add_printf(body, "]}\n");
    reply_json(req, 200, body);
    evbuffer_free(body);
}

void users_api_end_sessions(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    if (read_form(req, &fields) < 0) {
        clear_form(&fields);
        return;
    }
    const char *id = evhttp_find_header(&fields, "id");
    const char *all = evhttp_find_header(&fields, "all");
    struct sessions *s = auth_sessions(ctx->relay->auth);
    if (all != NULL && strcmp(all, "1") == 0) {
        end_sessions(ctx->relay, ctx->who.user, ctx->who.session_id);
        route_audit(ctx, "sessions_end_all", NULL, 0);
        users_api_sessions(req, ctx);
    } else if (id != NULL && strlen(id) == SESSION_ID_CHARS &&
               sessions_end_where(s, ctx->who.user, "", NULL, id) == 1) {
        char tag[SESSION_ID_CHARS + 8];
        snprintf(tag, sizeof(tag), "sess:%s", id);
        routes_close_streams(ctx->relay, tag);
        struct audit_field f[] = {AUDIT_TEXT("session", id)};
        route_audit(ctx, "session_end", f, 1);
        users_api_sessions(req, ctx);
    } else {
        reply_text(req, 404, "no session of yours with that id (id=ID or all=1)");
    }
    clear_form(&fields);
}
