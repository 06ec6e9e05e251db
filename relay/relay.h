#pragma once
/*
 * relay: the parts of one running relay, created by main and passed to the routes.
 * Every member is owned by main (created there, freed there in reverse order).
 */
#include <stdint.h>

struct access_log;
struct auth;
struct connlimit;
struct cfg;
struct evdns_base;
struct ha;
struct event_base;
struct hub;
struct offline;
struct presets;
struct ptz;
struct snapshot;
struct tls;
struct redirect;
struct upstream;

struct relay {
    struct event_base *base;
    struct evdns_base *dns; /* NULL without a resolv.conf */
    const struct cfg *cfg;
    struct hub *hub;
    struct upstream *upstream;
    struct ptz *ptz;
    struct presets *presets;
    struct auth *auth;
    struct snapshot *snapshot;
    struct offline *offline;
    struct access_log *access_log; /* one line per request, request counters */
    struct tls *tls;               /* NULL without TLS_CERT */
    struct connlimit *connlimit;
    struct redirect *redirect; /* HTTP_REDIRECT_LISTEN, or NULL */
    struct ha *ha; /* MQTT and Home Assistant (relay/notify/), or NULL without MQTT_URL */
    int64_t started_us;
    int is_holding_upstream;         /* viewers hold the camera connection open */
    uint64_t angles_read_at_connect; /* the upstream connection whose node angles were read */
    int is_tls;                      /* the listener speaks HTTPS: cookies get Secure */
};
