/*
 * db.h — the SQL driver under src/store: one small API over SQLite and
 * PostgreSQL (libpq), so each store domain is written once (issue 21,
 * ADR 0004). Private to src/store; nothing above store.h sees it.
 *
 * What it is: connections and their pool, read and write transactions,
 * statements prepared once per connection and cached, typed binds and
 * columns, a script runner for migrations, and database errors classified
 * into enum rcm_err. What it is not: a query builder or an ORM. SQL is
 * written by the caller, once, in the dialect both databases accept:
 *
 *   - placeholders are SQLite's numbered `?1 ?2` (a bare `?` takes the next
 *     number, as in SQLite); for libpq they are rewritten to `$1 $2` at
 *     prepare time, outside string literals, quoted identifiers and
 *     comments. So PostgreSQL's jsonb `?` operator cannot be written; use
 *     jsonb_exists().
 *   - `RETURNING` and `ON CONFLICT … DO UPDATE/NOTHING` work on both.
 *   - where a statement must differ, `pg_text` holds the PostgreSQL text
 *     beside the shared one (same placeholder style).
 *   - integers are int64 everywhere; on PostgreSQL a parameter is encoded
 *     by the type the server inferred for it (int8/int4/int2/bool binary,
 *     range-checked; text and bytea raw), and a column is decoded by its type
 *     OID (int8/int4/int2/bool/oid, text-like, bytea). A column of another
 *     type (numeric from sum(), timestamps) is an error: cast it in SQL.
 *
 * Transactions. A read transaction is a snapshot (SQLite: a pooled read-only
 * WAL connection, deferred BEGIN; PostgreSQL: a pooled connection, BEGIN
 * ISOLATION LEVEL REPEATABLE READ READ ONLY). A write transaction is
 * serializable (SQLite: the one writer connection behind a mutex, BEGIN
 * IMMEDIATE; PostgreSQL: a pooled connection, BEGIN ISOLATION LEVEL
 * SERIALIZABLE), so a check-then-write rule written once is as safe on both;
 * PostgreSQL reports the conflicts SQLite avoids by queuing as RCM_E_BUSY,
 * and db_write() retries them. After any error inside a transaction the only
 * thing left to do is db_rollback() (PostgreSQL aborts the transaction; the
 * driver makes SQLite behave the same): later calls fail without touching
 * the database and db_commit() rolls back.
 *
 * Errors. Unique or primary-key violation: RCM_E_CONFLICT ("unique
 * violation"); foreign key: RCM_E_CONFLICT ("foreign key violation");
 * busy, locked, lock timeout, serialization failure, deadlock: RCM_E_BUSY;
 * anything else: RCM_E_DB. Messages name the statement id and the reason
 * (and SQLSTATE on PostgreSQL), never SQL text, a parameter or a row value:
 * those may hold PHI.
 *
 * Threads: a struct db is shared by any number of threads; a transaction
 * and its statements belong to the thread that began it.
 */
#ifndef RCM_STORE_DB_H
#define RCM_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

struct db;
struct db_tx;
struct db_stmt;

struct db_options {
    const char *backend;        /* "sqlite" or "postgres" */
    const char *path;           /* sqlite: database file, created 0600 */
    /* postgres: libpq connection string without a password, e.g.
     * "host=127.0.0.1 port=5433 dbname=openrcm user=openrcm" */
    const char *conninfo;
    /* postgres: file holding the password (first line), mode 0600 or
     * stricter; NULL when the server needs none. Never argv or env. */
    const char *password_file;
    /* SQLite busy timeout; PostgreSQL lock_timeout. 0 = 5000. */
    int busy_timeout_ms;
    /* SQLite read connections; PostgreSQL connections. 0 = 4. */
    int pool_size;
};

/* A statement, declared once in the caller's static table; the driver keys
 * its per-connection cache by the struct's address. */
struct db_sql {
    const char *id_name;        /* for messages: "TENANT_INSERT" */
    const char *text;           /* both databases, ?N placeholders */
    const char *pg_text;        /* PostgreSQL override; NULL = text */
};

enum db_mode { DB_READ, DB_WRITE };

/* Open the database described by opt (borrowed). SQLite: creates the file
 * 0600 and opens the writer; PostgreSQL: reads the password file (refused
 * when group or others may read it) and opens one connection to fail fast.
 * *out is returned owned: free with db_close. */
enum rcm_err db_open(const struct db_options *opt, struct db **out,
                     struct rcm_diag *diag) RCM_MUST_CHECK;
/* Close every connection; no transaction may be open. NULL is a no-op. */
void db_close(struct db *db);
/* "sqlite" or "postgres": picks the migrations directory. */
const char *db_backend(const struct db *db);

/* Begin a transaction (see the top of this file). Waits for a connection
 * when the pool is exhausted. RCM_E_BUSY when another process holds the
 * SQLite write lock past the busy timeout. *tx is valid until db_commit or
 * db_rollback. */
enum rcm_err db_begin(struct db *db, enum db_mode mode, struct db_tx **tx,
                      struct rcm_diag *diag) RCM_MUST_CHECK;
/* Commit and release tx, whatever the result. A transaction that has seen
 * an error is rolled back and its error returned again. RCM_E_BUSY on a
 * PostgreSQL serialization failure at commit. */
enum rcm_err db_commit(struct db_tx *tx, struct rcm_diag *diag) RCM_MUST_CHECK;
/* Roll back and release tx. NULL is a no-op. */
void db_rollback(struct db_tx *tx);

/* Run fn(tx, ctx, diag) in a write transaction and commit; on RCM_E_BUSY
 * (from begin, fn or commit) roll back, wait (1, 2, 4 … 64 ms, jittered)
 * and run it again, up to DB_WRITE_TRIES times in all. Any other error
 * from fn rolls back and is returned. fn must therefore be safe to re-run:
 * no side effects outside the transaction. */
#define DB_WRITE_TRIES 8
typedef enum rcm_err (*db_write_fn)(struct db_tx *tx, void *ctx, struct rcm_diag *diag);
enum rcm_err db_write(struct db *db, db_write_fn fn, void *ctx,
                      struct rcm_diag *diag) RCM_MUST_CHECK;

/* Run a multi-statement script (a migration) inside tx: no parameters, no
 * rows. `name` (e.g. "0001_init.sql") is used in messages. */
enum rcm_err db_exec_script(struct db_tx *tx, const char *name, const char *text,
                            struct rcm_diag *diag) RCM_MUST_CHECK;

/* The statement for sql (borrowed; must outlive db) on tx's connection,
 * prepared on first use and cached, reset and with no bindings. *st is
 * borrowed: valid until the transaction ends or st is prepared again. */
enum rcm_err db_prepare(struct db_tx *tx, const struct db_sql *sql, struct db_stmt **st,
                        struct rcm_diag *diag) RCM_MUST_CHECK;

/* Bind parameter `i` (1-based, the N of ?N). Binds do not fail on their
 * own: an index out of range, a value out of the column type's range or an
 * allocation failure is kept and returned by the next db_step. Text and
 * blob bytes are borrowed until that db_step returns. Text is UTF-8. */
void db_bind_i64(struct db_stmt *st, int i, int64_t v);
void db_bind_text(struct db_stmt *st, int i, const char *s);  /* NULL binds NULL */
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
void db_bind_null(struct db_stmt *st, int i);

/* Execute (first call) or advance: *row is true when a row is ready for
 * db_col_*, false when the statement is done. An error ends the statement
 * and fails the transaction. */
enum rcm_err db_step(struct db_stmt *st, bool *row, struct rcm_diag *diag) RCM_MUST_CHECK;
/* Step st to its end for its effect (INSERT, UPDATE, DELETE without
 * RETURNING), ignoring any rows. */
enum rcm_err db_exec(struct db_stmt *st, struct rcm_diag *diag) RCM_MUST_CHECK;

/* Columns of the current row, 0-based. NULL reads as 0 / NULL pointer.
 * Text and blob pointers are borrowed until the next db_step or the end of
 * the transaction; text is NUL-terminated and *len (optional) excludes the
 * NUL. A column of a type the call cannot read is kept as an error for the
 * next db_step. */
int db_col_count(struct db_stmt *st);
bool db_col_is_null(struct db_stmt *st, int i);
int64_t db_col_i64(struct db_stmt *st, int i);
const char *db_col_text(struct db_stmt *st, int i, size_t *len);
const void *db_col_blob(struct db_stmt *st, int i, size_t *len);

/* Text column i, or "" for NULL: never a NULL pointer. */
const char *db_col_str(struct db_stmt *st, int i);
/* Copy blob column i into out when it holds exactly n bytes; false (out
 * untouched) for NULL or another size — a corrupt key or hash. */
bool db_col_blob_exact(struct db_stmt *st, int i, void *out, size_t n);
/* Column i (text, NULL as "") copied into out[cap], always terminated. */
void db_col_copy(struct db_stmt *st, int i, char *out, size_t cap);
/* Column i as an integer, or dflt when it is NULL. */
int64_t db_col_i64_or(struct db_stmt *st, int i, int64_t dflt);
/* Bind s, or NULL when s is NULL or "" (an optional text). */
void db_bind_text_or_null(struct db_stmt *st, int i, const char *s);
/* Bind id when it is above 0, else NULL (an optional reference). */
void db_bind_id_or_null(struct db_stmt *st, int i, int64_t id);

/* Rows inserted, updated or deleted by st (after it is done). */
int64_t db_changes(struct db_stmt *st);

/* Which constraint the last db_step of st broke (RCM_E_CONFLICT), so a
 * domain can say "a user with this email exists" or "no such tenant". */
enum db_violation { DB_VIOLATION_NONE, DB_VIOLATION_UNIQUE, DB_VIOLATION_FOREIGN_KEY };
enum db_violation db_violation(const struct db_stmt *st);

/* Consistent copy of the whole database to a new file `path` (mode 0600),
 * taken while writers go on. SQLite only: RCM_E_UNSUPPORTED on PostgreSQL,
 * whose tools (pg_dump, base backups) do it better. */
enum rcm_err db_backup(struct db *db, const char *path, struct rcm_diag *diag) RCM_MUST_CHECK;

/* "sqlite 3.40.1, libpq 15.x": the libraries linked in. */
const char *db_library_versions(void);

/* Statements prepared since db_open, over all connections (tests, bench:
 * proves the cache works). */
int64_t db_prepare_count(struct db *db);

/* Rewrite ?N / ? placeholders to $N outside literals, identifiers and
 * comments into out (capacity cap). *max_param gets the highest N.
 * RCM_E_TOO_LARGE when out is too small, RCM_E_PARSE on ?0 or N > 999 or
 * an unterminated literal. Exposed for tests. */
enum rcm_err db_sql_to_pg(const char *in, char *out, size_t cap, int *max_param)
    RCM_MUST_CHECK;

#endif
