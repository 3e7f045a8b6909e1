/*
 * ar_metrics.c — A/R aging buckets and the revenue-cycle KPIs over
 * aggregate numbers the caller has summed (the store does the sums; this
 * file only knows the formulas). Definitions follow HFMA's MAP Keys and
 * MGMA's; each function's comment in rcm/posting.h gives its formula.
 *
 * Everything is integer arithmetic: a KPI is its value x100, rounded half
 * away from zero, and "not applicable" when the denominator is zero or
 * negative — never a division by zero, never a NaN.
 */
#include <string.h>

#include "rcm/posting.h"

static const char *const bucket_names[RCM_AR_BUCKET_COUNT] = {
    "0-30", "31-60", "61-90", "91-120", "120+",
};

const char *
rcm_ar_bucket_name(enum rcm_ar_bucket b)
{
    if ((int)b < 0 || b >= RCM_AR_BUCKET_COUNT)
        return "unknown";
    return bucket_names[b];
}

const char *
rcm_ar_basis_name(enum rcm_ar_basis b)
{
    return b == RCM_AR_BASIS_SUBMISSION ? "submission" : "service";
}

enum rcm_ar_bucket
rcm_ar_bucket_of_days(int64_t age_days)
{
    if (age_days <= 30)
        return RCM_AR_0_30;
    if (age_days <= 60)
        return RCM_AR_31_60;
    if (age_days <= 90)
        return RCM_AR_61_90;
    if (age_days <= 120)
        return RCM_AR_91_120;
    return RCM_AR_OVER_120;
}

bool
rcm_ar_age(enum rcm_ar_basis basis, int32_t service_day, int32_t first_submit_day,
           int32_t today, int32_t *age_days, enum rcm_ar_bucket *bucket)
{
    int32_t from = basis == RCM_AR_BASIS_SUBMISSION ? first_submit_day : service_day;
    if (from == RCM_X12_NO_DATE || today == RCM_X12_NO_DATE)
        return false;
    int64_t age = (int64_t)today - from;
    if (age_days)
        *age_days = age > INT32_MAX ? INT32_MAX : age < INT32_MIN ? INT32_MIN : (int32_t)age;
    if (bucket)
        *bucket = rcm_ar_bucket_of_days(age);
    return true;
}

/*
 * num * scale / den, rounded half away from zero, in 128 bits so cents
 * totals of any realistic size cannot overflow; not applicable when
 * den <= 0 or the result does not fit.
 */
__extension__ typedef __int128 i128;

static struct rcm_kpi
ratio(int64_t num, int64_t den, int64_t scale)
{
    struct rcm_kpi k = {false, 0};
    if (den <= 0)
        return k;
    i128 n = (i128)num * scale;
    i128 q = n / den, r = n % den;
    if ((r < 0 ? -r : r) * 2 >= den)
        q += n < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN)
        return k;
    k.applicable = true;
    k.value_x100 = (int64_t)q;
    return k;
}

/* A count or amount that cannot be negative makes the KPI meaningless. */
static struct rcm_kpi
rate(int64_t part, int64_t whole)
{
    if (part < 0)
        return (struct rcm_kpi){false, 0};
    return ratio(part, whole, 10000);   /* percent x100 */
}

struct rcm_kpi
rcm_ar_days_in_ar(int64_t total_ar_cents, int64_t gross_charges_cents, int period_days)
{
    /* total_ar / (charges / period) = total_ar * period / charges */
    if (period_days <= 0 || total_ar_cents < 0)
        return (struct rcm_kpi){false, 0};
    if (total_ar_cents > INT64_MAX / period_days)
        return (struct rcm_kpi){false, 0};
    return ratio(total_ar_cents * period_days, gross_charges_cents, 100);
}

struct rcm_kpi
rcm_ar_clean_claim_rate(int64_t clean_first_pass, int64_t submitted)
{
    return rate(clean_first_pass, submitted);
}

struct rcm_kpi
rcm_ar_first_pass_rate(int64_t paid_first_pass, int64_t adjudicated)
{
    return rate(paid_first_pass, adjudicated);
}

struct rcm_kpi
rcm_ar_denial_rate_count(int64_t denied, int64_t adjudicated)
{
    return rate(denied, adjudicated);
}

struct rcm_kpi
rcm_ar_denial_rate_amount(int64_t denied_cents, int64_t adjudicated_cents)
{
    return rate(denied_cents, adjudicated_cents);
}

/* Payments may be negative in a period of refunds; the rate is then
 * negative too, which is what happened. */
struct rcm_kpi
rcm_ar_net_collection_rate(int64_t payments_cents, int64_t charges_cents,
                           int64_t contractual_cents)
{
    int64_t den;
    if (__builtin_sub_overflow(charges_cents, contractual_cents, &den))
        return (struct rcm_kpi){false, 0};
    return ratio(payments_cents, den, 10000);
}

static const char *const tf_names[] = {"none", "30", "14", "7", "expired"};

const char *
rcm_tf_alert_name(enum rcm_tf_alert a)
{
    if ((int)a < 0 || (size_t)a >= sizeof tf_names / sizeof tf_names[0])
        return "none";
    return tf_names[a];
}

enum rcm_tf_alert
rcm_timely_filing_alert(int32_t service_day, int32_t today, int limit_days)
{
    if (limit_days <= 0 || service_day == RCM_X12_NO_DATE || today == RCM_X12_NO_DATE)
        return RCM_TF_NONE;
    int64_t left = (int64_t)service_day + limit_days - today;   /* days to the last day */
    if (left < 0)
        return RCM_TF_EXPIRED;
    if (left <= 7)
        return RCM_TF_7;
    if (left <= 14)
        return RCM_TF_14;
    if (left <= 30)
        return RCM_TF_30;
    return RCM_TF_NONE;
}
