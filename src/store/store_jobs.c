/*
 * store_jobs.c — durable jobs as stored, on either database (migration
 * 0014): the queue, the leases that say which worker holds a job until
 * when, progress, and the end of a job. Running jobs is src/jobs; this file
 * only moves rows, each change in one write transaction.
 *
 * A lease is an owner id and a deadline in wall-clock milliseconds (several
 * processes on several hosts share it, so a monotonic clock would not do).
 * Whoever holds the lease may report progress, give the job back or end
 * it; every such statement names the owner in its WHERE clause, so a worker
 * whose lease ran out and whose job another worker took changes nothing
 * and learns so (RCM_E_CONFLICT).
 *
 * The claim is one statement: the oldest job that is queued, or running
 * under an expired lease, is updated and returned. Write transactions are
 * already one at a time (SQLite's one writer; PostgreSQL's serializable
 * transactions behind the driver's writer lock), so two workers cannot take
 * the same job; PostgreSQL's text still says FOR UPDATE SKIP LOCKED, so the
 * claim stays right should the writer lock ever be narrowed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define JOB_COLUMNS                                                            \
    "id, coalesce(tenant_id, 0), kind, state, params, progress_done, "         \
    "progress_total, coalesce(result, ''), coalesce(error, ''), attempts, "    \
    "max_attempts, coalesce(lease_owner, ''), lease_expires_ms, created_by, "  \
    "created_ms, updated_ms, coalesce(finished_ms, 0)"

/* Jobs failed for having used every attempt, per claim (the rest wait for
 * the next one). */
#define EXHAUSTED_MAX 16

static const struct db_sql JOB_ACTIVE = {
    "JOB_ACTIVE", "SELECT " JOB_COLUMNS " FROM job WHERE tenant_id = ?1 AND kind = ?2 AND "
    "state IN ('queued', 'running') ORDER BY id LIMIT 1", NULL};
/* the cast: PostgreSQL would infer int4 for ?1 from nullif's 0 */
static const struct db_sql JOB_INSERT = {
    "JOB_INSERT", "INSERT INTO job(tenant_id, kind, state, params, max_attempts, created_by, "
    "created_ms, updated_ms) VALUES (nullif(CAST(?1 AS bigint), 0), ?2, 'queued', ?3, ?4, ?5, "
    "?6, ?6) RETURNING " JOB_COLUMNS, NULL};
/* Anything to take or to fail? Read first, so that idle workers polling
 * every jobs.poll_ms do not queue on the writer lock for nothing. */
static const struct db_sql JOB_PEEK = {
    "JOB_PEEK", "SELECT id FROM job WHERE state IN ('queued', 'running') AND "
    "(state = 'queued' OR lease_expires_ms < ?1) LIMIT 1", NULL};
/* queued ones too: a job given back after its last attempt must not wait
 * in the queue for ever */
static const struct db_sql JOB_EXHAUSTED = {
    "JOB_EXHAUSTED", "SELECT id, coalesce(tenant_id, 0), attempts FROM job WHERE "
    "state IN ('queued', 'running') AND (state = 'queued' OR lease_expires_ms < ?1) AND "
    "attempts >= max_attempts ORDER BY id LIMIT ?2", NULL};
static const struct db_sql JOB_FAIL = {
    "JOB_FAIL", "UPDATE job SET state = 'failed', error = ?2, lease_expires_ms = 0, "
    "updated_ms = ?3, finished_ms = ?3 WHERE id = ?1", NULL};
/* `state IN (…)` first: the partial index job_claim serves the subquery */
#define JOB_CLAIM_PICK                                                         \
    "SELECT id FROM job WHERE state IN ('queued', 'running') AND "              \
    "(state = 'queued' OR lease_expires_ms < ?2) AND attempts < max_attempts "  \
    "ORDER BY id LIMIT 1"
#define JOB_CLAIM_SET                                                          \
    "UPDATE job SET state = 'running', lease_owner = ?1, lease_expires_ms = ?3, " \
    "attempts = attempts + 1, updated_ms = ?2 WHERE id = "
static const struct db_sql JOB_CLAIM = {
    "JOB_CLAIM", JOB_CLAIM_SET "(" JOB_CLAIM_PICK ") RETURNING " JOB_COLUMNS,
    JOB_CLAIM_SET "(" JOB_CLAIM_PICK " FOR UPDATE SKIP LOCKED) RETURNING " JOB_COLUMNS};
static const struct db_sql JOB_PROGRESS = {
    "JOB_PROGRESS", "UPDATE job SET progress_done = ?3, progress_total = ?4, "
    "lease_expires_ms = ?5, updated_ms = ?6 WHERE id = ?1 AND lease_owner = ?2 AND "
    "state = 'running'", NULL};
/* coalesce: a refunded release keeps the error of an earlier attempt */
static const struct db_sql JOB_RELEASE = {
    "JOB_RELEASE", "UPDATE job SET state = 'queued', lease_owner = NULL, "
    "lease_expires_ms = 0, attempts = attempts - ?3, error = coalesce(?4, error), "
    "updated_ms = ?5 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'", NULL};
/* the owner stays on the row: who ran it last */
static const struct db_sql JOB_FINISH = {
    "JOB_FINISH", "UPDATE job SET state = ?3, result = ?4, error = ?5, "
    "lease_expires_ms = 0, updated_ms = ?6, finished_ms = ?6 WHERE id = ?1 AND "
    "lease_owner = ?2 AND state = 'running' RETURNING coalesce(tenant_id, 0)", NULL};
static const struct db_sql JOB_GET = {
    "JOB_GET", "SELECT " JOB_COLUMNS " FROM job WHERE id = ?1 AND tenant_id = ?2", NULL};
static const struct db_sql JOB_LIST = {
    "JOB_LIST", "SELECT " JOB_COLUMNS " FROM job WHERE tenant_id = ?1 AND id < ?2 "
    "ORDER BY id DESC LIMIT ?3", NULL};

/* A text column into a fixed buffer; false when it does not fit. */
static bool
col_text(struct db_stmt *st, int col, char *out, size_t size)
{
    return rcm_str_copy(out, size, rcm_str_c(db_col_str(st, col)));
}

/* Row of JOB_COLUMNS -> job; RCM_E_DB for a row that does not fit (a
 * CHECK constraint keeps them in bounds, so it would be tampering). */
static enum rcm_err
job_row(struct db_stmt *st, struct rcm_job *j, struct rcm_diag *diag)
{
    bool ok = true;
    memset(j, 0, sizeof *j);
    j->id = db_col_i64(st, 0);
    j->tenant_id = db_col_i64(st, 1);
    ok &= col_text(st, 2, j->kind, sizeof j->kind);
    ok &= col_text(st, 3, j->state, sizeof j->state);
    ok &= col_text(st, 4, j->params, sizeof j->params);
    j->progress_done = db_col_i64(st, 5);
    j->progress_total = db_col_i64(st, 6);
    ok &= col_text(st, 7, j->result, sizeof j->result);
    ok &= col_text(st, 8, j->error, sizeof j->error);
    int64_t attempts = db_col_i64(st, 9), max_attempts = db_col_i64(st, 10);
    ok &= attempts >= 0 && attempts <= INT32_MAX && max_attempts >= 0 &&
          max_attempts <= INT32_MAX;
    j->attempts = (int)attempts;
    j->max_attempts = (int)max_attempts;
    ok &= col_text(st, 11, j->lease_owner, sizeof j->lease_owner);
    j->lease_expires_ms = db_col_i64(st, 12);
    j->created_by = db_col_i64(st, 13);
    j->created_ms = db_col_i64(st, 14);
    j->updated_ms = db_col_i64(st, 15);
    j->finished_ms = db_col_i64(st, 16);
    return ok ? RCM_OK : rcm_diag_fail(diag, RCM_E_DB, "job %lld: a stored value is out of "
                                       "bounds", (long long)j->id);
}

/* Step a statement returning at most one job row into *out; RCM_E_NOT_FOUND
 * when it returned none. */
static enum rcm_err
step_job(struct db_stmt *st, struct rcm_job *out, struct rcm_diag *diag)
{
    bool row;
    enum rcm_err err = db_step(st, &row, diag);
    if (err)
        return err;
    if (!row)
        return RCM_E_NOT_FOUND;
    return job_row(st, out, diag);
}

/* "job.finish" in the job's tenant, by the system, with the outcome; the
 * request id "job-<id>" is the one the job's own records carry (src/jobs),
 * and the worker is on the job's row (lease_owner). */
static enum rcm_err
audit_finish(struct rcm_store *s, struct db_tx *tx, int64_t id, int64_t tenant_id, bool ok,
             int64_t now_ms, struct rcm_diag *diag)
{
    char oid[24], req[32];
    snprintf(oid, sizeof oid, "%lld", (long long)id);
    snprintf(req, sizeof req, "job-%lld", (long long)id);
    struct rcm_actor actor = {.tenant_id = tenant_id, .type = "system", .request_id = req};
    struct rcm_audit_what what = {"job.finish", "job", oid, NULL, ok ? "success" : "failure"};
    return store_audit_write(s, tx, &actor, &what, now_ms, diag);
}

/* ---- enqueue ------------------------------------------------------------- */

struct enqueue_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const char *kind, *params;
    int max_attempts;
    bool unique;
    int64_t now_ms;
    struct rcm_job *out;
    bool created;
};

static enum rcm_err
enqueue_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct enqueue_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err;
    a->created = false;
    if (a->unique) {
        if ((err = db_prepare(tx, &JOB_ACTIVE, &st, diag)))
            return err;
        db_bind_i64(st, 1, a->actor->tenant_id);
        db_bind_text(st, 2, a->kind);
        err = step_job(st, a->out, diag);
        if (err != RCM_E_NOT_FOUND)
            return err;     /* RCM_OK: that one is the answer */
    }
    if ((err = db_prepare(tx, &JOB_INSERT, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_text(st, 2, a->kind);
    db_bind_text(st, 3, a->params);
    db_bind_i64(st, 4, a->max_attempts);
    db_bind_i64(st, 5, a->actor->user_id);
    db_bind_i64(st, 6, a->now_ms);
    err = step_job(st, a->out, diag);
    if (err == RCM_E_NOT_FOUND)
        return rcm_diag_fail(diag, RCM_E_DB, "queue job: no row returned");
    if (err)
        return err;
    a->created = true;
    return store_audit_object(a->s, tx, a->actor, "job.create", "job", a->out->id,
                              a->now_ms, diag);
}

enum rcm_err
store_job_enqueue(struct rcm_store *s, const struct rcm_actor *actor, const char *kind,
                  const char *params, int max_attempts, bool unique, int64_t now_ms,
                  struct rcm_job *out, bool *created, struct rcm_diag *diag)
{
    struct enqueue_args a = {s, actor, kind, params, max_attempts, unique, now_ms, out,
                             false};
    enum rcm_err err = db_write(s->db, enqueue_fn, &a, diag);
    *created = !err && a.created;
    return err;
}

/* ---- claim --------------------------------------------------------------- */

struct claim_args {
    struct rcm_store *s;
    const char *owner;
    int64_t lease_ms, now_ms;
    struct rcm_job *out;
};

/* Fail the jobs that have used every attempt and are not held any more:
 * their worker died (or gave them back) each time. */
static enum rcm_err
fail_exhausted(struct claim_args *a, struct db_tx *tx, struct rcm_diag *diag)
{
    struct {
        int64_t id, tenant_id, attempts;
    } gone[EXHAUSTED_MAX];
    int n = 0;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &JOB_EXHAUSTED, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->now_ms);
    db_bind_i64(st, 2, EXHAUSTED_MAX);
    while (n < EXHAUSTED_MAX && !(err = db_step(st, &row, diag)) && row) {
        gone[n].id = db_col_i64(st, 0);
        gone[n].tenant_id = db_col_i64(st, 1);
        gone[n].attempts = db_col_i64(st, 2);
        n++;
    }
    for (int i = 0; i < n && !err; i++) {
        char why[RCM_JOB_ERROR_MAX + 1];
        snprintf(why, sizeof why, "gave up after %lld attempts: the worker stopped "
                 "responding each time (lease expired)", (long long)gone[i].attempts);
        if ((err = db_prepare(tx, &JOB_FAIL, &st, diag)))
            break;
        db_bind_i64(st, 1, gone[i].id);
        db_bind_text(st, 2, why);
        db_bind_i64(st, 3, a->now_ms);
        if (!(err = db_exec(st, diag)))
            err = audit_finish(a->s, tx, gone[i].id, gone[i].tenant_id, false, a->now_ms,
                               diag);
    }
    return err;
}

static enum rcm_err
claim_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct claim_args *a = ctx;
    struct db_stmt *st;
    a->out->id = 0;     /* a re-run after RCM_E_BUSY starts afresh */
    enum rcm_err err = fail_exhausted(a, tx, diag);
    if (!err)
        err = db_prepare(tx, &JOB_CLAIM, &st, diag);
    if (err)
        return err;
    db_bind_text(st, 1, a->owner);
    db_bind_i64(st, 2, a->now_ms);
    db_bind_i64(st, 3, a->now_ms + a->lease_ms);
    err = step_job(st, a->out, diag);
    /* nothing to take still commits the failures above */
    return err == RCM_E_NOT_FOUND ? RCM_OK : err;
}

static enum rcm_err
peek_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct claim_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &JOB_PEEK, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->now_ms);
    if ((err = db_step(st, &row, diag)))
        return err;
    return row ? RCM_OK : RCM_E_NOT_FOUND;
}

enum rcm_err
store_job_claim(struct rcm_store *s, const char *owner, int64_t lease_ms, int64_t now_ms,
                struct rcm_job *out, struct rcm_diag *diag)
{
    struct claim_args a = {s, owner, lease_ms, now_ms, out};
    out->id = 0;
    enum rcm_err err = store_read(s, peek_fn, &a, diag);
    if (!err)
        err = db_write(s->db, claim_fn, &a, diag);
    if (!err && !out->id)
        return RCM_E_NOT_FOUND;     /* no diag: an empty queue is no failure */
    return err;
}

/* ---- the holder's side ----------------------------------------------------- */

struct hold_args {
    struct rcm_store *s;
    int64_t id;
    const char *owner;
    int64_t done, total, lease_ms;  /* progress */
    bool refund;                    /* release */
    bool ok;                        /* finish */
    const char *result, *error;
    int64_t now_ms;
};

/* The statement changed no row: owner does not hold the job. */
static enum rcm_err
not_held(const struct hold_args *a, struct rcm_diag *diag)
{
    return rcm_diag_fail(diag, RCM_E_CONFLICT, "job %lld is not held by this worker (its "
                         "lease ran out, or it ended)", (long long)a->id);
}

static enum rcm_err
progress_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct hold_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &JOB_PROGRESS, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_text(st, 2, a->owner);
    db_bind_i64(st, 3, a->done);
    db_bind_i64(st, 4, a->total);
    db_bind_i64(st, 5, a->now_ms + a->lease_ms);
    db_bind_i64(st, 6, a->now_ms);
    if ((err = db_exec(st, diag)))
        return err;
    return db_changes(st) == 1 ? RCM_OK : not_held(a, diag);
}

enum rcm_err
store_job_progress(struct rcm_store *s, int64_t id, const char *owner, int64_t done,
                   int64_t total, int64_t lease_ms, int64_t now_ms, struct rcm_diag *diag)
{
    struct hold_args a = {.s = s, .id = id, .owner = owner, .done = done, .total = total,
                          .lease_ms = lease_ms, .now_ms = now_ms};
    return db_write(s->db, progress_fn, &a, diag);
}

/* error cut to what the column takes, never inside a UTF-8 sequence */
static void
cut_error(const char *error, char out[RCM_JOB_ERROR_MAX + 1])
{
    size_t n = strlen(error);
    if (n > RCM_JOB_ERROR_MAX) {
        n = RCM_JOB_ERROR_MAX;
        while (n > 0 && ((unsigned char)error[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, error, n);
    out[n] = '\0';
}

static enum rcm_err
release_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct hold_args *a = ctx;
    struct db_stmt *st;
    char error[RCM_JOB_ERROR_MAX + 1];
    enum rcm_err err = db_prepare(tx, &JOB_RELEASE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_text(st, 2, a->owner);
    db_bind_i64(st, 3, a->refund ? 1 : 0);
    if (a->error) {
        cut_error(a->error, error);
        db_bind_text(st, 4, error);
    } else {
        db_bind_null(st, 4);
    }
    db_bind_i64(st, 5, a->now_ms);
    if ((err = db_exec(st, diag)))
        return err;
    return db_changes(st) == 1 ? RCM_OK : not_held(a, diag);
}

enum rcm_err
store_job_release(struct rcm_store *s, int64_t id, const char *owner, bool refund,
                  const char *error, int64_t now_ms, struct rcm_diag *diag)
{
    struct hold_args a = {.s = s, .id = id, .owner = owner, .refund = refund,
                          .error = error, .now_ms = now_ms};
    return db_write(s->db, release_fn, &a, diag);
}

static enum rcm_err
finish_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct hold_args *a = ctx;
    struct db_stmt *st;
    bool row;
    char error[RCM_JOB_ERROR_MAX + 1];
    enum rcm_err err = db_prepare(tx, &JOB_FINISH, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_text(st, 2, a->owner);
    db_bind_text(st, 3, a->ok ? "done" : "failed");
    db_bind_text(st, 4, a->ok ? a->result : NULL);
    if (!a->ok) {
        cut_error(a->error && a->error[0] ? a->error : "failed", error);
        db_bind_text(st, 5, error);
    } else {
        db_bind_null(st, 5);
    }
    db_bind_i64(st, 6, a->now_ms);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return not_held(a, diag);
    int64_t tenant_id = db_col_i64(st, 0);
    /* finish the statement before the audit record's own statements */
    if ((err = db_step(st, &row, diag)))
        return err;
    return audit_finish(a->s, tx, a->id, tenant_id, a->ok, a->now_ms, diag);
}

enum rcm_err
store_job_finish(struct rcm_store *s, int64_t id, const char *owner, bool ok,
                 const char *result, const char *error, int64_t now_ms, struct rcm_diag *diag)
{
    struct hold_args a = {.s = s, .id = id, .owner = owner, .ok = ok, .result = result,
                          .error = error, .now_ms = now_ms};
    return db_write(s->db, finish_fn, &a, diag);
}

/* ---- reading ------------------------------------------------------------- */

struct read_args {
    int64_t tenant_id, id;          /* get; id is the cursor for list */
    int limit;
    struct rcm_job *out;
    rcm_job_fn fn;
    void *ctx;
};

static enum rcm_err
get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct read_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &JOB_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->id);
    db_bind_i64(st, 2, a->tenant_id);
    err = step_job(st, a->out, diag);
    return err == RCM_E_NOT_FOUND ? rcm_diag_fail(diag, err, "no such job") : err;
}

enum rcm_err
store_job_get(struct rcm_store *s, int64_t tenant_id, int64_t id, struct rcm_job *out,
              struct rcm_diag *diag)
{
    struct read_args a = {.tenant_id = tenant_id, .id = id, .out = out};
    return store_read(s, get_fn, &a, diag);
}

static enum rcm_err
list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct read_args *a = ctx;
    struct db_stmt *st;
    bool row;
    struct rcm_job job;
    enum rcm_err err = db_prepare(tx, &JOB_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id ? a->id : INT64_MAX);
    db_bind_i64(st, 3, a->limit);
    while (!(err = db_step(st, &row, diag)) && row) {
        if ((err = job_row(st, &job, diag)))
            break;
        if (a->fn(a->ctx, &job))
            break;
    }
    return err;
}

enum rcm_err
store_job_list(struct rcm_store *s, int64_t tenant_id, int64_t before_id, int limit,
               rcm_job_fn fn, void *ctx, struct rcm_diag *diag)
{
    struct read_args a = {.tenant_id = tenant_id, .id = before_id, .limit = limit, .fn = fn,
                          .ctx = ctx};
    return store_read(s, list_fn, &a, diag);
}
