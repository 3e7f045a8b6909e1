/* Argon2id password hashing, verification, rehash detection. */
#include <string.h>

#include "rcm/crypto.h"
#include "rcm_test.h"

/* Small parameters keep the suite fast; one test uses the defaults. */
static const struct rcm_pwhash_params fast = {1, 8192};

static void
hash_and_verify(void **state)
{
    (void)state;
    char h1[RCM_PWHASH_STR_BYTES], h2[RCM_PWHASH_STR_BYTES];
    const char *pw = "correct horse battery staple";
    assert_int_equal(rcm_pwhash(pw, strlen(pw), &fast, h1), RCM_OK);
    assert_int_equal(strncmp(h1, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0);
    assert_int_equal(rcm_pwhash(pw, strlen(pw), &fast, h2), RCM_OK);
    assert_string_not_equal(h1, h2);        /* random salt */
    assert_null(strstr(h1, "horse"));
    assert_int_equal(rcm_pwhash_verify(h1, pw, strlen(pw)), RCM_OK);
    assert_int_equal(rcm_pwhash_verify(h2, pw, strlen(pw)), RCM_OK);
    assert_int_equal(rcm_pwhash_verify(h1, pw, strlen(pw) - 1), RCM_E_PERM);
    assert_int_equal(rcm_pwhash_verify(h1, "Correct horse battery staple", strlen(pw)),
                     RCM_E_PERM);
    /* embedded NUL and non-ASCII bytes are part of the password */
    const char nul_pw[] = "abc\0defghij";
    assert_int_equal(rcm_pwhash(nul_pw, sizeof nul_pw - 1, &fast, h1), RCM_OK);
    assert_int_equal(rcm_pwhash_verify(h1, nul_pw, sizeof nul_pw - 1), RCM_OK);
    assert_int_equal(rcm_pwhash_verify(h1, "abc", 3), RCM_E_PERM);
    /* malformed stored hashes */
    assert_int_equal(rcm_pwhash_verify("", pw, strlen(pw)), RCM_E_PARSE);
    assert_int_equal(rcm_pwhash_verify("$2y$10$abcdefghijklmnopqrstuv", pw, strlen(pw)),
                     RCM_E_PARSE);
    assert_int_equal(rcm_pwhash_verify("$argon2id$v=19$m=8,t=1,p=1$garbage", pw, strlen(pw)),
                     RCM_E_PERM);
    /* length cap: refused, never truncated */
    char big[RCM_PASSWORD_MAX_BYTES + 2];
    memset(big, 'x', sizeof big);
    assert_int_equal(rcm_pwhash(big, RCM_PASSWORD_MAX_BYTES + 1, &fast, h1), RCM_E_TOO_LARGE);
    assert_int_equal(h1[0], '\0');
    assert_int_equal(rcm_pwhash(big, RCM_PASSWORD_MAX_BYTES, &fast, h1), RCM_OK);
    assert_int_equal(rcm_pwhash_verify(h1, big, RCM_PASSWORD_MAX_BYTES), RCM_OK);
    assert_int_equal(rcm_pwhash_verify(h1, big, RCM_PASSWORD_MAX_BYTES + 1), RCM_E_PERM);
}

static void
rehash_and_defaults(void **state)
{
    (void)state;
    struct rcm_pwhash_params def = rcm_pwhash_params_default();
    assert_int_equal(def.opslimit, 2);
    assert_int_equal(def.memlimit_bytes, 64u << 20);
    char h[RCM_PWHASH_STR_BYTES];
    assert_int_equal(rcm_pwhash("pw-long-enough", 14, &fast, h), RCM_OK);
    assert_false(rcm_pwhash_needs_rehash(h, &fast));
    assert_true(rcm_pwhash_needs_rehash(h, &def));
    assert_true(rcm_pwhash_needs_rehash("nonsense", &def));
    assert_int_equal(rcm_pwhash("pw-long-enough", 14, &def, h), RCM_OK);
    assert_non_null(strstr(h, "$m=65536,t=2,p=1$"));
    assert_false(rcm_pwhash_needs_rehash(h, &def));
    assert_int_equal(rcm_pwhash_verify(h, "pw-long-enough", 14), RCM_OK);
    struct rcm_pwhash_params tiny = {0, 1024};
    assert_int_equal(rcm_pwhash("x", 1, &tiny, h), RCM_E_INVAL);
}

RUN_TESTS(cmocka_unit_test(hash_and_verify), cmocka_unit_test(rehash_and_defaults))
