#pragma once
/*
 * secret_file: read a one-line secret (the link token of --token-file, the user:password of
 * --auth-file) from a file, so that it appears neither in the process list nor in a log.
 */
#include <stddef.h>

/*
 * Read the first line of path, without its line end, into out[0..size) (NUL-terminated).
 * Returns 0, or a negative errno with a one-line reason in err (never the secret): the file
 * cannot be read, is empty, or its line does not fit.
 */
int secret_file_read(const char *path, char *out, size_t size, char *err, size_t err_size);
