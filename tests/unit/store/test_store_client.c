/*
 * Client assignments (migration 0020) on SQLite and PostgreSQL
 * (store_fixture.h): a billing company's staff member reaches only the
 * client practices assigned to them, with the assigned role; the company's
 * owners and admins reach every client with their own role and take no
 * assignment; a session in a client stops working when its assignment is
 * taken away; another company cannot see or change the assignments; every
 * change is audited in the company's log and the client's.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/roles.h"
#include "store_fixture.h"

struct fx {
    struct store_fx *s;
    struct rcm_tenant co, other, c1, c2, c3;
    struct rcm_user owner, biller;
};

static const struct rcm_actor sys = {.type = "system"};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || !(f->s = store_fx_new())) {
        free(f);
        return -1;
    }
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_store_tenant_create(s, &sys, "billco", "Billing Co", &f->co, &d) ||
        rcm_store_tenant_create(s, &sys, "otherco", "Other Co", &f->other, &d))
        return -1;
    struct rcm_actor co = {.tenant_id = f->co.id, .type = "system"};
    if (rcm_store_client_create(s, &co, "clinic-1", "One", &f->c1, &d) ||
        rcm_store_client_create(s, &co, "clinic-2", "Two", &f->c2, &d) ||
        rcm_store_client_create(s, &co, "clinic-3", "Three", &f->c3, &d) ||
        rcm_store_user_create(s, &co, "owner@billco.example", "Owner", RCM_ROLE_OWNER,
                              NULL, &f->owner, &d) ||
        rcm_store_user_create(s, &co, "biller@billco.example", "Biller", RCM_ROLE_BILLER,
                              NULL, &f->biller, &d))
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

static int
collect(void *ctx, const struct rcm_tenant *t)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%s%s", n ? "," : "", t->slug);
    return 0;
}

static int
count_assignments(void *ctx, const struct rcm_client_assignment *a)
{
    int *n = ctx;
    assert_true(a->user_id > 0);
    (*n)++;
    return 0;
}

/* A login into slug by email: the role it acts with, or -1 when refused. */
static int
login_role(struct fx *f, const char *slug, const char *email)
{
    struct rcm_user u;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_login_lookup(f->s->store, slug, email, &u, &d), RCM_OK);
    return u.client_unassigned ? -1 : u.role;
}

static void
staff_reach_only_assigned_clients_with_the_assigned_role(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_actor co = {.tenant_id = f->co.id, .type = "user", .user_id = f->owner.id};
    assert_int_equal(rcm_store_client_assign(s, &co, f->c1.id, f->biller.id, RCM_ROLE_BILLER,
                                             &d), RCM_OK);
    assert_int_equal(rcm_store_client_assign(s, &co, f->c2.id, f->biller.id, RCM_ROLE_CODER,
                                             &d), RCM_OK);
    assert_int_equal(login_role(f, "clinic-1", "biller@billco.example"), RCM_ROLE_BILLER);
    assert_int_equal(login_role(f, "clinic-2", "biller@billco.example"), RCM_ROLE_CODER);
    assert_int_equal(login_role(f, "clinic-3", "biller@billco.example"), -1);
    /* at home: the company role; the owner: everywhere, as owner */
    assert_int_equal(login_role(f, "billco", "biller@billco.example"), RCM_ROLE_BILLER);
    assert_int_equal(login_role(f, "clinic-3", "owner@billco.example"), RCM_ROLE_OWNER);

    char list[256] = "";
    assert_int_equal(rcm_store_client_list(s, &co, f->biller.id, collect, list, &d), RCM_OK);
    assert_string_equal(list, "clinic-1,clinic-2");
    list[0] = '\0';
    assert_int_equal(rcm_store_client_list(s, &co, 0, collect, list, &d), RCM_OK);
    assert_string_equal(list, "clinic-1,clinic-2,clinic-3");
    int n = 0;
    assert_int_equal(rcm_store_client_assignments(s, &co, f->c1.id, count_assignments, &n, &d),
                     RCM_OK);
    assert_int_equal(n, 1);

    /* a change of role applies to the live session; removal ends it */
    struct rcm_actor in_c2 = {.tenant_id = f->c2.id, .type = "user", .user_id = f->biller.id};
    int64_t sid = 0;
    char hash[65], csrf[65];
    memset(hash, 'a', 64);
    memset(csrf, 'b', 64);
    hash[64] = csrf[64] = '\0';
    assert_int_equal(rcm_store_session_create(s, &in_c2, hash, csrf, true, 1000, &sid, &d),
                     RCM_OK);
    struct rcm_principal p;
    assert_int_equal(rcm_store_session_find(s, hash, &p, &d), RCM_OK);
    assert_int_equal(p.role, RCM_ROLE_CODER);
    assert_int_equal(rcm_store_client_assign(s, &co, f->c2.id, f->biller.id,
                                             RCM_ROLE_FRONT_DESK, &d), RCM_OK);
    assert_int_equal(rcm_store_session_find(s, hash, &p, &d), RCM_OK);
    assert_int_equal(p.role, RCM_ROLE_FRONT_DESK);
    assert_int_equal(rcm_store_client_unassign(s, &co, f->c2.id, f->biller.id, &d), RCM_OK);
    assert_int_equal(rcm_store_session_find(s, hash, &p, &d), RCM_E_PERM);
    assert_int_equal(rcm_store_client_unassign(s, &co, f->c2.id, f->biller.id, &d),
                     RCM_E_NOT_FOUND);

    /* audited twice per change: the company's log and the client's */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_event WHERE action LIKE 'client.%%' "
             "AND tenant_id = %lld", (long long)f->co.id);
    assert_int_equal(store_fx_int(f->s, sql, NULL), 4);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_event WHERE action LIKE 'client.%%' "
             "AND tenant_id = %lld", (long long)f->c2.id);
    assert_int_equal(store_fx_int(f->s, sql, NULL), 3);
}

static void
owners_admins_and_bad_roles_are_refused(void **state)
{
    struct fx *f = *state;
    struct rcm_store *s = f->s->store;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_actor co = {.tenant_id = f->co.id, .type = "user", .user_id = f->owner.id};
    assert_int_equal(rcm_store_client_assign(s, &co, f->c1.id, f->owner.id, RCM_ROLE_BILLER,
                                             &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_client_assign(s, &co, f->c1.id, f->biller.id, RCM_ROLE_OWNER,
                                             &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_client_assign(s, &co, f->c1.id, f->biller.id,
                                             RCM_ROLE_API_CLIENT, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_client_assign(s, &co, f->c1.id, f->biller.id, -1, &d),
                     RCM_E_INVAL);
    /* another company: its clients and users are not found */
    struct rcm_actor other = {.tenant_id = f->other.id, .type = "user", .user_id = 1};
    assert_int_equal(rcm_store_client_assign(s, &other, f->c1.id, f->biller.id,
                                             RCM_ROLE_BILLER, &d), RCM_E_NOT_FOUND);
    int n = 0;
    assert_int_equal(rcm_store_client_assignments(s, &other, f->c1.id, count_assignments, &n,
                                                  &d), RCM_E_NOT_FOUND);
    /* a client is not its own manager, nor is a user of another tenant staff */
    struct rcm_user stranger;
    struct rcm_actor oth = {.tenant_id = f->other.id, .type = "system"};
    assert_int_equal(rcm_store_user_create(s, &oth, "x@other.example", "X", RCM_ROLE_BILLER,
                                           NULL, &stranger, &d), RCM_OK);
    assert_int_equal(rcm_store_client_assign(s, &co, f->c1.id, stranger.id, RCM_ROLE_BILLER,
                                             &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_client_assign(s, &co, f->co.id, f->biller.id, RCM_ROLE_BILLER,
                                             &d), RCM_E_NOT_FOUND);
}

static const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    T(staff_reach_only_assigned_clients_with_the_assigned_role),
    T(owners_admins_and_bad_roles_are_refused),
#undef T
};

STORE_FIXTURE_MAIN(tests)
