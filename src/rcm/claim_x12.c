/*
 * claim_x12.c — map a claim (rcm/claim.h) onto the 837 writer's struct
 * (struct rcm_x12_claim, rcm/x12.h) for rcm_x12_write_837p / _837i.
 *
 * Values are copied into the writer's fixed-size fields. A value that does
 * not fit is refused rather than cut (a truncated member id or NPI would be
 * a claim the payer rejects, or worse, pays to someone else). Diagnosis
 * codes lose their dot (X12 carries ICD-10-CM without it). Messages name
 * the field and its position, never its value (claims are PHI).
 *
 * What this is not: the scrubber. It checks only what the 837 cannot be
 * written without; rcm_claim_scrub decides whether the claim is payable.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/cycle.h"
#include "rcm/x12.h"

struct map {
    struct rcm_diag *diag;
    enum rcm_err err;
};

/* Copy src into dst[cap]; refuse a missing required value or one too long. */
static bool
put(struct map *m, char *dst, size_t cap, const char *src, const char *what, bool required)
{
    if (m->err)
        return false;
    dst[0] = 0;
    if (!src || !src[0]) {
        if (required)
            m->err = rcm_diag_fail(m->diag, RCM_E_INVAL, "%s is required", what);
        return !required;
    }
    size_t n = strlen(src);
    if (n >= cap) {
        m->err = rcm_diag_fail(m->diag, RCM_E_INVAL, "%s is longer than %zu characters",
                               what, cap - 1);
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

static int32_t
date_or_none(int32_t d)
{
    return d == RCM_CLAIM_NO_DATE ? RCM_X12_NO_DATE : d;
}

static void
address(struct map *m, struct rcm_x12_party *p, const struct rcm_claim_address *a,
        const char *what)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s address", what);
    put(m, p->address, sizeof p->address, a->line1, buf, false);
    snprintf(buf, sizeof buf, "%s city", what);
    put(m, p->city, sizeof p->city, a->city, buf, false);
    snprintf(buf, sizeof buf, "%s state", what);
    put(m, p->state, sizeof p->state, a->state, buf, false);
    snprintf(buf, sizeof buf, "%s zip", what);
    put(m, p->zip, sizeof p->zip, a->zip, buf, false);
}

/* A provider as NM1 ... XX <npi>. */
static void
provider(struct map *m, struct rcm_x12_party *p, const struct rcm_claim_provider *v,
         const char *what)
{
    char buf[64];
    memset(p, 0, sizeof *p);
    p->entity_type = v->organization ? '2' : '1';
    snprintf(buf, sizeof buf, "%s name", what);
    put(m, p->last_or_org, sizeof p->last_or_org, v->last_or_org, buf, true);
    snprintf(buf, sizeof buf, "%s first name", what);
    put(m, p->first, sizeof p->first, v->organization ? NULL : v->first, buf, false);
    snprintf(buf, sizeof buf, "%s npi", what);
    put(m, p->id, sizeof p->id, v->npi, buf, true);
    memcpy(p->id_qualifier, "XX", 3);
    address(m, p, &v->addr, what);
}

/* A person as NM1*IL / NM1*QC (member id MI when given). */
static void
person(struct map *m, struct rcm_x12_party *p, const struct rcm_claim_person *v,
       const char *what, bool id_required)
{
    char buf[64];
    memset(p, 0, sizeof *p);
    p->entity_type = '1';
    snprintf(buf, sizeof buf, "%s last name", what);
    put(m, p->last_or_org, sizeof p->last_or_org, v->last, buf, true);
    snprintf(buf, sizeof buf, "%s first name", what);
    put(m, p->first, sizeof p->first, v->first, buf, false);
    snprintf(buf, sizeof buf, "%s member id", what);
    if (put(m, p->id, sizeof p->id, v->member_id, buf, id_required) && p->id[0])
        memcpy(p->id_qualifier, "MI", 3);
    address(m, p, &v->addr, what);
}

static void
payer_party(struct map *m, struct rcm_x12_party *p, const struct rcm_claim_payer *v,
            const char *what)
{
    char buf[64];
    memset(p, 0, sizeof *p);
    p->entity_type = '2';
    snprintf(buf, sizeof buf, "%s name", what);
    put(m, p->last_or_org, sizeof p->last_or_org, v->name, buf, true);
    snprintf(buf, sizeof buf, "%s id", what);
    put(m, p->id, sizeof p->id, v->id, buf, true);
    memcpy(p->id_qualifier, "PI", 3);
}

static void
header(struct map *m, const struct rcm_claim *c, struct rcm_x12_claim *x)
{
    x->kind = c->kind == RCM_CLAIM_INSTITUTIONAL ? 'I' : 'P';
    put(m, x->claim_id, sizeof x->claim_id, c->id, "claim id", true);
    int64_t total = c->total_charge_cents;
    for (size_t i = 0; total == 0 && i < c->n_lines; i++)
        total += c->lines[i].charge_cents;
    x->charge_cents = c->total_charge_cents ? c->total_charge_cents : total;
    put(m, x->facility_code, sizeof x->facility_code, c->facility_code, "facility code",
        true);
    x->frequency[0] = c->frequency ? c->frequency : '1';
    bool replaces = x->frequency[0] == '7' || x->frequency[0] == '8';
    put(m, x->original_ref, sizeof x->original_ref, c->original_ref,
        "payer claim control number (frequency 7 or 8)", replaces);
    x->responsibility = c->payer.sequence ? c->payer.sequence : 'P';
    put(m, x->filing_indicator, sizeof x->filing_indicator, c->payer.filing_indicator,
        "payer filing indicator", true);
    put(m, x->insurance_type, sizeof x->insurance_type, c->payer.insurance_type,
        "payer insurance type", false);
    x->statement_from_days = date_or_none(c->statement_from);
    x->statement_to_days = date_or_none(c->statement_to);
    if (x->kind == 'I') {
        put(m, x->patient_status, sizeof x->patient_status, c->patient_status,
            "patient status (institutional)", true);
        put(m, x->admission_type, sizeof x->admission_type, c->admission_type,
            "admission type", false);
        put(m, x->admission_source, sizeof x->admission_source, c->admission_source,
            "admission source", false);
    }
}

static void
parties(struct map *m, const struct rcm_claim *c, struct rcm_x12_claim *x)
{
    provider(m, &x->billing, &c->billing, "billing provider");
    put(m, x->billing_tax_id, sizeof x->billing_tax_id, c->billing.tin,
        "billing provider tax id", true);
    put(m, x->billing_taxonomy, sizeof x->billing_taxonomy, c->billing.taxonomy,
        "billing provider taxonomy", false);
    person(m, &x->subscriber, &c->subscriber, "subscriber", true);
    x->subscriber_birth_days = date_or_none(c->subscriber.birth_date);
    x->subscriber_gender = c->subscriber.sex;
    payer_party(m, &x->payer, &c->payer, "payer");
    /* 2000C only when the patient is not the subscriber (SBR02 18 = self) */
    bool self = !c->relationship || strcmp(c->relationship, "18") == 0;
    if (!self && c->patient.present) {
        x->has_patient = true;
        put(m, x->patient_relationship, sizeof x->patient_relationship, c->relationship,
            "patient relationship", true);
        person(m, &x->patient, &c->patient, "patient", false);
        x->patient.id_qualifier[0] = x->patient.id[0] = 0;
        x->patient_birth_days = date_or_none(c->patient.birth_date);
        x->patient_gender = c->patient.sex;
    }
    if (c->rendering.present) {
        x->has_rendering = true;
        provider(m, &x->rendering, &c->rendering, "rendering provider");
        x->rendering.zip[0] = x->rendering.address[0] = 0;   /* 2310B has no N3/N4 */
        put(m, x->rendering_taxonomy, sizeof x->rendering_taxonomy, c->rendering.taxonomy,
            "rendering provider taxonomy", false);
    }
    if (c->facility.present) {
        x->has_facility = true;
        provider(m, &x->facility, &c->facility, "service facility");
        x->facility.entity_type = '2';
        x->facility.first[0] = 0;
    }
}

/* ICD-10-CM without its dot. */
static void
diagnoses(struct map *m, const struct rcm_claim *c, struct rcm_x12_claim *x)
{
    if (c->n_dx > RCM_X12_MAX_DX) {
        m->err = rcm_diag_fail(m->diag, RCM_E_INVAL,
                               "claim has %zu diagnoses; the 837 writer carries %d",
                               c->n_dx, RCM_X12_MAX_DX);
        return;
    }
    for (size_t i = 0; i < c->n_dx && !m->err; i++) {
        char what[32], code[16] = "";
        snprintf(what, sizeof what, "diagnosis %zu", i + 1);
        const char *s = c->dx[i].code ? c->dx[i].code : "";
        size_t k = 0;
        for (; *s && k < sizeof code - 1; s++)
            if (*s != '.')
                code[k++] = *s;
        code[k] = 0;
        if (*s) {
            m->err = rcm_diag_fail(m->diag, RCM_E_INVAL, "%s is too long", what);
            return;
        }
        put(m, x->dx[i], sizeof x->dx[i], code, what, true);
    }
    x->n_dx = (int)c->n_dx;
}

static void
line(struct map *m, const struct rcm_claim_line *l, struct rcm_x12_line *y, size_t k)
{
    char what[48];
    memcpy(y->proc_qualifier, "HC", 3);
    snprintf(what, sizeof what, "line %zu procedure", k + 1);
    put(m, y->procedure, sizeof y->procedure, l->procedure, what, false);
    for (size_t q = 0; q < l->n_modifiers && q < RCM_CLAIM_MAX_MODIFIERS; q++) {
        snprintf(what, sizeof what, "line %zu modifier %zu", k + 1, q + 1);
        put(m, y->modifiers[q], sizeof y->modifiers[q], l->modifiers[q], what, true);
    }
    snprintf(what, sizeof what, "line %zu revenue code", k + 1);
    put(m, y->revenue_code, sizeof y->revenue_code, l->revenue_code, what, false);
    y->charge_cents = l->charge_cents;
    memcpy(y->unit, "UN", 3);
    y->units_milli = l->units_milli ? l->units_milli : 1000;
    y->service_date_days = date_or_none(l->from_date);
    snprintf(what, sizeof what, "line %zu place of service", k + 1);
    put(m, y->pos, sizeof y->pos, l->pos, what, false);
    size_t np = l->n_dx_pointers > 4 ? 4 : l->n_dx_pointers;
    for (size_t q = 0; q < np; q++)
        y->dx_pointers[q] = l->dx_pointers[q];
    y->n_dx_pointers = (int)np;
    snprintf(what, sizeof what, "line %zu control number", k + 1);
    put(m, y->control, sizeof y->control, l->control, what, false);
}

static void
lines(struct map *m, const struct rcm_claim *c, struct rcm_x12_claim *x)
{
    if (c->n_lines > RCM_X12_MAX_LINES) {
        m->err = rcm_diag_fail(m->diag, RCM_E_INVAL,
                               "claim has %zu lines; the 837 writer carries %d",
                               c->n_lines, RCM_X12_MAX_LINES);
        return;
    }
    for (size_t k = 0; k < c->n_lines && !m->err; k++)
        line(m, &c->lines[k], &x->lines[k], k);
    x->n_lines = (int)c->n_lines;
}

static void
adjustments(struct map *m, struct rcm_x12_adjustment *out, int *n_out, int cap,
            const struct rcm_claim_adj *adj, size_t n, const char *what)
{
    if (n > (size_t)cap) {
        m->err = rcm_diag_fail(m->diag, RCM_E_INVAL, "%s has more than %d adjustments",
                               what, cap);
        return;
    }
    for (size_t i = 0; i < n && !m->err; i++) {
        char f[64];
        snprintf(f, sizeof f, "%s adjustment %zu group", what, i + 1);
        put(m, out[i].group, sizeof out[i].group, adj[i].group, f, true);
        snprintf(f, sizeof f, "%s adjustment %zu reason", what, i + 1);
        put(m, out[i].reason, sizeof out[i].reason, adj[i].carc, f, true);
        out[i].amount_cents = adj[i].amount_cents;
    }
    *n_out = (int)n;
}

/* The 0-based index of the claim line numbered `number` (LX01), or -1. */
static int
line_index(const struct rcm_claim *c, uint32_t number)
{
    for (size_t k = 0; k < c->n_lines; k++) {
        uint32_t lx = c->lines[k].number ? c->lines[k].number : (uint32_t)(k + 1);
        if (lx == number)
            return (int)k;
    }
    return -1;
}

static void
line_adjudications(struct map *m, const struct rcm_claim *c,
                   const struct rcm_claim_other_payer *o, int oi, struct rcm_x12_claim *x)
{
    if (o->n_lines && !o->lines) {
        m->err = rcm_diag_fail(m->diag, RCM_E_INVAL,
                               "other payer %d line adjudications are missing", oi + 1);
        return;
    }
    for (size_t j = 0; j < o->n_lines && !m->err; j++) {
        const struct rcm_claim_line_adjudication *a = &o->lines[j];
        char what[64];
        snprintf(what, sizeof what, "other payer %d line adjudication %zu", oi + 1, j + 1);
        int k = line_index(c, a->line_number);
        if (k < 0) {
            m->err = rcm_diag_fail(m->diag, RCM_E_INVAL, "%s names no line of the claim",
                                   what);
            return;
        }
        if (x->n_line_adj >= RCM_X12_MAX_LINE_ADJ) {
            m->err = rcm_diag_fail(m->diag, RCM_E_INVAL,
                                   "more than %d line adjudications", RCM_X12_MAX_LINE_ADJ);
            return;
        }
        struct rcm_x12_line_adjudication *y = &x->line_adj[x->n_line_adj++];
        y->other = oi;
        y->line = k;
        y->paid_cents = a->paid_cents;
        adjustments(m, y->adj, &y->n_adj, RCM_X12_MAX_LINE_CAS, a->adj, a->n_adj, what);
    }
}

static void
other_payers(struct map *m, const struct rcm_claim *c, struct rcm_x12_claim *x)
{
    if (c->n_other_payers > RCM_X12_MAX_OTHER_PAYERS) {
        m->err = rcm_diag_fail(m->diag, RCM_E_INVAL,
                               "claim has %zu other payers; the 837 writer carries %d",
                               c->n_other_payers, RCM_X12_MAX_OTHER_PAYERS);
        return;
    }
    for (size_t i = 0; i < c->n_other_payers && !m->err; i++) {
        const struct rcm_claim_other_payer *o = &c->other_payers[i];
        struct rcm_x12_other_payer *y = &x->other[i];
        char what[48];
        snprintf(what, sizeof what, "other payer %zu", i + 1);
        y->responsibility = o->payer.sequence ? o->payer.sequence : 'P';
        put(m, y->relationship, sizeof y->relationship,
            o->relationship ? o->relationship : "18", "other payer relationship", true);
        put(m, y->filing_indicator, sizeof y->filing_indicator, o->payer.filing_indicator,
            "other payer filing indicator", true);
        put(m, y->insurance_type, sizeof y->insurance_type, o->payer.insurance_type,
            "other payer insurance type", false);
        person(m, &y->subscriber, &o->subscriber, "other subscriber", true);
        payer_party(m, &y->payer, &o->payer, "other payer");
        y->has_paid = o->has_paid;
        y->paid_cents = o->paid_cents;
        y->has_patient_resp = o->has_patient_resp;
        y->patient_resp_cents = o->patient_resp_cents;
        y->adjudication_days = o->adjudication_date == 0 ? RCM_X12_NO_DATE
                                                         : date_or_none(o->adjudication_date);
        adjustments(m, y->adj, &y->n_adj, RCM_X12_MAX_ADJ, o->adj, o->n_adj, what);
        line_adjudications(m, c, o, (int)i, x);
    }
    x->n_other = (int)c->n_other_payers;
}

enum rcm_err
rcm_claim_to_x12(const struct rcm_claim *c, struct rcm_x12_claim *out,
                 struct rcm_diag *diag)
{
    struct map m = {diag, RCM_OK};
    memset(out, 0, sizeof *out);
    out->subscriber_birth_days = out->patient_birth_days = RCM_X12_NO_DATE;
    out->statement_from_days = out->statement_to_days = RCM_X12_NO_DATE;
    if (c->n_lines > 0 && !c->lines)
        return rcm_diag_fail(diag, RCM_E_INVAL, "claim lines are missing");
    if (c->n_other_payers > 0 && !c->other_payers)
        return rcm_diag_fail(diag, RCM_E_INVAL, "other payers are missing");
    header(&m, c, out);
    parties(&m, c, out);
    diagnoses(&m, c, out);
    lines(&m, c, out);
    other_payers(&m, c, out);
    if (m.err)
        memset(out, 0, sizeof *out);
    return m.err;
}
