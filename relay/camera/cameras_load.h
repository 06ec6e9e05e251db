#pragma once
/*
 * cameras_load: the relay's cameras from its settings. The main .env's CAM_URL defines the
 * default camera, named CAMERA_NAME, as it always did; CAMERAS_DIR adds one camera per NAME.env
 * file (camfile.h). At start every problem of every file is reported and the relay refuses to
 * start; on SIGHUP the folder is read again and the set changes only if all of it is good:
 * cameras whose files are gone are closed, new ones started, changed ones restarted, and the
 * others keep running untouched (their viewers stay connected).
 */
#include "cfg.h"

struct camera;
struct cameras;
struct evdns_base;
struct event_base;

/*
 * Fill the empty set with the main .env's camera (if CAM_URL is set) and CAMERAS_DIR's cameras.
 * Every problem goes to report; returns the number of errors (0: the set is complete and not
 * empty). base, dns and cfg are borrowed; the cameras keep base and dns.
 */
int cameras_load(struct cameras *set, struct event_base *base, struct evdns_base *dns,
                 const struct cfg *cfg, cfg_report_cb report, void *arg);

/*
 * What else the relay keeps per camera (guarding, MQTT discovery, ...) follows a reload through
 * these: `removing` before a camera is closed (gone, or about to be replaced), `added` once a
 * new or restarted camera is in the set. Either may be NULL; cam is borrowed for the call.
 */
struct cameras_hooks {
    void (*removing)(struct camera *cam, void *arg);
    void (*added)(struct camera *cam, void *arg);
    void *arg;
};

/*
 * Read CAMERAS_DIR again and bring the set in line with it (see above), telling hooks (may be
 * NULL) about each camera closed and started. With any error the set is left as it was and
 * every problem is logged. Returns 0, or -EINVAL when the old set was kept.
 */
int cameras_reload(struct cameras *set, struct event_base *base, struct evdns_base *dns,
                   const struct cfg *cfg, const struct cameras_hooks *hooks);
