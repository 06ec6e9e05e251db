#pragma once
/*
 * upstream_internal: the layout of struct upstream and what its two files share. upstream.c:
 * the connection to CAM_URL (connect, body, parser, frames, retries, stalls, standby's
 * disconnect); upstream_ops.c: the upstream as a camera's source (source.h: hold and release,
 * online? why not? fps, counters). Nothing else includes it: everyone else sees upstream.h.
 */
#include <stdint.h>

#include "fps_meter.h"
#include "mjpeg_parser.h"
#include "source.h"
#include "upstream.h"
#include "url.h"

struct upstream {
    struct event_base *base;
    struct upstream_config cfg;
    char name[40]; /* the camera's, for the log */
    struct url_parts url;
    struct http_client *client; /* plain or TLS connections to url */
    upstream_frame_cb on_frame;
    void *arg;

    struct evhttp_connection *conn; /* the current attempt, freed before the next */
    struct evhttp_request *req;     /* owned by conn while in flight */
    struct event *retry_timer;
    unsigned failures; /* consecutive attempts without a frame */
    int is_streaming;  /* headers accepted */
    int is_online;     /* a frame arrived on this connection */
    int has_reason;    /* this attempt's failure is already explained in reason */
    char reason[160];
    char logged_reason[160];

    struct event *idle_timer;  /* disconnects after idle_timeout_ms without demand */
    struct event *frame_timer; /* no frame for stall_timeout_ms: the camera is stuck */
    struct event *drop_event;  /* drops the connection outside libevent's callbacks */
    char drop_reason[160];
    int is_standby; /* deliberately disconnected: nobody is watching */
    unsigned holds; /* src_hold minus src_release */

    struct mjpeg_parser parser;
    struct frame *partial; /* the frame being received */
    struct source_stats stats;
    uint64_t stalls; /* connections dropped for bringing no frame in time */
    struct fps_meter fps;
};

/* upstream.c: free the previous attempt's connection and connect again now. */
void upstream_connect_now(struct upstream *u);

/* upstream.c: close the connection and free the upstream (impl). NULL is a no-op. */
void upstream_free(void *impl);
