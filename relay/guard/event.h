#pragma once
/*
 * event: one motion event of one camera, as the guard layer (detection and recording) reports it
 * to whoever listens (the notify layer: MQTT, webhooks, command hooks).
 *
 * A plain value type with a public layout on purpose: the producer fills it on its stack and
 * calls the listener; every pointer in it is borrowed for the duration of that call only.
 * Listeners run on the relay's event loop and must not block.
 */
#include <stdint.h>

struct frame;

enum event_phase {
    EVENT_START = 1, /* motion began; the event is being recorded */
    EVENT_END = 2,   /* N quiet seconds passed; the recording is complete and indexed */
};

struct event_info {
    enum event_phase phase;
    const char *camera;            /* the camera's name ([a-z0-9_-], as in /c/NAME/) */
    const char *camera_title;      /* its display title (may equal the name) */
    int64_t id;                    /* the event's id in the index: unique per relay, > 0 */
    int64_t start_unix_ms;         /* wall clock (CLOCK_REALTIME) of the first moving frame */
    int64_t end_unix_ms;           /* wall clock of the end; 0 for EVENT_START */
    double peak_motion_pct;        /* largest share of the picture that changed so far, 0..100 */
    const char *thumbnail_path;    /* URL path of the event's thumbnail JPEG on this relay */
    const char *recording_path;    /* URL path of the recording file; NULL for EVENT_START */
    const struct frame *thumbnail; /* the thumbnail frame (a JPEG), borrowed; may be NULL */
};

/* A listener. `arg` is the pointer given with the callback at registration. */
typedef void (*event_cb)(const struct event_info *ev, void *arg);
