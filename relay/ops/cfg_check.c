#include "cfg_check.h"
#include "bearer.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av_lib.h"
#include "camfile.h"
#include "presets.h"
#include "tls.h"
#include "url.h"
#include "users.h"
#include "users_watch.h"

/* The report of a check: every line to `out`, errors counted by the callers' return values. */
static void on_report(enum cfg_severity severity, const char *where, const char *key,
                      const char *reason, void *arg)
{
    (void)severity;
    FILE *out = arg;
    fprintf(out, "%s: %s%s%s\n", where, key, key[0] ? ": " : "", reason);
}

static void report_key(const struct cfg *c, cfg_report_cb report, void *arg,
                       enum cfg_severity severity, const char *key, const char *reason)
{
    char where[1100];
    cfg_where(c, key, where, sizeof(where));
    report(severity, where, key, reason, arg);
}

int cfg_check_urls(const struct cfg *c, cfg_report_cb report, void *arg)
{
    struct url_parts cam, servo;
    const char *reason = NULL;
    int errors = 0;
    int is_cam_ok = c->cam_url[0] != '\0' && url_parse(c->cam_url, &cam, &reason) == 0;
    if (c->cam_url[0] != '\0' && !is_cam_ok) {
        report_key(c, report, arg, CFG_ERROR, "CAM_URL", reason);
        errors++;
    }
    unsigned char digest[BEARER_DIGEST_BYTES];
    if (bearer_load(c->node_token, c->node_token_file, digest, &reason) < 0) {
        report_key(c, report, arg, CFG_ERROR,
                   c->node_token_file[0] ? "NODE_TOKEN_FILE" : "NODE_TOKEN", reason);
        errors++;
    }
    if (c->servo_url[0] == '\0')
        return errors;
    if (url_parse(c->servo_url, &servo, &reason) < 0) {
        report_key(c, report, arg, CFG_ERROR, "SERVO_URL", reason);
        return errors + 1;
    }
    if (is_cam_ok && strcmp(cam.host, servo.host) == 0 && cam.port == servo.port) {
        char why[800];
        snprintf(why, sizeof(why),
                 "same host and port as CAM_URL (%.256s:%u): the original firmware answers "
                 "/control_servo on port 81 only, e.g. SERVO_URL=http://%.256s:81/control_servo",
                 cam.host, (unsigned)cam.port, cam.host);
        report_key(c, report, arg, CFG_WARNING, "SERVO_URL", why);
    }
    return errors;
}

int cfg_check_files(const struct cfg *c, cfg_report_cb report, void *arg)
{
    char err[512];
    int errors = 0;
    /* The accounts exactly as a start builds them (users_watch_build, as main's start_access),
     * so the check and the start cannot disagree on a user name (issue 10 #11). */
    char hash[256] = "";
    if (c->username[0] != '\0' && c->password_hash[0] != '\0')
        snprintf(hash, sizeof(hash), "%s", c->password_hash);
    else if (c->username[0] != '\0' && users_hash_password(c->password, hash, sizeof(hash)) < 0) {
        report_key(c, report, arg, CFG_ERROR, "HTTP_AUTH_PASSWORD",
                   "cannot hash the password (libcrypt)");
        errors++;
    }
    struct users_watch_config uw = {
        .path = c->users_file, .env_name = c->username, .env_hash = hash, .poll_ms = 1000};
    struct users *users = errors == 0 ? users_watch_build(&uw, err, sizeof(err)) : NULL;
    if (errors == 0 && users == NULL) {
        int is_env = strncmp(err, "HTTP_AUTH_USERNAME: ", 20) == 0;
        const char *key = !is_env                       ? "USERS_FILE"
                          : strstr(err, "user name")    ? "HTTP_AUTH_USERNAME"
                          : c->password_hash[0] != '\0' ? "HTTP_AUTH_PASSWORD_HASH"
                                                        : "HTTP_AUTH_USERNAME";
        report_key(c, report, arg, CFG_ERROR, key, is_env ? err + 20 : err);
        errors++;
    }
    explicit_bzero(hash, sizeof(hash));
    users_free(users);
    if (c->tls_cert[0] != '\0' && c->tls_key[0] != '\0') {
        struct tls *tls = tls_new(c->tls_cert, c->tls_key, err, sizeof(err));
        if (tls == NULL) {
            report_key(c, report, arg, CFG_ERROR, "TLS_CERT", err);
            errors++;
        }
        tls_free(tls);
    }
    struct presets *presets = presets_load(c->presets_file, err, sizeof(err));
    if (presets == NULL) {
        report_key(c, report, arg, CFG_ERROR, "PRESETS_FILE", err);
        errors++;
    }
    presets_free(presets);
    /* RECORD_DIR as a start opens it: a writable directory (the index and recordings go there). */
    struct stat st;
    if (c->record_dir[0] != '\0') {
        const char *problem = stat(c->record_dir, &st) != 0        ? strerror(errno)
                              : !S_ISDIR(st.st_mode)               ? "not a directory"
                              : access(c->record_dir, W_OK | X_OK) ? strerror(errno)
                                                                   : NULL;
        if (problem != NULL) {
            char reason[1200];
            snprintf(reason, sizeof(reason), "%.1000s: %s", c->record_dir, problem);
            report_key(c, report, arg, CFG_ERROR, "RECORD_DIR", reason);
            errors++;
        }
        char why[600];
        if (av_lib_load(why, sizeof(why)) < 0) {
            report_key(c, report, arg, CFG_ERROR, "RECORD_DIR", why);
            errors++;
        }
    } else {
        /* Continuous recording asked for with nowhere to record: say so (not an error). */
        if (c->record_segment_s > 0)
            report_key(c, report, arg, CFG_WARNING, "RECORD_SEGMENT_S",
                       "set, but RECORD_DIR is not: nothing is recorded");
        if (c->record_timelapse_s > 0)
            report_key(c, report, arg, CFG_WARNING, "RECORD_TIMELAPSE_S",
                       "set, but RECORD_DIR is not: nothing is recorded");
    }
    return errors;
}

/* "FILE:LINE" of a camera file's key, or the file for a key it does not set. */
static void camfile_where(const struct camfile *cf, unsigned line, char *out, size_t size)
{
    if (line > 0)
        snprintf(out, size, "%s:%u", cf->path, line);
    else
        snprintf(out, size, "%s", cf->path);
}

/* One camera file's URLs and presets file, checked as a start would use them. */
static int check_camfile(const struct camfile *cf, cfg_report_cb report, void *arg)
{
    char where[1100], err[512];
    struct url_parts url;
    const char *reason = NULL;
    int errors = 0;
    if (url_parse(cf->cam_url, &url, &reason) < 0) {
        camfile_where(cf, cf->cam_url_line, where, sizeof(where));
        report(CFG_ERROR, where, "CAM_URL", reason, arg);
        errors++;
    }
    if (cf->servo_url[0] != '\0' && url_parse(cf->servo_url, &url, &reason) < 0) {
        camfile_where(cf, cf->servo_url_line, where, sizeof(where));
        report(CFG_ERROR, where, "SERVO_URL", reason, arg);
        errors++;
    }
    struct presets *presets = presets_load(cf->presets_file, err, sizeof(err));
    if (presets == NULL) {
        camfile_where(cf, cf->presets_file_line, where, sizeof(where));
        report(CFG_ERROR, where, "PRESETS_FILE", err, arg);
        errors++;
    }
    presets_free(presets);
    return errors;
}

/* The camera names a check knows: the main .env's camera and the camera files'. */
struct known_cameras {
    const struct cfg *c;
    const struct camfile *files;
    size_t count;
};

static int known_camera(const char *name, void *arg)
{
    const struct known_cameras *k = arg;
    if (cfg_has_main_camera(k->c) && strcmp(k->c->camera_name, name) == 0)
        return 1;
    for (size_t i = 0; i < k->count; i++) {
        if (strcmp(k->files[i].name, name) == 0)
            return 1;
    }
    return 0;
}

/* USERS_FILE's camera lists must name cameras that exist. */
static int check_user_cameras(const struct known_cameras *k, cfg_report_cb report, void *arg)
{
    char err[600];
    struct users *users = users_new();
    int errors = 0;
    if (users != NULL && k->c->users_file[0] != '\0' &&
        users_load_file(users, k->c->users_file, err, sizeof(err)) == 0 &&
        users_check_cameras(users, known_camera, (void *)k, err, sizeof(err)) < 0) {
        report_key(k->c, report, arg, CFG_ERROR, "USERS_FILE", err);
        errors++;
    }
    users_free(users);
    return errors;
}

int cfg_check_cameras(const struct cfg *c, size_t *count, cfg_report_cb report, void *arg)
{
    struct known_cameras k = {c, NULL, 0};
    int errors = 0;
    struct camfile *files = NULL;
    if (c->cameras_dir[0] != '\0') {
        files = calloc(CAMFILE_MAX, sizeof(*files));
        if (files == NULL) {
            report(CFG_ERROR, c->cameras_dir, "CAMERAS_DIR", "out of memory", arg);
            return 1;
        }
        const char *taken = cfg_has_main_camera(c) ? c->camera_name : NULL;
        errors +=
            camfile_load_dir(c->cameras_dir, c, taken, files, CAMFILE_MAX, &k.count, report, arg);
        k.files = files;
        for (size_t i = 0; i < k.count; i++)
            errors += check_camfile(&files[i], report, arg);
    }
    errors += check_user_cameras(&k, report, arg);
    *count = k.count + (cfg_has_main_camera(c) != 0);
    free(files);
    return errors;
}

/* The flags a start takes, checked like keys (they override the file and the environment). */
static int check_flags(struct cfg *c, const char *listen, const char *level, FILE *out)
{
    int errors = 0;
    if (listen != NULL && cfg_set_listen(c, listen) < 0) {
        on_report(CFG_ERROR, "--listen", "LISTEN", "expected ADDR:PORT, e.g. 127.0.0.1:5000", out);
        errors++;
    } else if (listen != NULL) {
        cfg_mark(c, "LISTEN", CFG_FROM_FLAG);
    }
    if (level != NULL && log_level_parse(level, &c->log_level) < 0) {
        on_report(CFG_ERROR, "--log-level", "LOG_LEVEL", "expected error, warn, info or debug",
                  out);
        errors++;
    }
    return errors;
}

int cfg_check_run(const char *env_path, int must_exist, const char *listen, const char *level,
                  FILE *ok_out, FILE *err_out)
{
    struct cfg c;
    cfg_defaults(&c);
    int errors = cfg_read_file(&c, env_path, must_exist, on_report, err_out);
    errors += cfg_read_environment(&c, on_report, err_out);
    errors += check_flags(&c, listen, level, err_out);
    errors += cfg_check_settings(&c, on_report, err_out);
    errors += cfg_check_urls(&c, on_report, err_out);
    errors += cfg_check_files(&c, on_report, err_out);
    size_t cameras = 0;
    errors += cfg_check_cameras(&c, &cameras, on_report, err_out);
    if (errors == 0 && cameras == 0) {
        on_report(CFG_ERROR, c.cameras_dir, "CAMERAS_DIR",
                  "no camera: the folder holds no NAME.env file and the main .env sets no CAM_URL",
                  err_out);
        errors++;
    }
    explicit_bzero(c.password, sizeof(c.password));
    if (errors > 0) {
        fprintf(err_out, "config: %d error%s\n", errors, errors == 1 ? "" : "s");
        return 1;
    }
    /* url_parts.display never holds credentials, so the summary is safe to print. */
    struct url_parts cam, servo;
    const char *reason = NULL;
    int has_servo = c.servo_url[0] != '\0' && url_parse(c.servo_url, &servo, &reason) == 0;
    fprintf(ok_out, "config ok: listen %s:%u", c.listen_host, (unsigned)c.listen_port);
    if (c.cam_url[0] != '\0' && url_parse(c.cam_url, &cam, &reason) == 0)
        fprintf(ok_out, ", camera %s, pan/tilt %s", cam.display,
                has_servo ? servo.display : "(no SERVO_URL)");
    else if (c.node_token[0] != '\0' || c.node_token_file[0] != '\0')
        fprintf(ok_out, ", camera dials in (NODE_TOKEN), pan/tilt %s",
                has_servo ? servo.display : "over the node link");
    if (c.cameras_dir[0] != '\0')
        fprintf(ok_out, ", %zu camera%s in all (CAMERAS_DIR %s)", cameras, cameras == 1 ? "" : "s",
                c.cameras_dir);
    fprintf(ok_out, "\n");
    return 0;
}
