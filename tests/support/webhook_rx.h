#pragma once
/*
 * webhook_rx: an HTTP receiver for webhooks in integration tests, on a loopback port, answered
 * from the test's own thread: ts_webhook_rx_wait accepts one request, reads it whole (head and
 * Content-Length body), answers it with the next status of the test's list, and closes.
 * Every wait is bounded by its timeout (poll).
 */
#include <stddef.h>
#include <stdint.h>

struct ts_webhook_rx;

/* One received request. Plain value type filled by ts_webhook_rx_wait. */
struct ts_webhook_req {
    char method[16];
    char target[512];
    char content_type[128];
    char body[8192]; /* NUL-terminated; longer bodies are cut */
    size_t body_len;
};

/* Listen on 127.0.0.1:0, answering statuses codes[0], codes[1], ... (the last repeats).
 * Returns NULL with errno set. */
struct ts_webhook_rx *ts_webhook_rx_open(const int *codes, size_t n_codes);

uint16_t ts_webhook_rx_port(const struct ts_webhook_rx *rx);

/* Accept and answer one request within timeout_ms. Returns 0, -ETIMEDOUT, or -EPROTO. */
int ts_webhook_rx_wait(struct ts_webhook_rx *rx, int timeout_ms, struct ts_webhook_req *out);

/* Close. NULL is a no-op. */
void ts_webhook_rx_close(struct ts_webhook_rx *rx);
