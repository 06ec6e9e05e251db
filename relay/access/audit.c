#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "json_escape.h"
#define LOG_TAG "audit"
#include "log.h"

#define PATH_MAX_BYTES 1024

struct audit {
    char path[PATH_MAX_BYTES];
    char old_path[PATH_MAX_BYTES + 2]; /* path + ".1" */
    uint64_t max_bytes;
    uint64_t size_bytes;
    int fd;         /* -1: off */
    int is_failing; /* the last write failed (logged once) */
};

static int open_log(struct audit *a)
{
    a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (a->fd < 0)
        return -errno;
    struct stat st;
    a->size_bytes = fstat(a->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

struct audit *audit_new(const char *path, uint64_t max_bytes, char *err, size_t err_size)
{
    struct audit *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        snprintf(err, err_size, "AUDIT_LOG: out of memory");
        return NULL;
    }
    a->fd = -1;
    a->max_bytes = max_bytes;
    if (path == NULL || path[0] == '\0')
        return a;
    if (strlen(path) >= sizeof(a->path)) {
        snprintf(err, err_size, "AUDIT_LOG: path too long");
        free(a);
        return NULL;
    }
    snprintf(a->path, sizeof(a->path), "%s", path);
    snprintf(a->old_path, sizeof(a->old_path), "%s.1", path);
    int rc = open_log(a);
    if (rc < 0) {
        snprintf(err, err_size, "AUDIT_LOG: %s: %s", path, strerror(-rc));
        free(a);
        return NULL;
    }
    return a;
}

void audit_free(struct audit *a)
{
    if (a == NULL)
        return;
    if (a->fd >= 0)
        close(a->fd);
    free(a);
}

int audit_is_on(const struct audit *a)
{
    return a != NULL && a->path[0] != '\0';
}

const char *audit_path(const struct audit *a)
{
    return a != NULL ? a->path : "";
}

size_t audit_escape(const char *text, char *out, size_t out_size)
{
    size_t w = 0;
    if (out_size == 0)
        return 0;
    while (*text != '\0') {
        char piece[JSON_ESCAPE_PIECE_MAX];
        size_t step;
        size_t len = json_escape_char(text, piece, &step);
        if (w + len >= out_size)
            break;
        memcpy(out + w, piece, len);
        w += len;
        text += step;
    }
    out[w] = '\0';
    return w;
}

/* Append `"key":"escaped"` to line at *w; false if it does not fit. */
static int put_text(char *line, size_t *w, const char *key, const char *text)
{
    char esc[AUDIT_LINE_MAX / 2];
    audit_escape(text != NULL ? text : "", esc, sizeof(esc));
    int n = snprintf(line + *w, AUDIT_LINE_MAX - *w, ",\"%s\":\"%s\"", key, esc);
    if (n < 0 || (size_t)n >= AUDIT_LINE_MAX - *w)
        return 0;
    *w += (size_t)n;
    return 1;
}

static int put_number(char *line, size_t *w, const char *key, long long number)
{
    int n = snprintf(line + *w, AUDIT_LINE_MAX - *w, ",\"%s\":%lld", key, number);
    if (n < 0 || (size_t)n >= AUDIT_LINE_MAX - *w)
        return 0;
    *w += (size_t)n;
    return 1;
}

static void rotate_if_full(struct audit *a, size_t line_bytes)
{
    if (a->max_bytes == 0 || a->size_bytes == 0 || a->size_bytes + line_bytes <= a->max_bytes)
        return;
    close(a->fd);
    a->fd = -1;
    if (rename(a->path, a->old_path) < 0)
        LOG_WARN("cannot rotate %s: %s", a->path, strerror(errno));
    int rc = open_log(a);
    if (rc < 0)
        LOG_ERROR("cannot reopen %s: %s", a->path, strerror(-rc));
}

int audit_record(struct audit *a, const char *action, const char *user, const char *address,
                 const struct audit_field *fields, size_t n)
{
    if (!audit_is_on(a))
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char line[AUDIT_LINE_MAX + 2];
    size_t w = (size_t)snprintf(line, AUDIT_LINE_MAX,
                                "{\"t\":%lld,\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"",
                                (long long)now.tv_sec, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
    int fits = put_text(line, &w, "action", action) && put_text(line, &w, "user", user) &&
               put_text(line, &w, "address", address);
    for (size_t i = 0; fits && i < n; i++)
        fits = fields[i].is_number ? put_number(line, &w, fields[i].key, fields[i].number)
                                   : put_text(line, &w, fields[i].key, fields[i].text);
    if (!fits)
        put_number(line, &w, "cut", 1);
    line[w++] = '}';
    line[w++] = '\n';
    rotate_if_full(a, w);
    ssize_t put = a->fd >= 0 ? write(a->fd, line, w) : -1;
    if (put != (ssize_t)w) {
        int e = put < 0 && a->fd >= 0 ? errno : EIO;
        if (!a->is_failing)
            LOG_ERROR("cannot write %s: %s", a->path, strerror(e));
        a->is_failing = 1;
        return -e;
    }
    a->is_failing = 0;
    a->size_bytes += w;
    return 0;
}
