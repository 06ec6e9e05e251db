#pragma once
/*
 * node_auth: the optional login on both of the node's ports in pull mode (menuconfig
 * LOOKOUT_NODE_AUTH): HTTP Basic (RFC 7617) with one user and password, what the relay sends
 * from the user:pass@ of CAM_URL and SERVO_URL. The comparison takes the same time whatever the
 * client sent, up to the expected header's length.
 */
#include <stdbool.h>

#include "esp_err.h"
#include "esp_http_server.h"

/*
 * True if the request carries the configured credentials, or if LOOKOUT_NODE_AUTH is off.
 * Otherwise it has answered 401 with a Basic challenge and a one-line reason (the handler
 * returns `*err`, the result of sending it) and returns false.
 */
bool node_auth_admit(httpd_req_t *req, esp_err_t *err);
