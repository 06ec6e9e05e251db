#pragma once
/*
 * broker: a real Mosquitto broker (Debian's `mosquitto`) on a loopback port, for integration
 * tests of the relay's MQTT side. The test writes its configuration (anonymous clients allowed;
 * with TLS, a listener with the given certificate and key) into its own directory and stops it
 * by pid, like every process it starts (proc.h).
 */
#include <stdint.h>
#include <sys/types.h>

/* A running broker. Plain value type filled by ts_broker_start. */
struct ts_broker {
    pid_t pid; /* 0 once stopped */
    uint16_t port;
    char log[512];
    char conf[512];
};

/*
 * Start mosquitto in dir on 127.0.0.1:port (0: a free port, ts_free_port), plain MQTT, or TLS
 * with cert_path/key_path (PEM, e.g. from ts_tls_cert_make) when both are not NULL. Waits until
 * it logs that it runs. Returns 0, or a negative errno after printing why (and its log).
 * The same port can be started again after ts_broker_stop (a broker that comes back).
 */
int ts_broker_start(struct ts_broker *b, const char *dir, uint16_t port, const char *cert_path,
                    const char *key_path);

/* Stop it (SIGTERM, then SIGKILL; ts_proc_stop). Safe to call twice. */
void ts_broker_stop(struct ts_broker *b);
