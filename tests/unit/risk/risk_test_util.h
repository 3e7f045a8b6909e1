/*
 * risk_test_util.h — helpers shared by the risk unit tests: the project's
 * tables loaded once, coefficient look-ups read straight from the data
 * files (so expectations come from CMS's tables, not from the engine), and
 * member / code builders.
 */
#ifndef RISK_TEST_UTIL_H
#define RISK_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/risk.h"
#include "rcm_test.h"

static struct rcm_risk_tables *test_tables;

static inline struct rcm_risk_tables *
tables(void)
{
    if (!test_tables) {
        struct rcm_diag diag = RCM_DIAG_INIT;
        enum rcm_err err = rcm_risk_tables_load(RCM_TEST_SOURCE_DIR "/data", &test_tables, &diag);
        if (err)
            fprintf(stderr, "load: %s\n", diag.msg);
        assert_int_equal(err, RCM_OK);
    }
    return test_tables;
}

static inline const struct rcm_risk_model *
model(enum rcm_risk_model_id id, int year)
{
    const struct rcm_risk_model *m = rcm_risk_model_get(tables(), id, year);
    assert_non_null(m);
    return m;
}

/* Relative factor `name` (e.g. "CNA_HCC18") in thousandths, read from
 * data/cms-hcc/<V24|V28>/coefficients.tsv; fails the test when absent. */
static inline int32_t
coef(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/cms-hcc/%s/coefficients.tsv", RCM_TEST_SOURCE_DIR, dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    size_t n = strlen(name);
    int32_t v = INT32_MIN;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, n) == 0 && line[n] == '\t') {
            double d = strtod(line + n + 1, NULL);
            v = (int32_t)(d * 1000.0 + (d >= 0 ? 0.5 : -0.5));
            break;
        }
    }
    fclose(f);
    if (v == INT32_MIN)
        fprintf(stderr, "coefficient %s not found\n", name);
    assert_int_not_equal(v, INT32_MIN);
    return v;
}

static inline struct rcm_risk_member
member_dob(int y, int m, int d, int sex, int orec, enum rcm_risk_segment seg)
{
    struct rcm_risk_member mem;
    memset(&mem, 0, sizeof mem);
    mem.dob_days = rcm_date_from_ymd(y, m, d);
    mem.age_years = -1;
    mem.sex = sex;
    mem.orec = orec;
    mem.segment = seg;
    return mem;
}

/* Member whose AGEF as of Feb 1 `py` is `age` (born Jul 1). */
static inline struct rcm_risk_member
member_age(int py, int age, int sex, int orec, enum rcm_risk_segment seg)
{
    return member_dob(py - age - 1, 7, 1, sex, orec, seg);
}

/* Pack a NULL-terminated list of codes; returns how many. */
static inline size_t
pack(uint64_t *out, const char *const *codes)
{
    size_t n = 0;
    for (; codes[n]; n++)
        assert_true(rcm_risk_dx_pack(rcm_str_c(codes[n]), &out[n]));
    return n;
}

static inline struct rcm_risk_score
score_codes(const struct rcm_risk_model *m, const struct rcm_risk_member *mem,
            const char *const *codes)
{
    uint64_t dx[64];
    size_t n = pack(dx, codes);
    struct rcm_risk_score s;
    assert_int_equal(rcm_risk_score(m, mem, dx, n, &s), RCM_OK);
    return s;
}

#define CODES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_CODES ((const char *const[]){NULL})

#endif
