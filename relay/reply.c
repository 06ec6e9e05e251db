#include "reply.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

void reply_text(struct evhttp_request *req, int code, const char *text)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *body = evbuffer_new();
    if (body != NULL)
        evbuffer_add_printf(body, "%s\n", text);
    evhttp_send_reply(req, code, NULL, body);
    if (body != NULL)
        evbuffer_free(body);
}

void reply_json(struct evhttp_request *req, int code, struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply(req, code, NULL, body);
}
