/* Unit tests for relay/access/token: new tokens, what is kept of them, the constant-time compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

static void test_token_new_is_random_hex(void **state)
{
    (void)state;
    char a[TOKEN_CHARS + 1], b[TOKEN_CHARS + 1];
    assert_int_equal(token_new(a), 0);
    assert_int_equal(token_new(b), 0);
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_string_not_equal(a, b);
}

static void test_token_hash_accepts_only_tokens(void **state)
{
    (void)state;
    char t[TOKEN_CHARS + 2];
    unsigned char h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES];
    assert_int_equal(token_new(t), 0);
    assert_int_equal(token_hash(t, h1), 0);
    assert_int_equal(token_hash(t, h2), 0);
    assert_true(token_hash_equal(h1, h2)); /* the same token: the same hash */
    char bad[TOKEN_CHARS + 8];
    snprintf(bad, sizeof(bad), "%.63s", t);
    assert_int_equal(token_hash(bad, h2), -EINVAL); /* short */
    snprintf(bad, sizeof(bad), "%s0", t);
    assert_int_equal(token_hash(bad, h2), -EINVAL); /* long */
    snprintf(bad, sizeof(bad), "%s", t);
    bad[10] = 'A';
    assert_int_equal(token_hash(bad, h2), -EINVAL); /* upper case */
    bad[10] = 'g';
    assert_int_equal(token_hash(bad, h2), -EINVAL);
    assert_int_equal(token_hash("", h2), -EINVAL);
}

static void test_token_hash_equal_is_exact(void **state)
{
    (void)state;
    unsigned char a[TOKEN_HASH_BYTES], b[TOKEN_HASH_BYTES];
    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    assert_true(token_hash_equal(a, b));
    /* A difference anywhere, first byte or last, one bit: not equal (CRYPTO_memcmp reads all). */
    b[0] ^= 1;
    assert_false(token_hash_equal(a, b));
    b[0] ^= 1;
    b[TOKEN_HASH_BYTES - 1] ^= 0x80;
    assert_false(token_hash_equal(a, b));
}

static void test_token_public_id_and_hex(void **state)
{
    (void)state;
    char t[TOKEN_CHARS + 1], id1[17], id2[17], hex[2 * TOKEN_HASH_BYTES + 1];
    unsigned char h[TOKEN_HASH_BYTES], back[TOKEN_HASH_BYTES];
    assert_int_equal(token_new(t), 0);
    assert_int_equal(token_hash(t, h), 0);
    token_public_id(h, id1, 16);
    token_public_id(h, id2, 16);
    assert_int_equal(strlen(id1), 16);
    assert_string_equal(id1, id2);
    assert_null(strstr(t, id1)); /* the id is not a piece of the token */
    token_hash_hex(h, hex);
    assert_null(strstr(t, hex));
    assert_int_equal(token_hash_parse(hex, back), 0);
    assert_true(token_hash_equal(h, back));
    hex[5] = 'X';
    assert_int_equal(token_hash_parse(hex, back), -EINVAL);
    assert_int_equal(token_hash_parse("abc", back), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_new_is_random_hex),
        cmocka_unit_test(test_token_hash_accepts_only_tokens),
        cmocka_unit_test(test_token_hash_equal_is_exact),
        cmocka_unit_test(test_token_public_id_and_hex),
    };
    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
