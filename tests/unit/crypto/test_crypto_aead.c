/* AES-256-GCM field envelope and canonical AAD. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm_test.h"

static const char field[] = "Doe^Jane^1980-02-29^member W123456789";

static void
make_aad(uint8_t *aad, size_t *n, const char *row)
{
    assert_int_equal(rcm_aead_aad_build("t1", "patient", "name", row, aad,
                                        RCM_AEAD_AAD_MAX_BYTES, n), RCM_OK);
}

static size_t
seal_field(const struct rcm_key *k, uint8_t *env, size_t cap)
{
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len, len;
    make_aad(aad, &aad_len, "42");
    assert_int_equal(rcm_aead_seal(k, aad, aad_len, (const uint8_t *)field, sizeof field - 1,
                                   env, cap, &len), RCM_OK);
    return len;
}

static bool
contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void
round_trip_and_format(void **state)
{
    (void)state;
    struct rcm_key k;
    rcm_key_generate(&k, 0);
    uint8_t env[256], out[256], aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len, len, env_len = seal_field(&k, env, sizeof env);
    assert_int_equal(env_len, sizeof field - 1 + 33);
    assert_int_equal(env[0], 1);
    uint32_t id;
    assert_int_equal(rcm_aead_key_id(env, env_len, &id), RCM_OK);
    assert_int_equal(id, k.key_id);
    assert_int_equal(env[1], (k.key_id >> 24) & 0xff);     /* big-endian */
    assert_int_equal(env[4], k.key_id & 0xff);
    assert_false(contains(env, env_len, "Jane"));
    make_aad(aad, &aad_len, "42");
    assert_int_equal(rcm_aead_open(&k, aad, aad_len, env, env_len, out, sizeof out, &len),
                     RCM_OK);
    assert_int_equal(len, sizeof field - 1);
    assert_memory_equal(out, field, len);
    /* two seals of the same value differ (random nonce) */
    uint8_t env2[256];
    seal_field(&k, env2, sizeof env2);
    assert_memory_not_equal(env + 5, env2 + 5, 12);
    /* empty plaintext works */
    assert_int_equal(rcm_aead_seal(&k, NULL, 0, NULL, 0, env2, sizeof env2, &len), RCM_OK);
    assert_int_equal(len, 33);
    assert_int_equal(rcm_aead_open(&k, NULL, 0, env2, len, out, sizeof out, &len), RCM_OK);
    assert_int_equal(len, 0);
    assert_int_equal(rcm_aead_open(&k, NULL, 0, env2, 33, NULL, 0, &len), RCM_OK);
}

static void
every_bit_flip_fails(void **state)
{
    (void)state;
    struct rcm_key k;
    rcm_key_generate(&k, 0);
    uint8_t env[256], out[256], aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len, len, env_len = seal_field(&k, env, sizeof env);
    make_aad(aad, &aad_len, "42");
    for (size_t bit = 0; bit < env_len * 8; bit++) {
        env[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        memset(out, 0xAA, sizeof out);
        len = 99;
        enum rcm_err err = rcm_aead_open(&k, aad, aad_len, env, env_len, out, sizeof out, &len);
        assert_int_not_equal(err, RCM_OK);
        if (bit < 8)
            assert_int_equal(err, RCM_E_UNSUPPORTED);
        else if (bit < 40)
            assert_int_equal(err, RCM_E_NOT_FOUND);
        else
            assert_int_equal(err, RCM_E_CRYPTO);
        assert_int_equal(len, 0);
        assert_true(all_zero(out, sizeof out));
        env[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(rcm_aead_open(&k, aad, aad_len, env, env_len, out, sizeof out, &len), RCM_OK);
}

static void
wrong_aad_key_and_truncation_fail(void **state)
{
    (void)state;
    struct rcm_key k, other;
    rcm_key_generate(&k, 0);
    rcm_key_generate(&other, k.key_id);
    uint8_t env[256], out[256], aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len, len, env_len = seal_field(&k, env, sizeof env);

    /* another row, column, table, tenant: each rejected */
    const char *cells[][4] = {{"t1", "patient", "name", "43"}, {"t1", "patient", "ssn", "42"},
                              {"t1", "claim", "name", "42"}, {"t2", "patient", "name", "42"}};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rcm_aead_aad_build(cells[i][0], cells[i][1], cells[i][2], cells[i][3],
                                            aad, sizeof aad, &aad_len), RCM_OK);
        memset(out, 0x55, sizeof out);
        assert_int_equal(rcm_aead_open(&k, aad, aad_len, env, env_len, out, sizeof out, &len),
                         RCM_E_CRYPTO);
        assert_true(all_zero(out, sizeof out));
    }
    make_aad(aad, &aad_len, "42");
    /* a key with another id: refused before decrypting */
    assert_int_equal(rcm_aead_open(&other, aad, aad_len, env, env_len, out, sizeof out, &len),
                     RCM_E_NOT_FOUND);
    /* a different key that claims the same id: authentication fails */
    struct rcm_key forged = other;
    forged.key_id = k.key_id;
    assert_int_equal(rcm_aead_open(&forged, aad, aad_len, env, env_len, out, sizeof out, &len),
                     RCM_E_CRYPTO);
    /* every truncation fails */
    for (size_t n = 0; n < env_len; n++) {
        memset(out, 0x55, sizeof out);
        enum rcm_err err = rcm_aead_open(&k, aad, aad_len, env, n, out, sizeof out, &len);
        assert_true(err == RCM_E_PARSE || err == RCM_E_CRYPTO);
        assert_true(all_zero(out, sizeof out));
    }
    /* output too small: refused and wiped */
    memset(out, 0x55, 8);
    assert_int_equal(rcm_aead_open(&k, aad, aad_len, env, env_len, out, 8, &len), RCM_E_TOO_LARGE);
    assert_true(all_zero(out, 8));
    assert_int_equal(rcm_aead_seal(&k, aad, aad_len, (const uint8_t *)field, sizeof field - 1,
                                   env, sizeof field - 1 + 32, &len), RCM_E_TOO_LARGE);
}

static void
aad_is_canonical_and_validated(void **state)
{
    (void)state;
    uint8_t a[RCM_AEAD_AAD_MAX_BYTES], b[RCM_AEAD_AAD_MAX_BYTES];
    size_t na, nb;
    assert_int_equal(rcm_aead_aad_build("t1", "patient", "name", "42", a, sizeof a, &na), RCM_OK);
    assert_int_equal(na, 10 + 4 + 2 + 7 + 4 + 2);
    assert_memory_equal(a, "rcm-aad-v1\x02t1\x07patient\x04name\x02" "42", na);
    /* length prefixes keep "ab"+"c" and "a"+"bc" apart */
    assert_int_equal(rcm_aead_aad_build("t1", "ab", "c", "1", a, sizeof a, &na), RCM_OK);
    assert_int_equal(rcm_aead_aad_build("t1", "a", "bc", "1", b, sizeof b, &nb), RCM_OK);
    assert_int_equal(na, nb);
    assert_memory_not_equal(a, b, na);
    assert_int_equal(rcm_aead_aad_build("", "t", "c", "1", a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_aead_aad_build("t:1", "t", "c", "1", a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_aead_aad_build("t1", "Patient", "c", "1", a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_aead_aad_build("t1", "t", "c;drop", "1", a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_aead_aad_build("t1", "t", "c", "1", a, 10, &na), RCM_E_TOO_LARGE);
    char long_id[RCM_ID_MAX_LEN + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(rcm_aead_aad_build(long_id, "t", "c", "1", a, sizeof a, &na), RCM_E_INVAL);
    long_id[RCM_ID_MAX_LEN] = '\0';
    assert_int_equal(rcm_aead_aad_build(long_id, "t", "c", "1", a, sizeof a, &na), RCM_OK);
}

static void
nonces_unique_across_fork(void **state)
{
    (void)state;
    struct rcm_key k;
    rcm_key_generate(&k, 0);
    uint8_t env[64];
    size_t len;
    /* fill this thread's nonce pool, then fork: parent and child must not
     * hand out the same next nonce */
    assert_int_equal(rcm_aead_seal(&k, NULL, 0, (const uint8_t *)"x", 1, env, sizeof env, &len),
                     RCM_OK);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t n;
        uint8_t e[64];
        int ok = rcm_aead_seal(&k, NULL, 0, (const uint8_t *)"x", 1, e, sizeof e, &n) == RCM_OK &&
                 write(fds[1], e + 5, 12) == 12;
        _exit(ok ? 0 : 1);
    }
    uint8_t child_nonce[12];
    assert_int_equal(read(fds[0], child_nonce, 12), 12);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(rcm_aead_seal(&k, NULL, 0, (const uint8_t *)"x", 1, env, sizeof env, &len),
                     RCM_OK);
    assert_memory_not_equal(env + 5, child_nonce, 12);
    /* and many seals in one thread never repeat a nonce */
    enum { N = 1000 };
    static uint8_t seen[N][12];
    for (int i = 0; i < N; i++) {
        assert_int_equal(rcm_aead_seal(&k, NULL, 0, NULL, 0, env, sizeof env, &len), RCM_OK);
        memcpy(seen[i], env + 5, 12);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(seen[i], seen[j], 12);
    }
}

RUN_TESTS(cmocka_unit_test(nonces_unique_across_fork), cmocka_unit_test(round_trip_and_format), cmocka_unit_test(every_bit_flip_fails),
          cmocka_unit_test(wrong_aad_key_and_truncation_fail),
          cmocka_unit_test(aad_is_canonical_and_validated))
