#include "cfg_check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "presets.h"
#include "tls.h"
#include "url.h"
#include "users.h"

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
    struct users *users = users_new();
    if (users == NULL) {
        report(CFG_ERROR, "lookout", "", "out of memory", arg);
        return 1;
    }
    const char *why = NULL;
    if (c->username[0] != '\0' && c->password_hash[0] != '\0' &&
        users_add(users, c->username, c->password_hash, ROLE_OPERATOR, &why) < 0) {
        report_key(c, report, arg, CFG_ERROR,
                   strstr(why, "user name") ? "HTTP_AUTH_USERNAME" : "HTTP_AUTH_PASSWORD_HASH",
                   why);
        errors++;
    }
    if (c->users_file[0] != '\0' && users_load_file(users, c->users_file, err, sizeof(err)) < 0) {
        report_key(c, report, arg, CFG_ERROR, "USERS_FILE", err);
        errors++;
    }
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
    explicit_bzero(c.password, sizeof(c.password));
    if (errors > 0) {
        fprintf(err_out, "config: %d error%s\n", errors, errors == 1 ? "" : "s");
        return 1;
    }
    /* url_parts.display never holds credentials, so the summary is safe to print. */
    struct url_parts cam, servo;
    const char *reason = NULL;
    int has_servo = c.servo_url[0] != '\0' && url_parse(c.servo_url, &servo, &reason) == 0;
    if (url_parse(c.cam_url, &cam, &reason) < 0)
        return 1; /* cannot happen: cfg_check_urls passed */
    fprintf(ok_out, "config ok: listen %s:%u, camera %s, pan/tilt %s\n", c.listen_host,
            (unsigned)c.listen_port, cam.display, has_servo ? servo.display : "(no SERVO_URL)");
    return 0;
}
