/*
 * test_x12_situational.c — the situational ("required when …") rule table
 * of x12_situational.c: every rule resolves to loops of its transaction
 * set, the rules are off unless asked for, and each kind of rule (required
 * segment in a child loop, required / forbidden segment by a component
 * value, required loop by an HL04 value, required bracket segments by the
 * mere presence of another) reports with the expected 999
 * IK3 (I6 / I9) and stays quiet when the file complies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "x12/x12_situational.h"
#include "x12_test_util.h"

struct run {
    char *ack;
    struct rcm_buf findings;   /* "code seg pos loop ack\n" */
    struct rcm_x12_stats st;
};

static void
on_f(void *ctx, const struct rcm_x12_finding *f)
{
    struct run *r = ctx;
    if (rcm_buf_addf(&r->findings, "%s %s %u %s %s\n", f->code, f->seg_id,
                     f->set_position, f->loop_id, f->ack_code) != RCM_OK)
        abort();
}

static void
run_validate(struct run *r, const char *p, bool situational)
{
    memset(r, 0, sizeof *r);
    rcm_buf_init(&r->findings, 1u << 20);
    struct rcm_buf ack = RCM_BUF_INIT(1u << 20);
    struct rcm_x12_validate_opts o = {
        .on_finding = on_f, .ctx = r, .ack = &ack, .situational = situational,
        .ack_date = "20240101", .ack_time = "1200",
    };
    assert_int_equal(rcm_x12_validate_buffer(p, strlen(p), &o, &r->st), RCM_OK);
    r->ack = rcm_buf_detach(&ack, NULL);
    if (!r->ack)
        r->ack = rcm_strdup("");
}

static void
run_free(struct run *r)
{
    rcm_free(r->ack);
    rcm_buf_release(&r->findings);
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

/* `src` with each (from, to) pair of `edits` (NULL-terminated) applied to
 * its first occurrence; malloc'd. */
static char *
edits(const char *src, const char *const *ed)
{
    char *cur = strdup(src);
    assert_non_null(cur);
    for (size_t i = 0; ed[i]; i += 2) {
        const char *at = strstr(cur, ed[i]);
        if (!at)
            fail_msg("edit: '%s' not found", ed[i]);
        size_t a = (size_t)(at - cur), fl = strlen(ed[i]), tl = strlen(ed[i + 1]);
        char *out = malloc(strlen(cur) - fl + tl + 1);
        assert_non_null(out);
        memcpy(out, cur, a);
        memcpy(out + a, ed[i + 1], tl);
        strcpy(out + a + tl, at + fl);
        free(cur);
        cur = out;
    }
    return cur;
}

/* The 999 between AK2 and AK9 must be exactly `want` (NULL-terminated). */
static void
assert_ack_body(const char *ack, const char *const *want)
{
    const char *p = strstr(ack, "AK2*");
    assert_non_null(p);
    p = strstr(p, "~\n") + 2;
    for (size_t i = 0; want[i]; i++) {
        const char *e = strstr(p, "~\n");
        size_t n = e ? (size_t)(e - p) : 0;
        if (!e || n != strlen(want[i]) || memcmp(p, want[i], n) != 0)
            fail_msg("ack segment after AK2 #%zu is '%.*s', want '%s'\n%s", i, (int)n,
                     p, want[i], ack);
        p = e + 2;
    }
    if (strncmp(p, "AK9*", 4) != 0)
        fail_msg("more ack segments than expected before AK9: %s", p);
}

/* Every rule finds its loops in its transaction set (a map change that
 * renames a loop must not silently switch a rule off). */
static void
test_rules_resolve(void **state)
{
    (void)state;
    unsigned total = 0;
    for (unsigned t = 0; t < x12_n_txdefs; t++) {
        struct x12_sit_state s;
        total += x12_sit_begin(&s, &x12_txdefs[t]);
    }
    assert_int_equal(total, x12_n_sit_rules);
    struct x12_sit_state s;
    assert_int_equal(x12_sit_begin(&s, NULL), 0);
}

/* 837P 2010BA N3/N4/DMG when SBR02 = 18 (a rule about a child loop of the
 * scope, judged when the 2000B closes). */
static void
test_subscriber_is_patient(void **state)
{
    (void)state;
    char *base = load_own("837p-minimal.edi");
    struct run r;
    /* off by default */
    run_validate(&r, base, false);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);

    run_validate(&r, base, true);
    assert_string_equal(rcm_buf_cstr(&r.findings),
                        "situational_segment_missing N3 20 2010BA I6\n"
                        "situational_segment_missing N4 20 2010BA I6\n"
                        "situational_segment_missing DMG 20 2010BA I6\n");
    static const char *const want[] = {
        "IK3*N3*20*2010*I6", "CTX*CLM01:CLAIM1", "IK3*N4*20*2010*I6",
        "CTX*CLM01:CLAIM1", "IK3*DMG*20*2010*I6", "CTX*CLM01:CLAIM1", "IK5*R*5", NULL,
    };
    assert_ack_body(r.ack, want);
    assert_int_equal(r.st.sets_rejected, 1);
    run_free(&r);

    /* with the address and demographics it complies */
    static const char *const fix[] = {
        "MI*MEMBER1~\n", "MI*MEMBER1~\nN3*2 ELM ST~\nN4*BOSTON*MA*02101~\nDMG*D8*19700101*M~\n",
        "SE*20*", "SE*23*", NULL,
    };
    char *ok = edits(base, fix);
    run_validate(&r, ok, true);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(ok);

    /* the subscriber is not the patient (SBR02 = 01 with a 2000C patient):
     * the rule does not apply */
    static const char *const dep[] = {
        "HL*2*1*22*0~", "HL*2*1*22*1~", "SBR*P*18", "SBR*P*", "NM1*PR*2*PAYER*****PI*PAYER1~\n",
        "NM1*PR*2*PAYER*****PI*PAYER1~\nHL*3*2*23*0~\nPAT*19~\n"
        "NM1*QC*1*DOE*JANE~\nN3*2 ELM ST~\nN4*BOSTON*MA*02101~\nDMG*D8*20100101*F~\n",
        "SE*20*", "SE*26*", NULL,
    };
    char *d = edits(base, dep);
    run_validate(&r, d, true);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(d);
    free(base);
}

/* 837P 2300 REF*F8 by CLM05-3 (a component value): required for 7/8,
 * not sent on an original (1). */
static void
test_payer_claim_control_number(void **state)
{
    (void)state;
    char *base = load_own("837p-minimal.edi");
    static const char *const person[] = {
        "MI*MEMBER1~\n", "MI*MEMBER1~\nN3*2 ELM ST~\nN4*BOSTON*MA*02101~\nDMG*D8*19700101*M~\n",
        "SE*20*", "SE*23*", NULL,
    };
    char *ok = edits(base, person);
    struct run r;

    static const char *const repl[] = {"11:B:1", "11:B:7", NULL};
    char *t = edits(ok, repl);
    run_validate(&r, t, true);
    assert_string_equal(rcm_buf_cstr(&r.findings),
                        "situational_segment_missing REF 23 2300 I6\n");
    static const char *const want[] = {
        "IK3*REF*23*2300*I6", "CTX*CLM01:CLAIM1", "IK5*R*5", NULL,
    };
    assert_ack_body(r.ack, want);
    run_free(&r);
    free(t);

    static const char *const repl_ok[] = {
        "11:B:1", "11:B:7", "HI*ABK", "REF*F8*PAYERCLAIM9~\nHI*ABK", "SE*23*", "SE*24*", NULL,
    };
    t = edits(ok, repl_ok);
    run_validate(&r, t, true);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(t);

    static const char *const orig_f8[] = {
        "HI*ABK", "REF*F8*PAYERCLAIM9~\nHI*ABK", "SE*23*", "SE*24*", NULL,
    };
    t = edits(ok, orig_f8);
    run_validate(&r, t, true);
    assert_string_equal(rcm_buf_cstr(&r.findings),
                        "situational_segment_present REF 24 2300 I9\n");
    static const char *const want9[] = {
        "IK3*REF*24*2300*I9", "CTX*CLM01:CLAIM1", "IK5*R*5", NULL,
    };
    assert_ack_body(r.ack, want9);
    run_free(&r);
    /* and not without --situational */
    run_validate(&r, t, false);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(t);
    free(ok);
    free(base);
}

/* 276: 2000D with HL04 = 0 must carry a 2200D; with a dependent level
 * (HL04 = 1) the claim sits under 2000E instead. */
static void
test_276_claim_loop(void **state)
{
    (void)state;
    char *base = load_own("276-minimal.edi");
    static const char *const no_trn[] = {"TRN*1*CLAIM1~\n", "", "SE*12*", "SE*11*", NULL};
    char *t = edits(base, no_trn);
    struct run r;
    run_validate(&r, t, true);
    assert_string_equal(rcm_buf_cstr(&r.findings),
                        "situational_segment_missing TRN 11 2200D I6\n");
    static const char *const want[] = {"IK3*TRN*11*2200*I6", "IK5*R*5", NULL};
    assert_ack_body(r.ack, want);
    run_free(&r);
    run_validate(&r, t, false);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(t);

    run_validate(&r, base, true);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(base);

    /* the full file: subscribers with and without dependents, all comply */
    base = load_own("276-full.edi");
    run_validate(&r, base, true);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    run_free(&r);
    free(base);
}

/* 271: LS*2120 / LE*2120 around a 2120C loop, and no LS without one
 * (rules triggered by any occurrence of a segment, in a child loop and in
 * the scope loop itself). */
static void
test_271_ls_le(void **state)
{
    (void)state;
    char *base = load_own("271-minimal.edi");
    static const struct {
        const char *to, *want_finding, *want_ik3;
    } cases[] = {
        {"EB*1**30~\nLS*2120~\nNM1*P3*1*SMITH*ANN****XX*1234567893~\n",
         "situational_segment_missing LE 12 2110C I6\n", "IK3*LE*12*2110*I6"},
        {"EB*1**30~\nNM1*P3*1*SMITH*ANN****XX*1234567893~\nLE*2120~\n",
         "situational_segment_missing LS 12 2110C I6\n", "IK3*LS*12*2110*I6"},
        {"EB*1**30~\nLS*2120~\nLE*2120~\n",
         "situational_segment_missing NM1 12 2120C I6\n", "IK3*NM1*12*2120*I6"},
        {"EB*1**30~\nLS*2120~\nNM1*P3*1*SMITH*ANN****XX*1234567893~\nLE*2120~\n", "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *ed[] = {"EB*1**30~\n", cases[i].to, "SE*10*", i == 3 ? "SE*13*" : "SE*12*",
                            NULL};
        char *t = edits(base, ed);
        struct run r;
        run_validate(&r, t, true);
        assert_string_equal(rcm_buf_cstr(&r.findings), cases[i].want_finding);
        if (cases[i].want_ik3) {
            const char *want[] = {cases[i].want_ik3, "IK5*R*5", NULL};
            assert_ack_body(r.ack, want);
        }
        run_free(&r);
        free(t);
    }
    free(base);
}

/* Real-world samples comply with every rule. */
static void
test_samples_comply(void **state)
{
    (void)state;
    static const char *const names[] = {
        "837p-cob-example3c.edi", "837p-drug.edi", "837p-example1.edi",
        "837i-institutional.edi", "837i-two-claims.edi", "276-claim-level.edi",
        "276-provider-level.edi", "276-receiver-level.edi", "276-ncpdp.edi",
        "271-dependent.edi", "271-subscriber.edi",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/golden/x12/samples/%s", names[i]);
        size_t n;
        char *p = x12t_load(rel, &n);
        assert_non_null(p);
        struct run r;
        run_validate(&r, p, true);
        if (strstr(rcm_buf_cstr(&r.findings), "situational_"))
            fail_msg("%s:\n%s", names[i], rcm_buf_cstr(&r.findings));
        run_free(&r);
        free(p);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_resolve),
        cmocka_unit_test(test_subscriber_is_patient),
        cmocka_unit_test(test_payer_claim_control_number),
        cmocka_unit_test(test_276_claim_loop),
        cmocka_unit_test(test_271_ls_le),
        cmocka_unit_test(test_samples_comply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
