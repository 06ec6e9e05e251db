#include "alerts_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

#define KEY "snoozed_until="
/* Digits of a Unix time in seconds that still fit comfortably in int64_t. */
#define VALUE_MAX_DIGITS 15

/* One line (without its end) into *until_s. Returns 0 or -EINVAL with *reason. */
static int parse_line(const char *p, size_t n, int64_t *until_s, const char **reason)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    if (n == 0 || *p == '#')
        return 0;
    size_t key_len = strlen(KEY);
    if (n < key_len || memcmp(p, KEY, key_len) != 0) {
        *reason = memchr(p, '=', n) != NULL ? "unknown key (expected snoozed_until)"
                                            : "expected snoozed_until=SECONDS";
        return -EINVAL;
    }
    p += key_len;
    n -= key_len;
    if (n == 0 || n > VALUE_MAX_DIGITS) {
        *reason = "snoozed_until: expected Unix seconds (decimal digits)";
        return -EINVAL;
    }
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            *reason = "snoozed_until: expected Unix seconds (decimal digits)";
            return -EINVAL;
        }
        v = v * 10 + (p[i] - '0');
    }
    *until_s = v;
    return 0;
}

int alerts_file_parse(const char *text, size_t len, int64_t *until_s, unsigned *line,
                      const char **reason)
{
    int64_t until = 0;
    *line = 0;
    for (size_t at = 0; at < len;) {
        const char *start = text + at;
        const char *end = memchr(start, '\n', len - at);
        size_t n = end != NULL ? (size_t)(end - start) : len - at;
        (*line)++;
        if (memchr(start, '\0', n) != NULL) {
            *reason = "a NUL byte";
            return -EINVAL;
        }
        if (parse_line(start, n, &until, reason) < 0)
            return -EINVAL;
        at += n + (end != NULL);
    }
    *until_s = until;
    return 0;
}

int alerts_file_read(const char *path, int64_t *until_s, char *err, size_t err_size)
{
    *until_s = 0;
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        int e = errno;
        snprintf(err, err_size, "%s: %s", path, strerror(e));
        return -e;
    }
    char text[ALERTS_FILE_MAX_BYTES + 1];
    size_t len = fread(text, 1, sizeof(text), f);
    int is_error = ferror(f);
    fclose(f);
    if (is_error || len > ALERTS_FILE_MAX_BYTES) {
        snprintf(err, err_size, "%s: %s", path,
                 is_error ? "cannot be read" : "longer than 4096 bytes");
        return is_error ? -EIO : -EFBIG;
    }
    unsigned line = 0;
    const char *reason = NULL;
    if (alerts_file_parse(text, len, until_s, &line, &reason) < 0) {
        snprintf(err, err_size, "%s:%u: %s", path, line, reason);
        return -EINVAL;
    }
    return 0;
}

static int fill(FILE *f, const void *arg)
{
    const int64_t *until_s = arg;
    int n = fprintf(f, "# lookout alert state: written by the relay\n" KEY "%lld\n",
                    (long long)*until_s);
    return n < 0 ? -EIO : 0;
}

int alerts_file_write(const char *path, int64_t until_s)
{
    return atomic_file_write(path, fill, &until_s);
}
