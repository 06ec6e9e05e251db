#pragma once
/*
 * mqtt_url: the broker address in MQTT_URL, "mqtt://host[:port]" or "mqtts://host[:port]".
 *
 * The port defaults to 1883, or 8883 for mqtts (IANA's registered MQTT ports). An IPv6 address
 * goes in brackets, "mqtt://[::1]:1883". No user, password, path or query: those have their own
 * settings (MQTT_USER, MQTT_PASSWORD), so a secret never sits in a URL that gets logged.
 */
#include <stdint.h>

#define MQTT_URL_HOST_MAX 256

/* A parsed MQTT_URL. Plain value type the caller owns. */
struct mqtt_url {
    int is_tls;                   /* mqtts:// */
    char host[MQTT_URL_HOST_MAX]; /* without brackets */
    uint16_t port;
};

/*
 * Parse text into *out. Returns 0, or -EINVAL with *reason set (a static one-line phrase)
 * for anything but the two forms above.
 */
int mqtt_url_parse(const char *text, struct mqtt_url *out, const char **reason);
