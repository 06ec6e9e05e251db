#pragma once
/*
 * events_replay: a recording played back as an MJPEG stream at its recorded pace, so a page
 * can show it in an <img> (browsers do not play MJPEG in <video>). Frames are read from the
 * Matroska file with libavformat and each is sent when its timestamp is due; `t` seeks.
 * A viewer that reads slower than the recording skips ahead (frames are not queued beyond
 * REPLAY_MAX_BUFFERED bytes). Reads are small and from the page cache, on the loop.
 */
#include <stdint.h>

struct auth;
struct auth_identity;
struct event_base;
struct evhttp_request;
struct events_store;

/*
 * Who watches a replay. Before each frame the replay asks auth_may_see(auth, who, camera): once
 * the viewer may no longer see the camera (the account removed from USERS_FILE, its camera list
 * no longer naming it, a guest link ended), the connection is closed, as the live stream's is.
 * auth is borrowed (it must outlive every replay; NULL: never asked); who and camera are copied.
 */
struct events_replay_viewer {
    const struct auth *auth;
    const struct auth_identity *who;
    const char *camera;
};

/* Replays at once, relay-wide. */
#define EVENTS_REPLAY_MAX 8

/*
 * Start replaying the recording at path (copied) from t_ms to req (which the replay then
 * answers) for `viewer`. store counts the replays (EVENTS_REPLAY_MAX). Returns 0; -EBUSY (too
 * many replays) or -EINVAL (unreadable file): then the caller still owns req.
 */
int events_replay_start(struct event_base *base, struct events_store *store,
                        struct evhttp_request *req, const char *path, int64_t t_ms,
                        const struct events_replay_viewer *viewer);
