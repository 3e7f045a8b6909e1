/*
 * test_scrub_payer_rules.c — one payer rule from text (a tenant's own rule,
 * rcm_payer_rules_parse): checked as strictly as a file, matching every
 * claim it is offered when it names no payer, and named in the findings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"
#include "rcm_test.h"

#define GOLDEN RCM_TEST_SOURCE_DIR "/tests/golden/scrub"

static enum rcm_err
parse(const char *text, struct rcm_payer_rules **out, struct rcm_diag *diag)
{
    return rcm_payer_rules_parse("tenant:00882", text, strlen(text), out, diag);
}

static void
good_text_applies_to_the_claim(void **state)
{
    (void)state;
    /* no payer_ids / filing_indicators / default: matches the claim offered;
     * the text need not end in a newline (it is copied and terminated) */
    static const char text[] = "# ours\n[required]\nfields = payer.insurance_type\n"
                               "[payer]\ntimely_filing_days = 90";
    struct rcm_payer_rules *rules = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(parse(text, &rules, &diag), RCM_OK);
    assert_int_equal(rcm_payer_rules_count(rules), 1);

    json_error_t je;
    json_t *base = json_load_file(GOLDEN "/base.json", 0, &je);
    assert_non_null(base);
    json_object_del(json_object_get(base, "payer"), "insurance_type");
    char *claim_text = json_dumps(base, JSON_COMPACT);
    json_decref(base);
    struct rcm_arena arena;
    rcm_arena_init(&arena, 1u << 20, 0);
    struct rcm_claim *claims = NULL;
    size_t n = 0;
    assert_int_equal(rcm_claim_json_read(claim_text, strlen(claim_text), &arena, &claims, &n,
                                         &diag), RCM_OK);
    free(claim_text);
    struct rcm_scrub_ref ref = {NULL, NULL, rules};
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 64);
    assert_int_equal(rcm_scrub_claim(&ref, &claims[0], rcm_date_from_ymd(2026, 4, 1), NULL, &res),
                     RCM_OK);
    assert_string_equal(res.payer_rule, "tenant:00882");
    bool hit = false;
    for (size_t i = 0; i < res.n; i++)
        hit |= res.findings[i].edit == RCM_EDIT_PAYER_REQUIRED_FIELD &&
               strcmp(res.findings[i].field, "payer.insurance_type") == 0;
    assert_true(hit);
    rcm_scrub_result_release(&res);
    rcm_arena_release(&arena);
    rcm_payer_rules_free(rules);
}

static void
unknown_key_names_the_line(void **state)
{
    (void)state;
    struct rcm_payer_rules *rules = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(parse("[payer]\nname = ours\n\n[edits]\ndisabel = dx-valid\n", &rules,
                           &diag), RCM_E_PARSE);
    assert_null(rules);
    assert_int_equal(diag.line, 5);
    assert_non_null(strstr(diag.msg, "tenant:00882 line 5"));
    assert_non_null(strstr(diag.msg, "disabel"));

    diag = (struct rcm_diag)RCM_DIAG_INIT;
    assert_int_equal(parse("[edits]\ndisable = no-such-edit\n", &rules, &diag), RCM_E_PARSE);
    assert_int_equal(diag.line, 2);
    diag = (struct rcm_diag)RCM_DIAG_INIT;
    assert_int_equal(parse("[required]\nfields = payer.nope\n", &rules, &diag), RCM_E_PARSE);
    assert_int_equal(diag.line, 2);
    diag = (struct rcm_diag)RCM_DIAG_INIT;
    assert_int_equal(parse("[hold big]\nfield = line.charge\n", &rules, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "needs field and op"));
    diag = (struct rcm_diag)RCM_DIAG_INIT;
    assert_int_equal(rcm_payer_rules_parse("t", "a\0b", 3, &rules, &diag), RCM_E_PARSE);
}

RUN_TESTS(cmocka_unit_test(good_text_applies_to_the_claim),
          cmocka_unit_test(unknown_key_names_the_line))
