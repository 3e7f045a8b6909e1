/*
 * store_int.h — what a storage backend implements. Private to src/store.
 *
 * A backend fills one struct rcm_store_ops; store.c validates arguments and
 * dispatches, so checks common to every backend live once.
 */
#ifndef RCM_STORE_INT_H
#define RCM_STORE_INT_H

#include "rcm/store.h"

struct rcm_store_ops {
    const char *name;
    enum rcm_err (*open)(const struct rcm_store_options *opt, void **impl,
                         struct rcm_diag *diag);
    void (*close)(void *impl);
    enum rcm_err (*migrate)(void *impl, struct rcm_migrate_report *report,
                            struct rcm_diag *diag);
    enum rcm_err (*schema_version)(void *impl, int *current, int *latest,
                                   struct rcm_diag *diag);
    enum rcm_err (*ping)(void *impl, struct rcm_diag *diag);
    enum rcm_err (*tenant_create)(void *impl, const struct rcm_actor *actor,
                                  const char *slug, const char *name,
                                  int64_t now_ms, struct rcm_tenant *out,
                                  struct rcm_diag *diag);
    enum rcm_err (*tenant_find)(void *impl, const char *slug,
                                struct rcm_tenant *out, struct rcm_diag *diag);
    enum rcm_err (*tenant_get)(void *impl, int64_t tenant_id, struct rcm_tenant *out,
                               struct rcm_diag *diag);
    enum rcm_err (*tenant_policy_set)(void *impl, const struct rcm_actor *actor,
                                      const struct rcm_tenant_policy *policy,
                                      int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*user_update)(void *impl, const struct rcm_actor *actor, int64_t user_id,
                                const struct rcm_user_change *change, int64_t now_ms,
                                struct rcm_user *out, struct rcm_diag *diag);
    enum rcm_err (*user_unlock)(void *impl, const struct rcm_actor *actor, int64_t user_id,
                                int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*break_glass_start)(void *impl, const struct rcm_actor *actor,
                                      int64_t session_id, const char *reason,
                                      int64_t until_ms, int64_t now_ms, int64_t *grant_id,
                                      struct rcm_diag *diag);
    enum rcm_err (*break_glass_end)(void *impl, const struct rcm_actor *actor,
                                    int64_t session_id, int64_t now_ms,
                                    struct rcm_diag *diag);
    enum rcm_err (*break_glass_list)(void *impl, int64_t tenant_id, int limit,
                                     rcm_break_glass_row_fn fn, void *ctx,
                                     struct rcm_diag *diag);
    enum rcm_err (*user_create)(void *impl, const struct rcm_actor *actor,
                                const char *email, const char *display_name,
                                const char *role, const char *password_hash,
                                int64_t now_ms, struct rcm_user *out,
                                struct rcm_diag *diag);
    enum rcm_err (*user_get)(void *impl, int64_t tenant_id, int64_t user_id,
                             struct rcm_user *out, struct rcm_diag *diag);
    enum rcm_err (*user_list)(void *impl, int64_t tenant_id, rcm_user_row_fn fn,
                              void *ctx, struct rcm_diag *diag);
    enum rcm_err (*login_lookup)(void *impl, const char *tenant_slug,
                                 const char *email, struct rcm_user *out,
                                 struct rcm_diag *diag);
    enum rcm_err (*login_failed)(void *impl, const struct rcm_actor *actor,
                                 int64_t user_id, uint32_t failures,
                                 int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*session_create)(void *impl, const struct rcm_actor *actor,
                                   const char *token_hash, const char *csrf_hash,
                                   bool mfa_ok, int64_t now_ms, int64_t *session_id,
                                   struct rcm_diag *diag);
    enum rcm_err (*mfa_get)(void *impl, int64_t tenant_id, int64_t user_id,
                            struct rcm_mfa_state *out, struct rcm_diag *diag);
    enum rcm_err (*mfa_begin)(void *impl, const struct rcm_actor *actor,
                              const uint8_t *sealed, size_t sealed_len, int64_t now_ms,
                              struct rcm_diag *diag);
    enum rcm_err (*mfa_enable)(void *impl, const struct rcm_actor *actor, int64_t step,
                               int64_t session_id, const uint8_t (*hashes)[32], size_t n,
                               int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*mfa_used)(void *impl, int64_t user_id, int64_t step, int slot,
                             int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*session_find)(void *impl, const char *token_hash,
                                 struct rcm_principal *out, struct rcm_diag *diag);
    enum rcm_err (*session_touch)(void *impl, int64_t session_id, int64_t now_ms,
                                  struct rcm_diag *diag);
    enum rcm_err (*session_revoke)(void *impl, const struct rcm_actor *actor,
                                   int64_t session_id, bool all, const char *action,
                                   int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*api_key_create)(void *impl, const struct rcm_actor *actor,
                                   const struct rcm_api_key *key, const char *role,
                                   const char *key_hash, int64_t now_ms, int64_t *id,
                                   struct rcm_diag *diag);
    enum rcm_err (*api_key_list)(void *impl, int64_t tenant_id, rcm_api_key_row_fn fn,
                                 void *ctx, struct rcm_diag *diag);
    enum rcm_err (*api_key_revoke)(void *impl, const struct rcm_actor *actor, int64_t id,
                                   int64_t now_ms, struct rcm_diag *diag);
    enum rcm_err (*api_key_find)(void *impl, const char *key_hash,
                                 struct rcm_api_key *out, struct rcm_diag *diag);
    enum rcm_err (*audit_append)(void *impl, const struct rcm_actor *actor,
                                 const struct rcm_audit_what *what,
                                 struct rcm_diag *diag);
    enum rcm_err (*audit_verify)(void *impl, struct rcm_audit_verify *v,
                                 struct rcm_diag *diag);
    enum rcm_err (*audit_query)(void *impl, const struct rcm_audit_filter *f,
                                rcm_audit_row_fn fn, void *ctx,
                                struct rcm_diag *diag);
};

extern const struct rcm_store_ops rcm_store_sqlite_ops;

/*
 * Compiled-in migrations for a backend, sorted by version: files named
 * src/store/migrations/<backend>/NNNN_name.sql.
 */
struct rcm_migration {
    int version;
    const char *name;       /* file name, e.g. "0001_init.sql" */
    const char *sql;
    size_t len;
};

/* Fill `out` (capacity `max`) and return the count, or -1 when a file name
 * is malformed or two share a version. */
int rcm_store_migrations(const char *backend, struct rcm_migration *out,
                         int max);

#endif
