/*
 * store_api_key.c — API keys on either database: machine credentials of a
 * tenant, stored only as the hash of the secret; create and revoke are
 * audited in their own transaction.
 */
#include <string.h>

#include "rcm/roles.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define KEY_COLUMNS                                                            \
    "id, tenant_id, created_by, name, role, prefix, created_ms, expires_ms, "   \
    "revoked_ms"

static const struct db_sql KEY_INSERT = {
    "KEY_INSERT", "INSERT INTO api_key(tenant_id, created_by, name, role, prefix, "
    "key_hash, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "RETURNING id", NULL};
static const struct db_sql KEY_LIST = {
    "KEY_LIST", "SELECT " KEY_COLUMNS " FROM api_key WHERE tenant_id = ?1 "
    "ORDER BY id DESC", NULL};
static const struct db_sql KEY_REVOKE = {
    "KEY_REVOKE", "UPDATE api_key SET revoked_ms = ?3 WHERE id = ?1 AND tenant_id = ?2 "
    "AND revoked_ms = 0", NULL};
static const struct db_sql KEY_FIND = {
    "KEY_FIND", "SELECT k.id, k.tenant_id, k.created_by, k.name, k.role, k.prefix, "
    "k.created_ms, k.expires_ms, k.revoked_ms, u.role, u.mfa_enabled, t.mfa_required "
    "FROM api_key k JOIN app_user u ON u.id = k.created_by AND u.tenant_id = "
    "k.tenant_id JOIN tenant t ON t.id = k.tenant_id WHERE k.key_hash = ?1 AND "
    "k.revoked_ms = 0 AND u.disabled = 0", NULL};

/* Row of KEY_COLUMNS -> key. */
static void
key_row(struct db_stmt *st, struct rcm_api_key *k)
{
    memset(k, 0, sizeof *k);
    k->id = db_col_i64(st, 0);
    k->tenant_id = db_col_i64(st, 1);
    k->created_by = db_col_i64(st, 2);
    rcm_str_copy(k->name, sizeof k->name, rcm_str_c(db_col_str(st, 3)));
    k->role = rcm_role_parse(db_col_str(st, 4));
    rcm_str_copy(k->prefix, sizeof k->prefix, rcm_str_c(db_col_str(st, 5)));
    k->created_ms = db_col_i64(st, 6);
    k->expires_ms = db_col_i64(st, 7);
    k->revoked_ms = db_col_i64(st, 8);
}

/* ---- writing ------------------------------------------------------------- */

struct create_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct rcm_api_key *key;
    const char *role, *key_hash;
    int64_t now_ms;
    int64_t id;
};

static enum rcm_err
create_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct create_args *a = ctx;
    struct db_stmt *st;
    bool row;
    a->id = 0;
    enum rcm_err err = db_prepare(tx, &KEY_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->actor->user_id);
    db_bind_text(st, 3, a->key->name);
    db_bind_text(st, 4, a->role);
    db_bind_text(st, 5, a->key->prefix);
    db_bind_text(st, 6, a->key_hash);
    db_bind_i64(st, 7, a->now_ms);
    db_bind_i64(st, 8, a->key->expires_ms);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_DB, "create API key: no id returned");
    a->id = db_col_i64(st, 0);
    return store_audit_object(a->s, tx, a->actor, "apikey.create", "api_key", a->id,
                              a->now_ms, diag);
}

enum rcm_err
store_api_key_create(struct rcm_store *s, const struct rcm_actor *actor,
                     const struct rcm_api_key *key, const char *role, const char *key_hash,
                     int64_t now_ms, int64_t *id, struct rcm_diag *diag)
{
    struct create_args a = {s, actor, key, role, key_hash, now_ms, 0};
    enum rcm_err err = db_write(s->db, create_fn, &a, diag);
    if (!err)
        *id = a.id;
    return err;
}

struct revoke_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t id, now_ms;
};

static enum rcm_err
revoke_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct revoke_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &KEY_REVOKE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_i64(st, 2, a->actor->tenant_id);
    db_bind_i64(st, 3, a->now_ms);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such key");
    return store_audit_object(a->s, tx, a->actor, "apikey.revoke", "api_key", a->id,
                              a->now_ms, diag);
}

enum rcm_err
store_api_key_revoke(struct rcm_store *s, const struct rcm_actor *actor, int64_t id,
                     int64_t now_ms, struct rcm_diag *diag)
{
    struct revoke_args a = {s, actor, id, now_ms};
    return db_write(s->db, revoke_fn, &a, diag);
}

/* ---- reading ------------------------------------------------------------- */

struct list_args {
    int64_t tenant_id;
    rcm_api_key_row_fn fn;
    void *ctx;
};

static enum rcm_err
list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct list_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &KEY_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    struct rcm_api_key k;
    while (!(err = db_step(st, &row, diag)) && row) {
        key_row(st, &k);
        if (a->fn(a->ctx, &k))
            break;
    }
    return err;
}

enum rcm_err
store_api_key_list(struct rcm_store *s, int64_t tenant_id, rcm_api_key_row_fn fn, void *ctx,
                   struct rcm_diag *diag)
{
    struct list_args a = {tenant_id, fn, ctx};
    return store_read(s, list_fn, &a, diag);
}

struct find_args {
    const char *key_hash;
    struct rcm_api_key *out;
};

static enum rcm_err
find_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct find_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &KEY_FIND, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, a->key_hash);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such key");
    struct rcm_api_key *k = a->out;
    key_row(st, k);
    k->creator_role = rcm_role_parse(db_col_str(st, 9));
    k->creator_mfa_enrolled = db_col_i64(st, 10) != 0;
    k->tenant_mfa_required = db_col_i64(st, 11) != 0;
    return RCM_OK;
}

enum rcm_err
store_api_key_find(struct rcm_store *s, const char *key_hash, struct rcm_api_key *out,
                   struct rcm_diag *diag)
{
    struct find_args a = {key_hash, out};
    return store_read(s, find_fn, &a, diag);
}
