#pragma once
/*
 * hook: ON_EVENT_START / ON_EVENT_END, a program run for each event with the event's facts in
 * its environment: the escape hatch motion's users rely on (rclone to the cloud, a siren).
 *
 * The program is started with posix_spawn, no shell: nothing of the event is ever part of a
 * command line. Its environment holds only the LOOKOUT_* variables below plus PATH, HOME, LANG
 * and TZ from the relay's (never the relay's settings or secrets):
 *   LOOKOUT_EVENT (start|end), LOOKOUT_CAMERA, LOOKOUT_CAMERA_TITLE, LOOKOUT_EVENT_ID,
 *   LOOKOUT_START (RFC 3339, UTC), LOOKOUT_START_UNIX_MS, LOOKOUT_END, LOOKOUT_END_UNIX_MS
 *   ("" at the start), LOOKOUT_PEAK_MOTION_PCT, LOOKOUT_THUMBNAIL_URL, LOOKOUT_RECORDING_URL
 *   ("" at the start). URLs carry PUBLIC_URL when it is set, else they are paths.
 * Standard input is /dev/null; standard output and error are read on the loop and logged line
 * by line (at most HOOK_MAX_LOG_LINES per run). A run still going after timeout_ms gets
 * SIGTERM, and SIGKILL a second later, with its whole process group. At most HOOK_MAX_RUNNING
 * at once; more are skipped with a log line.
 */
#include <stdint.h>

#include "event.h"

struct event_base;
struct hook;

#define HOOK_MAX_RUNNING 8
#define HOOK_MAX_LOG_LINES 200

struct hook_config {
    const char *on_start;   /* program path for EVENT_START, or NULL/"" */
    const char *on_end;     /* for EVENT_END */
    unsigned timeout_ms;    /* HOOK_TIMEOUT_MS */
    const char *public_url; /* may be NULL */
};

struct hook_stats {
    uint64_t runs;    /* programs started */
    uint64_t failed;  /* could not start, or exited non-zero */
    uint64_t killed;  /* past the time limit */
    uint64_t skipped; /* HOOK_MAX_RUNNING were running */
};

/* New runner. Returns NULL on allocation failure. */
struct hook *hook_new(struct event_base *base, const struct hook_config *cfg);

/* Kill (SIGKILL) and reap what still runs, then free. hook_free(NULL) is a no-op. */
void hook_free(struct hook *h);

/* Run the program for ev's phase, if one is set. Returns 0 (also when none is set), -EBUSY with
 * HOOK_MAX_RUNNING running, or a negative errno when it could not start (logged). */
int hook_run(struct hook *h, const struct event_info *ev);

void hook_get_stats(const struct hook *h, struct hook_stats *out);

/* Programs running now. */
unsigned hook_running(const struct hook *h);
