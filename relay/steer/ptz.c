#include "ptz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ptz_http.h"
#include "ptz_transport.h"
#define LOG_TAG "ptz"
#include "log.h"

#define LIMIT_MIN_DEG 0
#define LIMIT_MAX_DEG 180
#define MOVE_MAX_DEG 180 /* the node refuses larger relative moves */

struct waiter {
    ptz_done_cb done;
    void *arg;
};

/* A batch of merged moves and the callers waiting for it. */
/* One axis of a batch: degrees to add, or (is_absolute) an angle plus degrees added since. */
struct axis_cmd {
    int is_absolute;
    int value_deg;
};

struct batch {
    struct axis_cmd pan;
    struct axis_cmd tilt;
    int sent_tr_deg; /* the relative move actually sent, for local tracking */
    int sent_el_deg;
    struct waiter waiters[PTZ_MAX_WAITING];
    unsigned count;
};

struct ptz {
    struct event_base *base;
    struct ptz_transport transport; /* ops NULL: none, every move fails with 503 */
    struct batch in_flight;
    struct batch next;
    int is_busy;
    int pan_deg;
    int tilt_deg;
    int limits_deg[4]; /* pan min, pan max, tilt min, tilt max */
    int is_confirmed;
    int is_failure_logged;    /* said once until the node answers again */
    struct event *sync_timer; /* asks again for the angles until the node has answered once */
    ptz_watch_cb watch;       /* told when a move starts and ends (motion detection pauses) */
    void *watch_arg;
    int is_moving; /* the request in flight moves the servos */
};

/* The request in flight has ended (answered or failed): tell the watcher a move is over. */
static void moved(struct ptz *ptz)
{
    if (ptz->is_moving && ptz->watch != NULL)
        ptz->watch(0, ptz->watch_arg);
    ptz->is_moving = 0;
}

static void send_batch(struct ptz *ptz);

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Find `"name":` followed by an integer in a small JSON answer. Returns 0 if found. */
static int json_int(const char *json, const char *name, int *out)
{
    char needle[48];
    snprintf(needle, sizeof(needle), "\"%s\":", name);
    const char *p = strstr(json, needle);
    if (p == NULL)
        return -1;
    char *end;
    long v = strtol(p + strlen(needle), &end, 10);
    if (end == p + strlen(needle) || v < -100000 || v > 100000)
        return -1;
    *out = (int)v;
    return 0;
}

/* "limits":{"pan":[0,180],"tilt":[0,180]} in the node's answer; kept only if sane. */
static void parse_limits(struct ptz *ptz, const char *json)
{
    int v[4];
    const char *p = strstr(json, "\"limits\"");
    if (p == NULL ||
        sscanf(p, "\"limits\":{\"pan\":[%d,%d],\"tilt\":[%d,%d]}", &v[0], &v[1], &v[2], &v[3]) != 4)
        return;
    if (v[0] < 0 || v[0] >= v[1] || v[1] > 360 || v[2] < 0 || v[2] >= v[3] || v[3] > 360)
        return;
    memcpy(ptz->limits_deg, v, sizeof(v));
}

static void answer(struct batch *b, int status, int pan, int tilt, const char *reason)
{
    for (unsigned i = 0; i < b->count; i++)
        b->waiters[i].done(status, pan, tilt, reason, b->waiters[i].arg);
    memset(b, 0, sizeof(*b));
}

static void update_angles(struct ptz *ptz, const char *body)
{
    int pan, tilt;
    if (json_int(body, "target_pan", &pan) == 0 && json_int(body, "target_tilt", &tilt) == 0) {
        ptz->pan_deg = pan;
        ptz->tilt_deg = tilt;
        ptz->is_confirmed = 1;
        parse_limits(ptz, body);
        return;
    }
    /* The original firmware answers without angles: track the move ourselves. */
    ptz->pan_deg =
        clamp(ptz->pan_deg + ptz->in_flight.sent_tr_deg, ptz->limits_deg[0], ptz->limits_deg[1]);
    ptz->tilt_deg =
        clamp(ptz->tilt_deg + ptz->in_flight.sent_el_deg, ptz->limits_deg[2], ptz->limits_deg[3]);
}

static const char *display(const struct ptz *ptz)
{
    return ptz->transport.ops->display(ptz->transport.impl);
}

/* One line when the node stops answering, one when it is back: not one per retry. */
static void log_failure(struct ptz *ptz, const char *what)
{
    if (ptz->is_failure_logged)
        return;
    ptz->is_failure_logged = 1;
    LOG_WARN("camera control %s: %s", display(ptz), what);
}

static void on_reply(int status, const char *body, size_t body_len, const char *reason, void *arg)
{
    (void)body_len;
    struct ptz *ptz = arg;
    if (status == 200) {
        if (ptz->is_failure_logged)
            LOG_INFO("camera control %s answers again", display(ptz));
        ptz->is_failure_logged = 0;
        update_angles(ptz, body);
        answer(&ptz->in_flight, 200, ptz->pan_deg, ptz->tilt_deg, NULL);
    } else {
        log_failure(ptz, reason);
        answer(&ptz->in_flight, status, 0, 0, reason);
    }
    ptz->is_busy = 0;
    moved(ptz);
    if (ptz->next.count > 0)
        send_batch(ptz);
}

/* An axis's angle after the batch, from the angle the node was last told. */
static int resulting_deg(const struct axis_cmd *a, int current, int lo, int hi)
{
    return clamp(a->is_absolute ? a->value_deg : current + a->value_deg, lo, hi);
}

/*
 * The node request for a batch. A node that reports its angles takes absolute moves
 * (?pan=&tilt=) when the batch has one; the original firmware knows only relative ones, so
 * absolute targets are turned into the difference from the tracked angles.
 */
static void build_query(struct ptz *ptz, struct batch *b, char *out, size_t out_size)
{
    const int *lim = ptz->limits_deg;
    int pan = resulting_deg(&b->pan, ptz->pan_deg, lim[0], lim[1]);
    int tilt = resulting_deg(&b->tilt, ptz->tilt_deg, lim[2], lim[3]);
    int is_absolute = b->pan.is_absolute || b->tilt.is_absolute;
    if (is_absolute && ptz->is_confirmed) {
        snprintf(out, out_size, "pan=%d&tilt=%d", pan, tilt);
        b->sent_tr_deg = pan - ptz->pan_deg;
        b->sent_el_deg = tilt - ptz->tilt_deg;
        return;
    }
    b->sent_tr_deg =
        is_absolute ? pan - ptz->pan_deg : clamp(b->pan.value_deg, -MOVE_MAX_DEG, MOVE_MAX_DEG);
    b->sent_el_deg =
        is_absolute ? tilt - ptz->tilt_deg : clamp(b->tilt.value_deg, -MOVE_MAX_DEG, MOVE_MAX_DEG);
    snprintf(out, out_size, "tr=%d&el=%d", b->sent_tr_deg, b->sent_el_deg);
}

static void send_batch(struct ptz *ptz)
{
    ptz->in_flight = ptz->next;
    memset(&ptz->next, 0, sizeof(ptz->next));
    struct batch *b = &ptz->in_flight;
    char query[64];
    build_query(ptz, b, query, sizeof(query));
    ptz->is_moving = b->sent_tr_deg != 0 || b->sent_el_deg != 0;
    if (ptz->is_moving && ptz->watch != NULL)
        ptz->watch(1, ptz->watch_arg);
    ptz->is_busy = 1;
    int rc = ptz->transport.ops->send(ptz->transport.impl, query, on_reply, ptz);
    if (rc < 0) {
        ptz->is_busy = 0;
        moved(ptz);
        if (rc == -ENOMEM)
            answer(b, 503, 0, 0, "out of memory");
        else
            answer(b, 504, 0, 0, "camera control did not answer");
    }
}

#define SYNC_RETRY_S 3

static void on_sync_done(int status, int pan, int tilt, const char *reason, void *arg)
{
    struct ptz *ptz = arg;
    if (status == 200) {
        LOG_INFO("camera at pan %d, tilt %d", pan, tilt);
        return;
    }
    LOG_DEBUG("cannot read the camera's angles yet: %s", reason);
    if (!ptz->is_confirmed && ptz->sync_timer != NULL) {
        struct timeval tv = {.tv_sec = SYNC_RETRY_S, .tv_usec = 0};
        evtimer_add(ptz->sync_timer, &tv);
    }
}

/* A zero move: the node answers with its angles and nothing turns. */
static void on_sync_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ptz *ptz = arg;
    if (!ptz->is_confirmed && ptz->transport.ops != NULL)
        ptz_move(ptz, 0, 0, on_sync_done, ptz);
}

struct ptz *ptz_new_transport(struct event_base *base, const struct ptz_transport *transport)
{
    struct ptz *ptz = calloc(1, sizeof(*ptz));
    if (ptz == NULL)
        return NULL;
    ptz->base = base;
    ptz->pan_deg = 90;
    ptz->tilt_deg = 90;
    ptz->limits_deg[0] = LIMIT_MIN_DEG;
    ptz->limits_deg[1] = LIMIT_MAX_DEG;
    ptz->limits_deg[2] = LIMIT_MIN_DEG;
    ptz->limits_deg[3] = LIMIT_MAX_DEG;
    ptz->sync_timer = evtimer_new(base, on_sync_timer, ptz);
    if (ptz->sync_timer == NULL) {
        free(ptz);
        return NULL;
    }
    if (transport != NULL && transport->ops != NULL) {
        ptz->transport = *transport;
        ptz_move(ptz, 0, 0, on_sync_done, ptz);
    }
    return ptz;
}

struct ptz *ptz_new(struct event_base *base, struct evdns_base *dns, const char *servo_url,
                    const char *ca_file, const char **err)
{
    struct ptz_transport t = {0};
    if (servo_url != NULL && servo_url[0] != '\0' &&
        ptz_http_new(base, dns, servo_url, ca_file, &t, err) < 0)
        return NULL;
    struct ptz *ptz = ptz_new_transport(base, &t);
    if (ptz == NULL) {
        if (t.ops != NULL)
            t.ops->free(t.impl);
        *err = "out of memory";
    }
    return ptz;
}

/* Cancel the request in flight (answered 503 with reason) and free the transport. */
static void drop_transport(struct ptz *ptz, const char *reason)
{
    if (ptz->transport.ops == NULL)
        return;
    if (ptz->transport.ops->free != NULL)
        ptz->transport.ops->free(ptz->transport.impl); /* without calling on_reply */
    ptz->transport = (struct ptz_transport){0};
    if (ptz->is_busy) {
        ptz->is_busy = 0;
        answer(&ptz->in_flight, 503, 0, 0, reason);
    }
}

void ptz_set_transport(struct ptz *ptz, const struct ptz_transport *transport)
{
    drop_transport(ptz, "camera control changed; try again");
    answer(&ptz->next, 503, 0, 0, "camera control changed; try again");
    ptz->is_confirmed = 0;
    if (transport != NULL && transport->ops != NULL) {
        ptz->transport = *transport;
        ptz_move(ptz, 0, 0, on_sync_done, ptz);
    }
}

void ptz_free(struct ptz *ptz)
{
    if (ptz == NULL)
        return;
    if (ptz->sync_timer != NULL)
        event_free(ptz->sync_timer);
    ptz->sync_timer = NULL; /* answers below must not re-arm it */
    answer(&ptz->next, 503, 0, 0, "relay shutting down");
    drop_transport(ptz, "relay shutting down");
    free(ptz);
}

/* Queue a command into the next batch, sending at once when nothing is in flight. */
static int enqueue(struct ptz *ptz, const struct axis_cmd *pan, const struct axis_cmd *tilt,
                   ptz_done_cb done, void *arg)
{
    if (ptz->transport.ops == NULL) {
        done(503, 0, 0, "no SERVO_URL configured", arg);
        return 0;
    }
    if (ptz->in_flight.count + ptz->next.count >= PTZ_MAX_WAITING)
        return -EBUSY;
    struct batch *b = &ptz->next;
    const struct axis_cmd *cmd[2] = {pan, tilt};
    struct axis_cmd *axis[2] = {&b->pan, &b->tilt};
    for (int i = 0; i < 2; i++) {
        if (cmd[i]->is_absolute)
            *axis[i] = *cmd[i]; /* an absolute target replaces whatever was queued */
        else
            axis[i]->value_deg += cmd[i]->value_deg;
    }
    b->waiters[b->count++] = (struct waiter){done, arg};
    if (!ptz->is_busy)
        send_batch(ptz);
    return 0;
}

int ptz_move(struct ptz *ptz, int tr_deg, int el_deg, ptz_done_cb done, void *arg)
{
    struct axis_cmd pan = {0, tr_deg}, tilt = {0, el_deg};
    return enqueue(ptz, &pan, &tilt, done, arg);
}

int ptz_move_to(struct ptz *ptz, int has_pan, int pan_deg, int has_tilt, int tilt_deg,
                ptz_done_cb done, void *arg)
{
    struct axis_cmd pan = {has_pan, has_pan ? pan_deg : 0};
    struct axis_cmd tilt = {has_tilt, has_tilt ? tilt_deg : 0};
    return enqueue(ptz, &pan, &tilt, done, arg);
}

void ptz_refresh(struct ptz *ptz)
{
    if (ptz->transport.ops != NULL && ptz->sync_timer != NULL)
        ptz_move(ptz, 0, 0, on_sync_done, ptz);
}

void ptz_get_limits(const struct ptz *ptz, int limits_deg[4])
{
    memcpy(limits_deg, ptz->limits_deg, sizeof(ptz->limits_deg));
}

int ptz_get_angles(const struct ptz *ptz, int *pan_deg, int *tilt_deg)
{
    *pan_deg = ptz->pan_deg;
    *tilt_deg = ptz->tilt_deg;
    return ptz->is_confirmed;
}

void ptz_set_watch(struct ptz *ptz, ptz_watch_cb cb, void *arg)
{
    ptz->watch = cb;
    ptz->watch_arg = arg;
}
