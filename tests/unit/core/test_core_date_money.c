/* Calendar dates, ages and money in cents. */
#include <string.h>

#include "rcm/date.h"
#include "rcm/money.h"
#include "rcm_test.h"

static int32_t
iso(const char *s)
{
    int32_t d = 0;
    assert_int_equal(rcm_date_parse_iso(rcm_str_c(s), &d), RCM_OK);
    return d;
}

static void
day_numbers_round_trip(void **state)
{
    (void)state;
    assert_int_equal(iso("1970-01-01"), 0);
    assert_int_equal(iso("2000-03-01") - iso("2000-02-28"), 2);    /* leap century */
    assert_int_equal(iso("1900-03-01") - iso("1900-02-28"), 1);    /* not leap */
    char out[RCM_DATE_ISO_LEN + 1];
    for (int32_t d = -800000; d < 2900000; d += 997) {
        int y, m, dd;
        rcm_date_to_ymd(d, &y, &m, &dd);
        assert_int_equal(rcm_date_from_ymd(y, m, dd), d);
    }
    rcm_date_format_iso(iso("2026-10-01"), out);
    assert_string_equal(out, "2026-10-01");
    char x12[9];
    rcm_date_format_ccyymmdd(iso("2024-02-29"), x12);
    assert_string_equal(x12, "20240229");
}

static void
rejects_impossible_dates(void **state)
{
    (void)state;
    int32_t d;
    assert_int_equal(rcm_date_parse_iso(rcm_str_c("2025-02-29"), &d), RCM_E_RANGE);
    assert_int_equal(rcm_date_parse_iso(rcm_str_c("2024-13-01"), &d), RCM_E_RANGE);
    assert_int_equal(rcm_date_parse_iso(rcm_str_c("2024-04-31"), &d), RCM_E_RANGE);
    assert_int_equal(rcm_date_parse_iso(rcm_str_c("0000-01-01"), &d), RCM_E_RANGE);
    assert_int_equal(rcm_date_parse_iso(rcm_str_c("2024-1-01"), &d), RCM_E_PARSE);
    assert_int_equal(rcm_date_parse_iso(rcm_str_c("2024/01/01"), &d), RCM_E_PARSE);
    assert_int_equal(rcm_date_parse_ccyymmdd(rcm_str_c("20240230"), &d), RCM_E_RANGE);
    assert_int_equal(rcm_date_parse_ccyymmdd(rcm_str_c("2024023"), &d), RCM_E_PARSE);
    assert_int_equal(rcm_date_parse_ccyymmdd(rcm_str_c("20240229"), &d), RCM_OK);
}

static void
ages_count_birthdays(void **state)
{
    (void)state;
    assert_int_equal(rcm_date_age_years(iso("1960-02-01"), iso("2026-02-01")), 66);
    assert_int_equal(rcm_date_age_years(iso("1960-02-02"), iso("2026-02-01")), 65);
    /* Feb 29 birthday: a year older on Mar 1 in common years */
    assert_int_equal(rcm_date_age_years(iso("2000-02-29"), iso("2025-02-28")), 24);
    assert_int_equal(rcm_date_age_years(iso("2000-02-29"), iso("2025-03-01")), 25);
    assert_true(rcm_date_age_years(iso("2026-01-02"), iso("2026-01-01")) < 0);
}

static void
timestamps_format(void **state)
{
    (void)state;
    char out[RCM_TIME_ISO_LEN + 1];
    rcm_time_format_iso(1795377662345LL, out);
    assert_string_equal(out, "2026-11-22T20:01:02.345Z");
    assert_true(rcm_time_now_ms() > 1700000000000LL);
}

static void
money_parses_exact_cents(void **state)
{
    (void)state;
    int64_t c = 0;
    assert_int_equal(rcm_money_parse(rcm_str_c("125"), &c), RCM_OK);
    assert_int_equal(c, 12500);
    assert_int_equal(rcm_money_parse(rcm_str_c("125.5"), &c), RCM_OK);
    assert_int_equal(c, 12550);
    assert_int_equal(rcm_money_parse(rcm_str_c("-0.07"), &c), RCM_OK);
    assert_int_equal(c, -7);
    assert_int_equal(rcm_money_parse(rcm_str_c(".5"), &c), RCM_OK);
    assert_int_equal(c, 50);
    assert_int_equal(rcm_money_parse(rcm_str_c("1.005"), &c), RCM_E_PARSE);
    assert_int_equal(rcm_money_parse(rcm_str_c("1e3"), &c), RCM_E_PARSE);
    assert_int_equal(rcm_money_parse(rcm_str_c("12."), &c), RCM_E_PARSE);
    assert_int_equal(rcm_money_parse(rcm_str_c(""), &c), RCM_E_PARSE);
    assert_int_equal(rcm_money_parse(rcm_str_c("-"), &c), RCM_E_PARSE);
    assert_int_equal(rcm_money_parse(rcm_str_c("99999999999999999999"), &c), RCM_E_RANGE);
}

static void
money_formats(void **state)
{
    (void)state;
    char out[RCM_MONEY_FMT_MAX];
    rcm_money_format(12550, out);
    assert_string_equal(out, "125.50");
    rcm_money_format(-7, out);
    assert_string_equal(out, "-0.07");
    rcm_money_format(INT64_MIN, out);
    assert_string_equal(out, "-92233720368547758.08");
    rcm_money_format_x12(12550, out);
    assert_string_equal(out, "125.5");
    rcm_money_format_x12(12500, out);
    assert_string_equal(out, "125");
    rcm_money_format_x12(-5, out);
    assert_string_equal(out, "-0.05");
    int64_t sum;
    assert_true(rcm_money_add(100, 250, &sum));
    assert_int_equal(sum, 350);
    assert_false(rcm_money_add(INT64_MAX, 1, &sum));
}

RUN_TESTS(cmocka_unit_test(day_numbers_round_trip),
          cmocka_unit_test(rejects_impossible_dates),
          cmocka_unit_test(ages_count_birthdays),
          cmocka_unit_test(timestamps_format),
          cmocka_unit_test(money_parses_exact_cents),
          cmocka_unit_test(money_formats))
