/*
 * rcm_rows.h — revenue-cycle rows inserted by SQL for store tests (reports
 * now; anything that reads claims before the claims store writes them):
 * payers, providers, encounters, coverages, claims, claim events,
 * remittances with their claim payments and adjustments, denials. Ids are
 * given explicitly (tests name them in assertions); uids are derived from
 * the id. Every value is plain: no PHI is made up here, the patient comes
 * from rcm_store_patient_create.
 */
#ifndef RCM_TEST_RCM_ROWS_H
#define RCM_TEST_RCM_ROWS_H

#include "store_fixture.h"

static inline void
rows_exec(const struct store_fx *f, const char *sql)
{
    enum rcm_err err = store_fx_exec(f, sql);
    if (err)
        fail_msg("%s: insert failed (%d): %.120s", f->backend, (int)err, sql);
}

static inline void
rows_payer(const struct store_fx *f, int64_t id, int64_t tenant, const char *payer_id,
           const char *name, int timely_filing_days)
{
    char sql[512], tf[16] = "NULL";
    if (timely_filing_days > 0)
        snprintf(tf, sizeof tf, "%d", timely_filing_days);
    snprintf(sql, sizeof sql, "INSERT INTO payer (id, tenant_id, uid, created_ms, updated_ms, "
             "payer_id, name, timely_filing_days) VALUES (%lld, %lld, '%032lld', 1, 1, '%s', "
             "'%s', %s)", (long long)id, (long long)tenant, (long long)id, payer_id, name, tf);
    rows_exec(f, sql);
}

static inline void
rows_provider(const struct store_fx *f, int64_t id, int64_t tenant, const char *npi,
              const char *name, const char *first_name)
{
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO provider (id, tenant_id, uid, created_ms, "
             "updated_ms, npi, entity, name, first_name) VALUES (%lld, %lld, '%032lld', 1, 1, "
             "'%s', '%s', '%s', %s%s%s)", (long long)id, (long long)tenant, (long long)id, npi,
             first_name ? "person" : "organization", name, first_name ? "'" : "",
             first_name ? first_name : "NULL", first_name ? "'" : "");
    rows_exec(f, sql);
}

/* A coverage naming payer_id (the sealed member id is a dummy envelope). */
static inline void
rows_coverage(const struct store_fx *f, int64_t id, int64_t tenant, int64_t patient,
              const char *payer_id)
{
    char sql[512];
    bool pg = strcmp(f->backend, "postgres") == 0;
    snprintf(sql, sizeof sql, "INSERT INTO coverage (id, tenant_id, patient_id, uid, "
             "created_ms, updated_ms, payer_id, coverage_order, relationship, member_id) "
             "VALUES (%lld, %lld, %lld, '%032lld', 1, 1, '%s', 'primary', 'self', %s)",
             (long long)id, (long long)tenant, (long long)patient, (long long)id, payer_id,
             pg ? "'\\x00'::bytea" : "X'00'");
    rows_exec(f, sql);
}

/* An encounter; coverage 0 = self-pay. */
static inline void
rows_encounter(const struct store_fx *f, int64_t id, int64_t tenant, int64_t patient,
               int64_t coverage, int64_t billing, const char *status, int32_t service_day)
{
    char sql[640], cov[24] = "NULL";
    if (coverage)
        snprintf(cov, sizeof cov, "%lld", (long long)coverage);
    snprintf(sql, sizeof sql, "INSERT INTO encounter (id, tenant_id, patient_id, uid, "
             "created_ms, updated_ms, status, claim_kind, coverage_id, billing_provider_id, "
             "service_from, service_to, diagnoses) VALUES (%lld, %lld, %lld, '%032lld', 1, 1, "
             "'%s', 'professional', %s, %lld, %d, %d, 'E119')", (long long)id,
             (long long)tenant, (long long)patient, (long long)id, status, cov,
             (long long)billing, (int)service_day, (int)service_day);
    rows_exec(f, sql);
}

/* A claim as the claims store would leave it. 0 for a day = NULL. */
struct rows_claim {
    int64_t id, tenant, patient, encounter, payer_ref;
    const char *payer_id, *state;
    int64_t billing, rendering;          /* rendering 0 = NULL */
    int32_t service_day;
    int64_t charge, paid, adjustment, patient_resp;
    int scrub_errors;
    int32_t first_submitted_day, adjudicated_day;
    const char *frequency, *sequence;    /* NULL = '1', 'primary' */
};

static inline void
rows_day(char *out, size_t n, int32_t day)
{
    if (day)
        snprintf(out, n, "%d", (int)day);
    else
        snprintf(out, n, "NULL");
}

static inline void
rows_claim(const struct store_fx *f, const struct rows_claim *c)
{
    char sql[1400], rend[24], fs[16], adj[16];
    if (c->rendering)
        snprintf(rend, sizeof rend, "%lld", (long long)c->rendering);
    else
        snprintf(rend, sizeof rend, "NULL");
    rows_day(fs, sizeof fs, c->first_submitted_day);
    rows_day(adj, sizeof adj, c->adjudicated_day);
    snprintf(sql, sizeof sql, "INSERT INTO claim (id, tenant_id, patient_id, encounter_id, "
             "uid, created_ms, updated_ms, control_number, state, claim_kind, frequency, "
             "sequence, payer_ref, payer_id, billing_provider_id, rendering_provider_id, "
             "service_from, service_to, charge_cents, paid_cents, adjustment_cents, "
             "patient_resp_cents, fingerprint, scrub_errors, first_submitted_day, "
             "submitted_day, adjudicated_day) VALUES (%lld, %lld, %lld, %lld, '%032lld', 1, 1, "
             "'C%lld', '%s', 'professional', '%s', '%s', %lld, '%s', %lld, %s, %d, %d, %lld, "
             "%lld, %lld, %lld, 'fp%lld', %d, %s, %s, %s)",
             (long long)c->id, (long long)c->tenant, (long long)c->patient,
             (long long)c->encounter, (long long)c->id, (long long)c->id, c->state,
             c->frequency ? c->frequency : "1", c->sequence ? c->sequence : "primary",
             (long long)c->payer_ref, c->payer_id, (long long)c->billing, rend,
             (int)c->service_day, (int)c->service_day, (long long)c->charge,
             (long long)c->paid, (long long)c->adjustment, (long long)c->patient_resp,
             (long long)c->id, c->scrub_errors, fs, fs, adj);
    rows_exec(f, sql);
    /* one line carrying the whole charge */
    snprintf(sql, sizeof sql, "INSERT INTO claim_line (id, tenant_id, claim_id, line_no, "
             "procedure, units_milli, charge_cents, service_date, paid_cents) VALUES (%lld, "
             "%lld, %lld, 1, '99213', 1000, %lld, %d, %lld)", (long long)c->id,
             (long long)c->tenant, (long long)c->id, (long long)c->charge,
             (int)c->service_day, (long long)c->paid);
    rows_exec(f, sql);
}

static inline void
rows_claim_event(const struct store_fx *f, int64_t id, int64_t tenant, int64_t claim,
                 const char *from, const char *to)
{
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO claim_event (id, tenant_id, claim_id, at_ms, "
             "from_state, to_state, source) VALUES (%lld, %lld, %lld, 1, '%s', '%s', "
             "'ack_999')", (long long)id, (long long)tenant, (long long)claim, from, to);
    rows_exec(f, sql);
}

static inline void
rows_remittance(const struct store_fx *f, int64_t id, int64_t tenant, const char *payer_id,
                int64_t payment, int32_t payment_day)
{
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO remittance (id, tenant_id, created_ms, source, "
             "payer_id, trace_number, payment_cents, payment_day) VALUES (%lld, %lld, 1, "
             "'era', '%s', 'T%lld', %lld, %d)", (long long)id, (long long)tenant, payer_id,
             (long long)id, (long long)payment, (int)payment_day);
    rows_exec(f, sql);
}

/* A claim payment (claim 0 = unmatched). */
static inline void
rows_claim_payment(const struct store_fx *f, int64_t id, int64_t tenant, int64_t remittance,
                   int64_t claim, const char *status, int64_t charge, int64_t paid,
                   int64_t patient_resp)
{
    char sql[600], cl[24] = "NULL";
    if (claim)
        snprintf(cl, sizeof cl, "%lld", (long long)claim);
    snprintf(sql, sizeof sql, "INSERT INTO claim_payment (id, tenant_id, remittance_id, seq, "
             "claim_id, matched_by, control_number, status_code, charge_cents, paid_cents, "
             "patient_resp_cents) VALUES (%lld, %lld, %lld, %lld, %s, %s, 'C%lld', '%s', "
             "%lld, %lld, %lld)", (long long)id, (long long)tenant, (long long)remittance,
             (long long)id, cl, claim ? "'control_number'" : "NULL", (long long)claim,
             status, (long long)charge, (long long)paid, (long long)patient_resp);
    rows_exec(f, sql);
}

static inline void
rows_adjustment(const struct store_fx *f, int64_t id, int64_t tenant, int64_t payment,
                const char *group, const char *carc, int64_t amount)
{
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO payment_adjustment (id, tenant_id, "
             "claim_payment_id, group_code, carc, amount_cents) VALUES (%lld, %lld, %lld, "
             "'%s', '%s', %lld)", (long long)id, (long long)tenant, (long long)payment, group,
             carc, (long long)amount);
    rows_exec(f, sql);
}

static inline void
rows_denial(const struct store_fx *f, int64_t id, int64_t tenant, int64_t claim,
            const char *payer_id, const char *group, const char *carc, int64_t amount,
            const char *category, int32_t denied_day)
{
    char sql[600];
    snprintf(sql, sizeof sql, "INSERT INTO denial (id, tenant_id, claim_id, created_ms, "
             "payer_id, group_code, carc, amount_cents, category, denied_day, "
             "appeal_deadline) VALUES (%lld, %lld, %lld, 1, '%s', '%s', '%s', %lld, '%s', %d, "
             "%d)", (long long)id, (long long)tenant, (long long)claim, payer_id, group, carc,
             (long long)amount, category, (int)denied_day, (int)denied_day + 180);
    rows_exec(f, sql);
}

#endif
