#pragma once
/*
 * http_control: the control port (default 81), a second esp_http_server instance with its own
 * server_port and ctrl_port, so a stream never delays a move. Every request goes to node_handle
 * (node/node.h), the route table lookout-cam shares:
 *
 *   GET /control_servo?tr=INT&el=INT | ?pan=DEG&tilt=DEG   move; 200 JSON or 400 one line
 *   GET /status                                            JSON: angles, limits, camera, uptime
 *   anything else                                          404 / 405, one line
 *
 * Lives until reset (no _free: the firmware never tears it down).
 */
#include <stdint.h>

#include "esp_err.h"
#include "esp_http_server.h"

#include "http_stream.h"
#include "node.h"
#include "node_guard.h"

/* The control server's internal UDP control port: one past the stream server's. */
#define HTTP_CONTROL_CTRL_PORT (HTTP_STREAM_CTRL_PORT + 1)

/* Fill *out with the camera and stream facts for /status. Called on the server task, without
 * the node's lock held. */
typedef void (*http_control_facts_cb)(struct node_facts *out, void *arg);

/* Plain value type; the pointers are borrowed for ever. */
struct http_control_config {
    uint16_t port;
    struct node_guard *node;
    http_control_facts_cb facts_cb;
    void *facts_arg;
};

struct http_control;

/* Start the server. Returns ESP_OK, ESP_ERR_NO_MEM, or esp_http_server's error, logged. */
esp_err_t http_control_start(const struct http_control_config *cfg, struct http_control **out);

/*
 * Answer req as the control port does (node_handle); for the stream port's other paths. arg is
 * the struct http_control. Runs on the calling server's task (stack: 6 KB).
 */
esp_err_t http_control_handle(httpd_req_t *req, void *arg);
