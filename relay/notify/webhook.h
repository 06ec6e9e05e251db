#pragma once
/*
 * webhook: on an event's start and end, an HTTP POST of the event (webhook_body.h: Lookout's
 * JSON, or ntfy's or Gotify's) to WEBHOOK_URL, over http or https (certificate chain and host
 * name verified), through libevent's HTTP client on the relay's loop: nothing blocks.
 *
 * A delivery that fails (no connection, no answer within timeout_ms, a status other than 2xx)
 * is tried again after backoff_ms, doubling, at most `retries` more times; then it is dropped
 * with a log line and counted. So each delivery is bounded in tries and in time (at most
 * (retries + 1) * timeout_ms plus the backoffs), and at most WEBHOOK_MAX_PENDING deliveries are
 * under way at once (more are dropped and counted). The URL's query (a Gotify token) is never
 * logged.
 */
#include <stdint.h>

#include "event.h"
#include "webhook_body.h"

struct event_base;
struct evdns_base;
struct webhook;

#define WEBHOOK_MAX_PENDING 32

struct webhook_config {
    const char *url; /* http(s)://host[:port]/path[?query] */
    enum webhook_format format;
    const char *ca_file;    /* https: PEM CAs to trust; NULL/"" = the system's */
    const char *public_url; /* PUBLIC_URL for the links in the body; may be NULL */
    unsigned timeout_ms;    /* per try: connect, send, answer */
    unsigned retries;       /* tries after the first */
    unsigned backoff_ms;    /* delay before the first retry; doubles, at most 60 s */
    struct evdns_base *dns; /* borrowed; NULL = blocking lookups */
};

struct webhook_stats {
    uint64_t delivered; /* answered 2xx */
    uint64_t retried;   /* tries after a failure */
    uint64_t dropped;   /* given up after the last try, or refused with the queue full */
};

/* New sender. NULL with *err set (static phrase) for a bad URL, CA file, or no memory. */
struct webhook *webhook_new(struct event_base *base, const struct webhook_config *cfg,
                            const char **err);

/* Cancel what is under way (not retried) and free. webhook_free(NULL) is a no-op. */
void webhook_free(struct webhook *w);

/* Build the body for ev now and deliver it. Returns 0, -ENOBUFS with WEBHOOK_MAX_PENDING under
 * way (dropped and counted), or -ENOMEM. */
int webhook_send(struct webhook *w, const struct event_info *ev);

void webhook_get_stats(const struct webhook *w, struct webhook_stats *out);
