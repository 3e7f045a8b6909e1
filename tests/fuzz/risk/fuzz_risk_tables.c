/*
 * fuzz_risk_tables.c — libFuzzer target for the CMS-HCC table loader. A
 * small valid model is written to a temporary directory once; each input
 * replaces one of its files (chosen by the first byte) and the directory is
 * loaded (and, when it loads, a member is scored). Corpus:
 * tests/fuzz/risk/corpus/risk_tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/date.h"
#include "rcm/risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];
static const char *const names[] = {"models.tsv",      "M/model.txt",       "M/labels.tsv",
                                    "M/hierarchy.tsv", "M/coefficients.tsv", "M/dx.tsv",
                                    "M/edits.tsv"};
static const char *const good[] = {
    "V28\t2030\tM\tdx.tsv\tedits.tsv\t1.250\t0.059\t1.00\n",
    ("labels labels.tsv\nhierarchy hierarchy.tsv\ncoefficients coefficients.tsv\n"
     "require 4 1 2\ngroup PAIR 1 2\ninteraction PAIR_HCC3 PAIR HCC3\n"
     "interaction DISABLED_HCC3 DISABL HCC3\n"),
    "1\tOne\n2\tTwo\n3\tThree\n4\tFour\n",
    "1\t2\n",
    ("CNA_F70_74\t0.5\nCNA_HCC1\t1.000\nCNA_PAIR_HCC3\t0.1\nCNA_D2\t0.010\n"
     "NE_MCAID_ORIGDIS_NEF67\t1.2\nINS_LTIMCAID\t0.1\n"),
    "AAA1\t1\nAAA2\t2\nAAA3\t3\nAAA4\t4\n",
    "AAA3\t2\t0\t999\t2\nAAA2\t*\t0\t17\tinvalid\n",
};

static void
put(const char *name, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/cms-hcc/%s", root, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static void
cleanup(void)
{
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/cms-hcc/%s", root, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/cms-hcc/M", root);
    rmdir(path);
    snprintf(path, sizeof path, "%s/cms-hcc", root);
    rmdir(path);
    rmdir(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        char dir[128];
        snprintf(root, sizeof root, "/tmp/rcm-fuzz-risk-XXXXXX");
        if (!mkdtemp(root))
            abort();
        snprintf(dir, sizeof dir, "%s/cms-hcc", root);
        mkdir(dir, 0700);
        snprintf(dir, sizeof dir, "%s/cms-hcc/M", root);
        mkdir(dir, 0700);
        atexit(cleanup);
    }
    if (size == 0)
        return 0;
    size_t which = data[0] % (sizeof names / sizeof *names);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (i == which)
            put(names[i], data + 1, size - 1);
        else
            put(names[i], good[i], strlen(good[i]));
    struct rcm_risk_tables *t = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_risk_tables_load(root, &t, &diag) == RCM_OK) {
        const struct rcm_risk_model *m = rcm_risk_model_get(t, RCM_RISK_V28, 2030);
        if (m) {
            struct rcm_risk_member mem = {rcm_date_from_ymd(1950, 1, 1), -1, 2, 1, true,
                                          RCM_RISK_SEGMENT_AUTO, 2, false, false, false};
            uint64_t dx[4];
            size_t n = 0;
            static const char *const codes[] = {"AAA1", "AAA2", "AAA3", "AAA4"};
            for (int i = 0; i < 4; i++)
                if (rcm_risk_dx_pack(rcm_str_c(codes[i]), &dx[n]))
                    n++;
            struct rcm_risk_score s;
            if (rcm_risk_score(m, &mem, dx, n, &s) == RCM_OK && s.raw_milli == INT32_MIN)
                abort();
        }
        rcm_risk_tables_free(t);
    }
    return 0;
}
