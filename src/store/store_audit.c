/*
 * store_audit.c — the audit log on either database: the hash chain written
 * inside the caller's transaction, group commit for records that change
 * nothing else, the verifier's scans, the head and queries.
 *
 * One chain for the whole database, one head row (audit_head, id 1). On
 * SQLite the one writer orders appends; on PostgreSQL writers queue on the
 * driver's writer lock (db_pg.c) and the head row is also read FOR UPDATE,
 * so processes appending at once still make one valid chain.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define AUDIT_COLUMNS                                                          \
    "seq, ts_ms, tenant_id, actor_type, actor_id, action, object_type, "        \
    "object_id, patient_ids, purpose, outcome, source_ip, request_id, "         \
    "emergency, prev_hash, hash"
#define AUDIT_COLUMNS_E                                                        \
    "e.seq, e.ts_ms, e.tenant_id, e.actor_type, e.actor_id, e.action, "         \
    "e.object_type, e.object_id, e.patient_ids, e.purpose, e.outcome, "         \
    "e.source_ip, e.request_id, e.emergency, e.prev_hash, e.hash"
/* Each parameter's first use fixes its type on PostgreSQL: `?3 = 0` alone
 * would make it int4, too small for a time in milliseconds. */
#define AUDIT_FILTER(e)                                                        \
    "(CAST(?2 AS bigint) = 0 OR " e "actor_id = ?2) AND "                       \
    "(CAST(?3 AS bigint) = 0 OR " e "ts_ms >= ?3) AND "                         \
    "(CAST(?4 AS bigint) = 0 OR " e "ts_ms <= ?4) AND " e "seq > ?5 AND "       \
    "(?7 = 0 OR " e "emergency = (CASE WHEN ?7 > 0 THEN 1 ELSE 0 END))"

static const struct db_sql AUDIT_HEAD = {
    "AUDIT_HEAD", "SELECT seq, hash, mac FROM audit_head WHERE id = 1", NULL};
static const struct db_sql AUDIT_HEAD_LOCK = {
    "AUDIT_HEAD_LOCK", "SELECT seq, hash, mac FROM audit_head WHERE id = 1",
    "SELECT seq, hash, mac FROM audit_head WHERE id = 1 FOR UPDATE"};
static const struct db_sql AUDIT_INSERT = {
    "AUDIT_INSERT", "INSERT INTO audit_event(" AUDIT_COLUMNS ") VALUES "
    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)", NULL};
/* (no ON CONFLICT: it would cost SQLite a statement journal per row; a
 * patient named twice in one record is skipped before, see listed_before) */
static const struct db_sql AUDIT_PATIENT_INSERT = {
    "AUDIT_PATIENT_INSERT", "INSERT INTO audit_event_patient(seq, tenant_id, patient_id) "
    "VALUES (?1, ?2, ?3)", NULL};
static const struct db_sql AUDIT_HEAD_SET = {
    "AUDIT_HEAD_SET", "INSERT INTO audit_head(id, seq, hash, mac) VALUES (1, ?1, ?2, ?3) "
    "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
    "mac = excluded.mac", NULL};
static const struct db_sql AUDIT_CHECKPOINT_ADD = {
    "AUDIT_CHECKPOINT_ADD", "INSERT INTO audit_checkpoint(seq, ts_ms, hash, mac) "
    "VALUES (?1, ?2, ?3, ?4)", NULL};
static const struct db_sql AUDIT_SCAN = {
    "AUDIT_SCAN", "SELECT " AUDIT_COLUMNS " FROM audit_event ORDER BY seq", NULL};
static const struct db_sql AUDIT_INDEX_SCAN = {
    "AUDIT_INDEX_SCAN", "SELECT seq, tenant_id, patient_id FROM audit_event_patient "
    "ORDER BY seq, tenant_id, patient_id", NULL};
static const struct db_sql AUDIT_CHECKPOINTS = {
    "AUDIT_CHECKPOINTS", "SELECT c.seq, c.mac, e.hash FROM audit_checkpoint c "
    "LEFT JOIN audit_event e ON e.seq = c.seq ORDER BY c.seq", NULL};
static const struct db_sql AUDIT_QUERY = {
    "AUDIT_QUERY", "SELECT " AUDIT_COLUMNS " FROM audit_event WHERE (CAST(?1 AS bigint) = -1 OR "
    "tenant_id = ?1) AND " AUDIT_FILTER("") " ORDER BY seq LIMIT ?6", NULL};
static const struct db_sql AUDIT_QUERY_PATIENT = {
    "AUDIT_QUERY_PATIENT", "SELECT " AUDIT_COLUMNS_E " FROM audit_event_patient p "
    "JOIN audit_event e ON e.seq = p.seq WHERE p.tenant_id = ?1 AND p.patient_id = ?8 "
    "AND " AUDIT_FILTER("e.") " ORDER BY e.seq LIMIT ?6", NULL};

static const char *
nz(const char *s)
{
    return s ? s : "";
}

/* A 32-byte blob column, or false (out zeroed) for a corrupt one. */
static bool
col_hash(struct db_stmt *st, int col, uint8_t out[RCM_SHA256_BYTES])
{
    if (db_col_blob_exact(st, col, out, RCM_SHA256_BYTES))
        return true;
    memset(out, 0, RCM_SHA256_BYTES);
    return false;
}

/* ---- writing ------------------------------------------------------------ */

/* Whether pid already appears among the comma-separated ids of list that
 * come before it (a patient named twice in one record is indexed once). */
static bool
listed_before(const char *list, struct rcm_str pid)
{
    struct rcm_str rest = {list, (size_t)(pid.p - list)}, id;
    while (rcm_str_split_next(&rest, ',', &id)) {
        id = rcm_str_trim(id);
        if (id.n == pid.n && memcmp(id.p, pid.p, pid.n) == 0)
            return true;
    }
    return false;
}

static enum rcm_err
index_patients(struct db_tx *tx, const struct rcm_audit_event *ev, struct rcm_diag *diag)
{
    struct rcm_str rest = rcm_str_c(ev->patient_ids), pid;
    char id[128];
    while (ev->patient_ids[0] && rcm_str_split_next(&rest, ',', &pid)) {
        pid = rcm_str_trim(pid);
        if (!pid.n || listed_before(ev->patient_ids, pid))
            continue;
        if (pid.n >= sizeof id)
            return rcm_diag_fail(diag, RCM_E_INVAL, "audit record: patient id too long");
        rcm_str_copy(id, sizeof id, pid);
        struct db_stmt *st;
        enum rcm_err err = db_prepare(tx, &AUDIT_PATIENT_INSERT, &st, diag);
        if (err)
            return err;
        db_bind_i64(st, 1, ev->seq);
        db_bind_i64(st, 2, ev->tenant_id);
        db_bind_text(st, 3, id);
        if ((err = db_exec(st, diag)))
            return err;
    }
    return RCM_OK;
}

enum rcm_err
store_audit_write(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
                  const struct rcm_audit_what *what, int64_t now_ms, struct rcm_diag *diag)
{
    if (!s->has_audit_key)
        return rcm_diag_fail(diag, RCM_E_CONFIG, "the audit log has no key; refusing to "
                             "record events unprotected");
    struct rcm_audit_event ev = {0};
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &AUDIT_HEAD_LOCK, &st, diag);
    if (!err)
        err = db_step(st, &row, diag);
    if (err)
        return err;
    ev.seq = 1;
    if (row) {
        ev.seq = db_col_i64(st, 0) + 1;
        col_hash(st, 1, ev.prev_hash);
    }
    ev.ts_ms = now_ms;
    ev.tenant_id = actor->tenant_id;
    ev.actor_type = nz(actor->type);
    ev.actor_id = actor->user_id;
    ev.action = nz(what->action);
    ev.object_type = nz(what->object_type);
    ev.object_id = nz(what->object_id);
    ev.patient_ids = nz(what->patient_ids);
    ev.purpose = nz(actor->purpose);
    ev.outcome = nz(what->outcome);
    ev.source_ip = nz(actor->source_ip);
    ev.request_id = nz(actor->request_id);
    ev.emergency = actor->emergency;
    rcm_audit_hash(&ev, ev.hash);

    if ((err = db_prepare(tx, &AUDIT_INSERT, &st, diag)))
        return err;
    db_bind_i64(st, 1, ev.seq);
    db_bind_i64(st, 2, ev.ts_ms);
    db_bind_i64(st, 3, ev.tenant_id);
    db_bind_text(st, 4, ev.actor_type);
    db_bind_i64(st, 5, ev.actor_id);
    db_bind_text(st, 6, ev.action);
    db_bind_text(st, 7, ev.object_type);
    db_bind_text(st, 8, ev.object_id);
    db_bind_text(st, 9, ev.patient_ids);
    db_bind_text(st, 10, ev.purpose);
    db_bind_text(st, 11, ev.outcome);
    db_bind_text(st, 12, ev.source_ip);
    db_bind_text(st, 13, ev.request_id);
    db_bind_i64(st, 14, ev.emergency);
    db_bind_blob(st, 15, ev.prev_hash, RCM_SHA256_BYTES);
    db_bind_blob(st, 16, ev.hash, RCM_SHA256_BYTES);
    if ((err = db_exec(st, diag)) || (err = index_patients(tx, &ev, diag)))
        return err;

    uint8_t mac[RCM_SHA256_BYTES];
    rcm_audit_mac(s->audit_key, ev.seq, ev.hash, mac);
    if ((err = db_prepare(tx, &AUDIT_HEAD_SET, &st, diag)))
        return err;
    db_bind_i64(st, 1, ev.seq);
    db_bind_blob(st, 2, ev.hash, RCM_SHA256_BYTES);
    db_bind_blob(st, 3, mac, RCM_SHA256_BYTES);
    if ((err = db_exec(st, diag)))
        return err;
    if (ev.seq % RCM_AUDIT_CHECKPOINT_EVERY == 0) {
        if ((err = db_prepare(tx, &AUDIT_CHECKPOINT_ADD, &st, diag)))
            return err;
        db_bind_i64(st, 1, ev.seq);
        db_bind_i64(st, 2, ev.ts_ms);
        db_bind_blob(st, 3, ev.hash, RCM_SHA256_BYTES);
        db_bind_blob(st, 4, mac, RCM_SHA256_BYTES);
        err = db_exec(st, diag);
    }
    return err;
}

enum rcm_err
store_audit_object(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
                   const char *action, const char *object_type, int64_t object_id,
                   int64_t now_ms, struct rcm_diag *diag)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)object_id);
    struct rcm_audit_what what = {action, object_type, id, NULL, "success"};
    return store_audit_write(s, tx, actor, &what, now_ms, diag);
}

/* ---- group commit -------------------------------------------------------- */

/* One caller of store_audit_append waiting for its record to be committed. */
struct store_audit_waiter {
    const struct rcm_actor *actor;
    const struct rcm_audit_what *what;
    struct rcm_diag *diag;
    enum rcm_err err;
    bool done;
    struct store_audit_waiter *next;
};

struct audit_batch {
    struct rcm_store *s;
    struct store_audit_waiter *list;
};

static enum rcm_err
write_batch(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct audit_batch *b = ctx;
    int64_t now_ms = rcm_time_now_ms();
    enum rcm_err err = RCM_OK;
    for (struct store_audit_waiter *w = b->list; w && !err; w = w->next)
        err = store_audit_write(b->s, tx, w->actor, w->what, now_ms, w == b->list ? diag
                                                                                  : w->diag);
    return err;
}

/* Write records in one transaction; false when it failed (nothing kept). */
static bool
commit_batch(struct rcm_store *s, struct store_audit_waiter *list)
{
    struct audit_batch b = {s, list};
    enum rcm_err err = db_write(s->db, write_batch, &b, list->diag);
    for (struct store_audit_waiter *w = list; w; w = w->next)
        w->err = err;
    return err == RCM_OK;
}

/*
 * Callers arriving while a commit is under way queue up, and the next of
 * them commits the whole queue in one transaction — one fsync for many
 * records — before any of them returns. A failed batch is retried record
 * by record so one caller's error is not another's.
 */
enum rcm_err
store_audit_append(struct rcm_store *s, const struct rcm_actor *actor,
                   const struct rcm_audit_what *what, struct rcm_diag *diag)
{
    struct store_audit_waiter me = {actor, what, diag, RCM_OK, false, NULL};
    pthread_mutex_lock(&s->group_mu);
    me.next = s->group_queue;
    s->group_queue = &me;
    while (!me.done && s->group_leader)
        pthread_cond_wait(&s->group_cv, &s->group_mu);
    if (me.done) {
        pthread_mutex_unlock(&s->group_mu);
        return me.err;
    }
    s->group_leader = true;
    /* the queue is newest first; commit in arrival order */
    struct store_audit_waiter *batch = NULL;
    while (s->group_queue) {
        struct store_audit_waiter *w = s->group_queue;
        s->group_queue = w->next;
        w->next = batch;
        batch = w;
    }
    pthread_mutex_unlock(&s->group_mu);

    if (batch && !commit_batch(s, batch) && batch->next) {
        for (struct store_audit_waiter *w = batch; w; w = w->next) {
            struct store_audit_waiter *rest = w->next;
            w->next = NULL;
            commit_batch(s, w);
            w->next = rest;
        }
    }
    pthread_mutex_lock(&s->group_mu);
    for (struct store_audit_waiter *w = batch; w; w = w->next)
        w->done = true;
    s->group_leader = false;
    pthread_cond_broadcast(&s->group_cv);
    pthread_mutex_unlock(&s->group_mu);
    return me.err;
}

void
store_audit_init(struct rcm_store *s)
{
    pthread_mutex_init(&s->group_mu, NULL);
    pthread_cond_init(&s->group_cv, NULL);
}

void
store_audit_destroy(struct rcm_store *s)
{
    pthread_mutex_destroy(&s->group_mu);
    pthread_cond_destroy(&s->group_cv);
}

/* ---- reading ------------------------------------------------------------- */

/* Row of AUDIT_COLUMNS -> event (strings borrowed until the next step). */
static void
audit_row(struct db_stmt *st, struct rcm_audit_event *ev)
{
    ev->seq = db_col_i64(st, 0);
    ev->ts_ms = db_col_i64(st, 1);
    ev->tenant_id = db_col_i64(st, 2);
    ev->actor_type = db_col_str(st, 3);
    ev->actor_id = db_col_i64(st, 4);
    ev->action = db_col_str(st, 5);
    ev->object_type = db_col_str(st, 6);
    ev->object_id = db_col_str(st, 7);
    ev->patient_ids = db_col_str(st, 8);
    ev->purpose = db_col_str(st, 9);
    ev->outcome = db_col_str(st, 10);
    ev->source_ip = db_col_str(st, 11);
    ev->request_id = db_col_str(st, 12);
    ev->emergency = db_col_i64(st, 13) != 0;
    col_hash(st, 14, ev->prev_hash);
    col_hash(st, 15, ev->hash);
}

static bool
index_row(struct rcm_audit_verify *v, struct db_stmt *ix)
{
    size_t n = 0;
    const char *pid = db_col_text(ix, 2, &n);
    return rcm_audit_verify_index_row(v, db_col_i64(ix, 0), db_col_i64(ix, 1), nz(pid), n);
}

/*
 * The chain merged with the per-patient index: both scans in seq order,
 * each index row fed right after its record. Stops at the first problem.
 * (PostgreSQL results arrive whole; SQLite streams.)
 */
static enum rcm_err
verify_chain(struct db_tx *tx, struct rcm_audit_verify *v, struct rcm_diag *diag)
{
    struct db_stmt *st, *ix;
    bool row, irow;
    enum rcm_err err = db_prepare(tx, &AUDIT_SCAN, &st, diag);
    if (!err)
        err = db_prepare(tx, &AUDIT_INDEX_SCAN, &ix, diag);
    if (!err)
        err = db_step(ix, &irow, diag);
    struct rcm_audit_event ev;
    while (!err && !(err = db_step(st, &row, diag)) && row) {
        audit_row(st, &ev);
        if (!rcm_audit_verify_record(v, &ev))
            return RCM_OK;
        bool ok = true;
        while (!err && ok && irow && db_col_i64(ix, 0) <= ev.seq) {
            ok = index_row(v, ix);
            err = db_step(ix, &irow, diag);
        }
        if (!err && (!ok || !rcm_audit_verify_index_end(v)))
            return RCM_OK;
    }
    if (!err && irow && !v->problem)
        index_row(v, ix);   /* index rows after the last record */
    return err;
}

static enum rcm_err
verify_checkpoints(struct db_tx *tx, struct rcm_audit_verify *v, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &AUDIT_CHECKPOINTS, &st, diag);
    uint8_t mac[RCM_SHA256_BYTES], hash[RCM_SHA256_BYTES];
    while (!err && !(err = db_step(st, &row, diag)) && row) {
        col_hash(st, 1, mac);
        bool exists = !db_col_is_null(st, 2);
        col_hash(st, 2, hash);
        if (!rcm_audit_verify_checkpoint(v, db_col_i64(st, 0), hash, exists, mac))
            return RCM_OK;
    }
    if (!err)
        rcm_audit_verify_checkpoints_end(v);
    return err;
}

static enum rcm_err
verify_head(struct db_tx *tx, struct rcm_audit_verify *v, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &AUDIT_HEAD, &st, diag);
    if (!err)
        err = db_step(st, &row, diag);
    if (err)
        return err;
    if (row) {
        uint8_t hash[RCM_SHA256_BYTES], mac[RCM_SHA256_BYTES];
        col_hash(st, 1, hash);
        col_hash(st, 2, mac);
        rcm_audit_verify_head(v, true, db_col_i64(st, 0), hash, mac);
    } else {
        rcm_audit_verify_head(v, false, 0, NULL, NULL);
    }
    return RCM_OK;
}

static enum rcm_err
verify_all(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct rcm_audit_verify *v = ctx;
    enum rcm_err err = verify_chain(tx, v, diag);
    if (!err && !v->problem)
        err = verify_checkpoints(tx, v, diag);
    if (!err && !v->problem)
        err = verify_head(tx, v, diag);
    if (!err && v->err)
        err = rcm_diag_fail(diag, v->err, "verify audit log: out of memory");
    return err;
}

enum rcm_err
store_audit_verify(struct rcm_store *s, struct rcm_audit_verify *v, struct rcm_diag *diag)
{
    /* one read transaction: a consistent snapshot while writers go on */
    return store_read(s, verify_all, v, diag);
}

struct head_args {
    int64_t *seq;
    uint8_t *hash;
};

static enum rcm_err
read_head(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct head_args *h = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &AUDIT_HEAD, &st, diag);
    if (!err)
        err = db_step(st, &row, diag);
    if (!err && row) {
        *h->seq = db_col_i64(st, 0);
        if (!col_hash(st, 1, h->hash))
            err = rcm_diag_fail(diag, RCM_E_DB, "read audit head: corrupt hash");
    }
    return err;
}

enum rcm_err
store_audit_head(struct rcm_store *s, int64_t *seq, uint8_t hash[RCM_SHA256_BYTES],
                 struct rcm_diag *diag)
{
    *seq = 0;
    memset(hash, 0, RCM_SHA256_BYTES);
    struct head_args h = {seq, hash};
    return store_read(s, read_head, &h, diag);
}

struct query_args {
    const struct rcm_audit_filter *f;
    rcm_audit_row_fn fn;
    void *ctx;
};

static enum rcm_err
run_query(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct query_args *q = ctx;
    const struct rcm_audit_filter *f = q->f;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, f->patient_id ? &AUDIT_QUERY_PATIENT : &AUDIT_QUERY,
                                  &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, f->tenant_id);
    db_bind_i64(st, 2, f->actor_id);
    db_bind_i64(st, 3, f->from_ms);
    db_bind_i64(st, 4, f->to_ms);
    db_bind_i64(st, 5, f->after_seq);
    db_bind_i64(st, 6, f->limit);
    db_bind_i64(st, 7, f->emergency);
    if (f->patient_id)
        db_bind_text(st, 8, f->patient_id);
    bool row;
    struct rcm_audit_event ev;
    while (!(err = db_step(st, &row, diag)) && row) {
        audit_row(st, &ev);
        if (q->fn(q->ctx, &ev))
            break;
    }
    return err;
}

enum rcm_err
store_audit_query(struct rcm_store *s, const struct rcm_audit_filter *f, rcm_audit_row_fn fn,
                  void *ctx, struct rcm_diag *diag)
{
    if (f->patient_id && f->tenant_id < 1)
        return rcm_diag_fail(diag, RCM_E_INVAL, "a patient query needs a tenant");
    struct query_args q = {f, fn, ctx};
    return store_read(s, run_query, &q, diag);
}
