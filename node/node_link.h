#pragma once
/*
 * node_link: the node's side of the link's control messages (docs/API.md, "Node link"), shared
 * by both ports: lookout-cam's relay client and the ESP32 firmware's esp_websocket_client glue.
 * The port moves bytes; this file decides what a message means and what to answer.
 *
 *   relay -> node  {"type":"move","id":N,"tr":T,"el":E}     (or "pan"/"tilt": absolute)
 *   node -> relay  {"type":"moved","id":N,"status":200,<the /control_servo JSON members>}
 *                  {"type":"moved","id":N,"status":400,"error":"tr: out of range ..."}
 *   relay -> node  {"type":"stream","on":true|false}
 *   node -> relay  {"type":"status",<the /status JSON members>}
 *
 * A move runs through the same route as GET /control_servo, so the limits, the slew and the
 * answer are those of a pulled node. No OS calls, no allocation; time comes in as now_ms.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link_msg.h"
#include "node.h"

/* What the port must do after a message. Plain value type. */
struct node_link_action {
    bool has_reply; /* send reply[0..reply_len) as a text message */
    size_t reply_len;
    bool has_stream; /* the relay said whether it wants frames: */
    bool stream_on;  /* send frames (true) or stop (false) */
};

/*
 * Handle one text message from the relay, text[0..len). A move is applied to n at now_ms and
 * its answer written to reply[0..reply_size) (LINK_MSG_MAX_BYTES suffices; NUL-terminated).
 * Messages of a type this version does not know are ignored (no action).
 * Returns 0 with *out filled, or a negative errno from link_msg_parse with *reason set (static
 * phrase): the relay broke the protocol; the port closes the link and logs the reason.
 */
int node_link_handle(struct node *n, const char *text, size_t len, uint32_t now_ms, char *reply,
                     size_t reply_size, struct node_link_action *out, const char **reason);

/*
 * The status message (angles, limits, the port's facts; facts may be NULL) into
 * out[0..size). Returns its length, or -ENOSPC.
 */
int node_link_status(struct node *n, uint32_t now_ms, const struct node_facts *facts, char *out,
                     size_t size);
