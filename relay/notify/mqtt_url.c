#include "mqtt_url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Host names and addresses only: letters, digits, '-', '.', and ':' inside brackets. */
static int host_ok(const char *host, size_t len, int is_bracketed)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || (is_bracketed && c == ':');
        if (!ok)
            return 0;
    }
    return 1;
}

static int parse_port(const char *s, uint16_t *out)
{
    if (*s < '0' || *s > '9' || strlen(s) > 5)
        return -EINVAL;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v == 0 || v > 65535)
        return -EINVAL;
    *out = (uint16_t)v;
    return 0;
}

int mqtt_url_parse(const char *text, struct mqtt_url *out, const char **reason)
{
    memset(out, 0, sizeof(*out));
    const char *p;
    if (strncmp(text, "mqtt://", 7) == 0) {
        p = text + 7;
        out->port = 1883;
    } else if (strncmp(text, "mqtts://", 8) == 0) {
        p = text + 8;
        out->is_tls = 1;
        out->port = 8883;
    } else {
        *reason = "expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]";
        return -EINVAL;
    }
    const char *host = p, *rest;
    size_t len;
    int is_bracketed = *p == '[';
    if (is_bracketed) {
        const char *close = strchr(p, ']');
        if (close == NULL) {
            *reason = "unclosed '[' in the host";
            return -EINVAL;
        }
        host = p + 1;
        len = (size_t)(close - host);
        rest = close + 1;
    } else {
        len = strcspn(p, ":/?#@");
        rest = p + len;
    }
    if (!host_ok(host, len, is_bracketed) || len >= sizeof(out->host)) {
        *reason = "bad host name";
        return -EINVAL;
    }
    memcpy(out->host, host, len);
    out->host[len] = '\0';
    if (*rest == ':') {
        if (parse_port(rest + 1, &out->port) < 0) {
            *reason = "the port must be a number from 1 to 65535";
            return -EINVAL;
        }
    } else if (*rest != '\0' && strcmp(rest, "/") != 0) {
        *reason = "no user, path or query in MQTT_URL (use MQTT_USER, MQTT_PASSWORD)";
        return -EINVAL;
    }
    return 0;
}
