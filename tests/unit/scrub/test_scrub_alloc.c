/*
 * test_scrub_alloc.c — allocation-failure torture (SQLite style) for the
 * claim JSON reader, payer-rule and NCCI loaders, index build/open and
 * rcm_scrub_claim: fail the 1st, 2nd, … allocation in turn; each run must
 * fail cleanly (an error code, no crash; ASan checks for leaks) until one
 * succeeds with every allocation granted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"

#define GOLDEN RCM_TEST_SOURCE_DIR "/tests/golden/scrub"

static char *base_json;
static size_t base_len;

typedef enum rcm_err (*op_fn)(void);

/* Run op with the n-th allocation failing, n = 1, 2, … until it succeeds. */
static void
torture(op_fn op, const char *what)
{
    for (uint64_t n = 1; n < 100000; n++) {
        rcm_alloc_fail_after(n, 1);
        enum rcm_err err = op();
        uint64_t made = rcm_alloc_fail_after(0, 0);
        if (err == RCM_OK) {
            if (made < n) {
                /* succeeded without hitting the failure: every earlier
                 * allocation point was failed once */
                printf("%s: %llu allocation points failed cleanly\n", what,
                       (unsigned long long)(n - 1));
                assert_true(n > 1);
                return;
            }
            fail_msg("%s: succeeded although allocation %llu failed", what,
                     (unsigned long long)n);
        }
        if (err != RCM_E_NOMEM && err != RCM_E_TOO_LARGE && err != RCM_E_IO &&
            err != RCM_E_PARSE)
            fail_msg("%s: allocation %llu failed with %s", what, (unsigned long long)n,
                     rcm_err_name(err));
    }
    fail_msg("%s: never succeeded", what);
}

static enum rcm_err
op_claim_json(void)
{
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 24, 0);
    struct rcm_claim *claims;
    size_t n;
    enum rcm_err err = rcm_claim_json_read(base_json, base_len, &arena, &claims, &n, NULL);
    rcm_arena_release(&arena);
    return err;
}

static enum rcm_err
op_rules(void)
{
    struct rcm_payer_rules *r = NULL;
    enum rcm_err err = rcm_payer_rules_load(GOLDEN "/payer-rules", &r, NULL);
    rcm_payer_rules_free(r);
    return err;
}

static enum rcm_err
op_ncci(void)
{
    struct rcm_ncci *nc = NULL;
    struct rcm_ncci_stats st;
    enum rcm_err err = rcm_codes_ncci_load(GOLDEN "/ncci", 0, &nc, &st, NULL);
    rcm_codes_ncci_free(nc);
    return err;
}

static enum rcm_err
op_open(void)
{
    struct rcm_codes *c = NULL;
    enum rcm_err err = rcm_codes_open(RCM_TEST_BINARY_DIR "/codes/openrcm-codes.idx", &c, NULL);
    rcm_codes_close(c);
    return err;
}

static struct rcm_claim *bad_claim;

static enum rcm_err
op_scrub_claim(void)
{
    struct rcm_scrub_ref ref = {NULL, NULL, NULL};
    struct rcm_scrub_result res;
    struct rcm_scrub_history *hist = NULL;
    rcm_scrub_result_init(&res, 256);
    enum rcm_err err = rcm_scrub_history_new(4, &hist);
    if (!err)
        err = rcm_scrub_claim(&ref, bad_claim, rcm_date_from_ymd(2026, 4, 1), hist, &res);
    if (!err && res.n < 4)
        err = RCM_E_INTERNAL;
    rcm_scrub_history_free(hist);
    rcm_scrub_result_release(&res);
    return err;
}

static void
test_alloc_failures(void **state)
{
    (void)state;
    FILE *f = fopen(GOLDEN "/base.json", "rb");
    assert_non_null(f);
    base_json = calloc(1, 1 << 16);
    base_len = fread(base_json, 1, (1 << 16) - 1, f);
    fclose(f);
    torture(op_claim_json, "claim JSON");
    torture(op_rules, "payer rules");
    torture(op_ncci, "NCCI");
    torture(op_open, "index open");

    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 24, 0);
    size_t n;
    assert_int_equal(rcm_claim_json_read(base_json, base_len, &arena, &bad_claim, &n, NULL),
                     RCM_OK);
    bad_claim[0].billing.npi = "1";
    bad_claim[0].total_charge_cents = 1;
    bad_claim[0].frequency = '9';
    bad_claim[0].relationship = "99";
    torture(op_scrub_claim, "scrub");
    rcm_arena_release(&arena);
    free(base_json);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
