/*
 * A/R reports and KPIs (store_report.c) on SQLite and PostgreSQL: exact
 * bucket sums by payer and provider on both bases, the KPI inputs and
 * values worked out by hand, denials by CARC and by payer, timely-filing
 * alerts for claims and encounters; an empty tenant gives zeros and "not
 * applicable", another tenant's rows never appear, and every report is
 * audited once. Rows are inserted by SQL (rcm_rows.h).
 */
#include <stdio.h>
#include <string.h>

#include "rcm/cycle.h"
#include "rcm/report.h"
#include "store_fixture.h"   /* needs the PostgreSQL fixture */
#include "rcm_rows.h"

#define T 20000   /* as of, and the end of the KPI period */

struct fx {
    struct store_fx *s;
    struct rcm_actor a, b, c;       /* tenants A (data), B (other data), C (empty) */
};

static int64_t
patient_of(struct fx *f, const struct rcm_actor *who)
{
    struct rcm_patient p = {0};
    const int set[] = {RCM_PF_LAST_NAME, RCM_PF_FIRST_NAME, RCM_PF_DOB};
    const char *val[] = {"Quartz", "Ola", "1961-04-09"};
    for (int i = 0; i < 3; i++) {
        snprintf(p.value[set[i]], sizeof p.value[0], "%s", val[i]);
        p.present |= RCM_PF_BIT(set[i]);
    }
    int64_t id = 0;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_store_patient_create(f->s->store, who, &p, &id, &d))
        return 0;
    return id;
}

static void
claim(struct fx *f, int64_t id, const char *state, int64_t payer, int32_t age,
      int64_t charge, int64_t paid, int64_t adj, int64_t pr, int32_t fs, int32_t adjud,
      int64_t rendering, int64_t patient)
{
    const char *pid = payer == 101 ? "60054" : "87726";
    struct rows_claim c = {.id = id, .tenant = f->a.tenant_id, .patient = patient,
                           .encounter = 500, .payer_ref = payer, .payer_id = pid,
                           .state = state, .billing = 201, .rendering = rendering,
                           .service_day = T - age, .charge = charge, .paid = paid,
                           .adjustment = adj, .patient_resp = pr,
                           .first_submitted_day = fs ? T - fs : 0,
                           .adjudicated_day = adjud ? T - adjud : 0};
    rows_claim(f->s, &c);
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant ta, tb, tc;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_tenant_create(f->s->store, &sys, "clinic-a", "A", &ta, &d) ||
        rcm_store_tenant_create(f->s->store, &sys, "clinic-b", "B", &tb, &d) ||
        rcm_store_tenant_create(f->s->store, &sys, "clinic-c", "C", &tc, &d))
        return -1;
    f->a = (struct rcm_actor){.tenant_id = ta.id, .type = "user", .user_id = 7};
    f->b = (struct rcm_actor){.tenant_id = tb.id, .type = "user", .user_id = 8};
    f->c = (struct rcm_actor){.tenant_id = tc.id, .type = "user", .user_id = 9};
    int64_t pa = patient_of(f, &f->a), pb = patient_of(f, &f->b);
    if (!pa || !pb)
        return -1;
    struct store_fx *s = f->s;
    int64_t A = ta.id, B = tb.id;
    rows_payer(s, 101, A, "60054", "Alpha Health", 90);
    rows_payer(s, 102, A, "87726", "Beta Care", 365);
    rows_provider(s, 201, A, "1111111111", "Clinic Org", NULL);
    rows_provider(s, 202, A, "2222222222", "Rivera", "Ana");
    rows_coverage(s, 301, A, pa, "60054");
    rows_encounter(s, 500, A, pa, 301, 201, "billed", T - 30);
    /* id, state, payer, age, charge, paid, adj, pr, first submitted (days
     * before T), adjudicated (days before T), rendering */
    claim(f, 1, "submitted", 101, 30, 10000, 0, 0, 0, 28, 0, 0, pa);
    claim(f, 2, "accepted", 101, 31, 20000, 0, 0, 0, 29, 0, 0, pa);
    claim(f, 3, "partially_paid", 102, 60, 30000, 15000, 5000, 2000, 55, 20, 0, pa);
    claim(f, 4, "denied", 102, 61, 40000, 0, 0, 0, 58, 10, 202, pa);
    claim(f, 5, "appealed", 101, 120, 5000, 0, 0, 0, 0, 0, 0, pa);
    claim(f, 6, "rejected", 102, 121, 7000, 0, 0, 0, 100, 0, 202, pa);
    claim(f, 7, "paid", 101, 10, 9000, 9000, 0, 0, 9, 5, 0, pa);
    claim(f, 8, "draft", 101, 80, 3000, 0, 0, 0, 0, 0, 0, pa);
    claim(f, 9, "ready", 102, 400, 4000, 0, 0, 0, 0, 0, 0, pa);
    claim(f, 10, "voided", 101, 5, 1000, 0, 0, 0, 0, 0, 0, pa);
    rows_claim_event(s, 1, A, 3, "submitted", "rejected");
    /* remittances: claim 3 partly paid (CO-45 contractual, CO-50 denied,
     * PR-2), claim 7 paid, claim 4 denied (CO-16); an unmatched payment */
    rows_remittance(s, 1, A, "87726", 15777, T - 20);
    rows_claim_payment(s, 1, A, 1, 3, "1", 30000, 15000, 2000);
    rows_adjustment(s, 1, A, 1, "CO", "45", 2000);
    rows_adjustment(s, 2, A, 1, "CO", "50", 3000);
    rows_adjustment(s, 3, A, 1, "PR", "2", 2000);
    rows_claim_payment(s, 2, A, 1, 0, "1", 5000, 777, 0);
    rows_remittance(s, 2, A, "60054", 9000, T - 5);
    rows_claim_payment(s, 3, A, 2, 7, "1", 9000, 9000, 0);
    rows_remittance(s, 3, A, "87726", 0, T - 10);
    rows_claim_payment(s, 4, A, 3, 4, "4", 40000, 0, 0);
    rows_adjustment(s, 4, A, 4, "CO", "16", 40000);
    rows_denial(s, 1, A, 3, "87726", "CO", "50", 3000, "medical_necessity", T - 20);
    rows_denial(s, 2, A, 4, "87726", "CO", "16", 40000, "coding", T - 10);
    rows_denial(s, 3, A, 5, "60054", "CO", "197", 5000, "authorization", T - 100);
    /* timely filing: an open encounter near its limit, a self-pay one */
    rows_encounter(s, 501, A, pa, 301, 201, "open", T - 85);
    rows_encounter(s, 502, A, pa, 0, 201, "open", T - 89);
    /* tenant B: the same payer id and large amounts, never in A's reports */
    rows_payer(s, 111, B, "60054", "Alpha Health B", 30);
    rows_provider(s, 211, B, "3333333333", "Other Org", NULL);
    rows_encounter(s, 510, B, pb, 0, 211, "billed", T - 10);
    struct rows_claim cb = {.id = 50, .tenant = B, .patient = pb, .encounter = 510,
                            .payer_ref = 111, .payer_id = "60054", .state = "submitted",
                            .billing = 211, .service_day = T - 10, .charge = 999999,
                            .first_submitted_day = T - 9, .adjudicated_day = T - 2};
    rows_claim(s, &cb);
    struct rows_claim cb2 = cb;
    cb2.id = 51;
    cb2.state = "draft";
    rows_claim(s, &cb2);
    rows_denial(s, 9, B, 50, "60054", "CO", "16", 999999, "coding", T - 2);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    store_fx_free(f->s);
    free(f);
    return 0;
}

static void
test_open_states_follow_cycle(void **state)
{
    (void)state;
    const char *list = rcm_report_open_states_sql();
    for (int s = 0; s < RCM_CLAIM_STATE_COUNT; s++) {
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", rcm_claim_state_name((enum rcm_claim_state)s));
        assert_int_equal(strstr(list, quoted) != NULL,
                         rcm_claim_state_is_open((enum rcm_claim_state)s));
    }
}

static void
check_buckets(const struct rcm_ar_row *r, int64_t b0, int64_t b1, int64_t b2, int64_t b3,
              int64_t b4)
{
    const int64_t want[] = {b0, b1, b2, b3, b4};
    for (int i = 0; i < RCM_AR_BUCKET_COUNT; i++)
        assert_int_equal(r->bucket_cents[i], want[i]);
    assert_int_equal(r->balance_cents, b0 + b1 + b2 + b3 + b4);
}

static void
test_ar_by_payer(void **state)
{
    struct fx *f = *state;
    struct rcm_ar_report r;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->a, T, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_PAYER, &r, &d), RCM_OK);
    /* claims 1-6 are open: rejected counts (rcm/cycle.h); paid, draft,
     * ready, voided do not. Edges: 30 | 31, 60 | 61, 120 | 121. */
    check_buckets(&r.total, 10000, 28000, 40000, 5000, 7000);
    assert_int_equal(r.total.claims, 6);
    assert_int_equal(r.total.bucket_claims[1], 2);
    assert_int_equal(r.n_rows, 2);
    assert_string_equal(r.rows[0].name, "Alpha Health");
    assert_string_equal(r.rows[0].code, "60054");
    assert_int_equal(r.rows[0].id, 101);
    assert_int_equal(r.rows[0].claims, 3);
    check_buckets(&r.rows[0], 10000, 20000, 0, 5000, 0);
    assert_string_equal(r.rows[1].name, "Beta Care");
    check_buckets(&r.rows[1], 0, 8000, 40000, 0, 7000);
    assert_int_equal(r.unaged_claims, 0);
    rcm_ar_report_free(&r);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM audit_event WHERE action = "
                                  "'report.ar_aging'", NULL), 1);
}

static void
test_ar_by_provider_and_submission(void **state)
{
    struct fx *f = *state;
    struct rcm_ar_report r;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->a, T, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_RENDERING, &r, &d), RCM_OK);
    assert_int_equal(r.n_rows, 2);
    assert_string_equal(r.rows[0].name, "Clinic Org");
    assert_int_equal(r.rows[0].balance_cents, 43000);
    assert_string_equal(r.rows[1].name, "Rivera, Ana");
    assert_string_equal(r.rows[1].code, "2222222222");
    check_buckets(&r.rows[1], 0, 0, 40000, 0, 7000);
    rcm_ar_report_free(&r);
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->a, T, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_BILLING, &r, &d), RCM_OK);
    assert_int_equal(r.n_rows, 1);
    assert_int_equal(r.rows[0].balance_cents, 90000);
    rcm_ar_report_free(&r);
    /* by first submission: ages 28, 29, 55, 58, (none), 100 */
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->a, T, RCM_AR_BASIS_SUBMISSION,
                                         RCM_AR_BY_PAYER, &r, &d), RCM_OK);
    check_buckets(&r.total, 30000, 48000, 0, 7000, 0);
    assert_int_equal(r.unaged_claims, 1);
    assert_int_equal(r.unaged_cents, 5000);
    rcm_ar_report_free(&r);
    /* a later day ages everything: T + 1 moves claim 1 (30 -> 31) */
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->a, T + 1, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_PAYER, &r, &d), RCM_OK);
    check_buckets(&r.total, 0, 30000, 48000, 0, 12000);
    rcm_ar_report_free(&r);
}

static void
test_kpis(void **state)
{
    struct fx *f = *state;
    struct rcm_kpi_report k;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_denial_category("CO", "45"), RCM_DENIAL_CONTRACTUAL);
    assert_int_equal(rcm_store_report_kpis(f->s->store, &f->a, T - 89, T, &k, &d), RCM_OK);
    assert_int_equal(k.period_days, 90);
    assert_int_equal(k.ar_claims, 6);
    assert_int_equal(k.ar_cents, 90000);
    /* claims served in the period: 1, 2, 3, 4, 7, 8 (10 is voided) */
    assert_int_equal(k.gross_charges_cents, 112000);
    assert_true(k.days_in_ar.applicable);
    assert_int_equal(k.days_in_ar.value_x100, 7232);     /* 90000 * 90 / 112000 */
    /* first submitted in the period: 1, 2, 3, 4, 7; clean: 2, 4, 7 (1 is
     * not acknowledged yet, 3 was rejected once) */
    assert_int_equal(k.submitted, 5);
    assert_int_equal(k.clean_first_pass, 3);
    assert_int_equal(k.clean_claim_rate.value_x100, 6000);
    /* adjudicated: 3, 4, 7; paid first pass: 7; denied: 3 (a denial row), 4 */
    assert_int_equal(k.adjudicated, 3);
    assert_int_equal(k.adjudicated_cents, 79000);
    assert_int_equal(k.paid_first_pass, 1);
    assert_int_equal(k.first_pass_rate.value_x100, 3333);
    assert_int_equal(k.denied, 2);
    assert_int_equal(k.denial_rate_count.value_x100, 6667);
    /* denial rows in the period: 3000 + 40000 (the CO-197 is older) */
    assert_int_equal(k.denied_cents, 43000);
    assert_int_equal(k.denial_rate_amount.value_x100, 5443);
    /* payments 15000 + 9000 + 0 (the unmatched 777 is not), charges 79000,
     * contractual CO-45 2000: 24000 / 77000 */
    assert_int_equal(k.payments_cents, 24000);
    assert_int_equal(k.payment_charges_cents, 79000);
    assert_int_equal(k.contractual_cents, 2000);
    assert_true(k.net_collection_rate.applicable);
    assert_int_equal(k.net_collection_rate.value_x100, 3117);
    assert_int_equal(rcm_store_report_kpis(f->s->store, &f->a, T, T - 1, &k, &d),
                     RCM_E_INVAL);
}

static void
test_denials(void **state)
{
    struct fx *f = *state;
    struct rcm_denial_report r;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_report_denials(f->s->store, &f->a, T - 89, T,
                                              RCM_DENIALS_BY_CARC, &r, &d), RCM_OK);
    assert_int_equal(r.denials, 2);
    assert_int_equal(r.claims, 2);
    assert_int_equal(r.amount_cents, 43000);
    assert_int_equal(r.n_rows, 2);
    assert_string_equal(r.rows[0].carc, "16");
    assert_string_equal(r.rows[0].group_code, "CO");
    assert_int_equal(r.rows[0].category, RCM_DENIAL_CODING);
    assert_int_equal(r.rows[0].amount_cents, 40000);
    assert_string_equal(r.rows[1].carc, "50");
    assert_int_equal(r.rows[1].category, RCM_DENIAL_MEDICAL_NECESSITY);
    assert_int_equal(r.by_category_cents[RCM_DENIAL_CODING], 40000);
    rcm_denial_report_free(&r);
    assert_int_equal(rcm_store_report_denials(f->s->store, &f->a, T - 89, T,
                                              RCM_DENIALS_BY_PAYER, &r, &d), RCM_OK);
    assert_int_equal(r.n_rows, 2);
    assert_string_equal(r.rows[0].payer_id, "87726");
    assert_string_equal(r.rows[0].payer_name, "Beta Care");
    assert_int_equal(r.rows[0].denials, 2);
    assert_int_equal(r.rows[0].amount_cents, 43000);
    assert_int_equal(r.rows[0].adjudicated, 2);
    assert_int_equal(r.rows[0].denial_rate_count.value_x100, 10000);
    assert_string_equal(r.rows[1].payer_id, "60054");
    assert_string_equal(r.rows[1].payer_name, "Alpha Health");
    assert_int_equal(r.rows[1].denials, 0);
    assert_int_equal(r.rows[1].adjudicated, 1);
    assert_true(r.rows[1].denial_rate_count.applicable);
    assert_int_equal(r.rows[1].denial_rate_count.value_x100, 0);
    rcm_denial_report_free(&r);
}

static void
test_timely_filing(void **state)
{
    struct fx *f = *state;
    struct rcm_tf_report r;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_report_timely_filing(f->s->store, &f->a, T, &r, &d), RCM_OK);
    assert_int_equal(r.total, 3);
    assert_int_equal(r.n_items, 3);
    /* claim 9: ready, 400 days old under 365 days */
    assert_false(r.items[0].encounter);
    assert_int_equal(r.items[0].id, 9);
    assert_int_equal(r.items[0].days_left, -35);
    assert_int_equal(r.items[0].alert, RCM_TF_EXPIRED);
    assert_string_equal(r.items[0].state, "ready");
    /* encounter 501: open, 85 days old under 90 */
    assert_true(r.items[1].encounter);
    assert_int_equal(r.items[1].id, 501);
    assert_int_equal(r.items[1].days_left, 5);
    assert_int_equal(r.items[1].alert, RCM_TF_7);
    assert_string_equal(r.items[1].payer_id, "60054");
    /* claim 8: draft, 80 days old under 90 */
    assert_int_equal(r.items[2].id, 8);
    assert_int_equal(r.items[2].days_left, 10);
    assert_int_equal(r.items[2].alert, RCM_TF_14);
    assert_int_equal(r.items[2].deadline_day, T + 10);
    assert_int_equal(r.by_alert[RCM_TF_EXPIRED], 1);
    assert_int_equal(r.by_alert[RCM_TF_30], 0);
    rcm_tf_report_free(&r);
}

static void
test_empty_and_other_tenant(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_ar_report r;
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->c, T, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_PAYER, &r, &d), RCM_OK);
    assert_int_equal(r.n_rows, 0);
    assert_int_equal(r.total.balance_cents, 0);
    rcm_ar_report_free(&r);
    struct rcm_kpi_report k;
    assert_int_equal(rcm_store_report_kpis(f->s->store, &f->c, T - 89, T, &k, &d), RCM_OK);
    assert_int_equal(k.ar_cents, 0);
    assert_false(k.days_in_ar.applicable);
    assert_false(k.clean_claim_rate.applicable);
    assert_false(k.first_pass_rate.applicable);
    assert_false(k.denial_rate_count.applicable);
    assert_false(k.denial_rate_amount.applicable);
    assert_false(k.net_collection_rate.applicable);
    struct rcm_denial_report dr;
    assert_int_equal(rcm_store_report_denials(f->s->store, &f->c, T - 89, T,
                                              RCM_DENIALS_BY_PAYER, &dr, &d), RCM_OK);
    assert_int_equal(dr.n_rows, 0);
    assert_int_equal(dr.amount_cents, 0);
    rcm_denial_report_free(&dr);
    struct rcm_tf_report tf;
    assert_int_equal(rcm_store_report_timely_filing(f->s->store, &f->c, T, &tf, &d), RCM_OK);
    assert_int_equal(tf.total, 0);
    rcm_tf_report_free(&tf);
    /* tenant B sees only its own claim and denial */
    assert_int_equal(rcm_store_report_ar(f->s->store, &f->b, T, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_PAYER, &r, &d), RCM_OK);
    assert_int_equal(r.n_rows, 1);
    assert_string_equal(r.rows[0].name, "Alpha Health B");
    assert_int_equal(r.total.balance_cents, 999999);
    rcm_ar_report_free(&r);
    assert_int_equal(rcm_store_report_timely_filing(f->s->store, &f->b, T, &tf, &d), RCM_OK);
    assert_int_equal(tf.total, 1);   /* its draft, 10 days into a 30-day limit */
    assert_int_equal(tf.items[0].id, 51);
    rcm_tf_report_free(&tf);
    /* no tenant: refused */
    struct rcm_actor sys = {.type = "system"};
    assert_int_equal(rcm_store_report_ar(f->s->store, &sys, T, RCM_AR_BASIS_SERVICE,
                                         RCM_AR_BY_PAYER, &r, &d), RCM_E_INVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_open_states_follow_cycle),
    cmocka_unit_test_setup_teardown(test_ar_by_payer, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ar_by_provider_and_submission, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kpis, setup, teardown),
    cmocka_unit_test_setup_teardown(test_denials, setup, teardown),
    cmocka_unit_test_setup_teardown(test_timely_filing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_empty_and_other_tenant, setup, teardown),
};

STORE_FIXTURE_MAIN(tests)
