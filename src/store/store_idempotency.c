/*
 * store_idempotency.c — rows of idempotency_key, on either database: the
 * first answer to a request made with a client's Idempotency-Key, so that a
 * repeat gets that answer instead of a second patient (migration 0013).
 *
 * A row is recorded as running before the work is done (INSERT … ON
 * CONFLICT DO NOTHING, so of concurrent requests with one key exactly one
 * inserts; on PostgreSQL the others wait for it and are re-run by db_write
 * on a fresh snapshot), then given the answer, sealed, or deleted when the
 * answer is not to be kept. Sealing uses the key store.c derives from the
 * system key; the associated data binds tenant, table, column and the row:
 * its id and a digest of what it answers (principal, route, key, request),
 * so an answer cannot be moved to another row, tenant or request — not even
 * to a row that got the id of a deleted one (SQLite reuses the largest).
 *
 * What this is not: the HTTP side (which routes, which statuses are kept,
 * the request hash) is src/api/api_idempotency.c.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/mem.h"
#include "store/db.h"
#include "store/store_int.h"

#define TABLE "idempotency_key"
#define COLUMN "response"

/* ?1..?5 name one key of one principal on one route */
#define IDEM_IDENTITY                                                          \
    "tenant_id = ?1 AND actor_type = ?2 AND actor_id = ?3 AND route = ?4 AND "  \
    "key_hash = ?5"

static const struct db_sql IDEM_DROP_EXPIRED = {
    "IDEM_DROP_EXPIRED", "DELETE FROM idempotency_key WHERE " IDEM_IDENTITY
    " AND expires_ms <= ?6", NULL};
static const struct db_sql IDEM_INSERT = {
    "IDEM_INSERT", "INSERT INTO idempotency_key(tenant_id, actor_type, actor_id, route, "
    "key_hash, request_hash, request_id, created_ms, expires_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING RETURNING id", NULL};
static const struct db_sql IDEM_GET = {
    "IDEM_GET", "SELECT id, request_hash, request_id, created_ms, status, response "
    "FROM idempotency_key WHERE " IDEM_IDENTITY, NULL};
static const struct db_sql IDEM_TAKE_OVER = {
    "IDEM_TAKE_OVER", "UPDATE idempotency_key SET request_id = ?2, created_ms = ?3, "
    "expires_ms = ?4 WHERE id = ?1 AND status IS NULL AND created_ms = ?5", NULL};
static const struct db_sql IDEM_RUNNING = {
    "IDEM_RUNNING", "SELECT route, key_hash, request_hash FROM idempotency_key "
    "WHERE id = ?1 AND tenant_id = ?2 AND actor_type = ?3 AND actor_id = ?4 "
    "AND status IS NULL", NULL};
static const struct db_sql IDEM_FINISH = {
    "IDEM_FINISH", "UPDATE idempotency_key SET status = ?5, response = ?6 "
    "WHERE id = ?1 AND tenant_id = ?2 AND actor_type = ?3 AND actor_id = ?4 "
    "AND status IS NULL", NULL};
static const struct db_sql IDEM_RELEASE = {
    "IDEM_RELEASE", "DELETE FROM idempotency_key WHERE id = ?1 AND tenant_id = ?2 "
    "AND actor_type = ?3 AND actor_id = ?4 AND status IS NULL", NULL};
static const struct db_sql IDEM_PRUNE = {
    "IDEM_PRUNE", "DELETE FROM idempotency_key WHERE id IN (SELECT id FROM "
    "idempotency_key WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT ?2)", NULL};

/* "SSS " + content type + "\n" before the body, inside the envelope, so
 * status and type are as authenticated as the body. */
#define HEAD_MAX (4 + RCM_IDEMPOTENCY_TYPE_MAX + 1)

static void
bind_identity(struct db_stmt *st, const struct rcm_actor *actor,
              const struct store_idem_request *r)
{
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_text(st, 2, actor->type);
    db_bind_i64(st, 3, actor->user_id);
    db_bind_text(st, 4, r->route);
    db_bind_blob(st, 5, r->key_hash, RCM_SHA256_BYTES);
}

/* What an answer is bound to besides its tenant: the row and what it
 * answers. */
struct answer_row {
    int64_t id;
    const struct rcm_actor *actor;
    const char *route;
    const uint8_t *key_hash, *request_hash;
};

/* Associated data of a row's answer: tenant, table, column, and as the row
 * "<id>-<40 hex digits of SHA-256 of actor type, actor id, route, key hash
 * and request hash>". */
static enum rcm_err
answer_aad(const struct answer_row *r, uint8_t aad[RCM_AEAD_AAD_MAX_BYTES], size_t *len)
{
    char tid[24], num[24], row[24 + 41];
    uint8_t digest[RCM_SHA256_BYTES];
    struct rcm_sha256_ctx h;
    if (rcm_sha256_init(&h) != RCM_OK)
        return RCM_E_NOMEM;
    snprintf(num, sizeof num, "%lld", (long long)r->actor->user_id);
    rcm_sha256_update(&h, r->actor->type, strlen(r->actor->type) + 1);
    rcm_sha256_update(&h, num, strlen(num) + 1);
    rcm_sha256_update(&h, r->route, strlen(r->route) + 1);
    rcm_sha256_update(&h, r->key_hash, RCM_SHA256_BYTES);
    rcm_sha256_update(&h, r->request_hash, RCM_SHA256_BYTES);
    rcm_sha256_final(&h, digest);
    char hex[2 * RCM_SHA256_BYTES + 1];
    rcm_hex_encode(digest, sizeof digest, hex);
    snprintf(tid, sizeof tid, "%lld", (long long)r->actor->tenant_id);
    snprintf(row, sizeof row, "%lld-%.40s", (long long)r->id, hex);
    return rcm_aead_aad_build(tid, TABLE, COLUMN, row, aad, RCM_AEAD_AAD_MAX_BYTES, len);
}

/* A broken constraint is a database error here: nothing a caller can fix
 * (the unique key is handled by ON CONFLICT). Busy and the rest pass
 * unchanged. */
static enum rcm_err
write_failed(enum rcm_err err, const char *what, struct rcm_diag *diag)
{
    if (err != RCM_E_CONFLICT)
        return err;
    return rcm_diag_fail(diag, RCM_E_DB, "%s: constraint violation", what);
}

void
rcm_idempotency_answer_release(struct rcm_idempotency_answer *a)
{
    if (a->mem) {
        rcm_crypto_wipe(a->mem, a->mem_len);
        rcm_free(a->mem);
    }
    *a = (struct rcm_idempotency_answer){0};
}

/* Open a row's envelope into *a (its own memory) and split it. */
static enum rcm_err
open_answer(const struct rcm_key *seal, const struct answer_row *row, const uint8_t *env,
            size_t env_len, struct rcm_idempotency_answer *a, struct rcm_diag *diag)
{
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0, n = 0;
    long long id = (long long)row->id;
    if (env_len < RCM_AEAD_OVERHEAD_BYTES + 5)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "idempotency key %lld: stored answer is "
                             "truncated", id);
    a->mem_len = env_len - RCM_AEAD_OVERHEAD_BYTES;
    if (!(a->mem = rcm_malloc(a->mem_len)))
        return RCM_E_NOMEM;
    enum rcm_err err = answer_aad(row, aad, &aad_len);
    if (!err)
        err = rcm_aead_open(seal, aad, aad_len, env, env_len, a->mem, a->mem_len, &n);
    if (err)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "idempotency key %lld: stored answer does "
                             "not open (altered or moved)", id);
    char *p = a->mem;
    char *nl = memchr(p, '\n', n < HEAD_MAX ? n : HEAD_MAX);
    bool ok = nl && nl - p >= 4 && p[3] == ' ';
    for (int i = 0; ok && i < 3; i++)
        ok = p[i] >= '0' && p[i] <= '9';
    if (!ok)
        return rcm_diag_fail(diag, RCM_E_DB, "idempotency key %lld: stored answer is "
                             "malformed", id);
    a->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    *nl = '\0';
    a->content_type = p + 4;
    a->body = nl + 1;
    a->body_len = n - (size_t)(nl + 1 - p);
    return RCM_OK;
}

/* ---- begin ---------------------------------------------------------------- */

struct begin_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct rcm_key *seal;
    const struct store_idem_request *r;
    enum rcm_idempotency_state *state;
    int64_t *id;
    struct rcm_idempotency_answer *answer;
};

/* Record the key as running; *inserted false when a row exists. */
static enum rcm_err
insert_running(struct db_tx *tx, struct begin_args *a, bool *inserted, struct rcm_diag *diag)
{
    const struct store_idem_request *r = a->r;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &IDEM_DROP_EXPIRED, &st, diag);
    if (err)
        return err;
    /* an expired row is as good as none, whether pruned yet or not */
    bind_identity(st, a->actor, r);
    db_bind_i64(st, 6, r->now_ms);
    if ((err = db_exec(st, diag)))
        return write_failed(err, "drop expired idempotency key", diag);
    if ((err = db_prepare(tx, &IDEM_INSERT, &st, diag)))
        return err;
    bind_identity(st, a->actor, r);
    db_bind_blob(st, 6, r->request_hash, RCM_SHA256_BYTES);
    db_bind_text(st, 7, a->actor->request_id ? a->actor->request_id : "");
    db_bind_i64(st, 8, r->now_ms);
    db_bind_i64(st, 9, r->now_ms + r->ttl_ms);
    if ((err = db_step(st, inserted, diag)))
        return write_failed(err, "record idempotency key", diag);
    if (*inserted)
        *a->id = db_col_i64(st, 0);
    return RCM_OK;
}

/* The first request ran out of its lease: this one runs instead. */
static enum rcm_err
take_over(struct db_tx *tx, struct begin_args *a, int64_t id, int64_t seen_created_ms,
          struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &IDEM_TAKE_OVER, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, id);
    db_bind_text(st, 2, a->actor->request_id ? a->actor->request_id : "");
    db_bind_i64(st, 3, a->r->now_ms);
    db_bind_i64(st, 4, a->r->now_ms + a->r->ttl_ms);
    db_bind_i64(st, 5, seen_created_ms);
    if ((err = db_exec(st, diag)))
        return write_failed(err, "take over idempotency key", diag);
    if (db_changes(st) != 1)    /* cannot happen inside one serializable transaction */
        return rcm_diag_fail(diag, RCM_E_BUSY, "idempotency key changed meanwhile");
    *a->id = id;
    *a->state = RCM_IDEMPOTENCY_NEW;
    return RCM_OK;
}

/* Hand the stored answer out again, audited with the first request's id. */
static enum rcm_err
replay(struct db_tx *tx, struct begin_args *a, struct db_stmt *st, int64_t id,
       struct rcm_diag *diag)
{
    size_t env_len = 0, rid_len = 0;
    const uint8_t *env = db_col_blob(st, 5, &env_len);
    const char *rid = db_col_text(st, 2, &rid_len);
    char first[65];
    snprintf(first, sizeof first, "%s", rid ? rid : "");
    struct answer_row ar = {id, a->actor, a->r->route, a->r->key_hash, a->r->request_hash};
    enum rcm_err err = open_answer(a->seal, &ar, env, env_len, a->answer, diag);
    if (err)
        return err;
    struct rcm_audit_what what = {"idempotency.replay", "request", first, NULL, "success"};
    if ((err = store_audit_write(a->s, tx, a->actor, &what, a->r->now_ms, diag)))
        return err;
    *a->id = id;
    *a->state = RCM_IDEMPOTENCY_REPLAY;
    return RCM_OK;
}

static enum rcm_err
begin_key(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct begin_args *a = ctx;
    /* outputs reset: db_write may run this again */
    *a->state = RCM_IDEMPOTENCY_NEW;
    *a->id = 0;
    rcm_idempotency_answer_release(a->answer);
    bool inserted = false, row = false;
    enum rcm_err err = insert_running(tx, a, &inserted, diag);
    if (err || inserted)
        return err;

    struct db_stmt *st;
    if ((err = db_prepare(tx, &IDEM_GET, &st, diag)))
        return err;
    bind_identity(st, a->actor, a->r);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)   /* the insert found a row this snapshot cannot: PostgreSQL re-runs */
        return rcm_diag_fail(diag, RCM_E_BUSY, "idempotency key changed meanwhile");
    int64_t id = db_col_i64(st, 0);
    size_t hash_len = 0;
    const uint8_t *hash = db_col_blob(st, 1, &hash_len);
    if (!hash || hash_len != RCM_SHA256_BYTES)
        return rcm_diag_fail(diag, RCM_E_DB, "idempotency key %lld: malformed row",
                             (long long)id);
    if (!rcm_crypto_equal(hash, a->r->request_hash, RCM_SHA256_BYTES)) {
        *a->state = RCM_IDEMPOTENCY_MISMATCH;
        return RCM_OK;
    }
    if (!db_col_is_null(st, 4))
        return replay(tx, a, st, id, diag);
    int64_t created_ms = db_col_i64(st, 3);
    if (a->r->now_ms - created_ms >= RCM_IDEMPOTENCY_LEASE_MS)
        return take_over(tx, a, id, created_ms, diag);
    *a->state = RCM_IDEMPOTENCY_IN_PROGRESS;
    return RCM_OK;
}

enum rcm_err
store_idempotency_begin(struct rcm_store *s, const struct rcm_actor *actor,
                        const struct rcm_key *seal, const struct store_idem_request *r,
                        enum rcm_idempotency_state *state, int64_t *id,
                        struct rcm_idempotency_answer *answer, struct rcm_diag *diag)
{
    struct begin_args a = {s, actor, seal, r, state, id, answer};
    *answer = (struct rcm_idempotency_answer){0};
    enum rcm_err err = db_write(s->db, begin_key, &a, diag);
    if (err) {
        *state = RCM_IDEMPOTENCY_NEW;
        *id = 0;
        rcm_idempotency_answer_release(answer);
    }
    return err;
}

/* ---- finish and release ------------------------------------------------------ */

static enum rcm_err
prune(struct db_tx *tx, int64_t now_ms, struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &IDEM_PRUNE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, now_ms);
    db_bind_i64(st, 2, STORE_IDEM_PRUNE_BATCH);
    err = db_exec(st, diag);
    return err ? write_failed(err, "prune idempotency keys", diag) : RCM_OK;
}

struct end_args {
    const struct rcm_actor *actor;
    const struct rcm_key *seal;
    int64_t id;
    int status;                 /* 0: release */
    const uint8_t *plain;       /* the answer as sealed (see HEAD_MAX) */
    size_t plain_len;
    uint8_t *env;               /* room for it sealed */
    size_t env_cap;
    int64_t now_ms;
    bool gone;                  /* out: the row was not running */
};

static void
bind_running(struct db_stmt *st, const struct end_args *a)
{
    db_bind_i64(st, 1, a->id);
    db_bind_i64(st, 2, a->actor->tenant_id);
    db_bind_text(st, 3, a->actor->type);
    db_bind_i64(st, 4, a->actor->user_id);
}

/* Seal the answer for the running row (read for what it answers) into
 * a->env; *running false when the row is not running (or not the actor's). */
static enum rcm_err
seal_for_row(struct db_tx *tx, struct end_args *a, size_t *env_len, bool *running,
             struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &IDEM_RUNNING, &st, diag);
    if (err)
        return err;
    bind_running(st, a);
    if ((err = db_step(st, running, diag)) || !*running)
        return err;
    size_t kn = 0, rn = 0;
    const char *route = db_col_text(st, 0, NULL);
    const uint8_t *key_hash = db_col_blob(st, 1, &kn), *request_hash = db_col_blob(st, 2, &rn);
    if (!route || kn != RCM_SHA256_BYTES || rn != RCM_SHA256_BYTES)
        return rcm_diag_fail(diag, RCM_E_DB, "idempotency key %lld: malformed row",
                             (long long)a->id);
    struct answer_row row = {a->id, a->actor, route, key_hash, request_hash};
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0;
    err = answer_aad(&row, aad, &aad_len);
    if (!err)
        err = rcm_aead_seal(a->seal, aad, aad_len, a->plain, a->plain_len, a->env, a->env_cap,
                            env_len);
    return err ? rcm_diag_fail(diag, err, "cannot seal the answer") : RCM_OK;
}

static enum rcm_err
end_key(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct end_args *a = ctx;
    struct db_stmt *st;
    size_t env_len = 0;
    bool running = true;
    a->gone = false;
    enum rcm_err err = a->status ? seal_for_row(tx, a, &env_len, &running, diag) : RCM_OK;
    if (!err && running && !(err = db_prepare(tx, a->status ? &IDEM_FINISH : &IDEM_RELEASE,
                                              &st, diag))) {
        bind_running(st, a);
        if (a->status) {
            db_bind_i64(st, 5, a->status);
            db_bind_blob(st, 6, a->env, env_len);
        }
        if ((err = db_exec(st, diag)))
            err = write_failed(err, a->status ? "store idempotent answer"
                                              : "release idempotency key", diag);
    }
    /* pruned even when there was nothing to store: committed, so not an
     * error here (the caller hears of it after the commit) */
    a->gone = !running;
    return err ? err : prune(tx, a->now_ms, diag);
}

enum rcm_err
store_idempotency_finish(struct rcm_store *s, const struct rcm_actor *actor,
                         const struct rcm_key *seal, int64_t id, int status,
                         const char *content_type, const void *body, size_t body_len,
                         int64_t now_ms, struct rcm_diag *diag)
{
    size_t type_len = strlen(content_type);
    size_t head_len = 4 + type_len + 1, plain_len = head_len + body_len;
    size_t env_cap = plain_len + RCM_AEAD_OVERHEAD_BYTES;
    /* +1: room for snprintf's NUL when the body is empty */
    uint8_t *plain = rcm_malloc(plain_len + 1), *env = rcm_malloc(env_cap);
    enum rcm_err err = RCM_E_NOMEM;
    if (plain && env) {
        snprintf((char *)plain, head_len + 1, "%03d %s\n", status, content_type);
        if (body_len)
            memcpy(plain + head_len, body, body_len);
        struct end_args a = {actor, seal, id, status, plain, plain_len, env, env_cap, now_ms,
                             false};
        err = db_write(s->db, end_key, &a, diag);
        if (!err && a.gone)
            err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "the idempotency key is no longer "
                                "running");
    }
    if (plain)
        rcm_crypto_wipe(plain, plain_len + 1);
    rcm_free(plain);
    rcm_free(env);
    return err;
}

enum rcm_err
store_idempotency_release(struct rcm_store *s, const struct rcm_actor *actor, int64_t id,
                          int64_t now_ms, struct rcm_diag *diag)
{
    struct end_args a = {actor, NULL, id, 0, NULL, 0, NULL, 0, now_ms, false};
    return db_write(s->db, end_key, &a, diag);
}
