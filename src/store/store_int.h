/*
 * store_int.h — between the store's public API (store.c checks arguments)
 * and its domains, each written once over the SQL driver (db.h) for both
 * databases. Private to src/store.
 */
#ifndef RCM_STORE_INT_H
#define RCM_STORE_INT_H

#include <pthread.h>

#include "rcm/crypto.h"
#include "rcm/patient.h"
#include "rcm/store.h"
#include "rcm/str.h"

/* Blind-index columns, in the order of enum rcm_blind_kind - 1. */
#define STORE_BIDX_COUNT 4

/* A patient as stored: every field an AES-256-GCM envelope (len 0 = none). */
struct store_patient_row {
    int64_t id;
    int64_t tenant_id;
    int64_t created_ms;
    int64_t updated_ms;
    char uid[33];
    uint8_t wrapped_key[RCM_KEY_WRAPPED_BYTES];
    uint8_t sealed[RCM_PF_COUNT][RCM_PATIENT_VALUE_MAX + RCM_AEAD_OVERHEAD_BYTES];
    size_t sealed_len[RCM_PF_COUNT];
    uint8_t bidx[STORE_BIDX_COUNT][RCM_BLIND_INDEX_BYTES];
    bool has_bidx[STORE_BIDX_COUNT];
};

typedef int (*store_patient_row_fn)(void *ctx, const struct store_patient_row *row);

/* Re-wrap one wrapped key (rotation): `owner` says whose key it is (for the
 * wrapping context); out gets the new envelope. */
typedef enum rcm_err (*store_rewrap_fn)(void *ctx, int64_t tenant_id, const char *owner,
                                        const uint8_t *wrapped,
                                        uint8_t out[RCM_KEY_WRAPPED_BYTES]);

typedef enum rcm_err (*store_rekey_fn)(void *ctx, struct store_patient_row *row);

/* Key rows named by purpose: system keys use tenant_id 0. */
#define STORE_KEY_DATA "data"
#define STORE_KEY_INDEX "index"
#define STORE_KEY_DATA_NEXT "data-next"
#define STORE_KEY_INDEX_NEXT "index-next"
/* seals a tenant's free text that is not a patient record (break-glass
 * reasons; migration 0021). Not replaced by a tenant rotation (only re-wrapped
 * by a master rotation, like every key row). */
#define STORE_KEY_NOTE "note"


/* Keys the store holds (store_keys.c). */
struct store_keyring;
struct db;
struct db_tx;
struct store_audit_waiter;

struct rcm_store {
    struct db *db;                  /* the SQL driver: every domain runs on it */
    bool has_audit_key;
    uint8_t audit_key[RCM_AUDIT_KEY_BYTES];
    /* group commit of audit-only records (store_audit.c) */
    pthread_mutex_t group_mu;
    pthread_cond_t group_cv;
    struct store_audit_waiter *group_queue;
    bool group_leader;
    struct store_keyring *keys;     /* NULL when opened without a master key */
    /* the head last anchored by this process, or treated as such by
     * rcm_store_audit_anchor_baseline (store_anchor.c) */
    bool anchored;
    int64_t anchored_seq;
    uint8_t anchored_hash[RCM_SHA256_BYTES];
};

/*
 * ---- The domains, each written once over the SQL driver (db.h) ----------
 *
 * store.c checks arguments and calls these; they run the SQL and the rules
 * that need the database (last owner, managed practice, break-glass…) in
 * one transaction, and every change writes its audit record in that same
 * transaction (store_audit_write). Contracts are those of the matching
 * rcm_store_* function in rcm/store.h unless said here.
 */

/* Run fn in a read transaction (a snapshot) and end it. */
typedef enum rcm_err (*store_read_fn)(struct db_tx *tx, void *ctx, struct rcm_diag *diag);
enum rcm_err store_read(struct rcm_store *s, store_read_fn fn, void *ctx,
                        struct rcm_diag *diag) RCM_MUST_CHECK;

/* store_payer_rules.c. The tenant's own rule for payer record payer_ref
 * (payer_id: its 2010BB id, for the rule's name "tenant:<payer_id>"),
 * parsed, or *out NULL when it has none. *out owned (rcm_payer_rules_free). */
struct rcm_payer_rules;
enum rcm_err store_payer_rules_read(struct db_tx *tx, int64_t tenant_id, int64_t payer_ref,
                                    const char *payer_id, struct rcm_payer_rules **out,
                                    struct rcm_diag *diag) RCM_MUST_CHECK;
void store_payer_rules_name(const char *payer_id, char name[96]);

/* store_audit.c. Append one record inside the caller's write transaction:
 * next sequence number and link from the head (taken with a row lock on
 * PostgreSQL), hash, per-patient index rows, new keyed head, and a keyed
 * checkpoint every RCM_AUDIT_CHECKPOINT_EVERY records. RCM_E_CONFIG when
 * the store has no audit key. */
enum rcm_err store_audit_write(struct rcm_store *s, struct db_tx *tx,
                               const struct rcm_actor *actor,
                               const struct rcm_audit_what *what, int64_t now_ms,
                               struct rcm_diag *diag) RCM_MUST_CHECK;
/* The same for a successful change to one object named by a number. */
enum rcm_err store_audit_object(struct rcm_store *s, struct db_tx *tx,
                                const struct rcm_actor *actor, const char *action,
                                const char *object_type, int64_t object_id, int64_t now_ms,
                                struct rcm_diag *diag) RCM_MUST_CHECK;
/* A record that changes nothing else (a read of PHI, a failed login), in
 * a transaction of its own shared with concurrent callers (group commit). */
enum rcm_err store_audit_append(struct rcm_store *s, const struct rcm_actor *actor,
                                const struct rcm_audit_what *what, struct rcm_diag *diag);
enum rcm_err store_audit_verify(struct rcm_store *s, struct rcm_audit_verify *v,
                                struct rcm_diag *diag);
/* The committed head (seq 0: empty log). */
enum rcm_err store_audit_head(struct rcm_store *s, int64_t *seq,
                              uint8_t hash[RCM_SHA256_BYTES], struct rcm_diag *diag);
enum rcm_err store_audit_query(struct rcm_store *s, const struct rcm_audit_filter *f,
                               rcm_audit_row_fn fn, void *ctx, struct rcm_diag *diag);
/* Group-commit state: init at open, destroy at close. */
void store_audit_init(struct rcm_store *s);
void store_audit_destroy(struct rcm_store *s);

/* store_tenant.c. manager_id 0: an independent tenant; else a client
 * practice of it. */
enum rcm_err store_tenant_create(struct rcm_store *s, const struct rcm_actor *actor,
                                 const char *slug, const char *name, int64_t manager_id,
                                 int64_t now_ms, struct rcm_tenant *out, struct rcm_diag *diag);
enum rcm_err store_tenant_find(struct rcm_store *s, const char *slug, struct rcm_tenant *out,
                               struct rcm_diag *diag);
enum rcm_err store_tenant_get(struct rcm_store *s, int64_t tenant_id, struct rcm_tenant *out,
                              struct rcm_diag *diag);
enum rcm_err store_tenant_policy_set(struct rcm_store *s, const struct rcm_actor *actor,
                                     const struct rcm_tenant_policy *policy, int64_t now_ms,
                                     struct rcm_diag *diag);
/* assigned_to 0: every client of manager_id; else those assigned to that
 * user (migration 0020). */
enum rcm_err store_client_list(struct rcm_store *s, int64_t manager_id, int64_t assigned_to,
                               rcm_tenant_row_fn fn, void *ctx, struct rcm_diag *diag);

/* store_client.c: client assignments. role -1 removes the assignment. */
bool store_client_role_assignable(int role);
enum rcm_err store_client_assign(struct rcm_store *s, const struct rcm_actor *actor,
                                 int64_t client_id, int64_t user_id, int role, int64_t now_ms,
                                 struct rcm_diag *diag);
enum rcm_err store_client_assignment_list(struct rcm_store *s, int64_t manager_id,
                                          int64_t client_id, rcm_assignment_row_fn fn,
                                          void *ctx, struct rcm_diag *diag);

/* store_user.c: users, logins and their throttle, sessions, break-glass. */
enum rcm_err store_user_create(struct rcm_store *s, const struct rcm_actor *actor,
                               const char *email, const char *display_name, const char *role,
                               const char *password_hash, int64_t now_ms,
                               struct rcm_user *out, struct rcm_diag *diag);
enum rcm_err store_user_get(struct rcm_store *s, int64_t tenant_id, int64_t user_id,
                            struct rcm_user *out, struct rcm_diag *diag);
enum rcm_err store_user_list(struct rcm_store *s, int64_t tenant_id, rcm_user_row_fn fn,
                             void *ctx, struct rcm_diag *diag);
enum rcm_err store_user_update(struct rcm_store *s, const struct rcm_actor *actor,
                               int64_t user_id, const struct rcm_user_change *change,
                               int64_t now_ms, struct rcm_user *out, struct rcm_diag *diag);
enum rcm_err store_user_unlock(struct rcm_store *s, const struct rcm_actor *actor,
                               int64_t user_id, int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_login_lookup(struct rcm_store *s, const char *tenant_slug,
                                const char *email, struct rcm_user *out,
                                struct rcm_diag *diag);
enum rcm_err store_login_failed(struct rcm_store *s, const struct rcm_actor *actor,
                                int64_t user_id, uint32_t failures, int64_t now_ms,
                                struct rcm_diag *diag);
enum rcm_err store_login_throttle_get(struct rcm_store *s, const char *identity_mac,
                                      uint32_t *failures, int64_t *last_failure_ms,
                                      struct rcm_diag *diag);
enum rcm_err store_login_failed_identity(struct rcm_store *s, const struct rcm_actor *actor,
                                         const char *identity_mac, uint32_t failures,
                                         int64_t now_ms, int64_t prune_before_ms,
                                         uint32_t locked_failures, struct rcm_diag *diag);
enum rcm_err store_session_create(struct rcm_store *s, const struct rcm_actor *actor,
                                  const char *token_hash, const char *csrf_hash, bool mfa_ok,
                                  int64_t now_ms, int64_t *session_id, struct rcm_diag *diag);
enum rcm_err store_session_find(struct rcm_store *s, const char *token_hash,
                                struct rcm_principal *out, struct rcm_diag *diag);
enum rcm_err store_session_touch(struct rcm_store *s, int64_t session_id, int64_t now_ms,
                                 struct rcm_diag *diag);
enum rcm_err store_session_revoke(struct rcm_store *s, const struct rcm_actor *actor,
                                  int64_t session_id, bool all, const char *action,
                                  int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_break_glass_start(struct rcm_store *s, const struct rcm_actor *actor,
                                     int64_t session_id, const char *reason, int64_t until_ms,
                                     int64_t now_ms, int64_t *grant_id, struct rcm_diag *diag);
enum rcm_err store_break_glass_end(struct rcm_store *s, const struct rcm_actor *actor,
                                   int64_t session_id, int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_break_glass_expire(struct rcm_store *s, int64_t now_ms, int *n,
                                      struct rcm_diag *diag);
/* After migrating: seal the plaintext reasons of grants written before
 * migration 0021 and clear them (no-op without a keyring). *n counts them. */
enum rcm_err store_break_glass_seal_legacy(struct rcm_store *s, int64_t *n,
                                           struct rcm_diag *diag);
enum rcm_err store_break_glass_list(struct rcm_store *s, int64_t tenant_id, int limit,
                                    rcm_break_glass_row_fn fn, void *ctx,
                                    struct rcm_diag *diag);

/* store_mfa.c */
enum rcm_err store_mfa_get(struct rcm_store *s, int64_t tenant_id, int64_t user_id,
                           struct rcm_mfa_state *out, struct rcm_diag *diag);
enum rcm_err store_mfa_begin(struct rcm_store *s, const struct rcm_actor *actor,
                             const uint8_t *sealed, size_t sealed_len, int64_t now_ms,
                             struct rcm_diag *diag);
enum rcm_err store_mfa_enable(struct rcm_store *s, const struct rcm_actor *actor, int64_t step,
                              int64_t session_id, const uint8_t (*hashes)[32], size_t n,
                              int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_mfa_used(struct rcm_store *s, int64_t user_id, int64_t step, int slot,
                            int64_t now_ms, struct rcm_diag *diag);

/* store_api_key.c */
enum rcm_err store_api_key_create(struct rcm_store *s, const struct rcm_actor *actor,
                                  const struct rcm_api_key *key, const char *role,
                                  const char *key_hash, int64_t now_ms, int64_t *id,
                                  struct rcm_diag *diag);
enum rcm_err store_api_key_list(struct rcm_store *s, int64_t tenant_id, rcm_api_key_row_fn fn,
                                void *ctx, struct rcm_diag *diag);
enum rcm_err store_api_key_revoke(struct rcm_store *s, const struct rcm_actor *actor,
                                  int64_t id, int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_api_key_find(struct rcm_store *s, const char *key_hash,
                                struct rcm_api_key *out, struct rcm_diag *diag);

/* store_key_rows.c: wrapped keys and rotation bookkeeping. tenant_id 0 =
 * system keys; RCM_E_NOT_FOUND when absent. key_put inserts and leaves an
 * existing row alone (a racing creator wins; read back). */
enum rcm_err store_key_get(struct rcm_store *s, int64_t tenant_id, const char *purpose,
                           uint8_t out[RCM_KEY_WRAPPED_BYTES], struct rcm_diag *diag);
enum rcm_err store_key_put(struct rcm_store *s, int64_t tenant_id, const char *purpose,
                           const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES], int64_t now_ms,
                           struct rcm_diag *diag);
/* Master rotation: pass every system and tenant key row through fn and
 * store what it returns, in one transaction. *n counts rows. */
enum rcm_err store_keys_rewrap_all(struct rcm_store *s, store_rewrap_fn fn, void *ctx,
                                   int64_t *n, struct rcm_diag *diag);
/* Tenant rotation's end, in one transaction: RCM_E_CONFLICT if any patient
 * key of the tenant is not wrapped under key id next_id, else make
 * data-next the data key and index-next the index key, and audit
 * "keys.rotate". */
enum rcm_err store_tenant_key_promote(struct rcm_store *s, const struct rcm_actor *actor,
                                      int64_t tenant_id, uint32_t next_id, int64_t now_ms,
                                      struct rcm_diag *diag);
enum rcm_err store_rotation_begin(struct rcm_store *s, const char *kind, int64_t tenant_id,
                                  int64_t total, int64_t now_ms, int64_t *id, int64_t *done,
                                  struct rcm_diag *diag);
enum rcm_err store_rotation_progress(struct rcm_store *s, int64_t id, int64_t done,
                                     bool finished, int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_rotation_list(struct rcm_store *s, rcm_key_rotation_fn fn, void *ctx,
                                 struct rcm_diag *diag);

/* store_patient_rows.c: patient rows as stored (sealing is store_patient.c).
 * insert/update/delete audit in the same transaction; update fails with
 * RCM_E_CONFLICT when the row changed since seen_updated_ms. */
enum rcm_err store_patient_row_insert(struct rcm_store *s, const struct rcm_actor *actor,
                                      const struct store_patient_row *row, int64_t *id,
                                      struct rcm_diag *diag);
enum rcm_err store_patient_row_get(struct rcm_store *s, int64_t tenant_id, int64_t id,
                                   struct store_patient_row *out, struct rcm_diag *diag);
enum rcm_err store_patient_row_find(struct rcm_store *s, int64_t tenant_id, int kind,
                                    const uint8_t bidx[RCM_BLIND_INDEX_BYTES], int limit,
                                    store_patient_row_fn fn, void *ctx, struct rcm_diag *diag);
enum rcm_err store_patient_row_list(struct rcm_store *s, int64_t tenant_id, int64_t after_id,
                                    int limit, store_patient_row_fn fn, void *ctx,
                                    struct rcm_diag *diag);
enum rcm_err store_patient_row_update(struct rcm_store *s, const struct rcm_actor *actor,
                                      const struct store_patient_row *row,
                                      int64_t seen_updated_ms, struct rcm_diag *diag);
enum rcm_err store_patient_row_delete(struct rcm_store *s, const struct rcm_actor *actor,
                                      int64_t id, int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_patient_row_count(struct rcm_store *s, int64_t tenant_id, int64_t *n,
                                     struct rcm_diag *diag);
/* Tenant rotation: pass up to limit patients of the tenant with id >
 * after_id through fn (which re-wraps the key and recomputes the blind
 * indexes in the row) and store the result, in one transaction. *last_id
 * is the last id handled (0 when none were left). */
enum rcm_err store_patient_row_rekey(struct rcm_store *s, int64_t tenant_id, int64_t after_id,
                                     int limit, store_rekey_fn fn, void *ctx, int64_t *last_id,
                                     int *n, struct rcm_diag *diag);

/* store_idempotency.c: rows of idempotency_key. store.c checks arguments
 * and derives from the system key the key that seals answers (`seal`) and
 * the HMAC of the client's key (key_hash); now_ms is the clock (tests move
 * it). Contracts as rcm_store_idempotency_* in rcm/store.h. */
struct store_idem_request {
    const char *route;
    uint8_t key_hash[RCM_SHA256_BYTES];
    uint8_t request_hash[RCM_SHA256_BYTES];
    int64_t now_ms;
    int64_t ttl_ms;
};
/* Expired rows deleted per finish or release, at most. */
#define STORE_IDEM_PRUNE_BATCH 32
enum rcm_err store_idempotency_begin(struct rcm_store *s, const struct rcm_actor *actor,
                                     const struct rcm_key *seal,
                                     const struct store_idem_request *r,
                                     enum rcm_idempotency_state *state, int64_t *id,
                                     struct rcm_idempotency_answer *answer,
                                     struct rcm_diag *diag) RCM_MUST_CHECK;
enum rcm_err store_idempotency_finish(struct rcm_store *s, const struct rcm_actor *actor,
                                      const struct rcm_key *seal, int64_t id, int status,
                                      const char *content_type, const void *body,
                                      size_t body_len, int64_t now_ms,
                                      struct rcm_diag *diag) RCM_MUST_CHECK;
enum rcm_err store_idempotency_release(struct rcm_store *s, const struct rcm_actor *actor,
                                       int64_t id, int64_t now_ms,
                                       struct rcm_diag *diag) RCM_MUST_CHECK;

/* store_jobs.c: durable jobs. Arguments checked by store.c; owner checks,
 * leases and the audit records here, each change in one transaction. */
enum rcm_err store_job_enqueue(struct rcm_store *s, const struct rcm_actor *actor,
                               const char *kind, const char *params, int max_attempts,
                               bool unique, int64_t now_ms, struct rcm_job *out,
                               bool *created, struct rcm_diag *diag);
enum rcm_err store_job_claim(struct rcm_store *s, const char *owner, int64_t lease_ms,
                             int64_t now_ms, struct rcm_job *out, struct rcm_diag *diag);
enum rcm_err store_job_progress(struct rcm_store *s, int64_t id, const char *owner,
                                int64_t done, int64_t total, int64_t lease_ms,
                                int64_t now_ms, struct rcm_diag *diag);
enum rcm_err store_job_release(struct rcm_store *s, int64_t id, const char *owner,
                               bool refund, const char *error, int64_t now_ms,
                               struct rcm_diag *diag);
enum rcm_err store_job_finish(struct rcm_store *s, int64_t id, const char *owner, bool ok,
                              const char *result, const char *error, int64_t now_ms,
                              struct rcm_diag *diag);
enum rcm_err store_job_get(struct rcm_store *s, int64_t tenant_id, int64_t id,
                           struct rcm_job *out, struct rcm_diag *diag);
enum rcm_err store_job_list(struct rcm_store *s, int64_t tenant_id, int64_t before_id,
                            int limit, rcm_job_fn fn, void *ctx, struct rcm_diag *diag);

/* store_seal.c: one sealed value of a revenue-cycle row, bound to its
 * tenant, table, column and the row's uid (32 hex). */
struct store_cell {
    int64_t tenant_id;
    const char *table, *column, *uid;
};
/* "" or NULL seals to nothing (*len 0). */
enum rcm_err store_seal_value(const struct rcm_key *key, const struct store_cell *c,
                              const char *value, uint8_t *out, size_t cap,
                              size_t *len) RCM_MUST_CHECK;
/* env_len 0 opens to "". RCM_E_CRYPTO (naming table and column) when the
 * envelope does not open; out[cap] is always terminated. */
enum rcm_err store_open_value(const struct rcm_key *key, const struct store_cell *c,
                              const uint8_t *env, size_t env_len, char *out, size_t cap,
                              struct rcm_diag *diag) RCM_MUST_CHECK;
/* A patient's key row, read inside tx (RCM_E_NOT_FOUND: no such patient in
 * the tenant). */
struct store_patient_key_row {
    int64_t tenant_id, patient_id;
    char uid[33];
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
};
enum rcm_err store_patient_key_row(struct db_tx *tx, struct store_patient_key_row *p,
                                   struct rcm_diag *diag) RCM_MUST_CHECK;
/* The same in a snapshot of its own, unwrapped into *out (wipe it). */
enum rcm_err store_patient_key_read(struct rcm_store *s, int64_t tenant_id, int64_t patient_id,
                                    struct rcm_key *out, struct rcm_diag *diag) RCM_MUST_CHECK;

/* Lists in revenue-cycle columns are space-separated words ("25 59").
 * store_words: up to max words of s (more are ignored). store_join: append
 * word at *at, never past cap (callers size out for the longest list). */
size_t store_words(const char *s, struct rcm_str *out, size_t max);
void store_join(char *out, size_t cap, size_t *at, const char *word);

/* Tests only: called by rcm_store_patient_update between reading the row
 * and writing it (attempt 0, then 1 on a retry), so a test can change the
 * patient in between. NULL in the product. */
extern void (*store_patient_update_hook)(void *ctx, int attempt);
extern void *store_patient_update_hook_ctx;

/* Records of a tenant need an actor in one: RCM_E_INVAL ("<what> belong to
 * a tenant") and false otherwise. */
bool store_tenant_scoped(const struct rcm_actor *actor, const char *what,
                         struct rcm_diag *diag);

/* Keyring: master key(s) given at open, tenant keys unwrapped on demand and
 * cached by (tenant, key id). */
enum rcm_err store_keyring_new(const struct rcm_store_options *opt,
                               struct store_keyring **out, struct rcm_diag *diag);
void store_keyring_free(struct store_keyring *kr);
/* The key `purpose` of tenant_id, unwrapped (created on first use when
 * `create`). The copy in *out is the caller's to wipe. */
enum rcm_err store_tenant_key(struct rcm_store *s, int64_t tenant_id, const char *purpose,
                              bool create, struct rcm_key *out, struct rcm_diag *diag);
/* The key that wraps a new patient's key: data-next while a tenant rotation
 * runs, else data (created on the tenant's first patient). */
enum rcm_err store_sealing_key(struct rcm_store *s, int64_t tenant_id, struct rcm_key *out,
                               struct rcm_diag *diag);
/* A patient's data key (which seals the patient and every record about
 * them), unwrapped from its key row with whichever tenant key wrapped it;
 * patient_id is for messages. The copy in *out is the caller's to wipe. */
enum rcm_err store_patient_key_open(struct rcm_store *s, int64_t tenant_id, int64_t patient_id,
                                    const char *patient_uid,
                                    const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES],
                                    struct rcm_key *out, struct rcm_diag *diag);
/* Rotation: re-wrap a patient's key under `next_data` and recompute the
 * row's blind indexes under `next_index` (store_patient.c). */
enum rcm_err store_patient_rekey(struct rcm_store *s, const struct rcm_key *next_data,
                                 const struct rcm_key *next_index,
                                 struct store_patient_row *row, struct rcm_diag *diag);
/* The index key that goes with a patient key wrapped under data key
 * `data_key_id`: index-next for rows a running rotation has moved (or
 * created), else index (created on first use). */
enum rcm_err store_index_key_for(struct rcm_store *s, int64_t tenant_id, uint32_t data_key_id,
                                 struct rcm_key *out, struct rcm_diag *diag);
/* The tenant key (data or data-next) with this key id, for unwrapping a
 * patient key. */
enum rcm_err store_tenant_key_by_id(struct rcm_store *s, int64_t tenant_id, uint32_t key_id,
                                    struct rcm_key *out, struct rcm_diag *diag);
/* After open or migration: adopt the stored audit MAC key (storing today's
 * derived one when the schema has the table but no row yet). */
enum rcm_err store_keyring_sync(struct rcm_store *s, struct rcm_diag *diag);

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

/*
 * The migration runner (store_migrate.c), one for both databases, over the
 * driver db (borrowed; no transaction of the caller's open on it).
 * store_migrate applies what is missing, each migration in its own write
 * transaction, exactly once even when several processes run it at once;
 * RCM_E_CONFLICT, before any change, for a database newer than the binary
 * or an applied migration whose text differs. *rep is filled in.
 * store_schema_version reads the current and the latest known version.
 */
struct db;
enum rcm_err store_migrate(struct db *db, struct rcm_migrate_report *rep,
                           struct rcm_diag *diag) RCM_MUST_CHECK;
enum rcm_err store_schema_version(struct db *db, int *current, int *latest,
                                  struct rcm_diag *diag) RCM_MUST_CHECK;

#endif
