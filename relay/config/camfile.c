#include "camfile.h"
#include "bearer.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TAG "config"

#define SUFFIX ".env"

int camfile_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > CAMFILE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/*
 * The keys a camera file may set that the main file has too: where each lives in struct cfg and
 * in struct camfile. Their values (and ranges, and messages) are the main table's (cfg.c). The
 * guarding keys that are about one camera's recording are here; RECORD_DIR, retention and the
 * queue stay relay-wide.
 */
static const struct {
    const char *key;
    size_t cfg_offset, camfile_offset;
    int is_bool; /* int, not unsigned */
} shared_keys[] = {
    {"CAMERA_FOV_DEG", offsetof(struct cfg, camera_fov_deg), offsetof(struct camfile, fov_deg), 0},
    {"PTZ_STEP_DEG", offsetof(struct cfg, ptz_step_deg), offsetof(struct camfile, ptz_step_deg), 0},
    {"RECORD", offsetof(struct cfg, record), offsetof(struct camfile, record), 1},
    {"RECORD_PREROLL_MS", offsetof(struct cfg, record_preroll_ms),
     offsetof(struct camfile, record_preroll_ms), 0},
    {"RECORD_QUIET_MS", offsetof(struct cfg, record_quiet_ms),
     offsetof(struct camfile, record_quiet_ms), 0},
    {"RECORD_MAX_EVENT_MS", offsetof(struct cfg, record_max_event_ms),
     offsetof(struct camfile, record_max_event_ms), 0},
    {"RECORD_SEGMENT_S", offsetof(struct cfg, record_segment_s),
     offsetof(struct camfile, record_segment_s), 0},
    {"RECORD_TIMELAPSE_S", offsetof(struct cfg, record_timelapse_s),
     offsetof(struct camfile, record_timelapse_s), 0},
};

#define N_SHARED (sizeof(shared_keys) / sizeof(shared_keys[0]))

/* Copy shared key i's value from the main settings into cf. */
static void copy_shared(struct camfile *cf, const struct cfg *main, size_t i)
{
    const char *from = (const char *)main + shared_keys[i].cfg_offset;
    char *to = (char *)cf + shared_keys[i].camfile_offset;
    memcpy(to, from, shared_keys[i].is_bool ? sizeof(int) : sizeof(unsigned));
}

void camfile_defaults(struct camfile *cf, const struct cfg *main, const char *name)
{
    memset(cf, 0, sizeof(*cf));
    snprintf(cf->name, sizeof(cf->name), "%s", name);
    snprintf(cf->title, sizeof(cf->title), "%s", name);
    snprintf(cf->presets_file, sizeof(cf->presets_file), "lookout-presets-%s.txt", name);
    for (size_t i = 0; i < N_SHARED; i++)
        copy_shared(cf, main, i);
}

void camfile_from_main(struct camfile *cf, const struct cfg *main)
{
    camfile_defaults(cf, main, main->camera_name);
    if (main->camera_title[0] != '\0')
        snprintf(cf->title, sizeof(cf->title), "%s", main->camera_title);
    snprintf(cf->cam_url, sizeof(cf->cam_url), "%s", main->cam_url);
    snprintf(cf->servo_url, sizeof(cf->servo_url), "%s", main->servo_url);
    snprintf(cf->presets_file, sizeof(cf->presets_file), "%s", main->presets_file);
    cf->has_node_token = main->has_node_token;
    memcpy(cf->node_token_digest, main->node_token_digest, sizeof(cf->node_token_digest));
    snprintf(cf->node_token_file, sizeof(cf->node_token_file), "%s", main->node_token_file);
}

/* NODE_TOKEN (the token) or NODE_TOKEN_FILE (a file holding it): only the digest is kept. */
static int set_token(struct camfile *cf, const char *key, const char *value, const char **reason)
{
    int is_file = strcmp(key, "NODE_TOKEN_FILE") == 0;
    int rc =
        bearer_load(is_file ? NULL : value, is_file ? value : NULL, cf->node_token_digest, reason);
    if (rc == 0) {
        *reason = "empty";
        return -EINVAL;
    }
    if (rc < 0)
        return -EINVAL;
    if (is_file && strlen(value) >= sizeof(cf->node_token_file)) {
        *reason = "value too long";
        return -EINVAL;
    }
    snprintf(cf->node_token_file, sizeof(cf->node_token_file), "%s", is_file ? value : "");
    cf->has_node_token = 1;
    return 0;
}

static int set_string(char *dst, size_t size, const char *value, const char **reason)
{
    if (strlen(value) >= size) {
        *reason = "value too long";
        return -EINVAL;
    }
    memcpy(dst, value, strlen(value) + 1);
    return 0;
}

/* Shared key i (numbers, on/off) goes through the main table, so its ranges and messages are
 * the main file's. */
static int set_shared(struct camfile *cf, size_t i, const char *value, const char **reason)
{
    struct cfg scratch;
    cfg_defaults(&scratch);
    int rc = cfg_set(&scratch, shared_keys[i].key, value, reason);
    if (rc == 0)
        copy_shared(cf, &scratch, i);
    return rc;
}

int camfile_set(struct camfile *cf, const char *key, const char *value, const char **reason)
{
    if (strcmp(key, "CAM_URL") == 0)
        return set_string(cf->cam_url, sizeof(cf->cam_url), value, reason);
    if (strcmp(key, "SERVO_URL") == 0)
        return set_string(cf->servo_url, sizeof(cf->servo_url), value, reason);
    if (strcmp(key, "PRESETS_FILE") == 0)
        return set_string(cf->presets_file, sizeof(cf->presets_file), value, reason);
    if (strcmp(key, "TITLE") == 0) {
        if (value[0] == '\0') {
            *reason = "empty title";
            return -EINVAL;
        }
        return set_string(cf->title, sizeof(cf->title), value, reason);
    }
    if (strcmp(key, "NODE_TOKEN") == 0 || strcmp(key, "NODE_TOKEN_FILE") == 0)
        return set_token(cf, key, value, reason);
    for (size_t i = 0; i < N_SHARED; i++) {
        if (strcmp(key, shared_keys[i].key) == 0)
            return set_shared(cf, i, value, reason);
    }
    struct cfg scratch;
    cfg_defaults(&scratch);
    const char *ignored = NULL;
    *reason = cfg_set(&scratch, key, value, &ignored) != -ENOENT
                  ? "a relay-wide setting: it belongs in the main .env"
                  : "unknown key";
    explicit_bzero(&scratch, sizeof(scratch)); /* it may have held a password */
    return -ENOENT;
}

int camfile_same(const struct camfile *a, const struct camfile *b)
{
    struct camfile x = *a, y = *b;
    x.cam_url_line = x.servo_url_line = x.presets_file_line = 0;
    y.cam_url_line = y.servo_url_line = y.presets_file_line = 0;
    if (x.node_token_file[0] != '\0' && strcmp(x.node_token_file, y.node_token_file) == 0) {
        memset(x.node_token_digest, 0, sizeof(x.node_token_digest));
        memset(y.node_token_digest, 0, sizeof(y.node_token_digest));
    }
    return memcmp(&x, &y, sizeof(x)) == 0;
}

/* A line of a camera file (cfg_apply_cb). */
static int apply_camera(const char *key, const char *value, unsigned line, char *why,
                        size_t why_size, void *arg)
{
    struct camfile *cf = arg;
    const char *reason = NULL;
    int rc = camfile_set(cf, key, value, &reason);
    if (rc == 0 && strcmp(key, "CAM_URL") == 0)
        cf->cam_url_line = line;
    else if (rc == 0 && strcmp(key, "SERVO_URL") == 0)
        cf->servo_url_line = line;
    else if (rc == 0 && strcmp(key, "PRESETS_FILE") == 0)
        cf->presets_file_line = line;
    if (rc == -ENOENT && strcmp(reason, "unknown key") == 0) {
        snprintf(why, why_size, "unknown key, ignored");
    } else if (rc == -ENOENT) {
        snprintf(why, why_size, "%s", reason);
        rc = -EINVAL; /* a relay-wide key here would silently do nothing: an error */
    } else if (rc < 0) {
        cfg_explain(key, value, reason, why, why_size);
    }
    return rc;
}

/* The camera name of a file name "NAME.env", written to name; 0, or -1 if not such a file. */
static int name_of(const char *file, char *name, size_t size)
{
    size_t n = strlen(file), s = strlen(SUFFIX);
    if (file[0] == '.' || n <= s || strcmp(file + n - s, SUFFIX) != 0 || n - s >= size)
        return -1;
    memcpy(name, file, n - s);
    name[n - s] = '\0';
    return 0;
}

int camfile_load(struct camfile *cf, const struct cfg *main, const char *path, cfg_report_cb report,
                 void *arg)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    char name[256];
    if (name_of(base, name, sizeof(name)) < 0)
        snprintf(name, sizeof(name), "%s", base);
    camfile_defaults(cf, main, name);
    snprintf(cf->path, sizeof(cf->path), "%s", path);
    int errors = cfg_read_env(path, 1, apply_camera, cf, report, arg);
    if (cf->cam_url[0] == '\0' && !cf->has_node_token) {
        report(CFG_ERROR, path, "CAM_URL",
               "not set; it is this camera's stream, e.g. CAM_URL=http://192.168.1.101/mjpeg "
               "(or NODE_TOKEN, for a camera that dials in)",
               arg);
        errors++;
    } else if (cf->cam_url[0] != '\0' && cf->has_node_token) {
        report(CFG_ERROR, path, "NODE_TOKEN",
               "set together with CAM_URL: the relay pulls (CAM_URL) or the node dials in "
               "(NODE_TOKEN), not both",
               arg);
        errors++;
    }
    return errors;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The NAME.env entries of dir, sorted, into names (malloc'd strings); returns how many or -errno.
 */
static int list_dir(const char *dir, char **names, size_t max, size_t *skipped)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -errno;
    size_t n = 0;
    struct dirent *e;
    char name[256];
    while ((e = readdir(d)) != NULL) {
        if (name_of(e->d_name, name, sizeof(name)) < 0)
            continue;
        if (n >= max) {
            (*skipped)++;
            continue;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL)
            break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    return (int)n;
}

int camfile_load_dir(const char *dir, const struct cfg *main, const char *taken,
                     struct camfile *out, size_t max, size_t *count, cfg_report_cb report,
                     void *arg)
{
    char *names[CAMFILE_MAX] = {0};
    size_t skipped = 0;
    *count = 0;
    if (max > CAMFILE_MAX)
        max = CAMFILE_MAX;
    int n = list_dir(dir, names, max, &skipped);
    if (n < 0) {
        report(CFG_ERROR, dir, "CAMERAS_DIR", strerror(-n), arg);
        return 1;
    }
    int errors = 0;
    char why[200];
    if (skipped > 0) {
        snprintf(why, sizeof(why), "more than %zu camera files", max);
        report(CFG_ERROR, dir, "CAMERAS_DIR", why, arg);
        errors++;
    }
    for (int i = 0; i < n; i++) {
        char path[1024], name[256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        name_of(names[i], name, sizeof(name));
        free(names[i]);
        if (!camfile_name_ok(name)) {
            snprintf(why, sizeof(why),
                     "bad camera name \"%.40s\": the file name without .env must be 1-32 of "
                     "a-z, 0-9, '_', '-'",
                     name);
            report(CFG_ERROR, path, "", why, arg);
            errors++;
        } else if (taken != NULL && strcmp(name, taken) == 0) {
            snprintf(why, sizeof(why),
                     "camera name \"%.32s\" is taken by the main .env's camera (CAMERA_NAME)",
                     name);
            report(CFG_ERROR, path, "", why, arg);
            errors++;
        }
        /* Its lines are checked in any case, so that one run shows every error. */
        errors += camfile_load(&out[*count], main, path, report, arg);
        if (camfile_name_ok(name))
            (*count)++;
    }
    return errors;
}
