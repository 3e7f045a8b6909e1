/* Capped buffers, string slices, strict integers, UTF-8. */
#include <string.h>

#include "rcm/buf.h"
#include "rcm/mem.h"
#include "rcm/str.h"
#include "rcm_test.h"

static void
buf_appends_and_terminates(void **state)
{
    (void)state;
    struct rcm_buf b = RCM_BUF_INIT(100);
    assert_string_equal(rcm_buf_cstr(&b), "");
    assert_int_equal(rcm_buf_addstr(&b, "claim"), RCM_OK);
    assert_int_equal(rcm_buf_addch(&b, '-'), RCM_OK);
    assert_int_equal(rcm_buf_addf(&b, "%d/%s", 42, "x"), RCM_OK);
    assert_string_equal(rcm_buf_cstr(&b), "claim-42/x");
    assert_int_equal(b.len, 10);
    rcm_buf_reset(&b);
    assert_string_equal(rcm_buf_cstr(&b), "");
    rcm_buf_release(&b);
}

static void
buf_refuses_past_cap_and_keeps_content(void **state)
{
    (void)state;
    struct rcm_buf b = RCM_BUF_INIT(8);
    assert_int_equal(rcm_buf_addstr(&b, "12345678"), RCM_OK);   /* exactly the cap */
    assert_int_equal(rcm_buf_addch(&b, '9'), RCM_E_TOO_LARGE);
    assert_int_equal(rcm_buf_addf(&b, "%s", "toolong"), RCM_E_TOO_LARGE);
    assert_string_equal(rcm_buf_cstr(&b), "12345678");
    size_t len;
    char *p = rcm_buf_detach(&b, &len);
    assert_int_equal(len, 8);
    assert_string_equal(p, "12345678");
    assert_null(b.data);
    rcm_free(p);
}

static void
buf_survives_allocation_failure(void **state)
{
    (void)state;
    struct rcm_buf b = RCM_BUF_INIT(1 << 20);
    assert_int_equal(rcm_buf_addstr(&b, "kept"), RCM_OK);
    rcm_alloc_fail_after(1, 0);
    char big[200];
    memset(big, 'x', sizeof big);
    assert_int_equal(rcm_buf_add(&b, big, sizeof big), RCM_E_NOMEM);
    assert_string_equal(rcm_buf_cstr(&b), "kept");
    assert_int_equal(rcm_buf_add(&b, big, sizeof big), RCM_OK);
    assert_int_equal(b.len, 204);
    rcm_buf_release(&b);
}

static void
split_yields_empty_tokens(void **state)
{
    (void)state;
    struct rcm_str rest = rcm_str_c("a,,b,"), tok;
    const char *want[] = {"a", "", "b", ""};
    int n = 0;
    while (rcm_str_split_next(&rest, ',', &tok)) {
        assert_true(n < 4);
        assert_true(rcm_str_eq_c(tok, want[n]));
        n++;
    }
    assert_int_equal(n, 4);
}

static void
strict_integers(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(rcm_str_to_i64(rcm_str_c("8443"), &v), RCM_OK);
    assert_int_equal(v, 8443);
    assert_int_equal(rcm_str_to_i64(rcm_str_c("-9223372036854775808"), &v), RCM_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(rcm_str_to_i64(rcm_str_c("9223372036854775808"), &v), RCM_E_RANGE);
    assert_int_equal(rcm_str_to_i64(rcm_str_c(""), &v), RCM_E_PARSE);
    assert_int_equal(rcm_str_to_i64(rcm_str_c("-"), &v), RCM_E_PARSE);
    assert_int_equal(rcm_str_to_i64(rcm_str_c(" 1"), &v), RCM_E_PARSE);
    assert_int_equal(rcm_str_to_i64(rcm_str_c("+1"), &v), RCM_E_PARSE);
    assert_int_equal(rcm_str_to_i64(rcm_str_c("12a"), &v), RCM_E_PARSE);
}

static void
utf8_validation(void **state)
{
    (void)state;
    assert_true(rcm_utf8_valid("plain", 5));
    assert_true(rcm_utf8_valid("Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
    assert_false(rcm_utf8_valid("\xff", 1));
    assert_false(rcm_utf8_valid("\xc0\xaf", 2));           /* overlong '/' */
    assert_false(rcm_utf8_valid("\xed\xa0\x80", 3));       /* surrogate */
    assert_false(rcm_utf8_valid("\xf4\x90\x80\x80", 4));   /* > U+10FFFF */
    assert_false(rcm_utf8_valid("\xe2\x82", 2));           /* truncated */
    assert_int_equal(rcm_utf8_valid_prefix("ab\xffzz", 5), 2);
}

static void
trim_and_compare(void **state)
{
    (void)state;
    struct rcm_str s = rcm_str_trim(rcm_str_c(" \tApplication/JSON \t"));
    assert_true(rcm_str_case_eq_c(s, "application/json"));
    assert_false(rcm_str_eq_c(s, "application/json"));
    assert_true(rcm_str_starts_with(rcm_str_c("E11.9"), RCM_STR("E11")));
    char small[4];
    assert_false(rcm_str_copy(small, sizeof small, rcm_str_c("E119")));
    assert_string_equal(small, "E11");
}

RUN_TESTS(cmocka_unit_test(buf_appends_and_terminates),
          cmocka_unit_test(buf_refuses_past_cap_and_keeps_content),
          cmocka_unit_test(buf_survives_allocation_failure),
          cmocka_unit_test(split_yields_empty_tokens),
          cmocka_unit_test(strict_integers),
          cmocka_unit_test(utf8_validation),
          cmocka_unit_test(trim_and_compare))
