#include "source_link_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "source.h"
#define LOG_TAG "link"
#include "log.h"

#define STANDBY_REASON "standby: nobody is watching"

void source_link_on_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct source_link *l = arg;
    l->is_standby = 1;
    l->is_online = 0;
    LOG_INFO("camera %s: nobody watching for %u ms: the node stops sending", l->name,
             l->cfg.idle_timeout_ms);
    source_link_tell_stream(l);
}

/*
 * The source operations (source.h) over a link. hold/release: someone needs frames; with
 * idle_timeout_ms set, the first hold asks the node for frames and, idle_timeout_ms after the
 * last release, the node is told to stop (standby).
 */
static void src_hold(void *impl)
{
    struct source_link *l = impl;
    if (l->holds++ > 0 || l->cfg.idle_timeout_ms == 0)
        return;
    evtimer_del(l->idle_timer);
    if (l->is_standby) {
        l->is_standby = 0;
        LOG_INFO("camera %s: someone is watching: asking the node for frames", l->name);
        source_link_tell_stream(l);
    }
}

static void src_release(void *impl)
{
    struct source_link *l = impl;
    if (l->holds == 0 || --l->holds > 0 || l->cfg.idle_timeout_ms == 0 || l->is_standby)
        return;
    struct timeval tv = source_link_tv_ms(l->cfg.idle_timeout_ms);
    evtimer_add(l->idle_timer, &tv);
}

/* Close the link (and any link still closing) and free. */
static void src_free(void *impl)
{
    struct source_link *l = impl;
    if (l == NULL)
        return;
    l->cb.on_state = NULL; /* the owner is shutting down */
    source_link_close_all(l);
    event_free(l->idle_timer);
    free(l);
}

/* A frame arrived since the node was asked for frames. */
static int src_is_online(const void *impl)
{
    const struct source_link *l = impl;
    return l->is_online;
}

/* The node was told to stop: nobody watches. */
static int src_is_standby(const void *impl)
{
    const struct source_link *l = impl;
    return l->is_standby;
}

/* Up and asked for frames, none yet. */
static int src_is_connecting(const void *impl)
{
    const struct source_link *l = impl;
    return l->live != NULL && !l->is_online && !l->is_standby;
}

static const char *src_offline_reason(const void *impl)
{
    const struct source_link *l = impl;
    if (l->is_online)
        return "";
    if (l->live == NULL)
        return l->reason;
    return l->is_standby ? STANDBY_REASON : "node connected, no frame yet";
}

static double src_fps(const void *impl, int64_t now_us)
{
    const struct source_link *l = impl;
    return l->is_online ? fps_meter_fps(&l->fps, now_us) : 0.0;
}

static void src_get_stats(const void *impl, struct source_stats *out)
{
    const struct source_link *l = impl;
    *out = l->stats;
}

static const struct source_ops link_source_ops = {
    .is_online = src_is_online,
    .is_standby = src_is_standby,
    .is_connecting = src_is_connecting,
    .offline_reason = src_offline_reason,
    .hold = src_hold,
    .release = src_release,
    .fps = src_fps,
    .get_stats = src_get_stats,
    .free = src_free,
};

void source_link_as_source(struct source_link *l, struct source *out)
{
    out->ops = &link_source_ops;
    out->impl = l;
}
