/*
 * test_remit_835.c — the 835 detail the posting engine reads: SVC06,
 * REF*6R, AMT*B6, LQ*HE, MOA, DTM*232/233, payer id, DTM*405, PLB and the
 * on_remit callback; the 835 writer writes them back, its output
 * validates clean and reads back the same; a posting plan from the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm_test.h"
#include "rcm/date.h"
#include "rcm/posting.h"

struct got {
    int npays, nremits;
    struct rcm_x12_claim_payment pay;
    struct rcm_x12_remit remit;
};

static void
on_pay(void *ctx, const struct rcm_x12_remit *r, const struct rcm_x12_claim_payment *p)
{
    (void)r;
    struct got *g = ctx;
    g->npays++;
    g->pay = *p;
}

static void
on_remit(void *ctx, const struct rcm_x12_remit *r)
{
    struct got *g = ctx;
    g->nremits++;
    g->remit = *r;
}

static void
parse(const char *p, size_t n, struct got *g)
{
    memset(g, 0, sizeof *g);
    static struct rcm_x12_model m;
    rcm_x12_model_init(&m, NULL, on_pay, g);
    m.on_remit = on_remit;
    struct rcm_x12_validate_opts o = {.on_segment = rcm_x12_model_segment, .ctx = &m,
                                      .situational = true};
    struct rcm_x12_stats st;
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, &st), RCM_OK);
    rcm_x12_model_finish(&m);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.warnings, 0);
}

static char *
load(size_t *n)
{
    FILE *f = fopen(RCM_TEST_SOURCE_DIR "/tests/golden/x12/own/835-posting.edi", "rb");
    assert_non_null(f);
    static char buf[8192];
    *n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*n] = 0;
    return buf;
}

static void
check(const struct got *g)
{
    assert_int_equal(g->npays, 1);
    assert_int_equal(g->nremits, 1);
    const struct rcm_x12_remit *r = &g->remit;
    assert_string_equal(r->payer_id, "ACME01");
    assert_int_equal(r->production_date_days, rcm_date_from_ymd(2024, 3, 1));
    assert_int_equal(r->n_plb, 2);
    assert_string_equal(r->plb[0].provider_id, "1234567893");
    assert_int_equal(r->plb[0].fiscal_period_days, rcm_date_from_ymd(2024, 12, 31));
    assert_string_equal(r->plb[0].reason, "WO");
    assert_string_equal(r->plb[0].reference, "ICN0000");
    assert_int_equal(r->plb[0].amount_cents, 1500);
    assert_string_equal(r->plb[1].reason, "L6");
    assert_string_equal(r->plb[1].reference, "");
    assert_int_equal(r->plb[1].amount_cents, -50);
    int64_t diff;
    assert_true(rcm_post_remit_balanced(r, g->pay.paid_cents, &diff));

    const struct rcm_x12_claim_payment *p = &g->pay;
    assert_int_equal(p->n_remarks, 2);
    assert_string_equal(p->remarks[0], "MA01");
    assert_string_equal(p->remarks[1], "N14");
    assert_int_equal(p->service_from_days, rcm_date_from_ymd(2024, 2, 10));
    assert_int_equal(p->service_to_days, rcm_date_from_ymd(2024, 2, 10));
    assert_int_equal(p->n_lines, 2);
    const struct rcm_x12_line *a = &p->lines[0], *b = &p->lines[1];
    assert_string_equal(a->orig_procedure, "99213");
    assert_string_equal(a->orig_modifiers[0], "25");
    assert_string_equal(a->orig_modifiers[1], "GT");
    assert_string_equal(a->control, "L101");
    assert_true(a->has_allowed);
    assert_int_equal(a->allowed_cents, 15000);
    assert_int_equal(a->n_remarks, 2);
    assert_string_equal(a->remarks[0], "N130");
    assert_string_equal(a->remarks[1], "M15");
    assert_string_equal(b->orig_procedure, "");
    assert_string_equal(b->control, "L102");
    assert_int_equal(b->allowed_cents, 5000);
    assert_int_equal(b->n_remarks, 0);
}

static void
test_parse(void **state)
{
    (void)state;
    size_t n;
    const char *p = load(&n);
    static struct got g;
    parse(p, n, &g);
    check(&g);
}

static void
test_write_round_trip(void **state)
{
    (void)state;
    size_t n;
    const char *p = load(&n);
    static struct got g, back;
    parse(p, n, &g);
    static const struct rcm_x12_envelope env = {
        .sender_qualifier = "ZZ", .sender_id = "PAYER", .receiver_qualifier = "ZZ",
        .receiver_id = "PROVIDER", .gs_sender = "PAYER", .gs_receiver = "PROVIDER",
        .isa13 = 5, .gs06 = 5, .date8 = "20240301", .time4 = "1200", .usage = 'T',
        .contact_name = "PROVIDER SERVICES", .contact_phone = "8005551212",
    };
    struct rcm_buf out = RCM_BUF_INIT(1u << 16);
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_x12_write_835(&env, &g.remit, &g.pay, 1, &out, &d) != RCM_OK)
        fail_msg("write: %s", d.msg);
    parse(out.data, out.len, &back);
    check(&back);
    assert_non_null(strstr(out.data, "PLB*1234567893*20241231*WO:ICN0000*15*L6*-0.5~"));
    rcm_buf_release(&out);
}

/* The file's claim payment posts against its stored claim. */
static void
test_plan_from_file(void **state)
{
    (void)state;
    size_t n;
    const char *p = load(&n);
    static struct got g;
    parse(p, n, &g);
    struct rcm_post_line lines[2];
    memset(lines, 0, sizeof lines);
    lines[0] = (struct rcm_post_line){.id = 102, .line_no = 1, .procedure = "36415",
                                      .charge_cents = 10000, .units_milli = 1000};
    lines[1] = (struct rcm_post_line){.id = 101, .line_no = 2, .procedure = "99213",
                                      .modifiers = {"GT", "25"}, .charge_cents = 20000,
                                      .units_milli = 1000};
    static struct rcm_post_plan plan;
    assert_int_equal(rcm_post_plan_build(&g.pay, lines, 2, &plan), RCM_OK);
    assert_int_equal(plan.n_findings, 0);
    assert_int_equal(plan.results[0].line_id, 101);
    assert_int_equal(plan.results[0].match, RCM_POST_MATCH_CONTROL);
    assert_int_equal(plan.results[1].line_id, 102);
    assert_int_equal(plan.outcome, RCM_POST_PAID_PARTIAL);
    assert_int_equal(plan.patient_resp_cents, 5000);
    assert_int_equal(plan.claim_remarks[0][0], 'M');
    assert_true(plan.postable);
}

RUN_TESTS(cmocka_unit_test(test_parse), cmocka_unit_test(test_write_round_trip),
          cmocka_unit_test(test_plan_from_file))
