/*
 * store_key_rows.c — wrapped keys as stored, on either database, and the
 * bookkeeping of key rotations. System keys (tenant_id 0) live in
 * system_key, a tenant's in tenant_key; unwrapping them is store_keys.c.
 */
#include <string.h>

#include "rcm/crypto.h"
#include "rcm/mem.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

static const struct db_sql KEY_GET = {
    "KEY_GET", "SELECT wrapped FROM tenant_key WHERE tenant_id = ?1 AND purpose = ?2",
    NULL};
static const struct db_sql SYSTEM_KEY_GET = {
    "SYSTEM_KEY_GET", "SELECT wrapped FROM system_key WHERE purpose = ?1", NULL};
/* a racing creator wins; the caller reads back */
static const struct db_sql KEY_PUT = {
    "KEY_PUT", "INSERT INTO tenant_key(tenant_id, purpose, wrapped, created_ms) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING", NULL};
static const struct db_sql SYSTEM_KEY_PUT = {
    "SYSTEM_KEY_PUT", "INSERT INTO system_key(purpose, wrapped, created_ms) "
    "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING", NULL};
static const struct db_sql KEYS_ALL = {
    "KEYS_ALL", "SELECT 0, purpose, wrapped FROM system_key UNION ALL "
    "SELECT tenant_id, purpose, wrapped FROM tenant_key", NULL};
static const struct db_sql KEY_SET = {
    "KEY_SET", "UPDATE tenant_key SET wrapped = ?3 WHERE tenant_id = ?1 AND purpose = ?2",
    NULL};
static const struct db_sql SYSTEM_KEY_SET = {
    "SYSTEM_KEY_SET", "UPDATE system_key SET wrapped = ?2 WHERE purpose = ?1", NULL};
/* bytes 2-5 of an envelope: the id of the key that wrapped it */
static const struct db_sql PATIENT_KEYS_OTHER = {
    "PATIENT_KEYS_OTHER", "SELECT count(*) FROM patient_key WHERE tenant_id = ?1 AND "
    "substr(wrapped, 2, 4) != ?2",
    "SELECT count(*) FROM patient_key WHERE tenant_id = ?1 AND "
    "substring(wrapped from 2 for 4) <> ?2"};
static const struct db_sql TENANT_KEY_PROMOTE = {
    "TENANT_KEY_PROMOTE", "UPDATE tenant_key AS t SET wrapped = n.wrapped, "
    "created_ms = ?2 FROM tenant_key AS n WHERE t.tenant_id = ?1 AND n.tenant_id = ?1 "
    "AND n.purpose = t.purpose || '-next'", NULL};
static const struct db_sql TENANT_KEY_DROP_NEXT = {
    "TENANT_KEY_DROP_NEXT", "DELETE FROM tenant_key WHERE tenant_id = ?1 AND "
    "purpose IN ('data-next', 'index-next')", NULL};
static const struct db_sql ROTATION_FIND = {
    "ROTATION_FIND", "SELECT id, done FROM key_rotation WHERE kind = ?1 AND "
    "coalesce(tenant_id, 0) = ?2 AND state = 'running'", NULL};
/* the cast: PostgreSQL would infer int4 for ?2 from nullif's 0 */
static const struct db_sql ROTATION_INSERT = {
    "ROTATION_INSERT", "INSERT INTO key_rotation(kind, tenant_id, state, total, done, "
    "started_ms, updated_ms) VALUES (?1, nullif(CAST(?2 AS bigint), 0), 'running', ?3, 0, "
    "?4, ?4) RETURNING id", NULL};
static const struct db_sql ROTATION_UPDATE = {
    "ROTATION_UPDATE", "UPDATE key_rotation SET done = ?2, state = ?3, updated_ms = ?4, "
    "total = max(total, ?2) WHERE id = ?1",
    "UPDATE key_rotation SET done = ?2, state = ?3, updated_ms = ?4, "
    "total = greatest(total, ?2) WHERE id = ?1"};
static const struct db_sql ROTATION_LIST = {
    "ROTATION_LIST", "SELECT id, kind, coalesce(tenant_id, 0), state, total, done, "
    "started_ms, updated_ms FROM key_rotation ORDER BY id DESC", NULL};

/* ---- wrapped keys ------------------------------------------------------- */

struct key_args {
    int64_t tenant_id;
    const char *purpose;
    uint8_t *out;               /* key_get */
    const uint8_t *wrapped;     /* key_put */
    int64_t now_ms;
};

static enum rcm_err
key_get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct key_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, a->tenant_id ? &KEY_GET : &SYSTEM_KEY_GET, &st, diag);
    if (err)
        return err;
    if (a->tenant_id) {
        db_bind_i64(st, 1, a->tenant_id);
        db_bind_text(st, 2, a->purpose);
    } else {
        db_bind_text(st, 1, a->purpose);
    }
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such key");
    if (!db_col_blob_exact(st, 0, a->out, RCM_KEY_WRAPPED_BYTES))
        memset(a->out, 0, RCM_KEY_WRAPPED_BYTES);
    return RCM_OK;
}

enum rcm_err
store_key_get(struct rcm_store *s, int64_t tenant_id, const char *purpose,
              uint8_t out[RCM_KEY_WRAPPED_BYTES], struct rcm_diag *diag)
{
    struct key_args a = {tenant_id, purpose, out, NULL, 0};
    return store_read(s, key_get_fn, &a, diag);
}

static enum rcm_err
key_put_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct key_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, a->tenant_id ? &KEY_PUT : &SYSTEM_KEY_PUT, &st, diag);
    if (err)
        return err;
    int i = 1;
    if (a->tenant_id)
        db_bind_i64(st, i++, a->tenant_id);
    db_bind_text(st, i++, a->purpose);
    db_bind_blob(st, i++, a->wrapped, RCM_KEY_WRAPPED_BYTES);
    db_bind_i64(st, i, a->now_ms);
    return db_exec(st, diag);
}

enum rcm_err
store_key_put(struct rcm_store *s, int64_t tenant_id, const char *purpose,
              const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES], int64_t now_ms,
              struct rcm_diag *diag)
{
    struct key_args a = {tenant_id, purpose, NULL, wrapped, now_ms};
    return db_write(s->db, key_put_fn, &a, diag);
}

/* ---- master rotation ---------------------------------------------------- */

#define REWRAP_BATCH_MAX 10000

struct key_row {
    int64_t tenant_id;
    char purpose[40];
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
};

struct rewrap_args {
    store_rewrap_fn fn;
    void *ctx;
    struct key_row *rows;
    int n, cap;
};

/* Every key row, read first (at most cap - 1 of them), then re-wrapped and
 * written back one by one. */
static enum rcm_err
rewrap_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct rewrap_args *a = ctx;
    struct db_stmt *st;
    bool row, bad = false;
    a->n = 0;
    enum rcm_err err = db_prepare(tx, &KEYS_ALL, &st, diag);
    while (!err && !(err = db_step(st, &row, diag)) && row && a->n < a->cap) {
        struct key_row *r = &a->rows[a->n++];
        r->tenant_id = db_col_i64(st, 0);
        rcm_str_copy(r->purpose, sizeof r->purpose, rcm_str_c(db_col_str(st, 1)));
        if (!db_col_blob_exact(st, 2, r->wrapped, RCM_KEY_WRAPPED_BYTES))
            bad = true;
    }
    if (err)
        return err;
    if (bad || a->n == a->cap)
        return rcm_diag_fail(diag, RCM_E_DB, "key table malformed or too large");
    for (int i = 0; i < a->n; i++) {
        struct key_row *r = &a->rows[i];
        uint8_t out[RCM_KEY_WRAPPED_BYTES];
        if ((err = a->fn(a->ctx, r->tenant_id, r->purpose, r->wrapped, out)))
            return err;
        if ((err = db_prepare(tx, r->tenant_id ? &KEY_SET : &SYSTEM_KEY_SET, &st, diag)))
            return err;
        if (r->tenant_id) {
            db_bind_i64(st, 1, r->tenant_id);
            db_bind_text(st, 2, r->purpose);
            db_bind_blob(st, 3, out, RCM_KEY_WRAPPED_BYTES);
        } else {
            db_bind_text(st, 1, r->purpose);
            db_bind_blob(st, 2, out, RCM_KEY_WRAPPED_BYTES);
        }
        err = db_exec(st, diag);
        rcm_crypto_wipe(out, sizeof out);
        if (err)
            return err;
    }
    return RCM_OK;
}

enum rcm_err
store_keys_rewrap_all(struct rcm_store *s, store_rewrap_fn fn, void *ctx, int64_t *n,
                      struct rcm_diag *diag)
{
    *n = 0;
    struct rewrap_args a = {fn, ctx, NULL, 0, REWRAP_BATCH_MAX};
    if (!(a.rows = rcm_calloc((size_t)a.cap, sizeof *a.rows)))
        return RCM_E_NOMEM;
    enum rcm_err err = db_write(s->db, rewrap_fn, &a, diag);
    if (!err)
        *n = a.n;
    rcm_crypto_wipe(a.rows, (size_t)a.cap * sizeof *a.rows);
    rcm_free(a.rows);
    return err;
}

/* ---- tenant rotation ---------------------------------------------------- */

struct promote_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t tenant_id;
    uint8_t key_id[4];          /* big-endian, as in the envelope */
    int64_t now_ms;
};

static enum rcm_err
promote_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct promote_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PATIENT_KEYS_OTHER, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_blob(st, 2, a->key_id, sizeof a->key_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    int64_t left = row ? db_col_i64(st, 0) : 0;
    if (left > 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "%lld patient keys still under the old "
                             "tenant key", (long long)left);
    if ((err = db_prepare(tx, &TENANT_KEY_PROMOTE, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->now_ms);
    if ((err = db_exec(st, diag)))
        return err;
    if ((err = db_prepare(tx, &TENANT_KEY_DROP_NEXT, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    if ((err = db_exec(st, diag)))
        return err;
    return store_audit_object(a->s, tx, a->actor, "keys.rotate", "tenant_key", a->tenant_id,
                              a->now_ms, diag);
}

enum rcm_err
store_tenant_key_promote(struct rcm_store *s, const struct rcm_actor *actor,
                         int64_t tenant_id, uint32_t next_id, int64_t now_ms,
                         struct rcm_diag *diag)
{
    struct promote_args a = {s, actor, tenant_id,
                             {(uint8_t)(next_id >> 24), (uint8_t)(next_id >> 16),
                              (uint8_t)(next_id >> 8), (uint8_t)next_id},
                             now_ms};
    return db_write(s->db, promote_fn, &a, diag);
}

/* ---- rotation jobs ------------------------------------------------------ */

struct begin_args {
    const char *kind;
    int64_t tenant_id, total, now_ms;
    int64_t id, done;
};

/* The running job of this kind and tenant, or a new one. */
static enum rcm_err
rotation_begin_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct begin_args *a = ctx;
    struct db_stmt *st;
    bool row;
    a->id = a->done = 0;
    enum rcm_err err = db_prepare(tx, &ROTATION_FIND, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, a->kind);
    db_bind_i64(st, 2, a->tenant_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (row) {
        a->id = db_col_i64(st, 0);
        a->done = db_col_i64(st, 1);
    }
    if (a->id)
        return RCM_OK;
    if ((err = db_prepare(tx, &ROTATION_INSERT, &st, diag)))
        return err;
    db_bind_text(st, 1, a->kind);
    db_bind_i64(st, 2, a->tenant_id);
    db_bind_i64(st, 3, a->total);
    db_bind_i64(st, 4, a->now_ms);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_DB, "start rotation: no id returned");
    a->id = db_col_i64(st, 0);
    return RCM_OK;
}

enum rcm_err
store_rotation_begin(struct rcm_store *s, const char *kind, int64_t tenant_id, int64_t total,
                     int64_t now_ms, int64_t *id, int64_t *done, struct rcm_diag *diag)
{
    struct begin_args a = {kind, tenant_id, total, now_ms, 0, 0};
    enum rcm_err err = db_write(s->db, rotation_begin_fn, &a, diag);
    *id = a.id;
    *done = a.done;
    return err;
}

struct progress_args {
    int64_t id, done;
    bool finished;
    int64_t now_ms;
};

static enum rcm_err
progress_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct progress_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &ROTATION_UPDATE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_i64(st, 2, a->done);
    db_bind_text(st, 3, a->finished ? "done" : "running");
    db_bind_i64(st, 4, a->now_ms);
    return db_exec(st, diag);
}

enum rcm_err
store_rotation_progress(struct rcm_store *s, int64_t id, int64_t done, bool finished,
                        int64_t now_ms, struct rcm_diag *diag)
{
    struct progress_args a = {id, done, finished, now_ms};
    return db_write(s->db, progress_fn, &a, diag);
}

struct list_args {
    rcm_key_rotation_fn fn;
    void *ctx;
};

static enum rcm_err
list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct list_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &ROTATION_LIST, &st, diag);
    while (!err && !(err = db_step(st, &row, diag)) && row) {
        struct rcm_key_rotation r = {
            .id = db_col_i64(st, 0),
            .kind = db_col_str(st, 1),
            .tenant_id = db_col_i64(st, 2),
            .state = db_col_str(st, 3),
            .total = db_col_i64(st, 4),
            .done = db_col_i64(st, 5),
            .started_ms = db_col_i64(st, 6),
            .updated_ms = db_col_i64(st, 7),
        };
        if (a->fn(a->ctx, &r))
            break;
    }
    return err;
}

enum rcm_err
store_rotation_list(struct rcm_store *s, rcm_key_rotation_fn fn, void *ctx,
                    struct rcm_diag *diag)
{
    struct list_args a = {fn, ctx};
    return store_read(s, list_fn, &a, diag);
}
