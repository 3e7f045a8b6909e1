/*
 * api_jobs.c — durable jobs over HTTP: starting a tenant key rotation as a
 * job, and reading the tenant's jobs and their progress.
 *
 * A request that starts long work answers 202 with the job and `Location:
 * /v1/jobs/{id}`; the client polls that. Asking again while one is queued or
 * running answers 200 with that job instead of starting a second. A job's
 * params and result hold ids, counts and settings only (never PHI), so they
 * are shown as they are.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/jobs.h"
#include "rcm/json.h"
#include "rcm/str.h"

#define JOBS_LIMIT_DEFAULT 20

/* A stored JSON object member, or null when empty or not parseable. */
static json_t *
stored_json(const char *text)
{
    json_t *v = NULL;
    if (!text[0] || rcm_json_parse(text, strlen(text), RCM_JSON_DEPTH_DEFAULT, &v, NULL))
        return json_null();
    return v;
}

static json_t *
iso_or_null(int64_t ms)
{
    char iso[RCM_TIME_ISO_LEN + 1];
    if (!ms)
        return json_null();
    rcm_time_format_iso(ms, iso);
    return json_string(iso);
}

/* The job as clients see it (not the worker's owner id: a host name is no
 * business of the tenant's). */
static json_t *
job_json(const struct rcm_job *j)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:{s:I,s:I},s:o,s:o,s:i,s:i,s:I,s:o,s:o,s:o}",
                          "id", (json_int_t)j->id, "kind", j->kind, "state", j->state,
                          "params", stored_json(j->params),
                          "progress", "done", (json_int_t)j->progress_done,
                          "total", (json_int_t)j->progress_total,
                          "result", stored_json(j->result),
                          "error", j->error[0] ? json_string(j->error) : json_null(),
                          "attempts", j->attempts, "max_attempts", j->max_attempts,
                          "created_by", (json_int_t)j->created_by,
                          "created_at", iso_or_null(j->created_ms),
                          "updated_at", iso_or_null(j->updated_ms),
                          "finished_at", iso_or_null(j->finished_ms));
    return o;
}

void
api_post_tenant_keys_rotate(struct api_request *req, struct api_response *res)
{
    struct rcm_job job;
    bool created = false;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (req->json && !json_is_object(req->json)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "send a JSON object (batch, "
                    "pause_ms) or no body");
        return;
    }
    enum rcm_err err = rcm_jobs_enqueue(req->ctx->store, &req->actor,
                                        RCM_JOB_KIND_ROTATE_TENANT, req->json, &job, &created,
                                        &diag);
    if (err == RCM_E_INVAL) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    if (err) {
        api_problem(req, res, API_PROBLEM_internal_error, "the rotation cannot be queued");
        return;
    }
    if (created)
        rcm_jobs_wake(req->ctx->jobs);
    res->status = created ? 202 : 200;
    snprintf(res->location, sizeof res->location, "/v1/jobs/%lld", (long long)job.id);
    res->json = job_json(&job);
}

void
api_get_job(struct api_request *req, struct api_response *res)
{
    int64_t id;
    struct rcm_job job;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_str_to_i64(rcm_str_c(api_param(req, "id")), &id) != RCM_OK
                           ? RCM_E_NOT_FOUND
                           : rcm_store_job_get(req->ctx->store, &req->actor, id, &job, &diag);
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the job cannot be read");
    else
        res->json = job_json(&job);
}

struct listing {
    json_t *items;
    int64_t last_id;
};

static int
append_job(void *ctx, const struct rcm_job *j)
{
    struct listing *l = ctx;
    l->last_id = j->id;
    return json_array_append_new(l->items, job_json(j)) != 0;
}

void
api_get_jobs(struct api_request *req, struct api_response *res)
{
    const char *before_s = req->query ? req->query(req->conn, "before") : NULL;
    const char *limit_s = req->query ? req->query(req->conn, "limit") : NULL;
    int64_t before = 0, limit = JOBS_LIMIT_DEFAULT;
    if ((before_s && (rcm_str_to_i64(rcm_str_c(before_s), &before) || before < 1)) ||
        (limit_s && (rcm_str_to_i64(rcm_str_c(limit_s), &limit) || limit < 1 ||
                     limit > RCM_JOB_LIST_MAX))) {
        api_problem(req, res, API_PROBLEM_bad_request,
                    "before must be a job id and limit 1-%d", RCM_JOB_LIST_MAX);
        return;
    }
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!l.items || rcm_store_job_list(req->ctx->store, &req->actor, before, (int)limit,
                                       append_job, &l, &diag) != RCM_OK) {
        json_decref(l.items);
        api_problem(req, res, API_PROBLEM_internal_error, "jobs cannot be listed");
        return;
    }
    bool full = (int64_t)json_array_size(l.items) == limit;
    res->json = json_pack("{s:o}", "jobs", l.items);
    if (res->json && full)
        json_object_set_new(res->json, "next_before", json_integer(l.last_id));
}
