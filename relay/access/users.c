#include "users.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "atomic_file.h"

#define HASH_MAX 256

struct user {
    char name[USER_NAME_MAX];
    char hash[HASH_MAX];
    enum user_role role;
    int is_fixed; /* from the .env file: not written to USERS_FILE, not editable */
    char cameras[USER_CAMERAS_MAX]; /* ",a,b," (commas around each), or "" for every camera */
    unsigned line;                  /* in the users file; 0 for the .env's user */
};

struct users {
    struct user list[USERS_MAX];
    size_t count;
    char path[1024];           /* the users file, for messages */
    char dummy_hash[HASH_MAX]; /* verified against for unknown names: equal timing */
};

int users_hash_password(const char *password, char *hash_out, size_t hash_size)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *data = calloc(1, sizeof(*data));
    if (data == NULL)
        return -ENOMEM;
    int rc = -EINVAL;
    /* NULL random bytes: libcrypt reads the OS's random source itself. */
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) != NULL) {
        const char *h = crypt_r(password, salt, data);
        if (h != NULL && h[0] != '*' && strlen(h) < hash_size) {
            memcpy(hash_out, h, strlen(h) + 1);
            rc = 0;
        }
    }
    explicit_bzero(data, sizeof(*data));
    free(data);
    return rc;
}

struct users *users_new(void)
{
    struct users *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    if (users_hash_password("no such user", u->dummy_hash, sizeof(u->dummy_hash)) < 0) {
        free(u);
        return NULL;
    }
    return u;
}

void users_free(struct users *u)
{
    free(u);
}

size_t users_count(const struct users *u)
{
    return u->count;
}

enum user_role users_role_parse(const char *text)
{
    if (strcmp(text, "viewer") == 0)
        return ROLE_VIEWER;
    if (strcmp(text, "operator") == 0)
        return ROLE_OPERATOR;
    if (strcmp(text, "admin") == 0)
        return ROLE_ADMIN;
    return ROLE_NONE;
}

const char *users_role_name(enum user_role role)
{
    return role == ROLE_ADMIN      ? "admin"
           : role == ROLE_OPERATOR ? "operator"
           : role == ROLE_VIEWER   ? "viewer"
                                   : "none";
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= USER_NAME_MAX)
        return 0;
    /* What HTTP Basic carries (RFC 7617 §2): any text but ':' and control characters. The
     * original took any name, so its users' names (spaces, accents, quotes) keep working; JSON
     * and logs quote them, the users file splits at the first ':' only. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == ':')
            return 0;
    }
    return 1;
}

/* A hash libcrypt can verify: a "$id$" prefix it knows, checked by hashing with it as setting. */
static int hash_ok(const char *hash)
{
    if (hash[0] != '$' || strlen(hash) >= HASH_MAX)
        return 0;
    struct crypt_data *data = calloc(1, sizeof(*data));
    if (data == NULL)
        return 0;
    const char *h = crypt_r("", hash, data);
    int ok = h != NULL && h[0] != '*';
    free(data);
    return ok;
}

int users_add(struct users *u, const char *name, const char *hash, enum user_role role,
              const char **reason)
{
    if (!name_ok(name)) {
        *reason = "bad user name (1 to 63 bytes, no ':' and no control characters)";
        return -EINVAL;
    }
    if (role == ROLE_NONE) {
        *reason = "role must be viewer, operator or admin";
        return -EINVAL;
    }
    if (!hash_ok(hash)) {
        *reason = "not a crypt(3) hash libcrypt supports (make one with `lookout passwd NAME`)";
        return -EINVAL;
    }
    for (size_t i = 0; i < u->count; i++) {
        if (strcmp(u->list[i].name, name) == 0) {
            *reason = "user defined twice";
            return -EINVAL;
        }
    }
    if (u->count >= USERS_MAX) {
        *reason = "too many users";
        return -ENOSPC;
    }
    struct user *e = &u->list[u->count++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->hash, sizeof(e->hash), "%s", hash);
    e->role = role;
    return 0;
}

/* One "name:hash:role[:cameras]" line (modified in place). Returns 0 or -errno with *reason. */
static int add_line(struct users *u, char *line, unsigned lineno, const char **reason)
{
    /* The hash itself holds '$' but never ':'. */
    char *hash = strchr(line, ':');
    char *role = hash != NULL ? strchr(hash + 1, ':') : NULL;
    *reason = "expected name:hash:role or name:hash:role:cameras";
    if (role == NULL)
        return -EINVAL;
    *hash++ = '\0';
    *role++ = '\0';
    char *cameras = strchr(role, ':');
    if (cameras != NULL)
        *cameras++ = '\0';
    int rc = users_add(u, line, hash, users_role_parse(role), reason);
    if (rc == 0 && cameras != NULL)
        rc = users_set_cameras(u, line, cameras, reason);
    if (rc == 0)
        u->list[u->count - 1].line = lineno;
    return rc;
}

int users_load_file(struct users *u, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(err, err_size, "%s: %s", path, strerror(e));
        return -e;
    }
    snprintf(u->path, sizeof(u->path), "%s", path);
    char line[1024];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        const char *reason = NULL;
        rc = add_line(u, line, lineno, &reason);
        if (rc < 0)
            snprintf(err, err_size, "%s:%u: %s", path, lineno, reason);
    }
    fclose(f);
    return rc;
}

static struct user *find_user(const struct users *u, const char *name)
{
    for (size_t i = 0; i < u->count; i++) {
        if (strcmp(u->list[i].name, name) == 0)
            return (struct user *)&u->list[i];
    }
    return NULL;
}

/* A camera name as camfile.h defines it: 1-32 of a-z, 0-9, '_', '-'. */
static int camera_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return 0;
    }
    return 1;
}

int users_set_cameras(struct users *u, const char *name, const char *list, const char **reason)
{
    struct user *e = find_user(u, name);
    if (e == NULL) {
        *reason = "no such user";
        return -ENOENT;
    }
    if (list[0] == '\0' || strcmp(list, "*") == 0) {
        e->cameras[0] = '\0';
        return 0;
    }
    if (strlen(list) + 2 >= sizeof(e->cameras)) {
        *reason = "camera list too long";
        return -EINVAL;
    }
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (!camera_name_ok(p, n)) {
            *reason = "camera list: comma-separated camera names (a-z, 0-9, '_', '-'), or *";
            return -EINVAL;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    snprintf(e->cameras, sizeof(e->cameras), ",%s,", list);
    return 0;
}

void users_cameras_of(const struct users *u, const char *name, char *out, size_t out_size)
{
    const struct user *e = find_user(u, name);
    size_t n = e != NULL && e->cameras[0] != '\0' ? strlen(e->cameras) - 2 : 0;
    snprintf(out, out_size, "%.*s", (int)n, n > 0 ? e->cameras + 1 : "");
}

int users_may_see(const struct users *u, const char *name, const char *camera)
{
    const struct user *e = find_user(u, name);
    if (e == NULL)
        return 0;
    if (e->cameras[0] == '\0')
        return 1;
    /* Only a whole camera name can match: a comma would span two names of the list. */
    if (!camera_name_ok(camera, strlen(camera)))
        return 0;
    char needle[40];
    snprintf(needle, sizeof(needle), ",%.32s,", camera);
    return strstr(e->cameras, needle) != NULL;
}

int users_check_cameras(const struct users *u, users_camera_exists_cb exists, void *arg, char *err,
                        size_t err_size)
{
    for (size_t i = 0; i < u->count; i++) {
        const struct user *e = &u->list[i];
        for (const char *p = e->cameras; p[0] == ',' && p[1] != '\0';) {
            char camera[40];
            size_t n = strcspn(p + 1, ",");
            snprintf(camera, sizeof(camera), "%.*s", (int)(n < 32 ? n : 32), p + 1);
            if (!exists(camera, arg)) {
                snprintf(err, err_size, "%s:%u: user %s: no camera \"%s\"", u->path, e->line,
                         e->name, camera);
                return -ENOENT;
            }
            p += n + 1;
        }
    }
    return 0;
}

const char *users_hash_of(const struct users *u, const char *name, enum user_role *role)
{
    const struct user *found = find_user(u, name);
    *role = found != NULL ? found->role : ROLE_NONE;
    return found != NULL ? found->hash : u->dummy_hash;
}

enum user_role users_verify(const struct users *u, const char *name, const char *password)
{
    const struct user *found = find_user(u, name);
    const char *hash = found != NULL ? found->hash : u->dummy_hash;
    struct crypt_data *data = calloc(1, sizeof(*data));
    if (data == NULL)
        return ROLE_NONE;
    const char *h = crypt_r(password, hash, data);
    int ok = h != NULL && strlen(h) == strlen(hash) && CRYPTO_memcmp(h, hash, strlen(hash)) == 0;
    explicit_bzero(data, sizeof(*data));
    free(data);
    return (ok && found != NULL) ? found->role : ROLE_NONE;
}

struct users *users_copy(const struct users *u)
{
    struct users *c = malloc(sizeof(*c));
    if (c != NULL)
        memcpy(c, u, sizeof(*c));
    return c;
}

int users_at(const struct users *u, size_t i, const char **name, const char **hash,
             enum user_role *role, int *is_fixed)
{
    if (i >= u->count)
        return -ENOENT;
    *name = u->list[i].name;
    *hash = u->list[i].hash;
    *role = u->list[i].role;
    *is_fixed = u->list[i].is_fixed;
    return 0;
}

enum user_role users_role_of(const struct users *u, const char *name)
{
    const struct user *e = find_user(u, name);
    return e != NULL ? e->role : ROLE_NONE;
}

size_t users_count_role(const struct users *u, enum user_role role)
{
    size_t n = 0;
    for (size_t i = 0; i < u->count; i++)
        n += u->list[i].role == role;
    return n;
}

int users_set_fixed(struct users *u, const char *name)
{
    struct user *e = find_user(u, name);
    if (e == NULL)
        return -ENOENT;
    e->is_fixed = 1;
    return 0;
}

int users_change(struct users *u, const char *name, enum user_role role, const char *hash,
                 const char **reason)
{
    struct user *e = find_user(u, name);
    if (e == NULL)
        return -ENOENT;
    if (e->is_fixed)
        return -EPERM;
    if (hash != NULL && !hash_ok(hash)) {
        *reason = "not a crypt(3) hash libcrypt supports";
        return -EINVAL;
    }
    if (role != ROLE_NONE)
        e->role = role;
    if (hash != NULL)
        snprintf(e->hash, sizeof(e->hash), "%s", hash);
    return 0;
}

int users_remove(struct users *u, const char *name)
{
    struct user *e = find_user(u, name);
    if (e == NULL)
        return -ENOENT;
    if (e->is_fixed)
        return -EPERM;
    size_t i = (size_t)(e - u->list);
    memmove(&u->list[i], &u->list[i + 1], (u->count - i - 1) * sizeof(u->list[0]));
    u->count--;
    return 0;
}

static int write_users(FILE *f, const void *arg)
{
    const struct users *u = arg;
    fprintf(f, "# Lookout users, one name:hash:role[:cameras] a line (viewer, operator or admin).\n"
               "# Written by the relay when an admin edits accounts on the page; editing by hand\n"
               "# works too (`lookout passwd NAME ROLE` prints a line), it is re-read at once.\n");
    for (size_t i = 0; i < u->count; i++) {
        const struct user *e = &u->list[i];
        if (e->is_fixed)
            continue;
        /* The camera list is kept: stored as ",a,b,", written as ":a,b". */
        int n = e->cameras[0] != '\0' ? (int)strlen(e->cameras) - 2 : 0;
        fprintf(f, "%s:%s:%s%s%.*s\n", e->name, e->hash, users_role_name(e->role), n > 0 ? ":" : "",
                n, n > 0 ? e->cameras + 1 : "");
    }
    return ferror(f) ? -EIO : 0;
}

int users_save_file(const struct users *u, const char *path, char *err, size_t err_size)
{
    int rc = atomic_file_write(path, write_users, u);
    if (rc < 0)
        snprintf(err, err_size, "%s: %s", path, strerror(-rc));
    return rc;
}
