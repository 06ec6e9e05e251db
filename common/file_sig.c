#include "file_sig.h"

#include <string.h>
#include <sys/stat.h>

struct file_sig file_sig_of(const char *path)
{
    struct file_sig sig;
    memset(&sig, 0, sizeof(sig));
    struct stat st;
    if (stat(path, &st) == 0) {
        sig.is_present = 1;
        sig.dev = st.st_dev;
        sig.ino = st.st_ino;
        sig.size = st.st_size;
        sig.mtime = st.st_mtim;
    }
    return sig;
}

int file_sig_same(const struct file_sig *a, const struct file_sig *b)
{
    return a->is_present == b->is_present && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}
