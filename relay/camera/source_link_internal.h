#pragma once
/*
 * source_link_internal: the layout of struct source_link and what its two files share.
 * source_link.c: the node's WebSocket connections (accept, messages in and out, close);
 * source_link_ops.c: the link as a camera's source (source.h: hold, release and standby, online?
 * why not? fps, counters). Nothing else includes it: everyone else sees source_link.h.
 */
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <event2/util.h>

#include "fps_meter.h"
#include "source.h"
#include "source_link.h"

struct link_conn;

struct source_link {
    struct event_base *base;
    struct source_link_config cfg;
    char name[64];
    struct source_link_callbacks cb;
    TAILQ_HEAD(conn_list, link_conn) conns;
    struct link_conn *live;
    unsigned holds;
    int is_standby;
    int is_online;
    struct event *idle_timer;
    char reason[200];
    struct source_stats stats;
    struct fps_meter fps;
};

/* ms as a struct timeval. */
static inline struct timeval source_link_tv_ms(unsigned ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/* source_link.c: tell the live node (if any) whether to stream (not while standby), and set its
 * read timeout to match. */
void source_link_tell_stream(struct source_link *l);

/* source_link.c: free every connection, the live one and those closing, without a close frame. */
void source_link_close_all(struct source_link *l);

/* source_link_ops.c: the idle timer's callback (arg: the link): nobody watched for
 * idle_timeout_ms, so the node is told to stop sending (standby). */
void source_link_on_idle(evutil_socket_t fd, short what, void *arg);
