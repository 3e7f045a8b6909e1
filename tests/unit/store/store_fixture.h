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

#include <stdbool.h>
#include <stdint.h>
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
    bool no_master;             /* opened with audit_key only */
    uint8_t audit_key[RCM_AUDIT_KEY_BYTES];
    struct rcm_store *store;
};

/* The backend the running group uses (set by STORE_FIXTURE_MAIN). */
static const char *store_fx_backend = "sqlite";

static inline void
store_fx_options(const struct store_fx *f, struct rcm_store_options *o,
                 const struct rcm_key *previous)
{
    *o = (struct rcm_store_options){.backend = f->backend, .path = f->path,
        .busy_timeout_ms = 5000, .read_connections = 4,
        .master_key = f->no_master ? NULL : &f->master,
        .audit_key = f->no_master ? f->audit_key : NULL,
        .previous_master_key = previous, .conninfo = f->conninfo,
        .password_file = f->password_file};
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

/* A fresh store (calloc'd; store_fx_free) with a master key, or without
 * one and with this audit MAC key when audit_key is not NULL; NULL when
 * the backend is missing. */
static inline struct store_fx *
store_fx_new_keyed(const uint8_t *audit_key)
{
    static int serial;
    struct store_fx *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->backend = store_fx_backend;
    rcm_key_generate(&f->master, 0);
    if (audit_key) {
        f->no_master = true;
        memcpy(f->audit_key, audit_key, RCM_AUDIT_KEY_BYTES);
    }
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

static inline struct store_fx *
store_fx_new(void)
{
    return store_fx_new_keyed(NULL);
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

static enum rcm_err
store_fx_exec_fn(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    return db_exec_script(tx, "test", (const char *)ctx, d);
}

/* Run SQL (several statements, both dialects) on the fixture's database
 * through a connection of its own, as someone with database access would:
 * RCM_OK or the driver's error. */
static inline enum rcm_err
store_fx_exec(const struct store_fx *f, const char *sql)
{
    struct db_options o = {.backend = f->backend, .path = f->path, .conninfo = f->conninfo,
                           .password_file = f->password_file, .pool_size = 1};
    struct db *db = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    enum rcm_err err = db_open(&o, &db, &d);
    if (!err)
        err = db_write(db, store_fx_exec_fn, (void *)(uintptr_t)sql, &d);
    db_close(db);
    return err;
}

/* The same past the audit tables' append-only triggers (tamper tests). */
static inline enum rcm_err
store_fx_tamper(const struct store_fx *f, const char *sql)
{
    static const char *const tables[] = {"audit_event", "audit_checkpoint",
                                         "audit_event_patient"};
    char text[4096];
    size_t n = 0;
    if (strcmp(f->backend, "sqlite") == 0) {
        static const char *const triggers[] = {"audit_event", "audit_checkpoint",
                                               "audit_patient"};
        for (int i = 0; i < 3; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "DROP TRIGGER IF EXISTS "
                                  "%s_append_only_u; DROP TRIGGER IF EXISTS "
                                  "%s_append_only_d; ", triggers[i], triggers[i]);
        snprintf(text + n, sizeof text - n, "%s", sql);
    } else {
        for (int i = 0; i < 3; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "ALTER TABLE %s DISABLE "
                                  "TRIGGER USER; ", tables[i]);
        n += (size_t)snprintf(text + n, sizeof text - n, "%s; ", sql);
        for (int i = 0; i < 3; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "ALTER TABLE %s ENABLE "
                                  "TRIGGER USER; ", tables[i]);
    }
    return store_fx_exec(f, text);
}

enum store_fx_want { STORE_FX_NONE, STORE_FX_INT, STORE_FX_TEXT, STORE_FX_BLOB };

struct store_fx_query {
    const struct db_sql *sql;
    enum store_fx_want want;
    int64_t arg;                /* ?1, when the statement names it */
    const void *blob;           /* ?2, when set */
    size_t blob_len;
    int64_t i;                  /* what came back: */
    char text[256];
    uint8_t bytes[512];
    size_t n;
};

static enum rcm_err
store_fx_query_fn(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    struct store_fx_query *q = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, q->sql, &st, d);
    if (err)
        return err;
    if (strstr(q->sql->text, "?1"))
        db_bind_i64(st, 1, q->arg);
    if (q->blob)
        db_bind_blob(st, 2, q->blob, q->blob_len);
    if ((err = db_step(st, &row, d)))
        return err;
    if (q->want == STORE_FX_NONE)
        return RCM_OK;
    if (!row)
        return rcm_diag_fail(d, RCM_E_NOT_FOUND, "no row");
    size_t n = 0;
    if (q->want == STORE_FX_INT) {
        q->i = db_col_i64(st, 0);
    } else if (q->want == STORE_FX_TEXT) {
        const char *t = db_col_text(st, 0, &n);
        snprintf(q->text, sizeof q->text, "%s", t ? t : "");
    } else {
        const void *p = db_col_blob(st, 0, &n);
        if (n > sizeof q->bytes)
            return rcm_diag_fail(d, RCM_E_TOO_LARGE, "blob too large");
        memcpy(q->bytes, p, n);
        q->n = n;
    }
    return RCM_OK;
}

/* Run one statement on a connection of the test's own (pg_sql where
 * PostgreSQL needs other text) and keep the first column of its first row
 * as q->want says; fails the test on an error. */
static inline void
store_fx_query(const struct store_fx *f, const char *sql, const char *pg_sql,
               struct store_fx_query *q)
{
    struct db_sql text = {"TEST", sql, pg_sql};
    q->sql = &text;
    struct db_options o = {.backend = f->backend, .path = f->path, .conninfo = f->conninfo,
                           .password_file = f->password_file, .pool_size = 1};
    struct db *db = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    enum rcm_err err = db_open(&o, &db, &d);
    if (!err)
        err = db_write(db, store_fx_query_fn, q, &d);
    db_close(db);
    q->sql = NULL;
    if (err)
        fail_msg("%s: %s", f->backend, d.msg);
}

static inline int64_t
store_fx_int(const struct store_fx *f, const char *sql, const char *pg_sql)
{
    struct store_fx_query q = {.want = STORE_FX_INT};
    store_fx_query(f, sql, pg_sql, &q);
    return q.i;
}

static inline void
store_fx_text(const struct store_fx *f, const char *sql, const char *pg_sql, char *out,
              size_t n)
{
    struct store_fx_query q = {.want = STORE_FX_TEXT};
    store_fx_query(f, sql, pg_sql, &q);
    snprintf(out, n, "%s", q.text);
}

/* Flip one bit of byte `byte` of a blob column of row `id`, as disk damage
 * would: select_sql reads it (?1 = id), update_sql writes it (?1 = id,
 * ?2 = the blob). */
static inline void
store_fx_flip_bit(const struct store_fx *f, const char *select_sql, const char *update_sql,
                  int64_t id, size_t byte)
{
    struct store_fx_query q = {.want = STORE_FX_BLOB, .arg = id};
    store_fx_query(f, select_sql, NULL, &q);
    assert_true(q.n > byte);
    uint8_t blob[512];
    memcpy(blob, q.bytes, q.n);
    blob[byte] ^= 0x04;
    struct store_fx_query w = {.want = STORE_FX_NONE, .arg = id, .blob = blob, .blob_len = q.n};
    store_fx_query(f, update_sql, NULL, &w);
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
