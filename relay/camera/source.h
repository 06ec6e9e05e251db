#pragma once
/*
 * source: where a camera's frames come from, seen from the camera's side. Today a pulled
 * CAM_URL (upstream.h); a node that dials in (a link) provides the same operations. The source
 * hands each frame to the camera with camera_publish (camera.h); the camera, its snapshot and
 * its offline painter ask the source through these operations whether it is online, why not,
 * and hold it while someone needs frames.
 *
 * A plain value type (public layout on purpose): a table of operations and the object they act
 * on. A zeroed struct source (ops NULL) is "no source yet": offline, with a reason saying so,
 * and hold/release do nothing. The camera owns its struct source and keeps it at one address,
 * so the offline painter and the snapshot server can borrow a pointer while the camera swaps
 * what it holds (a link replacing another).
 */
#include <stdint.h>

struct source_stats {
    uint64_t connects;       /* connections made (pull) or accepted (link) */
    uint64_t frames;         /* frames delivered */
    uint64_t frames_dropped; /* oversized, malformed or not JPEG */
    uint64_t bytes;          /* bytes received */
};

struct source_ops {
    int (*is_online)(const void *impl);              /* frames are flowing */
    int (*is_standby)(const void *impl);             /* deliberately idle: nobody watches */
    int (*is_connecting)(const void *impl);          /* first attempt after start or standby */
    const char *(*offline_reason)(const void *impl); /* "" while online; borrowed */
    void (*hold)(void *impl);                        /* someone needs frames */
    void (*release)(void *impl);                     /* ... no longer */
    double (*fps)(const void *impl, int64_t now_us);
    void (*get_stats)(const void *impl, struct source_stats *out);
    void (*free)(void *impl); /* called by source_free; may be NULL */
};

struct source {
    const struct source_ops *ops; /* NULL: no source */
    void *impl;
};

/* Each forwards to ops, or answers as "no source" when s->ops is NULL (documented above). */
int source_is_online(const struct source *s);
int source_is_standby(const struct source *s);
int source_is_connecting(const struct source *s);
const char *source_offline_reason(const struct source *s);
void source_hold(struct source *s);
void source_release(struct source *s);
/* Frames per second over the last few seconds before now_us (CLOCK_MONOTONIC); 0 offline. */
double source_fps(const struct source *s, int64_t now_us);
/* Counters (zeros without a source). */
void source_get_stats(const struct source *s, struct source_stats *out);
/* Free what s holds and zero it. Safe on a zeroed source. */
void source_free(struct source *s);
