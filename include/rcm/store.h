/*
 * rcm/store.h — the one door to persistent data.
 *
 * Callers see this interface only; which database sits behind it (SQLite
 * embedded by default, PostgreSQL for many server processes) is chosen by
 * `database.backend` and is invisible above this line. No SQL exists outside
 * src/store. Every write runs in one transaction; later modules add their
 * operations here (tenant-scoped, with PHI encrypted and audit entries
 * written in the same transaction).
 *
 * A store is safe to use from many threads at once.
 */
#ifndef RCM_STORE_H
#define RCM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/audit.h"
#include "rcm/crypto.h"
#include "rcm/err.h"
#include "rcm/patient.h"
#include "rcm/report.h"

struct rcm_store;

struct rcm_store_options {
    const char *backend;        /* "sqlite" or "postgres" */
    const char *path;           /* SQLite: database file (created 0600) */
    int busy_timeout_ms;        /* how long a writer waits for the lock */
    int read_connections;       /* most read-only connections kept open */
    /* Key for the audit log's keyed head and checkpoints (RCM_AUDIT_KEY_BYTES,
     * copied). NULL: every operation that must write an audit record fails
     * with RCM_E_CONFIG rather than write an unprotected log. */
    const uint8_t *audit_key;
    /* The master key (copied), which wraps every tenant key and the system
     * keys; NULL: patient data and key rotation are unavailable
     * (RCM_E_CONFIG). With a master key and no audit_key, the audit MAC key
     * is the stored system key (see rcm_store_system_key). */
    const struct rcm_key *master_key;
    /* The master key being rotated away from, while `openrcm keys rotate
     * master` has not finished (copied; may be NULL). */
    const struct rcm_key *previous_master_key;
    /* PostgreSQL: libpq connection string without a password, and the file
     * holding the password (mode 0600; NULL when none is needed). */
    const char *conninfo;
    const char *password_file;
};

/*
 * Open (creating if needed) the database. Does not migrate: call
 * rcm_store_migrate, or rcm_store_check_schema to refuse an outdated one.
 * *out is returned owned (rcm_store_close).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_open(const struct rcm_store_options *opt,
                                           struct rcm_store **out,
                                           struct rcm_diag *diag);
/* Close every connection; waits for none (callers stop using it first). */
void rcm_store_close(struct rcm_store *store);

/* Versions of the database libraries linked in ("sqlite 3.40.1, libpq 15.18"). */
const char *rcm_store_library_versions(void);

/* Name of the backend in use ("sqlite"). */
const char *rcm_store_backend(const struct rcm_store *store);

struct rcm_migrate_report {
    int from_version;           /* schema version before */
    int to_version;             /* schema version after */
    int applied;                /* migrations applied now */
};

/*
 * Apply every compiled-in migration not yet applied, each in its own
 * transaction. Fails without changes when the database is newer than this
 * binary or when an applied migration's text differs from the compiled one
 * (edited history).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_migrate(struct rcm_store *store,
                                              struct rcm_migrate_report *report,
                                              struct rcm_diag *diag);

/* Current and latest known schema versions. */
RCM_MUST_CHECK enum rcm_err rcm_store_schema_version(struct rcm_store *store,
                                                     int *current, int *latest,
                                                     struct rcm_diag *diag);

/* A cheap round trip proving the database answers (readiness). */
RCM_MUST_CHECK enum rcm_err rcm_store_ping(struct rcm_store *store,
                                           struct rcm_diag *diag);

/* ---- tenants ---------------------------------------------------------- */

#define RCM_TENANT_SLUG_MAX 63
#define RCM_TENANT_NAME_MAX 200

/* A tenant's security policy (migration 0007). */
#define RCM_POLICY_IDLE_MIN_S 60
#define RCM_POLICY_IDLE_MAX_S 1800
#define RCM_POLICY_BREAK_GLASS_MIN_MINUTES 5
#define RCM_POLICY_BREAK_GLASS_MAX_MINUTES 240
#define RCM_POLICY_BREAK_GLASS_DEFAULT_MINUTES 60

struct rcm_tenant_policy {
    bool mfa_required;              /* every role needs a second factor */
    int session_idle_s;             /* 60..1800; 0 = the server's auth.session_idle_s */
    int break_glass_max_minutes;    /* longest emergency grant, 5..240 */
};

struct rcm_tenant {
    int64_t id;
    int64_t manager_id;                     /* managing company, or 0 */
    char slug[RCM_TENANT_SLUG_MAX + 1];     /* [a-z0-9-], unique */
    char name[RCM_TENANT_NAME_MAX + 1];
    int64_t created_ms;
    struct rcm_tenant_policy policy;
};

/*
 * Create a tenant, audited as "tenant.create" in the same transaction.
 * RCM_E_CONFLICT when the slug is taken, RCM_E_INVAL for a bad slug/name.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_tenant_create(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    const char *slug,
                                                    const char *name,
                                                    struct rcm_tenant *out,
                                                    struct rcm_diag *diag);
/*
 * Create a client practice managed by actor->tenant_id (a billing company),
 * audited "tenant.create" in the company's log. RCM_E_PERM when the actor's
 * tenant is itself managed (one level only); otherwise as
 * rcm_store_tenant_create.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_client_create(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    const char *slug, const char *name,
                                                    struct rcm_tenant *out,
                                                    struct rcm_diag *diag);

typedef int (*rcm_tenant_row_fn)(void *ctx, const struct rcm_tenant *t);

/* The client practices actor->tenant_id manages, by id: every one when
 * assigned_to is 0 (the company's owners and admins), else only those
 * assigned to that user of the company (client assignments, below). */
RCM_MUST_CHECK enum rcm_err rcm_store_client_list(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  int64_t assigned_to,
                                                  rcm_tenant_row_fn fn, void *ctx,
                                                  struct rcm_diag *diag);

/* RCM_E_NOT_FOUND when no tenant has the slug. */
RCM_MUST_CHECK enum rcm_err rcm_store_tenant_find(struct rcm_store *store,
                                                  const char *slug,
                                                  struct rcm_tenant *out,
                                                  struct rcm_diag *diag);

/* The tenant of actor->tenant_id, with its policy. */
RCM_MUST_CHECK enum rcm_err rcm_store_tenant_get(struct rcm_store *store,
                                                 const struct rcm_actor *actor,
                                                 struct rcm_tenant *out,
                                                 struct rcm_diag *diag);

/*
 * Replace the security policy of actor->tenant_id, audited
 * "tenant.policy.update" in the same transaction. RCM_E_INVAL when a value
 * is out of range (see RCM_POLICY_*).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_tenant_policy_set(struct rcm_store *store,
                                                        const struct rcm_actor *actor,
                                                        const struct rcm_tenant_policy *policy,
                                                        struct rcm_diag *diag);

/* ---- users and sessions ------------------------------------------------ */

#define RCM_EMAIL_MAX 254
#define RCM_DISPLAY_NAME_MAX 200
#define RCM_HASH_HEX_LEN 64

struct rcm_user {
    int64_t id;
    int64_t tenant_id;
    char email[RCM_EMAIL_MAX + 1];
    char display_name[RCM_DISPLAY_NAME_MAX + 1];
    int role;                       /* enum rcm_role */
    bool disabled;
    int64_t created_ms;
    uint32_t failures;              /* consecutive failed logins */
    int64_t last_failure_ms;
    char password_hash[128];        /* only from rcm_store_login_lookup */
    /* Only from rcm_store_login_lookup: the tenant the login names, which
     * is tenant_id, or a client practice that tenant_id manages. */
    int64_t login_tenant_id;
    /* Only from rcm_store_login_lookup: the login names a client practice
     * of the user's company, the user is neither owner nor admin there and
     * no client assignment gives them a role in it; `role` is then the
     * company role and the login must be refused. When an assignment
     * exists, `role` is the assigned role (migration 0020). */
    bool client_unassigned;
};

/*
 * Client assignments (migration 0020): a user of a billing company x one of
 * its client practices x the role the user has there. The company's owners
 * and admins reach every client with their own role and take none; every
 * other staff member reaches only the clients assigned to them, with the
 * assigned role (never owner or api_client). Changes are audited
 * "client.assign" / "client.unassign" in the same transaction, in the
 * company's log and in the client's (object "client_assignment",
 * "<client id>:<user id>"). A client that actor->tenant_id does not manage,
 * or a user not of actor->tenant_id, is RCM_E_NOT_FOUND.
 */
struct rcm_client_assignment {
    int64_t client_id;
    int64_t user_id;
    char email[RCM_EMAIL_MAX + 1];
    int role;                       /* enum rcm_role */
    int64_t created_ms;
    int64_t updated_ms;
};
typedef int (*rcm_assignment_row_fn)(void *ctx, const struct rcm_client_assignment *a);

/* Give user_id `role` in client_id (replacing any role they had there).
 * RCM_E_INVAL for a role that cannot be assigned, or a user who is owner,
 * admin or api_client in the company. */
RCM_MUST_CHECK enum rcm_err rcm_store_client_assign(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    int64_t client_id, int64_t user_id,
                                                    int role, struct rcm_diag *diag);
/* Take user_id's assignment to client_id away: their sessions in the client
 * stop working at their next request. RCM_E_NOT_FOUND when there is none. */
RCM_MUST_CHECK enum rcm_err rcm_store_client_unassign(struct rcm_store *store,
                                                      const struct rcm_actor *actor,
                                                      int64_t client_id, int64_t user_id,
                                                      struct rcm_diag *diag);
/* The assignments to client_id, by user id. */
RCM_MUST_CHECK enum rcm_err rcm_store_client_assignments(struct rcm_store *store,
                                                         const struct rcm_actor *actor,
                                                         int64_t client_id,
                                                         rcm_assignment_row_fn fn, void *ctx,
                                                         struct rcm_diag *diag);

/*
 * Create a user in actor->tenant_id, audited "user.create". `password_hash`
 * is an Argon2id string (or NULL for a service account). RCM_E_CONFLICT when
 * the email is taken in the tenant.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_user_create(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  const char *email,
                                                  const char *display_name, int role,
                                                  const char *password_hash,
                                                  struct rcm_user *out,
                                                  struct rcm_diag *diag);

/* One user of actor->tenant_id; another tenant's user is RCM_E_NOT_FOUND. */
RCM_MUST_CHECK enum rcm_err rcm_store_user_get(struct rcm_store *store,
                                               const struct rcm_actor *actor,
                                               int64_t user_id, struct rcm_user *out,
                                               struct rcm_diag *diag);

typedef int (*rcm_user_row_fn)(void *ctx, const struct rcm_user *user);

/* Every user of actor->tenant_id, by id. */
RCM_MUST_CHECK enum rcm_err rcm_store_user_list(struct rcm_store *store,
                                                const struct rcm_actor *actor,
                                                rcm_user_row_fn fn, void *ctx,
                                                struct rcm_diag *diag);

/* The user a login names, with password hash and failure counters: a user
 * of the named tenant, or else of the billing company that manages it.
 * Not audited: the caller records the login's outcome. */
RCM_MUST_CHECK enum rcm_err rcm_store_login_lookup(struct rcm_store *store,
                                                   const char *tenant_slug,
                                                   const char *email,
                                                   struct rcm_user *out,
                                                   struct rcm_diag *diag);

/* A change to one user; members left at their "keep" value are unchanged. */
struct rcm_user_change {
    int role;                       /* enum rcm_role, or -1 = keep */
    const char *display_name;       /* NULL = keep */
    int disabled;                   /* 0 enable, 1 disable, -1 = keep */
};

/*
 * Change a user of actor->tenant_id in one transaction: another tenant's or
 * an unknown user is RCM_E_NOT_FOUND; RCM_E_CONFLICT when the change would
 * leave the tenant without an active owner; RCM_E_INVAL for a bad value.
 * Disabling or changing the role revokes every session of the user (and
 * ends their break-glass grants); the caller decides who may do what.
 * Audited per effect: "user.update" (display name), "user.role_change",
 * "user.disable", "user.enable". *out is the user after the change.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_user_update(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  int64_t user_id,
                                                  const struct rcm_user_change *change,
                                                  struct rcm_user *out,
                                                  struct rcm_diag *diag);

/* Reset the failed-login counter (lifts a lockout) of a user of
 * actor->tenant_id, audited "user.unlock". */
RCM_MUST_CHECK enum rcm_err rcm_store_user_unlock(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  int64_t user_id, struct rcm_diag *diag);

/* A failed login: store the user's counters (user_id 0 when the email is
 * unknown) and audit "login.failure". */
RCM_MUST_CHECK enum rcm_err rcm_store_login_failed(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   int64_t user_id, uint32_t failures,
                                                   int64_t now_ms, struct rcm_diag *diag);

/*
 * Counters of login identities that are not a usable account (unknown
 * tenant or email, disabled user, no password), kept so that they throttle
 * exactly like real accounts. A row is keyed by HMAC-SHA-256 under the
 * system key RCM_SYSTEM_KEY_LOGIN of the normalised tenant slug and email
 * (ASCII lower-cased); no email is stored.
 *
 * _get: the identity's counters, zeros when it has none.
 * _failed_identity: store the identity's new counters, delete rows that no
 * longer matter (last failure before prune_before_ms — 0 = never — and
 * fewer than locked_failures), and audit "login.failure" with user 0.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_login_throttle_get(struct rcm_store *store,
                                                         const char *tenant_slug,
                                                         const char *email,
                                                         uint32_t *failures,
                                                         int64_t *last_failure_ms,
                                                         struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_login_failed_identity(struct rcm_store *store,
                                                            const struct rcm_actor *actor,
                                                            const char *tenant_slug,
                                                            const char *email,
                                                            uint32_t failures, int64_t now_ms,
                                                            int64_t prune_before_ms,
                                                            uint32_t locked_failures,
                                                            struct rcm_diag *diag);

/* Who a session token belongs to. */
struct rcm_principal {
    int64_t tenant_id;
    int64_t user_id;
    int64_t session_id;             /* 0 for an API key */
    int64_t api_key_id;             /* 0 for a session */
    int role;
    int64_t created_ms;
    int64_t last_seen_ms;
    bool mfa_ok;                    /* passed the second factor (or needs none) */
    char csrf_hash[RCM_HASH_HEX_LEN + 1];
    /* sessions only (zero for API keys): */
    bool mfa_enrolled;              /* the user has a confirmed second factor */
    int64_t emergency_until_ms;     /* break-glass in force until; 0 = none */
    struct rcm_tenant_policy policy;/* of the session's tenant */
};

/*
 * A successful login: create the session (token and CSRF token stored as
 * hashes), reset the failure counter, audit "login". actor->user_id is the
 * user logging in.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_session_create(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     const char *token_hash,
                                                     const char *csrf_hash, bool mfa_ok,
                                                     int64_t now_ms, int64_t *session_id,
                                                     struct rcm_diag *diag);

/* The live session with this token hash (not revoked, user not disabled);
 * RCM_E_NOT_FOUND otherwise. Timeouts are the caller's policy. The role is
 * the one the session acts with now: in a client practice, for company
 * staff other than owners and admins, the assigned role; RCM_E_PERM when
 * that assignment has been taken away (migration 0020). */
RCM_MUST_CHECK enum rcm_err rcm_store_session_find(struct rcm_store *store,
                                                   const char *token_hash,
                                                   struct rcm_principal *out,
                                                   struct rcm_diag *diag);

/* Record activity (for the idle timeout). Not audited. */
RCM_MUST_CHECK enum rcm_err rcm_store_session_touch(struct rcm_store *store,
                                                    int64_t session_id, int64_t now_ms,
                                                    struct rcm_diag *diag);

/* End one session, or every session of actor->user_id when `all`; audited
 * "logout" / "logout.all" (or "session.expire" when `reason` says so). */
RCM_MUST_CHECK enum rcm_err rcm_store_session_revoke(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     int64_t session_id, bool all,
                                                     const char *action,
                                                     struct rcm_diag *diag);

/* ---- break-glass (emergency) access ------------------------------------- */

#define RCM_BREAK_GLASS_REASON_MIN 10   /* characters */
#define RCM_BREAK_GLASS_REASON_MAX 500

struct rcm_break_glass {
    int64_t id;
    int64_t user_id;
    char user_email[RCM_EMAIL_MAX + 1];
    int64_t session_id;
    char reason[4 * RCM_BREAK_GLASS_REASON_MAX + 1];    /* UTF-8 */
    int64_t started_ms;
    int64_t expires_ms;
    int64_t ended_ms;               /* ended early (or by logout); 0 = not */
    int64_t actions;                /* audit records flagged emergency under it */
};

/*
 * Start emergency access on `session_id` of actor->user_id until `until_ms`,
 * audited "break_glass.start" (object: the grant) in the same transaction.
 * RCM_E_CONFLICT when the user already has a grant in force (one at a
 * time, on any session); RCM_E_INVAL for a reason outside 10..500
 * characters of UTF-8 or an end not after now.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_break_glass_start(struct rcm_store *store,
                                                        const struct rcm_actor *actor,
                                                        int64_t session_id,
                                                        const char *reason, int64_t until_ms,
                                                        int64_t *grant_id,
                                                        struct rcm_diag *diag);

/* End the grant in force on `session_id` of actor->user_id, audited
 * "break_glass.end"; RCM_E_NOT_FOUND when none is in force. */
RCM_MUST_CHECK enum rcm_err rcm_store_break_glass_end(struct rcm_store *store,
                                                      const struct rcm_actor *actor,
                                                      int64_t session_id,
                                                      struct rcm_diag *diag);

typedef int (*rcm_break_glass_row_fn)(void *ctx, const struct rcm_break_glass *grant);

/* Grants of actor->tenant_id, newest first, at most `limit` (1..1000). */
RCM_MUST_CHECK enum rcm_err rcm_store_break_glass_list(struct rcm_store *store,
                                                       const struct rcm_actor *actor,
                                                       int limit, rcm_break_glass_row_fn fn,
                                                       void *ctx, struct rcm_diag *diag);

/*
 * Record the grants (of every tenant) that ran out by now_ms without being
 * ended: each gets "break_glass.expire" in its tenant's audit log, flagged
 * emergency, and its end set to its expiry. The server runs this every
 * minute and before anyone lists grants or reads the audit log. *n (may be
 * NULL) counts them.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_break_glass_expire(struct rcm_store *store,
                                                         int64_t now_ms, int *n,
                                                         struct rcm_diag *diag);

/* ---- second factor (TOTP) ---------------------------------------------- */

#define RCM_MFA_SEALED_MAX 160
#define RCM_MFA_RECOVERY_CODES 10

struct rcm_mfa_state {
    bool enabled;
    int64_t last_step;              /* last accepted TOTP step */
    uint8_t sealed[RCM_MFA_SEALED_MAX];  /* AES-256-GCM envelope of the secret */
    size_t sealed_len;              /* 0: no secret */
    uint8_t recovery[RCM_MFA_RECOVERY_CODES][32];  /* unused recovery code hashes */
    int recovery_slot[RCM_MFA_RECOVERY_CODES];
    size_t n_recovery;
};

/* The second-factor state of a user of actor->tenant_id. */
RCM_MUST_CHECK enum rcm_err rcm_store_mfa_get(struct rcm_store *store,
                                              const struct rcm_actor *actor,
                                              int64_t user_id, struct rcm_mfa_state *out,
                                              struct rcm_diag *diag);

/* Store a new, not yet confirmed secret for actor->user_id (replacing any
 * unconfirmed one); audited "mfa.enroll". RCM_E_CONFLICT when already on. */
RCM_MUST_CHECK enum rcm_err rcm_store_mfa_begin(struct rcm_store *store,
                                                const struct rcm_actor *actor,
                                                const uint8_t *sealed, size_t sealed_len,
                                                struct rcm_diag *diag);

/* Turn the second factor on for actor->user_id with the step just accepted
 * and the recovery code hashes, and mark `session_id` as having passed it;
 * audited "mfa.enable". */
RCM_MUST_CHECK enum rcm_err rcm_store_mfa_enable(struct rcm_store *store,
                                                 const struct rcm_actor *actor,
                                                 int64_t step, int64_t session_id,
                                                 const uint8_t (*hashes)[32], size_t n,
                                                 struct rcm_diag *diag);

/* Record a used factor at login: the accepted TOTP step (step > 0) or the
 * recovery code slot (slot >= 0), which can then never be used again. */
RCM_MUST_CHECK enum rcm_err rcm_store_mfa_used(struct rcm_store *store,
                                               int64_t user_id, int64_t step, int slot,
                                               struct rcm_diag *diag);

/* ---- API keys ------------------------------------------------------------ */

#define RCM_API_KEY_NAME_MAX 100

struct rcm_api_key {
    int64_t id;
    int64_t tenant_id;
    int64_t created_by;
    char name[RCM_API_KEY_NAME_MAX + 1];
    int role;                       /* enum rcm_role; never owner */
    char prefix[16];                /* first characters of the key, to recognise it */
    int64_t created_ms;
    int64_t expires_ms;
    int64_t revoked_ms;             /* 0 while active */
    int creator_role;               /* only from rcm_store_api_key_find */
    bool creator_mfa_enrolled;      /* only from rcm_store_api_key_find */
    bool tenant_mfa_required;       /* only from rcm_store_api_key_find */
};

/* Create a key in actor->tenant_id (actor->user_id is the creator), audited
 * "apikey.create". Only the hash of the secret is stored. */
RCM_MUST_CHECK enum rcm_err rcm_store_api_key_create(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     const struct rcm_api_key *key,
                                                     const char *key_hash,
                                                     int64_t *id, struct rcm_diag *diag);

typedef int (*rcm_api_key_row_fn)(void *ctx, const struct rcm_api_key *key);

/* Keys of actor->tenant_id, newest first, without secrets. */
RCM_MUST_CHECK enum rcm_err rcm_store_api_key_list(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   rcm_api_key_row_fn fn, void *ctx,
                                                   struct rcm_diag *diag);

/* Revoke a key of actor->tenant_id, audited "apikey.revoke"; another
 * tenant's or an unknown key is RCM_E_NOT_FOUND. */
RCM_MUST_CHECK enum rcm_err rcm_store_api_key_revoke(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     int64_t id, struct rcm_diag *diag);

/* The active key with this hash: unrevoked, and its creator not disabled
 * (expiry is the caller's check). creator_role is the creator's role now. */
RCM_MUST_CHECK enum rcm_err rcm_store_api_key_find(struct rcm_store *store,
                                                   const char *key_hash,
                                                   struct rcm_api_key *out,
                                                   struct rcm_diag *diag);

/* ---- audit log ---------------------------------------------------------- */

/* What happened, for rcm_store_audit_append; who is in the actor. */
struct rcm_audit_what {
    const char *action;         /* "login.failure", "patient.read", … */
    const char *object_type;
    const char *object_id;
    const char *patient_ids;    /* internal ids, comma-separated, or NULL */
    const char *outcome;        /* "success", "failure", "denied" */
};

/* Record an event that changes nothing else (a login failure, a PHI read). */
RCM_MUST_CHECK enum rcm_err rcm_store_audit_append(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   const struct rcm_audit_what *what,
                                                   struct rcm_diag *diag);

/*
 * Walk the whole log, every checkpoint and the head through `v` (initialised
 * with rcm_audit_verify_init). Returns RCM_OK when the walk completed —
 * v->problem then says whether the log is intact — or an error when the
 * database could not be read.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_audit_verify(struct rcm_store *store,
                                                   struct rcm_audit_verify *v,
                                                   struct rcm_diag *diag);

/* The committed chain head: *seq 0 (hash zeroed) when the log is empty. */
RCM_MUST_CHECK enum rcm_err rcm_store_audit_head(struct rcm_store *store, int64_t *seq,
                                                 uint8_t hash[RCM_SHA256_BYTES],
                                                 struct rcm_diag *diag);

/*
 * Anchor the chain head outside the database (store_anchor.c). Reads the
 * committed head; when it moved since the last anchor this store handle
 * wrote (or since rcm_store_audit_anchor_baseline), or always with `force`
 * (a server starting, `openrcm audit anchor`), appends one line
 *   {"ts":"…","event":"audit.anchor","seq":N,"hash":"<hex>","mac":"<hex>"}
 * to `path` (created 0600, O_APPEND, fsync'd) and writes the same fields to
 * the operational log (event "audit.anchor"). mac is rcm_audit_anchor_mac
 * under the audit MAC system key. An empty log is never anchored.
 * *written (may be NULL) says whether a line was written. Not thread-safe:
 * one caller at a time per store. Needs the master key (RCM_E_CONFIG).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_audit_anchor(struct rcm_store *store, const char *path,
                                                   bool force, bool *written,
                                                   struct rcm_diag *diag);

/*
 * Treat the current head as anchored: a later rcm_store_audit_anchor writes
 * only if records were appended since. For commands that anchor what they
 * wrote themselves (and must never vouch for a state they only read).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_audit_anchor_baseline(struct rcm_store *store,
                                                            struct rcm_diag *diag);

struct rcm_audit_filter {
    int64_t tenant_id;          /* required; -1 = every tenant (operators only) */
    int64_t actor_id;           /* 0 = any */
    const char *patient_id;     /* NULL = any */
    int64_t from_ms, to_ms;     /* 0 = open */
    int64_t after_seq;          /* paging: records with seq > after_seq */
    int emergency;              /* 0 = any, 1 = only break-glass records, -1 = only others */
    int limit;                  /* at most this many (1..10000) */
};

/* Called per record in sequence order; return non-zero to stop early. */
typedef int (*rcm_audit_row_fn)(void *ctx, const struct rcm_audit_event *ev);

RCM_MUST_CHECK enum rcm_err rcm_store_audit_query(struct rcm_store *store,
                                                  const struct rcm_audit_filter *filter,
                                                  rcm_audit_row_fn fn, void *ctx,
                                                  struct rcm_diag *diag);

/* ---- keys ---------------------------------------------------------------- */

#define RCM_SYSTEM_KEY_AUDIT "audit-mac"
#define RCM_SYSTEM_KEY_MFA "mfa-secret"
#define RCM_SYSTEM_KEY_LOGIN "login-throttle"   /* keys login_throttle rows */
#define RCM_SYSTEM_KEY_IDEMPOTENCY "idempotency" /* keys and seals idempotency_key rows */

/*
 * A system key (RCM_SYSTEM_KEY_*), stored wrapped under the master key so a
 * master key rotation keeps its value. Created on first use as
 * HMAC-SHA-256(master, "openrcm/<purpose>/v1") — what earlier versions
 * derived, so existing MFA secrets and audit MACs stay valid.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_system_key(struct rcm_store *store, const char *purpose,
                                                 struct rcm_key *out, struct rcm_diag *diag);

struct rcm_key_rotation {
    int64_t id;
    const char *kind;               /* "master" or "tenant" */
    int64_t tenant_id;              /* 0 for master */
    const char *state;              /* "running" or "done" */
    int64_t total, done;
    int64_t started_ms, updated_ms;
};

typedef int (*rcm_key_rotation_fn)(void *ctx, const struct rcm_key_rotation *r);
/* Called after every batch, so a command can show progress; returning
 * non-zero stops the run there (RCM_E_STOPPED), to be resumed later. */
typedef int (*rcm_rotation_progress_fn)(void *ctx, int64_t done, int64_t total);

/*
 * Re-wrap every tenant and system key from the previous master key to the
 * current one (both given at open). Resumable: keys already under the
 * current master are verified and kept. Audited "keys.rotate".
 */
RCM_MUST_CHECK enum rcm_err rcm_store_rotate_master(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    rcm_rotation_progress_fn progress,
                                                    void *ctx, struct rcm_diag *diag);

/*
 * Give a tenant a new data key: create it (or resume with the one a stopped
 * run created), re-wrap every patient key in batches of `batch` — each its
 * own short transaction, so the server keeps working — then make the new key
 * current. Patients created meanwhile are wrapped under the new key. A run
 * stopped by `progress` or a crash resumes with the same new key.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_rotate_tenant(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    int64_t tenant_id, int batch,
                                                    rcm_rotation_progress_fn progress,
                                                    void *ctx, struct rcm_diag *diag);

/* Every rotation, newest first. */
RCM_MUST_CHECK enum rcm_err rcm_store_key_rotations(struct rcm_store *store,
                                                    rcm_key_rotation_fn fn, void *ctx,
                                                    struct rcm_diag *diag);

/* A consistent copy of the database (taken while others read and write)
 * into a new file created with mode 0600; RCM_E_CONFLICT if it exists. */
RCM_MUST_CHECK enum rcm_err rcm_store_backup(struct rcm_store *store, const char *path,
                                             struct rcm_diag *diag);

/* ---- idempotency keys ----------------------------------------------------- */

/*
 * The first answer to a request made with a client's Idempotency-Key, kept
 * so that a repeat gets it again instead of doing the work twice (the HTTP
 * side: src/api/api_idempotency.c). A key belongs to actor->tenant_id, the
 * actor (type and id) and the route ("POST /v1/patients"). It is stored
 * only as HMAC-SHA-256 under the system key RCM_SYSTEM_KEY_IDEMPOTENCY, and
 * the answer only sealed (AES-256-GCM) under a key derived from it, bound
 * to the tenant and the row. Rows expire ttl_ms after the first request and
 * are then treated as never made; expired rows are deleted a few at a time
 * whenever an answer is stored or a row released.
 */
#define RCM_IDEMPOTENCY_KEY_MAX 255         /* bytes of printable ASCII */
#define RCM_IDEMPOTENCY_ROUTE_MAX 128
#define RCM_IDEMPOTENCY_TYPE_MAX 127        /* content type of an answer */
#define RCM_IDEMPOTENCY_BODY_MAX (1 << 20)  /* largest answer body kept */
/* A first request that has not answered within this long is taken to have
 * died between being recorded and answering (a crash, a store that failed
 * to take the answer); a repeat after that runs again. No handler takes
 * anywhere near this long. */
#define RCM_IDEMPOTENCY_LEASE_MS 60000

enum rcm_idempotency_state {
    RCM_IDEMPOTENCY_NEW,            /* recorded as running: do the work, then
                                       finish (or release) with *id */
    RCM_IDEMPOTENCY_REPLAY,         /* answered before: *answer holds it */
    RCM_IDEMPOTENCY_MISMATCH,       /* the key was used for another request */
    RCM_IDEMPOTENCY_IN_PROGRESS,    /* the first request with it still runs */
};

/* A stored answer. content_type and body point into mem. */
struct rcm_idempotency_answer {
    int status;
    const char *content_type;       /* NUL-terminated */
    const char *body;               /* body_len bytes (may hold PHI) */
    size_t body_len;
    void *mem;                      /* owned: rcm_idempotency_answer_release */
    size_t mem_len;
};

/* Wipe and free what an answer holds; it may be released again. */
void rcm_idempotency_answer_release(struct rcm_idempotency_answer *answer);

/* 1..RCM_IDEMPOTENCY_KEY_MAX bytes, each printable ASCII (0x20-0x7e). */
bool rcm_idempotency_key_valid(const char *key);

/*
 * Look the key up and, when it is new (or expired, or its first request's
 * lease ran out), record it as running — atomically, so of concurrent
 * requests with one key exactly one gets RCM_IDEMPOTENCY_NEW. request_hash
 * identifies the request (the API hashes path and body); the same key with
 * another hash is RCM_IDEMPOTENCY_MISMATCH, checked before anything else.
 * A replay is audited "idempotency.replay" (object: the first request's
 * id) in the same transaction, since it hands the answer out again.
 * actor->request_id is kept as the first request's. RCM_E_CRYPTO when a
 * stored answer does not open (altered or moved). answer is filled only for
 * a replay; release it either way.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_idempotency_begin(
    struct rcm_store *store, const struct rcm_actor *actor, const char *route,
    const char *key, const uint8_t request_hash[RCM_SHA256_BYTES], int64_t ttl_ms,
    enum rcm_idempotency_state *state, int64_t *id, struct rcm_idempotency_answer *answer,
    struct rcm_diag *diag);

/* Keep the answer of the running request `id` (status 100-599, content type
 * of printable ASCII up to RCM_IDEMPOTENCY_TYPE_MAX, body up to
 * RCM_IDEMPOTENCY_BODY_MAX: RCM_E_INVAL / RCM_E_TOO_LARGE otherwise).
 * RCM_E_NOT_FOUND when the row is no longer running (expired and taken by
 * another request meanwhile). */
RCM_MUST_CHECK enum rcm_err rcm_store_idempotency_finish(
    struct rcm_store *store, const struct rcm_actor *actor, int64_t id, int status,
    const char *content_type, const void *body, size_t body_len, struct rcm_diag *diag);

/* Forget the running request `id`, so the key may be used again (its answer
 * is not to be kept: a server error, a 429). A row no longer running is
 * left alone. */
RCM_MUST_CHECK enum rcm_err rcm_store_idempotency_release(struct rcm_store *store,
                                                          const struct rcm_actor *actor,
                                                          int64_t id, struct rcm_diag *diag);

/* ---- patients ----------------------------------------------------------- */

/*
 * Patients of actor->tenant_id. Every field is sealed with the patient's own
 * data key before it reaches the database (associated data: tenant, table,
 * column, row), and member id, MRN, SSN and name + date of birth get keyed
 * blind indexes for exact search. `fields` masks (RCM_PF_BIT) which fields
 * are opened on reads; the others are never decrypted. Reads are audited
 * ("patient.read", "patient.search", "patient.list") with the patient ids.
 * Another tenant's patient is RCM_E_NOT_FOUND.
 */

/* Create from in->value for the fields in in->present (each checked with
 * rcm_patient_value_check; last name, first name and date of birth are
 * required). Audited "patient.create". */
RCM_MUST_CHECK enum rcm_err rcm_store_patient_create(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     const struct rcm_patient *in,
                                                     int64_t *id, struct rcm_diag *diag);

RCM_MUST_CHECK enum rcm_err rcm_store_patient_get(struct rcm_store *store,
                                                  const struct rcm_actor *actor, int64_t id,
                                                  uint32_t fields, struct rcm_patient *out,
                                                  struct rcm_diag *diag);

typedef int (*rcm_patient_fn)(void *ctx, const struct rcm_patient *p);

/* Exact search (see struct rcm_patient_query); at most `limit` matches. */
RCM_MUST_CHECK enum rcm_err rcm_store_patient_search(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     const struct rcm_patient_query *q,
                                                     uint32_t fields, int limit,
                                                     rcm_patient_fn fn, void *ctx,
                                                     struct rcm_diag *diag);

/* Patients with id > after_id, by id, at most `limit` (1..500). */
RCM_MUST_CHECK enum rcm_err rcm_store_patient_list(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   int64_t after_id, int limit,
                                                   uint32_t fields, rcm_patient_fn fn,
                                                   void *ctx, struct rcm_diag *diag);

/* Set the fields in changes->present (an empty value clears an optional
 * field). Audited "patient.update". */
RCM_MUST_CHECK enum rcm_err rcm_store_patient_update(struct rcm_store *store,
                                                     const struct rcm_actor *actor, int64_t id,
                                                     const struct rcm_patient *changes,
                                                     struct rcm_diag *diag);

/* Delete the patient and their data key (crypto-shredding: copies of the
 * sealed fields anywhere can no longer be opened). Audited
 * "patient.delete". */
RCM_MUST_CHECK enum rcm_err rcm_store_patient_delete(struct rcm_store *store,
                                                     const struct rcm_actor *actor, int64_t id,
                                                     struct rcm_diag *diag);


/* ---- durable jobs --------------------------------------------------------- */

/*
 * Long work that survives a crash (src/jobs runs it; docs/architecture.md,
 * "A job"). A job is queued, taken by one worker at a time under a lease (an
 * owner id and a deadline), reports progress — which extends the lease — and
 * ends done or failed. A worker that dies leaves its lease to run out; the
 * job is then taken again (attempts counts the takes) until it has used
 * max_attempts, when it is failed instead. Handlers must therefore be safe to
 * run again: a second run resumes.
 *
 * params, result and error are never PHI, by contract: params and result are
 * JSON objects of ids, counts and settings, error an operator's message.
 * A job belongs to a tenant; another tenant's job is RCM_E_NOT_FOUND.
 */
#define RCM_JOB_KIND_MAX 63
#define RCM_JOB_JSON_MAX 1024
#define RCM_JOB_ERROR_MAX 255
#define RCM_JOB_OWNER_MAX 127
#define RCM_JOB_ATTEMPTS_MAX 100
#define RCM_JOB_LIST_MAX 500

struct rcm_job {
    int64_t id;
    int64_t tenant_id;
    char kind[RCM_JOB_KIND_MAX + 1];            /* "keys.rotate_tenant" */
    char state[8];                              /* queued, running, done, failed */
    char params[RCM_JOB_JSON_MAX + 1];          /* a JSON object */
    int64_t progress_done, progress_total;
    char result[RCM_JOB_JSON_MAX + 1];          /* a JSON object, or "" */
    char error[RCM_JOB_ERROR_MAX + 1];          /* "" when none */
    int attempts, max_attempts;
    char lease_owner[RCM_JOB_OWNER_MAX + 1];    /* last worker to take it, or "" */
    int64_t lease_expires_ms;                   /* 0 when no lease is held */
    int64_t created_by;                         /* user id, 0 for the operator */
    int64_t created_ms, updated_ms, finished_ms;/* finished_ms 0 until it ends */
};

/*
 * Queue a job of `kind` (1-63 of a-z 0-9 . _ -) for actor->tenant_id, with
 * `params` (a JSON object of 2-RCM_JOB_JSON_MAX bytes; its members are the
 * kind's business: rcm_jobs_enqueue in rcm/jobs.h checks them) and up to
 * max_attempts (1-100) takes, audited "job.create" in the same transaction.
 * With `unique`, when a job of this kind is already queued or running for
 * the tenant, nothing is written: *out is that job and *created false.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_job_enqueue(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  const char *kind, const char *params,
                                                  int max_attempts, bool unique,
                                                  struct rcm_job *out, bool *created,
                                                  struct rcm_diag *diag);

/*
 * Take the oldest job that is queued, or running under a lease that ended
 * before now_ms: it becomes running, held by `owner` (1-127 printable ASCII,
 * unique per worker) until now_ms + lease_ms, with attempts + 1; *out is the
 * job as taken. Before that, in the same transaction, jobs that have used
 * max_attempts and whose lease ended are failed instead (audited
 * "job.finish", outcome "failure"). RCM_E_NOT_FOUND when nothing is left to
 * take. Every tenant's jobs: this is the workers' side.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_job_claim(struct rcm_store *store, const char *owner,
                                                int64_t lease_ms, int64_t now_ms,
                                                struct rcm_job *out, struct rcm_diag *diag);

/*
 * Progress of a job `owner` holds (done of total, both >= 0), and its lease
 * extended to now_ms + lease_ms. RCM_E_CONFLICT when owner no longer holds
 * it (its lease ran out and another worker took it, or it ended): the
 * caller must stop working on it.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_job_progress(struct rcm_store *store, int64_t id,
                                                   const char *owner, int64_t done,
                                                   int64_t total, int64_t lease_ms,
                                                   int64_t now_ms, struct rcm_diag *diag);

/*
 * Give a job `owner` holds back to the queue, to be taken again at once:
 * a worker stopping for a shutdown (`refund`: the attempt is given back, so
 * restarts never use up max_attempts) or after a passing failure (`error`
 * kept, the attempt counts). RCM_E_CONFLICT when owner does not hold it.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_job_release(struct rcm_store *store, int64_t id,
                                                  const char *owner, bool refund,
                                                  const char *error, int64_t now_ms,
                                                  struct rcm_diag *diag);

/*
 * End a job `owner` holds: done with `result` (a JSON object, or NULL), or
 * failed with `error` (cut to RCM_JOB_ERROR_MAX bytes); audited "job.finish"
 * (outcome "success" or "failure") in the same transaction, in the job's
 * tenant. RCM_E_CONFLICT when owner does not hold it.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_job_finish(struct rcm_store *store, int64_t id,
                                                 const char *owner, bool ok,
                                                 const char *result, const char *error,
                                                 int64_t now_ms, struct rcm_diag *diag);

/* One job of actor->tenant_id. */
RCM_MUST_CHECK enum rcm_err rcm_store_job_get(struct rcm_store *store,
                                              const struct rcm_actor *actor, int64_t id,
                                              struct rcm_job *out, struct rcm_diag *diag);

typedef int (*rcm_job_fn)(void *ctx, const struct rcm_job *job);

/* Jobs of actor->tenant_id, newest first: those with id < before_id (0:
 * from the newest), at most limit (1-RCM_JOB_LIST_MAX). fn returns non-zero
 * to stop. */
RCM_MUST_CHECK enum rcm_err rcm_store_job_list(struct rcm_store *store,
                                               const struct rcm_actor *actor,
                                               int64_t before_id, int limit, rcm_job_fn fn,
                                               void *ctx, struct rcm_diag *diag);

/* ---- records about a patient (rcm/record.h) ------------------------------ */

/*
 * Records of one kind (coverages…) of actor->tenant_id, each about one of
 * its patients; sealed fields under that patient's data key. `mask` has a
 * bit per field of the kind to open (minimum necessary: the API passes the
 * fields the principal may see). Every call is audited in the same way as
 * patients: "<kind>.create", ".update", ".delete" with the change;
 * ".read" and ".list" before anything is handed out; each naming the
 * patient. Another tenant's record or patient is RCM_E_NOT_FOUND.
 */
struct rcm_record;
struct rcm_record_kind;
typedef int (*rcm_record_fn)(void *ctx, const struct rcm_record *r);

/* Values of `in` marked present are checked (rcm_value_check, required
 * fields, the kind's check) and stored. */
RCM_MUST_CHECK enum rcm_err rcm_store_record_create(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    const struct rcm_record_kind *kind,
                                                    int64_t patient_id,
                                                    const struct rcm_record *in, int64_t *id,
                                                    struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_record_get(struct rcm_store *store,
                                                 const struct rcm_actor *actor,
                                                 const struct rcm_record_kind *kind, int64_t id,
                                                 uint32_t mask, struct rcm_record *out,
                                                 struct rcm_diag *diag);
/* The patient's records with id > after_id, oldest first, at most limit
 * (1-500). */
RCM_MUST_CHECK enum rcm_err rcm_store_record_list(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  const struct rcm_record_kind *kind,
                                                  int64_t patient_id, int64_t after_id,
                                                  int limit, uint32_t mask, rcm_record_fn fn,
                                                  void *ctx, struct rcm_diag *diag);
/* Apply the values of `changes` marked present (an empty one clears the
 * field); RCM_E_CONFLICT when another change won twice in a row. */
RCM_MUST_CHECK enum rcm_err rcm_store_record_update(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    const struct rcm_record_kind *kind,
                                                    int64_t id,
                                                    const struct rcm_record *changes,
                                                    struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_record_delete(struct rcm_store *store,
                                                    const struct rcm_actor *actor,
                                                    const struct rcm_record_kind *kind,
                                                    int64_t id, struct rcm_diag *diag);

/* ---- reports (store_report.c; rcm/report.h, docs/reports.md) ----------- */

/*
 * A/R aging of the actor's tenant: the open balance (charge - paid -
 * adjustment - patient responsibility) of claims in the states that count
 * in A/R (rcm_claim_state_is_open), by bucket of age on as_of (basis: date
 * of service or first submission) and by group, summed in the database.
 * One read snapshot, one audit record report.ar_aging. Free with
 * rcm_ar_report_free (also after an error: nothing is left to free then).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_report_ar(struct rcm_store *store,
                                                const struct rcm_actor *actor, int32_t as_of,
                                                enum rcm_ar_basis basis,
                                                enum rcm_ar_group group_by,
                                                struct rcm_ar_report *out,
                                                struct rcm_diag *diag);
/* The KPIs of [from, to] (at most 3660 days): days in A/R, clean claim,
 * first-pass, denial (count, amount) and net collection rates, with the
 * sums they come from. Audited report.kpis. Nothing to free. */
RCM_MUST_CHECK enum rcm_err rcm_store_report_kpis(struct rcm_store *store,
                                                  const struct rcm_actor *actor, int32_t from,
                                                  int32_t to, struct rcm_kpi_report *out,
                                                  struct rcm_diag *diag);
/* Denial rows dated in [from, to] by (group code, CARC) or by payer (with
 * each payer's denial rate over its claims adjudicated in the period).
 * Audited report.denials. Free with rcm_denial_report_free. */
RCM_MUST_CHECK enum rcm_err rcm_store_report_denials(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     int32_t from, int32_t to,
                                                     enum rcm_denial_group group_by,
                                                     struct rcm_denial_report *out,
                                                     struct rcm_diag *diag);
/* Claims not yet submitted (draft, ready, rejected) and open encounters
 * without a claim whose payer's timely_filing_days ends within
 * RCM_REPORT_TF_WINDOW days of as_of or has passed. Ids, payer ids and
 * service dates only. Audited report.timely_filing. Free with
 * rcm_tf_report_free. */
RCM_MUST_CHECK enum rcm_err rcm_store_report_timely_filing(struct rcm_store *store,
                                                           const struct rcm_actor *actor,
                                                           int32_t as_of,
                                                           struct rcm_tf_report *out,
                                                           struct rcm_diag *diag);

/* ---- encounters (store_encounter.c; rcm/encounter.h) ------------------- */

struct rcm_encounter;
typedef int (*rcm_encounter_fn)(void *ctx, const struct rcm_encounter *e);

/*
 * Charge capture: check e (rcm_encounter_check), check that the patient,
 * coverage (the patient's) and providers (the tenant's) exist, fill each
 * line whose charge is RCM_ENCOUNTER_NO_CHARGE from the fee schedule (the
 * coverage's payer before the default schedule; per unit), seal the prior
 * authorization and note, and insert the encounter with its lines in one
 * transaction audited encounter.create. On success e holds what was
 * stored (codes upper-cased, charges filled, id and times set).
 */
RCM_MUST_CHECK enum rcm_err rcm_store_encounter_create(struct rcm_store *store,
                                                       const struct rcm_actor *actor,
                                                       struct rcm_encounter *e,
                                                       struct rcm_diag *diag);
/* One encounter with its lines (audited encounter.read); the sealed fields
 * are opened only when open_sealed. Another tenant's is RCM_E_NOT_FOUND. */
RCM_MUST_CHECK enum rcm_err rcm_store_encounter_get(struct rcm_store *store,
                                                    const struct rcm_actor *actor, int64_t id,
                                                    bool open_sealed, struct rcm_encounter *out,
                                                    struct rcm_diag *diag);
/* Up to limit (1-100) encounters with id > after_id, of one patient
 * (patient_id 0: all) and one status (NULL: any), oldest first; fn returns
 * non-zero to stop. One audit record encounter.list. */
RCM_MUST_CHECK enum rcm_err rcm_store_encounter_list(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     int64_t patient_id, const char *status,
                                                     int64_t after_id, int limit,
                                                     bool open_sealed, rcm_encounter_fn fn,
                                                     void *ctx, struct rcm_diag *diag);
/* Replace an open encounter's values and lines with e's (e->id names it;
 * e->updated_ms, when set, must still be the stored one: RCM_E_CONFLICT
 * otherwise, as for a billed or void encounter). Audited encounter.update. */
RCM_MUST_CHECK enum rcm_err rcm_store_encounter_update(struct rcm_store *store,
                                                       const struct rcm_actor *actor,
                                                       struct rcm_encounter *e,
                                                       struct rcm_diag *diag);
/* Delete an open encounter that has no claim (RCM_E_CONFLICT otherwise). */
RCM_MUST_CHECK enum rcm_err rcm_store_encounter_delete(struct rcm_store *store,
                                                       const struct rcm_actor *actor,
                                                       int64_t id, struct rcm_diag *diag);

/* ---- a tenant's own payer rules (store_payer_rules.c) ------------------ */

/*
 * The tenant's own scrubber rules for its payer record payer_ref (INI text,
 * docs/payer-rules.md "A tenant's own rules"); claims to that payer are
 * scrubbed with them instead of the shipped rules. put checks the text as
 * rcm_payer_rules_parse does (RCM_E_INVAL with the line in diag) and
 * replaces any earlier text; put and delete are audited (payer_rules.update,
 * payer_rules.delete). get: *text owned (rcm_free), NULL when the payer has
 * none. RCM_E_NOT_FOUND for a payer not of the actor's tenant, and from
 * delete when there is nothing to delete.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_payer_rules_put(struct rcm_store *store,
                                                      const struct rcm_actor *actor,
                                                      int64_t payer_ref, const char *text,
                                                      struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_payer_rules_get(struct rcm_store *store,
                                                      const struct rcm_actor *actor,
                                                      int64_t payer_ref, char **text,
                                                      int64_t *updated_ms,
                                                      struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_payer_rules_delete(struct rcm_store *store,
                                                         const struct rcm_actor *actor,
                                                         int64_t payer_ref,
                                                         struct rcm_diag *diag);

/* ---- payment posting (store_remit.c; rcm/remit.h, docs/posting.md) ------ */

struct rcm_remit_post_result;
struct rcm_remit_manual;
struct rcm_remittance;
struct rcm_deposit;
struct rcm_denial;
struct rcm_denial_filter;
struct rcm_claim_payment_row;
struct rcm_unmatched;
struct rcm_buf;
typedef int (*rcm_remittance_fn)(void *ctx, const struct rcm_remittance *r);
typedef int (*rcm_claim_payment_fn)(void *ctx, const struct rcm_claim_payment_row *p);
typedef int (*rcm_unmatched_fn)(void *ctx, const struct rcm_unmatched *u);
typedef int (*rcm_deposit_fn)(void *ctx, const struct rcm_deposit *d);
typedef int (*rcm_denial_fn)(void *ctx, const struct rcm_denial *d);

/*
 * Post an 835 for actor->tenant_id. The file is validated first: any error
 * finding is RCM_E_PARSE (out->error_* say where) and nothing is written.
 * Then each remittance (transaction set) is posted in one write transaction
 * of its own; one already posted (same tenant, payer, trace, amount) is
 * counted in out->already_posted and left as it was. An error after some
 * remittances committed leaves those posted: posting the file again posts
 * exactly the rest. Audited remittance.post per remittance.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_remit_post_x12(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     const char *x12, size_t n,
                                                     struct rcm_remit_post_result *out,
                                                     struct rcm_diag *diag);
/* A paper EOB: the same posting, source manual, the user recorded on the
 * claim events; payment_cents must be the sum of the claim payments. */
RCM_MUST_CHECK enum rcm_err rcm_store_remit_post_manual(struct rcm_store *store,
                                                        const struct rcm_actor *actor,
                                                        const struct rcm_remit_manual *m,
                                                        struct rcm_remit_post_result *out,
                                                        struct rcm_diag *diag);
/* Newest first, ids below before_id (0 = from the newest). */
RCM_MUST_CHECK enum rcm_err rcm_store_remit_list(struct rcm_store *store,
                                                 const struct rcm_actor *actor,
                                                 int64_t before_id, int limit,
                                                 rcm_remittance_fn fn, void *ctx,
                                                 struct rcm_diag *diag);
/* One remittance; fn (may be NULL) gets its claim payments in order. */
RCM_MUST_CHECK enum rcm_err rcm_store_remit_get(struct rcm_store *store,
                                                const struct rcm_actor *actor, int64_t id,
                                                struct rcm_remittance *out,
                                                rcm_claim_payment_fn fn, void *ctx,
                                                struct rcm_diag *diag);
/* The unmatched queue, oldest first; open_sealed opens each CLP's JSON. */
RCM_MUST_CHECK enum rcm_err rcm_store_unmatched_list(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     int64_t after_id, int limit,
                                                     bool open_sealed, rcm_unmatched_fn fn,
                                                     void *ctx, struct rcm_diag *diag);
/* Apply an unmatched payment to a claim of the tenant, in one transaction
 * (matched_by manual; audited remittance.match with the user).
 * RCM_E_NOT_FOUND: no such payment waiting, or no such claim. */
RCM_MUST_CHECK enum rcm_err rcm_store_unmatched_match(struct rcm_store *store,
                                                      const struct rcm_actor *actor,
                                                      int64_t payment_id, int64_t claim_id,
                                                      struct rcm_remit_post_result *out,
                                                      struct rcm_diag *diag);
/* Record a deposit (trace, amount, day); d is filled with what was stored
 * and its reconciliation. RCM_E_CONFLICT for a trace already deposited. */
RCM_MUST_CHECK enum rcm_err rcm_store_deposit_add(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  struct rcm_deposit *d, struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_deposit_list(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   int64_t before_id, int limit,
                                                   rcm_deposit_fn fn, void *ctx,
                                                   struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_denial_list(struct rcm_store *store,
                                                  const struct rcm_actor *actor,
                                                  const struct rcm_denial_filter *f,
                                                  rcm_denial_fn fn, void *ctx,
                                                  struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_denial_get(struct rcm_store *store,
                                                 const struct rcm_actor *actor, int64_t id,
                                                 struct rcm_denial *out, struct rcm_diag *diag);
/*
 * A worklist action on an open denial (RCM_E_CONFLICT otherwise), in one
 * transaction with its audit record: resubmit, appeal (the claim moves to
 * appealed; `note` — the argument — is required; the letter, HTML, is
 * appended to `letter`, never stored), write_off (the claim closes when no
 * other denial of it is open), close. The note is sealed under the
 * patient's key. out (may be NULL) gets the denial as it is now.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_denial_act(struct rcm_store *store,
                                                 const struct rcm_actor *actor, int64_t id,
                                                 int action, const char *note,
                                                 struct rcm_buf *letter, struct rcm_denial *out,
                                                 struct rcm_diag *diag);

/* ---- claims and batches (store_claim.c; rcm/billing.h, rcm/cycle.h) ---- */

struct rcm_claim_row;
struct rcm_claim_event;
struct rcm_batch;
struct rcm_x12_sender;
struct rcm_scrub_ref;
struct rcm_buf;

struct rcm_claim_create {
    int64_t encounter_id;
    int64_t coverage_id;                 /* 0: the encounter's */
    const char *sequence;                /* NULL: "primary" */
    const struct rcm_scrub_ref *scrub;   /* NULL: edits needing reference data skipped */
    int32_t today;                       /* 0: today (the day it will be sent) */
};

/*
 * Build a claim from an open encounter (its lines, minus any the patient
 * restricted from the plan), scrub it, fingerprint it and store it with its
 * lines and findings: ready when the scrubber found no error and no live
 * claim has the same fingerprint (a duplicate stays a draft with the
 * finding "duplicate-claim-history"), else draft. The encounter becomes
 * billed. One transaction, audited claim.create.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_claim_create(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   const struct rcm_claim_create *in,
                                                   int64_t *id, struct rcm_diag *diag);
/* One claim with its lines and findings (audited claim.read). */
RCM_MUST_CHECK enum rcm_err rcm_store_claim_get(struct rcm_store *store,
                                                const struct rcm_actor *actor, int64_t id,
                                                struct rcm_claim_row *out,
                                                struct rcm_diag *diag);

struct rcm_claim_filter {
    const char *state;                   /* NULL or "": any */
    int64_t patient_id, encounter_id, batch_id;    /* 0: any */
    bool with_lines;
};
typedef int (*rcm_claim_fn)(void *ctx, const struct rcm_claim_row *c);
/* Up to limit (1-200) claims with id > after_id, oldest first, without
 * findings; fn returns non-zero to stop. Audited claim.list. */
RCM_MUST_CHECK enum rcm_err rcm_store_claim_list(struct rcm_store *store,
                                                 const struct rcm_actor *actor,
                                                 const struct rcm_claim_filter *f,
                                                 int64_t after_id, int limit, rcm_claim_fn fn,
                                                 void *ctx, struct rcm_diag *diag);
/*
 * A person's move (source "user") of a claim to state `to`, checked against
 * the state machine (RCM_E_CONFLICT for an illegal move, naming both
 * states; RCM_E_INVAL when the move needs a reason and has none). The
 * reason is sealed under the patient's key. Voiding a claim that was never
 * sent reopens its encounter for correction. Audited claim.move.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_claim_move(struct rcm_store *store,
                                                 const struct rcm_actor *actor, int64_t id,
                                                 const char *to, const char *reason,
                                                 struct rcm_diag *diag);
typedef int (*rcm_claim_event_fn)(void *ctx, const struct rcm_claim_event *e);
/* The claim's moves, oldest first (reasons opened when open_reasons). */
RCM_MUST_CHECK enum rcm_err rcm_store_claim_events(struct rcm_store *store,
                                                   const struct rcm_actor *actor, int64_t id,
                                                   bool open_reasons, rcm_claim_event_fn fn,
                                                   void *ctx, struct rcm_diag *diag);
/*
 * Put the tenant's ready claims (the oldest 1,000; call again for more:
 * a render holds every claim of its batch) into 837 batches, one
 * per trading partner (the payer's receiver_id, else the sender's default
 * partner) and claim kind: in one transaction, count ISA13/GS06 for each
 * partner (never reused), insert the batch rows and move the claims to
 * submitted. Nothing ready: *n_out 0. Render each with
 * rcm_store_batch_render and write it to the outbox.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_batch_create(struct rcm_store *store,
                                                   const struct rcm_actor *actor,
                                                   const struct rcm_x12_sender *sender,
                                                   struct rcm_batch *out, size_t max_out,
                                                   size_t *n_out, struct rcm_diag *diag);
/* The 837 interchange of a committed batch, appended to out: the same bytes
 * whenever it is rendered from the same rows. */
RCM_MUST_CHECK enum rcm_err rcm_store_batch_render(struct rcm_store *store,
                                                   const struct rcm_actor *actor, int64_t id,
                                                   const struct rcm_x12_sender *sender,
                                                   struct rcm_buf *out, struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_batch_get(struct rcm_store *store,
                                                const struct rcm_actor *actor, int64_t id,
                                                struct rcm_batch *out, struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_store_batch_list(struct rcm_store *store,
                                                 const struct rcm_actor *actor,
                                                 int64_t after_id, int limit,
                                                 struct rcm_batch *out, int *n,
                                                 struct rcm_diag *diag);


/* ---- acknowledgments (store_claim.c; docs/claims.md) ---- */

#define RCM_ACK_MAX_BATCHES 16
struct rcm_ack_summary {
    char kind[8];                        /* "999" or "277CA" */
    int sets, sets_accepted, sets_rejected;   /* 277CA: statuses accepting / rejecting */
    int statuses;                        /* 277CA claim statuses matched */
    int claims_moved, claims_unchanged, numbers_recorded, batches_changed;
    int n_batches;
    int64_t batch_ids[RCM_ACK_MAX_BATCHES];
    char batch_states[RCM_ACK_MAX_BATCHES][24];
    bool changed;                        /* false: the file had been applied already */
};

/*
 * Apply a received 999 or 277CA (the X12 text, validated first: RCM_E_INVAL
 * naming the segment and position of the first error, no values).
 * 999: each AK1 group is the batch (tenant, partner = GS02/ISA06 sender,
 * gs06 = AK102); each AK2 set number is the batch's set (one per billing
 * provider, in billing provider order, as rendered); IK501 moves the set's
 * submitted claims to accepted or rejected (source ack_999, no user) and the
 * batch's ack_state becomes accepted, partially_accepted or rejected.
 * 277CA: each claim status (TRN02 = control number) records REF*1K as the
 * payer claim number and moves the claim by STC01-1 (source ack_277ca).
 * One transaction; applying the same file again changes nothing
 * (out->changed false). An unknown batch, set or claim: RCM_E_NOT_FOUND
 * with a message, nothing changed.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_ack_apply(struct rcm_store *store,
                                                const struct rcm_actor *actor, const char *x12,
                                                size_t len, struct rcm_ack_summary *out,
                                                struct rcm_diag *diag);


/* ---- claims after the first submission (store_claim.c; docs/claims.md) ---- */

enum rcm_claim_followup_kind {
    RCM_FOLLOWUP_CORRECTION,             /* frequency 7, REF*F8; original -> corrected */
    RCM_FOLLOWUP_VOID,                   /* never sent: voided; else frequency 8 */
    RCM_FOLLOWUP_NEXT_PAYER,             /* secondary after primary, tertiary after secondary */
};
struct rcm_claim_followup {
    int64_t claim_id;
    enum rcm_claim_followup_kind kind;
    const char *reason;                  /* sealed; required for a void */
    const struct rcm_scrub_ref *scrub;
    int32_t today;                       /* 0: today */
};
/*
 * A claim that follows claim_id, built from its lines, scrubbed and stored
 * (ready or draft), original_claim_id set:
 *   correction  frequency 7 referencing the original's payer claim number
 *               (RCM_E_CONFLICT when it has none, or is not paid,
 *               partially paid or denied); the original moves to corrected
 *               (source user, the reason sealed) in the same transaction;
 *   void        a draft/ready/rejected claim is simply voided (*id = the
 *               claim); an accepted or adjudicated one with a payer claim
 *               number gets a frequency-8 claim, and the original moves to
 *               voided (source batch) when that claim's batch is committed;
 *   next payer  to the patient's secondary (tertiary) coverage once the
 *               claim is paid, partially paid or denied, with the earlier
 *               payers' adjudication (2320/2430 from the posted 835s).
 * RCM_E_CONFLICT also when such a claim already follows it.
 */
RCM_MUST_CHECK enum rcm_err rcm_store_claim_followup(struct rcm_store *store,
                                                     const struct rcm_actor *actor,
                                                     const struct rcm_claim_followup *in,
                                                     int64_t *id, struct rcm_diag *diag);

#endif
