#pragma once
/*
 * users: who may log in, with a crypt(3) hash and a role.
 *
 * Sources: the original .env login (HTTP_AUTH_USERNAME with HTTP_AUTH_PASSWORD, hashed at load
 * and wiped, or HTTP_AUTH_PASSWORD_HASH), operator role; and an optional USERS_FILE with one
 * "name:hash:role" a line (role "viewer": watch; "operator": watch and steer), the format
 * `lookout passwd` prints, optionally followed by ":CAMERAS", a comma-separated list of the
 * cameras the user may see ("name:hash:viewer:front,garden"); without it, or with "*", every
 * camera. Hashes are libcrypt's (yescrypt by default, "$y$..."), the same
 * format as /etc/shadow; verification runs crypt_r even for unknown names, so timing does not
 * tell which part of a login was wrong.
 */
#include <stddef.h>

enum user_role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_OPERATOR };

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

/* Parse "viewer" or "operator". Returns ROLE_NONE for anything else. */
enum user_role users_role_parse(const char *text);

/* "viewer" or "operator". */
const char *users_role_name(enum user_role role);

/*
 * Limit user `name` to the cameras in `list` (comma-separated camera names; "" or "*": every
 * camera). Returns 0; -ENOENT for an unknown user; -EINVAL with *reason (static) for a list that
 * is too long or names something that is not a camera name.
 */
int users_set_cameras(struct users *u, const char *name, const char *list, const char **reason);

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
