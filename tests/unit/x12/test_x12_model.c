/*
 * test_x12_model.c — claims and claim payments built from samples, and the
 * 837P/835 writers: their output validates clean against the guides and
 * parses back to the same structs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rcm/date.h"
#include "x12_test_util.h"

#define MAXC 64

struct got {
    size_t nclaims, npays;
    struct rcm_x12_claim claims[MAXC];
    struct rcm_x12_remit remit;
    struct rcm_x12_claim_payment pays[MAXC];
};

static void
on_claim(void *ctx, const struct rcm_x12_claim *c)
{
    struct got *g = ctx;
    if (g->nclaims < MAXC)
        g->claims[g->nclaims] = *c;
    g->nclaims++;
}

static void
on_pay(void *ctx, const struct rcm_x12_remit *r, const struct rcm_x12_claim_payment *p)
{
    struct got *g = ctx;
    g->remit = *r;
    if (g->npays < MAXC)
        g->pays[g->npays] = *p;
    g->npays++;
}

/* Parse; return the validator stats. */
static struct rcm_x12_stats
parse(const char *p, size_t n, struct got *g)
{
    memset(g, 0, sizeof *g);
    struct rcm_x12_model m;
    rcm_x12_model_init(&m, on_claim, on_pay, g);
    struct rcm_x12_validate_opts o = {.on_segment = rcm_x12_model_segment, .ctx = &m};
    struct rcm_x12_stats st;
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, &st), RCM_OK);
    rcm_x12_model_finish(&m);
    return st;
}

static char *
load(const char *rel, size_t *n)
{
    char *p = x12t_load(rel, n);
    assert_non_null(p);
    return p;
}

static const struct rcm_x12_envelope env = {
    .sender_qualifier = "ZZ", .sender_id = "SENDER", .receiver_qualifier = "ZZ",
    .receiver_id = "RECEIVER", .gs_sender = "SENDER", .gs_receiver = "RECEIVER",
    .isa13 = 42, .gs06 = 7, .date8 = "20240102", .time4 = "0930", .usage = 'T',
    .submitter_name = "OPENRCM CLINIC", .submitter_id = "SUB1",
    .contact_name = "BILLING", .contact_phone = "5555551212",
    .receiver_name = "CLEARINGHOUSE", .receiver_etin = "ETIN1",
};

static void
test_837p_claim_fields(void **state)
{
    (void)state;
    size_t n;
    char *p = load("tests/golden/x12/samples/837p-example1.edi", &n);
    static struct got g;
    parse(p, n, &g);
    assert_int_equal(g.nclaims, 1);
    const struct rcm_x12_claim *c = &g.claims[0];
    assert_int_equal(c->kind, 'P');
    assert_string_equal(c->claim_id, "26463774");
    assert_int_equal(c->charge_cents, 10000);
    assert_string_equal(c->facility_code, "11");
    assert_string_equal(c->frequency, "1");
    assert_string_equal(c->billing.last_or_org, "BEN KILDARE SERVICE");
    assert_string_equal(c->billing.id, "1912301953");
    assert_string_equal(c->billing.city, "MIAMI");
    assert_string_equal(c->billing_tax_id, "587654321");
    assert_string_equal(c->subscriber.last_or_org, "SMITH");
    assert_string_equal(c->subscriber.first, "JANE");
    assert_string_equal(c->subscriber.id, "JS00111223333");
    assert_int_equal(c->responsibility, 'P');
    assert_string_equal(c->filing_indicator, "CI");
    assert_string_equal(c->payer.id, "999996666");
    assert_true(c->has_patient);
    assert_string_equal(c->patient.first, "TED");
    assert_int_equal(c->patient_gender, 'M');
    assert_int_equal(c->patient_birth_days, rcm_date_from_ymd(1973, 5, 1));
    assert_int_equal(c->n_dx, 2);
    assert_string_equal(c->dx[0], "0340");
    assert_string_equal(c->dx[1], "V7389");
    assert_int_equal(c->n_lines, 4);
    assert_string_equal(c->lines[0].procedure, "99213");
    assert_int_equal(c->lines[0].charge_cents, 4000);
    assert_int_equal(c->lines[0].units_milli, 1000);
    assert_int_equal(c->lines[0].service_date_days, rcm_date_from_ymd(2006, 10, 3));
    assert_string_equal(c->lines[3].procedure, "86663");
    assert_int_equal(c->lines[3].service_date_days, rcm_date_from_ymd(2006, 10, 10));
    free(p);
}

static void
test_837i_and_multi(void **state)
{
    (void)state;
    size_t n;
    char *p = load("tests/golden/x12/samples/837i-two-claims.edi", &n);
    static struct got g;
    parse(p, n, &g);
    assert_int_equal(g.nclaims, 2);
    assert_int_equal(g.claims[0].kind, 'I');
    assert_true(g.claims[0].n_lines > 0);
    assert_true(g.claims[0].lines[0].revenue_code[0] != 0);
    assert_string_not_equal(g.claims[0].claim_id, g.claims[1].claim_id);
    free(p);
}

static void
test_835_fields(void **state)
{
    (void)state;
    size_t n;
    char *p = load("tests/golden/x12/samples/835-mult-loops.edi", &n);
    static struct got g;
    parse(p, n, &g);
    assert_true(g.npays >= 1);
    assert_string_equal(g.pays[0].claim_id, "2005555A");
    assert_string_equal(g.pays[0].status, "4");
    assert_int_equal(g.pays[0].charge_cents, 91539);
    assert_int_equal(g.pays[0].paid_cents, 0);
    assert_string_equal(g.pays[0].payer_claim_id, "4276512332");
    assert_string_equal(g.pays[0].patient.last_or_org, "BACH");
    assert_string_equal(g.pays[0].lines[0].procedure, "T1005");
    assert_int_equal(g.pays[0].lines[0].charge_cents, 50004);
    assert_int_equal(g.pays[0].lines[0].units_milli, 68000);
    assert_int_equal(g.pays[0].lines[0].service_date_days, rcm_date_from_ymd(2003, 11, 29));
    assert_string_equal(g.remit.method, "NON");
    assert_string_equal(g.remit.payer.last_or_org, "PAYER");
    assert_string_equal(g.remit.payer.city, "LANSING");
    assert_string_equal(g.remit.payee.id, "444313000");
    free(p);
}

/* parse -> write -> validate clean -> parse back -> same structs */
static void
test_837p_write_round_trip(void **state)
{
    (void)state;
    static const char *const files[] = {
        "tests/golden/x12/samples/837p-example1.edi",
        "tests/golden/x12/samples/837p-cob-example3c.edi",
        "tests/golden/x12/own/837p-minimal.edi",
    };
    static struct got all, back;
    struct rcm_x12_claim *claims = calloc(8, sizeof *claims);
    assert_non_null(claims);
    size_t nc = 0;
    for (size_t f = 0; f < 3; f++) {
        size_t n;
        char *p = load(files[f], &n);
        parse(p, n, &all);
        for (size_t i = 0; i < all.nclaims && nc < 8; i++)
            claims[nc++] = all.claims[i];
        free(p);
    }
    assert_int_equal(nc, 3);
    /* the minimal file has no DMG; the writer needs what it writes */
    struct rcm_buf out = RCM_BUF_INIT(1u << 20);
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_x12_write_837p(&env, claims, nc, &out, &d) != RCM_OK)
        fail_msg("write failed: %s", d.msg);
    struct rcm_x12_stats st = parse(out.data, out.len, &back);
    if (st.errors || st.sets_accepted != 1)
        fail_msg("written 837P does not validate:\n%s", out.data);
    assert_int_equal(back.nclaims, nc);
    for (size_t i = 0; i < nc; i++) {
        if (memcmp(&back.claims[i], &claims[i], sizeof claims[i]) != 0) {
            const struct rcm_x12_claim *a = &claims[i], *b = &back.claims[i];
            size_t off = 0;
            while (((const char *)a)[off] == ((const char *)b)[off])
                off++;
            fail_msg("claim %zu differs after write+parse at byte %zu (%s/%s, %d/%d lines)",
                     i, off, a->claim_id, b->claim_id, a->n_lines, b->n_lines);
        }
    }
    assert_non_null(strstr(out.data, "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*0930*^*00501*000000042*0*T*:~"));
    assert_non_null(strstr(out.data, "GE*1*7~\nIEA*1*000000042~\n"));

    /* refusals leave the output untouched */
    size_t before = out.len;
    claims[0].claim_id[0] = 0;
    assert_int_equal(rcm_x12_write_837p(&env, claims, nc, &out, &d), RCM_E_INVAL);
    assert_non_null(strstr(d.msg, "claim id"));
    strcpy(claims[0].claim_id, "A*B");
    assert_int_equal(rcm_x12_write_837p(&env, claims, nc, &out, &d), RCM_E_INVAL);
    assert_non_null(strstr(d.msg, "delimiter"));
    assert_int_equal(out.len, before);
    rcm_buf_release(&out);
    free(claims);
}

static void
test_837i_write_round_trip(void **state)
{
    (void)state;
    static const char *const files[] = {
        "tests/golden/x12/samples/837i-two-claims.edi",
        "tests/golden/x12/samples/837i-institutional.edi",
    };
    static struct got all, back;
    struct rcm_x12_claim *claims = calloc(8, sizeof *claims);
    assert_non_null(claims);
    size_t nc = 0;
    for (size_t f = 0; f < 2; f++) {
        size_t n;
        char *p = load(files[f], &n);
        parse(p, n, &all);
        for (size_t i = 0; i < all.nclaims && nc < 8; i++)
            claims[nc++] = all.claims[i];
        free(p);
    }
    assert_int_equal(nc, 3);
    assert_int_equal(claims[0].kind, 'I');
    /* the first sample predates the rule that 2010AA N403 has all nine
     * digits (pyx12's <regex>, checked since); the writer sends what it is
     * given, so give it a compliant one */
    for (size_t i = 0; i < nc; i++)
        if (strlen(claims[i].billing.zip) == 5)
            strcat(claims[i].billing.zip, "1234");
    assert_true(claims[0].patient_status[0] != 0);
    assert_true(claims[0].statement_from_days != RCM_X12_NO_DATE);
    struct rcm_buf out = RCM_BUF_INIT(1u << 20);
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_x12_write_837i(&env, claims, nc, &out, &d) != RCM_OK)
        fail_msg("write failed: %s", d.msg);
    struct rcm_x12_stats st = parse(out.data, out.len, &back);
    if (st.errors || st.sets_accepted != 1)
        { FILE *df = fopen(RCM_TEST_BINARY_DIR "/837i-written.x12", "w"); if (df) { fputs(out.data, df); fclose(df); } fail_msg("written 837I does not validate (see %s)", RCM_TEST_BINARY_DIR "/837i-written.x12"); }
    assert_int_equal(back.nclaims, nc);
    for (size_t i = 0; i < nc; i++) {
        if (memcmp(&back.claims[i], &claims[i], sizeof claims[i]) != 0) {
            const char *a = (const char *)&claims[i], *b = (const char *)&back.claims[i];
            size_t off = 0;
            while (a[off] == b[off])
                off++;
            fail_msg("837I claim %zu differs after write+parse at byte %zu", i, off);
        }
    }
    /* a professional claim is refused by the institutional writer */
    claims[0].kind = 'P';
    assert_int_equal(rcm_x12_write_837i(&env, claims, nc, &out, &d), RCM_E_INVAL);
    rcm_buf_release(&out);
    free(claims);
}

static void
test_835_write_round_trip(void **state)
{
    (void)state;
    static struct got g, back;
    size_t n;
    char *p = load("tests/golden/x12/own/835-minimal.edi", &n);
    parse(p, n, &g);
    free(p);
    assert_int_equal(g.npays, 1);
    /* add a second payment with lines and adjustments */
    struct rcm_x12_claim_payment pays[2];
    pays[0] = g.pays[0];
    struct rcm_x12_claim_payment *q = &pays[1];
    memset(q, 0, sizeof *q);
    strcpy(q->claim_id, "CLAIM2");
    strcpy(q->status, "1");
    q->charge_cents = 25000;
    q->paid_cents = 18000;
    q->patient_resp_cents = 2000;
    strcpy(q->filing_indicator, "12");
    strcpy(q->payer_claim_id, "PCN2");
    strcpy(q->patient.last_or_org, "ROE");
    strcpy(q->patient.first, "RICHARD");
    strcpy(q->patient.id_qualifier, "MI");
    strcpy(q->patient.id, "M2");
    q->patient.entity_type = '1';
    q->n_adj = 1;
    strcpy(q->adj[0].group, "PR");
    strcpy(q->adj[0].reason, "1");
    q->adj[0].amount_cents = 2000;
    q->n_lines = 2;
    for (int k = 0; k < 2; k++) {
        struct rcm_x12_line *l = &q->lines[k];
        strcpy(l->proc_qualifier, "HC");
        strcpy(l->procedure, k ? "99214" : "99213");
        if (k)
            strcpy(l->modifiers[0], "25");
        l->charge_cents = k ? 15000 : 10000;
        l->paid_cents = k ? 10000 : 8000;
        l->units_milli = 1000;
        l->service_date_days = rcm_date_from_ymd(2024, 1, 3 + k);
        l->n_adj = 2;
        strcpy(l->adj[0].group, "CO");
        strcpy(l->adj[0].reason, "45");
        l->adj[0].amount_cents = k ? 4000 : 1000;
        strcpy(l->adj[1].group, k ? "CO" : "PR");
        strcpy(l->adj[1].reason, k ? "253" : "1");
        l->adj[1].amount_cents = 1000;
    }
    struct rcm_buf out = RCM_BUF_INIT(1u << 20);
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_x12_envelope e = env;
    if (rcm_x12_write_835(&e, &g.remit, pays, 2, &out, &d) != RCM_OK)
        fail_msg("write failed: %s", d.msg);
    struct rcm_x12_stats st = parse(out.data, out.len, &back);
    if (st.errors || st.sets_accepted != 1)
        fail_msg("written 835 does not validate:\n%s", out.data);
    assert_int_equal(back.npays, 2);
    assert_int_equal(back.remit.payment_cents, g.remit.payment_cents);
    assert_string_equal(back.remit.trace_number, g.remit.trace_number);
    assert_int_equal(back.remit.payment_date_days, g.remit.payment_date_days);
    assert_string_equal(back.remit.payee.id, g.remit.payee.id);
    for (int i = 0; i < 2; i++) {
        const struct rcm_x12_claim_payment *a = &pays[i], *b = &back.pays[i];
        assert_string_equal(a->claim_id, b->claim_id);
        assert_int_equal(a->paid_cents, b->paid_cents);
        assert_int_equal(a->patient_resp_cents, b->patient_resp_cents);
        assert_int_equal(a->n_adj, b->n_adj);
        assert_int_equal(a->n_lines, b->n_lines);
        for (int k = 0; k < a->n_lines; k++) {
            assert_string_equal(a->lines[k].procedure, b->lines[k].procedure);
            assert_string_equal(a->lines[k].modifiers[0], b->lines[k].modifiers[0]);
            assert_int_equal(a->lines[k].paid_cents, b->lines[k].paid_cents);
            assert_int_equal(a->lines[k].service_date_days, b->lines[k].service_date_days);
            assert_int_equal(a->lines[k].n_adj, b->lines[k].n_adj);
            for (int j = 0; j < a->lines[k].n_adj; j++) {
                assert_string_equal(a->lines[k].adj[j].reason, b->lines[k].adj[j].reason);
                assert_int_equal(a->lines[k].adj[j].amount_cents,
                                 b->lines[k].adj[j].amount_cents);
            }
        }
    }
    /* adjustments of one group share a CAS segment */
    assert_non_null(strstr(out.data, "CAS*CO*45*40**253*10~"));
    rcm_buf_release(&out);
}

struct acks {
    int n;
    struct rcm_x12_ack_result a[8];
    int ns;
    struct rcm_x12_claim_status s[8];
};

static void
on_ack(void *ctx, const struct rcm_x12_ack_result *a)
{
    struct acks *x = ctx;
    if (x->n < 8)
        x->a[x->n] = *a;
    x->n++;
}

static void
on_status(void *ctx, const struct rcm_x12_claim_status *s)
{
    struct acks *x = ctx;
    if (x->ns < 8)
        x->s[x->ns] = *s;
    x->ns++;
}

static void
parse_acks(const char *p, size_t n, struct acks *x)
{
    memset(x, 0, sizeof *x);
    static struct rcm_x12_model m;
    rcm_x12_model_init(&m, NULL, NULL, x);
    m.on_ack = on_ack;
    m.on_status = on_status;
    struct rcm_x12_validate_opts o = {.on_segment = rcm_x12_model_segment, .ctx = &m};
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, NULL), RCM_OK);
    rcm_x12_model_finish(&m);
}

/* our own 999 for a rejected 835, and a third-party multi-group 999 */
static void
test_999_results(void **state)
{
    (void)state;
    size_t n;
    char *p = load("tests/golden/x12/samples/835-managed-care.edi", &n);
    struct rcm_buf ack = RCM_BUF_INIT(1u << 20);
    struct rcm_x12_validate_opts o = {.ack = &ack, .ack_date = "20240101", .ack_time = "1200"};
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, NULL), RCM_OK);
    static struct acks x;
    parse_acks(ack.data, ack.len, &x);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.a[0].st01, "835");
    assert_string_equal(x.a[0].st02, "112233");
    assert_string_equal(x.a[0].group_control, "1");
    assert_int_equal(x.a[0].status, 'R');
    assert_int_equal(x.a[0].n_codes, 1);
    assert_string_equal(x.a[0].codes[0], "5");
    assert_int_equal(x.a[0].n_segment_errors, 2);
    rcm_buf_release(&ack);
    free(p);
    p = load("tests/golden/x12/samples/999-pyx12-multi.edi", &n);
    parse_acks(p, n, &x);
    assert_int_equal(x.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(x.a[i].status, 'A');
        assert_string_equal(x.a[i].group_control, "13360001");
        assert_int_equal(x.a[i].n_segment_errors, 0);
    }
    free(p);
}

static void
test_277_statuses(void **state)
{
    (void)state;
    size_t n;
    char *p = load("tests/golden/x12/samples/277-claim-level.edi", &n);
    static struct acks x;
    parse_acks(p, n, &x);
    assert_int_equal(x.ns, 3);
    assert_string_equal(x.s[0].claim_id, "ABCXYZ1");
    assert_string_equal(x.s[0].category, "P3");
    assert_string_equal(x.s[0].status, "317");
    assert_int_equal(x.s[0].status_date_days, rcm_date_from_ymd(2005, 9, 13));
    assert_int_equal(x.s[0].charge_cents, 851388);
    assert_string_equal(x.s[0].payer_claim_id, "05347006051");
    assert_string_equal(x.s[1].claim_id, "ABCXYZ2");
    assert_string_equal(x.s[1].category, "F0");
    assert_string_equal(x.s[2].claim_id, "ABCXYC3");   /* dependent, 2200E */
    assert_string_equal(x.s[2].category, "F2");
    assert_string_equal(x.s[2].entity, "QC");
    free(p);
}

static void
set_party(struct rcm_x12_party *p, char type, const char *last, const char *first,
          const char *qual, const char *id)
{
    memset(p, 0, sizeof *p);
    p->entity_type = type;
    strcpy(p->last_or_org, last);
    strcpy(p->first, first);
    strcpy(p->id_qualifier, qual);
    strcpy(p->id, id);
}

/* Segments from ST to SE of `x12` must equal `want` (NULL-terminated). */
static void
assert_set(const char *x12, const char *const *want)
{
    const char *p = strstr(x12, "ST*");
    assert_non_null(p);
    for (size_t i = 0; want[i]; i++) {
        const char *e = strstr(p, "~\n");
        assert_non_null(e);
        if ((size_t)(e - p) != strlen(want[i]) || memcmp(p, want[i], (size_t)(e - p)))
            fail_msg("segment %zu is '%.*s', want '%s'", i, (int)(e - p), p, want[i]);
        p = e + 2;
    }
    assert_true(strncmp(p, "GE*1*7~", 7) == 0);
}

/* The 270 of the implementation guide's subscriber example (lfh-x12
 * demo-single-line.270), written from structs. */
static void
test_write_270(void **state)
{
    (void)state;
    struct rcm_x12_eligibility_request q;
    memset(&q, 0, sizeof q);
    set_party(&q.payer, '2', "ABC COMPANY", "", "PI", "842610001");
    set_party(&q.provider, '2', "BONE AND JOINT CLINIC", "", "SV", "2000035");
    set_party(&q.subscriber, '1', "SMITH", "ROBERT", "MI", "11122333301");
    q.subscriber_birth_days = rcm_date_from_ymd(1943, 5, 19);
    strcpy(q.trace_id, "93175-012547");
    strcpy(q.trace_originator, "9877281234");
    q.service_date_days = rcm_date_from_ymd(2006, 5, 1);
    struct rcm_buf out = RCM_BUF_INIT(1u << 16);
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_x12_write_270(&env, &q, 1, &out, &d), RCM_OK);
    static const char *const want[] = {
        "ST*270*0001*005010X279A1", "BHT*0022*13*42*20240102*0930",
        "HL*1**20*1", "NM1*PR*2*ABC COMPANY*****PI*842610001",
        "HL*2*1*21*1", "NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035",
        "HL*3*2*22*0", "TRN*1*93175-012547*9877281234",
        "NM1*IL*1*SMITH*ROBERT****MI*11122333301", "DMG*D8*19430519",
        "DTP*291*D8*20060501", "EQ*30", "SE*13*0001", NULL,
    };
    assert_set(out.data, want);
    /* it validates clean against the X279A1 270 map (data/x12/maps) */
    struct rcm_x12_stats st;
    struct rcm_x12_validate_opts o = {0};
    assert_int_equal(rcm_x12_validate_buffer(out.data, out.len, &o, &st), RCM_OK);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.warnings, 0);
    assert_int_equal(st.sets_accepted, 1);
    rcm_buf_release(&out);
}

/* The first claim of the 276 example (lfh-x12 claim-level-status.276). */
static void
test_write_276(void **state)
{
    (void)state;
    struct rcm_x12_status_request q;
    memset(&q, 0, sizeof q);
    set_party(&q.payer, '2', "ABC INSURANCE", "", "PI", "12345");
    set_party(&q.receiver, '2', "XYZ SERVICE", "", "46", "X67E");
    set_party(&q.provider, '2', "HOME HOSPITAL", "", "XX", "1666666661");
    set_party(&q.subscriber, '1', "SMITH", "FRED", "MI", "123456789A");
    strcpy(q.claim_id, "ABCXYZ1");
    q.charge_cents = 851388;
    q.service_from_days = rcm_date_from_ymd(2005, 8, 31);
    q.service_to_days = rcm_date_from_ymd(2005, 9, 6);
    struct rcm_buf out = RCM_BUF_INIT(1u << 16);
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_x12_write_276(&env, &q, 1, &out, &d), RCM_OK);
    static const char *const want[] = {
        "ST*276*0001*005010X212", "BHT*0010*13*42*20240102*0930",
        "HL*1**20*1", "NM1*PR*2*ABC INSURANCE*****PI*12345",
        "HL*2*1*21*1", "NM1*41*2*XYZ SERVICE*****46*X67E",
        "HL*3*2*19*1", "NM1*1P*2*HOME HOSPITAL*****XX*1666666661",
        "HL*4*3*22*0", "NM1*IL*1*SMITH*FRED****MI*123456789A",
        "TRN*1*ABCXYZ1", "AMT*T3*8513.88", "DTP*472*RD8*20050831-20050906",
        "SE*14*0001", NULL,
    };
    assert_set(out.data, want);
    /* it validates clean against the X212 276 map (data/x12/maps), but for
     * the TR3 example's NPI 1666666661, which fails the check digit */
    struct rcm_x12_stats st;
    struct rcm_x12_validate_opts o = {.no_npi_check = true};
    assert_int_equal(rcm_x12_validate_buffer(out.data, out.len, &o, &st), RCM_OK);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.warnings, 0);
    assert_int_equal(st.sets_accepted, 1);
    /* a missing claim id is refused */
    q.claim_id[0] = 0;
    size_t before = out.len;
    assert_int_equal(rcm_x12_write_276(&env, &q, 1, &out, &d), RCM_E_INVAL);
    assert_int_equal(out.len, before);
    rcm_buf_release(&out);
}

struct eligs {
    int n;
    struct rcm_x12_eligibility e[4];
};

static void
on_elig(void *ctx, const struct rcm_x12_eligibility *e)
{
    struct eligs *x = ctx;
    if (x->n < 4)
        x->e[x->n] = *e;
    x->n++;
}

static void
parse_271(const char *rel, struct eligs *x)
{
    size_t n;
    char *p = load(rel, &n);
    memset(x, 0, sizeof *x);
    static struct rcm_x12_model m;
    rcm_x12_model_init(&m, NULL, NULL, x);
    m.on_eligibility = on_elig;
    struct rcm_x12_validate_opts o = {.on_segment = rcm_x12_model_segment, .ctx = &m};
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, NULL), RCM_OK);
    rcm_x12_model_finish(&m);
    free(p);
}

static void
test_271_benefits(void **state)
{
    (void)state;
    static struct eligs x;
    parse_271("tests/golden/x12/samples/271-dependent.edi", &x);
    assert_int_equal(x.n, 2);
    /* the subscriber level, then the dependent with the benefits */
    assert_false(x.e[0].dependent);
    assert_string_equal(x.e[0].person.last_or_org, "SMITH");
    assert_string_equal(x.e[0].person.first, "JOHN");
    assert_string_equal(x.e[0].person.city, "KANSAS CITY");
    assert_int_equal(x.e[0].birth_days, rcm_date_from_ymd(1963, 5, 19));
    assert_int_equal(x.e[0].n_benefits, 0);
    const struct rcm_x12_eligibility *d = &x.e[1];
    assert_true(d->dependent);
    assert_string_equal(d->trace_id, "93175-012547");
    assert_string_equal(d->person.first, "MARY");   /* not the LS/LE provider */
    assert_int_equal(d->gender, 'F');
    assert_string_equal(d->payer.id, "841610001");
    assert_string_equal(d->receiver.last_or_org, "BONE AND JOIN CLINIC");
    assert_true(d->active);
    assert_int_equal(d->n_benefits, 5);
    assert_string_equal(d->benefits[0].plan, "GOLD 123 PLAN");
    assert_string_equal(d->benefits[0].service_types[0], "30");
    assert_string_equal(d->benefits[1].code, "L");
    assert_int_equal(d->benefits[2].n_service_types, 8);
    assert_string_equal(d->benefits[2].service_types[7], "AL");
    assert_string_equal(d->benefits[3].code, "B");
    assert_string_equal(d->benefits[3].insurance_type, "HM");
    assert_string_equal(d->benefits[3].period, "27");
    assert_true(d->benefits[3].has_amount);
    assert_int_equal(d->benefits[3].amount_cents, 1000);
    assert_int_equal(d->benefits[3].in_network, 'Y');
    assert_int_equal(d->benefits[4].amount_cents, 3000);
    assert_int_equal(d->benefits[4].in_network, 'N');

    parse_271("tests/golden/x12/samples/271-node-x12.edi", &x);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.e[0].person.last_or_org, "BELMAR");
    assert_int_equal(x.e[0].n_benefits, 9);
    assert_string_equal(x.e[0].benefits[1].insurance_type, "MA");
    assert_int_equal(x.e[0].benefits[1].from_days, rcm_date_from_ymd(2015, 7, 1));
    assert_int_equal(x.e[0].benefits[0].from_days, RCM_X12_NO_DATE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_837p_claim_fields),
        cmocka_unit_test(test_837i_and_multi),
        cmocka_unit_test(test_835_fields),
        cmocka_unit_test(test_837p_write_round_trip),
        cmocka_unit_test(test_837i_write_round_trip),
        cmocka_unit_test(test_835_write_round_trip),
        cmocka_unit_test(test_999_results),
        cmocka_unit_test(test_write_270),
        cmocka_unit_test(test_271_benefits),
        cmocka_unit_test(test_write_276),
        cmocka_unit_test(test_277_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
