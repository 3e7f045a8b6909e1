/*
 * test_risk_tables.c — the data directory is the model: a synthetic model
 * written to a temporary directory loads and scores by its own rules (a new
 * payment year is a data drop), CCs outside the payment list are ignored,
 * and every malformed table fails the load with file and line.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/mem.h"
#include "risk_test_util.h"

static char root[256];

static void
write_file(const char *rel, const char *fmt, ...)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cms-hcc/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

static const char *const good_models =
    "# synthetic\n"
    "V28\t2030\tM\tdx.tsv\tedits.tsv\t1.250\t0.059\t1.00\n";
static const char *const good_model_txt =
    "labels labels.tsv\nhierarchy hierarchy.tsv\ncoefficients coefficients.tsv\n"
    "require 4 1 2\n"
    "group PAIR 1 2\n"
    "interaction PAIR_HCC3 PAIR HCC3\n"
    "interaction DISABLED_HCC3 DISABL HCC3\n";
static const char *const good_labels = "1\tOne\n2\tTwo\n3\tThree\n4\tFour\n";
static const char *const good_hier = "1\t2\n";
static const char *const good_coef =
    "CNA_F70_74\t0.5\nCNA_M70_74\t0.4\nCNA_HCC1\t1.000\nCNA_HCC2\t0.2\nCNA_HCC3\t0.03\nCNA_HCC4\t0.004\n"
    "CNA_PAIR_HCC3\t0.1\nCNA_D2\t0.010\nCND_DISABLED_HCC3\t0.7\nCND_HCC3\t0.3\n"
    "CND_M45_54\t0.2\n";
static const char *const good_dx = "AAA1\t1\nAAA2\t2\nAAA3\t3\nAAA4\t4\nAAA5\t500\n";
static const char *const good_edits = "AAA3\t2\t0\t999\t2\nAAA2\t*\t0\t17\tinvalid\n";

static void
write_model(void)
{
    char path[512];
    snprintf(root, sizeof root, "/tmp/rcm-risk-test-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof path, "%s/cms-hcc", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/cms-hcc/M", root);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file("models.tsv", "%s", good_models);
    write_file("M/model.txt", "%s", good_model_txt);
    write_file("M/labels.tsv", "%s", good_labels);
    write_file("M/hierarchy.tsv", "%s", good_hier);
    write_file("M/coefficients.tsv", "%s", good_coef);
    write_file("M/dx.tsv", "%s", good_dx);
    write_file("M/edits.tsv", "%s", good_edits);
}

static void
remove_model(void)
{
    static const char *const files[] = {"models.tsv",    "M/model.txt", "M/labels.tsv",
                                        "M/hierarchy.tsv", "M/coefficients.tsv", "M/dx.tsv",
                                        "M/edits.tsv"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/cms-hcc/%s", root, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/cms-hcc/M", root);
    rmdir(path);
    snprintf(path, sizeof path, "%s/cms-hcc", root);
    rmdir(path);
    rmdir(root);
}

static struct rcm_risk_score
synth_score(const struct rcm_risk_model *m, const struct rcm_risk_member *mem,
            const char *const *codes)
{
    return score_codes(m, mem, codes);
}

static void
synthetic_model_is_data(void **state)
{
    (void)state;
    write_model();
    struct rcm_risk_tables *t;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_tables_load(root, &t, &diag), RCM_OK);
    const struct rcm_risk_model *m = rcm_risk_model_get(t, RCM_RISK_V28, 2030);
    assert_non_null(m);
    assert_null(rcm_risk_model_get(t, RCM_RISK_V28, 2026));
    assert_string_equal(rcm_risk_hcc_label(m, 3), "Three");
    struct rcm_risk_member mem = member_age(2030, 72, 1, 0, RCM_RISK_CNA);
    /* Hierarchy 1 over 2; groups and interaction; count D2. */
    struct rcm_risk_score s = synth_score(m, &mem, CODES("AAA1", "AAA2", "AAA3"));
    assert_true(rcm_risk_bit(s.hcc, 1));
    assert_false(rcm_risk_bit(s.hcc, 2));
    assert_true(rcm_risk_bit(s.hcc, 3));
    assert_int_equal(s.raw_milli, 400 + 1000 + 30 + 100 + 10);
    /* The require rule: 4 needs 1 or 2. */
    s = synth_score(m, &mem, CODES("AAA4"));
    assert_int_equal(s.n_hcc, 0);
    s = synth_score(m, &mem, CODES("AAA4", "AAA2"));
    assert_true(rcm_risk_bit(s.hcc, 4));
    /* CC 500 is not in labels.tsv: ignored. */
    s = synth_score(m, &mem, CODES("AAA5"));
    assert_int_equal(s.n_hcc, 0);
    assert_int_equal(s.raw_milli, 400);
    /* Edits: AAA3 for a woman → CC2; AAA2 under 18 invalid. */
    s = synth_score(m, &mem, CODES("AAA3"));
    assert_true(rcm_risk_bit(s.cc, 3));
    struct rcm_risk_member woman = member_age(2030, 72, 2, 0, RCM_RISK_CNA);
    s = synth_score(m, &woman, CODES("AAA3"));
    assert_true(rcm_risk_bit(s.cc, 2));
    assert_false(rcm_risk_bit(s.cc, 3));
    struct rcm_risk_member kid = member_age(2030, 10, 1, 1, RCM_RISK_CND);
    s = synth_score(m, &kid, CODES("AAA2", "AAA3"));
    assert_int_equal(s.n_hcc, 1);
    assert_int_equal(s.raw_milli, 0 + 300 + 700);  /* no M0_34 cell, HCC3, DISABLED_HCC3 */
    /* Payment factor from models.tsv. */
    int32_t norm;
    assert_int_equal(rcm_risk_payment_milli(m, 1250, &norm), 941);
    assert_int_equal(norm, 1000);
    rcm_risk_tables_free(t);
    remove_model();
}

struct bad_case {
    const char *file;
    const char *content;
    enum rcm_err err;
    const char *needle;     /* expected in the message */
};

static void
malformed_tables_fail(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"models.tsv", "V99\t2030\tM\tdx.tsv\tedits.tsv\t1\t0.059\t1\n", RCM_E_PARSE, "models.tsv:1"},
        {"models.tsv", "V28\t2030\tM\tdx.tsv\n", RCM_E_PARSE, "models.tsv:1"},
        {"models.tsv", "V28\t2030\t../M\tdx.tsv\tedits.tsv\t1\t0.059\t1\n", RCM_E_PARSE, "models.tsv"},
        {"models.tsv", "V28\t2030\tM\tdx.tsv\tedits.tsv\t1\t0.059\t1\n"
                       "V28\t2030\tM\tdx.tsv\tedits.tsv\t1\t0.059\t1\n", RCM_E_PARSE, "twice"},
        {"models.tsv", "# nothing\n", RCM_E_PARSE, "no models"},
        {"models.tsv", "V28\t2030\tM\tmissing.tsv\tedits.tsv\t1\t0.059\t1\n", RCM_E_IO, "missing.tsv"},
        {"M/coefficients.tsv", "CNA_HCC1\t1.0001\n", RCM_E_PARSE, "coefficients.tsv:1"},
        {"M/coefficients.tsv", "CNA_HCC1\t0.1\nCNA_NOSUCH\t0.1\n", RCM_E_PARSE, "unknown variable"},
        {"M/coefficients.tsv", "XYZ_HCC1\t0.1\n", RCM_E_PARSE, "unknown variable"},
        {"M/coefficients.tsv", "CNA_HCC9\t0.1\n", RCM_E_PARSE, "unknown variable"},
        {"M/model.txt", "labels labels.tsv\nhierarchy hierarchy.tsv\ncoefficients coefficients.tsv\n"
                        "frobnicate 1\n", RCM_E_PARSE, "unknown directive"},
        {"M/model.txt", "labels labels.tsv\nhierarchy hierarchy.tsv\ncoefficients coefficients.tsv\n"
                        "interaction X HCC1 NOPE\n", RCM_E_PARSE, "unknown term"},
        {"M/model.txt", "labels labels.tsv\nhierarchy hierarchy.tsv\n", RCM_E_PARSE, "required"},
        {"M/labels.tsv", "1\tOne\n1\tAgain\n", RCM_E_PARSE, "listed twice"},
        {"M/hierarchy.tsv", "1\t2,x\n", RCM_E_PARSE, "hierarchy.tsv:1"},
        {"M/dx.tsv", "AAA1\t1\nA$A2\t2\n", RCM_E_PARSE, "dx.tsv:2"},
        {"M/dx.tsv", "AAA1\t1\nAAA1\t2\nAAA1\t3\nAAA1\t4\n", RCM_E_PARSE, "more than 3"},
        {"M/edits.tsv", "AAA1\tX\t0\t1\tinvalid\n", RCM_E_PARSE, "edits.tsv:1"},
        {"M/edits.tsv", "AAA1\t*\t0\t1\t9\n", RCM_E_PARSE, "not a payment HCC"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_model();
        write_file(cases[i].file, "%s", cases[i].content);
        struct rcm_risk_tables *t = NULL;
        struct rcm_diag diag = RCM_DIAG_INIT;
        enum rcm_err err = rcm_risk_tables_load(root, &t, &diag);
        if (err != cases[i].err || !strstr(diag.msg, cases[i].needle))
            fail_msg("case %zu: got %d '%s'", i, err, diag.msg);
        assert_null(t);
        remove_model();
    }
    /* A directory without tables. */
    struct rcm_risk_tables *t = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_tables_load("/nonexistent-rcm", &t, &diag), RCM_E_IO);
    assert_non_null(strstr(diag.msg, "models.tsv"));
}

/* Allocation failures during load are reported, never crash or leak. */
static void
load_survives_allocation_failures(void **state)
{
    (void)state;
    write_model();
    struct rcm_risk_tables *t = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    rcm_alloc_fail_after(0, 0);
    assert_int_equal(rcm_risk_tables_load(root, &t, &diag), RCM_OK);
    rcm_risk_tables_free(t);
    uint64_t allocs = rcm_alloc_fail_after(0, 0);
    (void)allocs;
    for (uint64_t k = 1; k < 200; k++) {
        rcm_alloc_fail_after(k, 1);
        t = NULL;
        enum rcm_err err = rcm_risk_tables_load(root, &t, &diag);
        rcm_alloc_fail_after(0, 0);
        if (err == RCM_OK) {
            rcm_risk_tables_free(t);
            break;
        }
        assert_int_equal(err, RCM_E_NOMEM);
        assert_null(t);
    }
    remove_model();
}

/* The shipped data: every payment year 2024-2026 for both models; load time. */
static void
shipped_years(void **state)
{
    (void)state;
    int64_t t0 = rcm_time_mono_ms();
    struct rcm_risk_tables *t;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_tables_load(RCM_TEST_SOURCE_DIR "/data", &t, &diag), RCM_OK);
    int64_t ms = rcm_time_mono_ms() - t0;
    fprintf(stderr, "tables loaded in %lld ms\n", (long long)ms);
    for (int y = 2024; y <= 2026; y++) {
        assert_non_null(rcm_risk_model_get(t, RCM_RISK_V24, y));
        assert_non_null(rcm_risk_model_get(t, RCM_RISK_V28, y));
        assert_int_equal(rcm_risk_model_blend_pct(rcm_risk_model_get(t, RCM_RISK_V24, y)) +
                             rcm_risk_model_blend_pct(rcm_risk_model_get(t, RCM_RISK_V28, y)),
                         100);
    }
    assert_null(rcm_risk_model_get(t, RCM_RISK_V24, 2023));
    rcm_risk_tables_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(synthetic_model_is_data),
        cmocka_unit_test(malformed_tables_fail),
        cmocka_unit_test(load_survives_allocation_failures),
        cmocka_unit_test(shipped_years),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
