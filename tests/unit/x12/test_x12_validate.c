/*
 * test_x12_validate.c — the validator and its 999/TA1: one test per error
 * class named in the issue (expected 999 checked segment by segment, written
 * by hand from the 999/TA1 code lists), the "mistakes existing tools make",
 * and the accepted/rejected outcome of every golden sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "x12/x12_int.h"
#include "x12_test_util.h"

static void
on_s(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *c)
{
    struct x12t_run *r = ctx;
    if (rcm_buf_addf(&r->loops, "%s %s %s\n", seg->id,
                     c->depth ? c->loops[c->depth - 1] : "-",
                     c->depth > 1 ? c->loops[c->depth - 2] : "-") != RCM_OK)
        abort();
}

/* Compare an ack with the expected segments one by one (NULL-terminated). */
static void
assert_ack(const char *ack, const char *const *want)
{
    const char *p = ack;
    size_t i = 0;
    for (; want[i]; i++) {
        const char *e = strstr(p, "~\n");
        if (!e)
            fail_msg("ack ends before segment %zu (want %s):\n%s", i, want[i], ack);
        size_t n = (size_t)(e - p);
        if (n != strlen(want[i]) || memcmp(p, want[i], n) != 0)
            fail_msg("ack segment %zu is '%.*s', want '%s'\nfull ack:\n%s", i,
                     (int)n, p, want[i], ack);
        p = e + 2;
    }
    if (*p)
        fail_msg("ack has more segments than expected: %s", p);
}

static char *
load_own(const char *name, size_t *n)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/golden/x12/own/%s", name);
    char *p = x12t_load(rel, n);
    assert_non_null(p);
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
    size_t n = strlen(src) - fl + tl;
    char *out = malloc(n + 1);
    assert_non_null(out);
    memcpy(out, src, a);
    memcpy(out + a, to, tl);
    strcpy(out + a + tl, at + fl);
    return out;
}

/* Validate `text` (an edit of 837p-minimal.edi) and check the 999 between
 * AK2 and IK5 and the AK9. */
#define ISA_837 "ISA*00*          *00*          *ZZ*RECEIVERID     *ZZ*SUBMITTERID    *240101*1200*^*00501*000000001*0*P*:"
#define GS_837 "GS*FA*RECEIVERID*SUBMITTERID*20240101*1200*1*X*005010X231A1"
#define ST_999 "ST*999*0001*005010X231A1"
#define AK1_837 "AK1*HC*2*005010X222A1"
#define AK2_837 "AK2*837*0001*005010X222A1"

static void
check_edit(const char *from, const char *to, const char *const *want,
           const char *finding)
{
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    char *text = edit(base, from, to);
    struct x12t_run r;
    x12t_validate(&r, text, strlen(text), on_s);
    assert_ack(r.ack, want);
    if (finding && !strstr(rcm_buf_cstr(&r.findings), finding))
        fail_msg("finding '%s' not reported; got:\n%s", finding,
                 rcm_buf_cstr(&r.findings));
    x12t_run_free(&r);
    free(text);
    free(base);
}

static void
test_minimal_valid(void **state)
{
    (void)state;
    static const char *const names[] = {"837p-minimal.edi", "835-minimal.edi"};
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        char *p = load_own(names[i], &n);
        struct x12t_run r;
        x12t_validate(&r, p, n, on_s);
        assert_string_equal(rcm_buf_cstr(&r.findings), "");
        assert_int_equal(r.st.sets, 1);
        assert_int_equal(r.st.sets_accepted, 1);
        x12t_run_free(&r);
        free(p);
    }
    static const char *const want[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK5*A", "AK9*A*1*1*1",
        "SE*6*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("BHT*", "BHT*", want, NULL);
}

static void
test_envelope_counts(void **state)
{
    (void)state;
    static const char *const se[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK5*R*4", "AK9*R*1*1*0",
        "SE*6*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("SE*20*0001", "SE*21*0001", se, "se_count SE 20  1:0:0 4");
    static const char *const ge[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK5*A", "AK9*R*2*1*1*5",
        "SE*6*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("GE*1*2", "GE*2*2", ge, "ge_count GE");
    static const char *const iea[] = {
        ISA_837, "TA1*000000002*240101*1200*R*021", GS_837, ST_999, AK1_837,
        AK2_837, "IK5*A", "AK9*A*1*1*1", "SE*6*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    check_edit("IEA*1*", "IEA*3*", iea, "iea_count IEA");
}

static void
test_control_numbers(void **state)
{
    (void)state;
    static const char *const se[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK5*R*3", "AK9*R*1*1*0",
        "SE*6*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("SE*20*0001", "SE*20*0002", se, "se_control_number");
    static const char *const ge[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK5*A", "AK9*R*1*1*1*4",
        "SE*6*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("GE*1*2", "GE*1*3", ge, "ge_control_number");
    static const char *const iea[] = {
        ISA_837, "TA1*000000002*240101*1200*R*001", GS_837, ST_999, AK1_837,
        AK2_837, "IK5*A", "AK9*A*1*1*1", "SE*6*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    check_edit("IEA*1*000000002", "IEA*1*000000009", iea, "iea_control_number");

    /* duplicate ST02 in one group: the second set is rejected with IK502 23 */
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    const char *st = strstr(base, "ST*837");
    const char *gep = strstr(base, "GE*1*2");
    size_t setlen = (size_t)(gep - st);
    char *text = malloc(n + setlen + 1);
    assert_non_null(text);
    memcpy(text, base, (size_t)(gep - base));
    memcpy(text + (gep - base), st, setlen);
    strcpy(text + (gep - base) + setlen, "GE*2*2~\nIEA*1*000000002~\n");
    struct x12t_run r;
    x12t_validate(&r, text, strlen(text), on_s);
    static const char *const dup[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK5*A", AK2_837,
        "IK5*R*23", "AK9*P*2*2*1", "SE*8*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    assert_ack(r.ack, dup);
    x12t_run_free(&r);
    free(text);
    free(base);

    /* the same ISA13 twice in one file */
    base = load_own("837p-minimal.edi", &n);
    text = malloc(2 * n + 1);
    assert_non_null(text);
    memcpy(text, base, n);
    memcpy(text + n, base, n);
    text[2 * n] = 0;
    x12t_validate(&r, text, 2 * n, on_s);
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "duplicate_isa13 ISA 0  13:0:0 025"));
    assert_non_null(strstr(r.ack, "TA1*000000002*240101*1200*R*025~"));
    x12t_run_free(&r);
    free(text);
    free(base);
}

static void
test_missing_segment_and_loop(void **state)
{
    (void)state;
    static const char *const bht[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*BHT*2**3",
        "IK5*R*5*4", "AK9*R*1*1*0", "SE*7*0001", "GE*1*1", "IEA*1*000000001",
        NULL,
    };
    /* removing BHT also makes SE01 wrong (IK502 4) */
    check_edit("BHT*0019*00*BATCH1*20240101*1200*CH~\n", "", bht,
               "required_segment_missing BHT 2  0:0:0 3");
    static const char *const loop[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*NM1*5*1000*3",
        "IK5*R*5*4", "AK9*R*1*1*0", "SE*7*0001", "GE*1*1", "IEA*1*000000001",
        NULL,
    };
    check_edit("NM1*40*2*RECEIVER*****46*REC123~\n",
               "", loop, "required_loop_missing NM1 5 1000B");
}

static void
test_repeat_overflow(void **state)
{
    (void)state;
    static const char *const want[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*N4*10*2010*5",
        "IK5*R*5", "AK9*R*1*1*0", "SE*7*0001", "GE*1*1", "IEA*1*000000001",
        NULL,
    };
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    char *t1 = edit(base, "N4*NEW YORK*NY*10001~\n",
                    "N4*NEW YORK*NY*10001~\nN4*NEW YORK*NY*10001~\n");
    char *t2 = edit(t1, "SE*20*", "SE*21*");
    struct x12t_run r;
    x12t_validate(&r, t2, strlen(t2), on_s);
    assert_ack(r.ack, want);
    x12t_run_free(&r);
    free(t1);
    free(t2);

    /* loop over its maximum: 2400 may occur 50 times in a claim */
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    const char *lx = strstr(base, "LX*1~");
    const char *se = strstr(base, "SE*20");
    assert_int_equal(rcm_buf_add(&b, base, (size_t)(lx - base)), RCM_OK);
    for (int i = 1; i <= 51; i++)
        assert_int_equal(rcm_buf_addf(&b, "LX*%d~\nSV1*HC:99213*100*UN*1***1~\n"
                                          "DTP*472*D8*20240101~\n", i), RCM_OK);
    assert_int_equal(rcm_buf_addf(&b, "SE*%d*0001~\n", 17 + 51 * 3), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&b, strstr(se, "GE*")), RCM_OK);
    x12t_validate(&r, b.data, b.len, on_s);
    static const char *const loop[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*LX*167*2400*4",
        "CTX*CLM01:CLAIM1", "IK5*R*5", "AK9*R*1*1*0", "SE*8*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    assert_ack(r.ack, loop);
    x12t_run_free(&r);
    rcm_buf_release(&b);
    free(base);
}

static void
test_element_errors(void **state)
{
    (void)state;
    static const char *const hl[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*HL*11*2000*8",
        "IK4*2*734*I12*5", "IK5*R*5", "AK9*R*1*1*0", "SE*8*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    check_edit("HL*2*1*22*0", "HL*2*5*22*0", hl, "hl_parent_unknown HL 11 2000B 2:0:0");
    static const char *const code[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*SBR*12*2000*8",
        "IK4*1*1138*7*Z", "IK5*R*5", "AK9*R*1*1*0", "SE*8*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    check_edit("SBR*P*18", "SBR*Z*18", code, "invalid_code SBR 12 2000B 1:0:0 7");
    static const char *const date[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*DTP*19*2400*8",
        "CTX*CLM01:CLAIM1", "IK4*3*1251*8*20241301", "IK5*R*5", "AK9*R*1*1*0",
        "SE*9*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("DTP*472*D8*20240101", "DTP*472*D8*20241301", date,
               "invalid_date DTP 19 2400 3:0:0 8");
    static const char *const len[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*NM1*13*2010*8",
        "IK4*3*1035*5*DOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEX",
        "IK5*R*5", "AK9*R*1*1*0", "SE*8*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("NM1*IL*1*DOE*",
               "NM1*IL*1*DOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEDOEX*",
               len, "element_too_long NM1 13 2010BA 3:0:0 5");
    static const char *const comp[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*CLM*15*2300*8",
        "CTX*CLM01:CLAIM1", "IK4*5:2*1332*1", "IK5*R*5", "AK9*R*1*1*0",
        "SE*9*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    check_edit("11:B:1", "11::1", comp, "required_component_missing CLM 15 2300 5:2:0 1");
}

static void
test_out_of_order(void **state)
{
    (void)state;
    static const char *const want[] = {
        ISA_837, GS_837, ST_999, AK1_837, AK2_837, "IK3*N3*8*2010*3",
        "IK3*N3*9*2010*2", "IK5*R*5", "AK9*R*1*1*0", "SE*8*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    check_edit("N3*1 MAIN ST~\nN4*NEW YORK*NY*10001~",
               "N4*NEW YORK*NY*10001~\nN3*1 MAIN ST~", want,
               "unexpected_segment N3 9 2010AA 0:0:0 2");
}

static void
test_wrong_delimiters(void **state)
{
    (void)state;
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    /* ISA16 equal to the element separator: no usable delimiters, no ack */
    char *text = edit(base, "*0*P*:~", "*0*P**~");
    struct x12t_run r;
    x12t_validate(&r, text, strlen(text), on_s);
    assert_string_equal(r.ack, "");
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "bad_isa"));
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "no_interchange"));
    assert_int_equal(r.st.sets, 0);
    x12t_run_free(&r);
    free(text);
    free(base);
}

static void
test_truncated(void **state)
{
    (void)state;
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    char *cut = strstr(base, "HI*");
    *cut = 0;
    struct x12t_run r;
    x12t_validate(&r, base, strlen(base), on_s);
    static const char *const want[] = {
        ISA_837, "TA1*000000002*240101*1200*R*023", GS_837, ST_999, AK1_837,
        AK2_837, "IK5*R*2", "AK9*R*1*1*0*3", "SE*6*0001", "GE*1*1",
        "IEA*1*000000001", NULL,
    };
    assert_ack(r.ack, want);
    const char *f = rcm_buf_cstr(&r.findings);
    assert_non_null(strstr(f, "se_missing"));
    assert_non_null(strstr(f, "ge_missing"));
    assert_non_null(strstr(f, "iea_missing"));
    x12t_run_free(&r);
    /* cut inside a segment: the reader reports it too */
    x12t_validate(&r, base, strlen(base) - 3, on_s);
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "truncated"));
    x12t_run_free(&r);
    free(base);
}

/* pyx12 cannot write a 999 for an 835 (ST03 is not used there) and crashes
 * on a BOM; LinuxForHealth rejects 835s with PER in 1000A. */
static void
test_835_ack_bom_per(void **state)
{
    (void)state;
    size_t n;
    char *base = load_own("835-minimal.edi", &n);
    char *text = malloc(n + 4);
    assert_non_null(text);
    memcpy(text, "\xEF\xBB\xBF", 3);
    memcpy(text + 3, base, n + 1);
    struct x12t_run r;
    x12t_validate(&r, text, n + 3, on_s);
    static const char *const want[] = {
        "ISA*00*          *00*          *ZZ*PROVIDERID     *ZZ*PAYERID        *240101*1200*^*00501*000000001*0*P*:",
        "GS*FA*PROVIDERID*PAYERID*20240101*1200*1*X*005010X231A1", ST_999,
        "AK1*HP*1*005010X221A1", "AK2*835*0001", "IK5*A", "AK9*A*1*1*1",
        "SE*6*0001", "GE*1*1", "IEA*1*000000001", NULL,
    };
    assert_ack(r.ack, want);
    assert_string_equal(rcm_buf_cstr(&r.findings), "");
    assert_non_null(strstr(rcm_buf_cstr(&r.loops), "PER 1000A ST_LOOP"));
    x12t_run_free(&r);
    free(text);
    free(base);
}

/* A second 2320 (other subscriber) in a claim stays in 2300; it must not be
 * taken for a new 2000B. */
static void
test_repeated_2320(void **state)
{
    (void)state;
    size_t n;
    char *p = x12t_load("tests/golden/x12/samples/837p-cob-example3c.edi", &n);
    assert_non_null(p);
    const char *sbr = strstr(p, "SBR*P*01");
    const char *end = strstr(sbr, "LX*1");
    size_t k = (size_t)(end - sbr);
    char *text = malloc(n + k + 1);
    assert_non_null(text);
    memcpy(text, p, (size_t)(end - p));
    memcpy(text + (end - p), sbr, k);
    strcpy(text + (end - p) + k, end);
    /* the copied 2320 block has 11 segments */
    size_t nseg = 0;
    for (const char *q = sbr; q < end; q++)
        nseg += *q == '~';
    char se[32];
    snprintf(se, sizeof se, "SE*%zu*0024", 64 + nseg);
    char *fixed = edit(text, "SE*64*0024", se);
    struct x12t_run r;
    x12t_validate(&r, fixed, strlen(fixed), on_s);
    const char *loops = rcm_buf_cstr(&r.loops);
    /* one SBR in 2000B, two that open 2320 inside 2300 */
    assert_non_null(strstr(loops, "SBR 2000B 2000A"));
    const char *first = strstr(loops, "SBR 2320 2300");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "SBR 2320 2300"));
    assert_null(strstr(rcm_buf_cstr(&r.findings), "unexpected"));
    assert_int_equal(r.st.sets_accepted, 1);
    x12t_run_free(&r);
    free(fixed);
    free(text);
    free(p);
}

/* Every golden sample: sets, accepted sets and the finding codes, reviewed
 * against the implementation guides (see docs/x12/validation.md). */
/* pyx12's <regex> patterns: the 837I billing provider's N403 is nine
 * digits (shorter is too short, letters are refused as characters). */
static void
test_digit_patterns(void **state)
{
    (void)state;
    size_t n;
    char *p = x12t_load("tests/golden/x12/samples/837i-two-claims.edi", &n);
    assert_non_null(p);
    static const struct {
        const char *zip, *code, *ik4;
    } cases[] = {
        {"171111234", NULL, NULL},
        {"17111", "element_too_short", "IK4*3*116*4*17111~"},
        {"17111123X", "invalid_character", "IK4*3*116*6*17111123X~"},
        {"1711112345", "element_too_long", "IK4*3*116*5*1711112345~"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char to[64];
        snprintf(to, sizeof to, "N4*ANYWHERE*PA*%s~", cases[i].zip);
        char *t = edit(p, "N4*ANYWHERE*PA*17111~", to);
        struct x12t_run r;
        x12t_validate(&r, t, strlen(t), on_s);
        const char *f = rcm_buf_cstr(&r.findings);
        bool n4_found = strstr(f, " N4 ") != NULL;
        if (!cases[i].code) {
            if (n4_found)
                fail_msg("%s: unexpected N4 finding:\n%s", cases[i].zip, f);
        } else {
            char needle[64];
            snprintf(needle, sizeof needle, "%s N4 ", cases[i].code);
            if (!strstr(f, needle) || !strstr(r.ack, cases[i].ik4))
                fail_msg("%s: want %s and %s:\n%s\n%s", cases[i].zip, cases[i].code,
                         cases[i].ik4, f, r.ack);
        }
        x12t_run_free(&r);
        free(t);
    }
    free(p);
}

/* External code lists are versioned data that can be turned off. */
static void
test_external_codes_off(void **state)
{
    (void)state;
    size_t n;
    char *p = x12t_load("tests/golden/x12/samples/837p-example1.edi", &n);
    assert_non_null(p);
    struct rcm_x12_stats st;
    struct rcm_x12_validate_opts o = {.no_external_codes = true};
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, &st), RCM_OK);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.sets_accepted, 1);
    o.no_external_codes = false;
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, &st), RCM_OK);
    assert_int_equal(st.sets_accepted, 0);
    free(p);
    /* a CARC that does not exist is reported in an 835 */
    p = x12t_load("tests/golden/x12/own/835-minimal.edi", &n);
    assert_non_null(p);
    char *t = malloc(n + 64);
    assert_non_null(t);
    const char *clp = strstr(p, "NM1*QC");
    size_t a = (size_t)(clp - p);
    memcpy(t, p, a);
    strcpy(t + a, "CAS*CO*ZZ9*10~\n");
    strcat(t, clp);
    char *se = strstr(t, "SE*12*");
    se[3] = '1';
    se[4] = '3';
    struct x12t_run r;
    x12t_validate(&r, t, strlen(t), on_s);
    assert_non_null(strstr(rcm_buf_cstr(&r.findings),
                           "invalid_external_code CAS 11 2100 2:0:0 7"));
    assert_non_null(strstr(r.ack, "IK4*2*1034*7*ZZ9~"));
    x12t_run_free(&r);
    free(t);
    free(p);
}

static void
test_samples(void **state)
{
    (void)state;
    x12t_no_npi_check = true;   /* public samples carry dummy NPIs */
    static const struct {
        const char *name;
        unsigned sets, accepted;
        const char *codes; /* space-separated finding codes that must appear */
    } cases[] = {
        {"835-mult-loops.edi", 1, 1, ""},
        {"835-multi-line.edi", 1, 1, ""},
        {"835-profee.edi", 1, 1, ""},
        {"835-profee-multiple.edi", 156, 156, "duplicate_isa13"},
        {"835-managed-care.edi", 1, 0, "invalid_date required_segment_missing"},
        {"835-medicare-part-a.edi", 1, 0, "required_segment_missing not_used_element_present"},
        {"835-secondary-payment.edi", 1, 0, "required_element_missing element_too_long"},
        /* PRV03 203BF0100Y (an implementation-guide example) is not in the
         * NUCC taxonomy v25.1 list */
        {"837p-example1.edi", 1, 0, "invalid_external_code"},
        {"837p-cob-example3c.edi", 1, 1, ""},
        {"837p-drug.edi", 1, 1, ""},
        {"837p-ambulance.edi", 1, 0, "required_component_missing"},
        {"837p-staedi-original.edi", 1, 0, "isa_invalid_value isa_version invalid_code"},
        /* both send a five-digit 2010AA N403 where the guide wants nine */
        {"837i-institutional.edi", 1, 0, "not_used_element_present invalid_code invalid_external_code element_too_short"},
        {"837i-two-claims.edi", 1, 0, "not_used_element_present invalid_external_code element_too_short"},
        {"277-claim-level.edi", 1, 1, ""},
        /* 270/271/276: openrcm's own maps (data/x12/maps) */
        {"270-dependent.edi", 1, 1, ""},
        {"270-single-line.edi", 1, 1, ""},
        {"271-dependent.edi", 1, 1, ""},
        {"271-node-x12.edi", 1, 0, "st_wrong_group ge_missing iea_missing"},
        {"276-claim-level.edi", 1, 1, ""},
        {"999-staedi-simple.edi", 1, 0, "invalid_code not_used_component_present"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/golden/x12/samples/%s", cases[i].name);
        size_t n;
        char *p = x12t_load(rel, &n);
        assert_non_null(p);
        struct x12t_run r;
        x12t_validate(&r, p, n, on_s);
        if (r.st.sets != cases[i].sets || r.st.sets_accepted != cases[i].accepted)
            fail_msg("%s: %u sets, %u accepted; findings:\n%s", cases[i].name,
                     (unsigned)r.st.sets, (unsigned)r.st.sets_accepted,
                     rcm_buf_cstr(&r.findings));
        char codes[256];
        snprintf(codes, sizeof codes, "%s", cases[i].codes);
        for (char *tok = strtok(codes, " "); tok; tok = strtok(NULL, " ")) {
            char needle[64];
            snprintf(needle, sizeof needle, "%s ", tok);
            if (!strstr(rcm_buf_cstr(&r.findings), needle))
                fail_msg("%s: no %s finding:\n%s", cases[i].name, tok,
                         rcm_buf_cstr(&r.findings));
        }
        if (!cases[i].codes[0] && r.st.errors + r.st.warnings != 0)
            fail_msg("%s: unexpected findings:\n%s", cases[i].name,
                     rcm_buf_cstr(&r.findings));
        /* the ack of an accepted file accepts every set */
        if (cases[i].accepted == cases[i].sets && strstr(r.ack, "AK9*") &&
            (strstr(r.ack, "IK5*R") || strstr(r.ack, "AK9*R")))
            fail_msg("%s: accepted but the 999 rejects:\n%s", cases[i].name, r.ack);
        x12t_run_free(&r);
        free(p);
    }
}

/*
 * Allocation failure torture (SQLite style): make each allocation of a
 * validate + ack + JSON run fail in turn; every run must end in RCM_OK or
 * RCM_E_NOMEM, never crash or leak (ASan checks the leaks).
 */
static void
test_alloc_failures(void **state)
{
    (void)state;
    size_t n;
    char *p = x12t_load("tests/golden/x12/samples/837p-cob-example3c.edi", &n);
    assert_non_null(p);
    int nomem = 0;
    for (uint64_t k = 1; k < 400; k++) {
        struct rcm_buf ack = RCM_BUF_INIT(1u << 20);
        struct rcm_buf json = RCM_BUF_INIT(1u << 22);
        struct rcm_x12_json_writer w;
        rcm_x12_json_writer_init(&w, &json);
        struct rcm_x12_validate_opts o = {
            .ack = &ack, .on_segment = rcm_x12_json_writer_segment, .ctx = &w,
            .ack_date = "20240101", .ack_time = "1200",
        };
        (void)rcm_alloc_fail_after(k, 1);
        enum rcm_err e = rcm_x12_validate_buffer(p, n, &o, NULL);
        enum rcm_err je = rcm_x12_json_writer_finish(&w);
        uint64_t made = rcm_alloc_fail_after(0, 0);
        assert_true(e == RCM_OK || e == RCM_E_NOMEM || e == RCM_E_TOO_LARGE);
        assert_true(je == RCM_OK || je == RCM_E_NOMEM || je == RCM_E_TOO_LARGE);
        nomem += e != RCM_OK || je != RCM_OK;
        rcm_buf_release(&ack);
        rcm_buf_release(&json);
        if (made < k)
            break; /* the run needed fewer than k allocations: all covered */
    }
    assert_true(nomem > 0);
    free(p);
}

/* An 837P set with `claims` claims (built from the minimal file's claim). */
static char *
many_claims(int claims, size_t *len)
{
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    const char *hl2 = strstr(base, "HL*2*1*22*0~");
    const char *se = strstr(base, "SE*20*0001~");
    struct rcm_buf b = RCM_BUF_INIT(1u << 26);
    assert_int_equal(rcm_buf_add(&b, base, (size_t)(hl2 - base)), RCM_OK);
    for (int i = 0; i < claims; i++) {
        assert_int_equal(rcm_buf_addf(&b, "HL*%d*1*22*0~\n", i + 2), RCM_OK);
        const char *from = strchr(hl2, '\n') + 1;
        assert_int_equal(rcm_buf_add(&b, from, (size_t)(se - from)), RCM_OK);
    }
    assert_int_equal(rcm_buf_addf(&b, "SE*%d*0001~\n", 11 + claims * 9), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&b, strstr(se, "GE*")), RCM_OK);
    free(base);
    return rcm_buf_detach(&b, len);
}

/* Validation memory does not grow with the number of claims: the same
 * number of allocations for 10 and for 5000 claims, fed in 64 KiB pieces. */
static void
test_constant_memory(void **state)
{
    (void)state;
    uint64_t allocs[2];
    const int sizes[2] = {10, 5000};
    for (int k = 0; k < 2; k++) {
        size_t n;
        char *p = many_claims(sizes[k], &n);
        (void)rcm_alloc_fail_after(0, 0);
        struct rcm_x12_validator *v = rcm_x12_validator_new(NULL);
        assert_non_null(v);
        struct rcm_x12_reader r;
        rcm_x12_reader_init(&r, 0);
        size_t pos = 0;
        for (bool done = false; !done;) {
            struct rcm_x12_seg seg;
            struct rcm_x12_read_error err;
            switch (rcm_x12_reader_next(&r, &seg, &err)) {
            case RCM_X12_SEGMENT:
                assert_int_equal(rcm_x12_validator_segment(v, &seg), RCM_OK);
                break;
            case RCM_X12_ERROR:
                assert_int_equal(rcm_x12_validator_read_error(v, &err), RCM_OK);
                break;
            case RCM_X12_NEED_MORE: {
                size_t piece = n - pos < 65536 ? n - pos : 65536;
                rcm_x12_reader_feed(&r, p + pos, piece, pos + piece == n);
                pos += piece;
                break;
            }
            default:
                done = true;
            }
        }
        assert_int_equal(rcm_x12_validator_finish(v), RCM_OK);
        const struct rcm_x12_stats *st = rcm_x12_validator_stats(v);
        assert_int_equal(st->sets_accepted, 1);
        assert_int_equal(st->errors, 0);
        allocs[k] = rcm_alloc_fail_after(0, 0);
        rcm_x12_validator_free(v);
        rcm_x12_reader_release(&r);
        rcm_free(p);
    }
    /* the carry buffer may grow a few times (doubling, capped) when longer
     * segments happen to straddle a 64 KiB boundary; nothing else grows */
    if (allocs[1] > allocs[0] + 6)
        fail_msg("allocations grow with the input: %llu for %d claims, %llu for %d",
                 (unsigned long long)allocs[0], sizes[0],
                 (unsigned long long)allocs[1], sizes[1]);
}

/* Every transaction's schema fits the validator's fast tables (a schema
 * that outgrew them would validate correctly but several times slower). */
static void
test_fast_tables_cover_the_schema(void **state)
{
    (void)state;
    assert_true(x12_validate_fast_tables());
}

/* NM108 = XX: NM109 must pass the NPI check digit. A miss is a warning naming
 * segment, position, loop and element, never the value; the 999 accepts. */
static void
test_npi_check_digit(void **state)
{
    (void)state;
    x12t_no_npi_check = false;
    size_t n;
    char *base = load_own("837p-minimal.edi", &n);
    struct x12t_run r;
    x12t_validate(&r, base, strlen(base), NULL);
    assert_null(strstr(rcm_buf_cstr(&r.findings), "invalid_npi"));
    x12t_run_free(&r);

    char *bad = edit(base, "XX*1234567893", "XX*1234567890");
    x12t_validate(&r, bad, strlen(bad), NULL);
    const char *f = rcm_buf_cstr(&r.findings);
    if (!strstr(f, "invalid_npi NM1 ") || !strstr(f, " 2010AA 9:0:0 7\n"))
        fail_msg("no invalid_npi at NM1 2010AA NM109; got:\n%s", f);
    assert_null(strstr(f, "1234567890"));
    assert_null(strstr(r.ack, "1234567890"));
    assert_non_null(strstr(r.ack, "IK5*A"));
    assert_int_equal(r.st.warnings, 1);
    x12t_run_free(&r);
    free(bad);

    /* another qualifier is not an NPI; an empty or short value is checked */
    char *other = edit(base, "XX*1234567893", "XX*123456789");
    x12t_validate(&r, other, strlen(other), NULL);
    assert_non_null(strstr(rcm_buf_cstr(&r.findings), "invalid_npi"));
    x12t_run_free(&r);
    free(other);
    free(base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_valid),
        cmocka_unit_test(test_envelope_counts),
        cmocka_unit_test(test_control_numbers),
        cmocka_unit_test(test_missing_segment_and_loop),
        cmocka_unit_test(test_repeat_overflow),
        cmocka_unit_test(test_element_errors),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_wrong_delimiters),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_835_ack_bom_per),
        cmocka_unit_test(test_repeated_2320),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_external_codes_off),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_constant_memory),
        cmocka_unit_test(test_fast_tables_cover_the_schema),
        cmocka_unit_test(test_digit_patterns),
        cmocka_unit_test(test_npi_check_digit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
