#pragma once
/*
 * ptz_transport: how the pan/tilt forwarder (ptz.h) reaches a node. Today an HTTP GET to the
 * node's SERVO_URL (ptz_http.h); a node that dials in answers over its link instead. The
 * forwarder decides what to send (merging moves, absolute or relative, the node's limits); the
 * transport only carries one request and brings back the node's answer.
 *
 * A plain value type (public layout on purpose): a table of operations and the object they act
 * on. The forwarder sends at most one request at a time.
 */
#include <stddef.h>

/*
 * The answer to one request: status 200 with the node's answer body (borrowed for the call; it
 * holds "target_pan", "target_tilt" and "limits" as JSON, or is not JSON for the original
 * firmware), or a status for the caller (502 unreachable or refused, 503, 504 no answer in time)
 * with `reason`, a one-line phrase borrowed for the call; body is then NULL.
 */
typedef void (*ptz_reply_cb)(int status, const char *body, size_t body_len, const char *reason,
                             void *arg);

struct ptz_transport_ops {
    /*
     * Send one move: `query` is the node's query syntax ("tr=5&el=0" or "pan=90&tilt=80",
     * core/query.h). reply is called exactly once, and never before send returns. Returns 0, or
     * a negative errno (reply is then not called).
     */
    int (*send)(void *impl, const char *query, ptz_reply_cb reply, void *arg);
    /* Where the moves go, safe to log (no credentials). Borrowed. */
    const char *(*display)(const void *impl);
    /* Cancel the request in flight without calling its reply, and free. May be NULL. */
    void (*free)(void *impl);
};

struct ptz_transport {
    const struct ptz_transport_ops *ops; /* NULL: no transport (every move fails with 503) */
    void *impl;
};
