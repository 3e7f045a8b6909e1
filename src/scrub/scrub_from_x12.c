/*
 * scrub_from_x12.c — 837P (005010X222A1) and 837I (005010X223A2) claims to
 * struct rcm_claim, streaming: the mapper is the X12 validator's on_segment
 * callback, so it sees every segment with the implementation-guide loop the
 * validator placed it in and never re-derives the structure.
 *
 * Memory is fixed: every value is copied into a buffer sized by the guide's
 * maximum length (longer values are cut and counted — the validator reports
 * them), lines into a 999-line array. Context that spans claims (2000A
 * billing provider, 2000B subscriber and payer, 2000C patient) is kept until
 * the next HL of its level; claim-level state is cleared at each CLM, so no
 * value of one claim is visible in the next. The field mapping is the table
 * in docs/scrub.md ("837 input").
 *
 * The scrubber depends on the X12 engine, never the reverse.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/money.h"
#include "rcm/scrub.h"
#include "rcm/x12.h"
#include "scrub/scrub_int.h"

#define X12_READ_MAX_CLAIMS 100000

struct addr_buf {
    char line1[56], line2[56], city[31], state[3], zip[16];
};

struct prov_buf {
    bool present, organization;
    char last[61], first[36], npi[81], taxonomy[51], tin[51];
    char tin_kind;
    struct addr_buf addr;
};

struct person_buf {
    bool present;
    char last[61], first[36], member_id[81];
    int32_t birth;
    char sex;
    struct addr_buf addr;
};

struct line_buf {
    char procedure[49], modifiers[RCM_CLAIM_MAX_MODIFIERS][3], revenue[49], pos[3];
    char rendering_npi[81];
};

struct rcm_claim_x12 {
    rcm_claim_x12_fn on_claim;
    void *ctx;
    enum rcm_err err;           /* first callback error (sticky) */
    char kind;                  /* 'P', 'I', or 0 outside an 837 set */
    bool in_claim;
    uint64_t sets, claims;
    struct rcm_claim_x12_info info;
    /* 2000A */
    struct prov_buf billing;
    /* 2000B / 2000C */
    char sequence, sbr02[3], insurance_type[4], filing[3], pat01[3];
    struct person_buf subscriber, patient;
    char payer_id[81], payer_name[61];
    /* 2300 */
    char clm01[39], facility_code[3], frequency, original_ref[51];
    int64_t total_cents;
    int32_t statement_from, statement_to;
    struct prov_buf rendering, attending, referring, facility;
    size_t n_dx;
    char dx[RCM_CLAIM_MAX_DX][31];
    char poa[RCM_CLAIM_MAX_DX];
    /* 2400 */
    size_t n_lines;
    struct rcm_claim_line lines[RCM_CLAIM_MAX_LINES];
    struct line_buf lb[RCM_CLAIM_MAX_LINES];
};

/* ---- small helpers ----------------------------------------------------- */

static void
cp(struct rcm_claim_x12 *m, char *dst, size_t size, struct rcm_str s)
{
    size_t n = s.n;
    if (n > size - 1) {
        n = size - 1;
        m->info.values_cut++;
    }
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

#define CP(m, dst, s) cp((m), (dst), sizeof(dst), (s))

static struct rcm_str
el(const struct rcm_str *e, size_t n, size_t i)
{
    return i < n ? e[i] : (struct rcm_str){"", 0};
}

static char
ch(struct rcm_str s)
{
    return s.n ? s.p[0] : 0;
}

static int64_t
cents(struct rcm_str s)
{
    int64_t c = 0;
    if (s.n == 0 || rcm_money_parse(s, &c) != RCM_OK)
        return 0;
    return c;
}

static int64_t
units(struct rcm_str s)
{
    char tmp[24];
    int64_t u = 0;
    if (s.n == 0 || s.n >= sizeof tmp)
        return 0;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    return scrub_parse_units(tmp, &u) ? u : 0;
}

static int32_t
date8(struct rcm_str s)
{
    int32_t d;
    if (s.n != 8 || rcm_date_parse_ccyymmdd(s, &d) != RCM_OK)
        return RCM_CLAIM_NO_DATE;
    return d;
}

/* DTP02/DTP03: D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD. *to is set only for RD8. */
static void
dtp_dates(struct rcm_str fmt, struct rcm_str v, int32_t *from, int32_t *to)
{
    *from = *to = RCM_CLAIM_NO_DATE;
    if (rcm_str_eq_c(fmt, "RD8") && v.n == 17 && v.p[8] == '-') {
        *from = date8((struct rcm_str){v.p, 8});
        *to = date8((struct rcm_str){v.p + 9, 8});
    } else {
        *from = date8(v);
    }
}

static const char *
opt(const char *s)
{
    return s[0] ? s : NULL;
}

/* Segment ids and loop ids as integers, so dispatch is integer compares:
 * SK("NM1") equals rcm_x12_seg.key; LK("2010AA") equals loop_key() of the
 * innermost loop id (up to 8 characters, zero-padded). */
#define CH_(s, i) ((uint64_t)(sizeof(s) > (i) + 1 ? (unsigned char)(s)[(i)] : 0) << (8 * (i)))
#define SK(s) ((uint32_t)(CH_(s, 0) | CH_(s, 1) | CH_(s, 2)))
#define LK(s) (CH_(s, 0) | CH_(s, 1) | CH_(s, 2) | CH_(s, 3) | CH_(s, 4) | CH_(s, 5) | \
               CH_(s, 6) | CH_(s, 7))

static uint64_t
loop_key(const struct rcm_x12_loop_ctx *l)
{
    if (!l || l->depth <= 0)
        return 0;
    const char *s = l->loops[l->depth - 1];
    uint64_t k = 0;
    for (unsigned i = 0; i < 8 && s[i]; i++)
        k |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return k;
}

/* ---- context resets ---------------------------------------------------- */

static void
reset_person(struct person_buf *p)
{
    memset(p, 0, sizeof *p);
    p->birth = RCM_CLAIM_NO_DATE;
}

static void
reset_subscriber_level(struct rcm_claim_x12 *m)
{
    m->sequence = 0;
    m->sbr02[0] = m->insurance_type[0] = m->filing[0] = m->pat01[0] = '\0';
    reset_person(&m->subscriber);
    reset_person(&m->patient);
    m->payer_id[0] = m->payer_name[0] = '\0';
}

static void
reset_claim(struct rcm_claim_x12 *m)
{
    m->clm01[0] = m->facility_code[0] = m->original_ref[0] = '\0';
    m->frequency = 0;
    m->total_cents = 0;
    m->statement_from = m->statement_to = RCM_CLAIM_NO_DATE;
    memset(&m->rendering, 0, sizeof m->rendering);
    memset(&m->attending, 0, sizeof m->attending);
    memset(&m->referring, 0, sizeof m->referring);
    memset(&m->facility, 0, sizeof m->facility);
    memset(m->dx, 0, sizeof m->dx[0] * (m->n_dx ? m->n_dx : 1));
    memset(m->poa, 0, sizeof m->poa);
    m->n_dx = 0;
    memset(m->lines, 0, sizeof m->lines[0] * m->n_lines);
    memset(m->lb, 0, sizeof m->lb[0] * m->n_lines);
    m->n_lines = 0;
    m->info.lines_dropped = m->info.dx_dropped = m->info.values_cut = 0;
}

/* ---- claim assembly ---------------------------------------------------- */

static void
to_addr(const struct addr_buf *b, struct rcm_claim_address *a)
{
    a->line1 = opt(b->line1);
    a->line2 = opt(b->line2);
    a->city = opt(b->city);
    a->state = opt(b->state);
    a->zip = opt(b->zip);
}

static void
to_provider(const struct prov_buf *b, struct rcm_claim_provider *p)
{
    memset(p, 0, sizeof *p);
    if (!b->present)
        return;
    p->present = true;
    p->organization = b->organization;
    p->last_or_org = opt(b->last);
    p->first = opt(b->first);
    p->npi = opt(b->npi);
    p->taxonomy = opt(b->taxonomy);
    p->tin = opt(b->tin);
    p->tin_kind = b->tin_kind;
    to_addr(&b->addr, &p->addr);
}

static void
to_person(const struct person_buf *b, struct rcm_claim_person *p)
{
    memset(p, 0, sizeof *p);
    p->birth_date = RCM_CLAIM_NO_DATE;
    if (!b->present)
        return;
    p->present = true;
    p->last = opt(b->last);
    p->first = opt(b->first);
    p->member_id = opt(b->member_id);
    p->birth_date = b->birth;
    p->sex = b->sex;
    to_addr(&b->addr, &p->addr);
}

static void
flush_claim(struct rcm_claim_x12 *m)
{
    if (!m->in_claim)
        return;
    m->in_claim = false;
    struct rcm_claim c;
    rcm_claim_init(&c);
    c.kind = m->kind == 'I' ? RCM_CLAIM_INSTITUTIONAL : RCM_CLAIM_PROFESSIONAL;
    c.id = opt(m->clm01);
    c.total_charge_cents = m->total_cents;
    c.facility_code = opt(m->facility_code);
    c.frequency = m->frequency;
    c.original_ref = opt(m->original_ref);
    c.relationship = m->pat01[0] ? m->pat01 : opt(m->sbr02);
    c.statement_from = m->statement_from;
    c.statement_to = m->statement_to;
    c.payer.id = opt(m->payer_id);
    c.payer.name = opt(m->payer_name);
    c.payer.filing_indicator = opt(m->filing);
    c.payer.sequence = m->sequence;
    c.payer.insurance_type = opt(m->insurance_type);
    c.payer.self_pay = strcmp(m->filing, "09") == 0;   /* SBR09 09 = self-pay */
    to_person(&m->subscriber, &c.subscriber);
    to_person(&m->patient, &c.patient);
    to_provider(&m->billing, &c.billing);
    /* 837I: the attending provider (2310A) stands in for a rendering
     * provider (2310D) when there is none */
    to_provider(m->rendering.present ? &m->rendering : &m->attending, &c.rendering);
    to_provider(&m->referring, &c.referring);
    to_provider(&m->facility, &c.facility);
    for (size_t i = 0; i < m->n_dx; i++) {
        c.dx[i].code = m->dx[i];
        c.dx[i].poa = m->poa[i];
    }
    c.n_dx = m->n_dx;
    for (size_t i = 0; i < m->n_lines; i++) {
        struct rcm_claim_line *l = &m->lines[i];
        struct line_buf *b = &m->lb[i];
        l->procedure = opt(b->procedure);
        l->revenue_code = opt(b->revenue);
        l->pos = opt(b->pos);
        l->rendering_npi = opt(b->rendering_npi);
        for (size_t k = 0; k < l->n_modifiers; k++)
            l->modifiers[k] = b->modifiers[k];
    }
    c.lines = m->lines;
    c.n_lines = m->n_lines;
    m->info.claim_index = m->claims++;
    if (!m->err && m->on_claim)
        m->err = m->on_claim(m->ctx, &c, &m->info);
}

/* ---- segment handlers -------------------------------------------------- */

static void
nm1_provider(struct rcm_claim_x12 *m, struct prov_buf *p, const struct rcm_str *e, size_t n)
{
    p->present = true;
    p->organization = rcm_str_eq_c(el(e, n, 2), "2");
    CP(m, p->last, el(e, n, 3));
    CP(m, p->first, el(e, n, 4));
    if (rcm_str_eq_c(el(e, n, 8), "XX"))
        CP(m, p->npi, el(e, n, 9));
}

static void
nm1_person(struct rcm_claim_x12 *m, struct person_buf *p, const struct rcm_str *e, size_t n)
{
    p->present = true;
    CP(m, p->last, el(e, n, 3));
    CP(m, p->first, el(e, n, 4));
    CP(m, p->member_id, el(e, n, 9));
}

/* N3, N4 into an address; true when the segment was one of them. */
static bool
address(struct rcm_claim_x12 *m, struct addr_buf *a, uint32_t id, const struct rcm_str *e,
        size_t n)
{
    if (id == SK("N3")) {
        CP(m, a->line1, el(e, n, 1));
        CP(m, a->line2, el(e, n, 2));
        return true;
    }
    if (id == SK("N4")) {
        CP(m, a->city, el(e, n, 1));
        CP(m, a->state, el(e, n, 2));
        CP(m, a->zip, el(e, n, 3));
        return true;
    }
    return false;
}

/* Segments of a provider loop (NM1, PRV, N3/N4, REF*EI/SY for billing). */
static void
provider_seg(struct rcm_claim_x12 *m, struct prov_buf *p, uint32_t id,
             const struct rcm_str *e, size_t n, bool tax_id)
{
    if (id == SK("NM1")) {
        nm1_provider(m, p, e, n);
    } else if (id == SK("PRV")) {
        CP(m, p->taxonomy, el(e, n, 3));
    } else if (id == SK("REF") && tax_id) {
        struct rcm_str q = el(e, n, 1);
        if (rcm_str_eq_c(q, "EI") || rcm_str_eq_c(q, "SY")) {
            CP(m, p->tin, el(e, n, 2));
            p->tin_kind = rcm_str_eq_c(q, "EI") ? 'E' : 'S';
        }
    } else {
        address(m, &p->addr, id, e, n);
    }
}

static void
person_seg(struct rcm_claim_x12 *m, struct person_buf *p, uint32_t id,
           const struct rcm_str *e, size_t n)
{
    if (id == SK("NM1")) {
        nm1_person(m, p, e, n);
    } else if (id == SK("DMG")) {
        p->birth = rcm_str_eq_c(el(e, n, 1), "D8") ? date8(el(e, n, 2)) : RCM_CLAIM_NO_DATE;
        p->sex = ch(el(e, n, 3));
    } else {
        address(m, &p->addr, id, e, n);
    }
}

static void
clm(struct rcm_claim_x12 *m, const struct rcm_x12_seg *seg, const struct rcm_str *e, size_t n)
{
    flush_claim(m);
    reset_claim(m);
    m->in_claim = true;
    m->info.seg_index = seg->index;
    m->info.offset_bytes = seg->offset_bytes;
    CP(m, m->clm01, el(e, n, 1));
    m->total_cents = cents(el(e, n, 2));
    struct rcm_str f[3] = {{"", 0}, {"", 0}, {"", 0}};
    size_t k = rcm_x12_split(el(e, n, 5), seg->delims.component, f, 3);
    CP(m, m->facility_code, f[0]);
    m->frequency = k > 2 && f[2].n == 1 ? f[2].p[0] : 0;
}

static void
hi(struct rcm_claim_x12 *m, const struct rcm_x12_seg *seg, const struct rcm_str *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct rcm_str f[9];
        size_t k = rcm_x12_split(e[i], seg->delims.component, f, 9);
        if (k < 2)
            continue;
        /* ICD-10-CM principal (ABK) and other (ABF) diagnoses; ICD-9 BK/BF
         * too, so an old file is reported by dx-valid instead of dropped.
         * Admitting (ABJ), reason for visit (APR), external cause (ABN) and
         * the other HI qualifiers (codes, dates, values) are not diagnoses
         * the claim struct carries. */
        struct rcm_str q = f[0];
        if (!(rcm_str_eq_c(q, "ABK") || rcm_str_eq_c(q, "ABF") || rcm_str_eq_c(q, "BK") ||
              rcm_str_eq_c(q, "BF")))
            continue;
        if (m->n_dx >= RCM_CLAIM_MAX_DX) {
            m->info.dx_dropped++;
            continue;
        }
        CP(m, m->dx[m->n_dx], f[1]);
        m->poa[m->n_dx] = k > 8 && f[8].n == 1 ? f[8].p[0] : 0;
        m->n_dx++;
    }
}

/* SV101 / SV202 composite: qualifier, code, modifiers 1-4, description. */
static void
procedure(struct rcm_claim_x12 *m, struct rcm_claim_line *l, struct line_buf *b,
          struct rcm_str v, char comp)
{
    struct rcm_str c[8];
    size_t k = rcm_x12_split(v, comp, c, 8);
    if (k > 8)
        k = 8;
    if (k > 1)
        CP(m, b->procedure, c[1]);
    l->n_modifiers = 0;
    for (size_t i = 2; i < k && i < 6; i++)
        if (c[i].n)
            CP(m, b->modifiers[l->n_modifiers++], c[i]);
}

static void
line_seg(struct rcm_claim_x12 *m, const struct rcm_x12_seg *seg, uint32_t id,
         const struct rcm_str *e, size_t n)
{
    if (id == SK("LX")) {
        if (m->n_lines >= RCM_CLAIM_MAX_LINES) {
            m->info.lines_dropped++;
            return;
        }
        struct rcm_claim_line *l = &m->lines[m->n_lines++];
        int64_t num = 0;
        struct rcm_str v = el(e, n, 1);
        for (size_t i = 0; i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && num < 100000; i++)
            num = num * 10 + (v.p[i] - '0');
        l->number = num > 0 && num <= RCM_CLAIM_MAX_LINES ? (uint32_t)num
                                                          : (uint32_t)m->n_lines;
        l->from_date = l->to_date = RCM_CLAIM_NO_DATE;
        return;
    }
    if (m->n_lines == 0 || m->info.lines_dropped)
        return;
    struct rcm_claim_line *l = &m->lines[m->n_lines - 1];
    struct line_buf *b = &m->lb[m->n_lines - 1];
    char comp = seg->delims.component;
    if (id == SK("SV1")) {
        procedure(m, l, b, el(e, n, 1), comp);
        l->charge_cents = cents(el(e, n, 2));
        l->units_milli = units(el(e, n, 4));
        CP(m, b->pos, el(e, n, 5));
        struct rcm_str p[5];
        size_t k = el(e, n, 7).n ? rcm_x12_split(el(e, n, 7), comp, p, 5) : 0;
        if (k > RCM_CLAIM_MAX_POINTERS)
            k = RCM_CLAIM_MAX_POINTERS;
        for (size_t i = 0; i < k; i++) {
            unsigned v = 0;
            bool ok = p[i].n > 0 && p[i].n <= 2;
            for (size_t j = 0; ok && j < p[i].n; j++) {
                ok = p[i].p[j] >= '0' && p[i].p[j] <= '9';
                v = v * 10 + (unsigned)(p[i].p[j] - '0');
            }
            l->dx_pointers[i] = ok ? (uint8_t)v : 0;
        }
        l->n_dx_pointers = (uint8_t)k;
    } else if (id == SK("SV2")) {
        CP(m, b->revenue, el(e, n, 1));
        if (el(e, n, 2).n)
            procedure(m, l, b, el(e, n, 2), comp);
        l->charge_cents = cents(el(e, n, 3));
        l->units_milli = units(el(e, n, 5));
    } else if (id == SK("DTP") && rcm_str_eq_c(el(e, n, 1), "472")) {
        dtp_dates(el(e, n, 2), el(e, n, 3), &l->from_date, &l->to_date);
    }
}

/* Loops below 2400 whose NM1*82 is the line's rendering provider. */
static void
line_provider_seg(struct rcm_claim_x12 *m, uint32_t id, const struct rcm_str *e, size_t n)
{
    if (m->n_lines == 0 || m->info.lines_dropped || id != SK("NM1") ||
        !rcm_str_eq_c(el(e, n, 1), "82") || !rcm_str_eq_c(el(e, n, 8), "XX"))
        return;
    CP(m, m->lb[m->n_lines - 1].rendering_npi, el(e, n, 9));
}

static void
claim_seg(struct rcm_claim_x12 *m, const struct rcm_x12_seg *seg, uint64_t loop,
          const struct rcm_str *e, size_t n)
{
    uint32_t id = seg->key;
    bool inst = m->kind == 'I';
    if (id == SK("HL")) {
        flush_claim(m);
        struct rcm_str lvl = el(e, n, 3);
        if (rcm_str_eq_c(lvl, "20")) {
            memset(&m->billing, 0, sizeof m->billing);
            reset_subscriber_level(m);
        } else if (rcm_str_eq_c(lvl, "22")) {
            reset_subscriber_level(m);
        } else if (rcm_str_eq_c(lvl, "23")) {
            reset_person(&m->patient);
            m->pat01[0] = '\0';
        }
        return;
    }
    if (loop == LK("2000A")) {
        if (id == SK("PRV"))
            CP(m, m->billing.taxonomy, el(e, n, 3));
        return;
    }
    if (loop == LK("2010AA")) {
        provider_seg(m, &m->billing, id, e, n, true);
        return;
    }
    if (loop == LK("2000B")) {
        if (id == SK("SBR")) {
            m->sequence = ch(el(e, n, 1));
            CP(m, m->sbr02, el(e, n, 2));
            CP(m, m->insurance_type, el(e, n, 5));
            CP(m, m->filing, el(e, n, 9));
        }
        return;
    }
    if (loop == LK("2010BA")) {
        person_seg(m, &m->subscriber, id, e, n);
        return;
    }
    if (loop == LK("2010BB")) {
        if (id == SK("NM1")) {
            CP(m, m->payer_name, el(e, n, 3));
            CP(m, m->payer_id, el(e, n, 9));
        }
        return;
    }
    if (loop == LK("2000C")) {
        if (id == SK("PAT"))
            CP(m, m->pat01, el(e, n, 1));
        return;
    }
    if (loop == LK("2010CA")) {
        person_seg(m, &m->patient, id, e, n);
        return;
    }
    if (id == SK("CLM") && loop == LK("2300")) {
        clm(m, seg, e, n);
        return;
    }
    if (!m->in_claim)
        return;
    if (loop == LK("2300")) {
        if (id == SK("HI")) {
            hi(m, seg, e, n);
        } else if (id == SK("REF") && rcm_str_eq_c(el(e, n, 1), "F8")) {
            CP(m, m->original_ref, el(e, n, 2));
        } else if (id == SK("DTP") && rcm_str_eq_c(el(e, n, 1), "434")) {
            int32_t from, to;
            dtp_dates(el(e, n, 2), el(e, n, 3), &from, &to);
            m->statement_from = from;
            m->statement_to = to == RCM_CLAIM_NO_DATE ? from : to;
        }
        return;
    }
    /* 2310x claim-level providers; the guides name them differently */
    struct prov_buf *p = NULL;
    if (loop == LK("2310A"))
        p = inst ? &m->attending : &m->referring;
    else if (loop == LK("2310B"))
        p = inst ? NULL : &m->rendering;
    else if (loop == LK("2310C"))
        p = inst ? NULL : &m->facility;
    else if (loop == LK("2310D"))
        p = inst ? &m->rendering : NULL;
    else if (loop == LK("2310E"))
        p = inst ? &m->facility : NULL;
    else if (loop == LK("2310F"))
        p = inst ? &m->referring : NULL;
    if (p) {
        provider_seg(m, p, id, e, n, false);
        return;
    }
    if (loop == LK("2400")) {
        line_seg(m, seg, id, e, n);
        return;
    }
    if ((!inst && loop == LK("2420A")) || (inst && loop == LK("2420C")))
        line_provider_seg(m, id, e, n);
}

void
rcm_claim_x12_segment(void *mapper, const struct rcm_x12_seg *seg,
                      const struct rcm_x12_loop_ctx *loops)
{
    struct rcm_claim_x12 *m = mapper;
    struct rcm_str e[32];
    size_t n = rcm_x12_seg_elements(seg, e, 32);
    if (n > 32)
        n = 32;
    if (seg->key == SK("ST")) {
        flush_claim(m);
        m->kind = 0;
        if (rcm_str_eq_c(el(e, n, 1), "837")) {
            struct rcm_str v = el(e, n, 3);
            m->kind = v.n >= 10 && memcmp(v.p + 6, "X223", 4) == 0 ? 'I' : 'P';
            m->sets++;
            memset(&m->billing, 0, sizeof m->billing);
            reset_subscriber_level(m);
        }
        return;
    }
    if (seg->key == SK("SE") || seg->key == SK("GE") ||
        seg->key == SK("IEA")) {
        flush_claim(m);
        m->kind = 0;
        return;
    }
    if (m->kind)
        claim_seg(m, seg, loop_key(loops), e, n);
}

enum rcm_err
rcm_claim_x12_new(rcm_claim_x12_fn on_claim, void *ctx, struct rcm_claim_x12 **out)
{
    struct rcm_claim_x12 *m = rcm_calloc(1, sizeof *m);
    if (!m)
        return RCM_E_NOMEM;
    m->on_claim = on_claim;
    m->ctx = ctx;
    reset_person(&m->subscriber);
    reset_person(&m->patient);
    reset_claim(m);
    *out = m;
    return RCM_OK;
}

void
rcm_claim_x12_free(struct rcm_claim_x12 *m)
{
    if (!m)
        return;
    /* PHI: wipe before handing the memory back */
    memset(m, 0, sizeof *m);
    rcm_free(m);
}

enum rcm_err
rcm_claim_x12_finish(struct rcm_claim_x12 *m)
{
    flush_claim(m);
    m->kind = 0;
    return m->err;
}

uint64_t
rcm_claim_x12_sets(const struct rcm_claim_x12 *m)
{
    return m->sets;
}

uint64_t
rcm_claim_x12_claims(const struct rcm_claim_x12 *m)
{
    return m->claims;
}

/* ---- whole-buffer reader ----------------------------------------------- */

struct collect {
    struct rcm_arena *arena;
    struct rcm_claim *claims;
    size_t n, cap;
    struct rcm_diag *diag;
    bool failed;                 /* an error-level X12 finding was seen */
};

static const char *
dup(struct rcm_arena *a, const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = rcm_arena_strndup(a, s, strlen(s));
    if (!d)
        *oom = true;
    return d;
}

static void
dup_addr(struct rcm_arena *a, struct rcm_claim_address *x, bool *oom)
{
    x->line1 = dup(a, x->line1, oom);
    x->line2 = dup(a, x->line2, oom);
    x->city = dup(a, x->city, oom);
    x->state = dup(a, x->state, oom);
    x->zip = dup(a, x->zip, oom);
}

static void
dup_provider(struct rcm_arena *a, struct rcm_claim_provider *p, bool *oom)
{
    p->last_or_org = dup(a, p->last_or_org, oom);
    p->first = dup(a, p->first, oom);
    p->npi = dup(a, p->npi, oom);
    p->taxonomy = dup(a, p->taxonomy, oom);
    p->tin = dup(a, p->tin, oom);
    dup_addr(a, &p->addr, oom);
}

static void
dup_person(struct rcm_arena *a, struct rcm_claim_person *p, bool *oom)
{
    p->last = dup(a, p->last, oom);
    p->first = dup(a, p->first, oom);
    p->member_id = dup(a, p->member_id, oom);
    dup_addr(a, &p->addr, oom);
}

static enum rcm_err
collect_claim(void *ctx, const struct rcm_claim *claim, const struct rcm_claim_x12_info *info)
{
    (void)info;
    struct collect *k = ctx;
    if (k->n >= X12_READ_MAX_CLAIMS)
        return rcm_diag_fail(k->diag, RCM_E_TOO_LARGE, "more than %d claims in one file",
                             X12_READ_MAX_CLAIMS);
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        struct rcm_claim *nc = rcm_arena_alloc(k->arena, cap * sizeof *nc);
        if (!nc)
            return RCM_E_NOMEM;
        if (k->n)
            memcpy(nc, k->claims, k->n * sizeof *nc);
        k->claims = nc;
        k->cap = cap;
    }
    struct rcm_claim *c = &k->claims[k->n];
    *c = *claim;
    bool oom = false;
    struct rcm_arena *a = k->arena;
    c->id = dup(a, c->id, &oom);
    c->facility_code = dup(a, c->facility_code, &oom);
    c->original_ref = dup(a, c->original_ref, &oom);
    c->relationship = dup(a, c->relationship, &oom);
    c->payer.id = dup(a, c->payer.id, &oom);
    c->payer.name = dup(a, c->payer.name, &oom);
    c->payer.filing_indicator = dup(a, c->payer.filing_indicator, &oom);
    c->payer.insurance_type = dup(a, c->payer.insurance_type, &oom);
    dup_person(a, &c->subscriber, &oom);
    dup_person(a, &c->patient, &oom);
    dup_provider(a, &c->billing, &oom);
    dup_provider(a, &c->rendering, &oom);
    dup_provider(a, &c->referring, &oom);
    dup_provider(a, &c->facility, &oom);
    for (size_t i = 0; i < c->n_dx; i++)
        c->dx[i].code = dup(a, c->dx[i].code, &oom);
    c->lines = rcm_arena_alloc(a, (c->n_lines ? c->n_lines : 1) * sizeof *c->lines);
    if (!c->lines || oom)
        return RCM_E_NOMEM;
    for (size_t i = 0; i < c->n_lines; i++) {
        struct rcm_claim_line *l = &c->lines[i];
        *l = claim->lines[i];
        l->procedure = dup(a, l->procedure, &oom);
        l->revenue_code = dup(a, l->revenue_code, &oom);
        l->pos = dup(a, l->pos, &oom);
        l->rendering_npi = dup(a, l->rendering_npi, &oom);
        for (size_t j = 0; j < l->n_modifiers && j < RCM_CLAIM_MAX_MODIFIERS; j++)
            l->modifiers[j] = dup(a, l->modifiers[j], &oom);
    }
    if (oom)
        return RCM_E_NOMEM;
    k->n++;
    return RCM_OK;
}

static void
collect_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct collect *k = ctx;
    if (f->severity != RCM_X12_SEV_ERROR || k->failed)
        return;
    k->failed = true;
    /* code, segment and position only: bad_value may hold PHI */
    rcm_diag_fail(k->diag, RCM_E_PARSE, "X12 %s at segment %s #%llu (loop %s, element %d): %s",
                  f->code, f->seg_id[0] ? f->seg_id : "-",
                  (unsigned long long)f->seg_index + 1, f->loop_id[0] ? f->loop_id : "-",
                  f->element, f->msg);
}

struct x12_read_ctx {
    struct rcm_claim_x12 *mapper;
    struct collect *collect;
};

static void
read_segment(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *loops)
{
    struct x12_read_ctx *r = ctx;
    rcm_claim_x12_segment(r->mapper, seg, loops);
}

static void
read_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct x12_read_ctx *r = ctx;
    collect_finding(r->collect, f);
}

enum rcm_err
rcm_claim_x12_read(const char *data, size_t len, struct rcm_arena *arena,
                   struct rcm_claim **claims, size_t *n, struct rcm_diag *diag)
{
    *claims = NULL;
    *n = 0;
    struct collect k = {arena, NULL, 0, 0, diag, false};
    struct rcm_claim_x12 *m = NULL;
    enum rcm_err err = rcm_claim_x12_new(collect_claim, &k, &m);
    if (err)
        return err;
    struct x12_read_ctx r = {m, &k};
    struct rcm_x12_validate_opts opts = {0};
    opts.on_segment = read_segment;
    opts.on_finding = read_finding;
    opts.ctx = &r;
    err = rcm_x12_validate_buffer(data, len, &opts, NULL);
    enum rcm_err ferr = rcm_claim_x12_finish(m);
    if (!err)
        err = ferr;
    uint64_t sets = rcm_claim_x12_sets(m);
    rcm_claim_x12_free(m);
    if (err)
        return err;
    if (k.failed)
        return RCM_E_PARSE;
    if (sets == 0)
        return rcm_diag_fail(diag, RCM_E_PARSE, "no 837 transaction set in the input");
    *claims = k.claims;
    *n = k.n;
    return RCM_OK;
}
