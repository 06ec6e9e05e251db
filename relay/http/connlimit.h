#pragma once
/*
 * connlimit: caps on open connections, in total and per client address (MAX_CONNECTIONS,
 * MAX_CONNECTIONS_PER_ADDRESS), so one client cannot take every socket.
 *
 * libevent 2.1 offers no hook between accept and the first request, so a connection is counted
 * when its first request arrives and forgotten when it closes (evhttp's close callback);
 * connections that never send a request are bounded by REQUEST_TIMEOUT_MS instead.
 */
struct connlimit;
struct evhttp_request;

/* New table; 0 for max_per_address means no per-address cap. NULL on allocation failure. */
struct connlimit *connlimit_new(unsigned max_total, unsigned max_per_address);

/* Free. Every connection counted must be closed first (free the evhttp before this). */
void connlimit_free(struct connlimit *c);

/*
 * Count req's connection if it is new. Returns 0, -EBUSY over the total cap, -EUSERS over the
 * per-address cap (the connection is then not counted: refuse it and close), -ENOMEM.
 */
int connlimit_admit(struct connlimit *c, struct evhttp_request *req);

/* Connections counted now. */
unsigned connlimit_count(const struct connlimit *c);
