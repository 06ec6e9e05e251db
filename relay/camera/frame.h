#pragma once
/*
 * frame: one JPEG from the camera, reference-counted and immutable once published.
 *
 * The buffer is laid out so that one contiguous span is a viewer's whole multipart part:
 *   [headroom: part header fields, right-aligned][JPEG][tail: "\r\n--boundary\r\n"]
 * so each viewer is sent one reference to the same memory (evbuffer_add_reference) and nothing
 * is copied per viewer. The upstream fills the JPEG (frame_append), frame_finish writes the
 * header and tail, then the frame is shared read-only and freed by the last frame_unref.
 * Single-threaded: all calls on the event loop thread.
 */
#include <stddef.h>
#include <stdint.h>

struct frame;

/*
 * New writable frame with room for `capacity` JPEG bytes, growable up to `max_bytes`.
 * The caller holds the one reference. Returns NULL on allocation failure.
 */
struct frame *frame_new(size_t capacity, size_t max_bytes);

/*
 * Append JPEG bytes (copied) to a frame that is not finished yet.
 * Returns 0, -ENOSPC if the frame would exceed max_bytes, or -ENOMEM.
 */
int frame_append(struct frame *f, const void *data, size_t len);

/*
 * Keep, for viewers, the camera's angle fields from x_fields (the part's "X-" header lines as
 * mjpeg_parser collects them, borrowed): X-Pan and X-Tilt, the angle the frame was taken at, when
 * their value is a plain decimal number of at most 12 characters. Nothing else of the camera's
 * headers reaches a viewer, so a camera cannot inject header lines. Call before frame_finish.
 */
void frame_pass_fields(struct frame *f, const char *x_fields);

/*
 * Seal the frame: record its sequence number and receive time (CLOCK_MONOTONIC, µs) and write
 * the part header (with X-Timestamp, X-Frame-Seq and the passed fields) and the closing delimiter
 * for `boundary` around the JPEG. Returns 0, or -EINVAL for a bad boundary or an empty frame.
 */
int frame_finish(struct frame *f, uint64_t seq, int64_t received_us, const char *boundary);

/* Add a reference; returns f. */
struct frame *frame_ref(struct frame *f);

/* Drop a reference; the last one frees the frame. frame_unref(NULL) is a no-op. */
void frame_unref(struct frame *f);

/* The JPEG bytes (borrowed, valid while a reference is held) and their length. */
const uint8_t *frame_jpeg(const struct frame *f, size_t *len);

/* The finished part (header fields, JPEG, delimiter) as sent to viewers, borrowed likewise. */
const uint8_t *frame_wire(const struct frame *f, size_t *len);

struct evbuffer_file_segment;

/*
 * The finished part written once into a memfd, as a libevent file segment, so that each plain
 * TCP viewer is sent it with sendfile(2): the kernel copies from its page cache and the
 * relay's per-viewer user-to-kernel copy disappears. Made on the first call and kept with the
 * frame (borrowed: valid while a frame reference is held; evbuffer_add_file_segment takes its
 * own). Returns NULL if no memfd could be had (out of descriptors): send by reference then.
 */
struct evbuffer_file_segment *frame_file_segment(struct frame *f);

uint64_t frame_seq(const struct frame *f);
int64_t frame_received_us(const struct frame *f);
