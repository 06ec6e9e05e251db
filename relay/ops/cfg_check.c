#include "cfg_check.h"
#include "bearer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "presets.h"
#include "tls.h"
#include "url.h"
#include "users.h"

#define LINE_MAX_BYTES 4096

int cfg_check_file(const char *path, int must_exist, FILE *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (!must_exist && errno == ENOENT)
            return 0;
        fprintf(out, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    /* Values go into a scratch configuration: the check only wants cfg_set's verdict. */
    struct cfg scratch;
    cfg_defaults(&scratch);
    char line[LINE_MAX_BYTES + 2];
    char key[64], value[LINE_MAX_BYTES];
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
        const char *reason = NULL;
        if (len > LINE_MAX_BYTES) {
            fprintf(out, "%s:%u: line longer than %d bytes\n", path, lineno, LINE_MAX_BYTES);
            errors++;
            is_continuation = !is_whole;
            continue;
        }
        if (cfg_parse_line(line, key, sizeof(key), value, sizeof(value), &reason) < 0) {
            fprintf(out, "%s:%u: %s%s%s\n", path, lineno, key, key[0] ? ": " : "", reason);
            errors++;
        } else if (key[0] != '\0' && cfg_set(&scratch, key, value, &reason) == -EINVAL) {
            char why[160];
            cfg_explain(key, value, reason, why, sizeof(why));
            fprintf(out, "%s:%u: %s: %s\n", path, lineno, key, why);
            errors++;
        }
    }
    /* The buffers held the password: do not leave it on the stack. */
    explicit_bzero(line, sizeof(line));
    explicit_bzero(value, sizeof(value));
    explicit_bzero(scratch.password, sizeof(scratch.password));
    fclose(f);
    return errors;
}

int cfg_check_finish(const struct cfg *c, FILE *ok_out, FILE *err_out)
{
    struct url_parts cam, servo;
    const char *reason = NULL;
    int is_ok = 1;
    int is_link = c->cam_url[0] == '\0';
    if (!is_link && url_parse(c->cam_url, &cam, &reason) < 0) {
        fprintf(err_out, "CAM_URL: %s\n", reason);
        is_ok = 0;
    }
    unsigned char digest[BEARER_DIGEST_BYTES];
    if (bearer_load(c->node_token, c->node_token_file, digest, &reason) < 0) {
        fprintf(err_out, "%s: %s\n", c->node_token_file[0] ? "NODE_TOKEN_FILE" : "NODE_TOKEN",
                reason);
        is_ok = 0;
    }
    if (c->servo_url[0] != '\0' && url_parse(c->servo_url, &servo, &reason) < 0) {
        fprintf(err_out, "SERVO_URL: %s\n", reason);
        is_ok = 0;
    }
    /* The files a start reads besides the .env, loaded (and dropped) the same way. */
    char err[512];
    struct users *users = users_new();
    if (users == NULL) {
        fprintf(err_out, "out of memory\n");
        return 1;
    }
    const char *why = NULL;
    if (c->username[0] != '\0' && c->password_hash[0] != '\0' &&
        users_add(users, c->username, c->password_hash, ROLE_OPERATOR, &why) < 0) {
        fprintf(err_out, "HTTP_AUTH_PASSWORD_HASH: %s\n", why);
        is_ok = 0;
    }
    if (c->users_file[0] != '\0' && users_load_file(users, c->users_file, err, sizeof(err)) < 0) {
        fprintf(err_out, "USERS_FILE: %s\n", err);
        is_ok = 0;
    }
    users_free(users);
    if (c->tls_cert[0] != '\0') {
        struct tls *tls = tls_new(c->tls_cert, c->tls_key, err, sizeof(err));
        if (tls == NULL) {
            fprintf(err_out, "TLS_CERT: %s\n", err);
            is_ok = 0;
        }
        tls_free(tls);
    }
    struct presets *presets = presets_load(c->presets_file, err, sizeof(err));
    if (presets == NULL) {
        fprintf(err_out, "PRESETS_FILE: %s\n", err);
        is_ok = 0;
    }
    presets_free(presets);
    if (!is_ok)
        return 1;
    /* url_parts.display never holds credentials, so the summary is safe to print. */
    fprintf(ok_out, "config ok: listen %s:%u, camera %s, pan/tilt %s\n", c->listen_host,
            (unsigned)c->listen_port, is_link ? "dials in (NODE_TOKEN)" : cam.display,
            c->servo_url[0] != '\0' ? servo.display : "(no SERVO_URL)");
    return 0;
}
