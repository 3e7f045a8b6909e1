/*
 * api_payer_rules.c — a tenant's own scrubber rules for one of its payers
 * (docs/payer-rules.md, "A tenant's own rules"):
 *
 *   GET    /v1/payers/{id}/rules   {"payer_id", "rules": INI text or null, "updated_at"}
 *   POST   /v1/payers/{id}/rules   {"rules": "..."} replaces them (200, as GET)
 *   DELETE /v1/payers/{id}/rules   back to the shipped rules
 *
 * Another tenant's payer is 404, like the payer itself. A text that does not
 * load is 422 naming the line.
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/str.h"

static bool
payer_ref(struct api_request *req, struct api_response *res, int64_t *id)
{
    if (rcm_str_to_i64(rcm_str_c(api_param(req, "id")), id) != RCM_OK || *id <= 0) {
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
        return false;
    }
    return true;
}

static void
rules_problem(struct api_request *req, struct api_response *res, enum rcm_err err,
              const struct rcm_diag *diag)
{
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag->msg);
    else
        api_problem(req, res, API_PROBLEM_internal_error, "the payer rules are unavailable");
}

static void
respond_rules(struct api_request *req, struct api_response *res, int64_t id)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    char *text = NULL;
    int64_t updated_ms = 0;
    enum rcm_err err = rcm_store_payer_rules_get(req->ctx->store, &req->actor, id, &text,
                                                 &updated_ms, &diag);
    if (err) {
        rules_problem(req, res, err, &diag);
        return;
    }
    char updated[32];
    rcm_time_format_iso(updated_ms, updated);
    res->json = json_pack("{s:I,s:o,s:o}", "payer_id", (json_int_t)id, "rules",
                          text ? json_string(text) : json_null(), "updated_at",
                          text ? json_string(updated) : json_null());
    rcm_free(text);
}

void
api_get_payer_rules(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (payer_ref(req, res, &id))
        respond_rules(req, res, id);
}

void
api_post_payer_rules(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!payer_ref(req, res, &id))
        return;
    json_t *rules = json_object_get(req->json, "rules");
    if (!json_is_string(rules) || json_object_size(req->json) != 1) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "the body is {\"rules\": \"<INI text>\"} (docs/payer-rules.md)");
        return;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_payer_rules_put(req->ctx->store, &req->actor, id,
                                                 json_string_value(rules), &diag);
    if (err)
        rules_problem(req, res, err, &diag);
    else
        respond_rules(req, res, id);
}

void
api_delete_payer_rules(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!payer_ref(req, res, &id))
        return;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_payer_rules_delete(req->ctx->store, &req->actor, id, &diag);
    if (err)
        rules_problem(req, res, err, &diag);
    else
        res->json = json_pack("{s:I,s:b}", "payer_id", (json_int_t)id, "deleted", 1);
}
