/*
 * store_migrate.c — the schema migration runner, written once over the SQL
 * driver (db.h) for SQLite and PostgreSQL (issue 21, ADR 0004).
 *
 * What it does: keeps `schema_migrations` (version, file name, SHA-256 of
 * the file's text, when applied), applies each compiled-in migration of the
 * database's backend (src/store/migrations/<sqlite|pg>/) that the database
 * lacks, each in its own write transaction together with its row, and
 * refuses — before changing anything — a database newer than this binary or
 * one whose applied migrations differ from the compiled ones. On SQLite it
 * also keeps `PRAGMA user_version` at the schema version (tools and older
 * binaries read it; a user_version above the newest migration counts as a
 * newer database, as it always has).
 *
 * Several processes may start at once (many `serve` on one PostgreSQL); the
 * schema is changed by exactly one of them:
 *   - PostgreSQL: every write transaction here first takes
 *     pg_advisory_xact_lock(MIGRATE_LOCK_KEY), so they run one after the
 *     other, and re-checks inside whether its migration is still missing.
 *     Caveat: a write transaction is SERIALIZABLE and its snapshot is taken
 *     by that first SELECT, before the lock is granted, so a process that
 *     waited may not see the migration the lock holder just committed. It
 *     therefore inserts its schema_migrations row *before* running the
 *     script: that row collides with the committed one (serialization
 *     failure or unique violation, both made RCM_E_BUSY here) and db_write()
 *     runs the transaction again with a new snapshot, which sees the
 *     migration applied and skips it. No script ever runs twice.
 *   - SQLite: the write transaction is BEGIN IMMEDIATE, which already admits
 *     one writer at a time and reads the latest data; the re-check inside
 *     is the same code.
 *
 * What it is not: a way back. Migrations are forward-only; a released file
 * is never edited (its hash would no longer match) — add a new one.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "store/db.h"
#include "store/store_int.h"

#define MAX_MIGRATIONS 512
/* "openrcm\x01": the advisory lock key of schema changes on PostgreSQL */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(8038062361566036993)"

static const struct db_sql MIGRATIONS_CREATE = {
    "MIGRATIONS_CREATE",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " applied_ms INTEGER NOT NULL) STRICT",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version bigint PRIMARY KEY,"
    " name text NOT NULL,"
    " sha256 text NOT NULL,"
    " applied_ms bigint NOT NULL)"};
static const struct db_sql MIGRATIONS_EXIST = {
    "MIGRATIONS_EXIST",
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
    "name = 'schema_migrations'",
    "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
    "current_schema() AND tablename = 'schema_migrations'"};
static const struct db_sql MIGRATIONS_ALL = {
    "MIGRATIONS_ALL", "SELECT version, sha256 FROM schema_migrations ORDER BY version",
    NULL};
static const struct db_sql MIGRATION_GET = {
    "MIGRATION_GET", "SELECT sha256 FROM schema_migrations WHERE version = ?1", NULL};
static const struct db_sql MIGRATION_ADD = {
    "MIGRATION_ADD",
    "INSERT INTO schema_migrations(version, name, sha256, applied_ms) "
    "VALUES (?1, ?2, ?3, ?4)", NULL};
static const struct db_sql USER_VERSION = {"USER_VERSION", "PRAGMA user_version", NULL};

static bool
is_pg(struct db *db)
{
    return strcmp(db_backend(db), "sqlite") != 0;
}

/* The compiled-in migrations of db's backend; false (diag set) when the
 * embedded files are malformed. */
static bool
compiled(struct db *db, struct rcm_migration *list, int *n, struct rcm_diag *diag)
{
    *n = rcm_store_migrations(is_pg(db) ? "pg" : "sqlite", list, MAX_MIGRATIONS);
    if (*n < 0) {
        rcm_diag_fail(diag, RCM_E_INTERNAL, "compiled-in migrations are malformed");
        return false;
    }
    return true;
}

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
newer(int current, int latest, struct rcm_diag *diag)
{
    return rcm_diag_fail(diag, RCM_E_CONFLICT,
                         "database schema version %d is newer than this openrcm "
                         "(which knows up to %d); upgrade openrcm", current, latest);
}

static enum rcm_err
edited(const struct rcm_migration *m, struct rcm_diag *diag)
{
    return rcm_diag_fail(diag, RCM_E_CONFLICT,
                         "migration %s was applied with different text; "
                         "a released migration must never be edited", m->name);
}

/* One integer from a one-row statement without parameters. */
static enum rcm_err
scalar(struct db_tx *tx, const struct db_sql *sql, int64_t *out, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row = false;
    enum rcm_err err = db_prepare(tx, sql, &st, diag);
    if (!err)
        err = db_step(st, &row, diag);
    if (!err && !row)
        err = rcm_diag_fail(diag, RCM_E_DB, "%s: no row", sql->id_name);
    if (!err)
        *out = db_col_i64(st, 0);
    if (!err)
        err = db_exec(st, diag);        /* to the end; reports a column error */
    return err;
}

/* SQLite's PRAGMA user_version; 0 on PostgreSQL. */
static enum rcm_err
user_version(struct db_tx *tx, bool pg, int64_t *out, struct rcm_diag *diag)
{
    *out = 0;
    return pg ? RCM_OK : scalar(tx, &USER_VERSION, out, diag);
}

static enum rcm_err
lock(struct db_tx *tx, bool pg, struct rcm_diag *diag)
{
    return pg ? db_exec_script(tx, "migration lock", MIGRATE_LOCK_SQL, diag) : RCM_OK;
}

static enum rcm_err
create_table(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    bool pg = *(bool *)ctx;
    enum rcm_err err = lock(tx, pg, diag);
    if (!err)
        err = db_exec_script(tx, MIGRATIONS_CREATE.id_name,
                             pg ? MIGRATIONS_CREATE.pg_text : MIGRATIONS_CREATE.text, diag);
    return err;
}

/* What the database has, read in one transaction: its schema version (the
 * highest recorded, or SQLite's user_version if higher) and, checked
 * against the compiled list, which migrations are still missing. */
struct state {
    int current;
    bool missing[MAX_MIGRATIONS];
    int n_missing;
};

static enum rcm_err
read_state(struct db_tx *tx, bool pg, const struct rcm_migration *list, int n,
           struct state *s, struct rcm_diag *diag)
{
    s->current = 0;
    s->n_missing = 0;
    int64_t uv = 0, exists = 0;
    enum rcm_err err = user_version(tx, pg, &uv, diag);
    if (!err)
        err = scalar(tx, &MIGRATIONS_EXIST, &exists, diag);
    if (err)
        return err;
    bool seen[MAX_MIGRATIONS] = {false};
    int64_t top = uv;
    if (exists) {
        struct db_stmt *st;
        bool row = false;
        err = db_prepare(tx, &MIGRATIONS_ALL, &st, diag);
        while (!err && !(err = db_step(st, &row, diag)) && row) {
            int64_t v = db_col_i64(st, 0);
            const char *have = db_col_text(st, 1, NULL);
            if (v > top)
                top = v;
            for (int i = 0; i < n; i++) {
                if (list[i].version != v)
                    continue;
                char want[65];
                sha256_hex(list[i].sql, list[i].len, want);
                if (!have || strcmp(have, want) != 0)
                    return edited(&list[i], diag);
                seen[i] = true;
            }
        }
        if (err)
            return err;
    }
    s->current = top > INT32_MAX ? INT32_MAX : (int)top;
    for (int i = 0; i < n; i++) {
        s->missing[i] = !seen[i];
        s->n_missing += !seen[i];
    }
    return RCM_OK;
}

struct apply {
    const struct rcm_migration *m;
    int latest;
    bool pg;
    bool applied;               /* by this transaction */
};

/* One migration's write transaction (re-run by db_write on RCM_E_BUSY). */
static enum rcm_err
apply_one(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct apply *a = ctx;
    const struct rcm_migration *m = a->m;
    a->applied = false;
    enum rcm_err err = lock(tx, a->pg, diag);
    if (err)
        return err;
    /* re-check under the lock: another process may have been first */
    int64_t uv = 0;
    if ((err = user_version(tx, a->pg, &uv, diag)))
        return err;
    if (uv > a->latest)
        return newer((int)(uv > INT32_MAX ? INT32_MAX : uv), a->latest, diag);
    char hash[65];
    sha256_hex(m->sql, m->len, hash);
    struct db_stmt *st;
    bool row = false;
    if ((err = db_prepare(tx, &MIGRATION_GET, &st, diag)))
        return err;
    db_bind_i64(st, 1, m->version);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (row) {
        const char *have = db_col_text(st, 0, NULL);
        return have && strcmp(have, hash) == 0 ? RCM_OK : edited(m, diag);
    }
    /* the row first: see the top of this file */
    if ((err = db_prepare(tx, &MIGRATION_ADD, &st, diag)))
        return err;
    db_bind_i64(st, 1, m->version);
    db_bind_text(st, 2, m->name);
    db_bind_text(st, 3, hash);
    db_bind_i64(st, 4, rcm_time_now_ms());
    err = db_exec(st, diag);
    if (err == RCM_E_CONFLICT)
        return rcm_diag_fail(diag, RCM_E_BUSY, "migration %s: applied meanwhile by "
                             "another process", m->name);
    if (!err)
        err = db_exec_script(tx, m->name, m->sql, diag);
    if (!err && !a->pg && m->version > uv) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", m->version);
        err = db_exec_script(tx, "user_version", pragma, diag);
    }
    if (!err)
        a->applied = true;
    return err;
}

enum rcm_err
store_migrate(struct db *db, struct rcm_migrate_report *rep, struct rcm_diag *diag)
{
    struct rcm_migration list[MAX_MIGRATIONS];
    int n;
    if (!compiled(db, list, &n, diag))
        return RCM_E_INTERNAL;
    int latest = n ? list[n - 1].version : 0;
    bool pg = is_pg(db);
    *rep = (struct rcm_migrate_report){0};
    enum rcm_err err = db_write(db, create_table, &pg, diag);
    if (err)
        return err;

    /* refuse a newer or edited database before changing anything */
    struct state s;
    struct db_tx *tx;
    if ((err = db_begin(db, DB_READ, &tx, diag)))
        return err;
    err = read_state(tx, pg, list, n, &s, diag);
    if (err) {
        db_rollback(tx);
        return err;
    }
    if ((err = db_commit(tx, diag)))
        return err;
    rep->from_version = rep->to_version = s.current;
    if (s.current > latest)
        return newer(s.current, latest, diag);

    for (int i = 0; i < n; i++) {
        if (!s.missing[i])
            continue;
        struct apply a = {.m = &list[i], .latest = latest, .pg = pg};
        err = db_write(db, apply_one, &a, diag);
        if (err) {
            if (diag && !strstr(diag->msg, list[i].name)) {
                char inner[RCM_DIAG_MSG_MAX];
                snprintf(inner, sizeof inner, "%s", diag->msg);
                rcm_diag_fail(diag, err, "migration %s failed: %s", list[i].name, inner);
            }
            return err;
        }
        rep->applied += a.applied;
        if (list[i].version > rep->to_version)
            rep->to_version = list[i].version;
    }
    return RCM_OK;
}

enum rcm_err
store_schema_version(struct db *db, int *current, int *latest, struct rcm_diag *diag)
{
    struct rcm_migration list[MAX_MIGRATIONS];
    int n;
    if (!compiled(db, list, &n, diag))
        return RCM_E_INTERNAL;
    *latest = n ? list[n - 1].version : 0;
    struct state s;
    struct db_tx *tx;
    enum rcm_err err = db_begin(db, DB_READ, &tx, diag);
    if (err)
        return err;
    err = read_state(tx, is_pg(db), list, n, &s, diag);
    if (err) {
        db_rollback(tx);
        return err;
    }
    if ((err = db_commit(tx, diag)))
        return err;
    *current = s.current;
    return RCM_OK;
}
