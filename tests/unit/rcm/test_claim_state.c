/*
 * test_claim_state.c — the claim state machine: every legal move from each
 * of its sources, the same move from every other source refused, every
 * pair not in the table refused, reasons for user moves into voided /
 * closed / appealed, names both ways, A/R membership, and the generated
 * markdown and JSON tables.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rcm/cycle.h"
#include "rcm_test.h"

static const enum rcm_claim_source all_sources[] = {
    RCM_CLAIM_SRC_USER,      RCM_CLAIM_SRC_SCRUB,     RCM_CLAIM_SRC_BATCH,
    RCM_CLAIM_SRC_ACK_999,   RCM_CLAIM_SRC_ACK_277CA, RCM_CLAIM_SRC_REMIT_835,
    RCM_CLAIM_SRC_REVERSAL,
};
#define N_SRC (sizeof all_sources / sizeof all_sources[0])

static void
test_every_legal_move(void **state)
{
    (void)state;
    size_t n;
    const struct rcm_claim_move *m = rcm_claim_moves(&n);
    assert_true(n >= 30);
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < N_SRC; s++) {
            struct rcm_diag d = RCM_DIAG_INIT;
            enum rcm_err e = rcm_claim_move_check(m[i].from, m[i].to, all_sources[s], true, &d);
            if (m[i].sources & (unsigned)all_sources[s]) {
                if (e != RCM_OK)
                    fail_msg("%s -> %s on %s refused: %s", rcm_claim_state_name(m[i].from),
                             rcm_claim_state_name(m[i].to),
                             rcm_claim_source_name(all_sources[s]), d.msg);
            } else {
                assert_int_equal(e, RCM_E_CONFLICT);
                assert_non_null(strstr(d.msg, rcm_claim_state_name(m[i].from)));
                assert_non_null(strstr(d.msg, rcm_claim_source_name(all_sources[s])));
            }
        }
        assert_true(m[i].why && m[i].why[0]);
    }
}

static bool
in_table(enum rcm_claim_state a, enum rcm_claim_state b)
{
    size_t n;
    const struct rcm_claim_move *m = rcm_claim_moves(&n);
    for (size_t i = 0; i < n; i++)
        if (m[i].from == a && m[i].to == b)
            return true;
    return false;
}

static void
test_every_other_pair_refused(void **state)
{
    (void)state;
    int refused = 0;
    for (int a = 0; a < RCM_CLAIM_STATE_COUNT; a++)
        for (int b = 0; b < RCM_CLAIM_STATE_COUNT; b++) {
            if (in_table(a, b))
                continue;
            for (size_t s = 0; s < N_SRC; s++) {
                struct rcm_diag d = RCM_DIAG_INIT;
                assert_int_equal(rcm_claim_move_check(a, b, all_sources[s], true, &d),
                                 RCM_E_CONFLICT);
                assert_non_null(strstr(d.msg, "cannot move"));
            }
            refused++;
        }
    assert_true(refused > 80);
}

static void
test_named_cases(void **state)
{
    (void)state;
    struct rcm_diag d = RCM_DIAG_INIT;
    /* the happy path */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_DRAFT, RCM_CLAIM_READY, RCM_CLAIM_SRC_SCRUB, false, &d), RCM_OK);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_READY, RCM_CLAIM_SUBMITTED, RCM_CLAIM_SRC_BATCH, false, &d), RCM_OK);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_SUBMITTED, RCM_CLAIM_ACCEPTED, RCM_CLAIM_SRC_ACK_277CA, false, &d), RCM_OK);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_ACCEPTED, RCM_CLAIM_PAID, RCM_CLAIM_SRC_REMIT_835, false, &d), RCM_OK);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_PAID, RCM_CLAIM_CLOSED, RCM_CLAIM_SRC_USER, true, &d), RCM_OK);
    /* payers that skip the 277CA */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_SUBMITTED, RCM_CLAIM_DENIED, RCM_CLAIM_SRC_REMIT_835, false, &d), RCM_OK);
    /* a reversal takes a paid claim back to accepted */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_PAID, RCM_CLAIM_ACCEPTED, RCM_CLAIM_SRC_REVERSAL, false, &d), RCM_OK);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_PAID, RCM_CLAIM_ACCEPTED, RCM_CLAIM_SRC_REMIT_835, false, &d), RCM_E_CONFLICT);
    assert_non_null(strstr(d.msg, "only on reversal"));
    /* a user cannot mark a claim paid, nor skip the scrubber */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_ACCEPTED, RCM_CLAIM_PAID, RCM_CLAIM_SRC_USER, true, &d), RCM_E_CONFLICT);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_DRAFT, RCM_CLAIM_READY, RCM_CLAIM_SRC_USER, true, &d), RCM_E_CONFLICT);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_DRAFT, RCM_CLAIM_SUBMITTED, RCM_CLAIM_SRC_BATCH, false, &d), RCM_E_CONFLICT);
    assert_string_equal(d.msg, "a claim cannot move from draft to submitted");
    /* terminal states */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_VOIDED, RCM_CLAIM_DRAFT, RCM_CLAIM_SRC_USER, true, &d), RCM_E_CONFLICT);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_CORRECTED, RCM_CLAIM_PAID, RCM_CLAIM_SRC_REMIT_835, false, &d), RCM_E_CONFLICT);
    /* out of range */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_STATE_COUNT, RCM_CLAIM_DRAFT, RCM_CLAIM_SRC_USER, true, &d), RCM_E_INVAL);
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_DRAFT, RCM_CLAIM_READY, (enum rcm_claim_source)3, true, &d), RCM_E_INVAL);
}

static void
test_reasons(void **state)
{
    (void)state;
    size_t n;
    const struct rcm_claim_move *m = rcm_claim_moves(&n);
    int needing = 0;
    for (size_t i = 0; i < n; i++) {
        bool target = m[i].to == RCM_CLAIM_VOIDED || m[i].to == RCM_CLAIM_CLOSED ||
                      m[i].to == RCM_CLAIM_APPEALED;
        if (!(m[i].sources & RCM_CLAIM_SRC_USER))
            continue;
        /* every user move into voided/closed/appealed needs a reason, no other */
        assert_int_equal(m[i].reason_required, target);
        struct rcm_diag d = RCM_DIAG_INIT;
        enum rcm_err e = rcm_claim_move_check(m[i].from, m[i].to, RCM_CLAIM_SRC_USER, false, &d);
        if (target) {
            needing++;
            assert_int_equal(e, RCM_E_INVAL);
            assert_non_null(strstr(d.msg, "needs a reason"));
        } else {
            assert_int_equal(e, RCM_OK);
        }
    }
    assert_true(needing >= 8);
    /* a batch voiding a paid claim (frequency 8 sent) needs none */
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_PAID, RCM_CLAIM_VOIDED, RCM_CLAIM_SRC_BATCH, false, NULL), RCM_OK);
}

static void
test_names_and_open(void **state)
{
    (void)state;
    static const char *const names[] = {
        "draft", "ready", "submitted", "accepted", "rejected", "paid", "partially_paid",
        "denied", "appealed", "corrected", "voided", "closed",
    };
    assert_int_equal(RCM_CLAIM_STATE_COUNT, 12);
    for (int i = 0; i < RCM_CLAIM_STATE_COUNT; i++) {
        assert_string_equal(rcm_claim_state_name(i), names[i]);
        enum rcm_claim_state s;
        assert_int_equal(rcm_claim_state_from_name(names[i], &s, NULL), RCM_OK);
        assert_int_equal(s, i);
    }
    enum rcm_claim_state s;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_claim_state_from_name("Paid", &s, &d), RCM_E_INVAL);
    assert_int_equal(rcm_claim_state_from_name(NULL, &s, &d), RCM_E_INVAL);
    assert_string_equal(rcm_claim_state_name(99), "unknown");
    for (size_t i = 0; i < N_SRC; i++) {
        enum rcm_claim_source src;
        assert_int_equal(rcm_claim_source_from_name(rcm_claim_source_name(all_sources[i]), &src, NULL), RCM_OK);
        assert_int_equal(src, all_sources[i]);
    }
    assert_int_equal(rcm_claim_source_from_name("robot", &(enum rcm_claim_source){0}, &d), RCM_E_INVAL);

    bool open[RCM_CLAIM_STATE_COUNT] = {
        [RCM_CLAIM_SUBMITTED] = true, [RCM_CLAIM_ACCEPTED] = true, [RCM_CLAIM_REJECTED] = true,
        [RCM_CLAIM_PARTIALLY_PAID] = true, [RCM_CLAIM_DENIED] = true, [RCM_CLAIM_APPEALED] = true,
    };
    for (int i = 0; i < RCM_CLAIM_STATE_COUNT; i++)
        assert_int_equal(rcm_claim_state_is_open(i), open[i]);
    assert_false(rcm_claim_state_is_open(RCM_CLAIM_STATE_COUNT));
    assert_true(rcm_claim_state_is_terminal(RCM_CLAIM_VOIDED));
    assert_true(rcm_claim_state_is_terminal(RCM_CLAIM_CORRECTED));
    assert_true(rcm_claim_state_is_terminal(RCM_CLAIM_CLOSED));
    assert_false(rcm_claim_state_is_terminal(RCM_CLAIM_PAID));
    /* every non-terminal state can be reached and left */
    size_t n;
    const struct rcm_claim_move *m = rcm_claim_moves(&n);
    for (int st = 1; st < RCM_CLAIM_STATE_COUNT; st++) {
        bool reached = false;
        for (size_t i = 0; i < n; i++)
            reached |= m[i].to == (enum rcm_claim_state)st;
        assert_true(reached);
    }
}

static void
test_tables(void **state)
{
    (void)state;
    struct rcm_buf md = RCM_BUF_INIT(1u << 16), js = RCM_BUF_INIT(1u << 16);
    assert_int_equal(rcm_claim_moves_markdown(&md), RCM_OK);
    assert_int_equal(rcm_buf_addch(&md, 0), RCM_OK);
    assert_non_null(strstr(md.data, "| submitted | accepted | ack_999, ack_277ca |"));
    assert_non_null(strstr(md.data, "| denied | appealed | user | required |"));
    assert_int_equal(rcm_claim_moves_json(&js), RCM_OK);
    json_error_t err;
    json_t *root = json_loadb(js.data, js.len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        fail_msg("moves JSON does not parse: %s", err.text);
    size_t n;
    (void)rcm_claim_moves(&n);
    assert_int_equal(json_array_size(json_object_get(root, "moves")), n);
    assert_int_equal(json_array_size(json_object_get(root, "states")), RCM_CLAIM_STATE_COUNT);
    json_t *s0 = json_array_get(json_object_get(root, "states"), 2);
    assert_string_equal(json_string_value(json_object_get(s0, "name")), "submitted");
    assert_true(json_is_true(json_object_get(s0, "open")));
    json_decref(root);
    rcm_buf_release(&md);
    rcm_buf_release(&js);
}

/* docs/claim-states.md holds the generated table between its markers. */
static void
test_docs_table_fresh(void **state)
{
    (void)state;
    struct rcm_buf md = RCM_BUF_INIT(1u << 16);
    assert_int_equal(rcm_claim_moves_markdown(&md), RCM_OK);
    assert_int_equal(rcm_buf_addch(&md, 0), RCM_OK);
    FILE *f = fopen(RCM_TEST_SOURCE_DIR "/docs/claim-states.md", "rb");
    assert_non_null(f);
    static char doc[1u << 16];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    const char *begin = strstr(doc, "<!-- table begin -->\n");
    const char *end = strstr(doc, "<!-- table end -->");
    assert_non_null(begin);
    assert_non_null(end);
    begin += strlen("<!-- table begin -->\n");
    if ((size_t)(end - begin) != strlen(md.data) ||
        memcmp(begin, md.data, (size_t)(end - begin)) != 0) {
        FILE *o = fopen(RCM_TEST_BINARY_DIR "/claim-states.table.md", "wb");
        if (o) {
            fputs(md.data, o);
            fclose(o);
        }
        fail_msg("docs/claim-states.md is stale: paste %s between its markers",
                 RCM_TEST_BINARY_DIR "/claim-states.table.md");
    }
    rcm_buf_release(&md);
}

static void
test_acks(void **state)
{
    (void)state;
    enum rcm_claim_state to = RCM_CLAIM_DRAFT;
    assert_true(rcm_claim_state_for_999('A', &to));
    assert_int_equal(to, RCM_CLAIM_ACCEPTED);
    assert_true(rcm_claim_state_for_999('E', &to));
    assert_int_equal(to, RCM_CLAIM_ACCEPTED);
    for (const char *r = "RMWX"; *r; r++) {
        to = RCM_CLAIM_DRAFT;
        assert_true(rcm_claim_state_for_999(*r, &to));
        assert_int_equal(to, RCM_CLAIM_REJECTED);
    }
    assert_false(rcm_claim_state_for_999('P', &to));
    assert_false(rcm_claim_state_for_999(0, &to));

    assert_true(rcm_claim_state_for_277ca("A2", &to));
    assert_int_equal(to, RCM_CLAIM_ACCEPTED);
    static const char *const rejected[] = {"A3", "A6", "A7", "A8"};
    for (size_t i = 0; i < 4; i++) {
        to = RCM_CLAIM_DRAFT;
        assert_true(rcm_claim_state_for_277ca(rejected[i], &to));
        assert_int_equal(to, RCM_CLAIM_REJECTED);
    }
    static const char *const none[] = {"A0", "A1", "A4", "A5", "F1", "A", "A22", ""};
    for (size_t i = 0; i < 8; i++)
        assert_false(rcm_claim_state_for_277ca(none[i], &to));
    assert_false(rcm_claim_state_for_277ca(NULL, &to));
    /* what they answer is a legal move from submitted on that source */
    assert_true(rcm_claim_state_for_999('R', &to));
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_SUBMITTED, to, RCM_CLAIM_SRC_ACK_999, false, NULL), RCM_OK);
    assert_true(rcm_claim_state_for_277ca("A7", &to));
    assert_int_equal(rcm_claim_move_check(RCM_CLAIM_ACCEPTED, to, RCM_CLAIM_SRC_ACK_277CA, false, NULL), RCM_OK);
}

RUN_TESTS(cmocka_unit_test(test_acks), cmocka_unit_test(test_docs_table_fresh), cmocka_unit_test(test_every_legal_move), cmocka_unit_test(test_every_other_pair_refused),
          cmocka_unit_test(test_named_cases), cmocka_unit_test(test_reasons),
          cmocka_unit_test(test_names_and_open), cmocka_unit_test(test_tables))
