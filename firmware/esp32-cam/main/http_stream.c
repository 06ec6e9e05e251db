#include "http_stream.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_check.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "lwip/sockets.h"

#include "clock_ms.h"
#include "mjpeg_writer.h"
#include "node_auth.h"

static const char *TAG = "http_stream";

#define CT_TEXT "text/plain; charset=utf-8"
#define HTTPD_405 "405 Method Not Allowed"
#define HTTPD_503 "503 Service Unavailable"
/* Part headers: 128 bytes plus the boundary always suffice (mjpeg_writer.h). */
#define PART_HEADER_MAX (128 + MJPEG_BOUNDARY_MAX)
/* A viewer that takes no bytes for this long is dropped (lookout-cam's WRITE_TIMEOUT_S). */
#define SEND_TIMEOUT_S 10
#define WORKER_STACK_BYTES 4096
/* esp_http_server's own default priority: streams compete evenly with the server task. */
#define WORKER_PRIORITY (tskIDLE_PRIORITY + 5)
#define FPS_WINDOW_MS 2000u
/* As the control server's (http_control.c): this server may run its handler. */
#define HTTP_STREAM_STACK_BYTES 6144

struct http_stream {
    httpd_handle_t server;
    struct cam cam;
    unsigned max_clients;
    TickType_t frame_period; /* 0: no cap */
    http_stream_clients_cb on_clients;
    void *on_clients_arg;
    http_stream_route_cb other_route;
    void *other_route_arg;
    char content_type[MJPEG_BOUNDARY_MAX + 64];
    SemaphoreHandle_t free_workers; /* counting: one per idle worker */
    QueueHandle_t requests;         /* httpd_req_t * handed to the workers */
    SemaphoreHandle_t mutex;        /* guards everything below */
    unsigned clients;
    unsigned long frames, connections_total;
    bool has_window, has_measured_fps;
    uint32_t window_start_ms;
    unsigned long window_frames, measured_mfps;
};

static void lock(struct http_stream *s)
{
    BaseType_t is_taken = xSemaphoreTake(s->mutex, portMAX_DELAY);
    assert(is_taken == pdTRUE); /* cannot time out with portMAX_DELAY */
    (void)is_taken;
}

static void unlock(struct http_stream *s)
{
    BaseType_t is_given = xSemaphoreGive(s->mutex);
    assert(is_given == pdTRUE); /* fails only if we do not hold it */
    (void)is_given;
}

/* A complete one-line text reply. status is a static "NNN Reason" string. */
static esp_err_t send_text(httpd_req_t *req, const char *status, const char *text)
{
    ESP_RETURN_ON_ERROR(httpd_resp_set_status(req, status), TAG, "set status");
    ESP_RETURN_ON_ERROR(httpd_resp_set_type(req, CT_TEXT), TAG, "set content type");
    ESP_RETURN_ON_ERROR(httpd_resp_set_hdr(req, "Cache-Control", "no-store"), TAG, "set header");
    return httpd_resp_send(req, text, HTTPD_RESP_USE_STRLEN);
}

/* Count one frame taken from the camera; the rate is measured only while a client streams, over
 * windows of FPS_WINDOW_MS, as lookout-cam does. */
static void count_frame(struct http_stream *s, uint32_t now_ms)
{
    lock(s);
    s->frames++;
    if (s->clients > 0) {
        if (!s->has_window) {
            s->has_window = true;
            s->window_start_ms = now_ms;
            s->window_frames = 0;
        } else {
            s->window_frames++;
            uint32_t elapsed = now_ms - s->window_start_ms;
            if (elapsed >= FPS_WINDOW_MS) {
                s->measured_mfps =
                    (unsigned long)((unsigned long long)s->window_frames * 1000000u / elapsed);
                s->has_measured_fps = true;
                s->window_start_ms = now_ms;
                s->window_frames = 0;
            }
        }
    }
    unlock(s);
}

static void client_joined(struct http_stream *s)
{
    lock(s);
    s->clients++;
    s->connections_total++;
    unsigned clients = s->clients;
    if (s->on_clients != NULL)
        s->on_clients(clients, s->on_clients_arg);
    unlock(s);
    ESP_LOGI(TAG, "stream client joined (%u/%u clients)", clients, s->max_clients);
}

static void client_left(struct http_stream *s, unsigned long sent, esp_err_t why)
{
    lock(s);
    s->clients--;
    unsigned clients = s->clients;
    if (clients == 0) {
        s->has_window = false;
        s->has_measured_fps = false;
    }
    if (s->on_clients != NULL)
        s->on_clients(clients, s->on_clients_arg);
    unlock(s);
    ESP_LOGI(TAG, "stream client left (%s): %lu frames sent (%u/%u clients)", esp_err_to_name(why),
             sent, clients, s->max_clients);
}

/*
 * Send frames to one client until a send fails (the client left, or took nothing for
 * SEND_TIMEOUT_S) or the camera fails. Runs on a worker task. Returns why it stopped.
 */
static esp_err_t serve_stream(struct http_stream *s, httpd_req_t *req, unsigned long *sent)
{
    ESP_RETURN_ON_ERROR(httpd_resp_set_type(req, s->content_type), TAG, "set content type");
    ESP_RETURN_ON_ERROR(httpd_resp_set_hdr(req, "Cache-Control", "no-store"), TAG, "set header");
    char header[PART_HEADER_MAX + 1];
    TickType_t last_wake = xTaskGetTickCount();
    for (;;) {
        struct cam_frame frame;
        int rc = cam_get(&s->cam, clock_ms_now(), &frame);
        if (rc < 0) {
            ESP_LOGW(TAG, "camera: no frame (%s); ending the stream", strerror(-rc));
            /* The last chunk ends the response properly, so the client sees a clean end and
             * reconnects (the relay does, with backoff). */
            ESP_RETURN_ON_ERROR(httpd_resp_send_chunk(req, NULL, 0), TAG, "end the stream");
            return ESP_FAIL;
        }
        count_frame(s, frame.captured_ms);
        int n =
            mjpeg_write_part_header(header, sizeof(header), MJPEG_ESP32_BOUNDARY, frame.len, NULL);
        esp_err_t err = n < 0 ? ESP_ERR_INVALID_SIZE : httpd_resp_send_chunk(req, header, n);
        if (err == ESP_OK)
            err = httpd_resp_send_chunk(req, (const char *)frame.data, (ssize_t)frame.len);
        cam_put(&s->cam, &frame);
        if (err != ESP_OK)
            return err;
        (*sent)++;
        /* pdFALSE: sending took longer than a period (a stall). Start the cap afresh from now,
         * or the periods missed would be sent back to back, a burst after every stall. */
        if (s->frame_period > 0 && xTaskDelayUntil(&last_wake, s->frame_period) == pdFALSE)
            last_wake = xTaskGetTickCount();
    }
}

/* One worker: waits for a /mjpeg request, streams to it, then gives the connection back. */
static void worker_task(void *arg)
{
    struct http_stream *s = arg;
    for (;;) {
        httpd_req_t *req = NULL;
        if (xQueueReceive(s->requests, &req, portMAX_DELAY) != pdTRUE)
            continue;
        client_joined(s);
        unsigned long sent = 0;
        esp_err_t why = serve_stream(s, req, &sent);
        client_left(s, sent, why);
        /* A stream ends only with its connection. Shutting the socket down makes the server task
         * see the end at once and close it, also for a client that stalled (whose socket would
         * otherwise linger until the LRU purge). The server task, not us, closes the descriptor. */
        int fd = httpd_req_to_sockfd(req);
        if (fd >= 0 && shutdown(fd, SHUT_RDWR) != 0)
            ESP_LOGD(TAG, "shutdown of a finished stream: errno %d", errno);
        /* Hands the socket back to the server task. */
        if (httpd_req_async_handler_complete(req) != ESP_OK)
            ESP_LOGW(TAG, "cannot hand a finished stream back to the server");
        if (xSemaphoreGive(s->free_workers) != pdTRUE)
            ESP_LOGE(TAG, "worker count out of step"); /* cannot happen: we took it */
    }
}

static esp_err_t start_stream(struct http_stream *s, httpd_req_t *req)
{
    if (xSemaphoreTake(s->free_workers, 0) != pdTRUE) {
        char text[96];
        snprintf(text, sizeof(text), "too many stream clients (max %u), try again later\n",
                 s->max_clients);
        ESP_LOGI(TAG, "stream client refused: %u/%u clients", s->max_clients, s->max_clients);
        return send_text(req, HTTPD_503, text);
    }
    httpd_req_t *copy = NULL;
    esp_err_t err = httpd_req_async_handler_begin(req, &copy);
    if (err != ESP_OK) {
        if (xSemaphoreGive(s->free_workers) != pdTRUE)
            ESP_LOGE(TAG, "worker count out of step");
        ESP_LOGW(TAG, "cannot hand the stream to a worker: %s", esp_err_to_name(err));
        return send_text(req, HTTPD_500, "out of memory\n");
    }
    /* The queue holds max_clients requests and we hold one of max_clients workers: never full. */
    if (xQueueSend(s->requests, &copy, 0) != pdTRUE) {
        ESP_LOGE(TAG, "stream queue full");
        if (httpd_req_async_handler_complete(copy) != ESP_OK)
            ESP_LOGW(TAG, "cannot release the stream request");
        if (xSemaphoreGive(s->free_workers) != pdTRUE)
            ESP_LOGE(TAG, "worker count out of step");
        return ESP_FAIL;
    }
    return ESP_OK;
}

/* GET /capture, on the server task: the newest frame as one JPEG. */
static esp_err_t send_capture(struct http_stream *s, httpd_req_t *req)
{
    struct cam_frame frame;
    int rc = cam_get(&s->cam, clock_ms_now(), &frame);
    if (rc < 0) {
        ESP_LOGW(TAG, "capture: no frame (%s)", strerror(-rc));
        if (rc == -EBUSY)
            return send_text(req, HTTPD_503, "camera busy, try again later\n");
        return send_text(req, HTTPD_500, "camera: no frame\n");
    }
    count_frame(s, frame.captured_ms);
    esp_err_t err = httpd_resp_set_type(req, "image/jpeg");
    if (err == ESP_OK)
        err = httpd_resp_set_hdr(req, "Cache-Control", "no-store");
    if (err == ESP_OK)
        err = httpd_resp_send(req, (const char *)frame.data, (ssize_t)frame.len);
    cam_put(&s->cam, &frame);
    if (err != ESP_OK)
        ESP_LOGW(TAG, "capture not sent: %s", esp_err_to_name(err));
    return err;
}

/* True if the path part of uri (up to '?') is exactly path. */
static bool path_is(const char *uri, const char *path)
{
    size_t len = strcspn(uri, "?");
    return len == strlen(path) && memcmp(uri, path, len) == 0;
}

/* Every request on this port: the routes of lookout-cam's stream.c. */
static esp_err_t on_request(httpd_req_t *req)
{
    struct http_stream *s = req->user_ctx;
    esp_err_t err = ESP_OK;
    if (!node_auth_admit(req, &err))
        return err;
    bool is_ours = path_is(req->uri, "/mjpeg") || path_is(req->uri, "/capture");
    if (!is_ours && s->other_route != NULL)
        return s->other_route(req, s->other_route_arg);
    if (req->method != HTTP_GET) {
        ESP_RETURN_ON_ERROR(httpd_resp_set_hdr(req, "Allow", "GET"), TAG, "set header");
        return send_text(req, HTTPD_405, "method not allowed: use GET\n");
    }
    if (path_is(req->uri, "/mjpeg"))
        return start_stream(s, req);
    if (path_is(req->uri, "/capture"))
        return send_capture(s, req);
    return send_text(req, HTTPD_404, "no such route (try /mjpeg or /capture)\n");
}

esp_err_t http_stream_start(const struct http_stream_config *cfg, struct http_stream **out)
{
    ESP_RETURN_ON_FALSE(cfg->max_clients > 0, ESP_ERR_INVALID_ARG, TAG, "max_clients is 0");
    struct http_stream *s = calloc(1, sizeof(*s));
    ESP_RETURN_ON_FALSE(s != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the stream server");
    esp_err_t ret = ESP_OK;
    s->cam = cfg->cam;
    s->max_clients = cfg->max_clients;
    s->frame_period = cfg->max_fps > 0 ? pdMS_TO_TICKS(1000u / cfg->max_fps) : 0;
    s->on_clients = cfg->on_clients;
    s->on_clients_arg = cfg->on_clients_arg;
    s->other_route = cfg->other_route;
    s->other_route_arg = cfg->other_route_arg;
    ESP_GOTO_ON_FALSE(mjpeg_write_content_type(s->content_type, sizeof(s->content_type),
                                               MJPEG_ESP32_BOUNDARY) > 0,
                      ESP_ERR_INVALID_SIZE, fail, TAG, "content type");
    s->mutex = xSemaphoreCreateMutex();
    s->free_workers = xSemaphoreCreateCounting(cfg->max_clients, cfg->max_clients);
    s->requests = xQueueCreate(cfg->max_clients, sizeof(httpd_req_t *));
    ESP_GOTO_ON_FALSE(s->mutex != NULL && s->free_workers != NULL && s->requests != NULL,
                      ESP_ERR_NO_MEM, fail, TAG, "no memory for the stream's queues");

    httpd_config_t config = HTTPD_DEFAULT_CONFIG();
    config.server_port = cfg->port;
    config.ctrl_port = HTTP_STREAM_CTRL_PORT;
    /* Streams, plus room to answer a capture and a refused client at the same time. */
    config.max_open_sockets = (uint16_t)(cfg->max_clients + 2);
    config.max_uri_handlers = 1;
    /* other_route runs the control port's handler here: node_handle's stack needs. */
    config.stack_size = HTTP_STREAM_STACK_BYTES;
    /* When all sockets are taken, a new client closes the least recently used idle one (never a
     * socket a worker is streaming to: esp_http_server skips those). */
    config.lru_purge_enable = true;
    config.send_wait_timeout = SEND_TIMEOUT_S;
    config.uri_match_fn = httpd_uri_match_wildcard;
    ESP_GOTO_ON_ERROR(httpd_start(&s->server, &config), fail, TAG, "start the stream server");
    /* One handler for every path and method, so unknown ones get our one-line 404/405. */
    const httpd_uri_t any = {
        .uri = "/*",
        .method = HTTP_ANY,
        .handler = on_request,
        .user_ctx = s,
    };
    ESP_GOTO_ON_ERROR(httpd_register_uri_handler(s->server, &any), fail, TAG, "register routes");

    for (unsigned i = 0; i < cfg->max_clients; i++) {
        char name[16];
        snprintf(name, sizeof(name), "mjpeg%u", i);
        ESP_GOTO_ON_FALSE(
            xTaskCreate(worker_task, name, WORKER_STACK_BYTES, s, WORKER_PRIORITY, NULL) == pdPASS,
            ESP_ERR_NO_MEM, fail, TAG, "no memory for stream worker %u", i);
    }
    ESP_LOGI(TAG, "stream server on port %u: /mjpeg (up to %u clients), /capture",
             (unsigned)cfg->port, cfg->max_clients);
    *out = s;
    return ESP_OK;

fail:
    /* Start-up only: the caller aborts and the chip restarts, so only the server is stopped (a
     * worker task already created may hold s, which is therefore not freed). */
    if (s->server != NULL && httpd_stop(s->server) != ESP_OK)
        ESP_LOGW(TAG, "cannot stop the stream server");
    return ret;
}

void http_stream_get_stats(struct http_stream *s, struct http_stream_stats *out)
{
    lock(s);
    *out = (struct http_stream_stats){
        .frames = s->frames,
        .clients = s->clients,
        .connections_total = s->connections_total,
        .has_measured_fps = s->has_measured_fps,
        .measured_mfps = s->measured_mfps,
    };
    unlock(s);
}
