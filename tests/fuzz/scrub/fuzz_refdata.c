/*
 * fuzz_refdata.c — libFuzzer target for the reference-data parsers: the
 * first byte picks NCCI table, payer rule file or code-set index; the rest
 * is written to a file in a private temporary directory and loaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcm/scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/rcm-fuzz-ref-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    if (size < 1)
        return 0;
    int which = data[0] % 3;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir,
             which == 0 ? "table.txt" : which == 1 ? "rule.ini" : "codes.idx");
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (which == 0) {
        struct rcm_ncci *nc = NULL;
        struct rcm_ncci_stats st;
        if (rcm_codes_ncci_load(dir, 1u << 24, &nc, &st, &diag) == RCM_OK) {
            int v, m;
            (void)rcm_codes_ncci_mue(nc, "99214", 20000, &v, &m);
            (void)rcm_codes_ncci_ptp(nc, "99214", "36415", 20000, &v);
            (void)rcm_codes_ncci_aoc_primary(nc, "11045", "11042", 20000);
            rcm_codes_ncci_free(nc);
        }
    } else if (which == 1) {
        struct rcm_payer_rules *r = NULL;
        if (rcm_payer_rules_load(dir, &r, &diag) == RCM_OK)
            rcm_payer_rules_free(r);
    } else {
        struct rcm_codes *c = NULL;
        if (rcm_codes_open(path, &c, &diag) == RCM_OK) {
            struct rcm_code_info in;
            struct rcm_code_hit hits[5];
            size_t n;
            for (unsigned s = 0; s < RCM_CODESET_COUNT; s++)
                (void)rcm_codes_lookup(c, (enum rcm_code_set)s, "E119", 4, 20500, &in);
            if (rcm_codes_search(c, RCM_CODESET_ICD10CM, "e11 diabetes", 20500, hits, 5, &n) == RCM_OK &&
                n > 5)
                abort();
            rcm_codes_close(c);
        }
    }
    unlink(path);
    return 0;
}
