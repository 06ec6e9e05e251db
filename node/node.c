#include "node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "query.h"

#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"

/* A path echoed in a 404 is cut here and made printable: it comes from the client. */
#define PATH_ECHO_MAX 48

static const struct node_route routes[] = {
    {"/control_servo", node_route_control_servo},
    {"/status", node_route_status},
};

struct node_config node_config_default(void)
{
    struct node_config cfg = {.pan = servo_config_default(), .tilt = servo_config_default()};
    return cfg;
}

int node_init(struct node *n, const struct node_config *cfg, uint32_t now_ms)
{
    memset(n, 0, sizeof(*n));
    int rc_pan = servo_init(&n->_pan, &cfg->pan);
    int rc_tilt = servo_init(&n->_tilt, &cfg->tilt);
    n->_last_ms = now_ms;
    servo_step(&n->_pan, now_ms);
    servo_step(&n->_tilt, now_ms);
    return (rc_pan < 0 || rc_tilt < 0) ? -EINVAL : 0;
}

void node_tick(struct node *n, uint32_t now_ms)
{
    /* Unsigned difference: exact across the 49.7-day wrap of a 32-bit millisecond clock. */
    n->_uptime_ms += (uint32_t)(now_ms - n->_last_ms);
    n->_last_ms = now_ms;
    servo_step(&n->_pan, now_ms);
    servo_step(&n->_tilt, now_ms);
}

int32_t node_pan_mdeg(const struct node *n)
{
    return servo_angle_mdeg(&n->_pan);
}

int32_t node_tilt_mdeg(const struct node *n)
{
    return servo_angle_mdeg(&n->_tilt);
}

int node_pan_deg(const struct node *n)
{
    return servo_angle_deg(&n->_pan);
}

int node_tilt_deg(const struct node *n)
{
    return servo_angle_deg(&n->_tilt);
}

uint32_t node_pan_pulse_us(const struct node *n)
{
    return servo_pulse_us(&n->_pan);
}

uint32_t node_tilt_pulse_us(const struct node *n)
{
    return servo_pulse_us(&n->_tilt);
}

bool node_is_moving(const struct node *n)
{
    return servo_is_moving(&n->_pan) || servo_is_moving(&n->_tilt);
}

static void reply(struct node_reply *out, int status, const char *content_type, char *body,
                  size_t body_size, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Format the body; a body that does not fit becomes a 500 (a caller sizing bug, not input). */
static void reply(struct node_reply *out, int status, const char *content_type, char *body,
                  size_t body_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(body, body_size, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= body_size) {
        static const char msg[] = "reply too large for buffer\n";
        out->status = 500;
        out->content_type = CT_TEXT;
        out->body_len = 0;
        if (body_size > 0) {
            size_t n = sizeof(msg) - 1 < body_size - 1 ? sizeof(msg) - 1 : body_size - 1;
            memcpy(body, msg, n);
            body[n] = '\0';
            out->body_len = n;
        }
        return;
    }
    out->status = status;
    out->content_type = content_type;
    out->body_len = (size_t)len;
}

/* The JSON members shared by the move reply and /status, without braces. */
static int format_angles(const struct node *n, char *buf, size_t size)
{
    const struct servo_config *p = servo_get_config(&n->_pan);
    const struct servo_config *t = servo_get_config(&n->_tilt);
    return snprintf(buf, size,
                    "\"pan\":%d,\"tilt\":%d,\"target_pan\":%d,\"target_tilt\":%d,"
                    "\"limits\":{\"pan\":[%d,%d],\"tilt\":[%d,%d]}",
                    servo_angle_deg(&n->_pan), servo_angle_deg(&n->_tilt),
                    servo_target_deg(&n->_pan), servo_target_deg(&n->_tilt), p->min_deg, p->max_deg,
                    t->min_deg, t->max_deg);
}

void node_route_control_servo(struct node *n, const char *query, uint32_t now_ms,
                              const struct node_facts *facts, char *body, size_t body_size,
                              struct node_reply *out)
{
    (void)facts;
    char reason[QUERY_REASON_MAX];
    struct query_move move;

    node_tick(n, now_ms);
    enum query_status st = query_parse(query, &move, reason, sizeof(reason));
    if (st != QUERY_OK) {
        /* RFC 9110 §15.5.15: a target longer than the server will interpret is a 414. */
        n->_rejected++;
        reply(out, st == QUERY_ERR_TOO_LONG ? 414 : 400, CT_TEXT, body, body_size, "%s\n", reason);
        return;
    }
    /* Sign conventions of the original page (DESIGN.md): tr > 0 turns left, which is a larger
     * pan angle; el < 0 tilts up, which is a smaller tilt angle. So both simply add. */
    if (move.mode == QUERY_MODE_RELATIVE) {
        if (move.has_pan)
            servo_move_by_deg(&n->_pan, move.pan_deg, now_ms);
        if (move.has_tilt)
            servo_move_by_deg(&n->_tilt, move.tilt_deg, now_ms);
    } else {
        if (move.has_pan)
            servo_set_target_deg(&n->_pan, move.pan_deg, now_ms);
        if (move.has_tilt)
            servo_set_target_deg(&n->_tilt, move.tilt_deg, now_ms);
    }
    n->_moves++;

    char angles[256];
    int len = format_angles(n, angles, sizeof(angles));
    if (len < 0 || (size_t)len >= sizeof(angles))
        angles[0] = '\0';
    reply(out, 200, CT_JSON, body, body_size, "{%s}", angles);
}

void node_route_status(struct node *n, const char *query, uint32_t now_ms,
                       const struct node_facts *facts, char *body, size_t body_size,
                       struct node_reply *out)
{
    (void)query;
    static const struct node_facts no_facts;
    const struct node_facts *f = facts ? facts : &no_facts;

    node_tick(n, now_ms);
    char angles[256];
    int len = format_angles(n, angles, sizeof(angles));
    if (len < 0 || (size_t)len >= sizeof(angles))
        angles[0] = '\0';

    /* Fixed point by hand: newlib-nano's printf has no %f. */
    char measured[48] = "";
    if (f->has_measured_fps) {
        unsigned long tenths = (f->measured_mfps + 50u) / 100u;
        snprintf(measured, sizeof(measured), "\"measured_fps\":%lu.%lu,", tenths / 10u,
                 tenths % 10u);
    }
    reply(out, 200, CT_JSON, body, body_size,
          "{%s,\"moving\":%s,\"fps\":%u,%s\"width\":%u,\"height\":%u,\"quality\":%u,"
          "\"uptime_s\":%lu,\"frames\":%lu,\"stream_clients\":%u,"
          "\"stream_connections_total\":%lu,\"max_stream_clients\":%u,"
          "\"moves\":%lu,\"rejected_moves\":%lu}",
          angles, node_is_moving(n) ? "true" : "false", f->fps, measured, f->width, f->height,
          f->quality, (unsigned long)(n->_uptime_ms / 1000u), f->frames, f->stream_clients,
          f->stream_connections_total, f->max_stream_clients, n->_moves, n->_rejected);
}

const struct node_route *node_route_find(const char *path)
{
    if (path == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    }
    return NULL;
}

void node_handle(struct node *n, bool is_get, const char *path, const char *query, uint32_t now_ms,
                 const struct node_facts *facts, char *body, size_t body_size,
                 struct node_reply *out)
{
    if (!is_get) {
        reply(out, 405, CT_TEXT, body, body_size, "method not allowed: use GET\n");
        return;
    }
    const struct node_route *route = node_route_find(path);
    if (route == NULL) {
        char shown[PATH_ECHO_MAX + 4];
        size_t len = path ? strlen(path) : 0;
        size_t k = len < PATH_ECHO_MAX ? len : PATH_ECHO_MAX;
        for (size_t i = 0; i < k; i++) {
            unsigned char c = (unsigned char)path[i];
            shown[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
        }
        if (len > PATH_ECHO_MAX) {
            memcpy(shown + k, "...", 3);
            k += 3;
        }
        shown[k] = '\0';
        reply(out, 404, CT_TEXT, body, body_size,
              "no such route: \"%s\" (try /control_servo or /status)\n", shown);
        return;
    }
    route->handler(n, query, now_ms, facts, body, body_size, out);
}
