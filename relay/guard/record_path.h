#pragma once
/*
 * record_path: what the relay may open, list or delete under RECORD_DIR. Everything there is the
 * relay's own: plain files and folders. Anything else (a symbolic link, a FIFO, a device, a
 * socket) was put there by someone else and is skipped: a link could lead out of RECORD_DIR
 * (serving or deleting a file elsewhere) and opening a FIFO blocks until a writer comes
 * (docs/SECURITY.md, "Recordings").
 */

/* 1 if path names a regular file itself (not a link to one), else 0. Never blocks. */
int record_path_is_file(const char *path);

/* 1 if path names a folder itself (not a link to one), else 0. */
int record_path_is_dir(const char *path);
