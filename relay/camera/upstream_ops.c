#include "upstream_internal.h"

#include <event2/event.h>

#include "source.h"
#define LOG_TAG "upstream"
#include "log.h"

/*
 * The source operations (source.h) over an upstream. hold/release: someone needs frames (a
 * viewer, a waiting snapshot): hold the connection open; release it when done. With
 * idle_timeout_ms set, the first hold connects and the connection closes idle_timeout_ms after
 * the last release; with 0 the upstream stays connected regardless.
 */
static void src_hold(void *impl)
{
    struct upstream *u = impl;
    if (u->holds++ > 0 || u->cfg.idle_timeout_ms == 0)
        return;
    evtimer_del(u->idle_timer);
    if (u->is_standby) {
        u->is_standby = 0;
        LOG_INFO("camera %s: someone is watching: connecting to the camera", u->name);
        upstream_connect_now(u);
    }
}

static void src_release(void *impl)
{
    struct upstream *u = impl;
    if (u->holds == 0 || --u->holds > 0 || u->cfg.idle_timeout_ms == 0 || u->is_standby)
        return;
    struct timeval tv = {.tv_sec = u->cfg.idle_timeout_ms / 1000,
                         .tv_usec = (u->cfg.idle_timeout_ms % 1000) * 1000};
    evtimer_add(u->idle_timer, &tv);
}

/* Frames per second from the camera over the last 3 s before now_us (CLOCK_MONOTONIC µs). */
static double src_fps(const void *impl, int64_t now_us)
{
    const struct upstream *u = impl;
    return fps_meter_fps(&u->fps, now_us);
}

/* 1 while deliberately disconnected for lack of viewers. */
static int src_is_standby(const void *impl)
{
    const struct upstream *u = impl;
    return u->is_standby;
}

/*
 * 1 during the first connection attempt after start-up or a wake-up from standby: no frame yet,
 * and no failure either, so the camera is presumably fine, only not streaming yet. Callers wait
 * for a frame then, rather than report the camera offline.
 */
static int src_is_connecting(const void *impl)
{
    const struct upstream *u = impl;
    /* failures is reset by a frame and by standby, and counts every failed attempt. */
    return !u->is_online && !u->is_standby && u->failures == 0 && u->conn != NULL;
}

/* 1 while the camera's stream is flowing (a frame arrived since the last connect), else 0. */
static int src_is_online(const void *impl)
{
    const struct upstream *u = impl;
    return u->is_online;
}

/* Why the camera is offline (a short phrase), or "" while online. */
static const char *src_offline_reason(const void *impl)
{
    const struct upstream *u = impl;
    return u->is_online ? "" : u->reason;
}

static void src_get_stats(const void *impl, struct source_stats *out)
{
    const struct upstream *u = impl;
    *out = u->stats;
}

static const struct source_ops upstream_source_ops = {
    .is_online = src_is_online,
    .is_standby = src_is_standby,
    .is_connecting = src_is_connecting,
    .offline_reason = src_offline_reason,
    .hold = src_hold,
    .release = src_release,
    .fps = src_fps,
    .get_stats = src_get_stats,
    .free = upstream_free,
};

void upstream_as_source(struct upstream *u, struct source *out)
{
    out->ops = &upstream_source_ops;
    out->impl = u;
}
