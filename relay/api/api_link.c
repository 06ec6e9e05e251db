/*
 * GET /node/link: where a camera node dials in (docs/API.md, "Node link"). The node proves
 * itself with its camera's token ("Authorization: Bearer TOKEN", compared in constant time);
 * the token names the camera, so one endpoint serves every camera that waits for a node. Wrong
 * tokens are throttled per address as logins are (throttle.h) and answered 401 before the
 * upgrade; the token is never logged. The connection counts against MAX_CONNECTIONS like any
 * other (routes.c admits it first).
 */
#include <errno.h>
#include <stdio.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "access_log.h"
#include "camera.h"
#include "cameras.h"
#include "cfg.h"
#include "clock.h"
#include "guard.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"
#include "throttle.h"
#include "ws_upgrade.h"
#define LOG_TAG "link"
#include "log.h"

/* The camera whose token the request carries, or NULL. Every camera is compared, so the time
 * taken does not tell which (or whether one) matched. */
static struct camera *camera_for(const struct cameras *set, const char *authorization,
                                 int *has_link_camera)
{
    struct camera *found = NULL;
    for (size_t i = 0; i < cameras_count(set); i++) {
        struct camera *cam = cameras_at(set, i);
        int matches = camera_link_matches(cam, authorization);
        if (matches && found == NULL)
            found = cam;
        *has_link_camera |= camera_has_link(cam);
    }
    return found;
}

static void too_many(struct evhttp_request *req, int64_t wait_ms)
{
    char retry[24];
    snprintf(retry, sizeof(retry), "%lld", (long long)((wait_ms + 999) / 1000));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", retry);
    reply_text(req, 429, "too many wrong node tokens from your address: wait and retry");
}

void api_node_link(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct relay *relay = ctx->relay;
    char address[64];
    guard_client_address(req, relay->cfg->trusted_proxies, address, sizeof(address));
    int64_t now_us = clock_now_us();
    int64_t wait_ms = throttle_wait_ms(relay->node_throttle, address, now_us);
    if (wait_ms > 0) {
        too_many(req, wait_ms);
        return;
    }
    char accept[WS_ACCEPT_SIZE];
    const char *why = NULL;
    int rc = ws_upgrade_check(req, accept, &why);
    if (rc < 0) {
        if (rc == -EPROTONOSUPPORT)
            evhttp_add_header(evhttp_request_get_output_headers(req), "Sec-WebSocket-Version",
                              "13");
        reply_text(req, rc == -EPROTONOSUPPORT ? 426 : 400, why);
        return;
    }
    const char *authorization =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    int has_link_camera = 0;
    struct camera *cam = camera_for(relay->cameras, authorization, &has_link_camera);
    if (!has_link_camera) {
        reply_text(req, 404, "no camera here waits for its node (NODE_TOKEN is not set)");
        return;
    }
    if (cam == NULL) {
        unsigned n = throttle_fail(relay->node_throttle, address, now_us);
        LOG_WARN("node link from %s refused: %s (%u failures from this address)", address,
                 authorization == NULL ? "no token" : "wrong token", n);
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"lookout node link\"");
        reply_text(req, 401, "wrong or missing node token (Authorization: Bearer TOKEN)");
        return;
    }
    throttle_succeed(relay->node_throttle, address);
    struct access_log_stream logged;
    access_log_stream_begin(&logged, req); /* before the link owns req */
    if (camera_link_accept(cam, req, accept) < 0) {
        reply_text(req, 503, "out of memory");
        return;
    }
    access_log_link_end(relay->access_log, &logged);
}
