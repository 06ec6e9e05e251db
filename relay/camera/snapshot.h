#pragma once
/*
 * snapshot: answers GET /snapshot.jpg with the newest live frame. When the relay is in standby
 * (nobody watching, source disconnected), or connecting after it, the request waits, holding
 * the source, for the first frame after reconnecting: at most SNAPSHOT_MAX_WAITING requests,
 * SNAPSHOT_WAIT_MS each, then 503 with a reason.
 */
struct event_base;
struct evhttp_request;
struct hub;
struct snapshot;
struct source;

#define SNAPSHOT_MAX_WAITING 32
#define SNAPSHOT_WAIT_MS 5000

/* New snapshot server; hub and source are borrowed. NULL on allocation failure. */
struct snapshot *snapshot_new(struct event_base *base, struct hub *hub, struct source *source);

/* Answer every waiting request 503, then free. snapshot_free(NULL) is a no-op. */
void snapshot_free(struct snapshot *s);

/* Answer req (taken: it is always replied to, now or later). */
void snapshot_request(struct snapshot *s, struct evhttp_request *req);

/* A live frame arrived: answer the waiting requests with it. */
void snapshot_on_frame(struct snapshot *s);
