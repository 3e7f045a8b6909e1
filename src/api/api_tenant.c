/*
 * api_tenant.c — the caller's tenant and its security policy: second
 * factor for every role, session idle timeout, longest break-glass grant.
 * Everyone authenticated may read it (clients show the idle timeout);
 * changing it needs tenant.manage and is audited "tenant.policy.update".
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/json.h"

static json_t *
tenant_json(const struct api_context *ctx, const struct rcm_tenant *t)
{
    char created[RCM_TIME_ISO_LEN + 1];
    rcm_time_format_iso(t->created_ms, created);
    return json_pack("{s:I,s:s,s:s,s:s,s:{s:b,s:I,s:b,s:i}}", "id", (json_int_t)t->id,
                     "slug", t->slug, "name", t->name, "created_at", created, "policy",
                     "mfa_required", t->policy.mfa_required, "session_idle_s",
                     (json_int_t)(api_idle_ms(ctx, &t->policy) / 1000),
                     "session_idle_s_is_default", t->policy.session_idle_s == 0,
                     "break_glass_max_minutes", t->policy.break_glass_max_minutes);
}

void
api_get_tenant(struct api_request *req, struct api_response *res)
{
    struct rcm_tenant t;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_tenant_get(req->ctx->store, &req->actor, &t, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "the tenant cannot be read");
        return;
    }
    res->json = tenant_json(req->ctx, &t);
}

void
api_patch_tenant(struct api_request *req, struct api_response *res)
{
    static const char *const members[] = {"mfa_required", "session_idle_s",
                                          "break_glass_max_minutes", NULL};
    const char *unknown = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!json_is_object(req->json) || !api_json_only(req->json, members, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "unknown member \"%.40s\"; send mfa_required, session_idle_s or "
                    "break_glass_max_minutes", unknown ? unknown : "");
        return;
    }
    if (json_object_size(req->json) == 0) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "send at least one of mfa_required, session_idle_s, "
                    "break_glass_max_minutes");
        return;
    }
    struct rcm_tenant t;
    if (rcm_store_tenant_get(req->ctx->store, &req->actor, &t, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "the tenant cannot be read");
        return;
    }
    struct rcm_tenant_policy p = t.policy;
    int64_t idle = p.session_idle_s, bg = p.break_glass_max_minutes;
    json_t *idle_v = json_object_get(req->json, "session_idle_s");
    /* null puts the idle timeout back to the server's default */
    if (json_is_null(idle_v))
        idle = 0;
    else if (idle_v &&
             (rcm_json_get_int(req->json, "session_idle_s", true, &idle, &diag) != RCM_OK ||
              idle < RCM_POLICY_IDLE_MIN_S || idle > RCM_POLICY_IDLE_MAX_S))
        goto invalid;
    if (rcm_json_get_bool(req->json, "mfa_required", false, &p.mfa_required, &diag) != RCM_OK ||
        rcm_json_get_int(req->json, "break_glass_max_minutes", false, &bg, &diag) != RCM_OK ||
        bg < RCM_POLICY_BREAK_GLASS_MIN_MINUTES || bg > RCM_POLICY_BREAK_GLASS_MAX_MINUTES)
        goto invalid;
    p.session_idle_s = (int)idle;
    p.break_glass_max_minutes = (int)bg;
    enum rcm_err err = rcm_store_tenant_policy_set(req->ctx->store, &req->actor, &p, &diag);
    if (err == RCM_E_INVAL) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    if (err) {
        api_problem(req, res, API_PROBLEM_internal_error, "the policy cannot be stored");
        return;
    }
    t.policy = p;
    res->json = tenant_json(req->ctx, &t);
    return;
invalid:
    api_problem(req, res, API_PROBLEM_validation_failed,
                "mfa_required is a boolean; session_idle_s an integer %d-%d (at most 30 "
                "minutes) or null for the server's default; break_glass_max_minutes an "
                "integer %d-%d",
                RCM_POLICY_IDLE_MIN_S, RCM_POLICY_IDLE_MAX_S,
                RCM_POLICY_BREAK_GLASS_MIN_MINUTES, RCM_POLICY_BREAK_GLASS_MAX_MINUTES);
}
