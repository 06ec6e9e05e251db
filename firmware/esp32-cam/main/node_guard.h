#pragma once
/*
 * node_guard: the node (node/node.h) shared by the tasks that touch it: the servo timer
 * (servo_ledc.c, node_tick every few ms from the esp_timer task) and the control server's task
 * (http_control.c, node_handle). node/ is single-threaded by design; this mutex is the port's job.
 *
 * Lives until reset (no _free: the firmware never tears it down).
 */
#include "esp_err.h"

#include "node.h"

struct node_guard;

/*
 * Create the node from cfg (copied) at time now_ms, with its mutex, into *out.
 * Returns ESP_OK, ESP_ERR_INVALID_ARG if an axis configuration is invalid (limits, home or pulse
 * range; see servo_init), or ESP_ERR_NO_MEM.
 */
esp_err_t node_guard_new(const struct node_config *cfg, uint32_t now_ms, struct node_guard **out);

/*
 * Take the node for exclusive use; blocks until it is free. Returns the node, borrowed until the
 * matching node_guard_unlock. Hold it only for a few node_* calls: the servo timer waits on it.
 */
struct node *node_guard_lock(struct node_guard *g);

/* Give the node back. */
void node_guard_unlock(struct node_guard *g);
