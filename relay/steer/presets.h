#pragma once
/*
 * presets: named camera positions shared by every user, kept in PRESETS_FILE.
 *
 * The file is plain text, one preset a line: "PAN TILT NAME" (degrees, then the name to the end
 * of the line), so it can be read and edited by hand. Every change rewrites it atomically
 * (write a temporary file, fsync, rename over the old one, fsync the directory), so a crash or
 * power cut leaves either the old list or the new one, never half of each.
 */
#include <stddef.h>

#define PRESETS_MAX 32
#define PRESET_NAME_MAX 32 /* characters, not counting the NUL */

struct presets;

/*
 * Load path (a missing file is an empty list). Returns NULL with err set
 * ("FILE:LINE: reason") for a malformed file or on allocation failure.
 */
struct presets *presets_load(const char *path, char *err, size_t err_size);

/* Free; presets_free(NULL) is a no-op. */
void presets_free(struct presets *p);

/*
 * Save (or overwrite) `name` at pan/tilt and write the file. Names are 1-32 of A-Z a-z 0-9,
 * space, '_', '-', '.'; angles 0..360 (what presets_load accepts). Returns 0; -EINVAL for a bad
 * name or angle; -ENOSPC past PRESETS_MAX; or the negative errno of a failed write (the list in
 * memory is then unchanged).
 */
int presets_save(struct presets *p, const char *name, int pan_deg, int tilt_deg);

/* Delete `name` and write the file. Returns 0, -ENOENT, or a write error as above. */
int presets_delete(struct presets *p, const char *name);

/* Look up `name`. Returns 0 with the angles, or -ENOENT. */
int presets_find(const struct presets *p, const char *name, int *pan_deg, int *tilt_deg);

/* Number of presets, and the i-th (0-based, in the order saved): name borrowed until the next
 * change. Returns 0, or -ENOENT past the end. */
size_t presets_count(const struct presets *p);
int presets_get(const struct presets *p, size_t i, const char **name, int *pan_deg, int *tilt_deg);

/* 1 if name is acceptable (see presets_save). */
int presets_name_ok(const char *name);
