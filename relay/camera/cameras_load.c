#include "cameras_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "camera.h"
#include "cameras.h"
#include "camfile.h"
#define LOG_TAG "cameras"
#include "log.h"

/* Create the camera of one set of settings; a failure is reported at its file. */
static struct camera *create(const struct camfile *cf, struct event_base *base,
                             struct evdns_base *dns, const struct cfg *cfg, cfg_report_cb report,
                             void *arg)
{
    char err[600];
    struct camera *cam = camera_new(base, dns, cf, cfg, err, sizeof(err));
    if (cam == NULL)
        report(CFG_ERROR, cf->path[0] != '\0' ? cf->path : "CAM_URL", "", err, arg);
    return cam;
}

/* The camera files of CAMERAS_DIR into *files (malloc'd) and *count. Returns the errors. */
static int read_dir(const struct cfg *cfg, struct camfile **files, size_t *count,
                    cfg_report_cb report, void *arg)
{
    *files = NULL;
    *count = 0;
    if (cfg->cameras_dir[0] == '\0')
        return 0;
    *files = calloc(CAMFILE_MAX, sizeof(**files));
    if (*files == NULL) {
        report(CFG_ERROR, cfg->cameras_dir, "CAMERAS_DIR", "out of memory", arg);
        return 1;
    }
    const char *taken = cfg_has_main_camera(cfg) ? cfg->camera_name : NULL;
    return camfile_load_dir(cfg->cameras_dir, cfg, taken, *files, CAMFILE_MAX, count, report, arg);
}

int cameras_load(struct cameras *set, struct event_base *base, struct evdns_base *dns,
                 const struct cfg *cfg, cfg_report_cb report, void *arg)
{
    struct camfile *files;
    size_t count;
    int errors = read_dir(cfg, &files, &count, report, arg);
    if (errors == 0 && cfg_has_main_camera(cfg)) {
        struct camfile main_cam;
        camfile_from_main(&main_cam, cfg);
        struct camera *cam = create(&main_cam, base, dns, cfg, report, arg);
        if (cam == NULL || cameras_add(set, cam, 1) < 0) {
            camera_free(cam);
            errors++;
        }
    }
    for (size_t i = 0; errors == 0 && i < count; i++) {
        struct camera *cam = create(&files[i], base, dns, cfg, report, arg);
        if (cam == NULL || cameras_add(set, cam, 0) < 0) {
            camera_free(cam);
            errors++;
        }
    }
    if (errors == 0 && cameras_count(set) == 0) {
        report(CFG_ERROR, cfg->cameras_dir, "CAMERAS_DIR",
               "no camera: the folder holds no NAME.env file and the main .env sets no CAM_URL",
               arg);
        errors++;
    }
    free(files);
    return errors;
}

static void on_reload_problem(enum cfg_severity severity, const char *where, const char *key,
                              const char *reason, void *arg)
{
    (void)arg;
    if (severity == CFG_WARNING)
        LOG_WARN("SIGHUP: %s: %s%s%s", where, key, key[0] ? ": " : "", reason);
    else
        LOG_ERROR("SIGHUP: %s: %s%s%s", where, key, key[0] ? ": " : "", reason);
}

static const struct camfile *find_file(const struct camfile *files, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    }
    return NULL;
}

/* What a reload does to one camera file: nothing (unchanged), or a camera to add or swap in. */
struct change {
    struct camera *fresh; /* NULL: unchanged */
};

/* Start every new or changed camera first, so that a failure leaves the set untouched. */
static int prepare(struct cameras *set, const struct camfile *files, size_t count,
                   struct change *changes, struct event_base *base, struct evdns_base *dns,
                   const struct cfg *cfg)
{
    int errors = 0;
    for (size_t i = 0; i < count; i++) {
        const struct camera *old = cameras_find(set, files[i].name);
        changes[i].fresh = NULL;
        if (old != NULL && camfile_same(camera_settings(old), &files[i]))
            continue;
        changes[i].fresh = create(&files[i], base, dns, cfg, on_reload_problem, NULL);
        errors += changes[i].fresh == NULL;
    }
    return errors;
}

/* Take cam out of the set and close it, telling hooks first. */
static void close_camera(struct cameras *set, struct camera *cam, const struct cameras_hooks *h)
{
    if (h != NULL && h->removing != NULL)
        h->removing(cam, h->arg);
    camera_free(cameras_remove(set, camera_name(cam)));
}

/* Close the file cameras whose file is gone. */
static void remove_gone(struct cameras *set, const struct camfile *files, size_t count,
                        const struct cameras_hooks *hooks)
{
    for (size_t i = cameras_count(set); i-- > 0;) {
        struct camera *cam = cameras_at(set, i);
        if (camera_settings(cam)->path[0] == '\0' || find_file(files, count, camera_name(cam)))
            continue;
        LOG_INFO("SIGHUP: camera %s: its file is gone; closing it", camera_name(cam));
        close_camera(set, cam, hooks);
    }
}

int cameras_reload(struct cameras *set, struct event_base *base, struct evdns_base *dns,
                   const struct cfg *cfg, const struct cameras_hooks *hooks)
{
    struct camfile *files;
    size_t count;
    int errors = read_dir(cfg, &files, &count, on_reload_problem, NULL);
    struct change *changes = calloc(count > 0 ? count : 1, sizeof(*changes));
    if (errors == 0 && changes == NULL) {
        LOG_ERROR("SIGHUP: out of memory");
        errors++;
    }
    if (errors == 0)
        errors = prepare(set, files, count, changes, base, dns, cfg);
    if (errors == 0 && count == 0 && !cfg_has_main_camera(cfg)) {
        LOG_ERROR("SIGHUP: %s: no camera file left, and the main .env sets no CAM_URL",
                  cfg->cameras_dir);
        errors++;
    }
    if (errors > 0) {
        for (size_t i = 0; changes != NULL && i < count; i++)
            camera_free(changes[i].fresh);
        LOG_ERROR("SIGHUP: camera files have errors (above): keeping the cameras as they were");
        free(changes);
        free(files);
        return -EINVAL;
    }
    remove_gone(set, files, count, hooks);
    for (size_t i = 0; i < count; i++) {
        if (changes[i].fresh == NULL)
            continue;
        struct camera *old = cameras_find(set, files[i].name);
        LOG_INFO("SIGHUP: camera %s: %s", files[i].name,
                 old != NULL ? "settings changed; restarted (its viewers reconnect)" : "added");
        if (old != NULL)
            close_camera(set, old, hooks);
        cameras_add(set, changes[i].fresh, 0); /* cannot fail: the name was just freed */
        if (hooks != NULL && hooks->added != NULL)
            hooks->added(changes[i].fresh, hooks->arg);
    }
    free(changes);
    free(files);
    return 0;
}
