/*
 * store_mfa.c — the second factor on either database: a user's sealed TOTP
 * secret, last accepted step and recovery codes; enrolment, confirmation
 * and the single use of a step or code.
 */
#include <string.h>

#include "store/db.h"
#include "store/store_int.h"

/* A user who may act in tenant ?1: one of its own, or of the billing
 * company that manages it (migration 0008). */
#define ACTING_TENANT_USER                                                     \
    "(tenant_id = ?1 OR tenant_id = (SELECT manager_id FROM tenant WHERE "      \
    "id = ?1))"

static const struct db_sql MFA_GET = {
    "MFA_GET", "SELECT mfa_enabled, mfa_last_step, mfa_secret FROM app_user WHERE "
    ACTING_TENANT_USER " AND id = ?2", NULL};
static const struct db_sql MFA_CODES = {
    "MFA_CODES", "SELECT slot, code_hash FROM mfa_recovery WHERE user_id = ?1 AND "
    "used_ms = 0 ORDER BY slot", NULL};
static const struct db_sql MFA_BEGIN = {
    "MFA_BEGIN", "UPDATE app_user SET mfa_secret = ?3 WHERE " ACTING_TENANT_USER
    " AND id = ?2 AND mfa_enabled = 0", NULL};
static const struct db_sql MFA_ENABLE = {
    "MFA_ENABLE", "UPDATE app_user SET mfa_enabled = 1, mfa_last_step = ?3 WHERE "
    ACTING_TENANT_USER " AND id = ?2 AND mfa_enabled = 0 AND mfa_secret IS NOT NULL",
    NULL};
static const struct db_sql MFA_CODES_CLEAR = {
    "MFA_CODES_CLEAR", "DELETE FROM mfa_recovery WHERE user_id = ?1", NULL};
static const struct db_sql MFA_CODE_ADD = {
    "MFA_CODE_ADD", "INSERT INTO mfa_recovery(user_id, slot, code_hash) "
    "VALUES (?1, ?2, ?3)", NULL};
static const struct db_sql MFA_STEP = {
    "MFA_STEP", "UPDATE app_user SET mfa_last_step = ?2 WHERE id = ?1 AND "
    "mfa_last_step < ?2", NULL};
static const struct db_sql MFA_CODE_USE = {
    "MFA_CODE_USE", "UPDATE mfa_recovery SET used_ms = ?3 WHERE user_id = ?1 AND "
    "slot = ?2 AND used_ms = 0", NULL};
static const struct db_sql SESSION_MFA_OK = {
    "SESSION_MFA_OK", "UPDATE session SET mfa_ok = 1 WHERE id = ?1 AND user_id = ?2",
    NULL};

/* ---- reading ------------------------------------------------------------- */

struct get_args {
    int64_t tenant_id, user_id;
    struct rcm_mfa_state *out;
};

/* One read transaction: the user row and its codes agree. */
static enum rcm_err
read_state(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct get_args *a = ctx;
    struct rcm_mfa_state *out = a->out;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &MFA_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->user_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    out->enabled = db_col_i64(st, 0) != 0;
    out->last_step = db_col_i64(st, 1);
    size_t n = 0;
    const void *p = db_col_blob(st, 2, &n);
    if (p && n > 0 && n <= RCM_MFA_SEALED_MAX) {
        memcpy(out->sealed, p, n);
        out->sealed_len = n;
    }

    if ((err = db_prepare(tx, &MFA_CODES, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->user_id);
    while (!(err = db_step(st, &row, diag)) && row &&
           out->n_recovery < RCM_MFA_RECOVERY_CODES) {
        p = db_col_blob(st, 1, &n);
        if (!p || n != 32)
            continue;
        out->recovery_slot[out->n_recovery] = (int)db_col_i64(st, 0);
        memcpy(out->recovery[out->n_recovery], p, 32);
        out->n_recovery++;
    }
    return err;
}

enum rcm_err
store_mfa_get(struct rcm_store *s, int64_t tenant_id, int64_t user_id,
              struct rcm_mfa_state *out, struct rcm_diag *diag)
{
    struct get_args a = {tenant_id, user_id, out};
    memset(out, 0, sizeof *out);
    return store_read(s, read_state, &a, diag);
}

/* ---- writing ------------------------------------------------------------- */

struct begin_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const uint8_t *sealed;
    size_t sealed_len;
    int64_t now_ms;
};

static enum rcm_err
begin_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct begin_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &MFA_BEGIN, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->actor->user_id);
    db_bind_blob(st, 3, a->sealed, a->sealed_len);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the second factor is already on");
    return store_audit_object(a->s, tx, a->actor, "mfa.enroll", "user", a->actor->user_id,
                              a->now_ms, diag);
}

enum rcm_err
store_mfa_begin(struct rcm_store *s, const struct rcm_actor *actor, const uint8_t *sealed,
                size_t sealed_len, int64_t now_ms, struct rcm_diag *diag)
{
    struct begin_args a = {s, actor, sealed, sealed_len, now_ms};
    return db_write(s->db, begin_fn, &a, diag);
}

struct enable_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t step, session_id;
    const uint8_t (*hashes)[32];
    size_t n;
    int64_t now_ms;
};

static enum rcm_err
enable_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct enable_args *a = ctx;
    int64_t user_id = a->actor->user_id;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &MFA_ENABLE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, user_id);
    db_bind_i64(st, 3, a->step);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "no enrolment to confirm");
    if ((err = db_prepare(tx, &MFA_CODES_CLEAR, &st, diag)))
        return err;
    db_bind_i64(st, 1, user_id);
    if ((err = db_exec(st, diag)))
        return err;
    for (size_t i = 0; i < a->n; i++) {
        if ((err = db_prepare(tx, &MFA_CODE_ADD, &st, diag)))
            return err;
        db_bind_i64(st, 1, user_id);
        db_bind_i64(st, 2, (int64_t)i);
        db_bind_blob(st, 3, a->hashes[i], 32);
        if ((err = db_exec(st, diag)))
            return err;
    }
    if ((err = db_prepare(tx, &SESSION_MFA_OK, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->session_id);
    db_bind_i64(st, 2, user_id);
    if ((err = db_exec(st, diag)))
        return err;
    return store_audit_object(a->s, tx, a->actor, "mfa.enable", "user", user_id, a->now_ms,
                              diag);
}

enum rcm_err
store_mfa_enable(struct rcm_store *s, const struct rcm_actor *actor, int64_t step,
                 int64_t session_id, const uint8_t (*hashes)[32], size_t n, int64_t now_ms,
                 struct rcm_diag *diag)
{
    struct enable_args a = {s, actor, step, session_id, hashes, n, now_ms};
    return db_write(s->db, enable_fn, &a, diag);
}

struct used_args {
    int64_t user_id, step;
    int slot;
    int64_t now_ms;
};

static enum rcm_err
used_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct used_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, a->step > 0 ? &MFA_STEP : &MFA_CODE_USE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->user_id);
    if (a->step > 0) {
        db_bind_i64(st, 2, a->step);
    } else {
        db_bind_i64(st, 2, a->slot);
        db_bind_i64(st, 3, a->now_ms);
    }
    if ((err = db_exec(st, diag)))
        return err;
    /* a concurrent login used the same step or code first: refuse this one */
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the second factor was already used");
    return RCM_OK;
}

enum rcm_err
store_mfa_used(struct rcm_store *s, int64_t user_id, int64_t step, int slot, int64_t now_ms,
               struct rcm_diag *diag)
{
    struct used_args a = {user_id, step, slot, now_ms};
    return db_write(s->db, used_fn, &a, diag);
}
