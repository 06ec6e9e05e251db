/* Reading the configuration: the .env file, the environment, and the check that the result is
 * usable. Every problem goes to a cfg_report_cb; see cfg.h. */
#include "cfg.h"
#include "camfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TAG "config"

#define LINE_MAX_BYTES 4096

/* Keys whose values are secrets: a value cut at " #" is warned about (never shown). */
static int is_secret(const char *key)
{
    return strcmp(key, "HTTP_AUTH_PASSWORD") == 0;
}

static void report_at(cfg_report_cb report, void *arg, enum cfg_severity severity, const char *path,
                      unsigned line, const char *key, const char *reason)
{
    char where[1100];
    snprintf(where, sizeof(where), "%s:%u", path, line);
    report(severity, where, key, reason, arg);
}

/*
 * Notepad's "Unicode" is UTF-16: every ASCII character followed or preceded by a NUL, usually
 * behind a byte-order mark. django-environ (utf8) could not read such a file either; saying so
 * beats "expected KEY=VALUE" on a line that looks right in the editor.
 */
static int is_utf16(const unsigned char *b, size_t n)
{
    if (n >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
        return 1;
    return n >= 2 && (b[0] == 0) != (b[1] == 0);
}

/* Handle the start of the file: skip a UTF-8 BOM, refuse UTF-16. Returns 0 or -EILSEQ. */
static int check_encoding(FILE *f)
{
    unsigned char b[3];
    size_t n = fread(b, 1, sizeof(b), f);
    if (is_utf16(b, n))
        return -EILSEQ;
    if (n == 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
        return 0; /* Notepad's "UTF-8 with BOM": start after the mark */
    rewind(f);
    return 0;
}

/* One line of the file: parse, apply, and report what is wrong with it. Returns the errors. */
static int read_line(const char *path, unsigned lineno, const char *line, cfg_apply_cb apply,
                     void *apply_arg, cfg_report_cb report, void *arg)
{
    char key[64], value[LINE_MAX_BYTES];
    const char *reason = NULL;
    int errors = 0;
    int parsed = cfg_parse_line(line, key, sizeof(key), value, sizeof(value), &reason);
    if (parsed < 0) {
        report_at(report, arg, CFG_ERROR, path, lineno, key, reason);
        errors++;
    } else if (key[0] != '\0') {
        char why[256] = "";
        int r = apply(key, value, lineno, why, sizeof(why), apply_arg);
        if (r != 0) {
            report_at(report, arg, r == -ENOENT ? CFG_WARNING : CFG_ERROR, path, lineno, key, why);
            errors += r != -ENOENT;
        } else if (parsed == 1 && is_secret(key)) {
            report_at(report, arg, CFG_WARNING, path, lineno, key,
                      "the value ends where \" #\" starts a comment; if the password holds "
                      "\" #\", put it in single quotes: KEY='...'");
        }
    }
    /* The buffer held the password: do not leave it on the stack. */
    explicit_bzero(value, sizeof(value));
    return errors;
}

int cfg_read_env(const char *path, int must_exist, cfg_apply_cb apply, void *apply_arg,
                 cfg_report_cb report, void *arg)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (!must_exist && errno == ENOENT)
            return 0;
        report(CFG_ERROR, path, "", strerror(errno), arg);
        return 1;
    }
    if (check_encoding(f) < 0) {
        report_at(report, arg, CFG_ERROR, path, 1, "",
                  "the file is UTF-16 (Notepad's \"Unicode\"); save it as UTF-8 (Notepad: Save "
                  "As, Encoding: UTF-8) or convert it: iconv -f UTF-16 -t UTF-8");
        fclose(f);
        return 1;
    }
    char line[LINE_MAX_BYTES + 2];
    unsigned lineno = 0;
    int errors = 0;
    int is_continuation = 0; /* the rest of a line that was too long */
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        int is_whole = len > 0 && line[len - 1] == '\n';
        if (is_continuation) {
            is_continuation = !is_whole;
            continue;
        }
        lineno++;
        if (len > LINE_MAX_BYTES) {
            char why[64];
            snprintf(why, sizeof(why), "line longer than %d bytes", LINE_MAX_BYTES);
            report_at(report, arg, CFG_ERROR, path, lineno, "", why);
            errors++;
            is_continuation = !is_whole;
            continue;
        }
        errors += read_line(path, lineno, line, apply, apply_arg, report, arg);
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    return errors;
}

/* A line of the main .env: a known key is set and its line remembered (cfg_where). */
static int apply_main(const char *key, const char *value, unsigned line, char *why, size_t why_size,
                      void *arg)
{
    struct cfg *c = arg;
    const char *reason = NULL;
    int r = cfg_set(c, key, value, &reason);
    if (r == -ENOENT) {
        const char *near = cfg_nearest_key(key);
        snprintf(why, why_size, "unknown key, ignored%s%s%s", near ? "; did you mean " : "",
                 near ? near : "", near ? "?" : "");
    } else if (r < 0) {
        cfg_explain(key, value, reason, why, why_size);
    } else {
        cfg_mark(c, key, line);
    }
    return r;
}

int cfg_read_file(struct cfg *c, const char *path, int must_exist, cfg_report_cb report, void *arg)
{
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        snprintf(c->env_path, sizeof(c->env_path), "%s", path);
        fclose(f);
    }
    return cfg_read_env(path, must_exist, apply_main, c, report, arg);
}

int cfg_read_environment(struct cfg *c, cfg_report_cb report, void *arg)
{
    int errors = 0;
    for (int i = 0; i < CFG_KEYS_MAX; i++) {
        const char *name = cfg_key_name(i);
        if (name == NULL)
            break;
        const char *v = getenv(name);
        const char *reason = NULL;
        if (v == NULL)
            continue;
        if (cfg_set(c, name, v, &reason) < 0) {
            char why[160];
            cfg_explain(name, v, reason, why, sizeof(why));
            report(CFG_ERROR, "environment", name, why, arg);
            errors++;
        } else {
            c->key_line[i] = CFG_FROM_ENVIRONMENT;
        }
    }
    return errors;
}

static void report_key(const struct cfg *c, cfg_report_cb report, void *arg, const char *key,
                       const char *reason)
{
    char where[1100];
    cfg_where(c, key, where, sizeof(where));
    report(CFG_ERROR, where, key, reason, arg);
}

int cfg_check_settings(const struct cfg *c, cfg_report_cb report, void *arg)
{
    int errors = 0;
    int has_secret = c->password[0] != '\0' || c->password_hash[0] != '\0';
    if (c->users_file[0] == '\0' && c->username[0] == '\0') {
        report_key(c, report, arg, "HTTP_AUTH_USERNAME",
                   "not set: set HTTP_AUTH_USERNAME and HTTP_AUTH_PASSWORD (or "
                   "HTTP_AUTH_PASSWORD_HASH, or USERS_FILE); the relay never runs without a "
                   "login");
        errors++;
    } else if (c->username[0] != '\0' && !has_secret) {
        report_key(c, report, arg, "HTTP_AUTH_USERNAME",
                   "set, but neither HTTP_AUTH_PASSWORD nor HTTP_AUTH_PASSWORD_HASH is");
        errors++;
    }
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
        report_key(c, report, arg, c->tls_cert[0] != '\0' ? "TLS_CERT" : "TLS_KEY",
                   "TLS_CERT and TLS_KEY go together: set both or neither");
        errors++;
    }
    if (strcmp(c->webhook_format, "json") != 0 && strcmp(c->webhook_format, "ntfy") != 0 &&
        strcmp(c->webhook_format, "gotify") != 0) {
        report_key(c, report, arg, "WEBHOOK_FORMAT", "expected json, ntfy or gotify");
        errors++;
    }
    if (c->mqtt_password[0] != '\0' && c->mqtt_password_file[0] != '\0') {
        report_key(c, report, arg, "MQTT_PASSWORD_FILE",
                   "MQTT_PASSWORD and MQTT_PASSWORD_FILE: set one, not both");
        errors++;
    }
    int has_token = c->node_token[0] != '\0' || c->node_token_file[0] != '\0';
    if (c->node_token[0] != '\0' && c->node_token_file[0] != '\0') {
        report_key(c, report, arg, "NODE_TOKEN_FILE",
                   "NODE_TOKEN and NODE_TOKEN_FILE: set one, not both");
        errors++;
    }
    if (has_token && c->cam_url[0] != '\0') {
        report_key(c, report, arg, "CAM_URL",
                   "set together with NODE_TOKEN: set CAM_URL (the relay pulls the camera) or "
                   "NODE_TOKEN (the camera dials in), not both");
        errors++;
    }
    if (c->cam_url[0] == '\0' && !has_token && c->cameras_dir[0] == '\0') {
        report_key(c, report, arg, "CAM_URL",
                   "not set; it is the camera's stream, e.g. CAM_URL=http://192.168.1.100/mjpeg "
                   "(or set NODE_TOKEN for a camera that dials in, or CAMERAS_DIR, a folder of "
                   "camera files)");
        errors++;
    }
    if (!camfile_name_ok(c->camera_name)) {
        report_key(c, report, arg, "CAMERA_NAME", "use 1-32 of a-z, 0-9, '_', '-'");
        errors++;
    }
    return errors;
}

/* The start-up forms: keep the first error in `err`, log the warnings. */
struct first_error {
    char *err;
    size_t err_size;
    int has_error;
};

static void on_first_error(enum cfg_severity severity, const char *where, const char *key,
                           const char *reason, void *arg)
{
    struct first_error *fe = arg;
    if (severity == CFG_WARNING) {
        LOG_WARN("%s: %s%s%s", where, key, key[0] ? ": " : "", reason);
        return;
    }
    if (fe->has_error)
        return;
    fe->has_error = 1;
    snprintf(fe->err, fe->err_size, "%s: %s%s%s", where, key, key[0] ? ": " : "", reason);
}

int cfg_load_file(struct cfg *c, const char *path, int must_exist, char *err, size_t err_size)
{
    /* Opened once here too, so that an open error keeps its errno for the caller. */
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        if (!must_exist && e == ENOENT)
            return 0;
        snprintf(err, err_size, "%s: %s", path, strerror(e));
        return -e;
    }
    fclose(f);
    struct first_error fe = {err, err_size, 0};
    return cfg_read_file(c, path, must_exist, on_first_error, &fe) == 0 ? 0 : -EINVAL;
}

int cfg_load_environment(struct cfg *c, char *err, size_t err_size)
{
    struct first_error fe = {err, err_size, 0};
    return cfg_read_environment(c, on_first_error, &fe) == 0 ? 0 : -EINVAL;
}

int cfg_validate(const struct cfg *c, char *err, size_t err_size)
{
    struct first_error fe = {err, err_size, 0};
    return cfg_check_settings(c, on_first_error, &fe) == 0 ? 0 : -EINVAL;
}
