/*
 * rcm/jobs.h — durable jobs: the kinds of long work openrcm knows, and the
 * workers in the server that run them (src/jobs).
 *
 * A job is a row in the store (rcm_store_job_* in rcm/store.h): queued,
 * taken by one worker under a lease, done or failed. It survives a crash:
 * the lease of a worker that died runs out and another worker (in this
 * process or another one, on this host or another) takes the job again, so
 * every kind's handler resumes safely. What a kind is — its name, how its
 * params are checked, how often it may be tried, whether two may wait at
 * once, and its handler — is one row of the registry in src/jobs/jobs_kinds.c.
 *
 * Params and results never hold PHI (ids, counts and settings only): they
 * are shown to operators and over the API.
 */
#ifndef RCM_JOBS_H
#define RCM_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/store.h"

/* Re-wrap a tenant's patient keys under a new tenant key
 * (rcm_store_rotate_tenant). Params: {"batch": 1-10000 (500), "pause_ms":
 * 0-60000 (0)}: keys per transaction, and a pause after each batch — an
 * operator's knob to pace a rotation on a busy system. One per tenant at a
 * time. */
#define RCM_JOB_KIND_ROTATE_TENANT "keys.rotate_tenant"

/*
 * Queue a job of a known `kind` for actor->tenant_id. `params` (borrowed, not
 * changed; a JSON object, NULL = {}) is checked by the kind, which fills in defaults
 * and refuses unknown members (RCM_E_INVAL, diag says which). A kind that
 * runs once per tenant at a time answers with the job already queued or
 * running (*created false) instead of queuing a second. Audited
 * "job.create". Wake the workers afterwards (rcm_jobs_wake) when they run
 * in this process; others find the job by polling.
 */
RCM_MUST_CHECK enum rcm_err rcm_jobs_enqueue(struct rcm_store *store,
                                             const struct rcm_actor *actor, const char *kind,
                                             json_t *params, struct rcm_job *out,
                                             bool *created, struct rcm_diag *diag);

/* The workers of one process. */
struct rcm_jobs;

struct rcm_jobs_options {
    struct rcm_store *store;    /* borrowed; must outlive the workers */
    int workers;                /* threads, 1-64 */
    int64_t lease_ms;           /* a job is held this long past its last progress */
    int64_t poll_ms;            /* an idle worker looks for work this often */
};

/*
 * Start the worker threads. Each has an owner id of its own ("<host>:<pid>:
 * w<n>:<random>"), takes the oldest job it can (rcm_store_job_claim), runs
 * its kind's handler and ends it. *out is returned owned (rcm_jobs_stop).
 */
RCM_MUST_CHECK enum rcm_err rcm_jobs_start(const struct rcm_jobs_options *opt,
                                           struct rcm_jobs **out, struct rcm_diag *diag);

/* Work was queued: idle workers look at once rather than at their next
 * poll. NULL is a no-op. Safe from any thread. */
void rcm_jobs_wake(struct rcm_jobs *jobs);

/*
 * Shutdown, first half: from now on no worker takes a job; a running
 * handler is asked to stop at its next progress report or pause, and its job
 * is given back to the queue with the attempt refunded (another process, or
 * this one restarted, resumes it at once). Returns without waiting. NULL is
 * a no-op.
 */
void rcm_jobs_stop_begin(struct rcm_jobs *jobs);

/*
 * Shutdown, second half: stop (if not begun), wait up to grace_ms for the
 * handlers to reach a stopping point, and free. True when every worker has
 * ended. False when a handler is still busy: its thread and the workers are
 * left as they are (not freed) and the caller must not close the store; the
 * process should exit, after which the job's lease runs out and it is taken
 * again, as after a crash. NULL: true.
 */
bool rcm_jobs_stop(struct rcm_jobs *jobs, int64_t grace_ms);

#endif
