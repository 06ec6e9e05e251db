/*
 * The alert routes (docs/API.md): GET /api/alerts, POST /api/alerts/snooze?minutes=N.
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

#include "alerts.h"
#include "audit.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"
#include "tell.h"
#include "tell_priv.h"
#define LOG_TAG "lookout"
#include "log.h"

#define SNOOZE_MAX_MINUTES (ALERTS_SNOOZE_MAX_S / 60)

static void reply_state(struct evhttp_request *req, const struct tell *t)
{
    char json[1024];
    alerts_json(t->alerts, (int64_t)time(NULL), json, sizeof(json));
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        reply_text(req, 503, "out of memory");
        return;
    }
    evbuffer_add_printf(body, "%s\n", json);
    reply_json(req, 200, body);
    evbuffer_free(body);
}

void api_alerts(struct evhttp_request *req, const struct route_ctx *ctx)
{
    reply_state(req, ctx->relay->tell);
}

/* ?minutes=N, 0..SNOOZE_MAX_MINUTES, digits only. Returns N or -1. */
static long snooze_minutes(struct evhttp_request *req)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    long minutes = -1;
    const char *v = NULL;
    if (query != NULL && evhttp_parse_query_str(query, &params) == 0)
        v = evhttp_find_header(&params, "minutes");
    if (v != NULL && v[0] != '\0' && strlen(v) <= 5 && strspn(v, "0123456789") == strlen(v)) {
        minutes = strtol(v, NULL, 10);
        if (minutes > SNOOZE_MAX_MINUTES)
            minutes = -1;
    }
    evhttp_clear_headers(&params);
    return minutes;
}

void api_alerts_snooze(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct tell *t = ctx->relay->tell;
    long minutes = snooze_minutes(req);
    if (minutes < 0) {
        reply_text(req, 400, "minutes: a whole number from 0 (end the snooze) to 1440");
        return;
    }
    alerts_snooze(t->alerts, (int64_t)time(NULL), (unsigned)minutes * 60);
    tell_save_alerts(t);
    struct audit_field f[1] = {AUDIT_NUM("minutes", minutes)};
    route_audit(ctx, "alerts_snooze", f, 1);
    LOG_INFO("user %s: %s", ctx->who.user,
             minutes > 0 ? "alerts snoozed" : "snooze ended, alerts follow the schedule");
    tell_publish_alerts(t);
    reply_state(req, t);
}
