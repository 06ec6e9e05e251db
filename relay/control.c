/* The pan/tilt routes: the original page's 5° moves, forwarded through ptz.h. */
#include <errno.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "cfg.h"
#include "ptz.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"

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

static void move(struct evhttp_request *req, const struct route_ctx *ctx, int tr_deg, int el_deg)
{
    if (ptz_move(ctx->relay->ptz, tr_deg, el_deg, on_moved, req) == -EBUSY)
        reply_text(req, 503, "too many moves waiting for the camera; try again");
}

/* The original firmware's convention: tr positive turns left, el negative tilts up. */
void control_turnleft(struct evhttp_request *req, const struct route_ctx *ctx)
{
    move(req, ctx, (int)ctx->relay->cfg->ptz_step_deg, 0);
}

void control_turnright(struct evhttp_request *req, const struct route_ctx *ctx)
{
    move(req, ctx, -(int)ctx->relay->cfg->ptz_step_deg, 0);
}

void control_turnup(struct evhttp_request *req, const struct route_ctx *ctx)
{
    move(req, ctx, 0, -(int)ctx->relay->cfg->ptz_step_deg);
}

void control_turndown(struct evhttp_request *req, const struct route_ctx *ctx)
{
    move(req, ctx, 0, (int)ctx->relay->cfg->ptz_step_deg);
}
