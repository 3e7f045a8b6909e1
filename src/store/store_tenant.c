/*
 * store_tenant.c — tenants on either database: an independent tenant or a
 * client practice of a billing company (one level deep, migration 0008),
 * found by slug or id, its access policy, and a company's clients.
 */
#include <string.h>

#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define TENANT_COLUMNS                                                         \
    "id, slug, name, created_ms, coalesce(manager_id, 0), mfa_required, "       \
    "session_idle_s, break_glass_max_minutes"

/* the cast makes PostgreSQL type the parameter bigint, not int */
static const struct db_sql TENANT_INSERT = {
    "TENANT_INSERT", "INSERT INTO tenant(slug, name, created_ms, manager_id) "
    "VALUES (?1, ?2, ?3, nullif(CAST(?4 AS bigint), 0)) RETURNING id", NULL};
static const struct db_sql TENANT_BY_SLUG = {
    "TENANT_BY_SLUG", "SELECT " TENANT_COLUMNS " FROM tenant WHERE slug = ?1", NULL};
static const struct db_sql TENANT_GET = {
    "TENANT_GET", "SELECT " TENANT_COLUMNS " FROM tenant WHERE id = ?1", NULL};
static const struct db_sql TENANT_MANAGER = {
    "TENANT_MANAGER", "SELECT coalesce(manager_id, 0) FROM tenant WHERE id = ?1", NULL};
static const struct db_sql TENANT_POLICY_SET = {
    "TENANT_POLICY_SET", "UPDATE tenant SET mfa_required = ?2, session_idle_s = ?3, "
    "break_glass_max_minutes = ?4 WHERE id = ?1", NULL};
static const struct db_sql CLIENT_LIST = {
    "CLIENT_LIST", "SELECT " TENANT_COLUMNS " FROM tenant WHERE manager_id = ?1 "
    "ORDER BY id", NULL};
/* a staff member's clients: those assigned to them (migration 0020) */
static const struct db_sql CLIENT_LIST_ASSIGNED = {
    "CLIENT_LIST_ASSIGNED", "SELECT " TENANT_COLUMNS " FROM tenant WHERE manager_id = ?1 "
    "AND id IN (SELECT client_id FROM client_assignment WHERE user_id = ?2) ORDER BY id",
    NULL};

/* Row of TENANT_COLUMNS -> tenant. */
static void
tenant_row(struct db_stmt *st, struct rcm_tenant *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_col_i64(st, 0);
    rcm_str_copy(t->slug, sizeof t->slug, rcm_str_c(db_col_str(st, 1)));
    rcm_str_copy(t->name, sizeof t->name, rcm_str_c(db_col_str(st, 2)));
    t->created_ms = db_col_i64(st, 3);
    t->manager_id = db_col_i64(st, 4);
    t->policy.mfa_required = db_col_i64(st, 5) != 0;
    t->policy.session_idle_s = (int)db_col_i64(st, 6);
    t->policy.break_glass_max_minutes = (int)db_col_i64(st, 7);
}

/* ---- creating ------------------------------------------------------------ */

struct tenant_new {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const char *slug;
    const char *name;
    int64_t manager_id;
    int64_t now_ms;
    struct rcm_tenant *out;
};

static enum rcm_err
insert_tenant(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct tenant_new *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err;
    if (a->manager_id) {
        /* the manager must exist and be managed by no one itself */
        if ((err = db_prepare(tx, &TENANT_MANAGER, &st, diag)))
            return err;
        db_bind_i64(st, 1, a->manager_id);
        if ((err = db_step(st, &row, diag)))
            return err;
        if (!row || db_col_i64(st, 0) != 0)
            return rcm_diag_fail(diag, RCM_E_PERM, "a managed practice cannot manage others");
    }
    if ((err = db_prepare(tx, &TENANT_INSERT, &st, diag)))
        return err;
    db_bind_text(st, 1, a->slug);
    db_bind_text(st, 2, a->name);
    db_bind_i64(st, 3, a->now_ms);
    db_bind_i64(st, 4, a->manager_id);
    err = db_step(st, &row, diag);
    if (err == RCM_E_CONFLICT && db_violation(st) == DB_VIOLATION_UNIQUE)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "a tenant with this slug exists");
    if (!err && !row)
        err = rcm_diag_fail(diag, RCM_E_DB, "insert returned no id");
    if (err)
        return err;
    struct rcm_tenant *t = a->out;
    memset(t, 0, sizeof *t);
    t->id = db_col_i64(st, 0);
    t->manager_id = a->manager_id;
    rcm_str_copy(t->slug, sizeof t->slug, rcm_str_c(a->slug));
    rcm_str_copy(t->name, sizeof t->name, rcm_str_c(a->name));
    t->created_ms = a->now_ms;
    t->policy.break_glass_max_minutes = RCM_POLICY_BREAK_GLASS_DEFAULT_MINUTES;
    if ((err = db_exec(st, diag)))
        return err;
    return store_audit_object(a->s, tx, a->actor, "tenant.create", "tenant", t->id, a->now_ms,
                              diag);
}

enum rcm_err
store_tenant_create(struct rcm_store *s, const struct rcm_actor *actor, const char *slug,
                    const char *name, int64_t manager_id, int64_t now_ms,
                    struct rcm_tenant *out, struct rcm_diag *diag)
{
    struct tenant_new a = {s, actor, slug, name, manager_id, now_ms, out};
    return db_write(s->db, insert_tenant, &a, diag);
}

/* ---- reading ------------------------------------------------------------- */

/* One tenant by slug or id into out, or each of a company's clients to fn. */
struct tenant_read {
    const struct db_sql *sql;
    const char *slug;           /* TENANT_BY_SLUG */
    int64_t id;                 /* TENANT_GET, CLIENT_LIST */
    int64_t user_id;            /* CLIENT_LIST_ASSIGNED */
    struct rcm_tenant *out;
    rcm_tenant_row_fn fn;
    void *ctx;
};

static enum rcm_err
read_tenants(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct tenant_read *r = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, r->sql, &st, diag);
    if (err)
        return err;
    if (r->slug)
        db_bind_text(st, 1, r->slug);
    else
        db_bind_i64(st, 1, r->id);
    if (r->user_id)
        db_bind_i64(st, 2, r->user_id);
    bool row;
    struct rcm_tenant t;
    while (!(err = db_step(st, &row, diag)) && row) {
        tenant_row(st, &t);
        if (r->out) {
            *r->out = t;
            return RCM_OK;
        }
        if (r->fn(r->ctx, &t))
            break;
    }
    if (!err && r->out)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
    return err;
}

enum rcm_err
store_tenant_find(struct rcm_store *s, const char *slug, struct rcm_tenant *out,
                  struct rcm_diag *diag)
{
    struct tenant_read r = {&TENANT_BY_SLUG, slug, 0, 0, out, NULL, NULL};
    return store_read(s, read_tenants, &r, diag);
}

enum rcm_err
store_tenant_get(struct rcm_store *s, int64_t tenant_id, struct rcm_tenant *out,
                 struct rcm_diag *diag)
{
    struct tenant_read r = {&TENANT_GET, NULL, tenant_id, 0, out, NULL, NULL};
    return store_read(s, read_tenants, &r, diag);
}

enum rcm_err
store_client_list(struct rcm_store *s, int64_t manager_id, int64_t assigned_to,
                  rcm_tenant_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct tenant_read r = {assigned_to ? &CLIENT_LIST_ASSIGNED : &CLIENT_LIST, NULL,
                            manager_id, assigned_to, NULL, fn, ctx};
    return store_read(s, read_tenants, &r, diag);
}

/* ---- policy -------------------------------------------------------------- */

struct policy_set {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct rcm_tenant_policy *policy;
    int64_t now_ms;
};

static enum rcm_err
set_policy(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct policy_set *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &TENANT_POLICY_SET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->policy->mfa_required);
    db_bind_i64(st, 3, a->policy->session_idle_s);
    db_bind_i64(st, 4, a->policy->break_glass_max_minutes);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
    return store_audit_object(a->s, tx, a->actor, "tenant.policy.update", "tenant",
                              a->actor->tenant_id, a->now_ms, diag);
}

enum rcm_err
store_tenant_policy_set(struct rcm_store *s, const struct rcm_actor *actor,
                        const struct rcm_tenant_policy *policy, int64_t now_ms,
                        struct rcm_diag *diag)
{
    struct policy_set a = {s, actor, policy, now_ms};
    return db_write(s->db, set_policy, &a, diag);
}
