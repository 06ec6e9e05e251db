#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *ts_tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    size_t n = strlen(base) + sizeof("/lookout-test.XXXXXX");
    char *dir = malloc(n);
    if (dir == NULL)
        return NULL;
    snprintf(dir, n, "%s/lookout-test.XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        int err = errno;
        free(dir);
        errno = err;
        return NULL;
    }
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0)
        fprintf(stderr, "ts_tmpdir_free: %s: %s\n", path, strerror(errno));
    return 0; /* keep going: remove as much as we can */
}

void ts_tmpdir_free(char *dir)
{
    if (dir == NULL)
        return;
    if (getenv("LOOKOUT_KEEP_TMP") != NULL) {
        fprintf(stderr, "ts_tmpdir_free: keeping %s (LOOKOUT_KEEP_TMP)\n", dir);
    } else if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) {
        fprintf(stderr, "ts_tmpdir_free: %s: %s\n", dir, strerror(errno));
    }
    free(dir);
}

int ts_file_write(const char *dir, const char *name, const char *content, char *path_out,
                  size_t path_cap)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENOSPC;
    if (path_out != NULL && snprintf(path_out, path_cap, "%s", path) >= (int)path_cap)
        return -ENOSPC;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(content);
    int rc = 0;
    while (len > 0 && rc == 0) {
        ssize_t w = write(fd, content, len);
        if (w < 0 && errno != EINTR) {
            rc = -errno;
        } else if (w > 0) {
            content += w;
            len -= (size_t)w;
        }
    }
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}
