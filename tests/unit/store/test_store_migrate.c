/*
 * The migration runner (store_migrate.c), one code path on both databases:
 * SQLite in a temporary file, PostgreSQL from the ctest fixture (file
 * $RCM_TEST_PG_ENV), each case in a schema of its own. From empty to the
 * latest version with every table; a second run applies nothing; edited
 * history and a newer database refused; four migrators started at once
 * apply each migration exactly once. Fails without a server under CI=true
 * and skips the PostgreSQL half otherwise.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rcm_test.h"
#include "store_test_pg.h"
#include "store/db.h"
#include "rcm/store.h"
#include "store/store_int.h"

#define MAX_MIGRATIONS 256
#define THREADS 4

static const char *const tables[] = {
    "tenant", "app_user", "session", "audit_event", "audit_event_patient", "audit_head",
    "audit_checkpoint", "api_key", "mfa_recovery", "patient", "patient_key", "tenant_key",
    "system_key", "key_rotation", "break_glass", "login_throttle", "schema_migrations",
};

/* Where a case runs: a SQLite file or a PostgreSQL schema of its own. */
struct target {
    const char *backend;        /* "sqlite" or "postgres" */
    char dir[64];
    char path[96];
    char conninfo[768];         /* with options='-c search_path=<schema>' */
    char password_file[256];
};

struct script {
    const char *name, *text;
};

static enum rcm_err
run_script(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    const struct script *s = ctx;
    return db_exec_script(tx, s->name, s->text, d);
}

static struct db *
open_db(const struct target *t)
{
    struct db_options o = {.backend = t->backend, .path = t->path, .conninfo = t->conninfo,
                           .password_file = t->password_file};
    struct db *db = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (db_open(&o, &db, &d) != RCM_OK)
        fail_msg("cannot open %s: %s", t->backend, d.msg);
    return db;
}

/* A fresh, empty target; false when PostgreSQL is wanted but absent (the
 * caller skips; under CI that fails instead). */
static bool
target_new(struct target *t, const char *backend, const char *name)
{
    memset(t, 0, sizeof *t);
    t->backend = backend;
    if (strcmp(backend, "sqlite") == 0) {
        snprintf(t->dir, sizeof t->dir, "/tmp/rcm-migrate-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->path, sizeof t->path, "%s/m.db", t->dir);
        return true;
    }
    char base[512];
    if (!store_test_pg_env(NULL, base, sizeof base, t->password_file, sizeof t->password_file)) {
        if (getenv("CI"))
            fail_msg("no PostgreSQL (RCM_TEST_PG_ENV) under CI");
        return false;
    }
    /* not pg_…: reserved for system schemas */
    char schema[64], sql[256];
    snprintf(schema, sizeof schema, "migrate_%s_%d", name, (int)getpid());
    snprintf(t->conninfo, sizeof t->conninfo, "%s", base);
    struct db *db = open_db(t);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s;", schema,
             schema);
    struct script s = {"fresh schema", sql};
    struct rcm_diag d = RCM_DIAG_INIT;
    if (db_write(db, run_script, &s, &d) != RCM_OK)
        fail_msg("fresh schema: %s", d.msg);
    db_close(db);
    snprintf(t->conninfo, sizeof t->conninfo, "%s options='-c search_path=%s'", base, schema);
    return true;
}

static void
target_release(struct target *t)
{
    if (t->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
        assert_int_equal(system(cmd), 0);
    }
}

static void
exec_sql(struct db *db, const char *sql)
{
    struct script s = {"test", sql};
    struct rcm_diag d = RCM_DIAG_INIT;
    if (db_write(db, run_script, &s, &d) != RCM_OK)
        fail_msg("%s: %s", sql, d.msg);
}

/* One integer from sql, on a connection of its own: the driver caches
 * statements by the address of their struct db_sql, which here is on the
 * stack and would be reused for another text. */
static int64_t
count(const struct target *t, const char *sql)
{
    struct db *db = open_db(t);
    struct db_sql q = {"COUNT", sql, NULL};
    struct db_tx *tx;
    struct db_stmt *st;
    struct rcm_diag d = RCM_DIAG_INIT;
    bool row = false;
    assert_int_equal(db_begin(db, DB_READ, &tx, &d), RCM_OK);
    if (db_prepare(tx, &q, &st, &d) != RCM_OK || db_step(st, &row, &d) != RCM_OK || !row)
        fail_msg("%s: %s", sql, d.msg);
    int64_t n = db_col_i64(st, 0);
    assert_int_equal(db_commit(tx, &d), RCM_OK);
    db_close(db);
    return n;
}

static int
compiled(struct db *db, struct rcm_migration *list)
{
    int n = rcm_store_migrations(strcmp(db_backend(db), "sqlite") == 0 ? "sqlite" : "pg", list,
                                 MAX_MIGRATIONS);
    assert_true(n > 0);
    return n;
}

static const char *const backends[] = {"sqlite", "postgres"};

/* ---- cases ---------------------------------------------------------------- */

static void
from_empty_to_latest_then_nothing(const char *backend)
{
    struct target t;
    if (!target_new(&t, backend, "empty"))
        return;
    struct db *db = open_db(&t);
    struct rcm_migration list[MAX_MIGRATIONS];
    int n = compiled(db, list);
    int latest = list[n - 1].version;
    struct rcm_diag d = RCM_DIAG_INIT;
    int current = -1, known = -1;
    assert_int_equal(store_schema_version(db, &current, &known, &d), RCM_OK);
    assert_int_equal(current, 0);
    assert_int_equal(known, latest);

    struct rcm_migrate_report rep;
    if (store_migrate(db, &rep, &d) != RCM_OK)
        fail_msg("%s: %s", backend, d.msg);
    assert_int_equal(rep.from_version, 0);
    assert_int_equal(rep.to_version, latest);
    assert_int_equal(rep.applied, n);
    assert_int_equal(store_schema_version(db, &current, &known, &d), RCM_OK);
    assert_int_equal(current, latest);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        (void)count(&t, sql);   /* fails the test when the table is missing */
    }
    assert_int_equal(count(&t, "SELECT count(*) FROM schema_migrations"), n);
    if (strcmp(backend, "sqlite") == 0)
        assert_int_equal(count(&t, "PRAGMA user_version"), latest);

    assert_int_equal(store_migrate(db, &rep, &d), RCM_OK);
    assert_int_equal(rep.applied, 0);
    assert_int_equal(rep.from_version, latest);
    assert_int_equal(rep.to_version, latest);
    assert_int_equal(count(&t, "SELECT count(*) FROM schema_migrations"), n);
    db_close(db);
    target_release(&t);
}

static void
edited_history_refused(const char *backend)
{
    struct target t;
    if (!target_new(&t, backend, "edited"))
        return;
    struct db *db = open_db(&t);
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_migrate_report rep;
    assert_int_equal(store_migrate(db, &rep, &d), RCM_OK);
    exec_sql(db, "UPDATE schema_migrations SET sha256 = 'x' WHERE version = 1");
    assert_int_equal(store_migrate(db, &rep, &d), RCM_E_CONFLICT);
    assert_non_null(strstr(d.msg, "0001_init.sql"));
    assert_non_null(strstr(d.msg, "must never be edited"));
    db_close(db);
    target_release(&t);
}

static void
newer_database_refused(const char *backend)
{
    struct target t;
    if (!target_new(&t, backend, "newer"))
        return;
    struct db *db = open_db(&t);
    struct rcm_migration list[MAX_MIGRATIONS];
    int n = compiled(db, list);
    int latest = list[n - 1].version;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_migrate_report rep;
    assert_int_equal(store_migrate(db, &rep, &d), RCM_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO schema_migrations(version, name, sha256, applied_ms) "
                              "VALUES (%d, '%04d_future.sql', 'f', 0)", latest + 1, latest + 1);
    exec_sql(db, sql);
    assert_int_equal(store_migrate(db, &rep, &d), RCM_E_CONFLICT);
    assert_non_null(strstr(d.msg, "newer than this openrcm"));
    int current, known;
    assert_int_equal(store_schema_version(db, &current, &known, &d), RCM_OK);
    assert_int_equal(current, latest + 1);
    assert_int_equal(known, latest);
    db_close(db);
    target_release(&t);
}

struct migrator {
    struct db *db;
    pthread_barrier_t *start;
    enum rcm_err err;
    struct rcm_migrate_report rep;
    struct rcm_diag diag;
};

static void *
migrate_thread(void *arg)
{
    struct migrator *m = arg;
    pthread_barrier_wait(m->start);
    m->diag = (struct rcm_diag)RCM_DIAG_INIT;
    m->err = store_migrate(m->db, &m->rep, &m->diag);
    return NULL;
}

/* THREADS migrators, each with its own struct db (its own connections, as
 * separate processes would have), on one empty database at once. */
static void
concurrent_migrators_apply_each_once(const char *backend)
{
    for (int round = 0; round < 3; round++) {
        struct target t;
        char name[16];
        snprintf(name, sizeof name, "race%d", round);
        if (!target_new(&t, backend, name))
            return;
        struct migrator m[THREADS];
        pthread_t th[THREADS];
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THREADS);
        for (int i = 0; i < THREADS; i++)
            m[i] = (struct migrator){.db = open_db(&t), .start = &start};
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, &m[i]), 0);
        int applied = 0;
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            if (m[i].err)
                fail_msg("%s migrator %d: %s", backend, i, m[i].diag.msg);
            applied += m[i].rep.applied;
        }
        pthread_barrier_destroy(&start);
        struct rcm_migration list[MAX_MIGRATIONS];
        int n = compiled(m[0].db, list);
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(m[i].rep.to_version, list[n - 1].version);
        /* each migration applied by exactly one of them, recorded once */
        assert_int_equal(applied, n);
        assert_int_equal(count(&t, "SELECT count(*) FROM schema_migrations"), n);
        assert_int_equal(count(&t, "SELECT count(DISTINCT version) FROM schema_migrations"),
                         n);
        for (int i = 0; i < THREADS; i++)
            db_close(m[i].db);
        target_release(&t);
    }
}

/* The SQLite store migrates on a connection of its own; opening that one
 * must not cost the store's connections their POSIX locks on the file (a
 * descriptor of it opened and closed drops them all). Were they lost, a
 * second process closing its connection would find itself alone, fold the
 * WAL back and delete it while this process still writes to it: two
 * diverging databases (seen as a forked audit chain). */
static void
sqlite_store_keeps_its_locks_while_migrating(void **state)
{
    (void)state;
    struct target t;
    assert_true(target_new(&t, "sqlite", "locks"));
    /* the other process is forked before this one opens anything (a child
     * must not inherit SQLite's state of open files) and waits for a byte */
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        sqlite3 *h;
        int ok = sqlite3_open(t.path, &h) == SQLITE_OK &&
                 sqlite3_exec(h, "INSERT INTO login_throttle(identity_mac, failures, "
                                 "last_failure_ms) VALUES (printf('%064d', 1), 1, 1)", NULL, NULL, NULL) ==
                     SQLITE_OK;
        ok = sqlite3_close(h) == SQLITE_OK && ok;
        _exit(ok ? 0 : 1);
    }
    close(go[0]);
    static const uint8_t audit_key[RCM_AUDIT_KEY_BYTES] = "0123456789abcdef0123456789abcde";
    static const struct rcm_actor sys = {.tenant_id = 0, .type = "system"};
    struct rcm_store_options opt = {.backend = "sqlite", .path = t.path, .busy_timeout_ms = 5000,
                                    .read_connections = 2, .audit_key = audit_key};
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant tn;
    assert_int_equal(rcm_store_open(&opt, &s, &d), RCM_OK);
    assert_int_equal(rcm_store_migrate(s, NULL, &d), RCM_OK);
    /* the store's writer and a reader use the file (and hold their locks) */
    assert_int_equal(rcm_store_tenant_create(s, &sys, "acme", "Acme", &tn, &d), RCM_OK);
    assert_int_equal(rcm_store_tenant_find(s, "acme", &tn, &d), RCM_OK);
    assert_int_equal(rcm_store_migrate(s, NULL, &d), RCM_OK);     /* opens the file again */
    assert_int_equal(write(go[1], "x", 1), 1);
    close(go[1]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the store is still open, so the other process was not the last one
     * and left the WAL in place */
    char wal[128];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", t.path);
    assert_int_equal(stat(wal, &sb), 0);
    rcm_store_close(s);
    target_release(&t);
}

#define BOTH(fn)                                                               \
    static void fn##_both(void **state)                                        \
    {                                                                          \
        (void)state;                                                           \
        for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)      \
            fn(backends[i]);                                                   \
    }

BOTH(from_empty_to_latest_then_nothing)
BOTH(edited_history_refused)
BOTH(newer_database_refused)
BOTH(concurrent_migrators_apply_each_once)

RUN_TESTS(cmocka_unit_test(from_empty_to_latest_then_nothing_both),
          cmocka_unit_test(edited_history_refused_both),
          cmocka_unit_test(newer_database_refused_both),
          cmocka_unit_test(concurrent_migrators_apply_each_once_both),
          cmocka_unit_test(sqlite_store_keeps_its_locks_while_migrating))
