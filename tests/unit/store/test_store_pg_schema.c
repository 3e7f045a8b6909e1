/*
 * The PostgreSQL migrations (src/store/migrations/pg) applied to a real
 * PostgreSQL (the ctest fixture; file $RCM_TEST_PG_ENV) give the same
 * tables and columns as the SQLite migrations, and keep the rules that the
 * shared SQL relies on: emails unique and found without regard to case,
 * the audit tables append-only. Fails without a server under CI=true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcm_test.h"
#include "store_test_pg.h"
#include "store/db.h"
#include "store/store_int.h"

#define MAX_MIGRATIONS 256
#define MAX_COLUMNS 512

struct columns {
    char name[MAX_COLUMNS][96];
    int n;
};

static const struct db_sql PG_COLUMNS = {
    "PG_COLUMNS",
    "SELECT table_name || '.' || column_name FROM information_schema.columns "
    "WHERE table_schema = 'migrations_twin' ORDER BY 1", NULL};
static const struct db_sql SQLITE_COLUMNS = {
    "SQLITE_COLUMNS",
    "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' "
    "AND m.name <> 'schema_migrations' ORDER BY 1", NULL};

struct script {
    const char *name, *text;
};

static enum rcm_err
run_script(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    const struct script *s = ctx;
    return db_exec_script(tx, s->name, s->text, d);
}

/* Apply every migration of `backend` in order, each in its own transaction. */
static void
migrate(struct db *db, const char *backend)
{
    struct rcm_migration list[MAX_MIGRATIONS];
    int n = rcm_store_migrations(backend, list, MAX_MIGRATIONS);
    assert_true(n > 0);
    char text[64 * 1024];
    for (int i = 0; i < n; i++) {
        assert_true(list[i].len < sizeof text);
        memcpy(text, list[i].sql, list[i].len);
        text[list[i].len] = '\0';
        struct script s = {list[i].name, text};
        struct rcm_diag d = RCM_DIAG_INIT;
        enum rcm_err err = db_write(db, run_script, &s, &d);
        if (err)
            fail_msg("%s migration %s: %s", backend, list[i].name, d.msg);
    }
}

static void
read_columns(struct db *db, const struct db_sql *sql, struct columns *out)
{
    struct db_tx *tx;
    struct db_stmt *st;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(db_begin(db, DB_READ, &tx, &d), RCM_OK);
    assert_int_equal(db_prepare(tx, sql, &st, &d), RCM_OK);
    bool row;
    out->n = 0;
    while (db_step(st, &row, &d) == RCM_OK && row) {
        assert_true(out->n < MAX_COLUMNS);
        snprintf(out->name[out->n++], sizeof out->name[0], "%s", db_col_text(st, 0, NULL));
    }
    assert_int_equal(db_commit(tx, &d), RCM_OK);
}

static struct db *
open_pg(void)
{
    char conninfo[640], password_file[256];
    if (!store_test_pg_env("migrations_twin", conninfo, sizeof conninfo, password_file,
                           sizeof password_file))
        return NULL;
    struct db_options o = {.backend = "postgres", .conninfo = conninfo,
                           .password_file = password_file};
    struct db *db = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (db_open(&o, &db, &d) != RCM_OK)
        fail_msg("cannot open PostgreSQL: %s", d.msg);
    struct script fresh = {"fresh schema", "DROP SCHEMA IF EXISTS migrations_twin CASCADE; "
                                           "CREATE SCHEMA migrations_twin;"};
    if (db_write(db, run_script, &fresh, &d) != RCM_OK) {
        db_close(db);
        fail_msg("fresh schema: %s", d.msg);
    }
    return db;
}

static void
same_tables_and_columns_as_sqlite(void **state)
{
    (void)state;
    struct db *pg = open_pg();
    if (!pg) {
        if (getenv("CI"))
            fail_msg("no PostgreSQL (RCM_TEST_PG_ENV) under CI");
        skip();
    }
    migrate(pg, "pg");
    char dir[] = "/tmp/rcm-pgschema-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.db", dir);
    struct db_options o = {.backend = "sqlite", .path = path};
    struct db *lite = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(db_open(&o, &lite, &d), RCM_OK);
    migrate(lite, "sqlite");

    static struct columns a, b;
    read_columns(pg, &PG_COLUMNS, &a);
    read_columns(lite, &SQLITE_COLUMNS, &b);
    assert_true(a.n > 60);
    for (int i = 0; i < a.n && i < b.n; i++)
        assert_string_equal(a.name[i], b.name[i]);
    assert_int_equal(a.n, b.n);
    db_close(lite);
    unlink(path);
    rmdir(dir);
    db_close(pg);
}

static const struct db_sql TENANT_ADD = {
    "TENANT_ADD", "INSERT INTO tenant(slug, name, created_ms) VALUES ('t1', 'T', 1) RETURNING id",
    NULL};
static const struct db_sql USER_ADD = {
    "USER_ADD", "INSERT INTO app_user(tenant_id, email, display_name, role, created_ms) "
                "VALUES (?1, ?2, 'U', 'biller', 1)", NULL};
static const struct db_sql USER_FIND = {
    "USER_FIND", "SELECT count(*) FROM app_user WHERE tenant_id = ?1 AND email = ?2", NULL};
static const struct db_sql AUDIT_ADD = {
    "AUDIT_ADD", "INSERT INTO audit_event VALUES (1, 1, 0, 'system', 0, 'a', '', '', '', '', "
                 "'success', '', '', 0, ?1, ?1)", NULL};
static const struct db_sql AUDIT_DELETE = {"AUDIT_DELETE", "DELETE FROM audit_event", NULL};

static enum rcm_err
exec_one(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    const struct db_sql *sql = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, sql, &st, d);
    return err ? err : db_exec(st, d);
}

struct user_add {
    int64_t tenant;
    const char *email;
};

static enum rcm_err
add_user(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    const struct user_add *u = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &USER_ADD, &st, d);
    if (err)
        return err;
    db_bind_i64(st, 1, u->tenant);
    db_bind_text(st, 2, u->email);
    return db_exec(st, d);
}

static enum rcm_err
add_tenant(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &TENANT_ADD, &st, d);
    if (!err && !(err = db_step(st, &row, d)) && row)
        *(int64_t *)ctx = db_col_i64(st, 0);
    return err;
}

static enum rcm_err
add_audit(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    (void)ctx;
    static const uint8_t zero[32];
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &AUDIT_ADD, &st, d);
    if (err)
        return err;
    db_bind_blob(st, 1, zero, sizeof zero);
    return db_exec(st, d);
}

static void
rules_hold_on_postgresql(void **state)
{
    (void)state;
    struct db *pg = open_pg();
    if (!pg) {
        if (getenv("CI"))
            fail_msg("no PostgreSQL (RCM_TEST_PG_ENV) under CI");
        skip();
    }
    migrate(pg, "pg");
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t tenant = 0;
    assert_int_equal(db_write(pg, add_tenant, &tenant, &d), RCM_OK);
    assert_true(tenant > 0);
    struct user_add u = {tenant, "Ann.Lee@Example.org"};
    assert_int_equal(db_write(pg, add_user, &u, &d), RCM_OK);
    /* the same email in other case is the same user (SQLite: COLLATE NOCASE) */
    struct user_add again = {tenant, "ann.lee@example.ORG"};
    assert_int_equal(db_write(pg, add_user, &again, &d), RCM_E_CONFLICT);
    struct db_tx *tx;
    struct db_stmt *st;
    bool row;
    assert_int_equal(db_begin(pg, DB_READ, &tx, &d), RCM_OK);
    assert_int_equal(db_prepare(tx, &USER_FIND, &st, &d), RCM_OK);
    db_bind_i64(st, 1, tenant);
    db_bind_text(st, 2, "ANN.LEE@EXAMPLE.ORG");
    assert_int_equal(db_step(st, &row, &d), RCM_OK);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 1);
    assert_int_equal(db_commit(tx, &d), RCM_OK);
    /* the audit log is append-only */
    assert_int_equal(db_write(pg, add_audit, NULL, &d), RCM_OK);
    assert_int_not_equal(db_write(pg, exec_one, (void *)&AUDIT_DELETE, &d), RCM_OK);
    db_close(pg);
}

RUN_TESTS(cmocka_unit_test(same_tables_and_columns_as_sqlite),
          cmocka_unit_test(rules_hold_on_postgresql))
