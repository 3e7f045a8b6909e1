/*
 * Durable jobs in the store, on SQLite and on PostgreSQL (store_fixture.h):
 * the claim takes the oldest job first, a lease that runs out lets another
 * worker take the job again, only the holder reports progress, gives back
 * or ends a job, a job that has used max_attempts is failed instead of
 * taken again, "unique" finds the job already queued, and a tenant sees
 * only its own jobs. The clock is the test's: every lease call takes now_ms.
 *
 * The tenants are inserted with plain SQL (store_fx_exec), so the suite
 * needs nothing of the store but the jobs and the audit log.
 */
#include <stdio.h>
#include <string.h>

#include "store_fixture.h"

#define LEASE 30000
#define T0 1000000000000LL      /* the test's clock: 2001-09-09 */

struct fx {
    struct store_fx *s;
    struct rcm_actor a, b;      /* users of tenants A (1) and B (2) */
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
                            "(1, 'clinic-a', 'A', 0), (2, 'clinic-b', 'B', 0)") != RCM_OK)
        return -1;
    f->a = (struct rcm_actor){.tenant_id = 1, .type = "user", .user_id = 7};
    f->b = (struct rcm_actor){.tenant_id = 2, .type = "user", .user_id = 8};
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

static int64_t
enqueue(struct fx *f, const struct rcm_actor *who, const char *kind, int max_attempts)
{
    struct rcm_job j;
    bool created = false;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_job_enqueue(f->s->store, who, kind, "{\"batch\":5}",
                                           max_attempts, false, &j, &created, &d), RCM_OK);
    assert_true(created);
    assert_string_equal(j.state, "queued");
    assert_int_equal(j.attempts, 0);
    return j.id;
}

/* The id of the job `owner` takes at `now`, or 0 when none. */
static int64_t
claim(struct fx *f, const char *owner, int64_t now, struct rcm_job *out)
{
    struct rcm_job j;
    struct rcm_diag d = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_job_claim(f->s->store, owner, LEASE, now, out ? out : &j, &d);
    if (err == RCM_E_NOT_FOUND)
        return 0;
    assert_int_equal(err, RCM_OK);
    return (out ? out : &j)->id;
}

static struct rcm_job
get(struct fx *f, const struct rcm_actor *who, int64_t id)
{
    struct rcm_job j;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_job_get(f->s->store, who, id, &j, &d), RCM_OK);
    return j;
}

struct count_ctx {
    const char *action, *outcome;
    int n;
};

static int
count_action(void *ctx, const struct rcm_audit_event *ev)
{
    struct count_ctx *c = ctx;
    if (strcmp(ev->action, c->action) == 0 && (!c->outcome || !strcmp(ev->outcome, c->outcome)))
        c->n++;
    return 0;
}

/* Audit records of tenant A with this action (and outcome, unless NULL). */
static int
audited(struct fx *f, const char *action, const char *outcome)
{
    struct count_ctx c = {action, outcome, 0};
    struct rcm_audit_filter q = {.tenant_id = f->a.tenant_id, .limit = 10000};
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_audit_query(f->s->store, &q, count_action, &c, &d), RCM_OK);
    return c.n;
}

static void
claims_take_the_oldest_first_across_tenants(void **state)
{
    struct fx *f = *state;
    int64_t j1 = enqueue(f, &f->a, "test.one", 3);
    int64_t j2 = enqueue(f, &f->b, "test.two", 3);
    int64_t j3 = enqueue(f, &f->a, "test.one", 3);
    assert_true(j1 < j2 && j2 < j3);
    assert_int_equal(audited(f, "job.create", "success"), 2);

    struct rcm_job got;
    assert_int_equal(claim(f, "w1", T0, &got), j1);
    assert_string_equal(got.state, "running");
    assert_string_equal(got.lease_owner, "w1");
    assert_string_equal(got.params, "{\"batch\":5}");
    assert_int_equal(got.attempts, 1);
    assert_int_equal(got.lease_expires_ms, T0 + LEASE);
    assert_int_equal(got.tenant_id, 1);
    assert_int_equal(got.created_by, 7);
    assert_int_equal(claim(f, "w2", T0, NULL), j2);
    assert_int_equal(claim(f, "w1", T0, NULL), j3);
    assert_int_equal(claim(f, "w2", T0 + 1, NULL), 0);     /* all held */
}

static void
an_expired_lease_is_taken_again_and_the_old_holder_loses_it(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t id = enqueue(f, &f->a, "test.crash", 3);
    assert_int_equal(claim(f, "w1", T0, NULL), id);
    /* progress extends the lease */
    assert_int_equal(rcm_store_job_progress(s, id, "w1", 5, 60, LEASE, T0 + 20000, &d), RCM_OK);
    assert_int_equal(claim(f, "w2", T0 + LEASE + 1, NULL), 0);
    struct rcm_job j = get(f, &f->a, id);
    assert_int_equal(j.progress_done, 5);
    assert_int_equal(j.progress_total, 60);
    assert_int_equal(j.lease_expires_ms, T0 + 20000 + LEASE);
    /* w1 goes silent: once the lease has run out, w2 takes the job */
    assert_int_equal(claim(f, "w2", T0 + 20000 + LEASE - 1, NULL), 0);
    struct rcm_job again;
    assert_int_equal(claim(f, "w2", T0 + 20000 + LEASE + 1, &again), id);
    assert_int_equal(again.attempts, 2);
    assert_string_equal(again.lease_owner, "w2");
    assert_int_equal(again.progress_done, 5);       /* what the first run got to */
    /* w1 wakes up: everything it tries is refused and changes nothing */
    assert_int_equal(rcm_store_job_progress(s, id, "w1", 6, 60, LEASE, T0 + 60000, &d),
                     RCM_E_CONFLICT);
    assert_int_equal(rcm_store_job_finish(s, id, "w1", true, "{}", NULL, T0 + 60000, &d),
                     RCM_E_CONFLICT);
    assert_int_equal(rcm_store_job_release(s, id, "w1", true, NULL, T0 + 60000, &d),
                     RCM_E_CONFLICT);
    j = get(f, &f->a, id);
    assert_string_equal(j.state, "running");
    assert_string_equal(j.lease_owner, "w2");
    assert_int_equal(j.progress_done, 5);
    /* w2 ends it, once */
    assert_int_equal(rcm_store_job_finish(s, id, "w2", true, "{\"keys\":60}", NULL,
                                          T0 + 70000, &d), RCM_OK);
    assert_int_equal(rcm_store_job_finish(s, id, "w2", true, "{}", NULL, T0 + 70001, &d),
                     RCM_E_CONFLICT);
    j = get(f, &f->a, id);
    assert_string_equal(j.state, "done");
    assert_string_equal(j.result, "{\"keys\":60}");
    assert_string_equal(j.error, "");
    assert_int_equal(j.finished_ms, T0 + 70000);
    assert_int_equal(j.lease_expires_ms, 0);
    assert_string_equal(j.lease_owner, "w2");
    assert_int_equal(audited(f, "job.finish", "success"), 1);
    /* a finished job is never taken again */
    assert_int_equal(claim(f, "w3", T0 + 10 * LEASE, NULL), 0);
}

static void
a_job_that_used_every_attempt_is_failed_not_taken(void **state)
{
    struct fx *f = *state;
    int64_t id = enqueue(f, &f->a, "test.doomed", 2);
    int64_t later = enqueue(f, &f->a, "test.fine", 3);
    assert_int_equal(claim(f, "w1", T0, NULL), id);
    assert_int_equal(claim(f, "w1", T0 + 1, NULL), later);
    assert_int_equal(claim(f, "w2", T0 + LEASE + 1, NULL), id);           /* attempt 2 */
    /* both leases run out; the doomed job has used its two attempts */
    struct rcm_job got;
    assert_int_equal(claim(f, "w3", T0 + 3 * LEASE, &got), later);
    assert_int_equal(got.attempts, 2);
    struct rcm_job j = get(f, &f->a, id);
    assert_string_equal(j.state, "failed");
    assert_int_equal(j.attempts, 2);
    assert_true(strstr(j.error, "gave up after 2 attempts") != NULL);
    assert_int_equal(j.finished_ms, T0 + 3 * LEASE);
    assert_int_equal(audited(f, "job.finish", "failure"), 1);
    assert_int_equal(claim(f, "w4", T0 + 10 * LEASE, NULL), later);       /* not the doomed */
}

static void
the_holder_fails_or_gives_back_a_job(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t id = enqueue(f, &f->a, "test.flaky", 3);
    assert_int_equal(claim(f, "w1", T0, NULL), id);
    /* a passing failure: back to the queue, the attempt counts, the reason is kept */
    assert_int_equal(rcm_store_job_release(s, id, "w1", false, "database busy", T0 + 1, &d),
                     RCM_OK);
    struct rcm_job j = get(f, &f->a, id);
    assert_string_equal(j.state, "queued");
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.error, "database busy");
    assert_string_equal(j.lease_owner, "");
    /* taken again at once; a shutdown gives the attempt back */
    assert_int_equal(claim(f, "w2", T0 + 2, &j), id);
    assert_int_equal(j.attempts, 2);
    assert_int_equal(rcm_store_job_release(s, id, "w2", true, NULL, T0 + 3, &d), RCM_OK);
    j = get(f, &f->a, id);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.error, "database busy");
    /* a wrong owner cannot touch it; the holder fails it, with a long reason cut short */
    assert_int_equal(claim(f, "w3", T0 + 4, NULL), id);
    assert_int_equal(rcm_store_job_progress(s, id, "w1", 1, 1, LEASE, T0 + 5, &d),
                     RCM_E_CONFLICT);
    char why[600];
    memset(why, 'x', sizeof why - 1);
    why[sizeof why - 1] = '\0';
    assert_int_equal(rcm_store_job_finish(s, id, "w3", false, NULL, why, T0 + 6, &d), RCM_OK);
    j = get(f, &f->a, id);
    assert_string_equal(j.state, "failed");
    assert_int_equal(strlen(j.error), RCM_JOB_ERROR_MAX);
    assert_string_equal(j.result, "");
    assert_int_equal(audited(f, "job.finish", "failure"), 1);
}

static void
unique_finds_the_job_already_queued_or_running(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_job j1, j2, jb;
    bool created;
    assert_int_equal(rcm_store_job_enqueue(s, &f->a, "test.once", "{}", 3, true, &j1, &created,
                                           &d), RCM_OK);
    assert_true(created);
    assert_int_equal(rcm_store_job_enqueue(s, &f->a, "test.once", "{\"x\":1}", 3, true, &j2,
                                           &created, &d), RCM_OK);
    assert_false(created);
    assert_int_equal(j2.id, j1.id);
    assert_string_equal(j2.params, "{}");
    /* per tenant */
    assert_int_equal(rcm_store_job_enqueue(s, &f->b, "test.once", "{}", 3, true, &jb, &created,
                                           &d), RCM_OK);
    assert_true(created);
    /* still while it runs; a new one once it has ended */
    assert_int_equal(claim(f, "w1", T0, NULL), j1.id);
    assert_int_equal(rcm_store_job_enqueue(s, &f->a, "test.once", "{}", 3, true, &j2, &created,
                                           &d), RCM_OK);
    assert_false(created);
    assert_int_equal(j2.id, j1.id);
    assert_int_equal(rcm_store_job_finish(s, j1.id, "w1", true, NULL, NULL, T0 + 1, &d), RCM_OK);
    assert_int_equal(rcm_store_job_enqueue(s, &f->a, "test.once", "{}", 3, true, &j2, &created,
                                           &d), RCM_OK);
    assert_true(created);
    assert_true(j2.id > jb.id);
    assert_int_equal(audited(f, "job.create", NULL), 2);
}

struct list_ctx {
    int64_t ids[16];
    int n;
};

static int
collect(void *ctx, const struct rcm_job *j)
{
    struct list_ctx *l = ctx;
    l->ids[l->n++] = j->id;
    return l->n == 16;
}

static void
a_tenant_sees_only_its_own_jobs(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t a1 = enqueue(f, &f->a, "test.a", 3);
    int64_t b1 = enqueue(f, &f->b, "test.b", 3);
    int64_t a2 = enqueue(f, &f->a, "test.a", 3);
    int64_t a3 = enqueue(f, &f->a, "test.a", 3);
    struct rcm_job j;
    assert_int_equal(rcm_store_job_get(s, &f->b, a1, &j, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_job_get(s, &f->a, b1, &j, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_job_get(s, &f->a, 0, &j, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_job_get(s, &f->a, 987654321, &j, &d), RCM_E_NOT_FOUND);
    assert_int_equal(get(f, &f->b, b1).tenant_id, 2);
    /* newest first, a page at a time */
    struct list_ctx l = {{0}, 0};
    assert_int_equal(rcm_store_job_list(s, &f->a, 0, 2, collect, &l, &d), RCM_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.ids[0], a3);
    assert_int_equal(l.ids[1], a2);
    l.n = 0;
    assert_int_equal(rcm_store_job_list(s, &f->a, a2, 2, collect, &l, &d), RCM_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ids[0], a1);
    l.n = 0;
    assert_int_equal(rcm_store_job_list(s, &f->b, 0, 500, collect, &l, &d), RCM_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ids[0], b1);
    assert_int_equal(rcm_store_job_list(s, &f->a, 0, 501, collect, &l, &d), RCM_E_INVAL);
    struct rcm_actor none = {.type = "system"};
    assert_int_equal(rcm_store_job_list(s, &none, 0, 5, collect, &l, &d), RCM_E_INVAL);
}

static void
bad_arguments_are_refused(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_job j;
    bool created;
    char big[RCM_JOB_JSON_MAX + 8];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    static const struct {
        const char *kind, *params;
        int max;
    } bad[] = {
        {"", "{}", 3}, {"Keys.Rotate", "{}", 3}, {"keys rotate", "{}", 3},
        {"ok.kind", "[]", 3}, {"ok.kind", "", 3}, {"ok.kind", NULL, 3},
        {"ok.kind", "{}", 0}, {"ok.kind", "{}", RCM_JOB_ATTEMPTS_MAX + 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rcm_store_job_enqueue(s, &f->a, bad[i].kind, bad[i].params, bad[i].max,
                                               false, &j, &created, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_job_enqueue(s, &f->a, "ok.kind", big, 3, false, &j, &created, &d),
                     RCM_E_INVAL);
    struct rcm_actor none = {.type = "system"};
    assert_int_equal(rcm_store_job_enqueue(s, &none, "ok.kind", "{}", 3, false, &j, &created,
                                           &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_job_claim(s, "", LEASE, T0, &j, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_job_claim(s, "has space", LEASE, T0, &j, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_job_claim(s, "w1", 0, T0, &j, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_job_progress(s, 1, "w1", -1, 0, LEASE, T0, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_job_finish(s, 1, "w1", true, "nope", NULL, T0, &d), RCM_E_INVAL);
    assert_int_equal(audited(f, "job.create", NULL), 0);
}

static const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    T(claims_take_the_oldest_first_across_tenants),
    T(an_expired_lease_is_taken_again_and_the_old_holder_loses_it),
    T(a_job_that_used_every_attempt_is_failed_not_taken),
    T(the_holder_fails_or_gives_back_a_job),
    T(unique_finds_the_job_already_queued_or_running),
    T(a_tenant_sees_only_its_own_jobs),
    T(bad_arguments_are_refused),
#undef T
};

STORE_FIXTURE_MAIN(tests)
