#pragma once
/*
 * wifi: the camera's Wi-Fi station link. Joins the configured network, takes its address by DHCP
 * or sets the static one from menuconfig, and after losing the access point reconnects with a
 * capped exponential backoff (1 s, 2 s, 4 s ... retry_max_ms), back to 1 s once it has an address.
 *
 * Needs esp_netif_init() and the default event loop (esp_event_loop_create_default) first;
 * app_main does both. Lives until reset (no _free: the firmware never tears it down).
 */
#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

/* Plain value type; the strings are borrowed for the duration of wifi_link_start only. */
struct wifi_link_settings {
    const char *ssid;     /* 1..32 bytes */
    const char *password; /* "" for an open network, else 8..64 bytes (WPA2/WPA3) */
    bool is_static;       /* false: DHCP, and the four addresses below are ignored */
    const char *ip;       /* dotted quads */
    const char *gateway;
    const char *netmask;
    const char *dns;       /* "" leaves the DNS server unset */
    uint32_t retry_max_ms; /* cap of the reconnection backoff, >= 1000 */
};

struct wifi_link;

/*
 * Check the settings, create the station interface, register the event handlers and start
 * connecting (in the background: this returns before the link is up). Returns ESP_OK,
 * ESP_ERR_INVALID_ARG for a bad SSID, password or address (logged with the option's name),
 * ESP_ERR_NO_MEM, or the esp_wifi / esp_netif / esp_event error.
 */
esp_err_t wifi_link_start(const struct wifi_link_settings *settings, struct wifi_link **out);
