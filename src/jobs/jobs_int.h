/*
 * jobs_int.h — what a job kind is and what its handler may use. Private to
 * src/jobs.
 *
 * A handler runs in a worker thread with the job it was given. It must be
 * safe to run again from the start after a crash (resume: find what an
 * earlier run left and carry on), report progress often enough that its
 * lease never runs out (job_progress extends it; a batch must take well
 * under jobs.lease_s), and stop when job_progress or job_sleep say so,
 * returning RCM_E_STOPPED.
 */
#ifndef RCM_JOBS_INT_H
#define RCM_JOBS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rcm/jobs.h"
#include "rcm/store.h"

struct job_ctx {
    struct rcm_jobs *pool;
    struct rcm_store *store;
    const struct rcm_job *job;          /* as taken: id, tenant, params, attempts */
    const char *owner;                  /* this worker's lease owner id */
    int64_t lease_ms;
    char request_id[32];                /* "job-<id>": request id of the job's records */
    bool lost;                          /* another worker holds the job now */
    int64_t done, total;                /* last progress reported */
    int64_t touched_mono_ms;            /* when the lease was last extended */
    char result[RCM_JOB_JSON_MAX + 1];  /* a JSON object for the job's result, or "" */
};

/* Store progress (done of total) and extend the lease. True when the
 * handler must stop now: the server is shutting down, or the lease was lost
 * (another worker took the job; jc->lost). A failed write is logged and
 * the work goes on: the next report tries again. */
bool job_progress(struct job_ctx *jc, int64_t done, int64_t total);

/* Sleep ms, extending the lease meanwhile. True when the handler must
 * stop (it then returns early). */
bool job_sleep(struct job_ctx *jc, int64_t ms);

struct job_kind {
    const char *name;
    int max_attempts;
    bool unique;                /* one queued or running per tenant */
    /* Check the params a caller gave (borrowed, a JSON object, not changed)
     * and return the complete set, defaults filled in, in *out (owned:
     * json_decref). RCM_E_INVAL with the reason. */
    enum rcm_err (*params)(json_t *in, json_t **out, struct rcm_diag *diag);
    /* Do the work. params as checked. RCM_OK: the job is done with
     * jc->result; RCM_E_STOPPED after job_progress/job_sleep said stop; a
     * passing failure (RCM_E_BUSY, RCM_E_IO, RCM_E_DB) is tried again while
     * attempts remain; anything else fails the job with diag's message,
     * which is shown to the tenant and so never holds PHI. */
    enum rcm_err (*run)(struct job_ctx *jc, const json_t *params, struct rcm_diag *diag);
};

/* The kind named `name`, or NULL (jobs_kinds.c). */
const struct job_kind *job_kind_find(const char *name);

/* The kinds (one file each). */
extern const struct job_kind job_kind_rotate_tenant;

#endif
