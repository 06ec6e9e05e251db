#pragma once
/*
 * recording_name: the file names of a camera's continuous recordings (continuous.h), and back.
 * Pure functions: no I/O, the time comes in as an argument.
 *
 * Under the camera's folder, in UTC (a local clock repeats an hour each autumn, and names must be
 * unique and sort by time):
 *   segments/YYYY-MM-DD/HHMMSS.mkv      a segment starting at that second
 *   timelapse/YYYY-MM-DD.mkv            the day's timelapse
 * A second file of the same name (a restart within the second; a timelapse restarted the same
 * day) gets "-N" before ".mkv", N from 2. While written, a file is the part
 * "segments/.YYYY-MM-DD_HHMMSS.mkv.part" (timelapse: "timelapse/.YYYY-MM-DD.mkv.part"): flat in
 * the kind's folder, so start-up finds every part with one directory read, and its name gives
 * the final name back.
 */
#include <stddef.h>
#include <stdint.h>

#include "event_index.h"

/* The folder of a kind: "segments" or "timelapse". */
const char *recording_name_dir(enum recording_kind kind);

/*
 * The final name of a recording of kind starting at start_unix_ms, the n-th of that name (1: no
 * suffix), into out. Returns 0, -EINVAL (n 0, a time before 1970 or past 9999) or -ENAMETOOLONG.
 */
int recording_name_make(enum recording_kind kind, int64_t start_unix_ms, unsigned n, char *out,
                        size_t size);

/* The part name of a final name made above, into out. Returns 0, -EINVAL or -ENAMETOOLONG. */
int recording_name_part(const char *final, char *out, size_t size);

/*
 * The final name of the part file `part` (a name in kind's folder, without the folder:
 * ".2026-12-07_101500.mkv.part"), into out. Returns 0, or -EINVAL if it is not such a part.
 */
int recording_name_from_part(enum recording_kind kind, const char *part, char *out, size_t size);

/*
 * Read a final name ("segments/2026-12-07/101500-2.mkv"): its kind and the start it names (a
 * timelapse: the day's midnight, UTC). Returns 0 or -EINVAL for anything else.
 */
int recording_name_parse(const char *final, enum recording_kind *kind, int64_t *start_unix_ms);

/* The UTC day number (days since 1970-01-01) of a wall-clock time. */
int64_t recording_name_day(int64_t unix_ms);
