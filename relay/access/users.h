#pragma once
/*
 * users: who may log in, with a crypt(3) hash and a role.
 *
 * Sources: the original .env login (HTTP_AUTH_USERNAME with HTTP_AUTH_PASSWORD, hashed at load
 * and wiped, or HTTP_AUTH_PASSWORD_HASH), operator role; and an optional USERS_FILE with one
 * "name:hash:role" a line (role "viewer": watch; "operator": watch and steer; "admin": also manage
 * accounts, guest links and read the audit log), the format `lookout passwd` prints, optionally
 * followed by ":CAMERAS", a comma-separated list of the cameras the user may see
 * ("name:hash:viewer:front,garden"); without it, or with "*", every camera. Hashes are
 * libcrypt's (yescrypt by default, "$y$..."), the same
 * format as /etc/shadow; verification runs crypt_r even for unknown names, so timing does not
 * tell which part of a login was wrong.
 */
#include <stddef.h>

/* Ordered: each role may do what the ones below it may. */
enum user_role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN };

#define USERS_MAX 256
#define USER_NAME_MAX 64
#define USER_CAMERAS_MAX 256 /* bytes of a user's camera list */

struct users;

/* New, empty table. NULL on allocation failure. */
struct users *users_new(void);

/* Free; users_free(NULL) is a no-op. */
void users_free(struct users *u);

/*
 * Hash `password` with a fresh yescrypt salt into hash_out (at least 128 bytes, NUL-terminated).
 * Returns 0, or -EINVAL/-ENOMEM if libcrypt fails.
 */
int users_hash_password(const char *password, char *hash_out, size_t hash_size);

/*
 * Add a user with an existing crypt hash. Returns 0; -EINVAL (with *reason, static) for a bad
 * name, a hash libcrypt does not recognise, or a duplicate name; -ENOSPC past USERS_MAX.
 */
int users_add(struct users *u, const char *name, const char *hash, enum user_role role,
              const char **reason);

/*
 * Load a users file. Returns 0, or a negative errno with err holding "FILE:LINE: reason".
 */
int users_load_file(struct users *u, const char *path, char *err, size_t err_size);

/* Number of users. */
size_t users_count(const struct users *u);

/*
 * Check name and password. Returns the user's role, or ROLE_NONE when either is wrong. Takes
 * about as long whether or not the name exists (one crypt_r call either way).
 */
enum user_role users_verify(const struct users *u, const char *name, const char *password);

/*
 * What users_verify compares a password with, for a check done elsewhere (hasher.h): the
 * user's hash and role, or for an unknown name a dummy hash and ROLE_NONE (so the check costs
 * the same). The hash is borrowed from u: copy it before u can change.
 */
const char *users_hash_of(const struct users *u, const char *name, enum user_role *role);

/* A copy of u (a table to edit before users_save_file). NULL on allocation failure. */
struct users *users_copy(const struct users *u);

/*
 * The i-th user (0 <= i < users_count): name and hash (borrowed from u, valid until it changes),
 * role, and whether it is fixed (from the .env file: users_save_file leaves it out and the page
 * may not edit it). Returns 0, or -ENOENT past the end.
 */
int users_at(const struct users *u, size_t i, const char **name, const char **hash,
             enum user_role *role, int *is_fixed);

/* The role of `name`, or ROLE_NONE if there is no such user. */
enum user_role users_role_of(const struct users *u, const char *name);

/* Number of users with exactly `role`. */
size_t users_count_role(const struct users *u, enum user_role role);

/* Mark `name` as fixed (the .env user). Returns 0 or -ENOENT. */
int users_set_fixed(struct users *u, const char *name);

/*
 * Change a user: a new role (ROLE_NONE: keep), a new hash (NULL: keep; checked as users_add
 * does). Returns 0, -ENOENT, -EPERM for a fixed user, or -EINVAL with *reason (static).
 */
int users_change(struct users *u, const char *name, enum user_role role, const char *hash,
                 const char **reason);

/* Remove `name`. Returns 0, -ENOENT, or -EPERM for a fixed user. */
int users_remove(struct users *u, const char *name);

/*
 * Write the users that are not fixed to path as users_load_file reads them, atomically: a
 * temporary file beside it (mode 0600), fsync, rename over path, fsync of the directory; so a
 * crash leaves the old file or the new one, never half of one. Returns 0, or a negative errno
 * with err filled ("PATH: reason").
 */
int users_save_file(const struct users *u, const char *path, char *err, size_t err_size);

/* Parse "viewer", "operator" or "admin". Returns ROLE_NONE for anything else. */
enum user_role users_role_parse(const char *text);

/* "viewer", "operator", "admin" (or "none"). */
const char *users_role_name(enum user_role role);

/*
 * Limit user `name` to the cameras in `list` (comma-separated camera names; "" or "*": every
 * camera). Returns 0; -ENOENT for an unknown user; -EINVAL with *reason (static) for a list that
 * is too long or names something that is not a camera name.
 */
int users_set_cameras(struct users *u, const char *name, const char *list, const char **reason);

/* User name's camera list as "a,b" into out ("" : every camera, or no such user). */
void users_cameras_of(const struct users *u, const char *name, char *out, size_t out_size);

/*
 * 1 if user `name` may see camera `camera`: a user without a camera list sees every camera, one
 * with a list only those in it; an unknown name sees none.
 */
int users_may_see(const struct users *u, const char *name, const char *camera);

/* Whether a camera of that name exists (arg as given). */
typedef int (*users_camera_exists_cb)(const char *camera, void *arg);

/*
 * Every camera named in a user's camera list must exist. Returns 0, or -ENOENT with err holding
 * "FILE:LINE: user NAME: no camera \"CAMERA\"" for the first one that does not.
 */
int users_check_cameras(const struct users *u, users_camera_exists_cb exists, void *arg, char *err,
                        size_t err_size);
