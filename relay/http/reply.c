#include "reply.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "json_escape.h"

/* libevent names only the codes of RFC 2616; give the newer ones their proper phrase. */
static const char *phrase(int code)
{
    switch (code) {
    case 303:
        return "See Other";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 429:
        return "Too Many Requests"; /* RFC 6585 §4 */
    case 431:
        return "Request Header Fields Too Large"; /* RFC 6585 §5 */
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return NULL; /* libevent's own */
    }
}

void reply_no_store(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    while (evhttp_remove_header(h, "Cache-Control") == 0)
        ;
    evhttp_add_header(h, "Cache-Control", "no-store");
}

void reply_text(struct evhttp_request *req, int code, const char *text)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
    reply_no_store(req);
    struct evbuffer *body = evbuffer_new();
    if (body != NULL)
        evbuffer_add_printf(body, "%s\n", text);
    evhttp_send_reply(req, code, phrase(code), body);
    if (body != NULL)
        evbuffer_free(body);
}

void reply_json(struct evhttp_request *req, int code, struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/json");
    reply_no_store(req);
    evhttp_send_reply(req, code, NULL, body);
}

void reply_json_string(struct evbuffer *out, const char *s)
{
    evbuffer_add(out, "\"", 1);
    while (*s != '\0') {
        char piece[JSON_ESCAPE_PIECE_MAX];
        size_t step;
        evbuffer_add(out, piece, json_escape_char(s, piece, &step));
        s += step;
    }
    evbuffer_add(out, "\"", 1);
}
