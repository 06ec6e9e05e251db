/* Unit tests for relay/users: yescrypt hashes, names, roles and the users file's errors. */
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
#include <sys/stat.h>

#include "../support/tmpdir.h"
#include "users.h"

/* One hash made once per process: yescrypt is slow on purpose (~20 ms). */
static char alice_hash[256];
/* SHA-256-crypt at its fewest rounds, for tests that add hundreds of users: any hash libcrypt
 * knows is accepted, and this one costs a fraction of a millisecond to check. */
static char fast_hash[256];

static int group_setup(void **state)
{
    (void)state;
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    if (crypt_gensalt_rn("$5$", 1000, NULL, 0, salt, sizeof(salt)) == NULL)
        return -1;
    const char *h = crypt_r("fast-pass", salt, &data);
    if (h == NULL || h[0] != '$' || strlen(h) >= sizeof(fast_hash))
        return -1;
    snprintf(fast_hash, sizeof(fast_hash), "%s", h);
    return users_hash_password("alice-pass", alice_hash, sizeof(alice_hash));
}

static void test_users_hash_is_yescrypt_and_verifies(void **state)
{
    (void)state;
    assert_true(strncmp(alice_hash, "$y$", 3) == 0);
    assert_true(strlen(alice_hash) < 128);

    /* A fresh salt each time: the same password never gives the same string. */
    char again[256];
    assert_int_equal(users_hash_password("alice-pass", again, sizeof(again)), 0);
    assert_string_not_equal(again, alice_hash);

    struct users *u = users_new();
    assert_non_null(u);
    const char *reason = NULL;
    assert_int_equal(users_add(u, "alice", alice_hash, ROLE_OPERATOR, &reason), 0);
    assert_int_equal(users_add(u, "alice2", again, ROLE_VIEWER, &reason), 0);
    assert_int_equal(users_count(u), 2);

    assert_int_equal(users_verify(u, "alice", "alice-pass"), ROLE_OPERATOR);
    assert_int_equal(users_verify(u, "alice2", "alice-pass"), ROLE_VIEWER);
    users_free(u);
}

static void test_users_hash_output_too_small(void **state)
{
    (void)state;
    char tiny[16];
    assert_int_equal(users_hash_password("x", tiny, sizeof(tiny)), -EINVAL);
}

static void test_users_wrong_password_or_unknown_user_is_none(void **state)
{
    (void)state;
    struct users *u = users_new();
    assert_non_null(u);
    const char *reason = NULL;
    assert_int_equal(users_add(u, "alice", alice_hash, ROLE_OPERATOR, &reason), 0);

    assert_int_equal(users_verify(u, "alice", "alice-pas"), ROLE_NONE);
    assert_int_equal(users_verify(u, "alice", "alice-pass "), ROLE_NONE);
    assert_int_equal(users_verify(u, "alice", ""), ROLE_NONE);
    assert_int_equal(users_verify(u, "Alice", "alice-pass"), ROLE_NONE);
    assert_int_equal(users_verify(u, "bob", "alice-pass"), ROLE_NONE);
    assert_int_equal(users_verify(u, "", ""), ROLE_NONE);
    /* The dummy hash that unknown names are checked against must not open anything either. */
    assert_int_equal(users_verify(u, "nobody", "no such user"), ROLE_NONE);
    users_free(u);

    /* An empty table refuses everyone. */
    u = users_new();
    assert_non_null(u);
    assert_int_equal(users_count(u), 0);
    assert_int_equal(users_verify(u, "alice", "alice-pass"), ROLE_NONE);
    users_free(u);
    users_free(NULL);
}

static void add_bad(struct users *u, const char *name, const char *hash, enum user_role role,
                    const char *want_reason_start)
{
    const char *reason = NULL;
    int rc = users_add(u, name, hash, role, &reason);
    if (rc != -EINVAL)
        fail_msg("users_add(\"%s\", \"%s\", %d): %d, want -EINVAL", name, hash, (int)role, rc);
    assert_non_null(reason);
    if (strncmp(reason, want_reason_start, strlen(want_reason_start)) != 0)
        fail_msg("users_add(\"%s\"): reason \"%s\", want \"%s...\"", name, reason,
                 want_reason_start);
}

/* Names: whatever HTTP Basic can carry (RFC 7617: no ':', no control characters), as the
 * original accepted; its users' names with spaces, accents or quotes keep working. */
static void test_users_add_rejects_bad_names(void **state)
{
    (void)state;
    struct users *u = users_new();
    assert_non_null(u);
    const char *bad_names[] = {"", "a:b", ":", "a\tb", "a\nb", "alice\r", "a\x7f", "\x1b[31m"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
        add_bad(u, bad_names[i], alice_hash, ROLE_VIEWER, "bad user name");

    char name[USER_NAME_MAX + 1];
    memset(name, 'n', sizeof(name));
    name[USER_NAME_MAX] = '\0'; /* 64 characters: one too many */
    add_bad(u, name, alice_hash, ROLE_VIEWER, "bad user name");
    name[USER_NAME_MAX - 1] = '\0'; /* 63: the longest allowed */
    const char *reason = NULL;
    assert_int_equal(users_add(u, name, alice_hash, ROLE_VIEWER, &reason), 0);
    const char *good_names[] = {
        "j.doe_2-x@example.org", "a b",    "a\"b", "a\\b",          "a;b", "<b>", "a/b",
        "\xc3\xa9mile",          " alice", "a,b",  "Ali Baba's #1!"};
    for (size_t i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++) {
        if (users_add(u, good_names[i], alice_hash, ROLE_VIEWER, &reason) != 0)
            fail_msg("users_add(\"%s\") refused: %s", good_names[i], reason);
    }
    assert_int_equal(users_count(u), 2 + sizeof(good_names) / sizeof(good_names[0]) - 1);
    assert_int_equal(users_verify(u, "a b", "alice-pass"), ROLE_VIEWER);
    users_free(u);
}

static void test_users_add_rejects_bad_hashes_roles_and_duplicates(void **state)
{
    (void)state;
    struct users *u = users_new();
    assert_non_null(u);
    const char *bad_hashes[] = {"", "alice-pass", "*", "!", "$", "$zz$abc$def", "$y$", "y$j9T$x"};
    for (size_t i = 0; i < sizeof(bad_hashes) / sizeof(bad_hashes[0]); i++)
        add_bad(u, "alice", bad_hashes[i], ROLE_OPERATOR, "not a crypt(3) hash");
    /* A valid hash followed by junk past the 255 bytes the table keeps. */
    char long_hash[600];
    memset(long_hash, 'A', sizeof(long_hash) - 1);
    long_hash[sizeof(long_hash) - 1] = '\0';
    memcpy(long_hash, alice_hash, strlen(alice_hash));
    add_bad(u, "alice", long_hash, ROLE_OPERATOR, "not a crypt(3) hash");

    add_bad(u, "alice", alice_hash, ROLE_NONE, "role must be");
    assert_int_equal(users_count(u), 0);

    const char *reason = NULL;
    assert_int_equal(users_add(u, "alice", alice_hash, ROLE_OPERATOR, &reason), 0);
    add_bad(u, "alice", alice_hash, ROLE_VIEWER, "user defined twice");
    assert_int_equal(users_count(u), 1);
    /* The first definition stands. */
    assert_int_equal(users_verify(u, "alice", "alice-pass"), ROLE_OPERATOR);
    users_free(u);
}

static void test_users_table_is_bounded(void **state)
{
    (void)state;
    struct users *u = users_new();
    assert_non_null(u);
    const char *reason = NULL;
    char name[32];
    for (int i = 0; i < USERS_MAX; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        assert_int_equal(users_add(u, name, fast_hash, ROLE_VIEWER, &reason), 0);
    }
    reason = NULL;
    assert_int_equal(users_add(u, "one-more", fast_hash, ROLE_VIEWER, &reason), -ENOSPC);
    assert_non_null(reason);
    assert_int_equal(users_count(u), USERS_MAX);
    /* Other hash schemes verify too; the last user added is still found. */
    snprintf(name, sizeof(name), "user%d", USERS_MAX - 1);
    assert_int_equal(users_verify(u, name, "fast-pass"), ROLE_VIEWER);
    assert_int_equal(users_verify(u, "one-more", "fast-pass"), ROLE_NONE);
    users_free(u);
}

static void test_users_role_parse_and_name(void **state)
{
    (void)state;
    assert_int_equal(users_role_parse("viewer"), ROLE_VIEWER);
    assert_int_equal(users_role_parse("operator"), ROLE_OPERATOR);
    assert_int_equal(users_role_parse("Operator"), ROLE_NONE);
    assert_int_equal(users_role_parse("admin"), ROLE_ADMIN);
    assert_int_equal(users_role_parse("root"), ROLE_NONE);
    assert_int_equal(users_role_parse(""), ROLE_NONE);
    assert_int_equal(users_role_parse("viewer "), ROLE_NONE);
    assert_string_equal(users_role_name(ROLE_VIEWER), "viewer");
    assert_string_equal(users_role_name(ROLE_OPERATOR), "operator");
    assert_string_equal(users_role_name(ROLE_ADMIN), "admin");
    assert_string_equal(users_role_name(ROLE_NONE), "none");
}

/* Write content to a users file in dir, load it into a new table, return the result. */
static int load(const char *dir, const char *content, struct users **out, char *path,
                size_t path_size, char *err, size_t err_size)
{
    assert_int_equal(ts_file_write(dir, "users", content, path, path_size), 0);
    *out = users_new();
    assert_non_null(*out);
    err[0] = '\0';
    return users_load_file(*out, path, err, err_size);
}

static void expect_load_error(const char *dir, const char *content, unsigned line,
                              const char *want_reason_start)
{
    char path[512], err[512], want[600];
    struct users *u = NULL;
    int rc = load(dir, content, &u, path, sizeof(path), err, sizeof(err));
    users_free(u);
    if (rc >= 0)
        fail_msg("users file \"%s\" loaded, want an error at line %u", content, line);
    snprintf(want, sizeof(want), "%s:%u: %s", path, line, want_reason_start);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("error \"%s\", want \"%s...\"", err, want);
}

static int make_dir(void **state)
{
    *state = ts_tmpdir_new();
    return *state != NULL ? 0 : -1;
}

static int free_dir(void **state)
{
    ts_tmpdir_free(*state);
    *state = NULL;
    return 0;
}

static void test_users_load_file(void **state)
{
    const char *dir = *state;
    char content[2048], path[512], err[512];
    char bob_hash[256];
    assert_int_equal(users_hash_password("bob-pass", bob_hash, sizeof(bob_hash)), 0);

    /* Comments, blank lines and CRLF line ends are fine. */
    snprintf(content, sizeof(content),
             "# Lookout users\n\nalice:%s:operator\r\n#bob:x:viewer\nbob:%s:viewer\n", alice_hash,
             bob_hash);
    struct users *u = NULL;
    int rc = load(dir, content, &u, path, sizeof(path), err, sizeof(err));
    if (rc < 0)
        fail_msg("load: %s", err);
    assert_int_equal(users_count(u), 2);
    assert_int_equal(users_verify(u, "alice", "alice-pass"), ROLE_OPERATOR);
    assert_int_equal(users_verify(u, "bob", "bob-pass"), ROLE_VIEWER);
    assert_int_equal(users_verify(u, "bob", "alice-pass"), ROLE_NONE);
    users_free(u);

    /* Each error names the file and the line. */
    snprintf(content, sizeof(content), "# header\nalice:%s:operator\nbob:nothash:viewer\n",
             alice_hash);
    expect_load_error(dir, content, 3, "not a crypt(3) hash");
    snprintf(content, sizeof(content), "\n\nalice:%s:root\n", alice_hash);
    expect_load_error(dir, content, 3, "role must be viewer, operator or admin");
    snprintf(content, sizeof(content), "alice:%s\n", alice_hash);
    expect_load_error(dir, content, 1, "expected name:hash:role");
    expect_load_error(dir, "just-a-name\n", 1, "expected name:hash:role");
    snprintf(content, sizeof(content), "alice:%s:operator\nalice:%s:viewer\n", alice_hash,
             bob_hash);
    expect_load_error(dir, content, 2, "user defined twice");
    snprintf(content, sizeof(content), "al\x01ice:%s:operator\n", alice_hash);
    expect_load_error(dir, content, 1, "bad user name");
    snprintf(content, sizeof(content), ":%s:operator\n", alice_hash);
    expect_load_error(dir, content, 1, "bad user name");

    /* A missing file: "PATH: reason" and a negative errno. */
    snprintf(path, sizeof(path), "%s/no-such-file", dir);
    u = users_new();
    assert_non_null(u);
    assert_int_equal(users_load_file(u, path, err, sizeof(err)), -ENOENT);
    assert_true(strncmp(err, path, strlen(path)) == 0);
    assert_non_null(strstr(err, ": "));
    users_free(u);
}

/* Only "front" and "garden" exist, for users_check_cameras. */
static int two_cameras(const char *camera, void *arg)
{
    (void)arg;
    return strcmp(camera, "front") == 0 || strcmp(camera, "garden") == 0;
}

static void test_users_camera_lists(void **state)
{
    char content[2048], path[512], err[512];
    snprintf(content, sizeof(content),
             "# name:hash:role[:cameras]\n"
             "all:%s:operator\n"
             "star:%s:viewer:*\n"
             "mum:%s:viewer:front\n"
             "two:%s:viewer:front,garden\n",
             fast_hash, fast_hash, fast_hash, fast_hash);
    assert_int_equal(ts_file_write(*state, "users", content, path, sizeof(path)), 0);
    struct users *u = users_new();
    assert_non_null(u);
    assert_int_equal(users_load_file(u, path, err, sizeof(err)), 0);
    assert_int_equal(users_count(u), 4);
    assert_int_equal(users_verify(u, "mum", "fast-pass"), ROLE_VIEWER);

    assert_true(users_may_see(u, "all", "front"));
    assert_true(users_may_see(u, "star", "back"));
    assert_true(users_may_see(u, "mum", "front"));
    assert_false(users_may_see(u, "mum", "garden"));
    assert_false(users_may_see(u, "mum", "fron")); /* whole names, not prefixes */
    assert_false(users_may_see(u, "mum", "front,garden"));
    assert_true(users_may_see(u, "two", "garden"));
    assert_false(users_may_see(u, "nobody", "front"));
    assert_int_equal(users_check_cameras(u, two_cameras, NULL, err, sizeof(err)), 0);

    const char *reason = NULL;
    assert_int_equal(users_set_cameras(u, "mum", "front,back", &reason), 0);
    assert_int_equal(users_check_cameras(u, two_cameras, NULL, err, sizeof(err)), -ENOENT);
    char want[600];
    snprintf(want, sizeof(want), "%s:4: user mum: no camera \"back\"", path);
    assert_string_equal(err, want);
    assert_int_equal(users_set_cameras(u, "nobody", "front", &reason), -ENOENT);

    /* Written back as read: the camera lists stay. */
    snprintf(path, sizeof(path), "%s/users2", (const char *)*state);
    assert_int_equal(users_save_file(u, path, err, sizeof(err)), 0);
    struct users *back = users_new();
    assert_int_equal(users_load_file(back, path, err, sizeof(err)), 0);
    assert_true(users_may_see(back, "mum", "back"));
    assert_false(users_may_see(back, "mum", "garden"));
    assert_true(users_may_see(back, "star", "garden"));
    assert_true(users_may_see(back, "two", "garden"));
    users_free(back);
    users_free(u);
}

static void test_users_camera_list_errors(void **state)
{
    static const char *const bad[] = {"Front",         "front,", ",front",
                                      "front,,garden", "a b",    "front;garden"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char content[2048], path[512], err[512];
        snprintf(content, sizeof(content), "\nmum:%s:viewer:%s\n", fast_hash, bad[i]);
        assert_int_equal(ts_file_write(*state, "users", content, path, sizeof(path)), 0);
        struct users *u = users_new();
        assert_non_null(u);
        assert_int_equal(users_load_file(u, path, err, sizeof(err)), -EINVAL);
        char want[600];
        snprintf(want, sizeof(want), "%s:2: camera list", path);
        assert_true(strncmp(err, want, strlen(want)) == 0);
        users_free(u);
    }
}

/* The relay writes what it reads: fixed (.env) users left out, edits kept, mode 0600. */
static void test_users_save_file_round_trip(void **state)
{
    const char *dir = *state;
    char path[512], err[512], bob_hash[256];
    assert_int_equal(users_hash_password("bob-pass", bob_hash, sizeof(bob_hash)), 0);
    struct users *u = users_new();
    const char *reason = NULL;
    assert_int_equal(users_add(u, "owner", alice_hash, ROLE_ADMIN, &reason), 0);
    assert_int_equal(users_set_fixed(u, "owner"), 0);
    assert_int_equal(users_add(u, "alice", alice_hash, ROLE_OPERATOR, &reason), 0);
    assert_int_equal(users_add(u, "bob smith", bob_hash, ROLE_VIEWER, &reason), 0);
    assert_int_equal(users_change(u, "owner", ROLE_VIEWER, NULL, &reason), -EPERM);
    assert_int_equal(users_remove(u, "owner"), -EPERM);
    assert_int_equal(users_remove(u, "nobody"), -ENOENT);
    assert_int_equal(users_change(u, "alice", ROLE_ADMIN, NULL, &reason), 0);
    assert_int_equal(users_change(u, "alice", ROLE_NONE, "nothash", &reason), -EINVAL);
    assert_int_equal(users_count_role(u, ROLE_ADMIN), 2);
    snprintf(path, sizeof(path), "%s/users", dir);
    assert_int_equal(users_save_file(u, path, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    struct users *back = users_new();
    if (users_load_file(back, path, err, sizeof(err)) < 0)
        fail_msg("load: %s", err);
    assert_int_equal(users_count(back), 2);
    assert_int_equal(users_role_of(back, "owner"), ROLE_NONE);
    assert_int_equal(users_role_of(back, "alice"), ROLE_ADMIN);
    assert_int_equal(users_verify(back, "bob smith", "bob-pass"), ROLE_VIEWER);

    struct users *copy = users_copy(back);
    assert_int_equal(users_remove(copy, "alice"), 0);
    assert_int_equal(users_count(copy), 1);
    assert_int_equal(users_count(back), 2);
    users_free(copy);
    assert_int_equal(users_save_file(back, "/nonexistent-dir/users", err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "/nonexistent-dir/users"));
    users_free(back);
    users_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_hash_is_yescrypt_and_verifies),
        cmocka_unit_test(test_users_hash_output_too_small),
        cmocka_unit_test(test_users_wrong_password_or_unknown_user_is_none),
        cmocka_unit_test(test_users_add_rejects_bad_names),
        cmocka_unit_test(test_users_add_rejects_bad_hashes_roles_and_duplicates),
        cmocka_unit_test(test_users_table_is_bounded),
        cmocka_unit_test(test_users_role_parse_and_name),
        cmocka_unit_test_setup_teardown(test_users_load_file, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_users_camera_lists, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_users_camera_list_errors, make_dir, free_dir),
        cmocka_unit_test_setup_teardown(test_users_save_file_round_trip, make_dir, free_dir),
    };
    return cmocka_run_group_tests_name("users", tests, group_setup, NULL);
}
