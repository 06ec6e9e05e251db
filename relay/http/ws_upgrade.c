#include "ws_upgrade.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* 1 if the comma-separated header value lists `token` (case-insensitive, RFC 9110 §5.6.1). */
static int lists_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    const char *p = value;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if ((size_t)(last - p) == n && strncasecmp(p, token, n) == 0)
            return 1;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* Any field `name` lists token: repeated fields form one list (RFC 9110 §5.3). */
static int header_lists_token(struct evkeyvalq *h, const char *name, const char *token)
{
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, h, next)
    {
        if (strcasecmp(kv->key, name) == 0 && lists_token(kv->value, token))
            return 1;
    }
    return 0;
}

int ws_upgrade_check(struct evhttp_request *req, char accept[WS_ACCEPT_SIZE], const char **reason)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *version = evhttp_find_header(h, "Sec-WebSocket-Version");
    const char *key = evhttp_find_header(h, "Sec-WebSocket-Key");
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        *reason = "the node link is a WebSocket: GET with Upgrade: websocket";
        return -EPROTO;
    }
    if (!header_lists_token(h, "Upgrade", "websocket") ||
        !header_lists_token(h, "Connection", "upgrade")) {
        *reason = "the node link is a WebSocket: send Upgrade: websocket, Connection: Upgrade";
        return -EPROTO;
    }
    if (version == NULL || strcmp(version, "13") != 0) {
        *reason = "unsupported Sec-WebSocket-Version: this relay speaks 13 (RFC 6455)";
        return -EPROTONOSUPPORT;
    }
    if (key == NULL || ws_key_accept(key, accept) < 0) {
        *reason = "bad Sec-WebSocket-Key: 16 bytes in base64 expected";
        return -EPROTO;
    }
    return 0;
}

int ws_upgrade_write_101(struct bufferevent *bev, const char accept[WS_ACCEPT_SIZE])
{
    int n = evbuffer_add_printf(bufferevent_get_output(bev),
                                "HTTP/1.1 101 Switching Protocols\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: %s\r\n"
                                "\r\n",
                                accept);
    return n < 0 ? -ENOMEM : 0;
}
