/*
 * api_break_glass.c — emergency ("break-glass") access. A logged-in user of
 * a clinical, billing or administrative role states a reason and gets full
 * identified patient data (phi.read, phi.write, phi.financial) on this
 * session for a limited time; api_can honours it and every audit record
 * written meanwhile is flagged `emergency`. Compliance lists the grants.
 *
 * The reason is stored with the grant and shown to compliance only; it is
 * never logged and never copied into audit records (they name the grant).
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/str.h"

/* Default length of a grant when the request names none. */
#define BREAK_GLASS_DEFAULT_MINUTES 30

bool
api_break_glass_role(enum rcm_role role)
{
    switch (role) {
    case RCM_ROLE_OWNER:
    case RCM_ROLE_ADMIN:
    case RCM_ROLE_BILLER:
    case RCM_ROLE_CODER:
    case RCM_ROLE_FRONT_DESK:
    case RCM_ROLE_COMPLIANCE:
        return true;
    default:                    /* analysts see de-identified data only; API clients are machines */
        return false;
    }
}

static const char *
iso(struct api_request *req, int64_t ms)
{
    char *out = rcm_arena_alloc(req->arena, RCM_TIME_ISO_LEN + 1);
    if (out)
        rcm_time_format_iso(ms, out);
    return out ? out : "";
}

void
api_post_break_glass(struct api_request *req, struct api_response *res)
{
    if (req->principal.api_key_id) {
        api_problem(req, res, API_PROBLEM_forbidden, "API keys cannot use break-glass access");
        return;
    }
    if (!api_break_glass_role((enum rcm_role)req->principal.role)) {
        api_problem(req, res, API_PROBLEM_forbidden, "the role %s may not use break-glass access",
                    rcm_role_name((enum rcm_role)req->principal.role));
        return;
    }
    if (api_mfa_pending(req)) {
        api_problem(req, res, API_PROBLEM_mfa_enrolment_required,
                    "pass the second factor before using break-glass access");
        return;
    }
    static const char *const members[] = {"reason", "minutes", NULL};
    const char *reason = NULL, *unknown = NULL;
    int64_t max = req->principal.policy.break_glass_max_minutes;
    int64_t minutes = max < BREAK_GLASS_DEFAULT_MINUTES ? max : BREAK_GLASS_DEFAULT_MINUTES;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!json_is_object(req->json) || !api_json_only(req->json, members, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "unknown member \"%.40s\"; send reason and minutes", unknown ? unknown : "");
        return;
    }
    if (rcm_json_get_str(req->json, "reason", true, &reason, &diag) ||
        rcm_json_get_int(req->json, "minutes", false, &minutes, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "reason (%d-%d characters) is required; minutes is an integer",
                    RCM_BREAK_GLASS_REASON_MIN, RCM_BREAK_GLASS_REASON_MAX);
        return;
    }
    if (minutes < 1 || minutes > max) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "minutes must be 1-%lld (the tenant's break_glass_max_minutes)",
                    (long long)max);
        return;
    }
    int64_t now = rcm_time_now_ms(), until = now + minutes * 60000, id = 0;
    enum rcm_err err = rcm_store_break_glass_start(req->ctx->store, &req->actor,
                                                   req->principal.session_id, reason, until,
                                                   &id, &diag);
    if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
    else if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict,
                    "break-glass access is already in force for this user; end it with "
                    "DELETE /v1/auth/break-glass first");
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "break-glass cannot be started");
    if (err)
        return;
    res->status = 201;
    res->json = json_pack("{s:I,s:s,s:s,s:I,s:[sss]}", "id", (json_int_t)id, "started_at",
                          iso(req, now), "expires_at", iso(req, until), "minutes",
                          (json_int_t)minutes, "grants", "phi.read", "phi.write",
                          "phi.financial");
}

void
api_delete_break_glass(struct api_request *req, struct api_response *res)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = req->principal.api_key_id
                           ? RCM_E_NOT_FOUND
                           : rcm_store_break_glass_end(req->ctx->store, &req->actor,
                                                       req->principal.session_id, &diag);
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no break-glass access is in force");
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "break-glass cannot be ended");
    else
        res->json = json_pack("{s:s}", "status", "ended");
}

struct grant_list {
    struct api_request *req;
    json_t *list;
    int64_t now_ms;
};

static int
append_grant(void *ctx, const struct rcm_break_glass *g)
{
    struct grant_list *gl = ctx;
    bool active = g->ended_ms == 0 && g->expires_ms > gl->now_ms;
    int64_t end = g->ended_ms ? g->ended_ms : g->expires_ms;
    json_t *o = json_pack("{s:I,s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:I}", "id",
                          (json_int_t)g->id, "user_id", (json_int_t)g->user_id, "user_email",
                          g->user_email, "session_id",
                          (json_int_t)g->session_id, "reason", g->reason, "started_at",
                          iso(gl->req, g->started_ms), "expires_at", iso(gl->req, g->expires_ms),
                          "ended_at", iso(gl->req, active ? 0 : end), "ended_by",
                          active ? "" : g->ended_ms && g->ended_ms < g->expires_ms ? "user"
                                                                                   : "expiry",
                          "active", active,
                          "actions", (json_int_t)g->actions);
    if (o && active) {
        json_object_set_new(o, "ended_at", json_null());
        json_object_set_new(o, "ended_by", json_null());
    }
    return json_array_append_new(gl->list, o) != 0;
}

void
api_get_break_glass(struct api_request *req, struct api_response *res)
{
    int64_t limit = 100;
    const char *v = req->query ? req->query(req->conn, "limit") : NULL;
    if (v && (rcm_str_to_i64(rcm_str_c(v), &limit) != RCM_OK || limit < 1 || limit > 1000)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "limit is an integer 1-1000");
        return;
    }
    struct grant_list gl = {req, json_array(), rcm_time_now_ms()};
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_audit_what what = {"break_glass.list", "break_glass", "", NULL, "success"};
    /* grants that ran out are recorded before anyone looks */
    if (!gl.list || rcm_store_break_glass_expire(req->ctx->store, gl.now_ms, NULL, &diag) ||
        rcm_store_break_glass_list(req->ctx->store, &req->actor, (int)limit, append_grant, &gl,
                                   &diag) != RCM_OK ||
        rcm_store_audit_append(req->ctx->store, &req->actor, &what, &diag) != RCM_OK) {
        json_decref(gl.list);
        api_problem(req, res, API_PROBLEM_internal_error, "break-glass grants cannot be read");
        return;
    }
    res->json = json_pack("{s:o}", "grants", gl.list);
}
