/*
 * x12_writer.c — write 837P (005010X222A1), 837I (005010X223A2), 835
 * (005010X221A1), 270 (005010X279A1) and 276 (005010X212)
 * interchanges from the model structs, with HL numbering, SE/GE/IEA counts
 * and control numbers computed here. Delimiters: * : ^ ~ and a line feed
 * after each segment. Values are written as given; one containing a
 * delimiter is refused (RCM_E_INVAL), so the output always reads back.
 * The 999 writer is the validator's ack (rcm_x12_validate_opts.ack).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/money.h"
#include "rcm/x12.h"

struct w {
    struct rcm_buf *out;
    struct rcm_diag *diag;
    enum rcm_err err;
    unsigned long segs;      /* in the current transaction set */
};

static bool
clean(const char *s)
{
    for (; *s; s++)
        if (*s == '*' || *s == ':' || *s == '^' || *s == '~' ||
            (unsigned char)*s < 0x20)
            return false;
    return true;
}

/*
 * seg(w, "NM1", a, b, ...) with a NULL-terminated list of values; trailing
 * empty values are dropped. A value may be a composite already joined with
 * ':' by the caller (then it is passed through comp()).
 */
static void
seg(struct w *w, const char *id, ...)
{
    if (w->err)
        return;
    const char *v[32];
    int n = 0;
    va_list ap;
    va_start(ap, id);
    for (const char *x; n < 32 && (x = va_arg(ap, const char *)) != NULL;)
        v[n++] = x;
    va_end(ap);
    while (n > 0 && v[n - 1][0] == 0)
        n--;
    enum rcm_err e = rcm_buf_addstr(w->out, id);
    for (int i = 0; i < n && !e; i++) {
        e = rcm_buf_addch(w->out, '*');
        if (!e)
            e = rcm_buf_addstr(w->out, v[i]);
    }
    if (!e)
        e = rcm_buf_addstr(w->out, "~\n");
    if (e)
        w->err = e;
    w->segs++;
}

/* Refuse values that would break the output. */
static bool
check(struct w *w, const char *what, const char *val, bool required)
{
    if (w->err)
        return false;
    if (required && !val[0]) {
        w->err = rcm_diag_fail(w->diag, RCM_E_INVAL, "%s is required", what);
        return false;
    }
    if (!clean(val)) {
        w->err = rcm_diag_fail(w->diag, RCM_E_INVAL, "%s contains a delimiter", what);
        return false;
    }
    return true;
}

static void
money(char out[RCM_MONEY_FMT_MAX], int64_t c)
{
    rcm_money_format_x12(c, out);
}

static void
qty(char out[32], int64_t milli)
{
    int64_t a = milli < 0 ? -milli : milli;
    int k = snprintf(out, 32, "%s%lld", milli < 0 ? "-" : "", (long long)(a / 1000));
    int64_t f = a % 1000;
    if (f) {
        char frac[8];
        snprintf(frac, sizeof frac, "%03lld", (long long)f);
        for (int i = 2; i > 0 && frac[i] == '0'; i--)
            frac[i] = 0;
        snprintf(out + k, (size_t)(32 - k), ".%s", frac);
    }
}

static void
ymd(char out[9], int32_t days)
{
    if (days == RCM_X12_NO_DATE) {
        out[0] = 0;
        return;
    }
    rcm_date_format_ccyymmdd(days, out);
}

static void
envelope_open(struct w *w, const struct rcm_x12_envelope *env, const char *fid,
              const char *version)
{
    char isa[160];
    snprintf(isa, sizeof isa,
             "ISA*00*          *00*          *%-2.2s*%-15.15s*%-2.2s*%-15.15s*%.6s*%.4s*^*00501*%09u*0*%c*:~\n",
             env->sender_qualifier, env->sender_id, env->receiver_qualifier,
             env->receiver_id, env->date8 + 2, env->time4,
             env->isa13 % 1000000000u, env->usage == 'T' ? 'T' : 'P');
    if (!w->err)
        w->err = rcm_buf_addstr(w->out, isa);
    char gs06[16];
    snprintf(gs06, sizeof gs06, "%u", env->gs06);
    seg(w, "GS", fid, env->gs_sender, env->gs_receiver, env->date8, env->time4, gs06,
        "X", version, NULL);
}

static void
envelope_close(struct w *w, const struct rcm_x12_envelope *env, size_t n_sets)
{
    char gs06[16], isa13[16], sets[16];
    snprintf(sets, sizeof sets, "%zu", n_sets);
    snprintf(gs06, sizeof gs06, "%u", env->gs06);
    snprintf(isa13, sizeof isa13, "%09u", env->isa13 % 1000000000u);
    seg(w, "GE", sets, gs06, NULL);
    seg(w, "IEA", "1", isa13, NULL);
}

static bool
env_ok(struct w *w, const struct rcm_x12_envelope *env)
{
    return check(w, "sender id", env->sender_id, true) &&
           check(w, "receiver id", env->receiver_id, true) &&
           check(w, "sender qualifier", env->sender_qualifier, true) &&
           check(w, "receiver qualifier", env->receiver_qualifier, true) &&
           check(w, "GS sender", env->gs_sender, true) &&
           check(w, "GS receiver", env->gs_receiver, true) &&
           check(w, "date", env->date8 ? env->date8 : "", true) &&
           check(w, "time", env->time4 ? env->time4 : "", true) &&
           strlen(env->date8) == 8 && strlen(env->time4) == 4;
}

static void
party_addr(struct w *w, const struct rcm_x12_party *p, bool required)
{
    if (!required && !p->address[0])
        return;
    if (!check(w, "address", p->address, true) || !check(w, "city", p->city, true) ||
        !check(w, "state", p->state, false) || !check(w, "zip", p->zip, false))
        return;
    seg(w, "N3", p->address, NULL);
    seg(w, "N4", p->city, p->state, p->zip, NULL);
}

static bool
party_ok(struct w *w, const char *what, const struct rcm_x12_party *p)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s name", what);
    if (!check(w, buf, p->last_or_org, true))
        return false;
    snprintf(buf, sizeof buf, "%s id", what);
    return check(w, buf, p->id, true) && check(w, buf, p->id_qualifier, true) &&
           check(w, buf, p->first, false);
}

static void
nm1(struct w *w, const char *code, const struct rcm_x12_party *p)
{
    char type[2] = {p->entity_type ? p->entity_type : (p->first[0] ? '1' : '2'), 0};
    seg(w, "NM1", code, type, p->last_or_org, p->first, "", "", "", p->id_qualifier,
        p->id, NULL);
}

static bool
same_party(const struct rcm_x12_party *a, const struct rcm_x12_party *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static void cas(struct w *w, const struct rcm_x12_adjustment *adj, int n);

/* PRV*<code>*PXC*<taxonomy> when a taxonomy is given. */
static void
prv(struct w *w, const char *code, const char *taxonomy)
{
    if (taxonomy[0] && check(w, "provider taxonomy", taxonomy, false))
        seg(w, "PRV", code, "PXC", taxonomy, NULL);
}

/* 2310B/2310D rendering provider and 2310C/2310E service facility. */
static void
claim_providers(struct w *w, const struct rcm_x12_claim *c, char kind)
{
    if (c->has_rendering && party_ok(w, "rendering provider", &c->rendering)) {
        nm1(w, "82", &c->rendering);
        if (kind == 'P')
            prv(w, "PE", c->rendering_taxonomy);
    }
    if (c->has_facility && party_ok(w, "service facility", &c->facility)) {
        struct rcm_x12_party f = c->facility;
        f.entity_type = '2';
        nm1(w, "77", &f);
        party_addr(w, &c->facility, true);
    }
}

static bool
other_has_line_adj(const struct rcm_x12_claim *c, int other)
{
    for (int i = 0; i < c->n_line_adj && i < RCM_X12_MAX_LINE_ADJ; i++)
        if (c->line_adj[i].other == other)
            return true;
    return false;
}

/* 2320 other subscriber, 2330A other subscriber name, 2330B other payer. */
static void
other_payers(struct w *w, const struct rcm_x12_claim *c, char kind)
{
    for (int i = 0; i < c->n_other && i < RCM_X12_MAX_OTHER_PAYERS && !w->err; i++) {
        const struct rcm_x12_other_payer *o = &c->other[i];
        if (!check(w, "other payer relationship", o->relationship, true) ||
            !check(w, "other payer insurance type", o->insurance_type, false) ||
            !check(w, "other payer filing indicator", o->filing_indicator, true) ||
            !party_ok(w, "other subscriber", &o->subscriber) ||
            !party_ok(w, "other payer", &o->payer))
            return;
        char resp[2] = {o->responsibility ? o->responsibility : 'P', 0};
        seg(w, "SBR", resp, o->relationship, "", "", kind == 'P' ? o->insurance_type : "", "",
            "", "", o->filing_indicator, NULL);
        cas(w, o->adj, o->n_adj);
        char amt[RCM_MONEY_FMT_MAX];
        if (o->has_paid) {
            money(amt, o->paid_cents);
            seg(w, "AMT", "D", amt, NULL);
        }
        if (o->has_patient_resp) {
            money(amt, o->patient_resp_cents);
            seg(w, "AMT", "EAF", amt, NULL);
        }
        seg(w, "OI", "", "", "Y", kind == 'P' ? "P" : "", "", "Y", NULL);
        struct rcm_x12_party sub = o->subscriber;
        sub.entity_type = sub.entity_type ? sub.entity_type : '1';
        nm1(w, "IL", &sub);
        party_addr(w, &o->subscriber, false);
        struct rcm_x12_party pay = o->payer;
        pay.entity_type = '2';
        nm1(w, "PR", &pay);
        party_addr(w, &o->payer, false);
        /* 2330B DTP*573: only when no 2430 reports this payer's lines */
        char d8[9];
        ymd(d8, o->adjudication_days);
        if (d8[0] && !other_has_line_adj(c, i))
            seg(w, "DTP", "573", "D8", d8, NULL);
    }
}

/* 2430 line adjudication of line k by each other payer. */
static void
line_adjudications(struct w *w, const struct rcm_x12_claim *c, int k, const char *proc,
                   const char *units)
{
    for (int i = 0; i < c->n_line_adj && i < RCM_X12_MAX_LINE_ADJ && !w->err; i++) {
        const struct rcm_x12_line_adjudication *a = &c->line_adj[i];
        if (a->line != k)
            continue;
        if (a->other < 0 || a->other >= c->n_other || a->other >= RCM_X12_MAX_OTHER_PAYERS) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL,
                                   "line adjudication %d names no other payer", i);
            return;
        }
        const struct rcm_x12_other_payer *o = &c->other[a->other];
        char d8[9], paid[RCM_MONEY_FMT_MAX];
        ymd(d8, o->adjudication_days);
        if (!d8[0]) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL,
                                   "other payer %d: adjudication date is required for "
                                   "line adjudication", a->other);
            return;
        }
        money(paid, a->paid_cents);
        const struct rcm_x12_line *l = &c->lines[k];
        /* SVD03 is the line's procedure; an 837I line billed by revenue
         * code alone leaves it out (situational there) and gives SVD04 */
        seg(w, "SVD", o->payer.id, paid, l->procedure[0] ? proc : "",
            c->kind == 'I' ? l->revenue_code : "", units, NULL);
        cas(w, a->adj, a->n_adj < RCM_X12_MAX_LINE_CAS ? a->n_adj : RCM_X12_MAX_LINE_CAS);
        seg(w, "DTP", "573", "D8", d8, NULL);
    }
}

/* SV107 composite "1:2" from the line's pointers ("1" when none). */
static void
pointers(char out[16], const struct rcm_x12_line *l)
{
    int k = 0;
    out[0] = 0;
    for (int i = 0; i < l->n_dx_pointers && i < 4; i++)
        k += snprintf(out + k, (size_t)(16 - k), "%s%u", i ? ":" : "",
                      (unsigned)l->dx_pointers[i]);
    if (!out[0])
        snprintf(out, 16, "1");
}

static bool
pointers_ok(struct w *w, const struct rcm_x12_claim *c, int k)
{
    const struct rcm_x12_line *l = &c->lines[k];
    for (int i = 0; i < l->n_dx_pointers && i < 4; i++) {
        if (l->dx_pointers[i] < 1 || l->dx_pointers[i] > c->n_dx) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL,
                                   "line %d: diagnosis pointer %d points at no diagnosis",
                                   k + 1, i + 1);
            return false;
        }
    }
    return true;
}

/* One 837 transaction set (ST..SE) holding claims[0..n), control number
 * ST02 = set_no as four digits. */
static void
write_837_set(struct w *w, const struct rcm_x12_envelope *env,
              const struct rcm_x12_claim *claims, size_t n, char kind,
              const char *version, unsigned set_no)
{
    char st02[16];
    snprintf(st02, sizeof st02, "%04u", set_no);
    w->segs = 0;
    seg(w, "ST", "837", st02, version, NULL);
    char ref[16];
    snprintf(ref, sizeof ref, "%u", env->isa13);
    if (set_no > 1)
        snprintf(ref, sizeof ref, "%u-%u", env->isa13, set_no);
    seg(w, "BHT", "0019", "00", ref, env->date8, env->time4, "CH", NULL);
    seg(w, "NM1", "41", "2", env->submitter_name, "", "", "", "", "46",
        env->submitter_id, NULL);
    seg(w, "PER", "IC", env->contact_name, "TE", env->contact_phone, NULL);
    seg(w, "NM1", "40", "2", env->receiver_name, "", "", "", "", "46",
        env->receiver_etin, NULL);
    unsigned long hl = 0, billing_hl = 0;
    const struct rcm_x12_claim *prev = NULL;
    for (size_t i = 0; i < n && !w->err; i++) {
        const struct rcm_x12_claim *c = &claims[i];
        char what[48];
        snprintf(what, sizeof what, "claim %zu", i);
        if (c->kind != kind) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL, "%s is not a%s claim", what,
                                  kind == 'I' ? "n institutional" : " professional");
            break;
        }
        if (kind == 'I' && (!check(w, "patient status", c->patient_status, true) ||
                            !check(w, "admission type", c->admission_type, false) ||
                            !check(w, "admission source", c->admission_source, false)))
            break;
        if (kind == 'I' && (c->statement_from_days == RCM_X12_NO_DATE ||
                            c->statement_to_days == RCM_X12_NO_DATE)) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL, "%s: statement dates are required", what);
            break;
        }
        if (!check(w, "claim id", c->claim_id, true) ||
            !check(w, "facility code", c->facility_code, true) ||
            !check(w, "frequency", c->frequency, false) ||
            !check(w, "billing tax id", c->billing_tax_id, true) ||
            !party_ok(w, "billing provider", &c->billing) ||
            !party_ok(w, "subscriber", &c->subscriber) ||
            !party_ok(w, "payer", &c->payer) ||
            !check(w, "filing indicator", c->filing_indicator, true))
            break;
        bool replaces = c->frequency[0] == '7' || c->frequency[0] == '8';
        if (!check(w, "payer claim control number", c->original_ref, replaces))
            break;
        if (c->n_dx < 1 || c->n_lines < 1) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL,
                                  "%s needs a diagnosis and a service line", what);
            break;
        }
        char hlbuf[3][16];
        if (!prev || !same_party(&prev->billing, &c->billing) ||
            strcmp(prev->billing_tax_id, c->billing_tax_id) != 0 ||
            strcmp(prev->billing_taxonomy, c->billing_taxonomy) != 0) {
            billing_hl = ++hl;
            snprintf(hlbuf[0], 16, "%lu", billing_hl);
            seg(w, "HL", hlbuf[0], "", "20", "1", NULL);
            prv(w, "BI", c->billing_taxonomy);
            nm1(w, "85", &c->billing);
            party_addr(w, &c->billing, true);
            seg(w, "REF", "EI", c->billing_tax_id, NULL);
        }
        prev = c;
        unsigned long sub_hl = ++hl;
        snprintf(hlbuf[0], 16, "%lu", sub_hl);
        snprintf(hlbuf[1], 16, "%lu", billing_hl);
        seg(w, "HL", hlbuf[0], hlbuf[1], "22", c->has_patient ? "1" : "0", NULL);
        char resp[2] = {c->responsibility ? c->responsibility : 'P', 0};
        if (!check(w, "insurance type", c->insurance_type, false))
            break;
        seg(w, "SBR", resp, c->has_patient ? "" : "18", "", "",
            kind == 'P' ? c->insurance_type : "", "", "", "", c->filing_indicator, NULL);
        nm1(w, "IL", &c->subscriber);
        party_addr(w, &c->subscriber, false);
        char d8[9];
        ymd(d8, c->subscriber_birth_days);
        if (d8[0]) {
            char g[2] = {c->subscriber_gender ? c->subscriber_gender : 'U', 0};
            seg(w, "DMG", "D8", d8, g, NULL);
        }
        nm1(w, "PR", &c->payer);
        party_addr(w, &c->payer, false);
        if (c->has_patient) {
            if (!check(w, "patient name", c->patient.last_or_org, true) ||
                !check(w, "patient first name", c->patient.first, false) ||
                !check(w, "patient relationship", c->patient_relationship, true))
                break;
            snprintf(hlbuf[2], 16, "%lu", ++hl);
            seg(w, "HL", hlbuf[2], hlbuf[0], "23", "0", NULL);
            seg(w, "PAT", c->patient_relationship, NULL);
            char type[2] = {'1', 0};
            seg(w, "NM1", "QC", type, c->patient.last_or_org, c->patient.first, NULL);
            party_addr(w, &c->patient, true);
            ymd(d8, c->patient_birth_days);
            char g[2] = {c->patient_gender ? c->patient_gender : 'U', 0};
            if (!d8[0]) {
                w->err = rcm_diag_fail(w->diag, RCM_E_INVAL, "%s: patient birth date is required", what);
                break;
            }
            seg(w, "DMG", "D8", d8, g, NULL);
        }
        char amt[RCM_MONEY_FMT_MAX], fac[16];
        money(amt, c->charge_cents);
        snprintf(fac, sizeof fac, "%s:%c:%s", c->facility_code, kind == 'I' ? 'A' : 'B',
                 c->frequency[0] ? c->frequency : "1");
        if (kind == 'I') {
            seg(w, "CLM", c->claim_id, amt, "", "", fac, "", "A", "Y", "Y", NULL);
            char from[9], to[9], rd8[20];
            ymd(from, c->statement_from_days);
            ymd(to, c->statement_to_days);
            snprintf(rd8, sizeof rd8, "%s-%s", from, to);
            seg(w, "DTP", "434", "RD8", rd8, NULL);
            seg(w, "CL1", c->admission_type, c->admission_source, c->patient_status, NULL);
        } else {
            seg(w, "CLM", c->claim_id, amt, "", "", fac, "Y", "A", "Y", "Y", NULL);
        }
        if (c->original_ref[0])
            seg(w, "REF", "F8", c->original_ref, NULL);
        char hi[RCM_X12_MAX_DX][16];
        for (int k = 0; k < c->n_dx && k < RCM_X12_MAX_DX; k++) {
            if (!check(w, "diagnosis", c->dx[k], true))
                return;
            snprintf(hi[k], sizeof hi[k], "%s:%s", k == 0 ? "ABK" : "ABF", c->dx[k]);
        }
        const char *h[RCM_X12_MAX_DX + 1] = {0};
        for (int k = 0; k < RCM_X12_MAX_DX; k++)
            h[k] = k < c->n_dx ? hi[k] : "";
        if (kind == 'I') {
            /* 837I: principal diagnosis alone, other diagnoses in their own HI */
            seg(w, "HI", h[0], NULL);
            if (c->n_dx > 1)
                seg(w, "HI", h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9],
                    h[10], h[11], NULL);
        } else {
            seg(w, "HI", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9],
                h[10], h[11], NULL);
        }
        claim_providers(w, c, kind);
        other_payers(w, c, kind);
        for (int k = 0; k < c->n_lines && k < RCM_X12_MAX_LINES; k++) {
            const struct rcm_x12_line *l = &c->lines[k];
            if (!check(w, "procedure", l->procedure, kind == 'P') ||
                !check(w, "revenue code", l->revenue_code, kind == 'I'))
                return;
            char lx[16], proc[80], charge[RCM_MONEY_FMT_MAX], units[32];
            snprintf(lx, sizeof lx, "%d", k + 1);
            int m = snprintf(proc, sizeof proc, "%s:%s",
                             l->proc_qualifier[0] ? l->proc_qualifier : "HC",
                             l->procedure);
            int last = 3;
            while (last >= 0 && !l->modifiers[last][0])
                last--;
            for (int q = 0; q <= last && m < (int)sizeof proc; q++) {
                if (!check(w, "modifier", l->modifiers[q], false))
                    return;
                m += snprintf(proc + m, sizeof proc - (size_t)m, ":%s", l->modifiers[q]);
            }
            money(charge, l->charge_cents);
            qty(units, l->units_milli ? l->units_milli : 1000);
            seg(w, "LX", lx, NULL);
            if (kind == 'I') {
                seg(w, "SV2", l->revenue_code, l->procedure[0] ? proc : "", charge,
                    l->unit[0] ? l->unit : "UN", units, NULL);
                ymd(d8, l->service_date_days);
                if (d8[0])
                    seg(w, "DTP", "472", "D8", d8, NULL);
            } else {
                char ptr[16];
                if (!check(w, "line place of service", l->pos, false) ||
                    !pointers_ok(w, c, k))
                    return;
                pointers(ptr, l);
                seg(w, "SV1", proc, charge, l->unit[0] ? l->unit : "UN", units, l->pos,
                    "", ptr, NULL);
                ymd(d8, l->service_date_days);
                if (!d8[0]) {
                    w->err = rcm_diag_fail(w->diag, RCM_E_INVAL,
                                          "%s line %d: service date is required", what,
                                          k + 1);
                    return;
                }
                seg(w, "DTP", "472", "D8", d8, NULL);
            }
            if (!check(w, "line control number", l->control, false))
                return;
            if (l->control[0])
                seg(w, "REF", "6R", l->control, NULL);
            line_adjudications(w, c, k, proc, units);
        }
    }
    if (!w->err) {
        char cnt[16];
        snprintf(cnt, sizeof cnt, "%lu", w->segs + 1);
        seg(w, "SE", cnt, st02, NULL);
    }
}

static enum rcm_err
write_837(const struct rcm_x12_envelope *env, const struct rcm_x12_claim *claims,
          size_t n, const size_t *set_sizes, size_t n_sets, struct rcm_buf *out,
          struct rcm_diag *diag, char kind)
{
    const char *version = kind == 'I' ? "005010X223A2" : "005010X222A1";
    struct w w = {out, diag, RCM_OK, 0};
    size_t start_len = out->len;
    if (!env_ok(&w, env) ||
        !check(&w, "submitter name", env->submitter_name, true) ||
        !check(&w, "submitter id", env->submitter_id, true) ||
        !check(&w, "contact name", env->contact_name, false) ||
        !check(&w, "contact phone", env->contact_phone, true) ||
        !check(&w, "receiver name", env->receiver_name, true) ||
        !check(&w, "receiver id", env->receiver_etin, true))
        goto out;
    size_t one = n, total = 0;
    if (!set_sizes) {
        set_sizes = &one;
        n_sets = 1;
    }
    for (size_t k = 0; k < n_sets; k++) {
        if (set_sizes[k] == 0) {
            w.err = rcm_diag_fail(diag, RCM_E_INVAL, "transaction set %zu has no claims", k + 1);
            goto out;
        }
        total += set_sizes[k];
    }
    if (n == 0 || total != n || n_sets > 9999) {
        w.err = rcm_diag_fail(diag, RCM_E_INVAL, n == 0 ? "no claims to write"
                              : "the transaction sets do not add up to the claims");
        goto out;
    }
    envelope_open(&w, env, "HC", version);
    for (size_t k = 0, at = 0; k < n_sets && !w.err; at += set_sizes[k], k++)
        write_837_set(&w, env, claims + at, set_sizes[k], kind, version, (unsigned)k + 1);
    if (!w.err)
        envelope_close(&w, env, n_sets);
out:
    if (w.err)
        out->len = start_len;   /* nothing half-written */
    if (out->data && out->len < out->cap)
        out->data[out->len] = 0;
    return w.err;
}

enum rcm_err
rcm_x12_write_837p(const struct rcm_x12_envelope *env,
                   const struct rcm_x12_claim *claims, size_t n,
                   struct rcm_buf *out, struct rcm_diag *diag)
{
    return write_837(env, claims, n, NULL, 0, out, diag, 'P');
}

enum rcm_err
rcm_x12_write_837i(const struct rcm_x12_envelope *env,
                   const struct rcm_x12_claim *claims, size_t n,
                   struct rcm_buf *out, struct rcm_diag *diag)
{
    return write_837(env, claims, n, NULL, 0, out, diag, 'I');
}

enum rcm_err
rcm_x12_write_837_sets(const struct rcm_x12_envelope *env, char kind,
                       const struct rcm_x12_claim *claims, size_t n,
                       const size_t *set_sizes, size_t n_sets, struct rcm_buf *out,
                       struct rcm_diag *diag)
{
    if (kind != 'P' && kind != 'I')
        return rcm_diag_fail(diag, RCM_E_INVAL, "kind must be P or I");
    return write_837(env, claims, n, set_sizes, n_sets, out, diag, kind);
}

/* CAS segments: one per group code, up to 6 reasons each. */
static void
cas(struct w *w, const struct rcm_x12_adjustment *adj, int n)
{
    bool done[RCM_X12_MAX_ADJ] = {0};
    for (int i = 0; i < n && i < RCM_X12_MAX_ADJ; i++) {
        if (done[i])
            continue;
        if (!check(w, "adjustment group", adj[i].group, true))
            return;
        const char *v[18] = {0};
        char amt[6][RCM_MONEY_FMT_MAX];
        int k = 0;
        for (int j = i; j < n && j < RCM_X12_MAX_ADJ && k < 6; j++) {
            if (done[j] || strcmp(adj[j].group, adj[i].group) != 0)
                continue;
            if (!check(w, "adjustment reason", adj[j].reason, true))
                return;
            done[j] = true;
            money(amt[k], adj[j].amount_cents);
            v[k * 3] = adj[j].reason;
            v[k * 3 + 1] = amt[k];
            v[k * 3 + 2] = "";
            k++;
        }
        for (int q = k * 3; q < 18; q++)
            v[q] = "";
        seg(w, "CAS", adj[i].group, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
            v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17], NULL);
    }
}

/* ---- 835 posting detail (helpers of rcm_x12_write_835 only) ---- */

/* "HC:99213:25" from a qualifier, code and up to four modifiers. */
static bool
era_proc(struct w *w, char out[80], const char *qual, const char *code,
         const char (*mods)[3])
{
    if (!check(w, "procedure", code, true) || !check(w, "procedure qualifier", qual, false))
        return false;
    int m = snprintf(out, 80, "%s:%s", qual[0] ? qual : "HC", code);
    int last = 3;
    while (last >= 0 && !mods[last][0])
        last--;
    for (int q = 0; q <= last && m < 80; q++) {
        if (!check(w, "modifier", mods[q], false))
            return false;
        m += snprintf(out + m, 80 - (size_t)m, ":%s", mods[q]);
    }
    return true;
}

/* A date field of the 835 detail is written when set: RCM_X12_NO_DATE and
 * 0 (a zeroed struct; 1970-01-01 is never an 835 date) both mean absent. */
static void
era_date(char out[9], int32_t days)
{
    ymd(out, days == 0 ? RCM_X12_NO_DATE : days);
}

/* Up to five remark codes in one segment's consecutive elements. */
static bool
era_remarks5(struct w *w, const char (*r)[RCM_X12_REMARK_MAX], int n, const char *v[5])
{
    for (int i = 0; i < 5; i++) {
        v[i] = i < n && i < RCM_X12_MAX_REMARKS ? r[i] : "";
        if (!check(w, "remark code", v[i], false))
            return false;
    }
    return true;
}

/* 2100 after NM1*QC: MOA (remarks) and DTM*232/233. */
static void
era_claim_detail(struct w *w, const struct rcm_x12_claim_payment *p)
{
    const char *v[5];
    if (p->n_remarks > 0 && era_remarks5(w, p->remarks, p->n_remarks, v))
        seg(w, "MOA", "", "", v[0], v[1], v[2], v[3], v[4], NULL);
    char d8[9];
    era_date(d8, p->service_from_days);
    if (d8[0])
        seg(w, "DTM", "232", d8, NULL);
    era_date(d8, p->service_to_days);
    if (d8[0])
        seg(w, "DTM", "233", d8, NULL);
}

/* 2110 after CAS: REF*6R, AMT*B6, LQ*HE. */
static void
era_line_detail(struct w *w, const struct rcm_x12_line *l)
{
    if (l->control[0] && check(w, "line item control number", l->control, false))
        seg(w, "REF", "6R", l->control, NULL);
    if (l->has_allowed) {
        char a[RCM_MONEY_FMT_MAX];
        money(a, l->allowed_cents);
        seg(w, "AMT", "B6", a, NULL);
    }
    for (int i = 0; i < l->n_remarks && i < RCM_X12_MAX_REMARKS; i++)
        if (check(w, "remark code", l->remarks[i], true))
            seg(w, "LQ", "HE", l->remarks[i], NULL);
}

/* PLB segments: consecutive adjustments of one provider and fiscal period
 * share a segment, six at most. */
static void
era_plb(struct w *w, const struct rcm_x12_remit *r)
{
    int n = r->n_plb < RCM_X12_MAX_PLB ? r->n_plb : RCM_X12_MAX_PLB;
    for (int i = 0; i < n && !w->err;) {
        const struct rcm_x12_plb *a = &r->plb[i];
        char d8[9];
        era_date(d8, a->fiscal_period_days);
        if (!check(w, "provider-level adjustment provider id", a->provider_id, true))
            return;
        if (!d8[0]) {
            w->err = rcm_diag_fail(w->diag, RCM_E_INVAL,
                                   "provider-level adjustment %d: fiscal period date is required", i);
            return;
        }
        const char *v[12];
        char comp[6][60], amt[6][RCM_MONEY_FMT_MAX];
        int k = 0;
        for (; k < 6 && i < n; k++, i++) {
            const struct rcm_x12_plb *b = &r->plb[i];
            if (k > 0 && (strcmp(b->provider_id, a->provider_id) != 0 ||
                          b->fiscal_period_days != a->fiscal_period_days))
                break;
            if (!check(w, "provider-level adjustment reason", b->reason, true) ||
                !check(w, "provider-level adjustment reference", b->reference, false))
                return;
            snprintf(comp[k], sizeof comp[k], "%s%s%s", b->reason,
                     b->reference[0] ? ":" : "", b->reference);
            money(amt[k], b->amount_cents);
            v[2 * k] = comp[k];
            v[2 * k + 1] = amt[k];
        }
        for (int q = 2 * k; q < 12; q++)
            v[q] = "";
        seg(w, "PLB", a->provider_id, d8, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
            v[8], v[9], v[10], v[11], NULL);
    }
}

enum rcm_err
rcm_x12_write_835(const struct rcm_x12_envelope *env,
                  const struct rcm_x12_remit *r,
                  const struct rcm_x12_claim_payment *pays, size_t n,
                  struct rcm_buf *out, struct rcm_diag *diag)
{
    struct w w = {out, diag, RCM_OK, 0};
    size_t start_len = out->len;
    if (!env_ok(&w, env) || !check(&w, "contact phone", env->contact_phone, true) ||
        !check(&w, "contact name", env->contact_name, false) ||
        !check(&w, "payment method", r->method, true) ||
        !check(&w, "trace number", r->trace_number, true) ||
        !check(&w, "payer name", r->payer.last_or_org, true) ||
        !check(&w, "payee name", r->payee.last_or_org, true) ||
        !check(&w, "payee id", r->payee.id, true) ||
        !check(&w, "payee id qualifier", r->payee.id_qualifier, true) ||
        !check(&w, "payer id", r->payer.id, false))
        goto out;
    char d8[9];
    ymd(d8, r->payment_date_days);
    if (!d8[0]) {
        w.err = rcm_diag_fail(diag, RCM_E_INVAL, "payment date is required");
        goto out;
    }
    envelope_open(&w, env, "HP", "005010X221A1");
    w.segs = 0;
    seg(&w, "ST", "835", "0001", NULL);
    char amt[RCM_MONEY_FMT_MAX], cd[2] = {r->credit_debit ? r->credit_debit : 'C', 0};
    money(amt, r->payment_cents);
    seg(&w, "BPR", r->payment_cents ? "I" : "H", amt, cd, r->method, "", "", "", "", "",
        "", "", "", "", "", "", d8, NULL);
    char orig[16] = "1";
    size_t digits = 0;
    for (const char *p = r->payer.id; *p && digits < 9; p++)
        if (*p >= '0' && *p <= '9')
            orig[1 + digits++] = *p;
    while (digits < 9)
        orig[1 + digits++] = '0';
    orig[10] = 0;
    seg(&w, "TRN", "1", r->trace_number, orig, NULL);
    era_date(d8, r->production_date_days);
    if (d8[0])
        seg(&w, "DTM", "405", d8, NULL);
    seg(&w, "N1", "PR", r->payer.last_or_org, NULL);
    party_addr(&w, &r->payer, true);
    if (r->payer_id[0] && check(&w, "payer id", r->payer_id, false))
        seg(&w, "REF", "2U", r->payer_id, NULL);
    seg(&w, "PER", "BL", env->contact_name, "TE", env->contact_phone, NULL);
    seg(&w, "N1", "PE", r->payee.last_or_org, r->payee.id_qualifier, r->payee.id, NULL);
    if (n)
        seg(&w, "LX", "1", NULL);
    for (size_t i = 0; i < n && !w.err; i++) {
        const struct rcm_x12_claim_payment *p = &pays[i];
        if (!check(&w, "claim id", p->claim_id, true) ||
            !check(&w, "claim status", p->status, true) ||
            !check(&w, "filing indicator", p->filing_indicator, true) ||
            !check(&w, "payer claim id", p->payer_claim_id, true) ||
            !check(&w, "patient name", p->patient.last_or_org, true) ||
            !check(&w, "patient first name", p->patient.first, false) ||
            !check(&w, "patient id", p->patient.id, false) ||
            !check(&w, "patient id qualifier", p->patient.id_qualifier, false))
            break;
        char ch[RCM_MONEY_FMT_MAX], pd[RCM_MONEY_FMT_MAX], pr[RCM_MONEY_FMT_MAX];
        money(ch, p->charge_cents);
        money(pd, p->paid_cents);
        money(pr, p->patient_resp_cents);
        seg(&w, "CLP", p->claim_id, p->status, ch, pd, p->patient_resp_cents ? pr : "",
            p->filing_indicator, p->payer_claim_id, NULL);
        cas(&w, p->adj, p->n_adj);
        seg(&w, "NM1", "QC", "1", p->patient.last_or_org, p->patient.first, "", "", "",
            p->patient.id[0] ? p->patient.id_qualifier : "", p->patient.id, NULL);
        era_claim_detail(&w, p);
        for (int k = 0; k < p->n_lines && k < RCM_X12_MAX_LINES && !w.err; k++) {
            const struct rcm_x12_line *l = &p->lines[k];
            if (!check(&w, "procedure", l->procedure, true) ||
                !check(&w, "revenue code", l->revenue_code, false))
                goto out;
            char proc[80], lc[RCM_MONEY_FMT_MAX], lp[RCM_MONEY_FMT_MAX], units[32];
            int m = snprintf(proc, sizeof proc, "%s:%s",
                             l->proc_qualifier[0] ? l->proc_qualifier : "HC",
                             l->procedure);
            int last = 3;
            while (last >= 0 && !l->modifiers[last][0])
                last--;
            for (int q = 0; q <= last && m < (int)sizeof proc; q++) {
                if (!check(&w, "modifier", l->modifiers[q], false))
                    goto out;
                m += snprintf(proc + m, sizeof proc - (size_t)m, ":%s", l->modifiers[q]);
            }
            money(lc, l->charge_cents);
            money(lp, l->paid_cents);
            qty(units, l->units_milli);
            char oproc[80] = "", ounits[32] = "";
            if (l->orig_procedure[0] &&
                !era_proc(&w, oproc, l->orig_proc_qualifier, l->orig_procedure,
                          l->orig_modifiers))
                goto out;
            if (l->orig_units_milli)
                qty(ounits, l->orig_units_milli);
            seg(&w, "SVC", proc, lc, lp, l->revenue_code,
                l->units_milli && l->units_milli != 1000 ? units : "", oproc, ounits, NULL);
            ymd(d8, l->service_date_days);
            if (d8[0])
                seg(&w, "DTM", "472", d8, NULL);
            cas(&w, l->adj, l->n_adj);
            era_line_detail(&w, l);
        }
    }
    era_plb(&w, r);
    if (!w.err) {
        char cnt[16];
        snprintf(cnt, sizeof cnt, "%lu", w.segs + 1);
        seg(&w, "SE", cnt, "0001", NULL);
        envelope_close(&w, env, 1);
    }
out:
    if (w.err)
        out->len = start_len;
    if (out->data && out->len < out->cap)
        out->data[out->len] = 0;
    return w.err;
}

/* ------------------------------------------------------------ 270 / 276 */

static void
hl(struct w *w, unsigned long id, unsigned long parent, const char *level, bool child)
{
    char a[24], b[24];
    snprintf(a, sizeof a, "%lu", id);
    if (parent)
        snprintf(b, sizeof b, "%lu", parent);
    else
        b[0] = 0;
    seg(w, "HL", a, b, level, child ? "1" : "0", NULL);
}

enum rcm_err
rcm_x12_write_270(const struct rcm_x12_envelope *env,
                  const struct rcm_x12_eligibility_request *reqs, size_t n,
                  struct rcm_buf *out, struct rcm_diag *diag)
{
    struct w w = {out, diag, RCM_OK, 0};
    size_t start_len = out->len;
    if (!env_ok(&w, env))
        goto out;
    if (n == 0) {
        w.err = rcm_diag_fail(diag, RCM_E_INVAL, "no requests to write");
        goto out;
    }
    envelope_open(&w, env, "HS", "005010X279A1");
    w.segs = 0;
    seg(&w, "ST", "270", "0001", "005010X279A1", NULL);
    char ref[16];
    snprintf(ref, sizeof ref, "%u", env->isa13);
    seg(&w, "BHT", "0022", "13", ref, env->date8, env->time4, NULL);
    unsigned long id = 0;
    for (size_t i = 0; i < n && !w.err; i++) {
        const struct rcm_x12_eligibility_request *q = &reqs[i];
        if (!party_ok(&w, "payer", &q->payer) || !party_ok(&w, "provider", &q->provider) ||
            !party_ok(&w, "subscriber", &q->subscriber) ||
            !check(&w, "trace id", q->trace_id, false) ||
            !check(&w, "trace originator", q->trace_originator, q->trace_id[0] != 0))
            break;
        unsigned long payer_hl = ++id;
        hl(&w, payer_hl, 0, "20", true);
        nm1(&w, "PR", &q->payer);
        unsigned long prov_hl = ++id;
        hl(&w, prov_hl, payer_hl, "21", true);
        nm1(&w, "1P", &q->provider);
        hl(&w, ++id, prov_hl, "22", false);
        if (q->trace_id[0])
            seg(&w, "TRN", "1", q->trace_id, q->trace_originator, NULL);
        nm1(&w, "IL", &q->subscriber);
        char d8[9];
        ymd(d8, q->subscriber_birth_days);
        if (d8[0]) {
            char g[2] = {q->subscriber_gender, 0};
            seg(&w, "DMG", "D8", d8, g, NULL);
        }
        ymd(d8, q->service_date_days);
        if (d8[0])
            seg(&w, "DTP", "291", "D8", d8, NULL);
        int nst = q->n_service_types ? q->n_service_types : 1;
        for (int k = 0; k < nst && k < 8; k++) {
            const char *st = q->n_service_types ? q->service_types[k] : "30";
            if (!check(&w, "service type", st, true))
                goto out;
            seg(&w, "EQ", st, NULL);
        }
    }
    if (!w.err) {
        char cnt[16];
        snprintf(cnt, sizeof cnt, "%lu", w.segs + 1);
        seg(&w, "SE", cnt, "0001", NULL);
        envelope_close(&w, env, 1);
    }
out:
    if (w.err)
        out->len = start_len;
    if (out->data && out->len < out->cap)
        out->data[out->len] = 0;
    return w.err;
}

enum rcm_err
rcm_x12_write_276(const struct rcm_x12_envelope *env,
                  const struct rcm_x12_status_request *reqs, size_t n,
                  struct rcm_buf *out, struct rcm_diag *diag)
{
    struct w w = {out, diag, RCM_OK, 0};
    size_t start_len = out->len;
    if (!env_ok(&w, env))
        goto out;
    if (n == 0) {
        w.err = rcm_diag_fail(diag, RCM_E_INVAL, "no requests to write");
        goto out;
    }
    envelope_open(&w, env, "HR", "005010X212");
    w.segs = 0;
    seg(&w, "ST", "276", "0001", "005010X212", NULL);
    char ref[16];
    snprintf(ref, sizeof ref, "%u", env->isa13);
    seg(&w, "BHT", "0010", "13", ref, env->date8, env->time4, NULL);
    unsigned long id = 0;
    for (size_t i = 0; i < n && !w.err; i++) {
        const struct rcm_x12_status_request *q = &reqs[i];
        if (!party_ok(&w, "payer", &q->payer) ||
            !party_ok(&w, "information receiver", &q->receiver) ||
            !party_ok(&w, "provider", &q->provider) ||
            !party_ok(&w, "subscriber", &q->subscriber) ||
            !check(&w, "claim id", q->claim_id, true) ||
            !check(&w, "payer claim id", q->payer_claim_id, false))
            break;
        char from[9], to[9];
        ymd(from, q->service_from_days);
        ymd(to, q->service_to_days);
        if (!from[0]) {
            w.err = rcm_diag_fail(diag, RCM_E_INVAL, "request %zu: service date is required", i);
            break;
        }
        unsigned long payer_hl = ++id;
        hl(&w, payer_hl, 0, "20", true);
        nm1(&w, "PR", &q->payer);
        unsigned long recv_hl = ++id;
        hl(&w, recv_hl, payer_hl, "21", true);
        nm1(&w, "41", &q->receiver);
        unsigned long prov_hl = ++id;
        hl(&w, prov_hl, recv_hl, "19", true);
        nm1(&w, "1P", &q->provider);
        hl(&w, ++id, prov_hl, "22", false);
        nm1(&w, "IL", &q->subscriber);
        seg(&w, "TRN", "1", q->claim_id, NULL);
        if (q->payer_claim_id[0])
            seg(&w, "REF", "1K", q->payer_claim_id, NULL);
        char amt[RCM_MONEY_FMT_MAX];
        money(amt, q->charge_cents);
        seg(&w, "AMT", "T3", amt, NULL);
        if (to[0] && strcmp(to, from) != 0) {
            char rd8[20];
            snprintf(rd8, sizeof rd8, "%s-%s", from, to);
            seg(&w, "DTP", "472", "RD8", rd8, NULL);
        } else {
            seg(&w, "DTP", "472", "D8", from, NULL);
        }
    }
    if (!w.err) {
        char cnt[16];
        snprintf(cnt, sizeof cnt, "%lu", w.segs + 1);
        seg(&w, "SE", cnt, "0001", NULL);
        envelope_close(&w, env, 1);
    }
out:
    if (w.err)
        out->len = start_len;
    if (out->data && out->len < out->cap)
        out->data[out->len] = 0;
    return w.err;
}
