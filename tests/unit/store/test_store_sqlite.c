/* The SQLite store: migrations, schema guards, tenants, concurrency. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/store.h"
#include "rcm_test.h"
#include "store/store_int.h"

struct fixture {
    char dir[64];
    char path[96];
    struct rcm_store *store;
};

static const uint8_t audit_key[RCM_AUDIT_KEY_BYTES] = "0123456789abcdef0123456789abcde";
static const struct rcm_actor sys = {.tenant_id = 0, .type = "system"};

static struct rcm_store *
open_store(const char *path)
{
    struct rcm_store_options opt = {.backend = "sqlite", .path = path,
        .busy_timeout_ms = 5000, .read_connections = 4, .audit_key = audit_key};
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_open(&opt, &s, &d), RCM_OK);
    return s;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rcm-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/openrcm.db", f->dir);
    f->store = open_store(f->path);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    rcm_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Run raw SQL against the file, as an attacker or a broken tool would. */
static void
raw_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int
raw_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void
migrates_once_and_reports(void **state)
{
    struct fixture *f = *state;
    struct rcm_migrate_report rep;
    struct rcm_diag d = RCM_DIAG_INIT;
    int current, latest;
    assert_int_equal(rcm_store_schema_version(f->store, &current, &latest, &d), RCM_OK);
    assert_int_equal(current, 0);
    assert_true(latest >= 1);
    assert_int_equal(rcm_store_migrate(f->store, &rep, &d), RCM_OK);
    assert_int_equal(rep.from_version, 0);
    assert_int_equal(rep.to_version, latest);
    /* versions may have gaps (a number taken on another branch): count files */
    struct rcm_migration list[64];
    int files = rcm_store_migrations("sqlite", list, 64);
    assert_true(files >= 1);
    assert_int_equal(rep.applied, files);
    assert_int_equal(rcm_store_migrate(f->store, &rep, &d), RCM_OK);
    assert_int_equal(rep.applied, 0);
    assert_int_equal(rcm_store_schema_version(f->store, &current, &latest, &d), RCM_OK);
    assert_int_equal(current, latest);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_migrations"), files);
    assert_string_equal(rcm_store_backend(f->store), "sqlite");
    assert_int_equal(rcm_store_ping(f->store, &d), RCM_OK);
}

static void
database_file_is_private_and_wal(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(raw_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

static void
refuses_newer_schema(void **state)
{
    struct fixture *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_OK);
    raw_exec(f->path, "PRAGMA user_version = 9999");
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_E_CONFLICT);
    assert_non_null(strstr(d.msg, "newer than this openrcm"));
}

static void
detects_edited_migration(void **state)
{
    struct fixture *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_OK);
    raw_exec(f->path, "UPDATE schema_migrations SET sha256 = 'x' WHERE version = 1");
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_E_CONFLICT);
    assert_non_null(strstr(d.msg, "0001_init.sql"));
}

static void
tenants_create_find_conflict(void **state)
{
    struct fixture *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant t, u;
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_OK);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "acme-billing", "Acme Billing", &t, &d),
                     RCM_OK);
    assert_true(t.id > 0);
    assert_int_equal(rcm_store_tenant_find(f->store, "acme-billing", &u, &d), RCM_OK);
    assert_int_equal(u.id, t.id);
    assert_string_equal(u.name, "Acme Billing");
    assert_int_equal(u.created_ms, t.created_ms);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "acme-billing", "Other", &u, &d),
                     RCM_E_CONFLICT);
    assert_int_equal(rcm_store_tenant_find(f->store, "nobody", &u, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "Bad Slug", "x", &u, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "-lead", "x", &u, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "ok", "", &u, &d), RCM_E_INVAL);
    /* SQL in a value is stored literally */
    const char *evil = "x'); DROP TABLE tenant; --";
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "evil", evil, &u, &d), RCM_OK);
    assert_int_equal(rcm_store_tenant_find(f->store, "evil", &u, &d), RCM_OK);
    assert_string_equal(u.name, evil);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM tenant"), 2);
}

static void
failed_write_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant t;
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_OK);
    /* The CHECK constraint in the schema backs the C validation: a row the
     * database refuses must not be half-written. */
    raw_exec(f->path, "CREATE TRIGGER no_x BEFORE INSERT ON tenant "
                      "WHEN NEW.slug = 'x' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "x", "X", &t, &d), RCM_E_DB);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM tenant"), 0);
    /* nor its audit record: the record shares the change's transaction */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit_event"), 0);
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "y", "Y", &t, &d), RCM_OK);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit_event "
                                      "WHERE action = 'tenant.create'"), 1);
}

struct worker {
    struct rcm_store *store;
    int index;
    int failures;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 40; i++) {
        char slug[32];
        struct rcm_tenant t;
        struct rcm_diag d = RCM_DIAG_INIT;
        snprintf(slug, sizeof slug, "t%d-%d", w->index, i);
        if (rcm_store_tenant_create(w->store, &sys, slug, "Concurrent", &t, &d) != RCM_OK)
            w->failures++;
        if (rcm_store_tenant_find(w->store, slug, &t, &d) != RCM_OK)
            w->failures++;
        if (rcm_store_ping(w->store, &d) != RCM_OK)
            w->failures++;
    }
    return NULL;
}

static void
concurrent_readers_and_writers(void **state)
{
    struct fixture *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_migrate(f->store, NULL, &d), RCM_OK);
    pthread_t th[8];
    struct worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){f->store, i, 0};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM tenant"), 8 * 40);
}

static void
open_errors_are_clear(void **state)
{
    (void)state;
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_store_options bad_backend = {.backend = "oracle", .path = "/tmp/x.db",
        .busy_timeout_ms = 1000, .read_connections = 1, .audit_key = NULL};
    assert_int_equal(rcm_store_open(&bad_backend, &s, &d), RCM_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "oracle"));
    struct rcm_store_options bad_dir = {.backend = "sqlite", .path = "/nonexistent/dir/x.db",
        .busy_timeout_ms = 1000, .read_connections = 1, .audit_key = NULL};
    assert_int_equal(rcm_store_open(&bad_dir, &s, &d), RCM_E_IO);
    assert_non_null(strstr(d.msg, "cannot create database"));
    assert_null(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
RUN_TESTS(T(migrates_once_and_reports), T(database_file_is_private_and_wal),
          T(refuses_newer_schema), T(detects_edited_migration),
          T(tenants_create_find_conflict), T(failed_write_leaves_nothing),
          T(concurrent_readers_and_writers), cmocka_unit_test(open_errors_are_clear))
