/*
 * api_clients.c — client practices of a billing company.
 *
 * A billing company is a tenant that manages others: its owner creates a
 * client practice (a tenant of its own, with its own keys, users and audit
 * log), and the company's staff then log in to the client by naming it —
 * their session and everything they do belong to the client.
 */
#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/json.h"

static json_t *
tenant_json(const struct rcm_tenant *t)
{
    char created[32];
    rcm_time_format_iso(t->created_ms, created);
    return json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)t->id, "slug", t->slug, "name",
                     t->name, "created_at", created);
}

static int
append_tenant(void *ctx, const struct rcm_tenant *t)
{
    return json_array_append_new(ctx, tenant_json(t)) != 0;
}

void
api_get_clients(struct api_request *req, struct api_response *res)
{
    json_t *list = json_array();
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!list || rcm_store_client_list(req->ctx->store, &req->actor, append_tenant, list,
                                       &diag) != RCM_OK) {
        json_decref(list);
        api_problem(req, res, API_PROBLEM_internal_error, "client practices cannot be listed");
        return;
    }
    res->json = json_pack("{s:o}", "clients", list);
}

void
api_post_clients(struct api_request *req, struct api_response *res)
{
    const char *slug = NULL, *name = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_json_get_str_max(req->json, "slug", true, RCM_TENANT_SLUG_MAX, &slug, &diag) ||
        rcm_json_get_str_max(req->json, "name", true, RCM_TENANT_NAME_MAX, &name, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    /* a new organisation under this one's name: the owner's decision */
    if (req->principal.role != RCM_ROLE_OWNER) {
        api_problem(req, res, API_PROBLEM_forbidden, "only an owner may add a client practice");
        return;
    }
    struct rcm_tenant t;
    enum rcm_err err = rcm_store_client_create(req->ctx->store, &req->actor, slug, name, &t,
                                               &diag);
    if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict, "a tenant with this slug exists");
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
    else if (err == RCM_E_PERM)
        api_problem(req, res, API_PROBLEM_forbidden, "%s", diag.msg);
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the practice cannot be stored");
    else {
        res->status = 201;
        res->json = tenant_json(&t);
    }
}
