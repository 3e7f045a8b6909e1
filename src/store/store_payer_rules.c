/*
 * store_payer_rules.c — a tenant's own scrubber rules for one of its payers
 * (table payer_rules; format docs/payer-rules.md, "A tenant's own rules"),
 * on either database. Text is checked by parsing it before it is stored,
 * so a stored rule always loads; claims to that payer are scrubbed with it
 * instead of the shipped rules (store_claim.c). Rules are configuration,
 * not PHI: a plain column. Changes are audited (payer_rules.update,
 * payer_rules.delete, object: the payer record id).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

static const struct db_sql PR_PAYER = {
    "PAYER_RULES_PAYER", "SELECT payer_id FROM payer WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql PR_GET = {
    "PAYER_RULES_GET", "SELECT rules, updated_ms FROM payer_rules WHERE tenant_id = ?1 AND "
    "payer_ref = ?2", NULL};
static const struct db_sql PR_PUT = {
    "PAYER_RULES_PUT", "INSERT INTO payer_rules (payer_ref, tenant_id, updated_ms, rules) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (payer_ref) DO UPDATE SET "
    "updated_ms = excluded.updated_ms, rules = excluded.rules", NULL};
static const struct db_sql PR_DELETE = {
    "PAYER_RULES_DELETE", "DELETE FROM payer_rules WHERE tenant_id = ?1 AND payer_ref = ?2",
    NULL};

struct pr_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t payer_ref, now_ms;
    const char *text;           /* put */
    char **out;                 /* get: owned copy, NULL when none */
    int64_t updated_ms;
    char payer_id[81];
};

/* The payer's payer_id when it is the actor's tenant's, else NOT_FOUND. */
static enum rcm_err
own_payer(struct db_tx *tx, struct pr_args *a, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PR_PAYER, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->payer_ref);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such payer");
    rcm_str_copy(a->payer_id, sizeof a->payer_id, rcm_str_c(db_col_str(st, 0)));
    return RCM_OK;
}

static enum rcm_err
get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct pr_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = own_payer(tx, a, diag);
    if (!err)
        err = db_prepare(tx, &PR_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->payer_ref);
    if ((err = db_step(st, &row, diag)) || !row)
        return err;
    a->updated_ms = db_col_i64(st, 1);
    *a->out = rcm_strdup(db_col_str(st, 0));
    return *a->out ? RCM_OK : RCM_E_NOMEM;
}

static enum rcm_err
audit(struct db_tx *tx, struct pr_args *a, const char *action, struct rcm_diag *diag)
{
    return store_audit_object(a->s, tx, a->actor, action, "payer", a->payer_ref, a->now_ms,
                              diag);
}

static enum rcm_err
put_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct pr_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = own_payer(tx, a, diag);
    if (!err) {     /* strict, as for a shipped file: a typo never disables a check */
        char name[96];
        struct rcm_payer_rules *rules;
        store_payer_rules_name(a->payer_id, name);
        err = rcm_payer_rules_parse(name, a->text, strlen(a->text), &rules, diag);
        rcm_payer_rules_free(rules);
        if (err == RCM_E_PARSE || err == RCM_E_TOO_LARGE)
            err = RCM_E_INVAL;
    }
    if (!err)
        err = db_prepare(tx, &PR_PUT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->payer_ref);
    db_bind_i64(st, 2, a->actor->tenant_id);
    db_bind_i64(st, 3, a->now_ms);
    db_bind_text(st, 4, a->text);
    if ((err = db_exec(st, diag)))
        return err;
    return audit(tx, a, "payer_rules.update", diag);
}

static enum rcm_err
delete_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct pr_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = own_payer(tx, a, diag);
    if (!err)
        err = db_prepare(tx, &PR_DELETE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->payer_ref);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "the payer has no rules of the tenant");
    return audit(tx, a, "payer_rules.delete", diag);
}


void
store_payer_rules_name(const char *payer_id, char name[96])
{
    snprintf(name, 96, "tenant:%.80s", payer_id);
}

enum rcm_err
rcm_store_payer_rules_put(struct rcm_store *store, const struct rcm_actor *actor,
                          int64_t payer_ref, const char *text, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "payer rules", diag))
        return RCM_E_INVAL;
    struct pr_args a = {store, actor, payer_ref, rcm_time_now_ms(), text, NULL, 0, {0}};
    return db_write(store->db, put_fn, &a, diag);
}

enum rcm_err
rcm_store_payer_rules_get(struct rcm_store *store, const struct rcm_actor *actor,
                          int64_t payer_ref, char **text, int64_t *updated_ms,
                          struct rcm_diag *diag)
{
    *text = NULL;
    *updated_ms = 0;
    if (!store_tenant_scoped(actor, "payer rules", diag))
        return RCM_E_INVAL;
    struct pr_args a = {store, actor, payer_ref, 0, NULL, text, 0, {0}};
    enum rcm_err err = store_read(store, get_fn, &a, diag);
    if (err) {
        rcm_free(*text);
        *text = NULL;
        return err;
    }
    *updated_ms = a.updated_ms;
    return RCM_OK;
}

enum rcm_err
rcm_store_payer_rules_delete(struct rcm_store *store, const struct rcm_actor *actor,
                             int64_t payer_ref, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "payer rules", diag))
        return RCM_E_INVAL;
    struct pr_args a = {store, actor, payer_ref, rcm_time_now_ms(), NULL, NULL, 0, {0}};
    return db_write(store->db, delete_fn, &a, diag);
}

enum rcm_err
store_payer_rules_read(struct db_tx *tx, int64_t tenant_id, int64_t payer_ref,
                       const char *payer_id, struct rcm_payer_rules **out,
                       struct rcm_diag *diag)
{
    *out = NULL;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PR_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant_id);
    db_bind_i64(st, 2, payer_ref);
    if ((err = db_step(st, &row, diag)) || !row)
        return err;
    char name[96];
    store_payer_rules_name(payer_id, name);
    const char *text = db_col_str(st, 0);
    return rcm_payer_rules_parse(name, text, strlen(text), out, diag);
}
