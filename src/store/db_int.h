/*
 * db_int.h — between db.c (what both databases share: transactions'
 * bookkeeping, the statement cache, retries, placeholder rewriting, error
 * messages) and one backend (db_sqlite.c, db_pg.c). Nothing else includes it.
 *
 * A backend embeds struct db_conn first in its connection and struct
 * db_stmt first in its statement, and fills one struct db_backend.
 */
#ifndef RCM_STORE_DB_INT_H
#define RCM_STORE_DB_INT_H

#include <pthread.h>

#include "store/db.h"

struct db_backend;

/* The statement cache of one connection: open addressing on the address of
 * the caller's struct db_sql. */
struct db_cache {
    struct db_stmt **slot;
    size_t cap;                 /* power of two, 0 before first use */
    size_t used;
};

struct db_tx {
    struct db *db;
    struct db_conn *conn;
    enum db_mode mode;
    enum rcm_err failed;        /* first error seen inside, RCM_OK if none */
};

struct db_conn {
    struct db *db;
    struct db_cache cache;
    struct db_tx tx;            /* the one transaction open on it */
    struct db_conn *next;       /* idle list */
};

struct db_stmt {
    const struct db_sql *sql;
    struct db_conn *conn;
    enum rcm_err err;           /* sticky bind/column error, see db.h */
    char err_msg[96];
    bool active;                /* stepped since last reset */
    enum db_violation violation; /* set by a backend's failed step */
};

struct db {
    const struct db_backend *be;
    void *impl;
    pthread_mutex_t count_mu;
    int64_t prepares;
};

struct db_backend {
    const char *name;
    enum rcm_err (*open)(struct db *db, const struct db_options *opt, struct rcm_diag *diag);
    void (*close)(struct db *db);
    /* take a connection and BEGIN; on failure nothing is held */
    enum rcm_err (*begin)(struct db *db, enum db_mode mode, struct db_conn **conn,
                          struct rcm_diag *diag);
    /* COMMIT (commit) or ROLLBACK, and give the connection back */
    enum rcm_err (*end)(struct db *db, struct db_conn *conn, enum db_mode mode, bool commit,
                        struct rcm_diag *diag);
    enum rcm_err (*exec_script)(struct db_conn *conn, const char *name, const char *text,
                                struct rcm_diag *diag);
    /* a new, prepared statement for sql on conn (owned: stmt_free) */
    enum rcm_err (*stmt_new)(struct db_conn *conn, const struct db_sql *sql,
                             struct db_stmt **out, struct rcm_diag *diag);
    void (*stmt_free)(struct db_stmt *st);
    void (*stmt_reset)(struct db_stmt *st);
    void (*bind_i64)(struct db_stmt *st, int i, int64_t v);
    void (*bind_text)(struct db_stmt *st, int i, const char *s, size_t n);
    void (*bind_blob)(struct db_stmt *st, int i, const void *p, size_t n);
    void (*bind_null)(struct db_stmt *st, int i);
    enum rcm_err (*step)(struct db_stmt *st, bool *row, struct rcm_diag *diag);
    int (*col_count)(struct db_stmt *st);
    bool (*col_is_null)(struct db_stmt *st, int i);
    int64_t (*col_i64)(struct db_stmt *st, int i);
    const char *(*col_text)(struct db_stmt *st, int i, size_t *len);
    const void *(*col_blob)(struct db_stmt *st, int i, size_t *len);
    int64_t (*changes)(struct db_stmt *st);
    /* NULL: RCM_E_UNSUPPORTED */
    enum rcm_err (*backup)(struct db *db, const char *path, struct rcm_diag *diag);
};

extern const struct db_backend db_sqlite_backend;
extern const struct db_backend db_pg_backend;

/* Record a sticky bind/column error on st (first one wins). */
void db_stmt_error(struct db_stmt *st, enum rcm_err err, const char *fmt, ...)
    RCM_PRINTF(3, 4);
/* Free every cached statement of conn (before the connection closes). */
void db_cache_release(struct db_conn *conn);
/* Reset every statement of conn still active (at the end of a transaction). */
void db_cache_reset(struct db_conn *conn);
void db_count_prepare(struct db *db);

/* Classified failure: `what` is a statement id or "begin", "commit"…;
 * `reason` a fixed phrase; sqlstate may be NULL. */
enum rcm_err db_fail(struct rcm_diag *diag, enum rcm_err code, const char *what,
                     const char *reason, const char *sqlstate);

#endif
