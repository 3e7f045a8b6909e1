/*
 * rcm/report.h — A/R reports and KPIs of a tenant, computed by the store as
 * SQL aggregates (GROUP BY in the database, never claim by claim) and
 * finished with the pure formulas of rcm/posting.h (aging buckets, KPI
 * ratios, timely-filing alert levels) and rcm/cycle.h (which claim states
 * count in A/R). Definitions: docs/reports.md.
 *
 * Memory is bounded by the number of groups (payers, providers, CARCs),
 * never by the number of claims: at most RCM_REPORT_MAX_ROWS rows are kept
 * (the rest summed into the totals and counted in rows_dropped), and the
 * timely-filing list at most RCM_REPORT_TF_MAX items (the count of all is
 * kept). Rows hold no PHI except the timely-filing list, which names claim
 * and encounter ids with their service dates (phi.read at the API).
 *
 * Reports are freed with rcm_report_free(); every pointer in them is owned.
 */
#ifndef RCM_REPORT_H
#define RCM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/posting.h"

#define RCM_REPORT_MAX_ROWS 10000
#define RCM_REPORT_TF_MAX 1000
/* Timely-filing alerts look this many days ahead (the widest level of
 * rcm_timely_filing_alert). */
#define RCM_REPORT_TF_WINDOW 30

/* What A/R rows are grouped by. */
enum rcm_ar_group {
    RCM_AR_BY_PAYER = 0,
    RCM_AR_BY_BILLING,      /* claim.billing_provider_id */
    RCM_AR_BY_RENDERING,    /* claim.rendering_provider_id, else the billing one */
};
/* "payer", "billing_provider", "rendering_provider". */
const char *rcm_ar_group_name(enum rcm_ar_group g);
/* Accepts the names above and "provider" (= billing_provider). */
bool rcm_ar_group_from_name(const char *name, enum rcm_ar_group *out);
/* "service" / "submission" -> basis. */
bool rcm_ar_basis_from_name(const char *name, enum rcm_ar_basis *out);

/* One group of the A/R aging report. */
struct rcm_ar_row {
    int64_t id;                 /* payer.id or provider.id */
    char code[81];              /* payer id (e.g. "60054") or provider NPI */
    char name[161];             /* payer or provider name */
    int64_t claims;
    int64_t balance_cents;      /* sum of the buckets */
    int64_t bucket_claims[RCM_AR_BUCKET_COUNT];
    int64_t bucket_cents[RCM_AR_BUCKET_COUNT];
};

struct rcm_ar_report {
    int32_t as_of;              /* ages are counted to this day */
    enum rcm_ar_basis basis;
    enum rcm_ar_group group_by;
    size_t n_rows;
    struct rcm_ar_row *rows;    /* by name, then id */
    size_t rows_dropped;        /* groups past RCM_REPORT_MAX_ROWS (in total) */
    struct rcm_ar_row total;    /* every open claim (id 0, name "total") */
    /* submission basis: open claims with no first_submitted_day (not aged;
     * not in the buckets nor in total.balance_cents) */
    int64_t unaged_claims;
    int64_t unaged_cents;
};

/* The KPIs of a period [from, to] (days, inclusive). */
struct rcm_kpi_report {
    int32_t from, to;
    int period_days;            /* to - from + 1 */
    /* inputs, as summed by the database */
    int64_t ar_claims;          /* open claims now */
    int64_t ar_cents;           /* their open balance */
    int64_t gross_charges_cents;/* primary original claims served in the period */
    int64_t submitted;          /* first submitted in the period */
    int64_t clean_first_pass;
    int64_t adjudicated;        /* adjudicated in the period */
    int64_t adjudicated_cents;
    int64_t paid_first_pass;
    int64_t denied;             /* adjudicated claims with a denial */
    int64_t denied_cents;       /* denial rows dated in the period */
    int64_t payments_cents;     /* claim payments remitted in the period */
    int64_t payment_charges_cents;
    int64_t contractual_cents;  /* their contractual adjustments (CO-45 …) */
    /* the KPIs (rcm/posting.h formulas) */
    struct rcm_kpi days_in_ar;
    struct rcm_kpi clean_claim_rate;
    struct rcm_kpi first_pass_rate;
    struct rcm_kpi denial_rate_count;
    struct rcm_kpi denial_rate_amount;
    struct rcm_kpi net_collection_rate;
};

enum rcm_denial_group {
    RCM_DENIALS_BY_CARC = 0,
    RCM_DENIALS_BY_PAYER,
};
const char *rcm_denial_group_name(enum rcm_denial_group g);  /* "carc" / "payer" */
bool rcm_denial_group_from_name(const char *name, enum rcm_denial_group *out);

/* One group of the denials report. */
struct rcm_denial_row {
    char group_code[3];         /* by carc: CO, PR, OA, PI, CR */
    char carc[8];               /* by carc */
    enum rcm_denial_category category;   /* by carc (rcm_denial_category) */
    char payer_id[81];          /* by payer */
    char payer_name[161];       /* by payer */
    int64_t denials;            /* denial rows */
    int64_t claims;             /* distinct claims */
    int64_t amount_cents;
    int64_t adjudicated;        /* by payer: claims adjudicated in the period */
    int64_t adjudicated_denied; /* by payer: of those, with a denial */
    struct rcm_kpi denial_rate_count;   /* by payer */
};

struct rcm_denial_report {
    int32_t from, to;
    enum rcm_denial_group group_by;
    size_t n_rows;
    struct rcm_denial_row *rows;   /* by amount, largest first */
    size_t rows_dropped;
    int64_t denials, claims, amount_cents;   /* totals */
    int64_t by_category_cents[RCM_DENIAL_CATEGORY_COUNT];
};

/* One claim or encounter near or past its payer's filing limit. */
struct rcm_tf_item {
    bool encounter;             /* false: a claim */
    int64_t id;
    char state[16];             /* claim state or encounter status */
    char payer_id[81];
    int32_t service_day;
    int limit_days;             /* payer.timely_filing_days */
    int32_t deadline_day;       /* service_day + limit_days */
    int32_t days_left;          /* deadline - as_of (negative: passed) */
    enum rcm_tf_alert alert;
};

struct rcm_tf_report {
    int32_t as_of;
    size_t n_items;             /* fewest days left first */
    struct rcm_tf_item *items;
    int64_t total;              /* every item found (n_items may be capped) */
    int64_t by_alert[RCM_TF_EXPIRED + 1];
};

void rcm_ar_report_free(struct rcm_ar_report *r);
void rcm_denial_report_free(struct rcm_denial_report *r);
void rcm_tf_report_free(struct rcm_tf_report *r);

/* JSON forms (report_json.c), one shape for the API and the CLI; owned by
 * the caller (json_decref), NULL when out of memory. */
struct json_t;
struct json_t *rcm_report_ar_json(const struct rcm_ar_report *r);
struct json_t *rcm_report_kpis_json(const struct rcm_kpi_report *k);
struct json_t *rcm_report_denials_json(const struct rcm_denial_report *r);
struct json_t *rcm_report_tf_json(const struct rcm_tf_report *r);
/* A x100 value as a decimal: 7232 -> "72.32", -5 -> "-0.05". */
void rcm_report_x100_text(int64_t v, char *out, size_t cap);

/* The SQL list of the claim states that count in A/R, built from
 * RCM_CLAIM_STATES' open flag ("'submitted', 'accepted', …, ''"); for tests. */
const char *rcm_report_open_states_sql(void);

#endif
