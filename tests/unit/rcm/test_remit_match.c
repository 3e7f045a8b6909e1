/*
 * test_remit_match.c — the posting plan: each matching method, identical
 * lines, reversals, denials, deductible/coinsurance, balance findings,
 * unknown lines and claims, the remit BPR/PLB balance.
 */
#include <stdio.h>
#include <string.h>

#include "rcm_test.h"
#include "rcm/posting.h"

static struct rcm_post_line stored[4];
static struct rcm_x12_claim_payment pay;
static struct rcm_post_plan plan;

static void
sline(int i, int64_t id, const char *proc, const char *m1, const char *m2, int64_t charge)
{
    struct rcm_post_line *l = &stored[i];
    memset(l, 0, sizeof *l);
    l->id = id;
    l->line_no = i + 1;
    snprintf(l->procedure, sizeof l->procedure, "%s", proc);
    snprintf(l->modifiers[0], 3, "%s", m1);
    snprintf(l->modifiers[1], 3, "%s", m2);
    l->charge_cents = charge;
    l->units_milli = 1000;
    l->service_date_days = 19800;
}

static struct rcm_x12_line *
svc(const char *proc, const char *m1, const char *m2, int64_t charge, int64_t paid)
{
    struct rcm_x12_line *l = &pay.lines[pay.n_lines++];
    memset(l, 0, sizeof *l);
    snprintf(l->procedure, sizeof l->procedure, "%s", proc);
    snprintf(l->modifiers[0], 3, "%s", m1);
    snprintf(l->modifiers[1], 3, "%s", m2);
    l->charge_cents = charge;
    l->paid_cents = paid;
    l->service_date_days = RCM_X12_NO_DATE;
    return l;
}

static void
cas(struct rcm_x12_adjustment *adj, int *n, const char *g, const char *r, int64_t amt)
{
    struct rcm_x12_adjustment *a = &adj[(*n)++];
    snprintf(a->group, sizeof a->group, "%s", g);
    snprintf(a->reason, sizeof a->reason, "%s", r);
    a->amount_cents = amt;
}

static void
clp(const char *status, int64_t charge, int64_t paid, int64_t pr)
{
    memset(&pay, 0, sizeof pay);
    snprintf(pay.status, sizeof pay.status, "%s", status);
    snprintf(pay.claim_id, sizeof pay.claim_id, "C1");
    pay.charge_cents = charge;
    pay.paid_cents = paid;
    pay.patient_resp_cents = pr;
}

static const struct rcm_post_finding *
has(const char *code)
{
    for (int i = 0; i < plan.n_findings; i++)
        if (strcmp(plan.findings[i].code, code) == 0)
            return &plan.findings[i];
    return NULL;
}

static void
build(size_t n)
{
    assert_int_equal(rcm_post_plan_build(&pay, stored, n, &plan), RCM_OK);
}

/* Two lines paid in full after CO-45; matched by control, then exact. */
static void
test_control_and_exact(void **state)
{
    (void)state;
    sline(0, 101, "99213", "25", "", 15000);
    sline(1, 102, "93000", "", "", 5000);
    clp("1", 20000, 14000, 0);
    struct rcm_x12_line *a = svc("93000", "", "", 5000, 4000);
    cas(a->adj, &a->n_adj, "CO", "45", 1000);
    snprintf(a->control, sizeof a->control, "L102");
    struct rcm_x12_line *b = svc("99213", "25", "", 15000, 10000);
    cas(b->adj, &b->n_adj, "CO", "45", 5000);
    b->has_allowed = true;
    b->allowed_cents = 10000;
    build(2);
    assert_int_equal(plan.results[0].line_id, 102);
    assert_int_equal(plan.results[0].match, RCM_POST_MATCH_CONTROL);
    assert_int_equal(plan.results[1].line_id, 101);
    assert_int_equal(plan.results[1].match, RCM_POST_MATCH_EXACT);
    assert_int_equal(plan.results[1].allowed_cents, 10000);
    assert_int_equal(plan.results[1].group_cents[RCM_ADJ_CO], 5000);
    assert_int_equal(plan.outcome, RCM_POST_PAID_FULL);
    assert_int_equal(plan.payer_order, 1);
    assert_int_equal(plan.contractual_cents, 6000);
    assert_true(plan.balanced);
    assert_true(plan.postable);
    assert_int_equal(plan.n_findings, 0);
    assert_string_equal(rcm_post_match_name(RCM_POST_MATCH_CONTROL), "control");
}

/* Control "L<id>" when the stored line has no control of its own; a stored
 * control wins over the id. */
static void
test_control_default(void **state)
{
    (void)state;
    sline(0, 7, "99213", "", "", 100);
    sline(1, 8, "99213", "", "", 100);
    snprintf(stored[1].control, sizeof stored[1].control, "X9");
    clp("1", 200, 200, 0);
    snprintf(svc("99213", "", "", 100, 100)->control, 31, "X9");
    snprintf(svc("99213", "", "", 100, 100)->control, 31, "L7");
    build(2);
    assert_int_equal(plan.results[0].line_id, 8);
    assert_int_equal(plan.results[1].line_id, 7);
    assert_int_equal(plan.results[1].match, RCM_POST_MATCH_CONTROL);
}

/* Modifier order does not matter; a dropped modifier matches through
 * SVC06 when the payer reports it, else through the lone procedure. */
static void
test_modifiers_original_procedure(void **state)
{
    (void)state;
    sline(0, 1, "99214", "25", "GT", 20000);
    sline(1, 2, "20610", "RT", "", 30000);
    sline(2, 3, "J1030", "", "", 4000);
    clp("1", 54000, 54000, 0);
    svc("99214", "GT", "25", 20000, 20000);
    struct rcm_x12_line *b = svc("20610", "", "", 30000, 30000);
    snprintf(b->orig_procedure, sizeof b->orig_procedure, "20610");
    snprintf(b->orig_modifiers[0], 3, "RT");
    svc("J1030", "JW", "", 4000, 4000);
    build(3);
    assert_int_equal(plan.results[0].line_id, 1);
    assert_int_equal(plan.results[0].match, RCM_POST_MATCH_EXACT);
    assert_int_equal(plan.results[1].line_id, 2);
    assert_int_equal(plan.results[1].match, RCM_POST_MATCH_ORIGINAL);
    assert_int_equal(plan.results[2].line_id, 3);
    assert_int_equal(plan.results[2].match, RCM_POST_MATCH_PROCEDURE);
    assert_int_equal(plan.n_unmatched, 0);
    assert_int_equal(plan.outcome, RCM_POST_PAID_FULL);
}

/* A loose match never takes a line a later SVC matches exactly. */
static void
test_passes_order(void **state)
{
    (void)state;
    sline(0, 1, "97110", "GP", "", 5000);
    sline(1, 2, "97110", "GP", "59", 5000);
    clp("1", 10000, 10000, 0);
    svc("97110", "59", "", 5000, 5000);     /* payer dropped GP: ambiguous alone */
    svc("97110", "GP", "", 5000, 5000);     /* exact with line 1 */
    build(2);
    assert_int_equal(plan.results[1].line_id, 1);
    assert_int_equal(plan.results[0].line_id, 2);
    assert_int_equal(plan.results[0].match, RCM_POST_MATCH_PROCEDURE);
}

/* Two identical lines: two identical SVCs pay them in order; a third
 * identical SVC finds nothing left. */
static void
test_identical_lines(void **state)
{
    (void)state;
    sline(0, 11, "36415", "", "", 1000);
    sline(1, 12, "36415", "", "", 1000);
    clp("1", 3000, 3000, 0);
    svc("36415", "", "", 1000, 1000);
    svc("36415", "", "", 1000, 1000);
    svc("36415", "", "", 1000, 1000);
    build(2);
    assert_int_equal(plan.results[0].line_id, 11);
    assert_int_equal(plan.results[1].line_id, 12);
    assert_int_equal(plan.results[2].line_index, -1);
    assert_int_equal(plan.n_unmatched, 1);
    const struct rcm_post_finding *f = has("line-unmatched");
    assert_non_null(f);
    assert_int_equal(f->svc_index, 2);
    assert_false(plan.postable);
}

/* Procedure alone with two unmatched candidates is ambiguous. */
static void
test_ambiguous(void **state)
{
    (void)state;
    sline(0, 1, "11042", "RT", "", 9000);
    sline(1, 2, "11042", "LT", "", 9000);
    clp("1", 9000, 9000, 0);
    svc("11042", "", "", 9000, 9000);
    build(2);
    assert_non_null(has("line-ambiguous"));
    assert_null(has("line-unmatched"));
    assert_int_equal(plan.n_unmatched, 1);
}

/* CLP02 = 22 with negative amounts: posted as is, every line reversed. */
static void
test_reversal(void **state)
{
    (void)state;
    sline(0, 1, "99213", "", "", 15000);
    clp("22", -15000, -10000, 0);
    struct rcm_x12_line *a = svc("99213", "", "", -15000, -10000);
    cas(a->adj, &a->n_adj, "CO", "45", -5000);
    build(1);
    assert_int_equal(plan.outcome, RCM_POST_REVERSAL);
    assert_true(plan.results[0].reversal);
    assert_int_equal(plan.results[0].line_id, 1);
    assert_int_equal(plan.paid_cents, -10000);
    assert_int_equal(plan.results[0].group_cents[RCM_ADJ_CO], -5000);
    assert_false(plan.negated);
    assert_true(plan.balanced);
    assert_int_equal(plan.workable_cents, 0);

    /* the same sent with positive amounts is negated, with a warning */
    clp("22", 15000, 10000, 0);
    a = svc("99213", "", "", 15000, 10000);
    cas(a->adj, &a->n_adj, "CO", "45", 5000);
    build(1);
    assert_true(plan.negated);
    assert_int_equal(plan.paid_cents, -10000);
    assert_int_equal(plan.results[0].paid_cents, -10000);
    assert_non_null(has("reversal-sign"));
    assert_true(plan.balanced);
    assert_true(plan.postable);
}

/* Within one claim payment, a negative SVC may hit a line a positive SVC
 * already paid (line-level correction); two positive SVCs may not. */
static void
test_line_reversal_and_repost(void **state)
{
    (void)state;
    sline(0, 1, "99213", "", "", 15000);
    clp("1", 0, 2000, 0);
    struct rcm_x12_line *a = svc("99213", "", "", -15000, -8000);
    cas(a->adj, &a->n_adj, "CO", "45", -7000);
    struct rcm_x12_line *b = svc("99213", "", "", 15000, 10000);
    cas(b->adj, &b->n_adj, "CO", "45", 5000);
    build(1);
    assert_int_equal(plan.results[0].line_id, 1);
    assert_true(plan.results[0].reversal);
    assert_int_equal(plan.results[1].line_id, 1);
    assert_false(plan.results[1].reversal);
    assert_true(plan.balanced);
}

/* Denied for medical necessity: CO-50 with a remark; workable. */
static void
test_denied_co50(void **state)
{
    (void)state;
    sline(0, 1, "97140", "", "", 8000);
    clp("4", 8000, 0, 0);
    struct rcm_x12_line *a = svc("97140", "", "", 8000, 0);
    cas(a->adj, &a->n_adj, "CO", "50", 8000);
    snprintf(a->remarks[a->n_remarks++], RCM_X12_REMARK_MAX, "N115");
    build(1);
    assert_int_equal(plan.outcome, RCM_POST_DENIED);
    assert_int_equal(plan.workable_cents, 8000);
    assert_int_equal(plan.results[0].adj[0].category, RCM_DENIAL_MEDICAL_NECESSITY);
    assert_true(plan.results[0].adj[0].workable);
    assert_string_equal(plan.results[0].remarks[0], "N115");
    assert_true(plan.postable);
    assert_string_equal(rcm_post_outcome_name(plan.outcome), "denied");
}

/* Partial: deductible and coinsurance to the patient (PR-1, PR-2). */
static void
test_partial_deductible_coinsurance(void **state)
{
    (void)state;
    sline(0, 1, "99203", "", "", 20000);
    sline(1, 2, "81002", "", "", 2000);
    clp("1", 22000, 9200, 7300);
    struct rcm_x12_line *a = svc("99203", "", "", 20000, 8000);
    cas(a->adj, &a->n_adj, "CO", "45", 5000);
    cas(a->adj, &a->n_adj, "PR", "1", 5000);
    cas(a->adj, &a->n_adj, "PR", "2", 2000);
    struct rcm_x12_line *b = svc("81002", "", "", 2000, 1200);
    cas(b->adj, &b->n_adj, "CO", "45", 500);
    cas(b->adj, &b->n_adj, "PR", "2", 300);
    build(2);
    assert_int_equal(plan.outcome, RCM_POST_PAID_PARTIAL);
    assert_int_equal(plan.patient_resp_cents, 7300);
    assert_int_equal(plan.results[0].patient_resp_cents, 7000);
    assert_int_equal(plan.results[1].patient_resp_cents, 300);
    assert_int_equal(plan.workable_cents, 0);
    assert_int_equal(plan.contractual_cents, 5500);
    assert_int_equal(plan.results[0].adj[1].category, RCM_DENIAL_PATIENT_RESPONSIBILITY);
    assert_true(plan.balanced);
    assert_int_equal(plan.n_findings, 0);

    /* zero paid, all to the deductible */
    clp("1", 20000, 0, 15000);
    a = svc("99203", "", "", 20000, 0);
    cas(a->adj, &a->n_adj, "CO", "45", 5000);
    cas(a->adj, &a->n_adj, "PR", "1", 15000);
    build(1);
    assert_int_equal(plan.outcome, RCM_POST_PATIENT_RESP);
}

/* Out of balance at line and claim level; CLP05 disagreeing with PR. */
static void
test_out_of_balance(void **state)
{
    (void)state;
    sline(0, 1, "99213", "", "", 15000);
    clp("1", 15000, 9000, 100);
    struct rcm_x12_line *a = svc("99213", "", "", 15000, 9000);
    cas(a->adj, &a->n_adj, "CO", "45", 5000);   /* 15000 - 5000 != 9000 */
    build(1);
    const struct rcm_post_finding *f = has("line-out-of-balance");
    assert_non_null(f);
    assert_int_equal(f->expected_cents, 10000);
    assert_int_equal(f->actual_cents, 9000);
    assert_int_equal(f->line_no, 1);
    f = has("claim-out-of-balance");
    assert_non_null(f);
    assert_int_equal(f->expected_cents, 10000);
    assert_int_equal(f->actual_cents, 9000);
    f = has("patient-resp-mismatch");
    assert_non_null(f);
    assert_int_equal(f->severity, RCM_POST_WARNING);
    assert_false(plan.balanced);
    assert_false(plan.postable);

    /* claim-level CAS counts in the claim balance */
    clp("1", 15000, 9000, 0);
    a = svc("99213", "", "", 15000, 10000);
    cas(a->adj, &a->n_adj, "CO", "45", 5000);
    cas(pay.adj, &pay.n_adj, "OA", "94", 1000);
    build(1);
    assert_true(plan.balanced);
    assert_int_equal(plan.claim_group_cents[RCM_ADJ_OA], 1000);
}

/* Unknown line, unknown claim, a stored line the remit leaves out,
 * crossover status, unknown group. */
static void
test_unknown(void **state)
{
    (void)state;
    sline(0, 1, "99213", "", "", 15000);
    sline(1, 2, "90471", "", "", 2500);
    clp("19", 15000, 15000, 0);
    svc("99999", "", "", 15000, 15000);
    build(2);
    assert_non_null(has("line-unmatched"));
    const struct rcm_post_finding *f = has("line-not-in-remit");
    assert_non_null(f);
    assert_true(plan.forwarded);
    assert_int_equal(plan.payer_order, 1);

    assert_int_equal(rcm_post_plan_build(&pay, NULL, 0, &plan), RCM_OK);
    assert_non_null(has("claim-unknown"));
    assert_null(has("line-unmatched"));
    assert_int_equal(plan.n_unmatched, 1);
    assert_false(plan.postable);

    clp("20", 100, 0, 0);
    cas(pay.adj, &pay.n_adj, "XX", "45", 100);
    build(0);
    assert_non_null(has("unknown-group"));
    assert_int_equal(plan.payer_order, 2);
    assert_int_equal(plan.outcome, RCM_POST_ZERO_PAID);

    clp("99", 0, 0, 0);
    build(0);
    assert_non_null(has("unknown-status"));

    assert_int_equal(rcm_post_plan_build(NULL, stored, 1, &plan), RCM_E_INVAL);
    assert_int_equal(rcm_post_plan_build(&pay, stored, RCM_X12_MAX_LINES + 1, &plan),
                     RCM_E_INVAL);
}

static void
test_remit_balance(void **state)
{
    (void)state;
    static struct rcm_x12_remit r;
    memset(&r, 0, sizeof r);
    r.payment_cents = 9000;
    r.credit_debit = 'C';
    r.n_plb = 2;
    r.plb[0].amount_cents = 1500;     /* recoupment reduces the payment */
    r.plb[1].amount_cents = -500;     /* interest increases it */
    int64_t diff = 1;
    assert_true(rcm_post_remit_balanced(&r, 10000, &diff));
    assert_int_equal(diff, 0);
    assert_false(rcm_post_remit_balanced(&r, 10100, &diff));
    assert_int_equal(diff, -100);
    r.n_plb = 0;
    r.credit_debit = 'D';
    r.payment_cents = 300;
    assert_true(rcm_post_remit_balanced(&r, -300, &diff));
}

RUN_TESTS(cmocka_unit_test(test_control_and_exact), cmocka_unit_test(test_control_default),
          cmocka_unit_test(test_modifiers_original_procedure),
          cmocka_unit_test(test_passes_order), cmocka_unit_test(test_identical_lines),
          cmocka_unit_test(test_ambiguous), cmocka_unit_test(test_reversal),
          cmocka_unit_test(test_line_reversal_and_repost),
          cmocka_unit_test(test_denied_co50),
          cmocka_unit_test(test_partial_deductible_coinsurance),
          cmocka_unit_test(test_out_of_balance), cmocka_unit_test(test_unknown),
          cmocka_unit_test(test_remit_balance))
