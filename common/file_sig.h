#pragma once
/*
 * file_sig: has a file changed on disk? Its device, inode, size and modification time, from one
 * stat(2). An editor's rename (a new inode) and an in-place write (size, mtime) both show; a
 * file that disappears or appears does too. Cheap enough to poll once a second (users_watch,
 * the node token files).
 */
#include <sys/types.h>
#include <time.h>

/* Plain value type: compare two with file_sig_same. A missing file has is_present 0. */
struct file_sig {
    int is_present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

/* The signature of path now (zeroed, is_present 0, if it cannot be stat'ed). */
struct file_sig file_sig_of(const char *path);

/* 1 if a and b are the same file in the same state; else 0. */
int file_sig_same(const struct file_sig *a, const struct file_sig *b);
