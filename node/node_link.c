#include "node_link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Wrap a route's JSON body {...} as a message: {"type":TYPE,<prefix>...}. The body's members
 * are kept as they are, so the link and GET /control_servo answer with the same fields.
 */
static int wrap(const char *head, const char *body, size_t body_len, char *out, size_t size)
{
    while (body_len > 0 && (body[body_len - 1] == '\n' || body[body_len - 1] == '\r'))
        body_len--;
    if (body_len < 2 || body[0] != '{')
        return -EPROTO;
    size_t head_len = strlen(head);
    /* head, then the body without its '{', then NUL */
    if (head_len + body_len > size)
        return -ENOSPC;
    memcpy(out, head, head_len);
    memcpy(out + head_len, body + 1, body_len - 1);
    out[head_len + body_len - 1] = '\0';
    return (int)(head_len + body_len - 1);
}

static int handle_move(struct node *n, const struct link_msg *m, uint32_t now_ms, char *reply,
                       size_t reply_size)
{
    char query[64];
    bool is_absolute = m->has_pan || m->has_tilt;
    if (is_absolute && (m->has_tr || m->has_el))
        return link_msg_write_error(reply, reply_size, m->id, 400,
                                    "mix of relative (tr, el) and absolute (pan, tilt) moves");
    if (!is_absolute && !m->has_tr && !m->has_el)
        return link_msg_write_error(reply, reply_size, m->id, 400, "move: no axis given");
    /* The query GET /control_servo would get, through the same strict parser. */
    const char *k1 = is_absolute ? "pan" : "tr", *k2 = is_absolute ? "tilt" : "el";
    bool has1 = is_absolute ? m->has_pan : m->has_tr, has2 = is_absolute ? m->has_tilt : m->has_el;
    int v1 = is_absolute ? m->pan : m->tr, v2 = is_absolute ? m->tilt : m->el;
    int len;
    if (has1 && has2)
        len = snprintf(query, sizeof(query), "%s=%d&%s=%d", k1, v1, k2, v2);
    else if (has1)
        len = snprintf(query, sizeof(query), "%s=%d", k1, v1);
    else
        len = snprintf(query, sizeof(query), "%s=%d", k2, v2);
    if (len < 0 || (size_t)len >= sizeof(query))
        return -ENOSPC;
    char body[NODE_BODY_MAX];
    struct node_reply r;
    node_route_control_servo(n, query, now_ms, NULL, body, sizeof(body), &r);
    if (r.status != 200)
        return link_msg_write_error(reply, reply_size, m->id, r.status, body);
    char head[64];
    int head_len = snprintf(head, sizeof(head), "{\"type\":\"moved\",\"id\":%lu,\"status\":200,",
                            (unsigned long)m->id);
    if (head_len < 0 || (size_t)head_len >= sizeof(head))
        return -ENOSPC;
    return wrap(head, body, r.body_len, reply, reply_size);
}

int node_link_handle(struct node *n, const char *text, size_t len, uint32_t now_ms, char *reply,
                     size_t reply_size, struct node_link_action *out, const char **reason)
{
    memset(out, 0, sizeof(*out));
    struct link_msg m;
    int rc = link_msg_parse(text, len, &m, reason);
    if (rc < 0)
        return rc;
    switch (m.type) {
    case LINK_MSG_MOVE:
        if (!m.has_id) {
            *reason = "move without an \"id\"";
            return -EPROTO;
        }
        rc = handle_move(n, &m, now_ms, reply, reply_size);
        if (rc < 0) {
            *reason = "answer does not fit";
            return rc;
        }
        out->has_reply = true;
        out->reply_len = (size_t)rc;
        return 0;
    case LINK_MSG_STREAM:
        if (!m.has_on) {
            *reason = "stream without \"on\"";
            return -EPROTO;
        }
        out->has_stream = true;
        out->stream_on = m.on;
        return 0;
    default:
        return 0; /* newer or node-bound types: nothing to do */
    }
}

int node_link_status(struct node *n, uint32_t now_ms, const struct node_facts *facts, char *out,
                     size_t size)
{
    char body[NODE_BODY_MAX];
    struct node_reply r;
    node_route_status(n, NULL, now_ms, facts, body, sizeof(body), &r);
    if (r.status != 200)
        return -ENOSPC;
    return wrap("{\"type\":\"status\",", body, r.body_len, out, size);
}
