/*
 * api_clients.c — client practices of a billing company.
 *
 * A billing company is a tenant that manages others: its owner creates a
 * client practice (a tenant of its own, with its own keys, users and audit
 * log), and the company's staff then log in to the client by naming it —
 * their session and everything they do belong to the client. Staff other
 * than the company's owners and admins reach only the clients assigned to
 * them, with the role assigned there (migration 0020); owners and admins
 * manage those assignments.
 */
#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/str.h"

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
    /* owners and admins see every client; other staff their assigned ones
     * (an API key: those of its creator) */
    enum rcm_role role = (enum rcm_role)req->principal.role;
    int64_t assigned_to = role == RCM_ROLE_OWNER || role == RCM_ROLE_ADMIN
                              ? 0 : req->principal.user_id;
    if (!list || rcm_store_client_list(req->ctx->store, &req->actor, assigned_to,
                                       append_tenant, list, &diag) != RCM_OK) {
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

/* ---- assignments --------------------------------------------------------- */

static int64_t
path_int(const struct api_request *req, const char *name)
{
    int64_t id;
    const char *v = api_param(req, name);
    return v && rcm_str_to_i64(rcm_str_c(v), &id) == RCM_OK && id > 0 ? id : -1;
}

static json_t *
assignment_json(const struct rcm_client_assignment *a)
{
    char created[RCM_TIME_ISO_LEN + 1], updated[RCM_TIME_ISO_LEN + 1];
    rcm_time_format_iso(a->created_ms, created);
    rcm_time_format_iso(a->updated_ms, updated);
    return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "client_id", (json_int_t)a->client_id,
                     "user_id", (json_int_t)a->user_id, "email", a->email, "role",
                     rcm_role_name((enum rcm_role)a->role), "created_at", created,
                     "updated_at", updated);
}

static int
append_assignment(void *ctx, const struct rcm_client_assignment *a)
{
    return json_array_append_new(ctx, assignment_json(a)) != 0;
}

static void
assignment_failed(struct api_request *req, struct api_response *res, enum rcm_err err,
                  const struct rcm_diag *diag)
{
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "%s", diag->msg);
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag->msg);
    else
        api_problem(req, res, API_PROBLEM_internal_error, "assignments cannot be stored");
}

void
api_get_client_assignments(struct api_request *req, struct api_response *res)
{
    json_t *list = json_array();
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = list ? rcm_store_client_assignments(req->ctx->store, &req->actor,
                                                           path_int(req, "id"),
                                                           append_assignment, list, &diag)
                            : RCM_E_NOMEM;
    if (err) {
        json_decref(list);
        if (err == RCM_E_NOT_FOUND)
            api_problem(req, res, API_PROBLEM_not_found, "no such client practice");
        else
            api_problem(req, res, API_PROBLEM_internal_error, "assignments cannot be read");
        return;
    }
    res->json = json_pack("{s:o}", "assignments", list);
}

/* {"user_id": N, "role": "biller"}: give a company user a role in the
 * client, or change it. */
void
api_post_client_assignments(struct api_request *req, struct api_response *res)
{
    static const char *const allowed[] = {"user_id", "role", NULL};
    const char *unknown = NULL, *role = NULL;
    int64_t user_id = 0;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!api_json_only(req->json, allowed, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown member %s", unknown);
        return;
    }
    if (rcm_json_get_int(req->json, "user_id", true, &user_id, &diag) ||
        rcm_json_get_str_max(req->json, "role", true, 32, &role, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    int64_t client_id = path_int(req, "id");
    if (user_id <= 0) {
        api_problem(req, res, API_PROBLEM_validation_failed, "user_id: a positive id");
        return;
    }
    enum rcm_err err = rcm_store_client_assign(req->ctx->store, &req->actor, client_id,
                                               user_id, rcm_role_parse(role), &diag);
    if (err) {
        assignment_failed(req, res, err, &diag);
        return;
    }
    struct rcm_client_assignment a = {0};
    res->json = NULL;
    /* read it back: one row */
    json_t *list = json_array();
    if (list && rcm_store_client_assignments(req->ctx->store, &req->actor, client_id,
                                             append_assignment, list, &diag) == RCM_OK) {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) {
            if (json_integer_value(json_object_get(v, "user_id")) == user_id)
                res->json = json_incref(v);
        }
    }
    json_decref(list);
    if (!res->json) {
        a.client_id = client_id;
        a.user_id = user_id;
        a.role = rcm_role_parse(role);
        res->json = json_pack("{s:I,s:I,s:s}", "client_id", (json_int_t)client_id, "user_id",
                              (json_int_t)user_id, "role",
                              rcm_role_name((enum rcm_role)a.role));
    }
    res->status = 200;
}

void
api_delete_client_assignment(struct api_request *req, struct api_response *res)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_client_unassign(req->ctx->store, &req->actor,
                                                 path_int(req, "id"),
                                                 path_int(req, "user_id"), &diag);
    if (err) {
        assignment_failed(req, res, err, &diag);
        return;
    }
    res->json = json_pack("{s:I,s:I,s:b}", "client_id", (json_int_t)path_int(req, "id"),
                          "user_id", (json_int_t)path_int(req, "user_id"), "removed", 1);
}
