/*
 * Idempotency keys in the store (store_idempotency.c, migration 0013), on
 * SQLite and on PostgreSQL (store_fixture.h): a key recorded as running
 * once, its answer sealed and replayed (and the replay audited), another
 * request with the key told apart, the lease of a running request, release,
 * expiry and pruning, the scope of a key, and answers that were altered or
 * moved refusing to open. The clock is the caller's, so time is moved here
 * rather than waited for.
 *
 * The domain functions are called with a sealing key of the test's own;
 * public_path goes through store.c and the system key it uses.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "store_fixture.h"

#define ROUTE "POST /v1/patients"
#define T0 1700000000000LL
#define DAY_MS 86400000LL

/* Whether needle occurs in p[0..n). */
static bool
contains(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return true;
    return false;
}

struct fx {
    struct store_fx *s;
    struct rcm_key seal;
    struct rcm_actor a, b;          /* users of tenants A and B */
};

static const struct db_sql T_TENANT = {
    "T_TENANT", "INSERT INTO tenant(slug, name, created_ms) VALUES (?1, ?2, 0) RETURNING id",
    NULL};
static const struct db_sql T_COUNT_ROWS = {
    "T_COUNT_ROWS", "SELECT count(*) FROM idempotency_key", NULL};
static const struct db_sql T_COUNT_AUDIT = {
    "T_COUNT_AUDIT", "SELECT count(*) FROM audit_event WHERE action = ?1 AND object_id = ?2",
    NULL};
static const struct db_sql T_RESPONSE = {
    "T_RESPONSE", "SELECT response FROM idempotency_key WHERE id = ?1", NULL};
static const struct db_sql T_MOVE = {
    "T_MOVE", "UPDATE idempotency_key SET status = 201, response = (SELECT response FROM "
    "idempotency_key WHERE id = ?1) WHERE id = ?2", NULL};
static const struct db_sql T_SET_RESPONSE = {
    "T_SET_RESPONSE", "UPDATE idempotency_key SET status = 201, response = ?2 WHERE id = ?1",
    NULL};

/* ---- database helpers --------------------------------------------------- */

struct q {
    const struct db_sql *sql;
    const char *text[2];
    int64_t i[2];
    const uint8_t *blob;
    size_t blob_len;
    bool reads_blob;            /* the first column is a blob, else an integer */
    int64_t out;
    uint8_t bytes[4096];
    size_t n;
};

static void
bind_q(struct db_stmt *st, const struct q *q)
{
    int p = 1;
    for (int k = 0; k < 2; k++)
        if (q->text[k])
            db_bind_text(st, p++, q->text[k]);
    for (int k = 0; k < 2; k++)
        if (q->i[k])
            db_bind_i64(st, p++, q->i[k]);
    if (q->blob)
        db_bind_blob(st, p, q->blob, q->blob_len);
}

/* Run q->sql; the first column of its first row, if any, into out/bytes. */
static enum rcm_err
run_q(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    struct q *q = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, q->sql, &st, d);
    if (err)
        return err;
    bind_q(st, q);
    if ((err = db_step(st, &row, d)) || !row)
        return err;
    if (!q->reads_blob) {
        q->out = db_col_i64(st, 0);
    } else {
        const void *p = db_col_blob(st, 0, &q->n);
        if (p && q->n <= sizeof q->bytes)
            memcpy(q->bytes, p, q->n);
        else
            q->n = 0;
    }
    while (!(err = db_step(st, &row, d)) && row)
        ;
    return err;
}

static struct q
write_q(struct fx *f, struct q q)
{
    struct rcm_diag d = RCM_DIAG_INIT;
    if (db_write(f->s->store->db, run_q, &q, &d) != RCM_OK)
        fail_msg("%s: %s", q.sql->id_name, d.msg);
    return q;
}

static int64_t
count_rows(struct fx *f)
{
    struct q q = {.sql = &T_COUNT_ROWS};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(store_read(f->s->store, run_q, &q, &d), RCM_OK);
    return q.out;
}

static int64_t
count_audit(struct fx *f, const char *action, const char *object_id)
{
    struct q q = {.sql = &T_COUNT_AUDIT, .text = {action, object_id}};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(store_read(f->s->store, run_q, &q, &d), RCM_OK);
    return q.out;
}

static struct q
stored_response(struct fx *f, int64_t id)
{
    struct q q = {.sql = &T_RESPONSE, .i = {id}, .reads_blob = true};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(store_read(f->s->store, run_q, &q, &d), RCM_OK);
    return q;
}

/* ---- the calls under test --------------------------------------------------- */

static struct store_idem_request
req(const char *route, uint8_t key, uint8_t hash, int64_t now_ms, int64_t ttl_ms)
{
    struct store_idem_request r = {.route = route, .now_ms = now_ms, .ttl_ms = ttl_ms};
    memset(r.key_hash, key, sizeof r.key_hash);
    memset(r.request_hash, hash, sizeof r.request_hash);
    return r;
}

struct begun {
    enum rcm_err err;
    enum rcm_idempotency_state state;
    int64_t id;
    struct rcm_idempotency_answer answer;
};

static struct begun
begin_as(struct fx *f, const struct rcm_actor *actor, const struct store_idem_request *r)
{
    struct begun b;
    struct rcm_diag d = RCM_DIAG_INIT;
    b.err = store_idempotency_begin(f->s->store, actor, &f->seal, r, &b.state, &b.id,
                                    &b.answer, &d);
    return b;
}

/* begin for actor A; expects `state`; returns the row id. */
static int64_t
begin_expect(struct fx *f, const struct store_idem_request *r, enum rcm_idempotency_state state)
{
    struct begun b = begin_as(f, &f->a, r);
    assert_int_equal(b.err, RCM_OK);
    assert_int_equal(b.state, state);
    rcm_idempotency_answer_release(&b.answer);
    return b.id;
}

static enum rcm_err
finish(struct fx *f, int64_t id, int status, const char *body, int64_t now_ms)
{
    struct rcm_diag d = RCM_DIAG_INIT;
    return store_idempotency_finish(f->s->store, &f->a, &f->seal, id, status,
                                    "application/json", body, strlen(body), now_ms, &d);
}

/* ---- fixture ------------------------------------------------------------- */

static int64_t
tenant(struct fx *f, const char *slug)
{
    return write_q(f, (struct q){.sql = &T_TENANT, .text = {slug, slug}}).out;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    rcm_key_generate(&f->seal, 0);
    f->a = (struct rcm_actor){.tenant_id = tenant(f, "clinic-a"), .type = "user", .user_id = 7,
                              .request_id = "req-first"};
    f->b = (struct rcm_actor){.tenant_id = tenant(f, "clinic-b"), .type = "user", .user_id = 7,
                              .request_id = "req-b"};
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    store_fx_free(f->s);
    rcm_key_wipe(&f->seal);
    free(f);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void
first_answer_replayed_sealed_and_audited(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 1, 1, T0, DAY_MS);
    int64_t id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_true(id > 0);
    static const char body[] = "{\"id\":3,\"last_name\":\"Quartzmore\"}";
    assert_int_equal(finish(f, id, 201, body, T0 + 5), RCM_OK);

    /* sealed: not the plaintext, and longer by the envelope */
    struct q stored = stored_response(f, id);
    assert_true(stored.n > strlen(body));
    assert_false(contains(stored.bytes, stored.n, "Quartzmore"));

    f->a.request_id = "req-second";
    r.now_ms = T0 + 10;
    struct begun b = begin_as(f, &f->a, &r);
    assert_int_equal(b.err, RCM_OK);
    assert_int_equal(b.state, RCM_IDEMPOTENCY_REPLAY);
    assert_int_equal(b.id, id);
    assert_int_equal(b.answer.status, 201);
    assert_string_equal(b.answer.content_type, "application/json");
    assert_int_equal(b.answer.body_len, strlen(body));
    assert_memory_equal(b.answer.body, body, strlen(body));
    rcm_idempotency_answer_release(&b.answer);
    rcm_idempotency_answer_release(&b.answer);  /* twice is fine */
    /* one record per replay, naming the first request */
    assert_int_equal(count_audit(f, "idempotency.replay", "req-first"), 1);
    begin_expect(f, &r, RCM_IDEMPOTENCY_REPLAY);
    assert_int_equal(count_audit(f, "idempotency.replay", "req-first"), 2);
    assert_int_equal(count_rows(f), 1);
    /* a finished row takes no second answer */
    assert_int_equal(finish(f, id, 200, "{}", T0 + 20), RCM_E_NOT_FOUND);
}

static void
empty_and_binary_bodies_round_trip(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 2, 2, T0, DAY_MS);
    int64_t id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(store_idempotency_finish(f->s->store, &f->a, &f->seal, id, 204,
                                              "text/plain; charset=utf-8", "", 0, T0, &d),
                     RCM_OK);
    struct begun b = begin_as(f, &f->a, &r);
    assert_int_equal(b.state, RCM_IDEMPOTENCY_REPLAY);
    assert_int_equal(b.answer.status, 204);
    assert_string_equal(b.answer.content_type, "text/plain; charset=utf-8");
    assert_int_equal(b.answer.body_len, 0);
    rcm_idempotency_answer_release(&b.answer);

    static const char bin[] = {'a', '\0', '\n', 'b'};
    r = req(ROUTE, 3, 3, T0, DAY_MS);
    id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(store_idempotency_finish(f->s->store, &f->a, &f->seal, id, 422,
                                              "application/problem+json", bin, sizeof bin, T0,
                                              &d),
                     RCM_OK);
    b = begin_as(f, &f->a, &r);
    assert_int_equal(b.answer.status, 422);
    assert_int_equal(b.answer.body_len, sizeof bin);
    assert_memory_equal(b.answer.body, bin, sizeof bin);
    rcm_idempotency_answer_release(&b.answer);
}

static void
another_request_with_the_key_is_a_mismatch(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 4, 4, T0, DAY_MS);
    struct store_idem_request other = req(ROUTE, 4, 5, T0 + 1, DAY_MS);
    int64_t id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    begin_expect(f, &other, RCM_IDEMPOTENCY_MISMATCH);      /* while running */
    assert_int_equal(finish(f, id, 201, "{}", T0 + 2), RCM_OK);
    begin_expect(f, &other, RCM_IDEMPOTENCY_MISMATCH);      /* and after */
    other.now_ms = T0 + RCM_IDEMPOTENCY_LEASE_MS * 2;
    begin_expect(f, &other, RCM_IDEMPOTENCY_MISMATCH);      /* the lease does not matter */
    assert_int_equal(count_audit(f, "idempotency.replay", "req-first"), 0);
    assert_int_equal(count_rows(f), 1);
}

static void
running_until_the_lease_ends(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 6, 6, T0, DAY_MS);
    int64_t id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    r.now_ms = T0 + RCM_IDEMPOTENCY_LEASE_MS - 1;
    begin_expect(f, &r, RCM_IDEMPOTENCY_IN_PROGRESS);
    /* silent past its lease: the first request died; this one runs */
    r.now_ms = T0 + RCM_IDEMPOTENCY_LEASE_MS;
    assert_int_equal(begin_expect(f, &r, RCM_IDEMPOTENCY_NEW), id);
    r.now_ms += 1;
    begin_expect(f, &r, RCM_IDEMPOTENCY_IN_PROGRESS);       /* with a lease of its own */
    assert_int_equal(finish(f, id, 201, "{\"id\":9}", r.now_ms), RCM_OK);
    begin_expect(f, &r, RCM_IDEMPOTENCY_REPLAY);
    assert_int_equal(count_rows(f), 1);
}

static void
released_keys_run_again(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 7, 7, T0, DAY_MS);
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(store_idempotency_release(f->s->store, &f->a, id, T0, &d), RCM_OK);
    assert_int_equal(count_rows(f), 0);
    int64_t again = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_true(again > 0);
    /* another principal cannot release or answer it */
    assert_int_equal(store_idempotency_release(f->s->store, &f->b, again, T0, &d), RCM_OK);
    struct rcm_actor other_user = f->a;
    other_user.user_id = 8;
    assert_int_equal(store_idempotency_finish(f->s->store, &other_user, &f->seal, again, 201,
                                              "application/json", "{}", 2, T0, &d),
                     RCM_E_NOT_FOUND);
    begin_expect(f, &r, RCM_IDEMPOTENCY_IN_PROGRESS);
    /* an answered row is not released */
    assert_int_equal(finish(f, again, 201, "{}", T0), RCM_OK);
    assert_int_equal(store_idempotency_release(f->s->store, &f->a, again, T0, &d), RCM_OK);
    begin_expect(f, &r, RCM_IDEMPOTENCY_REPLAY);
}

static void
expired_keys_are_new_and_pruned(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 8, 8, T0, 1000);
    int64_t first = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(finish(f, first, 201, "{\"id\":1}", T0), RCM_OK);
    r.now_ms = T0 + 999;
    begin_expect(f, &r, RCM_IDEMPOTENCY_REPLAY);
    r.now_ms = T0 + 1000;
    int64_t second = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(count_rows(f), 1);     /* the expired row gave way */
    assert_int_equal(finish(f, second, 201, "{\"id\":2}", r.now_ms), RCM_OK);
    struct begun b = begin_as(f, &f->a, &r);
    assert_int_equal(b.state, RCM_IDEMPOTENCY_REPLAY);
    assert_memory_equal(b.answer.body, "{\"id\":2}", 8);
    rcm_idempotency_answer_release(&b.answer);

    /* 40 more that expire; each finish prunes only what has expired by then */
    for (int i = 0; i < 40; i++) {
        struct store_idem_request e = req(ROUTE, (uint8_t)(100 + i), 1, T0, 10);
        int64_t id = begin_expect(f, &e, RCM_IDEMPOTENCY_NEW);
        assert_int_equal(finish(f, id, 201, "{}", T0), RCM_OK);
    }
    assert_int_equal(count_rows(f), 41);
    /* a finish after they expired deletes a bounded batch of them */
    struct store_idem_request late = req(ROUTE, 99, 1, T0 + 100, DAY_MS);
    int64_t id = begin_expect(f, &late, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(finish(f, id, 201, "{}", T0 + 100), RCM_OK);
    assert_int_equal(count_rows(f), 41 + 1 - STORE_IDEM_PRUNE_BATCH);
    /* so does a release; key 8's row has not expired (ttl 1000 from T0 + 1000) */
    struct rcm_diag d = RCM_DIAG_INIT;
    struct store_idem_request rel = req(ROUTE, 98, 1, T0 + 100, DAY_MS);
    id = begin_expect(f, &rel, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(store_idempotency_release(f->s->store, &f->a, id, T0 + 100, &d), RCM_OK);
    assert_int_equal(count_rows(f), 2);
    r.now_ms = T0 + 1500;
    begin_expect(f, &r, RCM_IDEMPOTENCY_REPLAY);
}

static void
keys_belong_to_principal_and_route(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r = req(ROUTE, 9, 9, T0, DAY_MS);
    int64_t id = begin_expect(f, &r, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(finish(f, id, 201, "{}", T0), RCM_OK);

    struct rcm_actor same_id_other_tenant = f->b;
    struct rcm_actor other_user = f->a, api_key = f->a;
    other_user.user_id = 8;
    api_key.type = "api_key";       /* API key 7, not user 7 */
    const struct rcm_actor *others[] = {&same_id_other_tenant, &other_user, &api_key};
    for (size_t i = 0; i < 3; i++) {
        struct begun b = begin_as(f, others[i], &r);
        assert_int_equal(b.err, RCM_OK);
        assert_int_equal(b.state, RCM_IDEMPOTENCY_NEW);
        assert_true(b.id != id);
    }
    struct store_idem_request other_route = req("POST /v1/users", 9, 9, T0, DAY_MS);
    begin_expect(f, &other_route, RCM_IDEMPOTENCY_NEW);
    begin_expect(f, &r, RCM_IDEMPOTENCY_REPLAY);
    assert_int_equal(count_rows(f), 5);
}

static void
altered_or_moved_answers_do_not_open(void **state)
{
    struct fx *f = *state;
    struct store_idem_request r1 = req(ROUTE, 10, 10, T0, DAY_MS);
    struct store_idem_request r2 = req(ROUTE, 11, 11, T0, DAY_MS);
    int64_t id1 = begin_expect(f, &r1, RCM_IDEMPOTENCY_NEW);
    int64_t id2 = begin_expect(f, &r2, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(finish(f, id1, 201, "{\"id\":1}", T0), RCM_OK);

    /* row 1's answer copied into row 2 */
    write_q(f, (struct q){.sql = &T_MOVE, .i = {id1, id2}});
    struct begun b = begin_as(f, &f->a, &r2);
    assert_int_equal(b.err, RCM_E_CRYPTO);
    assert_null(b.answer.mem);
    /* one bit of row 1's answer flipped */
    struct q stored = stored_response(f, id1);
    stored.bytes[stored.n - 1] ^= 1;
    write_q(f, (struct q){.sql = &T_SET_RESPONSE, .i = {id1}, .blob = stored.bytes,
                          .blob_len = stored.n});
    b = begin_as(f, &f->a, &r1);
    assert_int_equal(b.err, RCM_E_CRYPTO);
    /* refused replays are not audited */
    assert_int_equal(count_audit(f, "idempotency.replay", "req-first"), 0);
    /* under another key nothing opens */
    stored.bytes[stored.n - 1] ^= 1;
    write_q(f, (struct q){.sql = &T_SET_RESPONSE, .i = {id1}, .blob = stored.bytes,
                          .blob_len = stored.n});
    begin_expect(f, &r1, RCM_IDEMPOTENCY_REPLAY);
    rcm_key_generate(&f->seal, f->seal.key_id);
    b = begin_as(f, &f->a, &r1);
    assert_int_equal(b.err, RCM_E_CRYPTO);
}

/* SQLite gives a new row the id of a deleted newest one: an answer saved
 * from the deleted row does not open in its successor. (Restoring a row
 * whole, with the same principal, key and request, restores its answer,
 * as restoring a backup would.) */
static void
answers_do_not_outlive_their_row(void **state)
{
    struct fx *f = *state;
    struct store_idem_request old = req(ROUTE, 12, 12, T0, 10);
    int64_t id = begin_expect(f, &old, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(finish(f, id, 201, "{\"id\":1}", T0), RCM_OK);
    struct q saved = stored_response(f, id);
    assert_true(saved.n > 0);
    /* expired and pruned by the release of another */
    struct rcm_diag d = RCM_DIAG_INIT;
    struct store_idem_request other = req(ROUTE, 13, 13, T0 + 100, DAY_MS);
    int64_t tmp = begin_expect(f, &other, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(store_idempotency_release(f->s->store, &f->a, tmp, T0 + 100, &d), RCM_OK);
    assert_int_equal(count_rows(f), 0);
    /* the next row, for another key (on SQLite with the deleted row's id) */
    struct store_idem_request next_req = req(ROUTE, 14, 12, T0 + 200, DAY_MS);
    int64_t next = begin_expect(f, &next_req, RCM_IDEMPOTENCY_NEW);
    if (strcmp(store_fx_backend, "sqlite") == 0)
        assert_int_equal(next, id);
    write_q(f, (struct q){.sql = &T_SET_RESPONSE, .i = {next}, .blob = saved.bytes,
                          .blob_len = saved.n});
    struct begun b = begin_as(f, &f->a, &next_req);
    assert_int_equal(b.err, RCM_E_CRYPTO);
    rcm_idempotency_answer_release(&b.answer);
}

static void
key_text_and_arguments_checked(void **state)
{
    struct fx *f = *state;
    char longest[RCM_IDEMPOTENCY_KEY_MAX + 2];
    memset(longest, 'k', sizeof longest - 1);
    longest[RCM_IDEMPOTENCY_KEY_MAX + 1] = '\0';
    assert_false(rcm_idempotency_key_valid(longest));
    longest[RCM_IDEMPOTENCY_KEY_MAX] = '\0';
    assert_true(rcm_idempotency_key_valid(longest));
    assert_true(rcm_idempotency_key_valid(" a~"));
    const char *bad[] = {NULL, "", "a\tb", "a\x7f", "caf\xc3\xa9", "a\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(rcm_idempotency_key_valid(bad[i]));

    uint8_t hash[RCM_SHA256_BYTES] = {0};
    enum rcm_idempotency_state st;
    int64_t id;
    struct rcm_idempotency_answer ans;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_store *s = f->s->store;
    struct rcm_actor sys = {.type = "system"};
    assert_int_equal(rcm_store_idempotency_begin(s, &f->a, ROUTE, "a\tb", hash, 1000, &st, &id,
                                                 &ans, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_idempotency_begin(s, &sys, ROUTE, "k", hash, 1000, &st, &id,
                                                 &ans, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_idempotency_begin(s, &f->a, "", "k", hash, 1000, &st, &id, &ans,
                                                 &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_idempotency_begin(s, &f->a, ROUTE, "k", hash, 0, &st, &id, &ans,
                                                 &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_idempotency_finish(s, &f->a, 1, 99, "application/json", "", 0,
                                                  &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_idempotency_finish(s, &f->a, 1, 200, "a\nb", "", 0, &d),
                     RCM_E_INVAL);
    assert_int_equal(rcm_store_idempotency_finish(s, &f->a, 1, 200, "application/json", "x",
                                                  RCM_IDEMPOTENCY_BODY_MAX + 1, &d),
                     RCM_E_TOO_LARGE);
    assert_int_equal(rcm_store_idempotency_release(s, &f->a, 0, &d), RCM_E_INVAL);
}

/* The public calls, with the system key. */
static void
public_path(void **state)
{
    (void)state;
    struct fx g = {0};
    g.s = store_fx_new();
    assert_non_null(g.s);
    g.a = (struct rcm_actor){.tenant_id = tenant(&g, "clinic-p"), .type = "user", .user_id = 1,
                             .request_id = "req-public"};
    struct rcm_store *s = g.s->store;
    uint8_t hash[RCM_SHA256_BYTES];
    rcm_sha256("/v1/patients\0{}", 15, hash);
    enum rcm_idempotency_state st;
    int64_t id;
    struct rcm_idempotency_answer ans;
    struct rcm_diag d = RCM_DIAG_INIT;
    static const char key[] = "order-Quartzmore-1";
    assert_int_equal(rcm_store_idempotency_begin(s, &g.a, ROUTE, key, hash, DAY_MS, &st, &id,
                                                 &ans, &d), RCM_OK);
    assert_int_equal(st, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(rcm_store_idempotency_finish(s, &g.a, id, 201, "application/json",
                                                  "{\"n\":\"Quartzmore\"}", 18, &d), RCM_OK);
    assert_int_equal(rcm_store_idempotency_begin(s, &g.a, ROUTE, key, hash, DAY_MS, &st, &id,
                                                 &ans, &d), RCM_OK);
    assert_int_equal(st, RCM_IDEMPOTENCY_REPLAY);
    assert_int_equal(ans.body_len, 18);
    assert_memory_equal(ans.body, "{\"n\":\"Quartzmore\"}", 18);
    rcm_idempotency_answer_release(&ans);
    /* stored under the HMAC of the key, not the key; the answer sealed */
    struct q stored = stored_response(&g, id);
    assert_false(contains(stored.bytes, stored.n, "Quartzmore"));
    if (g.s->dir[0]) {      /* SQLite: nor in the files (database, WAL) */
        char cmd[256];
        snprintf(cmd, sizeof cmd, "grep -rqa Quartzmore %s", g.s->dir);
        assert_int_not_equal(system(cmd), 0);
    }
    assert_int_equal(rcm_store_idempotency_begin(s, &g.a, ROUTE, "order-Quartzmore-2", hash,
                                                 DAY_MS, &st, &id, &ans, &d), RCM_OK);
    assert_int_equal(st, RCM_IDEMPOTENCY_NEW);
    assert_int_equal(rcm_store_idempotency_release(s, &g.a, id, &d), RCM_OK);
    store_fx_free(g.s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(first_answer_replayed_sealed_and_audited, setup, teardown),
    cmocka_unit_test_setup_teardown(empty_and_binary_bodies_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(another_request_with_the_key_is_a_mismatch, setup, teardown),
    cmocka_unit_test_setup_teardown(running_until_the_lease_ends, setup, teardown),
    cmocka_unit_test_setup_teardown(released_keys_run_again, setup, teardown),
    cmocka_unit_test_setup_teardown(expired_keys_are_new_and_pruned, setup, teardown),
    cmocka_unit_test_setup_teardown(keys_belong_to_principal_and_route, setup, teardown),
    cmocka_unit_test_setup_teardown(altered_or_moved_answers_do_not_open, setup, teardown),
    cmocka_unit_test_setup_teardown(answers_do_not_outlive_their_row, setup, teardown),
    cmocka_unit_test_setup_teardown(key_text_and_arguments_checked, setup, teardown),
    cmocka_unit_test_setup_teardown(public_path, setup, teardown),
};

STORE_FIXTURE_MAIN(tests)
