#include "cameras.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "camera.h"

struct cameras {
    struct camera *v[CAMERAS_MAX]; /* sorted by name */
    size_t count;
    struct camera *chosen_default; /* named default, or NULL: the first by name */
};

struct cameras *cameras_new(void)
{
    return calloc(1, sizeof(struct cameras));
}

void cameras_free(struct cameras *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->count; i++)
        camera_free(set->v[i]);
    free(set);
}

/* Index of the first camera whose name is >= name. */
static size_t lower_bound(const struct cameras *set, const char *name)
{
    size_t i = 0;
    while (i < set->count && strcmp(camera_name(set->v[i]), name) < 0)
        i++;
    return i;
}

int cameras_add(struct cameras *set, struct camera *cam, int is_default)
{
    const char *name = camera_name(cam);
    size_t i = lower_bound(set, name);
    if (i < set->count && strcmp(camera_name(set->v[i]), name) == 0)
        return -EEXIST;
    if (set->count >= CAMERAS_MAX)
        return -ENOSPC;
    memmove(&set->v[i + 1], &set->v[i], (set->count - i) * sizeof(set->v[0]));
    set->v[i] = cam;
    set->count++;
    if (is_default)
        set->chosen_default = cam;
    return 0;
}

struct camera *cameras_remove(struct cameras *set, const char *name)
{
    size_t i = lower_bound(set, name);
    if (i >= set->count || strcmp(camera_name(set->v[i]), name) != 0)
        return NULL;
    struct camera *cam = set->v[i];
    memmove(&set->v[i], &set->v[i + 1], (set->count - i - 1) * sizeof(set->v[0]));
    set->count--;
    if (set->chosen_default == cam)
        set->chosen_default = NULL;
    return cam;
}

struct camera *cameras_find(const struct cameras *set, const char *name)
{
    size_t i = lower_bound(set, name);
    return i < set->count && strcmp(camera_name(set->v[i]), name) == 0 ? set->v[i] : NULL;
}

struct camera *cameras_default(const struct cameras *set)
{
    if (set->chosen_default != NULL)
        return set->chosen_default;
    return set->count > 0 ? set->v[0] : NULL;
}

size_t cameras_count(const struct cameras *set)
{
    return set->count;
}

struct camera *cameras_at(const struct cameras *set, size_t i)
{
    return i < set->count ? set->v[i] : NULL;
}

int cameras_has_name(const char *name, void *set)
{
    return cameras_find(set, name) != NULL;
}

unsigned cameras_going_away(struct cameras *set)
{
    unsigned closing = 0;
    for (size_t i = 0; set != NULL && i < cameras_count(set); i++)
        closing += camera_going_away(cameras_at(set, i));
    return closing;
}
