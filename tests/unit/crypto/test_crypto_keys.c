/* Key ids, master key file, wrapping master → tenant → patient. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm_test.h"

static char dir[256];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/test-keys-XXXXXX", RCM_TEST_BINARY_DIR);
    return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void
key_ids(void **state)
{
    (void)state;
    uint8_t zero[RCM_KEY_BYTES] = {0};
    struct rcm_key a, b;
    rcm_key_from_bytes(&a, zero);
    assert_int_not_equal(a.key_id, 0);
    assert_int_equal(a.key_id, rcm_key_id_of(zero));
    /* id = first 4 bytes of HMAC-SHA-256(key, "openrcm/key-id/v1") */
    uint8_t mac[32];
    rcm_hmac_sha256(zero, 32, "openrcm/key-id/v1", 17, mac);
    assert_int_equal(a.key_id, (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 |
                                   (uint32_t)mac[2] << 8 | mac[3]);
    rcm_key_generate(&b, a.key_id);
    assert_int_not_equal(b.key_id, a.key_id);
    assert_memory_not_equal(a.bytes, b.bytes, 32);
    rcm_key_wipe(&b);
    assert_memory_equal(b.bytes, zero, 32);
    assert_int_equal(b.key_id, 0);
    struct rcm_key *locked = rcm_key_alloc();
    assert_non_null(locked);
    assert_int_equal(locked->key_id, 0);
    rcm_key_generate(locked, 0);
    rcm_key_free(locked);
    rcm_key_free(NULL);
}

static void
master_key_create_and_load(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/master.key", dir);
    struct rcm_key made, loaded;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_master_key_create(path, &made, &d), RCM_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);           /* 64 hex digits + newline */
    assert_int_equal(rcm_master_key_load(path, &loaded, &d), RCM_OK);
    assert_memory_equal(made.bytes, loaded.bytes, 32);
    assert_int_equal(made.key_id, loaded.key_id);
    /* never replaced */
    assert_int_equal(rcm_master_key_create(path, NULL, &d), RCM_E_CONFLICT);
    assert_int_equal(rcm_master_key_load(path, &loaded, &d), RCM_OK);
    assert_memory_equal(made.bytes, loaded.bytes, 32);
    /* no temporary files left behind */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* the key text never appears in the diagnostic */
    char hex[65];
    rcm_hex_encode(made.bytes, 32, hex);
    assert_null(strstr(d.msg, hex));
}

static void
master_key_file_checks(void **state)
{
    (void)state;
    char path[300], link_path[300];
    snprintf(path, sizeof path, "%s/k", dir);
    snprintf(link_path, sizeof link_path, "%s/k-link", dir);
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    struct rcm_key k;
    struct rcm_diag d = RCM_DIAG_INIT;

    write_file(path, hex, 0600);        /* no newline is fine */
    assert_int_equal(rcm_master_key_load(path, &k, &d), RCM_OK);
    assert_int_equal(k.bytes[31], 0x1f);
    write_file(path, hex, 0400);
    assert_int_equal(rcm_master_key_load(path, &k, &d), RCM_OK);
    write_file(path, hex, 0640);
    assert_int_equal(rcm_master_key_load(path, &k, &d), RCM_E_PERM);
    assert_non_null(strstr(d.msg, "0600"));
    assert_int_equal(k.key_id, 0);
    write_file(path, hex, 0604);
    assert_int_equal(rcm_master_key_load(path, &k, &d), RCM_E_PERM);
    /* symlinks refused */
    write_file(path, hex, 0600);
    unlink(link_path);
    assert_int_equal(symlink(path, link_path), 0);
    assert_int_equal(rcm_master_key_load(link_path, &k, &d), RCM_E_PERM);
    /* bad content */
    const char *bad[] = {"", "00", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
                         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00",
                         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
                         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path, bad[i], 0600);
        assert_int_equal(rcm_master_key_load(path, &k, &d), RCM_E_PARSE);
        assert_int_equal(k.key_id, 0);
        assert_null(strstr(d.msg, "0001020304"));
    }
    unlink(path);
    assert_int_equal(rcm_master_key_load(path, &k, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_master_key_load(dir, &k, &d), RCM_E_PERM);  /* directory */
}

static void
wrap_hierarchy(void **state)
{
    (void)state;
    struct rcm_key master, tenant, patient, back;
    rcm_key_generate(&master, 0);
    rcm_key_generate(&tenant, 0);
    rcm_key_generate(&patient, 0);
    char tctx[RCM_KEY_CONTEXT_MAX_LEN + 1], pctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
    assert_int_equal(rcm_key_context_tenant("acme", tctx), RCM_OK);
    assert_string_equal(tctx, "tenant:acme");
    assert_int_equal(rcm_key_context_patient("acme", "p-17", pctx), RCM_OK);
    assert_string_equal(pctx, "patient:acme:p-17");
    assert_int_equal(rcm_key_context_patient("acme", "p:17", pctx), RCM_E_INVAL);
    assert_int_equal(rcm_key_context_tenant("", tctx), RCM_E_INVAL);
    assert_int_equal(rcm_key_context_tenant("acme", tctx), RCM_OK);
    assert_int_equal(rcm_key_context_patient("acme", "p-17", pctx), RCM_OK);

    uint8_t wt[RCM_KEY_WRAPPED_BYTES], wp[RCM_KEY_WRAPPED_BYTES];
    assert_int_equal(rcm_key_wrap(&master, tctx, &tenant, wt), RCM_OK);
    assert_int_equal(rcm_key_wrap(&tenant, pctx, &patient, wp), RCM_OK);
    uint32_t id;
    assert_int_equal(rcm_aead_key_id(wt, sizeof wt, &id), RCM_OK);
    assert_int_equal(id, master.key_id);
    assert_int_equal(rcm_aead_key_id(wp, sizeof wp, &id), RCM_OK);
    assert_int_equal(id, tenant.key_id);

    assert_int_equal(rcm_key_unwrap(&master, tctx, wt, sizeof wt, &back), RCM_OK);
    assert_memory_equal(back.bytes, tenant.bytes, 32);
    assert_int_equal(back.key_id, tenant.key_id);
    assert_int_equal(rcm_key_unwrap(&back, pctx, wp, sizeof wp, &back), RCM_OK);
    assert_memory_equal(back.bytes, patient.bytes, 32);

    /* another tenant's or patient's context: refused, output wiped */
    char other[RCM_KEY_CONTEXT_MAX_LEN + 1];
    assert_int_equal(rcm_key_context_tenant("acme2", other), RCM_OK);
    assert_int_equal(rcm_key_unwrap(&master, other, wt, sizeof wt, &back), RCM_E_CRYPTO);
    assert_int_equal(back.key_id, 0);
    assert_int_equal(rcm_key_context_patient("acme", "p-18", other), RCM_OK);
    assert_int_equal(rcm_key_unwrap(&tenant, other, wp, sizeof wp, &back), RCM_E_CRYPTO);
    /* wrong kek */
    assert_int_equal(rcm_key_unwrap(&tenant, tctx, wt, sizeof wt, &back), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_key_unwrap(&master, tctx, wt, sizeof wt - 1, &back), RCM_E_PARSE);
    wt[20] ^= 1;
    assert_int_equal(rcm_key_unwrap(&master, tctx, wt, sizeof wt, &back), RCM_E_CRYPTO);
    wt[20] ^= 1;

    /* rotation: a new master key re-wraps the same tenant key */
    struct rcm_key master2;
    rcm_key_generate(&master2, master.key_id);
    assert_int_equal(rcm_key_unwrap(&master, tctx, wt, sizeof wt, &back), RCM_OK);
    assert_int_equal(rcm_key_wrap(&master2, tctx, &back, wt), RCM_OK);
    assert_int_equal(rcm_aead_key_id(wt, sizeof wt, &id), RCM_OK);
    assert_int_equal(id, master2.key_id);
    assert_int_equal(rcm_key_unwrap(&master2, tctx, wt, sizeof wt, &back), RCM_OK);
    assert_memory_equal(back.bytes, tenant.bytes, 32);
    /* data sealed under the patient key is untouched by the rotation */

    /* the rotation hook: old → new, idempotent on already-rotated rows */
    struct rcm_key master3;
    rcm_key_generate(&master3, master2.key_id);
    uint8_t r1[RCM_KEY_WRAPPED_BYTES], r2[RCM_KEY_WRAPPED_BYTES];
    assert_int_equal(rcm_key_rewrap(&master2, &master3, tctx, wt, sizeof wt, r1), RCM_OK);
    assert_int_equal(rcm_aead_key_id(r1, sizeof r1, &id), RCM_OK);
    assert_int_equal(id, master3.key_id);
    assert_int_equal(rcm_key_rewrap(&master2, &master3, tctx, r1, sizeof r1, r2), RCM_OK);
    assert_memory_equal(r1, r2, sizeof r1);
    assert_int_equal(rcm_key_unwrap(&master3, tctx, r2, sizeof r2, &back), RCM_OK);
    assert_memory_equal(back.bytes, tenant.bytes, 32);
    /* wrong context or a key neither old nor new: refused, output wiped */
    assert_int_equal(rcm_key_rewrap(&master2, &master3, other, wt, sizeof wt, r1), RCM_E_CRYPTO);
    for (size_t i = 0; i < sizeof r1; i++)
        assert_int_equal(r1[i], 0);
    assert_int_equal(rcm_key_rewrap(&master, &master3, tctx, wt, sizeof wt, r1), RCM_E_NOT_FOUND);
}

RUN_TESTS(cmocka_unit_test(key_ids),
          cmocka_unit_test_setup_teardown(master_key_create_and_load, setup, teardown),
          cmocka_unit_test_setup_teardown(master_key_file_checks, setup, teardown),
          cmocka_unit_test(wrap_hierarchy))
