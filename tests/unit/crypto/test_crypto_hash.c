/* SHA-256 / HMAC vectors, hex, tokens. */
#include <string.h>

#include "rcm/crypto.h"
#include "rcm_test.h"

static void
sha256_vectors(void **state)
{
    (void)state;
    uint8_t md[32];
    char hex[65];
    rcm_sha256("abc", 3, md);
    rcm_hex_encode(md, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    struct rcm_sha256_ctx ctx;
    assert_int_equal(rcm_sha256_init(&ctx), RCM_OK);
    rcm_sha256_update(&ctx, "a", 1);
    rcm_sha256_update(&ctx, "bc", 2);
    uint8_t md2[32];
    rcm_sha256_final(&ctx, md2);
    assert_memory_equal(md, md2, 32);
}

static void
hmac_rfc4231_case2(void **state)
{
    (void)state;
    uint8_t mac[32];
    char hex[65];
    const char *data = "what do ya want for nothing?";
    rcm_hmac_sha256((const uint8_t *)"Jefe", 4, data, strlen(data), mac);
    rcm_hex_encode(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
hex_round_trip_and_errors(void **state)
{
    (void)state;
    uint8_t out[3];
    assert_int_equal(rcm_hex_decode("00fFa1", out, 3), RCM_OK);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(rcm_hex_decode("00fFa", out, 3), RCM_E_PARSE);
    assert_int_equal(rcm_hex_decode("00fFzz", out, 3), RCM_E_PARSE);
    assert_true(rcm_crypto_equal("abc", "abc", 3));
    assert_false(rcm_crypto_equal("abc", "abd", 3));
}

static void
tokens_are_distinct_base64url(void **state)
{
    (void)state;
    char a[RCM_TOKEN_TEXT_LEN + 1], b[RCM_TOKEN_TEXT_LEN + 1];
    rcm_token_new(a);
    rcm_token_new(b);
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    for (size_t i = 0; i < 43; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
    char h1[65], h2[65];
    rcm_token_hash(a, h1);
    rcm_token_hash(a, h2);
    assert_string_equal(h1, h2);
    assert_int_equal(strlen(h1), 64);
}

RUN_TESTS(cmocka_unit_test(sha256_vectors), cmocka_unit_test(hmac_rfc4231_case2),
          cmocka_unit_test(hex_round_trip_and_errors),
          cmocka_unit_test(tokens_are_distinct_base64url))
