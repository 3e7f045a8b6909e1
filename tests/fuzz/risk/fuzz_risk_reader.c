/*
 * fuzz_risk_reader.c — libFuzzer target for the member/diagnosis CSV reader
 * and the scoring it feeds. Input: member file bytes, optionally a NUL and
 * diagnosis file bytes. Every record read is scored, explained and
 * gap-flagged with V28 and V24 PY2026 (tables from RCM_SOURCE_DATA_DIR).
 * Corpus: tests/fuzz/risk/corpus/risk_reader.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rcm_risk_tables *tables;

static FILE *
open_mem(const uint8_t *p, size_t n)
{
    /* fmemopen rejects size 0: use a one-byte buffer with nothing readable. */
    static char empty[1];
    if (n == 0)
        return fmemopen(empty, 1, "r");
    return fmemopen((void *)(uintptr_t)p, n, "r");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tables) {
        struct rcm_diag diag = RCM_DIAG_INIT;
        if (rcm_risk_tables_load(RCM_SOURCE_DATA_DIR, &tables, &diag) != RCM_OK)
            abort();
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : size;
    FILE *mf = open_mem(data, mlen);
    FILE *df = nul ? open_mem(nul + 1, size - mlen - 1) : NULL;
    if (!mf || (nul && !df)) {
        if (mf)
            fclose(mf);
        if (df)
            fclose(df);
        return 0;
    }
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    static struct rcm_risk_explain x;
    if (rcm_risk_reader_open(mf, df, 2026, NULL, NULL, &r, &diag) == RCM_OK) {
        for (int guard = 0; guard < 100000; guard++) {
            struct rcm_risk_record rec;
            bool eof;
            if (rcm_risk_reader_next(r, &rec, &eof, &diag) != RCM_OK || eof)
                break;
            for (int k = 0; k < RCM_RISK_MODEL_COUNT; k++) {
                const struct rcm_risk_model *m =
                    rcm_risk_model_get(tables, (enum rcm_risk_model_id)k, 2026);
                struct rcm_risk_gap gaps[16];
                size_t n;
                if (rcm_risk_explain(m, &rec.member, rec.dx, rec.n_dx, &x) == RCM_OK) {
                    int32_t sum = 0;
                    for (int i = 0; i < x.n_terms; i++)
                        sum += x.terms[i].coef_milli;
                    if (sum != x.score.raw_milli)
                        abort();
                }
                if (rcm_risk_gaps(m, &rec.member, rec.dx, rec.n_dx, rec.prior_dx, rec.n_prior,
                                  rec.suspect_dx, rec.n_suspect, gaps, 16, &n) == RCM_OK &&
                    n > 16)
                    abort();
            }
        }
        rcm_risk_reader_free(r);
    }
    fclose(mf);
    if (df)
        fclose(df);
    return 0;
}
