/*
 * risk_score.c — CMS-HCC scoring: the SAS steps of V2419P1M / V2823T2M
 * (SEDITS=0) over the tables of risk_tables.c, plus the payment score, the
 * payment-year blend, the per-member explanation and gap flags.
 *
 * Order of operations (COMPUTATION-NOTES.md §1, cited as N1…N11):
 *   age as of Feb 1 (N1) → DISABL/ORIGDS (N2) → per code: mandatory edit or
 *   map (N3) → "require" rules such as V28's CC223 patch (N4) → hierarchy
 *   rules in file order on current values (N5) → groups and interactions
 *   (N6) → payment-HCC count (N7) → demographic / NE cells (N8, N9) → sum of
 *   coefficients in thousandths (N10) → payment score (N11).
 *
 * The hot path (rcm_risk_score) allocates nothing and touches only flat
 * arrays and 512-bit sets.
 */
#include <stdlib.h>
#include <string.h>

#include "rcm/date.h"
#include "risk/risk_int.h"

#define W RCM_RISK_CC_WORDS

bool
rcm_risk_dx_pack(struct rcm_str code, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;
    code = rcm_str_trim(code);
    for (size_t i = 0; i < code.n; i++) {
        unsigned char c = (unsigned char)code.p[i];
        if (c == '.')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || n == 7)
            return false;
        v |= (uint64_t)c << (56 - 8 * n);
        n++;
    }
    if (n < 3)
        return false;
    *out = v;
    return true;
}

void
rcm_risk_dx_unpack(uint64_t code, char out[8])
{
    int n = 0;
    for (int i = 0; i < 7; i++) {
        char c = (char)(code >> (56 - 8 * i) & 0xff);
        if (!c)
            break;
        out[n++] = c;
    }
    out[n] = '\0';
}

int
rcm_risk_dual_from_code(struct rcm_str code)
{
    code = rcm_str_trim(code);
    int64_t v;
    if (rcm_str_to_i64(code, &v) != RCM_OK)
        return 0;
    /* CMS dual status codes: full benefit 02, 04, 08; partial 01, 03, 05, 06. */
    if (v == 2 || v == 4 || v == 8)
        return 2;
    if (v == 1 || v == 3 || v == 5 || v == 6)
        return 1;
    return 0;
}

/* ---- the steps ------------------------------------------------------ */

struct demo {
    int age;            /* AGEF */
    int sex;
    int orec;
    bool disabl;
    bool origds;
    bool ne_origds;
    bool medicaid;
    enum rcm_risk_segment seg;
};

/* N1, N2 and the segment. RCM_E_INVAL when the member cannot be scored. */
static enum rcm_err
demographics(const struct rcm_risk_model *m, const struct rcm_risk_member *mem,
             struct demo *d)
{
    if ((mem->sex != 1 && mem->sex != 2) || mem->orec < 0 || mem->orec > 3)
        return RCM_E_INVAL;
    int age;
    if (mem->dob_days != RCM_RISK_NO_DOB) {
        int y, mo, dd;
        rcm_date_to_ymd(mem->dob_days, &y, &mo, &dd);
        /* AGEF = FLOOR((INTCK('MONTH', DOB, 1 Feb PY) - (DAY(1 Feb) < DAY(DOB))) / 12) */
        long months = (long)(m->year - y) * 12 + (2 - mo) - (1 < dd);
        age = months < 0 ? -1 : (int)(months / 12);
    } else {
        if (mem->age_years < 0 || mem->age_years > 150)
            return RCM_E_INVAL;
        age = mem->age_years;
    }
    if (m->s->age64_orec0_is_65 && age == 64 && mem->orec == 0)
        age = 65;
    if (age < 0)
        age = 0;
    d->age = age;
    d->sex = mem->sex;
    d->orec = mem->orec;
    d->disabl = age < 65 && mem->orec != 0;
    d->origds = mem->orec == 1 && !d->disabl;
    d->ne_origds = age >= 65 && mem->orec == 1;
    d->medicaid = mem->medicaid;
    enum rcm_risk_segment seg = mem->segment;
    if (seg == RCM_RISK_SEGMENT_AUTO) {
        if (mem->new_enrollee)
            seg = mem->snp ? RCM_RISK_SNPNE : RCM_RISK_NE;
        else if (mem->institutional)
            seg = RCM_RISK_INS;
        else {
            static const enum rcm_risk_segment aged[3] = {RCM_RISK_CNA, RCM_RISK_CPA,
                                                          RCM_RISK_CFA};
            int dual = mem->dual < 0 || mem->dual > 2 ? 0 : mem->dual;
            seg = (enum rcm_risk_segment)(aged[dual] + (age < 65 ? 1 : 0));
        }
    } else if ((unsigned)seg >= RCM_RISK_SEGMENT_COUNT) {
        return RCM_E_INVAL;
    } else if (seg <= RCM_RISK_CPD) {
        /* Community aged/disabled follows AGEF (after V24's 64/OREC 0 rule):
         * the dual status comes from the input, the age band from the model. */
        seg = (enum rcm_risk_segment)((seg & ~1) + (age < 65 ? 1 : 0));
    }
    d->seg = seg;
    return RCM_OK;
}

static inline void
set_bit(uint64_t *set, int n)
{
    set[n >> 6] |= 1ull << (n & 63);
}

static inline void
clear_bit(uint64_t *set, int n)
{
    set[n >> 6] &= ~(1ull << (n & 63));
}

/* N3 for one code: its CCs after the mandatory edits. Returns how many
 * (0..3) and whether an edit decided (*edited). */
static inline int
code_ccs(const struct rcm_risk_model *m, const struct demo *d, uint64_t code,
         int out[3], bool *edited)
{
    const struct risk_dx_entry *e = risk_dx_find(m, code);
    *edited = false;
    if (!e)
        return 0;
    for (unsigned i = 0; i < e->n_edit; i++) {
        const struct risk_edit *ed = &m->edits[e->edit_first + i];
        if ((ed->sex == 0 || ed->sex == d->sex) && d->age >= ed->age_min &&
            d->age <= ed->age_max) {
            *edited = true;
            if (ed->cc == 0)
                return 0;
            out[0] = ed->cc;
            return 1;
        }
    }
    for (int i = 0; i < e->n_cc; i++)
        out[i] = e->cc[i];
    return e->n_cc;
}

static void
build_cc(const struct rcm_risk_model *m, const struct demo *d,
         const uint64_t *dx, size_t n_dx, uint64_t *cc)
{
    memset(cc, 0, W * sizeof *cc);
    for (size_t i = 0; i < n_dx; i++) {
        int out[3];
        bool edited;
        int n = code_ccs(m, d, dx[i], out, &edited);
        for (int k = 0; k < n; k++)
            set_bit(cc, out[k]);
    }
}

/* N4: drop a CC unless one of its companions is present (before hierarchy). */
static void
apply_require(const struct risk_structure *s, uint64_t *cc, uint64_t *dropped)
{
    for (int i = 0; i < s->n_require; i++) {
        const struct risk_require *r = &s->require[i];
        if (!rcm_risk_bit(cc, r->cc))
            continue;
        uint64_t any = 0;
        for (int w = 0; w < W; w++)
            any |= cc[w] & r->any[w];
        if (!any) {
            clear_bit(cc, r->cc);
            if (dropped)
                set_bit(dropped, r->cc);
        }
    }
}

static inline void
apply_rule(const struct risk_hier *h, uint64_t *hcc, int *dropped_by)
{
    for (int w = 0; w < W; w++) {
        uint64_t gone = hcc[w] & h->children[w];
        if (!gone)
            continue;
        if (dropped_by) {
            while (gone) {
                int b = __builtin_ctzll(gone);
                dropped_by[w * 64 + b] = h->parent;
                gone &= gone - 1;
            }
        }
        hcc[w] &= ~h->children[w];
    }
}

/*
 * N5: hierarchy rules in file order, each on the current values. Only the
 * rules whose parent is present can fire, so those are collected, put back
 * in file order and applied, each checking its parent again (an earlier
 * rule may have removed it: the 62→63→202 chain).
 */
static void
apply_hierarchy(const struct risk_structure *s, uint64_t *hcc, int *dropped_by)
{
    int rules[RCM_RISK_CC_MAX];
    int n = 0;
    for (int w = 0; w < W; w++) {
        uint64_t bits = hcc[w] & s->parent_mask[w];
        while (bits) {
            rules[n++] = s->rule_of_parent[w * 64 + __builtin_ctzll(bits)];
            bits &= bits - 1;
        }
    }
    if (n == 0)
        return;
    if (!s->one_rule_per_parent) {
        for (int i = 0; i < s->n_hier; i++)
            if (rcm_risk_bit(hcc, s->hier[i].parent))
                apply_rule(&s->hier[i], hcc, dropped_by);
        return;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && rules[j - 1] > rules[j]; j--) {
            int t = rules[j];
            rules[j] = rules[j - 1];
            rules[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        const struct risk_hier *h = &s->hier[rules[i]];
        if (rcm_risk_bit(hcc, h->parent))
            apply_rule(h, hcc, dropped_by);
    }
}

/* Index of the 24 age/sex cells (AGESEXV2), or -1. */
static int
cell24(int age, int sex)
{
    static const int lower[12] = {0, 35, 45, 55, 60, 65, 70, 75, 80, 85, 90, 95};
    int band = 0;
    while (band < 11 && age >= lower[band + 1])
        band++;
    return (sex == 1 ? 12 : 0) + band;
}

/* Index of the 32 new-enrollee cells (AGESEXV2 NE_AGESEX). */
static int
cell32(int age, int sex, int orec)
{
    int band;
    if (age <= 34)
        band = 0;
    else if (age <= 44)
        band = 1;
    else if (age <= 54)
        band = 2;
    else if (age <= 59)
        band = 3;
    else if (age <= 63)
        band = 4;
    else if (age == 64)
        band = orec != 0 ? 4 : 5;
    else if (age <= 69)
        band = 5 + (age - 65);
    else if (age <= 94)
        band = 10 + (age - 70) / 5;
    else
        band = 15;
    return (sex == 1 ? 16 : 0) + band;
}

static inline int
ne_kind(const struct demo *d)
{
    return (d->medicaid ? 1 : 0) + (d->ne_origds ? 2 : 0);
}

/* Group flags (N6) with bit RISK_TERM_DISABL. */
static uint64_t
group_flags(const struct risk_structure *s, const uint64_t *hcc, bool disabl)
{
    uint64_t g = disabl ? 1ull << RISK_TERM_DISABL : 0;
    for (int w = 0; w < W; w++) {
        uint64_t bits = hcc[w];
        while (bits) {
            g |= s->cc_groups[w * 64 + __builtin_ctzll(bits)];
            bits &= bits - 1;
        }
    }
    return g;
}

static int
popcount_set(const uint64_t *set)
{
    int n = 0;
    for (int w = 0; w < W; w++)
        for (uint64_t bits = set[w]; bits; bits &= bits - 1)
            n++;
    return n;
}

/* N6-N10: the raw score of a demographic profile and an HCC set. */
static int32_t
sum_score(const struct risk_structure *s, const struct demo *d,
          const uint64_t *hcc, int *n_hcc)
{
    const struct risk_seg_coef *c = &s->seg[d->seg];
    int32_t raw = 0;
    if (d->seg == RCM_RISK_NE || d->seg == RCM_RISK_SNPNE) {
        raw += c->ne[ne_kind(d)][cell32(d->age, d->sex, d->orec)];
    } else {
        raw += c->cell[cell24(d->age, d->sex)];
        if (d->origds)
            raw += (d->sex == 2 ? c->origdis_female : c->origdis_male) + c->origds;
        if (d->medicaid)
            raw += c->ltimcaid;
    }
    int n = 0;
    uint64_t g = d->disabl ? 1ull << RISK_TERM_DISABL : 0;
    for (int w = 0; w < W; w++) {
        uint64_t bits = hcc[w];
        while (bits) {
            int v = w * 64 + __builtin_ctzll(bits);
            raw += c->hcc[v];
            g |= s->cc_groups[v];
            n++;
            bits &= bits - 1;
        }
    }
    *n_hcc = n;
    if (n > 0) {
        for (int i = 0; i < s->n_inter; i++)
            if ((s->inter[i].terms & g) == s->inter[i].terms)
                raw += c->inter[i];
        raw += c->count[n > RISK_COUNT_MAX ? RISK_COUNT_MAX : n];
    }
    return raw;
}

/* Round num/den (den > 0) half away from zero. */
static int64_t
div_round(int64_t num, int64_t den)
{
    if (num >= 0)
        return (2 * num + den) / (2 * den);
    return -((2 * -num + den) / (2 * den));
}

int32_t
rcm_risk_payment_milli(const struct rcm_risk_model *m, int32_t raw_milli,
                       int32_t *normalized_milli)
{
    if (m->nf_milli <= 0) {
        if (normalized_milli)
            *normalized_milli = -1;
        return -1;
    }
    int64_t norm = div_round((int64_t)raw_milli * 1000, m->nf_milli);
    if (normalized_milli)
        *normalized_milli = (int32_t)norm;
    return (int32_t)div_round(norm * (1000 - m->ma_milli), 1000);
}

int32_t
rcm_risk_blend_milli(const struct rcm_risk_tables *t, int payment_year,
                     int32_t v24_payment_milli, int32_t v28_payment_milli)
{
    const struct rcm_risk_model *a = rcm_risk_model_get(t, RCM_RISK_V24, payment_year);
    const struct rcm_risk_model *b = rcm_risk_model_get(t, RCM_RISK_V28, payment_year);
    int wa = a ? a->blend_pct : 0, wb = b ? b->blend_pct : 0;
    if (wa + wb != 100 || (wa && v24_payment_milli < 0) || (wb && v28_payment_milli < 0))
        return -1;
    int64_t sum = (int64_t)wa * (wa ? v24_payment_milli : 0) +
                  (int64_t)wb * (wb ? v28_payment_milli : 0);
    return (int32_t)div_round(sum, 100);
}

enum rcm_err
rcm_risk_score(const struct rcm_risk_model *m, const struct rcm_risk_member *mem,
               const uint64_t *dx, size_t n_dx, struct rcm_risk_score *out)
{
    struct demo d;
    enum rcm_err err = demographics(m, mem, &d);
    if (err)
        return err;
    out->segment = d.seg;
    out->age = d.age;
    out->disabled = d.disabl;
    out->orig_disabled = (d.seg == RCM_RISK_NE || d.seg == RCM_RISK_SNPNE) ? d.ne_origds
                                                                           : d.origds;
    build_cc(m, &d, dx, n_dx, out->cc);
    apply_require(m->s, out->cc, NULL);
    memcpy(out->hcc, out->cc, sizeof out->hcc);
    apply_hierarchy(m->s, out->hcc, NULL);
    out->raw_milli = sum_score(m->s, &d, out->hcc, &out->n_hcc);
    out->payment_milli = rcm_risk_payment_milli(m, out->raw_milli, &out->normalized_milli);
    return RCM_OK;
}

/* ---- explanation ---------------------------------------------------- */

static void
add_term(struct rcm_risk_explain *x, enum rcm_risk_segment seg, const char *var,
         int32_t coef)
{
    if (x->n_terms == RCM_RISK_EXPLAIN_TERMS)
        return;
    struct rcm_risk_term *t = &x->terms[x->n_terms++];
    snprintf(t->name, sizeof t->name, "%s_%s", rcm_risk_segment_name(seg), var);
    t->coef_milli = coef;
}

static const char *const cell_var[RISK_CELLS] = {
    "F0_34",  "F35_44", "F45_54", "F55_59", "F60_64", "F65_69",
    "F70_74", "F75_79", "F80_84", "F85_89", "F90_94", "F95_GT",
    "M0_34",  "M35_44", "M45_54", "M55_59", "M60_64", "M65_69",
    "M70_74", "M75_79", "M80_84", "M85_89", "M90_94", "M95_GT"};
static const char *const ne_band_var[16] = {
    "0_34", "35_44", "45_54", "55_59", "60_64", "65",    "66",    "67",
    "68",   "69",    "70_74", "75_79", "80_84", "85_89", "90_94", "95_GT"};
static const char *const ne_kind_var[RISK_NE_KINDS] = {
    "NMCAID_NORIGDIS", "MCAID_NORIGDIS", "NMCAID_ORIGDIS", "MCAID_ORIGDIS"};

enum rcm_err
rcm_risk_explain(const struct rcm_risk_model *m, const struct rcm_risk_member *mem,
                 const uint64_t *dx, size_t n_dx, struct rcm_risk_explain *x)
{
    memset(x, 0, sizeof *x);
    enum rcm_err err = rcm_risk_score(m, mem, dx, n_dx, &x->score);
    if (err)
        return err;
    struct demo d;
    (void)demographics(m, mem, &d);
    const struct risk_structure *s = m->s;
    const struct risk_seg_coef *c = &s->seg[d.seg];
    char name[64];

    /* CCs before hierarchy, their codes and fates. */
    uint64_t cc[W] = {0}, rule_dropped[W] = {0}, hcc[W];
    int dropped_by[RCM_RISK_CC_MAX] = {0};
    int slot_of[RCM_RISK_CC_MAX];
    memset(slot_of, 0xff, sizeof slot_of);
    for (size_t i = 0; i < n_dx; i++) {
        int out[3];
        bool edited;
        int n = code_ccs(m, &d, dx[i], out, &edited);
        if (edited && n == 0 && x->n_edit_invalid < RCM_RISK_EXPLAIN_DX) {
            bool seen = false;
            for (int k = 0; k < x->n_edit_invalid; k++)
                seen |= x->edit_invalid[k] == dx[i];
            if (!seen)
                x->edit_invalid[x->n_edit_invalid++] = dx[i];
        }
        for (int k = 0; k < n; k++) {
            int v = out[k];
            set_bit(cc, v);
            if (slot_of[v] < 0) {
                if (x->n_ccs == RCM_RISK_EXPLAIN_CCS)
                    continue;
                slot_of[v] = x->n_ccs++;
                x->ccs[slot_of[v]].cc = v;
            }
            struct rcm_risk_cc_explain *e = &x->ccs[slot_of[v]];
            e->edited |= edited;
            bool seen = false;
            for (int j = 0; j < e->n_dx && j < RCM_RISK_EXPLAIN_DX; j++)
                seen |= e->dx[j] == dx[i];
            if (seen)
                continue;
            if (e->n_dx < RCM_RISK_EXPLAIN_DX)
                e->dx[e->n_dx] = dx[i];
            e->n_dx++;
        }
    }
    apply_require(s, cc, rule_dropped);
    memcpy(hcc, cc, sizeof hcc);
    apply_hierarchy(s, hcc, dropped_by);
    bool ne = d.seg == RCM_RISK_NE || d.seg == RCM_RISK_SNPNE;
    /* Sort CC entries by number for stable output. */
    for (int i = 1; i < x->n_ccs; i++)
        for (int j = i; j > 0 && x->ccs[j - 1].cc > x->ccs[j].cc; j--) {
            struct rcm_risk_cc_explain tmp = x->ccs[j];
            x->ccs[j] = x->ccs[j - 1];
            x->ccs[j - 1] = tmp;
        }
    for (int i = 0; i < x->n_ccs; i++) {
        struct rcm_risk_cc_explain *e = &x->ccs[i];
        if (e->n_dx > RCM_RISK_EXPLAIN_DX)
            e->n_dx = RCM_RISK_EXPLAIN_DX;
        if (rcm_risk_bit(rule_dropped, e->cc)) {
            e->fate = RCM_RISK_CC_RULE;
        } else if (!rcm_risk_bit(hcc, e->cc)) {
            e->fate = RCM_RISK_CC_HIERARCHY;
            e->dropped_by = dropped_by[e->cc];
        } else {
            e->fate = RCM_RISK_CC_KEPT;
            e->scored = rcm_risk_bit(c->hcc_has, e->cc);
            e->coef_milli = e->scored ? c->hcc[e->cc] : 0;
        }
    }

    /* Terms, in the order CMS lists variables. */
    if (ne) {
        int k = ne_kind(&d), cell = cell32(d.age, d.sex, d.orec);
        if (c->ne_has[k] >> cell & 1u) {
            snprintf(name, sizeof name, "%s_NE%c%s", ne_kind_var[k], cell >= 16 ? 'M' : 'F',
                     ne_band_var[cell % 16]);
            add_term(x, d.seg, name, c->ne[k][cell]);
        }
    } else {
        int cell = cell24(d.age, d.sex);
        if (c->cell_has >> cell & 1u)
            add_term(x, d.seg, cell_var[cell], c->cell[cell]);
        if (d.origds && d.sex == 2 && c->has_origdis_female)
            add_term(x, d.seg, "OriginallyDisabled_Female", c->origdis_female);
        if (d.origds && d.sex == 1 && c->has_origdis_male)
            add_term(x, d.seg, "OriginallyDisabled_Male", c->origdis_male);
        if (d.medicaid && c->has_ltimcaid)
            add_term(x, d.seg, "LTIMCAID", c->ltimcaid);
        if (d.origds && c->has_origds)
            add_term(x, d.seg, "ORIGDS", c->origds);
    }
    for (int v = 1; v < RCM_RISK_CC_MAX; v++)
        if (rcm_risk_bit(hcc, v) && rcm_risk_bit(c->hcc_has, v)) {
            snprintf(name, sizeof name, "HCC%d", v);
            add_term(x, d.seg, name, c->hcc[v]);
        }
    int n = popcount_set(hcc);
    if (n > 0) {
        uint64_t g = group_flags(s, hcc, d.disabl);
        for (int i = 0; i < s->n_inter; i++)
            if ((s->inter[i].terms & g) == s->inter[i].terms && (c->inter_has >> i & 1u))
                add_term(x, d.seg, s->inter[i].name, c->inter[i]);
        int k = n > RISK_COUNT_MAX ? RISK_COUNT_MAX : n;
        if (c->count_has >> k & 1u) {
            if (k == RISK_COUNT_MAX)
                snprintf(name, sizeof name, "D10P");
            else
                snprintf(name, sizeof name, "D%d", k);
            add_term(x, d.seg, name, c->count[k]);
        }
    }
    return RCM_OK;
}

/* ---- gap flags ------------------------------------------------------ */

static int
cmp_gap(const void *a, const void *b)
{
    const struct rcm_risk_gap *x = a, *y = b;
    if (x->impact_milli != y->impact_milli)
        return x->impact_milli > y->impact_milli ? -1 : 1;
    return (x->hcc > y->hcc) - (x->hcc < y->hcc);
}

/* HCCs (after require and hierarchy) produced by a list of codes. */
static void
evidence_hccs(const struct rcm_risk_model *m, const struct demo *d,
              const uint64_t *dx, size_t n, uint64_t *hcc)
{
    build_cc(m, d, dx, n, hcc);
    apply_require(m->s, hcc, NULL);
    apply_hierarchy(m->s, hcc, NULL);
}

static uint64_t
evidence_code(const struct rcm_risk_model *m, const struct demo *d,
              const uint64_t *dx, size_t n, int hcc)
{
    for (size_t i = 0; i < n; i++) {
        int out[3];
        bool edited;
        int k = code_ccs(m, d, dx[i], out, &edited);
        for (int j = 0; j < k; j++)
            if (out[j] == hcc)
                return dx[i];
    }
    return 0;
}

enum rcm_err
rcm_risk_gaps(const struct rcm_risk_model *m, const struct rcm_risk_member *mem,
              const uint64_t *dx, size_t n_dx, const uint64_t *prior_dx,
              size_t n_prior, const uint64_t *suspect_dx, size_t n_suspect,
              struct rcm_risk_gap *out, size_t cap, size_t *n_out)
{
    *n_out = 0;
    struct demo d;
    enum rcm_err err = demographics(m, mem, &d);
    if (err)
        return err;
    uint64_t cur_cc[W], hcc[W], prior[W], suspect[W];
    build_cc(m, &d, dx, n_dx, cur_cc);
    apply_require(m->s, cur_cc, NULL);
    memcpy(hcc, cur_cc, sizeof hcc);
    apply_hierarchy(m->s, hcc, NULL);
    int n_hcc;
    int32_t base = sum_score(m->s, &d, hcc, &n_hcc);
    evidence_hccs(m, &d, prior_dx, n_prior, prior);
    evidence_hccs(m, &d, suspect_dx, n_suspect, suspect);

    struct rcm_risk_gap all[RCM_RISK_CC_MAX];
    size_t n = 0;
    for (int v = 1; v < RCM_RISK_CC_MAX; v++) {
        bool in_prior = rcm_risk_bit(prior, v), in_suspect = rcm_risk_bit(suspect, v);
        if ((!in_prior && !in_suspect) || rcm_risk_bit(cur_cc, v))
            continue;
        uint64_t with[W];
        memcpy(with, cur_cc, sizeof with);
        set_bit(with, v);
        apply_require(m->s, with, NULL);
        apply_hierarchy(m->s, with, NULL);
        int32_t impact = sum_score(m->s, &d, with, &n_hcc) - base;
        if (impact <= 0)
            continue;
        struct rcm_risk_gap *g = &all[n++];
        g->hcc = v;
        g->kind = in_prior ? RCM_RISK_GAP_RECAPTURE : RCM_RISK_GAP_SUSPECT;
        g->impact_milli = impact;
        g->evidence_dx = in_prior ? evidence_code(m, &d, prior_dx, n_prior, v)
                                  : evidence_code(m, &d, suspect_dx, n_suspect, v);
    }
    qsort(all, n, sizeof *all, cmp_gap);
    if (n > cap)
        n = cap;
    if (n)
        memcpy(out, all, n * sizeof *out);
    *n_out = n;
    return RCM_OK;
}
