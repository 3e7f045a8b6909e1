/*
 * The job workers and the key rotation kind, against a real store on SQLite
 * and on PostgreSQL (store/store_fixture.h): params are checked and
 * completed per kind, a woken worker runs a rotation to the end, a stop
 * gives a running job back with its attempt refunded and the next pool
 * resumes it, and a job of an unknown kind is failed with a message.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rcm/jobs.h"
#include "rcm/json.h"
#include "store/store_fixture.h"

struct fx {
    struct store_fx *s;
    struct rcm_actor a;         /* an owner of tenant 1 */
    int64_t patients[8];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    if (store_fx_exec(f->s, "INSERT INTO tenant(id, slug, name, created_ms) VALUES "
                            "(1, 'clinic-a', 'A', 0)") != RCM_OK)
        return -1;
    f->a = (struct rcm_actor){.tenant_id = 1, .type = "user", .user_id = 7};
    struct rcm_diag d = RCM_DIAG_INIT;
    for (int i = 0; i < 8; i++) {
        struct rcm_patient p = {0};
        snprintf(p.value[RCM_PF_LAST_NAME], sizeof p.value[0], "Jobtest%d", i);
        snprintf(p.value[RCM_PF_FIRST_NAME], sizeof p.value[0], "Pat");
        snprintf(p.value[RCM_PF_DOB], sizeof p.value[0], "1970-01-01");
        p.present = RCM_PF_BIT(RCM_PF_LAST_NAME) | RCM_PF_BIT(RCM_PF_FIRST_NAME) |
                    RCM_PF_BIT(RCM_PF_DOB);
        if (rcm_store_patient_create(f->s->store, &f->a, &p, &f->patients[i], &d)) {
            fprintf(stderr, "patient: %s\n", d.msg);
            return -1;
        }
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    store_fx_free(f->s);
    free(f);
    return 0;
}

static struct rcm_jobs *
start(struct fx *f, int64_t poll_ms)
{
    struct rcm_jobs_options o = {.store = f->s->store, .workers = 2, .lease_ms = 5000,
                                 .poll_ms = poll_ms};
    struct rcm_jobs *jobs = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_jobs_start(&o, &jobs, &d), RCM_OK);
    return jobs;
}

static struct rcm_job
job_now(struct fx *f, int64_t id)
{
    struct rcm_job j;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_job_get(f->s->store, &f->a, id, &j, &d), RCM_OK);
    return j;
}

/* Wait (up to 30 s) until the job is in `state`, or it has progress. */
static struct rcm_job
await(struct fx *f, int64_t id, const char *state, bool progress)
{
    for (int i = 0; i < 3000; i++) {
        struct rcm_job j = job_now(f, id);
        if ((state && strcmp(j.state, state) == 0) || (progress && j.progress_done > 0))
            return j;
        struct timespec nap = {0, 10 * 1000000L};
        nanosleep(&nap, NULL);
    }
    fail_msg("job %lld never got there", (long long)id);
    return job_now(f, id);
}

static int64_t
queue(struct fx *f, const char *params_text, bool *created)
{
    json_t *params = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (params_text)
        assert_int_equal(rcm_json_parse(params_text, strlen(params_text), 8, &params, &d),
                         RCM_OK);
    struct rcm_job j;
    bool made;
    enum rcm_err err = rcm_jobs_enqueue(f->s->store, &f->a, RCM_JOB_KIND_ROTATE_TENANT, params,
                                        &j, created ? created : &made, &d);
    json_decref(params);
    if (err)
        return -(int64_t)err;
    return j.id;
}

static void
params_are_checked_and_completed(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        "{\"batch\":0}", "{\"batch\":10001}", "{\"batch\":\"5\"}", "{\"pause_ms\":-1}",
        "{\"pause_ms\":60001}", "{\"batch\":2.5}", "{\"speed\":1}", "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(queue(f, bad[i], NULL), -(int64_t)RCM_E_INVAL);
    struct rcm_job j;
    bool created;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_jobs_enqueue(f->s->store, &f->a, "no.such.kind", NULL, &j, &created,
                                      &d), RCM_E_INVAL);
    int64_t id = queue(f, NULL, &created);
    assert_true(id > 0 && created);
    j = job_now(f, id);
    assert_string_equal(j.params, "{\"batch\":500,\"pause_ms\":0}");
    assert_int_equal(j.max_attempts, 3);
    /* one rotation per tenant at a time */
    assert_int_equal(queue(f, "{\"batch\":1}", &created), id);
    assert_false(created);
}

static void
a_woken_worker_rotates_the_tenant(void **state)
{
    struct fx *f = *state;
    struct rcm_jobs *jobs = start(f, 60000);    /* only the wake-up can start it soon */
    int64_t id = queue(f, "{\"batch\":3}", NULL);
    rcm_jobs_wake(jobs);
    struct rcm_job j = await(f, id, "done", false);
    assert_string_equal(j.result, "{\"keys_rewrapped\":8}");
    assert_int_equal(j.progress_done, 8);
    assert_int_equal(j.progress_total, 8);
    assert_int_equal(j.attempts, 1);
    assert_true(rcm_jobs_stop(jobs, 10000));
    struct rcm_patient p;
    struct rcm_diag d = RCM_DIAG_INIT;
    for (int i = 0; i < 8; i++)
        assert_int_equal(rcm_store_patient_get(f->s->store, &f->a, f->patients[i],
                                               RCM_PF_BIT(RCM_PF_LAST_NAME), &p, &d), RCM_OK);
}

static void
a_stop_gives_the_job_back_and_the_next_pool_resumes_it(void **state)
{
    struct fx *f = *state;
    struct rcm_jobs *jobs = start(f, 20);
    int64_t id = queue(f, "{\"batch\":1,\"pause_ms\":60000}", NULL);
    struct rcm_job j = await(f, id, NULL, true);       /* inside the first pause */
    assert_string_equal(j.state, "running");
    assert_int_equal(j.progress_done, 1);
    assert_true(rcm_jobs_stop(jobs, 10000));            /* the pause ends at once */
    j = job_now(f, id);
    assert_string_equal(j.state, "queued");
    assert_int_equal(j.attempts, 0);
    assert_int_equal(j.lease_expires_ms, 0);
    /* without the pause, as an operator might requeue it; the next pool finishes it */
    assert_int_equal(store_fx_exec(f->s, "UPDATE job SET params = '{\"batch\":4}'"), RCM_OK);
    jobs = start(f, 20);
    j = await(f, id, "done", false);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.result, "{\"keys_rewrapped\":8}");
    assert_true(rcm_jobs_stop(jobs, 10000));
}

static void
an_unknown_kind_is_failed_with_a_message(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_fx_exec(f->s, "INSERT INTO job(id, tenant_id, kind, state, params, "
                                         "max_attempts, created_ms, updated_ms) VALUES "
                                         "(500, 1, 'from.the.future', 'queued', '{}', 3, 1, 1)"),
                     RCM_OK);
    struct rcm_jobs *jobs = start(f, 20);
    struct rcm_job j = await(f, 500, "failed", false);
    assert_true(strstr(j.error, "does not know the job kind") != NULL);
    assert_true(rcm_jobs_stop(jobs, 10000));
}

static void
bad_pool_options_are_refused(void **state)
{
    struct fx *f = *state;
    struct rcm_jobs *jobs = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_jobs_options o = {.store = f->s->store, .workers = 0, .lease_ms = 5000,
                                 .poll_ms = 100};
    assert_int_equal(rcm_jobs_start(&o, &jobs, &d), RCM_E_INVAL);
    o.workers = 1;
    o.lease_ms = 10;
    assert_int_equal(rcm_jobs_start(&o, &jobs, &d), RCM_E_INVAL);
    assert_null(jobs);
    assert_true(rcm_jobs_stop(NULL, 0));
    rcm_jobs_wake(NULL);
}

static const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    T(params_are_checked_and_completed),
    T(a_woken_worker_rotates_the_tenant),
    T(a_stop_gives_the_job_back_and_the_next_pool_resumes_it),
    T(an_unknown_kind_is_failed_with_a_message),
    T(bad_pool_options_are_refused),
#undef T
};

STORE_FIXTURE_MAIN(tests)
