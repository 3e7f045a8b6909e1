/*
 * store_user.c — users on either database: creation and management (the
 * last-owner rule), logins and their failure counters (per user, and per
 * HMAC of an identity that is no usable account), sessions, and break-glass
 * grants. Every change but a session's touch is audited in the transaction
 * that makes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/roles.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define USER_COLUMNS                                                           \
    "id, tenant_id, email, display_name, role, disabled, created_ms, "          \
    "failures, last_failure_ms"
#define USER_COLUMNS_U                                                         \
    "u.id, u.tenant_id, u.email, u.display_name, u.role, u.disabled, "          \
    "u.created_ms, u.failures, u.last_failure_ms"
/* A user who may act in tenant ?1: one of its own, or of the billing
 * company that manages it (migration 0008). */
#define ACTING_TENANT_USER                                                     \
    "(tenant_id = ?1 OR tenant_id = (SELECT manager_id FROM tenant WHERE "      \
    "id = ?1))"

static const struct db_sql USER_INSERT = {
    "USER_INSERT", "INSERT INTO app_user(tenant_id, email, display_name, role, "
    "password_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id", NULL};
static const struct db_sql USER_GET = {
    "USER_GET", "SELECT " USER_COLUMNS " FROM app_user WHERE " ACTING_TENANT_USER
    " AND id = ?2", NULL};
static const struct db_sql USER_LIST = {
    "USER_LIST", "SELECT " USER_COLUMNS " FROM app_user WHERE tenant_id = ?1 ORDER BY id",
    NULL};
/* a user of the named tenant before one of its managing company, with the
 * company user's assigned role in the client (migration 0020) */
static const struct db_sql LOGIN_LOOKUP = {
    "LOGIN_LOOKUP", "SELECT " USER_COLUMNS_U ", u.password_hash, t.id, (SELECT a.role "
    "FROM client_assignment a WHERE a.client_id = t.id AND a.user_id = u.id) FROM tenant t "
    "JOIN app_user u ON u.email = ?2 AND (u.tenant_id = t.id OR u.tenant_id = "
    "t.manager_id) WHERE t.slug = ?1 ORDER BY u.tenant_id = t.id DESC LIMIT 1", NULL};
static const struct db_sql USER_FAILURES = {
    "USER_FAILURES", "UPDATE app_user SET failures = ?2, last_failure_ms = ?3 "
    "WHERE id = ?1", NULL};
static const struct db_sql USER_SET = {
    "USER_SET", "UPDATE app_user SET role = ?3, display_name = ?4, disabled = ?5 "
    "WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql USER_OWNERS = {
    "USER_OWNERS", "SELECT count(*) FROM app_user WHERE tenant_id = ?1 AND "
    "role = 'owner' AND disabled = 0", NULL};
static const struct db_sql USER_UNLOCK = {
    "USER_UNLOCK", "UPDATE app_user SET failures = 0, last_failure_ms = 0 "
    "WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql THROTTLE_GET = {
    "THROTTLE_GET", "SELECT failures, last_failure_ms FROM login_throttle "
    "WHERE identity_mac = ?1", NULL};
static const struct db_sql THROTTLE_PUT = {
    "THROTTLE_PUT", "INSERT INTO login_throttle(identity_mac, failures, last_failure_ms) "
    "VALUES (?1, ?2, ?3) ON CONFLICT (identity_mac) DO UPDATE SET failures = ?2, "
    "last_failure_ms = ?3", NULL};
static const struct db_sql THROTTLE_PRUNE = {
    "THROTTLE_PRUNE", "DELETE FROM login_throttle WHERE last_failure_ms < ?1 "
    "AND failures < ?2", NULL};
static const struct db_sql SESSION_INSERT = {
    "SESSION_INSERT", "INSERT INTO session(tenant_id, user_id, token_hash, csrf_hash, "
    "created_ms, last_seen_ms, mfa_ok) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) RETURNING id",
    NULL};
/* The role a session acts with: the user's own in their tenant, and in a
 * client practice the company owner's or admin's own, anyone else's the role
 * assigned to them there — NULL when the assignment is gone. */
#define SESSION_ROLE                                                           \
    "CASE WHEN u.tenant_id = s.tenant_id OR u.role IN ('owner', 'admin') THEN "  \
    "u.role ELSE (SELECT a.role FROM client_assignment a WHERE a.client_id = "    \
    "s.tenant_id AND a.user_id = u.id) END"
static const struct db_sql SESSION_FIND = {
    "SESSION_FIND", "SELECT s.id, s.tenant_id, s.user_id, " SESSION_ROLE ", s.created_ms, "
    "s.last_seen_ms, s.csrf_hash, s.mfa_ok, s.emergency_until_ms, u.mfa_enabled, "
    "t.mfa_required, t.session_idle_s, t.break_glass_max_minutes FROM session s "
    "JOIN app_user u ON u.id = s.user_id JOIN tenant t ON t.id = s.tenant_id "
    "WHERE s.token_hash = ?1 AND s.revoked_ms = 0 AND u.disabled = 0", NULL};
static const struct db_sql SESSION_TOUCH = {
    "SESSION_TOUCH", "UPDATE session SET last_seen_ms = ?2 WHERE id = ?1", NULL};
static const struct db_sql SESSION_REVOKE_ONE = {
    "SESSION_REVOKE_ONE", "UPDATE session SET revoked_ms = ?3 WHERE id = ?1 "
    "AND user_id = ?2 AND revoked_ms = 0", NULL};
static const struct db_sql SESSION_REVOKE_ALL = {
    "SESSION_REVOKE_ALL", "UPDATE session SET revoked_ms = ?2 WHERE user_id = ?1 "
    "AND revoked_ms = 0", NULL};
static const struct db_sql SESSION_EMERGENCY = {
    "SESSION_EMERGENCY", "UPDATE session SET emergency_until_ms = ?3 WHERE id = ?1 "
    "AND user_id = ?2 AND revoked_ms = 0", NULL};
static const struct db_sql BG_IN_FORCE = {
    "BG_IN_FORCE", "SELECT count(*) FROM break_glass WHERE user_id = ?1 AND "
    "ended_ms = 0 AND expires_ms > ?2", NULL};
/* the reason is sealed with the grant's id in its associated data, so the
 * row is made first with an empty envelope and then given the real one */
static const struct db_sql BG_INSERT = {
    "BG_INSERT", "INSERT INTO break_glass(tenant_id, user_id, session_id, reason_sealed, "
    "started_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id", NULL};
static const struct db_sql BG_SEAL = {
    "BG_SEAL", "UPDATE break_glass SET reason_sealed = ?2, reason = NULL WHERE id = ?1",
    NULL};
static const struct db_sql BG_LEGACY = {
    "BG_LEGACY", "SELECT id, tenant_id, reason FROM break_glass WHERE reason IS NOT NULL "
    "ORDER BY id LIMIT 64", NULL};
static const struct db_sql BG_SEAL_LEGACY = {
    "BG_SEAL_LEGACY", "UPDATE break_glass SET reason_sealed = ?2, reason = NULL WHERE id = ?1 "
    "AND reason = ?3", NULL};
static const struct db_sql BG_END_SESSION = {
    "BG_END_SESSION", "UPDATE break_glass SET ended_ms = ?3 WHERE session_id = ?1 "
    "AND user_id = ?2 AND ended_ms = 0 AND expires_ms > ?3 RETURNING id", NULL};
static const struct db_sql BG_END_USER = {
    "BG_END_USER", "UPDATE break_glass SET ended_ms = ?2 WHERE user_id = ?1 "
    "AND ended_ms = 0 AND expires_ms > ?2 RETURNING id", NULL};
static const struct db_sql BG_EXPIRE = {
    "BG_EXPIRE", "UPDATE break_glass SET ended_ms = expires_ms WHERE id IN "
    "(SELECT id FROM break_glass WHERE ended_ms = 0 AND expires_ms <= ?1 "
    "ORDER BY id LIMIT 64) RETURNING id, tenant_id", NULL};
/* with the number of emergency records the grant covered */
static const struct db_sql BG_LIST = {
    "BG_LIST", "SELECT b.id, b.user_id, b.session_id, b.reason, b.started_ms, "
    "b.expires_ms, b.ended_ms, (SELECT count(*) FROM audit_event e WHERE "
    "e.tenant_id = b.tenant_id AND e.actor_type = 'user' AND e.actor_id = b.user_id "
    "AND e.emergency = 1 AND e.action NOT LIKE 'break!_glass.%' ESCAPE '!' AND "
    "e.ts_ms BETWEEN b.started_ms AND (CASE WHEN b.ended_ms > 0 THEN b.ended_ms "
    "ELSE b.expires_ms END)), u.email, b.tenant_id, b.reason_sealed FROM break_glass b "
    "JOIN app_user u ON "
    "u.id = b.user_id WHERE b.tenant_id = ?1 ORDER BY b.id DESC LIMIT ?2", NULL};

/* The most a BG_EXPIRE run ends (LIMIT 64; the rest: next run). */
#define EXPIRE_BATCH 64

/* Row of USER_COLUMNS -> user. */
static void
user_row(struct db_stmt *st, struct rcm_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = db_col_i64(st, 0);
    u->tenant_id = db_col_i64(st, 1);
    rcm_str_copy(u->email, sizeof u->email, rcm_str_c(db_col_str(st, 2)));
    rcm_str_copy(u->display_name, sizeof u->display_name,
                 rcm_str_c(db_col_str(st, 3)));
    u->role = rcm_role_parse(db_col_str(st, 4));
    u->disabled = db_col_i64(st, 5) != 0;
    u->created_ms = db_col_i64(st, 6);
    u->failures = (uint32_t)db_col_i64(st, 7);
    u->last_failure_ms = db_col_i64(st, 8);
}

/* The id an INSERT … RETURNING id gave back, the statement run to its end. */
static enum rcm_err
returned_id(struct db_stmt *st, int64_t *id, struct rcm_diag *diag)
{
    bool row;
    enum rcm_err err = db_step(st, &row, diag);
    if (!err && !row)
        err = rcm_diag_fail(diag, RCM_E_DB, "insert returned no id");
    if (err)
        return err;
    *id = db_col_i64(st, 0);
    return db_exec(st, diag);
}

/* Run a statement binding integers ?1..?n for its effect. */
static enum rcm_err
write_ints(struct db_tx *tx, const struct db_sql *sql, int n, const int64_t *v,
           int64_t *changes, struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, sql, &st, diag);
    if (err)
        return err;
    for (int i = 0; i < n; i++)
        db_bind_i64(st, i + 1, v[i]);
    err = db_exec(st, diag);
    if (!err && changes)
        *changes = db_changes(st);
    return err;
}

/* ---- users --------------------------------------------------------------- */

struct user_new {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const char *email;
    const char *display_name;
    const char *role;
    const char *password_hash;
    int64_t now_ms;
    struct rcm_user *out;
};

static enum rcm_err
insert_user(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_new *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &USER_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_text(st, 2, a->email);
    db_bind_text(st, 3, a->display_name);
    db_bind_text(st, 4, a->role);
    db_bind_text(st, 5, a->password_hash);
    db_bind_i64(st, 6, a->now_ms);
    int64_t id = 0;
    err = returned_id(st, &id, diag);
    if (err == RCM_E_CONFLICT && db_violation(st) == DB_VIOLATION_UNIQUE)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "a user with this email exists");
    if (err == RCM_E_CONFLICT && db_violation(st) == DB_VIOLATION_FOREIGN_KEY)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
    if (err)
        return err;
    struct rcm_user *u = a->out;
    memset(u, 0, sizeof *u);
    u->id = id;
    u->tenant_id = a->actor->tenant_id;
    rcm_str_copy(u->email, sizeof u->email, rcm_str_c(a->email));
    rcm_str_copy(u->display_name, sizeof u->display_name, rcm_str_c(a->display_name));
    u->role = rcm_role_parse(a->role);
    u->created_ms = a->now_ms;
    return store_audit_object(a->s, tx, a->actor, "user.create", "user", id, a->now_ms, diag);
}

enum rcm_err
store_user_create(struct rcm_store *s, const struct rcm_actor *actor, const char *email,
                  const char *display_name, const char *role, const char *password_hash,
                  int64_t now_ms, struct rcm_user *out, struct rcm_diag *diag)
{
    struct user_new a = {s, actor, email, display_name, role, password_hash, now_ms, out};
    return db_write(s->db, insert_user, &a, diag);
}

/* USER_GET in tx: *found false when there is no such row. */
static enum rcm_err
get_user(struct db_tx *tx, int64_t tenant_id, int64_t user_id, struct rcm_user *out,
         bool *found, struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &USER_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant_id);
    db_bind_i64(st, 2, user_id);
    if ((err = db_step(st, found, diag)))
        return err;
    if (*found)
        user_row(st, out);
    return RCM_OK;
}

/* Users read: one by id, one by login, or each of a tenant's. */
struct user_read {
    int64_t tenant_id;
    int64_t user_id;
    const char *slug;
    const char *email;
    struct rcm_user *out;
    rcm_user_row_fn fn;
    void *ctx;
};

static enum rcm_err
read_user(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_read *r = ctx;
    bool found;
    enum rcm_err err = get_user(tx, r->tenant_id, r->user_id, r->out, &found, diag);
    if (!err && !found)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    return err;
}

enum rcm_err
store_user_get(struct rcm_store *s, int64_t tenant_id, int64_t user_id, struct rcm_user *out,
               struct rcm_diag *diag)
{
    struct user_read r = {.tenant_id = tenant_id, .user_id = user_id, .out = out};
    return store_read(s, read_user, &r, diag);
}

static enum rcm_err
read_login(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_read *r = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &LOGIN_LOOKUP, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, r->slug);
    db_bind_text(st, 2, r->email);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    user_row(st, r->out);
    rcm_str_copy(r->out->password_hash, sizeof r->out->password_hash,
                 rcm_str_c(db_col_str(st, 9)));
    r->out->login_tenant_id = db_col_i64(st, 10);
    /* company staff in a client: the assigned role, or none at all */
    int role = r->out->role;
    if (r->out->tenant_id != r->out->login_tenant_id && role != RCM_ROLE_OWNER &&
        role != RCM_ROLE_ADMIN) {
        if (db_col_is_null(st, 11))
            r->out->client_unassigned = true;
        else
            r->out->role = rcm_role_parse(db_col_str(st, 11));
    }
    return RCM_OK;
}

enum rcm_err
store_login_lookup(struct rcm_store *s, const char *tenant_slug, const char *email,
                   struct rcm_user *out, struct rcm_diag *diag)
{
    struct user_read r = {.slug = tenant_slug, .email = email, .out = out};
    return store_read(s, read_login, &r, diag);
}

static enum rcm_err
list_users(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_read *r = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &USER_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, r->tenant_id);
    bool row;
    struct rcm_user u;
    while (!(err = db_step(st, &row, diag)) && row) {
        user_row(st, &u);
        if (r->fn(r->ctx, &u))
            break;
    }
    return err;
}

enum rcm_err
store_user_list(struct rcm_store *s, int64_t tenant_id, rcm_user_row_fn fn, void *ctx,
                struct rcm_diag *diag)
{
    struct user_read r = {.tenant_id = tenant_id, .fn = fn, .ctx = ctx};
    return store_read(s, list_users, &r, diag);
}

/*
 * Inside the write transaction: end the break-glass grants `sql`
 * (BG_END_SESSION or BG_END_USER, returning ids) selects, and audit
 * "break_glass.end" for each.
 */
static enum rcm_err
end_grants(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
           const struct db_sql *sql, int n, const int64_t *v, int64_t now_ms,
           struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, sql, &st, diag);
    if (err)
        return err;
    for (int i = 0; i < n; i++)
        db_bind_i64(st, i + 1, v[i]);
    /* a user has at most one grant in force (break_glass_start) */
    int64_t ended[16];
    size_t n_ended = 0;
    bool row;
    while (!(err = db_step(st, &row, diag)) && row)
        if (n_ended < sizeof ended / sizeof ended[0])
            ended[n_ended++] = db_col_i64(st, 0);
    /* start and end records of a grant are always flagged emergency */
    struct rcm_actor flagged = *actor;
    flagged.emergency = true;
    for (size_t i = 0; !err && i < n_ended; i++)
        err = store_audit_object(s, tx, &flagged, "break_glass.end", "break_glass", ended[i],
                                 now_ms, diag);
    return err;
}

/* Inside the write transaction: revoke every session of user_id and end
 * the user's break-glass grants (audited). */
static enum rcm_err
revoke_user_sessions(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
                     int64_t user_id, int64_t now_ms, struct rcm_diag *diag)
{
    int64_t v[2] = {user_id, now_ms};
    enum rcm_err err = write_ints(tx, &SESSION_REVOKE_ALL, 2, v, NULL, diag);
    if (!err)
        err = end_grants(s, tx, actor, &BG_END_USER, 2, v, now_ms, diag);
    return err;
}

struct user_change {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t user_id;
    const struct rcm_user_change *chg;
    int64_t now_ms;
    struct rcm_user *out;
};

static enum rcm_err
update_user(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_change *a = ctx;
    const struct rcm_actor *actor = a->actor;
    const struct rcm_user_change *chg = a->chg;
    struct rcm_user *out = a->out;
    /* read inside the write transaction: the row cannot change under us */
    struct rcm_user before = {0};
    bool found;
    enum rcm_err err = get_user(tx, actor->tenant_id, a->user_id, &before, &found, diag);
    if (err)
        return err;
    /* only the tenant's own users: a managing company's staff acting here
     * are changed in their own tenant, not by the practices they serve */
    if (!found || before.tenant_id != actor->tenant_id)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    *out = before;
    if (chg->role >= 0)
        out->role = chg->role;
    if (chg->display_name)
        rcm_str_copy(out->display_name, sizeof out->display_name, rcm_str_c(chg->display_name));
    if (chg->disabled >= 0)
        out->disabled = chg->disabled != 0;
    bool role_changed = out->role != before.role;
    bool name_changed = strcmp(out->display_name, before.display_name) != 0;
    bool disabled_changed = out->disabled != before.disabled;

    struct db_stmt *st;
    if ((err = db_prepare(tx, &USER_SET, &st, diag)))
        return err;
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_i64(st, 2, a->user_id);
    db_bind_text(st, 3, rcm_role_name((enum rcm_role)out->role));
    db_bind_text(st, 4, out->display_name);
    db_bind_i64(st, 5, out->disabled);
    if ((err = db_exec(st, diag)))
        return err;
    /* the tenant keeps at least one active owner */
    if (before.role == RCM_ROLE_OWNER && !before.disabled && (role_changed || out->disabled)) {
        bool row;
        if ((err = db_prepare(tx, &USER_OWNERS, &st, diag)))
            return err;
        db_bind_i64(st, 1, actor->tenant_id);
        if ((err = db_step(st, &row, diag)))
            return err;
        if (!row || db_col_i64(st, 0) < 1)
            return rcm_diag_fail(diag, RCM_E_CONFLICT,
                                 "the tenant's last active owner cannot be demoted or disabled");
    }
    /* a new role applies from the next login; a disabled user is out now */
    if (role_changed || (disabled_changed && out->disabled))
        err = revoke_user_sessions(a->s, tx, actor, a->user_id, a->now_ms, diag);
    if (!err && name_changed)
        err = store_audit_object(a->s, tx, actor, "user.update", "user", a->user_id,
                                 a->now_ms, diag);
    if (!err && role_changed)
        err = store_audit_object(a->s, tx, actor, "user.role_change", "user", a->user_id,
                                 a->now_ms, diag);
    if (!err && disabled_changed)
        err = store_audit_object(a->s, tx, actor, out->disabled ? "user.disable"
                                                                : "user.enable",
                                 "user", a->user_id, a->now_ms, diag);
    return err;
}

enum rcm_err
store_user_update(struct rcm_store *s, const struct rcm_actor *actor, int64_t user_id,
                  const struct rcm_user_change *change, int64_t now_ms, struct rcm_user *out,
                  struct rcm_diag *diag)
{
    struct user_change a = {s, actor, user_id, change, now_ms, out};
    return db_write(s->db, update_user, &a, diag);
}

/* A write about one user or session: unlock, a failed login, a touch, the
 * end of a grant. */
struct user_op {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t id;                 /* user or session */
    uint32_t failures;
    int64_t now_ms;
};

static enum rcm_err
unlock_user(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_op *a = ctx;
    int64_t v[2] = {a->actor->tenant_id, a->id}, changes = 0;
    enum rcm_err err = write_ints(tx, &USER_UNLOCK, 2, v, &changes, diag);
    if (!err && changes == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    if (!err)
        err = store_audit_object(a->s, tx, a->actor, "user.unlock", "user", a->id, a->now_ms,
                                 diag);
    return err;
}

enum rcm_err
store_user_unlock(struct rcm_store *s, const struct rcm_actor *actor, int64_t user_id,
                  int64_t now_ms, struct rcm_diag *diag)
{
    struct user_op a = {.s = s, .actor = actor, .id = user_id, .now_ms = now_ms};
    return db_write(s->db, unlock_user, &a, diag);
}

/* ---- logins -------------------------------------------------------------- */

static enum rcm_err
login_failure(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_op *a = ctx;
    enum rcm_err err = RCM_OK;
    if (a->id > 0) {
        int64_t v[3] = {a->id, a->failures, a->now_ms};
        err = write_ints(tx, &USER_FAILURES, 3, v, NULL, diag);
    }
    if (err)
        return err;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)a->id);
    struct rcm_audit_what what = {"login.failure", "user", a->id ? id : "", NULL, "failure"};
    return store_audit_write(a->s, tx, a->actor, &what, a->now_ms, diag);
}

enum rcm_err
store_login_failed(struct rcm_store *s, const struct rcm_actor *actor, int64_t user_id,
                   uint32_t failures, int64_t now_ms, struct rcm_diag *diag)
{
    struct user_op a = {s, actor, user_id, failures, now_ms};
    return db_write(s->db, login_failure, &a, diag);
}

struct throttle {
    const char *identity_mac;
    uint32_t failures;
    int64_t last_failure_ms;
};

static enum rcm_err
read_throttle(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct throttle *t = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &THROTTLE_GET, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, t->identity_mac);
    if ((err = db_step(st, &row, diag)) || !row)
        return err;
    int64_t f = db_col_i64(st, 0);
    t->failures = f < 0 ? 0 : f > UINT32_MAX ? UINT32_MAX : (uint32_t)f;
    t->last_failure_ms = db_col_i64(st, 1);
    return RCM_OK;
}

enum rcm_err
store_login_throttle_get(struct rcm_store *s, const char *identity_mac, uint32_t *failures,
                         int64_t *last_failure_ms, struct rcm_diag *diag)
{
    struct throttle t = {identity_mac, 0, 0};
    enum rcm_err err = store_read(s, read_throttle, &t, diag);
    *failures = t.failures;
    *last_failure_ms = t.last_failure_ms;
    return err;
}

struct identity_failure {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const char *identity_mac;
    uint32_t failures;
    int64_t now_ms;
    int64_t prune_before_ms;
    uint32_t locked_failures;
};

static enum rcm_err
identity_failure(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct identity_failure *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &THROTTLE_PUT, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, a->identity_mac);
    db_bind_i64(st, 2, a->failures);
    db_bind_i64(st, 3, a->now_ms);
    if ((err = db_exec(st, diag)))
        return err;
    /* rows that no longer matter: forgotten by the policy and not locked */
    if (a->prune_before_ms > 0) {
        int64_t v[2] = {a->prune_before_ms, a->locked_failures};
        if ((err = write_ints(tx, &THROTTLE_PRUNE, 2, v, NULL, diag)))
            return err;
    }
    struct rcm_audit_what what = {"login.failure", "user", "", NULL, "failure"};
    return store_audit_write(a->s, tx, a->actor, &what, a->now_ms, diag);
}

enum rcm_err
store_login_failed_identity(struct rcm_store *s, const struct rcm_actor *actor,
                            const char *identity_mac, uint32_t failures, int64_t now_ms,
                            int64_t prune_before_ms, uint32_t locked_failures,
                            struct rcm_diag *diag)
{
    struct identity_failure a = {s, actor, identity_mac, failures, now_ms, prune_before_ms,
                                 locked_failures};
    return db_write(s->db, identity_failure, &a, diag);
}

/* ---- sessions ------------------------------------------------------------ */

struct session_new {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const char *token_hash;
    const char *csrf_hash;
    bool mfa_ok;
    int64_t now_ms;
    int64_t *session_id;
};

static enum rcm_err
insert_session(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct session_new *a = ctx;
    const struct rcm_actor *actor = a->actor;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &SESSION_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_i64(st, 2, actor->user_id);
    db_bind_text(st, 3, a->token_hash);
    db_bind_text(st, 4, a->csrf_hash);
    db_bind_i64(st, 5, a->now_ms);
    db_bind_i64(st, 6, a->mfa_ok);
    if ((err = returned_id(st, a->session_id, diag)))
        return err;
    int64_t v[3] = {actor->user_id, 0, 0};
    if ((err = write_ints(tx, &USER_FAILURES, 3, v, NULL, diag)))
        return err;
    return store_audit_object(a->s, tx, actor, "login", "session", *a->session_id, a->now_ms,
                              diag);
}

enum rcm_err
store_session_create(struct rcm_store *s, const struct rcm_actor *actor,
                     const char *token_hash, const char *csrf_hash, bool mfa_ok,
                     int64_t now_ms, int64_t *session_id, struct rcm_diag *diag)
{
    struct session_new a = {s, actor, token_hash, csrf_hash, mfa_ok, now_ms, session_id};
    return db_write(s->db, insert_session, &a, diag);
}

struct session_read {
    const char *token_hash;
    struct rcm_principal *out;
};

static enum rcm_err
read_session(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct session_read *r = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &SESSION_FIND, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, r->token_hash);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such session");
    if (db_col_is_null(st, 3))
        return rcm_diag_fail(diag, RCM_E_PERM, "the user is not assigned to this client "
                             "practice");
    struct rcm_principal *p = r->out;
    p->session_id = db_col_i64(st, 0);
    p->tenant_id = db_col_i64(st, 1);
    p->user_id = db_col_i64(st, 2);
    p->role = rcm_role_parse(db_col_str(st, 3));
    p->created_ms = db_col_i64(st, 4);
    p->last_seen_ms = db_col_i64(st, 5);
    rcm_str_copy(p->csrf_hash, sizeof p->csrf_hash, rcm_str_c(db_col_str(st, 6)));
    p->mfa_ok = db_col_i64(st, 7) != 0;
    p->emergency_until_ms = db_col_i64(st, 8);
    p->mfa_enrolled = db_col_i64(st, 9) != 0;
    p->policy.mfa_required = db_col_i64(st, 10) != 0;
    p->policy.session_idle_s = (int)db_col_i64(st, 11);
    p->policy.break_glass_max_minutes = (int)db_col_i64(st, 12);
    return RCM_OK;
}

enum rcm_err
store_session_find(struct rcm_store *s, const char *token_hash, struct rcm_principal *out,
                   struct rcm_diag *diag)
{
    struct session_read r = {token_hash, out};
    return store_read(s, read_session, &r, diag);
}

static enum rcm_err
touch_session(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_op *a = ctx;
    int64_t v[2] = {a->id, a->now_ms};
    return write_ints(tx, &SESSION_TOUCH, 2, v, NULL, diag);
}

enum rcm_err
store_session_touch(struct rcm_store *s, int64_t session_id, int64_t now_ms,
                    struct rcm_diag *diag)
{
    struct user_op a = {.s = s, .id = session_id, .now_ms = now_ms};
    return db_write(s->db, touch_session, &a, diag);
}

struct session_revoke {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t session_id;
    bool all;
    const char *action;
    int64_t now_ms;
};

static enum rcm_err
revoke_session(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct session_revoke *a = ctx;
    const struct rcm_actor *actor = a->actor;
    enum rcm_err err;
    if (a->all) {
        err = revoke_user_sessions(a->s, tx, actor, actor->user_id, a->now_ms, diag);
    } else {
        int64_t v[3] = {a->session_id, actor->user_id, a->now_ms};
        err = write_ints(tx, &SESSION_REVOKE_ONE, 3, v, NULL, diag);
        if (!err)
            err = end_grants(a->s, tx, actor, &BG_END_SESSION, 3, v, a->now_ms, diag);
    }
    if (!err)
        err = store_audit_object(a->s, tx, actor, a->action, a->all ? "user" : "session",
                                 a->all ? actor->user_id : a->session_id, a->now_ms, diag);
    return err;
}

enum rcm_err
store_session_revoke(struct rcm_store *s, const struct rcm_actor *actor, int64_t session_id,
                     bool all, const char *action, int64_t now_ms, struct rcm_diag *diag)
{
    struct session_revoke a = {s, actor, session_id, all, action, now_ms};
    return db_write(s->db, revoke_session, &a, diag);
}

/* ---- break-glass --------------------------------------------------------- */

struct grant_start {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t session_id;
    const char *reason;
    int64_t until_ms;
    int64_t now_ms;
    int64_t *grant_id;
    const struct rcm_key *note_key;
};

/* Largest envelope of a reason: 500 code points of at most 4 bytes. */
#define BG_SEALED_MAX (4 * RCM_BREAK_GLASS_REASON_MAX + RCM_AEAD_OVERHEAD_BYTES)

/* A break-glass reason's envelope: tenant, table, column and grant id in the
 * associated data, under the tenant's note key. */
static enum rcm_err
reason_aad(int64_t tenant_id, int64_t grant_id, uint8_t *aad, size_t *aad_len)
{
    char tid[24], gid[24];
    snprintf(tid, sizeof tid, "%lld", (long long)tenant_id);
    snprintf(gid, sizeof gid, "%lld", (long long)grant_id);
    return rcm_aead_aad_build(tid, "break_glass", "reason", gid, aad, RCM_AEAD_AAD_MAX_BYTES,
                              aad_len);
}

static enum rcm_err
seal_reason(const struct rcm_key *key, int64_t tenant_id, int64_t grant_id, const char *reason,
            uint8_t out[BG_SEALED_MAX], size_t *out_len, struct rcm_diag *diag)
{
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0;
    enum rcm_err err = reason_aad(tenant_id, grant_id, aad, &aad_len);
    if (!err)
        err = rcm_aead_seal(key, aad, aad_len, (const uint8_t *)reason, strlen(reason), out,
                            BG_SEALED_MAX, out_len);
    return err ? rcm_diag_fail(diag, err, "break-glass %lld: the reason cannot be sealed",
                               (long long)grant_id)
               : RCM_OK;
}

static enum rcm_err
start_grant(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct grant_start *a = ctx;
    const struct rcm_actor *actor = a->actor;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &BG_IN_FORCE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, actor->user_id);
    db_bind_i64(st, 2, a->now_ms);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (row && db_col_i64(st, 0))
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "break-glass access is already in force");
    int64_t v[3] = {a->session_id, actor->user_id, a->until_ms}, changes = 0;
    if ((err = write_ints(tx, &SESSION_EMERGENCY, 3, v, &changes, diag)))
        return err;
    if (changes == 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such session");
    if ((err = db_prepare(tx, &BG_INSERT, &st, diag)))
        return err;
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_i64(st, 2, actor->user_id);
    db_bind_i64(st, 3, a->session_id);
    db_bind_blob(st, 4, "", 0);
    db_bind_i64(st, 5, a->now_ms);
    db_bind_i64(st, 6, a->until_ms);
    if ((err = returned_id(st, a->grant_id, diag)))
        return err;
    uint8_t sealed[BG_SEALED_MAX];
    size_t sealed_len = 0;
    if ((err = seal_reason(a->note_key, actor->tenant_id, *a->grant_id, a->reason, sealed,
                           &sealed_len, diag)))
        return err;
    if ((err = db_prepare(tx, &BG_SEAL, &st, diag)))
        return err;
    db_bind_i64(st, 1, *a->grant_id);
    db_bind_blob(st, 2, sealed, sealed_len);
    if ((err = db_exec(st, diag)))
        return err;
    /* the grant is in force from this record on */
    struct rcm_actor flagged = *actor;
    flagged.emergency = true;
    return store_audit_object(a->s, tx, &flagged, "break_glass.start", "break_glass",
                              *a->grant_id, a->now_ms, diag);
}

enum rcm_err
store_break_glass_start(struct rcm_store *s, const struct rcm_actor *actor,
                        int64_t session_id, const char *reason, int64_t until_ms,
                        int64_t now_ms, int64_t *grant_id, struct rcm_diag *diag)
{
    /* the key first: loading it may write its row (no nested transaction) */
    struct rcm_key key;
    enum rcm_err err = store_tenant_key(s, actor->tenant_id, STORE_KEY_NOTE, true, &key, diag);
    if (err)
        return err;
    struct grant_start a = {s, actor, session_id, reason, until_ms, now_ms, grant_id, &key};
    err = db_write(s->db, start_grant, &a, diag);
    rcm_key_wipe(&key);
    return err;
}

static enum rcm_err
end_grant(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct user_op *a = ctx;
    const struct rcm_actor *actor = a->actor;
    int64_t v[3] = {a->id, actor->user_id, 0};
    enum rcm_err err = write_ints(tx, &SESSION_EMERGENCY, 3, v, NULL, diag);
    if (err)
        return err;
    struct db_stmt *st;
    if ((err = db_prepare(tx, &BG_END_SESSION, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_i64(st, 2, actor->user_id);
    db_bind_i64(st, 3, a->now_ms);
    int64_t ended = 0;
    bool row;
    while (!(err = db_step(st, &row, diag)) && row)
        ended = db_col_i64(st, 0);
    if (err)
        return err;
    if (!ended)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no break-glass access is in force");
    struct rcm_actor flagged = *actor;
    flagged.emergency = true;
    return store_audit_object(a->s, tx, &flagged, "break_glass.end", "break_glass", ended,
                              a->now_ms, diag);
}

enum rcm_err
store_break_glass_end(struct rcm_store *s, const struct rcm_actor *actor, int64_t session_id,
                      int64_t now_ms, struct rcm_diag *diag)
{
    struct user_op a = {.s = s, .actor = actor, .id = session_id, .now_ms = now_ms};
    return db_write(s->db, end_grant, &a, diag);
}

struct grant_expiry {
    struct rcm_store *s;
    int64_t now_ms;
    int n;
    int64_t grant[EXPIRE_BATCH][2];     /* id, tenant */
};

static enum rcm_err
expire_grants(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct grant_expiry *x = ctx;
    x->n = 0;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &BG_EXPIRE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, x->now_ms);
    bool row;
    int rows = 0;
    while (!(err = db_step(st, &row, diag)) && row) {
        if (rows < EXPIRE_BATCH) {
            x->grant[rows][0] = db_col_i64(st, 0);
            x->grant[rows][1] = db_col_i64(st, 1);
        }
        rows++;
    }
    if (!err && rows > EXPIRE_BATCH)    /* cannot happen: LIMIT 64 */
        err = rcm_diag_fail(diag, RCM_E_DB, "BG_EXPIRE: more rows than its limit");
    for (int i = 0; !err && i < rows; i++) {
        struct rcm_actor system = {.tenant_id = x->grant[i][1], .type = "system",
                                   .emergency = true};
        err = store_audit_object(x->s, tx, &system, "break_glass.expire", "break_glass",
                                 x->grant[i][0], x->now_ms, diag);
    }
    if (!err)
        x->n = rows;
    return err;
}

enum rcm_err
store_break_glass_expire(struct rcm_store *s, int64_t now_ms, int *n, struct rcm_diag *diag)
{
    struct grant_expiry x = {.s = s, .now_ms = now_ms};
    enum rcm_err err = db_write(s->db, expire_grants, &x, diag);
    *n = err ? 0 : x.n;
    return err;
}

struct grant_list {
    int64_t tenant_id;
    int limit;
    rcm_break_glass_row_fn fn;
    void *ctx;
    const struct rcm_key *note_key;     /* NULL: the tenant has none yet */
};

/* The reason of a listed grant: opened from its envelope, or (a row from
 * before migration 0021 not sealed yet) the plaintext column. */
static enum rcm_err
grant_reason(struct grant_list *l, struct db_stmt *st, struct rcm_break_glass *g,
             struct rcm_diag *diag)
{
    size_t n = 0;
    const void *env = db_col_blob(st, 10, &n);
    if (!env || n == 0) {
        rcm_str_copy(g->reason, sizeof g->reason, rcm_str_c(db_col_str(st, 3)));
        return RCM_OK;
    }
    if (!l->note_key)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "break-glass %lld: no key opens the reason",
                             (long long)g->id);
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0, len = 0;
    enum rcm_err err = reason_aad(db_col_i64(st, 9), g->id, aad, &aad_len);
    if (!err)
        err = rcm_aead_open(l->note_key, aad, aad_len, env, n, (uint8_t *)g->reason,
                            sizeof g->reason - 1, &len);
    if (err)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "break-glass %lld: the reason does not open",
                             (long long)g->id);
    g->reason[len] = '\0';
    return RCM_OK;
}

static enum rcm_err
list_grants(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct grant_list *l = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &BG_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, l->tenant_id);
    db_bind_i64(st, 2, l->limit);
    bool row;
    struct rcm_break_glass g;
    while (!(err = db_step(st, &row, diag)) && row) {
        memset(&g, 0, sizeof g);
        g.id = db_col_i64(st, 0);
        g.user_id = db_col_i64(st, 1);
        g.session_id = db_col_i64(st, 2);
        if ((err = grant_reason(l, st, &g, diag)))
            break;
        g.started_ms = db_col_i64(st, 4);
        g.expires_ms = db_col_i64(st, 5);
        g.ended_ms = db_col_i64(st, 6);
        g.actions = db_col_i64(st, 7);
        rcm_str_copy(g.user_email, sizeof g.user_email,
                     rcm_str_c(db_col_str(st, 8)));
        int stop = l->fn(l->ctx, &g);
        rcm_crypto_wipe(g.reason, sizeof g.reason);
        if (stop)
            break;
    }
    return err;
}

enum rcm_err
store_break_glass_list(struct rcm_store *s, int64_t tenant_id, int limit,
                       rcm_break_glass_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct rcm_key key;
    enum rcm_err err = store_tenant_key(s, tenant_id, STORE_KEY_NOTE, false, &key, diag);
    if (err && err != RCM_E_NOT_FOUND)
        return err;
    struct grant_list l = {tenant_id, limit, fn, ctx, err ? NULL : &key};
    err = store_read(s, list_grants, &l, diag);
    rcm_key_wipe(&key);
    return err;
}

/* ---- reasons written before migration 0021 --------------------------------- */

#define LEGACY_BATCH 64

struct legacy {
    int n;
    int64_t id[LEGACY_BATCH], tenant[LEGACY_BATCH];
    char reason[LEGACY_BATCH][4 * RCM_BREAK_GLASS_REASON_MAX + 1];
    uint8_t sealed[LEGACY_BATCH][BG_SEALED_MAX];
    size_t sealed_len[LEGACY_BATCH];
};

static enum rcm_err
read_legacy(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct legacy *x = ctx;
    struct db_stmt *st;
    bool row;
    x->n = 0;
    enum rcm_err err = db_prepare(tx, &BG_LEGACY, &st, diag);
    while (!err && !(err = db_step(st, &row, diag)) && row && x->n < LEGACY_BATCH) {
        x->id[x->n] = db_col_i64(st, 0);
        x->tenant[x->n] = db_col_i64(st, 1);
        rcm_str_copy(x->reason[x->n], sizeof x->reason[0], rcm_str_c(db_col_str(st, 2)));
        x->n++;
    }
    return err;
}

static enum rcm_err
write_legacy(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct legacy *x = ctx;
    enum rcm_err err = RCM_OK;
    for (int i = 0; !err && i < x->n; i++) {
        struct db_stmt *st;
        if ((err = db_prepare(tx, &BG_SEAL_LEGACY, &st, diag)))
            break;
        db_bind_i64(st, 1, x->id[i]);
        db_bind_blob(st, 2, x->sealed[i], x->sealed_len[i]);
        db_bind_text(st, 3, x->reason[i]);
        err = db_exec(st, diag);
    }
    return err;
}

enum rcm_err
store_break_glass_seal_legacy(struct rcm_store *s, int64_t *n, struct rcm_diag *diag)
{
    *n = 0;
    if (!s->keys)
        return RCM_OK;
    struct legacy *x = calloc(1, sizeof *x);
    if (!x)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
    enum rcm_err err;
    /* a batch at a time: read, seal outside any transaction (the tenant's
     * note key may have to be created), write back unless changed meanwhile */
    while (!(err = store_read(s, read_legacy, x, diag)) && x->n > 0) {
        for (int i = 0; !err && i < x->n; i++) {
            struct rcm_key key;
            err = store_tenant_key(s, x->tenant[i], STORE_KEY_NOTE, true, &key, diag);
            if (!err)
                err = seal_reason(&key, x->tenant[i], x->id[i], x->reason[i], x->sealed[i],
                                  &x->sealed_len[i], diag);
            rcm_key_wipe(&key);
        }
        if (!err)
            err = db_write(s->db, write_legacy, x, diag);
        if (err)
            break;
        *n += x->n;
    }
    rcm_crypto_wipe(x, sizeof *x);
    free(x);
    return err;
}
