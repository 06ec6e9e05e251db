#pragma once
/*
 * tmpdir: scratch directories and files for tests.
 */
#include <stddef.h>

/*
 * Create a new private directory under $TMPDIR (or /tmp), named lookout-test.XXXXXX.
 * Returns its path (the caller owns it; release with ts_tmpdir_free), or NULL with errno set.
 */
char *ts_tmpdir_new(void);

/*
 * Remove the directory and everything in it, then free the path. If LOOKOUT_KEEP_TMP is set in
 * the environment the directory is kept (and its path printed) so logs can be read after a
 * failure. NULL is a no-op.
 */
void ts_tmpdir_free(char *dir);

/*
 * Write `content` (a string) to the file dir/name, replacing it, mode 0600. If path_out is not
 * NULL the full path is stored there. Returns 0, -ENOSPC if the path does not fit, or -errno.
 */
int ts_file_write(const char *dir, const char *name, const char *content, char *path_out,
                  size_t path_cap);
