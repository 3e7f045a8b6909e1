/*
 * jobs_kinds.c — the registry of job kinds, and queuing a job of one.
 *
 * A new kind is one row here and a file jobs_<name>.c with its params check
 * and handler (docs/architecture.md, "A job").
 */
#include <string.h>

#include "jobs/jobs_int.h"
#include "rcm/buf.h"
#include "rcm/json.h"

static const struct job_kind *const kinds[] = {
    &job_kind_rotate_tenant,
};

const struct job_kind *
job_kind_find(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

enum rcm_err
rcm_jobs_enqueue(struct rcm_store *store, const struct rcm_actor *actor, const char *kind,
                 json_t *params, struct rcm_job *out, bool *created,
                 struct rcm_diag *diag)
{
    *created = false;
    const struct job_kind *k = kind ? job_kind_find(kind) : NULL;
    if (!k)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no job kind \"%s\"",
                             kind && strlen(kind) <= RCM_JOB_KIND_MAX ? kind : "?");
    json_t *empty = params ? NULL : json_object();
    if (!params && !empty)
        return RCM_E_NOMEM;
    if (!json_is_object(params ? params : empty)) {
        json_decref(empty);
        return rcm_diag_fail(diag, RCM_E_INVAL, "job params must be a JSON object");
    }
    json_t *full = NULL;
    enum rcm_err err = k->params(params ? params : empty, &full, diag);
    json_decref(empty);
    if (err)
        return err;
    struct rcm_buf text = RCM_BUF_INIT(RCM_JOB_JSON_MAX);
    err = rcm_json_dump(full, &text);
    json_decref(full);
    if (err == RCM_E_TOO_LARGE)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "job params exceed %d bytes",
                            RCM_JOB_JSON_MAX);
    if (!err)
        err = rcm_store_job_enqueue(store, actor, k->name, rcm_buf_cstr(&text),
                                    k->max_attempts, k->unique, out, created, diag);
    rcm_buf_release(&text);
    return err;
}
