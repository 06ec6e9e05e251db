#pragma once
/*
 * recorder_mux: one recording file, Matroska with the camera's JPEGs stream-copied (codec
 * MJPEG, no re-encoding), timestamps in milliseconds from the frames' receive times. Matroska
 * because a file cut short by a crash is still readable up to its last cluster (recover below),
 * and VLC, ffmpeg and browsers' download managers all take it. libavformat does the muxing.
 *
 * Blocking file I/O: called from the recorder's writer thread, and at start-up (recovery).
 * Each object is used by one thread at a time.
 */
#include <stddef.h>
#include <stdint.h>

struct recorder_mux;

/*
 * Create path (replacing it) for JPEG frames of width x height. Returns 0 with *out set, or a
 * negative errno (-ENOSPC: disk full, -EIO: libavformat refused).
 */
int recorder_mux_open(struct recorder_mux **out, const char *path, int width, int height);

/* Append one JPEG (borrowed, read during the call) shown at pts_ms (from 0, increasing), and
 * hand it to the kernel (its own Matroska cluster, written: readable after a crash of the
 * process). Returns 0 or a negative errno; after an error only recorder_mux_abort is useful. */
int recorder_mux_write(struct recorder_mux *m, const uint8_t *jpeg, size_t len, int64_t pts_ms);

/* Write the trailer, close and fsync the file, free m. Returns 0 or a negative errno. */
int recorder_mux_close(struct recorder_mux *m);

/* Close without finishing (the caller deletes the file); NULL is a no-op. */
void recorder_mux_abort(struct recorder_mux *m);

/*
 * Read the recording at path: store its frame count and duration (ms, first to last frame).
 * Returns 0 if libavformat opens it and it has at least one MJPEG frame, else -EINVAL.
 */
int recorder_mux_probe(const char *path, uint32_t *frames, int64_t *duration_ms);

/*
 * Copy every frame that can still be read from a recording cut short (crash, power cut) into a
 * new file out_path, finished and fsynced. Returns 0 with the counts, or -EINVAL if nothing was
 * readable (out_path is then removed), or a write error.
 */
int recorder_mux_recover(const char *in_path, const char *out_path, uint32_t *frames,
                         int64_t *duration_ms);

/* The pixel size of a JPEG from its header. Returns 0 or -EINVAL. */
int recorder_mux_jpeg_size(const uint8_t *jpeg, size_t len, int *width, int *height);
