#pragma once
/*
 * cameras: the relay's set of cameras, by name. One of them is the default: the camera the
 * legacy routes (/mjpeg, /snapshot.jpg, /turn*, /counter, /api/...) answer for: the one of the
 * main .env if it defines one, else the first by name. Bounded: CAMERAS_MAX.
 */
#include <stddef.h>

struct camera;
struct cameras;

#define CAMERAS_MAX 65 /* the main .env's camera and CAMFILE_MAX files */

/* An empty set. NULL on allocation failure. */
struct cameras *cameras_new(void);

/* Free every camera of the set, then the set. cameras_free(NULL) is a no-op. */
void cameras_free(struct cameras *set);

/*
 * Add cam (taken on success). The set stays sorted by name. is_default: cam becomes the default
 * camera; otherwise the default is the first by name until one is named default.
 * Returns 0; -EEXIST if a camera of that name is in the set; -ENOSPC past CAMERAS_MAX (cam is
 * then still the caller's).
 */
int cameras_add(struct cameras *set, struct camera *cam, int is_default);

/*
 * Take the camera named `name` out of the set and return it (the caller frees it), or NULL.
 * If it was the default, the default becomes the first by name.
 */
struct camera *cameras_remove(struct cameras *set, const char *name);

/* The camera named `name` (borrowed), or NULL. */
struct camera *cameras_find(const struct cameras *set, const char *name);

/* The default camera (borrowed), or NULL for an empty set. */
struct camera *cameras_default(const struct cameras *set);

/* Number of cameras, and the i-th by name (borrowed), or NULL past the end. */
size_t cameras_count(const struct cameras *set);
struct camera *cameras_at(const struct cameras *set, size_t i);

/*
 * The relay is shutting down: every camera's node link gets its close frame (camera_going_away).
 * Returns how many link connections still wait for theirs to be written.
 */
unsigned cameras_going_away(struct cameras *set);

/* 1 if the set (a struct cameras *, as void * for callbacks) has a camera named `name`. */
int cameras_has_name(const char *name, void *set);
