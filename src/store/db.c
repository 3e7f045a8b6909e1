/*
 * db.c — the parts of the SQL driver both databases share: backend choice,
 * transaction bookkeeping (a failed transaction stays failed until rolled
 * back), the per-connection statement cache, the write-retry loop, the
 * ?N → $N rewrite and error messages. The databases themselves are in
 * db_sqlite.c and db_pg.c. See db.h for the contract.
 */
#include "rcm/str.h"
#include "store/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "rcm/mem.h"
#include "store/db_int.h"

static const struct db_backend *const backends[] = {
    &db_sqlite_backend,
    &db_pg_backend,
};

enum rcm_err
db_fail(struct rcm_diag *diag, enum rcm_err code, const char *what, const char *reason,
        const char *sqlstate)
{
    if (sqlstate && sqlstate[0])
        return rcm_diag_fail(diag, code, "%s: %s (SQLSTATE %.5s)", what, reason, sqlstate);
    return rcm_diag_fail(diag, code, "%s: %s", what, reason);
}

void
db_stmt_error(struct db_stmt *st, enum rcm_err err, const char *fmt, ...)
{
    if (st->err)
        return;
    st->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err_msg, sizeof st->err_msg, fmt, ap);
    va_end(ap);
}

void
db_count_prepare(struct db *db)
{
    pthread_mutex_lock(&db->count_mu);
    db->prepares++;
    pthread_mutex_unlock(&db->count_mu);
}

int64_t
db_prepare_count(struct db *db)
{
    pthread_mutex_lock(&db->count_mu);
    int64_t n = db->prepares;
    pthread_mutex_unlock(&db->count_mu);
    return n;
}

/* ---- open / close ------------------------------------------------------ */

enum rcm_err
db_open(const struct db_options *opt, struct db **out, struct rcm_diag *diag)
{
    *out = NULL;
    const struct db_backend *be = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (opt->backend && strcmp(opt->backend, backends[i]->name) == 0)
            be = backends[i];
    if (!be)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "unknown database backend %s",
                             opt->backend ? opt->backend : "(none)");
    struct db *db = rcm_calloc(1, sizeof *db);
    if (!db)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "cannot open database: out of memory");
    db->be = be;
    pthread_mutex_init(&db->count_mu, NULL);
    struct db_options o = *opt;
    if (o.busy_timeout_ms <= 0)
        o.busy_timeout_ms = 5000;
    if (o.pool_size <= 0)
        o.pool_size = 4;
    enum rcm_err err = be->open(db, &o, diag);
    if (err) {
        pthread_mutex_destroy(&db->count_mu);
        rcm_free(db);
        return err;
    }
    *out = db;
    return RCM_OK;
}

void
db_close(struct db *db)
{
    if (!db)
        return;
    db->be->close(db);
    pthread_mutex_destroy(&db->count_mu);
    rcm_free(db);
}

const char *
db_backend(const struct db *db)
{
    return db->be->name;
}

/* ---- transactions ------------------------------------------------------ */

enum rcm_err
db_begin(struct db *db, enum db_mode mode, struct db_tx **tx, struct rcm_diag *diag)
{
    *tx = NULL;
    struct db_conn *c = NULL;
    enum rcm_err err = db->be->begin(db, mode, &c, diag);
    if (err)
        return err;
    c->tx = (struct db_tx){.db = db, .conn = c, .mode = mode, .failed = RCM_OK};
    *tx = &c->tx;
    return RCM_OK;
}

enum rcm_err
db_commit(struct db_tx *tx, struct rcm_diag *diag)
{
    struct db *db = tx->db;
    struct db_conn *c = tx->conn;
    enum rcm_err failed = RCM_OK;
    if (tx->failed)
        failed = rcm_diag_fail(diag, tx->failed,
                               "commit: transaction failed earlier, rolled back");
    /* a column read that could not be done, after the last db_step */
    for (size_t i = 0; !failed && i < c->cache.cap; i++) {
        struct db_stmt *st = c->cache.slot[i];
        if (st && st->err)
            failed = rcm_diag_fail(diag, st->err, "%s: %s, rolled back", st->sql->id_name,
                                   st->err_msg);
    }
    db_cache_reset(c);
    if (failed) {
        (void)db->be->end(db, c, tx->mode, false, NULL);
        return failed;
    }
    return db->be->end(db, c, tx->mode, true, diag);
}

void
db_rollback(struct db_tx *tx)
{
    if (!tx)
        return;
    db_cache_reset(tx->conn);
    (void)tx->db->be->end(tx->db, tx->conn, tx->mode, false, NULL);
}

static void
backoff(int attempt)
{
    /* 1, 2, 4 … 64 ms, each between half and the whole (jitter keeps two
     * retrying writers from meeting again) */
    long ms = 1L << (attempt < 6 ? attempt : 6);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ns = ms * 1000000L / 2 + (long)((unsigned long)now.tv_nsec % (unsigned long)(ms * 500000L + 1));
    struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};
    nanosleep(&ts, NULL);
}

enum rcm_err
db_write(struct db *db, db_write_fn fn, void *ctx, struct rcm_diag *diag)
{
    enum rcm_err err = RCM_OK;
    for (int attempt = 0; attempt < DB_WRITE_TRIES; attempt++) {
        if (attempt > 0)
            backoff(attempt - 1);
        struct db_tx *tx = NULL;
        err = db_begin(db, DB_WRITE, &tx, diag);
        if (err == RCM_E_BUSY)
            continue;
        if (err)
            return err;
        err = fn(tx, ctx, diag);
        if (!err && tx->failed)
            err = tx->failed;   /* fn swallowed an error: do not commit */
        if (err) {
            db_rollback(tx);
            if (err == RCM_E_BUSY)
                continue;
            return err;
        }
        err = db_commit(tx, diag);
        if (err != RCM_E_BUSY)
            return err;
    }
    return err;
}

static enum rcm_err
tx_check(struct db_tx *tx, const char *what, struct rcm_diag *diag)
{
    if (tx->failed)
        return rcm_diag_fail(diag, tx->failed, "%s: transaction failed earlier", what);
    return RCM_OK;
}

enum rcm_err
db_exec_script(struct db_tx *tx, const char *name, const char *text, struct rcm_diag *diag)
{
    enum rcm_err err = tx_check(tx, name, diag);
    if (err)
        return err;
    if (tx->mode != DB_WRITE)
        return rcm_diag_fail(diag, RCM_E_INVAL, "%s: script needs a write transaction", name);
    err = tx->db->be->exec_script(tx->conn, name, text, diag);
    if (err)
        tx->failed = err;
    return err;
}

/* ---- statement cache --------------------------------------------------- */

static size_t
slot_of(const struct db_sql *sql, size_t cap)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 7) & (cap - 1);
}

static struct db_stmt *
cache_find(struct db_cache *c, const struct db_sql *sql)
{
    if (!c->cap)
        return NULL;
    for (size_t i = slot_of(sql, c->cap);; i = (i + 1) & (c->cap - 1)) {
        if (!c->slot[i])
            return NULL;
        if (c->slot[i]->sql == sql)
            return c->slot[i];
    }
}

static enum rcm_err
cache_add(struct db_cache *c, struct db_stmt *st)
{
    if ((c->used + 1) * 4 > c->cap * 3) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct db_stmt **slot = rcm_calloc(cap, sizeof *slot);
        if (!slot)
            return RCM_E_NOMEM;
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->slot[i])
                continue;
            size_t j = slot_of(c->slot[i]->sql, cap);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = c->slot[i];
        }
        rcm_free(c->slot);
        c->slot = slot;
        c->cap = cap;
    }
    size_t j = slot_of(st->sql, c->cap);
    while (c->slot[j])
        j = (j + 1) & (c->cap - 1);
    c->slot[j] = st;
    c->used++;
    return RCM_OK;
}

void
db_cache_release(struct db_conn *conn)
{
    struct db_cache *c = &conn->cache;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slot[i])
            conn->db->be->stmt_free(c->slot[i]);
    rcm_free(c->slot);
    memset(c, 0, sizeof *c);
}

static void
stmt_reset(struct db_stmt *st)
{
    st->conn->db->be->stmt_reset(st);
    st->err = RCM_OK;
    st->err_msg[0] = '\0';
    st->active = false;
    st->violation = DB_VIOLATION_NONE;
}

void
db_cache_reset(struct db_conn *conn)
{
    struct db_cache *c = &conn->cache;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slot[i] && (c->slot[i]->active || c->slot[i]->err))
            stmt_reset(c->slot[i]);
}

enum rcm_err
db_prepare(struct db_tx *tx, const struct db_sql *sql, struct db_stmt **out,
           struct rcm_diag *diag)
{
    *out = NULL;
    enum rcm_err err = tx_check(tx, sql->id_name, diag);
    if (err)
        return err;
    struct db_conn *conn = tx->conn;
    struct db_stmt *st = cache_find(&conn->cache, sql);
    if (st) {
        stmt_reset(st);
        *out = st;
        return RCM_OK;
    }
    err = tx->db->be->stmt_new(conn, sql, &st, diag);
    if (!err) {
        db_count_prepare(tx->db);
        if (cache_add(&conn->cache, st) != RCM_OK) {
            tx->db->be->stmt_free(st);
            err = rcm_diag_fail(diag, RCM_E_NOMEM, "%s: out of memory", sql->id_name);
        }
    }
    if (err) {
        tx->failed = err;
        return err;
    }
    *out = st;
    return RCM_OK;
}

/* ---- binds, steps, columns -------------------------------------------- */

void
db_bind_i64(struct db_stmt *st, int i, int64_t v)
{
    st->conn->db->be->bind_i64(st, i, v);
}

void
db_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (!s)
        st->conn->db->be->bind_null(st, i);
    else
        st->conn->db->be->bind_text(st, i, s, strlen(s));
}

void
db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
    static const uint8_t empty[1];
    st->conn->db->be->bind_blob(st, i, p ? p : empty, p ? n : 0);
}

void
db_bind_null(struct db_stmt *st, int i)
{
    st->conn->db->be->bind_null(st, i);
}

enum rcm_err
db_step(struct db_stmt *st, bool *row, struct rcm_diag *diag)
{
    *row = false;
    struct db_tx *tx = &st->conn->tx;
    enum rcm_err err = tx_check(tx, st->sql->id_name, diag);
    if (err)
        return err;
    if (st->err) {
        err = rcm_diag_fail(diag, st->err, "%s: %s", st->sql->id_name, st->err_msg);
    } else {
        st->active = true;
        err = st->conn->db->be->step(st, row, diag);
    }
    if (err) {
        *row = false;
        tx->failed = err;
    }
    return err;
}

enum rcm_err
db_exec(struct db_stmt *st, struct rcm_diag *diag)
{
    bool row = true;
    enum rcm_err err = RCM_OK;
    while (!err && row)
        err = db_step(st, &row, diag);
    return err;
}

int
db_col_count(struct db_stmt *st)
{
    return st->conn->db->be->col_count(st);
}

static bool
col_ok(struct db_stmt *st, int i)
{
    if (i >= 0 && i < st->conn->db->be->col_count(st))
        return true;
    db_stmt_error(st, RCM_E_RANGE, "no column %d", i);
    return false;
}

bool
db_col_is_null(struct db_stmt *st, int i)
{
    return col_ok(st, i) ? st->conn->db->be->col_is_null(st, i) : true;
}

int64_t
db_col_i64(struct db_stmt *st, int i)
{
    return col_ok(st, i) ? st->conn->db->be->col_i64(st, i) : 0;
}

const char *
db_col_text(struct db_stmt *st, int i, size_t *len)
{
    if (len)
        *len = 0;
    return col_ok(st, i) ? st->conn->db->be->col_text(st, i, len) : NULL;
}

const void *
db_col_blob(struct db_stmt *st, int i, size_t *len)
{
    if (len)
        *len = 0;
    return col_ok(st, i) ? st->conn->db->be->col_blob(st, i, len) : NULL;
}

const char *
db_col_str(struct db_stmt *st, int i)
{
    const char *s = db_col_text(st, i, NULL);
    return s ? s : "";
}

bool
db_col_blob_exact(struct db_stmt *st, int i, void *out, size_t n)
{
    size_t len = 0;
    const void *p = db_col_blob(st, i, &len);
    if (!p || len != n)
        return false;
    memcpy(out, p, n);
    return true;
}

int64_t
db_changes(struct db_stmt *st)
{
    return st->conn->db->be->changes(st);
}

/* ---- placeholders ------------------------------------------------------ */

enum rcm_err
db_sql_to_pg(const char *in, char *out, size_t cap, int *max_param)
{
    size_t o = 0;
    int max = 0;
#define PUT(ch)                                                                \
    do {                                                                       \
        if (o + 1 >= cap)                                                      \
            return RCM_E_TOO_LARGE;                                            \
        out[o++] = (ch);                                                       \
    } while (0)
    for (const char *p = in; *p;) {
        char ch = *p;
        if (ch == '\'' || ch == '"') {
            /* literal or quoted identifier; a doubled quote stays inside
             * (the shared dialect has no E'' backslash strings) */
            PUT(*p++);
            for (;;) {
                if (!*p)
                    return RCM_E_PARSE;
                if (*p == ch && p[1] == ch) {
                    PUT(*p++);
                    PUT(*p++);
                    continue;
                }
                if (*p == ch) {
                    PUT(*p++);
                    break;
                }
                PUT(*p++);
            }
        } else if (ch == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                PUT(*p++);
        } else if (ch == '/' && p[1] == '*') {
            PUT(*p++);
            PUT(*p++);
            while (*p && !(*p == '*' && p[1] == '/'))
                PUT(*p++);
            if (!*p)
                return RCM_E_PARSE;
            PUT(*p++);
            PUT(*p++);
        } else if (ch == '?') {
            p++;
            int n = 0;
            if (*p >= '0' && *p <= '9') {
                while (*p >= '0' && *p <= '9') {
                    n = n * 10 + (*p++ - '0');
                    if (n > 999)
                        return RCM_E_PARSE;
                }
                if (n == 0)
                    return RCM_E_PARSE;
            } else {
                n = max + 1;        /* SQLite: a bare ? is one past the largest */
                if (n > 999)
                    return RCM_E_PARSE;
            }
            if (n > max)
                max = n;
            char num[8];
            int k = snprintf(num, sizeof num, "$%d", n);
            for (int j = 0; j < k; j++)
                PUT(num[j]);
        } else {
            PUT(*p++);
        }
    }
#undef PUT
    out[o] = '\0';
    *max_param = max;
    return RCM_OK;
}

enum db_violation
db_violation(const struct db_stmt *st)
{
    return st->violation;
}

enum rcm_err
db_backup(struct db *db, const char *path, struct rcm_diag *diag)
{
    if (!db->be->backup)
        return rcm_diag_fail(diag, RCM_E_UNSUPPORTED, "backup: on %s, use the database's "
                             "own tools (pg_dump, a base backup)", db->be->name);
    return db->be->backup(db, path, diag);
}

const char *
db_library_versions(void)
{
    static char text[64];
    int pq = PQlibVersion();
    snprintf(text, sizeof text, "sqlite %s, libpq %d.%d", sqlite3_libversion(), pq / 10000,
             pq % 10000);
    return text;
}


void
db_col_copy(struct db_stmt *st, int i, char *out, size_t cap)
{
    rcm_str_copy(out, cap, rcm_str_c(db_col_str(st, i)));
}

int64_t
db_col_i64_or(struct db_stmt *st, int i, int64_t dflt)
{
    return db_col_is_null(st, i) ? dflt : db_col_i64(st, i);
}

void
db_bind_text_or_null(struct db_stmt *st, int i, const char *s)
{
    db_bind_text(st, i, s && s[0] ? s : NULL);
}

void
db_bind_id_or_null(struct db_stmt *st, int i, int64_t id)
{
    if (id > 0)
        db_bind_i64(st, i, id);
    else
        db_bind_null(st, i);
}
