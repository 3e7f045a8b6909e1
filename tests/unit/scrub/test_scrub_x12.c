/*
 * test_scrub_x12.c — the 837 → struct rcm_claim mapper (scrub_from_x12.c).
 *
 * - tests/golden/scrub/x12/<name>.837 and <name>.json hold the same claims
 *   (837P and 837I, clean and with findings): both readers must produce
 *   field-for-field equal claims and the scrubber identical findings;
 * - specific fields of the mapping (patient loop, 2310/2420 providers,
 *   pointers, RD8 dates, POA, attending vs rendering), and that nothing of
 *   one claim leaks into the next;
 * - streaming: the same claims whatever the input split;
 * - limits: line 1000 and diagnosis 26 are dropped and counted;
 * - a syntactically invalid 837 and a non-837 interchange are refused by
 *   the whole-buffer reader with codes and positions, never values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm_test.h"

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"
#include "rcm/x12.h"

#define GOLDEN RCM_TEST_SOURCE_DIR "/tests/golden/scrub"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void
str_eq(const char *a, const char *b, const char *what)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        fail_msg("%s differs: 837 '%s' vs JSON '%s'", what, a ? a : "(null)",
                 b ? b : "(null)");
}

static void
addr_eq(const struct rcm_claim_address *a, const struct rcm_claim_address *b, const char *w)
{
    char f[64];
    snprintf(f, sizeof f, "%s.line1", w);
    str_eq(a->line1, b->line1, f);
    snprintf(f, sizeof f, "%s.line2", w);
    str_eq(a->line2, b->line2, f);
    snprintf(f, sizeof f, "%s.city", w);
    str_eq(a->city, b->city, f);
    snprintf(f, sizeof f, "%s.state", w);
    str_eq(a->state, b->state, f);
    snprintf(f, sizeof f, "%s.zip", w);
    str_eq(a->zip, b->zip, f);
}

static void
prov_eq(const struct rcm_claim_provider *a, const struct rcm_claim_provider *b, const char *w)
{
    if (a->present != b->present)
        fail_msg("%s.present differs", w);
    if (!a->present)
        return;
    assert_int_equal(a->organization, b->organization);
    str_eq(a->last_or_org, b->last_or_org, w);
    str_eq(a->first, b->first, w);
    str_eq(a->npi, b->npi, w);
    str_eq(a->taxonomy, b->taxonomy, w);
    str_eq(a->tin, b->tin, w);
    assert_int_equal(a->tin_kind, b->tin_kind);
    addr_eq(&a->addr, &b->addr, w);
}

static void
person_eq(const struct rcm_claim_person *a, const struct rcm_claim_person *b, const char *w)
{
    if (a->present != b->present)
        fail_msg("%s.present differs", w);
    if (!a->present)
        return;
    str_eq(a->last, b->last, w);
    str_eq(a->first, b->first, w);
    str_eq(a->member_id, b->member_id, w);
    assert_int_equal(a->birth_date, b->birth_date);
    assert_int_equal(a->sex, b->sex);
    addr_eq(&a->addr, &b->addr, w);
}

/* Every field of struct rcm_claim the 837 carries. */
static void
claim_eq(const struct rcm_claim *a, const struct rcm_claim *b)
{
    assert_int_equal(a->kind, b->kind);
    str_eq(a->id, b->id, "id");
    assert_int_equal(a->total_charge_cents, b->total_charge_cents);
    str_eq(a->facility_code, b->facility_code, "facility_code");
    assert_int_equal(a->frequency, b->frequency);
    str_eq(a->original_ref, b->original_ref, "original_ref");
    str_eq(a->relationship, b->relationship, "relationship");
    assert_int_equal(a->statement_from, b->statement_from);
    assert_int_equal(a->statement_to, b->statement_to);
    assert_int_equal(a->received_date, b->received_date);
    str_eq(a->payer.id, b->payer.id, "payer.id");
    str_eq(a->payer.name, b->payer.name, "payer.name");
    str_eq(a->payer.filing_indicator, b->payer.filing_indicator, "payer.filing_indicator");
    assert_int_equal(a->payer.sequence, b->payer.sequence);
    str_eq(a->payer.insurance_type, b->payer.insurance_type, "payer.insurance_type");
    assert_int_equal(a->payer.self_pay, b->payer.self_pay);
    person_eq(&a->subscriber, &b->subscriber, "subscriber");
    person_eq(&a->patient, &b->patient, "patient");
    prov_eq(&a->billing, &b->billing, "billing");
    prov_eq(&a->rendering, &b->rendering, "rendering");
    prov_eq(&a->referring, &b->referring, "referring");
    prov_eq(&a->facility, &b->facility, "facility");
    assert_int_equal(a->n_dx, b->n_dx);
    for (size_t i = 0; i < a->n_dx; i++) {
        str_eq(a->dx[i].code, b->dx[i].code, "dx");
        assert_int_equal(a->dx[i].poa, b->dx[i].poa);
    }
    assert_int_equal(a->n_lines, b->n_lines);
    for (size_t i = 0; i < a->n_lines; i++) {
        const struct rcm_claim_line *x = &a->lines[i], *y = &b->lines[i];
        assert_int_equal(x->number, y->number);
        str_eq(x->procedure, y->procedure, "procedure");
        assert_int_equal(x->n_modifiers, y->n_modifiers);
        for (size_t k = 0; k < x->n_modifiers; k++)
            str_eq(x->modifiers[k], y->modifiers[k], "modifier");
        str_eq(x->revenue_code, y->revenue_code, "revenue_code");
        assert_int_equal(x->charge_cents, y->charge_cents);
        assert_int_equal(x->units_milli, y->units_milli);
        str_eq(x->pos, y->pos, "pos");
        assert_int_equal(x->from_date, y->from_date);
        assert_int_equal(x->to_date, y->to_date);
        assert_int_equal(x->n_dx_pointers, y->n_dx_pointers);
        for (size_t k = 0; k < x->n_dx_pointers; k++)
            assert_int_equal(x->dx_pointers[k], y->dx_pointers[k]);
        assert_int_equal(x->self_pay_restricted, y->self_pay_restricted);
        str_eq(x->rendering_npi, y->rendering_npi, "rendering_npi");
    }
}

static struct rcm_codes *codes;
static struct rcm_ncci *ncci;
static struct rcm_payer_rules *rules;

static int
setup(void **state)
{
    (void)state;
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_ncci_stats st;
    if (rcm_codes_open(RCM_TEST_BINARY_DIR "/codes/openrcm-codes.idx", &codes, &diag) ||
        rcm_codes_ncci_load(GOLDEN "/ncci", 0, &ncci, &st, &diag) ||
        rcm_payer_rules_load(RCM_TEST_SOURCE_DIR "/data/payer-rules", &rules, &diag)) {
        fprintf(stderr, "setup: %s\n", diag.msg);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    rcm_codes_close(codes);
    rcm_codes_ncci_free(ncci);
    rcm_payer_rules_free(rules);
    return 0;
}

/* Read <name>.837 and <name>.json; *x and *j are in `arena`. */
static void
read_twins(const char *name, struct rcm_arena *arena, struct rcm_claim **x, size_t *nx,
           struct rcm_claim **j, size_t *nj)
{
    char path[512];
    size_t len;
    struct rcm_diag diag = RCM_DIAG_INIT;
    snprintf(path, sizeof path, GOLDEN "/x12/%s.837", name);
    char *p = slurp(path, &len);
    enum rcm_err err = rcm_claim_x12_read(p, len, arena, x, nx, &diag);
    if (err)
        fail_msg("%s.837: %s", name, diag.msg);
    free(p);
    snprintf(path, sizeof path, GOLDEN "/x12/%s.json", name);
    p = slurp(path, &len);
    err = rcm_claim_json_read(p, len, arena, j, nj, &diag);
    if (err)
        fail_msg("%s.json: %s", name, diag.msg);
    free(p);
}

/* Scrub one claim; returns the findings JSON and the edit ids joined. */
static json_t *
scrub(const struct rcm_claim *c, char *ids, size_t ids_size)
{
    struct rcm_scrub_ref ref = {codes, ncci, rules};
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 64);
    assert_int_equal(rcm_scrub_claim(&ref, c, rcm_date_from_ymd(2026, 4, 1), NULL, &res),
                     RCM_OK);
    ids[0] = '\0';
    for (size_t i = 0; i < res.n; i++) {
        strncat(ids, rcm_scrub_edit_info(res.findings[i].edit)->id,
                ids_size - strlen(ids) - 1);
        strncat(ids, " ", ids_size - strlen(ids) - 1);
    }
    json_t *out = rcm_scrub_result_json(&res);
    json_t *wrap = json_pack("{s:o, s:s}", "findings", out, "payer_rule", res.payer_rule);
    rcm_scrub_result_release(&res);
    assert_non_null(wrap);
    return wrap;
}

static void
twin(const char *name, size_t want_claims, const char *const *want_ids)
{
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 24, RCM_ARENA_WIPE);
    struct rcm_claim *x, *j;
    size_t nx, nj;
    read_twins(name, &arena, &x, &nx, &j, &nj);
    assert_int_equal(nx, want_claims);
    assert_int_equal(nj, want_claims);
    for (size_t i = 0; i < nx; i++) {
        claim_eq(&x[i], &j[i]);
        char ids_x[512], ids_j[512];
        json_t *fx = scrub(&x[i], ids_x, sizeof ids_x);
        json_t *fj = scrub(&j[i], ids_j, sizeof ids_j);
        if (!json_equal(fx, fj))
            fail_msg("%s claim %zu: findings differ: 837 [%s] JSON [%s]", name, i, ids_x,
                     ids_j);
        if (strcmp(ids_x, want_ids[i]) != 0)
            fail_msg("%s claim %zu: findings [%s], expected [%s]", name, i, ids_x,
                     want_ids[i]);
        json_decref(fx);
        json_decref(fj);
    }
    rcm_arena_release(&arena);
}

static void
test_twins_837p(void **state)
{
    (void)state;
    static const char *const clean[] = {""};
    twin("clean-837p", 1, clean);
    static const char *const findings[] = {
        "npi-check-digit dx-pointer mue-units ncci-ptp ",
        "npi-check-digit zip-format original-reference ",
    };
    twin("findings-837p", 2, findings);
}

static void
test_twins_837i(void **state)
{
    (void)state;
    static const char *const clean[] = {""};
    twin("clean-837i", 1, clean);
    static const char *const findings[] = {
        "original-reference date-span poa-indicator ",
        "npi-check-digit claim-total ",
    };
    twin("findings-837i", 2, findings);
}

static void
test_fields(void **state)
{
    (void)state;
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 24, RCM_ARENA_WIPE);
    struct rcm_claim *x, *j;
    size_t nx, nj;
    read_twins("findings-837p", &arena, &x, &nx, &j, &nj);
    const struct rcm_claim *c = &x[0];
    assert_int_equal(c->kind, RCM_CLAIM_PROFESSIONAL);
    assert_string_equal(c->relationship, "19");              /* PAT01, SBR02 empty */
    assert_true(c->patient.present);
    assert_int_equal(c->patient.birth_date, rcm_date_from_ymd(2010, 6, 15));
    assert_int_equal(c->patient.sex, 'M');
    assert_string_equal(c->referring.npi, "1122334455");     /* 2310A DN */
    assert_string_equal(c->rendering.taxonomy, "207Q00000X"); /* 2310B PRV */
    assert_string_equal(c->facility.addr.zip, "627015555");  /* 2310C N4 */
    assert_string_equal(c->billing.taxonomy, "207Q00000X");  /* 2000A PRV */
    assert_int_equal(c->billing.tin_kind, 'E');
    assert_int_equal(c->lines[0].units_milli, 2000);
    assert_string_equal(c->lines[0].pos, "11");
    assert_int_equal(c->lines[0].n_dx_pointers, 2);
    assert_int_equal(c->lines[0].dx_pointers[1], 3);
    assert_string_equal(c->lines[0].rendering_npi, "1245319598");   /* 2420A */
    assert_null(c->lines[1].rendering_npi);
    assert_int_equal(c->lines[1].to_date, rcm_date_from_ymd(2026, 3, 3));   /* RD8 */
    /* claim 2: new 2000A/2000B; nothing of claim 1 left over */
    c = &x[1];
    assert_false(c->patient.present);
    assert_false(c->referring.present);
    assert_false(c->rendering.present);
    assert_false(c->facility.present);
    assert_string_equal(c->relationship, "18");
    assert_string_equal(c->billing.last_or_org, "SECOND CLINIC");
    assert_string_equal(c->payer.insurance_type, "12");       /* SBR05 */
    assert_int_equal(c->payer.sequence, 'S');
    assert_int_equal(c->frequency, '7');
    assert_string_equal(c->lines[0].modifiers[0], "GT");
    rcm_arena_release(&arena);

    rcm_arena_init(&arena, 1u << 24, RCM_ARENA_WIPE);
    read_twins("findings-837i", &arena, &x, &nx, &j, &nj);
    c = &x[0];
    assert_int_equal(c->kind, RCM_CLAIM_INSTITUTIONAL);
    assert_string_equal(c->facility_code, "13");
    assert_int_equal(c->frequency, '8');
    assert_int_equal(c->statement_to, rcm_date_from_ymd(2026, 3, 3));
    assert_int_equal(c->dx[0].poa, 'Y');
    assert_int_equal(c->dx[1].poa, 0);
    assert_string_equal(c->rendering.last_or_org, "SMITH");   /* attending 2310A */
    assert_string_equal(c->lines[1].revenue_code, "0300");
    c = &x[1];
    assert_string_equal(c->rendering.last_or_org, "GREEN");   /* 2310D wins */
    assert_string_equal(c->referring.last_or_org, "JONES");   /* 2310F */
    assert_string_equal(c->facility.npi, "1987654328");       /* 2310E */
    assert_string_equal(c->lines[0].rendering_npi, "1245319598");  /* 2420C */
    assert_string_equal(c->lines[0].modifiers[0], "25");
    assert_int_equal(c->n_dx, 1);
    rcm_arena_release(&arena);
}

/* ---- streaming ---------------------------------------------------------- */

struct seen {
    char ids[8][40];
    size_t lines[8];
    size_t n;
};

static enum rcm_err
on_claim(void *ctx, const struct rcm_claim *c, const struct rcm_claim_x12_info *info)
{
    struct seen *s = ctx;
    assert_int_equal(info->claim_index, s->n);
    if (s->n < 8) {
        snprintf(s->ids[s->n], sizeof s->ids[0], "%s", c->id ? c->id : "");
        s->lines[s->n] = c->n_lines;
    }
    s->n++;
    return RCM_OK;
}

static void
mapper_segment(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *l)
{
    rcm_claim_x12_segment(ctx, seg, l);
}

/* Feed `p` in pieces of `step` bytes through reader, validator and mapper. */
static void
stream(const char *p, size_t len, size_t step, struct seen *s)
{
    struct rcm_claim_x12 *m;
    assert_int_equal(rcm_claim_x12_new(on_claim, s, &m), RCM_OK);
    struct rcm_x12_validate_opts opts = {0};
    opts.on_segment = mapper_segment;
    opts.ctx = m;
    struct rcm_x12_validator *v = rcm_x12_validator_new(&opts);
    assert_non_null(v);
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    size_t off = 0;
    size_t n = step < len ? step : len;
    rcm_x12_reader_feed(&r, p, n, n == len);
    off = n;
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_END)
            break;
        if (ev == RCM_X12_SEGMENT)
            assert_int_equal(rcm_x12_validator_segment(v, &seg), RCM_OK);
        else if (ev == RCM_X12_ERROR)
            assert_int_equal(rcm_x12_validator_read_error(v, &err), RCM_OK);
        else {
            n = len - off < step ? len - off : step;
            rcm_x12_reader_feed(&r, p + off, n, off + n == len);
            off += n;
        }
    }
    assert_int_equal(rcm_x12_validator_finish(v), RCM_OK);
    assert_int_equal(rcm_claim_x12_finish(m), RCM_OK);
    rcm_x12_validator_free(v);
    rcm_claim_x12_free(m);
    rcm_x12_reader_release(&r);
}

static void
test_stream_splits(void **state)
{
    (void)state;
    size_t len;
    char *p = slurp(GOLDEN "/x12/findings-837i.837", &len);
    struct seen whole = {0};
    stream(p, len, len, &whole);
    assert_int_equal(whole.n, 2);
    assert_string_equal(whole.ids[1], "PCN-I-0003");
    assert_int_equal(whole.lines[1], 2);
    static const size_t steps[] = {1, 2, 7, 64, 333};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct seen s = {0};
        stream(p, len, steps[i], &s);
        assert_int_equal(s.n, whole.n);
        for (size_t k = 0; k < s.n; k++) {
            assert_string_equal(s.ids[k], whole.ids[k]);
            assert_int_equal(s.lines[k], whole.lines[k]);
        }
    }
    free(p);
}

/* ---- limits ------------------------------------------------------------- */

struct last {
    size_t n_lines, n_dx;
    struct rcm_claim_x12_info info;
    size_t claims;
};

static enum rcm_err
keep_last(void *ctx, const struct rcm_claim *c, const struct rcm_claim_x12_info *info)
{
    struct last *l = ctx;
    l->n_lines = c->n_lines;
    l->n_dx = c->n_dx;
    l->info = *info;
    l->claims++;
    return RCM_OK;
}

static void
test_limits(void **state)
{
    (void)state;
    /* an 837I claim with 1000 lines and 26 diagnoses (the guide allows 999
     * and 25: the validator reports them; the mapper keeps the first) */
    size_t len;
    char *base = slurp(GOLDEN "/x12/clean-837i.837", &len);
    struct rcm_buf b = RCM_BUF_INIT(1u << 24);
    const char *lx = strstr(base, "LX*1~");
    assert_non_null(lx);
    const char *hi = strstr(base, "HI*ABF:I10");
    assert_non_null(hi);
    assert_int_equal(rcm_buf_add(&b, base, (size_t)(hi - base)), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&b, "HI"), RCM_OK);
    for (int i = 0; i < 12; i++)
        assert_int_equal(rcm_buf_addstr(&b, "*ABF:I10"), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&b, "~\nHI"), RCM_OK);
    for (int i = 0; i < 13; i++)
        assert_int_equal(rcm_buf_addstr(&b, "*ABF:E119"), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&b, "~\n"), RCM_OK);
    const char *after_hi = strchr(hi, '\n') + 1;
    assert_int_equal(rcm_buf_add(&b, after_hi, (size_t)(lx - after_hi)), RCM_OK);
    for (int i = 1; i <= 1000; i++)
        assert_int_equal(rcm_buf_addf(&b, "LX*%d~\nSV2*0450*HC:99284*1*UN*1~\n"
                                          "DTP*472*D8*20260302~\n", i), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&b, "SE*9*0001~\nGE*1*3~\nIEA*1*000000003~\n"), RCM_OK);
    struct last l = {0};
    struct rcm_claim_x12 *m;
    assert_int_equal(rcm_claim_x12_new(keep_last, &l, &m), RCM_OK);
    struct rcm_x12_validate_opts opts = {0};
    opts.on_segment = mapper_segment;
    opts.ctx = m;
    assert_int_equal(rcm_x12_validate_buffer(b.data, b.len, &opts, NULL), RCM_OK);
    assert_int_equal(rcm_claim_x12_finish(m), RCM_OK);
    assert_int_equal(rcm_claim_x12_sets(m), 1);
    assert_int_equal(rcm_claim_x12_claims(m), 1);
    rcm_claim_x12_free(m);
    assert_int_equal(l.claims, 1);
    assert_int_equal(l.n_lines, RCM_CLAIM_MAX_LINES);
    assert_int_equal(l.info.lines_dropped, 1);
    assert_int_equal(l.n_dx, RCM_CLAIM_MAX_DX);
    assert_int_equal(l.info.dx_dropped, 1);
    rcm_buf_release(&b);
    free(base);
}

/* ---- refusals ----------------------------------------------------------- */

static void
test_malformed(void **state)
{
    (void)state;
    size_t len;
    char *p = slurp(GOLDEN "/x12/malformed-837p.837", &len);
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 24, RCM_ARENA_WIPE);
    struct rcm_claim *c;
    size_t n;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_claim_x12_read(p, len, &arena, &c, &n, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "required_element_missing"));
    assert_non_null(strstr(diag.msg, "CLM"));
    assert_null(strstr(diag.msg, "PCN-0001"));
    assert_null(strstr(diag.msg, "DOE"));
    free(p);

    /* an 835: a valid interchange without any 837 */
    p = slurp(RCM_TEST_SOURCE_DIR "/tests/golden/x12/samples/835-profee.edi", &len);
    diag = (struct rcm_diag)RCM_DIAG_INIT;
    enum rcm_err err = rcm_claim_x12_read(p, len, &arena, &c, &n, &diag);
    assert_int_equal(err, RCM_E_PARSE);
    free(p);

    /* garbage after "ISA" */
    diag = (struct rcm_diag)RCM_DIAG_INIT;
    assert_int_equal(rcm_claim_x12_read("ISA*00*BROKEN~", 14, &arena, &c, &n, &diag),
                     RCM_E_PARSE);
    rcm_arena_release(&arena);
}

/* Fail the 1st, 2nd, … allocation of rcm_claim_x12_read in turn: each run
 * fails cleanly (ASan checks for leaks) until one succeeds. */
static void
test_alloc_failures(void **state)
{
    (void)state;
    size_t len;
    char *p = slurp(GOLDEN "/x12/findings-837i.837", &len);
    uint64_t n;
    for (n = 1; n < 10000; n++) {
        struct rcm_arena arena;
        rcm_arena_init(&arena, 1u << 24, RCM_ARENA_WIPE);
        struct rcm_claim *c = NULL;
        size_t count = 0;
        struct rcm_diag diag = RCM_DIAG_INIT;
        rcm_alloc_fail_after(n, 1);
        enum rcm_err err = rcm_claim_x12_read(p, len, &arena, &c, &count, &diag);
        uint64_t made = rcm_alloc_fail_after(0, 0);
        rcm_arena_release(&arena);
        if (err == RCM_OK) {
            assert_int_equal(count, 2);
            assert_true(made < n);
            break;
        }
        assert_true(err == RCM_E_NOMEM);
        assert_int_equal(count, 0);
    }
    assert_true(n > 2);      /* some allocation points were failed */
    free(p);
}

RUN_TESTS(cmocka_unit_test_setup_teardown(test_twins_837p, setup, teardown),
          cmocka_unit_test_setup_teardown(test_twins_837i, setup, teardown),
          cmocka_unit_test(test_fields),
          cmocka_unit_test(test_stream_splits),
          cmocka_unit_test(test_limits),
          cmocka_unit_test(test_malformed),
          cmocka_unit_test(test_alloc_failures))
