/*
 * store_client.c — client assignments on either database (migration 0020):
 * which of a billing company's staff may work in which of its client
 * practices, and with which role there. Owners and admins of the company
 * need none (they reach every client with their own role, and cannot be
 * given one); everyone else reaches only the clients assigned to them.
 * Every change is audited in the same transaction, in the company's log
 * and in the client's.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/roles.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

static const struct db_sql CLIENT_OF = {
    "CLIENT_OF", "SELECT count(*) FROM tenant WHERE id = ?1 AND manager_id = ?2", NULL};
static const struct db_sql STAFF_ROLE = {
    "STAFF_ROLE", "SELECT role FROM app_user WHERE id = ?1 AND tenant_id = ?2", NULL};
static const struct db_sql ASSIGN_PUT = {
    "ASSIGN_PUT", "INSERT INTO client_assignment(client_id, user_id, role, created_ms, "
    "updated_ms) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (client_id, user_id) DO UPDATE "
    "SET role = ?3, updated_ms = ?4", NULL};
static const struct db_sql ASSIGN_DELETE = {
    "ASSIGN_DELETE", "DELETE FROM client_assignment WHERE client_id = ?1 AND user_id = ?2",
    NULL};
static const struct db_sql ASSIGN_LIST = {
    "ASSIGN_LIST", "SELECT a.user_id, u.email, a.role, a.created_ms, a.updated_ms FROM "
    "client_assignment a JOIN app_user u ON u.id = a.user_id WHERE a.client_id = ?1 "
    "ORDER BY a.user_id", NULL};

bool
store_client_role_assignable(int role)
{
    return role >= 0 && role < RCM_ROLE_COUNT && role != RCM_ROLE_OWNER &&
           role != RCM_ROLE_API_CLIENT;
}

/* RCM_E_NOT_FOUND unless client_id is a client practice of manager_id. */
static enum rcm_err
check_client(struct db_tx *tx, int64_t manager_id, int64_t client_id, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLIENT_OF, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, client_id);
    db_bind_i64(st, 2, manager_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row || db_col_i64(st, 0) == 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such client practice");
    return RCM_OK;
}

struct assign {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t client_id;
    int64_t user_id;
    int role;                   /* -1: remove */
    int64_t now_ms;
};

/* The audit record of a change, in the company's log and in the client's. */
static enum rcm_err
audit_both(struct assign *a, struct db_tx *tx, const char *action, struct rcm_diag *diag)
{
    char id[48];
    snprintf(id, sizeof id, "%lld:%lld", (long long)a->client_id, (long long)a->user_id);
    struct rcm_audit_what what = {action, "client_assignment", id, NULL, "success"};
    enum rcm_err err = store_audit_write(a->s, tx, a->actor, &what, a->now_ms, diag);
    if (err)
        return err;
    struct rcm_actor in_client = *a->actor;
    in_client.tenant_id = a->client_id;
    return store_audit_write(a->s, tx, &in_client, &what, a->now_ms, diag);
}

static enum rcm_err
write_assignment(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct assign *a = ctx;
    enum rcm_err err = check_client(tx, a->actor->tenant_id, a->client_id, diag);
    if (err)
        return err;
    struct db_stmt *st;
    bool row;
    if ((err = db_prepare(tx, &STAFF_ROLE, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->user_id);
    db_bind_i64(st, 2, a->actor->tenant_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    int staff_role = rcm_role_parse(db_col_str(st, 0));
    if (a->role < 0) {
        if ((err = db_prepare(tx, &ASSIGN_DELETE, &st, diag)))
            return err;
        db_bind_i64(st, 1, a->client_id);
        db_bind_i64(st, 2, a->user_id);
        if ((err = db_exec(st, diag)))
            return err;
        if (db_changes(st) == 0)
            return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such assignment");
        return audit_both(a, tx, "client.unassign", diag);
    }
    if (staff_role == RCM_ROLE_OWNER || staff_role == RCM_ROLE_ADMIN ||
        staff_role == RCM_ROLE_API_CLIENT)
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "user_id: an owner or admin of the company reaches every client "
                             "with their own role, and an api_client user none; only other "
                             "staff take assignments");
    if ((err = db_prepare(tx, &ASSIGN_PUT, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->client_id);
    db_bind_i64(st, 2, a->user_id);
    db_bind_text(st, 3, rcm_role_name((enum rcm_role)a->role));
    db_bind_i64(st, 4, a->now_ms);
    if ((err = db_exec(st, diag)))
        return err;
    return audit_both(a, tx, "client.assign", diag);
}

enum rcm_err
store_client_assign(struct rcm_store *s, const struct rcm_actor *actor, int64_t client_id,
                    int64_t user_id, int role, int64_t now_ms, struct rcm_diag *diag)
{
    struct assign a = {s, actor, client_id, user_id, role, now_ms};
    return db_write(s->db, write_assignment, &a, diag);
}

struct assign_list {
    int64_t manager_id;
    int64_t client_id;
    rcm_assignment_row_fn fn;
    void *ctx;
};

static enum rcm_err
list_assignments(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct assign_list *l = ctx;
    enum rcm_err err = check_client(tx, l->manager_id, l->client_id, diag);
    if (err)
        return err;
    struct db_stmt *st;
    if ((err = db_prepare(tx, &ASSIGN_LIST, &st, diag)))
        return err;
    db_bind_i64(st, 1, l->client_id);
    bool row;
    struct rcm_client_assignment a;
    while (!(err = db_step(st, &row, diag)) && row) {
        memset(&a, 0, sizeof a);
        a.client_id = l->client_id;
        a.user_id = db_col_i64(st, 0);
        rcm_str_copy(a.email, sizeof a.email, rcm_str_c(db_col_str(st, 1)));
        a.role = rcm_role_parse(db_col_str(st, 2));
        a.created_ms = db_col_i64(st, 3);
        a.updated_ms = db_col_i64(st, 4);
        if (l->fn(l->ctx, &a))
            break;
    }
    return err;
}

enum rcm_err
store_client_assignment_list(struct rcm_store *s, int64_t manager_id, int64_t client_id,
                             rcm_assignment_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct assign_list l = {manager_id, client_id, fn, ctx};
    return store_read(s, list_assignments, &l, diag);
}
