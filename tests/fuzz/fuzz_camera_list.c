/* libFuzzer target for the camera list of a USERS_FILE line (relay/access/users.c): input is
 * "LIST\nCAMERA". Whatever the list, it is accepted or refused with a reason; once accepted, a
 * camera is seen only if the list is "every camera" or names it whole, never by a prefix or a
 * piece of a name, and every name users_check_cameras reports is one the list holds. */
#include <crypt.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One user, made once: libcrypt checks the hash when it is added. */
static struct users *table(void)
{
    static struct users *u;
    if (u != NULL)
        return u;
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data cd;
    memset(&cd, 0, sizeof(cd));
    const char *reason = NULL;
    u = users_new();
    if (u == NULL || crypt_gensalt_rn("$5$", 1000, NULL, 0, salt, sizeof(salt)) == NULL ||
        users_add(u, "mum", crypt_r("pw", salt, &cd), ROLE_VIEWER, &reason) < 0)
        abort();
    return u;
}

/* 1 if `name` is a whole comma-separated element of list. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len;
        if (*p == '\0')
            return 0;
    }
}

/* Says every camera is missing, so users_check_cameras reports the list's first name. */
static int reported_is_listed(const char *camera, void *list)
{
    if (!listed(list, camera))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[1024];
    if (size >= sizeof(buf))
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *camera = strchr(buf, '\n');
    if (camera == NULL)
        return 0;
    *camera++ = '\0';
    struct users *u = table();
    const char *reason = NULL;
    if (users_set_cameras(u, "mum", buf, &reason) < 0) {
        if (reason == NULL || reason[0] == '\0')
            abort();
        return 0;
    }
    int is_all = buf[0] == '\0' || strcmp(buf, "*") == 0;
    int sees = users_may_see(u, "mum", camera);
    if (is_all ? !sees : sees != (camera[0] != '\0' && listed(buf, camera)))
        abort();
    char err[512];
    if (!is_all && users_check_cameras(u, reported_is_listed, buf, err, sizeof(err)) != -ENOENT)
        abort();
    return 0;
}
