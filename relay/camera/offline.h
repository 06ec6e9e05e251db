#pragma once
/*
 * offline: while the camera is offline, viewers keep their connection and are sent a
 * "CAMERA OFFLINE" picture (with the reason and the time) every interval_ms, so a browser, VLC or
 * a recorder shows what is going on instead of a frozen frame. When frames flow again the
 * stream simply continues. The picture has the size of the camera's last frame (640x480 until
 * one is seen), encoded with TurboJPEG.
 */
struct event_base;
struct hub;
struct offline;
struct source;

/*
 * Start the offline painter on base. hub and source are borrowed and must outlive it.
 * Returns NULL on allocation failure.
 */
struct offline *offline_new(struct event_base *base, struct hub *hub, struct source *source,
                            unsigned interval_ms);

/* Stop and free; offline_free(NULL) is a no-op. */
void offline_free(struct offline *o);
