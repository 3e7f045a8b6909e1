/*
 * The audit log: records written with the change, queries by tenant, patient,
 * user and time, and tamper detection by editing the database directly (as
 * someone with database access would, append-only triggers out of the way),
 * on SQLite and on PostgreSQL (store_fixture.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"

static const uint8_t key[RCM_AUDIT_KEY_BYTES] = "audit-key-for-tests-0123456789ab";

struct fixture {
    struct store_fx *s;
    struct rcm_store *store;
};

static void
append(struct rcm_store *s, int64_t tenant, int64_t user, const char *action,
       const char *patients)
{
    struct rcm_actor a = {.tenant_id = tenant, .type = "user", .user_id = user,
                          .request_id = "req-1", .source_ip = "127.0.0.1",
                          .purpose = "payment"};
    struct rcm_audit_what w = {action, "patient", "17", patients, "success"};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_audit_append(s, &a, &w, &d), RCM_OK);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new_keyed(key))) {
        free(f);
        return -1;
    }
    f->store = f->s->store;
    for (int i = 1; i <= 600; i++)      /* past two checkpoints (256, 512) */
        append(f->store, 1 + i % 2, 100 + i % 3, i % 5 ? "patient.read" : "patient.update",
               i % 7 ? "p1" : "p1,p2");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    store_fx_free(f->s);
    free(f);
    return 0;
}

static void
tamper(struct fixture *f, const char *sql)
{
    if (store_fx_tamper(f->s, sql) != RCM_OK)
        fail_msg("tamper SQL failed");
}

static struct rcm_audit_verify
verify(struct rcm_store *s)
{
    struct rcm_audit_verify v;
    struct rcm_diag d = RCM_DIAG_INIT;
    rcm_audit_verify_init(&v, key);
    assert_int_equal(rcm_store_audit_verify(s, &v, &d), RCM_OK);
    rcm_audit_verify_release(&v);   /* the copy returned keeps the results */
    return v;
}

static void
intact_log_verifies(void **state)
{
    struct fixture *f = *state;
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_INTACT);
    assert_int_equal(v.records, 600);
    assert_int_equal(v.last_seq, 600);
}

static void
wrong_key_is_detected(void **state)
{
    struct fixture *f = *state;
    struct rcm_audit_verify v;
    struct rcm_diag d = RCM_DIAG_INIT;
    uint8_t other[RCM_AUDIT_KEY_BYTES] = {1};
    rcm_audit_verify_init(&v, other);
    assert_int_equal(rcm_store_audit_verify(f->store, &v, &d), RCM_OK);
    rcm_audit_verify_release(&v);
    assert_int_equal(v.problem, RCM_AUDIT_BAD_CHECKPOINT);
    assert_int_equal(v.problem_seq, 256);
}

static void
append_only_triggers_refuse_changes(void **state)
{
    struct fixture *f = *state;
    assert_int_not_equal(store_fx_exec(f->s, "UPDATE audit_event SET outcome='x' WHERE seq=3"),
                         RCM_OK);
    assert_int_not_equal(store_fx_exec(f->s, "DELETE FROM audit_event WHERE seq=3"), RCM_OK);
    assert_int_not_equal(store_fx_exec(f->s, "UPDATE audit_checkpoint SET mac = hash"), RCM_OK);
    assert_int_equal(verify(f->store).problem, RCM_AUDIT_INTACT);
}

static void
modified_record_is_named(void **state)
{
    struct fixture *f = *state;
    tamper(f, "UPDATE audit_event SET outcome = 'failure' WHERE seq = 123");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_MODIFIED);
    assert_int_equal(v.problem_seq, 123);
    assert_int_equal(v.records, 122);
}

static void
deleted_record_is_named(void **state)
{
    struct fixture *f = *state;
    tamper(f, "DELETE FROM audit_event_patient WHERE seq = 77;"
                    "DELETE FROM audit_event WHERE seq = 77");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_MISSING);
    assert_int_equal(v.problem_seq, 77);
}

static void
deleted_tail_is_named(void **state)
{
    struct fixture *f = *state;
    tamper(f, "DELETE FROM audit_event_patient WHERE seq > 590;"
                    "DELETE FROM audit_event WHERE seq > 590");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_MISSING);
    assert_int_equal(v.problem_seq, 591);
}

static void
reordered_records_are_named(void **state)
{
    struct fixture *f = *state;
    /* swap the contents of records 200 and 201, keeping their numbers */
    tamper(f,
           "CREATE TEMP TABLE t AS SELECT * FROM audit_event WHERE seq IN (200, 201);"
           "UPDATE audit_event SET action = (SELECT action FROM t WHERE seq = 201),"
           " ts_ms = (SELECT ts_ms FROM t WHERE seq = 201),"
           " tenant_id = (SELECT tenant_id FROM t WHERE seq = 201),"
           " actor_id = (SELECT actor_id FROM t WHERE seq = 201),"
           " patient_ids = (SELECT patient_ids FROM t WHERE seq = 201),"
           " prev_hash = (SELECT prev_hash FROM t WHERE seq = 201),"
           " hash = (SELECT hash FROM t WHERE seq = 201) WHERE seq = 200;"
           "UPDATE audit_event SET action = (SELECT action FROM t WHERE seq = 200),"
           " ts_ms = (SELECT ts_ms FROM t WHERE seq = 200),"
           " tenant_id = (SELECT tenant_id FROM t WHERE seq = 200),"
           " actor_id = (SELECT actor_id FROM t WHERE seq = 200),"
           " patient_ids = (SELECT patient_ids FROM t WHERE seq = 200),"
           " prev_hash = (SELECT prev_hash FROM t WHERE seq = 200),"
           " hash = (SELECT hash FROM t WHERE seq = 200) WHERE seq = 201;");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_not_equal(v.problem, RCM_AUDIT_INTACT);
    assert_int_equal(v.problem_seq, 200);
}

static void
inserted_record_is_named(void **state)
{
    struct fixture *f = *state;
    /* a copy of the last record appended as 601: its hash cannot match */
    tamper(f, "INSERT INTO audit_event SELECT 601, ts_ms, tenant_id, actor_type,"
                    " actor_id, action, object_type, object_id, patient_ids, purpose,"
                    " outcome, source_ip, request_id, emergency, hash, hash"
                    " FROM audit_event WHERE seq = 600");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_MODIFIED);
    assert_int_equal(v.problem_seq, 601);
}

static void
rewritten_chain_is_caught_by_keys(void **state)
{
    struct fixture *f = *state;
    /* An attacker who edits record 300 and recomputes every later hash with
     * the (unkeyed) SHA-256 still cannot forge the keyed checkpoint at 512:
     * simulate by rewriting through a store opened with another key, which
     * hashes correctly but MACs with the wrong key. */
    struct store_fx other = *f->s;
    memcpy(other.audit_key, "an-attacker-key-0123456789abcdef", RCM_AUDIT_KEY_BYTES);
    struct rcm_store *evil = store_fx_open(&other, NULL);
    assert_non_null(evil);
    append(evil, 1, 999, "patient.read", "p9");
    rcm_store_close(evil);
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_BAD_HEAD);
    assert_int_equal(v.problem_seq, 601);
}

static void
tampered_checkpoint_is_named(void **state)
{
    struct fixture *f = *state;
    tamper(f, "UPDATE audit_checkpoint SET mac = hash WHERE seq = 512");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_BAD_CHECKPOINT);
    assert_int_equal(v.problem_seq, 512);
}

struct collect {
    int n;
    int64_t first_seq, last_seq;
    bool all_tenant2;
};

static int
collect(void *ctx, const struct rcm_audit_event *ev)
{
    struct collect *c = ctx;
    if (!c->n)
        c->first_seq = ev->seq;
    c->last_seq = ev->seq;
    c->n++;
    if (ev->tenant_id != 2)
        c->all_tenant2 = false;
    return 0;
}

static void
queries_by_tenant_patient_user(void **state)
{
    struct fixture *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct collect c = {0, 0, 0, true};
    struct rcm_audit_filter by_tenant = {.tenant_id = 2, .limit = 10000};
    assert_int_equal(rcm_store_audit_query(f->store, &by_tenant, collect, &c, &d), RCM_OK);
    assert_int_equal(c.n, 300);
    assert_true(c.all_tenant2);

    c = (struct collect){0, 0, 0, true};
    struct rcm_audit_filter by_patient = {.tenant_id = 2, .patient_id = "p2", .limit = 10000};
    assert_int_equal(rcm_store_audit_query(f->store, &by_patient, collect, &c, &d), RCM_OK);
    /* tenant 2 holds the odd i; "p2" is on every i % 7 == 0: odd multiples of 7 */
    assert_int_equal(c.n, 43);
    assert_true(c.all_tenant2);

    c = (struct collect){0, 0, 0, true};
    struct rcm_audit_filter by_user = {.tenant_id = 1, .actor_id = 101, .limit = 5,
                                       .after_seq = 100};
    assert_int_equal(rcm_store_audit_query(f->store, &by_user, collect, &c, &d), RCM_OK);
    assert_int_equal(c.n, 5);
    assert_true(c.first_seq > 100);

    c = (struct collect){0, 0, 0, true};
    struct rcm_audit_filter future = {.tenant_id = 1, .from_ms = INT64_MAX / 2, .limit = 10};
    assert_int_equal(rcm_store_audit_query(f->store, &future, collect, &c, &d), RCM_OK);
    assert_int_equal(c.n, 0);

    struct rcm_audit_filter no_tenant = {.tenant_id = 0, .limit = 10};
    assert_int_equal(rcm_store_audit_query(f->store, &no_tenant, collect, &c, &d), RCM_E_INVAL);
}

static void
no_key_no_audited_writes(void **state)
{
    struct fixture *f = *state;
    struct rcm_store_options opt;
    store_fx_options(f->s, &opt, NULL);
    opt.audit_key = NULL;
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_open(&opt, &s, &d), RCM_OK);
    struct rcm_actor a = {.type = "system"};
    struct rcm_tenant t;
    assert_int_equal(rcm_store_tenant_create(s, &a, "nokey", "No Key", &t, &d), RCM_E_CONFIG);
    assert_int_equal(rcm_store_tenant_find(s, "nokey", &t, &d), RCM_E_NOT_FOUND);
    rcm_store_close(s);
}

struct appender {
    struct rcm_store *store;
    int64_t user;
    int failures;
};

static void *
append_many(void *p)
{
    struct appender *a = p;
    for (int i = 0; i < 150; i++) {
        char object[16];
        snprintf(object, sizeof object, "%d", i);
        struct rcm_actor who = {.tenant_id = 1, .type = "user", .user_id = a->user};
        struct rcm_audit_what w = {"patient.read", "patient", object, "p9", "success"};
        struct rcm_diag d = RCM_DIAG_INIT;
        if (rcm_store_audit_append(a->store, &who, &w, &d) != RCM_OK)
            a->failures++;
    }
    return NULL;
}

static int
object_number(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

struct order {
    int next[8];
    bool in_order;
};

static int
check_order(void *ctx, const struct rcm_audit_event *ev)
{
    struct order *o = ctx;
    int user = (int)ev->actor_id - 1000;
    if (user < 0)
        return 0;
    if (user >= 8 || object_number(ev->object_id) != o->next[user])
        o->in_order = false;
    else
        o->next[user]++;
    return 0;
}

/* Concurrent appenders share commits (group commit): every record lands
 * once, each thread's in its own order, and the chain stays intact. */
static void
concurrent_appends_are_each_committed_in_order(void **state)
{
    struct fixture *f = *state;
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    struct appender a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (struct appender){f->store, 1000 + i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, append_many, &a[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    struct rcm_audit_verify v;
    struct rcm_diag d = RCM_DIAG_INIT;
    rcm_audit_verify_init(&v, key);
    assert_int_equal(rcm_store_audit_verify(f->store, &v, &d), RCM_OK);
    rcm_audit_verify_release(&v);
    assert_int_equal(v.problem, 0);
    assert_int_equal(v.records, 600 + THREADS * 150);
    /* per user, object ids 0..149 appear once each, in increasing sequence */
    struct order o = {{0}, true};
    struct rcm_audit_filter all = {.tenant_id = 1, .limit = 10000};
    assert_int_equal(rcm_store_audit_query(f->store, &all, check_order, &o, &d), RCM_OK);
    assert_true(o.in_order);
    int *next = o.next;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(next[i], 150);
}

static void
deleted_patient_index_rows_are_named(void **state)
{
    struct fixture *f = *state;
    /* records 7, 14, … name p1 and p2: p2's audit trail disappears */
    tamper(f, "DELETE FROM audit_event_patient WHERE patient_id = 'p2'");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_MISSING);
    assert_int_equal(v.problem_seq, 7);
}

static void
added_patient_index_row_is_named(void **state)
{
    struct fixture *f = *state;
    tamper(f, "INSERT INTO audit_event_patient VALUES (300, 1, 'p9')");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_INDEX_EXTRA);
    assert_int_equal(v.problem_seq, 300);
}

static void
deleted_checkpoint_is_named(void **state)
{
    struct fixture *f = *state;
    tamper(f, "DELETE FROM audit_checkpoint WHERE seq = 512");
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_CHECKPOINT_MISSING);
    assert_int_equal(v.problem_seq, 512);
}

/* A record naming a patient twice gets one index row for them, and the
 * log still verifies. */
static void
a_patient_named_twice_is_indexed_once(void **state)
{
    struct fixture *f = *state;
    append(f->store, 1, 100, "patient.list", "p7, p8,p7");
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM audit_event_patient WHERE "
                                        "seq = 601", NULL), 2);
    struct rcm_audit_verify v = verify(f->store);
    assert_int_equal(v.problem, RCM_AUDIT_INTACT);
    assert_int_equal(v.records, 601);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
static const struct CMUnitTest tests[] = {T(deleted_patient_index_rows_are_named), T(added_patient_index_row_is_named),
          T(deleted_checkpoint_is_named), T(concurrent_appends_are_each_committed_in_order), T(intact_log_verifies), T(wrong_key_is_detected),
          T(append_only_triggers_refuse_changes), T(modified_record_is_named),
          T(deleted_record_is_named), T(deleted_tail_is_named),
          T(reordered_records_are_named), T(inserted_record_is_named),
          T(rewritten_chain_is_caught_by_keys), T(tampered_checkpoint_is_named),
          T(queries_by_tenant_patient_user), T(no_key_no_audited_writes),
          T(a_patient_named_twice_is_indexed_once)};

STORE_FIXTURE_MAIN(tests)
