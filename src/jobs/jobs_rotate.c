/*
 * jobs_rotate.c — the job kind "keys.rotate_tenant": a tenant key rotation
 * (rcm_store_rotate_tenant, docs/security.md "Key rotation") run by the
 * server's workers instead of an operator's terminal.
 *
 * Resuming is the rotation's own: a second run finds the rotation the first
 * one began (its "-next" keys and its key_rotation row) and carries on, so a
 * job taken again after a crash re-wraps what is left and promotes the new
 * keys exactly once. Progress goes to the job after each batch, and then the
 * handler pauses pause_ms: an operator's knob to leave the database to the
 * live traffic during a rotation of many patients.
 */
#include <stdio.h>
#include <string.h>

#include "jobs/jobs_int.h"
#include "rcm/json.h"

#define BATCH_DEFAULT 500
#define BATCH_MAX 10000
#define PAUSE_MAX_MS 60000

/* A whole number member in [lo, hi], or `def` when absent. */
static enum rcm_err
int_param(const json_t *in, const char *name, int64_t lo, int64_t hi, int64_t def,
          int64_t *out, struct rcm_diag *diag)
{
    *out = def;
    enum rcm_err err = rcm_json_get_int(in, name, false, out, diag);
    if (err || *out < lo || *out > hi)
        return rcm_diag_fail(diag, RCM_E_INVAL, "%s must be a whole number %lld-%lld", name,
                             (long long)lo, (long long)hi);
    return RCM_OK;
}

/* True when obj has no member outside `known` (NULL-terminated); else
 * *unknown names the first other one (borrowed from obj). */
static bool
only_members(json_t *obj, const char *const *known, const char **unknown)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        (void)value;
        bool found = false;
        for (size_t i = 0; known[i] && !found; i++)
            found = strcmp(key, known[i]) == 0;
        if (!found) {
            *unknown = key;
            return false;
        }
    }
    return true;
}

static enum rcm_err
rotate_params(json_t *in, json_t **out, struct rcm_diag *diag)
{
    /* an unknown name is echoed cut short */
    const char *const known[] = {"batch", "pause_ms", NULL};
    const char *unknown = NULL;
    if (!only_members(in, known, &unknown))
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown member \"%.40s\" (batch, "
                             "pause_ms)", unknown);
    int64_t batch, pause_ms;
    enum rcm_err err = int_param(in, "batch", 1, BATCH_MAX, BATCH_DEFAULT, &batch, diag);
    if (!err)
        err = int_param(in, "pause_ms", 0, PAUSE_MAX_MS, 0, &pause_ms, diag);
    if (err)
        return err;
    *out = json_pack("{s:I,s:I}", "batch", (json_int_t)batch, "pause_ms", (json_int_t)pause_ms);
    return *out ? RCM_OK : RCM_E_NOMEM;
}

struct rotate_run {
    struct job_ctx *jc;
    int64_t pause_ms;
};

/* After each batch: progress to the job (extending its lease), then the
 * pause; non-zero stops the rotation after this batch (RCM_E_STOPPED). */
static int
on_batch(void *ctx, int64_t done, int64_t total)
{
    struct rotate_run *r = ctx;
    if (job_progress(r->jc, done, total))
        return 1;
    return r->pause_ms > 0 && job_sleep(r->jc, r->pause_ms);
}

static enum rcm_err
rotate_run(struct job_ctx *jc, const json_t *params, struct rcm_diag *diag)
{
    int64_t batch = BATCH_DEFAULT, pause_ms = 0;
    /* checked when queued; read again defensively (a row edited by hand) */
    if (int_param(params, "batch", 1, BATCH_MAX, BATCH_DEFAULT, &batch, diag) ||
        int_param(params, "pause_ms", 0, PAUSE_MAX_MS, 0, &pause_ms, diag))
        return RCM_E_INVAL;
    /* the rotation's own audit record ("keys.rotate") carries the job's
     * request id; job.create names who asked */
    struct rcm_actor actor = {.tenant_id = jc->job->tenant_id, .type = "system",
                              .request_id = jc->request_id};
    struct rotate_run r = {jc, pause_ms};
    enum rcm_err err = rcm_store_rotate_tenant(jc->store, &actor, jc->job->tenant_id,
                                               (int)batch, on_batch, &r, diag);
    if (!err)
        snprintf(jc->result, sizeof jc->result, "{\"keys_rewrapped\":%lld}",
                 (long long)jc->done);
    return err;
}

const struct job_kind job_kind_rotate_tenant = {
    .name = RCM_JOB_KIND_ROTATE_TENANT,
    .max_attempts = 3,
    .unique = true,
    .params = rotate_params,
    .run = rotate_run,
};
