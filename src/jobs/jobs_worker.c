/*
 * jobs_worker.c — the worker threads of one server process.
 *
 * Each worker loops: take the oldest job it can (rcm_store_job_claim, under
 * an owner id of its own), run its kind's handler, end it; when there is
 * nothing to take, wait for a wake-up (rcm_jobs_wake, called when this
 * process queues work) or the poll interval (work queued by other processes,
 * and leases of dead workers running out).
 *
 * Shutdown: rcm_jobs_stop_begin makes every worker stop taking jobs and
 * tells running handlers to stop at their next progress report or pause;
 * the worker then gives the job back with its attempt refunded, so the
 * next server resumes it at once instead of after the lease. What is not
 * given back in time (a handler inside a long batch, a process killed) is
 * taken again when its lease runs out.
 *
 * Threads see the pool only under `mu` (stopping, wakes, the count of
 * workers still running) or through the atomic `stop` flag handlers poll.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs/jobs_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/log.h"
#include "rcm/mem.h"

#define WORKERS_MAX 64

struct worker {
    struct rcm_jobs *pool;
    pthread_t thread;
    bool started;
    char owner[RCM_JOB_OWNER_MAX + 1];
};

struct rcm_jobs {
    struct rcm_store *store;
    int64_t lease_ms, poll_ms;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* wakes, stop, a worker ending */
    uint64_t wakes;
    int running;                /* worker threads not yet ended */
    int n;
    struct worker w[WORKERS_MAX];
};

/* ---- waiting ------------------------------------------------------------- */

static struct timespec
deadline_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Wait up to ms for a stop (true) or, with `seen`, a wake-up after *seen
 * (*seen moves on). Wake-ups are counted, so one that came while the
 * worker was busy is not lost. */
static bool
pool_wait(struct rcm_jobs *p, int64_t ms, uint64_t *seen)
{
    struct timespec until = deadline_in(ms);
    pthread_mutex_lock(&p->mu);
    while (!atomic_load(&p->stop) && (!seen || p->wakes == *seen))
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT)
            break;
    if (seen)
        *seen = p->wakes;
    pthread_mutex_unlock(&p->mu);
    return atomic_load(&p->stop);
}

void
rcm_jobs_wake(struct rcm_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->mu);
    jobs->wakes++;
    pthread_cond_broadcast(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
}

/* ---- what handlers call ---------------------------------------------------- */

bool
job_progress(struct job_ctx *jc, int64_t done, int64_t total)
{
    if (jc->lost)
        return true;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_job_progress(jc->store, jc->job->id, jc->owner, done, total,
                                              jc->lease_ms, rcm_time_now_ms(), &diag);
    if (err == RCM_E_CONFLICT) {
        jc->lost = true;
        return true;
    }
    if (err) {
        RCM_LOG(RCM_LOG_WARN, "job.progress_failed", jc->request_id,
                RCM_LF_I("job_id", jc->job->id), RCM_LF_S("detail", diag.msg));
    } else {
        jc->touched_mono_ms = rcm_time_mono_ms();
    }
    jc->done = done;
    jc->total = total;
    return atomic_load(&jc->pool->stop);
}

bool
job_sleep(struct job_ctx *jc, int64_t ms)
{
    int64_t end = rcm_time_mono_ms() + ms;
    /* extend the lease well before it could run out */
    int64_t slice = jc->lease_ms / 3 > 0 ? jc->lease_ms / 3 : 1;
    for (;;) {
        int64_t now = rcm_time_mono_ms();
        if (now >= end)
            return atomic_load(&jc->pool->stop);
        if (pool_wait(jc->pool, end - now < slice ? end - now : slice, NULL))
            return true;
        if (rcm_time_mono_ms() - jc->touched_mono_ms >= slice &&
            job_progress(jc, jc->done, jc->total))
            return true;
    }
}

/* ---- running one job -------------------------------------------------------- */

/* Errors worth another attempt: the database was busy or away for a while. */
static bool
passing(enum rcm_err err)
{
    return err == RCM_E_BUSY || err == RCM_E_IO || err == RCM_E_DB;
}

/* Log how a job's ending went when it could not be stored. */
static void
log_store_failure(const struct job_ctx *jc, const char *what, enum rcm_err err,
                  const struct rcm_diag *diag)
{
    RCM_LOG(err == RCM_E_CONFLICT ? RCM_LOG_WARN : RCM_LOG_ERROR, "job.store_failed",
            jc->request_id, RCM_LF_I("job_id", jc->job->id), RCM_LF_S("step", what),
            RCM_LF_S("detail", diag->msg));
}

/* The handler's outcome onto the job: done, given back, or failed. */
static const char *
settle(struct job_ctx *jc, enum rcm_err err, const struct rcm_diag *why)
{
    const struct rcm_job *job = jc->job;
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t now = rcm_time_now_ms();
    const char *outcome;
    enum rcm_err serr;
    if (jc->lost) {
        outcome = "lost";   /* another worker has it: nothing of ours to write */
        serr = RCM_OK;
    } else if (!err) {
        outcome = "done";
        serr = rcm_store_job_finish(jc->store, job->id, jc->owner, true,
                                    jc->result[0] ? jc->result : NULL, NULL, now, &diag);
    } else if (err == RCM_E_STOPPED && atomic_load(&jc->pool->stop)) {
        outcome = "released";
        serr = rcm_store_job_release(jc->store, job->id, jc->owner, true, NULL, now, &diag);
    } else if (passing(err) && job->attempts < job->max_attempts) {
        outcome = "retry";
        serr = rcm_store_job_release(jc->store, job->id, jc->owner, false, why->msg, now,
                                     &diag);
    } else {
        outcome = "failed";
        serr = rcm_store_job_finish(jc->store, job->id, jc->owner, false, NULL,
                                    why->msg[0] ? why->msg : rcm_err_str(err), now, &diag);
    }
    if (serr)
        log_store_failure(jc, outcome, serr, &diag);
    return outcome;
}

static void
run_job(struct worker *w, const struct rcm_job *job)
{
    struct job_ctx jc = {.pool = w->pool, .store = w->pool->store, .job = job,
                         .owner = w->owner, .lease_ms = w->pool->lease_ms,
                         .touched_mono_ms = rcm_time_mono_ms()};
    snprintf(jc.request_id, sizeof jc.request_id, "job-%" PRId64, job->id);
    int64_t started = rcm_time_mono_ms();
    RCM_LOG(RCM_LOG_INFO, "job.started", jc.request_id, RCM_LF_I("job_id", job->id),
            RCM_LF_S("kind", job->kind), RCM_LF_I("tenant_id", job->tenant_id),
            RCM_LF_I("attempt", job->attempts), RCM_LF_S("worker", w->owner));
    struct rcm_diag diag = RCM_DIAG_INIT;
    const struct job_kind *kind = job_kind_find(job->kind);
    json_t *params = NULL;
    enum rcm_err err;
    if (!kind)
        err = rcm_diag_fail(&diag, RCM_E_UNSUPPORTED, "this openrcm does not know the job "
                            "kind (queued by a newer version?)");
    else if (rcm_json_parse(job->params, strlen(job->params), RCM_JSON_DEPTH_DEFAULT, &params,
                            NULL) != RCM_OK || !json_is_object(params))
        err = rcm_diag_fail(&diag, RCM_E_INVAL, "the job's params are not a JSON object");
    else
        err = kind->run(&jc, params, &diag);
    json_decref(params);
    const char *outcome = settle(&jc, err, &diag);
    RCM_LOG(err && strcmp(outcome, "failed") == 0 ? RCM_LOG_ERROR : RCM_LOG_INFO,
            "job.ended", jc.request_id, RCM_LF_I("job_id", job->id),
            RCM_LF_S("kind", job->kind), RCM_LF_S("outcome", outcome),
            RCM_LF_S("error", err ? rcm_err_name(err) : ""),
            RCM_LF_I("duration_ms", rcm_time_mono_ms() - started));
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct rcm_jobs *p = w->pool;
    uint64_t seen = 0;
    while (!atomic_load(&p->stop)) {
        struct rcm_job *job = rcm_malloc(sizeof *job);
        struct rcm_diag diag = RCM_DIAG_INIT;
        enum rcm_err err = job ? rcm_store_job_claim(p->store, w->owner, p->lease_ms,
                                                     rcm_time_now_ms(), job, &diag)
                               : RCM_E_NOMEM;
        if (!err)
            run_job(w, job);
        rcm_free(job);
        if (!err)
            continue;
        if (err != RCM_E_NOT_FOUND)
            RCM_LOG(RCM_LOG_ERROR, "job.claim_failed", NULL, RCM_LF_S("worker", w->owner),
                    RCM_LF_S("detail", diag.msg));
        pool_wait(p, p->poll_ms, &seen);
    }
    pthread_mutex_lock(&p->mu);
    p->running--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the pool ------------------------------------------------------------- */

/* "<host>:<pid>:w<n>:<random>": unique across hosts, processes, restarts
 * (a reused pid) and threads; the host and pid help an operator find it. */
static void
owner_id(int index, const char *tag, char out[RCM_JOB_OWNER_MAX + 1])
{
    char host[48] = "host";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c <= ' ' || *c >= 0x7f || *c == ':')
            *c = '-';
    snprintf(out, RCM_JOB_OWNER_MAX + 1, "%s:%ld:w%d:%s", host, (long)getpid(), index, tag);
}

enum rcm_err
rcm_jobs_start(const struct rcm_jobs_options *opt, struct rcm_jobs **out,
               struct rcm_diag *diag)
{
    *out = NULL;
    if (!opt->store || opt->workers < 1 || opt->workers > WORKERS_MAX || opt->lease_ms < 1000 ||
        opt->poll_ms < 10)
        return rcm_diag_fail(diag, RCM_E_INVAL, "jobs: 1-%d workers, a lease of 1 s or more "
                             "and a poll interval of 10 ms or more", WORKERS_MAX);
    struct rcm_jobs *p = rcm_calloc(1, sizeof *p);
    if (!p)
        return RCM_E_NOMEM;
    p->store = opt->store;
    p->lease_ms = opt->lease_ms;
    p->poll_ms = opt->poll_ms;
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &attr);
    pthread_condattr_destroy(&attr);
    uint8_t rnd[4];
    char tag[9];
    rcm_random_bytes(rnd, sizeof rnd);
    snprintf(tag, sizeof tag, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    for (int i = 0; i < opt->workers; i++) {
        struct worker *w = &p->w[i];
        w->pool = p;
        owner_id(i, tag, w->owner);
        pthread_mutex_lock(&p->mu);
        p->running++;
        pthread_mutex_unlock(&p->mu);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            pthread_mutex_lock(&p->mu);
            p->running--;
            pthread_mutex_unlock(&p->mu);
            (void)rcm_jobs_stop(p, 60000);
            return rcm_diag_fail(diag, RCM_E_NOMEM, "jobs: cannot start a worker thread");
        }
        w->started = true;
        p->n = i + 1;
    }
    *out = p;
    return RCM_OK;
}

void
rcm_jobs_stop_begin(struct rcm_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->mu);
    atomic_store(&jobs->stop, true);
    pthread_cond_broadcast(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
}

bool
rcm_jobs_stop(struct rcm_jobs *jobs, int64_t grace_ms)
{
    if (!jobs)
        return true;
    rcm_jobs_stop_begin(jobs);
    struct timespec until = deadline_in(grace_ms > 0 ? grace_ms : 0);
    pthread_mutex_lock(&jobs->mu);
    while (jobs->running > 0)
        if (pthread_cond_timedwait(&jobs->cv, &jobs->mu, &until) == ETIMEDOUT)
            break;
    int left = jobs->running;
    pthread_mutex_unlock(&jobs->mu);
    if (left > 0) {
        /* still inside a batch: leave the threads (and so the pool) alone */
        RCM_LOG(RCM_LOG_WARN, "jobs.stop_timeout", NULL, RCM_LF_I("busy_workers", left));
        return false;
    }
    for (int i = 0; i < jobs->n; i++)
        if (jobs->w[i].started)
            pthread_join(jobs->w[i].thread, NULL);
    pthread_cond_destroy(&jobs->cv);
    pthread_mutex_destroy(&jobs->mu);
    rcm_free(jobs);
    return true;
}
