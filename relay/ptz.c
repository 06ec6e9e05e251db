#include "ptz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "url.h"
#define LOG_TAG "ptz"
#include "log.h"

#define PTZ_TIMEOUT_S 5
#define PTZ_REPLY_MAX 4096
#define LIMIT_MIN_DEG 0
#define LIMIT_MAX_DEG 180
#define MOVE_MAX_DEG 180 /* the node refuses larger relative moves */

struct waiter {
    ptz_done_cb done;
    void *arg;
};

/* A batch of merged moves and the callers waiting for it. */
struct batch {
    int tr_deg;
    int el_deg;
    struct waiter waiters[PTZ_MAX_WAITING];
    unsigned count;
};

struct ptz {
    struct event_base *base;
    int is_enabled;
    struct url_parts url;
    struct evhttp_connection *conn; /* of the request in flight, NULL when idle */
    struct batch in_flight;
    struct batch next;
    int is_busy;
    int pan_deg;
    int tilt_deg;
    int is_confirmed;
    struct event *sync_timer; /* asks again for the angles until the node has answered once */
};

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

static void answer(struct batch *b, int status, int pan, int tilt, const char *reason)
{
    for (unsigned i = 0; i < b->count; i++)
        b->waiters[i].done(status, pan, tilt, reason, b->waiters[i].arg);
    b->count = 0;
    b->tr_deg = 0;
    b->el_deg = 0;
}

static void update_angles(struct ptz *ptz, struct evhttp_request *req)
{
    char body[PTZ_REPLY_MAX + 1];
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    ev_ssize_t n = evbuffer_copyout(in, body, PTZ_REPLY_MAX);
    body[n > 0 ? n : 0] = '\0';
    int pan, tilt;
    if (json_int(body, "target_pan", &pan) == 0 && json_int(body, "target_tilt", &tilt) == 0) {
        ptz->pan_deg = pan;
        ptz->tilt_deg = tilt;
        ptz->is_confirmed = 1;
        return;
    }
    /* The original firmware answers without angles: track the move ourselves. */
    ptz->pan_deg = clamp(ptz->pan_deg + ptz->in_flight.tr_deg, LIMIT_MIN_DEG, LIMIT_MAX_DEG);
    ptz->tilt_deg = clamp(ptz->tilt_deg + ptz->in_flight.el_deg, LIMIT_MIN_DEG, LIMIT_MAX_DEG);
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct ptz *ptz = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code == 200) {
        update_angles(ptz, req);
        answer(&ptz->in_flight, 200, ptz->pan_deg, ptz->tilt_deg, NULL);
    } else if (code == 0) {
        LOG_WARN("camera control unreachable (refused, or no answer within %d s)", PTZ_TIMEOUT_S);
        answer(&ptz->in_flight, 504, 0, 0, "camera control did not answer");
    } else {
        LOG_WARN("camera control answered HTTP %d", code);
        answer(&ptz->in_flight, 502, 0, 0, "camera control refused the move");
    }
    /* This connection is freed by libevent once this callback returns. */
    ptz->conn = NULL;
    ptz->is_busy = 0;
    if (ptz->next.count > 0)
        send_batch(ptz);
}

static void send_batch(struct ptz *ptz)
{
    ptz->in_flight = ptz->next;
    memset(&ptz->next, 0, sizeof(ptz->next));
    struct batch *b = &ptz->in_flight;
    b->tr_deg = clamp(b->tr_deg, -MOVE_MAX_DEG, MOVE_MAX_DEG);
    b->el_deg = clamp(b->el_deg, -MOVE_MAX_DEG, MOVE_MAX_DEG);

    char target[1200];
    snprintf(target, sizeof(target), "%s%ctr=%d&el=%d", ptz->url.path_query,
             strchr(ptz->url.path_query, '?') ? '&' : '?', b->tr_deg, b->el_deg);
    ptz->conn = evhttp_connection_base_new(ptz->base, NULL, ptz->url.host, ptz->url.port);
    struct evhttp_request *req = evhttp_request_new(on_reply, ptz);
    if (ptz->conn == NULL || req == NULL) {
        if (req != NULL)
            evhttp_request_free(req);
        if (ptz->conn != NULL)
            evhttp_connection_free(ptz->conn);
        ptz->conn = NULL;
        answer(b, 503, 0, 0, "out of memory");
        return;
    }
    evhttp_connection_set_timeout(ptz->conn, PTZ_TIMEOUT_S);
    evhttp_connection_set_max_body_size(ptz->conn, PTZ_REPLY_MAX);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", ptz->url.host_header);
    evhttp_add_header(h, "Connection", "close");
    if (ptz->url.authorization[0] != '\0')
        evhttp_add_header(h, "Authorization", ptz->url.authorization);
    /* One request per connection; libevent frees it when the request is done. */
    evhttp_connection_free_on_completion(ptz->conn);
    ptz->is_busy = 1;
    if (evhttp_make_request(ptz->conn, req, EVHTTP_REQ_GET, target) < 0) {
        ptz->conn = NULL;
        ptz->is_busy = 0;
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
    if (!ptz->is_confirmed)
        ptz_move(ptz, 0, 0, on_sync_done, ptz);
}

struct ptz *ptz_new(struct event_base *base, const char *servo_url, const char **err)
{
    struct ptz *ptz = calloc(1, sizeof(*ptz));
    if (ptz == NULL) {
        *err = "out of memory";
        return NULL;
    }
    ptz->base = base;
    ptz->pan_deg = 90;
    ptz->tilt_deg = 90;
    if (servo_url != NULL && servo_url[0] != '\0') {
        if (url_parse(servo_url, &ptz->url, err) < 0) {
            free(ptz);
            return NULL;
        }
        ptz->is_enabled = 1;
        ptz->sync_timer = evtimer_new(base, on_sync_timer, ptz);
        if (ptz->sync_timer == NULL) {
            *err = "out of memory";
            free(ptz);
            return NULL;
        }
        ptz_move(ptz, 0, 0, on_sync_done, ptz);
    }
    return ptz;
}

void ptz_free(struct ptz *ptz)
{
    if (ptz == NULL)
        return;
    if (ptz->sync_timer != NULL)
        event_free(ptz->sync_timer);
    ptz->sync_timer = NULL; /* answers below must not re-arm it */
    answer(&ptz->next, 503, 0, 0, "relay shutting down");
    if (ptz->conn != NULL) {
        /* Freeing the connection cancels the request without calling on_reply. */
        evhttp_connection_free(ptz->conn);
        answer(&ptz->in_flight, 503, 0, 0, "relay shutting down");
    }
    free(ptz);
}

int ptz_move(struct ptz *ptz, int tr_deg, int el_deg, ptz_done_cb done, void *arg)
{
    if (!ptz->is_enabled) {
        done(503, 0, 0, "no SERVO_URL configured", arg);
        return 0;
    }
    if (ptz->in_flight.count + ptz->next.count >= PTZ_MAX_WAITING)
        return -EBUSY;
    struct batch *b = &ptz->next;
    b->tr_deg += tr_deg;
    b->el_deg += el_deg;
    b->waiters[b->count++] = (struct waiter){done, arg};
    if (!ptz->is_busy)
        send_batch(ptz);
    return 0;
}

int ptz_get_angles(const struct ptz *ptz, int *pan_deg, int *tilt_deg)
{
    *pan_deg = ptz->pan_deg;
    *tilt_deg = ptz->tilt_deg;
    return ptz->is_confirmed;
}
