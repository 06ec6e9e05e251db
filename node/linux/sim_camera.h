#pragma once
/*
 * sim_camera: lookout-cam's default camera, an implementation of node/cam.h that renders the
 * simulated scene (sim_scene.h), or a JPEG seen through a moving window (sim_panorama.h,
 * `--scene`), at the node's current servo angles and encodes it as a JPEG with libjpeg-turbo.
 * It draws an on-screen display like a real IP camera's: date and time, frame number, and the
 * pan/tilt angles (and, over the landscape, the compass heading), on dark strips so they stay
 * legible.
 *
 * One TurboJPEG handle, one RGB buffer and one JPEG buffer (tjBufSize, the worst case) are
 * allocated at creation; producing a frame allocates nothing. Loop thread only.
 */
#include <stdint.h>

#include "cam.h"

struct node;
struct sim_panorama;

struct sim_camera_config {
    unsigned width;  /* pixels, 16..4096 */
    unsigned height; /* pixels, 16..4096 */
    int quality;     /* JPEG quality 1..100 */
    /* NULL: render the landscape. Else borrowed (it must outlive the camera) and made for this
     * width and height (else sim_camera_new fails): the camera shows it instead. */
    struct sim_panorama *panorama;
};

/* Average cost of the frames produced so far, in microseconds (for logs and benchmarks). */
struct sim_camera_stats {
    unsigned long frames;
    unsigned long render_us_avg; /* scene + on-screen display */
    unsigned long encode_us_avg; /* tjCompress2 */
};

struct sim_camera;

/*
 * Create a camera of cfg's size and quality that looks at the angles of `node` (borrowed: it
 * must outlive the camera). Returns NULL on a bad config or when allocation or TurboJPEG
 * initialisation fails. Free with sim_camera_free.
 */
struct sim_camera *sim_camera_new(const struct sim_camera_config *cfg, const struct node *node);

/* Free the camera; NULL is a no-op. A frame still borrowed becomes invalid. */
void sim_camera_free(struct sim_camera *sc);

/* The cam.h interface to this camera (its pointers are borrowed from sc). */
struct cam sim_camera_cam(struct sim_camera *sc);

/* Cost of the frames so far. */
void sim_camera_get_stats(const struct sim_camera *sc, struct sim_camera_stats *out);

/*
 * A figure walks across the view from left to right, starting at now_ms (the camera's clock,
 * as passed to its get) and taking duration_ms, so tests and demos have motion to detect.
 */
void sim_camera_intruder(struct sim_camera *sc, uint32_t now_ms, uint32_t duration_ms);

/* Scene brightness in percent (100 = normal, 1..400), as a lamp or a cloud would change it.
 * Returns 0 or -EINVAL. */
int sim_camera_set_light(struct sim_camera *sc, unsigned percent);
