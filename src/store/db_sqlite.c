/*
 * db_sqlite.c — the SQL driver on embedded SQLite.
 *
 * One writer connection behind a mutex (SQLite allows one writer; queuing
 * here is fairer and cheaper than spinning on the file lock) and a pool of
 * read connections (WAL readers never block the writer). Every connection:
 * extended result codes, defensive mode, untrusted schema off, foreign keys,
 * synchronous=FULL, secure_delete, the busy timeout; readers also
 * query_only. Writes begin with BEGIN IMMEDIATE so they take the lock up
 * front instead of failing with SQLITE_BUSY on upgrade. The same choices as
 * store_sqlite.c, which moves onto this driver in the next step (issue 21).
 *
 * Error text: sqlite3_errmsg() can quote SQL ("near \"…\": syntax error"),
 * so messages use the generic sqlite3_errstr() of the result code.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/mem.h"
#include "store/db_int.h"

/* Transaction control, prepared once per connection: a read transaction
 * costs two steps instead of two parses. */
enum sq_tc { TC_BEGIN, TC_BEGIN_IMMEDIATE, TC_COMMIT, TC_COUNT };
static const char *const tc_sql[TC_COUNT] = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT"};

struct sq_conn {
    struct db_conn base;        /* first: a struct db_conn * is a struct sq_conn * */
    sqlite3 *h;
    sqlite3_stmt *tc[TC_COUNT];
};

struct sq_stmt {
    struct db_stmt base;
    sqlite3_stmt *h;
    int64_t changes;
};

struct sq_db {
    char *path;
    int busy_timeout_ms;
    pthread_mutex_t write_mu;
    struct sq_conn writer;
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    struct sq_conn *idle;       /* idle readers, linked by base.next */
    int n_readers;              /* opened: idle or in use */
    int max_readers;
};

static struct sq_db *
sq_of(struct db *db)
{
    return db->impl;
}

/* Classify the last error on h (or `rc` when there is no handle). */
static enum rcm_err
sq_fail(struct rcm_diag *diag, sqlite3 *h, int rc, const char *what)
{
    int code = h ? sqlite3_extended_errcode(h) : rc;
    if (code == SQLITE_OK)
        code = rc;
    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return db_fail(diag, RCM_E_CONFLICT, what, "unique violation", NULL);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return db_fail(diag, RCM_E_CONFLICT, what, "foreign key violation", NULL);
    default:
        break;
    }
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        return db_fail(diag, RCM_E_BUSY, what, "database is busy", NULL);
    return db_fail(diag, RCM_E_DB, what, sqlite3_errstr(code), NULL);
}

static enum rcm_err
sq_exec(struct sq_conn *c, const char *sql, const char *what, struct rcm_diag *diag)
{
    int rc = sqlite3_exec(c->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? RCM_OK : sq_fail(diag, c->h, rc, what);
}

static enum rcm_err
sq_tc(struct sq_conn *c, enum sq_tc which, const char *what, struct rcm_diag *diag)
{
    int rc = SQLITE_OK;
    if (!c->tc[which])
        rc = sqlite3_prepare_v3(c->h, tc_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                &c->tc[which], NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(c->tc[which]);
        sqlite3_reset(c->tc[which]);
    }
    return rc == SQLITE_DONE || rc == SQLITE_OK ? RCM_OK : sq_fail(diag, c->h, rc, what);
}

static void
conn_close(struct sq_conn *c)
{
    for (int i = 0; i < TC_COUNT; i++)
        sqlite3_finalize(c->tc[i]);
    db_cache_release(&c->base);
    sqlite3_close(c->h);
    c->h = NULL;
}

static enum rcm_err
conn_open(struct db *db, struct sq_conn *c, bool read_only, struct rcm_diag *diag)
{
    struct sq_db *sq = sq_of(db);
    memset(c, 0, sizeof *c);
    c->base.db = db;
    int rc = sqlite3_open_v2(sq->path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        enum rcm_err err = sq_fail(diag, c->h, rc, "cannot open database");
        sqlite3_close(c->h);
        c->h = NULL;
        return err;
    }
    sqlite3_extended_result_codes(c->h, 1);
    sqlite3_db_config(c->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(c->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_busy_timeout(c->h, sq->busy_timeout_ms);
    enum rcm_err err = sq_exec(c,
                               "PRAGMA journal_mode=WAL;"
                               "PRAGMA synchronous=FULL;"
                               "PRAGMA foreign_keys=ON;"
                               /* temporary tables, indexes and statement
                                * journals stay in memory: never a file of
                                * row data in /var/tmp */
                               "PRAGMA temp_store=MEMORY;"
                               /* freed pages are zeroed: deleted rows do
                                * not linger in the file */
                               "PRAGMA secure_delete=ON;", "open", diag);
    if (!err && read_only)
        err = sq_exec(c, "PRAGMA query_only=ON;", "open", diag);
    if (err)
        conn_close(c);
    return err;
}

/* Create the file 0600 before SQLite does (it would use 0644); SQLite
 * gives the -wal and -shm files the same mode. An existing file is never
 * opened here: closing any descriptor of a file drops every POSIX lock this
 * process holds on it, including those of SQLite connections already open
 * on it (another struct db, the store), and another process could then
 * take the database as its own alone and delete the WAL under them. */
static enum rcm_err
create_private(const char *path, struct rcm_diag *diag)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat sb;
    if (fd < 0 && errno == EEXIST) {
        if (lstat(path, &sb) == 0 && !S_ISLNK(sb.st_mode))
            return RCM_OK;
        errno = ELOOP;      /* as O_NOFOLLOW would have said */
    }
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot create database %s: %s", path,
                             strerror(errno));
    close(fd);
    return RCM_OK;
}

static void
sq_close(struct db *db)
{
    struct sq_db *sq = sq_of(db);
    if (!sq)
        return;
    while (sq->idle) {
        struct sq_conn *c = sq->idle;
        sq->idle = (struct sq_conn *)c->base.next;
        conn_close(c);
        rcm_free(c);
    }
    if (sq->writer.h) {
        /* let SQLite fold the WAL back and refresh planner statistics */
        sqlite3_exec(sq->writer.h, "PRAGMA optimize", NULL, NULL, NULL);
        conn_close(&sq->writer);
    }
    pthread_mutex_destroy(&sq->write_mu);
    pthread_mutex_destroy(&sq->pool_mu);
    pthread_cond_destroy(&sq->pool_cv);
    rcm_free(sq->path);
    rcm_free(sq);
    db->impl = NULL;
}

static enum rcm_err
sq_open(struct db *db, const struct db_options *opt, struct rcm_diag *diag)
{
    if (!opt->path || !opt->path[0])
        return rcm_diag_fail(diag, RCM_E_CONFIG, "database path is empty");
    struct sq_db *sq = rcm_calloc(1, sizeof *sq);
    if (!sq)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "cannot open database: out of memory");
    db->impl = sq;
    pthread_mutex_init(&sq->write_mu, NULL);
    pthread_mutex_init(&sq->pool_mu, NULL);
    pthread_cond_init(&sq->pool_cv, NULL);
    sq->busy_timeout_ms = opt->busy_timeout_ms;
    sq->max_readers = opt->pool_size;
    sq->path = rcm_strdup(opt->path);
    enum rcm_err err = sq->path ? create_private(opt->path, diag)
                                : rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
    if (!err)
        err = conn_open(db, &sq->writer, false, diag);
    if (err)
        sq_close(db);
    return err;
}

/* ---- transactions ------------------------------------------------------ */

static enum rcm_err
reader_acquire(struct db *db, struct sq_conn **out, struct rcm_diag *diag)
{
    struct sq_db *sq = sq_of(db);
    pthread_mutex_lock(&sq->pool_mu);
    while (!sq->idle && sq->n_readers >= sq->max_readers)
        pthread_cond_wait(&sq->pool_cv, &sq->pool_mu);
    if (sq->idle) {
        *out = sq->idle;
        sq->idle = (struct sq_conn *)sq->idle->base.next;
        pthread_mutex_unlock(&sq->pool_mu);
        return RCM_OK;
    }
    sq->n_readers++;
    pthread_mutex_unlock(&sq->pool_mu);

    struct sq_conn *c = rcm_calloc(1, sizeof *c);
    enum rcm_err err = c ? conn_open(db, c, true, diag)
                         : rcm_diag_fail(diag, RCM_E_NOMEM, "begin: out of memory");
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
reader_release(struct db *db, struct sq_conn *c)
{
    struct sq_db *sq = sq_of(db);
    pthread_mutex_lock(&sq->pool_mu);
    c->base.next = sq->idle ? &sq->idle->base : NULL;
    sq->idle = c;
    pthread_cond_signal(&sq->pool_cv);
    pthread_mutex_unlock(&sq->pool_mu);
}

static enum rcm_err
sq_begin(struct db *db, enum db_mode mode, struct db_conn **out, struct rcm_diag *diag)
{
    struct sq_db *sq = sq_of(db);
    if (mode == DB_WRITE) {
        pthread_mutex_lock(&sq->write_mu);
        enum rcm_err err = sq_tc(&sq->writer, TC_BEGIN_IMMEDIATE, "begin", diag);
        if (err) {
            pthread_mutex_unlock(&sq->write_mu);
            return err;
        }
        *out = &sq->writer.base;
        return RCM_OK;
    }
    struct sq_conn *c = NULL;
    enum rcm_err err = reader_acquire(db, &c, diag);
    if (err)
        return err;
    err = sq_tc(c, TC_BEGIN, "begin", diag);
    if (err) {
        reader_release(db, c);
        return err;
    }
    *out = &c->base;
    return RCM_OK;
}

static enum rcm_err
sq_end(struct db *db, struct db_conn *base, enum db_mode mode, bool commit,
       struct rcm_diag *diag)
{
    struct sq_db *sq = sq_of(db);
    struct sq_conn *c = (struct sq_conn *)base;
    enum rcm_err err = RCM_OK;
    if (commit)
        err = sq_tc(c, TC_COMMIT, "commit", diag);
    if ((!commit || err) && !sqlite3_get_autocommit(c->h))
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    if (mode == DB_WRITE)
        pthread_mutex_unlock(&sq->write_mu);
    else
        reader_release(db, c);
    return err;
}

static enum rcm_err
sq_exec_script(struct db_conn *base, const char *name, const char *text,
               struct rcm_diag *diag)
{
    return sq_exec((struct sq_conn *)base, text, name, diag);
}

/* ---- statements -------------------------------------------------------- */

static enum rcm_err
sq_stmt_new(struct db_conn *base, const struct db_sql *sql, struct db_stmt **out,
            struct rcm_diag *diag)
{
    struct sq_conn *c = (struct sq_conn *)base;
    struct sq_stmt *st = rcm_calloc(1, sizeof *st);
    if (!st)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "%s: out of memory", sql->id_name);
    st->base.sql = sql;
    st->base.conn = base;
    int rc = sqlite3_prepare_v3(c->h, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &st->h, NULL);
    if (rc != SQLITE_OK) {
        enum rcm_err err = sq_fail(diag, c->h, rc, sql->id_name);
        rcm_free(st);
        return err;
    }
    *out = &st->base;
    return RCM_OK;
}

static void
sq_stmt_free(struct db_stmt *base)
{
    struct sq_stmt *st = (struct sq_stmt *)base;
    sqlite3_finalize(st->h);
    rcm_free(st);
}

static void
sq_stmt_reset(struct db_stmt *base)
{
    struct sq_stmt *st = (struct sq_stmt *)base;
    sqlite3_reset(st->h);
    sqlite3_clear_bindings(st->h);
    st->changes = 0;
}

static void
bind_check(struct db_stmt *st, int i, int rc)
{
    if (rc == SQLITE_RANGE)
        db_stmt_error(st, RCM_E_RANGE, "no parameter %d", i);
    else if (rc == SQLITE_TOOBIG)
        db_stmt_error(st, RCM_E_TOO_LARGE, "parameter %d too large", i);
    else if (rc != SQLITE_OK)
        db_stmt_error(st, rc == SQLITE_NOMEM ? RCM_E_NOMEM : RCM_E_DB,
                      "cannot bind parameter %d", i);
}

static void
sq_bind_i64(struct db_stmt *base, int i, int64_t v)
{
    bind_check(base, i, sqlite3_bind_int64(((struct sq_stmt *)base)->h, i, v));
}

static void
sq_bind_text(struct db_stmt *base, int i, const char *s, size_t n)
{
    bind_check(base, i, sqlite3_bind_text64(((struct sq_stmt *)base)->h, i, s,
                                            (sqlite3_uint64)n, SQLITE_TRANSIENT,
                                            SQLITE_UTF8));
}

static void
sq_bind_blob(struct db_stmt *base, int i, const void *p, size_t n)
{
    bind_check(base, i, sqlite3_bind_blob64(((struct sq_stmt *)base)->h, i, p,
                                            (sqlite3_uint64)n, SQLITE_TRANSIENT));
}

static void
sq_bind_null(struct db_stmt *base, int i)
{
    bind_check(base, i, sqlite3_bind_null(((struct sq_stmt *)base)->h, i));
}

static enum rcm_err
sq_step(struct db_stmt *base, bool *row, struct rcm_diag *diag)
{
    struct sq_stmt *st = (struct sq_stmt *)base;
    sqlite3 *h = ((struct sq_conn *)base->conn)->h;
    int rc = sqlite3_step(st->h);
    if (rc == SQLITE_ROW) {
        *row = true;
        return RCM_OK;
    }
    if (rc == SQLITE_DONE) {
        *row = false;
        st->changes = sqlite3_changes64(h);
        return RCM_OK;
    }
    enum rcm_err err = sq_fail(diag, h, rc, base->sql->id_name);
    int code = sqlite3_extended_errcode(h);
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
        base->violation = DB_VIOLATION_UNIQUE;
    else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
        base->violation = DB_VIOLATION_FOREIGN_KEY;
    sqlite3_reset(st->h);
    return err;
}

static int
sq_col_count(struct db_stmt *base)
{
    return sqlite3_data_count(((struct sq_stmt *)base)->h);
}

static bool
sq_col_is_null(struct db_stmt *base, int i)
{
    return sqlite3_column_type(((struct sq_stmt *)base)->h, i) == SQLITE_NULL;
}

static int64_t
sq_col_i64(struct db_stmt *base, int i)
{
    sqlite3_stmt *h = ((struct sq_stmt *)base)->h;
    int t = sqlite3_column_type(h, i);
    if (t == SQLITE_INTEGER)
        return sqlite3_column_int64(h, i);
    if (t != SQLITE_NULL)
        db_stmt_error(base, RCM_E_DB, "column %d is not an integer", i);
    return 0;
}

static const char *
sq_col_text(struct db_stmt *base, int i, size_t *len)
{
    sqlite3_stmt *h = ((struct sq_stmt *)base)->h;
    int t = sqlite3_column_type(h, i);
    if (t == SQLITE_NULL)
        return NULL;
    if (t != SQLITE_TEXT) {
        db_stmt_error(base, RCM_E_DB, "column %d is not text", i);
        return NULL;
    }
    const char *s = (const char *)sqlite3_column_text(h, i);
    if (!s) {
        db_stmt_error(base, RCM_E_NOMEM, "column %d: out of memory", i);
        return NULL;
    }
    if (len)
        *len = (size_t)sqlite3_column_bytes(h, i);
    return s;
}

static const void *
sq_col_blob(struct db_stmt *base, int i, size_t *len)
{
    static const uint8_t empty[1];
    sqlite3_stmt *h = ((struct sq_stmt *)base)->h;
    int t = sqlite3_column_type(h, i);
    if (t == SQLITE_NULL)
        return NULL;
    if (t != SQLITE_BLOB && t != SQLITE_TEXT) {
        db_stmt_error(base, RCM_E_DB, "column %d is not a blob", i);
        return NULL;
    }
    const void *p = sqlite3_column_blob(h, i);
    size_t n = (size_t)sqlite3_column_bytes(h, i);
    if (len)
        *len = n;
    if (!p && n == 0)
        return empty;           /* zero-length, not NULL */
    if (!p)
        db_stmt_error(base, RCM_E_NOMEM, "column %d: out of memory", i);
    return p;
}

static int64_t
sq_changes(struct db_stmt *base)
{
    return ((struct sq_stmt *)base)->changes;
}

/* ---- backup ------------------------------------------------------------ */

static enum rcm_err
sq_backup(struct db *db, const char *path, struct rcm_diag *diag)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return rcm_diag_fail(diag, errno == EEXIST ? RCM_E_CONFLICT : RCM_E_IO,
                             "cannot create %s: %s", path, strerror(errno));
    close(fd);
    sqlite3 *dest = NULL;
    struct sq_conn *c = NULL;
    enum rcm_err err = RCM_OK;
    if (sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        err = sq_fail(diag, dest, SQLITE_CANTOPEN, "open backup");
    if (!err)
        err = reader_acquire(db, &c, diag);
    if (!err) {
        /* one step copies every page under one read transaction: a
         * consistent snapshot while writers go on in the WAL */
        sqlite3_backup *b = sqlite3_backup_init(dest, "main", c->h, "main");
        if (!b) {
            err = sq_fail(diag, dest, SQLITE_ERROR, "backup");
        } else {
            int rc = sqlite3_backup_step(b, -1);
            sqlite3_backup_finish(b);
            if (rc != SQLITE_DONE)
                err = sq_fail(diag, dest, rc, "backup");
        }
        reader_release(db, c);
    }
    /* leave one self-contained file: fold the copy's WAL back */
    if (!err && sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        err = sq_fail(diag, dest, SQLITE_ERROR, "backup");
    sqlite3_close(dest);
    if (err)
        unlink(path);
    return err;
}

const struct db_backend db_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .end = sq_end,
    .exec_script = sq_exec_script,
    .stmt_new = sq_stmt_new,
    .stmt_free = sq_stmt_free,
    .stmt_reset = sq_stmt_reset,
    .bind_i64 = sq_bind_i64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_count = sq_col_count,
    .col_is_null = sq_col_is_null,
    .col_i64 = sq_col_i64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .backup = sq_backup,
};
