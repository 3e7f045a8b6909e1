/*
 * store_report.c — A/R reports and KPIs (rcm/report.h, docs/reports.md),
 * written once over the SQL driver for both databases. Each report is a
 * few aggregate statements in one read snapshot: the database groups and
 * sums (per payer, provider, bucket, CARC), this file never sees a claim
 * one by one, and memory grows with the number of groups only. The
 * formulas are the pure ones of rcm/posting.h: bucket edges come from
 * rcm_ar_bucket_of_days (bound as parameters), KPI ratios from rcm_ar_*,
 * contractual adjustments from rcm_denial_category over the (group, CARC)
 * pairs the database summed, alert levels from rcm_timely_filing_alert.
 * Which claim states count in A/R comes from RCM_CLAIM_STATES' open flag
 * (rcm/cycle.h), expanded into the SQL at compile time.
 *
 * Every report appends one audit record (report.ar_aging, report.kpis,
 * report.denials, report.timely_filing).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/cycle.h"
#include "rcm/mem.h"
#include "rcm/report.h"
#include "store/db.h"
#include "store/store_int.h"

/* ---- the open states, from rcm/cycle.h ---------------------------------------- */

#define OPEN_true(name) "'" name "', "
#define OPEN_false(name)
#define OPEN_STATE(suffix, name, open, text) OPEN_##open(name)
/* "'submitted', 'accepted', …, ''": the states whose open flag is true */
#define OPEN_STATES_SQL RCM_CLAIM_STATES(OPEN_STATE) "''"

const char *
rcm_report_open_states_sql(void)
{
    return OPEN_STATES_SQL;
}

/* ---- names --------------------------------------------------------------------- */

static const char *const ar_group_names[] = {"payer", "billing_provider",
                                             "rendering_provider"};

const char *
rcm_ar_group_name(enum rcm_ar_group g)
{
    if ((int)g < 0 || (size_t)g >= sizeof ar_group_names / sizeof ar_group_names[0])
        return "payer";
    return ar_group_names[g];
}

bool
rcm_ar_group_from_name(const char *name, enum rcm_ar_group *out)
{
    if (!name)
        return false;
    if (strcmp(name, "provider") == 0) {
        *out = RCM_AR_BY_BILLING;
        return true;
    }
    for (size_t i = 0; i < sizeof ar_group_names / sizeof ar_group_names[0]; i++)
        if (strcmp(name, ar_group_names[i]) == 0) {
            *out = (enum rcm_ar_group)i;
            return true;
        }
    return false;
}

bool
rcm_ar_basis_from_name(const char *name, enum rcm_ar_basis *out)
{
    if (name && strcmp(name, rcm_ar_basis_name(RCM_AR_BASIS_SERVICE)) == 0)
        *out = RCM_AR_BASIS_SERVICE;
    else if (name && strcmp(name, rcm_ar_basis_name(RCM_AR_BASIS_SUBMISSION)) == 0)
        *out = RCM_AR_BASIS_SUBMISSION;
    else
        return false;
    return true;
}

const char *
rcm_denial_group_name(enum rcm_denial_group g)
{
    return g == RCM_DENIALS_BY_PAYER ? "payer" : "carc";
}

bool
rcm_denial_group_from_name(const char *name, enum rcm_denial_group *out)
{
    if (name && strcmp(name, "carc") == 0)
        *out = RCM_DENIALS_BY_CARC;
    else if (name && strcmp(name, "payer") == 0)
        *out = RCM_DENIALS_BY_PAYER;
    else
        return false;
    return true;
}

void
rcm_ar_report_free(struct rcm_ar_report *r)
{
    if (r) {
        rcm_free(r->rows);
        r->rows = NULL;
        r->n_rows = 0;
    }
}

void
rcm_denial_report_free(struct rcm_denial_report *r)
{
    if (r) {
        rcm_free(r->rows);
        r->rows = NULL;
        r->n_rows = 0;
    }
}

void
rcm_tf_report_free(struct rcm_tf_report *r)
{
    if (r) {
        rcm_free(r->items);
        r->items = NULL;
        r->n_items = 0;
    }
}

/* ---- SQL ------------------------------------------------------------------------ */

#define BALANCE "c.charge_cents - c.paid_cents - c.adjustment_cents - c.patient_resp_cents"

/*
 * A/R aging, grouped by `key` and bucket in the database. ?1 tenant, ?2 as
 * of, ?3 basis (1 = submission), ?4..?7 the last age of buckets 0..3 (from
 * rcm_ar_bucket_of_days). Bucket -1: no basis date (not aged).
 */
#define AR_SQL(key, names)                                                              \
    "SELECT t.g, " names ", t.b, t.n, t.cents FROM (SELECT g, b, count(*) AS n, "        \
    "CAST(sum(bal) AS bigint) AS cents FROM (SELECT g, CASE WHEN d IS NULL THEN -1 "    \
    "WHEN CAST(?2 AS bigint) - d <= CAST(?4 AS bigint) THEN 0 "                          \
    "WHEN CAST(?2 AS bigint) - d <= CAST(?5 AS bigint) THEN 1 "                          \
    "WHEN CAST(?2 AS bigint) - d <= CAST(?6 AS bigint) THEN 2 "                          \
    "WHEN CAST(?2 AS bigint) - d <= CAST(?7 AS bigint) THEN 3 ELSE 4 END AS b, bal "     \
    "FROM (SELECT " key " AS g, CASE WHEN CAST(?3 AS bigint) = 1 THEN "                  \
    "c.first_submitted_day ELSE c.service_from END AS d, " BALANCE " AS bal "           \
    "FROM claim c WHERE c.tenant_id = ?1 AND c.state IN (" OPEN_STATES_SQL ")) s) a "   \
    "GROUP BY g, b) t "

#define PAYER_NAMES "COALESCE(p.payer_id, ''), COALESCE(p.name, '')"
#define PROVIDER_NAMES                                                                  \
    "COALESCE(p.npi, ''), COALESCE(p.name, '') || CASE WHEN p.first_name IS NULL "       \
    "THEN '' ELSE ', ' || p.first_name END"

static const struct db_sql AR_BY_PAYER = {
    "REPORT_AR_PAYER",
    AR_SQL("c.payer_ref", PAYER_NAMES) "LEFT JOIN payer p ON p.id = t.g ORDER BY t.g", NULL};
static const struct db_sql AR_BY_BILLING = {
    "REPORT_AR_BILLING",
    AR_SQL("c.billing_provider_id", PROVIDER_NAMES)
    "LEFT JOIN provider p ON p.id = t.g ORDER BY t.g", NULL};
static const struct db_sql AR_BY_RENDERING = {
    "REPORT_AR_RENDERING",
    AR_SQL("COALESCE(c.rendering_provider_id, c.billing_provider_id)", PROVIDER_NAMES)
    "LEFT JOIN provider p ON p.id = t.g ORDER BY t.g", NULL};

#define IN_PERIOD(col) col " BETWEEN CAST(?2 AS bigint) AND CAST(?3 AS bigint)"
#define HAS_DENIAL "EXISTS (SELECT 1 FROM denial dn WHERE dn.claim_id = c.id)"
#define WAS_EVENT(states)                                                               \
    "EXISTS (SELECT 1 FROM claim_event ev WHERE ev.claim_id = c.id AND ev.to_state IN " \
    "(" states "))"

/*
 * Everything the KPIs need from the claims, in one scan of the tenant's
 * claims. ?1 tenant, ?2 from, ?3 to.
 */
static const struct db_sql KPI_CLAIMS = {
    "REPORT_KPI_CLAIMS",
    "SELECT count(CASE WHEN c.state IN (" OPEN_STATES_SQL ") THEN 1 END), "
    "CAST(COALESCE(sum(CASE WHEN c.state IN (" OPEN_STATES_SQL ") THEN " BALANCE
    " END), 0) AS bigint), "
    /* gross charges: primary original claims served in the period, not voided */
    "CAST(COALESCE(sum(CASE WHEN " IN_PERIOD("c.service_from") " AND c.frequency = '1' "
    "AND c.sequence = 'primary' AND c.state <> 'voided' THEN c.charge_cents END), 0) "
    "AS bigint), "
    /* submitted in the period; of those, clean on the first pass */
    "count(CASE WHEN " IN_PERIOD("c.first_submitted_day") " THEN 1 END), "
    "count(CASE WHEN " IN_PERIOD("c.first_submitted_day") " AND c.scrub_errors = 0 AND "
    "c.state NOT IN ('draft', 'ready', 'submitted', 'rejected') AND NOT "
    WAS_EVENT("'rejected'") " THEN 1 END), "
    /* adjudicated in the period: count, charges, paid first pass, denied */
    "count(CASE WHEN " IN_PERIOD("c.adjudicated_day") " THEN 1 END), "
    "CAST(COALESCE(sum(CASE WHEN " IN_PERIOD("c.adjudicated_day") " THEN c.charge_cents "
    "END), 0) AS bigint), "
    "count(CASE WHEN " IN_PERIOD("c.adjudicated_day") " AND c.paid_cents > 0 AND NOT "
    HAS_DENIAL " AND NOT " WAS_EVENT("'rejected', 'denied', 'appealed'") " THEN 1 END), "
    "count(CASE WHEN " IN_PERIOD("c.adjudicated_day") " AND (c.state IN ('denied', "
    "'appealed') OR " HAS_DENIAL ") THEN 1 END) "
    "FROM claim c WHERE c.tenant_id = ?1", NULL};

#define REMIT_DAY "COALESCE(r.payment_day, r.created_ms / 86400000)"

static const struct db_sql KPI_DENIED = {
    "REPORT_KPI_DENIED",
    "SELECT CAST(COALESCE(sum(d.amount_cents), 0) AS bigint) FROM denial d WHERE "
    "d.tenant_id = ?1 AND " IN_PERIOD("d.denied_day"), NULL};
static const struct db_sql KPI_PAYMENTS = {
    "REPORT_KPI_PAYMENTS",
    "SELECT CAST(COALESCE(sum(cp.paid_cents), 0) AS bigint), "
    "CAST(COALESCE(sum(cp.charge_cents), 0) AS bigint) FROM claim_payment cp JOIN "
    "remittance r ON r.id = cp.remittance_id WHERE cp.tenant_id = ?1 AND cp.claim_id IS "
    "NOT NULL AND " IN_PERIOD(REMIT_DAY), NULL};
/* adjustments of those payments by (group, CARC); classified in C */
static const struct db_sql KPI_ADJUSTMENTS = {
    "REPORT_KPI_ADJUSTMENTS",
    "SELECT a.group_code, a.carc, CAST(sum(a.amount_cents) AS bigint) FROM "
    "payment_adjustment a JOIN claim_payment cp ON cp.id = a.claim_payment_id JOIN "
    "remittance r ON r.id = cp.remittance_id WHERE a.tenant_id = ?1 AND cp.claim_id IS NOT "
    "NULL AND " IN_PERIOD(REMIT_DAY) " GROUP BY a.group_code, a.carc", NULL};

static const struct db_sql DENIALS_BY_CARC = {
    "REPORT_DENIALS_CARC",
    "SELECT d.group_code, d.carc, count(*), count(DISTINCT d.claim_id), "
    "CAST(sum(d.amount_cents) AS bigint) FROM denial d WHERE d.tenant_id = ?1 AND "
    IN_PERIOD("d.denied_day") " GROUP BY d.group_code, d.carc", NULL};
static const struct db_sql DENIALS_BY_PAYER = {
    "REPORT_DENIALS_PAYER",
    "SELECT d.payer_id, COALESCE((SELECT min(p.name) FROM payer p WHERE p.tenant_id = ?1 "
    "AND p.payer_id = d.payer_id), ''), count(*), count(DISTINCT d.claim_id), "
    "CAST(sum(d.amount_cents) AS bigint) FROM denial d WHERE d.tenant_id = ?1 AND "
    IN_PERIOD("d.denied_day") " GROUP BY d.payer_id", NULL};
static const struct db_sql DENIALS_TOTAL = {
    "REPORT_DENIALS_TOTAL",
    "SELECT count(*), count(DISTINCT d.claim_id), CAST(COALESCE(sum(d.amount_cents), 0) "
    "AS bigint) FROM denial d WHERE d.tenant_id = ?1 AND " IN_PERIOD("d.denied_day"), NULL};
static const struct db_sql ADJUDICATED_BY_PAYER = {
    "REPORT_ADJUDICATED_PAYER",
    "SELECT c.payer_id, COALESCE((SELECT min(p.name) FROM payer p WHERE p.tenant_id = ?1 "
    "AND p.payer_id = c.payer_id), ''), count(*), count(CASE WHEN c.state IN ('denied', "
    "'appealed') OR " HAS_DENIAL " THEN 1 END) FROM claim c WHERE c.tenant_id = ?1 AND "
    IN_PERIOD("c.adjudicated_day") " GROUP BY c.payer_id", NULL};

/*
 * Timely filing: claims not yet (successfully) submitted and open
 * encounters without a claim whose payer's limit ends within ?3 days of ?2
 * (or has passed), fewest days left first. ?1 tenant.
 */
static const struct db_sql TF_CLAIMS = {
    "REPORT_TF_CLAIMS",
    "SELECT c.id, c.state, p.payer_id, c.service_from, p.timely_filing_days FROM claim c "
    "JOIN payer p ON p.id = c.payer_ref WHERE c.tenant_id = ?1 AND c.state IN ('draft', "
    "'ready', 'rejected') AND p.timely_filing_days IS NOT NULL AND c.service_from + "
    "p.timely_filing_days - CAST(?2 AS bigint) <= CAST(?3 AS bigint) "
    "ORDER BY c.service_from + p.timely_filing_days, c.id", NULL};
static const struct db_sql TF_ENCOUNTERS = {
    "REPORT_TF_ENCOUNTERS",
    "SELECT id, status, payer_id, service_from, tf FROM (SELECT e.id, e.status, "
    "cv.payer_id, e.service_from, (SELECT min(p.timely_filing_days) FROM payer p WHERE "
    "p.tenant_id = ?1 AND p.payer_id = cv.payer_id) AS tf FROM encounter e JOIN coverage "
    "cv ON cv.id = e.coverage_id WHERE e.tenant_id = ?1 AND e.status = 'open' AND NOT "
    "EXISTS (SELECT 1 FROM claim c WHERE c.encounter_id = e.id)) x WHERE tf IS NOT NULL "
    "AND service_from + tf - CAST(?2 AS bigint) <= CAST(?3 AS bigint) "
    "ORDER BY service_from + tf, id", NULL};

/* ---- helpers ------------------------------------------------------------------- */


static enum rcm_err
audit(struct rcm_store *s, const struct rcm_actor *actor, const char *action,
      struct rcm_diag *diag)
{
    struct rcm_audit_what what = {action, "report", NULL, NULL, "success"};
    return store_audit_append(s, actor, &what, diag);
}

/* The last age (days) of each bucket but the last, as rcm_ar_bucket_of_days
 * draws them: the SQL CASE is bound with these, so the edges live in one
 * place. */
static void
bucket_edges(int64_t edges[RCM_AR_BUCKET_COUNT - 1])
{
    int64_t age = 0;
    for (int b = 0; b < RCM_AR_BUCKET_COUNT - 1; b++) {
        while (age < 100000 && rcm_ar_bucket_of_days(age + 1) == (enum rcm_ar_bucket)b)
            age++;
        edges[b] = age;
        age++;
    }
}

/* Grow *rows (of `size` bytes each) to hold n + 1; false when capped or out
 * of memory (*nomem says which). */
static bool
grow(void **rows, size_t *cap, size_t n, size_t size, bool *nomem)
{
    if (n < *cap)
        return true;
    if (n >= RCM_REPORT_MAX_ROWS)
        return false;
    size_t want = *cap ? *cap * 2 : 16;
    if (want > RCM_REPORT_MAX_ROWS)
        want = RCM_REPORT_MAX_ROWS;
    void *p = rcm_realloc(*rows, want * size);
    if (!p) {
        *nomem = true;
        return false;
    }
    memset((char *)p + *cap * size, 0, (want - *cap) * size);
    *rows = p;
    *cap = want;
    return true;
}

/* ---- A/R aging -------------------------------------------------------------------- */

struct ar_args {
    int64_t tenant_id;
    struct rcm_ar_report *r;
    size_t cap;
    int64_t edges[RCM_AR_BUCKET_COUNT - 1];
    int64_t dropped_g;          /* the last group past the cap */
    bool dropped_any;
};

static void
add_bucket(struct rcm_ar_row *row, int b, int64_t n, int64_t cents)
{
    row->claims += n;
    row->balance_cents += cents;
    row->bucket_claims[b] += n;
    row->bucket_cents[b] += cents;
}

static enum rcm_err
ar_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct ar_args *a = ctx;
    struct rcm_ar_report *r = a->r;
    const struct db_sql *sql = r->group_by == RCM_AR_BY_BILLING ? &AR_BY_BILLING
                               : r->group_by == RCM_AR_BY_RENDERING ? &AR_BY_RENDERING
                                                                   : &AR_BY_PAYER;
    struct db_stmt *st;
    bool row, nomem = false;
    enum rcm_err err = db_prepare(tx, sql, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, r->as_of);
    db_bind_i64(st, 3, r->basis == RCM_AR_BASIS_SUBMISSION ? 1 : 0);
    for (int i = 0; i < RCM_AR_BUCKET_COUNT - 1; i++)
        db_bind_i64(st, 4 + i, a->edges[i]);
    /* ordered by group: a group's bucket rows arrive together */
    while (!(err = db_step(st, &row, diag)) && row) {
        int64_t g = db_col_i64(st, 0), b = db_col_i64(st, 3);
        int64_t n = db_col_i64(st, 4), cents = db_col_i64(st, 5);
        if (b < 0) {
            r->unaged_claims += n;
            r->unaged_cents += cents;
            continue;
        }
        if (b >= RCM_AR_BUCKET_COUNT)
            return rcm_diag_fail(diag, RCM_E_DB, "a/r aging: bucket out of range");
        add_bucket(&r->total, (int)b, n, cents);
        struct rcm_ar_row *dst = r->n_rows && r->rows[r->n_rows - 1].id == g
                                     ? &r->rows[r->n_rows - 1] : NULL;
        if (!dst && g == a->dropped_g && a->dropped_any)
            continue;   /* a dropped group's further buckets */
        if (!dst) {
            if (!grow((void **)&r->rows, &a->cap, r->n_rows, sizeof *r->rows, &nomem)) {
                if (nomem)
                    return rcm_diag_fail(diag, RCM_E_NOMEM, "a/r aging: out of memory");
                r->rows_dropped++;
                a->dropped_g = g;
                a->dropped_any = true;
                continue;
            }
            dst = &r->rows[r->n_rows++];
            dst->id = g;
            snprintf(dst->code, sizeof dst->code, "%s", db_col_str(st, 1));
            snprintf(dst->name, sizeof dst->name, "%s", db_col_str(st, 2));
        }
        add_bucket(dst, (int)b, n, cents);
    }
    return err;
}

static int
ar_row_cmp(const void *pa, const void *pb)
{
    const struct rcm_ar_row *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return a->id < b->id ? -1 : a->id > b->id;
}

enum rcm_err
rcm_store_report_ar(struct rcm_store *store, const struct rcm_actor *actor, int32_t as_of,
                    enum rcm_ar_basis basis, enum rcm_ar_group group_by,
                    struct rcm_ar_report *out, struct rcm_diag *diag)
{
    if (!out)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no report to fill");
    *out = (struct rcm_ar_report){0};
    if (!store || !store_tenant_scoped(actor, "reports", diag))
        return RCM_E_INVAL;
    if (basis != RCM_AR_BASIS_SERVICE && basis != RCM_AR_BASIS_SUBMISSION)
        return rcm_diag_fail(diag, RCM_E_INVAL, "basis must be service or submission");
    if (group_by != RCM_AR_BY_PAYER && group_by != RCM_AR_BY_BILLING &&
        group_by != RCM_AR_BY_RENDERING)
        return rcm_diag_fail(diag, RCM_E_INVAL, "group_by must be payer, billing_provider "
                             "or rendering_provider");
    out->as_of = as_of;
    out->basis = basis;
    out->group_by = group_by;
    struct ar_args a = {actor->tenant_id, out, 0, {0}, 0, false};
    bucket_edges(a.edges);
    enum rcm_err err = store_read(store, ar_fn, &a, diag);
    snprintf(out->total.name, sizeof out->total.name, "total");
    if (!err)
        err = audit(store, actor, "report.ar_aging", diag);
    if (err) {
        rcm_ar_report_free(out);
        return err;
    }
    if (out->n_rows > 1)
        qsort(out->rows, out->n_rows, sizeof *out->rows, ar_row_cmp);
    return RCM_OK;
}

/* ---- KPIs ------------------------------------------------------------------------- */

struct period_args {
    int64_t tenant_id;
    int32_t from, to;
    void *out;
    size_t cap;
};

static enum rcm_err
prepare_period(struct db_tx *tx, const struct db_sql *sql, const struct period_args *p,
               struct db_stmt **st, struct rcm_diag *diag)
{
    enum rcm_err err = db_prepare(tx, sql, st, diag);
    if (err)
        return err;
    db_bind_i64(*st, 1, p->tenant_id);
    db_bind_i64(*st, 2, p->from);
    db_bind_i64(*st, 3, p->to);
    return RCM_OK;
}

static enum rcm_err
kpi_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct period_args *p = ctx;
    struct rcm_kpi_report *k = p->out;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = prepare_period(tx, &KPI_CLAIMS, p, &st, diag);
    if (err || (err = db_step(st, &row, diag)))
        return err;
    if (row) {
        int64_t *v[] = {&k->ar_claims, &k->ar_cents, &k->gross_charges_cents, &k->submitted,
                        &k->clean_first_pass, &k->adjudicated, &k->adjudicated_cents,
                        &k->paid_first_pass, &k->denied};
        for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++)
            *v[i] = db_col_i64(st, i);
    }
    if ((err = prepare_period(tx, &KPI_DENIED, p, &st, diag)) ||
        (err = db_step(st, &row, diag)))
        return err;
    if (row)
        k->denied_cents = db_col_i64(st, 0);
    if ((err = prepare_period(tx, &KPI_PAYMENTS, p, &st, diag)) ||
        (err = db_step(st, &row, diag)))
        return err;
    if (row) {
        k->payments_cents = db_col_i64(st, 0);
        k->payment_charges_cents = db_col_i64(st, 1);
    }
    if ((err = prepare_period(tx, &KPI_ADJUSTMENTS, p, &st, diag)))
        return err;
    while (!(err = db_step(st, &row, diag)) && row)
        if (rcm_denial_category(db_col_str(st, 0), db_col_str(st, 1)) == RCM_DENIAL_CONTRACTUAL)
            k->contractual_cents += db_col_i64(st, 2);
    return err;
}

static enum rcm_err
check_period(int32_t from, int32_t to, struct rcm_diag *diag)
{
    if (from > to)
        return rcm_diag_fail(diag, RCM_E_INVAL, "from must not be after to");
    if ((int64_t)to - from >= 3660)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the period is at most 3660 days");
    return RCM_OK;
}

enum rcm_err
rcm_store_report_kpis(struct rcm_store *store, const struct rcm_actor *actor, int32_t from,
                      int32_t to, struct rcm_kpi_report *out, struct rcm_diag *diag)
{
    if (!out)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no report to fill");
    *out = (struct rcm_kpi_report){0};
    if (!store || !store_tenant_scoped(actor, "reports", diag))
        return RCM_E_INVAL;
    enum rcm_err err = check_period(from, to, diag);
    if (err)
        return err;
    out->from = from;
    out->to = to;
    out->period_days = (int)(to - from + 1);
    struct period_args p = {actor->tenant_id, from, to, out, 0};
    err = store_read(store, kpi_fn, &p, diag);
    if (!err)
        err = audit(store, actor, "report.kpis", diag);
    if (err)
        return err;
    out->days_in_ar = rcm_ar_days_in_ar(out->ar_cents, out->gross_charges_cents,
                                        out->period_days);
    out->clean_claim_rate = rcm_ar_clean_claim_rate(out->clean_first_pass, out->submitted);
    out->first_pass_rate = rcm_ar_first_pass_rate(out->paid_first_pass, out->adjudicated);
    out->denial_rate_count = rcm_ar_denial_rate_count(out->denied, out->adjudicated);
    out->denial_rate_amount = rcm_ar_denial_rate_amount(out->denied_cents,
                                                        out->adjudicated_cents);
    out->net_collection_rate = rcm_ar_net_collection_rate(out->payments_cents,
                                                          out->payment_charges_cents,
                                                          out->contractual_cents);
    return RCM_OK;
}

/* ---- denials ---------------------------------------------------------------------- */

static struct rcm_denial_row *
denial_row_for_payer(struct rcm_denial_report *r, size_t *cap, const char *payer_id,
                     bool *nomem)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].payer_id, payer_id) == 0)
            return &r->rows[i];
    if (!grow((void **)&r->rows, cap, r->n_rows, sizeof *r->rows, nomem))
        return NULL;
    struct rcm_denial_row *d = &r->rows[r->n_rows++];
    snprintf(d->payer_id, sizeof d->payer_id, "%s", payer_id);
    return d;
}

static enum rcm_err
denials_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct period_args *p = ctx;
    struct rcm_denial_report *r = p->out;
    struct db_stmt *st;
    bool row, nomem = false;
    enum rcm_err err = prepare_period(tx, &DENIALS_TOTAL, p, &st, diag);
    if (err || (err = db_step(st, &row, diag)))
        return err;
    if (row) {
        r->denials = db_col_i64(st, 0);
        r->claims = db_col_i64(st, 1);
        r->amount_cents = db_col_i64(st, 2);
    }
    bool by_payer = r->group_by == RCM_DENIALS_BY_PAYER;
    if ((err = prepare_period(tx, by_payer ? &DENIALS_BY_PAYER : &DENIALS_BY_CARC, p, &st,
                              diag)))
        return err;
    while (!(err = db_step(st, &row, diag)) && row) {
        struct rcm_denial_row *d;
        if (by_payer) {
            d = denial_row_for_payer(r, &p->cap, db_col_str(st, 0), &nomem);
            if (d)
                snprintf(d->payer_name, sizeof d->payer_name, "%s", db_col_str(st, 1));
        } else {
            d = grow((void **)&r->rows, &p->cap, r->n_rows, sizeof *r->rows, &nomem)
                    ? &r->rows[r->n_rows++] : NULL;
            if (d) {
                snprintf(d->group_code, sizeof d->group_code, "%s", db_col_str(st, 0));
                snprintf(d->carc, sizeof d->carc, "%s", db_col_str(st, 1));
                d->category = rcm_denial_category(d->group_code, d->carc);
            }
        }
        int64_t amount = db_col_i64(st, 4);
        if (!by_payer) {
            enum rcm_denial_category c = rcm_denial_category(db_col_str(st, 0),
                                                             db_col_str(st, 1));
            r->by_category_cents[c] += amount;
        }
        if (nomem)
            return rcm_diag_fail(diag, RCM_E_NOMEM, "denials: out of memory");
        if (!d) {
            r->rows_dropped++;
            continue;
        }
        d->denials = db_col_i64(st, 2);
        d->claims = db_col_i64(st, 3);
        d->amount_cents = amount;
    }
    if (err || !by_payer)
        return err;
    /* the denial rate per payer: claims adjudicated in the period */
    if ((err = prepare_period(tx, &ADJUDICATED_BY_PAYER, p, &st, diag)))
        return err;
    while (!(err = db_step(st, &row, diag)) && row) {
        struct rcm_denial_row *d = denial_row_for_payer(r, &p->cap, db_col_str(st, 0),
                                                        &nomem);
        if (nomem)
            return rcm_diag_fail(diag, RCM_E_NOMEM, "denials: out of memory");
        if (!d) {
            r->rows_dropped++;
            continue;
        }
        if (!d->payer_name[0])
            snprintf(d->payer_name, sizeof d->payer_name, "%s", db_col_str(st, 1));
        d->adjudicated = db_col_i64(st, 2);
        d->adjudicated_denied = db_col_i64(st, 3);
    }
    return err;
}

static int
denial_row_cmp(const void *pa, const void *pb)
{
    const struct rcm_denial_row *a = pa, *b = pb;
    if (a->amount_cents != b->amount_cents)
        return a->amount_cents > b->amount_cents ? -1 : 1;
    int c = strcmp(a->group_code, b->group_code);
    if (!c)
        c = strcmp(a->carc, b->carc);
    if (!c)
        c = strcmp(a->payer_id, b->payer_id);
    return c;
}

enum rcm_err
rcm_store_report_denials(struct rcm_store *store, const struct rcm_actor *actor, int32_t from,
                         int32_t to, enum rcm_denial_group group_by,
                         struct rcm_denial_report *out, struct rcm_diag *diag)
{
    if (!out)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no report to fill");
    *out = (struct rcm_denial_report){0};
    if (!store || !store_tenant_scoped(actor, "reports", diag))
        return RCM_E_INVAL;
    if (group_by != RCM_DENIALS_BY_CARC && group_by != RCM_DENIALS_BY_PAYER)
        return rcm_diag_fail(diag, RCM_E_INVAL, "group_by must be carc or payer");
    enum rcm_err err = check_period(from, to, diag);
    if (err)
        return err;
    out->from = from;
    out->to = to;
    out->group_by = group_by;
    struct period_args p = {actor->tenant_id, from, to, out, 0};
    err = store_read(store, denials_fn, &p, diag);
    if (!err)
        err = audit(store, actor, "report.denials", diag);
    if (err) {
        rcm_denial_report_free(out);
        return err;
    }
    for (size_t i = 0; i < out->n_rows; i++)
        out->rows[i].denial_rate_count =
            rcm_ar_denial_rate_count(out->rows[i].adjudicated_denied, out->rows[i].adjudicated);
    if (out->n_rows > 1)
        qsort(out->rows, out->n_rows, sizeof *out->rows, denial_row_cmp);
    return RCM_OK;
}

/* ---- timely filing --------------------------------------------------------------- */

struct tf_args {
    int64_t tenant_id;
    struct rcm_tf_report *r;
    size_t cap;
};

static enum rcm_err
tf_collect(struct db_tx *tx, const struct db_sql *sql, bool encounter, struct tf_args *a,
           struct rcm_diag *diag)
{
    struct rcm_tf_report *r = a->r;
    struct db_stmt *st;
    bool row, nomem = false;
    enum rcm_err err = db_prepare(tx, sql, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, r->as_of);
    db_bind_i64(st, 3, RCM_REPORT_TF_WINDOW);
    size_t kept = 0;
    while (!(err = db_step(st, &row, diag)) && row) {
        int32_t service = (int32_t)db_col_i64(st, 3);
        int limit = (int)db_col_i64(st, 4);
        enum rcm_tf_alert alert = rcm_timely_filing_alert(service, r->as_of, limit);
        if (alert == RCM_TF_NONE)
            continue;
        r->total++;
        r->by_alert[alert]++;
        /* each list comes sorted: past the cap, the rest cannot enter */
        if (kept >= RCM_REPORT_TF_MAX)
            continue;
        if (r->n_items >= a->cap) {
            size_t want = a->cap ? a->cap * 2 : 32;
            if (want > 2 * RCM_REPORT_TF_MAX)
                want = 2 * RCM_REPORT_TF_MAX;
            struct rcm_tf_item *p = rcm_realloc(r->items, want * sizeof *p);
            if (!p) {
                nomem = true;
                break;
            }
            r->items = p;
            a->cap = want;
        }
        struct rcm_tf_item *it = &r->items[r->n_items++];
        kept++;
        *it = (struct rcm_tf_item){0};
        it->encounter = encounter;
        it->id = db_col_i64(st, 0);
        snprintf(it->state, sizeof it->state, "%s", db_col_str(st, 1));
        snprintf(it->payer_id, sizeof it->payer_id, "%s", db_col_str(st, 2));
        it->service_day = service;
        it->limit_days = limit;
        it->deadline_day = (int32_t)(service + limit);
        it->days_left = (int32_t)((int64_t)service + limit - r->as_of);
        it->alert = alert;
    }
    if (nomem)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "timely filing: out of memory");
    return err;
}

static enum rcm_err
tf_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct tf_args *a = ctx;
    enum rcm_err err = tf_collect(tx, &TF_CLAIMS, false, a, diag);
    if (!err)
        err = tf_collect(tx, &TF_ENCOUNTERS, true, a, diag);
    return err;
}

static int
tf_cmp(const void *pa, const void *pb)
{
    const struct rcm_tf_item *a = pa, *b = pb;
    if (a->days_left != b->days_left)
        return a->days_left < b->days_left ? -1 : 1;
    if (a->encounter != b->encounter)
        return a->encounter ? 1 : -1;
    return a->id < b->id ? -1 : a->id > b->id;
}

enum rcm_err
rcm_store_report_timely_filing(struct rcm_store *store, const struct rcm_actor *actor,
                               int32_t as_of, struct rcm_tf_report *out,
                               struct rcm_diag *diag)
{
    if (!out)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no report to fill");
    *out = (struct rcm_tf_report){0};
    if (!store || !store_tenant_scoped(actor, "reports", diag))
        return RCM_E_INVAL;
    out->as_of = as_of;
    struct tf_args a = {actor->tenant_id, out, 0};
    enum rcm_err err = store_read(store, tf_fn, &a, diag);
    if (!err)
        err = audit(store, actor, "report.timely_filing", diag);
    if (err) {
        rcm_tf_report_free(out);
        return err;
    }
    if (out->n_items > 1)
        qsort(out->items, out->n_items, sizeof *out->items, tf_cmp);
    if (out->n_items > RCM_REPORT_TF_MAX)
        out->n_items = RCM_REPORT_TF_MAX;
    return RCM_OK;
}
