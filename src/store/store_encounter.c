/*
 * store_encounter.c — encounters and their service lines (charge capture),
 * on either database. One write transaction checks every reference (the
 * patient, the coverage is the patient's, the providers are the tenant's),
 * fills charges from the fee schedule, inserts the encounter and its lines
 * and writes the audit record. Codes and amounts are plain columns; the
 * prior authorization and the note are sealed under the patient's key
 * (store_seal.c). Lists in columns are space-separated: diagnoses "E119
 * I10" (an institutional one may carry its POA flag, "E119:Y"), modifiers
 * "25 59", pointers "1 2".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/encounter.h"
#include "rcm/mem.h"
#include "rcm/record.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define SEALED_MAX (RCM_PATIENT_VALUE_MAX + RCM_AEAD_OVERHEAD_BYTES)
#define LIST_MAX 100

/* ---- checking (pure) ------------------------------------------------------- */

static enum rcm_err
check_code(const char *field, enum rcm_patient_kind kind, const char *v, int line, char *out,
           size_t cap, struct rcm_diag *diag)
{
    struct rcm_field f = {field, RCM_PERM_PHI_READ, kind, false, true, NULL};
    char norm[RCM_RECORD_VALUE_MAX + 1];
    struct rcm_diag why = RCM_DIAG_INIT;
    enum rcm_err err = rcm_value_check(&f, v, norm, &why);
    if (err)
        return line ? rcm_diag_fail(diag, err, "line %d: %s", line, why.msg)
                    : rcm_diag_fail(diag, err, "%s", why.msg);
    if (!err && !rcm_str_copy(out, cap, rcm_str_c(norm)))
        err = rcm_diag_fail(diag, RCM_E_INVAL, "%s is too long", field);
    return err;
}

static bool
all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n >= min && n <= max;
}

static enum rcm_err
check_line(const struct rcm_encounter *e, const struct rcm_encounter_line *l,
           struct rcm_diag *diag)
{
    int no = l->line_no;
    char tmp[8];
    enum rcm_err err = check_code("procedure", RCM_PK_PROCEDURE, l->procedure, no, tmp,
                                  sizeof tmp, diag);
    for (int m = 0; !err && m < l->n_modifiers; m++)
        err = check_code("modifier", RCM_PK_MODIFIER, l->modifiers[m], no, tmp, sizeof tmp,
                         diag);
    if (err)
        return err;
    if (l->n_modifiers < 0 || l->n_modifiers > RCM_CLAIM_MAX_MODIFIERS)
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: at most 4 modifiers", no);
    if (l->units_milli <= 0 || l->units_milli > 99999000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: units must be above 0 and below "
                             "100000", no);
    if (l->charge_cents != RCM_ENCOUNTER_NO_CHARGE &&
        (l->charge_cents < 0 || l->charge_cents > 9999999999LL))
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: charge_cents must be 0 to "
                             "9999999999", no);
    if (l->n_dx_pointers < 1 || l->n_dx_pointers > RCM_CLAIM_MAX_POINTERS)
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: 1 to 4 diagnosis pointers are "
                             "required", no);
    for (int p = 0; p < l->n_dx_pointers; p++)
        if (l->dx_pointers[p] < 1 || l->dx_pointers[p] > e->n_dx ||
            (e->kind == RCM_CLAIM_PROFESSIONAL && l->dx_pointers[p] > 12))
            return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: diagnosis pointer %d names no "
                                 "diagnosis", no, l->dx_pointers[p]);
    if (l->place_of_service[0] && !all_digits(l->place_of_service, 2, 2))
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: place_of_service must be two "
                             "digits", no);
    if (l->service_date != RCM_CLAIM_NO_DATE &&
        (l->service_date < e->service_from || l->service_date > e->service_to))
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: service_date is outside the "
                             "encounter's dates", no);
    if (e->kind == RCM_CLAIM_INSTITUTIONAL && !all_digits(l->revenue_code, 4, 4))
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: revenue_code (four digits) is "
                             "required on an institutional encounter", no);
    if (e->kind == RCM_CLAIM_PROFESSIONAL && l->revenue_code[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: revenue_code belongs to "
                             "institutional encounters", no);
    return RCM_OK;
}

enum rcm_err
rcm_encounter_check(const struct rcm_encounter *e, struct rcm_diag *diag)
{
    if (e->billing_provider_id <= 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "billing_provider_id is required");
    if (e->service_from == RCM_CLAIM_NO_DATE)
        return rcm_diag_fail(diag, RCM_E_INVAL, "service_from is required");
    if (e->service_to < e->service_from)
        return rcm_diag_fail(diag, RCM_E_INVAL, "service_to is before service_from");
    int max_dx = e->kind == RCM_CLAIM_PROFESSIONAL ? 12 : RCM_ENCOUNTER_MAX_DX;
    if (e->n_dx < 1 || e->n_dx > max_dx)
        return rcm_diag_fail(diag, RCM_E_INVAL, "1 to %d diagnoses are required", max_dx);
    for (int i = 0; i < e->n_dx; i++) {
        char tmp[8];
        enum rcm_err err = check_code("diagnoses", RCM_PK_ICD10, e->dx[i], 0, tmp, sizeof tmp,
                                      diag);
        if (err)
            return rcm_diag_fail(diag, err, "diagnosis %d is not an ICD-10-CM code", i + 1);
        if (e->poa[i] && !strchr("YNUW1", e->poa[i]))
            return rcm_diag_fail(diag, RCM_E_INVAL, "diagnosis %d: poa must be Y, N, U, W "
                                 "or 1", i + 1);
        for (int j = 0; j < i; j++)
            if (strcmp(e->dx[i], e->dx[j]) == 0)
                return rcm_diag_fail(diag, RCM_E_INVAL, "diagnosis %d repeats diagnosis %d",
                                     i + 1, j + 1);
    }
    if (e->kind == RCM_CLAIM_PROFESSIONAL) {
        if (!all_digits(e->place_of_service, 2, 2))
            return rcm_diag_fail(diag, RCM_E_INVAL, "place_of_service (two digits) is "
                                 "required on a professional encounter");
        if (e->type_of_bill[0])
            return rcm_diag_fail(diag, RCM_E_INVAL, "type_of_bill belongs to institutional "
                                 "encounters");
    } else if (!all_digits(e->type_of_bill, 3, 3) || e->type_of_bill[0] == '0') {
        return rcm_diag_fail(diag, RCM_E_INVAL, "type_of_bill (three digits, e.g. 131) is "
                             "required on an institutional encounter");
    }
    int max_lines = e->kind == RCM_CLAIM_PROFESSIONAL ? 50 : RCM_ENCOUNTER_MAX_LINES;
    if (e->n_lines < 1 || e->n_lines > max_lines)
        return rcm_diag_fail(diag, RCM_E_INVAL, "1 to %d service lines are required",
                             max_lines);
    for (int i = 0; i < e->n_lines; i++) {
        enum rcm_err err = check_line(e, &e->lines[i], diag);
        if (err)
            return err;
    }
    return RCM_OK;
}

/* Upper-case the codes in place (what the check accepted in either case). */
static void
normalise(struct rcm_encounter *e)
{
    char tmp[RCM_RECORD_VALUE_MAX + 1];
    struct rcm_field dx = {"diagnoses", RCM_PERM_PHI_READ, RCM_PK_ICD10, false, true, NULL};
    struct rcm_field pr = {"procedure", RCM_PERM_PHI_READ, RCM_PK_PROCEDURE, false, true, NULL};
    struct rcm_field md = {"modifier", RCM_PERM_PHI_READ, RCM_PK_MODIFIER, false, true, NULL};
    for (int i = 0; i < e->n_dx; i++)
        if (rcm_value_check(&dx, e->dx[i], tmp, NULL) == RCM_OK)
            rcm_str_copy(e->dx[i], sizeof e->dx[i], rcm_str_c(tmp));
    for (int i = 0; i < e->n_lines; i++) {
        struct rcm_encounter_line *l = &e->lines[i];
        l->line_no = i + 1;
        if (rcm_value_check(&pr, l->procedure, tmp, NULL) == RCM_OK)
            rcm_str_copy(l->procedure, sizeof l->procedure, rcm_str_c(tmp));
        for (int m = 0; m < l->n_modifiers; m++)
            if (rcm_value_check(&md, l->modifiers[m], tmp, NULL) == RCM_OK)
                rcm_str_copy(l->modifiers[m], sizeof l->modifiers[m], rcm_str_c(tmp));
    }
}

/* ---- column encodings ------------------------------------------------------- */

size_t
store_words(const char *s, struct rcm_str *out, size_t max)
{
    struct rcm_str rest = rcm_str_c(s), tok;
    size_t n = 0;
    while (n < max && rest.n && rcm_str_split_next(&rest, ' ', &tok))
        if (tok.n)
            out[n++] = tok;
    return n;
}

void
store_join(char *out, size_t cap, size_t *at, const char *word)
{
    int n = snprintf(out + *at, cap - *at, "%s%s", *at ? " " : "", word);
    if (n > 0 && (size_t)n < cap - *at)
        *at += (size_t)n;
}

static void
join_dx(const struct rcm_encounter *e, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < e->n_dx; i++) {
        char word[12];
        snprintf(word, sizeof word, "%s%s%c", e->dx[i], e->poa[i] ? ":" : "",
                 e->poa[i] ? e->poa[i] : '\0');
        store_join(out, cap, &at, word);
    }
}

static void
split_dx(const char *s, struct rcm_encounter *e)
{
    struct rcm_str parts[RCM_ENCOUNTER_MAX_DX];
    size_t n = store_words(s, parts, RCM_ENCOUNTER_MAX_DX);
    e->n_dx = (int)n;
    for (size_t i = 0; i < n; i++) {
        struct rcm_str p = parts[i];
        e->poa[i] = 0;
        if (p.n > 2 && p.p[p.n - 2] == ':') {
            e->poa[i] = p.p[p.n - 1];
            p.n -= 2;
        }
        rcm_str_copy(e->dx[i], sizeof e->dx[i], p);
    }
}

static void
join_modifiers(const struct rcm_encounter_line *l, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < l->n_modifiers; i++)
        store_join(out, cap, &at, l->modifiers[i]);
}

static void
join_pointers(const struct rcm_encounter_line *l, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < l->n_dx_pointers; i++) {
        char word[4];
        snprintf(word, sizeof word, "%d", l->dx_pointers[i]);
        store_join(out, cap, &at, word);
    }
}

static void
split_line_lists(const char *mods, const char *ptrs, struct rcm_encounter_line *l)
{
    struct rcm_str parts[RCM_CLAIM_MAX_MODIFIERS];
    size_t n = store_words(mods, parts, RCM_CLAIM_MAX_MODIFIERS);
    l->n_modifiers = (int)n;
    for (size_t i = 0; i < n; i++)
        rcm_str_copy(l->modifiers[i], sizeof l->modifiers[i], parts[i]);
    n = store_words(ptrs, parts, RCM_CLAIM_MAX_POINTERS);
    l->n_dx_pointers = (int)n;
    for (size_t i = 0; i < n; i++) {
        int64_t v = 0;
        if (rcm_str_to_i64(parts[i], &v) != RCM_OK || v < 1 || v > 255)
            v = 0;
        l->dx_pointers[i] = (uint8_t)v;
    }
}



/* ---- SQL ------------------------------------------------------------------- */

#define ENC_COLUMNS                                                                \
    "e.id, e.tenant_id, e.patient_id, e.uid, e.created_ms, e.updated_ms, e.status, " \
    "e.claim_kind, e.coverage_id, e.billing_provider_id, e.rendering_provider_id, "  \
    "e.referring_provider_id, e.facility_id, e.service_from, e.service_to, "          \
    "e.place_of_service, e.type_of_bill, e.admission_type, e.admission_source, "      \
    "e.patient_status, e.diagnoses, e.prior_authorization, e.note, p.uid, k.wrapped"

static const struct db_sql ENC_INSERT = {
    "ENCOUNTER_INSERT",
    "INSERT INTO encounter (tenant_id, patient_id, uid, created_ms, updated_ms, claim_kind, "
    "coverage_id, billing_provider_id, rendering_provider_id, referring_provider_id, "
    "facility_id, service_from, service_to, place_of_service, type_of_bill, admission_type, "
    "admission_source, patient_status, diagnoses, prior_authorization, note) VALUES (?1, ?2, "
    "?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) "
    "RETURNING id", NULL};
static const struct db_sql ENC_UPDATE = {
    "ENCOUNTER_UPDATE",
    "UPDATE encounter SET updated_ms = ?3, claim_kind = ?5, coverage_id = ?6, "
    "billing_provider_id = ?7, rendering_provider_id = ?8, referring_provider_id = ?9, "
    "facility_id = ?10, service_from = ?11, service_to = ?12, place_of_service = ?13, "
    "type_of_bill = ?14, admission_type = ?15, admission_source = ?16, patient_status = ?17, "
    "diagnoses = ?18, prior_authorization = ?19, note = ?20 WHERE tenant_id = ?1 AND id = ?2 "
    "AND updated_ms = ?4 AND status = 'open'", NULL};
static const struct db_sql ENC_STATE = {
    "ENCOUNTER_STATE", "SELECT status, updated_ms, patient_id, uid FROM encounter "
    "WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql ENC_DELETE = {
    "ENCOUNTER_DELETE", "DELETE FROM encounter WHERE tenant_id = ?1 AND id = ?2 AND "
    "status = 'open' AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.encounter_id = ?2)", NULL};
static const struct db_sql ENC_GET = {
    "ENCOUNTER_GET", "SELECT " ENC_COLUMNS " FROM encounter e JOIN patient p ON p.id = "
    "e.patient_id JOIN patient_key k ON k.patient_id = e.patient_id WHERE e.tenant_id = ?1 "
    "AND e.id = ?2", NULL};
/* ?2 patient (0 = every patient), ?3 status ("" = any), ?4 after, ?5 limit */
static const struct db_sql ENC_LIST = {
    "ENCOUNTER_LIST", "SELECT " ENC_COLUMNS " FROM encounter e JOIN patient p ON p.id = "
    "e.patient_id JOIN patient_key k ON k.patient_id = e.patient_id WHERE e.tenant_id = ?1 "
    "AND (?2 = 0 OR e.patient_id = ?2) AND (?3 = '' OR e.status = ?3) AND e.id > ?4 "
    "ORDER BY e.id LIMIT ?5",
    "SELECT " ENC_COLUMNS " FROM encounter e JOIN patient p ON p.id = e.patient_id JOIN "
    "patient_key k ON k.patient_id = e.patient_id WHERE e.tenant_id = ?1 AND "
    "(CAST(?2 AS bigint) = 0 OR e.patient_id = ?2) AND (CAST(?3 AS text) = '' OR "
    "e.status = ?3) AND e.id > ?4 ORDER BY e.id LIMIT ?5"};
static const struct db_sql LINE_INSERT = {
    "SERVICE_LINE_INSERT",
    "INSERT INTO service_line (tenant_id, encounter_id, line_no, procedure, modifiers, "
    "revenue_code, units_milli, charge_cents, dx_pointers, place_of_service, service_date, "
    "rendering_provider_id, self_pay_restricted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12, ?13) RETURNING id", NULL};
static const struct db_sql LINE_DELETE = {
    "SERVICE_LINE_DELETE", "DELETE FROM service_line WHERE encounter_id = ?1", NULL};
static const struct db_sql LINE_LIST = {
    "SERVICE_LINE_LIST",
    "SELECT id, line_no, procedure, modifiers, revenue_code, units_milli, charge_cents, "
    "dx_pointers, place_of_service, service_date, rendering_provider_id, self_pay_restricted "
    "FROM service_line WHERE encounter_id = ?1 ORDER BY line_no", NULL};
static const struct db_sql PROVIDER_OF_TENANT = {
    "ENCOUNTER_PROVIDER", "SELECT 1 FROM provider WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql COVERAGE_OF_PATIENT = {
    "ENCOUNTER_COVERAGE", "SELECT payer_id FROM coverage WHERE tenant_id = ?1 AND "
    "patient_id = ?2 AND id = ?3", NULL};
/* The best fee for a line: the payer's own price before the default
 * schedule, a price for the line's first modifier before one for any, in
 * force on the date (dates are stored YYYY-MM-DD and compare as text). */
static const struct db_sql FEE_LOOKUP = {
    "FEE_LOOKUP",
    "SELECT amount_cents FROM fee_schedule WHERE tenant_id = ?1 AND procedure = ?2 AND "
    "(payer_id IS NULL OR payer_id = ?3) AND (modifier IS NULL OR modifier = ?4) AND "
    "(effective_from IS NULL OR effective_from <= ?5) AND (effective_to IS NULL OR "
    "effective_to >= ?5) ORDER BY (payer_id IS NULL), (modifier IS NULL), id DESC LIMIT 1",
    NULL};

/* ---- rows ------------------------------------------------------------------- */

/* The sealed columns as stored, beside the plaintext struct. */
struct sealed_cols {
    char uid[33];
    char patient_uid[33];
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
    uint8_t auth[SEALED_MAX], note[SEALED_MAX];
    size_t auth_len, note_len;
};

static const char *
kind_name(enum rcm_claim_kind k)
{
    return k == RCM_CLAIM_INSTITUTIONAL ? "institutional" : "professional";
}


static void
copy_blob(struct db_stmt *st, int i, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    const void *p = db_col_blob(st, i, &n);
    *len = p && n <= cap ? n : 0;
    if (*len)
        memcpy(out, p, n);
}


static bool
read_encounter_row(struct db_stmt *st, struct rcm_encounter *e, struct sealed_cols *s)
{
    memset(e, 0, sizeof *e);
    e->id = db_col_i64(st, 0);
    e->tenant_id = db_col_i64(st, 1);
    e->patient_id = db_col_i64(st, 2);
    db_col_copy(st, 3, s->uid, sizeof s->uid);
    e->created_ms = db_col_i64(st, 4);
    e->updated_ms = db_col_i64(st, 5);
    db_col_copy(st, 6, e->status, sizeof e->status);
    e->kind = strcmp(db_col_str(st, 7), "institutional") == 0 ? RCM_CLAIM_INSTITUTIONAL
                                                                : RCM_CLAIM_PROFESSIONAL;
    e->coverage_id = db_col_i64_or(st, 8, 0);
    e->billing_provider_id = db_col_i64_or(st, 9, 0);
    e->rendering_provider_id = db_col_i64_or(st, 10, 0);
    e->referring_provider_id = db_col_i64_or(st, 11, 0);
    e->facility_id = db_col_i64_or(st, 12, 0);
    e->service_from = (int32_t)db_col_i64(st, 13);
    e->service_to = (int32_t)db_col_i64(st, 14);
    db_col_copy(st, 15, e->place_of_service, sizeof e->place_of_service);
    db_col_copy(st, 16, e->type_of_bill, sizeof e->type_of_bill);
    db_col_copy(st, 17, e->admission_type, sizeof e->admission_type);
    db_col_copy(st, 18, e->admission_source, sizeof e->admission_source);
    db_col_copy(st, 19, e->patient_status, sizeof e->patient_status);
    split_dx(db_col_str(st, 20), e);
    copy_blob(st, 21, s->auth, sizeof s->auth, &s->auth_len);
    copy_blob(st, 22, s->note, sizeof s->note, &s->note_len);
    db_col_copy(st, 23, s->patient_uid, sizeof s->patient_uid);
    return db_col_blob_exact(st, 24, s->wrapped, RCM_KEY_WRAPPED_BYTES);
}

static enum rcm_err
read_lines(struct db_tx *tx, struct rcm_encounter *e, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &LINE_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, e->id);
    e->n_lines = 0;
    while (!(err = db_step(st, &row, diag)) && row) {
        if (e->n_lines == RCM_ENCOUNTER_MAX_LINES)
            return rcm_diag_fail(diag, RCM_E_DB, "encounter %" PRId64 ": too many lines", e->id);
        struct rcm_encounter_line *l = &e->lines[e->n_lines++];
        l->id = db_col_i64(st, 0);
        l->line_no = (int)db_col_i64(st, 1);
        db_col_copy(st, 2, l->procedure, sizeof l->procedure);
        db_col_copy(st, 4, l->revenue_code, sizeof l->revenue_code);
        l->units_milli = db_col_i64(st, 5);
        l->charge_cents = db_col_i64(st, 6);
        split_line_lists(db_col_str(st, 3), db_col_str(st, 7), l);
        db_col_copy(st, 8, l->place_of_service, sizeof l->place_of_service);
        l->service_date = db_col_is_null(st, 9) ? RCM_CLAIM_NO_DATE : (int32_t)db_col_i64(st, 9);
        l->rendering_provider_id = db_col_i64_or(st, 10, 0);
        l->self_pay_restricted = db_col_i64(st, 11) != 0;
    }
    return err;
}

/* ---- sealing ---------------------------------------------------------------- */

static struct store_cell
cell(const struct rcm_encounter *e, const struct sealed_cols *s, const char *column)
{
    return (struct store_cell){e->tenant_id, "encounter", column, s->uid};
}

static enum rcm_err
seal_cols(const struct rcm_key *key, const struct rcm_encounter *e, struct sealed_cols *s)
{
    struct store_cell a = cell(e, s, "prior_authorization"), n = cell(e, s, "note");
    enum rcm_err err = store_seal_value(key, &a, e->prior_authorization, s->auth,
                                        sizeof s->auth, &s->auth_len);
    return err ? err : store_seal_value(key, &n, e->note, s->note, sizeof s->note, &s->note_len);
}

static enum rcm_err
open_cols(struct rcm_store *store, struct rcm_encounter *e, const struct sealed_cols *s,
          struct rcm_diag *diag)
{
    if (!s->auth_len && !s->note_len)
        return RCM_OK;
    struct rcm_key key = {0};
    enum rcm_err err = store_patient_key_open(store, e->tenant_id, e->patient_id,
                                              s->patient_uid, s->wrapped, &key, diag);
    struct store_cell a = cell(e, s, "prior_authorization"), n = cell(e, s, "note");
    if (!err)
        err = store_open_value(&key, &a, s->auth, s->auth_len, e->prior_authorization,
                               sizeof e->prior_authorization, diag);
    if (!err)
        err = store_open_value(&key, &n, s->note, s->note_len, e->note, sizeof e->note, diag);
    rcm_key_wipe(&key);
    return err;
}

/* ---- writes ------------------------------------------------------------------ */

struct write_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    struct rcm_encounter *e;
    const struct sealed_cols *sealed;
    int64_t seen_updated_ms;
    int64_t now_ms;
};

static enum rcm_err
check_provider(struct db_tx *tx, int64_t tenant_id, int64_t id, const char *field,
               struct rcm_diag *diag)
{
    if (id <= 0)
        return RCM_OK;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PROVIDER_OF_TENANT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant_id);
    db_bind_i64(st, 2, id);
    if ((err = db_step(st, &row, diag)))
        return err;
    return row ? RCM_OK : rcm_diag_fail(diag, RCM_E_INVAL, "%s names no provider of the "
                                        "tenant", field);
}

/* Check the references and return the payer id of the coverage ("" for
 * self-pay) for the fee schedule. */
static enum rcm_err
check_references(struct db_tx *tx, const struct rcm_encounter *e, char payer[81],
                 struct rcm_diag *diag)
{
    payer[0] = '\0';
    enum rcm_err err = check_provider(tx, e->tenant_id, e->billing_provider_id,
                                      "billing_provider_id", diag);
    if (!err)
        err = check_provider(tx, e->tenant_id, e->rendering_provider_id,
                             "rendering_provider_id", diag);
    if (!err)
        err = check_provider(tx, e->tenant_id, e->referring_provider_id,
                             "referring_provider_id", diag);
    if (!err)
        err = check_provider(tx, e->tenant_id, e->facility_id, "facility_id", diag);
    for (int i = 0; i < e->n_lines && !err; i++)
        err = check_provider(tx, e->tenant_id, e->lines[i].rendering_provider_id,
                             "rendering_provider_id", diag);
    if (err || e->coverage_id <= 0)
        return err;
    struct db_stmt *st;
    bool row;
    if ((err = db_prepare(tx, &COVERAGE_OF_PATIENT, &st, diag)))
        return err;
    db_bind_i64(st, 1, e->tenant_id);
    db_bind_i64(st, 2, e->patient_id);
    db_bind_i64(st, 3, e->coverage_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_INVAL, "coverage_id names no coverage of the "
                             "patient");
    rcm_str_copy(payer, 81, rcm_str_c(db_col_str(st, 0)));
    return RCM_OK;
}

static enum rcm_err
fill_charges(struct db_tx *tx, struct rcm_encounter *e, const char *payer,
             struct rcm_diag *diag)
{
    for (int i = 0; i < e->n_lines; i++) {
        struct rcm_encounter_line *l = &e->lines[i];
        if (l->charge_cents != RCM_ENCOUNTER_NO_CHARGE)
            continue;
        char day[11];
        rcm_date_format_iso(l->service_date != RCM_CLAIM_NO_DATE ? l->service_date
                                                                 : e->service_from, day);
        struct db_stmt *st;
        bool row;
        enum rcm_err err = db_prepare(tx, &FEE_LOOKUP, &st, diag);
        if (err)
            return err;
        db_bind_i64(st, 1, e->tenant_id);
        db_bind_text(st, 2, l->procedure);
        db_bind_text(st, 3, payer);
        db_bind_text(st, 4, l->n_modifiers ? l->modifiers[0] : "");
        db_bind_text(st, 5, day);
        if ((err = db_step(st, &row, diag)))
            return err;
        if (!row)
            return rcm_diag_fail(diag, RCM_E_INVAL, "line %d: no charge given and no fee "
                                 "schedule entry for the procedure", l->line_no);
        /* the fee is per unit */
        l->charge_cents = db_col_i64(st, 0) * l->units_milli / 1000;
    }
    return RCM_OK;
}

#define DX_TEXT_MAX (RCM_ENCOUNTER_MAX_DX * 11)

/* Bind the encounter's columns; `dx` (DX_TEXT_MAX) holds the joined
 * diagnoses and must live until the statement has run (binds borrow). */
static void
bind_header(struct db_stmt *st, const struct rcm_encounter *e, const struct sealed_cols *s,
            char *dx)
{
    join_dx(e, dx, DX_TEXT_MAX);
    db_bind_text(st, 5, kind_name(e->kind));
    db_bind_id_or_null(st, 6, e->coverage_id);
    db_bind_i64(st, 7, e->billing_provider_id);
    db_bind_id_or_null(st, 8, e->rendering_provider_id);
    db_bind_id_or_null(st, 9, e->referring_provider_id);
    db_bind_id_or_null(st, 10, e->facility_id);
    db_bind_i64(st, 11, e->service_from);
    db_bind_i64(st, 12, e->service_to);
    db_bind_text_or_null(st, 13, e->place_of_service);
    db_bind_text_or_null(st, 14, e->type_of_bill);
    db_bind_text_or_null(st, 15, e->admission_type);
    db_bind_text_or_null(st, 16, e->admission_source);
    db_bind_text_or_null(st, 17, e->patient_status);
    db_bind_text(st, 18, dx);
    if (s->auth_len)
        db_bind_blob(st, 19, s->auth, s->auth_len);
    else
        db_bind_null(st, 19);
    if (s->note_len)
        db_bind_blob(st, 20, s->note, s->note_len);
    else
        db_bind_null(st, 20);
}

static enum rcm_err
insert_lines(struct db_tx *tx, struct rcm_encounter *e, struct rcm_diag *diag)
{
    for (int i = 0; i < e->n_lines; i++) {
        struct rcm_encounter_line *l = &e->lines[i];
        bool row;
        char mods[16], ptrs[16];
        join_modifiers(l, mods, sizeof mods);
        join_pointers(l, ptrs, sizeof ptrs);
        struct db_stmt *st;
        enum rcm_err err = db_prepare(tx, &LINE_INSERT, &st, diag);
        if (err)
            return err;
        db_bind_i64(st, 1, e->tenant_id);
        db_bind_i64(st, 2, e->id);
        db_bind_i64(st, 3, l->line_no);
        db_bind_text(st, 4, l->procedure);
        db_bind_text(st, 5, mods);
        db_bind_text_or_null(st, 6, l->revenue_code);
        db_bind_i64(st, 7, l->units_milli);
        db_bind_i64(st, 8, l->charge_cents);
        db_bind_text(st, 9, ptrs);
        db_bind_text_or_null(st, 10, l->place_of_service);
        if (l->service_date != RCM_CLAIM_NO_DATE)
            db_bind_i64(st, 11, l->service_date);
        else
            db_bind_null(st, 11);
        db_bind_id_or_null(st, 12, l->rendering_provider_id);
        db_bind_i64(st, 13, l->self_pay_restricted);
        if ((err = db_step(st, &row, diag)))
            return err;
        l->id = db_col_i64(st, 0);
    }
    return RCM_OK;
}

static enum rcm_err
audit(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor, const char *verb,
      int64_t id, int64_t patient_id, int64_t now_ms, struct rcm_diag *diag)
{
    char action[32], object[24], patient[24];
    snprintf(action, sizeof action, "encounter.%s", verb);
    snprintf(object, sizeof object, "%" PRId64, id);
    snprintf(patient, sizeof patient, "%" PRId64, patient_id);
    struct rcm_audit_what what = {action, "encounter", object, patient, "success"};
    return tx ? store_audit_write(s, tx, actor, &what, now_ms, diag)
              : store_audit_append(s, actor, &what, diag);
}

static enum rcm_err
create_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct write_args *w = ctx;
    struct rcm_encounter *e = w->e;
    char payer[81];
    struct db_stmt *st;
    bool row;
    enum rcm_err err = check_references(tx, e, payer, diag);
    if (!err)
        err = fill_charges(tx, e, payer, diag);
    if (!err)
        err = db_prepare(tx, &ENC_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, e->tenant_id);
    db_bind_i64(st, 2, e->patient_id);
    db_bind_text(st, 3, w->sealed->uid);
    db_bind_i64(st, 4, w->now_ms);
    char dx[DX_TEXT_MAX];
    bind_header(st, e, w->sealed, dx);
    if ((err = db_step(st, &row, diag)))
        return err;
    e->id = db_col_i64(st, 0);
    err = insert_lines(tx, e, diag);
    return err ? err : audit(w->s, tx, w->actor, "create", e->id, e->patient_id, w->now_ms, diag);
}


enum rcm_err
rcm_store_encounter_create(struct rcm_store *store, const struct rcm_actor *actor,
                           struct rcm_encounter *e, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "encounters", diag))
        return RCM_E_INVAL;
    e->tenant_id = actor->tenant_id;
    enum rcm_err err = rcm_encounter_check(e, diag);
    if (err)
        return err;
    normalise(e);
    struct sealed_cols *s = rcm_calloc(1, sizeof *s);
    struct rcm_key key = {0};
    if (!s)
        return RCM_E_NOMEM;
    uint8_t uid[16];
    rcm_random_bytes(uid, sizeof uid);
    rcm_hex_encode(uid, sizeof uid, s->uid);
    err = store_patient_key_read(store, actor->tenant_id, e->patient_id, &key, diag);
    if (!err)
        err = seal_cols(&key, e, s);
    rcm_key_wipe(&key);
    int64_t now = rcm_time_now_ms();
    struct write_args w = {store, actor, e, s, 0, now};
    if (!err)
        err = db_write(store->db, create_fn, &w, diag);
    if (!err) {
        e->created_ms = e->updated_ms = now;
        rcm_str_copy(e->status, sizeof e->status, RCM_STR("open"));
    }
    rcm_crypto_wipe(s, sizeof *s);
    rcm_free(s);
    return err;
}

/* ---- reads --------------------------------------------------------------------- */

struct read_args {
    int64_t tenant_id, id, patient_id, after_id;
    const char *status;
    int limit;
    struct rcm_encounter *rows;
    struct sealed_cols *sealed;
    int n;
};

static enum rcm_err
get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct read_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &ENC_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such encounter");
    if (!read_encounter_row(st, a->rows, a->sealed))
        return rcm_diag_fail(diag, RCM_E_DB, "encounter %" PRId64 ": malformed row", a->id);
    a->n = 1;
    return read_lines(tx, a->rows, diag);
}

static enum rcm_err
list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct read_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &ENC_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->patient_id);
    db_bind_text(st, 3, a->status ? a->status : "");
    db_bind_i64(st, 4, a->after_id);
    db_bind_i64(st, 5, a->limit);
    a->n = 0;
    while (!(err = db_step(st, &row, diag)) && row && a->n < a->limit) {
        if (!read_encounter_row(st, &a->rows[a->n], &a->sealed[a->n]))
            return rcm_diag_fail(diag, RCM_E_DB, "encounter: malformed row");
        a->n++;
    }
    for (int i = 0; i < a->n && !err; i++)
        err = read_lines(tx, &a->rows[i], diag);
    return err;
}

enum rcm_err
rcm_store_encounter_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                        bool open_sealed, struct rcm_encounter *out, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "encounters", diag))
        return RCM_E_INVAL;
    struct sealed_cols *s = rcm_calloc(1, sizeof *s);
    if (!s)
        return RCM_E_NOMEM;
    struct read_args a = {actor->tenant_id, id, 0, 0, NULL, 1, out, s, 0};
    enum rcm_err err = store_read(store, get_fn, &a, diag);
    if (!err)
        err = audit(store, NULL, actor, "read", id, out->patient_id, 0, diag);
    if (!err && open_sealed)
        err = open_cols(store, out, s, diag);
    if (err)
        rcm_crypto_wipe(out, sizeof *out);
    rcm_crypto_wipe(s, sizeof *s);
    rcm_free(s);
    return err;
}

enum rcm_err
rcm_store_encounter_list(struct rcm_store *store, const struct rcm_actor *actor,
                         int64_t patient_id, const char *status, int64_t after_id, int limit,
                         bool open_sealed, rcm_encounter_fn fn, void *ctx,
                         struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "encounters", diag))
        return RCM_E_INVAL;
    if (limit < 1 || limit > LIST_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1-%d", LIST_MAX);
    if (status && strcmp(status, "open") != 0 && strcmp(status, "billed") != 0 &&
        strcmp(status, "void") != 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "status must be open, billed or void");
    struct rcm_encounter *rows = rcm_calloc((size_t)limit, sizeof *rows);
    struct sealed_cols *sealed = rcm_calloc((size_t)limit, sizeof *sealed);
    enum rcm_err err = rows && sealed ? RCM_OK : RCM_E_NOMEM;
    struct read_args a = {actor->tenant_id, 0, patient_id, after_id, status, limit, rows,
                          sealed, 0};
    if (!err)
        err = store_read(store, list_fn, &a, diag);
    if (!err) {
        /* one record for the list; the patients it touched are in the rows */
        struct rcm_audit_what what = {"encounter.list", "encounter", NULL, NULL, "success"};
        char patient[24];
        if (patient_id) {
            snprintf(patient, sizeof patient, "%" PRId64, patient_id);
            what.patient_ids = patient;
        }
        err = store_audit_append(store, actor, &what, diag);
    }
    for (int i = 0; i < a.n && !err; i++) {
        if (open_sealed)
            err = open_cols(store, &rows[i], &sealed[i], diag);
        if (!err && fn(ctx, &rows[i]))
            break;
    }
    if (rows) {
        rcm_crypto_wipe(rows, (size_t)limit * sizeof *rows);
        rcm_free(rows);
    }
    if (sealed) {
        rcm_crypto_wipe(sealed, (size_t)limit * sizeof *sealed);
        rcm_free(sealed);
    }
    return err;
}

/* The encounter's state as the writer sees it: open and unchanged since
 * the caller read it, or why not. */
static enum rcm_err
check_open(struct db_tx *tx, struct write_args *w, char uid[33], struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &ENC_STATE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, w->actor->tenant_id);
    db_bind_i64(st, 2, w->e->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such encounter");
    if (strcmp(db_col_str(st, 0), "open") != 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the encounter is %s: only an open "
                             "encounter changes (correct its claim instead)",
                             db_col_str(st, 0));
    if (w->seen_updated_ms && db_col_i64(st, 1) != w->seen_updated_ms)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the encounter changed since it was read");
    w->e->patient_id = db_col_i64(st, 2);
    if (uid)
        rcm_str_copy(uid, 33, rcm_str_c(db_col_str(st, 3)));
    return RCM_OK;
}

static enum rcm_err
update_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct write_args *w = ctx;
    struct rcm_encounter *e = w->e;
    char payer[81];
    struct db_stmt *st;
    enum rcm_err err = check_open(tx, w, NULL, diag);
    if (!err)
        err = check_references(tx, e, payer, diag);
    if (!err)
        err = fill_charges(tx, e, payer, diag);
    if (!err)
        err = db_prepare(tx, &ENC_UPDATE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, e->tenant_id);
    db_bind_i64(st, 2, e->id);
    db_bind_i64(st, 3, w->now_ms);
    db_bind_i64(st, 4, e->updated_ms);
    char dx[DX_TEXT_MAX];
    bind_header(st, e, w->sealed, dx);
    if ((err = db_exec(st, diag)))
        return err;
    if ((err = db_prepare(tx, &LINE_DELETE, &st, diag)))
        return err;
    db_bind_i64(st, 1, e->id);
    if ((err = db_exec(st, diag)) || (err = insert_lines(tx, e, diag)))
        return err;
    return audit(w->s, tx, w->actor, "update", e->id, e->patient_id, w->now_ms, diag);
}

enum rcm_err
rcm_store_encounter_update(struct rcm_store *store, const struct rcm_actor *actor,
                           struct rcm_encounter *e, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "encounters", diag))
        return RCM_E_INVAL;
    e->tenant_id = actor->tenant_id;
    enum rcm_err err = rcm_encounter_check(e, diag);
    if (err)
        return err;
    normalise(e);
    /* the uid and patient come from the stored row: read them first */
    struct sealed_cols *s = rcm_calloc(1, sizeof *s);
    struct rcm_encounter *cur = rcm_calloc(1, sizeof *cur);
    struct rcm_key key = {0};
    struct read_args a = {actor->tenant_id, e->id, 0, 0, NULL, 1, cur, s, 0};
    err = s && cur ? store_read(store, get_fn, &a, diag) : RCM_E_NOMEM;
    if (!err && e->updated_ms && cur->updated_ms != e->updated_ms)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the encounter changed since it was read");
    if (!err) {
        e->patient_id = cur->patient_id;
        e->updated_ms = cur->updated_ms;
        err = store_patient_key_open(store, e->tenant_id, e->patient_id, s->patient_uid,
                                     s->wrapped, &key, diag);
    }
    if (!err)
        err = seal_cols(&key, e, s);
    rcm_key_wipe(&key);
    int64_t now = rcm_time_now_ms();
    struct write_args w = {store, actor, e, s, cur->updated_ms, now};
    if (!err)
        err = db_write(store->db, update_fn, &w, diag);
    if (!err)
        e->updated_ms = now;
    if (s) {
        rcm_crypto_wipe(s, sizeof *s);
        rcm_free(s);
    }
    if (cur) {
        rcm_crypto_wipe(cur, sizeof *cur);
        rcm_free(cur);
    }
    return err;
}

static enum rcm_err
delete_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct write_args *w = ctx;
    struct db_stmt *st;
    enum rcm_err err = check_open(tx, w, NULL, diag);
    if (!err)
        err = db_prepare(tx, &ENC_DELETE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, w->actor->tenant_id);
    db_bind_i64(st, 2, w->e->id);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the encounter has a claim: void the "
                             "claim instead");
    return audit(w->s, tx, w->actor, "delete", w->e->id, w->e->patient_id, w->now_ms, diag);
}

enum rcm_err
rcm_store_encounter_delete(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                           struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "encounters", diag))
        return RCM_E_INVAL;
    struct rcm_encounter *e = rcm_calloc(1, sizeof *e);
    if (!e)
        return RCM_E_NOMEM;
    e->id = id;
    struct write_args w = {store, actor, e, NULL, 0, rcm_time_now_ms()};
    enum rcm_err err = db_write(store->db, delete_fn, &w, diag);
    rcm_free(e);
    return err;
}
