#include "events_camera.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "camera.h"
#include "clock.h"
#include "continuous.h"
#include "events_store.h"
#include "frame.h"
#include "ptz.h"
#define LOG_TAG "motion"
#include "log.h"

#define SETTINGS_NAME "motion.txt"
#define SETTINGS_MAX_BYTES 4096

struct events_camera {
    struct camera *cam;
    struct motion *motion;
    struct events *events;
    struct continuous *continuous; /* NULL: no segments, no timelapse */
    char settings_path[1200];
    char dir[1100];
    struct events_camera_stats stats;
    int64_t interval_us;          /* 1 s / MOTION_MAX_FPS */
    int64_t checked_us;           /* receive time of the last frame judged */
    struct motion_result verdict; /* its verdict, which the frames until the next one share */
};

static void on_move(int is_moving, void *arg)
{
    struct events_camera *ec = arg;
    if (is_moving)
        motion_ptz_moving(ec->motion, clock_now_us());
    else
        motion_ptz_settled(ec->motion, clock_now_us());
}

static void on_frame(struct frame *f, int64_t received_us, void *arg)
{
    struct events_camera *ec = arg;
    /* Judge at most MOTION_MAX_FPS frames a second; the ones between share the last verdict
     * (a recalibration is not repeated). Decoding is the cost: every frame is still recorded. */
    if (received_us - ec->checked_us >= ec->interval_us || received_us < ec->checked_us) {
        size_t len;
        const uint8_t *jpeg = frame_jpeg(f, &len);
        motion_feed_jpeg(ec->motion, jpeg, len, received_us, &ec->verdict);
        ec->checked_us = received_us;
        if (ec->verdict.state != MOTION_PAUSED) {
            ec->stats.frames_checked++;
            ec->stats.last_detect_us = motion_last_cost_us(ec->motion);
            ec->stats.detect_us += (uint64_t)ec->stats.last_detect_us;
        }
    } else if (ec->verdict.state == MOTION_RECALIBRATED) {
        ec->verdict.state = MOTION_LEARNING;
    }
    events_on_frame(ec->events, f, received_us, &ec->verdict);
    if (ec->continuous != NULL)
        continuous_on_frame(ec->continuous, f, received_us);
}

/* Segments and timelapse, if the camera has either, through the events' recorder. */
static int start_continuous(struct events_camera *ec, struct events_store *store,
                            const struct events_config *cfg)
{
    if (cfg->segment_s == 0 && cfg->timelapse_s == 0)
        return 0;
    struct continuous_config cc = {
        .camera = cfg->camera, .segment_s = cfg->segment_s, .timelapse_s = cfg->timelapse_s};
    ec->continuous = continuous_new(store, events_recorder(ec->events), &cc);
    if (ec->continuous == NULL)
        return -ENOMEM;
    events_set_result_sink(ec->events, continuous_on_result, ec->continuous);
    return 0;
}

static int parse_line(char *line, struct motion_settings *out, const char **reason)
{
    unsigned a, b, c, d;
    int used = 0;
    if (sscanf(line, " sensitivity %u %n", &a, &used) == 1 && line[used] == '\0') {
        out->sensitivity = a;
        return 0;
    }
    if (sscanf(line, " mask %u %u %u %u %n", &a, &b, &c, &d, &used) == 4 && line[used] == '\0') {
        if (out->mask_count >= MOTION_MASKS_MAX) {
            *reason = "more than 16 masks";
            return -EINVAL;
        }
        out->masks[out->mask_count++] = (struct motion_rect){a, b, c, d};
        return 0;
    }
    *reason = "expected \"sensitivity N\" or \"mask X Y W H\"";
    return -EINVAL;
}

int events_camera_parse_settings(const char *text, struct motion_settings *out, char *err,
                                 size_t err_size)
{
    motion_settings_default(out);
    unsigned lineno = 0;
    while (*text != '\0') {
        char line[256];
        size_t n = strcspn(text, "\n");
        lineno++;
        snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1),
                 text);
        text += n + (text[n] == '\n');
        line[strcspn(line, "\r#")] = '\0';
        if (strspn(line, " \t") == strlen(line))
            continue;
        const char *reason = NULL;
        if (parse_line(line, out, &reason) < 0) {
            snprintf(err, err_size, "%u: %s", lineno, reason);
            return -EINVAL;
        }
    }
    const char *reason = NULL;
    if (motion_settings_check(out, &reason) < 0) {
        snprintf(err, err_size, "%u: %s", lineno, reason);
        return -EINVAL;
    }
    return 0;
}

static int load_settings(struct events_camera *ec, struct motion_settings *out, char *err,
                         size_t err_size)
{
    motion_settings_default(out);
    /* Only a plain file (record_path.h): a FIFO would block the start, a link leads elsewhere. */
    int fd = open(ec->settings_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return 0;
    int rc = fd < 0 ? (errno == ELOOP ? -EINVAL : -errno) : 0;
    struct stat st;
    if (rc == 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)))
        rc = -EINVAL;
    FILE *f = rc == 0 ? fdopen(fd, "r") : NULL;
    if (f == NULL) {
        rc = rc < 0 ? rc : -errno;
        if (fd >= 0)
            close(fd);
        snprintf(err, err_size, "%s: %s", ec->settings_path,
                 rc == -EINVAL ? "not a plain file (a link, FIFO or device)" : strerror(-rc));
        return rc;
    }
    char text[SETTINGS_MAX_BYTES + 1];
    size_t n = fread(text, 1, SETTINGS_MAX_BYTES, f);
    fclose(f);
    text[n] = '\0';
    char why[256];
    if (events_camera_parse_settings(text, out, why, sizeof(why)) < 0) {
        snprintf(err, err_size, "%s:%s", ec->settings_path, why);
        return -EINVAL;
    }
    return 0;
}

/* The settings as motion.txt, as atomic_file_write's fill. */
static int fill_settings(FILE *f, const void *arg)
{
    const struct motion_settings *s = arg;
    fprintf(f,
            "# Lookout motion detection for this camera. Written by the relay.\n"
            "# mask X Y W H: a rectangle to ignore, in per-mille of the picture.\n"
            "sensitivity %u\n",
            s->sensitivity);
    for (size_t i = 0; i < s->mask_count; i++)
        fprintf(f, "mask %u %u %u %u\n", s->masks[i].x, s->masks[i].y, s->masks[i].w,
                s->masks[i].h);
    return ferror(f) ? -EIO : 0;
}

/* Replace motion.txt (common/atomic_file.h: a crash leaves the old settings or the new). */
static int save_settings(const struct events_camera *ec, const struct motion_settings *s)
{
    return atomic_file_write(ec->settings_path, fill_settings, s);
}

struct events_camera *events_camera_new(struct event_base *base, struct camera *cam,
                                        struct events_store *store, const struct events_config *cfg,
                                        unsigned settle_ms, unsigned max_fps, char *err,
                                        size_t err_size)
{
    struct events_camera *ec = calloc(1, sizeof(*ec));
    if (ec == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    ec->cam = cam;
    ec->interval_us = 1000000 / (max_fps > 0 ? max_fps : 1);
    struct motion_settings settings;
    ec->events = events_new(base, store, cfg, err, err_size);
    if (ec->events == NULL) {
        free(ec);
        return NULL;
    }
    events_store_camera_dir(store, cfg->camera, ec->dir, sizeof(ec->dir));
    snprintf(ec->settings_path, sizeof(ec->settings_path), "%s/" SETTINGS_NAME, ec->dir);
    if (load_settings(ec, &settings, err, err_size) < 0 ||
        (ec->motion = motion_new(&settings, settle_ms)) == NULL) {
        events_free(ec->events);
        free(ec);
        return NULL;
    }
    if (start_continuous(ec, store, cfg) < 0) {
        snprintf(err, err_size, "out of memory");
        events_free(ec->events);
        motion_free(ec->motion);
        free(ec);
        return NULL;
    }
    camera_set_frame_tap(cam, on_frame, ec);
    ptz_set_watch(camera_ptz(cam), on_move, ec);
    camera_keep_open(cam, 1);
    return ec;
}

void events_camera_free(struct events_camera *ec)
{
    if (ec == NULL)
        return;
    camera_set_frame_tap(ec->cam, NULL, NULL);
    ptz_set_watch(camera_ptz(ec->cam), NULL, NULL);
    camera_keep_open(ec->cam, 0);
    if (ec->continuous != NULL)
        continuous_stop(ec->continuous);
    events_free(ec->events); /* the recorder's last results still reach ec->continuous */
    continuous_free(ec->continuous);
    motion_free(ec->motion);
    free(ec);
}

struct camera *events_camera_camera(const struct events_camera *ec)
{
    return ec->cam;
}

struct events *events_camera_events(const struct events_camera *ec)
{
    return ec->events;
}

void events_camera_get_settings(const struct events_camera *ec, struct motion_settings *out)
{
    motion_get_settings(ec->motion, out);
}

int events_camera_set_settings(struct events_camera *ec, const struct motion_settings *s,
                               const char **reason)
{
    if (motion_settings_check(s, reason) < 0)
        return -EINVAL;
    int rc = save_settings(ec, s);
    if (rc < 0) {
        LOG_ERROR("cannot write %s: %s", ec->settings_path, strerror(-rc));
        *reason = "cannot write the camera's motion.txt; see the relay's log";
        return rc;
    }
    return motion_set_settings(ec->motion, s);
}

void events_camera_get_stats(const struct events_camera *ec, struct events_camera_stats *out)
{
    *out = ec->stats;
    memset(&out->continuous, 0, sizeof(out->continuous));
    if (ec->continuous != NULL)
        continuous_get_stats(ec->continuous, &out->continuous);
}
