#pragma once
/*
 * sim_panorama: lookout-cam's `--scene FILE.jpg`: any JPEG (a panorama, a photo) seen through a
 * window that moves with the servos, in place of the rendered landscape (sim_scene.h).
 *
 * Geometry. The window has the output's size and aspect ratio. Its width is chosen so that the
 * image spans the whole pan range plus one window, with the window as wide as the rendered
 * landscape's field of view (SIM_SCENE_HFOV_DEG): with the default 0..180 pan range the image
 * covers 180 + 60 degrees and the window is a quarter of its width, so a 5 degree pan moves the
 * picture by 1/12 of its width, as in the landscape. The pan range maps across the image's width
 * and the tilt range across its height:
 *   pan  = max -> window at the image's left edge (a larger pan angle turns left, node.h),
 *   pan  = min -> right edge;
 *   tilt = min -> top edge (a smaller tilt angle looks up), tilt = max -> bottom edge.
 * Pixels stay square: an image too short for the window shrinks the window to the image's height
 * (tilt then has nothing to move over, and pan sweeps further).
 *
 * Cost. The JPEG is decoded once, at creation. If the window is at least twice the output's size
 * in source pixels, the image is box-filtered down by the integer factor once, then too; each
 * frame is then a bilinear resample of the window (a horizontal pass over the rows the window
 * touches, then a vertical pass), fixed point, separable, with no allocation.
 */
#include <stddef.h>
#include <stdint.h>

/* Largest image accepted, per side: 8192 x 8192 RGB is 192 MiB decoded. */
#define SIM_PANORAMA_MAX_SIDE 8192
/* Largest file read: far above any JPEG of SIM_PANORAMA_MAX_SIDE at a sane quality. */
#define SIM_PANORAMA_MAX_FILE_BYTES (64u * 1024u * 1024u)
/* Room for any reason sim_panorama_new writes. */
#define SIM_PANORAMA_REASON_MAX 256

/* What the window looks through. Plain value type: the caller fills it. */
struct sim_panorama_config {
    unsigned width;  /* output pixels, 16..4096 */
    unsigned height; /* output pixels, 16..4096 */
    int pan_min_deg; /* the pan servo's limits, 0 <= min <= max <= 180 (equal: no travel) */
    int pan_max_deg;
    int tilt_min_deg; /* the tilt servo's limits, 0 <= min <= max <= 180 */
    int tilt_max_deg;
};

struct sim_panorama;

/*
 * Decode jpeg[0..len) (borrowed for the call) and prepare it for cfg. Returns a new panorama
 * (free with sim_panorama_free), or NULL with a one-line reason, without a newline, in
 * why[0..why_size) (not a JPEG, corrupt, larger than SIM_PANORAMA_MAX_SIDE, a bad cfg, out of
 * memory). `name` (borrowed for the call, may be NULL) is what the reason calls the image.
 */
struct sim_panorama *sim_panorama_new_from_jpeg(const uint8_t *jpeg, size_t len, const char *name,
                                                const struct sim_panorama_config *cfg, char *why,
                                                size_t why_size);

/*
 * Read the JPEG file at path (at most SIM_PANORAMA_MAX_FILE_BYTES) and call
 * sim_panorama_new_from_jpeg. On failure the reason names the file, e.g.
 * `cannot open "/x.jpg": No such file or directory`.
 */
struct sim_panorama *sim_panorama_new(const char *path, const struct sim_panorama_config *cfg,
                                      char *why, size_t why_size);

/* Free the panorama; NULL is a no-op. */
void sim_panorama_free(struct sim_panorama *p);

/* The decoded image's size in pixels, as in the file (before any downscaling). */
void sim_panorama_source_size(const struct sim_panorama *p, unsigned *width, unsigned *height);

/* The size sim_panorama_render writes (cfg's width and height). */
void sim_panorama_output_size(const struct sim_panorama *p, unsigned *width, unsigned *height);

/*
 * Render the window for pan_mdeg / tilt_mdeg (millidegrees; values outside the limits are
 * clamped to them) into rgb: width * height * 3 bytes, rows packed top to bottom, borrowed for
 * the call. Allocates nothing. Loop thread only (scratch rows live in p).
 */
void sim_panorama_render(struct sim_panorama *p, uint8_t *rgb, int32_t pan_mdeg, int32_t tilt_mdeg);
