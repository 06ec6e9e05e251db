#pragma once
/*
 * http_stream: the stream port (default 80), an esp_http_server instance of its own.
 *
 *   GET /mjpeg    multipart/x-mixed-replace JPEG stream, boundary MJPEG_ESP32_BOUNDARY, sent with
 *                 HTTP/1.1 chunked encoding: per frame one chunk with mjpeg_write_part_header's
 *                 bytes ("\r\n--boundary\r\n", Content-Type, Content-Length, blank line), then one
 *                 chunk with the JPEG: the body bytes lookout-cam and the original firmware send.
 *                 At most max_clients at once; one more gets 503 with a one-line reason.
 *   GET /capture  one JPEG.
 *   other paths   to other_route when set (the control port's routes: a SERVO_URL without ":81",
 *                 as the original's template has it, still steers); else 404 (unknown path) or
 *                 405 (method other than GET), one line of text.
 * With LOOKOUT_NODE_AUTH, every request needs the node's credentials first (node_auth.h).
 *
 * esp_http_server runs every handler on its one task, and a stream never returns, so each
 * /mjpeg request is handed over (httpd_req_async_handler_begin) to one of max_clients worker
 * tasks created at start: a stream blocks only its own worker, and the server task stays free to
 * accept, refuse and capture.
 *
 * Lives until reset (no _free: the firmware never tears it down).
 */
#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_http_server.h"

#include "cam.h"

/* The server's internal control socket (a UDP port on localhost); http_control uses the next one.
 * Two esp_http_server instances must not share it. */
#define HTTP_STREAM_CTRL_PORT ESP_HTTPD_DEF_CTRL_PORT

/* Called with the number of connected /mjpeg clients each time it changes, under the stream's
 * lock (so calls never overlap); it must not block. */
typedef void (*http_stream_clients_cb)(unsigned clients, void *arg);

/* Answers a request for a path the stream does not serve (on the server task). */
typedef esp_err_t (*http_stream_route_cb)(httpd_req_t *req, void *arg);

/* Plain value type; cam is copied, its pointers are borrowed for ever. */
struct http_stream_config {
    uint16_t port;
    unsigned max_clients; /* 1..: concurrent /mjpeg clients, one worker task each */
    unsigned max_fps;     /* per client; 0 sends every frame the camera delivers */
    struct cam cam;
    http_stream_clients_cb on_clients; /* may be NULL */
    void *on_clients_arg;
    http_stream_route_cb other_route; /* may be NULL: 404 */
    void *other_route_arg;
};

/* Counters for /status. Plain value type. */
struct http_stream_stats {
    unsigned long frames;            /* frames taken from the camera (streams and captures) */
    unsigned clients;                /* connected /mjpeg clients */
    unsigned long connections_total; /* /mjpeg clients accepted since start */
    bool has_measured_fps;           /* false while no client streams */
    unsigned long measured_mfps;     /* frames per second x 1000, all clients together */
};

struct http_stream;

/*
 * Start the server and its worker tasks. Returns ESP_OK, ESP_ERR_INVALID_ARG (max_clients 0),
 * ESP_ERR_NO_MEM, or esp_http_server's error (ESP_ERR_HTTPD_TASK...), logged.
 */
esp_err_t http_stream_start(const struct http_stream_config *cfg, struct http_stream **out);

/* Copy the counters into *out. Safe from any task. */
void http_stream_get_stats(struct http_stream *s, struct http_stream_stats *out);
