#include "relay_link.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_check.h"
#include "esp_crt_bundle.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_websocket_client.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#include "clock_ms.h"
#include "link_msg.h"
#include "node_link.h"

static const char *TAG = "relay_link";

#define URI_MAX 320
#define HEADERS_MAX 640
#define TASK_STACK_BYTES 6144
#define TASK_PRIORITY (tskIDLE_PRIORITY + 4)
#define SEND_TIMEOUT_MS 10000
#define STATUS_INTERVAL_MS 10000u /* the relay expects one at least this often */
#define IDLE_POLL_MS 100
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

struct relay_link {
    struct relay_link_config cfg;
    esp_websocket_client_handle_t client;
    char uri[URI_MAX];
    char headers[HEADERS_MAX];
    SemaphoreHandle_t lock; /* guards the four below: two tasks use them */
    bool is_up;             /* connected (after the 101) */
    bool is_streaming;      /* the relay asked for frames */
    bool wants_status;      /* a status is due now (just connected) */
    unsigned long frames;
    unsigned failures;             /* consecutive failed attempts: the backoff step */
    char text[LINK_MSG_MAX_BYTES]; /* a text message being assembled (ws task only) */
    int text_len;
};

/* The link's state, read and written by the websocket task and the link task. */
struct link_state {
    bool is_up, is_streaming, wants_status;
};

static void lock(struct relay_link *l)
{
    BaseType_t is_taken = xSemaphoreTake(l->lock, portMAX_DELAY);
    assert(is_taken == pdTRUE); /* cannot time out with portMAX_DELAY */
    (void)is_taken;
}

static void unlock(struct relay_link *l)
{
    BaseType_t is_given = xSemaphoreGive(l->lock);
    assert(is_given == pdTRUE); /* fails only if we do not hold it */
    (void)is_given;
}

static struct link_state get_state(struct relay_link *l, bool clear_wants_status)
{
    lock(l);
    struct link_state st = {l->is_up, l->is_streaming, l->wants_status};
    if (clear_wants_status)
        l->wants_status = false;
    unlock(l);
    return st;
}

/* Set is_up and is_streaming (and ask for a status when the link comes up). */
static void set_state(struct relay_link *l, bool is_up, bool is_streaming)
{
    lock(l);
    if (is_up && !l->is_up)
        l->wants_status = true;
    l->is_up = is_up;
    l->is_streaming = is_streaming;
    unlock(l);
}

/* "https://host[:port]/path/" -> "wss://host[:port]/path/node/link"; http -> ws. */
static esp_err_t make_uri(const char *url, char *out, size_t size)
{
    const char *rest;
    const char *scheme;
    if (strncmp(url, "https://", 8) == 0) {
        scheme = "wss://";
        rest = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        scheme = "ws://";
        rest = url + 7;
    } else {
        return ESP_ERR_INVALID_ARG;
    }
    size_t n = strlen(rest);
    const char *slash = strchr(rest, '/');
    int len = snprintf(out, size, "%s%s%s" LINK_MSG_PATH, scheme, rest,
                       slash == NULL || rest[n - 1] != '/' ? "/" : "");
    return len > 0 && (size_t)len < size ? ESP_OK : ESP_ERR_INVALID_SIZE;
}

/* Capped exponential backoff with jitter: a random delay in [d/2, d], d = min * 2^failures. */
static int next_delay_ms(struct relay_link *l)
{
    uint32_t d = BACKOFF_MIN_MS;
    for (unsigned i = 0; i < l->failures && d < BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > BACKOFF_MAX_MS)
        d = BACKOFF_MAX_MS;
    if (l->failures < 32)
        l->failures++;
    return (int)(d / 2 + esp_random() % (d / 2 + 1));
}

static void send_text(struct relay_link *l, const char *text, int len)
{
    if (esp_websocket_client_send_text(l->client, text, len, pdMS_TO_TICKS(SEND_TIMEOUT_MS)) < 0)
        ESP_LOGW(TAG, "a message to the relay was not sent");
}

/* A complete text message from the relay (ws task). */
static void on_text(struct relay_link *l, const char *text, size_t len)
{
    char reply[LINK_MSG_MAX_BYTES];
    struct node_link_action act;
    const char *reason = NULL;
    struct node *n = node_guard_lock(l->cfg.node);
    int rc = node_link_handle(n, text, len, clock_ms_now(), reply, sizeof(reply), &act, &reason);
    node_guard_unlock(l->cfg.node);
    if (rc < 0) {
        ESP_LOGW(TAG, "bad message from the relay: %s; reconnecting", reason);
        esp_websocket_client_close(l->client, pdMS_TO_TICKS(SEND_TIMEOUT_MS));
        return;
    }
    if (act.has_reply) {
        ESP_LOGI(TAG, "move: %.*s", (int)act.reply_len, reply);
        send_text(l, reply, (int)act.reply_len);
    }
    if (act.has_stream) {
        set_state(l, true, act.stream_on);
        ESP_LOGI(TAG, "the relay %s frames", act.stream_on ? "wants" : "needs no");
    }
}

/* Text messages may come in pieces (payload_offset); anything over the limit is dropped. */
static void on_data(struct relay_link *l, const esp_websocket_event_data_t *d)
{
    if (d->op_code != 0x1 && d->op_code != 0x0)
        return; /* pings, pongs, close: esp_websocket_client answers them */
    if (d->payload_offset == 0)
        l->text_len = 0;
    if (d->payload_len > (int)sizeof(l->text) || d->data_len < 0 ||
        l->text_len + d->data_len > (int)sizeof(l->text)) {
        ESP_LOGW(TAG, "a message from the relay is over %u bytes: dropped",
                 (unsigned)sizeof(l->text));
        l->text_len = 0;
        return;
    }
    memcpy(l->text + l->text_len, d->data_ptr, (size_t)d->data_len);
    l->text_len += d->data_len;
    if (d->payload_offset + d->data_len >= d->payload_len)
        on_text(l, l->text, (size_t)l->text_len);
}

/* Say why the link failed, in words a user can act on; then back off. */
static void on_error(struct relay_link *l, const esp_websocket_event_data_t *d)
{
    const esp_websocket_error_codes_t *e = &d->error_handle;
    int status = e->esp_ws_handshake_status_code;
    if (e->error_type == WEBSOCKET_ERROR_TYPE_HANDSHAKE && status == 401)
        ESP_LOGW(TAG, "the relay refused the token (HTTP 401): check LOOKOUT_RELAY_TOKEN");
    else if (e->error_type == WEBSOCKET_ERROR_TYPE_HANDSHAKE)
        ESP_LOGW(TAG, "the relay answered HTTP %d to the upgrade", status);
    else if (e->esp_tls_cert_verify_flags != 0)
        ESP_LOGW(TAG, "the relay's certificate was refused (mbedTLS flags 0x%x)",
                 (unsigned)e->esp_tls_cert_verify_flags);
    else
        ESP_LOGW(TAG, "cannot reach the relay (%s, errno %d)",
                 esp_err_to_name(e->esp_tls_last_esp_err), e->esp_transport_sock_errno);
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    struct relay_link *l = arg;
    const esp_websocket_event_data_t *d = data;
    switch (id) {
    case WEBSOCKET_EVENT_CONNECTED:
        ESP_LOGI(TAG, "linked to the relay");
        l->failures = 0;
        set_state(l, true, false);
        break;
    case WEBSOCKET_EVENT_DATA:
        on_data(l, d);
        break;
    case WEBSOCKET_EVENT_ERROR:
        on_error(l, d);
        break;
    case WEBSOCKET_EVENT_DISCONNECTED:
    case WEBSOCKET_EVENT_CLOSED: {
        set_state(l, false, false);
        int delay = next_delay_ms(l);
        ESP_LOGW(TAG, "link to the relay down; retrying in %d ms", delay);
        if (esp_websocket_client_set_reconnect_timeout(l->client, delay) != ESP_OK)
            ESP_LOGW(TAG, "cannot set the reconnect delay");
        break;
    }
    default:
        break;
    }
}

static void send_status(struct relay_link *l)
{
    struct node_facts facts;
    memset(&facts, 0, sizeof(facts));
    l->cfg.facts_cb(&facts, l->cfg.facts_arg);
    char msg[LINK_MSG_MAX_BYTES];
    struct node *n = node_guard_lock(l->cfg.node);
    int len = node_link_status(n, clock_ms_now(), &facts, msg, sizeof(msg));
    node_guard_unlock(l->cfg.node);
    if (len > 0)
        send_text(l, msg, len);
}

/* One frame, sent whole before the next is taken: a slow uplink lowers the rate, it does not
 * queue frames. */
static void send_frame(struct relay_link *l)
{
    struct cam_frame frame;
    int rc = cam_get(&l->cfg.cam, clock_ms_now(), &frame);
    if (rc < 0) {
        vTaskDelay(pdMS_TO_TICKS(IDLE_POLL_MS));
        return;
    }
    int sent = esp_websocket_client_send_bin(l->client, (const char *)frame.data, (int)frame.len,
                                             pdMS_TO_TICKS(SEND_TIMEOUT_MS));
    cam_put(&l->cfg.cam, &frame);
    if (sent == (int)frame.len) {
        lock(l);
        l->frames++;
        unlock(l);
    }
}

static void link_task(void *arg)
{
    struct relay_link *l = arg;
    TickType_t period = l->cfg.max_fps > 0 ? pdMS_TO_TICKS(1000u / l->cfg.max_fps) : 0;
    TickType_t last_wake = xTaskGetTickCount();
    uint32_t last_status_ms = clock_ms_now();
    for (;;) {
        struct link_state st = get_state(l, true);
        if (!st.is_up) {
            vTaskDelay(pdMS_TO_TICKS(IDLE_POLL_MS));
            last_wake = xTaskGetTickCount();
            continue;
        }
        uint32_t now_ms = clock_ms_now();
        if (st.wants_status || now_ms - last_status_ms >= STATUS_INTERVAL_MS) {
            send_status(l);
            last_status_ms = now_ms;
        }
        if (!st.is_streaming) {
            vTaskDelay(pdMS_TO_TICKS(IDLE_POLL_MS));
            last_wake = xTaskGetTickCount();
            continue;
        }
        send_frame(l);
        /* After a stall, start the cap afresh rather than send the missed periods in a burst. */
        if (period > 0 && xTaskDelayUntil(&last_wake, period) == pdFALSE)
            last_wake = xTaskGetTickCount();
    }
}

esp_err_t relay_link_start(const struct relay_link_config *cfg, struct relay_link **out)
{
    struct relay_link *l = calloc(1, sizeof(*l));
    ESP_RETURN_ON_FALSE(l != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the relay link");
    esp_err_t ret = ESP_OK;
    l->cfg = *cfg;
    l->lock = xSemaphoreCreateMutex();
    ESP_GOTO_ON_FALSE(l->lock != NULL, ESP_ERR_NO_MEM, fail, TAG, "no memory for the lock");
    ESP_GOTO_ON_ERROR(make_uri(cfg->url, l->uri, sizeof(l->uri)), fail, TAG,
                      "LOOKOUT_RELAY_URL must start with https:// (or http:// on a LAN)");
    int n = snprintf(l->headers, sizeof(l->headers), "Authorization: Bearer %s\r\n", cfg->token);
    ESP_GOTO_ON_FALSE(n > 0 && (size_t)n < sizeof(l->headers), ESP_ERR_INVALID_SIZE, fail, TAG,
                      "LOOKOUT_RELAY_TOKEN too long");
    esp_websocket_client_config_t ws = {
        .uri = l->uri,
        .headers = l->headers,
        .buffer_size = (int)cfg->buffer_bytes,
        .cert_pem = cfg->ca_pem,
        .crt_bundle_attach = cfg->ca_pem == NULL ? esp_crt_bundle_attach : NULL,
        .reconnect_timeout_ms = BACKOFF_MIN_MS,
        .enable_close_reconnect = true, /* a relay that restarts or replaces us closes cleanly */
        .network_timeout_ms = SEND_TIMEOUT_MS,
        .ping_interval_sec = 15,
        .pingpong_timeout_sec = 45,
        .user_agent = "lookout-esp32",
        .task_stack = TASK_STACK_BYTES,
    };
    l->client = esp_websocket_client_init(&ws);
    ESP_GOTO_ON_FALSE(l->client != NULL, ESP_ERR_NO_MEM, fail, TAG, "esp_websocket_client_init");
    ESP_GOTO_ON_ERROR(esp_websocket_register_events(l->client, WEBSOCKET_EVENT_ANY, on_event, l),
                      fail, TAG, "register events");
    ESP_GOTO_ON_FALSE(
        xTaskCreate(link_task, "relay_link", TASK_STACK_BYTES, l, TASK_PRIORITY, NULL) == pdPASS,
        ESP_ERR_NO_MEM, fail, TAG, "no memory for the link task");
    ESP_GOTO_ON_ERROR(esp_websocket_client_start(l->client), fail, TAG, "start the client");
    /* The URI holds no secret (the token is a header), so it may be logged. */
    ESP_LOGI(TAG, "dialing the relay at %s", l->uri);
    *out = l;
    return ESP_OK;
fail:
    /* Start-up only: the caller aborts and the chip restarts. */
    return ret;
}

unsigned long relay_link_frames(struct relay_link *l)
{
    lock(l);
    unsigned long n = l->frames;
    unlock(l);
    return n;
}
