#include "secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int secret_file_read(const char *path, char *out, size_t size, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(err, err_size, "%s: %s", path, strerror(e));
        return -e;
    }
    int rc = 0;
    if (fgets(out, (int)size, f) == NULL) {
        snprintf(err, err_size, "%s: empty file", path);
        rc = -EINVAL;
    } else if (strchr(out, '\n') == NULL && !feof(f)) {
        snprintf(err, err_size, "%s: the first line is longer than %zu bytes", path, size - 2);
        rc = -EINVAL;
    } else {
        out[strcspn(out, "\r\n")] = '\0';
        if (out[0] == '\0') {
            snprintf(err, err_size, "%s: the first line is empty", path);
            rc = -EINVAL;
        }
    }
    fclose(f);
    if (rc < 0)
        memset(out, 0, size);
    return rc;
}
