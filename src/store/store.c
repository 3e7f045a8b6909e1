/*
 * store.c — opening the store, argument checks, and the calls into the
 * domains (store_int.h).
 */
#include "rcm/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/embed.h"
#include "rcm/mem.h"
#include "rcm/roles.h"
#include "rcm/str.h"
#include "rcm/crypto.h"
#include "store/db.h"
#include "store_int.h"

enum rcm_err
rcm_store_open(const struct rcm_store_options *opt, struct rcm_store **out,
               struct rcm_diag *diag)
{
    *out = NULL;
    const char *backend = opt->backend ? opt->backend : "";
    if (strcmp(backend, "sqlite") != 0 && strcmp(backend, "postgres") != 0)
        return rcm_diag_fail(diag, RCM_E_UNSUPPORTED,
                             "storage backend \"%s\" is not available", backend);
    struct rcm_store *s = rcm_calloc(1, sizeof *s);
    if (!s)
        return RCM_E_NOMEM;
    store_audit_init(s);
    if (opt->audit_key) {
        memcpy(s->audit_key, opt->audit_key, RCM_AUDIT_KEY_BYTES);
        s->has_audit_key = true;
    }
    struct db_options o = {
        .backend = backend,
        .path = opt->path,
        .conninfo = opt->conninfo,
        .password_file = opt->password_file,
        .busy_timeout_ms = opt->busy_timeout_ms,
        .pool_size = opt->read_connections,
    };
    enum rcm_err err = db_open(&o, &s->db, diag);
    if (!err && opt->master_key)
        err = store_keyring_new(opt, &s->keys, diag);
    if (!err)
        err = store_keyring_sync(s, diag);
    if (err) {
        rcm_store_close(s);
        return err;
    }
    *out = s;
    return RCM_OK;
}

void
rcm_store_close(struct rcm_store *store)
{
    if (!store)
        return;
    db_close(store->db);
    store_keyring_free(store->keys);
    store_audit_destroy(store);
    rcm_crypto_wipe(store->audit_key, sizeof store->audit_key);
    rcm_free(store);
}

const char *
rcm_store_backend(const struct rcm_store *store)
{
    return db_backend(store->db);
}

const char *
rcm_store_library_versions(void)
{
    return db_library_versions();
}

enum rcm_err
store_read(struct rcm_store *s, store_read_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct db_tx *tx;
    enum rcm_err err = db_begin(s->db, DB_READ, &tx, diag);
    if (err)
        return err;
    err = fn(tx, ctx, diag);
    if (err) {
        db_rollback(tx);
        return err;
    }
    return db_commit(tx, diag);
}

enum rcm_err
rcm_store_migrate(struct rcm_store *store, struct rcm_migrate_report *report,
                  struct rcm_diag *diag)
{
    struct rcm_migrate_report ignored;
    enum rcm_err err = store_migrate(store->db, report ? report : &ignored, diag);
    if (!err)
        err = store_keyring_sync(store, diag);
    /* SQL cannot seal: reasons stored in plaintext before migration 0021 */
    int64_t sealed = 0;
    if (!err && store->keys)
        err = store_break_glass_seal_legacy(store, &sealed, diag);
    return err;
}

enum rcm_err
rcm_store_schema_version(struct rcm_store *store, int *current, int *latest,
                         struct rcm_diag *diag)
{
    return store_schema_version(store->db, current, latest, diag);
}

static const struct db_sql PING = {"PING", "SELECT 1", NULL};

static enum rcm_err
ping(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    (void)ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &PING, &st, diag);
    return err ? err : db_exec(st, diag);
}

enum rcm_err
rcm_store_ping(struct rcm_store *store, struct rcm_diag *diag)
{
    return store_read(store, ping, NULL, diag);
}

static bool
valid_slug(const char *slug)
{
    size_t n = strlen(slug);
    if (n == 0 || n > RCM_TENANT_SLUG_MAX || slug[0] == '-' || slug[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = slug[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static enum rcm_err
tenant_create(struct rcm_store *store, const struct rcm_actor *actor, const char *slug,
              const char *name, int64_t manager_id, struct rcm_tenant *out,
              struct rcm_diag *diag)
{
    if (!valid_slug(slug))
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "tenant slug must be 1-%d characters of a-z, 0-9 and "
                             "'-', not starting or ending with '-'",
                             RCM_TENANT_SLUG_MAX);
    size_t n = strlen(name);
    if (n == 0 || n > RCM_TENANT_NAME_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "tenant name must be 1-%d bytes", RCM_TENANT_NAME_MAX);
    return store_tenant_create(store, actor, slug, name, manager_id, rcm_time_now_ms(), out,
                               diag);
}

enum rcm_err
rcm_store_tenant_create(struct rcm_store *store, const struct rcm_actor *actor,
                        const char *slug, const char *name,
                        struct rcm_tenant *out, struct rcm_diag *diag)
{
    return tenant_create(store, actor, slug, name, 0, out, diag);
}

enum rcm_err
rcm_store_client_create(struct rcm_store *store, const struct rcm_actor *actor,
                        const char *slug, const char *name, struct rcm_tenant *out,
                        struct rcm_diag *diag)
{
    if (actor->tenant_id <= 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "a client practice needs a managing tenant");
    return tenant_create(store, actor, slug, name, actor->tenant_id, out, diag);
}

enum rcm_err
rcm_store_client_list(struct rcm_store *store, const struct rcm_actor *actor,
                      int64_t assigned_to, rcm_tenant_row_fn fn, void *ctx,
                      struct rcm_diag *diag)
{
    if (assigned_to < 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "bad user id");
    return store_client_list(store, actor->tenant_id, assigned_to, fn, ctx, diag);
}

enum rcm_err
rcm_store_client_assign(struct rcm_store *store, const struct rcm_actor *actor,
                        int64_t client_id, int64_t user_id, int role, struct rcm_diag *diag)
{
    if (client_id <= 0 || user_id <= 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such client practice or user");
    if (!store_client_role_assignable(role))
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "role: one of admin, biller, coder, front_desk, compliance, "
                             "analyst");
    return store_client_assign(store, actor, client_id, user_id, role, rcm_time_now_ms(),
                               diag);
}

enum rcm_err
rcm_store_client_unassign(struct rcm_store *store, const struct rcm_actor *actor,
                          int64_t client_id, int64_t user_id, struct rcm_diag *diag)
{
    if (client_id <= 0 || user_id <= 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such client practice or user");
    return store_client_assign(store, actor, client_id, user_id, -1, rcm_time_now_ms(), diag);
}

enum rcm_err
rcm_store_client_assignments(struct rcm_store *store, const struct rcm_actor *actor,
                             int64_t client_id, rcm_assignment_row_fn fn, void *ctx,
                             struct rcm_diag *diag)
{
    if (client_id <= 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such client practice");
    return store_client_assignment_list(store, actor->tenant_id, client_id, fn, ctx, diag);
}

enum rcm_err
rcm_store_tenant_find(struct rcm_store *store, const char *slug,
                      struct rcm_tenant *out, struct rcm_diag *diag)
{
    if (!valid_slug(slug))
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
    return store_tenant_find(store, slug, out, diag);
}

/* ---- users and sessions ------------------------------------------------ */

static bool
valid_email(const char *email)
{
    size_t n = strlen(email);
    const char *at = strchr(email, '@');
    if (n < 3 || n > RCM_EMAIL_MAX || !at || at == email || !at[1] || strchr(at + 1, '@'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)email[i] <= ' ' || email[i] == 0x7f)
            return false;
    return true;
}

static bool
tenant_scoped(const struct rcm_actor *actor, struct rcm_diag *diag)
{
    if (actor->tenant_id > 0)
        return true;
    rcm_diag_fail(diag, RCM_E_INVAL, "this operation needs a tenant");
    return false;
}

enum rcm_err
rcm_store_user_create(struct rcm_store *store, const struct rcm_actor *actor,
                      const char *email, const char *display_name, int role,
                      const char *password_hash, struct rcm_user *out,
                      struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (!valid_email(email))
        return rcm_diag_fail(diag, RCM_E_INVAL, "email must look like name@domain, at most "
                             "%d bytes", RCM_EMAIL_MAX);
    size_t n = strlen(display_name);
    if (n == 0 || n > RCM_DISPLAY_NAME_MAX || !rcm_utf8_valid(display_name, n))
        return rcm_diag_fail(diag, RCM_E_INVAL, "display name must be 1-%d bytes of UTF-8",
                             RCM_DISPLAY_NAME_MAX);
    if (role < 0 || role >= RCM_ROLE_COUNT)
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown role");
    return store_user_create(store, actor, email, display_name,
                             rcm_role_name((enum rcm_role)role), password_hash,
                             rcm_time_now_ms(), out, diag);
}

enum rcm_err
rcm_store_user_get(struct rcm_store *store, const struct rcm_actor *actor,
                   int64_t user_id, struct rcm_user *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_user_get(store, actor->tenant_id, user_id, out, diag);
}

enum rcm_err
rcm_store_user_list(struct rcm_store *store, const struct rcm_actor *actor,
                    rcm_user_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_user_list(store, actor->tenant_id, fn, ctx, diag);
}

enum rcm_err
rcm_store_login_lookup(struct rcm_store *store, const char *tenant_slug,
                       const char *email, struct rcm_user *out, struct rcm_diag *diag)
{
    if (!valid_slug(tenant_slug) || !valid_email(email))
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    return store_login_lookup(store, tenant_slug, email, out, diag);
}

/* Append ASCII-lower-cased `s` to text[n..cap); the new length. */
static size_t
lower_into(char *text, size_t cap, size_t n, const char *s)
{
    for (; *s && n < cap; s++)
        text[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    return n;
}

/* The hex HMAC naming a login identity (rcm_store_login_throttle_get). */
static enum rcm_err
login_identity_mac(struct rcm_store *store, const char *slug, const char *email,
                   char out[2 * RCM_SHA256_BYTES + 1], struct rcm_diag *diag)
{
    if (strlen(slug) > RCM_TENANT_SLUG_MAX || strlen(email) > RCM_EMAIL_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "tenant or email is longer than its limit");
    struct rcm_key key;
    enum rcm_err err = rcm_store_system_key(store, RCM_SYSTEM_KEY_LOGIN, &key, diag);
    if (err)
        return err;
    /* "<slug>\n<email>", ASCII lower-cased; both are length-checked by the
     * API (a longer one is a 422), so nothing is cut */
    char text[RCM_TENANT_SLUG_MAX + 1 + RCM_EMAIL_MAX];
    size_t n = lower_into(text, sizeof text, 0, slug);
    if (n < sizeof text)
        text[n++] = '\n';
    n = lower_into(text, sizeof text, n, email);
    uint8_t mac[RCM_SHA256_BYTES];
    rcm_hmac_sha256(key.bytes, sizeof key.bytes, text, n, mac);
    rcm_key_wipe(&key);
    rcm_hex_encode(mac, sizeof mac, out);
    return RCM_OK;
}

enum rcm_err
rcm_store_login_throttle_get(struct rcm_store *store, const char *tenant_slug,
                             const char *email, uint32_t *failures,
                             int64_t *last_failure_ms, struct rcm_diag *diag)
{
    char mac[2 * RCM_SHA256_BYTES + 1];
    *failures = 0;
    *last_failure_ms = 0;
    enum rcm_err err = login_identity_mac(store, tenant_slug, email, mac, diag);
    return err ? err
               : store_login_throttle_get(store, mac, failures, last_failure_ms, diag);
}

enum rcm_err
rcm_store_login_failed_identity(struct rcm_store *store, const struct rcm_actor *actor,
                                const char *tenant_slug, const char *email, uint32_t failures,
                                int64_t now_ms, int64_t prune_before_ms,
                                uint32_t locked_failures, struct rcm_diag *diag)
{
    if (failures == 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "a failed login counts at least one failure");
    char mac[2 * RCM_SHA256_BYTES + 1];
    enum rcm_err err = login_identity_mac(store, tenant_slug, email, mac, diag);
    return err ? err
               : store_login_failed_identity(store, actor, mac, failures, now_ms,
                                             prune_before_ms, locked_failures, diag);
}

enum rcm_err
rcm_store_login_failed(struct rcm_store *store, const struct rcm_actor *actor,
                       int64_t user_id, uint32_t failures, int64_t now_ms,
                       struct rcm_diag *diag)
{
    return store_login_failed(store, actor, user_id, failures, now_ms, diag);
}

enum rcm_err
rcm_store_session_create(struct rcm_store *store, const struct rcm_actor *actor,
                         const char *token_hash, const char *csrf_hash, bool mfa_ok,
                         int64_t now_ms, int64_t *session_id, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0 ||
        strlen(token_hash) != RCM_HASH_HEX_LEN || strlen(csrf_hash) != RCM_HASH_HEX_LEN)
        return rcm_diag_fail(diag, RCM_E_INVAL, "a session needs a user and token hashes");
    return store_session_create(store, actor, token_hash, csrf_hash, mfa_ok, now_ms,
                                session_id, diag);
}

enum rcm_err
rcm_store_session_find(struct rcm_store *store, const char *token_hash,
                       struct rcm_principal *out, struct rcm_diag *diag)
{
    if (strlen(token_hash) != RCM_HASH_HEX_LEN)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such session");
    return store_session_find(store, token_hash, out, diag);
}

enum rcm_err
rcm_store_session_touch(struct rcm_store *store, int64_t session_id, int64_t now_ms,
                        struct rcm_diag *diag)
{
    return store_session_touch(store, session_id, now_ms, diag);
}

enum rcm_err
rcm_store_session_revoke(struct rcm_store *store, const struct rcm_actor *actor,
                         int64_t session_id, bool all, const char *action,
                         struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0)
        return RCM_E_INVAL;
    return store_session_revoke(store, actor, session_id, all, action, rcm_time_now_ms(),
                                diag);
}

/* ---- tenant policy, user management, break-glass ------------------------- */

static bool
valid_policy(const struct rcm_tenant_policy *p)
{
    return (p->session_idle_s == 0 || (p->session_idle_s >= RCM_POLICY_IDLE_MIN_S &&
                                       p->session_idle_s <= RCM_POLICY_IDLE_MAX_S)) &&
           p->break_glass_max_minutes >= RCM_POLICY_BREAK_GLASS_MIN_MINUTES &&
           p->break_glass_max_minutes <= RCM_POLICY_BREAK_GLASS_MAX_MINUTES;
}

enum rcm_err
rcm_store_tenant_get(struct rcm_store *store, const struct rcm_actor *actor,
                     struct rcm_tenant *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_tenant_get(store, actor->tenant_id, out, diag);
}

enum rcm_err
rcm_store_tenant_policy_set(struct rcm_store *store, const struct rcm_actor *actor,
                            const struct rcm_tenant_policy *policy, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (!valid_policy(policy))
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "session_idle_s must be %d-%d (or 0 for the server's default) "
                             "and break_glass_max_minutes %d-%d",
                             RCM_POLICY_IDLE_MIN_S, RCM_POLICY_IDLE_MAX_S,
                             RCM_POLICY_BREAK_GLASS_MIN_MINUTES,
                             RCM_POLICY_BREAK_GLASS_MAX_MINUTES);
    return store_tenant_policy_set(store, actor, policy, rcm_time_now_ms(), diag);
}

enum rcm_err
rcm_store_user_update(struct rcm_store *store, const struct rcm_actor *actor,
                      int64_t user_id, const struct rcm_user_change *change,
                      struct rcm_user *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (change->role < -1 || change->role >= RCM_ROLE_COUNT)
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown role");
    if (change->disabled < -1 || change->disabled > 1)
        return rcm_diag_fail(diag, RCM_E_INVAL, "disabled must be true or false");
    if (change->display_name) {
        size_t n = strlen(change->display_name);
        if (n == 0 || n > RCM_DISPLAY_NAME_MAX || !rcm_utf8_valid(change->display_name, n))
            return rcm_diag_fail(diag, RCM_E_INVAL,
                                 "display name must be 1-%d bytes of UTF-8",
                                 RCM_DISPLAY_NAME_MAX);
    }
    return store_user_update(store, actor, user_id, change, rcm_time_now_ms(), out, diag);
}

enum rcm_err
rcm_store_user_unlock(struct rcm_store *store, const struct rcm_actor *actor,
                      int64_t user_id, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_user_unlock(store, actor, user_id, rcm_time_now_ms(), diag);
}

/* Characters (code points) of valid UTF-8. */
static size_t
utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

enum rcm_err
rcm_store_break_glass_start(struct rcm_store *store, const struct rcm_actor *actor,
                            int64_t session_id, const char *reason, int64_t until_ms,
                            int64_t *grant_id, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0 || session_id <= 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "break-glass needs a user's session");
    size_t bytes = strlen(reason), chars = rcm_utf8_valid(reason, bytes) ? utf8_chars(reason) : 0;
    if (chars < RCM_BREAK_GLASS_REASON_MIN || chars > RCM_BREAK_GLASS_REASON_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the reason must be %d-%d characters of UTF-8",
                             RCM_BREAK_GLASS_REASON_MIN, RCM_BREAK_GLASS_REASON_MAX);
    int64_t now = rcm_time_now_ms();
    if (until_ms <= now)
        return rcm_diag_fail(diag, RCM_E_INVAL, "break-glass must end after now");
    return store_break_glass_start(store, actor, session_id, reason, until_ms, now, grant_id,
                                   diag);
}

enum rcm_err
rcm_store_break_glass_end(struct rcm_store *store, const struct rcm_actor *actor,
                          int64_t session_id, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0)
        return RCM_E_INVAL;
    return store_break_glass_end(store, actor, session_id, rcm_time_now_ms(), diag);
}

enum rcm_err
rcm_store_break_glass_expire(struct rcm_store *store, int64_t now_ms, int *n,
                             struct rcm_diag *diag)
{
    int ignored;
    return store_break_glass_expire(store, now_ms, n ? n : &ignored, diag);
}

enum rcm_err
rcm_store_break_glass_list(struct rcm_store *store, const struct rcm_actor *actor, int limit,
                           rcm_break_glass_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (limit < 1 || limit > 1000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1..1000");
    return store_break_glass_list(store, actor->tenant_id, limit, fn, ctx, diag);
}

/* ---- second factor ------------------------------------------------------ */

enum rcm_err
rcm_store_mfa_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t user_id,
                  struct rcm_mfa_state *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_mfa_get(store, actor->tenant_id, user_id, out, diag);
}

enum rcm_err
rcm_store_mfa_begin(struct rcm_store *store, const struct rcm_actor *actor,
                    const uint8_t *sealed, size_t sealed_len, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0 || sealed_len == 0 ||
        sealed_len > RCM_MFA_SEALED_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "bad second-factor enrolment");
    return store_mfa_begin(store, actor, sealed, sealed_len, rcm_time_now_ms(), diag);
}

enum rcm_err
rcm_store_mfa_enable(struct rcm_store *store, const struct rcm_actor *actor, int64_t step,
                     int64_t session_id, const uint8_t (*hashes)[32], size_t n,
                     struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0 || n > RCM_MFA_RECOVERY_CODES)
        return rcm_diag_fail(diag, RCM_E_INVAL, "bad second-factor confirmation");
    return store_mfa_enable(store, actor, step, session_id, hashes, n, rcm_time_now_ms(),
                            diag);
}

enum rcm_err
rcm_store_mfa_used(struct rcm_store *store, int64_t user_id, int64_t step, int slot,
                   struct rcm_diag *diag)
{
    return store_mfa_used(store, user_id, step, slot, rcm_time_now_ms(), diag);
}

/* ---- API keys ------------------------------------------------------------ */

enum rcm_err
rcm_store_api_key_create(struct rcm_store *store, const struct rcm_actor *actor,
                         const struct rcm_api_key *key, const char *key_hash, int64_t *id,
                         struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag) || actor->user_id <= 0)
        return RCM_E_INVAL;
    size_t n = strlen(key->name);
    if (n == 0 || n > RCM_API_KEY_NAME_MAX || !rcm_utf8_valid(key->name, n))
        return rcm_diag_fail(diag, RCM_E_INVAL, "key name must be 1-%d bytes of UTF-8",
                             RCM_API_KEY_NAME_MAX);
    if (key->role < 0 || key->role >= RCM_ROLE_COUNT || key->role == RCM_ROLE_OWNER)
        return rcm_diag_fail(diag, RCM_E_INVAL, "an API key cannot have the owner role");
    if (strlen(key_hash) != RCM_HASH_HEX_LEN)
        return rcm_diag_fail(diag, RCM_E_INVAL, "bad key hash");
    return store_api_key_create(store, actor, key, rcm_role_name((enum rcm_role)key->role),
                                key_hash, rcm_time_now_ms(), id, diag);
}

enum rcm_err
rcm_store_api_key_list(struct rcm_store *store, const struct rcm_actor *actor,
                       rcm_api_key_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_api_key_list(store, actor->tenant_id, fn, ctx, diag);
}

enum rcm_err
rcm_store_api_key_revoke(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                         struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    return store_api_key_revoke(store, actor, id, rcm_time_now_ms(), diag);
}

enum rcm_err
rcm_store_api_key_find(struct rcm_store *store, const char *key_hash,
                       struct rcm_api_key *out, struct rcm_diag *diag)
{
    if (strlen(key_hash) != RCM_HASH_HEX_LEN)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such key");
    return store_api_key_find(store, key_hash, out, diag);
}

/* ---- audit ----------------------------------------------------------- */

enum rcm_err
rcm_store_audit_append(struct rcm_store *store, const struct rcm_actor *actor,
                       const struct rcm_audit_what *what, struct rcm_diag *diag)
{
    if (!what->action || !what->action[0] || !what->outcome)
        return rcm_diag_fail(diag, RCM_E_INVAL, "an audit record needs an action and an outcome");
    return store_audit_append(store, actor, what, diag);
}

enum rcm_err
rcm_store_audit_verify(struct rcm_store *store, struct rcm_audit_verify *v,
                       struct rcm_diag *diag)
{
    return store_audit_verify(store, v, diag);
}

enum rcm_err
rcm_store_audit_query(struct rcm_store *store, const struct rcm_audit_filter *f,
                      rcm_audit_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (f->tenant_id < -1 || f->tenant_id == 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "an audit query needs a tenant");
    if (f->emergency < -1 || f->emergency > 1)
        return rcm_diag_fail(diag, RCM_E_INVAL, "emergency must be -1, 0 or 1");
    if (f->limit < 1 || f->limit > 10000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1..10000");
    return store_audit_query(store, f, fn, ctx, diag);
}

/* ---- idempotency keys ------------------------------------------------------ */

bool
rcm_idempotency_key_valid(const char *key)
{
    size_t n = key ? strnlen(key, RCM_IDEMPOTENCY_KEY_MAX + 1) : 0;
    if (n == 0 || n > RCM_IDEMPOTENCY_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return false;
    return true;
}

/* Printable ASCII, 1..max bytes (a route, a content type). */
static bool
short_ascii(const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max + 1) : 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return n > 0 && n <= max;
}

static bool
idem_principal(const struct rcm_actor *actor, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return false;
    if (short_ascii(actor->type, 32))
        return true;
    rcm_diag_fail(diag, RCM_E_INVAL, "an idempotency key needs an actor type");
    return false;
}

/*
 * The keys idempotency rows need, each derived from the system key for one
 * use only: `seal` seals answers, `mac` names the client's keys (which are
 * client-chosen text and may say more than they should, so only their HMAC
 * is stored). Both are the caller's to wipe.
 */
static enum rcm_err
idem_keys(struct rcm_store *store, struct rcm_key *seal, uint8_t mac[RCM_KEY_BYTES],
          struct rcm_diag *diag)
{
    static const char seal_label[] = "openrcm/idempotency/seal/v1";
    static const char mac_label[] = "openrcm/idempotency/key-mac/v1";
    struct rcm_key k;
    enum rcm_err err = rcm_store_system_key(store, RCM_SYSTEM_KEY_IDEMPOTENCY, &k, diag);
    if (err)
        return err;
    uint8_t bytes[RCM_KEY_BYTES];
    rcm_hmac_sha256(k.bytes, sizeof k.bytes, seal_label, sizeof seal_label - 1, bytes);
    rcm_key_from_bytes(seal, bytes);
    rcm_hmac_sha256(k.bytes, sizeof k.bytes, mac_label, sizeof mac_label - 1, mac);
    rcm_crypto_wipe(bytes, sizeof bytes);
    rcm_key_wipe(&k);
    return RCM_OK;
}

enum rcm_err
rcm_store_idempotency_begin(struct rcm_store *store, const struct rcm_actor *actor,
                            const char *route, const char *key,
                            const uint8_t request_hash[RCM_SHA256_BYTES], int64_t ttl_ms,
                            enum rcm_idempotency_state *state, int64_t *id,
                            struct rcm_idempotency_answer *answer, struct rcm_diag *diag)
{
    *state = RCM_IDEMPOTENCY_NEW;
    *id = 0;
    *answer = (struct rcm_idempotency_answer){0};
    if (!idem_principal(actor, diag))
        return RCM_E_INVAL;
    if (!short_ascii(route, RCM_IDEMPOTENCY_ROUTE_MAX) || ttl_ms < 1)
        return rcm_diag_fail(diag, RCM_E_INVAL, "an idempotency key needs a route and a "
                             "lifetime");
    if (!rcm_idempotency_key_valid(key))
        return rcm_diag_fail(diag, RCM_E_INVAL, "an idempotency key is 1-%d characters of "
                             "printable ASCII", RCM_IDEMPOTENCY_KEY_MAX);
    struct store_idem_request r = {.route = route, .now_ms = rcm_time_now_ms(),
                                   .ttl_ms = ttl_ms};
    memcpy(r.request_hash, request_hash, RCM_SHA256_BYTES);
    struct rcm_key seal;
    uint8_t mac[RCM_KEY_BYTES];
    enum rcm_err err = idem_keys(store, &seal, mac, diag);
    if (err)
        return err;
    rcm_hmac_sha256(mac, sizeof mac, key, strlen(key), r.key_hash);
    rcm_crypto_wipe(mac, sizeof mac);
    err = store_idempotency_begin(store, actor, &seal, &r, state, id, answer, diag);
    rcm_key_wipe(&seal);
    return err;
}

enum rcm_err
rcm_store_idempotency_finish(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                             int status, const char *content_type, const void *body,
                             size_t body_len, struct rcm_diag *diag)
{
    if (!idem_principal(actor, diag))
        return RCM_E_INVAL;
    if (id <= 0 || status < 100 || status > 599 ||
        !short_ascii(content_type, RCM_IDEMPOTENCY_TYPE_MAX) || (body_len && !body))
        return rcm_diag_fail(diag, RCM_E_INVAL, "an idempotent answer needs a key, a status "
                             "and a content type of at most %d characters",
                             RCM_IDEMPOTENCY_TYPE_MAX);
    if (body_len > RCM_IDEMPOTENCY_BODY_MAX)
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE, "an idempotent answer is kept only up to "
                             "%d bytes", RCM_IDEMPOTENCY_BODY_MAX);
    struct rcm_key seal;
    uint8_t mac[RCM_KEY_BYTES];
    enum rcm_err err = idem_keys(store, &seal, mac, diag);
    rcm_crypto_wipe(mac, sizeof mac);
    if (err)
        return err;
    err = store_idempotency_finish(store, actor, &seal, id, status, content_type, body,
                                   body_len, rcm_time_now_ms(), diag);
    rcm_key_wipe(&seal);
    return err;
}

enum rcm_err
rcm_store_idempotency_release(struct rcm_store *store, const struct rcm_actor *actor,
                              int64_t id, struct rcm_diag *diag)
{
    if (!idem_principal(actor, diag))
        return RCM_E_INVAL;
    if (id <= 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no idempotency key to release");
    return store_idempotency_release(store, actor, id, rcm_time_now_ms(), diag);
}

/* ---- jobs --------------------------------------------------------------- */

/* 1-63 of a-z 0-9 . _ - (a kind name, never free text) */
static bool
valid_job_kind(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n == 0 || n > RCM_JOB_KIND_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = kind[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

/* 1-127 printable ASCII: a worker's id, stored and compared as it is */
static enum rcm_err
check_job_owner(const char *owner, struct rcm_diag *diag)
{
    size_t n = owner ? strlen(owner) : 0;
    bool ok = n > 0 && n <= RCM_JOB_OWNER_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = owner[i] > ' ' && owner[i] < 0x7f;
    return ok ? RCM_OK : rcm_diag_fail(diag, RCM_E_INVAL, "a job owner must be 1-%d "
                                       "printable characters", RCM_JOB_OWNER_MAX);
}

/* A JSON object's text of at most RCM_JOB_JSON_MAX bytes (NULL when
 * `optional`). Its members are the job kind's business. */
static enum rcm_err
check_job_json(const char *what, const char *json, bool optional, struct rcm_diag *diag)
{
    if (!json && optional)
        return RCM_OK;
    size_t n = json ? strlen(json) : 0;
    if (n < 2 || n > RCM_JOB_JSON_MAX || json[0] != '{' || json[n - 1] != '}')
        return rcm_diag_fail(diag, RCM_E_INVAL, "job %s must be a JSON object of at most "
                             "%d bytes", what, RCM_JOB_JSON_MAX);
    return RCM_OK;
}

/* a lease of 1 ms to one day */
static enum rcm_err
check_job_lease(int64_t lease_ms, struct rcm_diag *diag)
{
    if (lease_ms < 1 || lease_ms > 86400000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "a job lease must be 1 ms to one day");
    return RCM_OK;
}

enum rcm_err
rcm_store_job_enqueue(struct rcm_store *store, const struct rcm_actor *actor,
                      const char *kind, const char *params, int max_attempts, bool unique,
                      struct rcm_job *out, bool *created, struct rcm_diag *diag)
{
    *created = false;
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (!valid_job_kind(kind))
        return rcm_diag_fail(diag, RCM_E_INVAL, "a job kind must be 1-%d characters of "
                             "a-z, 0-9, '.', '_' and '-'", RCM_JOB_KIND_MAX);
    if (max_attempts < 1 || max_attempts > RCM_JOB_ATTEMPTS_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "max_attempts must be 1-%d",
                             RCM_JOB_ATTEMPTS_MAX);
    enum rcm_err err = check_job_json("params", params, false, diag);
    return err ? err : store_job_enqueue(store, actor, kind, params, max_attempts, unique,
                                         rcm_time_now_ms(), out, created, diag);
}

enum rcm_err
rcm_store_job_claim(struct rcm_store *store, const char *owner, int64_t lease_ms,
                    int64_t now_ms, struct rcm_job *out, struct rcm_diag *diag)
{
    enum rcm_err err = check_job_owner(owner, diag);
    if (!err)
        err = check_job_lease(lease_ms, diag);
    return err ? err : store_job_claim(store, owner, lease_ms, now_ms, out, diag);
}

enum rcm_err
rcm_store_job_progress(struct rcm_store *store, int64_t id, const char *owner, int64_t done,
                       int64_t total, int64_t lease_ms, int64_t now_ms, struct rcm_diag *diag)
{
    enum rcm_err err = check_job_owner(owner, diag);
    if (!err)
        err = check_job_lease(lease_ms, diag);
    if (!err && (done < 0 || total < 0))
        err = rcm_diag_fail(diag, RCM_E_INVAL, "job progress cannot be negative");
    return err ? err : store_job_progress(store, id, owner, done, total, lease_ms, now_ms,
                                          diag);
}

enum rcm_err
rcm_store_job_release(struct rcm_store *store, int64_t id, const char *owner, bool refund,
                      const char *error, int64_t now_ms, struct rcm_diag *diag)
{
    enum rcm_err err = check_job_owner(owner, diag);
    return err ? err : store_job_release(store, id, owner, refund, error, now_ms, diag);
}

enum rcm_err
rcm_store_job_finish(struct rcm_store *store, int64_t id, const char *owner, bool ok,
                     const char *result, const char *error, int64_t now_ms,
                     struct rcm_diag *diag)
{
    enum rcm_err err = check_job_owner(owner, diag);
    if (!err)
        err = check_job_json("result", result, true, diag);
    return err ? err : store_job_finish(store, id, owner, ok, result, error, now_ms, diag);
}

enum rcm_err
rcm_store_job_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                  struct rcm_job *out, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (id <= 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such job");
    return store_job_get(store, actor->tenant_id, id, out, diag);
}

enum rcm_err
rcm_store_job_list(struct rcm_store *store, const struct rcm_actor *actor, int64_t before_id,
                   int limit, rcm_job_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (!tenant_scoped(actor, diag))
        return RCM_E_INVAL;
    if (before_id < 0 || limit < 1 || limit > RCM_JOB_LIST_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "before must be a job id and limit 1-%d",
                             RCM_JOB_LIST_MAX);
    return store_job_list(store, actor->tenant_id, before_id, limit, fn, ctx, diag);
}

/* ---- migrations ------------------------------------------------------ */

static int
by_version(const void *a, const void *b)
{
    const struct rcm_migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

int
rcm_store_migrations(const char *backend, struct rcm_migration *out, int max)
{
    char prefix[64];
    size_t plen = (size_t)snprintf(prefix, sizeof prefix,
                                   "src/store/migrations/%s/", backend);
    int n = 0;
    for (const struct rcm_embedded_file *f = rcm_embedded_files; f->path; f++) {
        if (strncmp(f->path, prefix, plen) != 0)
            continue;
        const char *name = f->path + plen;
        /* NNNN_name.sql */
        if (strlen(name) < 10 || name[4] != '_' ||
            strcmp(name + strlen(name) - 4, ".sql") != 0)
            return -1;
        int v = 0;
        for (int i = 0; i < 4; i++) {
            if (name[i] < '0' || name[i] > '9')
                return -1;
            v = v * 10 + (name[i] - '0');
        }
        if (n == max || v == 0)
            return -1;
        out[n++] = (struct rcm_migration){v, name, f->data, f->len};
    }
    qsort(out, (size_t)n, sizeof *out, by_version);
    for (int i = 1; i < n; i++)
        if (out[i].version == out[i - 1].version)
            return -1;
    return n;
}
