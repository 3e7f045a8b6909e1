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
/* Claims per call of rcm_store_batch_create (the rest wait for the next
 * call): rendering holds one struct rcm_x12_claim (about 52 KB) per claim,
 * so this bounds a render to about 52 MB. */
#define BATCH_MAX_CLAIMS 1000
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
    db_col_copy(st, 0, p->npi, sizeof p->npi);
    db_col_copy(st, 1, p->entity, sizeof p->entity);
    db_col_copy(st, 2, p->name, sizeof p->name);
    db_col_copy(st, 3, p->first, sizeof p->first);
    db_col_copy(st, 4, p->taxonomy, sizeof p->taxonomy);
    db_col_copy(st, 5, p->tin, sizeof p->tin);
    db_col_copy(st, 6, p->address, sizeof p->address);
    db_col_copy(st, 7, p->city, sizeof p->city);
    db_col_copy(st, 8, p->state, sizeof p->state);
    db_col_copy(st, 9, p->zip, sizeof p->zip);
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
    db_col_copy(st, 1, p->payer_id, sizeof p->payer_id);
    db_col_copy(st, 2, p->name, sizeof p->name);
    db_col_copy(st, 3, p->filing, sizeof p->filing);
    db_col_copy(st, 4, p->receiver, sizeof p->receiver);
    p->timely_days = db_col_i64_or(st, 5, 0);
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

/* The tenant's own rules for the claim's payer (store_payer_rules.c)
 * replace ref's shipped rules for the claim: *out is the reference to scrub
 * with; *own the rules read (NULL when none), freed by the caller after the
 * findings are stored, since they name the rule. */
struct tenant_rules_args {
    int64_t tenant_id;
    const struct payer_row *payer;
    struct rcm_payer_rules *rules;
};

static enum rcm_err
tenant_rules_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct tenant_rules_args *a = ctx;
    return store_payer_rules_read(tx, a->tenant_id, a->payer->id, a->payer->payer_id,
                                  &a->rules, diag);
}

static enum rcm_err
scrub_ref_for(struct rcm_store *s, const struct rcm_actor *actor, const struct parts *p,
              const struct rcm_scrub_ref *ref, struct rcm_scrub_ref *out,
              struct rcm_payer_rules **own, struct rcm_diag *diag)
{
    struct tenant_rules_args a = {actor->tenant_id, &p->payer, NULL};
    enum rcm_err err = store_read(s, tenant_rules_fn, &a, diag);
    *out = ref ? *ref : (struct rcm_scrub_ref){0};
    if (a.rules)
        out->rules = a.rules;
    *own = a.rules;
    return err;
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
    db_col_copy(st, 6, c->control_number, sizeof c->control_number);
    db_col_copy(st, 7, c->state, sizeof c->state);
    c->kind = strcmp(db_col_str(st, 8), "institutional") == 0 ? RCM_CLAIM_INSTITUTIONAL
                                                                : RCM_CLAIM_PROFESSIONAL;
    c->frequency = db_col_str(st, 9)[0];
    db_col_copy(st, 10, c->sequence, sizeof c->sequence);
    c->payer_ref = db_col_i64(st, 11);
    db_col_copy(st, 12, c->payer_id, sizeof c->payer_id);
    c->coverage_id = db_col_i64_or(st, 13, 0);
    c->billing_provider_id = db_col_i64_or(st, 14, 0);
    c->rendering_provider_id = db_col_i64_or(st, 15, 0);
    c->original_claim_id = db_col_i64_or(st, 16, 0);
    db_col_copy(st, 17, c->payer_claim_number, sizeof c->payer_claim_number);
    c->service_from = (int32_t)db_col_i64(st, 18);
    c->service_to = (int32_t)db_col_i64(st, 19);
    c->charge_cents = db_col_i64(st, 20);
    c->paid_cents = db_col_i64(st, 21);
    c->adjustment_cents = db_col_i64(st, 22);
    c->patient_resp_cents = db_col_i64(st, 23);
    db_col_copy(st, 24, c->fingerprint, sizeof c->fingerprint);
    c->scrub_errors = (int)db_col_i64(st, 25);
    c->scrub_warnings = (int)db_col_i64(st, 26);
    c->batch_id = db_col_i64_or(st, 27, 0);
    c->first_submitted_day = col_day(st, 28);
    c->submitted_day = col_day(st, 29);
    c->adjudicated_day = col_day(st, 30);
    if (findings)
        db_col_copy(st, 31, c->findings, sizeof c->findings);
    if (uid)
        db_col_copy(st, 32, uid, 33);
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
        l->service_line_id = db_col_i64_or(st, 2, 0);
        db_col_copy(st, 3, l->procedure, sizeof l->procedure);
        split_modifiers(db_col_str(st, 4), l->modifiers, &l->n_modifiers);
        db_col_copy(st, 5, l->revenue_code, sizeof l->revenue_code);
        l->units_milli = db_col_i64(st, 6);
        l->charge_cents = db_col_i64(st, 7);
        l->service_date = (int32_t)db_col_i64(st, 8);
        split_pointers(db_col_str(st, 9), l->dx_pointers, &l->n_dx_pointers);
        db_col_copy(st, 10, l->place_of_service, sizeof l->place_of_service);
        l->paid_cents = db_col_i64(st, 11);
        l->adjustment_cents = db_col_i64(st, 12);
        l->patient_resp_cents = db_col_i64(st, 13);
        l->allowed_cents = db_col_i64_or(st, 14, -1);
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


enum rcm_err
rcm_store_claim_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                    struct rcm_claim_row *out, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "claims", diag))
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
    if (!store_tenant_scoped(actor, "claims", diag))
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
    if (!store_tenant_scoped(actor, "claims", diag))
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
        e->user_id = db_col_i64_or(st, 2, 0);
        db_col_copy(st, 3, e->from_state, sizeof e->from_state);
        db_col_copy(st, 4, e->to_state, sizeof e->to_state);
        db_col_copy(st, 5, e->source, sizeof e->source);
        size_t n = 0;
        const void *p = db_col_blob(st, 6, &n);
        a->env_len[a->n] = p && n <= sizeof a->env[0] ? n : 0;
        if (a->env_len[a->n])
            memcpy(a->env[a->n], p, n);
        db_col_copy(st, 7, a->uid, sizeof a->uid);
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
    if (!store_tenant_scoped(actor, "claims", diag))
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

/* ---- the earlier payers of a secondary or tertiary claim ------------------------- */

static const struct db_sql POSTED_CLAIM_ADJ = {
    "POSTED_CLAIM_ADJ",
    "SELECT a.group_code, a.carc, a.amount_cents FROM payment_adjustment a JOIN claim_payment p "
    "ON p.id = a.claim_payment_id WHERE p.tenant_id = ?1 AND p.claim_id = ?2 AND p.reversal = 0 "
    "AND a.payment_line_id IS NULL ORDER BY a.id", NULL};
static const struct db_sql POSTED_LINES = {
    "POSTED_LINES",
    "SELECT l.id, cl.line_no, l.paid_cents FROM payment_line l JOIN claim_payment p ON p.id = "
    "l.claim_payment_id JOIN claim_line cl ON cl.id = l.claim_line_id WHERE p.tenant_id = ?1 "
    "AND p.claim_id = ?2 AND p.reversal = 0 ORDER BY l.id", NULL};
static const struct db_sql POSTED_LINE_ADJ = {
    "POSTED_LINE_ADJ",
    "SELECT a.payment_line_id, a.group_code, a.carc, a.amount_cents FROM payment_adjustment a "
    "JOIN claim_payment p ON p.id = a.claim_payment_id WHERE p.tenant_id = ?1 AND p.claim_id = "
    "?2 AND p.reversal = 0 AND a.payment_line_id IS NOT NULL ORDER BY a.id", NULL};

static const char *
adup(struct rcm_arena *arena, const char *s)
{
    return s ? rcm_arena_strndup(arena, s, strlen(s)) : NULL;
}

static void
dup_person(struct rcm_arena *arena, struct rcm_claim_person *p)
{
    p->last = adup(arena, p->last);
    p->first = adup(arena, p->first);
    p->member_id = adup(arena, p->member_id);
    p->addr.line1 = adup(arena, p->addr.line1);
    p->addr.line2 = adup(arena, p->addr.line2);
    p->addr.city = adup(arena, p->addr.city);
    p->addr.state = adup(arena, p->addr.state);
    p->addr.zip = adup(arena, p->addr.zip);
}

struct posted_args {
    int64_t tenant_id, claim_id;
    struct rcm_arena *arena;
    struct rcm_claim_other_payer *o;
    struct rcm_claim_line_adjudication *lines;   /* RCM_ENCOUNTER_MAX_LINES */
    int64_t line_ids[RCM_ENCOUNTER_MAX_LINES];
};

static void
put_adj(struct rcm_arena *arena, struct rcm_claim_adj *adj, size_t *n, struct db_stmt *st,
        int first)
{
    if (*n == RCM_CLAIM_MAX_ADJ)
        return;
    struct rcm_claim_adj *a = &adj[(*n)++];
    a->group = adup(arena, db_col_str(st, first));
    a->carc = adup(arena, db_col_str(st, first + 1));
    a->amount_cents = db_col_i64(st, first + 2);
}

static enum rcm_err
posted_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct posted_args *a = ctx;
    struct rcm_claim_other_payer *o = a->o;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &POSTED_CLAIM_ADJ, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->claim_id);
    while (!(err = db_step(st, &row, diag)) && row)
        put_adj(a->arena, o->adj, &o->n_adj, st, 0);
    if (err || (err = db_prepare(tx, &POSTED_LINES, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->claim_id);
    size_t n = 0;
    while (!(err = db_step(st, &row, diag)) && row && n < RCM_ENCOUNTER_MAX_LINES) {
        a->line_ids[n] = db_col_i64(st, 0);
        a->lines[n].line_number = (uint32_t)db_col_i64(st, 1);
        a->lines[n].paid_cents = db_col_i64(st, 2);
        n++;
    }
    if (err || (err = db_prepare(tx, &POSTED_LINE_ADJ, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->claim_id);
    while (!(err = db_step(st, &row, diag)) && row) {
        int64_t line = db_col_i64(st, 0);
        for (size_t i = 0; i < n; i++)
            if (a->line_ids[i] == line)
                put_adj(a->arena, a->lines[i].adj, &a->lines[i].n_adj, st, 1);
    }
    o->lines = n ? a->lines : NULL;
    o->n_lines = n;
    return err;
}

/* The payers before claim c (its original_claim_id chain: the primary of a
 * secondary; the secondary and the primary of a tertiary), each with what
 * it paid and adjusted as posted from its 835s, onto `claim` (arena-owned). */
static enum rcm_err
attach_other_payers(struct rcm_store *s, const struct rcm_actor *actor,
                    const struct rcm_claim_row *c, struct rcm_arena *arena,
                    struct rcm_claim *claim, struct rcm_diag *diag)
{
    if (strcmp(c->sequence, "primary") == 0 || c->frequency != '1')
        return RCM_OK;
    struct rcm_claim_other_payer *others = rcm_arena_zalloc(arena, 2 * sizeof *others);
    struct rcm_claim_row *o = rcm_calloc(1, sizeof *o);
    struct parts *p = rcm_calloc(1, sizeof *p);
    struct rcm_claim *tmp = rcm_calloc(1, sizeof *tmp);
    enum rcm_err err = others && o && p && tmp ? RCM_OK : RCM_E_NOMEM;
    size_t n = 0;
    for (int64_t cur = c->original_claim_id; cur > 0 && n < 2 && !err;) {
        struct get_args g = {actor->tenant_id, cur, o, ""};
        if ((err = store_read(s, get_fn, &g, diag)))
            break;
        memset(p, 0, sizeof *p);
        if ((err = load_parts(s, actor, o->encounter_id, o->coverage_id, p, diag)))
            break;
        struct rcm_claim_other_payer *y = &others[n++];
        rcm_claim_init(tmp);
        fill_people(p, tmp);
        y->payer = (struct rcm_claim_payer){adup(arena, p->payer.payer_id),
                                            adup(arena, p->payer.name),
                                            adup(arena, opt(p->payer.filing) ? p->payer.filing
                                                                             : "CI"),
                                            (char)(o->sequence[0] - 'a' + 'A'), NULL, false};
        y->relationship = adup(arena, tmp->relationship);
        y->subscriber = tmp->subscriber;
        dup_person(arena, &y->subscriber);
        y->paid_cents = o->paid_cents;
        y->has_paid = true;
        y->patient_resp_cents = o->patient_resp_cents;
        y->has_patient_resp = true;
        y->adjudication_date = o->adjudicated_day;
        struct posted_args pa = {actor->tenant_id, o->id, arena, y,
                                 rcm_arena_zalloc(arena, RCM_ENCOUNTER_MAX_LINES *
                                                             sizeof(struct rcm_claim_line_adjudication)),
                                 {0}};
        if (!pa.lines)
            err = RCM_E_NOMEM;
        if (!err)
            err = store_read(s, posted_fn, &pa, diag);
        cur = strcmp(o->sequence, "primary") == 0 ? 0 : o->original_claim_id;
    }
    if (!err) {
        claim->other_payers = others;
        claim->n_other_payers = n;
    }
    if (p)
        rcm_crypto_wipe(p, sizeof *p);
    if (tmp)
        rcm_crypto_wipe(tmp, sizeof *tmp);
    rcm_free(p);
    rcm_free(tmp);
    rcm_free(o);
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
    /* follow-up claims: lines copied from this claim; the original moved to
     * `orig_to` (source user, reason sealed under key) in the same transaction */
    const struct rcm_claim_row *from;
    const char *from_uid;
    const char *orig_to;
    const char *reason;
    const struct rcm_key *key;
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
        int src = a->line_src ? a->line_src[i] : -1;
        if (a->from && a->from->lines[i].service_line_id > 0)
            db_bind_i64(st, 4, a->from->lines[i].service_line_id);
        else if (src >= 0 && a->p->enc.lines[src].id > 0)
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
    db_bind_null(st, 17);              /* the payer's own number comes with its 277CA/835 */
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
    if (!err && a->orig_to)
        err = move_in_tx(tx, a->key, a->actor, a->from->id, a->from_uid, a->from->state,
                         a->orig_to, RCM_CLAIM_SRC_USER, a->reason, a->now_ms, diag);
    return err ? err : audit_claim(a->s, tx, a->actor, "claim.create", a->id,
                                   p->enc.patient_id, a->now_ms, diag);
}

enum rcm_err
rcm_store_claim_create(struct rcm_store *store, const struct rcm_actor *actor,
                       const struct rcm_claim_create *in, int64_t *id, struct rcm_diag *diag)
{
    *id = 0;
    if (!store_tenant_scoped(actor, "claims", diag))
        return RCM_E_INVAL;
    struct parts *p = rcm_calloc(1, sizeof *p);
    struct bill_line *bl = rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *bl);
    int *src = rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *src);
    struct rcm_arena arena;
    rcm_arena_init(&arena, ARENA_BYTES, 0);
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 200);
    struct rcm_scrub_ref ref;
    struct rcm_payer_rules *own_rules = NULL;
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
        err = scrub_ref_for(store, actor, p, in->scrub, &ref, &own_rules, diag);
    if (!err)
        err = rcm_scrub_claim(&ref, &claim, claim.received_date, NULL, &res);
    if (!err)
        err = rcm_claim_fingerprint(&claim, p->enc.patient_id, fp);
    if (!err)
        rcm_hex_encode(fp, sizeof fp, fp_hex);
    struct create_args a = {store, actor, p, &claim, bl, src, uid, fp_hex, &res, NULL,
                            in->sequence ? in->sequence : "primary", (int)res.n_errors,
                            (int)res.n_warnings, 0, rcm_time_now_ms(), 0, 0, NULL, NULL,
                            NULL, NULL, NULL};
    if (!err)
        err = db_write(store->db, create_fn, &a, diag);
    if (!err)
        *id = a.id;
    free(a.findings);
    rcm_scrub_result_release(&res);
    rcm_payer_rules_free(own_rules);
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
    "c.patient_id, c.frequency, coalesce(c.original_claim_id, 0) FROM claim c JOIN payer p ON p.id = c.payer_ref WHERE c.tenant_id = ?1 AND "
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
    char frequency;
    int64_t original_id;
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
        db_col_copy(st, 1, c->uid, sizeof c->uid);
        bool inst = strcmp(db_col_str(st, 2), "institutional") == 0;
        rcm_str_copy(c->kind, sizeof c->kind, rcm_str_c(inst ? "837I" : "837P"));
        c->charge_cents = db_col_i64(st, 3);
        const char *partner = db_col_str(st, 4);
        rcm_str_copy(c->partner, sizeof c->partner,
                     rcm_str_c(partner[0] ? partner : a->sender->default_partner));
        c->patient_id = db_col_i64(st, 5);
        c->frequency = db_col_str(st, 6)[0];
        c->original_id = db_col_i64(st, 7);
    }
    return err;
}

static const struct db_sql CLAIM_STATE_UID = {
    "CLAIM_STATE_UID", "SELECT state, uid, patient_id FROM claim WHERE tenant_id = ?1 AND id = ?2",
    NULL};

/* A frequency-8 claim was sent: its original is voided (source batch). */
static enum rcm_err
void_original(struct db_tx *tx, struct batch_args *a, int64_t id, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_STATE_UID, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, id);
    if ((err = db_step(st, &row, diag)) || !row)
        return err;
    char state[16], uid[33];
    db_col_copy(st, 0, state, sizeof state);
    db_col_copy(st, 1, uid, sizeof uid);
    int64_t patient_id = db_col_i64(st, 2);
    if (strcmp(state, "voided") == 0)
        return RCM_OK;
    err = move_in_tx(tx, NULL, a->actor, id, uid, state, "voided", RCM_CLAIM_SRC_BATCH, NULL,
                     a->now_ms, diag);
    return err ? err : audit_claim(a->s, tx, a->actor, "claim.move", id, patient_id, a->now_ms,
                                   diag);
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
        if (!err && c->frequency == '8' && c->original_id > 0)
            err = void_original(tx, a, c->original_id, diag);
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
    if (!store_tenant_scoped(actor, "claims", diag))
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
    b->user_id = db_col_i64_or(st, 2, 0);
    db_col_copy(st, 3, b->partner, sizeof b->partner);
    db_col_copy(st, 4, b->kind, sizeof b->kind);
    b->isa13 = db_col_i64(st, 5);
    b->gs06 = db_col_i64(st, 6);
    db_col_copy(st, 7, b->file_name, sizeof b->file_name);
    b->n_claims = (int)db_col_i64(st, 8);
    b->charge_cents = db_col_i64(st, 9);
    db_col_copy(st, 10, b->ack_state, sizeof b->ack_state);
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
    if (!store_tenant_scoped(actor, "claims", diag))
        return RCM_E_INVAL;
    struct batch_get_args a = {actor->tenant_id, id, 0, 1, out, 0};
    return store_read(store, batch_get_fn, &a, diag);
}

enum rcm_err
rcm_store_batch_list(struct rcm_store *store, const struct rcm_actor *actor, int64_t after_id,
                     int limit, struct rcm_batch *out, int *n, struct rcm_diag *diag)
{
    *n = 0;
    if (!store_tenant_scoped(actor, "claims", diag))
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
    int64_t *bp;                       /* billing provider of each x12[] entry */
    int64_t *ids;
};

#define RENDER_PAGE 50

static enum rcm_err
original_ref(struct rcm_store *s, const struct rcm_actor *actor, int64_t id, char ref[51],
             struct rcm_diag *diag)
{
    struct rcm_claim_row *o = rcm_calloc(1, sizeof *o);
    if (!o)
        return RCM_E_NOMEM;
    struct get_args g = {actor->tenant_id, id, o, ""};
    enum rcm_err err = store_read(s, get_fn, &g, diag);
    if (!err)
        rcm_str_copy(ref, 51, rcm_str_c(o->payer_claim_number));
    rcm_free(o);
    return err;
}

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
    /* REF*F8 of a replacement or void: the original's payer claim number */
    char ref[51] = "";
    if (c->frequency != '1' && c->original_claim_id > 0)
        r->err = original_ref(r->s, r->actor, c->original_claim_id, ref, r->diag);
    struct claim_head h = {c->control_number, c->frequency, ref,
                           (char)(c->sequence[0] - 'a' + 'A'), c->submitted_day};
    if (r->n == r->cap)
        r->err = rcm_diag_fail(r->diag, RCM_E_TOO_LARGE, "too many claims in one batch");
    if (!r->err)
        r->err = build_claim(p, &h, r->bl, c->n_lines, &arena, &claim, r->diag);
    if (!r->err)
        r->err = attach_other_payers(r->s, r->actor, c, &arena, &claim, r->diag);
    if (!r->err)
        r->err = rcm_claim_to_x12(&claim, &r->x12[r->n], r->diag);
    if (!r->err) {
        r->bp[r->n] = c->billing_provider_id;
        r->ids[r->n] = c->id;
        r->n++;
    }
    rcm_arena_release(&arena);
    return r->err != RCM_OK;
}

/* Order the rendered claims by (billing provider, claim id), in place, and
 * cut them into one transaction set per billing provider. */
static enum rcm_err
order_sets(struct render_ctx *r, size_t *sizes, size_t *n_sets, struct rcm_diag *diag)
{
    struct rcm_x12_claim *tmp = r->n > 1 ? rcm_malloc(sizeof *tmp) : NULL;
    if (r->n > 1 && !tmp)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory ordering a batch");
    for (size_t i = 0; i + 1 < r->n; i++) {
        size_t m = i;
        for (size_t j = i + 1; j < r->n; j++)
            if (r->bp[j] < r->bp[m] || (r->bp[j] == r->bp[m] && r->ids[j] < r->ids[m]))
                m = j;
        if (m == i)
            continue;
        memcpy(tmp, &r->x12[i], sizeof *tmp);
        memcpy(&r->x12[i], &r->x12[m], sizeof *tmp);
        memcpy(&r->x12[m], tmp, sizeof *tmp);
        int64_t t = r->bp[i];
        r->bp[i] = r->bp[m];
        r->bp[m] = t;
        t = r->ids[i];
        r->ids[i] = r->ids[m];
        r->ids[m] = t;
    }
    if (tmp) {
        rcm_crypto_wipe(tmp, sizeof *tmp);
        rcm_free(tmp);
    }
    *n_sets = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || r->bp[i] != r->bp[i - 1])
            (*n_sets)++;
        sizes[*n_sets - 1]++;
    }
    return RCM_OK;
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
                           rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *r.controls), 0,
                           rcm_calloc((size_t)b.n_claims + 1, sizeof(int64_t)),
                           rcm_calloc((size_t)b.n_claims + 1, sizeof(int64_t))};
    if (!r.x12 || !r.p || !r.bl || !r.controls || !r.bp || !r.ids)
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
    /* one transaction set per billing provider, in (billing provider, claim id)
     * order: the order batch_sets() gives a 999's set numbers */
    size_t *sizes = err ? NULL : rcm_calloc(r.n + 1, sizeof *sizes);
    size_t n_sets = 0;
    if (!err && !sizes)
        err = RCM_E_NOMEM;
    if (!err)
        err = order_sets(&r, sizes, &n_sets, diag);
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
        err = rcm_x12_write_837_sets(&env, strcmp(b.kind, "837I") == 0 ? 'I' : 'P', r.x12,
                                     r.n, sizes, n_sets, out, diag);
    rcm_free(sizes);
    if (r.x12)
        rcm_crypto_wipe(r.x12, ((size_t)b.n_claims + 1) * sizeof *r.x12);
    rcm_free(r.x12);
    wipe_parts(r.p);
    rcm_free(r.bl);
    rcm_free(r.controls);
    rcm_free(r.bp);
    rcm_free(r.ids);
    return err;
}

/* ---- acknowledgments: 999 and 277CA ------------------------------------------------- */

#define ACK_MAX_SETS 2000
#define ACK_MAX_STATUSES 20000

struct ack_parse {
    struct rcm_x12_model *model;
    char partner[16];                  /* GS02, else ISA06 (trimmed) */
    bool is999, is277;
    struct rcm_x12_ack_result *acks;
    size_t n_acks;
    struct rcm_x12_claim_status *sts;
    size_t n_sts;
    bool overflow;
    bool bad;
    char bad_msg[240];
};

static void
ack_on_result(void *ctx, const struct rcm_x12_ack_result *a)
{
    struct ack_parse *p = ctx;
    if (p->n_acks == ACK_MAX_SETS)
        p->overflow = true;
    else
        p->acks[p->n_acks++] = *a;
}

static void
ack_on_status(void *ctx, const struct rcm_x12_claim_status *st)
{
    struct ack_parse *p = ctx;
    if (p->n_sts == ACK_MAX_STATUSES)
        p->overflow = true;
    else
        p->sts[p->n_sts++] = *st;
}

static void
ack_on_segment(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *loops)
{
    struct ack_parse *p = ctx;
    struct rcm_str e[8];
    size_t n = 0;
    bool isa = strcmp(seg->id, "ISA") == 0, gs = strcmp(seg->id, "GS") == 0,
         st = strcmp(seg->id, "ST") == 0;
    if (isa || gs || st)
        n = rcm_x12_seg_elements(seg, e, 8);
    if (isa && n > 6 && !p->partner[0])
        rcm_str_copy(p->partner, sizeof p->partner, rcm_str_trim(e[6]));
    if (gs && n > 2 && e[2].n)
        rcm_str_copy(p->partner, sizeof p->partner, rcm_str_trim(e[2]));
    if (st && n > 1) {
        p->is999 |= rcm_str_eq_c(e[1], "999");
        p->is277 |= rcm_str_eq_c(e[1], "277");
    }
    rcm_x12_model_segment(p->model, seg, loops);
}

static void
ack_on_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct ack_parse *p = ctx;
    if (f->severity != RCM_X12_SEV_ERROR || p->bad)
        return;
    p->bad = true;
    /* codes and positions only: f->msg names no element value */
    snprintf(p->bad_msg, sizeof p->bad_msg, "malformed X12: segment %s (segment %" PRIu64
             " of the file%s%s): %s (%s)", f->seg_id[0] ? f->seg_id : "-",
             f->seg_index + 1, f->loop_id[0] ? ", loop " : "", f->loop_id, f->msg, f->code);
}

static const struct db_sql ACK_BATCH = {
    "ACK_BATCH", "SELECT id, ack_state FROM claim_batch WHERE tenant_id = ?1 AND partner = ?2 "
    "AND gs06 = ?3", NULL};
static const struct db_sql ACK_BATCH_CLAIMS = {
    "ACK_BATCH_CLAIMS", "SELECT id, uid, state, billing_provider_id, patient_id FROM claim WHERE "
    "tenant_id = ?1 AND batch_id = ?2 ORDER BY billing_provider_id, id", NULL};
static const struct db_sql ACK_BATCH_STATE = {
    "ACK_BATCH_STATE", "UPDATE claim_batch SET ack_state = ?3 WHERE tenant_id = ?1 AND id = ?2 "
    "AND ack_state <> ?3", NULL};
static const struct db_sql ACK_CLAIM_BY_CONTROL = {
    "ACK_CLAIM_BY_CONTROL", "SELECT id, uid, state, coalesce(payer_claim_number, ''), "
    "patient_id FROM claim WHERE tenant_id = ?1 AND control_number = ?2", NULL};
static const struct db_sql ACK_PAYER_NUMBER = {
    "ACK_PAYER_NUMBER", "UPDATE claim SET payer_claim_number = ?3, updated_ms = ?4 WHERE "
    "tenant_id = ?1 AND id = ?2", NULL};

struct ack_claim {
    int64_t id, bp, patient_id;
    char uid[33], state[16];
    int set_no;
};

struct ack_apply {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    struct ack_parse *p;
    struct rcm_ack_summary *out;
    struct ack_claim *claims;
    int64_t now_ms;
};

/* Move one claim on an acknowledgment (user NULL): moved, or left alone when
 * it is already there or has moved on. */
static enum rcm_err
ack_move(struct db_tx *tx, struct ack_apply *a, int64_t id, const char *uid, int64_t patient_id,
         const char *from, enum rcm_claim_state to, enum rcm_claim_source src,
         struct rcm_diag *diag)
{
    enum rcm_claim_state f;
    const char *to_name = rcm_claim_state_name(to);
    if (rcm_claim_state_from_name(from, &f, NULL) || f == to ||
        rcm_claim_move_check(f, to, src, false, NULL) != RCM_OK) {
        a->out->claims_unchanged++;
        return RCM_OK;
    }
    struct rcm_actor sys = *a->actor;
    sys.user_id = 0;
    enum rcm_err err = move_in_tx(tx, NULL, &sys, id, uid, from, to_name, src, NULL, a->now_ms,
                                  diag);
    if (!err)
        err = audit_claim(a->s, tx, a->actor, "claim.ack", id, patient_id, a->now_ms, diag);
    if (!err)
        a->out->claims_moved++;
    return err;
}

static enum rcm_err
apply_999_group(struct db_tx *tx, struct ack_apply *a, const char *group,
                struct rcm_diag *diag)
{
    int64_t gs06;
    if (rcm_str_to_i64(rcm_str_c(group), &gs06) != RCM_OK || gs06 < 1)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the 999's AK102 is not a group control "
                             "number");
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &ACK_BATCH, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_text(st, 2, a->p->partner);
    db_bind_i64(st, 3, gs06);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "the 999 acknowledges group control "
                             "number %" PRId64 " from partner %s: no batch of this tenant was "
                             "sent with it; nothing was changed", gs06, a->p->partner);
    int64_t batch_id = db_col_i64(st, 0);
    /* the batch's claims in set order (billing provider, id), as rendered */
    if ((err = db_prepare(tx, &ACK_BATCH_CLAIMS, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, batch_id);
    int n = 0, sets = 0;
    while (!(err = db_step(st, &row, diag)) && row) {
        if (n == BATCH_MAX_CLAIMS)
            return rcm_diag_fail(diag, RCM_E_DB, "batch %" PRId64 ": too many claims",
                                 batch_id);
        struct ack_claim *c = &a->claims[n];
        c->id = db_col_i64(st, 0);
        db_col_copy(st, 1, c->uid, sizeof c->uid);
        db_col_copy(st, 2, c->state, sizeof c->state);
        c->bp = db_col_i64(st, 3);
        c->patient_id = db_col_i64(st, 4);
        if (n == 0 || c->bp != a->claims[n - 1].bp)
            sets++;
        c->set_no = sets;
        n++;
    }
    if (err)
        return err;
    int accepted = 0, rejected = 0;
    for (size_t k = 0; k < a->p->n_acks && !err; k++) {
        const struct rcm_x12_ack_result *r = &a->p->acks[k];
        if (strcmp(r->group_control, group) != 0)
            continue;
        int64_t set_no;
        if (rcm_str_to_i64(rcm_str_c(r->st02), &set_no) != RCM_OK || set_no < 1 ||
            set_no > sets)
            return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "the 999 answers transaction set %s "
                                 "of batch %" PRId64 ", which has %d; nothing was changed",
                                 r->st02, batch_id, sets);
        enum rcm_claim_state to;
        if (!rcm_claim_state_for_999(r->status, &to))
            continue;
        if (to == RCM_CLAIM_ACCEPTED)
            accepted++;
        else
            rejected++;
        a->out->sets++;
        for (int i = 0; i < n && !err; i++)
            if (a->claims[i].set_no == set_no)
                err = ack_move(tx, a, a->claims[i].id, a->claims[i].uid,
                               a->claims[i].patient_id, a->claims[i].state, to,
                               RCM_CLAIM_SRC_ACK_999, diag);
    }
    if (err || accepted + rejected == 0)
        return err;
    a->out->sets_accepted += accepted;
    a->out->sets_rejected += rejected;
    const char *state = rejected == 0   ? "accepted"
                        : accepted == 0 ? "rejected"
                                        : "partially_accepted";
    if ((err = db_prepare(tx, &ACK_BATCH_STATE, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, batch_id);
    db_bind_text(st, 3, state);
    if ((err = db_exec(st, diag)))
        return err;
    a->out->batches_changed += db_changes(st) > 0;
    if (a->out->n_batches < RCM_ACK_MAX_BATCHES) {
        a->out->batch_ids[a->out->n_batches] = batch_id;
        rcm_str_copy(a->out->batch_states[a->out->n_batches], sizeof a->out->batch_states[0],
                     rcm_str_c(state));
        a->out->n_batches++;
    }
    return RCM_OK;
}

static enum rcm_err
apply_277(struct db_tx *tx, struct ack_apply *a, size_t k, struct rcm_diag *diag)
{
    const struct rcm_x12_claim_status *s = &a->p->sts[k];
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &ACK_CLAIM_BY_CONTROL, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_text(st, 2, s->claim_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "claim status %zu of the 277CA names a "
                             "claim control number (TRN02) this tenant never sent; nothing "
                             "was changed", k + 1);
    struct ack_claim c = {0};
    char number[51];
    c.id = db_col_i64(st, 0);
    db_col_copy(st, 1, c.uid, sizeof c.uid);
    db_col_copy(st, 2, c.state, sizeof c.state);
    db_col_copy(st, 3, number, sizeof number);
    c.patient_id = db_col_i64(st, 4);
    a->out->statuses++;
    if (s->payer_claim_id[0] && strcmp(number, s->payer_claim_id) != 0) {
        if ((err = db_prepare(tx, &ACK_PAYER_NUMBER, &st, diag)))
            return err;
        db_bind_i64(st, 1, a->actor->tenant_id);
        db_bind_i64(st, 2, c.id);
        db_bind_text(st, 3, s->payer_claim_id);
        db_bind_i64(st, 4, a->now_ms);
        if ((err = db_exec(st, diag)))
            return err;
        a->out->numbers_recorded++;
    }
    enum rcm_claim_state to;
    if (!rcm_claim_state_for_277ca(s->category, &to)) {
        a->out->claims_unchanged++;
        return RCM_OK;
    }
    if (to == RCM_CLAIM_ACCEPTED)
        a->out->sets_accepted++;
    else
        a->out->sets_rejected++;
    return ack_move(tx, a, c.id, c.uid, c.patient_id, c.state, to, RCM_CLAIM_SRC_ACK_277CA,
                    diag);
}

static enum rcm_err
ack_apply_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct ack_apply *a = ctx;
    struct rcm_ack_summary *o = a->out;
    char kind[8];
    rcm_str_copy(kind, sizeof kind, rcm_str_c(o->kind));
    memset(o, 0, sizeof *o);
    rcm_str_copy(o->kind, sizeof o->kind, rcm_str_c(kind));
    enum rcm_err err = RCM_OK;
    if (a->p->is999) {
        for (size_t k = 0; k < a->p->n_acks && !err; k++) {
            bool seen = false;
            for (size_t j = 0; j < k && !seen; j++)
                seen = strcmp(a->p->acks[j].group_control, a->p->acks[k].group_control) == 0;
            if (!seen)
                err = apply_999_group(tx, a, a->p->acks[k].group_control, diag);
        }
    } else {
        for (size_t k = 0; k < a->p->n_sts && !err; k++)
            err = apply_277(tx, a, k, diag);
    }
    o->changed = o->claims_moved > 0 || o->batches_changed > 0 || o->numbers_recorded > 0;
    if (!err) {
        struct rcm_audit_what what = {"ack.apply", "claim_batch", NULL, NULL, "success"};
        err = store_audit_write(a->s, tx, a->actor, &what, a->now_ms, diag);
    }
    return err;
}

enum rcm_err
rcm_store_ack_apply(struct rcm_store *store, const struct rcm_actor *actor, const char *x12,
                    size_t len, struct rcm_ack_summary *out, struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (!store_tenant_scoped(actor, "claims", diag))
        return RCM_E_INVAL;
    struct ack_parse p = {0};
    p.model = rcm_calloc(1, sizeof *p.model);
    p.acks = rcm_calloc(ACK_MAX_SETS, sizeof *p.acks);
    p.sts = rcm_calloc(ACK_MAX_STATUSES, sizeof *p.sts);
    struct ack_claim *claims = rcm_calloc(BATCH_MAX_CLAIMS, sizeof *claims);
    enum rcm_err err = p.model && p.acks && p.sts && claims ? RCM_OK : RCM_E_NOMEM;
    if (!err) {
        rcm_x12_model_init(p.model, NULL, NULL, &p);
        p.model->on_ack = ack_on_result;
        p.model->on_status = ack_on_status;
        struct rcm_x12_validate_opts o = {0};
        o.on_finding = ack_on_finding;
        o.on_segment = ack_on_segment;
        o.ctx = &p;
        o.no_external_codes = true;
        o.no_npi_check = true;
        err = rcm_x12_validate_buffer(x12, len, &o, NULL);
        if (!err)
            rcm_x12_model_finish(p.model);
    }
    if (!err && p.bad)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "%s", p.bad_msg);
    else if (!err && p.overflow)
        err = rcm_diag_fail(diag, RCM_E_TOO_LARGE, "more than %d sets or %d claim statuses "
                            "in one file", ACK_MAX_SETS, ACK_MAX_STATUSES);
    else if (!err && p.is999 == p.is277)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "expected a 999 or a 277CA (one kind per file)");
    else if (!err && p.is999 && p.n_acks == 0)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "the 999 answers no transaction set (AK2)");
    else if (!err && p.is277 && p.n_sts == 0)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "the 277CA holds no claim status (2200D)");
    if (!err) {
        rcm_str_copy(out->kind, sizeof out->kind, rcm_str_c(p.is999 ? "999" : "277CA"));
        struct ack_apply a = {store, actor, &p, out, claims, rcm_time_now_ms()};
        err = db_write(store->db, ack_apply_fn, &a, diag);
    }
    if (p.sts)
        rcm_crypto_wipe(p.sts, ACK_MAX_STATUSES * sizeof *p.sts);
    if (p.model)
        rcm_crypto_wipe(p.model, sizeof *p.model);
    rcm_free(p.model);
    rcm_free(p.acks);
    rcm_free(p.sts);
    rcm_free(claims);
    return err;
}

/* ---- corrections, voids and claims to the next payer ---------------------------------- */

static const struct db_sql FOLLOWUP_PENDING = {
    "FOLLOWUP_PENDING", "SELECT id FROM claim WHERE tenant_id = ?1 AND original_claim_id = ?2 "
    "AND frequency = ?3 AND sequence = ?4 AND state NOT IN ('voided', 'corrected') LIMIT 1",
    NULL};

struct pending_args {
    int64_t tenant_id, id;
    const char *frequency, *sequence;
    int64_t found;
};

static enum rcm_err
pending_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct pending_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &FOLLOWUP_PENDING, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    db_bind_text(st, 3, a->frequency);
    db_bind_text(st, 4, a->sequence);
    if (!(err = db_step(st, &row, diag)) && row)
        a->found = db_col_i64(st, 0);
    return err;
}

struct next_cov {
    const char *order;
    int64_t id;
};

static int
next_cov_fn(void *ctx, const struct rcm_record *r)
{
    struct next_cov *n = ctx;
    int i = rcm_record_field(&rcm_coverage_kind, "coverage_order");
    if (!n->id && i >= 0 && strcmp(r->value[i], n->order) == 0)
        n->id = r->id;
    return 0;
}

enum rcm_err
rcm_store_claim_followup(struct rcm_store *store, const struct rcm_actor *actor,
                         const struct rcm_claim_followup *in, int64_t *id,
                         struct rcm_diag *diag)
{
    *id = 0;
    if (!store_tenant_scoped(actor, "claims", diag))
        return RCM_E_INVAL;
    if (in->reason && rcm_field_check_len("reason", in->reason, RCM_PATIENT_VALUE_MAX, diag))
        return RCM_E_INVAL;
    struct rcm_claim_row *orig = rcm_calloc(1, sizeof *orig);
    if (!orig)
        return RCM_E_NOMEM;
    struct get_args g = {actor->tenant_id, in->claim_id, orig, ""};
    enum rcm_err err = store_read(store, get_fn, &g, diag);
    enum rcm_claim_state st = RCM_CLAIM_DRAFT;
    if (!err && rcm_claim_state_from_name(orig->state, &st, NULL))
        err = rcm_diag_fail(diag, RCM_E_DB, "claim %" PRId64 ": unknown state", orig->id);
    char freq = '1';
    const char *sequence = orig->sequence;
    int64_t coverage_id = orig->coverage_id;
    if (err) {
        /* nothing */
    } else if (in->kind == RCM_FOLLOWUP_VOID &&
               (st == RCM_CLAIM_DRAFT || st == RCM_CLAIM_READY || st == RCM_CLAIM_REJECTED)) {
        /* never adjudicated: simply voided */
        rcm_free(orig);
        *id = in->claim_id;
        return rcm_store_claim_move(store, actor, in->claim_id, "voided", in->reason, diag);
    } else if (in->kind == RCM_FOLLOWUP_VOID || in->kind == RCM_FOLLOWUP_CORRECTION) {
        bool v = in->kind == RCM_FOLLOWUP_VOID;
        freq = v ? '8' : '7';
        if (v && (!in->reason || !in->reason[0]))
            err = rcm_diag_fail(diag, RCM_E_INVAL, "a void needs a reason");
        else if (orig->frequency == '8')
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "a void claim is neither corrected nor "
                                "voided");
        else if (rcm_claim_move_check(st, v ? RCM_CLAIM_VOIDED : RCM_CLAIM_CORRECTED,
                                      v ? RCM_CLAIM_SRC_BATCH : RCM_CLAIM_SRC_USER, true,
                                      NULL) != RCM_OK)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "a %s claim cannot be %s: %s",
                                orig->state, v ? "voided by a frequency-8 claim" : "corrected",
                                v ? "only a claim the payer accepted or adjudicated is"
                                  : "only a paid, partially paid or denied claim is");
        else if (!orig->payer_claim_number[0])
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the claim has no payer claim number "
                                "yet (it comes with the payer's 277CA or 835): a %s must "
                                "reference it", v ? "void" : "replacement");
    } else {
        if (st != RCM_CLAIM_PAID && st != RCM_CLAIM_PARTIALLY_PAID && st != RCM_CLAIM_DENIED)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "a %s claim has not been adjudicated: "
                                "bill the next payer once it is paid, partially paid or "
                                "denied", orig->state);
        else if (strcmp(orig->sequence, "tertiary") == 0)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "there is no payer after the tertiary");
        sequence = strcmp(orig->sequence, "primary") == 0 ? "secondary" : "tertiary";
        struct next_cov nc = {sequence, 0};
        if (!err)
            err = rcm_store_record_list(store, actor, &rcm_coverage_kind, orig->patient_id, 0,
                                        500, RCM_RECORD_ALL, next_cov_fn, &nc, diag);
        if (!err && !nc.id)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the patient has no %s coverage",
                                sequence);
        coverage_id = nc.id;
    }
    struct pending_args pend = {actor->tenant_id, orig->id, freq == '8' ? "8" : freq == '7' ? "7" : "1",
                                sequence, 0};
    if (!err)
        err = store_read(store, pending_fn, &pend, diag);
    if (!err && pend.found)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "claim %" PRId64 " already follows this "
                            "claim", pend.found);
    struct parts *p = err ? NULL : rcm_calloc(1, sizeof *p);
    struct bill_line *bl = rcm_calloc(RCM_ENCOUNTER_MAX_LINES, sizeof *bl);
    if (!err && (!p || !bl))
        err = RCM_E_NOMEM;
    if (!err)
        err = load_parts(store, actor, orig->encounter_id, coverage_id, p, diag);
    struct rcm_arena arena;
    rcm_arena_init(&arena, ARENA_BYTES, 0);
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 200);
    struct rcm_scrub_ref ref;
    struct rcm_payer_rules *own_rules = NULL;
    struct rcm_claim claim;
    char control[24], uid[33], fp_hex[65];
    uint8_t rnd[16], fp[RCM_CLAIM_FINGERPRINT_BYTES];
    struct rcm_key key = {0};
    if (!err) {
        for (int i = 0; i < orig->n_lines; i++) {
            const struct rcm_claim_line_row *l = &orig->lines[i];
            bl[i] = (struct bill_line){l->procedure, l->modifiers, l->n_modifiers,
                                       l->revenue_code, l->units_milli, l->charge_cents,
                                       l->dx_pointers, l->n_dx_pointers, l->place_of_service,
                                       l->service_date, NULL, ""};
        }
        rcm_random_bytes(rnd, sizeof rnd);
        rcm_hex_encode(rnd, sizeof rnd, uid);
        rcm_hex_encode(rnd, 7, control);
        for (char *q = control; *q; q++)
            if (*q >= 'a' && *q <= 'f')
                *q = (char)(*q - 'a' + 'A');
        struct claim_head h = {control, freq, freq == '1' ? NULL : orig->payer_claim_number,
                               (char)(sequence[0] - 'a' + 'A'),
                               in->today ? in->today : rcm_date_today_utc()};
        err = build_claim(p, &h, bl, orig->n_lines, &arena, &claim, diag);
    }
    /* the claim to the next payer carries the earlier payers' adjudication */
    struct rcm_claim_row *next = NULL;
    if (!err && freq == '1') {
        next = rcm_calloc(1, sizeof *next);
        if (!next)
            err = RCM_E_NOMEM;
        else {
            memcpy(next->sequence, sequence, strlen(sequence) + 1);
            next->frequency = '1';
            next->original_claim_id = orig->id;
            err = attach_other_payers(store, actor, next, &arena, &claim, diag);
        }
    }
    if (!err)
        err = scrub_ref_for(store, actor, p, in->scrub, &ref, &own_rules, diag);
    if (!err)
        err = rcm_scrub_claim(&ref, &claim, claim.received_date, NULL, &res);
    if (!err)
        err = rcm_claim_fingerprint(&claim, p->enc.patient_id, fp);
    if (!err)
        rcm_hex_encode(fp, sizeof fp, fp_hex);
    if (!err && freq == '7' && in->reason && in->reason[0])
        err = store_patient_key_read(store, actor->tenant_id, orig->patient_id, &key, diag);
    struct create_args a = {store, actor, p, &claim, bl, NULL, uid, fp_hex, &res, NULL,
                            sequence, (int)res.n_errors, (int)res.n_warnings, orig->id,
                            rcm_time_now_ms(), 0, 0, orig, g.uid,
                            freq == '7' ? "corrected" : NULL, in->reason, &key};
    if (!err)
        err = db_write(store->db, create_fn, &a, diag);
    if (!err)
        *id = a.id;
    rcm_key_wipe(&key);
    free(a.findings);
    rcm_scrub_result_release(&res);
    rcm_payer_rules_free(own_rules);
    rcm_arena_release(&arena);
    wipe_parts(p);
    rcm_free(bl);
    rcm_free(next);
    rcm_free(orig);
    return err;
}
