#include "node_guard.h"

#include <assert.h>
#include <stdlib.h>

#include "esp_check.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"

static const char *TAG = "node_guard";

struct node_guard {
    struct node node;
    SemaphoreHandle_t mutex;
};

esp_err_t node_guard_new(const struct node_config *cfg, uint32_t now_ms, struct node_guard **out)
{
    struct node_guard *g = calloc(1, sizeof(*g));
    ESP_RETURN_ON_FALSE(g != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the node");
    /* node_init fails only with -EINVAL (node.h): converted here, at the boundary. */
    if (node_init(&g->node, cfg, now_ms) != 0) {
        ESP_LOGE(TAG, "bad servo settings: need 0 <= min <= home <= max <= 180 deg and "
                      "min pulse < max pulse < 20000 us on each axis (menuconfig -> Lookout)");
        free(g);
        return ESP_ERR_INVALID_ARG;
    }
    g->mutex = xSemaphoreCreateMutex();
    if (g->mutex == NULL) {
        free(g);
        ESP_LOGE(TAG, "no memory for the node's mutex");
        return ESP_ERR_NO_MEM;
    }
    *out = g;
    return ESP_OK;
}

struct node *node_guard_lock(struct node_guard *g)
{
    /* With portMAX_DELAY (and INCLUDE_vTaskSuspend, which ESP-IDF sets) the take waits forever
     * and cannot fail; the assert documents that. */
    BaseType_t is_taken = xSemaphoreTake(g->mutex, portMAX_DELAY);
    assert(is_taken == pdTRUE);
    (void)is_taken;
    return &g->node;
}

void node_guard_unlock(struct node_guard *g)
{
    /* Fails only if the caller does not hold the mutex: a programmer error. */
    BaseType_t is_given = xSemaphoreGive(g->mutex);
    assert(is_given == pdTRUE);
    (void)is_given;
}
