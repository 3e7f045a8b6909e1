/*
 * store_fixture.h — one store test fixture, whatever the database: a fresh,
 * migrated store on SQLite (a file in a new temporary directory) or on the
 * throwaway PostgreSQL of the ctest fixture "postgres" (a new schema; see
 * store_test_pg.h). A suite runs its cases once per backend with
 * STORE_FIXTURE_MAIN. A test including this names RCM_TEST_PG_ENV and so
 * requires the PostgreSQL fixture (tests/CMakeLists.txt).
 */
#ifndef RCM_STORE_FIXTURE_H
#define RCM_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm/store.h"
#include "rcm_test.h"
#include "store/db.h"
#include "store_test_pg.h"

struct store_fx {
    const char *backend;        /* "sqlite" or "postgres" */
    char dir[64];               /* sqlite: the temporary directory */
    char path[96];              /* sqlite: the database file */
    char schema[48];            /* postgres: the schema of this case */
    char conninfo[512];
    char password_file[256];
    struct rcm_key master;
    struct rcm_store *store;
};

/* The backend the running group uses (set by STORE_FIXTURE_MAIN). */
static const char *store_fx_backend = "sqlite";

/* Open stores without a master key, the fixture's key serving as the audit
 * key instead: for suites of domains already on the driver that must not
 * reach the key rows, which still go through the SQLite-only backend
 * (set before the first store_fx_new). */
static bool store_fx_keyless;

static inline void
store_fx_options(const struct store_fx *f, struct rcm_store_options *o,
                 const struct rcm_key *previous)
{
    *o = (struct rcm_store_options){.backend = f->backend, .path = f->path,
        .busy_timeout_ms = 5000, .read_connections = 4, .master_key = &f->master,
        .previous_master_key = previous, .conninfo = f->conninfo,
        .password_file = f->password_file};
    if (store_fx_keyless) {
        o->master_key = NULL;
        o->audit_key = f->master.bytes;
    }
}

/* Open (and migrate) the fixture's database again, e.g. after a close. */
static inline struct rcm_store *
store_fx_open(struct store_fx *f, const struct rcm_key *previous)
{
    struct rcm_store_options o;
    store_fx_options(f, &o, previous);
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_store_open(&o, &s, &d) != RCM_OK || rcm_store_migrate(s, NULL, &d) != RCM_OK) {
        fprintf(stderr, "%s: cannot open the store: %s\n", f->backend, d.msg);
        rcm_store_close(s);
        return NULL;
    }
    return s;
}

static enum rcm_err
store_fx_schema_fn(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", (const char *)ctx);
    return db_exec_script(tx, "schema", sql, d);
}

/* A fresh store in *out (calloc'd); NULL when the backend is missing. */
static inline struct store_fx *
store_fx_new(void)
{
    static int serial;
    struct store_fx *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->backend = store_fx_backend;
    rcm_key_generate(&f->master, 0);
    if (strcmp(f->backend, "sqlite") == 0) {
        snprintf(f->dir, sizeof f->dir, "/tmp/rcm-store-XXXXXX");
        if (!mkdtemp(f->dir)) {
            free(f);
            return NULL;
        }
        snprintf(f->path, sizeof f->path, "%s/openrcm.db", f->dir);
    } else {
        char base[512];
        snprintf(f->schema, sizeof f->schema, "st_%d_%d", (int)getpid(), ++serial);
        if (!store_test_pg_env(NULL, base, sizeof base, f->password_file,
                               sizeof f->password_file)) {
            fprintf(stderr, "postgres: no server (RCM_TEST_PG_ENV unset or unreadable)\n");
            free(f);
            return NULL;
        }
        struct db_options o = {.backend = "postgres", .conninfo = base,
                               .password_file = f->password_file, .pool_size = 1};
        struct db *db = NULL;
        struct rcm_diag d = RCM_DIAG_INIT;
        enum rcm_err err = db_open(&o, &db, &d);
        if (!err)
            err = db_write(db, store_fx_schema_fn, f->schema, &d);
        db_close(db);
        if (err) {
            fprintf(stderr, "postgres: cannot create schema: %s\n", d.msg);
            free(f);
            return NULL;
        }
        store_test_pg_env(f->schema, f->conninfo, sizeof f->conninfo, f->password_file,
                          sizeof f->password_file);
    }
    f->store = store_fx_open(f, NULL);
    if (!f->store) {
        free(f);
        return NULL;
    }
    return f;
}

static inline void
store_fx_free(struct store_fx *f)
{
    if (!f)
        return;
    rcm_store_close(f->store);
    if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", f->dir);
    }
    free(f);
}

/* Run `tests` once on SQLite and once on PostgreSQL. */
#define STORE_FIXTURE_MAIN(tests)                                              \
    int main(void)                                                             \
    {                                                                          \
        int failed = 0;                                                        \
        static const char *const backends[] = {"sqlite", "postgres"};          \
        for (int b = 0; b < 2; b++) {                                          \
            store_fx_backend = backends[b];                                    \
            fprintf(stderr, "== %s\n", backends[b]);                           \
            failed += cmocka_run_group_tests_name(backends[b], tests, NULL,    \
                                                  NULL);                       \
        }                                                                      \
        return failed;                                                         \
    }

#endif
