#pragma once
/*
 * mqtt: the relay's one connection to an MQTT broker (libmosquitto), driven by the relay's own
 * event loop: the client's socket is a libevent event, and mosquitto_loop_read, _write and _misc
 * run from its callbacks (libmosquitto's "external loop" interface, mosquitto.h). There is no
 * second thread and nothing blocks the loop: the connect is asynchronous
 * (mosquitto_connect_async) to an address that evdns resolved first, since libmosquitto would
 * resolve a host name with a blocking getaddrinfo.
 *
 * The broker may come and go: a lost or refused connection is retried with capped exponential
 * backoff, one log line per attempt. While disconnected, publishing fails at once (-ENOTCONN)
 * and nothing is queued, so the stream never waits for the broker; the owner republishes its
 * retained state from the connected callback. A last will (retained "offline" on the
 * availability topic) tells subscribers when the relay dies; "online" is published on every
 * connect.
 */
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct mqtt;

struct mqtt_config {
    const char *url;                /* MQTT_URL: mqtt://host[:port] or mqtts://host[:port] */
    const char *ca_file;            /* mqtts: PEM file of trusted CAs; NULL/"" = the system's */
    const char *user;               /* NULL/"" = no login */
    const char *password;           /* copied; NULL/"" = none */
    const char *client_id;          /* copied */
    const char *availability_topic; /* "online"/"offline", retained; the last will */
    unsigned keepalive_s;           /* 5..65535 */
    unsigned backoff_min_ms;        /* first retry delay */
    unsigned backoff_max_ms;        /* retry delay cap */
    struct evdns_base *dns;         /* borrowed; NULL = blocking lookup of host names */
};

/* The broker accepted the connection (after each reconnect too): subscribe and publish the
 * retained state here. */
typedef void (*mqtt_connected_cb)(void *arg);

/* A message on a subscribed topic. topic and payload are borrowed for the call only; payload
 * is not NUL-terminated. */
typedef void (*mqtt_message_cb)(const char *topic, const void *payload, size_t len, void *arg);

struct mqtt_stats {
    uint64_t connects;  /* connections the broker accepted */
    uint64_t failures;  /* connection attempts that failed or were lost */
    uint64_t published; /* messages handed to the connection */
    uint64_t dropped;   /* publishes refused: not connected, or the connection backed up */
};

/*
 * Parse cfg->url, set up TLS (certificate chain and host name verified: OpenSSL's checks), the
 * login and the last will, and start connecting on `base` (borrowed). Callbacks run on the loop.
 * Returns NULL with *err set (static phrase) for a bad URL, an unreadable CA file, or
 * allocation failure.
 */
struct mqtt *mqtt_new(struct event_base *base, const struct mqtt_config *cfg,
                      mqtt_connected_cb on_connected, mqtt_message_cb on_message, void *arg,
                      const char **err);

/*
 * Publish "offline" on the availability topic (best effort, without waiting), close the
 * connection and free. A connection closed without DISCONNECT makes the broker send the will,
 * so subscribers learn it either way. mqtt_free(NULL) is a no-op.
 */
void mqtt_free(struct mqtt *m);

/* Most messages queued on a backed-up connection; past it publishes are dropped (-ENOBUFS). */
#define MQTT_MAX_BACKLOG 256

/*
 * Publish payload (copied) on topic, QoS 0 (QoS 1 if is_reliable), retained if is_retained.
 * Returns 0; -ENOTCONN while not connected; -ENOBUFS when MQTT_MAX_BACKLOG messages wait to be
 * written; -EINVAL for a bad topic; -ENOMEM. Nothing is queued for later.
 */
int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len,
                 int is_retained, int is_reliable);

/* Subscribe to a topic filter (QoS 0) on the current connection: call from on_connected.
 * Returns 0, -ENOTCONN, or -EINVAL. */
int mqtt_subscribe(struct mqtt *m, const char *filter);

/* 1 while the broker has accepted the connection. */
int mqtt_is_connected(const struct mqtt *m);

void mqtt_get_stats(const struct mqtt *m, struct mqtt_stats *out);
