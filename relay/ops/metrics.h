#pragma once
/*
 * metrics: GET /metrics in the Prometheus text exposition format (version 0.0.4), and
 * GET /healthz for load balancers.
 *
 * Nothing is counted here: the page is rendered on request from the counters the hub, the
 * upstream and the access log already keep, so a scrape costs one pass over a few numbers.
 * docs/DEPLOY.md ("Monitoring") lists every series. /metrics needs a login like /api/status
 * (any role; Prometheus sends basic_auth); /healthz needs none and says only whether the
 * relay runs and whether the camera is sending.
 */
#include "routes.h"

struct evbuffer;
struct evhttp_request;
struct relay;

/* Content-Type of the /metrics answer. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Append the whole exposition for `relay` (borrowed) to out: relay-wide series, and each camera's
 * with a camera="NAME" label, for the cameras `who` may see (every camera for NULL). Returns 0
 * or -ENOMEM.
 */
int metrics_render(const struct relay *relay, const struct auth_identity *who,
                   struct evbuffer *out);

/* GET /metrics: 200 with metrics_render's text, no-store. */
void metrics_reply(struct evhttp_request *req, const struct route_ctx *ctx);

/*
 * GET /healthz: 200 "ok" while the relay runs, then a line about the default camera
 * "camera: online", "camera: standby" (nobody watching, disconnected on purpose) or
 * "camera: offline (<reason>)"; then "cameras: N, online A, standby B, offline C" over every
 * camera; then, only with HEALTHZ_CAMERA_NAMES (the route asks for no login, and camera names
 * are otherwise shown to those who may see them), "camera NAME: <state>" for each camera, by
 * name. The status is 200 in every case: a camera that is down is not a reason to take the relay
 * out of a pool (docs/API.md).
 */
void metrics_healthz(struct evhttp_request *req, const struct route_ctx *ctx);
