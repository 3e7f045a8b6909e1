/*
 * x12_model.c — fill the RCM-layer structs (rcm_x12_claim, rcm_x12_remit,
 * rcm_x12_claim_payment) from the validator's segment stream.
 *
 * The builder is an rcm_x12_segment_fn: it sees each segment with the loop
 * it was placed in, so it never re-derives the structure. Context that
 * spans claims (billing provider, subscriber, payer; 835 payer/payee and
 * payment) is kept in the current struct and carried into the next claim.
 * A claim or claim payment is handed out when the next one starts, when an
 * enclosing HL/LX loop starts, or at SE. Memory: one claim at a time.
 */
#include <string.h>

#include "rcm/date.h"
#include "rcm/money.h"
#include "rcm/x12.h"

static void
cp(char *dst, size_t size, struct rcm_str s)
{
    size_t n = s.n < size - 1 ? s.n : size - 1;
    if (n)
        memcpy(dst, s.p, n);
    memset(dst + n, 0, size - n);   /* no stale bytes from an earlier claim */
}

#define CP(dst, s) cp((dst), sizeof(dst), (s))

static int64_t
cents(struct rcm_str s)
{
    int64_t c = 0;
    if (s.n == 0 || rcm_money_parse(s, &c) != RCM_OK)
        return 0;
    return c;
}

static int64_t
milli(struct rcm_str s)
{
    /* quantity with up to 3 decimals -> x1000 */
    int64_t whole = 0, frac = 0;
    int fd = 0;
    bool neg = false, dot = false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (i == 0 && c == '-') {
            neg = true;
        } else if (c == '.' && !dot) {
            dot = true;
        } else if (c >= '0' && c <= '9') {
            if (!dot && whole < INT64_MAX / 100)
                whole = whole * 10 + (c - '0');
            else if (dot && fd < 3) {
                frac = frac * 10 + (c - '0');
                fd++;
            }
        } else {
            return 0;
        }
    }
    while (fd < 3) {
        frac *= 10;
        fd++;
    }
    return (neg ? -1 : 1) * (whole * 1000 + frac);
}

static int32_t
date8(struct rcm_str s)
{
    int32_t d;
    if (s.n < 8 || rcm_date_parse_ccyymmdd((struct rcm_str){s.p, 8}, &d) != RCM_OK)
        return RCM_X12_NO_DATE;
    return d;
}

static const char *
loop_of(const struct rcm_x12_loop_ctx *l)
{
    return l->depth ? l->loops[l->depth - 1] : "";
}

void
rcm_x12_model_init(struct rcm_x12_model *m, rcm_x12_claim_fn on_claim,
                   rcm_x12_payment_fn on_payment, void *ctx)
{
    memset(m, 0, sizeof *m);
    m->on_claim = on_claim;
    m->on_payment = on_payment;
    m->ctx = ctx;
}

static void
flush_claim(struct rcm_x12_model *m)
{
    if (!m->in_claim)
        return;
    m->in_claim = false;
    m->claims++;
    if (m->on_claim)
        m->on_claim(m->ctx, &m->claim);
}

static void
flush_payment(struct rcm_x12_model *m)
{
    if (!m->in_payment)
        return;
    m->in_payment = false;
    m->payments++;
    if (m->on_payment)
        m->on_payment(m->ctx, &m->remit, &m->pay);
}

/* 835 end of set: hand out the header with its PLB adjustments. */
static void
flush_remit(struct rcm_x12_model *m)
{
    if (!m->in_remit)
        return;
    m->in_remit = false;
    if (m->on_remit)
        m->on_remit(m->ctx, &m->remit);
}

static void
flush_ack(struct rcm_x12_model *m)
{
    if (!m->in_ack)
        return;
    m->in_ack = false;
    if (m->on_ack)
        m->on_ack(m->ctx, &m->ack);
}

static void
flush_status(struct rcm_x12_model *m)
{
    if (!m->in_status)
        return;
    m->in_status = false;
    if (m->on_status)
        m->on_status(m->ctx, &m->status);
}

static void party_nm1(struct rcm_x12_party *p, const struct rcm_str *e, size_t n);
static void party_addr(struct rcm_x12_party *p, const char *id,
                       const struct rcm_str *e, size_t n);

static void
flush_elig(struct rcm_x12_model *m)
{
    if (!m->in_elig)
        return;
    m->in_elig = false;
    if (m->on_eligibility)
        m->on_eligibility(m->ctx, &m->elig);
}

void
rcm_x12_model_finish(struct rcm_x12_model *m)
{
    flush_claim(m);
    flush_payment(m);
    flush_remit(m);
    flush_ack(m);
    flush_status(m);
    flush_elig(m);
}

/* percent "0.2" / ".25" / "1" -> basis points */
static int32_t
percent_bp(struct rcm_str s)
{
    int64_t m = milli(s);       /* x1000 */
    return (int32_t)(m * 10);
}

/*
 * 271 without a schema: the HL level code (HL03) says where we are —
 * 20 payer, 21 receiver, 22 subscriber, 23 dependent. EB starts a benefit;
 * a DTP right after it gives its dates; LS..LE (2120 benefit related
 * entities) is skipped.
 */
static void
elig_segment(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
             const struct rcm_str *e, size_t n)
{
    struct rcm_x12_eligibility *r = &m->elig;
    const char *id = seg->id;
    if (strcmp(id, "LS") == 0) {
        m->in_ls = true;
        return;
    }
    if (strcmp(id, "LE") == 0) {
        m->in_ls = false;
        return;
    }
    if (m->in_ls)
        return;
    if (strcmp(id, "HL") == 0) {
        flush_elig(m);
        struct rcm_str lvl = n > 3 ? e[3] : (struct rcm_str){"", 0};
        if (rcm_str_eq_c(lvl, "20")) {
            memset(&r->payer, 0, sizeof r->payer);
            m->kind = '2';
        } else if (rcm_str_eq_c(lvl, "21")) {
            memset(&r->receiver, 0, sizeof r->receiver);
        } else if (rcm_str_eq_c(lvl, "22") || rcm_str_eq_c(lvl, "23")) {
            struct rcm_x12_party payer = r->payer, receiver = r->receiver;
            char trace[sizeof r->trace_id];
            memcpy(trace, r->trace_id, sizeof trace);
            bool dep = rcm_str_eq_c(lvl, "23");
            memset(r, 0, sizeof *r);
            r->payer = payer;
            r->receiver = receiver;
            if (dep)    /* a dependent answers the subscriber's trace */
                memcpy(r->trace_id, trace, sizeof trace);
            r->dependent = dep;
            r->birth_days = RCM_X12_NO_DATE;
            m->in_elig = true;
        }
        return;
    }
    if (strcmp(id, "NM1") == 0 && n > 1) {
        if (rcm_str_eq_c(e[1], "PR"))
            party_nm1(&r->payer, e, n);
        else if (rcm_str_eq_c(e[1], "1P") || rcm_str_eq_c(e[1], "FA") ||
                 rcm_str_eq_c(e[1], "80"))
            party_nm1(&r->receiver, e, n);
        else if (m->in_elig && r->n_benefits == 0 &&
                 (rcm_str_eq_c(e[1], "IL") || rcm_str_eq_c(e[1], "03")))
            party_nm1(&r->person, e, n);
        return;
    }
    if (!m->in_elig)
        return;
    if (strcmp(id, "TRN") == 0 && n > 2) {
        CP(r->trace_id, e[2]);
    } else if ((strcmp(id, "N3") == 0 || strcmp(id, "N4") == 0) && r->n_benefits == 0) {
        party_addr(&r->person, id, e, n);
    } else if (strcmp(id, "DMG") == 0 && r->n_benefits == 0) {
        r->birth_days = n > 2 ? date8(e[2]) : RCM_X12_NO_DATE;
        r->gender = n > 3 && e[3].n ? e[3].p[0] : 0;
    } else if (strcmp(id, "AAA") == 0 && n > 3 && r->n_rejects < 4) {
        CP(r->rejects[r->n_rejects++], e[3]);
    } else if (strcmp(id, "EB") == 0 && r->n_benefits < RCM_X12_MAX_BENEFITS) {
        struct rcm_x12_benefit *b = &r->benefits[r->n_benefits++];
        memset(b, 0, sizeof *b);
        b->from_days = b->to_days = RCM_X12_NO_DATE;
        if (n > 1)
            CP(b->code, e[1]);
        if (b->code[0] >= '1' && b->code[0] <= '5' && b->code[1] == 0)
            r->active = true;
        if (n > 2)
            CP(b->coverage_level, e[2]);
        if (n > 3 && e[3].n) {
            struct rcm_str t[8];
            size_t k = rcm_x12_split(e[3], seg->delims.repetition, t, 8);
            for (size_t i = 0; i < k && i < 8; i++)
                CP(b->service_types[b->n_service_types++], t[i]);
        }
        if (n > 4)
            CP(b->insurance_type, e[4]);
        if (n > 5)
            CP(b->plan, e[5]);
        if (n > 6)
            CP(b->period, e[6]);
        if (n > 7 && e[7].n) {
            b->has_amount = true;
            b->amount_cents = cents(e[7]);
        }
        if (n > 8 && e[8].n) {
            b->has_percent = true;
            b->percent_bp = percent_bp(e[8]);
        }
        b->in_network = n > 12 && e[12].n ? e[12].p[0] : 0;
    } else if (strcmp(id, "DTP") == 0 && r->n_benefits > 0 && n > 3) {
        struct rcm_x12_benefit *b = &r->benefits[r->n_benefits - 1];
        b->from_days = date8(e[3]);
        b->to_days = e[3].n == 17 ? date8((struct rcm_str){e[3].p + 9, 8}) : b->from_days;
    }
}

/* 999: AK1 (group), AK2 (set), IK3 (count), IK5 (status and codes) */
static void
ack_segment(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
            const struct rcm_str *e, size_t n)
{
    struct rcm_x12_ack_result *a = &m->ack;
    const char *id = seg->id;
    if (strcmp(id, "AK1") == 0) {
        flush_ack(m);
        memset(a, 0, sizeof *a);
        if (n > 2)
            CP(a->group_control, e[2]);
    } else if (strcmp(id, "AK2") == 0) {
        flush_ack(m);
        char gc[sizeof a->group_control];
        memcpy(gc, a->group_control, sizeof gc);
        memset(a, 0, sizeof *a);
        memcpy(a->group_control, gc, sizeof gc);
        if (n > 1)
            CP(a->st01, e[1]);
        if (n > 2)
            CP(a->st02, e[2]);
        m->in_ack = true;
    } else if (strcmp(id, "IK3") == 0 && m->in_ack) {
        a->n_segment_errors++;
    } else if (strcmp(id, "IK5") == 0 && m->in_ack) {
        a->status = n > 1 && e[1].n ? e[1].p[0] : 0;
        for (size_t i = 2; i < n && a->n_codes < 5; i++)
            if (e[i].n)
                CP(a->codes[a->n_codes++], e[i]);
        flush_ack(m);
    }
}

/* 277 / 277CA: TRN opens a claim status in 2200D/2200E; STC, REF*1K fill it */
static void
status_segment(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
               const struct rcm_str *e, size_t n, const char *loop)
{
    struct rcm_x12_claim_status *s = &m->status;
    const char *id = seg->id;
    bool claim_loop = strcmp(loop, "2200D") == 0 || strcmp(loop, "2200E") == 0;
    if (strcmp(id, "HL") == 0 || (strcmp(id, "TRN") == 0 && claim_loop)) {
        flush_status(m);
        if (strcmp(id, "TRN") == 0) {
            memset(s, 0, sizeof *s);
            s->status_date_days = RCM_X12_NO_DATE;
            if (n > 2)
                CP(s->claim_id, e[2]);
            m->in_status = true;
        }
        return;
    }
    if (!m->in_status || !claim_loop)
        return;
    if (strcmp(id, "STC") == 0 && !s->category[0] && n > 1) {
        struct rcm_str c[3];
        size_t k = rcm_x12_split(e[1], seg->delims.component, c, 3);
        CP(s->category, c[0]);
        if (k > 1)
            CP(s->status, c[1]);
        if (k > 2)
            CP(s->entity, c[2]);
        s->status_date_days = n > 2 ? date8(e[2]) : RCM_X12_NO_DATE;
        s->charge_cents = n > 4 ? cents(e[4]) : 0;
    } else if (strcmp(id, "REF") == 0 && n > 2 && rcm_str_eq_c(e[1], "1K")) {
        CP(s->payer_claim_id, e[2]);
    }
}

static void
party_nm1(struct rcm_x12_party *p, const struct rcm_str *e, size_t n)
{
    memset(p, 0, sizeof *p);
    p->entity_type = n > 2 && e[2].n ? e[2].p[0] : 0;
    if (n > 3)
        CP(p->last_or_org, e[3]);
    if (n > 4)
        CP(p->first, e[4]);
    if (n > 8)
        CP(p->id_qualifier, e[8]);
    if (n > 9)
        CP(p->id, e[9]);
}

/* N1 (835): N102 name, N103 qualifier, N104 id */
static void
party_n1(struct rcm_x12_party *p, const struct rcm_str *e, size_t n)
{
    memset(p, 0, sizeof *p);
    p->entity_type = '2';
    if (n > 2)
        CP(p->last_or_org, e[2]);
    if (n > 3)
        CP(p->id_qualifier, e[3]);
    if (n > 4)
        CP(p->id, e[4]);
}

static void
party_addr(struct rcm_x12_party *p, const char *id, const struct rcm_str *e, size_t n)
{
    if (strcmp(id, "N3") == 0 && n > 1) {
        CP(p->address, e[1]);
    } else if (strcmp(id, "N4") == 0) {
        if (n > 1)
            CP(p->city, e[1]);
        if (n > 2)
            CP(p->state, e[2]);
        if (n > 3)
            CP(p->zip, e[3]);
    }
}

/* SV1-01 / SV2-02 / SVC-01 composite: qualifier, code, modifiers */
static void
procedure(struct rcm_x12_line *l, struct rcm_str v, char comp)
{
    struct rcm_str c[7];
    size_t n = rcm_x12_split(v, comp, c, 7);
    if (n > 7)
        n = 7;
    CP(l->proc_qualifier, c[0]);
    if (n > 1)
        CP(l->procedure, c[1]);
    for (size_t i = 2; i < n && i < 6; i++)
        CP(l->modifiers[i - 2], c[i]);
}

/* CAS: group, then (reason, amount, quantity) triples */
static void
cas(struct rcm_x12_adjustment *adj, int *nadj, const struct rcm_str *e, size_t n)
{
    for (size_t i = 2; i + 1 < n && i <= 17; i += 3) {
        if (e[i].n == 0 || *nadj >= RCM_X12_MAX_ADJ)
            continue;
        struct rcm_x12_adjustment *a = &adj[(*nadj)++];
        CP(a->group, e[1]);
        CP(a->reason, e[i]);
        a->amount_cents = cents(e[i + 1]);
    }
}

static void
claim_segment(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
              const struct rcm_str *e, size_t n, const char *loop)
{
    struct rcm_x12_claim *c = &m->claim;
    const char *id = seg->id;
    if (strcmp(id, "HL") == 0) {
        flush_claim(m);
        struct rcm_str lvl = n > 3 ? e[3] : (struct rcm_str){"", 0};
        if (rcm_str_eq_c(lvl, "20")) {
            memset(&c->billing, 0, sizeof c->billing);
            c->billing_tax_id[0] = 0;
        } else if (rcm_str_eq_c(lvl, "22")) {
            memset(&c->subscriber, 0, sizeof c->subscriber);
            memset(&c->payer, 0, sizeof c->payer);
            c->subscriber_birth_days = RCM_X12_NO_DATE;
            c->subscriber_gender = 0;
            c->has_patient = false;
            memset(&c->patient, 0, sizeof c->patient);
            memset(c->patient_relationship, 0, sizeof c->patient_relationship);
            c->patient_birth_days = RCM_X12_NO_DATE;
            c->patient_gender = 0;
            c->responsibility = 0;
            memset(c->filing_indicator, 0, sizeof c->filing_indicator);
        } else if (rcm_str_eq_c(lvl, "23")) {
            c->has_patient = true;
            memset(&c->patient, 0, sizeof c->patient);
            c->patient_birth_days = RCM_X12_NO_DATE;
            c->patient_gender = 0;
        }
        return;
    }
    if (strcmp(loop, "2010AA") == 0) {
        if (strcmp(id, "NM1") == 0)
            party_nm1(&c->billing, e, n);
        else if (strcmp(id, "REF") == 0 && n > 2 && rcm_str_eq_c(e[1], "EI"))
            CP(c->billing_tax_id, e[2]);
        else
            party_addr(&c->billing, id, e, n);
        return;
    }
    if (strcmp(loop, "2000B") == 0 && strcmp(id, "SBR") == 0) {
        c->responsibility = n > 1 && e[1].n ? e[1].p[0] : 0;
        if (n > 9)
            CP(c->filing_indicator, e[9]);
        return;
    }
    if (strcmp(loop, "2010BA") == 0) {
        if (strcmp(id, "NM1") == 0) {
            party_nm1(&c->subscriber, e, n);
        } else if (strcmp(id, "DMG") == 0) {
            c->subscriber_birth_days = n > 2 ? date8(e[2]) : RCM_X12_NO_DATE;
            c->subscriber_gender = n > 3 && e[3].n ? e[3].p[0] : 0;
        } else {
            party_addr(&c->subscriber, id, e, n);
        }
        return;
    }
    if (strcmp(loop, "2010BB") == 0) {
        if (strcmp(id, "NM1") == 0)
            party_nm1(&c->payer, e, n);
        else
            party_addr(&c->payer, id, e, n);
        return;
    }
    if (strcmp(loop, "2000C") == 0 && strcmp(id, "PAT") == 0 && n > 1) {
        CP(c->patient_relationship, e[1]);
        return;
    }
    if (strcmp(loop, "2010CA") == 0) {
        if (strcmp(id, "NM1") == 0) {
            party_nm1(&c->patient, e, n);
        } else if (strcmp(id, "DMG") == 0) {
            c->patient_birth_days = n > 2 ? date8(e[2]) : RCM_X12_NO_DATE;
            c->patient_gender = n > 3 && e[3].n ? e[3].p[0] : 0;
        } else {
            party_addr(&c->patient, id, e, n);
        }
        return;
    }
    if (strcmp(id, "CLM") == 0) {
        flush_claim(m);
        m->in_claim = true;
        c->kind = m->kind;
        c->claim_id[0] = 0;
        if (n > 1)
            CP(c->claim_id, e[1]);
        c->charge_cents = n > 2 ? cents(e[2]) : 0;
        c->facility_code[0] = c->frequency[0] = 0;
        if (n > 5) {
            struct rcm_str f[3];
            size_t k = rcm_x12_split(e[5], seg->delims.component, f, 3);
            CP(c->facility_code, f[0]);
            if (k > 2)
                CP(c->frequency, f[2]);
        }
        c->statement_from_days = c->statement_to_days = RCM_X12_NO_DATE;
        memset(c->admission_type, 0, sizeof c->admission_type);
        memset(c->admission_source, 0, sizeof c->admission_source);
        memset(c->patient_status, 0, sizeof c->patient_status);
        /* clear what the previous claim used: no data leaks between claims */
        memset(c->dx, 0, sizeof c->dx);
        memset(c->lines, 0, (size_t)c->n_lines * sizeof c->lines[0]);
        c->n_dx = 0;
        c->n_lines = 0;
        return;
    }
    if (!m->in_claim)
        return;
    if (strcmp(loop, "2300") == 0 && strcmp(id, "DTP") == 0 && n > 3 &&
        rcm_str_eq_c(e[1], "434")) {
        c->statement_from_days = date8(e[3]);
        c->statement_to_days = e[3].n == 17 ? date8((struct rcm_str){e[3].p + 9, 8})
                                            : c->statement_from_days;
        return;
    }
    if (strcmp(loop, "2300") == 0 && strcmp(id, "CL1") == 0) {
        if (n > 1)
            CP(c->admission_type, e[1]);
        if (n > 2)
            CP(c->admission_source, e[2]);
        if (n > 3)
            CP(c->patient_status, e[3]);
        return;
    }
    if (strcmp(id, "HI") == 0 && strcmp(loop, "2300") == 0) {
        for (size_t i = 1; i < n && c->n_dx < RCM_X12_MAX_DX; i++) {
            struct rcm_str f[2];
            size_t k = rcm_x12_split(e[i], seg->delims.component, f, 2);
            /* diagnosis qualifiers: ABK/BK principal, ABF/BF other, ABJ/ABN ... */
            if (k < 2 || f[0].n < 2 || !(f[0].p[0] == 'A' || f[0].p[0] == 'B'))
                continue;
            if (!(rcm_str_eq_c(f[0], "ABK") || rcm_str_eq_c(f[0], "BK") ||
                  rcm_str_eq_c(f[0], "ABF") || rcm_str_eq_c(f[0], "BF") ||
                  rcm_str_eq_c(f[0], "ABJ") || rcm_str_eq_c(f[0], "BJ") ||
                  rcm_str_eq_c(f[0], "ABN") || rcm_str_eq_c(f[0], "BN")))
                continue;
            CP(c->dx[c->n_dx], f[1]);
            c->n_dx++;
        }
        return;
    }
    if (strcmp(loop, "2400") != 0)
        return;
    if (strcmp(id, "LX") == 0) {
        if (c->n_lines < RCM_X12_MAX_LINES) {
            memset(&c->lines[c->n_lines], 0, sizeof c->lines[0]);
            c->lines[c->n_lines].service_date_days = RCM_X12_NO_DATE;
            c->n_lines++;
        }
        return;
    }
    if (c->n_lines == 0)
        return;
    struct rcm_x12_line *l = &c->lines[c->n_lines - 1];
    if (strcmp(id, "SV1") == 0) {
        if (n > 1)
            procedure(l, e[1], seg->delims.component);
        l->charge_cents = n > 2 ? cents(e[2]) : 0;
        if (n > 3)
            CP(l->unit, e[3]);
        l->units_milli = n > 4 ? milli(e[4]) : 0;
    } else if (strcmp(id, "SV2") == 0) {
        if (n > 1)
            CP(l->revenue_code, e[1]);
        if (n > 2 && e[2].n)
            procedure(l, e[2], seg->delims.component);
        l->charge_cents = n > 3 ? cents(e[3]) : 0;
        if (n > 4)
            CP(l->unit, e[4]);
        l->units_milli = n > 5 ? milli(e[5]) : 0;
    } else if (strcmp(id, "DTP") == 0 && n > 3 && rcm_str_eq_c(e[1], "472")) {
        l->service_date_days = date8(e[3]);
    }
}

/* Append a remark code unless empty; count the ones beyond the cap. */
static void
remark(char (*dst)[RCM_X12_REMARK_MAX], int *n, int *dropped, struct rcm_str v)
{
    if (v.n == 0)
        return;
    if (*n >= RCM_X12_MAX_REMARKS) {
        if (dropped)
            (*dropped)++;
        return;
    }
    cp(dst[(*n)++], RCM_X12_REMARK_MAX, v);
}

/*
 * PLB: PLB01 provider id, PLB02 fiscal period date, then up to six pairs
 * (PLB03/05/07/09/11/13 = reason:reference composite, PLB04/06/... amount).
 */
static void
plb(struct rcm_x12_remit *r, const struct rcm_x12_seg *seg,
    const struct rcm_str *e, size_t n)
{
    for (size_t i = 3; i + 1 < n && i <= 13; i += 2) {
        if (e[i].n == 0)
            continue;
        if (r->n_plb >= RCM_X12_MAX_PLB) {
            r->n_plb_dropped++;
            continue;
        }
        struct rcm_x12_plb *a = &r->plb[r->n_plb++];
        memset(a, 0, sizeof *a);
        if (n > 1)
            CP(a->provider_id, e[1]);
        a->fiscal_period_days = n > 2 ? date8(e[2]) : RCM_X12_NO_DATE;
        struct rcm_str c[2];
        size_t k = rcm_x12_split(e[i], seg->delims.component, c, 2);
        CP(a->reason, c[0]);
        if (k > 1)
            CP(a->reference, c[1]);
        a->amount_cents = cents(e[i + 1]);
    }
}

/* Header segments outside the 1000 loops: BPR, TRN, DTM*405, PLB. */
static bool
remit_header(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
             const struct rcm_str *e, size_t n, const char *loop)
{
    struct rcm_x12_remit *r = &m->remit;
    const char *id = seg->id;
    if (strcmp(id, "BPR") == 0) {
        memset(r, 0, sizeof *r);
        m->in_remit = true;
        r->payment_cents = n > 2 ? cents(e[2]) : 0;
        r->credit_debit = n > 3 && e[3].n ? e[3].p[0] : 0;
        if (n > 4)
            CP(r->method, e[4]);
        r->payment_date_days = n > 16 ? date8(e[16]) : RCM_X12_NO_DATE;
        r->production_date_days = RCM_X12_NO_DATE;
        return true;
    }
    bool top = strcmp(loop, "ST_LOOP") == 0 || strcmp(loop, "HEADER") == 0 ||
               strcmp(loop, "FOOTER") == 0;
    if (strcmp(id, "TRN") == 0 && n > 2 && top) {
        CP(r->trace_number, e[2]);
        if (n > 3 && !r->payer_id[0])   /* REF*2U / N104 overwrite it later */
            CP(r->payer_id, e[3]);
        return true;
    }
    if (strcmp(id, "DTM") == 0 && n > 2 && top && rcm_str_eq_c(e[1], "405")) {
        r->production_date_days = date8(e[2]);
        return true;
    }
    if (strcmp(id, "PLB") == 0) {
        flush_payment(m);
        plb(r, seg, e, n);
        return true;
    }
    return false;
}

static void
remit_payer(struct rcm_x12_remit *r, const char *id, const struct rcm_str *e, size_t n)
{
    if (strcmp(id, "N1") == 0) {
        party_n1(&r->payer, e, n);
        if (r->payer.id[0])
            memcpy(r->payer_id, r->payer.id, sizeof r->payer.id);
    } else if (strcmp(id, "REF") == 0 && n > 2 && rcm_str_eq_c(e[1], "2U")) {
        CP(r->payer_id, e[2]);   /* the payer identification number wins */
    } else {
        party_addr(&r->payer, id, e, n);
    }
}

static void
claim_start(struct rcm_x12_model *m, const struct rcm_str *e, size_t n)
{
    struct rcm_x12_claim_payment *p = &m->pay;
    flush_payment(m);
    memset(p, 0, sizeof *p);
    m->in_payment = true;
    m->skip_svc = false;
    p->service_from_days = p->service_to_days = RCM_X12_NO_DATE;
    if (n > 1)
        CP(p->claim_id, e[1]);
    if (n > 2)
        CP(p->status, e[2]);
    p->charge_cents = n > 3 ? cents(e[3]) : 0;
    p->paid_cents = n > 4 ? cents(e[4]) : 0;
    p->patient_resp_cents = n > 5 ? cents(e[5]) : 0;
    if (n > 6)
        CP(p->filing_indicator, e[6]);
    if (n > 7)
        CP(p->payer_claim_id, e[7]);
}

/* 2100: CAS, NM1*QC, MIA/MOA remark codes, DTM*232/233 */
static void
claim_detail(struct rcm_x12_claim_payment *p, const char *id,
             const struct rcm_str *e, size_t n)
{
    if (strcmp(id, "CAS") == 0) {
        cas(p->adj, &p->n_adj, e, n);
    } else if (strcmp(id, "NM1") == 0 && n > 1 && rcm_str_eq_c(e[1], "QC")) {
        party_nm1(&p->patient, e, n);
    } else if (strcmp(id, "MOA") == 0) {
        for (size_t i = 3; i < n && i <= 7; i++)
            remark(p->remarks, &p->n_remarks, &p->n_remarks_dropped, e[i]);
    } else if (strcmp(id, "MIA") == 0) {
        static const size_t at[] = {5, 20, 21, 22, 23};
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
            if (at[i] < n)
                remark(p->remarks, &p->n_remarks, &p->n_remarks_dropped, e[at[i]]);
    } else if (strcmp(id, "DTM") == 0 && n > 2) {
        if (rcm_str_eq_c(e[1], "232"))
            p->service_from_days = date8(e[2]);
        else if (rcm_str_eq_c(e[1], "233"))
            p->service_to_days = date8(e[2]);
    }
}

static void
svc_start(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
          const struct rcm_str *e, size_t n)
{
    struct rcm_x12_claim_payment *p = &m->pay;
    if (p->n_lines >= RCM_X12_MAX_LINES) {
        p->n_lines_dropped++;
        m->skip_svc = true;     /* its DTM/CAS/REF must not land on the last kept line */
        return;
    }
    m->skip_svc = false;
    struct rcm_x12_line *l = &p->lines[p->n_lines++];
    memset(l, 0, sizeof *l);
    l->service_date_days = RCM_X12_NO_DATE;
    if (n > 1)
        procedure(l, e[1], seg->delims.component);
    l->charge_cents = n > 2 ? cents(e[2]) : 0;
    l->paid_cents = n > 3 ? cents(e[3]) : 0;
    if (n > 4)
        CP(l->revenue_code, e[4]);
    l->units_milli = n > 5 && e[5].n ? milli(e[5]) : 1000;
    if (n > 6 && e[6].n) {
        /* SVC06: the procedure as billed, when the payer adjudicated another */
        struct rcm_x12_line orig;
        memset(&orig, 0, sizeof orig);
        procedure(&orig, e[6], seg->delims.component);
        memcpy(l->orig_proc_qualifier, orig.proc_qualifier, sizeof orig.proc_qualifier);
        memcpy(l->orig_procedure, orig.procedure, sizeof orig.procedure);
        memcpy(l->orig_modifiers, orig.modifiers, sizeof orig.modifiers);
    }
    l->orig_units_milli = n > 7 && e[7].n ? milli(e[7]) : 0;
}

/* 2110 after SVC: CAS, DTM*472/150, REF*6R, AMT*B6, LQ*HE */
static void
svc_detail(struct rcm_x12_line *l, const char *id, const struct rcm_str *e, size_t n)
{
    if (strcmp(id, "CAS") == 0) {
        cas(l->adj, &l->n_adj, e, n);
    } else if (strcmp(id, "DTM") == 0 && n > 2 &&
               (rcm_str_eq_c(e[1], "472") || rcm_str_eq_c(e[1], "150"))) {
        l->service_date_days = date8(e[2]);
    } else if (strcmp(id, "REF") == 0 && n > 2 && rcm_str_eq_c(e[1], "6R")) {
        CP(l->control, e[2]);
    } else if (strcmp(id, "AMT") == 0 && n > 2 && rcm_str_eq_c(e[1], "B6")) {
        l->has_allowed = true;
        l->allowed_cents = cents(e[2]);
    } else if (strcmp(id, "LQ") == 0 && n > 2 && rcm_str_eq_c(e[1], "HE")) {
        remark(l->remarks, &l->n_remarks, NULL, e[2]);
    }
}

static void
remit_segment(struct rcm_x12_model *m, const struct rcm_x12_seg *seg,
              const struct rcm_str *e, size_t n, const char *loop)
{
    struct rcm_x12_claim_payment *p = &m->pay;
    const char *id = seg->id;
    if (remit_header(m, seg, e, n, loop))
        return;
    if (strcmp(loop, "1000A") == 0) {
        remit_payer(&m->remit, id, e, n);
        return;
    }
    if (strcmp(loop, "1000B") == 0) {
        if (strcmp(id, "N1") == 0)
            party_n1(&m->remit.payee, e, n);
        else
            party_addr(&m->remit.payee, id, e, n);
        return;
    }
    if (strcmp(id, "LX") == 0) {
        flush_payment(m);
        return;
    }
    if (strcmp(id, "CLP") == 0) {
        claim_start(m, e, n);
        return;
    }
    if (!m->in_payment)
        return;
    if (strcmp(loop, "2100") == 0) {
        claim_detail(p, id, e, n);
        return;
    }
    if (strcmp(loop, "2110") != 0)
        return;
    if (strcmp(id, "SVC") == 0) {
        svc_start(m, seg, e, n);
        return;
    }
    if (p->n_lines == 0 || m->skip_svc)
        return;
    svc_detail(&p->lines[p->n_lines - 1], id, e, n);
}

void
rcm_x12_model_segment(void *model, const struct rcm_x12_seg *seg,
                      const struct rcm_x12_loop_ctx *loops)
{
    struct rcm_x12_model *m = model;
    struct rcm_str e[40];
    size_t n = rcm_x12_seg_elements(seg, e, 40);
    if (n > 40)
        n = 40;
    const char *loop = loop_of(loops);
    if (strcmp(seg->id, "ST") == 0) {
        flush_claim(m);
        flush_payment(m);
        flush_remit(m);
        flush_ack(m);
        flush_status(m);
        flush_elig(m);
        struct rcm_str st01 = n > 1 ? e[1] : (struct rcm_str){"", 0};
        struct rcm_str st03 = n > 3 ? e[3] : (struct rcm_str){"", 0};
        m->kind = 0;
        if (rcm_str_eq_c(st01, "837"))
            m->kind = (st03.n >= 10 && memcmp(st03.p + 6, "X223", 4) == 0) ? 'I' : 'P';
        else if (rcm_str_eq_c(st01, "835"))
            m->kind = 'R';
        else if (rcm_str_eq_c(st01, "999"))
            m->kind = 'A';
        else if (rcm_str_eq_c(st01, "277"))
            m->kind = 'S';
        else if (rcm_str_eq_c(st01, "271"))
            m->kind = '2';
        m->in_ls = false;
        memset(&m->elig, 0, sizeof m->elig);
        memset(&m->claim, 0, sizeof m->claim);
        m->claim.subscriber_birth_days = RCM_X12_NO_DATE;
        m->claim.patient_birth_days = RCM_X12_NO_DATE;
        memset(&m->remit, 0, sizeof m->remit);
        m->remit.payment_date_days = RCM_X12_NO_DATE;
        m->remit.production_date_days = RCM_X12_NO_DATE;
        m->in_remit = m->kind == 'R';
        m->skip_svc = false;
        return;
    }
    if (strcmp(seg->id, "SE") == 0) {
        flush_claim(m);
        flush_payment(m);
        flush_remit(m);
        flush_ack(m);
        flush_status(m);
        flush_elig(m);
        m->kind = 0;
        return;
    }
    if (m->kind == 'P' || m->kind == 'I')
        claim_segment(m, seg, e, n, loop);
    else if (m->kind == 'R')
        remit_segment(m, seg, e, n, loop);
    else if (m->kind == 'A')
        ack_segment(m, seg, e, n);
    else if (m->kind == 'S')
        status_segment(m, seg, e, n, loop);
    else if (m->kind == '2')
        elig_segment(m, seg, e, n);
}
