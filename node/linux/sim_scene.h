#pragma once
/*
 * sim_scene: the simulated camera's world, rendered as an RGB24 image for a given pan/tilt.
 *
 * A 360-degree landscape around the camera: a sky gradient with a sun (east-north-east, visible
 * within the servo range) and clouds, a far mountain range and nearer green hills (skylines are
 * sums of sines of the bearing), a grass checkerboard in perspective with a road running
 * north-south a few metres east of the camera, trees, and four signposts carrying the compass
 * letters N, E, S, W at their bearings.
 *
 * Angles (DESIGN.md "Camera node"; the servo conventions of node.h):
 *   bearing   = 90 - pan    (degrees clockwise from north): pan 90 faces north, pan 180 west,
 *                            so a larger pan angle (tr > 0) turns the camera left;
 *   elevation = 90 - tilt   (degrees above the horizon): tilt 90 looks at the horizon, a
 *                            smaller tilt (el < 0) looks up.
 * Horizontal field of view SIM_SCENE_HFOV_DEG, square pixels. The projection is separable
 * (each column has one bearing, each row one elevation), which is what makes it cheap: the
 * expensive terms are computed once per column and once per row, not per pixel.
 */
#include <stdint.h>

#define SIM_SCENE_HFOV_DEG 60.0

struct sim_scene;

/* Create a renderer for width x height images (both >= 16). Returns NULL on bad size or
 * allocation failure. Free with sim_scene_free. */
struct sim_scene *sim_scene_new(unsigned width, unsigned height);

/* Free s and its tables; NULL is a no-op. */
void sim_scene_free(struct sim_scene *s);

/*
 * Render the view at pan_mdeg / tilt_mdeg (millidegrees, any value; 0..180000 is the servo
 * range) into rgb: width * height * 3 bytes, rows packed top to bottom, borrowed for the call.
 */
void sim_scene_render(struct sim_scene *s, uint8_t *rgb, int32_t pan_mdeg, int32_t tilt_mdeg);
