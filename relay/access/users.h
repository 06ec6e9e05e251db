#pragma once
/*
 * users: who may log in, with a crypt(3) hash and a role.
 *
 * Sources: the original .env login (HTTP_AUTH_USERNAME with HTTP_AUTH_PASSWORD, hashed at load
 * and wiped, or HTTP_AUTH_PASSWORD_HASH), operator role; and an optional USERS_FILE with one
 * "name:hash:role" a line (role "viewer": watch; "operator": watch and steer; "admin": also manage
 * accounts, guest links and read the audit log), the format
 * `lookout passwd` prints. Hashes are libcrypt's (yescrypt by default, "$y$..."), the same
 * format as /etc/shadow; verification runs crypt_r even for unknown names, so timing does not
 * tell which part of a login was wrong.
 */
#include <stddef.h>

/* Ordered: each role may do what the ones below it may. */
enum user_role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN };

#define USERS_MAX 256
#define USER_NAME_MAX 64

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

/* Parse "viewer", "operator" or "admin". Returns ROLE_NONE for anything else. */
enum user_role users_role_parse(const char *text);

/* "viewer", "operator", "admin" (or "none"). */
const char *users_role_name(enum user_role role);
