/* NIST SP 800-63B password policy and the shipped common-password list. */
#include <stdio.h>
#include <string.h>

#include "rcm/auth.h"
#include "rcm_test.h"

static struct rcm_pwlist list;

static int
load_list(void **state)
{
    (void)state;
    struct rcm_diag d = RCM_DIAG_INIT;
    return rcm_pwlist_load_embedded(&list, &d) == RCM_OK ? 0 : -1;
}

static int
free_list(void **state)
{
    (void)state;
    rcm_pwlist_release(&list);
    return 0;
}

static enum rcm_pw_verdict
check(const char *pw, bool only_factor, const char *const *ctx, size_t n_ctx)
{
    return rcm_auth_password_check(pw, strlen(pw), only_factor, &list, ctx, n_ctx).verdict;
}

static void
list_is_loaded_and_searchable(void **state)
{
    (void)state;
    assert_true(list.count > 3000);
    assert_true(rcm_pwlist_contains(&list, "password", 8));
    assert_true(rcm_pwlist_contains(&list, "PassWord", 8));        /* case-insensitive */
    assert_true(rcm_pwlist_contains(&list, "123456", 6));
    assert_false(rcm_pwlist_contains(&list, "password\0", 9));
    assert_false(rcm_pwlist_contains(&list, "tr0ub4dor&3-horse-staple", 24));
    /* every entry finds itself (the binary search covers both ends) */
    for (size_t i = 0; i < list.count; i++)
        assert_true(rcm_pwlist_contains(&list, list.entries[i], strlen(list.entries[i])));
    /* the file in data/ and the embedded copy agree */
    struct rcm_pwlist file;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_pwlist_load(RCM_TEST_SOURCE_DIR "/data/auth/common-passwords.txt",
                                     &file, &d), RCM_OK);
    assert_int_equal(file.count, list.count);
    rcm_pwlist_release(&file);
}

static void
list_loader_rejects_bad_files(void **state)
{
    (void)state;
    struct rcm_pwlist l;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_pwlist_load_mem("a\nc\nb\n", 6, &l, &d), RCM_E_PARSE);
    assert_int_equal(d.line, 3);
    assert_null(l.entries);
    assert_int_equal(rcm_pwlist_load_mem("a\na\n", 4, &l, &d), RCM_E_PARSE);
    assert_int_equal(rcm_pwlist_load_mem("a\nB\n", 4, &l, &d), RCM_E_PARSE);
    assert_int_equal(rcm_pwlist_load_mem("a\n\nb\n", 5, &l, &d), RCM_E_PARSE);
    assert_int_equal(rcm_pwlist_load_mem("a\nb\0c\n", 6, &l, &d), RCM_E_PARSE);
    assert_int_equal(rcm_pwlist_load("/nonexistent/list", &l, &d), RCM_E_IO);
    assert_int_equal(rcm_pwlist_load(RCM_TEST_SOURCE_DIR "/data", &l, &d), RCM_E_IO);
    assert_int_equal(rcm_pwlist_load_mem("a\nb", 3, &l, &d), RCM_OK);   /* no final newline */
    assert_int_equal(l.count, 2);
    assert_true(rcm_pwlist_contains(&l, "B", 1));
    rcm_pwlist_release(&l);
    assert_int_equal(rcm_pwlist_load_mem("", 0, &l, &d), RCM_OK);
    assert_int_equal(l.count, 0);
    assert_false(rcm_pwlist_contains(&l, "a", 1));
    rcm_pwlist_release(&l);
}

static void
lengths_in_code_points(void **state)
{
    (void)state;
    /* 8 with MFA, 15 as the only factor */
    assert_int_equal(check("k9#vQ2mz", false, NULL, 0), RCM_PW_OK);
    assert_int_equal(check("k9#vQ2m", false, NULL, 0), RCM_PW_TOO_SHORT);
    assert_int_equal(check("k9#vQ2mzR7pLw4x", true, NULL, 0), RCM_PW_OK);
    assert_int_equal(check("k9#vQ2mzR7pLw4", true, NULL, 0), RCM_PW_TOO_SHORT);
    /* 7 code points in 14 bytes: too short although 14 bytes */
    const char *greek = "\xce\xb1\xce\xb2\xce\xb3\xce\xb4\xce\xb5\xce\xb6\xce\xb7";
    struct rcm_pw_check c = rcm_auth_password_check(greek, strlen(greek), false, &list, NULL, 0);
    assert_int_equal(c.verdict, RCM_PW_TOO_SHORT);
    assert_int_equal(c.codepoints, 7);
    assert_int_equal(c.min_codepoints, 8);
    /* 8 emoji (4 bytes each) are enough */
    char emoji[64] = "";
    for (int i = 0; i < 8; i++)
        strcat(emoji, i % 2 ? "\xf0\x9f\x94\x91" : "\xf0\x9f\x90\xb1");
    assert_int_equal(check(emoji, false, NULL, 0), RCM_PW_OK);
    /* 64 characters accepted, 256 bytes accepted, 257 refused */
    char big[300];
    for (int i = 0; i < 257; i++)
        big[i] = "abcdefghijklmnopqrstuvwxyz0123456789 !?"[(i * 7) % 39];
    big[64] = '\0';
    assert_int_equal(check(big, true, NULL, 0), RCM_PW_OK);
    big[64] = 'q';
    assert_int_equal(rcm_auth_password_check(big, 256, true, &list, NULL, 0).verdict, RCM_PW_OK);
    assert_int_equal(rcm_auth_password_check(big, 257, true, &list, NULL, 0).verdict,
                     RCM_PW_TOO_LONG);
    /* spaces and any printable characters allowed; no composition rules */
    assert_int_equal(check("all lower case words here", true, NULL, 0), RCM_PW_OK);
    assert_int_equal(check("bad\xff utf8 bytes", false, NULL, 0), RCM_PW_NOT_UTF8);
    assert_int_equal(check("tab\there-is-bad", false, NULL, 0), RCM_PW_CONTROL_CHAR);
}

static void
common_context_repetitive_sequential(void **state)
{
    (void)state;
    assert_int_equal(check("password", false, NULL, 0), RCM_PW_COMMON);
    assert_int_equal(check("PASSWORD1", false, NULL, 0), RCM_PW_COMMON);
    assert_int_equal(check("baseball", false, NULL, 0), RCM_PW_COMMON);
    const char *ctx[] = {"jsmith", "Jane.Smith@clinic.example"};
    assert_int_equal(check("jsmith", false, NULL, 0), RCM_PW_TOO_SHORT);
    assert_int_equal(check("my-JSmith-pass", false, ctx, 2), RCM_PW_CONTEXT);
    assert_int_equal(check("jane.smith@clinic.example", true, ctx, 2), RCM_PW_CONTEXT);
    assert_int_equal(check("xx jane.smith 2024!", true, ctx, 2), RCM_PW_CONTEXT);
    assert_int_equal(check("clinic example tree", true, ctx, 2), RCM_PW_OK);
    const char *short_ctx[] = {"bob"};     /* short words only block an exact match */
    assert_int_equal(check("bobcat-lantern", false, short_ctx, 1), RCM_PW_OK);
    assert_int_equal(check("zzzzzzzzzzzzzzzz", true, NULL, 0), RCM_PW_REPETITIVE);
    assert_int_equal(check("abcabcabcabcabcabc", true, NULL, 0), RCM_PW_REPETITIVE);
    assert_int_equal(check("Ab1!Ab1!Ab1!Ab1!", true, NULL, 0), RCM_PW_REPETITIVE);
    assert_int_equal(check("abcdefghijklmnop", true, NULL, 0), RCM_PW_SEQUENTIAL);
    assert_int_equal(check("98765432", false, NULL, 0), RCM_PW_SEQUENTIAL);
    assert_int_equal(check("abcdefgh", false, NULL, 0), RCM_PW_SEQUENTIAL);
    assert_int_equal(check("abcdefghz", false, NULL, 0), RCM_PW_OK);
}

static void
messages_never_contain_the_password(void **state)
{
    (void)state;
    const char *ctx[] = {"jsmith"};
    const char *pws[] = {"short", "baseball", "xx-jsmith-yy", "qqqqqqqq", "12345678",
                         "bad\xffutf8x", "ok-passphrase-here"};
    char msg[160];
    for (size_t i = 0; i < sizeof pws / sizeof *pws; i++) {
        struct rcm_pw_check c = rcm_auth_password_check(pws[i], strlen(pws[i]), false, &list,
                                                        ctx, 1);
        rcm_auth_password_message(&c, msg, sizeof msg);
        assert_true(strlen(msg) > 0);
        assert_null(strstr(msg, pws[i]));
        assert_null(strstr(msg, "jsmith"));
        assert_string_not_equal(rcm_pw_verdict_name(c.verdict), "unknown");
    }
    struct rcm_pw_check c = rcm_auth_password_check("short", 5, true, &list, NULL, 0);
    rcm_auth_password_message(&c, msg, sizeof msg);
    assert_string_equal(msg, "password must be at least 15 characters when it is the only "
                             "sign-in factor");
}

static void
prepare_normalises_nfkc(void **state)
{
    (void)state;
    char a[RCM_PASSWORD_POLICY_MAX_BYTES], b[RCM_PASSWORD_POLICY_MAX_BYTES];
    size_t na, nb;
    /* composed é vs e + combining acute */
    assert_int_equal(rcm_auth_password_prepare("caf\xc3\xa9 au lait", 13, a, &na), RCM_OK);
    assert_int_equal(rcm_auth_password_prepare("cafe\xcc\x81 au lait", 14, b, &nb), RCM_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    assert_int_equal(na, 13);
    /* compatibility forms: full-width letters, the fi ligature */
    assert_int_equal(rcm_auth_password_prepare("\xef\xbc\xa1\xef\xbc\xa2", 6, a, &na), RCM_OK);
    assert_int_equal(na, 2);
    assert_memory_equal(a, "AB", 2);
    assert_int_equal(rcm_auth_password_prepare("\xef\xac\x81", 3, a, &na), RCM_OK);
    assert_memory_equal(a, "fi", 2);
    /* ASCII is unchanged; embedded NUL kept (the policy refuses it) */
    assert_int_equal(rcm_auth_password_prepare("ab\0cd", 5, a, &na), RCM_OK);
    assert_int_equal(na, 5);
    assert_int_equal(rcm_auth_password_prepare("bad\xff", 4, a, &na), RCM_E_PARSE);
    assert_int_equal(na, 0);
    /* U+FDFA expands to 18 code points (33 bytes): 20 of them pass 256 */
    char big[85 * 3];
    for (int i = 0; i < 85; i++)
        memcpy(big + 3 * i, "\xef\xb7\xba", 3);
    assert_int_equal(rcm_auth_password_prepare(big, 60, a, &na), RCM_E_TOO_LARGE);
    /* 85 of them (2,805 bytes normalised) take libunistring's allocation path */
    assert_int_equal(rcm_auth_password_prepare(big, sizeof big, a, &na), RCM_E_TOO_LARGE);
    assert_int_equal(rcm_auth_password_prepare(big, 3, a, &na), RCM_OK);
    assert_int_equal(na, 33);
    /* the policy sees the normalised form: 8 full-width letters = 8 code points */
    const char *fw = "\xef\xbd\x8b\xef\xbd\x99\xef\xbd\x92\xef\xbd\x8f\xef\xbd\x8a"
                     "\xef\xbd\x8f\xef\xbd\x8c\xef\xbd\x8c";      /* ｋｙｒｏｊｏｌｌ */
    struct rcm_pw_check c = rcm_auth_password_check(fw, strlen(fw), false, &list, NULL, 0);
    assert_int_equal(c.verdict, RCM_PW_OK);
    assert_int_equal(c.codepoints, 8);
    /* a full-width spelling of a common password is still common */
    const char *fw_pw = "\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93"
                        "\xef\xbd\x97\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x84";  /* ｐａｓｓｗｏｒｄ */
    assert_int_equal(rcm_auth_password_check(fw_pw, strlen(fw_pw), false, &list, NULL, 0).verdict,
                     RCM_PW_COMMON);
}

RUN_TESTS(cmocka_unit_test_setup_teardown(prepare_normalises_nfkc, load_list, free_list),
          cmocka_unit_test_setup_teardown(list_is_loaded_and_searchable, load_list, free_list),
          cmocka_unit_test(list_loader_rejects_bad_files),
          cmocka_unit_test_setup_teardown(lengths_in_code_points, load_list, free_list),
          cmocka_unit_test_setup_teardown(common_context_repetitive_sequential, load_list,
                                          free_list),
          cmocka_unit_test_setup_teardown(messages_never_contain_the_password, load_list,
                                          free_list))
