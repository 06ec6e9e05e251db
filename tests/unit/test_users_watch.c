/* Unit tests for relay/access/users_watch: USERS_FILE re-read on request and on change, a bad
 * file keeps the last good accounts (and says FILE:LINE: reason), each good reload reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "../support/tmpdir.h"
#include "auth.h"
#include "users.h"
#include "users_watch.h"

struct fx {
    char *dir;
    char path[512];
    char hash[256]; /* a fast hash (SHA-256-crypt, fewest rounds): any libcrypt hash will do */
    struct event_base *base;
    struct auth *auth;
    struct users_watch *w;
    unsigned changed; /* on_changed calls */
};

static void on_changed(void *arg)
{
    struct fx *f = arg;
    f->changed++;
}

static void write_file(struct fx *f, const char *names_roles)
{
    char text[2048] = "", line[512];
    for (const char *p = names_roles; *p != '\0';) {
        size_t n = strcspn(p, " ");
        snprintf(line, sizeof(line), "%.*s\n", (int)n, p);
        /* "name:role" -> "name:HASH:role"; "!" a broken line. */
        char *colon = strchr(line, ':');
        if (colon != NULL) {
            char tail[64];
            snprintf(tail, sizeof(tail), "%s", colon + 1);
            snprintf(colon, sizeof(line) - (size_t)(colon - line), ":%s:%s", f->hash, tail);
        }
        strncat(text, line, sizeof(text) - strlen(text) - 1);
        p += n + (p[n] == ' ');
    }
    assert_int_equal(ts_file_write(f->dir, "users", text, NULL, 0), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = ts_tmpdir_new();
    snprintf(f->path, sizeof(f->path), "%s/users", f->dir);
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    const char *h = crypt_gensalt_rn("$5$", 1000, NULL, 0, salt, sizeof(salt)) != NULL
                        ? crypt_r("pw", salt, &data)
                        : NULL;
    if (h == NULL)
        return -1;
    snprintf(f->hash, sizeof(f->hash), "%s", h);
    *state = f;
    write_file(f, "ann:viewer bob:operator");
    struct users_watch_config cfg = {
        .path = f->path, .env_name = "owner", .env_hash = f->hash, .poll_ms = 0};
    char err[600];
    struct users *u = users_watch_build(&cfg, err, sizeof(err));
    if (u == NULL)
        return -1;
    f->base = event_base_new();
    f->auth = auth_new(u, 60000, 600000);
    f->w = users_watch_new(f->base, &cfg, f->auth, NULL, on_changed, f);
    return f->base && f->auth && f->w ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    users_watch_free(f->w);
    auth_free(f->auth);
    event_base_free(f->base);
    ts_tmpdir_free(f->dir);
    free(f);
    return 0;
}

static void test_users_watch_reload_keeps_last_good(void **state)
{
    struct fx *f = *state;
    const struct users *u = auth_users(f->auth);
    assert_int_equal(users_count(u), 3);
    assert_int_equal(users_role_of(u, "owner"), ROLE_ADMIN); /* the .env user */
    assert_string_equal(users_watch_error(f->w), "");

    /* A new user, one removed, one changed role: in use at once; the change is reported. */
    write_file(f, "ann:admin cat:viewer");
    assert_int_equal(users_watch_reload(f->w, "test"), 0);
    u = auth_users(f->auth);
    assert_int_equal(users_role_of(u, "cat"), ROLE_VIEWER);
    assert_int_equal(users_role_of(u, "ann"), ROLE_ADMIN);
    assert_int_equal(users_role_of(u, "bob"), ROLE_NONE);
    assert_int_equal(users_role_of(u, "owner"), ROLE_ADMIN);
    assert_int_equal(f->changed, 1);

    /* A broken file: the last good accounts stay, the reason names file and line. */
    assert_int_equal(ts_file_write(f->dir, "users", "# x\ncat:nothash:viewer\n", NULL, 0), 0);
    assert_int_equal(users_watch_reload(f->w, "test"), -EINVAL);
    u = auth_users(f->auth);
    assert_int_equal(users_role_of(u, "ann"), ROLE_ADMIN);
    assert_int_equal(users_role_of(u, "cat"), ROLE_VIEWER);
    char want[600];
    snprintf(want, sizeof(want), "%s:2: not a crypt(3) hash", f->path);
    assert_int_equal(strncmp(users_watch_error(f->w), want, strlen(want)), 0);
    assert_int_equal(f->changed, 1);

    /* A missing file: also kept. Fixed: the error clears. */
    remove(f->path);
    assert_int_equal(users_watch_reload(f->w, "test"), -EINVAL);
    assert_int_equal(users_count(auth_users(f->auth)), 3);
    write_file(f, "ann:admin");
    assert_int_equal(users_watch_reload(f->w, "test"), 0);
    assert_string_equal(users_watch_error(f->w), "");
    assert_int_equal(users_role_of(auth_users(f->auth), "cat"), ROLE_NONE);
    assert_int_equal(f->changed, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users_watch_reload_keeps_last_good, setup, teardown),
    };
    return cmocka_run_group_tests_name("users_watch", tests, NULL, NULL);
}
