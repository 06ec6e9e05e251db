#include "ws_bev.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>

ssize_t ws_bev_recv(wslay_event_context_ptr ctx, struct bufferevent *bev, uint8_t *buf, size_t len)
{
    int n = evbuffer_remove(bufferevent_get_input(bev), buf, len);
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

ssize_t ws_bev_send(wslay_event_context_ptr ctx, struct bufferevent *bev, const uint8_t *data,
                    size_t len, size_t max_output_bytes)
{
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_get_length(out) >= max_output_bytes) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (evbuffer_add(out, data, len) < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}
