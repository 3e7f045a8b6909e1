/*
 * The audit verification state machine, fed by hand (no database): anchors,
 * checkpoints that must exist, and the per-patient index against each
 * record's patient_ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/audit.h"
#include "rcm_test.h"

static const uint8_t key[RCM_AUDIT_KEY_BYTES] = "audit-key-for-tests-0123456789ab";

/* A chain of n records; record i (1-based) names patients "p<i>,q" for odd i. */
struct chain {
    int n;
    struct rcm_audit_event ev[1100];
    char ids[1100][32];
};

static struct chain *
chain_new(int n)
{
    struct chain *c = calloc(1, sizeof *c);
    c->n = n;
    for (int i = 0; i < n; i++) {
        struct rcm_audit_event *e = &c->ev[i];
        e->seq = i + 1;
        e->ts_ms = 1000 + i;
        e->tenant_id = 7;
        e->actor_type = "user";
        e->action = "patient.read";
        snprintf(c->ids[i], sizeof c->ids[i], (i + 1) % 2 ? "p%d, q" : "", i + 1);
        e->patient_ids = c->ids[i];
        if (i)
            memcpy(e->prev_hash, c->ev[i - 1].hash, RCM_SHA256_BYTES);
        rcm_audit_hash(e, e->hash);
    }
    return c;
}

/* Feed records with the index rows the store would have written (sorted). */
static void
feed(struct rcm_audit_verify *v, struct chain *c)
{
    for (int i = 0; i < c->n; i++) {
        if (!rcm_audit_verify_record(v, &c->ev[i]))
            return;
        if (c->ids[i][0]) {
            char p[24];
            snprintf(p, sizeof p, "p%d", i + 1);
            /* "p…" sorts before "q" */
            if (!rcm_audit_verify_index_row(v, i + 1, 7, p, strlen(p)) ||
                !rcm_audit_verify_index_row(v, i + 1, 7, "q", 1))
                return;
        }
        if (!rcm_audit_verify_index_end(v))
            return;
    }
}

static void
checkpoints(struct rcm_audit_verify *v, struct chain *c, int64_t skip)
{
    for (int64_t s = RCM_AUDIT_CHECKPOINT_EVERY; s <= c->n; s += RCM_AUDIT_CHECKPOINT_EVERY) {
        if (s == skip)
            continue;
        uint8_t mac[RCM_SHA256_BYTES];
        rcm_audit_mac(key, s, c->ev[s - 1].hash, mac);
        if (!rcm_audit_verify_checkpoint(v, s, c->ev[s - 1].hash, true, mac))
            return;
    }
    rcm_audit_verify_checkpoints_end(v);
}

static void
head(struct rcm_audit_verify *v, struct chain *c)
{
    if (c->n == 0) {
        rcm_audit_verify_head(v, false, 0, NULL, NULL);
        return;
    }
    uint8_t mac[RCM_SHA256_BYTES];
    rcm_audit_mac(key, c->n, c->ev[c->n - 1].hash, mac);
    rcm_audit_verify_head(v, true, c->n, c->ev[c->n - 1].hash, mac);
}

static void
anchor(struct rcm_audit_verify *v, int64_t seq, const uint8_t hash[RCM_SHA256_BYTES])
{
    uint8_t mac[RCM_SHA256_BYTES];
    rcm_audit_anchor_mac(key, seq, hash, mac);
    assert_true(rcm_audit_verify_anchor(v, seq, hash, mac));
}

/* The whole walk over `c` with an anchor at `anchored` (0: none). */
static struct rcm_audit_verify
walk(struct chain *c, struct chain *anchored_from, int64_t anchored, bool require)
{
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, key);
    if (anchored)
        anchor(&v, anchored, anchored_from->ev[anchored - 1].hash);
    feed(&v, c);
    if (!v.problem)
        checkpoints(&v, c, 0);
    if (!v.problem)
        head(&v, c);
    rcm_audit_verify_finish(&v, require);
    rcm_audit_verify_release(&v);
    return v;
}

static void
intact_chain_matching_its_anchor_verifies(void **state)
{
    (void)state;
    struct chain *c = chain_new(600);
    struct rcm_audit_verify v = walk(c, c, 600, true);
    assert_int_equal(v.problem, RCM_AUDIT_INTACT);
    assert_int_equal(v.records, 600);
    /* an older anchor is fine too: the chain links everything after it */
    v = walk(c, c, 300, true);
    assert_int_equal(v.problem, RCM_AUDIT_INTACT);
    assert_int_equal(v.anchor_seq, 300);
    free(c);
}

static void
emptied_log_is_truncated_against_its_anchor(void **state)
{
    (void)state;
    struct chain *full = chain_new(600), *empty = chain_new(0);
    struct rcm_audit_verify v = walk(empty, full, 600, true);
    assert_int_equal(v.problem, RCM_AUDIT_ANCHOR_TRUNCATED);
    assert_int_equal(v.problem_seq, 600);
    assert_string_equal(rcm_audit_problem_str(v.problem),
                        "log ends before its anchor (truncated or rolled back)");
    free(full);
    free(empty);
}

static void
rolled_back_log_is_named(void **state)
{
    (void)state;
    /* an earlier copy: a consistent prefix with a valid keyed head */
    struct chain *now = chain_new(600), *backup = chain_new(400);
    struct rcm_audit_verify v = walk(backup, now, 600, true);
    assert_int_equal(v.problem, RCM_AUDIT_ANCHOR_TRUNCATED);
    assert_int_equal(v.problem_seq, 600);
    assert_int_equal(v.records, 400);
    free(now);
    free(backup);
}

/* Like chain_new, but records from `fork` on carry other times: the same
 * history up to fork-1, then another one. */
static struct chain *
chain_fork(int n, int fork)
{
    struct chain *c = chain_new(n);
    for (int i = fork - 1; i < n; i++) {
        c->ev[i].ts_ms += 1000000;
        if (i)
            memcpy(c->ev[i].prev_hash, c->ev[i - 1].hash, RCM_SHA256_BYTES);
        rcm_audit_hash(&c->ev[i], c->ev[i].hash);
    }
    return c;
}

/* Walk `c` with anchors fed in the given order: (seq, taken from chain). */
static struct rcm_audit_verify
walk_anchors(struct chain *c, const int64_t *seqs, struct chain *const *from, int n)
{
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, key);
    for (int i = 0; i < n; i++)
        anchor(&v, seqs[i], from[i]->ev[seqs[i] - 1].hash);
    feed(&v, c);
    if (!v.problem)
        checkpoints(&v, c, 0);
    if (!v.problem)
        head(&v, c);
    rcm_audit_verify_finish(&v, true);
    rcm_audit_verify_release(&v);
    return v;
}

static void
rollback_that_regrew_past_its_anchor_is_named(void **state)
{
    (void)state;
    /* anchored at 300 and 600; rolled back to a backup at 400; the server
     * anchored 400 at its start and the log grew to 900 since */
    struct chain *old = chain_new(600), *now = chain_fork(900, 401);
    int64_t seqs[] = {300, 600, 400, 900};
    struct chain *from[] = {old, old, now, now};
    struct rcm_audit_verify v = walk_anchors(now, seqs, from, 4);
    assert_int_equal(v.problem, RCM_AUDIT_ANCHOR_MISMATCH);
    assert_int_equal(v.problem_seq, 600);
    /* two writers that appended out of order: both anchors hold */
    int64_t raced[] = {300, 500, 499, 900};
    struct chain *same[] = {now, now, now, now};
    v = walk_anchors(now, raced, same, 4);
    assert_int_equal(v.problem, RCM_AUDIT_INTACT);
    free(old);
    free(now);
}

static void
too_many_steps_back_are_refused(void **state)
{
    (void)state;
    struct chain *c = chain_new(100);
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, key);
    bool ok = true;
    for (int i = 0; i < 2 * RCM_AUDIT_BACK_ANCHORS_MAX && ok; i++) {
        uint8_t mac[RCM_SHA256_BYTES];
        int64_t seq = i % 2 ? 50 : 60;
        rcm_audit_anchor_mac(key, seq, c->ev[seq - 1].hash, mac);
        ok = rcm_audit_verify_anchor(&v, seq, c->ev[seq - 1].hash, mac);
    }
    assert_false(ok);
    assert_int_equal(v.problem, RCM_AUDIT_ANCHOR_BACKWARDS);
    rcm_audit_verify_release(&v);
    free(c);
}

static void
replaced_record_at_the_anchor_is_named(void **state)
{
    (void)state;
    struct chain *c = chain_new(600), *other = chain_new(600);
    other->ev[299].ts_ms = 1;    /* a different history from 300 on */
    rcm_audit_hash(&other->ev[299], other->ev[299].hash);
    struct rcm_audit_verify v = walk(c, other, 300, true);
    assert_int_equal(v.problem, RCM_AUDIT_ANCHOR_MISMATCH);
    assert_int_equal(v.problem_seq, 300);
    free(c);
    free(other);
}

static void
anchor_with_a_bad_mac_is_refused(void **state)
{
    (void)state;
    struct chain *c = chain_new(10);
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, key);
    uint8_t mac[RCM_SHA256_BYTES];
    /* the head MAC over the same (seq, hash) is not an anchor MAC */
    rcm_audit_mac(key, 10, c->ev[9].hash, mac);
    assert_false(rcm_audit_verify_anchor(&v, 10, c->ev[9].hash, mac));
    assert_int_equal(v.problem, RCM_AUDIT_BAD_ANCHOR);
    assert_int_equal(v.problem_seq, 10);
    rcm_audit_verify_release(&v);
    /* an attacker who raises the seq of a genuine anchor */
    rcm_audit_verify_init(&v, key);
    rcm_audit_anchor_mac(key, 9, c->ev[9].hash, mac);
    assert_false(rcm_audit_verify_anchor(&v, 10, c->ev[9].hash, mac));
    assert_int_equal(v.problem, RCM_AUDIT_BAD_ANCHOR);
    rcm_audit_verify_release(&v);
    free(c);
}

static void
no_anchor_is_a_problem_only_when_required_and_not_empty(void **state)
{
    (void)state;
    struct chain *c = chain_new(5), *empty = chain_new(0);
    assert_int_equal(walk(c, NULL, 0, true).problem, RCM_AUDIT_NO_ANCHOR);
    assert_int_equal(walk(c, NULL, 0, false).problem, RCM_AUDIT_INTACT);
    assert_int_equal(walk(empty, NULL, 0, true).problem, RCM_AUDIT_INTACT);
    free(c);
    free(empty);
}

static void
missing_checkpoint_is_named(void **state)
{
    (void)state;
    struct chain *c = chain_new(600);
    struct rcm_audit_verify v;
    /* the first */
    rcm_audit_verify_init(&v, key);
    feed(&v, c);
    checkpoints(&v, c, 256);
    assert_int_equal(v.problem, RCM_AUDIT_CHECKPOINT_MISSING);
    assert_int_equal(v.problem_seq, 256);
    rcm_audit_verify_release(&v);
    /* the last one (nothing after it to notice) */
    rcm_audit_verify_init(&v, key);
    feed(&v, c);
    checkpoints(&v, c, 512);
    assert_int_equal(v.problem, RCM_AUDIT_CHECKPOINT_MISSING);
    assert_int_equal(v.problem_seq, 512);
    assert_string_equal(rcm_audit_problem_str(v.problem), "keyed checkpoint missing");
    rcm_audit_verify_release(&v);
    free(c);
}

static void
index_rows_must_match_the_record(void **state)
{
    (void)state;
    struct chain *c = chain_new(3);
    struct rcm_audit_verify v;

    /* record 1 names p1 and q: its q row is gone */
    rcm_audit_verify_init(&v, key);
    assert_true(rcm_audit_verify_record(&v, &c->ev[0]));
    assert_true(rcm_audit_verify_index_row(&v, 1, 7, "p1", 2));
    assert_false(rcm_audit_verify_index_end(&v));
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_MISSING);
    assert_int_equal(v.problem_seq, 1);
    rcm_audit_verify_release(&v);

    /* the p1 row is gone: q arrives where p1 was expected */
    rcm_audit_verify_init(&v, key);
    assert_true(rcm_audit_verify_record(&v, &c->ev[0]));
    assert_false(rcm_audit_verify_index_row(&v, 1, 7, "q", 1));
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_MISSING);
    rcm_audit_verify_release(&v);

    /* a row naming a patient the record does not */
    rcm_audit_verify_init(&v, key);
    assert_true(rcm_audit_verify_record(&v, &c->ev[0]));
    assert_false(rcm_audit_verify_index_row(&v, 1, 7, "a", 1));
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_EXTRA);
    assert_int_equal(v.problem_seq, 1);
    rcm_audit_verify_release(&v);

    /* another tenant's row, and a row for a record with no patients */
    rcm_audit_verify_init(&v, key);
    assert_true(rcm_audit_verify_record(&v, &c->ev[0]));
    assert_false(rcm_audit_verify_index_row(&v, 1, 8, "p1", 2));
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_EXTRA);
    rcm_audit_verify_release(&v);
    rcm_audit_verify_init(&v, key);
    assert_true(rcm_audit_verify_record(&v, &c->ev[0]));
    assert_true(rcm_audit_verify_index_row(&v, 1, 7, "p1", 2));
    assert_true(rcm_audit_verify_index_row(&v, 1, 7, "q", 1));
    assert_true(rcm_audit_verify_index_end(&v));
    assert_true(rcm_audit_verify_record(&v, &c->ev[1]));     /* no patients */
    assert_false(rcm_audit_verify_index_row(&v, 2, 7, "p1", 2));
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_EXTRA);
    assert_int_equal(v.problem_seq, 2);
    rcm_audit_verify_release(&v);

    /* a row for a seq past the last record */
    rcm_audit_verify_init(&v, key);
    feed(&v, c);
    assert_int_equal(v.problem, RCM_AUDIT_INTACT);
    assert_false(rcm_audit_verify_index_row(&v, 9, 7, "p9", 2));
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_EXTRA);
    assert_int_equal(v.problem_seq, 9);
    rcm_audit_verify_release(&v);
    free(c);
}

static void
index_ids_are_trimmed_sorted_and_deduplicated(void **state)
{
    (void)state;
    struct rcm_audit_event e = {.seq = 1, .tenant_id = 3, .actor_type = "user",
                                .action = "patient.list", .patient_ids = "10, 9,,10 ,2"};
    rcm_audit_hash(&e, e.hash);
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, key);
    assert_true(rcm_audit_verify_record(&v, &e));
    /* SQLite's BINARY order: "10" < "2" < "9" */
    assert_true(rcm_audit_verify_index_row(&v, 1, 3, "10", 2));
    assert_true(rcm_audit_verify_index_row(&v, 1, 3, "2", 1));
    assert_true(rcm_audit_verify_index_row(&v, 1, 3, "9", 1));
    assert_true(rcm_audit_verify_index_end(&v));
    rcm_audit_verify_release(&v);
}

RUN_TESTS(cmocka_unit_test(intact_chain_matching_its_anchor_verifies),
          cmocka_unit_test(emptied_log_is_truncated_against_its_anchor),
          cmocka_unit_test(rolled_back_log_is_named),
          cmocka_unit_test(replaced_record_at_the_anchor_is_named),
          cmocka_unit_test(rollback_that_regrew_past_its_anchor_is_named),
          cmocka_unit_test(too_many_steps_back_are_refused),
          cmocka_unit_test(anchor_with_a_bad_mac_is_refused),
          cmocka_unit_test(no_anchor_is_a_problem_only_when_required_and_not_empty),
          cmocka_unit_test(missing_checkpoint_is_named),
          cmocka_unit_test(index_rows_must_match_the_record),
          cmocka_unit_test(index_ids_are_trimmed_sorted_and_deduplicated))
