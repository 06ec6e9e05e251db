#pragma once
/*
 * ws_bev: libwslay's I/O callbacks over a libevent bufferevent, for both ends of the node link
 * (the relay's source_link and lookout-cam's relay_link): wslay reads from the bufferevent's
 * input and writes to its output, and is told "would block" (WSLAY_ERR_WOULDBLOCK) when there
 * is nothing to read or when the output already holds max_output_bytes.
 */
#include <stddef.h>
#include <sys/types.h>

#include <wslay/wslay.h>

struct bufferevent;

/* As a wslay_event_recv_callback: up to len bytes of bev's input into buf. Returns the count,
 * or -1 with WSLAY_ERR_WOULDBLOCK set on ctx when the input is empty. */
ssize_t ws_bev_recv(wslay_event_context_ptr ctx, struct bufferevent *bev, uint8_t *buf, size_t len);

/* As a wslay_event_send_callback: data[0..len) appended to bev's output. Returns len, or -1
 * with WSLAY_ERR_WOULDBLOCK (output at max_output_bytes) or WSLAY_ERR_CALLBACK_FAILURE. */
ssize_t ws_bev_send(wslay_event_context_ptr ctx, struct bufferevent *bev, const uint8_t *data,
                    size_t len, size_t max_output_bytes);
