/* Blind indexes: key derivation, normalisers, determinism. */
#include <string.h>

#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm_test.h"

static void
norm_id(void **state)
{
    (void)state;
    char out[64];
    size_t n;
    assert_int_equal(rcm_blind_norm_id(" w12-345.67/8a\t", 15, out, sizeof out, &n), RCM_OK);
    assert_string_equal(out, "W12345678A");
    assert_int_equal(n, 10);
    assert_int_equal(rcm_blind_norm_id("00123", 5, out, sizeof out, &n), RCM_OK);
    assert_string_equal(out, "00123");      /* leading zeros kept */
    assert_int_equal(rcm_blind_norm_id("12#3", 4, out, sizeof out, &n), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_id(" - ", 3, out, sizeof out, &n), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_id("\xc3\xa9", 2, out, sizeof out, &n), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_id("123456", 6, out, 4, &n), RCM_E_TOO_LARGE);
}

static void
norm_name_dob(void **state)
{
    (void)state;
    char a[RCM_BLIND_NORM_MAX_BYTES], b[RCM_BLIND_NORM_MAX_BYTES];
    size_t na, nb;
    int32_t dob = rcm_date_from_ymd(1980, 2, 29);
    assert_int_equal(rcm_blind_norm_name_dob("O'Brien-Smith", "Zoë", dob, a, sizeof a, &na),
                     RCM_OK);
    assert_string_equal(a, "obriensmith|zoe|1980-02-29");
    /* same person typed differently: case, spaces, apostrophe ’, NFD diacritics */
    assert_int_equal(rcm_blind_norm_name_dob("  o\xe2\x80\x99" "brien smith ", "ZOe\xcc\x88", dob,
                                             b, sizeof b, &nb), RCM_OK);
    assert_string_equal(a, b);
    assert_int_equal(rcm_blind_norm_name_dob("Stra\xc3\x9f" "e", "\xc3\x86" "sa", dob, a,
                                             sizeof a, &na), RCM_OK);
    assert_string_equal(a, "strasse|aesa|1980-02-29");
    assert_int_equal(rcm_blind_norm_name_dob("\xc5\x81\xc3\xb3" "d\xc5\xba", "\xc3\x98yvind", dob,
                                             a, sizeof a, &na), RCM_OK);
    assert_string_equal(a, "lodz|oyvind|1980-02-29");
    /* other scripts kept as they are */
    assert_int_equal(rcm_blind_norm_name_dob("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "Li", dob, a,
                                             sizeof a, &na), RCM_OK);
    assert_string_equal(a, "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd|li|1980-02-29");
    /* errors */
    assert_int_equal(rcm_blind_norm_name_dob("-", "x", dob, a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_name_dob("x", "\xff", dob, a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_name_dob("x", NULL, dob, a, sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_name_dob("x", "y", rcm_date_from_ymd(1700, 1, 1), a,
                                             sizeof a, &na), RCM_E_INVAL);
    assert_int_equal(rcm_blind_norm_name_dob("abcdef", "y", dob, a, 8, &na), RCM_E_TOO_LARGE);
}

static void
index_keys_and_values(void **state)
{
    (void)state;
    struct rcm_key tenant, other, k_member, k_mrn, k_member2, k_other;
    rcm_key_generate(&tenant, 0);
    rcm_key_generate(&other, 0);
    assert_int_equal(rcm_blind_key_derive(&tenant, RCM_BLIND_MEMBER_ID, &k_member), RCM_OK);
    assert_int_equal(rcm_blind_key_derive(&tenant, RCM_BLIND_MRN, &k_mrn), RCM_OK);
    assert_int_equal(rcm_blind_key_derive(&tenant, RCM_BLIND_MEMBER_ID, &k_member2), RCM_OK);
    assert_int_equal(rcm_blind_key_derive(&other, RCM_BLIND_MEMBER_ID, &k_other), RCM_OK);
    assert_memory_equal(k_member.bytes, k_member2.bytes, 32);     /* deterministic */
    assert_memory_not_equal(k_member.bytes, k_mrn.bytes, 32);     /* per kind */
    assert_memory_not_equal(k_member.bytes, k_other.bytes, 32);   /* per tenant */
    assert_memory_not_equal(k_member.bytes, tenant.bytes, 32);    /* never the tenant key */
    assert_int_equal(rcm_blind_key_derive(&tenant, (enum rcm_blind_kind)9, &k_other),
                     RCM_E_INVAL);

    uint8_t i1[RCM_BLIND_INDEX_BYTES], i2[RCM_BLIND_INDEX_BYTES], i3[RCM_BLIND_INDEX_BYTES];
    char n1[64], n2[64];
    size_t l1, l2;
    assert_int_equal(rcm_blind_norm_id("W123-456", 8, n1, sizeof n1, &l1), RCM_OK);
    assert_int_equal(rcm_blind_norm_id("w123456", 7, n2, sizeof n2, &l2), RCM_OK);
    rcm_blind_index(&k_member, n1, l1, i1);
    rcm_blind_index(&k_member, n2, l2, i2);
    assert_memory_equal(i1, i2, sizeof i1);         /* same value matches */
    rcm_blind_index(&k_mrn, n1, l1, i3);
    assert_memory_not_equal(i1, i3, sizeof i1);     /* same text, other kind */
    /* = truncated HMAC-SHA-256 */
    uint8_t mac[32];
    rcm_hmac_sha256(k_member.bytes, 32, n1, l1, mac);
    assert_memory_equal(i1, mac, RCM_BLIND_INDEX_BYTES);
}

static void
hkdf_matches_rfc5869_construction(void **state)
{
    (void)state;
    /* HKDF-SHA-256 computed by hand with HMAC: PRK = HMAC(salt, IKM),
     * OKM = HMAC(PRK, info | 0x01) for 32 bytes. */
    struct rcm_key tenant, derived;
    uint8_t ikm[32];
    for (int i = 0; i < 32; i++)
        ikm[i] = (uint8_t)i;
    rcm_key_from_bytes(&tenant, ikm);
    assert_int_equal(rcm_blind_key_derive(&tenant, RCM_BLIND_MRN, &derived), RCM_OK);
    uint8_t prk[32], okm[32];
    const char *salt = "openrcm/blind-index/v1";
    rcm_hmac_sha256((const uint8_t *)salt, strlen(salt), ikm, 32, prk);
    uint8_t msg[2] = {'2', 1};
    rcm_hmac_sha256(prk, 32, msg, 2, okm);
    assert_memory_equal(derived.bytes, okm, 32);
}

RUN_TESTS(cmocka_unit_test(norm_id), cmocka_unit_test(norm_name_dob),
          cmocka_unit_test(index_keys_and_values),
          cmocka_unit_test(hkdf_matches_rfc5869_construction))
