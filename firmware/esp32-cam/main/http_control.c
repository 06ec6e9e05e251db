#include "http_control.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esp_check.h"
#include "esp_http_server.h"
#include "esp_log.h"

#include "clock_ms.h"
#include "node_auth.h"

static const char *TAG = "http_control";

/* node_handle's stack use (its body, query and angle buffers) plus ours: a path copy and
 * NODE_BODY_MAX. esp_http_server's default 4096 is too tight for that. */
#define CONTROL_STACK_BYTES 6144
/* One client is the relay, which sends one request at a time (DESIGN.md); room for a browser. */
#define CONTROL_MAX_SOCKETS 3

struct http_control {
    httpd_handle_t server;
    struct node_guard *node;
    http_control_facts_cb facts_cb;
    void *facts_arg;
};

/* esp_http_server wants the whole status line; node_handle answers with these codes only. */
static const char *status_line(int status)
{
    switch (status) {
    case 200:
        return HTTPD_200;
    case 400:
        return HTTPD_400;
    case 404:
        return HTTPD_404;
    case 405:
        return "405 Method Not Allowed";
    default:
        return HTTPD_500;
    }
}

static esp_err_t send_reply(httpd_req_t *req, const struct node_reply *reply, const char *body)
{
    ESP_RETURN_ON_ERROR(httpd_resp_set_status(req, status_line(reply->status)), TAG, "set status");
    ESP_RETURN_ON_ERROR(httpd_resp_set_type(req, reply->content_type), TAG, "set content type");
    /* Answers describe the moment: nothing here may be cached (a cached move would not move). */
    ESP_RETURN_ON_ERROR(httpd_resp_set_hdr(req, "Cache-Control", "no-store"), TAG, "set header");
    if (reply->status == 405)
        ESP_RETURN_ON_ERROR(httpd_resp_set_hdr(req, "Allow", "GET"), TAG, "set header");
    return httpd_resp_send(req, body, (ssize_t)reply->body_len);
}

/* Every request on this port (and the stream port's others), as lookout-cam's control.c. */
esp_err_t http_control_handle(httpd_req_t *req, void *arg)
{
    struct http_control *c = arg;
    esp_err_t err = ESP_OK;
    if (!node_auth_admit(req, &err))
        return err;
    bool is_get = req->method == HTTP_GET;

    /* req->uri is the raw request target: the path, then '?' and the still-encoded query that
     * node_handle wants. The path is copied so that it ends where the query begins. */
    char path[CONFIG_HTTPD_MAX_URI_LEN + 1];
    size_t path_len = strcspn(req->uri, "?");
    if (path_len >= sizeof(path))
        path_len = sizeof(path) - 1;
    memcpy(path, req->uri, path_len);
    path[path_len] = '\0';
    const char *query = req->uri[path_len] == '?' ? req->uri + path_len + 1 : NULL;
    if (path[0] == '\0')
        strcpy(path, "/");

    struct node_facts facts;
    memset(&facts, 0, sizeof(facts));
    if (is_get && strcmp(path, "/status") == 0)
        c->facts_cb(&facts, c->facts_arg);

    char body[NODE_BODY_MAX];
    struct node_reply reply;
    struct node *n = node_guard_lock(c->node);
    node_handle(n, is_get, path, query, clock_ms_now(), &facts, body, sizeof(body), &reply);
    node_guard_unlock(c->node);

    if (is_get && strcmp(path, "/control_servo") == 0) {
        /* One line per move: the JSON answer (target and current angles), or the 400's reason,
         * which already ends in '\n'. */
        if (reply.status == 200)
            ESP_LOGI(TAG, "move %.64s: %.*s", query ? query : "", (int)reply.body_len, body);
        else
            ESP_LOGI(TAG, "move rejected (%d): %.*s", reply.status,
                     (int)(reply.body_len > 0 ? reply.body_len - 1 : 0), body);
    }
    err = send_reply(req, &reply, body);
    if (err != ESP_OK)
        ESP_LOGW(TAG, "reply to %s not sent: %s", path, esp_err_to_name(err));
    return err;
}

static esp_err_t on_request(httpd_req_t *req)
{
    return http_control_handle(req, req->user_ctx);
}

esp_err_t http_control_start(const struct http_control_config *cfg, struct http_control **out)
{
    ESP_RETURN_ON_FALSE(cfg->node != NULL && cfg->facts_cb != NULL, ESP_ERR_INVALID_ARG, TAG,
                        "node and facts callback are required");
    struct http_control *c = calloc(1, sizeof(*c));
    ESP_RETURN_ON_FALSE(c != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the control server");
    esp_err_t ret = ESP_OK;
    c->node = cfg->node;
    c->facts_cb = cfg->facts_cb;
    c->facts_arg = cfg->facts_arg;

    httpd_config_t config = HTTPD_DEFAULT_CONFIG();
    config.server_port = cfg->port;
    config.ctrl_port = HTTP_CONTROL_CTRL_PORT;
    config.stack_size = CONTROL_STACK_BYTES;
    config.max_open_sockets = CONTROL_MAX_SOCKETS;
    config.max_uri_handlers = 1;
    config.lru_purge_enable = true;
    config.uri_match_fn = httpd_uri_match_wildcard;
    ESP_GOTO_ON_ERROR(httpd_start(&c->server, &config), fail, TAG, "start the control server");
    /* One handler for every path and method: node_handle does the routing, 404 and 405. */
    const httpd_uri_t any = {
        .uri = "/*",
        .method = HTTP_ANY,
        .handler = on_request,
        .user_ctx = c,
    };
    ESP_GOTO_ON_ERROR(httpd_register_uri_handler(c->server, &any), fail, TAG, "register routes");
    ESP_LOGI(TAG, "control server on port %u: /control_servo, /status", (unsigned)cfg->port);
    *out = c;
    return ESP_OK;

fail:
    if (c->server != NULL && httpd_stop(c->server) != ESP_OK)
        ESP_LOGW(TAG, "cannot stop the control server");
    free(c);
    return ret;
}
