#pragma once
/*
 * relay_link: the node dials its relay (menuconfig LOOKOUT_RELAY_URL): one outbound WebSocket
 * over TLS, esp_websocket_client on ESP-IDF's mbedTLS, authenticated with the camera's token
 * (LOOKOUT_RELAY_TOKEN). Frames go up as binary messages, moves come down as text messages
 * (docs/API.md, "Node link"; node/node_link.h decides what they mean, as in lookout-cam). The
 * node then needs no open port and no port forwarding, and works behind carrier-grade NAT.
 *
 * The relay's certificate is checked against LOOKOUT_RELAY_CA_FILE (a CA or the relay's own,
 * pinned, certificate, embedded at build time) or else ESP-IDF's CA bundle, and its name against
 * the certificate. Reconnects use capped exponential backoff with jitter; the servos keep their
 * state. Lives until reset (no _free).
 */
#include <stdint.h>

#include "esp_err.h"

#include "cam.h"
#include "node.h"
#include "node_guard.h"

/* Fill *out with the camera's facts for a status message (called on the link's task). */
typedef void (*relay_link_facts_cb)(struct node_facts *out, void *arg);

/* Plain value type; the pointers are borrowed for ever. */
struct relay_link_config {
    const char *url;       /* https://relay.example/ as a user types it; "node/link" is added */
    const char *token;     /* the relay's NODE_TOKEN for this camera */
    const char *ca_pem;    /* NUL-terminated PEM to trust, or NULL: ESP-IDF's CA bundle */
    unsigned buffer_bytes; /* esp_websocket_client's buffer: a frame goes in pieces this big */
    unsigned max_fps;      /* frames per second sent at most; 0: as fast as the camera */
    struct cam cam;
    struct node_guard *node;
    relay_link_facts_cb facts_cb;
    void *facts_arg;
};

struct relay_link;

/*
 * Start dialing (the link's own task sends frames and status; esp_websocket_client's task
 * receives moves). Returns ESP_OK, ESP_ERR_INVALID_ARG for a URL that is not http(s)://,
 * ESP_ERR_NO_MEM, or esp_websocket_client's error, logged.
 */
esp_err_t relay_link_start(const struct relay_link_config *cfg, struct relay_link **out);

/* Frames sent so far (for /status). */
unsigned long relay_link_frames(struct relay_link *l);
