/*
 * api_keys.c — API keys: machine credentials of a tenant, scoped to a role
 * (never owner, and never more than the creator's own role may do),
 * expiring, shown once, stored as hashes.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/str.h"

#define KEY_MAX_DAYS 365

bool
api_role_within(enum rcm_role granted, enum rcm_role holder)
{
    for (int p = 0; p < RCM_PERM_COUNT; p++)
        if (rcm_role_can(granted, (enum rcm_permission)p) &&
            !rcm_role_can(holder, (enum rcm_permission)p))
            return false;
    return true;
}

static json_t *
key_json(const struct rcm_api_key *k)
{
    char created[RCM_TIME_ISO_LEN + 1], expires[RCM_TIME_ISO_LEN + 1];
    rcm_time_format_iso(k->created_ms, created);
    rcm_time_format_iso(k->expires_ms, expires);
    return json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:b}", "id", (json_int_t)k->id, "name",
                     k->name, "role", rcm_role_name((enum rcm_role)k->role), "prefix",
                     k->prefix, "created_by", (json_int_t)k->created_by, "created_at",
                     created, "expires_at", expires, "revoked", k->revoked_ms != 0);
}

void
api_post_api_keys(struct api_request *req, struct api_response *res)
{
    const char *name = NULL, *role_name = NULL;
    int64_t days = 90;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_json_get_str_max(req->json, "name", true, RCM_API_KEY_NAME_MAX, &name, &diag) ||
        rcm_json_get_str(req->json, "role", true, &role_name, &diag) ||
        rcm_json_get_int(req->json, "expires_in_days", false, &days, &diag)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        return;
    }
    int role = rcm_role_parse(role_name);
    if (role < 0 || role == RCM_ROLE_OWNER || days < 1 || days > KEY_MAX_DAYS) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "role must be a role other than owner; expires_in_days 1-%d",
                    KEY_MAX_DAYS);
        return;
    }
    if (!api_role_within((enum rcm_role)role, (enum rcm_role)req->principal.role)) {
        api_problem(req, res, API_PROBLEM_forbidden,
                    "a key cannot do more than its creator's role");
        return;
    }
    char secret[API_KEY_PREFIX_LEN + RCM_TOKEN_TEXT_LEN + 1] = API_KEY_PREFIX;
    char hash[2 * RCM_SHA256_BYTES + 1];
    rcm_token_new(secret + API_KEY_PREFIX_LEN);
    rcm_token_hash(secret, hash);
    struct rcm_api_key k = {.role = role,
                            .created_by = req->principal.user_id,
                            .created_ms = rcm_time_now_ms()};
    k.expires_ms = k.created_ms + days * 86400000;
    memcpy(k.name, name, strlen(name) + 1);     /* fits: checked against the cap above */
    rcm_str_copy(k.prefix, sizeof k.prefix, (struct rcm_str){secret, 12});
    enum rcm_err err = rcm_store_api_key_create(req->ctx->store, &req->actor, &k, hash,
                                                &k.id, &diag);
    if (err) {
        rcm_crypto_wipe(secret, sizeof secret);
        if (err == RCM_E_INVAL)
            api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
        else
            api_problem(req, res, API_PROBLEM_internal_error, "the key cannot be stored");
        return;
    }
    res->status = 201;
    res->json = key_json(&k);
    json_object_set_new(res->json, "key", json_string(secret));
    rcm_crypto_wipe(secret, sizeof secret);
}

static int
append_key(void *ctx, const struct rcm_api_key *k)
{
    return json_array_append_new(ctx, key_json(k)) != 0;
}

void
api_get_api_keys(struct api_request *req, struct api_response *res)
{
    json_t *keys = json_array();
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!keys || rcm_store_api_key_list(req->ctx->store, &req->actor, append_key, keys,
                                        &diag) != RCM_OK) {
        json_decref(keys);
        api_problem(req, res, API_PROBLEM_internal_error, "keys cannot be listed");
        return;
    }
    res->json = json_pack("{s:o}", "api_keys", keys);
}

void
api_delete_api_key(struct api_request *req, struct api_response *res)
{
    int64_t id;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_str_to_i64(rcm_str_c(api_param(req, "id")), &id) != RCM_OK
                           ? RCM_E_NOT_FOUND
                           : rcm_store_api_key_revoke(req->ctx->store, &req->actor, id, &diag);
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err)
        api_problem(req, res, API_PROBLEM_internal_error, "the key cannot be revoked");
    else
        res->json = json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1);
}
