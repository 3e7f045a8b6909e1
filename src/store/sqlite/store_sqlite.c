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
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/str.h"
#include "store/store_int.h"

/* X(id, sql) — every statement this backend runs, prepared once per connection. */
#define STMTS(X)                                                               \
    X(PING, "SELECT 1")                                                        \
    X(USER_VERSION, "PRAGMA user_version")                                     \
    X(MIGRATION_GET, "SELECT sha256 FROM schema_migrations WHERE version = ?1") \
    X(MIGRATION_ADD, "INSERT INTO schema_migrations(version, name, sha256, "   \
                     "applied_ms) VALUES (?1, ?2, ?3, ?4)")                    \
    X(TENANT_INSERT, "INSERT INTO tenant(slug, name, created_ms) "             \
                     "VALUES (?1, ?2, ?3) RETURNING id")                       \
    X(TENANT_BY_SLUG, "SELECT id, slug, name, created_ms FROM tenant "         \
                      "WHERE slug = ?1")

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

#define MAX_MIGRATIONS 512

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[STMT_COUNT];
    struct conn *next;          /* free list */
};

struct sq {
    char *path;
    int busy_timeout_ms;
    pthread_mutex_t write_mu;
    struct conn writer;
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
                            "PRAGMA foreign_keys=ON;", diag);
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
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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
    pthread_mutex_destroy(&sq->pool_mu);
    pthread_cond_destroy(&sq->pool_cv);
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
    pthread_mutex_init(&sq->pool_mu, NULL);
    pthread_cond_init(&sq->pool_cv, NULL);
    sq->busy_timeout_ms = opt->busy_timeout_ms;
    sq->max_readers = opt->read_connections > 0 ? opt->read_connections : 1;
    sq->path = rcm_strdup(opt->path);
    enum rcm_err err = sq->path ? create_private(opt->path, diag) : RCM_E_NOMEM;
    if (!err)
        err = conn_open(sq, &sq->writer, false, diag);
    if (!err)
        err = exec(sq->writer.db,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version INTEGER PRIMARY KEY,"
                   " name TEXT NOT NULL,"
                   " sha256 TEXT NOT NULL,"
                   " applied_ms INTEGER NOT NULL) STRICT", diag);
    if (err) {
        sq_close(sq);
        return err;
    }
    *impl = sq;
    return RCM_OK;
}

/* ---- migrations -------------------------------------------------------- */

static void
sha256_hex(const char *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_Digest(p, n, md, &md_len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static enum rcm_err
user_version(struct conn *c, int *out, struct rcm_diag *diag)
{
    sqlite3_stmt *st = stmt(c, STMT_USER_VERSION, diag);
    if (!st)
        return RCM_E_DB;
    enum rcm_err err = RCM_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        err = db_fail(diag, c->db, "read schema version");
    stmt_done(st);
    return err;
}

/* 1 when `m` was applied (and its text is unchanged), 0 when not yet,
 * an error when the applied text differs. */
static enum rcm_err
migration_state(struct conn *c, const struct rcm_migration *m, bool *applied,
                struct rcm_diag *diag)
{
    char want[65];
    sha256_hex(m->sql, m->len, want);
    sqlite3_stmt *st = stmt(c, STMT_MIGRATION_GET, diag);
    if (!st)
        return RCM_E_DB;
    sqlite3_bind_int(st, 1, m->version);
    enum rcm_err err = RCM_OK;
    int rc = sqlite3_step(st);
    *applied = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        const char *have = (const char *)sqlite3_column_text(st, 0);
        if (!have || strcmp(have, want) != 0)
            err = rcm_diag_fail(diag, RCM_E_CONFLICT,
                                "migration %s was applied with different text; "
                                "a released migration must never be edited",
                                m->name);
    } else if (rc != SQLITE_DONE) {
        err = db_fail(diag, c->db, "read migrations");
    }
    stmt_done(st);
    return err;
}

static enum rcm_err
apply(struct sq *sq, const struct rcm_migration *m, struct rcm_diag *diag)
{
    char hash[65];
    sha256_hex(m->sql, m->len, hash);
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    err = exec(sq->writer.db, m->sql, diag);
    if (!err) {
        sqlite3_stmt *st = stmt(&sq->writer, STMT_MIGRATION_ADD, diag);
        if (!st) {
            err = RCM_E_DB;
        } else {
            sqlite3_bind_int(st, 1, m->version);
            sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)rcm_time_now_ms());
            if (sqlite3_step(st) != SQLITE_DONE)
                err = db_fail(diag, sq->writer.db, "record migration");
            stmt_done(st);
        }
    }
    if (!err) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", m->version);
        err = exec(sq->writer.db, pragma, diag);
    }
    if (err && diag && !strstr(diag->msg, m->name)) {
        char inner[RCM_DIAG_MSG_MAX];
        snprintf(inner, sizeof inner, "%s", diag->msg);
        rcm_diag_fail(diag, err, "migration %s failed: %s", m->name, inner);
    }
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_migrate(void *impl, struct rcm_migrate_report *report, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct rcm_migration list[MAX_MIGRATIONS];
    int n = rcm_store_migrations("sqlite", list, MAX_MIGRATIONS);
    if (n < 0)
        return rcm_diag_fail(diag, RCM_E_INTERNAL, "compiled-in migrations are malformed");
    int latest = n ? list[n - 1].version : 0;
    int current = 0;
    pthread_mutex_lock(&sq->write_mu);
    enum rcm_err err = user_version(&sq->writer, &current, diag);
    pthread_mutex_unlock(&sq->write_mu);
    if (err)
        return err;
    report->from_version = current;
    report->to_version = current;
    report->applied = 0;
    if (current > latest)
        return rcm_diag_fail(diag, RCM_E_CONFLICT,
                             "database schema version %d is newer than this openrcm "
                             "(which knows up to %d); upgrade openrcm", current, latest);
    for (int i = 0; i < n; i++) {
        bool applied;
        pthread_mutex_lock(&sq->write_mu);
        err = migration_state(&sq->writer, &list[i], &applied, diag);
        pthread_mutex_unlock(&sq->write_mu);
        if (err)
            return err;
        if (applied)
            continue;
        err = apply(sq, &list[i], diag);
        if (err)
            return err;
        report->applied++;
        report->to_version = list[i].version;
    }
    return RCM_OK;
}

static enum rcm_err
sq_schema_version(void *impl, int *current, int *latest, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct rcm_migration list[MAX_MIGRATIONS];
    int n = rcm_store_migrations("sqlite", list, MAX_MIGRATIONS);
    *latest = n > 0 ? list[n - 1].version : 0;
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    err = user_version(c, current, diag);
    reader_release(sq, c);
    return err;
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
sq_tenant_create(void *impl, const char *slug, const char *name, int64_t now_ms,
                 struct rcm_tenant *out, struct rcm_diag *diag)
{
    struct sq *sq = impl;
    enum rcm_err err = write_begin(sq, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(&sq->writer, STMT_TENANT_INSERT, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now_ms);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            rcm_str_copy(out->slug, sizeof out->slug, rcm_str_c(slug));
            rcm_str_copy(out->name, sizeof out->name, rcm_str_c(name));
            out->created_ms = now_ms;
        } else if (sqlite3_extended_errcode(sq->writer.db) ==
                   SQLITE_CONSTRAINT_UNIQUE) {
            err = rcm_diag_fail(diag, RCM_E_CONFLICT, "a tenant with this slug exists");
        } else {
            err = db_fail(diag, sq->writer.db, "create tenant");
        }
        stmt_done(st);
    }
    return write_end(sq, err, diag);
}

static enum rcm_err
sq_tenant_find(void *impl, const char *slug, struct rcm_tenant *out,
               struct rcm_diag *diag)
{
    struct sq *sq = impl;
    struct conn *c;
    enum rcm_err err = reader_acquire(sq, &c, diag);
    if (err)
        return err;
    sqlite3_stmt *st = stmt(c, STMT_TENANT_BY_SLUG, diag);
    if (!st) {
        err = RCM_E_DB;
    } else {
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            rcm_str_copy(out->slug, sizeof out->slug,
                         rcm_str_c((const char *)sqlite3_column_text(st, 1)));
            rcm_str_copy(out->name, sizeof out->name,
                         rcm_str_c((const char *)sqlite3_column_text(st, 2)));
            out->created_ms = sqlite3_column_int64(st, 3);
        } else if (rc == SQLITE_DONE) {
            err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such tenant");
        } else {
            err = db_fail(diag, c->db, "find tenant");
        }
        stmt_done(st);
    }
    reader_release(sq, c);
    return err;
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
};
