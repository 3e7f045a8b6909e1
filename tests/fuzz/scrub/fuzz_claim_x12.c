/*
 * fuzz_claim_x12.c — libFuzzer target: the 837 → claim mapper behind the X12
 * validator, scrubbing every claim it hands out (also those of invalid
 * files, as `openrcm scrub` does), then the strict whole-buffer reader.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"
#include "rcm/x12.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rcm_codes *codes;
static bool tried;

struct run {
    struct rcm_scrub_result res;
    struct rcm_scrub_history *hist;
    struct rcm_claim_x12 *mapper;
};

static enum rcm_err
on_claim(void *ctx, const struct rcm_claim *claim, const struct rcm_claim_x12_info *info)
{
    (void)info;
    struct run *r = ctx;
    struct rcm_scrub_ref ref = {codes, NULL, NULL};
    rcm_scrub_result_reset(&r->res);
    enum rcm_err err = rcm_scrub_claim(&ref, claim, rcm_date_from_ymd(2026, 4, 1), r->hist,
                                       &r->res);
    if (!err)
        json_decref(rcm_scrub_result_json(&r->res));
    return err;
}

static void
on_segment(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *loops)
{
    struct run *r = ctx;
    rcm_claim_x12_segment(r->mapper, seg, loops);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tried) {
        tried = true;
        struct rcm_diag d = RCM_DIAG_INIT;
        if (rcm_codes_open(RCM_FUZZ_INDEX, &codes, &d) != RCM_OK)
            codes = NULL;
    }
    struct run r;
    rcm_scrub_result_init(&r.res, 64);
    r.hist = NULL;
    r.mapper = NULL;
    if (rcm_scrub_history_new(64, &r.hist) == RCM_OK &&
        rcm_claim_x12_new(on_claim, &r, &r.mapper) == RCM_OK) {
        struct rcm_x12_validate_opts opts = {0};
        opts.on_segment = on_segment;
        opts.ctx = &r;
        if (rcm_x12_validate_buffer((const char *)data, size, &opts, NULL) == RCM_OK &&
            rcm_claim_x12_finish(r.mapper) != RCM_OK)
            r.res.n = 0;    /* a scrub failed (out of memory): nothing to check */
    }
    rcm_claim_x12_free(r.mapper);
    rcm_scrub_history_free(r.hist);
    rcm_scrub_result_release(&r.res);

    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 26, 0);
    struct rcm_claim *claims = NULL;
    size_t n = 0;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_claim_x12_read((const char *)data, size, &arena, &claims, &n, &diag) == RCM_OK &&
        n > 0 && !claims)
        abort();    /* claims are returned whenever the read succeeds */
    rcm_arena_release(&arena);
    return 0;
}
