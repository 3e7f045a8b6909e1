/*
 * test_risk_rules.c — one test per rule of COMPUTATION-NOTES.md §1 (N1…N11)
 * and per known divergence of the Python references, plus the payment
 * score, blends, explanations and gap flags. Expected values are sums of
 * coefficients read from data/cms-hcc/<model>/coefficients.tsv.
 */
#include "risk_test_util.h"

#define V24 RCM_RISK_V24
#define V28 RCM_RISK_V28

/* N1: age as of February 1 of the payment year. */
static void
age_as_of_feb_1(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member a = member_dob(1961, 2, 1, 2, 0, RCM_RISK_CNA);
    assert_int_equal(score_codes(m, &a, NO_CODES).age, 65);   /* birthday on Feb 1 */
    struct rcm_risk_member b = member_dob(1961, 2, 2, 2, 0, RCM_RISK_CNA);
    assert_int_equal(score_codes(m, &b, NO_CODES).age, 64);   /* one day later */
    struct rcm_risk_member c = member_dob(1960, 2, 29, 2, 0, RCM_RISK_CNA);
    assert_int_equal(score_codes(m, &c, NO_CODES).age, 65);
    struct rcm_risk_member d = member_dob(1961, 1, 31, 2, 0, RCM_RISK_CNA);
    assert_int_equal(score_codes(m, &d, NO_CODES).age, 65);
    /* Same DOB, PY2025 tables: a year younger. */
    assert_int_equal(score_codes(model(V28, 2025), &a, NO_CODES).age, 64);
    /* Born after Feb 1 of the payment year: AGEF 0, not negative. */
    struct rcm_risk_member e = member_dob(2026, 5, 1, 1, 0, RCM_RISK_CNA);
    assert_int_equal(score_codes(m, &e, NO_CODES).age, 0);
    /* Without a DOB the given age is used. */
    struct rcm_risk_member f = a;
    f.dob_days = RCM_RISK_NO_DOB;
    f.age_years = 80;
    assert_int_equal(score_codes(m, &f, NO_CODES).age, 80);
}

/* N1 (V24 only): AGEF 64 with OREC 0 scores as 65, in the aged segment. */
static void
v24_age_64_orec_0_is_65(void **state)
{
    (void)state;
    struct rcm_risk_member mem = member_dob(1961, 11, 11, 2, 0, RCM_RISK_CND);
    struct rcm_risk_score s = score_codes(model(V24, 2026), &mem, NO_CODES);
    assert_int_equal(s.age, 65);
    assert_int_equal(s.segment, RCM_RISK_CNA);
    assert_int_equal(s.raw_milli, coef("V24", "CNA_F65_69"));
    /* V28 has no such line: 64, disabled segment. */
    s = score_codes(model(V28, 2026), &mem, NO_CODES);
    assert_int_equal(s.age, 64);
    assert_int_equal(s.segment, RCM_RISK_CND);
    assert_int_equal(s.raw_milli, coef("V28", "CND_F60_64"));
    /* OREC 1 at 64 is not moved in V24 either. */
    mem.orec = 1;
    s = score_codes(model(V24, 2026), &mem, NO_CODES);
    assert_int_equal(s.age, 64);
    assert_true(s.disabled);
    assert_int_equal(s.raw_milli, coef("V24", "CND_F60_64"));
    /* Full-benefit dual keeps its dual status when moved to aged. */
    mem.orec = 0;
    mem.sex = 1;
    mem.segment = RCM_RISK_CFD;
    s = score_codes(model(V24, 2026), &mem, NO_CODES);
    assert_int_equal(s.segment, RCM_RISK_CFA);
    assert_int_equal(s.raw_milli, coef("V24", "CFA_M65_69"));
}

/* N2: DISABL and ORIGDS; OREC 3 (ESRD) and 2 are not originally disabled. */
static void
originally_disabled(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum rcm_risk_model_id id = k ? V28 : V24;
        const char *dir = k ? "V28" : "V24";
        const struct rcm_risk_model *m = model(id, 2026);
        struct rcm_risk_member mem = member_age(2026, 72, 2, 1, RCM_RISK_CNA);
        struct rcm_risk_score s = score_codes(m, &mem, NO_CODES);
        assert_true(s.orig_disabled);
        assert_false(s.disabled);
        assert_int_equal(s.raw_milli,
                         coef(dir, "CNA_F70_74") + coef(dir, "CNA_OriginallyDisabled_Female"));
        mem.orec = 3;
        s = score_codes(m, &mem, NO_CODES);
        assert_false(s.orig_disabled);
        assert_int_equal(s.raw_milli, coef(dir, "CNA_F70_74"));
        mem.orec = 2;
        s = score_codes(m, &mem, NO_CODES);
        assert_false(s.orig_disabled);
        /* Under 65 with OREC 1: disabled, not originally disabled. */
        mem = member_age(2026, 50, 1, 1, RCM_RISK_CND);
        s = score_codes(m, &mem, NO_CODES);
        assert_true(s.disabled);
        assert_false(s.orig_disabled);
        assert_int_equal(s.raw_milli, coef(dir, "CND_M45_54"));
    }
}

/* N3: codes are trimmed, upper-cased, dots dropped, duplicates harmless. */
static void
code_normalisation(void **state)
{
    (void)state;
    uint64_t a, b;
    assert_true(rcm_risk_dx_pack(rcm_str_c(" e11.22 "), &a));
    assert_true(rcm_risk_dx_pack(rcm_str_c("E1122"), &b));
    assert_true(a == b);
    char out[8];
    rcm_risk_dx_unpack(a, out);
    assert_string_equal(out, "E1122");
    assert_false(rcm_risk_dx_pack(rcm_str_c("E1"), &a));
    assert_false(rcm_risk_dx_pack(rcm_str_c("E11223344"), &a));
    assert_false(rcm_risk_dx_pack(rcm_str_c("E11-22"), &a));
    assert_false(rcm_risk_dx_pack(rcm_str_c(""), &a));
    const struct rcm_risk_model *m = model(V24, 2026);
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    struct rcm_risk_score one = score_codes(m, &mem, CODES("E1122"));
    struct rcm_risk_score dup = score_codes(m, &mem, CODES("E1122", "e11.22", "E1122"));
    assert_int_equal(one.raw_milli, dup.raw_milli);
    assert_int_equal(one.raw_milli, coef("V24", "CNA_F70_74") + coef("V24", "CNA_HCC18") +
                                        coef("V24", "CNA_D1"));
    /* A code the map does not know contributes nothing. */
    struct rcm_risk_score unk = score_codes(m, &mem, CODES("Z0000", "E1122"));
    assert_int_equal(unk.raw_milli, one.raw_milli);
}

/* N3: the ICD-10-CM map is the payment year's: a code new in FY2025 (C81.0A,
 * 1 Oct 2024) maps from PY2025 (2024 dates of service), not in PY2024; one new
 * in FY2024 (A41.54) from PY2024. */
static void
map_by_payment_year(void **state)
{
    (void)state;
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    for (int k = 0; k < 2; k++) {
        enum rcm_risk_model_id id = k ? V28 : V24;
        assert_int_equal(score_codes(model(id, 2026), &mem, CODES("C810A")).n_hcc, 1);
        assert_int_equal(score_codes(model(id, 2025), &mem, CODES("C810A")).n_hcc, 1);
        assert_int_equal(score_codes(model(id, 2024), &mem, CODES("C810A")).n_hcc, 0);
        assert_true(rcm_risk_bit(score_codes(model(id, 2024), &mem, CODES("A4154")).hcc, 2));
    }
}

/* N3: V24I0ED1. */
static void
v24_mandatory_edits(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V24, 2026);
    struct rcm_risk_member f = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    struct rcm_risk_member mm = member_age(2026, 70, 1, 0, RCM_RISK_CNA);
    struct rcm_risk_score s = score_codes(m, &f, CODES("D66"));
    assert_true(rcm_risk_bit(s.cc, 48));
    assert_false(rcm_risk_bit(s.cc, 46));
    s = score_codes(m, &mm, CODES("D67"));
    assert_true(rcm_risk_bit(s.cc, 46));
    assert_false(rcm_risk_bit(s.cc, 48));
    /* COPD codes under 18 → CC112 instead of CC111. */
    struct rcm_risk_member child = member_age(2026, 17, 1, 0, RCM_RISK_CND);
    s = score_codes(m, &child, CODES("J449"));
    assert_true(rcm_risk_bit(s.cc, 112));
    assert_false(rcm_risk_bit(s.cc, 111));
    struct rcm_risk_member adult = member_age(2026, 18, 1, 0, RCM_RISK_CND);
    s = score_codes(m, &adult, CODES("J449"));
    assert_true(rcm_risk_bit(s.cc, 111));
    /* F34.81 only valid from 6 to 18. */
    static const int ages[] = {5, 6, 18, 19};
    static const bool valid[] = {false, true, true, false};
    for (int i = 0; i < 4; i++) {
        struct rcm_risk_member k = member_age(2026, ages[i], 2, 0, RCM_RISK_CND);
        s = score_codes(m, &k, CODES("F3481"));
        assert_int_equal(rcm_risk_bit(s.cc, 59), valid[i]);
    }
}

/* N3: V28I0ED1 (PY2024-2025) and V28I0ED3 (PY2026). */
static void
v28_mandatory_edits(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member f = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    struct rcm_risk_member mm = member_age(2026, 70, 1, 0, RCM_RISK_CNA);
    struct rcm_risk_score s = score_codes(m, &f, CODES("D66"));
    assert_true(rcm_risk_bit(s.cc, 112));
    assert_false(rcm_risk_bit(s.cc, 111));
    s = score_codes(m, &mm, CODES("D66"));
    assert_true(rcm_risk_bit(s.cc, 111));
    struct rcm_risk_member child = member_age(2026, 10, 1, 0, RCM_RISK_CND);
    s = score_codes(m, &child, CODES("J449"));
    assert_int_equal(s.n_hcc, 0);
    struct rcm_risk_member young = member_age(2026, 40, 2, 0, RCM_RISK_CND);
    s = score_codes(m, &young, CODES("C50911"));
    assert_true(rcm_risk_bit(s.cc, 22));
    assert_false(rcm_risk_bit(s.cc, 23));
    struct rcm_risk_member fifty = member_age(2026, 50, 2, 0, RCM_RISK_CND);
    s = score_codes(m, &fifty, CODES("C50911"));
    assert_true(rcm_risk_bit(s.cc, 23));
    struct rcm_risk_member baby = member_age(2026, 1, 1, 0, RCM_RISK_CND);
    s = score_codes(m, &baby, CODES("P270"));
    assert_true(rcm_risk_bit(s.cc, 213));
    struct rcm_risk_member two = member_age(2026, 2, 1, 0, RCM_RISK_CND);
    s = score_codes(m, &two, CODES("P270"));
    assert_false(rcm_risk_bit(s.cc, 213));
    /* J44.81 under 18: ED3 (2026) invalidates it, ED1 (2025) does not. */
    s = score_codes(m, &child, CODES("J4481"));
    assert_false(rcm_risk_bit(s.cc, 280));
    s = score_codes(model(V28, 2025), &child, CODES("J4481"));
    assert_true(rcm_risk_bit(s.cc, 280));
    /* C50.A0 under 50 → CC22 (ED3 only). */
    s = score_codes(m, &young, CODES("C50A0"));
    assert_true(rcm_risk_bit(s.cc, 22));
}

/* N4: V28's CC223 needs another heart-failure CC. */
static void
v28_hcc223_rule(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    struct rcm_risk_score s = score_codes(m, &mem, CODES("T82512A"));
    assert_false(rcm_risk_bit(s.cc, 223));
    assert_int_equal(s.n_hcc, 0);
    assert_int_equal(s.raw_milli, coef("V28", "CNA_F70_74"));
    /* With 226 it stays, and its hierarchy drops 226. */
    s = score_codes(m, &mem, CODES("T82512A", "I5022"));
    assert_true(rcm_risk_bit(s.hcc, 223));
    assert_false(rcm_risk_bit(s.hcc, 226));
    /* 223 zeroed by the rule does not apply its hierarchy (hccpy bug). */
    s = score_codes(m, &mem, CODES("T82512A", "I420"));
    assert_false(rcm_risk_bit(s.hcc, 223));
    assert_true(rcm_risk_bit(s.hcc, 227));
    /* With 222 it passes the rule and is then dropped by 222's hierarchy. */
    struct rcm_risk_explain *x = malloc(sizeof *x);
    assert_non_null(x);
    uint64_t dx[2];
    size_t n = pack(dx, CODES("T82512A", "I5084"));
    assert_int_equal(rcm_risk_explain(m, &mem, dx, n, x), RCM_OK);
    assert_true(rcm_risk_bit(x->score.hcc, 222));
    bool found = false;
    for (int i = 0; i < x->n_ccs; i++)
        if (x->ccs[i].cc == 223) {
            assert_int_equal(x->ccs[i].fate, RCM_RISK_CC_HIERARCHY);
            assert_int_equal(x->ccs[i].dropped_by, 222);
            found = true;
        }
    assert_true(found);
    n = pack(dx, CODES("T82512A"));
    assert_int_equal(rcm_risk_explain(m, &mem, dx, n, x), RCM_OK);
    assert_int_equal(x->n_ccs, 1);
    assert_int_equal(x->ccs[0].fate, RCM_RISK_CC_RULE);
    free(x);
    /* The rule is part of the V28 model in every payment year. */
    struct rcm_risk_score y24 = score_codes(model(V28, 2024), &mem, CODES("T82512A"));
    assert_int_equal(y24.n_hcc, 0);
    y24 = score_codes(model(V28, 2024), &mem, CODES("T82512A", "I5022"));
    assert_true(rcm_risk_bit(y24.hcc, 223));
}

/* N5: hierarchies in file order on current values: the 62→63→202 chain. */
static void
v28_hierarchy_chain_62_63_202(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member mem = member_age(2026, 70, 1, 0, RCM_RISK_CNA);
    struct rcm_risk_score s = score_codes(m, &mem, CODES("T8640", "I8500", "G931"));
    assert_true(rcm_risk_bit(s.hcc, 62));
    assert_false(rcm_risk_bit(s.hcc, 63));
    assert_true(rcm_risk_bit(s.hcc, 202));   /* 63 was already zeroed by 62 */
    assert_int_equal(s.raw_milli, coef("V28", "CNA_M70_74") + coef("V28", "CNA_HCC62") +
                                      coef("V28", "CNA_HCC202") + coef("V28", "CNA_D2"));
    s = score_codes(m, &mem, CODES("T8640", "G931"));
    assert_true(rcm_risk_bit(s.hcc, 62));
    assert_true(rcm_risk_bit(s.hcc, 202));   /* hccpy drops it */
    s = score_codes(m, &mem, CODES("I8500", "G931"));
    assert_true(rcm_risk_bit(s.hcc, 63));
    assert_false(rcm_risk_bit(s.hcc, 202));
}

/* N5: V28 rules that span two lines in V28115H1 (191, 192, 221, 222). */
static void
v28_two_line_hierarchies(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member mem = member_age(2026, 40, 1, 1, RCM_RISK_CND);
    struct rcm_risk_score s = score_codes(m, &mem, CODES("G800", "G8250", "G801"));
    assert_true(rcm_risk_bit(s.hcc, 191));
    assert_false(rcm_risk_bit(s.hcc, 180));
    assert_false(rcm_risk_bit(s.hcc, 192));
    s = score_codes(m, &mem, CODES("G801", "G8250"));
    assert_true(rcm_risk_bit(s.hcc, 192));
    assert_false(rcm_risk_bit(s.hcc, 180));
    s = score_codes(m, &mem, CODES("T8620", "I5084", "I5022"));
    assert_true(rcm_risk_bit(s.hcc, 221));
    assert_false(rcm_risk_bit(s.hcc, 222));
    assert_false(rcm_risk_bit(s.hcc, 226));
    /* V24: diabetes 18 over 19. */
    s = score_codes(model(V24, 2026), &mem, CODES("E119", "E1122"));
    assert_true(rcm_risk_bit(s.hcc, 18));
    assert_false(rcm_risk_bit(s.hcc, 19));
}

/* N6: interactions, looked up as SEGMENT_NAME. */
static void
interactions(void **state)
{
    (void)state;
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    struct rcm_risk_score s = score_codes(model(V24, 2026), &mem, CODES("E1122", "I5022"));
    assert_int_equal(s.raw_milli, coef("V24", "CNA_F70_74") + coef("V24", "CNA_HCC18") +
                                      coef("V24", "CNA_HCC85") + coef("V24", "CNA_DIABETES_CHF") +
                                      coef("V24", "CNA_D2"));
    s = score_codes(model(V28, 2026), &mem, CODES("E1122", "I5022"));
    assert_int_equal(s.raw_milli, coef("V28", "CNA_F70_74") + coef("V28", "CNA_HCC37") +
                                      coef("V28", "CNA_HCC226") +
                                      coef("V28", "CNA_DIABETES_HF_V28") + coef("V28", "CNA_D2"));
    /* Institutional: V24 SEPSIS_PRESSURE_ULCER, spelled as CMS spells it. */
    struct rcm_risk_member ins = member_age(2026, 80, 1, 0, RCM_RISK_INS);
    s = score_codes(model(V24, 2026), &ins, CODES("A021", "L89004"));
    assert_int_equal(s.raw_milli, coef("V24", "INS_M80_84") + coef("V24", "INS_HCC2") +
                                      coef("V24", "INS_HCC157") +
                                      coef("V24", "INS_SEPSIS_PRESSURE_ULCER"));
    /* ART_OPENINGS_PRESS_ULCER and ASP_SPEC_B_PNEUM_PRES_ULC (hccpy misspells them). */
    s = score_codes(model(V24, 2026), &ins, CODES("K9400", "L89004", "J150"));
    assert_int_equal(s.raw_milli,
                     coef("V24", "INS_M80_84") + coef("V24", "INS_HCC188") +
                         coef("V24", "INS_HCC157") + coef("V24", "INS_HCC114") +
                         coef("V24", "INS_ART_OPENINGS_PRESS_ULCER") +
                         coef("V24", "INS_ASP_SPEC_B_PNEUM_PRES_ULC"));
    /* DISABLED_* interactions need DISABL. */
    struct rcm_risk_member dins = member_age(2026, 50, 1, 1, RCM_RISK_INS);
    s = score_codes(model(V28, 2026), &dins, CODES("I5022"));
    assert_int_equal(s.raw_milli, coef("V28", "INS_M45_54") + coef("V28", "INS_HCC226") +
                                      coef("V28", "INS_DISABLED_HF_V28") + coef("V28", "INS_D1"));
}

/* N7: payment-HCC counts D1…D9, D10P. */
static void
hcc_counts(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    const char *const *eleven = CODES("C771", "E0821", "I5022", "J410", "F200", "L89004", "G931",
                                      "I120", "D6800", "I442", "G8250");
    struct rcm_risk_explain *x = malloc(sizeof *x);
    assert_non_null(x);
    uint64_t dx[16];
    size_t n = pack(dx, eleven);
    assert_int_equal(rcm_risk_explain(m, &mem, dx, n, x), RCM_OK);
    assert_int_equal(x->score.n_hcc, 11);
    bool d10p = false;
    for (int i = 0; i < x->n_terms; i++)
        d10p |= strcmp(x->terms[i].name, "CNA_D10P") == 0;
    assert_true(d10p);
    /* Dropping codes one by one walks the count down through D9 … D1. */
    for (size_t k = 9; k >= 1; k--) {
        assert_int_equal(rcm_risk_explain(m, &mem, dx, k, x), RCM_OK);
        char want[16];
        snprintf(want, sizeof want, "CNA_D%zu", (size_t)x->score.n_hcc);
        bool found = false;
        for (int i = 0; i < x->n_terms; i++)
            found |= strcmp(x->terms[i].name, want) == 0;
        assert_true(found);
    }
    /* V24 institutional has no count variables. */
    struct rcm_risk_member ins = member_age(2026, 80, 1, 0, RCM_RISK_INS);
    struct rcm_risk_score s = score_codes(model(V24, 2026), &ins, CODES("E1122"));
    assert_int_equal(s.raw_milli, coef("V24", "INS_M80_84") + coef("V24", "INS_HCC18"));
    free(x);
}

/* N8: community and institutional demographic terms. */
static void
demographic_cells(void **state)
{
    (void)state;
    static const struct {
        enum rcm_risk_segment seg;
        int age, sex;
        const char *cell;
    } cases[] = {
        {RCM_RISK_CNA, 65, 2, "CNA_F65_69"}, {RCM_RISK_CNA, 95, 1, "CNA_M95_GT"},
        {RCM_RISK_CND, 34, 2, "CND_F0_34"},  {RCM_RISK_CFD, 35, 1, "CFD_M35_44"},
        {RCM_RISK_CPA, 89, 2, "CPA_F85_89"}, {RCM_RISK_CFA, 90, 1, "CFA_M90_94"},
        {RCM_RISK_CPD, 59, 1, "CPD_M55_59"}, {RCM_RISK_INS, 0, 2, "INS_F0_34"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct rcm_risk_member mem =
            member_age(2026, cases[i].age, cases[i].sex, cases[i].age < 65 ? 1 : 0, cases[i].seg);
        struct rcm_risk_score s = score_codes(model(V28, 2026), &mem, NO_CODES);
        assert_int_equal(s.raw_milli, coef("V28", cases[i].cell));
    }
    /* INS with Medicaid: LTIMCAID. */
    struct rcm_risk_member ins = member_age(2026, 80, 2, 0, RCM_RISK_INS);
    ins.medicaid = true;
    struct rcm_risk_score s = score_codes(model(V24, 2026), &ins, NO_CODES);
    assert_int_equal(s.raw_milli, coef("V24", "INS_F80_84") + coef("V24", "INS_LTIMCAID"));
    /* Medicaid has no term in the community segments. */
    struct rcm_risk_member com = member_age(2026, 80, 2, 0, RCM_RISK_CFA);
    com.medicaid = true;
    s = score_codes(model(V24, 2026), &com, NO_CODES);
    assert_int_equal(s.raw_milli, coef("V24", "CFA_F80_84"));
}

/* N9: new enrollee and SNP new enrollee cells. */
static void
new_enrollee_cells(void **state)
{
    (void)state;
    const struct rcm_risk_model *v28 = model(V28, 2026);
    /* Age 64, OREC 0 → the 65 cell, even in V28 (AGESEXV2). */
    struct rcm_risk_member ne = member_dob(1961, 11, 11, 2, 0, RCM_RISK_NE);
    struct rcm_risk_score s = score_codes(v28, &ne, NO_CODES);
    assert_int_equal(s.age, 64);
    assert_int_equal(s.raw_milli, coef("V28", "NE_NMCAID_NORIGDIS_NEF65"));
    /* Age 64, OREC 1 → 60-64. */
    ne.orec = 1;
    s = score_codes(v28, &ne, NO_CODES);
    assert_int_equal(s.raw_milli, coef("V28", "NE_NMCAID_NORIGDIS_NEF60_64"));
    /* 67, OREC 1, Medicaid → MCAID_ORIGDIS single-year cell. */
    struct rcm_risk_member o = member_age(2026, 67, 1, 1, RCM_RISK_NE);
    o.medicaid = true;
    s = score_codes(v28, &o, NO_CODES);
    assert_true(s.orig_disabled);
    assert_int_equal(s.raw_milli, coef("V28", "NE_MCAID_ORIGDIS_NEM67"));
    /* OREC 3 (and 2): not originally disabled, NE bands. */
    o.orec = 3;
    o.medicaid = false;
    s = score_codes(v28, &o, NO_CODES);
    assert_false(s.orig_disabled);
    assert_int_equal(s.raw_milli, coef("V28", "NE_NMCAID_NORIGDIS_NEM67"));
    o.orec = 2;
    s = score_codes(model(V24, 2026), &o, NO_CODES);
    assert_int_equal(s.raw_milli, coef("V24", "NE_NMCAID_NORIGDIS_NEM67"));
    /* SNP new enrollee uses its own table. */
    struct rcm_risk_member snp = member_age(2026, 72, 2, 0, RCM_RISK_SNPNE);
    snp.medicaid = true;
    s = score_codes(v28, &snp, NO_CODES);
    assert_int_equal(s.raw_milli, coef("V28", "SNPNE_MCAID_NORIGDIS_NEF70_74"));
    /* New enrollees have no HCC terms; their HCCs are still reported. */
    struct rcm_risk_score with = score_codes(v28, &snp, CODES("E1122", "I5022"));
    assert_int_equal(with.raw_milli, s.raw_milli);
    assert_true(rcm_risk_bit(with.hcc, 37));
    /* Segment derived from the flags when not given. */
    struct rcm_risk_member a = member_age(2026, 72, 2, 0, RCM_RISK_SEGMENT_AUTO);
    a.new_enrollee = true;
    a.snp = true;
    assert_int_equal(score_codes(v28, &a, NO_CODES).segment, RCM_RISK_SNPNE);
    a.new_enrollee = false;
    a.institutional = true;
    assert_int_equal(score_codes(v28, &a, NO_CODES).segment, RCM_RISK_INS);
    a.institutional = false;
    a.dual = rcm_risk_dual_from_code(rcm_str_c("02"));
    assert_int_equal(score_codes(v28, &a, NO_CODES).segment, RCM_RISK_CFA);
    a.dual = rcm_risk_dual_from_code(rcm_str_c("03"));
    assert_int_equal(score_codes(v28, &a, NO_CODES).segment, RCM_RISK_CPA);
    a = member_age(2026, 40, 1, 1, RCM_RISK_SEGMENT_AUTO);
    assert_int_equal(score_codes(v28, &a, NO_CODES).segment, RCM_RISK_CND);
}

/* Members that cannot be scored. */
static void
invalid_members(void **state)
{
    (void)state;
    struct rcm_risk_member mem = member_age(2026, 70, 3, 0, RCM_RISK_CNA);
    struct rcm_risk_score s;
    assert_int_equal(rcm_risk_score(model(V28, 2026), &mem, NULL, 0, &s), RCM_E_INVAL);
    mem.sex = 1;
    mem.orec = 4;
    assert_int_equal(rcm_risk_score(model(V28, 2026), &mem, NULL, 0, &s), RCM_E_INVAL);
    mem.orec = 0;
    mem.dob_days = RCM_RISK_NO_DOB;
    mem.age_years = -1;
    assert_int_equal(rcm_risk_score(model(V28, 2026), &mem, NULL, 0, &s), RCM_E_INVAL);
}

/* N10, N11: exact sums, normalization, MA coding adjustment, blends. */
static double
round3(double v)
{
    return (double)(long long)(v * 1000.0 + 0.5) / 1000.0;
}

static void
payment_scores_and_blends(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    static const int32_t raws[] = {1000, 2831, 389, 13890};
    for (size_t i = 0; i < 4; i++) {
        int32_t norm;
        int32_t pay = rcm_risk_payment_milli(m, raws[i], &norm);
        double n = round3(raws[i] / 1000.0 / 1.067);
        double p = round3(n * (1 - 0.059));
        assert_int_equal(norm, (int32_t)(n * 1000 + 0.5));
        assert_int_equal(pay, (int32_t)(p * 1000 + 0.5));
    }
    int32_t norm;
    assert_int_equal(rcm_risk_payment_milli(model(V24, 2024), 1000, &norm),
                     (int32_t)(round3(round3(1.0 / 1.146) * 0.941) * 1000 + 0.5));
    /* V24 has no PY2026 factor. */
    assert_int_equal(rcm_risk_payment_milli(model(V24, 2026), 1000, &norm), -1);
    assert_int_equal(norm, -1);
    /* Blends: 67/33, 33/67, 0/100. */
    assert_int_equal(rcm_risk_blend_milli(tables(), 2024, 1000, 2000), 1330);
    assert_int_equal(rcm_risk_blend_milli(tables(), 2025, 1000, 2000), 1670);
    assert_int_equal(rcm_risk_blend_milli(tables(), 2026, -1, 2000), 2000);
    assert_int_equal(rcm_risk_blend_milli(tables(), 2024, -1, 2000), -1);
    assert_int_equal(rcm_risk_blend_milli(tables(), 2030, 1000, 2000), -1);
    assert_int_equal(rcm_risk_model_blend_pct(model(V24, 2024)), 67);
    assert_int_equal(rcm_risk_blend_milli(tables(), 2024, 1001, 1001), 1001);
    /* Rounding half up: 0.67*1 + 0.33*2 = 1.33 thousandths → 1. */
    assert_int_equal(rcm_risk_blend_milli(tables(), 2024, 1, 2), 1);
    /* The raw score is the exact sum of the explanation's terms. */
    struct rcm_risk_member mem = member_age(2026, 70, 2, 1, RCM_RISK_CFA);
    uint64_t dx[8];
    size_t n = pack(dx, CODES("E1122", "I5022", "J449", "F200", "N186"));
    struct rcm_risk_explain *x = malloc(sizeof *x);
    assert_non_null(x);
    assert_int_equal(rcm_risk_explain(m, &mem, dx, n, x), RCM_OK);
    int32_t sum = 0;
    for (int i = 0; i < x->n_terms; i++)
        sum += x->terms[i].coef_milli;
    assert_int_equal(sum, x->score.raw_milli);
    for (int i = 0; i < x->n_terms; i++)
        assert_int_equal(x->terms[i].coef_milli, coef("V28", x->terms[i].name));
    free(x);
}

/* Explanation: triggering codes, coefficients, fates. */
static void
explanation(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V24, 2026);
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    uint64_t dx[4];
    size_t n = pack(dx, CODES("E119", "E1122", "E1121", "D66"));
    struct rcm_risk_explain *x = malloc(sizeof *x);
    assert_non_null(x);
    assert_int_equal(rcm_risk_explain(m, &mem, dx, n, x), RCM_OK);
    bool saw18 = false, saw19 = false, saw48 = false;
    for (int i = 0; i < x->n_ccs; i++) {
        const struct rcm_risk_cc_explain *c = &x->ccs[i];
        char code[8];
        if (c->cc == 18) {
            saw18 = true;
            assert_int_equal(c->fate, RCM_RISK_CC_KEPT);
            assert_int_equal(c->coef_milli, coef("V24", "CNA_HCC18"));
            assert_int_equal(c->n_dx, 2);
            rcm_risk_dx_unpack(c->dx[0], code);
            assert_string_equal(code, "E1122");
        } else if (c->cc == 19) {
            saw19 = true;
            assert_int_equal(c->fate, RCM_RISK_CC_HIERARCHY);
            assert_int_equal(c->dropped_by, 18);
        } else if (c->cc == 48) {
            saw48 = true;
            assert_true(c->edited);
        }
    }
    assert_true(saw18 && saw19 && saw48);
    assert_non_null(rcm_risk_hcc_label(m, 18));
    free(x);
}

/* Gap flags: prior-year HCCs not recaptured, suspects, ranking by impact. */
static void
gap_flags(void **state)
{
    (void)state;
    const struct rcm_risk_model *m = model(V28, 2026);
    struct rcm_risk_member mem = member_age(2026, 70, 2, 0, RCM_RISK_CNA);
    uint64_t cur[4], prior[4], sus[4];
    size_t nc = pack(cur, CODES("I5022"));
    size_t np = pack(prior, CODES("E1122", "I5022", "F200"));
    struct rcm_risk_gap g[8];
    size_t n;
    assert_int_equal(rcm_risk_gaps(m, &mem, cur, nc, prior, np, NULL, 0, g, 8, &n), RCM_OK);
    assert_int_equal(n, 2);
    /* Schizophrenia (151) and diabetes (37) are gaps; heart failure was recaptured. */
    int32_t want37 = coef("V28", "CNA_HCC37") + coef("V28", "CNA_DIABETES_HF_V28") +
                     coef("V28", "CNA_D2") - coef("V28", "CNA_D1");
    int32_t want151 = coef("V28", "CNA_HCC151") + coef("V28", "CNA_D2") - coef("V28", "CNA_D1");
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(g[i].kind, RCM_RISK_GAP_RECAPTURE);
        if (g[i].hcc == 37)
            assert_int_equal(g[i].impact_milli, want37);
        else if (g[i].hcc == 151)
            assert_int_equal(g[i].impact_milli, want151);
        else
            fail_msg("unexpected gap HCC%d", g[i].hcc);
    }
    assert_true(g[0].impact_milli >= g[1].impact_milli);
    char code[8];
    rcm_risk_dx_unpack(g[g[0].hcc == 37 ? 0 : 1].evidence_dx, code);
    assert_string_equal(code, "E1122");
    /* The cap keeps the highest-impact gaps. */
    assert_int_equal(rcm_risk_gaps(m, &mem, cur, nc, prior, np, NULL, 0, g, 1, &n), RCM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(g[0].impact_milli, want37 > want151 ? want37 : want151);
    /* Covered by a higher HCC this year: no gap. */
    nc = pack(cur, CODES("E0800"));
    np = pack(prior, CODES("E1122"));
    assert_int_equal(rcm_risk_gaps(m, &mem, cur, nc, prior, np, NULL, 0, g, 8, &n), RCM_OK);
    assert_int_equal(n, 0);
    /* Suspect from ineligible evidence. */
    size_t ns = pack(sus, CODES("J449"));
    assert_int_equal(rcm_risk_gaps(m, &mem, NULL, 0, NULL, 0, sus, ns, g, 8, &n), RCM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(g[0].hcc, 280);
    assert_int_equal(g[0].kind, RCM_RISK_GAP_SUSPECT);
    assert_int_equal(g[0].impact_milli, coef("V28", "CNA_HCC280") + coef("V28", "CNA_D1"));
}

/* Risk-adjustment eligible sources. */
static void
source_eligibility(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool known, eligible;
    } cases[] = {
        {"", true, true},           {"F2F", true, true},         {"professional", true, true},
        {"inpatient", true, true},  {"OP", true, true},          {"tob:111", true, true},
        {"TOB:0131", true, true},   {"tob:851", true, true},     {"tob:121", true, false},
        {"tob:221", true, false},   {"lab", true, false},        {"Radiology", true, false},
        {"dme", true, false},       {"ambulance", true, false},  {"tob:1x1", false, false},
        {"tob:11", false, false},   {"telepathy", false, false}, {"tob:1311", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool e = !cases[i].eligible;
        bool known = rcm_risk_source_eligible(rcm_str_c(cases[i].s), &e);
        assert_int_equal(known, cases[i].known);
        if (known)
            assert_int_equal(e, cases[i].eligible);
    }
}

static int
teardown(void **state)
{
    (void)state;
    rcm_risk_tables_free(test_tables);
    test_tables = NULL;
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(age_as_of_feb_1),
        cmocka_unit_test(v24_age_64_orec_0_is_65),
        cmocka_unit_test(originally_disabled),
        cmocka_unit_test(code_normalisation),
        cmocka_unit_test(map_by_payment_year),
        cmocka_unit_test(v24_mandatory_edits),
        cmocka_unit_test(v28_mandatory_edits),
        cmocka_unit_test(v28_hcc223_rule),
        cmocka_unit_test(v28_hierarchy_chain_62_63_202),
        cmocka_unit_test(v28_two_line_hierarchies),
        cmocka_unit_test(interactions),
        cmocka_unit_test(hcc_counts),
        cmocka_unit_test(demographic_cells),
        cmocka_unit_test(new_enrollee_cells),
        cmocka_unit_test(invalid_members),
        cmocka_unit_test(payment_scores_and_blends),
        cmocka_unit_test(explanation),
        cmocka_unit_test(gap_flags),
        cmocka_unit_test(source_eligibility),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
