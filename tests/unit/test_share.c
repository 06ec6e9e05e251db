/* Unit tests for relay/access/share: guest link tokens, expiry at the boundary, revoking,
 * camera rights, the file, and the page's expiry choices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../support/run.h"
#include "../support/tmpdir.h"
#include "share.h"

#define NOW 1796652120LL /* 2026-12-07 14:02:00 UTC */

static struct shares *with_link(char token[SHARE_TOKEN_CHARS + 1], struct share_info *in,
                                int64_t expires_s)
{
    struct shares *s = shares_new();
    assert_non_null(s);
    const char *reason = NULL;
    assert_int_equal(
        shares_create(s, "alice", "front,garden", "babysitter", NOW, expires_s, token, in, &reason),
        0);
    return s;
}

static void test_share_token_and_open(void **state)
{
    (void)state;
    char token[SHARE_TOKEN_CHARS + 1], other[SHARE_TOKEN_CHARS + 1];
    struct share_info in, seen;
    struct shares *s = with_link(token, &in, NOW + 3600);
    assert_int_equal(strlen(token), 64);
    assert_int_equal(strspn(token, "0123456789abcdef"), 64);
    assert_int_equal(strlen(in.id), SHARE_ID_CHARS);
    assert_null(strstr(token, in.id)); /* the id is not part of the token */
    const char *reason = NULL;
    struct share_info in2;
    assert_int_equal(shares_create(s, "bob", "front", "", NOW, NOW + 60, other, &in2, &reason), 0);
    assert_string_not_equal(token, other);
    assert_string_not_equal(in.id, in2.id);

    assert_int_equal(shares_open(s, token, NOW + 1, &seen), SHARE_LIVE);
    assert_string_equal(seen.id, in.id);
    assert_string_equal(seen.label, "babysitter");
    assert_string_equal(seen.creator, "alice");
    assert_int_equal(seen.uses, 1);
    assert_int_equal(seen.last_used_s, NOW + 1);

    /* One wrong digit anywhere, a short, long or upper-case token: no such link. */
    char bad[SHARE_TOKEN_CHARS + 2];
    for (size_t i = 0; i < SHARE_TOKEN_CHARS; i += 21) {
        snprintf(bad, sizeof(bad), "%s", token);
        bad[i] = bad[i] == '0' ? '1' : '0';
        assert_int_equal(shares_open(s, bad, NOW + 1, &seen), SHARE_UNKNOWN);
    }
    snprintf(bad, sizeof(bad), "%.63s", token);
    assert_int_equal(shares_open(s, bad, NOW + 1, &seen), SHARE_UNKNOWN);
    snprintf(bad, sizeof(bad), "%s0", token);
    assert_int_equal(shares_open(s, bad, NOW + 1, &seen), SHARE_UNKNOWN);
    assert_int_equal(shares_open(s, "", NOW + 1, &seen), SHARE_UNKNOWN);
    assert_int_equal(shares_open(s, in.id, NOW + 1, &seen), SHARE_UNKNOWN);
    shares_free(s);
    shares_free(NULL);
}

static void test_share_expiry_at_the_boundary(void **state)
{
    (void)state;
    char token[SHARE_TOKEN_CHARS + 1];
    struct share_info in, seen;
    struct shares *s = with_link(token, &in, NOW + 3600);
    assert_int_equal(shares_open(s, token, NOW + 3599, &seen), SHARE_LIVE);
    assert_int_equal(shares_state(s, in.id, NOW + 3599, NULL), SHARE_LIVE);
    assert_true(shares_may_see(s, in.id, "front", NOW + 3599));
    /* At expires_s exactly, it is over. */
    assert_int_equal(shares_open(s, token, NOW + 3600, &seen), SHARE_EXPIRED);
    assert_int_equal(seen.uses, 1); /* an expired opening is not a use */
    assert_int_equal(shares_state(s, in.id, NOW + 3600, NULL), SHARE_EXPIRED);
    assert_false(shares_may_see(s, in.id, "front", NOW + 3600));

    /* shares_expire reports it once, keeps it for the 410, then forgets it. */
    unsigned called = 0;
    assert_int_equal(shares_expire(s, NOW + 3599, NULL, NULL), 0);
    assert_int_equal(shares_expire(s, NOW + 3600, NULL, &called), 1);
    assert_int_equal(shares_expire(s, NOW + 3700, NULL, NULL), 0);
    assert_int_equal(shares_open(s, token, NOW + 3700, &seen), SHARE_EXPIRED);
    shares_expire(s, NOW + 3600 + SHARE_KEEP_DEAD_S + 1, NULL, NULL);
    assert_int_equal(shares_open(s, token, NOW + 3600 + SHARE_KEEP_DEAD_S + 1, &seen),
                     SHARE_UNKNOWN);
    shares_free(s);
}

static void test_share_revoke_and_cameras(void **state)
{
    (void)state;
    char token[SHARE_TOKEN_CHARS + 1];
    struct share_info in, seen;
    struct shares *s = with_link(token, &in, NOW + 3600);
    assert_true(shares_may_see(s, in.id, "front", NOW));
    assert_true(shares_may_see(s, in.id, "garden", NOW));
    assert_false(shares_may_see(s, in.id, "gard", NOW));
    assert_false(shares_may_see(s, in.id, "garage", NOW));
    assert_false(shares_may_see(s, "0000000000000000", "front", NOW));
    assert_int_equal(shares_revoke(s, in.id, NOW + 10), 0);
    assert_int_equal(shares_revoke(s, in.id, NOW + 11), -EALREADY);
    assert_int_equal(shares_revoke(s, "nope", NOW + 11), -ENOENT);
    assert_int_equal(shares_open(s, token, NOW + 12, &seen), SHARE_REVOKED);
    assert_int_equal(seen.revoked_s, NOW + 10);
    assert_false(shares_may_see(s, in.id, "front", NOW + 12));
    /* Revoking closed its streams already: expiry does not report it again. */
    assert_int_equal(shares_expire(s, NOW + 4000, NULL, NULL), 0);
    shares_free(s);
}

static void test_share_create_rejects_bad_input(void **state)
{
    (void)state;
    struct shares *s = shares_new();
    char token[SHARE_TOKEN_CHARS + 1];
    struct share_info in;
    const char *reason = NULL;
    assert_int_equal(shares_create(s, "a", "front", "x", NOW, NOW, token, &in, &reason), -EINVAL);
    assert_int_equal(shares_create(s, "a", "front", "x", NOW, NOW - 1, token, &in, &reason),
                     -EINVAL);
    assert_int_equal(shares_create(s, "a", "front", "x", NOW, NOW + SHARE_MAX_LIFETIME_S + 1, token,
                                   &in, &reason),
                     -EINVAL);
    assert_int_equal(shares_create(s, "a", "", "x", NOW, NOW + 60, token, &in, &reason), -EINVAL);
    assert_int_equal(shares_create(s, "a", "front,", "x", NOW, NOW + 60, token, &in, &reason),
                     -EINVAL);
    assert_int_equal(shares_create(s, "a", "Front", "x", NOW, NOW + 60, token, &in, &reason),
                     -EINVAL);
    assert_int_equal(
        shares_create(s, "a", "front", "two\nlines", NOW, NOW + 60, token, &in, &reason), -EINVAL);
    assert_non_null(strstr(reason, "label"));
    /* Bounded: SHARE_MAX live links, then -ENOSPC; a dead one's slot is reused. */
    for (int i = 0; i < SHARE_MAX; i++)
        assert_int_equal(shares_create(s, "a", "front", "", NOW, NOW + 60 + i, token, &in, &reason),
                         0);
    assert_int_equal(shares_create(s, "a", "front", "", NOW, NOW + 60, token, &in, &reason),
                     -ENOSPC);
    assert_int_equal(shares_create(s, "a", "front", "", NOW + 61, NOW + 120, token, &in, &reason),
                     0);
    shares_free(s);
}

static void test_share_save_and_load(void **state)
{
    (void)state;
    char *dir = ts_tmpdir_new();
    char path[512];
    snprintf(path, sizeof(path), "%s/shares", dir);
    char token[SHARE_TOKEN_CHARS + 1], t2[SHARE_TOKEN_CHARS + 1];
    struct share_info in, in2, seen;
    struct shares *s = with_link(token, &in, NOW + 3600);
    const char *reason = NULL;
    assert_int_equal(shares_create(s, "bob smith", "front", "", NOW, NOW + 60, t2, &in2, &reason),
                     0);
    assert_int_equal(shares_revoke(s, in2.id, NOW + 1), 0);
    assert_true(shares_is_dirty(s));
    assert_int_equal(shares_save(s, path), 0);
    assert_false(shares_is_dirty(s));
    char *text = ts_file_read(path, 1 << 20);
    assert_null(strstr(text, token));
    assert_null(strstr(text, t2));
    free(text);
    shares_free(s);

    s = shares_new();
    unsigned bad = 9;
    assert_int_equal(shares_load(s, path, &bad), 2);
    assert_int_equal(bad, 0);
    assert_int_equal(shares_open(s, token, NOW + 2, &seen), SHARE_LIVE);
    assert_string_equal(seen.id, in.id);
    assert_string_equal(seen.cameras, "front,garden");
    assert_string_equal(seen.label, "babysitter");
    assert_int_equal(shares_open(s, t2, NOW + 2, &seen), SHARE_REVOKED);
    assert_string_equal(seen.creator, "bob smith");
    assert_string_equal(seen.label, "");
    shares_free(s);
    ts_tmpdir_free(dir);
}

static void test_share_parse_expiry(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(share_parse_expiry("1h", NOW, &t), 0);
    assert_int_equal(t, NOW + 3600);
    assert_int_equal(share_parse_expiry("week", NOW, &t), 0);
    assert_int_equal(t, NOW + 7 * 86400);
    assert_int_equal(share_parse_expiry("1796660000", NOW, &t), 0);
    assert_int_equal(t, 1796660000);
    /* "tonight": until 06:00 the next morning (local time; UTC here), or today's before 06:00. */
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(share_parse_expiry("tonight", NOW, &t), 0);
    assert_int_equal(t, 1796709600);                                    /* 2026-12-08 06:00 UTC */
    assert_int_equal(share_parse_expiry("tonight", 1796612400, &t), 0); /* 03:00 */
    assert_int_equal(t, 1796623200);                                    /* 06:00 that day */
    assert_int_equal(share_parse_expiry("soon", NOW, &t), -EINVAL);
    assert_int_equal(share_parse_expiry("", NOW, &t), -EINVAL);
    assert_int_equal(share_parse_expiry(NULL, NOW, &t), -EINVAL);
    assert_int_equal(share_parse_expiry("12h", NOW, &t), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_token_and_open),
        cmocka_unit_test(test_share_expiry_at_the_boundary),
        cmocka_unit_test(test_share_revoke_and_cameras),
        cmocka_unit_test(test_share_create_rejects_bad_input),
        cmocka_unit_test(test_share_save_and_load),
        cmocka_unit_test(test_share_parse_expiry),
    };
    return cmocka_run_group_tests_name("share", tests, NULL, NULL);
}
