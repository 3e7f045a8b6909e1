/*
 * fuzz_claim_json.c — libFuzzer target: claim JSON reader, then every edit
 * over whatever decodes (with the code-set index when it can be opened).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rcm_codes *codes;
static bool tried;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tried) {
        tried = true;
        struct rcm_diag d = RCM_DIAG_INIT;
        if (rcm_codes_open(RCM_FUZZ_INDEX, &codes, &d) != RCM_OK)
            codes = NULL;
    }
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 26, 0);
    struct rcm_claim *claims = NULL;
    size_t n = 0;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_claim_json_read((const char *)data, size, &arena, &claims, &n, &diag) == RCM_OK) {
        struct rcm_scrub_ref ref = {codes, NULL, NULL};
        struct rcm_scrub_result res;
        struct rcm_scrub_history *hist = NULL;
        rcm_scrub_result_init(&res, 64);
        if (rcm_scrub_history_new(64, &hist) == RCM_OK) {
            for (size_t i = 0; i < n; i++) {
                rcm_scrub_result_reset(&res);
                if (rcm_scrub_claim(&ref, &claims[i], rcm_date_from_ymd(2026, 4, 1), hist,
                                    &res) != RCM_OK)
                    break;
                json_decref(rcm_scrub_result_json(&res));
            }
        }
        rcm_scrub_history_free(hist);
        rcm_scrub_result_release(&res);
    }
    rcm_arena_release(&arena);
    return 0;
}
