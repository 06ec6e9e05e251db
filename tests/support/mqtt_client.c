#include "mqtt_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#define MAX_MESSAGES 4096

struct ts_mqtt {
    struct mosquitto *mosq;
    struct ts_mqtt_msg msgs[MAX_MESSAGES];
    int is_taken[MAX_MESSAGES];
    size_t count;
    int is_subscribed;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
    (void)mosq;
    struct ts_mqtt *c = arg;
    if (c->count >= MAX_MESSAGES)
        return;
    struct ts_mqtt_msg *m = &c->msgs[c->count];
    m->topic = strdup(msg->topic);
    m->payload = malloc((size_t)msg->payloadlen + 1);
    if (m->topic == NULL || m->payload == NULL) {
        ts_mqtt_msg_free(m);
        return;
    }
    if (msg->payloadlen > 0)
        memcpy(m->payload, msg->payload, (size_t)msg->payloadlen);
    m->payload[msg->payloadlen] = '\0';
    m->len = (size_t)msg->payloadlen;
    m->is_retained = msg->retain;
    c->count++;
}

static void on_subscribe(struct mosquitto *mosq, void *arg, int mid, int n, const int *qos)
{
    (void)mosq;
    (void)mid;
    (void)n;
    (void)qos;
    ((struct ts_mqtt *)arg)->is_subscribed = 1;
}

struct ts_mqtt *ts_mqtt_open(uint16_t port, const char *ca_file, const char *filter, int timeout_ms)
{
    mosquitto_lib_init();
    struct ts_mqtt *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->mosq = mosquitto_new(NULL, true, c);
    if (c->mosq == NULL) {
        free(c);
        return NULL;
    }
    mosquitto_message_callback_set(c->mosq, on_message);
    mosquitto_subscribe_callback_set(c->mosq, on_subscribe);
    long long deadline = now_ms() + timeout_ms;
    int rc = ca_file != NULL ? mosquitto_tls_set(c->mosq, ca_file, NULL, NULL, NULL, NULL)
                             : MOSQ_ERR_SUCCESS;
    /* A broker that was just started may not accept yet: try again until the deadline. */
    int connected = MOSQ_ERR_NO_CONN;
    while (rc == MOSQ_ERR_SUCCESS && connected != MOSQ_ERR_SUCCESS && now_ms() < deadline) {
        connected = mosquitto_connect(c->mosq, "127.0.0.1", port, 30);
        if (connected != MOSQ_ERR_SUCCESS) {
            struct timespec pause = {0, 50 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (rc != MOSQ_ERR_SUCCESS || connected != MOSQ_ERR_SUCCESS ||
        mosquitto_subscribe(c->mosq, NULL, filter, 1) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_client: cannot connect to 127.0.0.1:%u\n", (unsigned)port);
        ts_mqtt_close(c);
        return NULL;
    }
    while (!c->is_subscribed && now_ms() < deadline)
        mosquitto_loop(c->mosq, 50, 1);
    if (!c->is_subscribed) {
        fprintf(stderr, "mqtt_client: no SUBACK from 127.0.0.1:%u\n", (unsigned)port);
        ts_mqtt_close(c);
        return NULL;
    }
    return c;
}

void ts_mqtt_msg_free(struct ts_mqtt_msg *m)
{
    free(m->topic);
    free(m->payload);
    memset(m, 0, sizeof(*m));
}

void ts_mqtt_close(struct ts_mqtt *c)
{
    if (c == NULL)
        return;
    mosquitto_disconnect(c->mosq);
    mosquitto_destroy(c->mosq);
    for (size_t i = 0; i < c->count; i++)
        ts_mqtt_msg_free(&c->msgs[i]);
    free(c);
    mosquitto_lib_cleanup();
}

static int find(struct ts_mqtt *c, const char *topic, const char *needle, struct ts_mqtt_msg *out)
{
    for (size_t i = 0; i < c->count; i++) {
        struct ts_mqtt_msg *m = &c->msgs[i];
        if (c->is_taken[i] || strcmp(m->topic, topic) != 0)
            continue;
        if (needle != NULL && strstr((const char *)m->payload, needle) == NULL)
            continue;
        c->is_taken[i] = 1;
        out->topic = strdup(m->topic);
        out->payload = malloc(m->len + 1);
        if (out->topic == NULL || out->payload == NULL) {
            ts_mqtt_msg_free(out);
            return -ENOMEM;
        }
        memcpy(out->payload, m->payload, m->len + 1);
        out->len = m->len;
        out->is_retained = m->is_retained;
        return 0;
    }
    return -ENOENT;
}

int ts_mqtt_wait(struct ts_mqtt *c, const char *topic, const char *needle, int timeout_ms,
                 struct ts_mqtt_msg *out)
{
    long long deadline = now_ms() + timeout_ms;
    memset(out, 0, sizeof(*out));
    for (;;) {
        if (find(c, topic, needle, out) == 0)
            return 0;
        if (now_ms() >= deadline)
            return -ETIMEDOUT;
        if (mosquitto_loop(c->mosq, 50, 1) != MOSQ_ERR_SUCCESS)
            mosquitto_reconnect(c->mosq);
    }
}

int ts_mqtt_publish(struct ts_mqtt *c, const char *topic, const char *payload, int is_retained)
{
    if (mosquitto_publish(c->mosq, NULL, topic, (int)strlen(payload), payload, 1,
                          is_retained != 0) != MOSQ_ERR_SUCCESS)
        return -EIO;
    for (int i = 0; i < 5; i++)
        mosquitto_loop(c->mosq, 20, 1);
    return 0;
}

void ts_mqtt_dump(const struct ts_mqtt *c)
{
    for (size_t i = 0; i < c->count; i++) {
        const struct ts_mqtt_msg *m = &c->msgs[i];
        int is_text = 1;
        for (size_t j = 0; j < m->len; j++)
            if (m->payload[j] < 0x09 || m->payload[j] > 0x7e)
                is_text = 0;
        if (is_text)
            fprintf(stderr, "| %s %s\n", m->topic, m->payload);
        else
            fprintf(stderr, "| %s (%zu bytes, binary)\n", m->topic, m->len);
    }
}
