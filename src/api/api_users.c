/*
 * api_users.c — users of the caller's tenant. Every lookup is scoped to
 * the caller's tenant inside the store: another tenant's user answers 404
 * exactly like a missing one. Changes (role, name, disabled, unlock) follow
 * the rules in docs/security.md: only an owner touches owners, nobody
 * disables or re-roles themselves, the last active owner stays.
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/str.h"

static json_t *
user_json(const struct rcm_user *u)
{
    struct rcm_throttle_policy policy = rcm_throttle_policy_account();
    struct rcm_throttle_state state = {u->failures, u->last_failure_ms};
    bool locked = rcm_throttle_decide(&policy, &state, rcm_time_now_ms()).action ==
                  RCM_THROTTLE_LOCKED;
    return json_pack("{s:I,s:s,s:s,s:s,s:b,s:I,s:I,s:b}", "id", (json_int_t)u->id, "email",
                     u->email, "display_name", u->display_name, "role",
                     rcm_role_name((enum rcm_role)u->role), "disabled", u->disabled,
                     "created_ms", (json_int_t)u->created_ms, "failed_logins",
                     (json_int_t)u->failures, "locked", locked);
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
    if (rcm_json_get_str_max(req->json, "email", true, RCM_EMAIL_MAX, &email, &diag) ||
        rcm_json_get_str_max(req->json, "display_name", true, RCM_DISPLAY_NAME_MAX, &name,
                             &diag) ||
        rcm_json_get_str(req->json, "role", true, &role_name, &diag) ||
        rcm_json_get_str_max(req->json, "password", true, RCM_PASSWORD_POLICY_MAX_BYTES,
                             &password, &diag)) {
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

/* The {id} of the path, or -1. */
static int64_t
path_id(const struct api_request *req)
{
    int64_t id;
    const char *v = api_param(req, "id");
    return v && rcm_str_to_i64(rcm_str_c(v), &id) == RCM_OK && id > 0 ? id : -1;
}

bool
api_json_only(json_t *obj, const char *const *allowed, const char **unknown)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        (void)value;
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            *unknown = key;
            return false;
        }
    }
    return true;
}

void
api_patch_user(struct api_request *req, struct api_response *res)
{
    static const char *const members[] = {"role", "display_name", "disabled", NULL};
    const char *role_name = NULL, *unknown = NULL;
    bool disabled = false, has_disabled = json_object_get(req->json, "disabled") != NULL;
    struct rcm_user_change change = {.role = -1, .disabled = -1};
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!json_is_object(req->json) || !api_json_only(req->json, members, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "unknown member \"%.40s\"; send role, display_name or disabled",
                    unknown ? unknown : "");
        return;
    }
    if (rcm_json_get_str(req->json, "role", false, &role_name, &diag) ||
        rcm_json_get_str_max(req->json, "display_name", false, RCM_DISPLAY_NAME_MAX,
                             &change.display_name, &diag) ||
        rcm_json_get_bool(req->json, "disabled", false, &disabled, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    if (!role_name && !change.display_name && !has_disabled) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "send at least one of role, display_name, disabled");
        return;
    }
    if (role_name && (change.role = rcm_role_parse(role_name)) < 0) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown role");
        return;
    }
    if (has_disabled)
        change.disabled = disabled;
    int64_t id = path_id(req);
    struct rcm_user target;
    if (id < 0 || rcm_store_user_get(req->ctx->store, &req->actor, id, &target, &diag) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
        return;
    }
    bool role_changes = change.role >= 0 && change.role != target.role;
    /* Nobody disables or re-roles themselves (an API key counts as its creator). */
    if (target.id == req->principal.user_id && (role_changes || change.disabled == 1)) {
        api_problem(req, res, API_PROBLEM_forbidden,
                    "you cannot disable your own account or change its role");
        return;
    }
    /* Only an owner grants the owner role or changes an owner's account. */
    if (req->principal.role != RCM_ROLE_OWNER &&
        (target.role == RCM_ROLE_OWNER || change.role == RCM_ROLE_OWNER)) {
        api_problem(req, res, API_PROBLEM_forbidden,
                    "only an owner may grant the owner role or change an owner's account");
        return;
    }
    struct rcm_user u;
    enum rcm_err err = rcm_store_user_update(req->ctx->store, &req->actor, id, &change, &u, &diag);
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict, "%s", diag.msg);
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the user cannot be changed");
    else
        res->json = user_json(&u);
}

void
api_post_user_unlock(struct api_request *req, struct api_response *res)
{
    int64_t id = path_id(req);
    struct rcm_user u;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = id < 0 ? RCM_E_NOT_FOUND
                              : rcm_store_user_unlock(req->ctx->store, &req->actor, id, &diag);
    if (!err)
        err = rcm_store_user_get(req->ctx->store, &req->actor, id, &u, &diag);
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the user cannot be unlocked");
    else
        res->json = user_json(&u);
}
