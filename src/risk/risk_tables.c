/*
 * risk_tables.c — load the CMS-HCC data directory (data/cms-hcc) into the
 * flat structures of risk_int.h.
 *
 * Files (all tab-separated text, '#' comments; docs/risk.md has the
 * formats): models.tsv names, per (model, payment year), the model
 * directory, the year's ICD-10-CM map and edit table and the payment
 * factors; <model>/model.txt names the labels, hierarchy and coefficient
 * tables and declares options, the CC223-style "require" rules, groups and
 * interactions. Any unknown directive, variable or malformed number is a
 * load error naming file and line: a data drop that does not fit the engine
 * must fail loudly, not score silently wrong.
 *
 * Not here: scoring (risk_score.c), input files (risk_reader.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/mem.h"
#include "risk/risk_int.h"

#define TABLE_MAX_BYTES (64u << 20)

static const char *const model_names[RCM_RISK_MODEL_COUNT] = {"V24", "V28"};
static const char *const segment_names[RCM_RISK_SEGMENT_COUNT] = {
    "CNA", "CND", "CFA", "CFD", "CPA", "CPD", "INS", "NE", "SNPNE"};
static const char *const cell_names[RISK_CELLS] = {
    "F0_34",  "F35_44", "F45_54", "F55_59", "F60_64", "F65_69",
    "F70_74", "F75_79", "F80_84", "F85_89", "F90_94", "F95_GT",
    "M0_34",  "M35_44", "M45_54", "M55_59", "M60_64", "M65_69",
    "M70_74", "M75_79", "M80_84", "M85_89", "M90_94", "M95_GT"};
static const char *const ne_bands[16] = {
    "0_34", "35_44", "45_54", "55_59", "60_64", "65",    "66",    "67",
    "68",   "69",    "70_74", "75_79", "80_84", "85_89", "90_94", "95_GT"};
static const char *const ne_kinds[RISK_NE_KINDS] = {
    "NMCAID_NORIGDIS_", "MCAID_NORIGDIS_", "NMCAID_ORIGDIS_",
    "MCAID_ORIGDIS_"};

const char *
rcm_risk_model_name(enum rcm_risk_model_id model)
{
    return (unsigned)model < RCM_RISK_MODEL_COUNT ? model_names[model] : "?";
}

bool
rcm_risk_model_parse(struct rcm_str s, enum rcm_risk_model_id *out)
{
    s = rcm_str_trim(s);
    for (int i = 0; i < RCM_RISK_MODEL_COUNT; i++)
        if (rcm_str_case_eq_c(s, model_names[i])) {
            *out = (enum rcm_risk_model_id)i;
            return true;
        }
    return false;
}

const char *
rcm_risk_segment_name(enum rcm_risk_segment seg)
{
    return (unsigned)seg < RCM_RISK_SEGMENT_COUNT ? segment_names[seg] : "?";
}

bool
rcm_risk_segment_parse(struct rcm_str s, enum rcm_risk_segment *out)
{
    s = rcm_str_trim(s);
    for (int i = 0; i < RCM_RISK_SEGMENT_COUNT; i++)
        if (rcm_str_case_eq_c(s, segment_names[i])) {
            *out = (enum rcm_risk_segment)i;
            return true;
        }
    return false;
}

bool
risk_parse_milli(struct rcm_str s, int32_t *out)
{
    s = rcm_str_trim(s);
    size_t i = 0;
    bool neg = false;
    if (i < s.n && s.p[i] == '-') {
        neg = true;
        i++;
    }
    int64_t v = 0;
    size_t int_digits = 0;
    for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++, int_digits++) {
        v = v * 10 + (s.p[i] - '0');
        if (v > 1000000)
            return false;
    }
    int frac = 0, scale = 1000;
    size_t frac_digits = 0;
    if (i < s.n && s.p[i] == '.') {
        i++;
        for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++, frac_digits++) {
            if (frac_digits >= 3) {
                if (s.p[i] != '0')   /* more than 3 significant decimals */
                    return false;
                continue;
            }
            scale /= 10;
            frac += (s.p[i] - '0') * scale;
        }
        if (frac_digits == 0)
            return false;
    }
    if (i != s.n || int_digits == 0)
        return false;
    v = v * 1000 + frac;
    *out = (int32_t)(neg ? -v : v);
    return true;
}

/* ---- file helpers --------------------------------------------------- */

struct text {
    char *data;
    size_t len;
    const char *path;   /* for messages */
};

static enum rcm_err
read_file(const char *path, struct text *t, struct rcm_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open %s: %s", path,
                             strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = rcm_malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        if (len == cap) {
            if (cap >= TABLE_MAX_BYTES) {
                rcm_free(buf);
                fclose(f);
                return rcm_diag_fail(diag, RCM_E_TOO_LARGE,
                                     "%s is larger than %u bytes", path,
                                     TABLE_MAX_BYTES);
            }
            char *nb = rcm_realloc(buf, cap * 2 + 1);
            if (!nb) {
                rcm_free(buf);
                fclose(f);
                return rcm_diag_fail(diag, RCM_E_NOMEM,
                                     "out of memory reading %s", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err) {
        rcm_free(buf);
        return rcm_diag_fail(diag, RCM_E_IO, "cannot read %s", path);
    }
    buf[len] = '\0';
    t->data = buf;
    t->len = len;
    t->path = path;
    return RCM_OK;
}

/* Next non-comment, non-blank line (CR stripped); false at the end. */
static bool
next_line(struct rcm_str *rest, struct rcm_str *line, long *lineno)
{
    struct rcm_str l;
    while (rest->p && rcm_str_split_next(rest, '\n', &l)) {
        (*lineno)++;
        if (l.n && l.p[l.n - 1] == '\r')
            l.n--;
        struct rcm_str t = rcm_str_trim(l);
        if (t.n == 0 || t.p[0] == '#')
            continue;
        *line = l;
        return true;
    }
    return false;
}

/* Split on tabs or spaces (runs count as one) into at most max fields. */
static int
split_ws(struct rcm_str line, struct rcm_str *f, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < line.n) {
        while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
            i++;
        if (i >= line.n)
            break;
        size_t start = i;
        while (i < line.n && line.p[i] != ' ' && line.p[i] != '\t')
            i++;
        if (n == max)
            return max + 1;
        f[n++] = (struct rcm_str){line.p + start, i - start};
    }
    return n;
}

/* Split on tabs only (labels contain spaces). */
static int
split_tab(struct rcm_str line, struct rcm_str *f, int max)
{
    int n = 0;
    struct rcm_str rest = line, tok;
    while (rcm_str_split_next(&rest, '\t', &tok)) {
        if (n == max)
            return max + 1;
        f[n++] = tok;
    }
    return n;
}

static bool
parse_int(struct rcm_str s, long lo, long hi, int *out)
{
    int64_t v;
    if (rcm_str_to_i64(rcm_str_trim(s), &v) != RCM_OK || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static void
bit_set(uint64_t *set, int n)
{
    set[n >> 6] |= 1ull << (n & 63);
}

static char *
join_path(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + (c ? strlen(c) + 1 : 0) + 2;
    char *p = rcm_malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
    return p;
}

#define FAIL_LINE(code, ...)                                                  \
    do {                                                                      \
        err = rcm_diag_fail_at(diag, (code), -1, lineno, __VA_ARGS__);       \
        goto out;                                                             \
    } while (0)

/* ---- model structure ------------------------------------------------ */

static int
find_group(const struct risk_structure *s, struct rcm_str name)
{
    for (int i = 0; i < s->n_groups; i++)
        if (rcm_str_eq_c(name, s->groups[i].name))
            return i;
    return -1;
}

/* Term of an interaction: DISABL, a group, or HCCn (an implicit group). */
static int
resolve_term(struct risk_structure *s, struct rcm_str name)
{
    if (rcm_str_eq_c(name, "DISABL"))
        return RISK_TERM_DISABL;
    int g = find_group(s, name);
    if (g >= 0)
        return g;
    int hcc;
    if (name.n > 3 && memcmp(name.p, "HCC", 3) == 0 &&
        parse_int((struct rcm_str){name.p + 3, name.n - 3}, 1,
                  RCM_RISK_CC_MAX - 1, &hcc) &&
        rcm_risk_bit(s->payment, hcc)) {
        if (s->n_groups == RISK_MAX_GROUPS)
            return -1;
        struct risk_group *gr = &s->groups[s->n_groups];
        memset(gr, 0, sizeof *gr);
        if (!rcm_str_copy(gr->name, sizeof gr->name, name))
            return -1;
        bit_set(gr->mask, hcc);
        return s->n_groups++;
    }
    return -1;
}

static enum rcm_err
load_labels(struct risk_structure *s, const char *path, struct rcm_diag *diag)
{
    struct text t;
    enum rcm_err err = read_file(path, &t, diag);
    if (err)
        return err;
    struct rcm_str rest = {t.data, t.len}, line, f[3];
    long lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        int cc;
        if (split_tab(line, f, 2) != 2 || !parse_int(f[0], 1, RCM_RISK_CC_MAX - 1, &cc))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected HCC number <TAB> label", path, lineno);
        if (rcm_risk_bit(s->payment, cc))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: HCC %d listed twice", path, lineno, cc);
        bit_set(s->payment, cc);
        s->labels[cc] = rcm_strndup(f[1].p, f[1].n);
        if (!s->labels[cc])
            FAIL_LINE(RCM_E_NOMEM, "out of memory");
    }
out:
    rcm_free(t.data);
    return err;
}

static enum rcm_err
load_hierarchy(struct risk_structure *s, const char *path, struct rcm_diag *diag)
{
    struct text t;
    enum rcm_err err = read_file(path, &t, diag);
    if (err)
        return err;
    struct rcm_str rest = {t.data, t.len}, line, f[3];
    long lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        int parent;
        if (split_tab(line, f, 2) != 2 ||
            !parse_int(f[0], 1, RCM_RISK_CC_MAX - 1, &parent))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected parent <TAB> children", path, lineno);
        if (s->n_hier == RISK_MAX_HIER)
            FAIL_LINE(RCM_E_TOO_LARGE, "%s:%ld: more than %d rules", path, lineno,
                      RISK_MAX_HIER);
        struct risk_hier *h = &s->hier[s->n_hier++];
        memset(h, 0, sizeof *h);
        h->parent = parent;
        struct rcm_str kids = f[1], kid;
        while (rcm_str_split_next(&kids, ',', &kid)) {
            int c;
            if (!parse_int(kid, 1, RCM_RISK_CC_MAX - 1, &c))
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: bad child HCC", path, lineno);
            bit_set(h->children, c);
        }
    }
out:
    rcm_free(t.data);
    return err;
}

/* Resolve SEG_VAR to a slot of the segment's coefficients. */
static bool
set_coef(struct risk_structure *s, struct rcm_str name, int32_t v)
{
    int seg = -1;
    size_t us = 0;
    while (us < name.n && name.p[us] != '_')
        us++;
    for (int i = 0; i < RCM_RISK_SEGMENT_COUNT; i++)
        if (rcm_str_eq_c((struct rcm_str){name.p, us}, segment_names[i]))
            seg = i;
    if (seg < 0 || us + 1 >= name.n)
        return false;
    struct risk_seg_coef *c = &s->seg[seg];
    struct rcm_str var = {name.p + us + 1, name.n - us - 1};
    int n;
    if (var.n > 3 && memcmp(var.p, "HCC", 3) == 0 &&
        parse_int((struct rcm_str){var.p + 3, var.n - 3}, 1, RCM_RISK_CC_MAX - 1, &n)) {
        if (!rcm_risk_bit(s->payment, n))
            return false;
        c->hcc[n] = v;
        bit_set(c->hcc_has, n);
        return true;
    }
    for (int i = 0; i < RISK_CELLS; i++)
        if (rcm_str_eq_c(var, cell_names[i])) {
            c->cell[i] = v;
            c->cell_has |= 1u << i;
            return true;
        }
    for (int k = 0; k < RISK_NE_KINDS; k++) {
        size_t kl = strlen(ne_kinds[k]);
        if (var.n <= kl + 3 || memcmp(var.p, ne_kinds[k], kl) != 0 ||
            memcmp(var.p + kl, "NE", 2) != 0)
            continue;
        char sex = var.p[kl + 2];
        struct rcm_str band = {var.p + kl + 3, var.n - kl - 3};
        if (sex != 'F' && sex != 'M')
            return false;
        for (int b = 0; b < 16; b++)
            if (rcm_str_eq_c(band, ne_bands[b])) {
                int cell = (sex == 'M' ? 16 : 0) + b;
                c->ne[k][cell] = v;
                c->ne_has[k] |= 1u << cell;
                return true;
            }
        return false;
    }
    if (rcm_str_eq_c(var, "OriginallyDisabled_Female")) {
        c->origdis_female = v;
        c->has_origdis_female = true;
        return true;
    }
    if (rcm_str_eq_c(var, "OriginallyDisabled_Male")) {
        c->origdis_male = v;
        c->has_origdis_male = true;
        return true;
    }
    if (rcm_str_eq_c(var, "LTIMCAID")) {
        c->ltimcaid = v;
        c->has_ltimcaid = true;
        return true;
    }
    if (rcm_str_eq_c(var, "ORIGDS")) {
        c->origds = v;
        c->has_origds = true;
        return true;
    }
    if (var.n >= 2 && var.p[0] == 'D') {
        if (rcm_str_eq_c(var, "D10P")) {
            c->count[10] = v;
            c->count_has |= 1u << 10;
            return true;
        }
        if (var.n == 2 && var.p[1] >= '1' && var.p[1] <= '9') {
            n = var.p[1] - '0';
            c->count[n] = v;
            c->count_has |= 1u << n;
            return true;
        }
    }
    for (int i = 0; i < s->n_inter; i++)
        if (rcm_str_eq_c(var, s->inter[i].name)) {
            c->inter[i] = v;
            c->inter_has |= 1ull << i;
            return true;
        }
    return false;
}

static enum rcm_err
load_coefficients(struct risk_structure *s, const char *path,
                  struct rcm_diag *diag)
{
    struct text t;
    enum rcm_err err = read_file(path, &t, diag);
    if (err)
        return err;
    struct rcm_str rest = {t.data, t.len}, line, f[3];
    long lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        int32_t v;
        if (split_tab(line, f, 2) != 2 || !risk_parse_milli(f[1], &v))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected NAME <TAB> value with at most 3 decimals",
                      path, lineno);
        if (!set_coef(s, rcm_str_trim(f[0]), v))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: unknown variable %.*s", path, lineno,
                      (int)(f[0].n > 64 ? 64 : f[0].n), f[0].p);
    }
out:
    rcm_free(t.data);
    return err;
}

/* Lookup tables the scorer uses instead of scanning groups and rules. */
static void
derive(struct risk_structure *s)
{
    memset(s->cc_groups, 0, sizeof s->cc_groups);
    for (int g = 0; g < s->n_groups; g++)
        for (int c = 1; c < RCM_RISK_CC_MAX; c++)
            if (rcm_risk_bit(s->groups[g].mask, c))
                s->cc_groups[c] |= 1ull << g;
    memset(s->parent_mask, 0, sizeof s->parent_mask);
    for (int c = 0; c < RCM_RISK_CC_MAX; c++)
        s->rule_of_parent[c] = -1;
    s->one_rule_per_parent = true;
    for (int i = 0; i < s->n_hier; i++) {
        int p = s->hier[i].parent;
        if (s->rule_of_parent[p] >= 0)
            s->one_rule_per_parent = false;
        else
            s->rule_of_parent[p] = (int16_t)i;
        bit_set(s->parent_mask, p);
    }
}

static enum rcm_err
load_structure(struct risk_structure *s, const char *dir, struct rcm_diag *diag)
{
    char *path = join_path(dir, "model.txt", NULL);
    if (!path)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
    struct text t = {0};
    enum rcm_err err = read_file(path, &t, diag);
    if (err) {
        rcm_free(path);
        return err;
    }
    char *labels = NULL, *hier = NULL, *coef = NULL, *sub = NULL;
    struct rcm_str rest = {t.data, t.len}, line, f[40];
    long lineno = 0;
    /* First pass: file names and labels, so later directives can check HCCs. */
    while (next_line(&rest, &line, &lineno)) {
        int n = split_ws(line, f, 39);
        char **slot = NULL;
        if (rcm_str_eq_c(f[0], "labels"))
            slot = &labels;
        else if (rcm_str_eq_c(f[0], "hierarchy"))
            slot = &hier;
        else if (rcm_str_eq_c(f[0], "coefficients"))
            slot = &coef;
        if (!slot)
            continue;
        if (n != 2 || memchr(f[1].p, '/', f[1].n))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected '%.*s FILE' (a file in the model directory)",
                      path, lineno, (int)f[0].n, f[0].p);
        rcm_free(*slot);
        *slot = rcm_strndup(f[1].p, f[1].n);
        if (!*slot)
            FAIL_LINE(RCM_E_NOMEM, "out of memory");
    }
    if (!labels || !hier || !coef)
        FAIL_LINE(RCM_E_PARSE, "%s: labels, hierarchy and coefficients are required", path);
    sub = join_path(dir, labels, NULL);
    if (!sub || (err = load_labels(s, sub, diag)) != RCM_OK)
        goto out_nomem_or_err;
    rcm_free(sub);
    sub = join_path(dir, hier, NULL);
    if (!sub || (err = load_hierarchy(s, sub, diag)) != RCM_OK)
        goto out_nomem_or_err;
    rcm_free(sub);
    sub = NULL;

    rest = (struct rcm_str){t.data, t.len};
    lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        int n = split_ws(line, f, 39);
        if (n > 39)
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: too many fields", path, lineno);
        if (rcm_str_eq_c(f[0], "labels") || rcm_str_eq_c(f[0], "hierarchy") ||
            rcm_str_eq_c(f[0], "coefficients")) {
            continue;
        } else if (rcm_str_eq_c(f[0], "option")) {
            if (n == 2 && rcm_str_eq_c(f[1], "age64_orec0_is_65"))
                s->age64_orec0_is_65 = true;
            else
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: unknown option", path, lineno);
        } else if (rcm_str_eq_c(f[0], "require")) {
            if (n < 3 || s->n_require == RISK_MAX_REQUIRE)
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected 'require CC CC...'", path, lineno);
            struct risk_require *r = &s->require[s->n_require++];
            memset(r, 0, sizeof *r);
            if (!parse_int(f[1], 1, RCM_RISK_CC_MAX - 1, &r->cc))
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: bad CC", path, lineno);
            for (int i = 2; i < n; i++) {
                int c;
                if (!parse_int(f[i], 1, RCM_RISK_CC_MAX - 1, &c))
                    FAIL_LINE(RCM_E_PARSE, "%s:%ld: bad CC", path, lineno);
                bit_set(r->any, c);
            }
        } else if (rcm_str_eq_c(f[0], "group")) {
            if (n < 3 || s->n_groups == RISK_MAX_GROUPS || find_group(s, f[1]) >= 0)
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected 'group NAME HCC...' with a new name",
                          path, lineno);
            struct risk_group *g = &s->groups[s->n_groups];
            memset(g, 0, sizeof *g);
            if (!rcm_str_copy(g->name, sizeof g->name, f[1]))
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: name too long", path, lineno);
            for (int i = 2; i < n; i++) {
                int c;
                if (!parse_int(f[i], 1, RCM_RISK_CC_MAX - 1, &c) ||
                    !rcm_risk_bit(s->payment, c))
                    FAIL_LINE(RCM_E_PARSE, "%s:%ld: not a payment HCC", path, lineno);
                bit_set(g->mask, c);
            }
            s->n_groups++;
        } else if (rcm_str_eq_c(f[0], "interaction")) {
            if (n != 4 || s->n_inter == RISK_MAX_INTER)
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected 'interaction NAME TERM TERM'",
                          path, lineno);
            struct risk_inter *x = &s->inter[s->n_inter];
            memset(x, 0, sizeof *x);
            if (!rcm_str_copy(x->name, sizeof x->name, f[1]))
                FAIL_LINE(RCM_E_PARSE, "%s:%ld: name too long", path, lineno);
            for (int i = 2; i < 4; i++) {
                int term = resolve_term(s, f[i]);
                if (term < 0)
                    FAIL_LINE(RCM_E_PARSE, "%s:%ld: unknown term %.*s", path, lineno,
                              (int)(f[i].n > 48 ? 48 : f[i].n), f[i].p);
                x->terms |= 1ull << term;
            }
            s->n_inter++;
        } else {
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: unknown directive %.*s", path, lineno,
                      (int)(f[0].n > 32 ? 32 : f[0].n), f[0].p);
        }
    }
    sub = join_path(dir, coef, NULL);
    if (!sub || (err = load_coefficients(s, sub, diag)) != RCM_OK)
        goto out_nomem_or_err;
    derive(s);
    s->loaded = true;
    goto out;
out_nomem_or_err:
    if (!sub)
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
out:
    rcm_free(sub);
    rcm_free(labels);
    rcm_free(hier);
    rcm_free(coef);
    rcm_free(t.data);
    rcm_free(path);
    return err;
}

/* ---- one payment year ------------------------------------------------ */

static enum rcm_err
load_edits(struct rcm_risk_model *m, const char *path, uint64_t **codes_out,
           struct rcm_diag *diag)
{
    struct text t;
    enum rcm_err err = read_file(path, &t, diag);
    if (err)
        return err;
    size_t cap = 0;
    struct rcm_str rest = {t.data, t.len}, line, f[6];
    long lineno = 0;
    while (next_line(&rest, &line, &lineno))
        cap++;
    m->edits = rcm_calloc(cap ? cap : 1, sizeof *m->edits);
    *codes_out = rcm_calloc(cap ? cap : 1, sizeof **codes_out);
    if (!m->edits || !*codes_out)
        FAIL_LINE(RCM_E_NOMEM, "out of memory");
    rest = (struct rcm_str){t.data, t.len};
    lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        struct risk_edit *e = &m->edits[m->n_edits];
        int lo, hi, cc = 0;
        uint64_t code;
        if (split_tab(line, f, 5) != 5 || !rcm_risk_dx_pack(f[0], &code) ||
            !parse_int(f[2], 0, 999, &lo) || !parse_int(f[3], 0, 999, &hi) ||
            !(rcm_str_eq_c(f[4], "invalid") ||
              parse_int(f[4], 1, RCM_RISK_CC_MAX - 1, &cc)))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected dx, sex, age_min, age_max, CC|invalid",
                      path, lineno);
        if (rcm_str_eq_c(f[1], "*"))
            e->sex = 0;
        else if (rcm_str_eq_c(f[1], "1") || rcm_str_eq_c(f[1], "2"))
            e->sex = (uint8_t)(f[1].p[0] - '0');
        else
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: sex must be 1, 2 or *", path, lineno);
        e->age_min = (int16_t)lo;
        e->age_max = (int16_t)hi;
        e->cc = (int16_t)cc;
        (*codes_out)[m->n_edits++] = code;
    }
out:
    rcm_free(t.data);
    return err;
}

struct edit_order {
    uint64_t code;
    size_t index;
};

static int
cmp_edit_order(const void *a, const void *b)
{
    const struct edit_order *x = a, *y = b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static struct risk_dx_entry *
slot_for(struct rcm_risk_model *m, uint64_t code)
{
    uint64_t i = (code * 0x9E3779B97F4A7C15ull) >> m->hash_shift;
    while (m->slots[i].code != 0 && m->slots[i].code != code)
        i = (i + 1) & m->slot_mask;
    return &m->slots[i];
}

static enum rcm_err
load_year(struct rcm_risk_model *m, const char *dir, const char *dx_file,
          const char *edit_file, struct rcm_diag *diag)
{
    char *path = join_path(dir, dx_file, NULL);
    char *epath = join_path(dir, edit_file, NULL);
    uint64_t *edit_codes = NULL;
    struct text t = {0};
    enum rcm_err err;
    if (!path || !epath) {
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
        goto out;
    }
    if ((err = load_edits(m, epath, &edit_codes, diag)) != RCM_OK)
        goto out;
    if ((err = read_file(path, &t, diag)) != RCM_OK)
        goto out;
    size_t rows = 0;
    for (size_t i = 0; i < t.len; i++)
        rows += t.data[i] == '\n';
    size_t slots = 1024;
    int bits = 10;
    while (slots < (rows + m->n_edits) * 2 + 16) {
        slots *= 2;
        bits++;
    }
    m->slots = rcm_calloc(slots, sizeof *m->slots);
    if (!m->slots) {
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
        goto out;
    }
    m->slot_mask = slots - 1;
    m->hash_shift = 64 - bits;

    struct rcm_str rest = {t.data, t.len}, line, f[4];
    long lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        uint64_t code;
        int cc;
        if (split_tab(line, f, 3) != 2 || !rcm_risk_dx_pack(f[0], &code) ||
            !parse_int(f[1], 1, RCM_RISK_CC_MAX - 1, &cc))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: expected ICD-10-CM <TAB> CC", path, lineno);
        if (!rcm_risk_bit(m->s->payment, cc))
            continue;   /* CCs outside the payment list are ignored, as in the SAS */
        struct risk_dx_entry *e = slot_for(m, code);
        if (e->code == 0) {
            e->code = code;
            m->n_codes++;
        }
        bool dup = false;
        for (int i = 0; i < e->n_cc; i++)
            dup |= e->cc[i] == cc;
        if (dup)
            continue;
        if (e->n_cc == 3)
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: more than 3 CCs for one code", path, lineno);
        e->cc[e->n_cc++] = (uint16_t)cc;
    }
    /* Edits: group the rows of one code, keeping file order (first match wins). */
    if (m->n_edits > 1) {
        struct edit_order *ord = rcm_calloc(m->n_edits, sizeof *ord);
        struct risk_edit *sorted = rcm_calloc(m->n_edits, sizeof *sorted);
        if (!ord || !sorted) {
            rcm_free(ord);
            rcm_free(sorted);
            FAIL_LINE(RCM_E_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < m->n_edits; i++)
            ord[i] = (struct edit_order){edit_codes[i], i};
        qsort(ord, m->n_edits, sizeof *ord, cmp_edit_order);
        for (size_t i = 0; i < m->n_edits; i++) {
            sorted[i] = m->edits[ord[i].index];
            edit_codes[i] = ord[i].code;
        }
        rcm_free(ord);
        rcm_free(m->edits);
        m->edits = sorted;
    }
    for (size_t i = 0; i < m->n_edits; i++) {
        struct risk_dx_entry *e = slot_for(m, edit_codes[i]);
        if (e->code == 0)
            e->code = edit_codes[i];   /* an edit may give a CC to an unmapped code */
        if (e->n_edit == 0)
            e->edit_first = (uint32_t)i;
        if (e->n_edit == UINT8_MAX)
            FAIL_LINE(RCM_E_PARSE, "%s: too many rows for one code", epath);
        e->n_edit++;
        if (m->edits[i].cc && !rcm_risk_bit(m->s->payment, m->edits[i].cc))
            FAIL_LINE(RCM_E_PARSE, "%s: edit to CC %d, not a payment HCC", epath,
                      m->edits[i].cc);
    }
out:
    rcm_free(edit_codes);
    rcm_free(t.data);
    rcm_free(path);
    rcm_free(epath);
    return err;
}

static void
tables_release_model(struct rcm_risk_model *m)
{
    rcm_free(m->slots);
    rcm_free(m->edits);
    m->slots = NULL;
    m->edits = NULL;
}

void
rcm_risk_tables_free(struct rcm_risk_tables *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_models; i++)
        tables_release_model(&t->models[i]);
    for (int i = 0; i < t->n_structures; i++) {
        for (int c = 0; c < RCM_RISK_CC_MAX; c++)
            rcm_free(t->structure[i]->labels[c]);
        rcm_free(t->structure[i]);
    }
    rcm_free(t);
}

enum rcm_err
rcm_risk_tables_load(const char *data_dir, struct rcm_risk_tables **out,
                     struct rcm_diag *diag)
{
    *out = NULL;
    char *root = join_path(data_dir, "cms-hcc", NULL);
    char *path = root ? join_path(root, "models.tsv", NULL) : NULL;
    struct rcm_risk_tables *t = rcm_calloc(1, sizeof *t);
    struct text txt = {0};
    char *dir = NULL;
    enum rcm_err err;
    if (!root || !path || !t) {
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
        goto out;
    }
    if ((err = read_file(path, &txt, diag)) != RCM_OK)
        goto out;
    struct rcm_str rest = {txt.data, txt.len}, line, f[10];
    long lineno = 0;
    while (next_line(&rest, &line, &lineno)) {
        enum rcm_risk_model_id id;
        int year, blend;
        int32_t nf = 0, ma, blend_milli;
        char dxf[128], edf[128], sub[64];
        if (split_tab(line, f, 8) != 8 || !rcm_risk_model_parse(f[0], &id) ||
            !parse_int(f[1], 1990, 2100, &year) ||
            !rcm_str_copy(sub, sizeof sub, rcm_str_trim(f[2])) ||
            !rcm_str_copy(dxf, sizeof dxf, rcm_str_trim(f[3])) ||
            !rcm_str_copy(edf, sizeof edf, rcm_str_trim(f[4])) ||
            !(rcm_str_eq_c(rcm_str_trim(f[5]), "-") || risk_parse_milli(f[5], &nf)) ||
            !risk_parse_milli(f[6], &ma) || !risk_parse_milli(f[7], &blend_milli) ||
            blend_milli % 10 != 0 || blend_milli < 0 || blend_milli > 1000 ||
            strchr(sub, '/') || strchr(dxf, '/') || strchr(edf, '/'))
            FAIL_LINE(RCM_E_PARSE,
                      "%s:%ld: expected model, payment_year, model_dir, dx_map, edits, "
                      "normalization_factor (or -), ma_coding_adjustment, blend_weight",
                      path, lineno);
        blend = blend_milli / 10;
        if (nf < 0 || (nf == 0 && !rcm_str_eq_c(rcm_str_trim(f[5]), "-")) || ma < 0 ||
            ma >= 1000)
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: factor out of range", path, lineno);
        if (rcm_risk_model_get(t, id, year))
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: %s %d listed twice", path, lineno,
                      model_names[id], year);
        if (t->n_models == RISK_MAX_YEARS)
            FAIL_LINE(RCM_E_TOO_LARGE, "%s:%ld: too many rows", path, lineno);
        rcm_free(dir);
        dir = join_path(root, sub, NULL);
        if (!dir)
            FAIL_LINE(RCM_E_NOMEM, "out of memory");
        struct risk_structure *st = NULL;
        for (int i = 0; i < t->n_structures; i++)
            if (strcmp(t->structure[i]->dir, sub) == 0)
                st = t->structure[i];
        if (st && st->id != id)
            FAIL_LINE(RCM_E_PARSE, "%s:%ld: directory %s used for two models", path, lineno, sub);
        if (!st) {
            st = rcm_calloc(1, sizeof *st);
            if (!st)
                FAIL_LINE(RCM_E_NOMEM, "out of memory");
            t->structure[t->n_structures++] = st;
            st->id = id;
            memcpy(st->dir, sub, sizeof st->dir);
            if ((err = load_structure(st, dir, diag)) != RCM_OK)
                goto out;
        }
        struct rcm_risk_model *m = &t->models[t->n_models++];
        m->s = st;
        m->year = year;
        m->nf_milli = nf;
        m->ma_milli = ma;
        m->blend_pct = blend;
        if ((err = load_year(m, dir, dxf, edf, diag)) != RCM_OK)
            goto out;
    }
    if (t->n_models == 0)
        FAIL_LINE(RCM_E_PARSE, "%s: no models", path);
out:
    rcm_free(dir);
    rcm_free(txt.data);
    rcm_free(path);
    rcm_free(root);
    if (err)
        rcm_risk_tables_free(t);
    else
        *out = t;
    return err;
}

const struct rcm_risk_model *
rcm_risk_model_get(const struct rcm_risk_tables *t, enum rcm_risk_model_id model,
                   int payment_year)
{
    for (int i = 0; i < t->n_models; i++)
        if (t->models[i].s->id == model && t->models[i].year == payment_year)
            return &t->models[i];
    return NULL;
}

enum rcm_risk_model_id
rcm_risk_model_id(const struct rcm_risk_model *m)
{
    return m->s->id;
}

int
rcm_risk_model_year(const struct rcm_risk_model *m)
{
    return m->year;
}

int
rcm_risk_model_blend_pct(const struct rcm_risk_model *m)
{
    return m->blend_pct;
}

const char *
rcm_risk_hcc_label(const struct rcm_risk_model *m, int hcc)
{
    if (hcc <= 0 || hcc >= RCM_RISK_CC_MAX)
        return NULL;
    return m->s->labels[hcc];
}
