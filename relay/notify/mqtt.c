#include "mqtt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mqtt_url.h"
#define LOG_TAG "mqtt"
#include "log.h"

#define CONNACK_TIMEOUT_S 10
#define MISC_INTERVAL_MS 1000

struct mqtt {
    struct event_base *base;
    struct evdns_base *dns;
    struct mosquitto *mosq;
    SSL_CTX *ssl_ctx; /* NULL for mqtt:// */
    struct mqtt_url url;
    char availability_topic[256];
    unsigned keepalive_s;
    unsigned backoff_min_ms;
    unsigned backoff_max_ms;
    unsigned backoff_ms;    /* the next retry's delay */
    struct event *ev_read;  /* on the current socket; NULL while there is none */
    struct event *ev_write; /* armed while libmosquitto has bytes to write */
    struct event *retry_timer;
    struct event *misc_timer;    /* keepalive (mosquitto_loop_misc) */
    struct event *connack_timer; /* a connection the broker never answers */
    struct evdns_getaddrinfo_request *resolving;
    int is_resolving;
    int is_connected;
    unsigned backlog; /* publishes made while the socket was backed up */
    char reason[160]; /* why the current attempt failed, if known before the socket closed */
    struct mqtt_stats stats;
    mqtt_connected_cb on_connected;
    mqtt_message_cb on_message;
    void *arg;
};

static void attempt(struct mqtt *m);

static int is_numeric_host(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* Stop watching the socket (libmosquitto closes it itself, or on the next connect). */
static void drop_events(struct mqtt *m)
{
    if (m->ev_read != NULL)
        event_free(m->ev_read);
    if (m->ev_write != NULL)
        event_free(m->ev_write);
    m->ev_read = m->ev_write = NULL;
    if (m->misc_timer != NULL)
        event_del(m->misc_timer);
    if (m->connack_timer != NULL)
        event_del(m->connack_timer);
}

/* The attempt failed or the connection ended: one log line, then retry after the backoff. */
static void lost(struct mqtt *m, const char *why)
{
    drop_events(m);
    if (m->reason[0] == '\0')
        snprintf(m->reason, sizeof(m->reason), "%s", why);
    unsigned delay_ms = m->backoff_ms;
    LOG_WARN("broker %s:%u: %s%s; retrying in %u.%u s", m->url.host, (unsigned)m->url.port,
             m->is_connected ? "connection lost: " : "", m->reason, delay_ms / 1000,
             delay_ms % 1000 / 100);
    m->is_connected = 0;
    m->backlog = 0;
    m->stats.failures++;
    m->reason[0] = '\0';
    m->backoff_ms = m->backoff_ms * 2 > m->backoff_max_ms ? m->backoff_max_ms : m->backoff_ms * 2;
    struct timeval tv = {.tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000};
    evtimer_add(m->retry_timer, &tv);
}

static const char *mosq_reason(int rc)
{
    return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

/* After any libmosquitto call on the socket: a failure ends the connection; otherwise watch
 * for writability while it has bytes queued. */
static void after(struct mqtt *m, int rc)
{
    if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(m->mosq) < 0) {
        lost(m, rc != MOSQ_ERR_SUCCESS ? mosq_reason(rc) : "connection closed");
        return;
    }
    if (mosquitto_want_write(m->mosq))
        event_add(m->ev_write, NULL);
    else
        m->backlog = 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mqtt *m = arg;
    after(m, mosquitto_loop_read(m->mosq, 1));
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mqtt *m = arg;
    /* Until CONNACK the TLS handshake may be under way, and libmosquitto advances it only in
     * loop_read (its own select loop does this on writability too). Harmless otherwise: a read
     * with nothing to read returns at once. */
    int rc = m->is_connected ? MOSQ_ERR_SUCCESS : mosquitto_loop_read(m->mosq, 1);
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(m->mosq) >= 0)
        rc = mosquitto_loop_write(m->mosq, 1);
    after(m, rc);
}

static void on_misc(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mqtt *m = arg;
    after(m, mosquitto_loop_misc(m->mosq));
}

static void on_connack_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mqtt *m = arg;
    lost(m, "no CONNACK within 10 s");
}

static void connect_to(struct mqtt *m, const char *address)
{
    int rc = mosquitto_connect_async(m->mosq, address, m->url.port, (int)m->keepalive_s);
    int fd = mosquitto_socket(m->mosq);
    if ((rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING) || fd < 0) {
        lost(m, rc != MOSQ_ERR_SUCCESS ? mosq_reason(rc) : "cannot connect");
        return;
    }
    m->ev_read = event_new(m->base, fd, EV_READ | EV_PERSIST, on_readable, m);
    m->ev_write = event_new(m->base, fd, EV_WRITE, on_writable, m);
    if (m->ev_read == NULL || m->ev_write == NULL || event_add(m->ev_read, NULL) < 0) {
        lost(m, "out of memory");
        return;
    }
    struct timeval misc = {.tv_sec = 0, .tv_usec = MISC_INTERVAL_MS * 1000};
    struct timeval connack = {.tv_sec = CONNACK_TIMEOUT_S, .tv_usec = 0};
    event_add(m->misc_timer, &misc);
    event_add(m->connack_timer, &connack);
    after(m, MOSQ_ERR_SUCCESS);
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
    struct mqtt *m = arg;
    m->resolving = NULL;
    m->is_resolving = 0;
    if (result == EVUTIL_EAI_CANCEL)
        return;
    char address[INET6_ADDRSTRLEN] = "";
    if (result == 0 && res != NULL) {
        const void *a = res->ai_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
        inet_ntop(res->ai_family, a, address, sizeof(address));
    }
    if (res != NULL)
        evutil_freeaddrinfo(res);
    if (address[0] == '\0') {
        snprintf(m->reason, sizeof(m->reason), "cannot resolve the host name: %s",
                 result != 0 ? evutil_gai_strerror(result) : "no address");
        lost(m, m->reason);
        return;
    }
    connect_to(m, address);
}

/* Resolve the broker's name off the loop (evdns), then connect to the address. */
static void attempt(struct mqtt *m)
{
    if (is_numeric_host(m->url.host) || m->dns == NULL) {
        connect_to(m, m->url.host);
        return;
    }
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    m->is_resolving = 1;
    struct evdns_getaddrinfo_request *req =
        evdns_getaddrinfo(m->dns, m->url.host, NULL, &hints, on_resolved, m);
    if (m->is_resolving) /* not answered already, inside the call */
        m->resolving = req;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    attempt(arg);
}

static void on_mosq_connect(struct mosquitto *mosq, void *arg, int rc)
{
    (void)mosq;
    struct mqtt *m = arg;
    if (rc != 0) {
        snprintf(m->reason, sizeof(m->reason), "the broker refused the connection: %s",
                 mosquitto_connack_string(rc));
        return; /* the broker closes it; the read that sees that calls lost() */
    }
    event_del(m->connack_timer);
    m->is_connected = 1;
    m->backoff_ms = m->backoff_min_ms;
    m->stats.connects++;
    LOG_INFO("connected to the broker %s:%u%s", m->url.host, (unsigned)m->url.port,
             m->ssl_ctx != NULL ? " (TLS, certificate verified)" : "");
    mqtt_publish(m, m->availability_topic, "online", 6, 1, 1);
    if (m->on_connected != NULL)
        m->on_connected(m->arg);
}

static void on_mosq_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
    (void)mosq;
    struct mqtt *m = arg;
    if (m->on_message != NULL && msg->topic != NULL)
        m->on_message(msg->topic, msg->payload != NULL ? msg->payload : "",
                      msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, m->arg);
}

/* libmosquitto's own errors (a TLS failure's OpenSSL reason) become the attempt's reason. */
static void on_mosq_log(struct mosquitto *mosq, void *arg, int level, const char *text)
{
    (void)mosq;
    struct mqtt *m = arg;
    if ((level & MOSQ_LOG_ERR) && m->reason[0] == '\0')
        snprintf(m->reason, sizeof(m->reason), "%s", text);
    else
        LOG_DEBUG("libmosquitto: %s", text);
}

/* libmosquitto sends the SNI it was given, our resolved address; send the host name instead. */
static void on_tls_info(const SSL *ssl, int where, int ret)
{
    (void)ret;
    if (!(where & SSL_CB_HANDSHAKE_START))
        return;
    const struct mqtt *m = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (m != NULL && !is_numeric_host(m->url.host))
        SSL_set_tlsext_host_name((SSL *)ssl, m->url.host);
}

/*
 * Our own SSL_CTX, because libmosquitto would check the certificate against the address it
 * connects to (our resolved IP), not the name in MQTT_URL: the chain is verified against
 * MQTT_CA_FILE (or the system's CAs) and the name by OpenSSL's own host check
 * (X509_VERIFY_PARAM_set1_host, RFC 6125).
 */
static int setup_tls(struct mqtt *m, const char *ca_file, const char **err)
{
    m->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (m->ssl_ctx == NULL) {
        *err = "cannot create a TLS context";
        return -ENOMEM;
    }
    SSL_CTX_set_min_proto_version(m->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(m->ssl_ctx, SSL_VERIFY_PEER, NULL);
    int ok = ca_file != NULL && ca_file[0] != '\0'
                 ? SSL_CTX_load_verify_locations(m->ssl_ctx, ca_file, NULL)
                 : SSL_CTX_set_default_verify_paths(m->ssl_ctx);
    if (ok != 1) {
        *err = "cannot read MQTT_CA_FILE (PEM certificates expected)";
        return -EINVAL;
    }
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(m->ssl_ctx);
    ok = is_numeric_host(m->url.host) ? X509_VERIFY_PARAM_set1_ip_asc(param, m->url.host)
                                      : X509_VERIFY_PARAM_set1_host(param, m->url.host, 0);
    SSL_CTX_set_app_data(m->ssl_ctx, m);
    SSL_CTX_set_info_callback(m->ssl_ctx, on_tls_info);
    /* Without this, libmosquitto would apply its own settings to our context as well. */
    if (ok != 1 ||
        mosquitto_void_option(m->mosq, MOSQ_OPT_SSL_CTX, m->ssl_ctx) != MOSQ_ERR_SUCCESS ||
        mosquitto_int_option(m->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) != MOSQ_ERR_SUCCESS) {
        *err = "cannot set up TLS for MQTT";
        return -EINVAL;
    }
    return 0;
}

static int setup(struct mqtt *m, const struct mqtt_config *cfg, const char **err)
{
    if (mqtt_url_parse(cfg->url, &m->url, err) < 0)
        return -EINVAL;
    m->mosq = mosquitto_new(cfg->client_id, true, m);
    if (m->mosq == NULL) {
        *err = "out of memory";
        return -ENOMEM;
    }
    mosquitto_connect_callback_set(m->mosq, on_mosq_connect);
    mosquitto_message_callback_set(m->mosq, on_mosq_message);
    mosquitto_log_callback_set(m->mosq, on_mosq_log);
    const char *pw = cfg->password != NULL && cfg->password[0] != '\0' ? cfg->password : NULL;
    if (cfg->user != NULL && cfg->user[0] != '\0' &&
        mosquitto_username_pw_set(m->mosq, cfg->user, pw) != MOSQ_ERR_SUCCESS) {
        *err = "bad MQTT_USER or MQTT_PASSWORD";
        return -EINVAL;
    }
    if (mosquitto_will_set(m->mosq, m->availability_topic, 7, "offline", 1, true) !=
        MOSQ_ERR_SUCCESS) {
        *err = "bad MQTT_TOPIC_PREFIX (not a valid topic)";
        return -EINVAL;
    }
    if (m->url.is_tls && setup_tls(m, cfg->ca_file, err) < 0)
        return -EINVAL;
    m->retry_timer = evtimer_new(m->base, on_retry, m);
    m->misc_timer = event_new(m->base, -1, EV_PERSIST, on_misc, m);
    m->connack_timer = evtimer_new(m->base, on_connack_timeout, m);
    if (m->retry_timer == NULL || m->misc_timer == NULL || m->connack_timer == NULL) {
        *err = "out of memory";
        return -ENOMEM;
    }
    return 0;
}

struct mqtt *mqtt_new(struct event_base *base, const struct mqtt_config *cfg,
                      mqtt_connected_cb on_connected, mqtt_message_cb on_message, void *arg,
                      const char **err)
{
    struct mqtt *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        *err = "out of memory";
        return NULL;
    }
    mosquitto_lib_init();
    m->base = base;
    m->dns = cfg->dns;
    m->keepalive_s = cfg->keepalive_s;
    m->backoff_min_ms = m->backoff_ms = cfg->backoff_min_ms;
    m->backoff_max_ms = cfg->backoff_max_ms;
    m->on_connected = on_connected;
    m->on_message = on_message;
    m->arg = arg;
    snprintf(m->availability_topic, sizeof(m->availability_topic), "%s", cfg->availability_topic);
    if (setup(m, cfg, err) < 0) {
        mqtt_free(m);
        return NULL;
    }
    /* Connect from the loop, so no callback runs before the caller has the object. */
    struct timeval now = {0, 0};
    evtimer_add(m->retry_timer, &now);
    return m;
}

void mqtt_free(struct mqtt *m)
{
    if (m == NULL)
        return;
    if (m->is_connected && mosquitto_publish(m->mosq, NULL, m->availability_topic, 7, "offline", 0,
                                             true) == MOSQ_ERR_SUCCESS)
        mosquitto_loop_write(m->mosq, 1); /* non-blocking: what fits in the socket goes */
    if (m->resolving != NULL)
        evdns_getaddrinfo_cancel(m->resolving); /* calls on_resolved with EVUTIL_EAI_CANCEL */
    drop_events(m);
    if (m->retry_timer != NULL)
        event_free(m->retry_timer);
    if (m->misc_timer != NULL)
        event_free(m->misc_timer);
    if (m->connack_timer != NULL)
        event_free(m->connack_timer);
    mosquitto_destroy(m->mosq); /* closes without DISCONNECT: the broker sends the will */
    SSL_CTX_free(m->ssl_ctx);   /* libmosquitto held its own reference */
    mosquitto_lib_cleanup();
    free(m);
}

int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len,
                 int is_retained, int is_reliable)
{
    if (!m->is_connected) {
        m->stats.dropped++;
        return -ENOTCONN;
    }
    if (m->backlog >= MQTT_MAX_BACKLOG || len > 256u * 1024 * 1024) {
        m->stats.dropped++;
        return -ENOBUFS;
    }
    int rc = mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, is_reliable ? 1 : 0,
                               is_retained != 0);
    if (rc == MOSQ_ERR_NOMEM)
        return -ENOMEM;
    if (rc == MOSQ_ERR_NO_CONN) {
        m->stats.dropped++;
        return -ENOTCONN;
    }
    if (rc != MOSQ_ERR_SUCCESS)
        return -EINVAL;
    m->stats.published++;
    if (mosquitto_want_write(m->mosq)) {
        m->backlog++;
        if (m->ev_write != NULL)
            event_add(m->ev_write, NULL);
    }
    return 0;
}

int mqtt_subscribe(struct mqtt *m, const char *filter)
{
    if (!m->is_connected)
        return -ENOTCONN;
    if (mosquitto_subscribe(m->mosq, NULL, filter, 0) != MOSQ_ERR_SUCCESS)
        return -EINVAL;
    if (mosquitto_want_write(m->mosq) && m->ev_write != NULL)
        event_add(m->ev_write, NULL);
    return 0;
}

int mqtt_is_connected(const struct mqtt *m)
{
    return m->is_connected;
}

void mqtt_get_stats(const struct mqtt *m, struct mqtt_stats *out)
{
    *out = m->stats;
}
