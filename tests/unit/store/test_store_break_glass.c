/*
 * Break-glass reasons sealed like other PHI (migration 0021), on SQLite and
 * PostgreSQL (store_fixture.h): the database holds an AES-256-GCM envelope
 * under the tenant's note key and never the plaintext; the list opens it; an
 * envelope moved to another grant does not open; a plaintext reason left by
 * a database from before 0021 is sealed and cleared when the store migrates.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/roles.h"
#include "store_fixture.h"

#define REASON "cardiac arrest in the waiting room, chart needed"

struct fx {
    struct store_fx *s;
    struct rcm_tenant t;
    struct rcm_user u;
    struct rcm_actor a;
    int64_t session;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_tenant_create(f->s->store, &sys, "clinic", "Clinic", &f->t, &d))
        return -1;
    sys.tenant_id = f->t.id;
    if (rcm_store_user_create(f->s->store, &sys, "doc@clinic.example", "Doc", RCM_ROLE_BILLER,
                              NULL, &f->u, &d))
        return -1;
    f->a = (struct rcm_actor){.tenant_id = f->t.id, .type = "user", .user_id = f->u.id};
    char h[65], c[65];
    memset(h, 'a', 64);
    memset(c, 'b', 64);
    h[64] = c[64] = '\0';
    if (rcm_store_session_create(f->s->store, &f->a, h, c, true, rcm_time_now_ms(), &f->session,
                                 &d))
        return -1;
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

struct seen {
    int n;
    char reason[4][2001];
};

static int
collect(void *ctx, const struct rcm_break_glass *g)
{
    struct seen *s = ctx;
    if (s->n < 4)
        snprintf(s->reason[s->n], sizeof s->reason[0], "%s", g->reason);
    s->n++;
    return 0;
}

static void
the_reason_is_sealed_and_opens_for_the_list(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t id = 0;
    assert_int_equal(rcm_store_break_glass_start(f->s->store, &f->a, f->session, REASON,
                                                 rcm_time_now_ms() + 60000, &id, &d), RCM_OK);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM break_glass WHERE reason IS NULL "
                                  "AND length(reason_sealed) > 0", NULL), 1);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM break_glass WHERE "
                                  "instr(reason_sealed, CAST('waiting room' AS BLOB)) > 0",
                                  "SELECT count(*) FROM break_glass WHERE position("
                                  "convert_to('waiting room', 'UTF8') in reason_sealed) > 0"), 0);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM tenant_key WHERE purpose = 'note'",
                                  NULL), 1);
    struct seen s = {0};
    assert_int_equal(rcm_store_break_glass_list(f->s->store, &f->a, 10, collect, &s, &d), RCM_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], REASON);
}

static void
an_envelope_moved_to_another_grant_does_not_open(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t a = 0, b = 0;
    assert_int_equal(rcm_store_break_glass_start(f->s->store, &f->a, f->session, REASON,
                                                 rcm_time_now_ms() + 60000, &a, &d), RCM_OK);
    assert_int_equal(rcm_store_break_glass_end(f->s->store, &f->a, f->session, &d), RCM_OK);
    assert_int_equal(rcm_store_break_glass_start(f->s->store, &f->a, f->session,
                                                 "another emergency, another reason",
                                                 rcm_time_now_ms() + 60000, &b, &d), RCM_OK);
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE break_glass SET reason_sealed = (SELECT reason_sealed FROM "
             "break_glass WHERE id = %lld) WHERE id = %lld", (long long)a, (long long)b);
    assert_int_equal(store_fx_exec(f->s, sql), RCM_OK);
    struct seen s = {0};
    assert_int_equal(rcm_store_break_glass_list(f->s->store, &f->a, 10, collect, &s, &d),
                     RCM_E_CRYPTO);
    assert_null(strstr(d.msg, "waiting"));
}

static void
plaintext_from_before_0021_is_sealed_when_migrating(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    char sql[300];
    snprintf(sql, sizeof sql, "INSERT INTO break_glass(tenant_id, user_id, session_id, reason, "
             "started_ms, expires_ms) VALUES (%lld, %lld, %lld, 'legacy: %s', 1, 2)",
             (long long)f->t.id, (long long)f->u.id, (long long)f->session, REASON);
    assert_int_equal(store_fx_exec(f->s, sql), RCM_OK);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM break_glass WHERE reason IS NOT NULL",
                                  NULL), 1);
    /* readable before it is sealed (a store opened without keys) */
    struct seen s = {0};
    assert_int_equal(rcm_store_break_glass_list(f->s->store, &f->a, 10, collect, &s, &d), RCM_OK);
    assert_string_equal(s.reason[0], "legacy: " REASON);
    assert_int_equal(rcm_store_migrate(f->s->store, NULL, &d), RCM_OK);
    assert_int_equal(store_fx_int(f->s, "SELECT count(*) FROM break_glass WHERE reason IS NOT NULL",
                                  NULL), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(rcm_store_break_glass_list(f->s->store, &f->a, 10, collect, &s, &d), RCM_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "legacy: " REASON);
}

static const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    T(the_reason_is_sealed_and_opens_for_the_list),
    T(an_envelope_moved_to_another_grant_does_not_open),
    T(plaintext_from_before_0021_is_sealed_when_migrating),
#undef T
};

STORE_FIXTURE_MAIN(tests)
