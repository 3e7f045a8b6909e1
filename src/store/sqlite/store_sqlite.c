/*
 * store_sqlite.c — the embedded SQLite backend.
 *
 * One writer connection behind a mutex (SQLite allows one writer; queuing
 * here instead of on the file lock keeps waits fair and cheap) and a pool of
 * read connections (WAL readers never block the writer). Every connection
 * has foreign keys on, defensive mode, a busy timeout and a cache of
 * prepared statements indexed by the STMTS table below. Writes start with
 * BEGIN IMMEDIATE so they take the lock up front instead of failing with
 * SQLITE_BUSY on upgrade.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/patient.h"
#include "rcm/roles.h"
#include "rcm/str.h"
#include "store/store_int.h"

#define AUDIT_COLUMNS                                                          \
    "seq, ts_ms, tenant_id, actor_type, actor_id, action, object_type, "        \
    "object_id, patient_ids, purpose, outcome, source_ip, request_id, "         \
    "emergency, prev_hash, hash"
#define USER_COLUMNS                                                           \
    "id, tenant_id, email, display_name, role, disabled, created_ms, "          \
    "failures, last_failure_ms"
#define TENANT_COLUMNS                                                         \
    "id, slug, name, created_ms, coalesce(manager_id, 0), mfa_required, "       \
    "session_idle_s, break_glass_max_minutes"
#define USER_COLUMNS_U                                                         \
    "u.id, u.tenant_id, u.email, u.display_name, u.role, u.disabled, "          \
    "u.created_ms, u.failures, u.last_failure_ms"
/* A user who may act in tenant ?1: one of its own, or of the billing
 * company that manages it (migration 0008). */
#define ACTING_TENANT_USER                                                     \
    "(tenant_id = ?1 OR tenant_id = (SELECT manager_id FROM tenant WHERE "      \
    "id = ?1))"
#define KEY_COLUMNS                                                            \
    "id, tenant_id, created_by, name, role, prefix, created_ms, expires_ms, "   \
    "revoked_ms"
#define AUDIT_COLUMNS_E                                                        \
    "e.seq, e.ts_ms, e.tenant_id, e.actor_type, e.actor_id, e.action, "         \
    "e.object_type, e.object_id, e.patient_ids, e.purpose, e.outcome, "         \
    "e.source_ip, e.request_id, e.emergency, e.prev_hash, e.hash"

/* X(id, sql) — every statement this backend runs, prepared once per connection. */
#define STMTS(X)                                                               \
    X(PING, "SELECT 1")                                                        \
    X(TENANT_INSERT, "INSERT INTO tenant(slug, name, created_ms, manager_id) " \
                     "VALUES (?1, ?2, ?3, nullif(?4, 0)) RETURNING id")        \
    X(TENANT_BY_SLUG, "SELECT " TENANT_COLUMNS " FROM tenant WHERE slug = ?1") \
    X(TENANT_MANAGER, "SELECT coalesce(manager_id, 0) FROM tenant WHERE "      \
                      "id = ?1")                                               \
    X(CLIENT_LIST, "SELECT " TENANT_COLUMNS " FROM tenant WHERE "              \
                   "manager_id = ?1 ORDER BY id")                              \
    X(USER_INSERT, "INSERT INTO app_user(tenant_id, email, display_name, role, " \
                   "password_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) " \
                   "RETURNING id")                                             \
    X(USER_GET, "SELECT " USER_COLUMNS " FROM app_user WHERE "                 \
                ACTING_TENANT_USER " AND id = ?2")                             \
    X(USER_LIST, "SELECT " USER_COLUMNS " FROM app_user WHERE tenant_id = ?1 " \
                 "ORDER BY id")                                                \
    X(LOGIN_LOOKUP, "SELECT " USER_COLUMNS_U ", u.password_hash, t.id FROM "   \
                    "tenant t JOIN app_user u ON u.email = ?2 AND (u.tenant_id " \
                    "= t.id OR u.tenant_id = t.manager_id) WHERE t.slug = ?1 " \
                    "ORDER BY u.tenant_id = t.id DESC LIMIT 1")                \
    X(USER_FAILURES, "UPDATE app_user SET failures = ?2, last_failure_ms = ?3 " \
                     "WHERE id = ?1")                                          \
    X(THROTTLE_GET, "SELECT failures, last_failure_ms FROM login_throttle "    \
                    "WHERE identity_mac = ?1")                                 \
    X(THROTTLE_PUT, "INSERT INTO login_throttle(identity_mac, failures, "      \
                    "last_failure_ms) VALUES (?1, ?2, ?3) ON CONFLICT "        \
                    "(identity_mac) DO UPDATE SET failures = ?2, "             \
                    "last_failure_ms = ?3")                                    \
    X(THROTTLE_PRUNE, "DELETE FROM login_throttle WHERE last_failure_ms < ?1 " \
                      "AND failures < ?2")                                     \
    X(TENANT_GET, "SELECT " TENANT_COLUMNS " FROM tenant WHERE id = ?1")       \
    X(TENANT_POLICY_SET, "UPDATE tenant SET mfa_required = ?2, "               \
                         "session_idle_s = ?3, break_glass_max_minutes = ?4 "  \
                         "WHERE id = ?1")                                      \
    X(USER_SET, "UPDATE app_user SET role = ?3, display_name = ?4, "           \
                "disabled = ?5 WHERE tenant_id = ?1 AND id = ?2")              \
    X(USER_OWNERS, "SELECT count(*) FROM app_user WHERE tenant_id = ?1 AND "   \
                   "role = 'owner' AND disabled = 0")                          \
    X(USER_UNLOCK, "UPDATE app_user SET failures = 0, last_failure_ms = 0 "    \
                   "WHERE tenant_id = ?1 AND id = ?2")                         \
    X(BG_IN_FORCE, "SELECT count(*) FROM break_glass WHERE user_id = ?1 AND "  \
                   "ended_ms = 0 AND expires_ms > ?2")                         \
    X(BG_INSERT, "INSERT INTO break_glass(tenant_id, user_id, session_id, "    \
                 "reason, started_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, " \
                 "?6) RETURNING id")                                           \
    X(SESSION_EMERGENCY, "UPDATE session SET emergency_until_ms = ?3 WHERE "   \
                         "id = ?1 AND user_id = ?2 AND revoked_ms = 0")        \
    X(BG_END_SESSION, "UPDATE break_glass SET ended_ms = ?3 WHERE "            \
                      "session_id = ?1 AND user_id = ?2 AND ended_ms = 0 AND " \
                      "expires_ms > ?3 RETURNING id")                          \
    X(BG_END_USER, "UPDATE break_glass SET ended_ms = ?2 WHERE user_id = ?1 "  \
                   "AND ended_ms = 0 AND expires_ms > ?2 RETURNING id")        \
    X(BG_EXPIRE, "UPDATE break_glass SET ended_ms = expires_ms WHERE id IN "    \
                 "(SELECT id FROM break_glass WHERE ended_ms = 0 AND "         \
                 "expires_ms <= ?1 ORDER BY id LIMIT 64) RETURNING id, "       \
                 "tenant_id")                                                  \
    X(BG_LIST, "SELECT b.id, b.user_id, b.session_id, b.reason, b.started_ms, " \
               "b.expires_ms, b.ended_ms, (SELECT count(*) FROM audit_event e " \
               "WHERE e.tenant_id = b.tenant_id AND e.actor_type = 'user' AND " \
               "e.actor_id = b.user_id AND e.emergency = 1 AND e.action NOT "  \
               "LIKE 'break!_glass.%' ESCAPE '!' AND e.ts_ms BETWEEN "         \
               "b.started_ms AND (CASE WHEN b.ended_ms > 0 THEN b.ended_ms "   \
               "ELSE b.expires_ms END)), u.email FROM break_glass b JOIN "     \
               "app_user u ON u.id = b.user_id WHERE b.tenant_id = ?1 "        \
               "ORDER BY b.id DESC LIMIT ?2")                                  \
    X(SESSION_INSERT, "INSERT INTO session(tenant_id, user_id, token_hash, "   \
                      "csrf_hash, created_ms, last_seen_ms, mfa_ok) VALUES "   \
                      "(?1, ?2, ?3, ?4, ?5, ?5, ?6) RETURNING id")             \
    X(SESSION_FIND, "SELECT s.id, s.tenant_id, s.user_id, u.role, "            \
                    "s.created_ms, s.last_seen_ms, s.csrf_hash, s.mfa_ok, "    \
                    "s.emergency_until_ms, u.mfa_enabled, t.mfa_required, "    \
                    "t.session_idle_s, t.break_glass_max_minutes "             \
                    "FROM session s "                                          \
                    "JOIN app_user u ON u.id = s.user_id "                     \
                    "JOIN tenant t ON t.id = s.tenant_id WHERE "               \
                    "s.token_hash = ?1 AND s.revoked_ms = 0 AND "              \
                    "u.disabled = 0")                                          \
    X(SESSION_TOUCH, "UPDATE session SET last_seen_ms = ?2 WHERE id = ?1")     \
    X(SESSION_REVOKE_ONE, "UPDATE session SET revoked_ms = ?3 WHERE id = ?1 "  \
                          "AND user_id = ?2 AND revoked_ms = 0")               \
    X(SESSION_REVOKE_ALL, "UPDATE session SET revoked_ms = ?2 WHERE "          \
                          "user_id = ?1 AND revoked_ms = 0")                   \
    X(MFA_GET, "SELECT mfa_enabled, mfa_last_step, mfa_secret FROM app_user "  \
               "WHERE " ACTING_TENANT_USER " AND id = ?2")                     \
    X(MFA_CODES, "SELECT slot, code_hash FROM mfa_recovery WHERE user_id = ?1 " \
                 "AND used_ms = 0 ORDER BY slot")                              \
    X(MFA_BEGIN, "UPDATE app_user SET mfa_secret = ?3 WHERE "                  \
                 ACTING_TENANT_USER " AND id = ?2 AND mfa_enabled = 0")        \
    X(MFA_ENABLE, "UPDATE app_user SET mfa_enabled = 1, mfa_last_step = ?3 "   \
                  "WHERE " ACTING_TENANT_USER " AND id = ?2 AND "              \
                  "mfa_enabled = 0 AND mfa_secret IS NOT NULL")                \
    X(MFA_CODES_CLEAR, "DELETE FROM mfa_recovery WHERE user_id = ?1")          \
    X(MFA_CODE_ADD, "INSERT INTO mfa_recovery(user_id, slot, code_hash) "      \
                    "VALUES (?1, ?2, ?3)")                                     \
    X(MFA_STEP, "UPDATE app_user SET mfa_last_step = ?2 WHERE id = ?1 AND "    \
                "mfa_last_step < ?2")                                          \
    X(MFA_CODE_USE, "UPDATE mfa_recovery SET used_ms = ?3 WHERE user_id = ?1 " \
                    "AND slot = ?2 AND used_ms = 0")                           \
    X(SESSION_MFA_OK, "UPDATE session SET mfa_ok = 1 WHERE id = ?1 AND "       \
                      "user_id = ?2")                                          \
    X(KEY_INSERT, "INSERT INTO api_key(tenant_id, created_by, name, role, "    \
                  "prefix, key_hash, created_ms, expires_ms) VALUES (?1, ?2, "  \
                  "?3, ?4, ?5, ?6, ?7, ?8) RETURNING id")                      \
    X(KEY_LIST, "SELECT " KEY_COLUMNS " FROM api_key WHERE tenant_id = ?1 "    \
                "ORDER BY id DESC")                                            \
    X(KEY_REVOKE, "UPDATE api_key SET revoked_ms = ?3 WHERE id = ?1 AND "      \
                  "tenant_id = ?2 AND revoked_ms = 0")                         \
    X(KEY_FIND, "SELECT k.id, k.tenant_id, k.created_by, k.name, k.role, "     \
                "k.prefix, k.created_ms, k.expires_ms, k.revoked_ms, u.role, " \
                "u.mfa_enabled, t.mfa_required "                               \
                "FROM api_key k JOIN app_user u ON u.id = k.created_by AND "   \
                "u.tenant_id = k.tenant_id JOIN tenant t ON t.id = "           \
                "k.tenant_id WHERE k.key_hash = ?1 AND "                       \
                "k.revoked_ms = 0 AND u.disabled = 0")                         \
    X(AUDIT_HEAD, "SELECT seq, hash, mac FROM audit_head WHERE id = 1")        \
    X(AUDIT_INSERT, "INSERT INTO audit_event(" AUDIT_COLUMNS ") VALUES "       \
                    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)") \
    X(AUDIT_PATIENT_INSERT, "INSERT INTO audit_event_patient(seq, tenant_id, " \
                            "patient_id) VALUES (?1, ?2, ?3)")                 \
    X(AUDIT_HEAD_SET, "INSERT INTO audit_head(id, seq, hash, mac) "            \
                      "VALUES (1, ?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET "  \
                      "seq = excluded.seq, hash = excluded.hash, "             \
                      "mac = excluded.mac")                                    \
    X(AUDIT_CHECKPOINT_ADD, "INSERT INTO audit_checkpoint(seq, ts_ms, hash, "  \
                            "mac) VALUES (?1, ?2, ?3, ?4)")                    \
    X(AUDIT_SCAN, "SELECT " AUDIT_COLUMNS " FROM audit_event ORDER BY seq")    \
    X(AUDIT_INDEX_SCAN, "SELECT seq, tenant_id, patient_id FROM "              \
                        "audit_event_patient ORDER BY seq, tenant_id, "        \
                        "patient_id")                                          \
    X(AUDIT_CHECKPOINTS, "SELECT c.seq, c.mac, e.hash FROM audit_checkpoint c " \
                         "LEFT JOIN audit_event e ON e.seq = c.seq "           \
                         "ORDER BY c.seq")                                     \
    X(AUDIT_QUERY, "SELECT " AUDIT_COLUMNS " FROM audit_event "                \
                   "WHERE (?1 = -1 OR tenant_id = ?1) AND (?2 = 0 OR "         \
                   "actor_id = ?2) AND (?3 = 0 OR ts_ms >= ?3) AND "           \
                   "(?4 = 0 OR ts_ms <= ?4) AND seq > ?5 AND (?8 = 0 OR "      \
                   "emergency = (?8 > 0)) ORDER BY seq LIMIT ?6")              \
    X(AUDIT_QUERY_PATIENT, "SELECT " AUDIT_COLUMNS_E " FROM "                  \
                           "audit_event_patient p JOIN audit_event e ON "      \
                           "e.seq = p.seq WHERE p.tenant_id = ?1 AND "         \
                           "p.patient_id = ?7 AND (?2 = 0 OR e.actor_id = ?2) " \
                           "AND (?3 = 0 OR e.ts_ms >= ?3) AND (?4 = 0 OR "     \
                           "e.ts_ms <= ?4) AND e.seq > ?5 AND (?8 = 0 OR "     \
                           "e.emergency = (?8 > 0)) ORDER BY e.seq LIMIT ?6")  \
    PATIENT_STMTS(X)

#define PF_COLUMN(id, name, perm, kind) ", " name
#define PF_SET(id, name, perm, kind) name " = ?, "
#define PATIENT_COLUMNS                                                        \
    "p.id, p.tenant_id, p.uid, p.created_ms, p.updated_ms"                     \
    RCM_PATIENT_FIELDS(PF_COLUMN) ", p.bidx_member_id, p.bidx_mrn, "           \
    "p.bidx_name_dob, p.bidx_ssn, k.wrapped"
#define PATIENT_FROM " FROM patient p JOIN patient_key k ON k.patient_id = p.id "
/* Column of each blind-index kind (enum rcm_blind_kind - 1) */
#define PATIENT_FIND(col)                                                      \
    "SELECT " PATIENT_COLUMNS PATIENT_FROM "WHERE p.tenant_id = ?1 AND "       \
    "p." col " = ?2 ORDER BY p.id LIMIT ?3"

#define PATIENT_STMTS(X)                                                       \
    X(KEY_GET, "SELECT wrapped FROM tenant_key WHERE tenant_id = ?1 AND "      \
               "purpose = ?2")                                                 \
    X(KEY_PUT, "INSERT INTO tenant_key(tenant_id, purpose, wrapped, "          \
               "created_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")   \
    X(SYSTEM_KEY_GET, "SELECT wrapped FROM system_key WHERE purpose = ?2")     \
    X(SYSTEM_KEY_PUT, "INSERT INTO system_key(purpose, wrapped, created_ms) "  \
                      "VALUES (?2, ?3, ?4) ON CONFLICT DO NOTHING")            \
    X(KEYS_ALL, "SELECT 0, purpose, wrapped FROM system_key UNION ALL "        \
                "SELECT tenant_id, purpose, wrapped FROM tenant_key")          \
    X(KEY_SET, "UPDATE tenant_key SET wrapped = ?3 WHERE tenant_id = ?1 AND "  \
               "purpose = ?2")                                                 \
    X(SYSTEM_KEY_SET, "UPDATE system_key SET wrapped = ?3 WHERE purpose = ?2") \
    X(PATIENT_KEY_SET, "UPDATE patient_key SET wrapped = ?2 WHERE "            \
                       "patient_id = ?1")                                      \
    X(PATIENT_KEYS_OTHER, "SELECT count(*) FROM patient_key WHERE "            \
                          "tenant_id = ?1 AND substr(wrapped, 2, 4) != ?2")    \
    X(TENANT_KEY_PROMOTE, "UPDATE tenant_key AS t SET wrapped = n.wrapped, "   \
                          "created_ms = ?2 FROM tenant_key AS n WHERE "        \
                          "t.tenant_id = ?1 AND n.tenant_id = ?1 AND "         \
                          "n.purpose = t.purpose || '-next'")                  \
    X(TENANT_KEY_DROP_NEXT, "DELETE FROM tenant_key WHERE tenant_id = ?1 AND " \
                            "purpose IN ('data-next', 'index-next')")          \
    X(PATIENT_BIDX_SET, "UPDATE patient SET bidx_member_id = ?2, bidx_mrn = ?3, " \
                        "bidx_name_dob = ?4, bidx_ssn = ?5 WHERE id = ?1")     \
    X(PATIENT_COUNT, "SELECT count(*) FROM patient WHERE tenant_id = ?1")      \
    X(ROTATION_FIND, "SELECT id, done FROM key_rotation WHERE kind = ?1 AND "  \
                     "coalesce(tenant_id, 0) = ?2 AND state = 'running'")      \
    X(ROTATION_INSERT, "INSERT INTO key_rotation(kind, tenant_id, state, "     \
                       "total, done, started_ms, updated_ms) VALUES (?1, "     \
                       "nullif(?2, 0), 'running', ?3, 0, ?4, ?4) RETURNING id") \
    X(ROTATION_UPDATE, "UPDATE key_rotation SET done = ?2, state = ?3, "       \
                       "updated_ms = ?4, total = max(total, ?2) WHERE id = ?1") \
    X(ROTATION_LIST, "SELECT id, kind, coalesce(tenant_id, 0), state, total, " \
                     "done, started_ms, updated_ms FROM key_rotation ORDER BY " \
                     "id DESC")                                                \
    X(PATIENT_INSERT, "INSERT INTO patient(tenant_id, uid, created_ms, "       \
                      "updated_ms" RCM_PATIENT_FIELDS(PF_COLUMN) ", "          \
                      "bidx_member_id, bidx_mrn, bidx_name_dob, bidx_ssn) "    \
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "  \
                      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")            \
    X(PATIENT_KEY_INSERT, "INSERT INTO patient_key(patient_id, tenant_id, "    \
                          "wrapped) VALUES (?1, ?2, ?3)")                      \
    X(PATIENT_GET, "SELECT " PATIENT_COLUMNS PATIENT_FROM "WHERE "             \
                   "p.tenant_id = ?1 AND p.id = ?2")                           \
    X(PATIENT_FIND_MEMBER_ID, PATIENT_FIND("bidx_member_id"))                  \
    X(PATIENT_FIND_MRN, PATIENT_FIND("bidx_mrn"))                              \
    X(PATIENT_FIND_NAME_DOB, PATIENT_FIND("bidx_name_dob"))                    \
    X(PATIENT_FIND_SSN, PATIENT_FIND("bidx_ssn"))                              \
    X(PATIENT_LIST, "SELECT " PATIENT_COLUMNS PATIENT_FROM "WHERE "            \
                    "p.tenant_id = ?1 AND p.id > ?2 ORDER BY p.id LIMIT ?3")   \
    X(PATIENT_UPDATE, "UPDATE patient SET " RCM_PATIENT_FIELDS(PF_SET)         \
                      "bidx_member_id = ?, bidx_mrn = ?, bidx_name_dob = ?, "  \
                      "bidx_ssn = ?, updated_ms = ? WHERE tenant_id = ? AND "  \
                      "id = ? AND updated_ms = ?")                             \
    X(PATIENT_DELETE, "DELETE FROM patient WHERE tenant_id = ?1 AND id = ?2")

enum stmt_id {
#define STMT_ENUM(id, sql) STMT_##id,
    STMTS(STMT_ENUM)
#undef STMT_ENUM
    STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
#define STMT_SQL(id, sql) sql,
    STMTS(STMT_SQL)
#undef STMT_SQL
};

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[STMT_COUNT];
    struct conn *next;          /* free list */
};

struct sq {
    char *path;
    bool has_audit_key;
    uint8_t audit_key[RCM_AUDIT_KEY_BYTES];
    int busy_timeout_ms;
    pthread_mutex_t write_mu;
    struct conn writer;
    /* group commit of audit-only records (sq_audit_append) */
    pthread_mutex_t group_mu;
    pthread_cond_t group_cv;
    struct audit_waiter *group_queue;   /* records waiting for the next leader */
    bool group_leader;                  /* a thread is committing a batch */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    struct conn *idle;          /* idle read connections */
    int n_readers;              /* opened, idle or in use */
    int max_readers;
};

static enum rcm_err
db_fail(struct rcm_diag *diag, sqlite3 *db, const char *what)
{
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return rcm_diag_fail(diag, RCM_E_BUSY, "%s: database is busy", what);
    return rcm_diag_fail(diag, RCM_E_DB, "%s: %s", what,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
}

static enum rcm_err
exec(sqlite3 *db, const char *sql, struct rcm_diag *diag)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(diag, db, "sqlite");
    return RCM_OK;
}

static void
conn_close(struct conn *c)
{
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

static enum rcm_err
conn_open(struct sq *sq, struct conn *c, bool read_only, struct rcm_diag *diag)
{
    memset(c, 0, sizeof *c);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(sq->path, &c->db, flags, NULL) != SQLITE_OK) {
        enum rcm_err err = db_fail(diag, c->db, "cannot open database");
        sqlite3_close(c->db);
        c->db = NULL;
        return err;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_busy_timeout(c->db, sq->busy_timeout_ms);
    enum rcm_err err = exec(c->db,
                            "PRAGMA journal_mode=WAL;"
                            "PRAGMA synchronous=FULL;"
                            "PRAGMA foreign_keys=ON;"
                            /* freed pages are zeroed, so deleted rows do
                             * not linger in the file */
                            "PRAGMA secure_delete=ON;", diag);
    if (!err && read_only)
        err = exec(c->db, "PRAGMA query_only=ON;", diag);
    if (err)
        conn_close(c);
    return err;
}

/* The cached statement, reset and ready to bind; NULL on failure. */
static sqlite3_stmt *
stmt(struct conn *c, enum stmt_id id, struct rcm_diag *diag)
{
    if (!c->stmt[id]) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &c->stmt[id], NULL) != SQLITE_OK) {
            db_fail(diag, c->db, "prepare");
            return NULL;
        }
    }
    return c->stmt[id];
}

static void
stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* ---- connection pool -------------------------------------------------- */

static enum rcm_err
reader_acquire(struct sq *sq, struct conn **out, struct rcm_diag *diag)
{
    pthread_mutex_lock(&sq->pool_mu);
    while (!sq->idle && sq->n_readers >= sq->max_readers)
        pthread_cond_wait(&sq->pool_cv, &sq->pool_mu);
    if (sq->idle) {
        *out = sq->idle;
        sq->idle = sq->idle->next;
        pthread_mutex_unlock(&sq->pool_mu);
        return RCM_OK;
    }
    sq->n_readers++;
    pthread_mutex_unlock(&sq->pool_mu);

    struct conn *c = rcm_calloc(1, sizeof *c);
    enum rcm_err err = c ? conn_open(sq, c, true, diag) : RCM_E_NOMEM;
    if (err) {
        rcm_free(c);
        pthread_mutex_lock(&sq->pool_mu);
        sq->n_readers--;
        pthread_cond_signal(&sq->pool_cv);
        pthread_mutex_unlock(&sq->pool_mu);
        return err;
    }
    *out = c;
    return RCM_OK;
}

static void
reader_release(struct sq *sq, struct conn *c)
{
    pthread_mutex_lock(&sq->pool_mu);
    c->next = sq->idle;
    sq->idle = c;
    pthread_cond_signal(&sq->pool_cv);
    pthread_mutex_unlock(&sq->pool_mu);
}

/* Take the writer and open a write transaction. */
static enum rcm_err
write_begin(struct sq *sq, struct rcm_diag *diag)
{
    pthread_mutex_lock(&sq->write_mu);
    enum rcm_err err = exec(sq->writer.db, "BEGIN IMMEDIATE", diag);
    if (err)
        pthread_mutex_unlock(&sq->write_mu);
    return err;
}

/* Commit when err is RCM_OK, otherwise roll back; release the writer. */
static enum rcm_err
write_end(struct sq *sq, enum rcm_err err, struct rcm_diag *diag)
{
    if (!err)
        err = exec(sq->writer.db, "COMMIT", diag);
    if (err && !sqlite3_get_autocommit(sq->writer.db))
        sqlite3_exec(sq->writer.db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&sq->write_mu);
    return err;
}

/* ---- open / close ------------------------------------------------------ */

/* Create the database file 0600 before SQLite does (it would use 0644);
 * SQLite gives the -wal and -shm files the same mode. */
static enum rcm_err
create_private(const char *path, struct rcm_diag *diag)
{
    /* never open an existing file: closing it would drop this process's
     * POSIX locks on it (see db_sqlite.c) */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return RCM_OK;
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot create database %s: %s",
                             path, strerror(errno));
    close(fd);
    return RCM_OK;
}

static void
sq_close(void *impl)
{
    struct sq *sq = impl;
    if (!sq)
        return;
    while (sq->idle) {
        struct conn *c = sq->idle;
        sq->idle = c->next;
        conn_close(c);
        rcm_free(c);
    }
    if (sq->writer.db) {
        /* let SQLite fold the WAL back and refresh planner statistics */
        sqlite3_exec(sq->writer.db, "PRAGMA optimize", NULL, NULL, NULL);
        conn_close(&sq->writer);
    }
    pthread_mutex_destroy(&sq->write_mu);
    pthread_mutex_destroy(&sq->group_mu);
    pthread_cond_destroy(&sq->group_cv);
    pthread_mutex_destroy(&sq->pool_mu);
    pthread_cond_destroy(&sq->pool_cv);
    rcm_crypto_wipe(sq->audit_key, sizeof sq->audit_key);
    rcm_free(sq->path);
    rcm_free(sq);
}

static enum rcm_err
sq_open(const struct rcm_store_options *opt, void **impl, struct rcm_diag *diag)
{
    if (!opt->path || !opt->path[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "database path is empty");
    struct sq *sq = rcm_calloc(1, sizeof *sq);
    if (!sq)
        return RCM_E_NOMEM;
    pthread_mutex_init(&sq->write_mu, NULL);
    pthread_mutex_init(&sq->group_mu, NULL);
    pthread_cond_init(&sq->group_cv, NULL);
    pthread_mutex_init(&sq->pool_mu, NULL);
    pthread_cond_init(&sq->pool_cv, NULL);
    sq->busy_timeout_ms = opt->busy_timeout_ms;
    sq->max_readers = opt->read_connections > 0 ? opt->read_connections : 1;
    sq->path = rcm_strdup(opt->path);
    if (opt->audit_key) {
        memcpy(sq->audit_key, opt->audit_key, RCM_AUDIT_KEY_BYTES);
        sq->has_audit_key = true;
    }
    enum rcm_err err = sq->path ? create_private(opt->path, diag) : RCM_E_NOMEM;
    if (!err)
        err = conn_open(sq, &sq->writer, false, diag);
    if (err) {
        sq_close(sq);
        return err;
    }
    *impl = sq;
    return RCM_OK;
}

/* ---- migrations -------------------------------------------------------- */

/* The shared runner (store_migrate.c) on its own connection to the same
 * file. This store's writer waits meanwhile, so no transaction of ours is
 * open beside it; other processes are kept out by SQLite's write lock. */
static enum rcm_err
sq_migrate(void *impl, struct rcm_migrate_report *report, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct rcm_store_options o = {.backend = "sqlite", .path = sq->path,
                                  .busy_timeout_ms = sq->busy_timeout_ms};
    pthread_mutex_lock(&sq->write_mu);
    enum rcm_err err = rcm_store_migrate_database(&o, report, diag);
    pthread_mutex_unlock(&sq->write_mu);
    return err;
}

static enum rcm_err
sq_schema_version(void *impl, int *current, int *latest, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct rcm_store_options o = {.backend = "sqlite", .path = sq->path,
                                  .busy_timeout_ms = sq->busy_timeout_ms};
    return rcm_store_database_version(&o, current, latest, diag);
}

/* ---- audit log ---------------------------------------------------------- */

static const char *
nz(const char *s)
{
    return s ? s : "";
}

/* Bind a blob column of exactly 32 bytes, or report a corrupt one. */
static bool
column_hash(sqlite3_stmt *st, int col, uint8_t out[RCM_SHA256_BYTES])
{
    if (sqlite3_column_bytes(st, col) != RCM_SHA256_BYTES) {
        memset(out, 0, RCM_SHA256_BYTES);
        return false;
    }
    memcpy(out, sqlite3_column_blob(st, col), RCM_SHA256_BYTES);
    return true;
}

/*
 * Append one record inside the writer's open transaction: next sequence
 * number and link from the head, hash, per-patient index rows, new keyed
 * head, and a keyed checkpoint every RCM_AUDIT_CHECKPOINT_EVERY records.
 */
static enum rcm_err
audit_write(struct sq *sq, const struct rcm_actor *actor,
            const struct rcm_audit_what *what, int64_t now_ms, struct rcm_diag *diag)
{
    if (!sq->has_audit_key)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "the audit log has no key; refusing to "
                             "record events unprotected");
    struct rcm_audit_event ev = {0};
    sqlite3 *db = sq->writer.db;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_AUDIT_HEAD, diag);
    if (!st)
        return RCM_E_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ev.seq = sqlite3_column_int64(st, 0) + 1;
        column_hash(st, 1, ev.prev_hash);
    } else {
        ev.seq = 1;
    }
    stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(diag, db, "read audit head");

    ev.ts_ms = now_ms;
    ev.tenant_id = actor->tenant_id;
    ev.actor_type = nz(actor->type);
    ev.actor_id = actor->user_id;
    ev.action = nz(what->action);
    ev.object_type = nz(what->object_type);
    ev.object_id = nz(what->object_id);
    ev.patient_ids = nz(what->patient_ids);
    ev.purpose = nz(actor->purpose);
    ev.outcome = nz(what->outcome);
    ev.source_ip = nz(actor->source_ip);
    ev.request_id = nz(actor->request_id);
    ev.emergency = actor->emergency;
    rcm_audit_hash(&ev, ev.hash);

    if (!(st = stmt(&sq->writer, STMT_AUDIT_INSERT, diag)))
        return RCM_E_DB;
    sqlite3_bind_int64(st, 1, ev.seq);
    sqlite3_bind_int64(st, 2, ev.ts_ms);
    sqlite3_bind_int64(st, 3, ev.tenant_id);
    sqlite3_bind_text(st, 4, ev.actor_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, ev.actor_id);
    sqlite3_bind_text(st, 6, ev.action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ev.object_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ev.object_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, ev.patient_ids, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, ev.purpose, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, ev.outcome, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, ev.source_ip, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, ev.request_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 14, ev.emergency);
    sqlite3_bind_blob(st, 15, ev.prev_hash, RCM_SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 16, ev.hash, RCM_SHA256_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc != SQLITE_DONE)
        return db_fail(diag, db, "append audit record");

    struct rcm_str rest = rcm_str_c(ev.patient_ids), pid;
    while (ev.patient_ids[0] && rcm_str_split_next(&rest, ',', &pid)) {
        pid = rcm_str_trim(pid);
        if (!pid.n)
            continue;
        if (!(st = stmt(&sq->writer, STMT_AUDIT_PATIENT_INSERT, diag)))
            return RCM_E_DB;
        sqlite3_bind_int64(st, 1, ev.seq);
        sqlite3_bind_int64(st, 2, ev.tenant_id);
        sqlite3_bind_text(st, 3, pid.p, (int)pid.n, SQLITE_STATIC);
        rc = sqlite3_step(st);
        stmt_done(st);
        /* the same id twice in one record is fine */
        if (rc != SQLITE_DONE && sqlite3_extended_errcode(db) != SQLITE_CONSTRAINT_PRIMARYKEY)
            return db_fail(diag, db, "index audit record");
    }

    uint8_t mac[RCM_SHA256_BYTES];
    rcm_audit_mac(sq->audit_key, ev.seq, ev.hash, mac);
    if (!(st = stmt(&sq->writer, STMT_AUDIT_HEAD_SET, diag)))
        return RCM_E_DB;
    sqlite3_bind_int64(st, 1, ev.seq);
    sqlite3_bind_blob(st, 2, ev.hash, RCM_SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, mac, RCM_SHA256_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc != SQLITE_DONE)
        return db_fail(diag, db, "update audit head");

    if (ev.seq % RCM_AUDIT_CHECKPOINT_EVERY == 0) {
        if (!(st = stmt(&sq->writer, STMT_AUDIT_CHECKPOINT_ADD, diag)))
            return RCM_E_DB;
        sqlite3_bind_int64(st, 1, ev.seq);
        sqlite3_bind_int64(st, 2, ev.ts_ms);
        sqlite3_bind_blob(st, 3, ev.hash, RCM_SHA256_BYTES, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, mac, RCM_SHA256_BYTES, SQLITE_STATIC);
        rc = sqlite3_step(st);
        stmt_done(st);
        if (rc != SQLITE_DONE)
            return db_fail(diag, db, "write audit checkpoint");
    }
    return RCM_OK;
}

/* Audit a successful change to one object identified by a number. */
static enum rcm_err
audit_object(struct sq *sq, const struct rcm_actor *actor, const char *action,
             const char *object_type, int64_t object_id, int64_t now_ms,
             struct rcm_diag *diag)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)object_id);
    struct rcm_audit_what what = {action, object_type, id, NULL, "success"};
    return audit_write(sq, actor, &what, now_ms, diag);
}

/* One caller of sq_audit_append waiting for its record to be committed. */
struct audit_waiter {
    const struct rcm_actor *actor;
    const struct rcm_audit_what *what;
    struct rcm_diag *diag;
    enum rcm_err err;
    bool done;
    struct audit_waiter *next;
};

/* Write records in one transaction; false when it failed (nothing kept). */
static bool
audit_batch(struct sq *sq, struct audit_waiter *list)
{
    enum rcm_err err = write_begin(sq, list->diag);
    if (!err) {
        int64_t now_ms = rcm_time_now_ms();
        for (struct audit_waiter *w = list; w && !err; w = w->next)
            err = audit_write(sq, w->actor, w->what, now_ms, w->diag);
        err = write_end(sq, err, list->diag);
    }
    for (struct audit_waiter *w = list; w; w = w->next)
        w->err = err;
    return err == RCM_OK;
}

/*
 * An audit record that changes nothing else (a read of PHI, a failed
 * login). Group commit: callers arriving while a commit is under way queue
 * up, and the next of them commits the whole queue in one transaction — one
 * fsync for many records — before any of them returns. A failed batch is
 * retried record by record so one caller's error is not another's.
 */
static enum rcm_err
sq_audit_append(void *impl, const struct rcm_actor *actor,
                const struct rcm_audit_what *what, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct audit_waiter me = {actor, what, diag, RCM_OK, false, NULL};
    pthread_mutex_lock(&sq->group_mu);
    me.next = sq->group_queue;
    sq->group_queue = &me;
    while (!me.done && sq->group_leader)
        pthread_cond_wait(&sq->group_cv, &sq->group_mu);
    if (me.done) {
        pthread_mutex_unlock(&sq->group_mu);
        return me.err;
    }
    sq->group_leader = true;
    /* the queue is newest first; commit in arrival order */
    struct audit_waiter *batch = NULL;
    while (sq->group_queue) {
        struct audit_waiter *w = sq->group_queue;
        sq->group_queue = w->next;
        w->next = batch;
        batch = w;
    }
    pthread_mutex_unlock(&sq->group_mu);

    if (batch && !audit_batch(sq, batch) && batch->next) {
        for (struct audit_waiter *w = batch; w; w = w->next) {
            struct audit_waiter *rest = w->next;
            w->next = NULL;
            audit_batch(sq, w);
            w->next = rest;
        }
    }
    pthread_mutex_lock(&sq->group_mu);
    for (struct audit_waiter *w = batch; w; w = w->next)
        w->done = true;
    sq->group_leader = false;
    pthread_cond_broadcast(&sq->group_cv);
    pthread_mutex_unlock(&sq->group_mu);
    return me.err;
}

/* Row of AUDIT_COLUMNS -> event (strings borrowed until the next step). */
static void
audit_row(sqlite3_stmt *st, struct rcm_audit_event *ev)
{
    ev->seq = sqlite3_column_int64(st, 0);
    ev->ts_ms = sqlite3_column_int64(st, 1);
    ev->tenant_id = sqlite3_column_int64(st, 2);
    ev->actor_type = nz((const char *)sqlite3_column_text(st, 3));
    ev->actor_id = sqlite3_column_int64(st, 4);
    ev->action = nz((const char *)sqlite3_column_text(st, 5));
    ev->object_type = nz((const char *)sqlite3_column_text(st, 6));
    ev->object_id = nz((const char *)sqlite3_column_text(st, 7));
    ev->patient_ids = nz((const char *)sqlite3_column_text(st, 8));
    ev->purpose = nz((const char *)sqlite3_column_text(st, 9));
    ev->outcome = nz((const char *)sqlite3_column_text(st, 10));
    ev->source_ip = nz((const char *)sqlite3_column_text(st, 11));
    ev->request_id = nz((const char *)sqlite3_column_text(st, 12));
    ev->emergency = sqlite3_column_int(st, 13) != 0;
    column_hash(st, 14, ev->prev_hash);
    column_hash(st, 15, ev->hash);
}

/*
 * The chain merged with the per-patient index: both scans in seq order,
 * each index row fed right after its record, so memory stays bounded by
 * one record whatever the log's size. Stops at the first problem.
 */
static enum rcm_err
verify_chain(struct conn *c, struct rcm_audit_verify *v, struct rcm_diag *diag)
{
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_SCAN, diag);
    if (!st)
        return RCM_E_DB;
    sqlite3_stmt *ix = stmt(c, STMT_AUDIT_INDEX_SCAN, diag);
    if (!ix) {
        stmt_done(st);
        return RCM_E_DB;
    }
    enum rcm_err err = RCM_OK;
    int rc, irc = sqlite3_step(ix);
    struct rcm_audit_event ev;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        audit_row(st, &ev);
        if (!rcm_audit_verify_record(v, &ev))
            break;
        bool ok = true;
        while (ok && irc == SQLITE_ROW && sqlite3_column_int64(ix, 0) <= ev.seq) {
            ok = rcm_audit_verify_index_row(v, sqlite3_column_int64(ix, 0),
                                            sqlite3_column_int64(ix, 1),
                                            (const char *)sqlite3_column_text(ix, 2),
                                            (size_t)sqlite3_column_bytes(ix, 2));
            irc = sqlite3_step(ix);
        }
        if (!ok || !rcm_audit_verify_index_end(v))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_fail(diag, c->db, "read audit log");
    else if (irc != SQLITE_ROW && irc != SQLITE_DONE)
        err = db_fail(diag, c->db, "read audit index");
    else if (rc == SQLITE_DONE && irc == SQLITE_ROW && !v->problem)
        /* index rows after the last record */
        rcm_audit_verify_index_row(v, sqlite3_column_int64(ix, 0),
                                   sqlite3_column_int64(ix, 1),
                                   (const char *)sqlite3_column_text(ix, 2),
                                   (size_t)sqlite3_column_bytes(ix, 2));
    if (!err && v->err)
        err = rcm_diag_fail(diag, v->err, "verify audit log: out of memory");
    stmt_done(ix);
    stmt_done(st);
    return err;
}

static enum rcm_err
sq_audit_verify(void *impl, struct rcm_audit_verify *v, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    /* One read transaction: a consistent snapshot while writers go on. */
    err = exec(c->db, "BEGIN", diag);
    if (!err)
        err = verify_chain(c, v, diag);
    sqlite3_stmt *st;
    int rc;
    if (!err && !v->problem && (st = stmt(c, STMT_AUDIT_CHECKPOINTS, diag))) {
        uint8_t mac[RCM_SHA256_BYTES], hash[RCM_SHA256_BYTES];
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            column_hash(st, 1, mac);
            bool exists = sqlite3_column_type(st, 2) != SQLITE_NULL;
            column_hash(st, 2, hash);
            if (!rcm_audit_verify_checkpoint(v, sqlite3_column_int64(st, 0), hash,
                                             exists, mac))
                break;
        }
        stmt_done(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            err = db_fail(diag, c->db, "read audit checkpoints");
        else
            rcm_audit_verify_checkpoints_end(v);
    }
    if (!err && !v->problem && (st = stmt(c, STMT_AUDIT_HEAD, diag))) {
        uint8_t hash[RCM_SHA256_BYTES], mac[RCM_SHA256_BYTES];
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            column_hash(st, 1, hash);
            column_hash(st, 2, mac);
            rcm_audit_verify_head(v, true, sqlite3_column_int64(st, 0), hash, mac);
        } else if (rc == SQLITE_DONE) {
            rcm_audit_verify_head(v, false, 0, NULL, NULL);
        } else {
            err = db_fail(diag, c->db, "read audit head");
        }
        stmt_done(st);
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    reader_release(sq, c);
    return err;
}

/* The committed head: *seq 0 (hash zeroed) for an empty log. */
static enum rcm_err
sq_audit_head(void *impl, int64_t *seq, uint8_t hash[RCM_SHA256_BYTES],
              struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    *seq = 0;
    memset(hash, 0, RCM_SHA256_BYTES);
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_HEAD, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *seq = sqlite3_column_int64(st, 0);
            if (!column_hash(st, 1, hash))
                err = rcm_diag_fail(diag, RCM_E_DB, "read audit head: corrupt hash");
        } else if (rc != SQLITE_DONE) {
            err = db_fail(diag, c->db, "read audit head");
        }
        stmt_done(st);
    }
    reader_release(sq, c);
    return err;
}

static enum rcm_err
sq_audit_query(void *impl, const struct rcm_audit_filter *f, rcm_audit_row_fn fn,
               void *ctx, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    if (f->patient_id && f->tenant_id < 1)
        return rcm_diag_fail(diag, RCM_E_INVAL, "a patient query needs a tenant");
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(c, f->patient_id ? STMT_AUDIT_QUERY_PATIENT : STMT_AUDIT_QUERY, diag);
    if (!st) {
        reader_release(sq, c);
        return RCM_E_DB;
    }
    sqlite3_bind_int64(st, 1, f->tenant_id);
    sqlite3_bind_int64(st, 2, f->actor_id);
    sqlite3_bind_int64(st, 3, f->from_ms);
    sqlite3_bind_int64(st, 4, f->to_ms);
    sqlite3_bind_int64(st, 5, f->after_seq);
    sqlite3_bind_int(st, 6, f->limit);
    sqlite3_bind_int(st, 8, f->emergency);
    if (f->patient_id)
        sqlite3_bind_text(st, 7, f->patient_id, -1, SQLITE_STATIC);
    int rc;
    struct rcm_audit_event ev;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        audit_row(st, &ev);
        if (fn(ctx, &ev))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_fail(diag, c->db, "query audit log");
    stmt_done(st);
    reader_release(sq, c);
    return err;
}

/* ---- users and sessions -------------------------------------------------- */

static void
user_row(sqlite3_stmt *st, struct rcm_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    u->tenant_id = sqlite3_column_int64(st, 1);
    rcm_str_copy(u->email, sizeof u->email, rcm_str_c(nz((const char *)sqlite3_column_text(st, 2))));
    rcm_str_copy(u->display_name, sizeof u->display_name,
                 rcm_str_c(nz((const char *)sqlite3_column_text(st, 3))));
    u->role = rcm_role_parse(nz((const char *)sqlite3_column_text(st, 4)));
    u->disabled = sqlite3_column_int(st, 5) != 0;
    u->created_ms = sqlite3_column_int64(st, 6);
    u->failures = (uint32_t)sqlite3_column_int64(st, 7);
    u->last_failure_ms = sqlite3_column_int64(st, 8);
}

static enum rcm_err
sq_user_create(void *impl, const struct rcm_actor *actor, const char *email,
               const char *display_name, const char *role, const char *password_hash,
               int64_t now_ms, struct rcm_user *out, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_USER_INSERT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, actor->tenant_id);
        sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, display_name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
        if (password_hash)
            sqlite3_bind_text(st, 5, password_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, now_ms);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            memset(out, 0, sizeof *out);
            out->id = sqlite3_column_int64(st, 0);
            out->tenant_id = actor->tenant_id;
            rcm_str_copy(out->email, sizeof out->email, rcm_str_c(email));
            rcm_str_copy(out->display_name, sizeof out->display_name, rcm_str_c(display_name));
            out->role = rcm_role_parse(role);
            out->created_ms = now_ms;
        } else if (sqlite3_extended_errcode(sq->writer.db) == SQLITE_CONSTRAINT_UNIQUE) {
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "a user with this email exists");
        } else if (sqlite3_extended_errcode(sq->writer.db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
            err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
        } else {
            err = db_fail(diag, sq->writer.db, "create user");
        }
        stmt_done(st);
    }
    if (!err)
        err = audit_object(sq, actor, "user.create", "user", out->id, now_ms, diag);
    return write_end(sq, err, diag);
}

/*
 * Run a read statement bound by `bind` and hand each row to `each`, which
 * returns non-zero to stop. *rows (if given) counts the rows handed over.
 */
static enum rcm_err
read_rows(struct sq *sq, enum stmt_id id, void (*bind)(sqlite3_stmt *, const void *),
          const void *args, int (*each)(sqlite3_stmt *, void *), void *ctx, int *rows,
          struct rcm_diag *diag)
{
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(c, id, diag);
    if (!st) {
        reader_release(sq, c);
        return RCM_E_DB;
    }
    bind(st, args);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (each(st, ctx))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_fail(diag, c->db, "read");
    stmt_done(st);
    reader_release(sq, c);
    if (rows)
        *rows = n;
    return err;
}

struct first_row {
    void (*row)(sqlite3_stmt *, void *);
    void *out;
};

static int
take_first(sqlite3_stmt *st, void *ctx)
{
    struct first_row *f = ctx;
    f->row(st, f->out);
    return 1;
}

/* The first row of a read statement through `row`; `missing` when none. */
static enum rcm_err
read_one(struct sq *sq, enum stmt_id id, void (*bind)(sqlite3_stmt *, const void *),
         const void *args, void (*row)(sqlite3_stmt *, void *), void *out,
         const char *missing, struct rcm_diag *diag)
{
    struct first_row f = {row, out};
    int rows = 0;
    enum rcm_err err = read_rows(sq, id, bind, args, take_first, &f, &rows, diag);
    if (!err && rows == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "%s", missing);
    return err;
}

/* read_rows on the writer, inside its open transaction. */
static enum rcm_err
writer_rows(struct sq *sq, enum stmt_id id, void (*bind)(sqlite3_stmt *, const void *),
            const void *args, int (*each)(sqlite3_stmt *, void *), void *ctx,
            struct rcm_diag *diag)
{
    sqlite3_stmt *st = stmt(&sq->writer, id, diag);
    if (!st)
        return RCM_E_DB;
    bind(st, args);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (each(st, ctx))
            break;
    enum rcm_err err = RCM_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_fail(diag, sq->writer.db, "read");
    stmt_done(st);
    return err;
}

/* Row callback: the first column as an integer, then stop. */
static int
take_int(sqlite3_stmt *st, void *ctx)
{
    *(int64_t *)ctx = sqlite3_column_int64(st, 0);
    return 1;
}

struct id_pair {
    int64_t a, b;
};

static void
bind_ids(sqlite3_stmt *st, const void *args)
{
    const struct id_pair *p = args;
    sqlite3_bind_int64(st, 1, p->a);
    sqlite3_bind_int64(st, 2, p->b);
}

struct text_pair {
    const char *a, *b;
};

static void
bind_texts(sqlite3_stmt *st, const void *args)
{
    const struct text_pair *p = args;
    sqlite3_bind_text(st, 1, p->a, -1, SQLITE_STATIC);
    if (p->b)
        sqlite3_bind_text(st, 2, p->b, -1, SQLITE_STATIC);
}

static void
user_out(sqlite3_stmt *st, void *out)
{
    user_row(st, out);
}

static void
login_out(sqlite3_stmt *st, void *out)
{
    struct rcm_user *u = out;
    user_row(st, u);
    rcm_str_copy(u->password_hash, sizeof u->password_hash,
                 rcm_str_c(nz((const char *)sqlite3_column_text(st, 9))));
    u->login_tenant_id = sqlite3_column_int64(st, 10);
}

static enum rcm_err
sq_user_get(void *impl, int64_t tenant_id, int64_t user_id, struct rcm_user *out,
            struct rcm_diag *diag)
{
    struct id_pair ids = {tenant_id, user_id};
    return read_one(impl, STMT_USER_GET, bind_ids, &ids, user_out, out, "no such user", diag);
}

static enum rcm_err
sq_login_lookup(void *impl, const char *slug, const char *email, struct rcm_user *out,
                struct rcm_diag *diag)
{
    struct text_pair args = {slug, email};
    return read_one(impl, STMT_LOGIN_LOOKUP, bind_texts, &args, login_out, out,
                    "no such user", diag);
}

static void
bind_id1(sqlite3_stmt *st, const void *args)
{
    sqlite3_bind_int64(st, 1, *(const int64_t *)args);
}

struct user_each {
    rcm_user_row_fn fn;
    void *ctx;
};

static int
each_user(sqlite3_stmt *st, void *p)
{
    struct user_each *e = p;
    struct rcm_user u;
    user_row(st, &u);
    return e->fn(e->ctx, &u);
}

static enum rcm_err
sq_user_list(void *impl, int64_t tenant_id, rcm_user_row_fn fn, void *ctx,
             struct rcm_diag *diag)
{
    struct user_each e = {fn, ctx};
    return read_rows(impl, STMT_USER_LIST, bind_id1, &tenant_id, each_user, &e, NULL, diag);
}

/* Run one write statement binding up to three integers. */
static enum rcm_err
write_ints(struct sq *sq, enum stmt_id id, int n, const int64_t *v, struct rcm_diag *diag)
{
    sqlite3_stmt *st = stmt(&sq->writer, id, diag);
    if (!st)
        return RCM_E_DB;
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? RCM_OK : db_fail(diag, sq->writer.db, "write");
}

static enum rcm_err
sq_login_failed(void *impl, const struct rcm_actor *actor, int64_t user_id,
                uint32_t failures, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    if (user_id > 0) {
        int64_t v[3] = {user_id, failures, now_ms};
        err = write_ints(sq, STMT_USER_FAILURES, 3, v, diag);
    }
    if (!err) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)user_id);
        struct rcm_audit_what what = {"login.failure", "user", user_id ? id : "", NULL,
                                      "failure"};
        err = audit_write(sq, actor, &what, now_ms, diag);
    }
    return write_end(sq, err, diag);
}

static void bind_text1(sqlite3_stmt *st, const void *args);

struct throttle_row {
    uint32_t failures;
    int64_t last_failure_ms;
};

static void
throttle_out(sqlite3_stmt *st, void *out)
{
    struct throttle_row *r = out;
    int64_t f = sqlite3_column_int64(st, 0);
    r->failures = f < 0 ? 0 : f > UINT32_MAX ? UINT32_MAX : (uint32_t)f;
    r->last_failure_ms = sqlite3_column_int64(st, 1);
}

static enum rcm_err
sq_login_throttle_get(void *impl, const char *identity_mac, uint32_t *failures,
                      int64_t *last_failure_ms, struct rcm_diag *diag)
{
    struct throttle_row r = {0, 0};
    enum rcm_err err = read_one(impl, STMT_THROTTLE_GET, bind_text1, identity_mac, throttle_out,
                                &r, "no counters", diag);
    if (err == RCM_E_NOT_FOUND)
        err = RCM_OK;
    *failures = r.failures;
    *last_failure_ms = r.last_failure_ms;
    return err;
}

static enum rcm_err
sq_login_failed_identity(void *impl, const struct rcm_actor *actor, const char *identity_mac,
                         uint32_t failures, int64_t now_ms, int64_t prune_before_ms,
                         uint32_t locked_failures, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_THROTTLE_PUT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_text(st, 1, identity_mac, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, failures);
        sqlite3_bind_int64(st, 3, now_ms);
        int rc = sqlite3_step(st);
        stmt_done(st);
        if (rc != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "store login counters");
    }
    /* rows that no longer matter: forgotten by the policy and not locked */
    if (!err && prune_before_ms > 0) {
        int64_t v[2] = {prune_before_ms, locked_failures};
        err = write_ints(sq, STMT_THROTTLE_PRUNE, 2, v, diag);
    }
    if (!err) {
        struct rcm_audit_what what = {"login.failure", "user", "", NULL, "failure"};
        err = audit_write(sq, actor, &what, now_ms, diag);
    }
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_session_create(void *impl, const struct rcm_actor *actor, const char *token_hash,
                  const char *csrf_hash, bool mfa_ok, int64_t now_ms, int64_t *session_id,
                  struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_SESSION_INSERT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, actor->tenant_id);
        sqlite3_bind_int64(st, 2, actor->user_id);
        sqlite3_bind_text(st, 3, token_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, csrf_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, now_ms);
        sqlite3_bind_int(st, 6, mfa_ok);
        if (sqlite3_step(st) == SQLITE_ROW)
            *session_id = sqlite3_column_int64(st, 0);
        else
            err = db_fail(diag, sq->writer.db, "create session");
        stmt_done(st);
    }
    if (!err) {
        int64_t v[3] = {actor->user_id, 0, 0};
        err = write_ints(sq, STMT_USER_FAILURES, 3, v, diag);
    }
    if (!err)
        err = audit_object(sq, actor, "login", "session", *session_id, now_ms, diag);
    return write_end(sq, err, diag);
}

static void
bind_text1(sqlite3_stmt *st, const void *args)
{
    sqlite3_bind_text(st, 1, args, -1, SQLITE_STATIC);
}

static void
principal_out(sqlite3_stmt *st, void *out)
{
    struct rcm_principal *p = out;
    p->session_id = sqlite3_column_int64(st, 0);
    p->tenant_id = sqlite3_column_int64(st, 1);
    p->user_id = sqlite3_column_int64(st, 2);
    p->role = rcm_role_parse(nz((const char *)sqlite3_column_text(st, 3)));
    p->created_ms = sqlite3_column_int64(st, 4);
    p->last_seen_ms = sqlite3_column_int64(st, 5);
    rcm_str_copy(p->csrf_hash, sizeof p->csrf_hash,
                 rcm_str_c(nz((const char *)sqlite3_column_text(st, 6))));
    p->mfa_ok = sqlite3_column_int(st, 7) != 0;
    p->emergency_until_ms = sqlite3_column_int64(st, 8);
    p->mfa_enrolled = sqlite3_column_int(st, 9) != 0;
    p->policy.mfa_required = sqlite3_column_int(st, 10) != 0;
    p->policy.session_idle_s = sqlite3_column_int(st, 11);
    p->policy.break_glass_max_minutes = sqlite3_column_int(st, 12);
}

static enum rcm_err
sq_session_find(void *impl, const char *token_hash, struct rcm_principal *out,
                struct rcm_diag *diag)
{
    return read_one(impl, STMT_SESSION_FIND, bind_text1, token_hash, principal_out, out,
                    "no such session", diag);
}

static enum rcm_err
sq_session_touch(void *impl, int64_t session_id, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t v[2] = {session_id, now_ms};
    err = write_ints(sq, STMT_SESSION_TOUCH, 2, v, diag);
    return write_end(sq, err, diag);
}

/*
 * Inside the write transaction: end the break-glass grants a statement
 * (BG_END_SESSION or BG_END_USER, returning ids) selects, clear the
 * sessions' emergency mark, and audit "break_glass.end" for each.
 */
static enum rcm_err
end_grants(struct sq *sq, const struct rcm_actor *actor, enum stmt_id id, int n,
           const int64_t *v, int64_t now_ms, struct rcm_diag *diag)
{
    sqlite3_stmt *st = stmt(&sq->writer, id, diag);
    if (!st)
        return RCM_E_DB;
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    int64_t ended[16];
    size_t n_ended = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (n_ended < sizeof ended / sizeof ended[0])
            ended[n_ended++] = sqlite3_column_int64(st, 0);
    stmt_done(st);
    if (rc != SQLITE_DONE)
        return db_fail(diag, sq->writer.db, "end break-glass");
    /* start and end records of a grant are always flagged emergency */
    struct rcm_actor flagged = *actor;
    flagged.emergency = true;
    enum rcm_err err = RCM_OK;
    for (size_t i = 0; !err && i < n_ended; i++)
        err = audit_object(sq, &flagged, "break_glass.end", "break_glass", ended[i], now_ms,
                           diag);
    return err;
}

/* Inside the write transaction: revoke every session of `user_id` and end
 * the user's break-glass grants (audited). */
static enum rcm_err
revoke_user_sessions(struct sq *sq, const struct rcm_actor *actor, int64_t user_id,
                     int64_t now_ms, struct rcm_diag *diag)
{
    int64_t v[2] = {user_id, now_ms};
    enum rcm_err err = write_ints(sq, STMT_SESSION_REVOKE_ALL, 2, v, diag);
    if (!err)
        err = end_grants(sq, actor, STMT_BG_END_USER, 2, v, now_ms, diag);
    return err;
}

static enum rcm_err
sq_break_glass_expire(void *impl, int64_t now_ms, int *n, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    *n = 0;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_BG_EXPIRE, diag);
    if (!st)
        return write_end(sq, RCM_E_DB, diag);
    sqlite3_bind_int64(st, 1, now_ms);
    int64_t grant[64][2];   /* the statement ends at most 64 (the rest: next run) */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n < 64) {
            grant[*n][0] = sqlite3_column_int64(st, 0);
            grant[*n][1] = sqlite3_column_int64(st, 1);
        }
        (*n)++;
    }
    stmt_done(st);
    if (*n > 64)
        rc = SQLITE_ERROR;  /* cannot happen: LIMIT 64 */
    if (rc != SQLITE_DONE)
        err = db_fail(diag, sq->writer.db, "expire break-glass");
    for (int i = 0; !err && i < *n; i++) {
        struct rcm_actor system = {.tenant_id = grant[i][1], .type = "system",
                                   .emergency = true};
        err = audit_object(sq, &system, "break_glass.expire", "break_glass", grant[i][0],
                           now_ms, diag);
    }
    if (err)
        *n = 0;
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_session_revoke(void *impl, const struct rcm_actor *actor, int64_t session_id, bool all,
                  const char *action, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    if (all) {
        err = revoke_user_sessions(sq, actor, actor->user_id, now_ms, diag);
    } else {
        int64_t v[3] = {session_id, actor->user_id, now_ms};
        err = write_ints(sq, STMT_SESSION_REVOKE_ONE, 3, v, diag);
        if (!err)
            err = end_grants(sq, actor, STMT_BG_END_SESSION, 3, v, now_ms, diag);
    }
    if (!err)
        err = audit_object(sq, actor, action, all ? "user" : "session",
                           all ? actor->user_id : session_id, now_ms, diag);
    return write_end(sq, err, diag);
}

/* ---- tenant policy, user management, break-glass ------------------------- */

static void
tenant_row(sqlite3_stmt *st, void *out)
{
    struct rcm_tenant *t = out;
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    rcm_str_copy(t->slug, sizeof t->slug, rcm_str_c(nz((const char *)sqlite3_column_text(st, 1))));
    rcm_str_copy(t->name, sizeof t->name, rcm_str_c(nz((const char *)sqlite3_column_text(st, 2))));
    t->created_ms = sqlite3_column_int64(st, 3);
    t->manager_id = sqlite3_column_int64(st, 4);
    t->policy.mfa_required = sqlite3_column_int(st, 5) != 0;
    t->policy.session_idle_s = sqlite3_column_int(st, 6);
    t->policy.break_glass_max_minutes = sqlite3_column_int(st, 7);
}

static enum rcm_err
sq_tenant_get(void *impl, int64_t tenant_id, struct rcm_tenant *out, struct rcm_diag *diag)
{
    return read_one(impl, STMT_TENANT_GET, bind_id1, &tenant_id, tenant_row, out,
                    "no such tenant", diag);
}

static enum rcm_err
sq_tenant_policy_set(void *impl, const struct rcm_actor *actor,
                     const struct rcm_tenant_policy *p, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t v[4] = {actor->tenant_id, p->mfa_required, p->session_idle_s,
                    p->break_glass_max_minutes};
    err = write_ints(sq, STMT_TENANT_POLICY_SET, 4, v, diag);
    if (!err && sqlite3_changes(sq->writer.db) == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
    if (!err)
        err = audit_object(sq, actor, "tenant.policy.update", "tenant", actor->tenant_id,
                           now_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_user_update(void *impl, const struct rcm_actor *actor, int64_t user_id,
               const struct rcm_user_change *chg, int64_t now_ms, struct rcm_user *out,
               struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    /* read inside the write transaction: the row cannot change under us */
    struct rcm_user before = {0};
    struct id_pair ids = {actor->tenant_id, user_id};
    struct first_row first = {user_out, &before};
    err = writer_rows(sq, STMT_USER_GET, bind_ids, &ids, take_first, &first, diag);
    /* only the tenant's own users: a managing company's staff acting here
     * are changed in their own tenant, not by the practices they serve */
    if (!err && (before.id == 0 || before.tenant_id != actor->tenant_id))
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    if (err)
        return write_end(sq, err, diag);
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
    sqlite3_stmt *st = stmt(&sq->writer, STMT_USER_SET, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, actor->tenant_id);
        sqlite3_bind_int64(st, 2, user_id);
        sqlite3_bind_text(st, 3, rcm_role_name((enum rcm_role)out->role), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, out->display_name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, out->disabled);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "update user");
        stmt_done(st);
    }
    /* the tenant keeps at least one active owner */
    if (!err && before.role == RCM_ROLE_OWNER && !before.disabled &&
        (role_changed || out->disabled)) {
        int64_t owners = 0;
        err = writer_rows(sq, STMT_USER_OWNERS, bind_id1, &actor->tenant_id, take_int, &owners,
                          diag);
        if (!err && owners < 1)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT,
                                "the tenant's last active owner cannot be demoted or disabled");
    }
    /* a new role applies from the next login; a disabled user is out now */
    if (!err && (role_changed || (disabled_changed && out->disabled)))
        err = revoke_user_sessions(sq, actor, user_id, now_ms, diag);
    if (!err && name_changed)
        err = audit_object(sq, actor, "user.update", "user", user_id, now_ms, diag);
    if (!err && role_changed)
        err = audit_object(sq, actor, "user.role_change", "user", user_id, now_ms, diag);
    if (!err && disabled_changed)
        err = audit_object(sq, actor, out->disabled ? "user.disable" : "user.enable", "user",
                           user_id, now_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_user_unlock(void *impl, const struct rcm_actor *actor, int64_t user_id, int64_t now_ms,
               struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t v[2] = {actor->tenant_id, user_id};
    err = write_ints(sq, STMT_USER_UNLOCK, 2, v, diag);
    if (!err && sqlite3_changes(sq->writer.db) == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user");
    if (!err)
        err = audit_object(sq, actor, "user.unlock", "user", user_id, now_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_break_glass_start(void *impl, const struct rcm_actor *actor, int64_t session_id,
                     const char *reason, int64_t until_ms, int64_t now_ms, int64_t *grant_id,
                     struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t in_force = 0;
    struct id_pair user_now = {actor->user_id, now_ms};
    err = writer_rows(sq, STMT_BG_IN_FORCE, bind_ids, &user_now, take_int, &in_force, diag);
    if (!err && in_force)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "break-glass access is already in force");
    if (!err) {
        int64_t s[3] = {session_id, actor->user_id, until_ms};
        err = write_ints(sq, STMT_SESSION_EMERGENCY, 3, s, diag);
        if (!err && sqlite3_changes(sq->writer.db) == 0)
            err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such session");
    }
    sqlite3_stmt *st = err ? NULL : stmt(&sq->writer, STMT_BG_INSERT, diag);
    if (st) {
        sqlite3_bind_int64(st, 1, actor->tenant_id);
        sqlite3_bind_int64(st, 2, actor->user_id);
        sqlite3_bind_int64(st, 3, session_id);
        sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, now_ms);
        sqlite3_bind_int64(st, 6, until_ms);
        if (sqlite3_step(st) == SQLITE_ROW)
            *grant_id = sqlite3_column_int64(st, 0);
        else
            err = db_fail(diag, sq->writer.db, "store break-glass");
        stmt_done(st);
    } else if (!err) {
        err = RCM_E_DB;
    }
    if (!err) {
        /* the grant is in force from this record on */
        struct rcm_actor flagged = *actor;
        flagged.emergency = true;
        err = audit_object(sq, &flagged, "break_glass.start", "break_glass", *grant_id, now_ms,
                           diag);
    }
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_break_glass_end(void *impl, const struct rcm_actor *actor, int64_t session_id,
                   int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t s[3] = {session_id, actor->user_id, 0};
    err = write_ints(sq, STMT_SESSION_EMERGENCY, 3, s, diag);
    int64_t ended = 0, v[3] = {session_id, actor->user_id, now_ms};
    sqlite3_stmt *st = err ? NULL : stmt(&sq->writer, STMT_BG_END_SESSION, diag);
    if (st) {
        for (int i = 0; i < 3; i++)
            sqlite3_bind_int64(st, i + 1, v[i]);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ended = sqlite3_column_int64(st, 0);
        if (rc != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "end break-glass");
        stmt_done(st);
    } else if (!err) {
        err = RCM_E_DB;
    }
    if (!err && !ended)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no break-glass access is in force");
    if (!err) {
        struct rcm_actor flagged = *actor;
        flagged.emergency = true;
        err = audit_object(sq, &flagged, "break_glass.end", "break_glass", ended, now_ms, diag);
    }
    return write_end(sq, err, diag);
}

struct grant_each {
    rcm_break_glass_row_fn fn;
    void *ctx;
};

static int
each_grant(sqlite3_stmt *st, void *p)
{
    struct grant_each *e = p;
    struct rcm_break_glass g;
    memset(&g, 0, sizeof g);
    g.id = sqlite3_column_int64(st, 0);
    g.user_id = sqlite3_column_int64(st, 1);
    g.session_id = sqlite3_column_int64(st, 2);
    rcm_str_copy(g.reason, sizeof g.reason, rcm_str_c(nz((const char *)sqlite3_column_text(st, 3))));
    g.started_ms = sqlite3_column_int64(st, 4);
    g.expires_ms = sqlite3_column_int64(st, 5);
    g.ended_ms = sqlite3_column_int64(st, 6);
    g.actions = sqlite3_column_int64(st, 7);
    rcm_str_copy(g.user_email, sizeof g.user_email,
                 rcm_str_c(nz((const char *)sqlite3_column_text(st, 8))));
    return e->fn(e->ctx, &g);
}

static enum rcm_err
sq_break_glass_list(void *impl, int64_t tenant_id, int limit, rcm_break_glass_row_fn fn,
                    void *ctx, struct rcm_diag *diag)
{
    struct grant_each e = {fn, ctx};
    struct id_pair args = {tenant_id, limit};
    return read_rows(impl, STMT_BG_LIST, bind_ids, &args, each_grant, &e, NULL, diag);
}

/* ---- second factor -------------------------------------------------------- */

static enum rcm_err
sq_mfa_get(void *impl, int64_t tenant_id, int64_t user_id, struct rcm_mfa_state *out,
           struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    memset(out, 0, sizeof *out);
    /* one read transaction: the user row and its codes agree */
    err = exec(c->db, "BEGIN", diag);
    sqlite3_stmt *st = err ? NULL : stmt(c, STMT_MFA_GET, diag);
    if (st) {
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, user_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->enabled = sqlite3_column_int(st, 0) != 0;
            out->last_step = sqlite3_column_int64(st, 1);
            int n = sqlite3_column_bytes(st, 2);
            if (n > 0 && n <= RCM_MFA_SEALED_MAX) {
                memcpy(out->sealed, sqlite3_column_blob(st, 2), (size_t)n);
                out->sealed_len = (size_t)n;
            }
        } else {
            err = rc == SQLITE_DONE ? rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such user")
                                    : db_fail(diag, c->db, "read second factor");
        }
        stmt_done(st);
    } else if (!err) {
        err = RCM_E_DB;
    }
    if (!err && (st = stmt(c, STMT_MFA_CODES, diag))) {
        sqlite3_bind_int64(st, 1, user_id);
        while (sqlite3_step(st) == SQLITE_ROW && out->n_recovery < RCM_MFA_RECOVERY_CODES) {
            if (sqlite3_column_bytes(st, 1) != 32)
                continue;
            out->recovery_slot[out->n_recovery] = sqlite3_column_int(st, 0);
            memcpy(out->recovery[out->n_recovery], sqlite3_column_blob(st, 1), 32);
            out->n_recovery++;
        }
        stmt_done(st);
    }
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    reader_release(sq, c);
    return err;
}

static enum rcm_err
sq_mfa_begin(void *impl, const struct rcm_actor *actor, const uint8_t *sealed,
             size_t sealed_len, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_MFA_BEGIN, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, actor->tenant_id);
        sqlite3_bind_int64(st, 2, actor->user_id);
        sqlite3_bind_blob(st, 3, sealed, (int)sealed_len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "store second factor");
        else if (sqlite3_changes(sq->writer.db) == 0)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the second factor is already on");
        stmt_done(st);
    }
    if (!err)
        err = audit_object(sq, actor, "mfa.enroll", "user", actor->user_id, now_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_mfa_enable(void *impl, const struct rcm_actor *actor, int64_t step, int64_t session_id,
              const uint8_t (*hashes)[32], size_t n, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t v[3] = {actor->tenant_id, actor->user_id, step};
    err = write_ints(sq, STMT_MFA_ENABLE, 3, v, diag);
    if (!err && sqlite3_changes(sq->writer.db) == 0)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "no enrolment to confirm");
    if (!err)
        err = write_ints(sq, STMT_MFA_CODES_CLEAR, 1, &actor->user_id, diag);
    for (size_t i = 0; !err && i < n; i++) {
        sqlite3_stmt *st = stmt(&sq->writer, STMT_MFA_CODE_ADD, diag);
        if (!st) {
            err = RCM_E_DB;
            break;
        }
        sqlite3_bind_int64(st, 1, actor->user_id);
        sqlite3_bind_int(st, 2, (int)i);
        sqlite3_bind_blob(st, 3, hashes[i], 32, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "store recovery codes");
        stmt_done(st);
    }
    if (!err) {
        int64_t s[2] = {session_id, actor->user_id};
        err = write_ints(sq, STMT_SESSION_MFA_OK, 2, s, diag);
    }
    if (!err)
        err = audit_object(sq, actor, "mfa.enable", "user", actor->user_id, now_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_mfa_used(void *impl, int64_t user_id, int64_t step, int slot, int64_t now_ms,
            struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    if (step > 0) {
        int64_t v[2] = {user_id, step};
        err = write_ints(sq, STMT_MFA_STEP, 2, v, diag);
    } else {
        int64_t v[3] = {user_id, slot, now_ms};
        err = write_ints(sq, STMT_MFA_CODE_USE, 3, v, diag);
    }
    /* a concurrent login used the same step or code first: refuse this one */
    if (!err && sqlite3_changes(sq->writer.db) == 0)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the second factor was already used");
    return write_end(sq, err, diag);
}

/* ---- API keys ------------------------------------------------------------ */

static void
key_row(sqlite3_stmt *st, void *out)
{
    struct rcm_api_key *k = out;
    memset(k, 0, sizeof *k);
    k->id = sqlite3_column_int64(st, 0);
    k->tenant_id = sqlite3_column_int64(st, 1);
    k->created_by = sqlite3_column_int64(st, 2);
    rcm_str_copy(k->name, sizeof k->name, rcm_str_c(nz((const char *)sqlite3_column_text(st, 3))));
    k->role = rcm_role_parse(nz((const char *)sqlite3_column_text(st, 4)));
    rcm_str_copy(k->prefix, sizeof k->prefix,
                 rcm_str_c(nz((const char *)sqlite3_column_text(st, 5))));
    k->created_ms = sqlite3_column_int64(st, 6);
    k->expires_ms = sqlite3_column_int64(st, 7);
    k->revoked_ms = sqlite3_column_int64(st, 8);
}

static enum rcm_err
sq_api_key_create(void *impl, const struct rcm_actor *actor, const struct rcm_api_key *key,
                  const char *role, const char *key_hash, int64_t now_ms, int64_t *id,
                  struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_KEY_INSERT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, actor->tenant_id);
        sqlite3_bind_int64(st, 2, actor->user_id);
        sqlite3_bind_text(st, 3, key->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, key->prefix, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, key_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, now_ms);
        sqlite3_bind_int64(st, 8, key->expires_ms);
        if (sqlite3_step(st) == SQLITE_ROW)
            *id = sqlite3_column_int64(st, 0);
        else
            err = db_fail(diag, sq->writer.db, "create API key");
        stmt_done(st);
    }
    if (!err)
        err = audit_object(sq, actor, "apikey.create", "api_key", *id, now_ms,
                           diag);
    return write_end(sq, err, diag);
}

struct key_each {
    rcm_api_key_row_fn fn;
    void *ctx;
};

static int
each_key(sqlite3_stmt *st, void *p)
{
    struct key_each *e = p;
    struct rcm_api_key k;
    key_row(st, &k);
    return e->fn(e->ctx, &k);
}

static enum rcm_err
sq_api_key_list(void *impl, int64_t tenant_id, rcm_api_key_row_fn fn, void *ctx,
                struct rcm_diag *diag)
{
    struct key_each e = {fn, ctx};
    return read_rows(impl, STMT_KEY_LIST, bind_id1, &tenant_id, each_key, &e, NULL, diag);
}

static enum rcm_err
sq_api_key_revoke(void *impl, const struct rcm_actor *actor, int64_t id, int64_t now_ms,
                  struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t v[3] = {id, actor->tenant_id, now_ms};
    err = write_ints(sq, STMT_KEY_REVOKE, 3, v, diag);
    if (!err && sqlite3_changes(sq->writer.db) == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such key");
    if (!err)
        err = audit_object(sq, actor, "apikey.revoke", "api_key", id, now_ms,
                           diag);
    return write_end(sq, err, diag);
}

static void
key_find_row(sqlite3_stmt *st, void *out)
{
    struct rcm_api_key *k = out;
    key_row(st, k);
    k->creator_role = rcm_role_parse(nz((const char *)sqlite3_column_text(st, 9)));
    k->creator_mfa_enrolled = sqlite3_column_int(st, 10) != 0;
    k->tenant_mfa_required = sqlite3_column_int(st, 11) != 0;
}

static enum rcm_err
sq_api_key_find(void *impl, const char *key_hash, struct rcm_api_key *out,
                struct rcm_diag *diag)
{
    return read_one(impl, STMT_KEY_FIND, bind_text1, key_hash, key_find_row, out,
                    "no such key", diag);
}

/* ---- operations -------------------------------------------------------- */

static enum rcm_err
sq_ping(void *impl, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(c, STMT_PING, diag);
    if (!st)
        err = RCM_E_DB;
    else if (sqlite3_step(st) != SQLITE_ROW)
        err = db_fail(diag, c->db, "ping");
    if (st)
        stmt_done(st);
    reader_release(sq, c);
    return err;
}

static enum rcm_err
sq_tenant_create(void *impl, const struct rcm_actor *actor, const char *slug,
                 const char *name, int64_t manager_id, int64_t now_ms,
                 struct rcm_tenant *out, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    if (manager_id) {
        /* the manager must exist and be managed by no one itself */
        int64_t above = -1;
        err = writer_rows(sq, STMT_TENANT_MANAGER, bind_id1, &manager_id, take_int, &above,
                          diag);
        if (!err && above != 0)
            err = rcm_diag_fail(diag, RCM_E_PERM, "a managed practice cannot manage others");
    }
    sqlite3_stmt *st = err ? NULL : stmt(&sq->writer, STMT_TENANT_INSERT, diag);
    if (!err && !st) {
        err = RCM_E_DB;
    } else if (!err) {
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now_ms);
        sqlite3_bind_int64(st, 4, manager_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            out->manager_id = manager_id;
            rcm_str_copy(out->slug, sizeof out->slug, rcm_str_c(slug));
            rcm_str_copy(out->name, sizeof out->name, rcm_str_c(name));
            out->created_ms = now_ms;
            out->policy = (struct rcm_tenant_policy){
                .break_glass_max_minutes = RCM_POLICY_BREAK_GLASS_DEFAULT_MINUTES};
        } else if (sqlite3_extended_errcode(sq->writer.db) ==
                   SQLITE_CONSTRAINT_UNIQUE) {
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "a tenant with this slug exists");
        } else {
            err = db_fail(diag, sq->writer.db, "create tenant");
        }
        stmt_done(st);
    }
    if (!err)
        err = audit_object(sq, actor, "tenant.create", "tenant", out->id, now_ms,
                           diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_tenant_find(void *impl, const char *slug, struct rcm_tenant *out,
               struct rcm_diag *diag)
{
    struct text_pair args = {slug, NULL};
    return read_one(impl, STMT_TENANT_BY_SLUG, bind_texts, &args, tenant_row, out,
                    "no such tenant", diag);
}

struct tenant_each {
    rcm_tenant_row_fn fn;
    void *ctx;
};

static int
each_tenant(sqlite3_stmt *st, void *p)
{
    struct tenant_each *e = p;
    struct rcm_tenant t;
    tenant_row(st, &t);
    return e->fn(e->ctx, &t);
}

static enum rcm_err
sq_client_list(void *impl, int64_t manager_id, rcm_tenant_row_fn fn, void *ctx,
               struct rcm_diag *diag)
{
    struct tenant_each e = {fn, ctx};
    return read_rows(impl, STMT_CLIENT_LIST, bind_id1, &manager_id, each_tenant, &e, NULL,
                     diag);
}

/* ---- keys ------------------------------------------------------------------- */

struct key_args {
    int64_t tenant_id;
    const char *purpose;
};

static void
bind_key(sqlite3_stmt *st, const void *args)
{
    const struct key_args *k = args;
    if (k->tenant_id)
        sqlite3_bind_int64(st, 1, k->tenant_id);
    sqlite3_bind_text(st, 2, k->purpose, -1, SQLITE_STATIC);
}

/* Copy a blob column of exactly n bytes; false when its size differs. */
static bool
column_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
    if ((size_t)sqlite3_column_bytes(st, col) != n)
        return false;
    memcpy(out, sqlite3_column_blob(st, col), n);
    return true;
}

static void
wrapped_out(sqlite3_stmt *st, void *out)
{
    if (!column_blob(st, 0, out, RCM_KEY_WRAPPED_BYTES))
        memset(out, 0, RCM_KEY_WRAPPED_BYTES);
}

static enum rcm_err
sq_key_get(void *impl, int64_t tenant_id, const char *purpose,
           uint8_t out[RCM_KEY_WRAPPED_BYTES], struct rcm_diag *diag)
{
    struct key_args k = {tenant_id, purpose};
    return read_one(impl, tenant_id ? STMT_KEY_GET : STMT_SYSTEM_KEY_GET, bind_key, &k,
                    wrapped_out, out, "no such key", diag);
}

static enum rcm_err
sq_key_put(void *impl, int64_t tenant_id, const char *purpose,
           const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES], int64_t now_ms,
           struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, tenant_id ? STMT_KEY_PUT : STMT_SYSTEM_KEY_PUT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        struct key_args k = {tenant_id, purpose};
        bind_key(st, &k);
        sqlite3_bind_blob(st, 3, wrapped, RCM_KEY_WRAPPED_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now_ms);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "store key");
        stmt_done(st);
    }
    return write_end(sq, err, diag);
}

#define REWRAP_BATCH_MAX 10000

struct key_row {
    int64_t tenant_id;          /* or patient id */
    char owner[40];             /* purpose, or patient uid */
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
};

struct key_rows {
    struct key_row *rows;
    int n, cap;
    bool bad;                   /* a wrapped column had the wrong size */
};

static int
take_key_row(sqlite3_stmt *st, void *ctx)
{
    struct key_rows *k = ctx;
    if (k->n == k->cap)
        return 1;
    struct key_row *r = &k->rows[k->n++];
    r->tenant_id = sqlite3_column_int64(st, 0);
    rcm_str_copy(r->owner, sizeof r->owner,
                 rcm_str_c(nz((const char *)sqlite3_column_text(st, 1))));
    if (!column_blob(st, 2, r->wrapped, RCM_KEY_WRAPPED_BYTES))
        k->bad = true;
    return 0;
}

static void
bind_none(sqlite3_stmt *st, const void *args)
{
    (void)st;
    (void)args;
}

/* Write back one re-wrapped key row. */
static enum rcm_err
key_set(struct sq *sq, enum stmt_id id, int64_t owner_id, const char *purpose,
        const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES], struct rcm_diag *diag)
{
    sqlite3_stmt *st = stmt(&sq->writer, id, diag);
    if (!st)
        return RCM_E_DB;
    sqlite3_bind_int64(st, 1, owner_id);
    int col = 2;
    if (purpose)
        sqlite3_bind_text(st, col++, purpose, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, col == 3 ? 3 : 2, wrapped, RCM_KEY_WRAPPED_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? RCM_OK : db_fail(diag, sq->writer.db, "re-wrap key");
}

static enum rcm_err
sq_keys_rewrap_all(void *impl, store_rewrap_fn fn, void *ctx, int64_t *n,
                   struct rcm_diag *diag)
{
    struct sq *sq = impl;
    *n = 0;
    struct key_rows k = {.cap = REWRAP_BATCH_MAX};
    if (!(k.rows = rcm_calloc((size_t)k.cap, sizeof *k.rows)))
        return RCM_E_NOMEM;
    enum rcm_err err = write_begin(sq, diag);
    if (err) {
        rcm_free(k.rows);
        return err;
    }
    err = writer_rows(sq, STMT_KEYS_ALL, bind_none, NULL, take_key_row, &k, diag);
    if (!err && (k.bad || k.n == k.cap))
        err = rcm_diag_fail(diag, RCM_E_DB, "key table malformed or too large");
    for (int i = 0; i < k.n && !err; i++) {
        struct key_row *r = &k.rows[i];
        uint8_t out[RCM_KEY_WRAPPED_BYTES];
        err = fn(ctx, r->tenant_id, r->owner, r->wrapped, out);
        if (!err)
            err = r->tenant_id ? key_set(sq, STMT_KEY_SET, r->tenant_id, r->owner, out, diag)
                               : key_set(sq, STMT_SYSTEM_KEY_SET, 0, r->owner, out, diag);
    }
    if (!err)
        *n = k.n;
    rcm_crypto_wipe(k.rows, (size_t)k.cap * sizeof *k.rows);
    rcm_free(k.rows);
    return write_end(sq, err, diag);
}

struct page_args {
    int64_t tenant_id, after_id, limit;
};

static void
bind_page(sqlite3_stmt *st, const void *args)
{
    const struct page_args *p = args;
    sqlite3_bind_int64(st, 1, p->tenant_id);
    sqlite3_bind_int64(st, 2, p->after_id);
    sqlite3_bind_int64(st, 3, p->limit);
}


static void
count_out(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

struct other_args {
    int64_t tenant_id;
    uint8_t key_id[4];
};

static void
bind_other(sqlite3_stmt *st, const void *args)
{
    const struct other_args *o = args;
    sqlite3_bind_int64(st, 1, o->tenant_id);
    sqlite3_bind_blob(st, 2, o->key_id, 4, SQLITE_STATIC);
}

static enum rcm_err
sq_tenant_key_promote(void *impl, const struct rcm_actor *actor, int64_t tenant_id,
                      uint32_t next_id, int64_t now_ms, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct other_args o = {tenant_id, {(uint8_t)(next_id >> 24), (uint8_t)(next_id >> 16),
                                       (uint8_t)(next_id >> 8), (uint8_t)next_id}};
    int64_t left = 0;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    err = writer_rows(sq, STMT_PATIENT_KEYS_OTHER, bind_other, &o, take_int, &left, diag);
    if (!err && left > 0)
        err = rcm_diag_fail(diag, RCM_E_CONFLICT, "%lld patient keys still under the old "
                            "tenant key", (long long)left);
    if (!err) {
        int64_t v[2] = {tenant_id, now_ms};
        err = write_ints(sq, STMT_TENANT_KEY_PROMOTE, 2, v, diag);
    }
    if (!err)
        err = write_ints(sq, STMT_TENANT_KEY_DROP_NEXT, 1, &tenant_id, diag);
    if (!err)
        err = audit_object(sq, actor, "keys.rotate", "tenant_key", tenant_id, now_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_patient_count(void *impl, int64_t tenant_id, int64_t *n, struct rcm_diag *diag)
{
    return read_one(impl, STMT_PATIENT_COUNT, bind_id1, &tenant_id, count_out, n,
                    "no count", diag);
}

struct rotation_args {
    const char *kind;
    int64_t tenant_id;
};

static void
bind_rotation(sqlite3_stmt *st, const void *args)
{
    const struct rotation_args *r = args;
    sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->tenant_id);
}

static int
take_rotation(sqlite3_stmt *st, void *ctx)
{
    int64_t *v = ctx;
    v[0] = sqlite3_column_int64(st, 0);
    v[1] = sqlite3_column_int64(st, 1);
    return 1;
}

static enum rcm_err
sq_rotation_begin(void *impl, const char *kind, int64_t tenant_id, int64_t total,
                  int64_t now_ms, int64_t *id, int64_t *done, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    int64_t found[2] = {0, 0};
    struct rotation_args ra = {kind, tenant_id};
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    err = writer_rows(sq, STMT_ROTATION_FIND, bind_rotation, &ra, take_rotation, found, diag);
    if (!err && !found[0]) {
        sqlite3_stmt *st = stmt(&sq->writer, STMT_ROTATION_INSERT, diag);
        if (!st) {
            err = RCM_E_DB;
        } else {
            bind_rotation(st, &ra);
            sqlite3_bind_int64(st, 3, total);
            sqlite3_bind_int64(st, 4, now_ms);
            if (sqlite3_step(st) == SQLITE_ROW)
                found[0] = sqlite3_column_int64(st, 0);
            else
                err = db_fail(diag, sq->writer.db, "start rotation");
            stmt_done(st);
        }
    }
    *id = found[0];
    *done = found[1];
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_rotation_progress(void *impl, int64_t id, int64_t done, bool finished, int64_t now_ms,
                     struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_ROTATION_UPDATE, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, done);
        sqlite3_bind_text(st, 3, finished ? "done" : "running", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now_ms);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "record rotation progress");
        stmt_done(st);
    }
    return write_end(sq, err, diag);
}

struct rotation_each {
    rcm_key_rotation_fn fn;
    void *ctx;
};

static int
each_rotation(sqlite3_stmt *st, void *p)
{
    struct rotation_each *e = p;
    struct rcm_key_rotation r = {
        .id = sqlite3_column_int64(st, 0),
        .kind = nz((const char *)sqlite3_column_text(st, 1)),
        .tenant_id = sqlite3_column_int64(st, 2),
        .state = nz((const char *)sqlite3_column_text(st, 3)),
        .total = sqlite3_column_int64(st, 4),
        .done = sqlite3_column_int64(st, 5),
        .started_ms = sqlite3_column_int64(st, 6),
        .updated_ms = sqlite3_column_int64(st, 7),
    };
    return e->fn(e->ctx, &r);
}

static enum rcm_err
sq_rotation_list(void *impl, rcm_key_rotation_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct rotation_each e = {fn, ctx};
    return read_rows(impl, STMT_ROTATION_LIST, bind_none, NULL, each_rotation, &e, NULL, diag);
}

/* ---- patients ------------------------------------------------------------- */

#define PATIENT_FIRST_FIELD_COL 5
#define PATIENT_FIRST_BIDX_COL (PATIENT_FIRST_FIELD_COL + RCM_PF_COUNT)
#define PATIENT_WRAPPED_COL (PATIENT_FIRST_BIDX_COL + STORE_BIDX_COUNT)

/* Row of PATIENT_COLUMNS -> row; false when a column is malformed. */
static bool
patient_row(sqlite3_stmt *st, struct store_patient_row *r)
{
    bool ok = true;
    r->id = sqlite3_column_int64(st, 0);
    r->tenant_id = sqlite3_column_int64(st, 1);
    ok &= rcm_str_copy(r->uid, sizeof r->uid, rcm_str_c(nz((const char *)
                                                          sqlite3_column_text(st, 2))));
    r->created_ms = sqlite3_column_int64(st, 3);
    r->updated_ms = sqlite3_column_int64(st, 4);
    for (int f = 0; f < RCM_PF_COUNT; f++) {
        int col = PATIENT_FIRST_FIELD_COL + f;
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        r->sealed_len[f] = 0;
        if (n > sizeof r->sealed[f]) {
            ok = false;
        } else if (n) {
            memcpy(r->sealed[f], sqlite3_column_blob(st, col), n);
            r->sealed_len[f] = n;
        }
    }
    for (int b = 0; b < STORE_BIDX_COUNT; b++)
        r->has_bidx[b] = column_blob(st, PATIENT_FIRST_BIDX_COL + b, r->bidx[b],
                                     RCM_BLIND_INDEX_BYTES);
    ok &= column_blob(st, PATIENT_WRAPPED_COL, r->wrapped_key, RCM_KEY_WRAPPED_BYTES);
    return ok;
}

/* Bind fields and blind indexes from column `first` on. */
static void
bind_patient_values(sqlite3_stmt *st, int first, const struct store_patient_row *r)
{
    for (int f = 0; f < RCM_PF_COUNT; f++) {
        if (r->sealed_len[f])
            sqlite3_bind_blob(st, first + f, r->sealed[f], (int)r->sealed_len[f],
                              SQLITE_STATIC);
        else
            sqlite3_bind_null(st, first + f);
    }
    for (int b = 0; b < STORE_BIDX_COUNT; b++) {
        if (r->has_bidx[b])
            sqlite3_bind_blob(st, first + RCM_PF_COUNT + b, r->bidx[b],
                              RCM_BLIND_INDEX_BYTES, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, first + RCM_PF_COUNT + b);
    }
}

static enum rcm_err
audit_patient(struct sq *sq, const struct rcm_actor *actor, const char *action, int64_t id,
              int64_t now_ms, struct rcm_diag *diag)
{
    char pid[24];
    snprintf(pid, sizeof pid, "%lld", (long long)id);
    struct rcm_audit_what what = {action, "patient", pid, pid, "success"};
    return audit_write(sq, actor, &what, now_ms, diag);
}

static enum rcm_err
sq_patient_insert(void *impl, const struct rcm_actor *actor,
                  const struct store_patient_row *row, int64_t *id, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_PATIENT_INSERT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_int64(st, 1, row->tenant_id);
        sqlite3_bind_text(st, 2, row->uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, row->created_ms);
        sqlite3_bind_int64(st, 4, row->updated_ms);
        bind_patient_values(st, 5, row);
        if (sqlite3_step(st) == SQLITE_ROW)
            *id = sqlite3_column_int64(st, 0);
        else
            err = db_fail(diag, sq->writer.db, "create patient");
        stmt_done(st);
    }
    if (!err && !(st = stmt(&sq->writer, STMT_PATIENT_KEY_INSERT, diag)))
        err = RCM_E_DB;
    if (!err) {
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int64(st, 2, row->tenant_id);
        sqlite3_bind_blob(st, 3, row->wrapped_key, RCM_KEY_WRAPPED_BYTES, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "store patient key");
        stmt_done(st);
    }
    if (!err)
        err = audit_patient(sq, actor, "patient.create", *id, row->created_ms, diag);
    if (err)
        *id = 0;
    return write_end(sq, err, diag);
}

struct patient_take {
    struct store_patient_row *out;
    bool bad;
};

static void
patient_out(sqlite3_stmt *st, void *out)
{
    struct patient_take *t = out;
    t->bad = !patient_row(st, t->out);
}

static enum rcm_err
sq_patient_get(void *impl, int64_t tenant_id, int64_t id, struct store_patient_row *out,
               struct rcm_diag *diag)
{
    struct id_pair ids = {tenant_id, id};
    struct patient_take t = {out, false};
    enum rcm_err err = read_one(impl, STMT_PATIENT_GET, bind_ids, &ids, patient_out, &t,
                                "no such patient", diag);
    if (!err && t.bad)
        err = rcm_diag_fail(diag, RCM_E_DB, "patient %lld: malformed row", (long long)id);
    return err;
}

struct patient_each {
    store_patient_row_fn fn;
    void *ctx;
    struct store_patient_row row;
    bool bad;
};

static int
each_patient(sqlite3_stmt *st, void *p)
{
    struct patient_each *e = p;
    if (!patient_row(st, &e->row)) {
        e->bad = true;
        return 1;
    }
    return e->fn(e->ctx, &e->row);
}

struct find_args {
    int64_t tenant_id;
    const uint8_t *bidx;
    int64_t limit;
};

static void
bind_find(sqlite3_stmt *st, const void *args)
{
    const struct find_args *f = args;
    sqlite3_bind_int64(st, 1, f->tenant_id);
    sqlite3_bind_blob(st, 2, f->bidx, RCM_BLIND_INDEX_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, f->limit);
}

static enum rcm_err
patient_rows(struct sq *sq, enum stmt_id id, void (*bind)(sqlite3_stmt *, const void *),
             const void *args, store_patient_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct patient_each *e = rcm_malloc(sizeof *e);
    if (!e)
        return RCM_E_NOMEM;
    e->fn = fn;
    e->ctx = ctx;
    e->bad = false;
    enum rcm_err err = read_rows(sq, id, bind, args, each_patient, e, NULL, diag);
    if (!err && e->bad)
        err = rcm_diag_fail(diag, RCM_E_DB, "a patient row is malformed");
    rcm_crypto_wipe(e, sizeof *e);
    rcm_free(e);
    return err;
}

static enum rcm_err
sq_patient_find(void *impl, int64_t tenant_id, int kind,
                const uint8_t bidx[RCM_BLIND_INDEX_BYTES], int limit,
                store_patient_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    static const enum stmt_id by_kind[STORE_BIDX_COUNT] = {
        STMT_PATIENT_FIND_MEMBER_ID, STMT_PATIENT_FIND_MRN, STMT_PATIENT_FIND_NAME_DOB,
        STMT_PATIENT_FIND_SSN};
    if (kind < 1 || kind > STORE_BIDX_COUNT)
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown search kind");
    struct find_args f = {tenant_id, bidx, limit};
    return patient_rows(impl, by_kind[kind - 1], bind_find, &f, fn, ctx, diag);
}

static enum rcm_err
sq_patient_list(void *impl, int64_t tenant_id, int64_t after_id, int limit,
                store_patient_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct page_args pa = {tenant_id, after_id, limit};
    return patient_rows(impl, STMT_PATIENT_LIST, bind_page, &pa, fn, ctx, diag);
}

static enum rcm_err
sq_patient_update(void *impl, const struct rcm_actor *actor,
                  const struct store_patient_row *row, int64_t seen_updated_ms,
                  struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_PATIENT_UPDATE, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        int col = 1;
        bind_patient_values(st, col, row);
        col += RCM_PF_COUNT + STORE_BIDX_COUNT;
        sqlite3_bind_int64(st, col++, row->updated_ms);
        sqlite3_bind_int64(st, col++, row->tenant_id);
        sqlite3_bind_int64(st, col++, row->id);
        sqlite3_bind_int64(st, col, seen_updated_ms);
        if (sqlite3_step(st) != SQLITE_DONE)
            err = db_fail(diag, sq->writer.db, "update patient");
        else if (sqlite3_changes(sq->writer.db) == 0)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "the patient changed meanwhile");
        stmt_done(st);
    }
    if (!err)
        err = audit_patient(sq, actor, "patient.update", row->id, row->updated_ms, diag);
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_patient_delete(void *impl, const struct rcm_actor *actor, int64_t id, int64_t now_ms,
                  struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    int64_t v[2] = {actor->tenant_id, id};
    err = write_ints(sq, STMT_PATIENT_DELETE, 2, v, diag);
    if (!err && sqlite3_changes(sq->writer.db) == 0)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such patient");
    if (!err)
        err = audit_patient(sq, actor, "patient.delete", id, now_ms, diag);
    return write_end(sq, err, diag);
}

/* Tenant rotation: re-key a page of patients (see rcm_store_rotate_tenant). */
struct rekey_page {
    struct store_patient_row *rows;
    int n, cap;
    bool bad;
};

static int
take_patient_row(sqlite3_stmt *st, void *ctx)
{
    struct rekey_page *pg = ctx;
    if (pg->n == pg->cap)
        return 1;
    if (!patient_row(st, &pg->rows[pg->n++]))
        pg->bad = true;
    return 0;
}

/* Write back a re-keyed patient: its wrapped key and blind indexes. */
static enum rcm_err
rekey_store(struct sq *sq, const struct store_patient_row *r, struct rcm_diag *diag)
{
    enum rcm_err err = key_set(sq, STMT_PATIENT_KEY_SET, r->id, NULL, r->wrapped_key, diag);
    sqlite3_stmt *st = err ? NULL : stmt(&sq->writer, STMT_PATIENT_BIDX_SET, diag);
    if (err || !st)
        return err ? err : RCM_E_DB;
    sqlite3_bind_int64(st, 1, r->id);
    for (int b = 0; b < STORE_BIDX_COUNT; b++) {
        if (r->has_bidx[b])
            sqlite3_bind_blob(st, 2 + b, r->bidx[b], RCM_BLIND_INDEX_BYTES, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2 + b);
    }
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? RCM_OK : db_fail(diag, sq->writer.db, "re-index patient");
}

static enum rcm_err
sq_patient_rekey(void *impl, int64_t tenant_id, int64_t after_id, int limit,
                 store_rekey_fn fn, void *ctx, int64_t *last_id, int *n,
                 struct rcm_diag *diag)
{
    struct sq *sq = impl;
    *last_id = 0;
    *n = 0;
    if (limit < 1 || limit > REWRAP_BATCH_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "batch must be 1-%d", REWRAP_BATCH_MAX);
    struct rekey_page pg = {.cap = limit};
    if (!(pg.rows = rcm_malloc((size_t)limit * sizeof *pg.rows)))
        return RCM_E_NOMEM;
    enum rcm_err err = write_begin(sq, diag);
    if (!err) {
        struct page_args pa = {tenant_id, after_id, limit};
        err = writer_rows(sq, STMT_PATIENT_LIST, bind_page, &pa, take_patient_row, &pg, diag);
        if (!err && pg.bad)
            err = rcm_diag_fail(diag, RCM_E_DB, "a patient row is malformed");
        for (int i = 0; i < pg.n && !err; i++) {
            err = fn(ctx, &pg.rows[i]);
            if (!err)
                err = rekey_store(sq, &pg.rows[i], diag);
        }
        if (!err && pg.n) {
            *last_id = pg.rows[pg.n - 1].id;
            *n = pg.n;
        }
        err = write_end(sq, err, diag);
    }
    rcm_crypto_wipe(pg.rows, (size_t)limit * sizeof *pg.rows);
    rcm_free(pg.rows);
    return err;
}

/* ---- backup ------------------------------------------------------------------ */

static enum rcm_err
sq_backup(void *impl, const char *path, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return rcm_diag_fail(diag, errno == EEXIST ? RCM_E_CONFLICT : RCM_E_IO,
                             "cannot create %s: %s", path, strerror(errno));
    close(fd);
    sqlite3 *dest = NULL;
    struct conn *c = NULL;
    enum rcm_err err = RCM_OK;
    if (sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        err = db_fail(diag, dest, "open backup");
    if (!err)
        err = reader_acquire(sq, &c, diag);
    if (!err) {
        /* one step copies every page under one read transaction: a
         * consistent snapshot while writers go on in the WAL */
        sqlite3_backup *b = sqlite3_backup_init(dest, "main", c->db, "main");
        if (!b) {
            err = db_fail(diag, dest, "backup");
        } else {
            int rc = sqlite3_backup_step(b, -1);
            sqlite3_backup_finish(b);
            if (rc != SQLITE_DONE)
                err = db_fail(diag, dest, "backup");
        }
        reader_release(sq, c);
    }
    /* leave one self-contained file: fold the copy's WAL back */
    if (!err)
        err = exec(dest, "PRAGMA journal_mode=DELETE", diag);
    sqlite3_close(dest);
    if (err)
        unlink(path);
    return err;
}

static void
sq_set_audit_key(void *impl, const uint8_t key[RCM_AUDIT_KEY_BYTES])
{
    struct sq *sq = impl;
    memcpy(sq->audit_key, key, RCM_AUDIT_KEY_BYTES);
    sq->has_audit_key = true;
}


const struct rcm_store_ops rcm_store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .schema_version = sq_schema_version,
    .ping = sq_ping,
    .tenant_create = sq_tenant_create,
    .tenant_find = sq_tenant_find,
    .tenant_get = sq_tenant_get,
    .tenant_policy_set = sq_tenant_policy_set,
    .user_update = sq_user_update,
    .user_unlock = sq_user_unlock,
    .break_glass_start = sq_break_glass_start,
    .break_glass_end = sq_break_glass_end,
    .break_glass_expire = sq_break_glass_expire,
    .break_glass_list = sq_break_glass_list,
    .client_list = sq_client_list,
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .login_lookup = sq_login_lookup,
    .login_failed = sq_login_failed,
    .login_throttle_get = sq_login_throttle_get,
    .login_failed_identity = sq_login_failed_identity,
    .session_create = sq_session_create,
    .session_find = sq_session_find,
    .session_touch = sq_session_touch,
    .session_revoke = sq_session_revoke,
    .mfa_get = sq_mfa_get,
    .mfa_begin = sq_mfa_begin,
    .mfa_enable = sq_mfa_enable,
    .mfa_used = sq_mfa_used,
    .api_key_create = sq_api_key_create,
    .api_key_list = sq_api_key_list,
    .api_key_revoke = sq_api_key_revoke,
    .api_key_find = sq_api_key_find,
    .audit_append = sq_audit_append,
    .audit_verify = sq_audit_verify,
    .audit_head = sq_audit_head,
    .audit_query = sq_audit_query,
    .key_get = sq_key_get,
    .key_put = sq_key_put,
    .keys_rewrap_all = sq_keys_rewrap_all,
    .patient_rekey = sq_patient_rekey,
    .tenant_key_promote = sq_tenant_key_promote,
    .patient_count = sq_patient_count,
    .rotation_begin = sq_rotation_begin,
    .rotation_progress = sq_rotation_progress,
    .rotation_list = sq_rotation_list,
    .patient_insert = sq_patient_insert,
    .patient_get = sq_patient_get,
    .patient_find = sq_patient_find,
    .patient_list = sq_patient_list,
    .patient_update = sq_patient_update,
    .patient_delete = sq_patient_delete,
    .backup = sq_backup,
    .set_audit_key = sq_set_audit_key,
};
