#pragma once
/*
 * atomic_file: replace a small state file so that a crash leaves the old file or the new one,
 * never half of one: write a temporary file beside it (mode 0600, mkostemp), fflush + fsync,
 * rename(2) over the old one, fsync the directory (so the rename itself is durable).
 */
#include <stdio.h>

/* Writes the file's content to f. Returns 0, or a negative errno. */
typedef int (*atomic_file_fill_fn)(FILE *f, const void *arg);

/*
 * Replace path with what fill writes (arg passed through). Returns 0, or a negative errno (the
 * temporary file is removed then, and path is untouched).
 */
int atomic_file_write(const char *path, atomic_file_fill_fn fill, const void *arg);
