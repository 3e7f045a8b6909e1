/*
 * rcm/posting.h — the pure posting engine of the revenue cycle: what an 835
 * claim payment does to a stored claim (the posting plan), what kind of
 * denial an adjustment is and whether someone can act on it, appeal
 * deadlines, A/R aging buckets and the A/R key performance indicators.
 *
 * No SQL, no HTTP, no allocation: every function works on caller-provided
 * structs, bounded by RCM_X12_MAX_LINES lines and RCM_POST_MAX_FINDINGS
 * findings. Amounts are int64 cents, dates int32 days since 1970
 * (RCM_X12_NO_DATE when absent). Plans hold no patient name or id; their
 * findings carry codes and amounts only.
 */
#ifndef RCM_POSTING_H
#define RCM_POSTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/x12.h"

/* ------------------------------------------------------------ denials */

/*
 * What an adjustment (CAS group + CARC) is about. "eligibility" covers
 * eligibility and coverage (not insured, coverage ended, service not in the
 * plan, other payer primary); "coding" covers coding and missing or invalid
 * claim information; "contractual" is an expected reduction that is not a
 * denial (CO-45 fee schedule, sequestration, multiple-procedure rules).
 */
enum rcm_denial_category {
    RCM_DENIAL_OTHER = 0,
    RCM_DENIAL_ELIGIBILITY,
    RCM_DENIAL_AUTHORIZATION,
    RCM_DENIAL_CODING,
    RCM_DENIAL_TIMELY_FILING,
    RCM_DENIAL_DUPLICATE,
    RCM_DENIAL_MEDICAL_NECESSITY,
    RCM_DENIAL_CONTRACTUAL,
    RCM_DENIAL_PATIENT_RESPONSIBILITY,
    RCM_DENIAL_CATEGORY_COUNT
};

/* Stable name ("medical_necessity"); "other" for a value out of range. */
const char *rcm_denial_category_name(enum rcm_denial_category c);

/*
 * Category of an adjustment. The CARC decides (table in remit_denial.c);
 * a CARC not in the table is patient_responsibility under group PR and
 * other under any other group. `group` and `carc` may be NULL (= "").
 */
enum rcm_denial_category rcm_denial_category(const char *group, const char *carc);

/*
 * Does the adjustment make a worklist item — a denial or reduction the
 * practice can act on (correct, appeal, bill another payer)? Not for
 * contractual reductions (CO-45 …) nor patient responsibility (PR-1/2/3
 * deductible, coinsurance, co-payment), nor for a zero or credit amount
 * (callers pass the amount; pass 1 when it does not matter).
 */
bool rcm_denial_is_workable(const char *group, const char *carc, int64_t amount_cents);

/*
 * openrcm's own one-line reason for a CARC in its table ("deductible"),
 * or NULL when the code is not in it. The X12 code texts are not shipped
 * (data/codesets/PROVENANCE.md: X12 owns them); these are paraphrases to
 * label a worklist, not the official descriptions.
 */
const char *rcm_denial_carc_reason(const char *carc);

/* The table, for listings and tests: row i (false past the end). */
bool rcm_denial_carc_at(size_t i, const char **carc, enum rcm_denial_category *cat,
                        const char **reason);

/*
 * Appeal deadlines. payer_appeal_days <= 0 takes RCM_APPEAL_DAYS_DEFAULT:
 * 180 days, the minimum a group health plan must give for an appeal of an
 * adverse benefit determination (29 CFR 2560.503-1(h)(3)(i), applied to
 * non-grandfathered plans by 45 CFR 147.136) and what most commercial
 * payer contracts use. Medicare Part A/B redetermination is 120 days from
 * receipt of the initial determination (42 CFR 405.942), receipt presumed
 * 5 days after the notice date: configure such a payer with 125 counted
 * from the remittance date. Returns denial_day + days, or RCM_X12_NO_DATE
 * when denial_day is.
 */
#define RCM_APPEAL_DAYS_DEFAULT 180
#define RCM_APPEAL_DAYS_MEDICARE 120
int32_t rcm_appeal_deadline(int32_t denial_day, int payer_appeal_days);

/* ------------------------------------------------------- posting plan */

/* One stored claim line, as the caller's store holds it. */
struct rcm_post_line {
    int64_t id;
    int line_no;
    char procedure[49];
    char modifiers[4][3];
    int64_t charge_cents;
    int64_t units_milli;
    int32_t service_date_days;
    char control[31];        /* sent in 2400 REF*6R; "" = "L<id>" */
};

/* How an SVC was matched to a stored line (tried in this order). */
enum rcm_post_match {
    RCM_POST_MATCH_NONE = 0,
    RCM_POST_MATCH_CONTROL,      /* REF*6R equals the line's control number */
    RCM_POST_MATCH_EXACT,        /* procedure + the same modifier set (any order) */
    RCM_POST_MATCH_ORIGINAL,     /* SVC06 (billed procedure + modifiers) did */
    RCM_POST_MATCH_PROCEDURE,    /* procedure alone: the only unmatched line with it */
};
const char *rcm_post_match_name(enum rcm_post_match m);

/* CAS groups, as indexes of the per-group sums. */
enum rcm_adj_group {
    RCM_ADJ_CO = 0,   /* contractual obligation */
    RCM_ADJ_PR,       /* patient responsibility */
    RCM_ADJ_OA,       /* other adjustment */
    RCM_ADJ_PI,       /* payer initiated reduction */
    RCM_ADJ_CR,       /* correction and reversal */
    RCM_ADJ_GROUP_COUNT
};
/* Index of a CAS01 code; false for anything else. */
bool rcm_adj_group_from_code(const char *code, enum rcm_adj_group *out);

/* One adjustment of the plan, signed for posting, with its category. */
struct rcm_post_adj {
    char group[3];
    char carc[6];
    int64_t amount_cents;
    enum rcm_denial_category category;
    bool workable;
};

/* The plan for one SVC of the claim payment. */
struct rcm_post_line_result {
    int svc_index;           /* index in pay->lines */
    int line_index;          /* index in the stored lines, -1 = unmatched */
    int64_t line_id;         /* the stored line's id, 0 = unmatched */
    enum rcm_post_match match;
    bool reversal;           /* negative line: undoes an earlier posting */
    int64_t charge_cents;    /* SVC02 */
    int64_t paid_cents;      /* SVC03 */
    bool has_allowed;
    int64_t allowed_cents;   /* AMT*B6 */
    int64_t group_cents[RCM_ADJ_GROUP_COUNT];  /* CAS sums by group */
    int64_t other_group_cents;                 /* CAS with an unknown group */
    int64_t patient_resp_cents;                /* = group_cents[RCM_ADJ_PR] */
    int64_t workable_cents;                    /* sum of workable adjustments */
    int n_adj;
    struct rcm_post_adj adj[RCM_X12_MAX_ADJ];
    int n_remarks;
    char remarks[RCM_X12_MAX_REMARKS][RCM_X12_REMARK_MAX];
};

/*
 * Claim outcome, from the amounts and CLP02:
 *   paid_full       paid > 0; nothing left but contractual adjustments
 *   paid_partial    paid > 0; something left to the patient or denied
 *   denied          paid 0 and CLP02 = 4 or a workable (denial) adjustment
 *   patient_resp    paid 0, no denial: everything is the patient's (deductible)
 *   zero_paid       paid 0, neither denied nor patient responsibility
 *   reversal        CLP02 = 22: the amounts undo an earlier posting
 *   not_ours        CLP02 = 23: not our claim, forwarded
 *   predetermination CLP02 = 25: pricing only, no payment
 * Whether the claim went on to another payer (CLP02 19/20/21/23) and as
 * which payer this one processed it (1/2/3) are separate fields, because a
 * forwarded claim is also paid or denied here.
 */
enum rcm_post_outcome {
    RCM_POST_PAID_FULL = 1,
    RCM_POST_PAID_PARTIAL,
    RCM_POST_DENIED,
    RCM_POST_PATIENT_RESP,
    RCM_POST_ZERO_PAID,
    RCM_POST_REVERSAL,
    RCM_POST_NOT_OURS,
    RCM_POST_PREDETERMINATION,
};
const char *rcm_post_outcome_name(enum rcm_post_outcome o);

enum rcm_post_severity {
    RCM_POST_ERROR = 1,      /* do not post automatically */
    RCM_POST_WARNING,        /* post, and show it for review */
};

/*
 * One finding. Stable codes:
 *   claim-unknown           no stored claim for CLP01 (lines passed NULL)
 *   claim-out-of-balance    CLP04 != CLP03 - claim CAS - line CAS
 *   line-out-of-balance     SVC03 != SVC02 - line CAS
 *   line-unmatched          no stored line for the SVC
 *   line-ambiguous          procedure alone, several unmatched candidates
 *   line-not-in-remit       a stored line no SVC paid (claim has SVCs)     (warning)
 *   patient-resp-mismatch   CLP05 != sum of PR adjustments                 (warning)
 *   lines-dropped           more SVCs than RCM_X12_MAX_LINES
 *   reversal-sign           CLP02 = 22 with positive amounts: negated      (warning)
 *   unknown-status          CLP02 not a 5010 claim status code
 *   unknown-group           a CAS group that is not CO/PR/OA/PI/CR
 * expected/actual are the two sides of a balance check (cents), else 0.
 */
struct rcm_post_finding {
    const char *code;
    enum rcm_post_severity severity;
    int svc_index;           /* -1 = claim level */
    int line_no;             /* the stored line's number, 0 = none */
    int64_t expected_cents;
    int64_t actual_cents;
};

#define RCM_POST_MAX_FINDINGS 64

/*
 * The plan for one claim payment. About 40 KB: keep it static, on the heap
 * or in an arena. Holds no PHI (claim ids stay with the caller).
 */
struct rcm_post_plan {
    enum rcm_post_outcome outcome;
    int payer_order;         /* 1 primary, 2 secondary, 3 tertiary, 0 unknown */
    bool forwarded;          /* CLP02 19/20/21/23: crossed over to another payer */
    bool negated;            /* reversal sent with positive amounts, negated here */
    bool balanced;           /* no *-out-of-balance finding */
    bool postable;           /* no error finding */
    int64_t charge_cents;    /* CLP03 (signed as posted) */
    int64_t paid_cents;      /* CLP04 */
    int64_t patient_resp_cents;      /* sum of PR, claim and lines */
    int64_t contractual_cents;       /* adjustments of category contractual */
    int64_t workable_cents;          /* adjustments a worklist item is made of */
    int64_t claim_group_cents[RCM_ADJ_GROUP_COUNT];  /* claim-level CAS by group */
    int n_claim_adj;
    struct rcm_post_adj claim_adj[RCM_X12_MAX_ADJ];
    int n_claim_remarks;
    char claim_remarks[RCM_X12_MAX_REMARKS][RCM_X12_REMARK_MAX];
    int n_results;           /* one per SVC, in SVC order */
    struct rcm_post_line_result results[RCM_X12_MAX_LINES];
    int n_unmatched;
    int n_findings;
    int n_findings_dropped;  /* beyond RCM_POST_MAX_FINDINGS */
    struct rcm_post_finding findings[RCM_POST_MAX_FINDINGS];
};

/*
 * Build the posting plan of one claim payment against the stored claim's
 * lines (borrowed; NULL = no stored claim was found for CLP01, which is the
 * finding claim-unknown). Matching, in passes over all SVCs so an easy
 * match is never taken by a looser one:
 *   1. control: SVC REF*6R equals the line's control ("L<id>" when empty);
 *   2. exact: same procedure and the same set of non-empty modifiers;
 *   3. original: SVC06's procedure and modifiers match exactly (the payer
 *      changed the code or dropped/changed a modifier and said so);
 *   4. procedure: the SVC's procedure — or SVC06's when present — equals
 *      that of exactly one stored line not yet matched; two or more such
 *      lines make line-ambiguous, none line-unmatched.
 * Ties in passes 1-3 (two identical lines) take the first unmatched line
 * in stored order that has the SVC's service date, else its charge, else
 * the first; so two identical SVCs pay two identical lines in order. A line
 * is matched once, except that an SVC with a negative charge or payment (a
 * line reversal) may match a line another SVC already matched — the
 * reversal then comes first or second in any order.
 * RCM_E_INVAL when pay or plan is NULL or n_lines > RCM_X12_MAX_LINES.
 */
RCM_MUST_CHECK enum rcm_err rcm_post_plan_build(const struct rcm_x12_claim_payment *pay,
                                                const struct rcm_post_line *lines,
                                                size_t n_lines,
                                                struct rcm_post_plan *plan);

/*
 * Check an 835's payment: BPR02 = sum of CLP04 - sum of PLB amounts
 * (clp04_sum_cents computed by the caller over every claim payment of
 * the set). Returns true when it balances; *diff_cents = BPR02 - expected.
 */
bool rcm_post_remit_balanced(const struct rcm_x12_remit *remit, int64_t clp04_sum_cents,
                             int64_t *diff_cents);

/* -------------------------------------------------------- A/R metrics */

/* Aging buckets, in days since the basis date: 0-30, 31-60, 61-90, 91-120, 121+. */
enum rcm_ar_bucket {
    RCM_AR_0_30 = 0,
    RCM_AR_31_60,
    RCM_AR_61_90,
    RCM_AR_91_120,
    RCM_AR_OVER_120,
    RCM_AR_BUCKET_COUNT
};

/* What the age counts from: the date of service, or the claim's first
 * submission to the payer now responsible. */
enum rcm_ar_basis {
    RCM_AR_BASIS_SERVICE = 0,
    RCM_AR_BASIS_SUBMISSION,
};

const char *rcm_ar_bucket_name(enum rcm_ar_bucket b);   /* "0-30" … "120+" */
const char *rcm_ar_basis_name(enum rcm_ar_basis b);     /* "service" / "submission" */

/* Bucket of an age in days (a negative age — future date — is 0-30). */
enum rcm_ar_bucket rcm_ar_bucket_of_days(int64_t age_days);

/*
 * Age and bucket of a balance on `today` by `basis`. False (outputs
 * untouched) when the basis date is RCM_X12_NO_DATE — a claim never
 * submitted has no submission age.
 */
bool rcm_ar_age(enum rcm_ar_basis basis, int32_t service_day, int32_t first_submit_day,
                int32_t today, int32_t *age_days, enum rcm_ar_bucket *bucket);

/*
 * A KPI value: x100 (percent 95.12 -> 9512, days 41.50 -> 4150), rounded
 * half away from zero. applicable = false when the denominator is zero or
 * negative (or an input is negative where it cannot be); value is 0 then.
 */
struct rcm_kpi {
    bool applicable;
    int64_t value_x100;
};

/* Days in A/R = total A/R / (gross charges of the last `period_days` days /
 * period_days). HFMA MAP key "days in A/R", MGMA "days in A/R"; the usual
 * period is 90 days (or 365). Gross charges, not net. */
struct rcm_kpi rcm_ar_days_in_ar(int64_t total_ar_cents, int64_t gross_charges_cents,
                                 int period_days);

/* Clean claim rate (%) = claims accepted on first submission with no edit
 * or rejection (scrubber, clearinghouse 999/277CA) / claims submitted. */
struct rcm_kpi rcm_ar_clean_claim_rate(int64_t clean_first_pass, int64_t submitted);

/* First-pass resolution rate (%) = claims paid on first submission (no
 * rework, no appeal) / claims adjudicated in the period. */
struct rcm_kpi rcm_ar_first_pass_rate(int64_t paid_first_pass, int64_t adjudicated);

/* Denial rate by count (%) = claims denied in full or in part / claims
 * adjudicated (HFMA "initial denial rate": denied / remitted). */
struct rcm_kpi rcm_ar_denial_rate_count(int64_t denied, int64_t adjudicated);

/* Denial rate by amount (%) = charges denied / charges adjudicated. */
struct rcm_kpi rcm_ar_denial_rate_amount(int64_t denied_cents, int64_t adjudicated_cents);

/* Net (adjusted) collection rate (%) = payments / (charges - contractual
 * adjustments), MGMA; payer and patient payments, net of refunds. */
struct rcm_kpi rcm_ar_net_collection_rate(int64_t payments_cents, int64_t charges_cents,
                                          int64_t contractual_cents);

/* Timely filing: how close a claim is to the payer's filing limit. */
enum rcm_tf_alert {
    RCM_TF_NONE = 0,       /* more than 30 days left, or no limit known */
    RCM_TF_30,             /* 30 days or fewer left */
    RCM_TF_14,
    RCM_TF_7,              /* 7 days or fewer, including the last day itself */
    RCM_TF_EXPIRED,        /* the limit has passed */
};
const char *rcm_tf_alert_name(enum rcm_tf_alert a);

/*
 * Alert level on `today` for a claim of `service_day` under a limit of
 * limit_days from the date of service (the last day to file is
 * service_day + limit_days). limit_days <= 0 or a missing date: none —
 * the caller applies its default (Medicare: 1 calendar year, 42 CFR 424.44).
 */
enum rcm_tf_alert rcm_timely_filing_alert(int32_t service_day, int32_t today, int limit_days);

#endif
