/*
 * test_risk_golden.c — the 200-member reference set (tests/golden/risk)
 * scored with V24 and V28 for payment year 2026 must match
 * expected_spec_2026map_200.csv exactly: raw score to three decimals and
 * the HCCs after hierarchy, for every member and both models.
 */
#include "risk_test_util.h"

#define GOLDEN RCM_TEST_SOURCE_DIR "/tests/golden/risk/"

struct expected {
    char line[512];
    bool seen;
};

static struct expected *
load_expected(size_t *n_out)
{
    FILE *f = fopen(GOLDEN "expected_spec_2026map_200.csv", "r");
    assert_non_null(f);
    struct expected *e = calloc(1000, sizeof *e);
    assert_non_null(e);
    size_t n = 0;
    char line[512];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) && n < 1000) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            snprintf(e[n++].line, sizeof e->line, "%s", line);
    }
    fclose(f);
    *n_out = n;
    return e;
}

static void
problem(void *ctx, const char *file, long line, const char *id, const char *msg)
{
    (void)ctx;
    fail_msg("unexpected input problem %s:%ld %s: %s", file, line, id ? id : "-", msg);
}

static void
format_row(char *out, size_t cap, const char *id, enum rcm_risk_model_id mid,
           const struct rcm_risk_score *s)
{
    int n = snprintf(out, cap, "%s,%s,%d.%03d,", id, rcm_risk_model_name(mid),
                     s->raw_milli / 1000, s->raw_milli % 1000);
    bool first = true;
    for (int v = 1; v < RCM_RISK_CC_MAX; v++)
        if (rcm_risk_bit(s->hcc, v)) {
            n += snprintf(out + n, cap - (size_t)n, "%sHCC%d", first ? "" : ";", v);
            first = false;
        }
}

static void
golden_both_models(void **state)
{
    (void)state;
    size_t n_exp;
    struct expected *exp = load_expected(&n_exp);
    assert_int_equal(n_exp, 400);
    FILE *mf = fopen(GOLDEN "members_200.csv", "r");
    assert_non_null(mf);
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(mf, NULL, 2026, problem, NULL, &r, &diag), RCM_OK);
    const struct rcm_risk_model *models[2] = {model(RCM_RISK_V24, 2026),
                                              model(RCM_RISK_V28, 2026)};
    size_t compared = 0, mismatches = 0;
    for (;;) {
        struct rcm_risk_record rec;
        bool eof;
        assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
        if (eof)
            break;
        for (int k = 0; k < 2; k++) {
            struct rcm_risk_score s;
            assert_int_equal(rcm_risk_score(models[k], &rec.member, rec.dx, rec.n_dx, &s), RCM_OK);
            char row[512];
            format_row(row, sizeof row, rec.member_id, (enum rcm_risk_model_id)k, &s);
            bool found = false;
            for (size_t i = 0; i < n_exp; i++)
                if (!exp[i].seen && strcmp(exp[i].line, row) == 0) {
                    exp[i].seen = found = true;
                    break;
                }
            if (!found) {
                fprintf(stderr, "mismatch: %s\n", row);
                mismatches++;
            }
            compared++;
        }
    }
    rcm_risk_reader_free(r);
    fclose(mf);
    free(exp);
    assert_int_equal(compared, 400);
    assert_int_equal(mismatches, 0);
}

/* Explanation terms add up to the raw score for every reference member. */
static void
golden_terms_sum_to_raw(void **state)
{
    (void)state;
    FILE *mf = fopen(GOLDEN "members_200.csv", "r");
    assert_non_null(mf);
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(mf, NULL, 2026, problem, NULL, &r, &diag), RCM_OK);
    struct rcm_risk_explain *x = malloc(sizeof *x);
    assert_non_null(x);
    int members = 0;
    for (;;) {
        struct rcm_risk_record rec;
        bool eof;
        assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
        if (eof)
            break;
        for (int k = 0; k < 2; k++) {
            assert_int_equal(rcm_risk_explain(model((enum rcm_risk_model_id)k, 2026), &rec.member,
                                              rec.dx, rec.n_dx, x),
                             RCM_OK);
            int32_t sum = 0;
            for (int i = 0; i < x->n_terms; i++)
                sum += x->terms[i].coef_milli;
            assert_int_equal(sum, x->score.raw_milli);
            int kept = 0;
            for (int i = 0; i < x->n_ccs; i++)
                kept += x->ccs[i].fate == RCM_RISK_CC_KEPT;
            assert_int_equal(kept, x->score.n_hcc);
        }
        members++;
    }
    assert_int_equal(members, 200);
    free(x);
    rcm_risk_reader_free(r);
    fclose(mf);
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
        cmocka_unit_test(golden_both_models),
        cmocka_unit_test(golden_terms_sum_to_raw),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
