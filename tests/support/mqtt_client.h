#pragma once
/*
 * mqtt_client: an MQTT subscriber and publisher for integration tests (libmosquitto, its
 * blocking calls on loopback; no thread). Every message received on the subscribed filter is
 * kept (payload bytes and retained flag, bounded) until a test takes it with ts_mqtt_wait.
 */
#include <stddef.h>
#include <stdint.h>

struct ts_mqtt;

/* One received message, owned by the caller after ts_mqtt_wait (free with ts_mqtt_msg_free). */
struct ts_mqtt_msg {
    char *topic;
    unsigned char *payload; /* NUL-terminated copy (the NUL not counted in len) */
    size_t len;
    int is_retained;
};

/*
 * Connect to 127.0.0.1:port (TLS trusting ca_file if not NULL) and subscribe to `filter`
 * (e.g. "#"), within timeout_ms. Returns NULL after printing why.
 */
struct ts_mqtt *ts_mqtt_open(uint16_t port, const char *ca_file, const char *filter,
                             int timeout_ms);

/* Disconnect and free. NULL is a no-op. */
void ts_mqtt_close(struct ts_mqtt *c);

/*
 * Wait at most timeout_ms for the oldest message not taken yet whose topic equals `topic` and,
 * if needle is not NULL, whose payload contains needle; take it into *out. Returns 0 or
 * -ETIMEDOUT.
 */
int ts_mqtt_wait(struct ts_mqtt *c, const char *topic, const char *needle, int timeout_ms,
                 struct ts_mqtt_msg *out);

/* Publish a text payload (QoS 1, retained if is_retained). Returns 0 or -EIO. */
int ts_mqtt_publish(struct ts_mqtt *c, const char *topic, const char *payload, int is_retained);

/* Print every message received so far, "topic payload" as mosquitto_sub -v does (binary
 * payloads as their length), to stderr. */
void ts_mqtt_dump(const struct ts_mqtt *c);

void ts_mqtt_msg_free(struct ts_mqtt_msg *m);
