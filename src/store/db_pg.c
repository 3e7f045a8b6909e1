/*
 * db_pg.c — the SQL driver on PostgreSQL, through libpq.
 *
 * A pool of connections (opened on demand up to pool_size; a broken one is
 * dropped and the next begin opens a fresh one). Each statement is prepared
 * once per connection under a generated name (PQprepare) after its ?N
 * placeholders are rewritten to $N, then described once so every parameter
 * is sent in the binary form of the type the server inferred for it
 * (int8/int4/int2/bool range-checked, text and bytea raw); results come
 * back binary and are decoded by column type OID. No number travels as
 * text, so nothing is parsed on either side.
 *
 * Read transactions: REPEATABLE READ READ ONLY (a snapshot, as a SQLite
 * reader has). Write transactions: SERIALIZABLE, so rules written once over
 * both databases keep SQLite's one-writer semantics; the conflicts come
 * back as RCM_E_BUSY (SQLSTATE 40001/40P01/55P03) and db_write retries.
 * lock_timeout is the busy timeout.
 *
 * The password comes from a file readable by its owner only; the
 * connection string must not carry one. Error messages hold the statement
 * id, the classified reason and the SQLSTATE — never the server's message,
 * which can quote a row value ("Key (email)=(…) already exists").
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm/mem.h"
#include "store/db_int.h"

/* Type OIDs (catalog/pg_type_d.h is a server header; these never change). */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21,
    OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114, OID_UNKNOWN = 705,
    OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_JSONB = 3802,
};

#define PASSWORD_MAX 1024

struct pg_conn {
    struct db_conn base;
    PGconn *h;
    unsigned next_name;         /* for generated statement names */
    bool broken;                /* close instead of pooling */
};

struct pg_stmt {
    struct db_stmt base;
    char name[16];
    int nparams;
    Oid *ptypes;
    const char **values;
    int *lengths;
    int *formats;
    char (*scratch)[24];        /* binary integers, decimal text */
    PGresult *res;
    int nrows;
    int row;                    /* current row, -1 before the first */
    bool executed;
    int64_t changes;
};

struct pg_db {
    char *conninfo;
    char *password;             /* NULL when none; wiped on close */
    int lock_timeout_ms;
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    struct pg_conn *idle;
    int n_conns;
    int max_conns;
};

static struct pg_db *
pg_of(struct db *db)
{
    return db->impl;
}

static bool
text_like(Oid t)
{
    return t == OID_TEXT || t == OID_VARCHAR || t == OID_BPCHAR || t == OID_NAME ||
           t == OID_UNKNOWN || t == OID_JSON;
}

/* Classify a failed result (res may be NULL: no result at all). */
static enum rcm_err
pg_fail(struct rcm_diag *diag, PGconn *h, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state) {
        if (PQstatus(h) != CONNECTION_OK)
            return db_fail(diag, RCM_E_DB, what, "connection lost", NULL);
        return db_fail(diag, RCM_E_DB, what, res ? "unexpected result" : "no result", NULL);
    }
    if (strcmp(state, "23505") == 0)
        return db_fail(diag, RCM_E_CONFLICT, what, "unique violation", state);
    if (strcmp(state, "23503") == 0)
        return db_fail(diag, RCM_E_CONFLICT, what, "foreign key violation", state);
    if (strcmp(state, "40001") == 0)
        return db_fail(diag, RCM_E_BUSY, what, "serialization failure", state);
    if (strcmp(state, "40P01") == 0)
        return db_fail(diag, RCM_E_BUSY, what, "deadlock", state);
    if (strcmp(state, "55P03") == 0)
        return db_fail(diag, RCM_E_BUSY, what, "lock not available", state);
    const char *reason = "database error";
    if (strncmp(state, "23", 2) == 0)
        reason = "integrity constraint violation";
    else if (strncmp(state, "22", 2) == 0)
        reason = "data exception";
    else if (strncmp(state, "42", 2) == 0)
        reason = "syntax error or access rule violation";
    else if (strncmp(state, "08", 2) == 0)
        reason = "connection exception";
    return db_fail(diag, RCM_E_DB, what, reason, state);
}

/* PQexec a command that returns no rows. */
static enum rcm_err
pg_cmd(PGconn *h, const char *sql, const char *what, struct rcm_diag *diag)
{
    PGresult *res = PQexec(h, sql);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    enum rcm_err err = RCM_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        err = pg_fail(diag, h, res, what);
    PQclear(res);
    return err;
}

/* ---- password ----------------------------------------------------------- */

static enum rcm_err
read_password(const char *path, char **out, struct rcm_diag *diag)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "cannot open password file %s: %s", path,
                             strerror(errno));
    struct stat sb;
    enum rcm_err err = RCM_OK;
    char buf[PASSWORD_MAX + 1];
    ssize_t n = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        err = rcm_diag_fail(diag, RCM_E_CONFIG, "password file %s is not a regular file",
                            path);
        goto out_fd;
    }
    if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
        err = rcm_diag_fail(diag, RCM_E_PERM,
                            "password file %s is open to group or others (chmod 600)",
                            path);
        goto out_fd;
    }
    n = read(fd, buf, sizeof buf);
    if (n < 0) {
        err = rcm_diag_fail(diag, RCM_E_IO, "cannot read password file %s: %s", path,
                            strerror(errno));
        goto out_fd;
    }
    if (n > PASSWORD_MAX) {
        err = rcm_diag_fail(diag, RCM_E_TOO_LARGE, "password file %s is too long", path);
        goto out_fd;
    }
    buf[n] = '\0';
    size_t len = strcspn(buf, "\r\n");    /* the first line */
    if (len == 0 || (len < (size_t)n && buf[len] == '\0')) {
        err = rcm_diag_fail(diag, RCM_E_CONFIG, "password file %s holds no password", path);
        goto out_fd;
    }
    *out = rcm_strndup(buf, len);
    if (!*out)
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
out_fd:
    rcm_crypto_wipe(buf, sizeof buf);
    close(fd);
    return err;
}

/* ---- connections -------------------------------------------------------- */

/* Notices (a DROP … CASCADE's list, a function's RAISE NOTICE) may quote
 * data; libpq would print them on stderr. A library never prints. */
static void
drop_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void
conn_free(struct pg_conn *c)
{
    db_cache_release(&c->base);
    PQfinish(c->h);
    rcm_free(c);
}

static enum rcm_err
conn_new(struct db *db, struct pg_conn **out, struct rcm_diag *diag)
{
    struct pg_db *pg = pg_of(db);
    struct pg_conn *c = rcm_calloc(1, sizeof *c);
    if (!c)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "cannot connect: out of memory");
    c->base.db = db;
    const char *keys[] = {"dbname", "client_encoding", "application_name", "password", NULL};
    const char *vals[] = {pg->conninfo, "UTF8", "openrcm", pg->password, NULL};
    if (!pg->password)
        keys[3] = NULL;
    c->h = PQconnectdbParams(keys, vals, 1);
    if (!c->h || PQstatus(c->h) != CONNECTION_OK) {
        /* libpq's message names host, port and user, not data; keep its
         * first line */
        const char *m = c->h ? PQerrorMessage(c->h) : "out of memory";
        enum rcm_err err = rcm_diag_fail(diag, RCM_E_DB, "cannot connect to postgres: %.*s",
                                         (int)strcspn(m, "\n"), m);
        PQfinish(c->h);
        rcm_free(c);
        return err;
    }
    PQsetNoticeProcessor(c->h, drop_notice, NULL);
    char set[64];
    snprintf(set, sizeof set, "SET lock_timeout = %d", pg->lock_timeout_ms);
    enum rcm_err err = pg_cmd(c->h, set, "connect", diag);
    if (err) {
        conn_free(c);
        return err;
    }
    *out = c;
    return RCM_OK;
}

static enum rcm_err
conn_acquire(struct db *db, struct pg_conn **out, struct rcm_diag *diag)
{
    struct pg_db *pg = pg_of(db);
    pthread_mutex_lock(&pg->pool_mu);
    while (!pg->idle && pg->n_conns >= pg->max_conns)
        pthread_cond_wait(&pg->pool_cv, &pg->pool_mu);
    if (pg->idle) {
        *out = pg->idle;
        pg->idle = (struct pg_conn *)pg->idle->base.next;
        pthread_mutex_unlock(&pg->pool_mu);
        return RCM_OK;
    }
    pg->n_conns++;
    pthread_mutex_unlock(&pg->pool_mu);
    enum rcm_err err = conn_new(db, out, diag);
    if (err) {
        pthread_mutex_lock(&pg->pool_mu);
        pg->n_conns--;
        pthread_cond_signal(&pg->pool_cv);
        pthread_mutex_unlock(&pg->pool_mu);
    }
    return err;
}

/* Back to the pool, or closed when it is broken or left inside a
 * transaction. */
static void
conn_release(struct db *db, struct pg_conn *c)
{
    struct pg_db *pg = pg_of(db);
    bool drop = c->broken || PQstatus(c->h) != CONNECTION_OK ||
                PQtransactionStatus(c->h) != PQTRANS_IDLE;
    if (drop)
        conn_free(c);
    pthread_mutex_lock(&pg->pool_mu);
    if (drop) {
        pg->n_conns--;
    } else {
        c->base.next = pg->idle ? &pg->idle->base : NULL;
        pg->idle = c;
    }
    pthread_cond_signal(&pg->pool_cv);
    pthread_mutex_unlock(&pg->pool_mu);
}

static void
pg_close(struct db *db)
{
    struct pg_db *pg = pg_of(db);
    if (!pg)
        return;
    while (pg->idle) {
        struct pg_conn *c = pg->idle;
        pg->idle = (struct pg_conn *)c->base.next;
        conn_free(c);
    }
    pthread_mutex_destroy(&pg->pool_mu);
    pthread_cond_destroy(&pg->pool_cv);
    if (pg->password) {
        rcm_crypto_wipe(pg->password, strlen(pg->password));
        rcm_free(pg->password);
    }
    rcm_free(pg->conninfo);
    rcm_free(pg);
    db->impl = NULL;
}

/* The connection string must parse and must not carry a password. */
static enum rcm_err
check_conninfo(const char *conninfo, struct rcm_diag *diag)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    if (!opts) {
        PQfreemem(errmsg);
        return rcm_diag_fail(diag, RCM_E_CONFIG, "postgres connection string is malformed");
    }
    enum rcm_err err = RCM_OK;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
            err = rcm_diag_fail(diag, RCM_E_CONFIG, "postgres connection string holds a "
                                "password; put it in a password file");
    PQconninfoFree(opts);
    return err;
}

static enum rcm_err
pg_open(struct db *db, const struct db_options *opt, struct rcm_diag *diag)
{
    if (!opt->conninfo || !opt->conninfo[0])
        return rcm_diag_fail(diag, RCM_E_CONFIG, "postgres connection string is empty");
    enum rcm_err err = check_conninfo(opt->conninfo, diag);
    if (err)
        return err;
    struct pg_db *pg = rcm_calloc(1, sizeof *pg);
    if (!pg)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "cannot open database: out of memory");
    db->impl = pg;
    pthread_mutex_init(&pg->pool_mu, NULL);
    pthread_cond_init(&pg->pool_cv, NULL);
    pg->lock_timeout_ms = opt->busy_timeout_ms;
    pg->max_conns = opt->pool_size;
    pg->conninfo = rcm_strdup(opt->conninfo);
    if (!pg->conninfo)
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
    if (!err && opt->password_file)
        err = read_password(opt->password_file, &pg->password, diag);
    struct pg_conn *c = NULL;
    if (!err)
        err = conn_acquire(db, &c, diag);   /* fail fast: can we connect at all */
    if (!err)
        conn_release(db, c);
    if (err)
        pg_close(db);
    return err;
}

/* ---- transactions ------------------------------------------------------ */

/*
 * WRITER_LOCK: every write transaction, from every process, holds this
 * session-level advisory lock from before its BEGIN until after its COMMIT.
 * Writes therefore run one at a time, as on SQLite: the audit chain has one
 * head (its row is also taken FOR UPDATE by store_audit.c), and a rule
 * checked then written inside a transaction cannot be raced. Reads never
 * take it. Taken before BEGIN, not inside, so that the serializable
 * snapshot starts after the previous writer's commit instead of failing
 * against it. ("openrcm\x02")
 */
#define WRITER_LOCK_KEY "8038062361566036994"

/* Release the writer lock (a no-op for readers); a connection that cannot
 * is closed by conn_release, which ends its session and so the lock. */
static void
writer_unlock(struct pg_conn *c, enum db_mode mode)
{
    if (mode != DB_WRITE || PQtransactionStatus(c->h) != PQTRANS_IDLE)
        return;
    PGresult *res = PQexec(c->h, "SELECT pg_advisory_unlock_all()");
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
        c->broken = true;
    PQclear(res);
}

static enum rcm_err
pg_begin(struct db *db, enum db_mode mode, struct db_conn **out, struct rcm_diag *diag)
{
    struct pg_conn *c = NULL;
    enum rcm_err err = conn_acquire(db, &c, diag);
    if (err)
        return err;
    /* Writers queue on one session lock taken before BEGIN, so the
     * snapshot is taken after the previous writer committed (see WRITER_LOCK) */
    if (mode == DB_WRITE)
        err = pg_cmd(c->h, "SELECT pg_advisory_lock(" WRITER_LOCK_KEY ")", "begin", diag);
    if (!err)
        err = pg_cmd(c->h, mode == DB_WRITE ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                            : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                     "begin", diag);
    if (err) {
        writer_unlock(c, mode);
        conn_release(db, c);
        return err;
    }
    *out = &c->base;
    return RCM_OK;
}

static enum rcm_err
pg_end(struct db *db, struct db_conn *base, enum db_mode mode, bool commit,
       struct rcm_diag *diag)
{
    struct pg_conn *c = (struct pg_conn *)base;
    enum rcm_err err = RCM_OK;
    if (commit) {
        PGresult *res = PQexec(c->h, "COMMIT");
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
            err = pg_fail(diag, c->h, res, "commit");
        else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
            /* COMMIT of an aborted transaction answers ROLLBACK */
            err = db_fail(diag, RCM_E_DB, "commit", "transaction was rolled back", NULL);
        PQclear(res);
    }
    if ((!commit || err) && PQtransactionStatus(c->h) != PQTRANS_IDLE)
        PQclear(PQexec(c->h, "ROLLBACK"));
    writer_unlock(c, mode);
    conn_release(db, c);
    return err;
}

static enum rcm_err
pg_exec_script(struct db_conn *base, const char *name, const char *text,
               struct rcm_diag *diag)
{
    return pg_cmd(((struct pg_conn *)base)->h, text, name, diag);
}

/* ---- statements -------------------------------------------------------- */

static void
pg_stmt_free(struct db_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    PQclear(st->res);
    rcm_free(st->ptypes);
    rcm_free(st->values);
    rcm_free(st->lengths);
    rcm_free(st->formats);
    rcm_free(st->scratch);
    rcm_free(st);
}

static enum rcm_err
pg_stmt_new(struct db_conn *base, const struct db_sql *sql, struct db_stmt **out,
            struct rcm_diag *diag)
{
    struct pg_conn *c = (struct pg_conn *)base;
    const char *src = sql->pg_text ? sql->pg_text : sql->text;
    size_t cap = strlen(src) * 4 + 1;       /* a bare ? can become $999 */
    char *text = rcm_malloc(cap);
    struct pg_stmt *st = rcm_calloc(1, sizeof *st);
    if (!text || !st) {
        rcm_free(text);
        rcm_free(st);
        return rcm_diag_fail(diag, RCM_E_NOMEM, "%s: out of memory", sql->id_name);
    }
    st->base.sql = sql;
    st->base.conn = base;
    st->row = -1;
    int max_param = 0;
    enum rcm_err err = db_sql_to_pg(src, text, cap, &max_param);
    if (err) {
        err = db_fail(diag, err, sql->id_name, "malformed placeholders or literal", NULL);
        goto out_text;
    }
    snprintf(st->name, sizeof st->name, "rcm_%u", c->next_name++);
    PGresult *res = PQprepare(c->h, st->name, text, 0, NULL);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        err = pg_fail(diag, c->h, res, sql->id_name);
    PQclear(res);
    if (err)
        goto out_text;
    res = PQdescribePrepared(c->h, st->name);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        err = pg_fail(diag, c->h, res, sql->id_name);
        PQclear(res);
        goto out_text;
    }
    int n = PQnparams(res);
    st->nparams = n;
    if (n > 0) {
        st->ptypes = rcm_calloc((size_t)n, sizeof *st->ptypes);
        st->values = rcm_calloc((size_t)n, sizeof *st->values);
        st->lengths = rcm_calloc((size_t)n, sizeof *st->lengths);
        st->formats = rcm_calloc((size_t)n, sizeof *st->formats);
        st->scratch = rcm_calloc((size_t)n, sizeof *st->scratch);
        if (!st->ptypes || !st->values || !st->lengths || !st->formats || !st->scratch)
            err = rcm_diag_fail(diag, RCM_E_NOMEM, "%s: out of memory", sql->id_name);
        for (int i = 0; !err && i < n; i++)
            st->ptypes[i] = PQparamtype(res, i);
    }
    PQclear(res);
out_text:
    rcm_free(text);
    if (err) {
        pg_stmt_free(&st->base);
        return err;
    }
    *out = &st->base;
    return RCM_OK;
}

static void
pg_stmt_reset(struct db_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    PQclear(st->res);
    st->res = NULL;
    st->nrows = 0;
    st->row = -1;
    st->executed = false;
    st->changes = 0;
    for (int i = 0; i < st->nparams; i++) {
        st->values[i] = NULL;
        st->lengths[i] = 0;
        st->formats[i] = 0;
    }
}

/* The slot of parameter i (1-based), or NULL after recording the error. */
static bool
param_ok(struct pg_stmt *st, int i)
{
    if (i >= 1 && i <= st->nparams)
        return true;
    db_stmt_error(&st->base, RCM_E_RANGE, "no parameter %d", i);
    return false;
}

static void
set_binary(struct pg_stmt *st, int i, const void *p, size_t n)
{
    if (n > INT32_MAX) {
        db_stmt_error(&st->base, RCM_E_TOO_LARGE, "parameter %d too large", i);
        return;
    }
    st->values[i - 1] = p;
    st->lengths[i - 1] = (int)n;
    st->formats[i - 1] = 1;
}

static void
pg_bind_i64(struct db_stmt *base, int i, int64_t v)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!param_ok(st, i))
        return;
    char *buf = st->scratch[i - 1];
    Oid t = st->ptypes[i - 1];
    switch (t) {
    case OID_INT8: {
        uint64_t be = htobe64((uint64_t)v);
        memcpy(buf, &be, 8);
        set_binary(st, i, buf, 8);
        return;
    }
    case OID_INT4: {
        if (v < INT32_MIN || v > INT32_MAX)
            break;
        uint32_t be = htobe32((uint32_t)(int32_t)v);
        memcpy(buf, &be, 4);
        set_binary(st, i, buf, 4);
        return;
    }
    case OID_INT2: {
        if (v < INT16_MIN || v > INT16_MAX)
            break;
        uint16_t be = htobe16((uint16_t)(int16_t)v);
        memcpy(buf, &be, 2);
        set_binary(st, i, buf, 2);
        return;
    }
    case OID_BOOL:
        if (v != 0 && v != 1)
            break;
        buf[0] = (char)v;
        set_binary(st, i, buf, 1);
        return;
    case OID_BYTEA:
        db_stmt_error(base, RCM_E_INVAL, "parameter %d is bytea, bound as an integer", i);
        return;
    default:
        /* text or another type (numeric …): its canonical decimal text,
         * which the server reads exactly */
        snprintf(buf, sizeof st->scratch[0], "%" PRId64, v);
        if (text_like(t)) {
            set_binary(st, i, buf, strlen(buf));
        } else {
            st->values[i - 1] = buf;
            st->formats[i - 1] = 0;
        }
        return;
    }
    db_stmt_error(base, RCM_E_RANGE, "parameter %d out of range for type oid %u", i,
                  (unsigned)t);
}

static void
pg_bind_text(struct db_stmt *base, int i, const char *s, size_t n)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!param_ok(st, i))
        return;
    Oid t = st->ptypes[i - 1];
    if (t == OID_INT8 || t == OID_INT4 || t == OID_INT2 || t == OID_BOOL) {
        db_stmt_error(base, RCM_E_INVAL, "parameter %d is an integer, bound as text", i);
        return;
    }
    if (text_like(t) || t == OID_BYTEA || t == OID_JSONB) {
        if (t == OID_JSONB) {
            st->values[i - 1] = s;      /* jsonb: text form (s is NUL-terminated) */
            st->formats[i - 1] = 0;
            return;
        }
        set_binary(st, i, s, n);
        return;
    }
    /* another type (timestamp, uuid …): the server parses its text form */
    st->values[i - 1] = s;
    st->formats[i - 1] = 0;
}

static void
pg_bind_blob(struct db_stmt *base, int i, const void *p, size_t n)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!param_ok(st, i))
        return;
    Oid t = st->ptypes[i - 1];
    if (t != OID_BYTEA && !text_like(t)) {
        db_stmt_error(base, RCM_E_INVAL, "parameter %d is type oid %u, bound as a blob", i,
                      (unsigned)t);
        return;
    }
    set_binary(st, i, p, n);
}

static void
pg_bind_null(struct db_stmt *base, int i)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!param_ok(st, i))
        return;
    st->values[i - 1] = NULL;
    st->lengths[i - 1] = 0;
    st->formats[i - 1] = 1;
}

static enum rcm_err
pg_step(struct db_stmt *base, bool *row, struct rcm_diag *diag)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (!st->executed) {
        PGconn *h = ((struct pg_conn *)base->conn)->h;
        st->executed = true;
        st->res = PQexecPrepared(h, st->name, st->nparams, st->values, st->lengths,
                                 st->formats, 1);
        ExecStatusType s = st->res ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
            enum rcm_err err = pg_fail(diag, h, st->res, base->sql->id_name);
            const char *state = st->res ? PQresultErrorField(st->res, PG_DIAG_SQLSTATE) : NULL;
            if (state && strcmp(state, "23505") == 0)
                base->violation = DB_VIOLATION_UNIQUE;
            else if (state && strcmp(state, "23503") == 0)
                base->violation = DB_VIOLATION_FOREIGN_KEY;
            PQclear(st->res);
            st->res = NULL;
            return err;
        }
        st->nrows = s == PGRES_TUPLES_OK ? PQntuples(st->res) : 0;
        st->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
        st->row = -1;
    }
    if (st->row < st->nrows)
        st->row++;
    *row = st->row < st->nrows;
    return RCM_OK;
}

static int
pg_col_count(struct db_stmt *base)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    return st->res && st->row >= 0 && st->row < st->nrows ? PQnfields(st->res) : 0;
}

static bool
pg_col_is_null(struct db_stmt *base, int i)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    return PQgetisnull(st->res, st->row, i);
}

static int64_t
pg_col_i64(struct db_stmt *base, int i)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (PQgetisnull(st->res, st->row, i))
        return 0;
    const char *p = PQgetvalue(st->res, st->row, i);
    int len = PQgetlength(st->res, st->row, i);
    Oid t = PQftype(st->res, i);
    if (t == OID_INT8 && len == 8) {
        uint64_t be;
        memcpy(&be, p, 8);
        return (int64_t)be64toh(be);
    }
    if ((t == OID_INT4 || t == OID_OID) && len == 4) {
        uint32_t be;
        memcpy(&be, p, 4);
        return t == OID_OID ? (int64_t)be32toh(be) : (int64_t)(int32_t)be32toh(be);
    }
    if (t == OID_INT2 && len == 2) {
        uint16_t be;
        memcpy(&be, p, 2);
        return (int64_t)(int16_t)be16toh(be);
    }
    if (t == OID_BOOL && len == 1)
        return p[0] ? 1 : 0;
    db_stmt_error(base, RCM_E_DB, "column %d is type oid %u, not an integer (cast it)", i,
                  (unsigned)t);
    return 0;
}

static const char *
pg_col_text(struct db_stmt *base, int i, size_t *len)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (PQgetisnull(st->res, st->row, i))
        return NULL;
    Oid t = PQftype(st->res, i);
    const char *p = PQgetvalue(st->res, st->row, i);
    size_t n = (size_t)PQgetlength(st->res, st->row, i);
    if (t == OID_JSONB && n > 0) {
        p++;                    /* binary jsonb: a version byte, then text */
        n--;
    } else if (!text_like(t)) {
        db_stmt_error(base, RCM_E_DB, "column %d is type oid %u, not text", i, (unsigned)t);
        return NULL;
    }
    if (len)
        *len = n;
    return p;                   /* libpq NUL-terminates every value */
}

static const void *
pg_col_blob(struct db_stmt *base, int i, size_t *len)
{
    struct pg_stmt *st = (struct pg_stmt *)base;
    if (PQgetisnull(st->res, st->row, i))
        return NULL;
    Oid t = PQftype(st->res, i);
    if (t != OID_BYTEA && !text_like(t)) {
        db_stmt_error(base, RCM_E_DB, "column %d is type oid %u, not a blob", i, (unsigned)t);
        return NULL;
    }
    if (len)
        *len = (size_t)PQgetlength(st->res, st->row, i);
    return PQgetvalue(st->res, st->row, i);
}

static int64_t
pg_changes(struct db_stmt *base)
{
    return ((struct pg_stmt *)base)->changes;
}

const struct db_backend db_pg_backend = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .end = pg_end,
    .exec_script = pg_exec_script,
    .stmt_new = pg_stmt_new,
    .stmt_free = pg_stmt_free,
    .stmt_reset = pg_stmt_reset,
    .bind_i64 = pg_bind_i64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_count = pg_col_count,
    .col_is_null = pg_col_is_null,
    .col_i64 = pg_col_i64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
};
