/*
 * store_claim.c — claims: built from an encounter, scrubbed, moved through
 * the state machine (rcm/cycle.h) and sent in 837 batches, on either
 * database.
 *
 * Building reads what an 837 needs through the store's own doors (the
 * encounter, the patient, the coverage: each read audited) and the
 * practice's plain records (payer, providers) by SQL, then fills a struct
 * rcm_claim in an arena: the same struct the scrubber checks, the
 * duplicate fingerprint hashes and the 837 mapping writes. A claim is built
 * twice: when it is created (to scrub and fingerprint it) and when its batch
 * is rendered (from the claim's own lines, so the 837 says what was
 * scrubbed, with the control numbers the batch was given).
 *
 * Lines a patient paid for in full and restricted from the plan (HIPAA
 * §164.522(a)(1)(vi)) are never copied onto a claim.
 *
 * A batch is committed first (control numbers counted per trading partner,
 * claims ready -> submitted, the batch row) and rendered after: the file is
 * a pure rendering of committed rows, so a crash before the file is written
 * loses nothing — rcm_store_batch_render writes it again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rcm/billing.h"
#include "rcm/crypto.h"
#include "rcm/cycle.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/record.h"
#include "rcm/scrub.h"
#include "rcm/str.h"
#include "rcm/x12.h"
#include "store/db.h"
#include "store/store_int.h"

#define LIST_MAX 200
#define BATCH_MAX_CLAIMS 5000
#define ARENA_BYTES (1u << 20)

/* ---- the practice's records (plain) ------------------------------------------ */

struct provider_row {
    bool found;
    char npi[11], entity[16], name[201], first[201], taxonomy[11], tin[10];
    char address[201], city[201], state[3], zip[10];
};

struct payer_row {
    int64_t id;
    char payer_id[81], name[201], filing[3], receiver[81];
    int64_t timely_days;
};

static const struct db_sql PROVIDER_ROW = {
    "CLAIM_PROVIDER", "SELECT npi, entity, name, first_name, taxonomy, tax_id, address_line1, "
    "city, state, postal_code FROM provider WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql PAYER_BY_PAYER_ID = {
    "CLAIM_PAYER", "SELECT id, payer_id, name, claim_filing_indicator, receiver_id, "
    "timely_filing_days FROM payer WHERE tenant_id = ?1 AND payer_id = ?2 ORDER BY id LIMIT 1",
    NULL};

static void
col(struct db_stmt *st, int i, char *out, size_t cap)
{
    rcm_str_copy(out, cap, rcm_str_c(db_col_str(st, i)));
}

static int64_t
col_i64_or(struct db_stmt *st, int i, int64_t dflt)
{
    return db_col_is_null(st, i) ? dflt : db_col_i64(st, i);
}

static int32_t
col_day(struct db_stmt *st, int i)
{
    return db_col_is_null(st, i) ? RCM_CLAIM_NO_DATE : (int32_t)db_col_i64(st, i);
}

static enum rcm_err
read_provider(struct db_tx *tx, int64_t tenant_id, int64_t id, struct provider_row *p,
              struct rcm_diag *diag)
{
    memset(p, 0, sizeof *p);
    if (id <= 0)
        return RCM_OK;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PROVIDER_ROW, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant_id);
    db_bind_i64(st, 2, id);
    if ((err = db_step(st, &row, diag)) || !row)
        return err;
    p->found = true;
    col(st, 0, p->npi, sizeof p->npi);
    col(st, 1, p->entity, sizeof p->entity);
    col(st, 2, p->name, sizeof p->name);
    col(st, 3, p->first, sizeof p->first);
    col(st, 4, p->taxonomy, sizeof p->taxonomy);
    col(st, 5, p->tin, sizeof p->tin);
    col(st, 6, p->address, sizeof p->address);
    col(st, 7, p->city, sizeof p->city);
    col(st, 8, p->state, sizeof p->state);
    col(st, 9, p->zip, sizeof p->zip);
    return RCM_OK;
}

static enum rcm_err
read_payer(struct db_tx *tx, int64_t tenant_id, const char *payer_id, struct payer_row *p,
           struct rcm_diag *diag)
{
    memset(p, 0, sizeof *p);
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PAYER_BY_PAYER_ID, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant_id);
    db_bind_text(st, 2, payer_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the coverage's payer has no payer record: "
                             "add it under /v1/payers first");
    p->id = db_col_i64(st, 0);
    col(st, 1, p->payer_id, sizeof p->payer_id);
    col(st, 2, p->name, sizeof p->name);
    col(st, 3, p->filing, sizeof p->filing);
    col(st, 4, p->receiver, sizeof p->receiver);
    p->timely_days = col_i64_or(st, 5, 0);
    return RCM_OK;
}

/* ---- what a claim is built from ---------------------------------------------- */

/* Everything an 837 for one encounter needs; PHI: wiped when done. */
struct parts {
    struct rcm_encounter enc;
    struct rcm_patient patient;
    struct rcm_record coverage;
    bool has_coverage;
    struct payer_row payer;
    struct provider_row billing, rendering, referring, facility;
    struct provider_row line_rendering[RCM_ENCOUNTER_MAX_LINES];
};

struct practice_args {
    struct parts *p;
    int64_t tenant_id;
    const char *payer_id;
};

static enum rcm_err
practice_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct practice_args *a = ctx;
    struct parts *p = a->p;
    enum rcm_err err = read_payer(tx, a->tenant_id, a->payer_id, &p->payer, diag);
    if (!err)
        err = read_provider(tx, a->tenant_id, p->enc.billing_provider_id, &p->billing, diag);
    if (!err)
        err = read_provider(tx, a->tenant_id, p->enc.rendering_provider_id, &p->rendering, diag);
    if (!err)
        err = read_provider(tx, a->tenant_id, p->enc.referring_provider_id, &p->referring, diag);
    if (!err)
        err = read_provider(tx, a->tenant_id, p->enc.facility_id, &p->facility, diag);
    for (int i = 0; i < p->enc.n_lines && !err; i++)
        err = read_provider(tx, a->tenant_id, p->enc.lines[i].rendering_provider_id,
                            &p->line_rendering[i], diag);
    if (!err && !p->billing.found)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "the billing provider no longer exists");
    return err;
}

static const uint32_t PATIENT_FIELDS =
    RCM_PF_BIT(RCM_PF_LAST_NAME) | RCM_PF_BIT(RCM_PF_FIRST_NAME) | RCM_PF_BIT(RCM_PF_DOB) |
    RCM_PF_BIT(RCM_PF_SEX) | RCM_PF_BIT(RCM_PF_ADDRESS_LINE1) | RCM_PF_BIT(RCM_PF_CITY) |
    RCM_PF_BIT(RCM_PF_STATE) | RCM_PF_BIT(RCM_PF_POSTAL_CODE);

/* Read the parts of encounter_id; coverage_id overrides the encounter's
 * (a secondary claim bills another coverage), 0 keeps it. */
static enum rcm_err
load_parts(struct rcm_store *s, const struct rcm_actor *actor, int64_t encounter_id,
           int64_t coverage_id, struct parts *p, struct rcm_diag *diag)
{
    enum rcm_err err = rcm_store_encounter_get(s, actor, encounter_id, false, &p->enc, diag);
    if (err)
        return err;
    if (coverage_id)
        p->enc.coverage_id = coverage_id;
    if (p->enc.coverage_id <= 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the encounter is self-pay: there is no plan "
                             "to bill (set coverage_id)");
    err = rcm_store_patient_get(s, actor, p->enc.patient_id, PATIENT_FIELDS, &p->patient, diag);
    if (!err)
        err = rcm_store_record_get(s, actor, &rcm_coverage_kind, p->enc.coverage_id,
                                   RCM_RECORD_ALL, &p->coverage, diag);
    if (err == RCM_E_NOT_FOUND)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the encounter's coverage no longer exists");
    if (err)
        return err;
    if (p->coverage.patient_id != p->enc.patient_id)
        return rcm_diag_fail(diag, RCM_E_INVAL, "coverage_id names no coverage of the patient");
    p->has_coverage = true;
    struct practice_args a = {p, actor->tenant_id,
                              p->coverage.value[rcm_record_field(&rcm_coverage_kind, "payer_id")]};
    return store_read(s, practice_fn, &a, diag);
}

static void
wipe_parts(struct parts *p)
{
    if (p) {
        rcm_crypto_wipe(p, sizeof *p);
        rcm_free(p);
    }
}

/* ---- building a struct rcm_claim ------------------------------------------------ */

static const char *
opt(const char *s)
{
    return s && s[0] ? s : NULL;
}

static const char *
cov(const struct parts *p, const char *field)
{
    int i = rcm_record_field(&rcm_coverage_kind, field);
    return i >= 0 ? opt(p->coverage.value[i]) : NULL;
}

static void
set_provider(struct rcm_claim_provider *out, const struct provider_row *r)
{
    memset(out, 0, sizeof *out);
    if (!r->found)
        return;
    out->present = true;
    out->organization = strcmp(r->entity, "organization") == 0;
    out->last_or_org = r->name;
    out->first = opt(r->first);
    out->npi = r->npi;
    out->taxonomy = opt(r->taxonomy);
    out->tin = opt(r->tin);
    out->tin_kind = r->tin[0] ? 'E' : 0;
    out->addr = (struct rcm_claim_address){opt(r->address), NULL, opt(r->city), opt(r->state),
                                           opt(r->zip)};
}

static int32_t
iso_day(const char *s)
{
    int32_t d = RCM_CLAIM_NO_DATE;
    if (!s || rcm_date_parse_iso(rcm_str_c(s), &d) != RCM_OK)
        return RCM_CLAIM_NO_DATE;
    return d;
}

/* X12 individual relationship code of the subscriber to the patient. */
static const char *
relationship_code(const char *rel)
{
    if (!rel || strcmp(rel, "self") == 0)
        return "18";
    if (strcmp(rel, "spouse") == 0)
        return "01";
    if (strcmp(rel, "child") == 0)
        return "19";
    return "G8";
}

/* The header of the claim being built: control number, frequency, payer
 * order. */
struct claim_head {
    const char *control_number;
    char frequency;
    const char *original_ref;
    char sequence;                  /* P S T */
    int32_t today;
};

static void
fill_people(const struct parts *p, struct rcm_claim *c)
{
    const struct rcm_patient *pt = &p->patient;
    const char *rel = cov(p, "relationship");
    bool self = !rel || strcmp(rel, "self") == 0;
    struct rcm_claim_address addr = {opt(pt->value[RCM_PF_ADDRESS_LINE1]), NULL,
                                     opt(pt->value[RCM_PF_CITY]), opt(pt->value[RCM_PF_STATE]),
                                     opt(pt->value[RCM_PF_POSTAL_CODE])};
    struct rcm_claim_person patient = {
        true, pt->value[RCM_PF_LAST_NAME], opt(pt->value[RCM_PF_FIRST_NAME]), NULL,
        iso_day(pt->value[RCM_PF_DOB]), pt->value[RCM_PF_SEX][0], addr};
    c->relationship = relationship_code(rel);
    if (self) {
        c->subscriber = patient;
        c->subscriber.member_id = cov(p, "member_id");
        return;
    }
    c->patient = patient;
    c->subscriber = (struct rcm_claim_person){
        true, cov(p, "subscriber_last_name"), cov(p, "subscriber_first_name"),
        cov(p, "member_id"), iso_day(cov(p, "subscriber_dob")), 'U', addr};
}

/* One billed line. `src` is an encounter line (creation) or the claim's
 * stored line (rendering); control is "" at creation. */
struct bill_line {
    const char *procedure;
    const char (*modifiers)[3];
    int n_modifiers;
    const char *revenue_code;
    int64_t units_milli, charge_cents;
    const uint8_t *dx_pointers;
    int n_dx_pointers;
    const char *pos;
    int32_t service_date;
    const char *rendering_npi;
    const char *control;
};

static enum rcm_err
build_claim(const struct parts *p, const struct claim_head *h, const struct bill_line *bl,
            int n, struct rcm_arena *arena, struct rcm_claim *c, struct rcm_diag *diag)
{
    const struct rcm_encounter *e = &p->enc;
    rcm_claim_init(c);
    c->kind = e->kind;
    c->id = h->control_number;
    c->frequency = h->frequency;
    c->original_ref = opt(h->original_ref);
    c->received_date = h->today;
    if (e->kind == RCM_CLAIM_INSTITUTIONAL) {
        c->facility_code = rcm_arena_strndup(arena, e->type_of_bill, 2);
        c->statement_from = e->service_from;
        c->statement_to = e->service_to;
        c->admission_type = opt(e->admission_type);
        c->admission_source = opt(e->admission_source);
        c->patient_status = opt(e->patient_status) ? e->patient_status : "01";
    } else {
        c->facility_code = e->place_of_service;
    }
    c->payer = (struct rcm_claim_payer){p->payer.payer_id, p->payer.name,
                                        opt(p->payer.filing) ? p->payer.filing : "CI",
                                        h->sequence, NULL, false};
    fill_people(p, c);
    set_provider(&c->billing, &p->billing);
    set_provider(&c->rendering, &p->rendering);
    set_provider(&c->referring, &p->referring);
    set_provider(&c->facility, &p->facility);
    c->n_dx = (size_t)e->n_dx;
    for (int i = 0; i < e->n_dx; i++)
        c->dx[i] = (struct rcm_claim_dx){e->dx[i], e->poa[i]};
    c->lines = rcm_arena_zalloc(arena, (size_t)(n ? n : 1) * sizeof *c->lines);
    if (!c->lines)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory building a claim");
    c->n_lines = (size_t)n;
    for (int i = 0; i < n; i++) {
        struct rcm_claim_line *l = &c->lines[i];
        l->number = (uint32_t)i + 1;
        l->procedure = bl[i].procedure;
        l->n_modifiers = (uint8_t)bl[i].n_modifiers;
        for (int m = 0; m < bl[i].n_modifiers; m++)
            l->modifiers[m] = bl[i].modifiers[m];
        l->revenue_code = opt(bl[i].revenue_code);
        l->charge_cents = bl[i].charge_cents;
        l->units_milli = bl[i].units_milli;
        l->pos = opt(bl[i].pos);
        l->from_date = l->to_date = bl[i].service_date;
        memcpy(l->dx_pointers, bl[i].dx_pointers, (size_t)bl[i].n_dx_pointers);
        l->n_dx_pointers = (uint8_t)bl[i].n_dx_pointers;
        l->rendering_npi = opt(bl[i].rendering_npi);
        l->control = opt(bl[i].control);
        c->total_charge_cents += l->charge_cents;
    }
    return RCM_OK;
}

/* The encounter's lines that may go to the plan. */
static int
lines_from_encounter(const struct parts *p, struct bill_line *out)
{
    const struct rcm_encounter *e = &p->enc;
    int n = 0;
    for (int i = 0; i < e->n_lines; i++) {
        const struct rcm_encounter_line *l = &e->lines[i];
        if (l->self_pay_restricted)
            continue;
        out[n++] = (struct bill_line){
            l->procedure, l->modifiers, l->n_modifiers, l->revenue_code, l->units_milli,
            l->charge_cents, l->dx_pointers, l->n_dx_pointers, l->place_of_service,
            l->service_date != RCM_CLAIM_NO_DATE ? l->service_date : e->service_from,
            p->line_rendering[i].found ? p->line_rendering[i].npi : NULL, ""};
    }
    return n;
}

/* ---- SQL of claims ------------------------------------------------------------- */

#define CLAIM_COLUMNS                                                                  \
    "id, tenant_id, patient_id, encounter_id, created_ms, updated_ms, control_number, "  \
    "state, claim_kind, frequency, sequence, payer_ref, payer_id, coverage_id, "          \
    "billing_provider_id, rendering_provider_id, original_claim_id, payer_claim_number, " \
    "service_from, service_to, charge_cents, paid_cents, adjustment_cents, "              \
    "patient_resp_cents, fingerprint, scrub_errors, scrub_warnings, batch_id, "           \
    "first_submitted_day, submitted_day, adjudicated_day, findings"

static const struct db_sql CLAIM_INSERT = {
    "CLAIM_INSERT",
    "INSERT INTO claim (tenant_id, patient_id, encounter_id, uid, created_ms, updated_ms, "
    "control_number, state, claim_kind, frequency, sequence, payer_ref, payer_id, coverage_id, "
    "billing_provider_id, rendering_provider_id, original_claim_id, payer_claim_number, "
    "service_from, service_to, charge_cents, fingerprint, scrub_errors, scrub_warnings, "
    "findings) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) RETURNING id", NULL};
static const struct db_sql CLAIM_LINE_INSERT = {
    "CLAIM_LINE_INSERT",
    "INSERT INTO claim_line (tenant_id, claim_id, line_no, service_line_id, procedure, "
    "modifiers, revenue_code, units_milli, charge_cents, service_date, dx_pointers, "
    "place_of_service) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", NULL};
static const struct db_sql CLAIM_EVENT_INSERT = {
    "CLAIM_EVENT_INSERT",
    "INSERT INTO claim_event (tenant_id, claim_id, at_ms, user_id, from_state, to_state, "
    "source, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", NULL};
static const struct db_sql CLAIM_DUPLICATE = {
    "CLAIM_DUPLICATE",
    "SELECT id FROM claim WHERE tenant_id = ?1 AND fingerprint = ?2 AND state NOT IN "
    "('voided', 'corrected') AND frequency = '1' ORDER BY id LIMIT 1", NULL};
static const struct db_sql ENCOUNTER_BILLED = {
    "ENCOUNTER_BILLED", "UPDATE encounter SET status = ?3, updated_ms = ?4 WHERE tenant_id = "
    "?1 AND id = ?2 AND status = ?5", NULL};
static const struct db_sql CLAIM_GET = {
    "CLAIM_GET", "SELECT " CLAIM_COLUMNS ", uid FROM claim WHERE tenant_id = ?1 AND id = ?2",
    NULL};
/* ?2 state ('' any), ?3 patient (0 any), ?4 encounter (0 any), ?5 after, ?6 limit,
 * ?7 batch (0 any) */
static const struct db_sql CLAIM_LIST = {
    "CLAIM_LIST",
    "SELECT " CLAIM_COLUMNS ", uid FROM claim WHERE tenant_id = ?1 AND (?2 = '' OR state = ?2) "
    "AND (?3 = 0 OR patient_id = ?3) AND (?4 = 0 OR encounter_id = ?4) AND id > ?5 AND "
    "(?7 = 0 OR batch_id = ?7) ORDER BY id LIMIT ?6",
    "SELECT " CLAIM_COLUMNS ", uid FROM claim WHERE tenant_id = ?1 AND (CAST(?2 AS text) = '' "
    "OR state = ?2) AND (CAST(?3 AS bigint) = 0 OR patient_id = ?3) AND (CAST(?4 AS bigint) = "
    "0 OR encounter_id = ?4) AND id > ?5 AND (CAST(?7 AS bigint) = 0 OR batch_id = ?7) "
    "ORDER BY id LIMIT ?6"};
static const struct db_sql CLAIM_LINES = {
    "CLAIM_LINES",
    "SELECT id, line_no, service_line_id, procedure, modifiers, revenue_code, units_milli, "
    "charge_cents, service_date, dx_pointers, place_of_service, paid_cents, "
    "adjustment_cents, patient_resp_cents, allowed_cents FROM claim_line WHERE claim_id = ?1 "
    "ORDER BY line_no", NULL};
static const struct db_sql CLAIM_SET_STATE = {
    "CLAIM_SET_STATE", "UPDATE claim SET state = ?3, updated_ms = ?4 WHERE tenant_id = ?1 AND "
    "id = ?2 AND state = ?5", NULL};
static const struct db_sql CLAIM_EVENTS = {
    "CLAIM_EVENTS",
    "SELECT e.id, e.at_ms, e.user_id, e.from_state, e.to_state, e.source, e.reason, c.uid, "
    "c.patient_id FROM claim_event e JOIN claim c ON c.id = e.claim_id WHERE e.tenant_id = ?1 "
    "AND e.claim_id = ?2 ORDER BY e.id", NULL};

/* ---- reading claim rows --------------------------------------------------------- */

static void
split_modifiers(const char *s, char (*out)[3], int *n)
{
    struct rcm_str w[RCM_CLAIM_MAX_MODIFIERS];
    size_t k = store_words(s, w, RCM_CLAIM_MAX_MODIFIERS);
    for (size_t i = 0; i < k; i++)
        rcm_str_copy(out[i], 3, w[i]);
    *n = (int)k;
}

static void
split_pointers(const char *s, uint8_t *out, int *n)
{
    struct rcm_str w[RCM_CLAIM_MAX_POINTERS];
    size_t k = store_words(s, w, RCM_CLAIM_MAX_POINTERS);
    *n = 0;
    for (size_t i = 0; i < k; i++) {
        int64_t v;
        if (rcm_str_to_i64(w[i], &v) == RCM_OK && v >= 1 && v <= 25)
            out[(*n)++] = (uint8_t)v;
    }
}

static void
read_claim_row(struct db_stmt *st, struct rcm_claim_row *c, char uid[33], bool findings)
{
    memset(c, 0, offsetof(struct rcm_claim_row, findings));
    c->findings[0] = '\0';
    c->n_lines = 0;
    c->id = db_col_i64(st, 0);
    c->tenant_id = db_col_i64(st, 1);
    c->patient_id = db_col_i64(st, 2);
    c->encounter_id = db_col_i64(st, 3);
    c->created_ms = db_col_i64(st, 4);
    c->updated_ms = db_col_i64(st, 5);
    col(st, 6, c->control_number, sizeof c->control_number);
    col(st, 7, c->state, sizeof c->state);
    c->kind = strcmp(db_col_str(st, 8), "institutional") == 0 ? RCM_CLAIM_INSTITUTIONAL
                                                                : RCM_CLAIM_PROFESSIONAL;
    c->frequency = db_col_str(st, 9)[0];
    col(st, 10, c->sequence, sizeof c->sequence);
    c->payer_ref = db_col_i64(st, 11);
    col(st, 12, c->payer_id, sizeof c->payer_id);
    c->coverage_id = col_i64_or(st, 13, 0);
    c->billing_provider_id = col_i64_or(st, 14, 0);
    c->rendering_provider_id = col_i64_or(st, 15, 0);
    c->original_claim_id = col_i64_or(st, 16, 0);
    col(st, 17, c->payer_claim_number, sizeof c->payer_claim_number);
    c->service_from = (int32_t)db_col_i64(st, 18);
    c->service_to = (int32_t)db_col_i64(st, 19);
    c->charge_cents = db_col_i64(st, 20);
    c->paid_cents = db_col_i64(st, 21);
    c->adjustment_cents = db_col_i64(st, 22);
    c->patient_resp_cents = db_col_i64(st, 23);
    col(st, 24, c->fingerprint, sizeof c->fingerprint);
    c->scrub_errors = (int)db_col_i64(st, 25);
    c->scrub_warnings = (int)db_col_i64(st, 26);
    c->batch_id = col_i64_or(st, 27, 0);
    c->first_submitted_day = col_day(st, 28);
    c->submitted_day = col_day(st, 29);
    c->adjudicated_day = col_day(st, 30);
    if (findings)
        col(st, 31, c->findings, sizeof c->findings);
    if (uid)
        col(st, 32, uid, 33);
}

static enum rcm_err
read_claim_lines(struct db_tx *tx, struct rcm_claim_row *c, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_LINES, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, c->id);
    c->n_lines = 0;
    while (!(err = db_step(st, &row, diag)) && row) {
        if (c->n_lines == RCM_ENCOUNTER_MAX_LINES)
            return rcm_diag_fail(diag, RCM_E_DB, "claim %" PRId64 ": too many lines", c->id);
        struct rcm_claim_line_row *l = &c->lines[c->n_lines++];
        memset(l, 0, sizeof *l);
        l->id = db_col_i64(st, 0);
        l->line_no = (int)db_col_i64(st, 1);
        l->service_line_id = col_i64_or(st, 2, 0);
        col(st, 3, l->procedure, sizeof l->procedure);
        split_modifiers(db_col_str(st, 4), l->modifiers, &l->n_modifiers);
        col(st, 5, l->revenue_code, sizeof l->revenue_code);
        l->units_milli = db_col_i64(st, 6);
        l->charge_cents = db_col_i64(st, 7);
        l->service_date = (int32_t)db_col_i64(st, 8);
        split_pointers(db_col_str(st, 9), l->dx_pointers, &l->n_dx_pointers);
        col(st, 10, l->place_of_service, sizeof l->place_of_service);
        l->paid_cents = db_col_i64(st, 11);
        l->adjustment_cents = db_col_i64(st, 12);
        l->patient_resp_cents = db_col_i64(st, 13);
        l->allowed_cents = col_i64_or(st, 14, -1);
    }
    return err;
}

struct get_args {
    int64_t tenant_id, id;
    struct rcm_claim_row *out;
    char uid[33];
};

static enum rcm_err
get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct get_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such claim");
    read_claim_row(st, a->out, a->uid, true);
    return read_claim_lines(tx, a->out, diag);
}

static enum rcm_err
audit_claim(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
            const char *action, int64_t id, int64_t patient_id, int64_t now_ms,
            struct rcm_diag *diag)
{
    char object[24], patient[24];
    snprintf(object, sizeof object, "%" PRId64, id);
    snprintf(patient, sizeof patient, "%" PRId64, patient_id);
    struct rcm_audit_what what = {action, "claim", object, patient_id ? patient : NULL,
                                  "success"};
    return tx ? store_audit_write(s, tx, actor, &what, now_ms, diag)
              : store_audit_append(s, actor, &what, diag);
}

static bool
tenant_scoped(const struct rcm_actor *actor, struct rcm_diag *diag)
{
    if (actor->tenant_id > 0)
        return true;
    rcm_diag_fail(diag, RCM_E_INVAL, "claims belong to a tenant");
    return false;
}

enum rcm_err
rcm_store_claim_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                    struct rcm_claim_row *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    struct get_args a = {actor->tenant_id, id, out, ""};
    enum rcm_err err = store_read(store, get_fn, &a, diag);
    if (!err)
        err = audit_claim(store, NULL, actor, "claim.read", id, out->patient_id, 0, diag);
    return err;
}

struct list_args {
    int64_t tenant_id;
    const struct rcm_claim_filter *f;
    int64_t after;
    int limit;
    struct rcm_claim_row *rows;
    int n;
};

static enum rcm_err
list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct list_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_text(st, 2, a->f->state ? a->f->state : "");
    db_bind_i64(st, 3, a->f->patient_id);
    db_bind_i64(st, 4, a->f->encounter_id);
    db_bind_i64(st, 5, a->after);
    db_bind_i64(st, 6, a->limit);
    db_bind_i64(st, 7, a->f->batch_id);
    a->n = 0;
    while (!(err = db_step(st, &row, diag)) && row && a->n < a->limit)
        read_claim_row(st, &a->rows[a->n++], NULL, false);
    for (int i = 0; i < a->n && !err && a->f->with_lines; i++)
        err = read_claim_lines(tx, &a->rows[i], diag);
    return err;
}

enum rcm_err
rcm_store_claim_list(struct rcm_store *store, const struct rcm_actor *actor,
                     const struct rcm_claim_filter *f, int64_t after_id, int limit,
                     rcm_claim_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (limit < 1 || limit > LIST_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1-%d", LIST_MAX);
    enum rcm_claim_state ignored;
    if (f->state && f->state[0] && rcm_claim_state_from_name(f->state, &ignored, NULL))
        return rcm_diag_fail(diag, RCM_E_INVAL, "state must be a claim state "
                             "(docs/claim-states.md)");
    struct rcm_claim_row *rows = rcm_calloc((size_t)limit, sizeof *rows);
    if (!rows)
        return RCM_E_NOMEM;
    struct list_args a = {actor->tenant_id, f, after_id, limit, rows, 0};
    enum rcm_err err = store_read(store, list_fn, &a, diag);
    if (!err)
        err = audit_claim(store, NULL, actor, "claim.list", 0, f->patient_id, 0, diag);
    for (int i = 0; i < a.n && !err; i++)
        if (fn(ctx, &rows[i]))
            break;
    rcm_free(rows);
    return err;
}

/* ---- moves ------------------------------------------------------------------------ */

/* Record one move of claim (uid, patient) from -> to, with a sealed reason. */
static enum rcm_err
write_event(struct db_tx *tx, const struct rcm_key *key, int64_t tenant_id, int64_t claim_id,
            const char *uid, int64_t user_id, const char *from, const char *to,
            const char *source, const char *reason, int64_t now_ms, struct rcm_diag *diag)
{
    uint8_t env[RCM_PATIENT_VALUE_MAX + RCM_AEAD_OVERHEAD_BYTES];
    size_t env_len = 0;
    struct store_cell cell = {tenant_id, "claim_event", "reason", uid};
    enum rcm_err err = RCM_OK;
    if (reason && reason[0] && key)
        err = store_seal_value(key, &cell, reason, env, sizeof env, &env_len);
    struct db_stmt *st;
    if (!err)
        err = db_prepare(tx, &CLAIM_EVENT_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant_id);
    db_bind_i64(st, 2, claim_id);
    db_bind_i64(st, 3, now_ms);
    if (user_id > 0)
        db_bind_i64(st, 4, user_id);
    else
        db_bind_null(st, 4);
    db_bind_text(st, 5, from && from[0] ? from : NULL);
    db_bind_text(st, 6, to);
    db_bind_text(st, 7, source);
    if (env_len)
        db_bind_blob(st, 8, env, env_len);
    else
        db_bind_null(st, 8);
    return db_exec(st, diag);
}

/* Move claim id from `from` to `to` inside tx, checked against the state
 * machine; RCM_E_CONFLICT when the claim is no longer in `from`. */
static enum rcm_err
move_in_tx(struct db_tx *tx, const struct rcm_key *key, const struct rcm_actor *actor,
           int64_t id, const char *uid, const char *from, const char *to,
           enum rcm_claim_source source, const char *reason, int64_t now_ms,
           struct rcm_diag *diag)
{
    enum rcm_claim_state f, t;
    if (rcm_claim_state_from_name(from, &f, NULL) || rcm_claim_state_from_name(to, &t, NULL))
        return rcm_diag_fail(diag, RCM_E_INVAL, "to must be a claim state "
                             "(docs/claim-states.md)");
    enum rcm_err err = rcm_claim_move_check(f, t, source, reason && reason[0], diag);
    struct db_stmt *st;
    if (!err)
        err = db_prepare(tx, &CLAIM_SET_STATE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_i64(st, 2, id);
    db_bind_text(st, 3, to);
    db_bind_i64(st, 4, now_ms);
    db_bind_text(st, 5, from);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) != 1)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the claim changed meanwhile; read it "
                             "again");
    return write_event(tx, key, actor->tenant_id, id, uid, actor->user_id, from, to,
                       rcm_claim_source_name(source), reason, now_ms, diag);
}

struct move_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct rcm_key *key;
    struct rcm_claim_row *c;
    const char *uid;
    const char *to;
    const char *reason;
    int64_t now_ms;
};

static const struct db_sql ENCOUNTER_REOPEN = {
    "ENCOUNTER_REOPEN", "UPDATE encounter SET status = 'open', updated_ms = ?3 WHERE "
    "tenant_id = ?1 AND id = ?2 AND status = 'billed' AND NOT EXISTS (SELECT 1 FROM claim "
    "WHERE encounter_id = ?2 AND state NOT IN ('voided', 'corrected'))", NULL};

static enum rcm_err
move_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct move_args *m = ctx;
    enum rcm_err err = move_in_tx(tx, m->key, m->actor, m->c->id, m->uid, m->c->state, m->to,
                                  RCM_CLAIM_SRC_USER, m->reason, m->now_ms, diag);
    /* a claim voided before it was ever sent gives its encounter back for
     * correction */
    if (!err && strcmp(m->to, "voided") == 0) {
        struct db_stmt *st;
        if (!(err = db_prepare(tx, &ENCOUNTER_REOPEN, &st, diag))) {
            db_bind_i64(st, 1, m->actor->tenant_id);
            db_bind_i64(st, 2, m->c->encounter_id);
            db_bind_i64(st, 3, m->now_ms);
            err = db_exec(st, diag);
        }
    }
    if (!err)
        err = audit_claim(m->s, tx, m->actor, "claim.move", m->c->id, m->c->patient_id,
                          m->now_ms, diag);
    return err;
}

enum rcm_err
rcm_store_claim_move(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                     const char *to, const char *reason, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (reason && rcm_field_check_len("reason", reason, RCM_PATIENT_VALUE_MAX, diag))
        return RCM_E_INVAL;
    struct rcm_claim_row *c = rcm_calloc(1, sizeof *c);
    if (!c)
        return RCM_E_NOMEM;
    struct get_args a = {actor->tenant_id, id, c, ""};
    struct rcm_key key = {0};
    enum rcm_err err = store_read(store, get_fn, &a, diag);
    if (!err && reason && reason[0])
        err = store_patient_key_read(store, actor->tenant_id, c->patient_id, &key, diag);
    struct move_args m = {store, actor, &key, c, a.uid, to, reason, rcm_time_now_ms()};
    if (!err)
        err = db_write(store->db, move_fn, &m, diag);
    rcm_key_wipe(&key);
    rcm_free(c);
    return err;
}

struct events_args {
    int64_t tenant_id, id;
    struct rcm_claim_event *rows;
    int n, cap;
    int64_t patient_id;
    char uid[33];
    uint8_t (*env)[RCM_PATIENT_VALUE_MAX + RCM_AEAD_OVERHEAD_BYTES];
    size_t *env_len;
};

static enum rcm_err
events_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct events_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_EVENTS, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    a->n = 0;
    while (!(err = db_step(st, &row, diag)) && row && a->n < a->cap) {
        struct rcm_claim_event *e = &a->rows[a->n];
        memset(e, 0, sizeof *e);
        e->id = db_col_i64(st, 0);
        e->at_ms = db_col_i64(st, 1);
        e->user_id = col_i64_or(st, 2, 0);
        col(st, 3, e->from_state, sizeof e->from_state);
        col(st, 4, e->to_state, sizeof e->to_state);
        col(st, 5, e->source, sizeof e->source);
        size_t n = 0;
        const void *p = db_col_blob(st, 6, &n);
        a->env_len[a->n] = p && n <= sizeof a->env[0] ? n : 0;
        if (a->env_len[a->n])
            memcpy(a->env[a->n], p, n);
        col(st, 7, a->uid, sizeof a->uid);
        a->patient_id = db_col_i64(st, 8);
        a->n++;
    }
    return err;
}

#define EVENTS_MAX 200

enum rcm_err
rcm_store_claim_events(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                       bool open_reasons, rcm_claim_event_fn fn, void *ctx,
                       struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    struct events_args a = {actor->tenant_id, id, rcm_calloc(EVENTS_MAX, sizeof *a.rows), 0,
                            EVENTS_MAX, 0, "", rcm_calloc(EVENTS_MAX, sizeof *a.env),
                            rcm_calloc(EVENTS_MAX, sizeof *a.env_len)};
    enum rcm_err err = a.rows && a.env && a.env_len ? RCM_OK : RCM_E_NOMEM;
    struct rcm_claim_row *probe = err ? NULL : rcm_calloc(1, sizeof *probe);
    struct get_args g = {actor->tenant_id, id, probe, ""};
    if (!err && !probe)
        err = RCM_E_NOMEM;
    if (!err)
        err = store_read(store, get_fn, &g, diag);    /* another tenant's: not found */
    if (!err)
        err = store_read(store, events_fn, &a, diag);
    struct rcm_key key = {0};
    bool any = false;
    for (int i = 0; i < a.n; i++)
        any |= a.env_len[i] > 0;
    if (!err && open_reasons && any)
        err = store_patient_key_read(store, actor->tenant_id, a.patient_id, &key, diag);
    struct store_cell cell = {actor->tenant_id, "claim_event", "reason", a.uid};
    for (int i = 0; i < a.n && !err && open_reasons; i++)
        err = store_open_value(&key, &cell, a.env[i], a.env_len[i], a.rows[i].reason,
                               sizeof a.rows[i].reason, diag);
    rcm_key_wipe(&key);
    if (!err)
        err = audit_claim(store, NULL, actor, "claim.history", id, probe->patient_id, 0, diag);
    for (int i = 0; i < a.n && !err; i++)
        if (fn(ctx, &a.rows[i]))
            break;
    if (a.rows)
        rcm_crypto_wipe(a.rows, EVENTS_MAX * sizeof *a.rows);
    rcm_free(a.rows);
    rcm_free(a.env);
    rcm_free(a.env_len);
    rcm_free(probe);
    return err;
}

/* ---- creating a claim from an encounter ----------------------------------------- */

struct create_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct parts *p;
    const struct rcm_claim *claim;
    const struct bill_line *lines;
    const int *line_src;              /* encounter line index of each billed line */
    const char *uid;
    const char *fingerprint;
    const struct rcm_scrub_result *res;
    char *findings;                   /* made in the transaction: it names a duplicate */
    const char *sequence;
    int errors, warnings;
    int64_t original_claim_id;
    int64_t now_ms;
    int64_t id;
    int64_t duplicate_of;
};

static enum rcm_err
insert_claim_lines(struct db_tx *tx, const struct create_args *a, struct rcm_diag *diag)
{
    for (size_t i = 0; i < a->claim->n_lines; i++) {
        const struct bill_line *l = &a->lines[i];
        char mods[16] = "", ptrs[16] = "";
        size_t at = 0;
        for (int m = 0; m < l->n_modifiers; m++)
            store_join(mods, sizeof mods, &at, l->modifiers[m]);
        at = 0;
        for (int k = 0; k < l->n_dx_pointers; k++) {
            char w[4];
            snprintf(w, sizeof w, "%d", l->dx_pointers[k]);
            store_join(ptrs, sizeof ptrs, &at, w);
        }
        struct db_stmt *st;
        enum rcm_err err = db_prepare(tx, &CLAIM_LINE_INSERT, &st, diag);
        if (err)
            return err;
        db_bind_i64(st, 1, a->actor->tenant_id);
        db_bind_i64(st, 2, a->id);
        db_bind_i64(st, 3, (int64_t)i + 1);
        int src = a->line_src[i];
        if (src >= 0 && a->p->enc.lines[src].id > 0)
            db_bind_i64(st, 4, a->p->enc.lines[src].id);
        else
            db_bind_null(st, 4);
        db_bind_text(st, 5, l->procedure);
        db_bind_text(st, 6, mods);
        db_bind_text(st, 7, opt(l->revenue_code));
        db_bind_i64(st, 8, l->units_milli);
        db_bind_i64(st, 9, l->charge_cents);
        db_bind_i64(st, 10, l->service_date);
        db_bind_text(st, 11, ptrs);
        db_bind_text(st, 12, opt(l->pos));
        if ((err = db_exec(st, diag)))
            return err;
    }
    return RCM_OK;
}

/* The scrubber's findings, plus the duplicate when there is one, as JSON. */
static char *
findings_json(const struct rcm_scrub_result *res, int64_t duplicate_of)
{
    json_t *list = rcm_scrub_result_json(res);
    json_t *o = list ? json_pack("{s:o,s:s}", "findings", list, "payer_rule",
                                 res->payer_rule ? res->payer_rule : "")
                     : NULL;
    if (!o)
        return NULL;
    if (duplicate_of) {
        json_t *dup = json_pack("{s:s,s:s,s:s,s:I}", "edit", "duplicate-claim-history",
                                "severity", "error", "message", "the same services for the "
                                "same patient, payer and dates are already on another claim",
                                "claim_id", (json_int_t)duplicate_of);
        if (!dup || json_array_append_new(list, dup) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static enum rcm_err
create_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct create_args *a = ctx;
    const struct parts *p = a->p;
    const struct rcm_claim *c = a->claim;
    struct db_stmt *st;
    bool row;
    /* a duplicate of a live original claim (docs/rcm.md): kept as a draft
     * with an error, never sent */
    a->duplicate_of = 0;
    enum rcm_err err = db_prepare(tx, &CLAIM_DUPLICATE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_text(st, 2, a->fingerprint);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (row && c->frequency == '1')
        a->duplicate_of = db_col_i64(st, 0);
    free(a->findings);
    if (!(a->findings = findings_json(a->res, a->duplicate_of)))
        return RCM_E_NOMEM;
    bool ready = a->errors == 0 && !a->duplicate_of;
    if ((err = db_prepare(tx, &CLAIM_INSERT, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, p->enc.patient_id);
    db_bind_i64(st, 3, p->enc.id);
    db_bind_text(st, 4, a->uid);
    db_bind_i64(st, 5, a->now_ms);
    db_bind_text(st, 6, c->id);
    db_bind_text(st, 7, ready ? "ready" : "draft");
    db_bind_text(st, 8, c->kind == RCM_CLAIM_INSTITUTIONAL ? "institutional" : "professional");
    char freq[2] = {c->frequency, 0};
    db_bind_text(st, 9, freq);
    db_bind_text(st, 10, a->sequence);
    db_bind_i64(st, 11, p->payer.id);
    db_bind_text(st, 12, p->payer.payer_id);
    db_bind_i64(st, 13, p->enc.coverage_id);
    db_bind_i64(st, 14, p->enc.billing_provider_id);
    if (p->enc.rendering_provider_id > 0)
        db_bind_i64(st, 15, p->enc.rendering_provider_id);
    else
        db_bind_null(st, 15);
    if (a->original_claim_id > 0)
        db_bind_i64(st, 16, a->original_claim_id);
    else
        db_bind_null(st, 16);
    db_bind_text(st, 17, opt(c->original_ref));
    db_bind_i64(st, 18, p->enc.service_from);
    db_bind_i64(st, 19, p->enc.service_to);
    db_bind_i64(st, 20, c->total_charge_cents);
    db_bind_text(st, 21, a->fingerprint);
    db_bind_i64(st, 22, a->errors + (a->duplicate_of ? 1 : 0));
    db_bind_i64(st, 23, a->warnings);
    db_bind_text(st, 24, a->findings);
    if ((err = db_step(st, &row, diag)))
        return err;
    a->id = db_col_i64(st, 0);
    if ((err = insert_claim_lines(tx, a, diag)))
        return err;
    err = write_event(tx, NULL, a->actor->tenant_id, a->id, a->uid, a->actor->user_id, NULL,
                      "draft", "user", NULL, a->now_ms, diag);
    if (!err && ready)
        err = write_event(tx, NULL, a->actor->tenant_id, a->id, a->uid, 0, "draft", "ready",
                          "scrub", NULL, a->now_ms, diag);
    if (!err && (err = db_prepare(tx, &ENCOUNTER_BILLED, &st, diag)) == RCM_OK) {
        db_bind_i64(st, 1, a->actor->tenant_id);
        db_bind_i64(st, 2, p->enc.id);
        db_bind_text(st, 3, "billed");
        db_bind_i64(st, 4, a->now_ms);
        db_bind_text(st, 5, a->sequence[0] == 'p' && c->frequency == '1' ? "open" : "billed");
        err = db_exec(st, diag);
        if (!err && db_changes(st) != 1)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the encounter is already billed: "
                                "correct or void its claim instead");
    }
    return err ? err : audit_claim(a->s, tx, a->actor, "claim.create", a->id,
                                   p->enc.patient_id, a->now_ms, diag);
}

enum rcm_err
rcm_store_claim_create(struct rcm_store *store, const struct rcm_actor *actor,
                       const struct rcm_claim_create *in, int64_t *id, struct rcm_diag *diag)
{
    *id = 0;
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    struct parts *p = rcm_calloc(1, sizeof *p);
    struct bill_line *bl = rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *bl);
    int *src = rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *src);
    struct rcm_arena arena;
    rcm_arena_init(&arena, ARENA_BYTES, 0);
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 200);
    struct rcm_claim claim;
    char control[24], uid[33], fp_hex[65];
    uint8_t rnd[16], fp[RCM_CLAIM_FINGERPRINT_BYTES];
    enum rcm_err err = p && bl && src ? RCM_OK : RCM_E_NOMEM;
    if (!err)
        err = load_parts(store, actor, in->encounter_id, in->coverage_id, p, diag);
    if (!err && strcmp(p->enc.status, "void") == 0)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the encounter is void");
    int n = 0;
    if (!err) {
        for (int i = 0, k = 0; i < p->enc.n_lines; i++)
            if (!p->enc.lines[i].self_pay_restricted)
                src[k++] = i;
        n = lines_from_encounter(p, bl);
        if (n == 0)
            err = rcm_diag_fail(diag, RCM_E_INVAL, "every line is restricted from the plan "
                                "(self_pay_restricted): there is nothing to bill");
    }
    if (!err) {
        rcm_random_bytes(rnd, sizeof rnd);
        rcm_hex_encode(rnd, sizeof rnd, uid);
        rcm_hex_encode(rnd, 7, control);       /* 14 hex digits: CLM01 */
        for (char *q = control; *q; q++)
            if (*q >= 'a' && *q <= 'f')
                *q = (char)(*q - 'a' + 'A');
        const char *seq = in->sequence ? in->sequence : "primary";
        struct claim_head h = {control, '1', NULL, (char)(seq[0] - 'a' + 'A'),
                               in->today ? in->today : rcm_date_today_utc()};
        err = build_claim(p, &h, bl, n, &arena, &claim, diag);
    }
    if (!err)
        err = rcm_scrub_claim(in->scrub ? in->scrub : &(struct rcm_scrub_ref){0}, &claim,
                              claim.received_date, NULL, &res);
    if (!err)
        err = rcm_claim_fingerprint(&claim, p->enc.patient_id, fp);
    if (!err)
        rcm_hex_encode(fp, sizeof fp, fp_hex);
    struct create_args a = {store, actor, p, &claim, bl, src, uid, fp_hex, &res, NULL,
                            in->sequence ? in->sequence : "primary", (int)res.n_errors,
                            (int)res.n_warnings, 0, rcm_time_now_ms(), 0, 0};
    if (!err)
        err = db_write(store->db, create_fn, &a, diag);
    if (!err)
        *id = a.id;
    free(a.findings);
    rcm_scrub_result_release(&res);
    rcm_arena_release(&arena);
    wipe_parts(p);
    rcm_free(bl);
    rcm_free(src);
    return err;
}

/* ---- batches ------------------------------------------------------------------------ */

static const struct db_sql BATCH_CANDIDATES = {
    "BATCH_CANDIDATES",
    "SELECT c.id, c.uid, c.claim_kind, c.charge_cents, coalesce(p.receiver_id, ''), "
    "c.patient_id FROM claim c JOIN payer p ON p.id = c.payer_ref WHERE c.tenant_id = ?1 AND "
    "c.state = 'ready' ORDER BY c.id LIMIT ?2", NULL};
static const struct db_sql PARTNER_NEXT = {
    "PARTNER_NEXT",
    "INSERT INTO partner_control (tenant_id, partner, last_isa13, last_gs06) VALUES (?1, ?2, "
    "1, 1) ON CONFLICT (tenant_id, partner) DO UPDATE SET last_isa13 = CASE WHEN "
    "partner_control.last_isa13 >= 999999999 THEN 1 ELSE partner_control.last_isa13 + 1 END, "
    "last_gs06 = CASE WHEN partner_control.last_gs06 >= 999999999 THEN 1 ELSE "
    "partner_control.last_gs06 + 1 END RETURNING last_isa13, last_gs06", NULL};
static const struct db_sql BATCH_INSERT = {
    "BATCH_INSERT",
    "INSERT INTO claim_batch (tenant_id, created_ms, user_id, partner, kind, isa13, gs06, "
    "file_name, n_claims, charge_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "RETURNING id", NULL};
static const struct db_sql CLAIM_SUBMIT = {
    "CLAIM_SUBMIT",
    "UPDATE claim SET state = 'submitted', batch_id = ?3, submitted_day = ?4, "
    "first_submitted_day = coalesce(first_submitted_day, ?4), updated_ms = ?5 WHERE "
    "tenant_id = ?1 AND id = ?2 AND state = 'ready'", NULL};
static const struct db_sql BATCH_GET = {
    "BATCH_GET",
    "SELECT id, created_ms, user_id, partner, kind, isa13, gs06, file_name, n_claims, "
    "charge_cents, ack_state FROM claim_batch WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql BATCH_LIST = {
    "BATCH_LIST",
    "SELECT id, created_ms, user_id, partner, kind, isa13, gs06, file_name, n_claims, "
    "charge_cents, ack_state FROM claim_batch WHERE tenant_id = ?1 AND id > ?2 ORDER BY id "
    "LIMIT ?3", NULL};

struct candidate {
    int64_t id, patient_id, charge_cents;
    char uid[33];
    char partner[16];
    char kind[5];
};

struct batch_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct rcm_x12_sender *sender;
    struct candidate *c;
    int n;
    int64_t now_ms;
    struct rcm_batch *out;
    size_t max_out, n_out;
};

static enum rcm_err
candidates_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct batch_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &BATCH_CANDIDATES, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, BATCH_MAX_CLAIMS);
    a->n = 0;
    while (!(err = db_step(st, &row, diag)) && row && a->n < BATCH_MAX_CLAIMS) {
        struct candidate *c = &a->c[a->n++];
        c->id = db_col_i64(st, 0);
        col(st, 1, c->uid, sizeof c->uid);
        bool inst = strcmp(db_col_str(st, 2), "institutional") == 0;
        rcm_str_copy(c->kind, sizeof c->kind, rcm_str_c(inst ? "837I" : "837P"));
        c->charge_cents = db_col_i64(st, 3);
        const char *partner = db_col_str(st, 4);
        rcm_str_copy(c->partner, sizeof c->partner,
                     rcm_str_c(partner[0] ? partner : a->sender->default_partner));
        c->patient_id = db_col_i64(st, 5);
    }
    return err;
}

/* Commit one batch: the claims of a->c with this partner and kind that are
 * still ready. */
static enum rcm_err
one_batch(struct db_tx *tx, struct batch_args *a, const char *partner, const char *kind,
          struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PARTNER_NEXT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_text(st, 2, partner);
    if ((err = db_step(st, &row, diag)))
        return err;
    struct rcm_batch *b = &a->out[a->n_out];
    memset(b, 0, sizeof *b);
    b->isa13 = db_col_i64(st, 0);
    b->gs06 = db_col_i64(st, 1);
    b->created_ms = a->now_ms;
    b->user_id = a->actor->user_id;
    rcm_str_copy(b->partner, sizeof b->partner, rcm_str_c(partner));
    rcm_str_copy(b->kind, sizeof b->kind, rcm_str_c(kind));
    rcm_str_copy(b->ack_state, sizeof b->ack_state, RCM_STR("written"));
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->c[i].partner, partner) == 0 && strcmp(a->c[i].kind, kind) == 0) {
            b->n_claims++;
            b->charge_cents += a->c[i].charge_cents;
        }
    snprintf(b->file_name, sizeof b->file_name, "%s-%s-%09" PRId64 ".x12", kind, partner,
             b->isa13);
    if ((err = db_prepare(tx, &BATCH_INSERT, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->now_ms);
    if (a->actor->user_id > 0)
        db_bind_i64(st, 3, a->actor->user_id);
    else
        db_bind_null(st, 3);
    db_bind_text(st, 4, partner);
    db_bind_text(st, 5, kind);
    db_bind_i64(st, 6, b->isa13);
    db_bind_i64(st, 7, b->gs06);
    db_bind_text(st, 8, b->file_name);
    db_bind_i64(st, 9, b->n_claims);
    db_bind_i64(st, 10, b->charge_cents);
    if ((err = db_step(st, &row, diag)))
        return err;
    b->id = db_col_i64(st, 0);
    int32_t today = (int32_t)(a->now_ms / 86400000);
    for (int i = 0; i < a->n && !err; i++) {
        struct candidate *c = &a->c[i];
        if (strcmp(c->partner, partner) != 0 || strcmp(c->kind, kind) != 0)
            continue;
        if ((err = db_prepare(tx, &CLAIM_SUBMIT, &st, diag)))
            return err;
        db_bind_i64(st, 1, a->actor->tenant_id);
        db_bind_i64(st, 2, c->id);
        db_bind_i64(st, 3, b->id);
        db_bind_i64(st, 4, today);
        db_bind_i64(st, 5, a->now_ms);
        if ((err = db_exec(st, diag)))
            return err;
        if (db_changes(st) != 1)
            return rcm_diag_fail(diag, RCM_E_CONFLICT, "a claim changed while the batch was "
                                 "built; build it again");
        err = write_event(tx, NULL, a->actor->tenant_id, c->id, c->uid, a->actor->user_id,
                          "ready", "submitted", "batch", NULL, a->now_ms, diag);
        if (!err)
            err = audit_claim(a->s, tx, a->actor, "claim.submit", c->id, c->patient_id,
                              a->now_ms, diag);
    }
    a->n_out++;
    return err;
}

static enum rcm_err
batch_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct batch_args *a = ctx;
    a->n_out = 0;
    enum rcm_err err = RCM_OK;
    /* one batch per (partner, kind), in the order the claims came */
    for (int i = 0; i < a->n && !err; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(a->c[j].partner, a->c[i].partner) == 0 &&
                   strcmp(a->c[j].kind, a->c[i].kind) == 0;
        if (seen)
            continue;
        if (a->n_out == a->max_out)
            return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "more than %zu batches at once",
                                 a->max_out);
        err = one_batch(tx, a, a->c[i].partner, a->c[i].kind, diag);
    }
    if (!err && a->n_out) {
        struct rcm_audit_what what = {"batch.create", "claim_batch", NULL, NULL, "success"};
        err = store_audit_write(a->s, tx, a->actor, &what, a->now_ms, diag);
    }
    return err;
}

enum rcm_err
rcm_store_batch_create(struct rcm_store *store, const struct rcm_actor *actor,
                       const struct rcm_x12_sender *sender, struct rcm_batch *out,
                       size_t max_out, size_t *n_out, struct rcm_diag *diag)
{
    *n_out = 0;
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    struct batch_args a = {store, actor, sender, rcm_calloc(BATCH_MAX_CLAIMS, sizeof *a.c), 0,
                           rcm_time_now_ms(), out, max_out, 0};
    if (!a.c)
        return RCM_E_NOMEM;
    enum rcm_err err = store_read(store, candidates_fn, &a, diag);
    if (!err && a.n)
        err = db_write(store->db, batch_fn, &a, diag);
    if (!err)
        *n_out = a.n_out;
    rcm_free(a.c);
    return err;
}

static void
read_batch(struct db_stmt *st, struct rcm_batch *b)
{
    memset(b, 0, sizeof *b);
    b->id = db_col_i64(st, 0);
    b->created_ms = db_col_i64(st, 1);
    b->user_id = col_i64_or(st, 2, 0);
    col(st, 3, b->partner, sizeof b->partner);
    col(st, 4, b->kind, sizeof b->kind);
    b->isa13 = db_col_i64(st, 5);
    b->gs06 = db_col_i64(st, 6);
    col(st, 7, b->file_name, sizeof b->file_name);
    b->n_claims = (int)db_col_i64(st, 8);
    b->charge_cents = db_col_i64(st, 9);
    col(st, 10, b->ack_state, sizeof b->ack_state);
}

struct batch_get_args {
    int64_t tenant_id, id, after;
    int limit;
    struct rcm_batch *rows;
    int n;
};

static enum rcm_err
batch_get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct batch_get_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, a->id ? &BATCH_GET : &BATCH_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id ? a->id : a->after);
    if (!a->id)
        db_bind_i64(st, 3, a->limit);
    a->n = 0;
    while (!(err = db_step(st, &row, diag)) && row && a->n < a->limit)
        read_batch(st, &a->rows[a->n++]);
    if (!err && a->id && a->n == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such batch");
    return err;
}

enum rcm_err
rcm_store_batch_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                    struct rcm_batch *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    struct batch_get_args a = {actor->tenant_id, id, 0, 1, out, 0};
    return store_read(store, batch_get_fn, &a, diag);
}

enum rcm_err
rcm_store_batch_list(struct rcm_store *store, const struct rcm_actor *actor, int64_t after_id,
                     int limit, struct rcm_batch *out, int *n, struct rcm_diag *diag)
{
    *n = 0;
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (limit < 1 || limit > LIST_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1-%d", LIST_MAX);
    struct batch_get_args a = {actor->tenant_id, 0, after_id, limit, out, 0};
    enum rcm_err err = store_read(store, batch_get_fn, &a, diag);
    *n = a.n;
    return err;
}

/* ---- rendering a batch as an 837 -------------------------------------------------- */

struct render_ctx {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    struct rcm_x12_claim *x12;
    size_t n, cap;
    struct rcm_diag *diag;
    enum rcm_err err;
    struct parts *p;
    struct bill_line *bl;
    char (*controls)[31];
    int64_t last_id;
};

#define RENDER_PAGE 50

static int
render_one(void *ctx, const struct rcm_claim_row *c)
{
    struct render_ctx *r = ctx;
    struct parts *p = r->p;
    r->last_id = c->id;
    memset(p, 0, sizeof *p);
    r->err = load_parts(r->s, r->actor, c->encounter_id, c->coverage_id, p, r->diag);
    if (r->err)
        return 1;
    for (int i = 0; i < c->n_lines; i++) {
        const struct rcm_claim_line_row *l = &c->lines[i];
        snprintf(r->controls[i], sizeof r->controls[i], "L%" PRId64, l->id);
        r->bl[i] = (struct bill_line){l->procedure, l->modifiers, l->n_modifiers,
                                      l->revenue_code, l->units_milli, l->charge_cents,
                                      l->dx_pointers, l->n_dx_pointers, l->place_of_service,
                                      l->service_date, NULL, r->controls[i]};
    }
    struct rcm_arena arena;
    rcm_arena_init(&arena, ARENA_BYTES, 0);
    struct rcm_claim claim;
    struct claim_head h = {c->control_number, c->frequency, c->payer_claim_number,
                           (char)(c->sequence[0] - 'a' + 'A'), c->submitted_day};
    if (r->n == r->cap)
        r->err = rcm_diag_fail(r->diag, RCM_E_TOO_LARGE, "too many claims in one batch");
    if (!r->err)
        r->err = build_claim(p, &h, r->bl, c->n_lines, &arena, &claim, r->diag);
    if (!r->err)
        r->err = rcm_claim_to_x12(&claim, &r->x12[r->n], r->diag);
    if (!r->err)
        r->n++;
    rcm_arena_release(&arena);
    return r->err != RCM_OK;
}

enum rcm_err
rcm_store_batch_render(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                       const struct rcm_x12_sender *sender, struct rcm_buf *out,
                       struct rcm_diag *diag)
{
    struct rcm_batch b;
    enum rcm_err err = rcm_store_batch_get(store, actor, id, &b, diag);
    if (err)
        return err;
    struct render_ctx r = {store, actor, rcm_calloc((size_t)b.n_claims + 1, sizeof *r.x12), 0,
                           (size_t)b.n_claims, diag, RCM_OK, rcm_calloc(1, sizeof *r.p),
                           rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *r.bl),
                           rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *r.controls), 0};
    if (!r.x12 || !r.p || !r.bl || !r.controls)
        err = RCM_E_NOMEM;
    struct rcm_claim_filter f = {.batch_id = id, .with_lines = true};
    for (int64_t after = 0; !err;) {
        size_t before = r.n;
        err = rcm_store_claim_list(store, actor, &f, after, RENDER_PAGE, render_one, &r, diag);
        if (!err)
            err = r.err;
        if (err || r.n - before < RENDER_PAGE)
            break;
        after = r.last_id;
    }
    if (!err && r.n != (size_t)b.n_claims)
        err = rcm_diag_fail(diag, RCM_E_DB, "batch %" PRId64 ": %zu of %d claims found", id,
                            r.n, b.n_claims);
    char date8[9], time4[5];
    int64_t secs = b.created_ms / 1000;
    char iso[11];
    rcm_date_format_iso((int32_t)(secs / 86400), iso);
    snprintf(date8, sizeof date8, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
    uint64_t usecs = secs > 0 ? (uint64_t)secs : 0;
    snprintf(time4, sizeof time4, "%02u%02u", (unsigned)(usecs / 3600 % 24),
             (unsigned)(usecs / 60 % 60));
    struct rcm_x12_envelope env;
    memset(&env, 0, sizeof env);
    rcm_str_copy(env.sender_qualifier, sizeof env.sender_qualifier,
                 rcm_str_c(sender->sender_qualifier));
    rcm_str_copy(env.sender_id, sizeof env.sender_id, rcm_str_c(sender->sender_id));
    rcm_str_copy(env.receiver_qualifier, sizeof env.receiver_qualifier, RCM_STR("ZZ"));
    rcm_str_copy(env.receiver_id, sizeof env.receiver_id, rcm_str_c(b.partner));
    rcm_str_copy(env.gs_sender, sizeof env.gs_sender, rcm_str_c(sender->sender_id));
    rcm_str_copy(env.gs_receiver, sizeof env.gs_receiver, rcm_str_c(b.partner));
    env.isa13 = (uint32_t)b.isa13;
    env.gs06 = (uint32_t)b.gs06;
    env.date8 = date8;
    env.time4 = time4;
    env.usage = sender->usage;
    rcm_str_copy(env.submitter_name, sizeof env.submitter_name,
                 rcm_str_c(sender->submitter_name));
    rcm_str_copy(env.submitter_id, sizeof env.submitter_id, rcm_str_c(sender->sender_id));
    rcm_str_copy(env.contact_name, sizeof env.contact_name, RCM_STR("BILLING OFFICE"));
    rcm_str_copy(env.contact_phone, sizeof env.contact_phone, RCM_STR("8005550100"));
    rcm_str_copy(env.receiver_name, sizeof env.receiver_name, rcm_str_c(b.partner));
    rcm_str_copy(env.receiver_etin, sizeof env.receiver_etin, rcm_str_c(b.partner));
    if (!err)
        err = strcmp(b.kind, "837I") == 0 ? rcm_x12_write_837i(&env, r.x12, r.n, out, diag)
                                          : rcm_x12_write_837p(&env, r.x12, r.n, out, diag);
    if (r.x12)
        rcm_crypto_wipe(r.x12, ((size_t)b.n_claims + 1) * sizeof *r.x12);
    rcm_free(r.x12);
    wipe_parts(r.p);
    rcm_free(r.bl);
    rcm_free(r.controls);
    return err;
}
