/*
 * api_users.c — users of the caller's tenant. Every lookup is scoped to
 * the caller's tenant inside the store: another tenant's user answers 404
 * exactly like a missing one.
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/json.h"
#include "rcm/str.h"

static json_t *
user_json(const struct rcm_user *u)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:b,s:I}", "id", (json_int_t)u->id, "email",
                     u->email, "display_name", u->display_name, "role",
                     rcm_role_name((enum rcm_role)u->role), "disabled", u->disabled,
                     "created_ms", (json_int_t)u->created_ms);
}

static int
append_user(void *ctx, const struct rcm_user *u)
{
    return json_array_append_new(ctx, user_json(u)) != 0;
}

void
api_get_users(struct api_request *req, struct api_response *res)
{
    json_t *users = json_array();
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!users || rcm_store_user_list(req->ctx->store, &req->actor, append_user, users,
                                      &diag) != RCM_OK) {
        json_decref(users);
        api_problem(req, res, API_PROBLEM_internal_error, "users cannot be listed");
        return;
    }
    res->json = json_pack("{s:o}", "users", users);
}

void
api_get_user(struct api_request *req, struct api_response *res)
{
    int64_t id;
    struct rcm_user u;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_str_to_i64(rcm_str_c(api_param(req, "id")), &id) != RCM_OK ||
        rcm_store_user_get(req->ctx->store, &req->actor, id, &u, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
        return;
    }
    res->json = user_json(&u);
}

void
api_post_users(struct api_request *req, struct api_response *res)
{
    const char *email = NULL, *name = NULL, *role_name = NULL, *password = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_json_get_str(req->json, "email", true, &email, &diag) ||
        rcm_json_get_str(req->json, "display_name", true, &name, &diag) ||
        rcm_json_get_str(req->json, "role", true, &role_name, &diag) ||
        rcm_json_get_str(req->json, "password", true, &password, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    int role = rcm_role_parse(role_name);
    if (role < 0) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown role");
        return;
    }
    /* Only an owner may create owners. */
    if (role == RCM_ROLE_OWNER && req->principal.role != RCM_ROLE_OWNER) {
        api_problem(req, res, API_PROBLEM_forbidden, "only an owner may create an owner");
        return;
    }
    /* Until second factors are enrolled, the password is the only factor. */
    const char *const context[] = {email, name};
    struct rcm_pw_check check = rcm_auth_password_check(password, strlen(password), true,
                                                        req->ctx->pwlist, context, 2);
    if (check.verdict != RCM_PW_OK) {
        char why[256];
        rcm_auth_password_message(&check, why, sizeof why);
        api_problem(req, res, API_PROBLEM_validation_failed, "password refused: %s", why);
        return;
    }
    char hash[RCM_PWHASH_STR_BYTES];
    struct rcm_pwhash_params params = rcm_pwhash_params_default();
    if (rcm_pwhash(password, strlen(password), &params, hash) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_internal_error, "the password cannot be hashed");
        return;
    }
    struct rcm_user u;
    enum rcm_err err = rcm_store_user_create(req->ctx->store, &req->actor, email, name, role,
                                             hash, &u, &diag);
    rcm_crypto_wipe(hash, sizeof hash);
    if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict, "a user with this email exists");
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the user cannot be stored");
    else {
        res->status = 201;
        res->json = user_json(&u);
    }
}
