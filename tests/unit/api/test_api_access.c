/*
 * Access policy below HTTP: api_authorize/api_can with break-glass against a
 * real store (a permission the role lacks is refused, granted while the
 * grant is in force, refused again after it), the emergency flag on audit
 * records, the tenant's second-factor policy, and the store's rules for
 * user changes (last active owner, tenant scoping) and grants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm_test.h"

static const uint8_t audit_key[RCM_AUDIT_KEY_BYTES] = "0123456789abcdef0123456789abcde";

struct fx {
    char dir[64];
    struct rcm_store *store;
    struct api_context ctx;
    int64_t tenant_id;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char path[96];
    snprintf(f->dir, sizeof f->dir, "/tmp/rcm-access-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(path, sizeof path, "%s/openrcm.db", f->dir);
    /* a master key: break-glass reasons are sealed under a tenant key */
    struct rcm_key master;
    rcm_key_generate(&master, 0);
    struct rcm_store_options opt = {"sqlite", path, 5000, 2, audit_key, &master};
    struct rcm_diag d = RCM_DIAG_INIT;
    enum rcm_err opened = rcm_store_open(&opt, &f->store, &d);
    rcm_key_wipe(&master);
    if (opened != RCM_OK || rcm_store_migrate(f->store, NULL, &d))
        return -1;
    struct rcm_actor sys = {.type = "system"};
    struct rcm_tenant t;
    if (rcm_store_tenant_create(f->store, &sys, "clinic", "Clinic", &t, &d) != RCM_OK)
        return -1;
    assert_int_equal(t.policy.break_glass_max_minutes, 60);
    assert_false(t.policy.mfa_required);
    f->tenant_id = t.id;
    f->ctx.store = f->store;
    f->ctx.session_idle_ms = 15 * 60000;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    rcm_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static struct rcm_actor
scope(const struct fx *f, int64_t user_id)
{
    return (struct rcm_actor){.tenant_id = f->tenant_id, .type = "user", .user_id = user_id};
}

static int64_t
add_user(struct fx *f, const char *email, enum rcm_role role)
{
    struct rcm_actor sys = scope(f, 0);
    struct rcm_user u;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_user_create(f->store, &sys, email, "Someone", role, NULL, &u, &d),
                     RCM_OK);
    return u.id;
}

/* A session for the user; returns its id and the token. */
static int64_t
add_session(struct fx *f, int64_t user_id, bool mfa_ok, char token[RCM_TOKEN_TEXT_LEN + 1])
{
    char csrf[RCM_TOKEN_TEXT_LEN + 1], th[65], ch[65];
    rcm_token_new(token);
    rcm_token_new(csrf);
    rcm_token_hash(token, th);
    rcm_token_hash(csrf, ch);
    struct rcm_actor a = scope(f, user_id);
    int64_t id;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_store_session_create(f->store, &a, th, ch, mfa_ok, rcm_time_now_ms(),
                                              &id, &d), RCM_OK);
    return id;
}

struct call {
    struct rcm_arena arena;
    struct api_request req;
    struct api_response res;
    char auth[16 + RCM_TOKEN_TEXT_LEN];
    bool ok;
};

static void
authorize(struct fx *f, struct call *c, const char *token, enum rcm_permission perm)
{
    memset(c, 0, sizeof *c);
    rcm_arena_init(&c->arena, 1 << 16, 0);
    snprintf(c->auth, sizeof c->auth, "Bearer %s", token);
    c->req.ctx = &f->ctx;
    c->req.method = "GET";
    c->req.path = "/test";
    c->req.arena = &c->arena;
    c->req.authorization = c->auth;
    c->req.source_ip = "127.0.0.1";
    strcpy(c->req.req_id, "unit");
    c->res.status = 200;
    c->ok = api_authorize(&c->req, &c->res, (int)perm);
}

static const char *
code(const struct call *c)
{
    return json_string_value(json_object_get(c->res.json, "code"));
}

static void
done(struct call *c)
{
    api_response_release(&c->res);
    rcm_arena_release(&c->arena);
}

static int
count_flagged(void *ctx, const struct rcm_audit_event *ev)
{
    int *n = ctx;
    assert_true(ev->emergency);
    (*n)++;
    return 0;
}

static void
break_glass_grants_patient_data_while_in_force(void **state)
{
    struct fx *f = *state;
    int64_t coder = add_user(f, "coder@clinic.example", RCM_ROLE_CODER);
    char token[RCM_TOKEN_TEXT_LEN + 1];
    int64_t sid = add_session(f, coder, true, token);
    struct call c;
    struct rcm_diag d = RCM_DIAG_INIT;

    /* a coder has no phi.financial: a route needing it is refused */
    authorize(f, &c, token, RCM_PERM_PHI_FINANCIAL);
    assert_false(c.ok);
    assert_int_equal(c.res.status, 403);
    assert_string_equal(code(&c), "forbidden");
    done(&c);

    struct rcm_actor a = scope(f, coder);
    int64_t grant = 0, now = rcm_time_now_ms();
    assert_int_equal(rcm_store_break_glass_start(f->store, &a, sid, "short", now + 60000, &grant,
                                                 &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_break_glass_start(f->store, &a, sid, "patient in the ER now",
                                                 now - 1, &grant, &d), RCM_E_INVAL);
    assert_int_equal(rcm_store_break_glass_start(f->store, &a, sid, "patient in the ER now",
                                                 now + 60000, &grant, &d), RCM_OK);
    assert_true(grant > 0);
    assert_int_equal(rcm_store_break_glass_start(f->store, &a, sid, "patient in the ER again",
                                                 now + 60000, &grant, &d), RCM_E_CONFLICT);

    /* in force: full patient data, nothing more; the actor is flagged */
    authorize(f, &c, token, RCM_PERM_PHI_FINANCIAL);
    assert_true(c.ok);
    assert_true(c.req.actor.emergency);
    assert_true(api_can(&c.req, RCM_PERM_PHI_READ));
    assert_true(api_can(&c.req, RCM_PERM_PHI_WRITE));
    assert_true(api_can(&c.req, RCM_PERM_CODING_WRITE));
    assert_false(api_can(&c.req, RCM_PERM_USER_MANAGE));
    assert_false(api_can(&c.req, RCM_PERM_AUDIT_READ));
    /* whatever the request writes to the audit log is flagged */
    struct rcm_audit_what what = {"patient.read", "patient", "7", "7", "success"};
    assert_int_equal(rcm_store_audit_append(f->store, &c.req.actor, &what, &d), RCM_OK);
    done(&c);
    authorize(f, &c, token, RCM_PERM_USER_MANAGE);
    assert_false(c.ok);
    assert_int_equal(c.res.status, 403);
    done(&c);

    struct rcm_audit_filter filter = {.tenant_id = f->tenant_id, .emergency = 1, .limit = 100};
    int flagged = 0;
    assert_int_equal(rcm_store_audit_query(f->store, &filter, count_flagged, &flagged, &d), RCM_OK);
    assert_int_equal(flagged, 2);       /* break_glass.start and patient.read */

    /* ended: refused again, and no longer flagged */
    assert_int_equal(rcm_store_break_glass_end(f->store, &a, sid, &d), RCM_OK);
    assert_int_equal(rcm_store_break_glass_end(f->store, &a, sid, &d), RCM_E_NOT_FOUND);
    authorize(f, &c, token, RCM_PERM_PHI_FINANCIAL);
    assert_false(c.ok);
    assert_int_equal(c.res.status, 403);
    assert_false(c.req.actor.emergency);
    done(&c);
    flagged = 0;
    assert_int_equal(rcm_store_audit_query(f->store, &filter, count_flagged, &flagged, &d), RCM_OK);
    assert_int_equal(flagged, 3);       /* + break_glass.end (written while in force) */
}

struct grants {
    struct rcm_break_glass last;
    int n;
};

static int
take_grant(void *ctx, const struct rcm_break_glass *g)
{
    struct grants *gs = ctx;
    if (gs->n++ == 0)
        gs->last = *g;
    return 0;
}

static void
break_glass_expires_and_never_helps_analysts(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t biller = add_user(f, "biller@clinic.example", RCM_ROLE_BILLER);
    char token[RCM_TOKEN_TEXT_LEN + 1];
    int64_t sid = add_session(f, biller, true, token);
    struct rcm_actor a = scope(f, biller);
    int64_t grant;
    /* a grant that ends 50 ms from now */
    assert_int_equal(rcm_store_break_glass_start(f->store, &a, sid, "end of day claim fix",
                                                 rcm_time_now_ms() + 50, &grant, &d), RCM_OK);
    struct call c;
    authorize(f, &c, token, RCM_PERM_SELF);
    assert_true(c.req.actor.emergency);
    done(&c);
    usleep(120 * 1000);
    authorize(f, &c, token, RCM_PERM_SELF);
    assert_true(c.ok);
    assert_false(c.req.actor.emergency);
    assert_false(api_can(&c.req, RCM_PERM_CODING_WRITE));
    done(&c);
    struct grants gs = {0};
    struct rcm_actor sys = scope(f, 0);
    assert_int_equal(rcm_store_break_glass_list(f->store, &sys, 10, take_grant, &gs, &d), RCM_OK);
    assert_int_equal(gs.n, 1);
    assert_int_equal(gs.last.id, grant);
    assert_int_equal(gs.last.user_id, biller);
    assert_int_equal(gs.last.ended_ms, 0);
    assert_true(gs.last.expires_ms < rcm_time_now_ms());
    assert_string_equal(gs.last.reason, "end of day claim fix");
    /* after expiry a new one may start */
    assert_int_equal(rcm_store_break_glass_start(f->store, &a, sid, "second look at the claim",
                                                 rcm_time_now_ms() + 60000, &grant, &d), RCM_OK);

    /* a grant stored for an analyst's session (the API refuses to start one)
     * still gives nothing: the role check is in api_can's path too */
    int64_t analyst = add_user(f, "analyst@clinic.example", RCM_ROLE_ANALYST);
    char atoken[RCM_TOKEN_TEXT_LEN + 1];
    int64_t asid = add_session(f, analyst, true, atoken);
    struct rcm_actor aa = scope(f, analyst);
    assert_int_equal(rcm_store_break_glass_start(f->store, &aa, asid, "not allowed by the API",
                                                 rcm_time_now_ms() + 60000, &grant, &d), RCM_OK);
    authorize(f, &c, atoken, RCM_PERM_PHI_READ);
    assert_false(c.ok);
    assert_int_equal(c.res.status, 403);
    assert_false(c.req.actor.emergency);
    done(&c);
}

static void
tenant_policy_requires_a_second_factor_for_every_role(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t comp = add_user(f, "compliance@clinic.example", RCM_ROLE_COMPLIANCE);
    char token[RCM_TOKEN_TEXT_LEN + 1];
    add_session(f, comp, true, token);
    struct call c;
    authorize(f, &c, token, RCM_PERM_AUDIT_READ);
    assert_true(c.ok);
    done(&c);
    struct rcm_actor admin = scope(f, 1);
    struct rcm_tenant_policy p = {.mfa_required = true, .session_idle_s = 59,
                                  .break_glass_max_minutes = 60};
    assert_int_equal(rcm_store_tenant_policy_set(f->store, &admin, &p, &d), RCM_E_INVAL);
    p.session_idle_s = 1801;
    assert_int_equal(rcm_store_tenant_policy_set(f->store, &admin, &p, &d), RCM_E_INVAL);
    p.session_idle_s = 300;
    p.break_glass_max_minutes = 241;
    assert_int_equal(rcm_store_tenant_policy_set(f->store, &admin, &p, &d), RCM_E_INVAL);
    p.break_glass_max_minutes = 30;
    assert_int_equal(rcm_store_tenant_policy_set(f->store, &admin, &p, &d), RCM_OK);
    struct rcm_tenant t;
    assert_int_equal(rcm_store_tenant_get(f->store, &admin, &t, &d), RCM_OK);
    assert_true(t.policy.mfa_required);
    assert_int_equal(t.policy.session_idle_s, 300);
    assert_int_equal(t.policy.break_glass_max_minutes, 30);
    /* the session never passed a second factor: enrol-only now */
    authorize(f, &c, token, RCM_PERM_AUDIT_READ);
    assert_false(c.ok);
    assert_string_equal(code(&c), "mfa_enrolment_required");
    done(&c);
    authorize(f, &c, token, RCM_PERM_SELF);
    assert_true(c.ok);
    assert_true(api_mfa_pending(&c.req));
    assert_int_equal(api_idle_ms(&f->ctx, &c.req.principal.policy), 300 * 1000);
    done(&c);
}

static int
count_rows(void *ctx, const struct rcm_user *u)
{
    (void)u;
    (*(int *)ctx)++;
    return 0;
}

static void
user_changes_keep_an_owner_and_stay_in_the_tenant(void **state)
{
    struct fx *f = *state;
    struct rcm_diag d = RCM_DIAG_INIT;
    int64_t owner = add_user(f, "owner@clinic.example", RCM_ROLE_OWNER);
    int64_t admin = add_user(f, "admin@clinic.example", RCM_ROLE_ADMIN);
    char token[RCM_TOKEN_TEXT_LEN + 1];
    add_session(f, owner, true, token);
    struct rcm_actor by_admin = scope(f, admin);
    struct rcm_user u;
    struct rcm_user_change demote = {.role = RCM_ROLE_ADMIN, .disabled = -1};
    struct rcm_user_change disable = {.role = -1, .disabled = 1};
    assert_int_equal(rcm_store_user_update(f->store, &by_admin, owner, &demote, &u, &d),
                     RCM_E_CONFLICT);
    assert_int_equal(rcm_store_user_update(f->store, &by_admin, owner, &disable, &u, &d),
                     RCM_E_CONFLICT);
    assert_int_equal(rcm_store_user_get(f->store, &by_admin, owner, &u, &d), RCM_OK);
    assert_int_equal(u.role, RCM_ROLE_OWNER);
    assert_false(u.disabled);
    /* refused changes roll back entirely: the session still works */
    struct call c;
    authorize(f, &c, token, RCM_PERM_SELF);
    assert_true(c.ok);
    done(&c);
    /* another owner: now the first may be disabled, and its sessions end */
    struct rcm_user_change promote = {.role = RCM_ROLE_OWNER, .disabled = -1};
    assert_int_equal(rcm_store_user_update(f->store, &by_admin, admin, &promote, &u, &d), RCM_OK);
    assert_int_equal(rcm_store_user_update(f->store, &by_admin, owner, &disable, &u, &d), RCM_OK);
    assert_true(u.disabled);
    authorize(f, &c, token, RCM_PERM_SELF);
    assert_false(c.ok);
    assert_int_equal(c.res.status, 401);
    done(&c);
    /* another tenant's actor sees nothing to change */
    struct rcm_actor sys = {.type = "system"};
    struct rcm_tenant other;
    assert_int_equal(rcm_store_tenant_create(f->store, &sys, "other", "Other", &other, &d), RCM_OK);
    struct rcm_actor outsider = {.tenant_id = other.id, .type = "user", .user_id = 99};
    assert_int_equal(rcm_store_user_update(f->store, &outsider, admin, &disable, &u, &d),
                     RCM_E_NOT_FOUND);
    assert_int_equal(rcm_store_user_unlock(f->store, &outsider, admin, &d), RCM_E_NOT_FOUND);
    int n = 0;
    assert_int_equal(rcm_store_user_list(f->store, &outsider, count_rows, &n, &d), RCM_OK);
    assert_int_equal(n, 0);
    struct rcm_user_change bad = {.role = RCM_ROLE_COUNT, .disabled = -1};
    assert_int_equal(rcm_store_user_update(f->store, &by_admin, admin, &bad, &u, &d), RCM_E_INVAL);
    struct rcm_user_change empty_name = {.role = -1, .disabled = -1, .display_name = ""};
    assert_int_equal(rcm_store_user_update(f->store, &by_admin, admin, &empty_name, &u, &d),
                     RCM_E_INVAL);
}

RUN_TESTS(cmocka_unit_test_setup_teardown(break_glass_grants_patient_data_while_in_force, setup,
                                          teardown),
          cmocka_unit_test_setup_teardown(break_glass_expires_and_never_helps_analysts, setup,
                                          teardown),
          cmocka_unit_test_setup_teardown(tenant_policy_requires_a_second_factor_for_every_role,
                                          setup, teardown),
          cmocka_unit_test_setup_teardown(user_changes_keep_an_owner_and_stay_in_the_tenant,
                                          setup, teardown))
