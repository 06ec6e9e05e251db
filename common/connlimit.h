#pragma once
/*
 * connlimit: every client connection of an evhttp server, from accept to close, held to three
 * bounds (the relay's listener, and lookout-cam's two):
 *
 * - caps on open connections, in total and per client address (MAX_CONNECTIONS,
 *   MAX_CONNECTIONS_PER_ADDRESS), counted from accept, so connections that never finish a
 *   request count too; one over a cap is answered 503 and closed: at once on plain HTTP; on
 *   TLS after the handshake the 503 needs, for at most CONNLIMIT_TLS_REFUSALS_MAX connections
 *   at once, each within CONNLIMIT_TLS_REFUSAL_GRACE_MS (more are closed without a word: a
 *   flood over the cap must not buy unbounded key exchanges);
 * - an absolute deadline (REQUEST_TIMEOUT_MS) for a whole request, header and body, from
 *   accept or from the end of the previous answer: a client trickling one byte at a time is
 *   closed when it runs out, not when it pauses (a slowloris);
 * - a bound on what the relay reads ahead for a connection (libevent's read high watermark):
 *   a client that pipelines requests without reading the answers stops being read, and TCP
 *   pushes back, instead of filling the relay's memory.
 *
 * libevent 2.1 has no accept hook in evhttp, but it asks evhttp_set_bevcb's callback for each
 * accepted connection's bufferevent: connlimit installs that callback (making the plain or the
 * TLS bufferevent through `make`), and picks the new connection up right after evhttp has set it
 * up, from the bufferevent's callback argument (evhttp's connection). Everything runs on the
 * one event loop.
 */
#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct connlimit;
struct event_base;
struct evhttp;
struct evhttp_request;

/* TLS refusals (handshake, 503, close) in flight at once, and the time each may take. */
#define CONNLIMIT_TLS_REFUSALS_MAX 16
#define CONNLIMIT_TLS_REFUSAL_GRACE_MS 1000

/* Plain value type filled by the caller. */
struct connlimit_config {
    unsigned max_total;       /* MAX_CONNECTIONS */
    unsigned max_per_address; /* MAX_CONNECTIONS_PER_ADDRESS; 0: no per-address cap */
    uint32_t request_timeout_ms;
    size_t max_input_bytes; /* read-ahead per connection; must hold the largest request */
};

struct connlimit_stats {
    uint64_t refused;   /* closed at accept: over a cap */
    uint64_t timed_out; /* closed: a request did not arrive whole by its deadline */
};

/* Makes an accepted connection's bufferevent (fd -1: evhttp sets it), as evhttp_set_bevcb's. */
typedef struct bufferevent *(*connlimit_bev_fn)(struct event_base *base, void *arg);

/* New table. cfg is copied. NULL on allocation failure. */
struct connlimit *connlimit_new(struct event_base *base, const struct connlimit_config *cfg);

/* Free. Every connection must be closed first (free the evhttp before this). NULL: no-op. */
void connlimit_free(struct connlimit *c);

/*
 * Watch every connection http accepts from now on. make (NULL: a plain socket bufferevent)
 * creates each one's bufferevent, with make_arg; it may fail closed but must not return NULL.
 */
void connlimit_install(struct connlimit *c, struct evhttp *http, connlimit_bev_fn make,
                       void *make_arg);

/* req arrived whole and is being answered: its connection's deadline stops. req borrowed. */
void connlimit_request_begin(struct connlimit *c, struct evhttp_request *req);

/* req's answer is sent: the next request on its connection must arrive whole within
 * REQUEST_TIMEOUT_MS from now. req borrowed. */
void connlimit_request_done(struct connlimit *c, struct evhttp_request *req);

/*
 * req arrived whole, and its handler takes its connection over (sets the connection's close
 * callback itself): forget the connection; it no longer counts and has no deadline. The node
 * (lookout-cam) does this, its own slots bounding what it serves. req borrowed.
 */
void connlimit_release(struct connlimit *c, struct evhttp_request *req);

/* Connections open now (counted from accept). */
unsigned connlimit_count(const struct connlimit *c);

/* Counters since start, copied into *out. */
void connlimit_get_stats(const struct connlimit *c, struct connlimit_stats *out);
