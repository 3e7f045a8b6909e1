/*
 * test_remit_denial.c — CARC categories and workability, the table against
 * the shipped CARC code list, appeal deadlines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm_test.h"
#include "rcm/posting.h"

static void
test_categories(void **state)
{
    (void)state;
    static const struct {
        const char *group, *carc;
        enum rcm_denial_category cat;
    } cases[] = {
        {"CO", "27", RCM_DENIAL_ELIGIBILITY}, {"CO", "109", RCM_DENIAL_ELIGIBILITY},
        {"CO", "22", RCM_DENIAL_ELIGIBILITY}, {"CO", "197", RCM_DENIAL_AUTHORIZATION},
        {"CO", "15", RCM_DENIAL_AUTHORIZATION}, {"CO", "16", RCM_DENIAL_CODING},
        {"CO", "4", RCM_DENIAL_CODING}, {"CO", "182", RCM_DENIAL_CODING},
        {"CO", "29", RCM_DENIAL_TIMELY_FILING}, {"OA", "18", RCM_DENIAL_DUPLICATE},
        {"CO", "50", RCM_DENIAL_MEDICAL_NECESSITY}, {"CO", "151", RCM_DENIAL_MEDICAL_NECESSITY},
        {"CO", "45", RCM_DENIAL_CONTRACTUAL}, {"CO", "253", RCM_DENIAL_CONTRACTUAL},
        {"PR", "1", RCM_DENIAL_PATIENT_RESPONSIBILITY},
        {"PR", "2", RCM_DENIAL_PATIENT_RESPONSIBILITY},
        {"PR", "3", RCM_DENIAL_PATIENT_RESPONSIBILITY},
        {"PR", "ZZZ", RCM_DENIAL_PATIENT_RESPONSIBILITY}, {"CO", "ZZZ", RCM_DENIAL_OTHER},
        {NULL, NULL, RCM_DENIAL_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum rcm_denial_category got = rcm_denial_category(cases[i].group, cases[i].carc);
        if (got != cases[i].cat)
            fail_msg("%s-%s: got %s", cases[i].group ? cases[i].group : "",
                     cases[i].carc ? cases[i].carc : "", rcm_denial_category_name(got));
    }
    assert_string_equal(rcm_denial_category_name(RCM_DENIAL_TIMELY_FILING), "timely_filing");
    assert_string_equal(rcm_denial_category_name((enum rcm_denial_category)99), "other");
}

static void
test_workable(void **state)
{
    (void)state;
    assert_false(rcm_denial_is_workable("CO", "45", 100));   /* contractual */
    assert_false(rcm_denial_is_workable("PR", "1", 100));    /* deductible */
    assert_false(rcm_denial_is_workable("PR", "2", 100));
    assert_true(rcm_denial_is_workable("CO", "50", 100));
    assert_true(rcm_denial_is_workable("CO", "16", 100));
    assert_true(rcm_denial_is_workable("PR", "27", 100));    /* coverage ended */
    assert_true(rcm_denial_is_workable("OA", "18", 100));
    assert_false(rcm_denial_is_workable("CO", "50", 0));
    assert_false(rcm_denial_is_workable("CO", "50", -100));  /* a reversal */
    assert_false(rcm_denial_is_workable("CR", "16", 100));
}

/* Every code of the table is in the shipped code list, with a reason. */
static void
test_table_in_code_list(void **state)
{
    (void)state;
    FILE *f = fopen(RCM_TEST_SOURCE_DIR "/data/codesets/carc/carc_codes_candid_ruby.tsv", "r");
    assert_non_null(f);
    static char list[8192];
    size_t n = fread(list + 1, 1, sizeof list - 2, f);
    fclose(f);
    list[0] = '\n';
    list[n + 1] = 0;
    const char *carc, *reason;
    enum rcm_denial_category cat;
    size_t rows = 0;
    for (size_t i = 0; rcm_denial_carc_at(i, &carc, &cat, &reason); i++, rows++) {
        char needle[16];
        snprintf(needle, sizeof needle, "\n%s\n", carc);
        if (!strstr(list, needle))
            fail_msg("CARC %s is not in the shipped list", carc);
        assert_true(reason[0] != 0);
        assert_ptr_equal(rcm_denial_carc_reason(carc), reason);
        for (size_t j = 0; j < i; j++) {
            const char *other;
            assert_true(rcm_denial_carc_at(j, &other, NULL, NULL));
            if (strcmp(other, carc) == 0)
                fail_msg("CARC %s twice in the table", carc);
        }
    }
    assert_true(rows > 50);
    assert_string_equal(rcm_denial_carc_reason("1"), "deductible");
    assert_null(rcm_denial_carc_reason("ZZZ"));
    assert_null(rcm_denial_carc_reason(NULL));
}

static void
test_appeal_deadline(void **state)
{
    (void)state;
    assert_int_equal(rcm_appeal_deadline(20000, 0), 20000 + RCM_APPEAL_DAYS_DEFAULT);
    assert_int_equal(rcm_appeal_deadline(20000, -5), 20180);
    assert_int_equal(rcm_appeal_deadline(20000, RCM_APPEAL_DAYS_MEDICARE), 20120);
    assert_int_equal(rcm_appeal_deadline(20000, 60), 20060);
    assert_int_equal(rcm_appeal_deadline(RCM_X12_NO_DATE, 60), RCM_X12_NO_DATE);
    assert_int_equal(rcm_appeal_deadline(INT32_MAX - 1, 60), INT32_MAX);
}

RUN_TESTS(cmocka_unit_test(test_categories), cmocka_unit_test(test_workable),
          cmocka_unit_test(test_table_in_code_list), cmocka_unit_test(test_appeal_deadline))
