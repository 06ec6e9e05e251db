#include "presets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

struct preset {
    char name[PRESET_NAME_MAX + 1];
    int pan_deg;
    int tilt_deg;
};

struct presets {
    char path[1024];
    struct preset list[PRESETS_MAX];
    size_t count;
};

int presets_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > PRESET_NAME_MAX || name[0] == ' ' || name[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == ' ' || c == '_' || c == '-' || c == '.';
        if (!ok)
            return 0;
    }
    return 1;
}

static int parse_line(struct presets *p, char *line, const char **reason)
{
    int pan, tilt, used = 0;
    if (sscanf(line, "%d %d %n", &pan, &tilt, &used) != 2 || used == 0) {
        *reason = "expected PAN TILT NAME";
        return -EINVAL;
    }
    const char *name = line + used;
    if (!presets_name_ok(name) || pan < 0 || pan > 360 || tilt < 0 || tilt > 360) {
        *reason = "bad name or angle";
        return -EINVAL;
    }
    if (p->count >= PRESETS_MAX) {
        *reason = "too many presets";
        return -ENOSPC;
    }
    struct preset *e = &p->list[p->count++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->pan_deg = pan;
    e->tilt_deg = tilt;
    return 0;
}

struct presets *presets_load(const char *path, char *err, size_t err_size)
{
    struct presets *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    snprintf(p->path, sizeof(p->path), "%s", path);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return p;
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        free(p);
        return NULL;
    }
    char line[256];
    unsigned lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *reason = NULL;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (parse_line(p, line, &reason) < 0) {
            snprintf(err, err_size, "%s:%u: %s", path, lineno, reason);
            fclose(f);
            free(p);
            return NULL;
        }
    }
    fclose(f);
    return p;
}

void presets_free(struct presets *p)
{
    free(p);
}

/* The whole list, as atomic_file_write's fill. */
static int fill_file(FILE *f, const void *arg)
{
    const struct presets *p = arg;
    fprintf(f, "# Lookout presets: PAN TILT NAME (degrees). Written by the relay.\n");
    for (size_t i = 0; i < p->count; i++)
        fprintf(f, "%d %d %s\n", p->list[i].pan_deg, p->list[i].tilt_deg, p->list[i].name);
    return ferror(f) ? -EIO : 0;
}

/* Replace the file with the whole list (common/atomic_file.h: a crash leaves old or new). */
static int write_file(const struct presets *p)
{
    return atomic_file_write(p->path, fill_file, p);
}

static struct preset *find(struct presets *p, const char *name)
{
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->list[i].name, name) == 0)
            return &p->list[i];
    }
    return NULL;
}

int presets_save(struct presets *p, const char *name, int pan_deg, int tilt_deg)
{
    /* The load's own range (parse_line): a preset the relay writes must not stop its next
     * start. The angles come from the node's answers, which need not be sane. */
    if (!presets_name_ok(name) || pan_deg < 0 || pan_deg > 360 || tilt_deg < 0 || tilt_deg > 360)
        return -EINVAL;
    struct presets before = *p;
    struct preset *e = find(p, name);
    if (e == NULL) {
        if (p->count >= PRESETS_MAX)
            return -ENOSPC;
        e = &p->list[p->count++];
        snprintf(e->name, sizeof(e->name), "%s", name);
    }
    e->pan_deg = pan_deg;
    e->tilt_deg = tilt_deg;
    int rc = write_file(p);
    if (rc < 0)
        *p = before;
    return rc;
}

int presets_delete(struct presets *p, const char *name)
{
    struct preset *e = find(p, name);
    if (e == NULL)
        return -ENOENT;
    struct presets before = *p;
    size_t i = (size_t)(e - p->list);
    memmove(&p->list[i], &p->list[i + 1], (p->count - i - 1) * sizeof(p->list[0]));
    p->count--;
    int rc = write_file(p);
    if (rc < 0)
        *p = before;
    return rc;
}

int presets_find(const struct presets *p, const char *name, int *pan_deg, int *tilt_deg)
{
    const struct preset *e = find((struct presets *)p, name);
    if (e == NULL)
        return -ENOENT;
    *pan_deg = e->pan_deg;
    *tilt_deg = e->tilt_deg;
    return 0;
}

size_t presets_count(const struct presets *p)
{
    return p->count;
}

int presets_get(const struct presets *p, size_t i, const char **name, int *pan_deg, int *tilt_deg)
{
    if (i >= p->count)
        return -ENOENT;
    *name = p->list[i].name;
    *pan_deg = p->list[i].pan_deg;
    *tilt_deg = p->list[i].tilt_deg;
    return 0;
}
