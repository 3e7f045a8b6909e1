/* HOTP/TOTP vectors (RFC 4226 App. D, RFC 6238 App. B), window, replay,
 * base32 (RFC 4648 §10), otpauth URI. */
#include <string.h>

#include "rcm/crypto.h"
#include "rcm_test.h"

static const uint8_t *seed20 = (const uint8_t *)"12345678901234567890";
static const uint8_t *seed32 = (const uint8_t *)"12345678901234567890123456789012";
static const uint8_t *seed64 =
    (const uint8_t *)"1234567890123456789012345678901234567890123456789012345678901234";

static void
hotp_rfc4226(void **state)
{
    (void)state;
    static const char *want[] = {"755224", "287082", "359152", "969429", "338314",
                                 "254676", "287922", "162583", "399871", "520489"};
    char out[9];
    for (uint64_t c = 0; c < 10; c++) {
        assert_int_equal(rcm_hotp(seed20, 20, RCM_TOTP_SHA1, c, 6, out), RCM_OK);
        assert_string_equal(out, want[c]);
    }
    assert_int_equal(rcm_hotp(seed20, 19, RCM_TOTP_SHA1, 0, 6, out), RCM_E_INVAL);
    assert_int_equal(rcm_hotp(seed20, 20, RCM_TOTP_SHA1, 0, 5, out), RCM_E_INVAL);
    assert_int_equal(rcm_hotp(seed20, 20, RCM_TOTP_SHA1, 0, 9, out), RCM_E_INVAL);
}

static void
totp_rfc6238_all_vectors(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *sha1, *sha256, *sha512;
    } v[] = {
        {59, "94287082", "46119246", "90693936"},
        {1111111109, "07081804", "68084774", "25091201"},
        {1111111111, "14050471", "67062674", "99943326"},
        {1234567890, "89005924", "91819424", "93441116"},
        {2000000000, "69279037", "90698825", "38618901"},
        {20000000000, "65353130", "77737706", "47863826"},
    };
    struct rcm_totp_params p = rcm_totp_params_default();
    p.digits = 8;
    char out[9];
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        p.alg = RCM_TOTP_SHA1;
        assert_int_equal(rcm_totp_code(seed20, 20, &p, v[i].t, out), RCM_OK);
        assert_string_equal(out, v[i].sha1);
        p.alg = RCM_TOTP_SHA256;
        assert_int_equal(rcm_totp_code(seed32, 32, &p, v[i].t, out), RCM_OK);
        assert_string_equal(out, v[i].sha256);
        p.alg = RCM_TOTP_SHA512;
        assert_int_equal(rcm_totp_code(seed64, 64, &p, v[i].t, out), RCM_OK);
        assert_string_equal(out, v[i].sha512);
        /* and each verifies at its own time */
        int64_t step;
        assert_int_equal(rcm_totp_verify(seed64, 64, &p, v[i].sha512, v[i].t, -1, &step),
                         RCM_OK);
        assert_int_equal(step, v[i].t / 30);
    }
}

static void
window_and_replay(void **state)
{
    (void)state;
    struct rcm_totp_params p = rcm_totp_params_default();
    uint8_t secret[RCM_TOTP_SECRET_BYTES];
    rcm_totp_secret_new(secret);
    const int64_t now = 1700000000;     /* step 56666666, 20 s into it */
    char prev[9], cur[9], next[9], far[9];
    assert_int_equal(rcm_totp_code(secret, 20, &p, now - 30, prev), RCM_OK);
    assert_int_equal(rcm_totp_code(secret, 20, &p, now, cur), RCM_OK);
    assert_int_equal(rcm_totp_code(secret, 20, &p, now + 30, next), RCM_OK);
    assert_int_equal(rcm_totp_code(secret, 20, &p, now + 60, far), RCM_OK);
    assert_int_equal(strlen(cur), 6);
    int64_t step, s = now / 30;
    assert_int_equal(rcm_totp_verify(secret, 20, &p, cur, now, -1, &step), RCM_OK);
    assert_int_equal(step, s);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, prev, now, -1, &step), RCM_OK);
    assert_int_equal(step, s - 1);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, next, now, -1, &step), RCM_OK);
    assert_int_equal(step, s + 1);
    if (strcmp(far, cur) && strcmp(far, prev) && strcmp(far, next))
        assert_int_equal(rcm_totp_verify(secret, 20, &p, far, now, -1, &step), RCM_E_PERM);
    /* replay: the accepted step, or an older one, is refused */
    assert_int_equal(rcm_totp_verify(secret, 20, &p, cur, now, s, &step), RCM_E_CONFLICT);
    assert_int_equal(step, -1);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, prev, now, s, &step), RCM_E_CONFLICT);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, next, now, s, &step), RCM_OK);
    assert_int_equal(step, s + 1);
    /* malformed codes */
    assert_int_equal(rcm_totp_verify(secret, 20, &p, "12345", now, -1, &step), RCM_E_PERM);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, "1234567", now, -1, &step), RCM_E_PERM);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, "12a456", now, -1, &step), RCM_E_PERM);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, "", now, -1, &step), RCM_E_PERM);
    assert_int_equal(rcm_totp_verify(secret, 20, &p, NULL, now, -1, &step), RCM_E_PERM);
    /* short secrets refused (< 160 bits) */
    assert_int_equal(rcm_totp_verify(secret, 16, &p, cur, now, -1, &step), RCM_E_INVAL);
    /* window 0 accepts only the current step */
    p.window = 0;
    assert_int_equal(rcm_totp_verify(secret, 20, &p, prev, now, -1, &step),
                     strcmp(prev, cur) ? RCM_E_PERM : RCM_OK);
}

static void
base32_rfc4648(void **state)
{
    (void)state;
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *pad[] = {"", "MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=",
                                "MZXW6YTB", "MZXW6YTBOI======"};
    static const char *nopad[] = {"", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB",
                                  "MZXW6YTBOI"};
    char out[32];
    uint8_t dec[16];
    size_t n;
    for (size_t i = 0; i < 7; i++) {
        size_t len = strlen(in[i]);
        assert_int_equal(rcm_base32_encoded_len(len, true), strlen(pad[i]));
        rcm_base32_encode((const uint8_t *)in[i], len, true, out);
        assert_string_equal(out, pad[i]);
        rcm_base32_encode((const uint8_t *)in[i], len, false, out);
        assert_string_equal(out, nopad[i]);
        assert_int_equal(rcm_base32_decode(pad[i], strlen(pad[i]), dec, sizeof dec, &n), RCM_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, in[i], len);
        assert_int_equal(rcm_base32_decode(nopad[i], strlen(nopad[i]), dec, sizeof dec, &n),
                         RCM_OK);
        assert_int_equal(n, len);
    }
    assert_int_equal(rcm_base32_decode("mzxw6ytboi", 10, dec, sizeof dec, &n), RCM_OK);
    assert_memory_equal(dec, "foobar", 6);
    static const char *bad[] = {"M", "MZX", "MZXW6Y", "MZ1Q", "MZ=XQ", "MY=", "MZ======",
                                "MZXQ =", "MZ"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(rcm_base32_decode(bad[i], strlen(bad[i]), dec, sizeof dec, &n),
                         RCM_E_PARSE);
    assert_int_equal(rcm_base32_decode("MZXW6YTBOI", 10, dec, 5, &n), RCM_E_TOO_LARGE);
}

static void
otpauth_uri(void **state)
{
    (void)state;
    struct rcm_totp_params p = rcm_totp_params_default();
    char uri[RCM_TOTP_URI_MAX_BYTES];
    assert_int_equal(rcm_totp_uri(seed20, 20, &p, "Acme Billing & Co", "jane.doe+1@example.com",
                                  uri, sizeof uri), RCM_OK);
    assert_string_equal(uri, "otpauth://totp/Acme%20Billing%20%26%20Co:jane.doe%2B1%40example.com"
                             "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                             "&issuer=Acme%20Billing%20%26%20Co&algorithm=SHA1&digits=6&period=30");
    assert_int_equal(rcm_totp_uri(seed20, 20, &p, "Caf\xc3\xa9", "a:b", uri, sizeof uri), RCM_OK);
    assert_non_null(strstr(uri, "/Caf%C3%A9:a%3Ab?"));
    p.alg = RCM_TOTP_SHA512;
    p.digits = 8;
    assert_int_equal(rcm_totp_uri(seed64, 64, &p, "X", "y", uri, sizeof uri), RCM_OK);
    assert_non_null(strstr(uri, "&algorithm=SHA512&digits=8&period=30"));
    assert_int_equal(rcm_totp_uri(seed20, 20, &p, "X", "y", uri, 40), RCM_E_TOO_LARGE);
    assert_int_equal(rcm_totp_uri(seed20, 20, &p, "", "y", uri, sizeof uri), RCM_E_INVAL);
    assert_int_equal(rcm_totp_uri(seed20, 20, &p, "X", "\xff", uri, sizeof uri), RCM_E_INVAL);
    assert_int_equal(rcm_totp_uri(seed20, 10, &p, "X", "y", uri, sizeof uri), RCM_E_INVAL);
}

RUN_TESTS(cmocka_unit_test(hotp_rfc4226), cmocka_unit_test(totp_rfc6238_all_vectors),
          cmocka_unit_test(window_and_replay), cmocka_unit_test(base32_rfc4648),
          cmocka_unit_test(otpauth_uri))
