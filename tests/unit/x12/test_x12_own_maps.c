/*
 * test_x12_own_maps.c — the 270/271 (005010X279A1) and 276 (005010X212)
 * schemas openrcm authored itself (data/x12/maps): a minimal and a full
 * valid file per set (no finding, loops placed as the guide nests them),
 * the error classes of the issue (missing required segment, bad code in an
 * ID element, bad HL parent, repeat overflow, element too long) with the
 * whole expected 999 written by hand, and the writer's 270/276 output
 * validating clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rcm/date.h"
#include "x12_test_util.h"

static void
on_s(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *c)
{
    struct x12t_run *r = ctx;
    if (c->depth < 3)
        return;   /* envelope segments */
    if (rcm_buf_addf(&r->loops, "%s %s\n", seg->id, c->loops[c->depth - 1]) != RCM_OK)
        abort();
}

static char *
load_own(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/golden/x12/own/%s", name);
    size_t n;
    char *p = x12t_load(rel, &n);
    if (!p)
        fail_msg("cannot read %s", rel);
    return p;
}

/* Copy of `src` with the first `from` replaced by `to` (must occur). */
static char *
edit(const char *src, const char *from, const char *to)
{
    const char *at = strstr(src, from);
    if (!at)
        fail_msg("edit: '%s' not found", from);
    size_t a = (size_t)(at - src), fl = strlen(from), tl = strlen(to);
    char *out = malloc(strlen(src) - fl + tl + 1);
    assert_non_null(out);
    memcpy(out, src, a);
    memcpy(out + a, to, tl);
    strcpy(out + a + tl, at + fl);
    return out;
}

/* The 999 of one set: the ack envelope around AK1/AK2, then `body` (IK3,
 * IK4, IK5 lines) and `ak9`; SE01 is counted here. */
#define ACK_ISA "ISA*00*          *00*          *ZZ*RECEIVERID     *ZZ*SUBMITTERID    *240101*1200*^*00501*000000001*0*P*:"
#define ACK_GS "GS*FA*RECEIVERID*SUBMITTERID*20240101*1200*1*X*005010X231A1"

static void
assert_ack(const char *ack, const char *ak1, const char *ak2,
           const char *const *body, const char *ak9)
{
    const char *want[40];
    size_t n = 0, nbody = 0;
    want[n++] = ACK_ISA;
    want[n++] = ACK_GS;
    want[n++] = "ST*999*0001*005010X231A1";
    want[n++] = ak1;
    want[n++] = ak2;
    for (; body[nbody]; nbody++)
        want[n++] = body[nbody];
    want[n++] = ak9;
    char se[32];
    snprintf(se, sizeof se, "SE*%zu*0001", 5 + nbody);
    want[n++] = se;
    want[n++] = "GE*1*1";
    want[n++] = "IEA*1*000000001";
    const char *p = ack;
    for (size_t i = 0; i < n; i++) {
        const char *e = strstr(p, "~\n");
        if (!e)
            fail_msg("ack ends before segment %zu (want %s):\n%s", i, want[i], ack);
        size_t len = (size_t)(e - p);
        if (len != strlen(want[i]) || memcmp(p, want[i], len) != 0)
            fail_msg("ack segment %zu is '%.*s', want '%s'\nfull ack:\n%s", i,
                     (int)len, p, want[i], ack);
        p = e + 2;
    }
    if (*p)
        fail_msg("ack has more segments than expected: %s", p);
}

struct set_kind {
    const char *prefix;      /* "270" */
    const char *ak1, *ak2;
};

static const struct set_kind K270 = {"270", "AK1*HS*2*005010X279A1", "AK2*270*0001*005010X279A1"};
static const struct set_kind K271 = {"271", "AK1*HB*2*005010X279A1", "AK2*271*0001*005010X279A1"};
static const struct set_kind K276 = {"276", "AK1*HR*2*005010X212", "AK2*276*0001*005010X212"};

static void
test_valid_files(void **state)
{
    (void)state;
    const struct set_kind *kinds[] = {&K270, &K271, &K276};
    static const char *const accepted[] = {"IK5*A", NULL};
    for (size_t k = 0; k < 3; k++) {
        for (int full = 0; full < 2; full++) {
            char name[64];
            snprintf(name, sizeof name, "%s-%s.edi", kinds[k]->prefix,
                     full ? "full" : "minimal");
            char *p = load_own(name);
            struct x12t_run r;
            x12t_validate(&r, p, strlen(p), on_s);
            if (r.findings.len)
                fail_msg("%s: unexpected findings:\n%s", name, rcm_buf_cstr(&r.findings));
            assert_int_equal(r.st.sets, 1);
            assert_int_equal(r.st.sets_accepted, 1);
            assert_ack(r.ack, kinds[k]->ak1, kinds[k]->ak2, accepted, "AK9*A*1*1*1");
            x12t_run_free(&r);
            free(p);
        }
    }
}

/*
 * Every segment of the full files lands in the loop the guide puts it in
 * (the innermost open loop after the segment is placed). This is what makes
 * "no finding" meaningful: HL03 20/21/22/23 (270/271) and 20/21/19/22/23
 * (276) open 2000A-2000E, NM1/EB/LS/SVC open the 2100/2110/2120/2210 loops.
 */
static void
check_loops(const char *name, const char *want)
{
    char *p = load_own(name);
    struct x12t_run r;
    x12t_validate(&r, p, strlen(p), on_s);
    if (strcmp(rcm_buf_cstr(&r.loops), want) != 0)
        fail_msg("%s: loops are\n%s\nwant\n%s", name, rcm_buf_cstr(&r.loops), want);
    x12t_run_free(&r);
    free(p);
}

static void
test_loop_placement(void **state)
{
    (void)state;
    check_loops("270-full.edi",
                "ST ST_LOOP\nBHT ST_LOOP\n"
                "HL 2000A\nNM1 2100A\n"
                "HL 2000B\nNM1 2100B\nREF 2100B\nN3 2100B\nN4 2100B\nPRV 2100B\n"
                "HL 2000C\nTRN 2000C\nTRN 2000C\n"
                "NM1 2100C\nREF 2100C\nREF 2100C\nN3 2100C\nN4 2100C\nPRV 2100C\n"
                "DMG 2100C\nINS 2100C\nHI 2100C\nDTP 2100C\n"
                "EQ 2110C\nAMT 2110C\nAMT 2110C\nIII 2110C\nREF 2110C\nDTP 2110C\n"
                "EQ 2110C\n"
                "HL 2000D\nTRN 2000D\nNM1 2100D\nREF 2100D\nN3 2100D\nN4 2100D\n"
                "DMG 2100D\nINS 2100D\nDTP 2100D\nEQ 2110D\n"
                "HL 2000C\nNM1 2100C\nEQ 2110C\n"
                "HL 2000A\nNM1 2100A\nHL 2000B\nNM1 2100B\n"
                "HL 2000C\nNM1 2100C\nDMG 2100C\nEQ 2110C\n"
                "SE ST_LOOP\n");
    check_loops("271-full.edi",
                "ST ST_LOOP\nBHT ST_LOOP\n"
                "HL 2000A\nNM1 2100A\nPER 2100A\n"
                "HL 2000B\nNM1 2100B\nREF 2100B\nN3 2100B\nN4 2100B\nPRV 2100B\n"
                "HL 2000C\nTRN 2000C\nTRN 2000C\n"
                "NM1 2100C\nREF 2100C\nN3 2100C\nN4 2100C\nDMG 2100C\nINS 2100C\n"
                "DTP 2100C\nMPI 2100C\n"
                "EB 2110C\nDTP 2110C\n"
                "EB 2110C\nHSD 2110C\nREF 2110C\nAAA 2110C\nMSG 2110C\n"
                "EB 2110C\nIII 2115C\nIII 2115C\nLS 2110C\n"
                "NM1 2120C\nN3 2120C\nN4 2120C\nPER 2120C\nPRV 2120C\nLE 2110C\n"
                "EB 2110C\nREF 2110C\nLS 2110C\nNM1 2120C\nLE 2110C\n"
                "HL 2000D\nTRN 2000D\nNM1 2100D\nDMG 2100D\nINS 2100D\n"
                "EB 2110D\nEB 2110D\n"
                "HL 2000C\nTRN 2000C\nNM1 2100C\nAAA 2100C\n"
                "SE ST_LOOP\n");
    check_loops("276-full.edi",
                "ST ST_LOOP\nBHT ST_LOOP\n"
                "HL 2000A\nNM1 2100A\nHL 2000B\nNM1 2100B\nHL 2000C\nNM1 2100C\n"
                "HL 2000D\nDMG 2000D\nNM1 2100D\n"
                "TRN 2200D\nREF 2200D\nREF 2200D\nREF 2200D\nREF 2200D\nREF 2200D\n"
                "REF 2200D\nREF 2200D\nAMT 2200D\nDTP 2200D\n"
                "SVC 2210D\nREF 2210D\nDTP 2210D\nSVC 2210D\nDTP 2210D\n"
                "TRN 2200D\nAMT 2200D\nDTP 2200D\n"
                "HL 2000D\nNM1 2100D\n"
                "HL 2000E\nDMG 2000E\nNM1 2100E\n"
                "TRN 2200E\nREF 2200E\nAMT 2200E\nDTP 2200E\nSVC 2210E\nDTP 2210E\n"
                "HL 2000C\nNM1 2100C\nHL 2000D\nDMG 2000D\nNM1 2100D\n"
                "TRN 2200D\nDTP 2200D\n"
                "SE ST_LOOP\n");
}

/* One error case: edits applied to <set>-minimal.edi, a finding that must
 * be reported, and the expected 999 body from IK3 to IK5. */
struct err_case {
    const struct set_kind *kind;
    const char *what;
    const char *from1, *to1, *from2, *to2;
    const char *finding;
    const char *body[6];
};

#define LONG51 "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
#define LONG61 LONG51 "YYYYYYYYYY"

static char *
repeat_seg(const char *seg, int n)
{
    struct rcm_buf b = RCM_BUF_INIT(1u << 16);
    for (int i = 0; i < n; i++)
        assert_int_equal(rcm_buf_addf(&b, "%s~\n", seg), RCM_OK);
    return rcm_buf_detach(&b, NULL);
}

static void
run_case(const struct err_case *c)
{
    char name[64];
    snprintf(name, sizeof name, "%s-minimal.edi", c->kind->prefix);
    char *base = load_own(name);
    char *t1 = edit(base, c->from1, c->to1);
    char *t2 = c->from2 ? edit(t1, c->from2, c->to2) : NULL;
    const char *text = t2 ? t2 : t1;
    struct x12t_run r;
    x12t_validate(&r, text, strlen(text), on_s);
    if (!strstr(rcm_buf_cstr(&r.findings), c->finding))
        fail_msg("%s %s: finding '%s' not reported; got:\n%s", c->kind->prefix, c->what,
                 c->finding, rcm_buf_cstr(&r.findings));
    assert_int_equal(r.st.sets_rejected, 1);
    assert_ack(r.ack, c->kind->ak1, c->kind->ak2, c->body, "AK9*R*1*1*0");
    x12t_run_free(&r);
    free(t2);
    free(t1);
    free(base);
}

static void
test_errors(void **state)
{
    (void)state;
    char *trn3 = repeat_seg("TRN*1*TRACE*9123456789", 3);
    char *msg11 = repeat_seg("MSG*TEXT", 11);
    char *hl3_trn = malloc(strlen(trn3) + 32);
    assert_non_null(hl3_trn);
    sprintf(hl3_trn, "HL*3*2*22*0~\n%s", trn3);
    char *eb_msg = malloc(strlen(msg11) + 32);
    assert_non_null(eb_msg);
    sprintf(eb_msg, "EB*1**30~\n%s", msg11);
    const struct err_case cases[] = {
        /* ---- 270 */
        {&K270, "missing required segment",
         "BHT*0022*13*REQ1*20240101*1200~\n", "", "SE*9*", "SE*8*",
         "required_segment_missing BHT 2  0:0:0 3",
         {"IK3*BHT*2**3", "IK5*R*5", NULL}},
        {&K270, "bad code in an ID element",
         "****MI*MEMBER1", "****ZZ*MEMBER1", NULL, NULL,
         "invalid_code NM1 8 2100C 8:0:0 7",
         {"IK3*NM1*8*2100*8", "IK4*8*66*7*ZZ", "IK5*R*5", NULL}},
        {&K270, "bad HL parent",
         "HL*3*2*22*0", "HL*3*9*22*0", NULL, NULL,
         "hl_parent_unknown HL 7 2000C 2:0:0 I12",
         {"IK3*HL*7*2000*8", "IK4*2*734*I12*9", "IK5*R*5", NULL}},
        {&K270, "repeat overflow (TRN max 2 in 2000C)",
         "HL*3*2*22*0~\n", hl3_trn, "SE*9*", "SE*12*",
         "segment_over_max_use TRN 10 2000C 0:0:0 5",
         {"IK3*TRN*10*2000*5", "IK5*R*5", NULL}},
        {&K270, "element too long (NM103 > 60)",
         "NM1*IL*1*DOE*", "NM1*IL*1*" LONG61 "*", NULL, NULL,
         "element_too_long NM1 8 2100C 3:0:0 5",
         {"IK3*NM1*8*2100*8", "IK4*3*1035*5*" LONG61, "IK5*R*5", NULL}},
        /* ---- 271 */
        {&K271, "missing required loop 2100B (its NM1)",
         "NM1*1P*2*CLINIC*****XX*1234567893~\n", "", "SE*10*", "SE*9*",
         "required_loop_missing NM1 6 2100B 0:0:0 3",
         {"IK3*NM1*6*2100*3", "IK5*R*5", NULL}},
        {&K271, "bad code in an ID element (EB01)",
         "EB*1**30", "EB*Z9**30", NULL, NULL,
         "invalid_code EB 9 2110C 1:0:0 7",
         {"IK3*EB*9*2110*8", "IK4*1*1390*7*Z9", "IK5*R*5", NULL}},
        {&K271, "bad HL parent",
         "HL*3*2*22*0", "HL*3*4*22*0", NULL, NULL,
         "hl_parent_unknown HL 7 2000C 2:0:0 I12",
         {"IK3*HL*7*2000*8", "IK4*2*734*I12*4", "IK5*R*5", NULL}},
        {&K271, "repeat overflow (MSG max 10 in 2110C)",
         "EB*1**30~\n", eb_msg, "SE*10*", "SE*21*",
         "segment_over_max_use MSG 20 2110C 0:0:0 5",
         {"IK3*MSG*20*2110*5", "IK5*R*5", NULL}},
        {&K271, "element too long (EB05 > 50)",
         "EB*1**30", "EB*1**30**" LONG51, NULL, NULL,
         "element_too_long EB 9 2110C 5:0:0 5",
         {"IK3*EB*9*2110*8", "IK4*5*1204*5*" LONG51, "IK5*R*5", NULL}},
        /* ---- 276 */
        {&K276, "missing required segment (DTP in 2210D)",
         "TRN*1*CLAIM1~\n", "TRN*1*CLAIM1~\nSVC*HC:99213*100.00~\n", "SE*12*", "SE*13*",
         "required_segment_missing DTP 13 2210D 0:0:0 3",
         {"IK3*DTP*13*2210*3", "IK5*R*5", NULL}},
        {&K276, "bad code in an ID element (AMT01)",
         "TRN*1*CLAIM1~\n", "TRN*1*CLAIM1~\nAMT*T4*10.00~\n", "SE*12*", "SE*13*",
         "invalid_code AMT 12 2200D 1:0:0 7",
         {"IK3*AMT*12*2200*8", "IK4*1*522*7*T4", "IK5*R*5", NULL}},
        {&K276, "bad HL parent",
         "HL*4*3*22*0", "HL*4*7*22*0", NULL, NULL,
         "hl_parent_unknown HL 9 2000D 2:0:0 I12",
         {"IK3*HL*9*2000*8", "IK4*2*734*I12*7", "IK5*R*5", NULL}},
        {&K276, "repeat overflow (REF*1K max 1)",
         "TRN*1*CLAIM1~\n", "TRN*1*CLAIM1~\nREF*1K*A~\nREF*1K*B~\n", "SE*12*", "SE*14*",
         "segment_over_max_use REF 13 2200D 0:0:0 5",
         {"IK3*REF*13*2200*5", "IK5*R*5", NULL}},
        {&K276, "element too long (TRN02 > 50)",
         "TRN*1*CLAIM1", "TRN*1*" LONG51, NULL, NULL,
         "element_too_long TRN 11 2200D 2:0:0 5",
         {"IK3*TRN*11*2200*8", "IK4*2*127*5*" LONG51, "IK5*R*5", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    free(eb_msg);
    free(hl3_trn);
    rcm_free(msg11);
    rcm_free(trn3);
}

/* The HL levels are checked: a subscriber HL (22) right after the
 * information source (20) in a 270 has no place (2000C lives in 2000B), and
 * the required 2000B is reported missing. */
static void
test_hl_levels(void **state)
{
    (void)state;
    char *base = load_own("270-minimal.edi");
    char *t = edit(base, "HL*2*1*21*1~\nNM1*1P*2*CLINIC*****XX*1234567893~\nHL*3*2*22*0~",
                   "HL*2*1*22*0~");
    char *t2 = edit(t, "SE*9*", "SE*7*");
    struct x12t_run r;
    x12t_validate(&r, t2, strlen(t2), on_s);
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "unexpected_segment HL 5 2100A 0:0:0 2"));
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "required_loop_missing HL 7 2000B"));
    assert_int_equal(r.st.sets_rejected, 1);
    x12t_run_free(&r);
    free(t2);
    free(t);
    free(base);
}

/* Public samples (tests/golden/x12/PROVENANCE.md): the implementation guide
 * examples validate clean; the one lfh-x12 error sample is rejected for its
 * SE02 only. */
static void
test_samples(void **state)
{
    (void)state;
    x12t_no_npi_check = true;   /* public samples carry dummy NPIs */
    static const struct {
        const char *name;
        const char *finding;     /* NULL: no finding at all */
    } cases[] = {
        {"270-dependent.edi", NULL},
        {"270-single-line.edi", NULL},
        {"270-subscriber.edi", NULL},
        {"271-dependent.edi", NULL},
        {"271-subscriber.edi", NULL},
        {"271-se02-mismatch.edi", "se_control_number SE 8  2:0:0 3"},
        {"276-claim-level.edi", NULL},
        {"276-ncpdp.edi", NULL},
        {"276-receiver-level.edi", NULL},
        {"276-provider-level.edi", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/golden/x12/samples/%s", cases[i].name);
        size_t n;
        char *p = x12t_load(rel, &n);
        if (!p)
            fail_msg("cannot read %s", rel);
        struct x12t_run r;
        x12t_validate(&r, p, n, on_s);
        const char *f = rcm_buf_cstr(&r.findings);
        size_t lines = 0;
        for (const char *q = f; (q = strchr(q, '\n')); q++)
            lines++;
        bool ok = cases[i].finding ? lines == 1 && strstr(f, cases[i].finding) : lines == 0;
        if (!ok)
            fail_msg("%s: findings:\n%s", cases[i].name, f);
        assert_int_equal(r.st.sets, 1);
        assert_int_equal(r.st.sets_accepted, cases[i].finding ? 0 : 1);
        x12t_run_free(&r);
        free(p);
    }
}

static void
party(struct rcm_x12_party *p, char type, const char *last, const char *first,
      const char *qual, const char *id)
{
    memset(p, 0, sizeof *p);
    p->entity_type = type;
    snprintf(p->last_or_org, sizeof p->last_or_org, "%s", last);
    snprintf(p->first, sizeof p->first, "%s", first);
    snprintf(p->id_qualifier, sizeof p->id_qualifier, "%s", qual);
    snprintf(p->id, sizeof p->id, "%s", id);
}

static const struct rcm_x12_envelope ENV = {
    .sender_qualifier = "ZZ", .sender_id = "SENDER", .receiver_qualifier = "ZZ",
    .receiver_id = "RECEIVER", .gs_sender = "SENDER", .gs_receiver = "RECEIVER",
    .isa13 = 42, .gs06 = 7, .date8 = "20240102", .time4 = "0930", .usage = 'T',
};

static void
assert_clean(const struct rcm_buf *out, unsigned sets)
{
    struct x12t_run r;
    x12t_validate(&r, out->data, out->len, on_s);
    if (r.findings.len)
        fail_msg("writer output has findings:\n%s\n%s", rcm_buf_cstr(&r.findings), out->data);
    assert_int_equal(r.st.sets, sets);
    assert_int_equal(r.st.sets_accepted, sets);
    x12t_run_free(&r);
}

/* Everything the 270/276 writers can write validates with no finding. */
static void
test_writer_output(void **state)
{
    (void)state;
    struct rcm_x12_eligibility_request q[2];
    memset(q, 0, sizeof q);
    for (int i = 0; i < 2; i++) {
        party(&q[i].payer, '2', "PAYER", "", "PI", "PAYER1");
        party(&q[i].provider, i ? '1' : '2', i ? "SMITH" : "CLINIC", i ? "ANN" : "", "XX",
              "1234567893");
        party(&q[i].subscriber, '1', "DOE", "JOHN", "MI", "MEMBER1");
    }
    q[0].subscriber_birth_days = rcm_date_from_ymd(1970, 1, 1);
    q[0].subscriber_gender = 'F';
    strcpy(q[0].trace_id, "TRACE1");
    strcpy(q[0].trace_originator, "9123456789");
    q[0].service_date_days = rcm_date_from_ymd(2024, 1, 2);
    q[0].n_service_types = 3;
    strcpy(q[0].service_types[0], "30");
    strcpy(q[0].service_types[1], "88");
    strcpy(q[0].service_types[2], "AL");
    q[1].subscriber_birth_days = RCM_X12_NO_DATE;
    q[1].service_date_days = RCM_X12_NO_DATE;
    struct rcm_buf out = RCM_BUF_INIT(1u << 16);
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_x12_write_270(&ENV, q, 2, &out, &d), RCM_OK);
    assert_clean(&out, 1);
    rcm_buf_release(&out);

    struct rcm_x12_status_request s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        party(&s[i].payer, '2', "PAYER", "", "PI", "PAYER1");
        party(&s[i].receiver, '2', "CLINIC", "", "46", "SUB123");
        party(&s[i].provider, '2', "CLINIC", "", "XX", "1234567893");
        party(&s[i].subscriber, '1', "DOE", "JOHN", "MI", "MEMBER1");
        s[i].charge_cents = 12345;
    }
    strcpy(s[0].claim_id, "CLAIM1");
    strcpy(s[0].payer_claim_id, "PAYERCLAIM1");
    s[0].service_from_days = rcm_date_from_ymd(2024, 1, 2);
    s[0].service_to_days = rcm_date_from_ymd(2024, 1, 5);
    strcpy(s[1].claim_id, "CLAIM2");
    s[1].service_from_days = rcm_date_from_ymd(2024, 2, 1);
    s[1].service_to_days = RCM_X12_NO_DATE;
    rcm_buf_init(&out, 1u << 16);
    assert_int_equal(rcm_x12_write_276(&ENV, s, 2, &out, &d), RCM_OK);
    assert_clean(&out, 1);
    rcm_buf_release(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_files),
        cmocka_unit_test(test_loop_placement),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hl_levels),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_writer_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
