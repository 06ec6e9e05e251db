#include "wifi.h"

#include <stdlib.h>
#include <string.h>

#include "esp_check.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_timer.h"
#include "esp_wifi.h"

static const char *TAG = "wifi";

#define RETRY_FIRST_MS 1000u
#define PASSWORD_MIN_BYTES 8 /* WPA2's shortest passphrase (IEEE 802.11i) */

struct wifi_link {
    esp_netif_t *netif;
    esp_timer_handle_t retry_timer;
    uint32_t retry_ms; /* the next wait; touched only on the event loop task */
    uint32_t retry_max_ms;
    bool is_static;
    esp_netif_ip_info_t ip_info; /* static only */
    bool has_dns;
    esp_netif_dns_info_t dns;
};

/* Parse a dotted quad from menuconfig, naming the option if it is wrong. */
static esp_err_t parse_ip4(const char *option, const char *text, esp_ip4_addr_t *out)
{
    ESP_RETURN_ON_FALSE(text != NULL && esp_netif_str_to_ip4(text, out) == ESP_OK,
                        ESP_ERR_INVALID_ARG, TAG, "%s is not an IPv4 address: \"%s\"", option,
                        text != NULL ? text : "");
    return ESP_OK;
}

static esp_err_t parse_static(struct wifi_link *w, const struct wifi_link_settings *set)
{
    ESP_RETURN_ON_ERROR(parse_ip4("LOOKOUT_STATIC_IP", set->ip, &w->ip_info.ip), TAG, "address");
    ESP_RETURN_ON_ERROR(parse_ip4("LOOKOUT_STATIC_GATEWAY", set->gateway, &w->ip_info.gw), TAG,
                        "gateway");
    ESP_RETURN_ON_ERROR(parse_ip4("LOOKOUT_STATIC_NETMASK", set->netmask, &w->ip_info.netmask), TAG,
                        "netmask");
    w->has_dns = set->dns != NULL && set->dns[0] != '\0';
    if (w->has_dns) {
        ESP_RETURN_ON_ERROR(parse_ip4("LOOKOUT_STATIC_DNS", set->dns, &w->dns.ip.u_addr.ip4), TAG,
                            "DNS server");
        w->dns.ip.type = ESP_IPADDR_TYPE_V4;
    }
    return ESP_OK;
}

/* Replace DHCP with the static address; on every association, since it is the link going up that
 * makes the interface ready for it. */
static esp_err_t apply_static(struct wifi_link *w)
{
    esp_err_t err = esp_netif_dhcpc_stop(w->netif);
    ESP_RETURN_ON_FALSE(err == ESP_OK || err == ESP_ERR_ESP_NETIF_DHCP_ALREADY_STOPPED, err, TAG,
                        "stop the DHCP client: %s", esp_err_to_name(err));
    ESP_RETURN_ON_ERROR(esp_netif_set_ip_info(w->netif, &w->ip_info), TAG, "set static address");
    if (w->has_dns)
        ESP_RETURN_ON_ERROR(esp_netif_set_dns_info(w->netif, ESP_NETIF_DNS_MAIN, &w->dns), TAG,
                            "set DNS server");
    return ESP_OK;
}

/* esp_timer task: the backoff has elapsed. A failure here posts no disconnect event, so the timer
 * is re-armed directly (at the cap) to keep trying. */
static void on_retry(void *arg)
{
    struct wifi_link *w = arg;
    esp_err_t err = esp_wifi_connect();
    if (err == ESP_OK)
        return;
    ESP_LOGW(TAG, "reconnect failed: %s; next try in %lu ms", esp_err_to_name(err),
             (unsigned long)w->retry_max_ms);
    err = esp_timer_start_once(w->retry_timer, (uint64_t)w->retry_max_ms * 1000u);
    if (err != ESP_OK)
        ESP_LOGE(TAG, "cannot re-arm the reconnect timer: %s", esp_err_to_name(err));
}

static void schedule_retry(struct wifi_link *w, unsigned reason)
{
    if (esp_timer_is_active(w->retry_timer))
        return; /* a retry is already due */
    uint32_t wait_ms = w->retry_ms;
    esp_err_t err = esp_timer_start_once(w->retry_timer, (uint64_t)wait_ms * 1000u);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "cannot arm the reconnect timer: %s", esp_err_to_name(err));
        return;
    }
    ESP_LOGW(TAG, "disconnected (reason %u); reconnecting in %lu ms", reason,
             (unsigned long)wait_ms);
    w->retry_ms = wait_ms >= w->retry_max_ms / 2 ? w->retry_max_ms : wait_ms * 2;
}

/* Default event loop task. */
static void on_wifi_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    struct wifi_link *w = arg;
    if (id == WIFI_EVENT_STA_START) {
        esp_err_t err = esp_wifi_connect();
        if (err != ESP_OK) {
            ESP_LOGW(TAG, "connect failed: %s", esp_err_to_name(err));
            schedule_retry(w, 0);
        }
    } else if (id == WIFI_EVENT_STA_CONNECTED) {
        if (w->is_static && apply_static(w) != ESP_OK)
            ESP_LOGE(TAG, "static address not applied; the node is unreachable");
    } else if (id == WIFI_EVENT_STA_DISCONNECTED) {
        const wifi_event_sta_disconnected_t *d = data;
        schedule_retry(w, d != NULL ? d->reason : 0);
    }
}

/* Default event loop task. */
static void on_ip_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    (void)id;
    struct wifi_link *w = arg;
    const ip_event_got_ip_t *got = data;
    w->retry_ms = RETRY_FIRST_MS;
    ESP_LOGI(TAG, "up: " IPSTR " (%s)", IP2STR(&got->ip_info.ip), w->is_static ? "static" : "DHCP");
}

esp_err_t wifi_link_start(const struct wifi_link_settings *set, struct wifi_link **out)
{
    wifi_config_t wc;
    memset(&wc, 0, sizeof(wc));
    size_t ssid_len = set->ssid != NULL ? strlen(set->ssid) : 0;
    size_t pass_len = set->password != NULL ? strlen(set->password) : 0;
    ESP_RETURN_ON_FALSE(ssid_len >= 1 && ssid_len <= sizeof(wc.sta.ssid), ESP_ERR_INVALID_ARG, TAG,
                        "LOOKOUT_WIFI_SSID must be 1..%u bytes", (unsigned)sizeof(wc.sta.ssid));
    ESP_RETURN_ON_FALSE(pass_len == 0 ||
                            (pass_len >= PASSWORD_MIN_BYTES && pass_len <= sizeof(wc.sta.password)),
                        ESP_ERR_INVALID_ARG, TAG,
                        "LOOKOUT_WIFI_PASSWORD must be empty (open network) or %d..%u bytes",
                        PASSWORD_MIN_BYTES, (unsigned)sizeof(wc.sta.password));
    ESP_RETURN_ON_FALSE(set->retry_max_ms >= RETRY_FIRST_MS, ESP_ERR_INVALID_ARG, TAG,
                        "retry cap below %u ms", RETRY_FIRST_MS);
    /* A 32-byte SSID or a 64-digit PSK fills its whole field (no NUL); shorter ones end in the
     * zeros of the memset. */
    memcpy(wc.sta.ssid, set->ssid, ssid_len);
    memcpy(wc.sta.password, set->password, pass_len);
    wc.sta.threshold.authmode = pass_len > 0 ? WIFI_AUTH_WPA2_PSK : WIFI_AUTH_OPEN;
    wc.sta.sae_pwe_h2e = WPA3_SAE_PWE_BOTH; /* WPA3 access points use either method */

    struct wifi_link *w = calloc(1, sizeof(*w));
    ESP_RETURN_ON_FALSE(w != NULL, ESP_ERR_NO_MEM, TAG, "no memory for the Wi-Fi link");
    esp_err_t ret = ESP_OK;
    w->retry_ms = RETRY_FIRST_MS;
    w->retry_max_ms = set->retry_max_ms;
    w->is_static = set->is_static;
    if (w->is_static)
        ESP_GOTO_ON_ERROR(parse_static(w, set), fail, TAG, "static address settings");

    const esp_timer_create_args_t timer_args = {
        .callback = on_retry,
        .arg = w,
        .dispatch_method = ESP_TIMER_TASK,
        .name = "wifi_retry",
    };
    ESP_GOTO_ON_ERROR(esp_timer_create(&timer_args, &w->retry_timer), fail, TAG, "retry timer");
    w->netif = esp_netif_create_default_wifi_sta();
    ESP_GOTO_ON_FALSE(w->netif != NULL, ESP_ERR_NO_MEM, fail, TAG, "station interface");
    const wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    ESP_GOTO_ON_ERROR(esp_wifi_init(&init), fail, TAG, "esp_wifi_init");
    ESP_GOTO_ON_ERROR(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, w),
                      fail, TAG, "Wi-Fi event handler");
    ESP_GOTO_ON_ERROR(esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_ip_event, w),
                      fail, TAG, "IP event handler");
    ESP_GOTO_ON_ERROR(esp_wifi_set_mode(WIFI_MODE_STA), fail, TAG, "station mode");
    ESP_GOTO_ON_ERROR(esp_wifi_set_config(WIFI_IF_STA, &wc), fail, TAG, "station settings");
    ESP_GOTO_ON_ERROR(esp_wifi_start(), fail, TAG, "esp_wifi_start");
    /* Modem sleep delays every frame by up to a beacon interval; the node is mains-powered. */
    ESP_GOTO_ON_ERROR(esp_wifi_set_ps(WIFI_PS_NONE), fail, TAG, "power save off");
    ESP_LOGI(TAG, "joining \"%s\" (%s)", set->ssid, w->is_static ? "static address" : "DHCP");
    *out = w;
    return ESP_OK;

fail:
    /* Start-up only: the caller aborts and the chip restarts; handlers may hold w, so it stays. */
    return ret;
}
