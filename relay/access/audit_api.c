/*
 * GET /api/audit?user=&action=&since=&limit= (admins): the newest audit lines that match, as JSON
 * (audit.h, audit_query). since: Unix seconds or ISO 8601 UTC; limit: 1..1000 (default 200).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "audit.h"
#include "relay.h"
#include "reply.h"
#include "routes.h"

#define DEFAULT_LIMIT 200

/* The filter from the query string; 0, or -1 after a 400. Strings point into params. */
static int parse_filter(struct evhttp_request *req, struct evkeyvalq *params,
                        struct audit_filter *f)
{
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (query != NULL && evhttp_parse_query_str(query, params) < 0) {
        reply_text(req, 400, "bad query string");
        return -1;
    }
    f->user = evhttp_find_header(params, "user");
    f->action = evhttp_find_header(params, "action");
    f->limit = DEFAULT_LIMIT;
    const char *since = evhttp_find_header(params, "since");
    if (since != NULL && since[0] != '\0' && audit_parse_time(since, &f->since_s) < 0) {
        reply_text(req, 400, "since: Unix seconds or YYYY-MM-DDTHH:MM[:SS][Z] (UTC)");
        return -1;
    }
    const char *limit = evhttp_find_header(params, "limit");
    if (limit != NULL) {
        char *end = NULL;
        long v = strtol(limit, &end, 10);
        if (end == limit || *end != '\0' || v < 1 || v > AUDIT_QUERY_MAX) {
            reply_text(req, 400, "limit: a whole number from 1 to 1000");
            return -1;
        }
        f->limit = (unsigned)v;
    }
    return 0;
}

void audit_api_query(struct evhttp_request *req, const struct route_ctx *ctx)
{
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    struct audit_filter f;
    memset(&f, 0, sizeof(f));
    if (parse_filter(req, &params, &f) < 0) {
        evhttp_clear_headers(&params);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (body == NULL || audit_query(ctx->relay->audit, &f, body) < 0)
        reply_text(req, 503, "out of memory");
    else
        reply_json(req, 200, body);
    if (body != NULL)
        evbuffer_free(body);
    evhttp_clear_headers(&params);
}
