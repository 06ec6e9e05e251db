/*
 * The pan/tilt routes (docs/API.md): the original page's 5° moves (/turnleft ...), and the
 * page's API: absolute and relative moves, home, presets. /api/move takes the node's own query
 * syntax (core/query.h: tr/el or pan/tilt, strictly checked) in the query string of a POST;
 * presets are named in ?name=.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "audit.h"
#include "camera.h"
#include "presets.h"
#include "ptz.h"
#include "query.h"
#include "reply.h"
#include "routes.h"
#define LOG_TAG "ptz"
#include "log.h"

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

static void busy_check(struct evhttp_request *req, int rc)
{
    if (rc == -EBUSY)
        reply_text(req, 503, "too many moves waiting for the camera; try again");
}

/* Audit a move before it is sent: who, from where, from which angles, to what. */
static void audit_move(const struct route_ctx *ctx, const char *kind, const char *preset, int has_a,
                       int a_deg, int has_b, int b_deg)
{
    int pan, tilt;
    ptz_get_angles(camera_ptz(ctx->camera), &pan, &tilt);
    int is_relative = strcmp(kind, "relative") == 0;
    struct audit_field f[7] = {AUDIT_TEXT("camera", camera_name(ctx->camera)),
                               AUDIT_TEXT("kind", kind), AUDIT_NUM("from_pan", pan),
                               AUDIT_NUM("from_tilt", tilt)};
    size_t n = 4;
    if (has_a)
        f[n++] = AUDIT_NUM(is_relative ? "tr" : "pan", a_deg);
    if (has_b)
        f[n++] = AUDIT_NUM(is_relative ? "el" : "tilt", b_deg);
    if (preset != NULL)
        f[n++] = AUDIT_TEXT("preset", preset);
    route_audit(ctx, "move", f, n);
}

static void turn(struct evhttp_request *req, const struct route_ctx *ctx, int tr_deg, int el_deg)
{
    audit_move(ctx, "relative", NULL, 1, tr_deg, 1, el_deg);
    busy_check(req, ptz_move(camera_ptz(ctx->camera), tr_deg, el_deg, on_moved, req));
}

/* The original firmware's convention: tr positive turns left, el negative tilts up. */
void control_turnleft(struct evhttp_request *req, const struct route_ctx *ctx)
{
    turn(req, ctx, (int)camera_ptz_step_deg(ctx->camera), 0);
}

void control_turnright(struct evhttp_request *req, const struct route_ctx *ctx)
{
    turn(req, ctx, -(int)camera_ptz_step_deg(ctx->camera), 0);
}

void control_turnup(struct evhttp_request *req, const struct route_ctx *ctx)
{
    turn(req, ctx, 0, -(int)camera_ptz_step_deg(ctx->camera));
}

void control_turndown(struct evhttp_request *req, const struct route_ctx *ctx)
{
    turn(req, ctx, 0, (int)camera_ptz_step_deg(ctx->camera));
}

void api_move(struct evhttp_request *req, const struct route_ctx *ctx)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct query_move move;
    char reason[QUERY_REASON_MAX];
    enum query_status st = query_parse(query, &move, reason, sizeof(reason));
    if (st != QUERY_OK) {
        reply_text(req, st == QUERY_ERR_TOO_LONG ? 414 : 400, reason);
        return;
    }
    struct ptz *ptz = camera_ptz(ctx->camera);
    audit_move(ctx, move.mode == QUERY_MODE_ABSOLUTE ? "absolute" : "relative", NULL, move.has_pan,
               move.pan_deg, move.has_tilt, move.tilt_deg);
    if (move.mode == QUERY_MODE_ABSOLUTE)
        busy_check(req, ptz_move_to(ptz, move.has_pan, move.pan_deg, move.has_tilt, move.tilt_deg,
                                    on_moved, req));
    else
        busy_check(req, ptz_move(ptz, move.has_pan ? move.pan_deg : 0,
                                 move.has_tilt ? move.tilt_deg : 0, on_moved, req));
}

void api_home(struct evhttp_request *req, const struct route_ctx *ctx)
{
    int lim[4];
    ptz_get_limits(camera_ptz(ctx->camera), lim);
    audit_move(ctx, "home", NULL, 1, (lim[0] + lim[1]) / 2, 1, (lim[2] + lim[3]) / 2);
    busy_check(req, ptz_move_to(camera_ptz(ctx->camera), 1, (lim[0] + lim[1]) / 2, 1,
                                (lim[2] + lim[3]) / 2, on_moved, req));
}

static void reply_presets(struct evhttp_request *req, const struct presets *p)
{
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    evbuffer_add_printf(body, "{\"presets\":[");
    for (size_t i = 0; i < presets_count(p); i++) {
        const char *name;
        int pan, tilt;
        presets_get(p, i, &name, &pan, &tilt);
        /* Names are limited to letters, digits, space and "_-.": nothing to escape. */
        evbuffer_add_printf(body, "%s{\"name\":\"%s\",\"pan\":%d,\"tilt\":%d}", i ? "," : "", name,
                            pan, tilt);
    }
    evbuffer_add_printf(body, "]}\n");
    reply_json(req, 200, body);
    evbuffer_free(body);
}

void api_presets(struct evhttp_request *req, const struct route_ctx *ctx)
{
    reply_presets(req, camera_presets(ctx->camera));
}

/* The ?name= of a preset request, decoded, into out. Replies 400 and returns -1 if bad. */
static int preset_name(struct evhttp_request *req, char *out, size_t out_size)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    const char *name = NULL;
    if (query != NULL && evhttp_parse_query_str(query, &params) == 0)
        name = evhttp_find_header(&params, "name");
    int ok = name != NULL && presets_name_ok(name);
    if (ok)
        snprintf(out, out_size, "%s", name);
    evhttp_clear_headers(&params);
    if (!ok)
        reply_text(req, 400, "name: 1-32 of letters, digits, space, '_', '-', '.'");
    return ok ? 0 : -1;
}

/* The file could not be written: the list in memory is unchanged; say why in the log. */
static void write_failed(struct evhttp_request *req, const struct route_ctx *ctx, int rc)
{
    LOG_ERROR("cannot write PRESETS_FILE %s: %s", camera_presets_file(ctx->camera), strerror(-rc));
    reply_text(req, 500, "cannot write PRESETS_FILE; see the relay's log");
}

static void audit_preset(const struct route_ctx *ctx, const char *action, const char *name,
                         int has_angles, int pan_deg, int tilt_deg)
{
    struct audit_field f[] = {AUDIT_TEXT("camera", camera_name(ctx->camera)),
                              AUDIT_TEXT("preset", name), AUDIT_NUM("pan", pan_deg),
                              AUDIT_NUM("tilt", tilt_deg)};
    route_audit(ctx, action, f, has_angles ? 4 : 2);
}

void api_preset_save(struct evhttp_request *req, const struct route_ctx *ctx)
{
    char name[PRESET_NAME_MAX + 1];
    if (preset_name(req, name, sizeof(name)) < 0)
        return;
    int pan, tilt;
    ptz_get_angles(camera_ptz(ctx->camera), &pan, &tilt);
    int rc = presets_save(camera_presets(ctx->camera), name, pan, tilt);
    if (rc == -ENOSPC)
        reply_text(req, 409, "too many presets: delete one first");
    else if (rc == -EINVAL) /* the name was checked above: the node's angles are out of range */
        reply_text(req, 502, "the camera reports an angle out of range; preset not saved");
    else if (rc < 0)
        write_failed(req, ctx, rc);
    else
        audit_preset(ctx, "preset_save", name, 1, pan, tilt);
    if (rc == 0)
        reply_presets(req, camera_presets(ctx->camera));
}

void api_preset_recall(struct evhttp_request *req, const struct route_ctx *ctx)
{
    char name[PRESET_NAME_MAX + 1];
    int pan, tilt;
    if (preset_name(req, name, sizeof(name)) < 0)
        return;
    if (presets_find(camera_presets(ctx->camera), name, &pan, &tilt) < 0) {
        reply_text(req, 404, "no preset by that name");
        return;
    }
    audit_move(ctx, "preset", name, 1, pan, 1, tilt);
    busy_check(req, ptz_move_to(camera_ptz(ctx->camera), 1, pan, 1, tilt, on_moved, req));
}

void api_preset_delete(struct evhttp_request *req, const struct route_ctx *ctx)
{
    char name[PRESET_NAME_MAX + 1];
    if (preset_name(req, name, sizeof(name)) < 0)
        return;
    int rc = presets_delete(camera_presets(ctx->camera), name);
    if (rc == -ENOENT)
        reply_text(req, 404, "no preset by that name");
    else if (rc < 0)
        write_failed(req, ctx, rc);
    else
        audit_preset(ctx, "preset_delete", name, 0, 0, 0);
    if (rc == 0)
        reply_presets(req, camera_presets(ctx->camera));
}
