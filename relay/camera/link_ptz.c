#include "link_ptz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "link_msg.h"
#include "ptz_transport.h"
#include "query.h"
#include "source_link.h"
#define LOG_TAG "link"
#include "log.h"

#define NOT_CONNECTED "camera not connected (its node link is down)"

struct link_ptz {
    struct source_link *link;
    struct event *timer; /* the answer's deadline, or (is_failing) the deferred failure */
    ptz_reply_cb reply;  /* the move in flight, NULL when idle */
    void *reply_arg;
    uint32_t next_id;
    uint32_t id;
    int is_failing; /* the timer reports NOT_CONNECTED rather than a timeout */
};

/* Complete the move in flight (once). */
static void finish(struct link_ptz *lp, int status, const char *body, size_t len,
                   const char *reason)
{
    ptz_reply_cb reply = lp->reply;
    if (reply == NULL)
        return;
    lp->reply = NULL;
    evtimer_del(lp->timer);
    reply(status, body, len, reason, lp->reply_arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct link_ptz *lp = arg;
    if (lp->is_failing)
        finish(lp, 502, NULL, 0, NOT_CONNECTED);
    else
        finish(lp, 504, NULL, 0, "camera control did not answer in time");
}

/* The move message for a query in the node's syntax, as the forwarder builds it. */
static int to_message(const char *query, uint32_t id, char *out, size_t size)
{
    struct query_move m;
    if (query_parse(query, &m, NULL, 0) != QUERY_OK)
        return -EINVAL;
    if (m.mode == QUERY_MODE_ABSOLUTE && m.has_pan && m.has_tilt)
        return link_msg_write_move_to(out, size, id, m.pan_deg, m.tilt_deg);
    if (m.mode == QUERY_MODE_ABSOLUTE)
        return -EINVAL; /* the forwarder sends both axes of an absolute move */
    return link_msg_write_move_by(out, size, id, m.has_pan ? m.pan_deg : 0,
                                  m.has_tilt ? m.tilt_deg : 0);
}

static int lp_send(void *impl, const char *query, ptz_reply_cb reply, void *arg)
{
    struct link_ptz *lp = impl;
    char msg[LINK_MSG_MAX_BYTES];
    uint32_t id = ++lp->next_id;
    int n = to_message(query, id, msg, sizeof(msg));
    if (n < 0)
        return n;
    lp->reply = reply;
    lp->reply_arg = arg;
    lp->id = id;
    int rc = source_link_send_text(lp->link, msg, (size_t)n);
    /* The reply must not come before send returns: a failure is reported from the loop. */
    lp->is_failing = rc < 0;
    struct timeval tv = {.tv_sec = rc < 0 ? 0 : LINK_PTZ_TIMEOUT_S, .tv_usec = 0};
    evtimer_add(lp->timer, &tv);
    return 0;
}

static const char *lp_display(const void *impl)
{
    (void)impl;
    return "(node link)";
}

static void lp_free(void *impl)
{
    struct link_ptz *lp = impl;
    event_free(lp->timer);
    free(lp);
}

static const struct ptz_transport_ops link_ptz_ops = {
    .send = lp_send,
    .display = lp_display,
    .free = lp_free,
};

struct link_ptz *link_ptz_new(struct event_base *base, struct source_link *link,
                              struct ptz_transport *out)
{
    struct link_ptz *lp = calloc(1, sizeof(*lp));
    if (lp == NULL)
        return NULL;
    lp->link = link;
    lp->timer = evtimer_new(base, on_timer, lp);
    if (lp->timer == NULL) {
        free(lp);
        return NULL;
    }
    out->ops = &link_ptz_ops;
    out->impl = lp;
    return lp;
}

void link_ptz_answer(struct link_ptz *lp, const struct link_msg *m)
{
    if (lp->reply == NULL || !m->has_id || m->id != lp->id || lp->is_failing) {
        LOG_DEBUG("ignored a move answer that no move waits for");
        return;
    }
    if (!m->has_status || m->status != 200 || !m->has_target_pan || !m->has_target_tilt) {
        LOG_WARN("the camera refused a move (%d): %s", m->has_status ? m->status : 0,
                 m->has_error ? m->error : "no reason given");
        finish(lp, 502, NULL, 0, "camera control refused the move");
        return;
    }
    /* The forwarder reads a node's answer as GET /control_servo gives it: write that form. */
    char body[160];
    int n = snprintf(body, sizeof(body),
                     "{\"target_pan\":%d,\"target_tilt\":%d,\"limits\":{\"pan\":[%d,%d],"
                     "\"tilt\":[%d,%d]}}",
                     m->target_pan, m->target_tilt, m->limits[0], m->limits[1], m->limits[2],
                     m->limits[3]);
    if (!m->has_limits) /* no limits: the forwarder keeps the ones it has */
        n = snprintf(body, sizeof(body), "{\"target_pan\":%d,\"target_tilt\":%d}", m->target_pan,
                     m->target_tilt);
    finish(lp, 200, body, (size_t)n, NULL);
}

void link_ptz_down(struct link_ptz *lp)
{
    finish(lp, 502, NULL, 0, "camera not connected (its node link went down)");
}
