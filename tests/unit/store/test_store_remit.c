/*
 * Payment posting (store_remit.c) on SQLite and PostgreSQL: a posting and
 * its repeat (nothing changes), a partial payment with a PR deductible, a
 * CO-50 denial on the worklist with its deadline and an appeal letter, a
 * reversal, an unknown claim waiting and matched by hand, PLB, an
 * out-of-balance claim (posted, with a finding), a malformed file (nothing
 * written), a manual EOB and deposits. Claims are made with SQL (the claim
 * store is another module's).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/remit.h"
#include "store_fixture.h"

struct fx {
    struct store_fx *s;
    struct rcm_actor a, b;
    int64_t tenant, patient;
    int serial;
};

static int32_t day0;

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    day0 = rcm_date_from_ymd(2024, 3, 5);
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant ta, tb;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_tenant_create(f->s->store, &sys, "clinic-a", "A", &ta, &d) ||
        rcm_store_tenant_create(f->s->store, &sys, "clinic-b", "B", &tb, &d))
        return -1;
    f->tenant = ta.id;
    f->a = (struct rcm_actor){.tenant_id = ta.id, .type = "user", .user_id = 0};
    f->b = (struct rcm_actor){.tenant_id = tb.id, .type = "user", .user_id = 0};
    struct rcm_patient p = {0};
    const int set[] = {RCM_PF_LAST_NAME, RCM_PF_FIRST_NAME, RCM_PF_DOB};
    const char *val[] = {"Quartz", "Ola", "1961-04-09"};
    for (int i = 0; i < 3; i++) {
        snprintf(p.value[set[i]], sizeof p.value[0], "%s", val[i]);
        p.present |= RCM_PF_BIT(set[i]);
    }
    if (rcm_store_patient_create(f->s->store, &f->a, &p, &f->patient, &d)) {
        fprintf(stderr, "patient: %s\n", d.msg);
        return -1;
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO provider (id, tenant_id, uid, created_ms, updated_ms, npi, entity, "
             "name) VALUES (501, %lld, 'pppppppppppppppppppppppppppppp01', 1, 1, '1234567893', "
             "'organization', 'Good Clinic');"
             "INSERT INTO payer (id, tenant_id, uid, created_ms, updated_ms, payer_id, name, "
             "appeal_days) VALUES (601, %lld, 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy01', 1, 1, "
             "'ACME01', 'Acme Health', 90);"
             "INSERT INTO encounter (id, tenant_id, patient_id, uid, created_ms, updated_ms, "
             "claim_kind, billing_provider_id, service_from, service_to, diagnoses) VALUES "
             "(701, %lld, %lld, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeee01', 1, 1, 'professional', 501, "
             "%d, %d, 'E119')",
             (long long)ta.id, (long long)ta.id, (long long)ta.id, (long long)f->patient,
             (int)day0 - 20, (int)day0 - 20);
    if (store_fx_exec(f->s, sql)) {
        fprintf(stderr, "setup SQL failed\n");
        return -1;
    }
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

/* A claim in `state` with lines "PROC:charge" (cents); returns its id. */
static int64_t
mk_claim(struct fx *f, const char *control, const char *state, int n, const char *const *procs,
         const int64_t *charges)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += charges[i];
    int id = 1000 + ++f->serial;
    char sql[4096];
    size_t at = (size_t)snprintf(
        sql, sizeof sql,
        "INSERT INTO claim (id, tenant_id, patient_id, encounter_id, uid, created_ms, "
        "updated_ms, control_number, state, claim_kind, frequency, sequence, payer_ref, "
        "payer_id, billing_provider_id, service_from, service_to, charge_cents, fingerprint) "
        "VALUES (%d, %lld, %lld, 701, 'cccccccccccccccccccccccccccc%04d', 1, 1, '%s', '%s', "
        "'professional', '1', 'primary', 601, 'ACME01', 501, %d, %d, %lld, 'fp%d');",
        id, (long long)f->tenant, (long long)f->patient, id, control, state, (int)day0 - 20,
        (int)day0 - 20, (long long)total, id);
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(sql + at, sizeof sql - at,
                               "INSERT INTO claim_line (id, tenant_id, claim_id, line_no, "
                               "procedure, units_milli, charge_cents, service_date) VALUES "
                               "(%d, %lld, %d, %d, '%s', 1000, %lld, %d);",
                               id * 10 + i, (long long)f->tenant, id, i + 1, procs[i],
                               (long long)charges[i], (int)day0 - 20);
    assert_int_equal(store_fx_exec(f->s, sql), RCM_OK);
    return id;
}

static void
pay_init(struct rcm_x12_claim_payment *p, const char *control, const char *status,
         int64_t charge, int64_t paid, int64_t pr)
{
    memset(p, 0, sizeof *p);
    snprintf(p->claim_id, sizeof p->claim_id, "%s", control);
    snprintf(p->status, sizeof p->status, "%s", status);
    p->charge_cents = charge;
    p->paid_cents = paid;
    p->patient_resp_cents = pr;
    snprintf(p->filing_indicator, sizeof p->filing_indicator, "12");
    snprintf(p->payer_claim_id, sizeof p->payer_claim_id, "ICN-%s", control);
    p->patient.entity_type = '1';
    snprintf(p->patient.last_or_org, sizeof p->patient.last_or_org, "QUARTZ");
    snprintf(p->patient.id_qualifier, sizeof p->patient.id_qualifier, "MI");
    snprintf(p->patient.id, sizeof p->patient.id, "M123");
    p->service_from_days = p->service_to_days = RCM_X12_NO_DATE;
}

static struct rcm_x12_line *
add_line(struct rcm_x12_claim_payment *p, const char *proc, int64_t charge, int64_t paid)
{
    struct rcm_x12_line *l = &p->lines[p->n_lines++];
    snprintf(l->proc_qualifier, sizeof l->proc_qualifier, "HC");
    snprintf(l->procedure, sizeof l->procedure, "%s", proc);
    l->charge_cents = charge;
    l->paid_cents = paid;
    l->units_milli = 1000;
    l->service_date_days = day0 - 20;
    return l;
}

static void
add_adj(struct rcm_x12_adjustment *a, int *n, const char *group, const char *carc, int64_t amt)
{
    snprintf(a[*n].group, sizeof a[*n].group, "%s", group);
    snprintf(a[*n].reason, sizeof a[*n].reason, "%s", carc);
    a[*n].amount_cents = amt;
    (*n)++;
}

/* One interchange with one remittance of the payments (trace, PLBs). */
static void
write835(struct rcm_buf *out, const char *trace, const struct rcm_x12_claim_payment *pays,
         size_t n, const struct rcm_x12_plb *plb, int n_plb)
{
    static struct rcm_x12_remit r;
    static uint32_t control = 100;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < n; i++)
        r.payment_cents += pays[i].paid_cents;
    for (int i = 0; i < n_plb; i++) {
        r.plb[i] = plb[i];
        r.payment_cents -= plb[i].amount_cents;
    }
    r.n_plb = n_plb;
    r.credit_debit = 'C';
    snprintf(r.method, sizeof r.method, "ACH");
    r.payment_date_days = day0;
    snprintf(r.trace_number, sizeof r.trace_number, "%s", trace);
    snprintf(r.payer.last_or_org, sizeof r.payer.last_or_org, "ACME HEALTH");
    snprintf(r.payer_id, sizeof r.payer_id, "ACME01");
    snprintf(r.payee.last_or_org, sizeof r.payee.last_or_org, "GOOD CLINIC");
    snprintf(r.payee.id_qualifier, sizeof r.payee.id_qualifier, "XX");
    snprintf(r.payee.id, sizeof r.payee.id, "1234567893");
    r.production_date_days = RCM_X12_NO_DATE;
    struct rcm_x12_party *pt[2] = {&r.payer, &r.payee};
    for (int i = 0; i < 2; i++) {
        snprintf(pt[i]->address, sizeof pt[i]->address, "1 MAIN ST");
        snprintf(pt[i]->city, sizeof pt[i]->city, "SPRINGFIELD");
        snprintf(pt[i]->state, sizeof pt[i]->state, "IL");
        snprintf(pt[i]->zip, sizeof pt[i]->zip, "62701");
    }
    struct rcm_x12_envelope env = {
        .sender_qualifier = "ZZ", .sender_id = "PAYER", .receiver_qualifier = "ZZ",
        .receiver_id = "PROVIDER", .gs_sender = "PAYER", .gs_receiver = "PROVIDER",
        .isa13 = ++control, .gs06 = control, .date8 = "20240305", .time4 = "1200",
        .usage = 'T', .contact_name = "PROVIDER SERVICES", .contact_phone = "8005551212"};
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_x12_write_835(&env, &r, pays, n, out, &d) != RCM_OK)
        fail_msg("write: %s", d.msg);
}

static int64_t
q(struct fx *f, const char *sql)
{
    return store_fx_int(f->s, sql, NULL);
}

static int64_t
qf(struct fx *f, const char *fmt, int64_t v)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, (long long)v);
    return store_fx_int(f->s, sql, NULL);
}

static void
post(struct fx *f, const struct rcm_buf *b, struct rcm_remit_post_result *r)
{
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_store_remit_post_x12(f->s->store, &f->a, b->data, b->len, r, &d) != RCM_OK)
        fail_msg("post: %s", d.msg);
}

static bool
has_finding(const struct rcm_remit_post_result *r, const char *code)
{
    for (int i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].code, code) == 0)
            return true;
    return false;
}

/* A partial payment with a PR deductible; the repeat changes nothing. */
static void
test_post_and_repeat(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99213", "36415"};
    static const int64_t charges[] = {20000, 10000};
    int64_t claim = mk_claim(f, "PCN001", "accepted", 2, procs, charges);
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "PCN001", "1", 30000, 15000, 5000);
    struct rcm_x12_line *l = add_line(&p, "99213", 20000, 10000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 5000);
    add_adj(l->adj, &l->n_adj, "PR", "1", 5000);
    l->has_allowed = true;
    l->allowed_cents = 15000;
    l = add_line(&p, "36415", 10000, 5000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 5000);
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT001", &p, 1, NULL, 0);
    struct rcm_remit_post_result r;
    post(f, &b, &r);
    assert_int_equal(r.posted, 1);
    assert_int_equal(r.already_posted, 0);
    assert_int_equal(r.claims, 1);
    assert_int_equal(r.partial, 1);
    assert_int_equal(r.service_lines, 2);
    assert_int_equal(r.paid_cents, 15000);
    assert_int_equal(r.denials, 0);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 15000);
    assert_int_equal(qf(f, "SELECT patient_resp_cents FROM claim WHERE id = %lld", claim), 5000);
    assert_int_equal(qf(f, "SELECT adjustment_cents FROM claim WHERE id = %lld", claim), 10000);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim WHERE state = 'partially_paid' AND id = "
                        "%lld", claim), 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim_line WHERE id = %lld", claim * 10),
                     10000);
    assert_int_equal(qf(f, "SELECT allowed_cents FROM claim_line WHERE id = %lld", claim * 10),
                     15000);
    assert_int_equal(qf(f, "SELECT patient_resp_cents FROM claim_line WHERE id = %lld",
                        claim * 10), 5000);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim_event WHERE claim_id = %lld AND "
                        "source = 'remit_835' AND user_id IS NULL", claim), 1);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim WHERE payer_claim_number = 'ICN-PCN001' "
                        "AND adjudicated_day IS NOT NULL AND id = %lld", claim), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM payment_adjustment"), 3);
    int64_t audits = q(f, "SELECT count(*) FROM audit_event WHERE action = 'remittance.post'");
    assert_int_equal(audits, 1);
    /* the repeat */
    struct rcm_remit_post_result r2;
    post(f, &b, &r2);
    assert_int_equal(r2.posted, 0);
    assert_int_equal(r2.already_posted, 1);
    assert_int_equal(r2.remittance_ids[0], r.remittance_ids[0]);
    assert_true(r2.already[0]);
    assert_int_equal(q(f, "SELECT count(*) FROM claim_payment"), 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 15000);
    /* another tenant posting the same file finds no claim of its own */
    struct rcm_remit_post_result r3;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_remit_post_x12(f->s->store, &f->b, b.data, b.len, &r3, &d),
                     RCM_OK);
    assert_int_equal(r3.posted, 1);
    assert_int_equal(r3.unmatched, 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 15000);
    rcm_buf_release(&b);
}

struct denials {
    int n;
    struct rcm_denial d[8];
};

static int
on_denial(void *ctx, const struct rcm_denial *d)
{
    struct denials *l = ctx;
    if (l->n < 8)
        l->d[l->n++] = *d;
    return 0;
}

/* CO-50 denies the claim; the worklist item has its category and deadline;
 * an appeal moves the claim and writes a letter. */
static void
test_denial_and_appeal(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99214"};
    static const int64_t charges[] = {12000};
    int64_t claim = mk_claim(f, "PCN002", "accepted", 1, procs, charges);
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "PCN002", "4", 12000, 0, 0);
    struct rcm_x12_line *l = add_line(&p, "99214", 12000, 0);
    add_adj(l->adj, &l->n_adj, "CO", "50", 12000);
    snprintf(l->remarks[0], sizeof l->remarks[0], "N115");
    l->n_remarks = 1;
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT002", &p, 1, NULL, 0);
    struct rcm_remit_post_result r;
    post(f, &b, &r);
    assert_int_equal(r.denied, 1);
    assert_int_equal(r.denials, 1);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim WHERE state = 'denied' AND id = %lld",
                        claim), 1);
    struct denials list = {0};
    struct rcm_denial_filter flt = {.state = "open", .category = "medical_necessity",
                                    .payer_id = "ACME01", .deadline_before = day0 + 91,
                                    .limit = 50};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_denial_list(f->s->store, &f->a, &flt, on_denial, &list, &d),
                     RCM_OK);
    assert_int_equal(list.n, 1);
    assert_string_equal(list.d[0].carc, "50");
    assert_string_equal(list.d[0].remarks, "N115");
    assert_int_equal(list.d[0].denied_day, day0);
    assert_int_equal(list.d[0].appeal_deadline, day0 + 90);
    assert_int_equal(list.d[0].line_no, 1);
    flt.deadline_before = day0 + 90;
    list.n = 0;
    assert_int_equal(rcm_store_denial_list(f->s->store, &f->a, &flt, on_denial, &list, &d),
                     RCM_OK);
    assert_int_equal(list.n, 0);
    /* tenant B sees none of it */
    struct rcm_denial one;
    assert_int_equal(rcm_store_denial_get(f->s->store, &f->b, list.d[0].id ? list.d[0].id : 1,
                                          &one, &d), RCM_E_NOT_FOUND);
    flt = (struct rcm_denial_filter){.deadline_before = RCM_X12_NO_DATE, .limit = 10};
    assert_int_equal(rcm_store_denial_list(f->s->store, &f->a, &flt, on_denial, &list, &d),
                     RCM_OK);
    int64_t id = list.d[0].id;
    /* an appeal needs an argument */
    struct rcm_buf letter = RCM_BUF_INIT(1u << 20);
    assert_int_equal(rcm_store_denial_act(f->s->store, &f->a, id, RCM_DENIAL_APPEAL, "",
                                          &letter, NULL, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_denial_act(f->s->store, &f->a, id, RCM_DENIAL_APPEAL,
                                          "The visit was <necessary> & documented.", &letter,
                                          &one, &d), RCM_OK);
    assert_string_equal(one.state, "appealed");
    assert_string_equal(one.claim_state, "appealed");
    const char *html = rcm_buf_cstr(&letter);
    assert_non_null(strstr(html, "PCN002"));
    assert_non_null(strstr(html, "ICN-PCN002"));
    assert_non_null(strstr(html, "CO-50"));
    assert_non_null(strstr(html, "N115"));
    assert_non_null(strstr(html, "Acme Health"));
    assert_non_null(strstr(html, "&lt;necessary&gt; &amp; documented"));
    assert_null(strstr(html, "Quartz"));
    assert_int_equal(qf(f, "SELECT count(*) FROM denial WHERE note IS NOT NULL AND id = %lld",
                        id), 1);
    /* a second action on it is a conflict */
    assert_int_equal(rcm_store_denial_act(f->s->store, &f->a, id, RCM_DENIAL_CLOSE, NULL, NULL,
                                          NULL, &d), RCM_E_CONFLICT);
    assert_int_equal(q(f, "SELECT count(*) FROM audit_event WHERE action = 'denial.appeal'"), 1);
    rcm_buf_release(&letter);
    rcm_buf_release(&b);
}

/* Written off: the claim closes when nothing else is open. */
static void
test_write_off_closes(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99214"};
    static const int64_t charges[] = {9000};
    int64_t claim = mk_claim(f, "PCN009", "accepted", 1, procs, charges);
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "PCN009", "4", 9000, 0, 0);
    struct rcm_x12_line *l = add_line(&p, "99214", 9000, 0);
    add_adj(l->adj, &l->n_adj, "CO", "29", 9000);
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT009", &p, 1, NULL, 0);
    struct rcm_remit_post_result r;
    post(f, &b, &r);
    int64_t id = qf(f, "SELECT id FROM denial WHERE claim_id = %lld", claim);
    assert_int_equal(qf(f, "SELECT count(*) FROM denial WHERE category = 'timely_filing' AND "
                        "id = %lld", id), 1);
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_denial one;
    assert_int_equal(rcm_store_denial_act(f->s->store, &f->a, id, RCM_DENIAL_WRITE_OFF,
                                          "filed late", NULL, &one, &d), RCM_OK);
    assert_string_equal(one.state, "written_off");
    assert_string_equal(one.claim_state, "closed");
    rcm_buf_release(&b);
}

/* CLP02 = 22 takes a payment back and returns the claim to accepted. */
static void
test_reversal(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99213"};
    static const int64_t charges[] = {10000};
    int64_t claim = mk_claim(f, "PCN003", "accepted", 1, procs, charges);
    static struct rcm_x12_claim_payment p[2];
    pay_init(&p[0], "PCN003", "1", 10000, 8000, 0);
    struct rcm_x12_line *l = add_line(&p[0], "99213", 10000, 8000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 2000);
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT003", &p[0], 1, NULL, 0);
    pay_init(&p[1], "PCN003", "22", -10000, -8000, 0);
    l = add_line(&p[1], "99213", -10000, -8000);
    add_adj(l->adj, &l->n_adj, "CO", "45", -2000);
    write835(&b, "EFT004", &p[1], 1, NULL, 0);
    struct rcm_remit_post_result r;
    post(f, &b, &r);
    assert_int_equal(r.posted, 2);
    assert_int_equal(r.paid, 1);
    assert_int_equal(r.reversed, 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 0);
    assert_int_equal(qf(f, "SELECT adjustment_cents FROM claim WHERE id = %lld", claim), 0);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim_line WHERE claim_id = %lld", claim), 0);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim WHERE state = 'accepted' AND id = %lld",
                        claim), 1);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim_event WHERE source = 'reversal' AND "
                        "claim_id = %lld", claim), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM claim_payment WHERE reversal = 1"), 1);
    /* payment, reversal and corrected payment of one claim in ONE remittance
     * (the batched claim rows are flushed and the claim read again) */
    int64_t c2 = mk_claim(f, "PCN010", "accepted", 1, procs, charges);
    static struct rcm_x12_claim_payment q3[3];
    pay_init(&q3[0], "PCN010", "1", 10000, 8000, 0);
    l = add_line(&q3[0], "99213", 10000, 8000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 2000);
    pay_init(&q3[1], "PCN010", "22", -10000, -8000, 0);
    l = add_line(&q3[1], "99213", -10000, -8000);
    add_adj(l->adj, &l->n_adj, "CO", "45", -2000);
    pay_init(&q3[2], "PCN010", "1", 10000, 9000, 0);
    l = add_line(&q3[2], "99213", 10000, 9000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 1000);
    struct rcm_buf b2 = RCM_BUF_INIT(1u << 20);
    write835(&b2, "EFT010", q3, 3, NULL, 0);
    post(f, &b2, &r);
    assert_int_equal(r.claims, 3);
    assert_int_equal(r.reversed, 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", c2), 9000);
    assert_int_equal(qf(f, "SELECT adjustment_cents FROM claim WHERE id = %lld", c2), 1000);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim_line WHERE claim_id = %lld", c2), 9000);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim WHERE state = 'paid' AND id = %lld", c2), 1);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim_event WHERE claim_id = %lld", c2), 3);
    rcm_buf_release(&b2);
    rcm_buf_release(&b);
}

struct unmatched {
    int n;
    int64_t id;
    char json[2048];
};

static int
on_unmatched(void *ctx, const struct rcm_unmatched *u)
{
    struct unmatched *l = ctx;
    l->n++;
    l->id = u->pay.id;
    snprintf(l->json, sizeof l->json, "%s", u->json ? u->json : "");
    return 0;
}

/* A payment for no known claim waits, sealed, and is matched by hand. */
static void
test_unmatched_then_match(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99213"};
    static const int64_t charges[] = {10000};
    int64_t claim = mk_claim(f, "PCN004", "submitted", 1, procs, charges);
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "TYPO004", "1", 10000, 7000, 0);
    snprintf(p.payer_claim_id, sizeof p.payer_claim_id, "ICN-NOPE");
    struct rcm_x12_line *l = add_line(&p, "99213", 10000, 7000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 3000);
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT005", &p, 1, NULL, 0);
    struct rcm_remit_post_result r;
    post(f, &b, &r);
    assert_int_equal(r.unmatched, 1);
    assert_true(has_finding(&r, "claim-unknown"));
    assert_int_equal(q(f, "SELECT count(*) FROM claim_payment WHERE claim_id IS NULL AND "
                          "pending IS NOT NULL"), 1);
    assert_int_equal(q(f, "SELECT n_unmatched FROM remittance WHERE trace_number = 'EFT005'"), 1);
    struct unmatched u = {0};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_unmatched_list(f->s->store, &f->a, 0, 50, true, on_unmatched, &u,
                                              &d), RCM_OK);
    assert_int_equal(u.n, 1);
    assert_non_null(strstr(u.json, "TYPO004"));
    assert_non_null(strstr(u.json, "QUARTZ"));
    /* another tenant cannot match it, nor to a claim of another tenant */
    struct rcm_remit_post_result m;
    assert_int_equal(rcm_store_unmatched_match(f->s->store, &f->b, u.id, claim, &m, &d),
                     RCM_E_NOT_FOUND);
    f->a.user_id = 0;
    assert_int_equal(rcm_store_unmatched_match(f->s->store, &f->a, u.id, claim, &m, &d), RCM_OK);
    assert_int_equal(m.paid, 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 7000);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim WHERE state = 'paid' AND id = %lld",
                        claim), 1);
    assert_int_equal(qf(f, "SELECT count(*) FROM claim_payment WHERE matched_by = 'manual' AND "
                        "pending IS NULL AND claim_id = %lld", claim), 1);
    assert_int_equal(rcm_store_unmatched_match(f->s->store, &f->a, u.id, claim, &m, &d),
                     RCM_E_NOT_FOUND);
    u.n = 0;
    assert_int_equal(rcm_store_unmatched_list(f->s->store, &f->a, 0, 50, true, on_unmatched, &u,
                                              &d), RCM_OK);
    assert_int_equal(u.n, 0);
    rcm_buf_release(&b);
}

/* PLB rows, an out-of-balance claim (posted with a finding), deposits. */
static void
test_plb_balance_deposit(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99213"};
    static const int64_t charges[] = {10000};
    int64_t claim = mk_claim(f, "PCN006", "accepted", 1, procs, charges);
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "PCN006", "1", 10000, 6000, 0);
    struct rcm_x12_line *l = add_line(&p, "99213", 10000, 6000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 3000);   /* 1000 missing: out of balance */
    struct rcm_x12_plb plb[2] = {
        {.provider_id = "1234567893", .fiscal_period_days = day0, .reason = "L6",
         .amount_cents = -150},
        {.provider_id = "1234567893", .fiscal_period_days = day0, .reason = "WO",
         .reference = "ICN0000", .amount_cents = 1000}};
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT006", &p, 1, plb, 2);
    struct rcm_remit_post_result r;
    post(f, &b, &r);
    assert_int_equal(r.posted, 1);
    assert_true(has_finding(&r, "line-out-of-balance") || has_finding(&r, "claim-out-of-balance"));
    assert_int_equal(r.plb_cents, 850);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 6000);
    assert_int_equal(q(f, "SELECT CAST(sum(amount_cents) AS bigint) FROM provider_adjustment"),
                     850);
    assert_int_equal(q(f, "SELECT count(*) FROM provider_adjustment WHERE reason = 'WO' AND "
                          "reference = 'ICN0000'"), 1);
    /* a deposit of the right amount reconciles; the remittance paid 6000 - 850 */
    struct rcm_deposit dep = {.amount_cents = 5150, .deposit_day = day0 + 1};
    snprintf(dep.trace_number, sizeof dep.trace_number, "EFT006");
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_deposit_add(f->s->store, &f->a, &dep, &d), RCM_OK);
    assert_true(dep.reconciled);
    assert_int_equal(dep.remittance_cents, 5150);
    assert_int_equal(rcm_store_deposit_add(f->s->store, &f->a, &dep, &d), RCM_E_CONFLICT);
    struct rcm_deposit bad = {.amount_cents = 100, .deposit_day = day0};
    snprintf(bad.trace_number, sizeof bad.trace_number, "EFT-LATER");
    assert_int_equal(rcm_store_deposit_add(f->s->store, &f->a, &bad, &d), RCM_OK);
    assert_false(bad.reconciled);
    assert_int_equal(bad.remittance_id, 0);
    rcm_buf_release(&b);
}

/* A malformed file writes nothing and says where, not what. */
static void
test_malformed(void **state)
{
    struct fx *f = *state;
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "PCN007", "1", 10000, 10000, 0);
    add_line(&p, "99213", 10000, 10000);
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    write835(&b, "EFT007", &p, 1, NULL, 0);
    char *clp = strstr(b.data, "CLP*");
    assert_non_null(clp);
    memcpy(clp, "CLX", 3);
    struct rcm_remit_post_result r;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_remit_post_x12(f->s->store, &f->a, b.data, b.len, &r, &d),
                     RCM_E_PARSE);
    assert_non_null(r.error_code);
    assert_null(strstr(d.msg, "PCN007"));
    assert_int_equal(q(f, "SELECT count(*) FROM remittance"), 0);
    assert_int_equal(rcm_store_remit_post_x12(f->s->store, &f->a, "ISA*garbage", 11, &r, &d),
                     RCM_E_PARSE);
    assert_int_equal(q(f, "SELECT count(*) FROM remittance"), 0);
    rcm_buf_release(&b);
}

/* A paper EOB: trace required, user recorded. */
static void
test_manual(void **state)
{
    struct fx *f = *state;
    static const char *const procs[] = {"99213"};
    static const int64_t charges[] = {10000};
    int64_t claim = mk_claim(f, "PCN008", "accepted", 1, procs, charges);
    static struct rcm_x12_claim_payment p;
    pay_init(&p, "PCN008", "1", 10000, 9000, 0);
    struct rcm_x12_line *l = add_line(&p, "99213", 10000, 9000);
    add_adj(l->adj, &l->n_adj, "CO", "45", 1000);
    struct rcm_remit_manual m = {.payer_id = "ACME01", .payment_cents = 9000,
                                 .payment_day = day0, .pays = &p, .n_pays = 1};
    struct rcm_remit_post_result r;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_remit_post_manual(f->s->store, &f->a, &m, &r, &d), RCM_E_INVAL);
    snprintf(m.trace_number, sizeof m.trace_number, "CHK1001");
    assert_int_equal(rcm_store_remit_post_manual(f->s->store, &f->a, &m, &r, &d), RCM_OK);
    assert_int_equal(r.paid, 1);
    assert_int_equal(q(f, "SELECT count(*) FROM remittance WHERE source = 'manual'"), 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 9000);
    assert_int_equal(rcm_store_remit_post_manual(f->s->store, &f->a, &m, &r, &d), RCM_OK);
    assert_int_equal(r.already_posted, 1);
    assert_int_equal(qf(f, "SELECT paid_cents FROM claim WHERE id = %lld", claim), 9000);
    /* the JSON form round-trips */
    json_t *j = NULL;
    static struct rcm_x12_claim_payment back;
    assert_int_equal(rcm_remit_payment_to_json(&p, &j), RCM_OK);
    assert_int_equal(rcm_remit_payment_from_json(j, &back, &d), RCM_OK);
    json_decref(j);
    assert_string_equal(back.claim_id, "PCN008");
    assert_int_equal(back.n_lines, 1);
    assert_int_equal(back.lines[0].adj[0].amount_cents, 1000);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_post_and_repeat, setup, teardown),
    cmocka_unit_test_setup_teardown(test_denial_and_appeal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_off_closes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reversal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unmatched_then_match, setup, teardown),
    cmocka_unit_test_setup_teardown(test_plb_balance_deposit, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_manual, setup, teardown),
};

STORE_FIXTURE_MAIN(tests)
