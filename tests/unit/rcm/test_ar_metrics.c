/*
 * test_ar_metrics.c — aging bucket edges, each KPI with its formula and a
 * zero denominator, timely-filing alert levels.
 */
#include "rcm_test.h"
#include "rcm/posting.h"

static void
test_bucket_edges(void **state)
{
    (void)state;
    static const struct { int64_t d; enum rcm_ar_bucket b; } cases[] = {
        {-3, RCM_AR_0_30}, {0, RCM_AR_0_30}, {30, RCM_AR_0_30}, {31, RCM_AR_31_60},
        {60, RCM_AR_31_60}, {61, RCM_AR_61_90}, {90, RCM_AR_61_90}, {91, RCM_AR_91_120},
        {120, RCM_AR_91_120}, {121, RCM_AR_OVER_120}, {5000, RCM_AR_OVER_120},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(rcm_ar_bucket_of_days(cases[i].d), cases[i].b);
    assert_string_equal(rcm_ar_bucket_name(RCM_AR_OVER_120), "120+");
    assert_string_equal(rcm_ar_bucket_name(RCM_AR_31_60), "31-60");
    assert_string_equal(rcm_ar_basis_name(RCM_AR_BASIS_SUBMISSION), "submission");
}

static void
test_age_basis(void **state)
{
    (void)state;
    int32_t age = 0;
    enum rcm_ar_bucket b = RCM_AR_0_30;
    assert_true(rcm_ar_age(RCM_AR_BASIS_SERVICE, 1000, 1050, 1061, &age, &b));
    assert_int_equal(age, 61);
    assert_int_equal(b, RCM_AR_61_90);
    assert_true(rcm_ar_age(RCM_AR_BASIS_SUBMISSION, 1000, 1050, 1061, &age, &b));
    assert_int_equal(age, 11);
    assert_int_equal(b, RCM_AR_0_30);
    age = 7;
    assert_false(rcm_ar_age(RCM_AR_BASIS_SUBMISSION, 1000, RCM_X12_NO_DATE, 1061, &age, &b));
    assert_int_equal(age, 7);
}

static void
kpi(struct rcm_kpi k, bool applicable, int64_t v)
{
    assert_int_equal(k.applicable, applicable);
    assert_int_equal(k.value_x100, v);
}

static void
test_kpis(void **state)
{
    (void)state;
    /* A/R 450,000.00; 90-day gross charges 900,000.00 -> 10,000.00/day -> 45 days */
    kpi(rcm_ar_days_in_ar(45000000, 90000000, 90), true, 4500);
    kpi(rcm_ar_days_in_ar(100, 300, 1), true, 33);          /* 0.333 -> 0.33 */
    kpi(rcm_ar_days_in_ar(200, 300, 1), true, 67);          /* 0.666 -> 0.67 */
    kpi(rcm_ar_days_in_ar(45000000, 0, 90), false, 0);
    kpi(rcm_ar_days_in_ar(45000000, 90000000, 0), false, 0);
    kpi(rcm_ar_clean_claim_rate(951, 1000), true, 9510);
    kpi(rcm_ar_clean_claim_rate(0, 0), false, 0);
    kpi(rcm_ar_first_pass_rate(2, 3), true, 6667);
    kpi(rcm_ar_first_pass_rate(5, 0), false, 0);
    kpi(rcm_ar_denial_rate_count(1, 8), true, 1250);
    kpi(rcm_ar_denial_rate_count(1, 0), false, 0);
    kpi(rcm_ar_denial_rate_count(-1, 8), false, 0);
    kpi(rcm_ar_denial_rate_amount(50000, 1000000), true, 500);
    kpi(rcm_ar_denial_rate_amount(50000, 0), false, 0);
    /* payments 95,000 / (charges 200,000 - contractual 100,000) = 95% */
    kpi(rcm_ar_net_collection_rate(9500000, 20000000, 10000000), true, 9500);
    kpi(rcm_ar_net_collection_rate(100, 5000, 5000), false, 0);
    kpi(rcm_ar_net_collection_rate(100, 5000, 6000), false, 0);
    kpi(rcm_ar_net_collection_rate(-1000, 20000, 10000), true, -1000);
    kpi(rcm_ar_net_collection_rate(1, INT64_MIN, INT64_MAX), false, 0);
    kpi(rcm_ar_clean_claim_rate(INT64_MAX, 1), false, 0);   /* does not fit */
}

static void
test_timely_filing(void **state)
{
    (void)state;
    /* last day to file = 1000 + 90 = 1090 */
    assert_int_equal(rcm_timely_filing_alert(1000, 1059, 90), RCM_TF_NONE);   /* 31 left */
    assert_int_equal(rcm_timely_filing_alert(1000, 1060, 90), RCM_TF_30);     /* 30 left */
    assert_int_equal(rcm_timely_filing_alert(1000, 1075, 90), RCM_TF_30);     /* 15 */
    assert_int_equal(rcm_timely_filing_alert(1000, 1076, 90), RCM_TF_14);     /* 14 */
    assert_int_equal(rcm_timely_filing_alert(1000, 1082, 90), RCM_TF_14);     /* 8 */
    assert_int_equal(rcm_timely_filing_alert(1000, 1083, 90), RCM_TF_7);      /* 7 */
    assert_int_equal(rcm_timely_filing_alert(1000, 1090, 90), RCM_TF_7);      /* last day */
    assert_int_equal(rcm_timely_filing_alert(1000, 1091, 90), RCM_TF_EXPIRED);
    assert_int_equal(rcm_timely_filing_alert(1000, 1091, 0), RCM_TF_NONE);
    assert_int_equal(rcm_timely_filing_alert(RCM_X12_NO_DATE, 1091, 90), RCM_TF_NONE);
    assert_string_equal(rcm_tf_alert_name(RCM_TF_EXPIRED), "expired");
    assert_string_equal(rcm_tf_alert_name(RCM_TF_14), "14");
}

RUN_TESTS(cmocka_unit_test(test_bucket_edges), cmocka_unit_test(test_age_basis),
          cmocka_unit_test(test_kpis), cmocka_unit_test(test_timely_filing))
