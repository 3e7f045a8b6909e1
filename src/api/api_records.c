/*
 * api_records.c — REST for every record kind about a patient (rcm/record.h),
 * written once: a kind's routes are five one-line handlers at the bottom.
 *
 *   GET  /v1/patients/{id}/<plural>   the patient's records (cursor: after, limit)
 *   POST /v1/patients/{id}/<plural>   a new one (201)
 *   GET / PATCH / DELETE /v1/<plural>/{id}
 *
 * Minimum necessary as for patients: a field is shown or written only when
 * the principal holds its permission (the store never opens the others),
 * and hidden fields are named in "masked". Values are JSON strings, amounts
 * in cents and counts of days JSON integers; null or "" clears a field on
 * PATCH.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/record.h"
#include "rcm/str.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

/* The fields of kind this principal may see (and write). */
static uint32_t
visible_fields(const struct api_request *req, const struct rcm_record_kind *k)
{
    uint32_t mask = 0;
    for (int i = 0; i < k->n_fields; i++)
        if (api_can(req, k->fields[i].perm))
            mask |= 1u << i;
    return mask;
}

static json_t *
record_json(const struct rcm_record_kind *k, const struct rcm_record *r, uint32_t visible)
{
    char created[32], updated[32];
    rcm_time_format_iso(r->created_ms, created);
    rcm_time_format_iso(r->updated_ms, updated);
    json_t *o = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)r->id, "created_at", created,
                          "updated_at", updated);
    if (o && !k->of_tenant)
        json_object_set_new(o, "patient_id", json_integer(r->patient_id));
    json_t *masked = json_array();
    if (!o || !masked) {
        json_decref(o);
        json_decref(masked);
        return NULL;
    }
    for (int i = 0; i < k->n_fields; i++) {
        const struct rcm_field *f = &k->fields[i];
        json_t *v;
        if (!(visible >> i & 1)) {
            json_array_append_new(masked, json_string(f->name));
            continue;
        }
        int64_t cents = 0;
        if (!(r->present >> i & 1))
            v = json_null();
        else if (rcm_field_is_integer(f) && rcm_str_to_i64(rcm_str_c(r->value[i]), &cents) == 0)
            v = json_integer(cents);
        else
            v = json_string(r->value[i]);
        json_object_set_new(o, f->name, v);
    }
    json_object_set_new(o, "masked", masked);
    return o;
}

static void
record_problem(struct api_request *req, struct api_response *res,
               const struct rcm_record_kind *k, enum rcm_err err, const struct rcm_diag *diag)
{
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag->msg);
    else if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict, "the %s changed meanwhile; retry", k->name);
    else
        api_problem(req, res, API_PROBLEM_internal_error, "the %s record is unavailable",
                    k->name);
}

/*
 * The body's values into r (present bits set). Unknown members, values of
 * the wrong JSON type and fields the principal may not write are refused:
 * a write must not change what its author cannot see.
 */
static bool
body_values(struct api_request *req, struct api_response *res, const struct rcm_record_kind *k,
            struct rcm_record *r)
{
    uint32_t writable = visible_fields(req, k);
    const char *key;
    json_t *value;
    json_object_foreach(req->json, key, value) {
        int i = rcm_record_field(k, key);
        if (i < 0) {
            api_problem(req, res, API_PROBLEM_validation_failed, "unknown %s field \"%.40s\"",
                        k->name, key);
            return false;
        }
        if (!(writable >> i & 1)) {
            api_problem(req, res, API_PROBLEM_forbidden, "the role %s may not set %s",
                        rcm_role_name((enum rcm_role)req->principal.role), key);
            return false;
        }
        bool integer = rcm_field_is_integer(&k->fields[i]);
        if (integer && json_is_integer(value)) {
            /* checked as the digits it prints as (a minus sign fails) */
            snprintf(r->value[i], sizeof r->value[i], "%" JSON_INTEGER_FORMAT,
                     json_integer_value(value));
        } else if (json_is_string(value) || json_is_null(value)) {
            const char *s = json_is_string(value) ? json_string_value(value) : "";
            struct rcm_diag diag = RCM_DIAG_INIT;
            if (rcm_field_check_len(key, s, RCM_RECORD_VALUE_MAX, &diag) != RCM_OK) {
                api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
                return false;
            }
            memcpy(r->value[i], s, strlen(s) + 1);
        } else {
            api_problem(req, res, API_PROBLEM_validation_failed, "%s must be %s or null", key,
                        integer ? "an integer" : "a string");
            return false;
        }
        r->present |= 1u << i;
    }
    return true;
}

static bool
path_id(struct api_request *req, struct api_response *res, int64_t *id)
{
    if (rcm_str_to_i64(rcm_str_c(api_param(req, "id")), id) != RCM_OK || *id <= 0) {
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
        return false;
    }
    return true;
}

static void
wipe(struct rcm_record *r)
{
    rcm_crypto_wipe(r, sizeof *r);
}

static void
respond_record(struct api_request *req, struct api_response *res,
               const struct rcm_record_kind *k, int64_t id, int status)
{
    struct rcm_record r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    uint32_t visible = visible_fields(req, k);
    enum rcm_err err = rcm_store_record_get(req->ctx->store, &req->actor, k, id, visible, &r,
                                            &diag);
    if (err) {
        record_problem(req, res, k, err, &diag);
        return;
    }
    res->status = status;
    res->json = record_json(k, &r, visible);
    wipe(&r);
}

static void
post_record(struct api_request *req, struct api_response *res, const struct rcm_record_kind *k)
{
    struct rcm_record r = {0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t patient_id = 0, id = 0;
    if ((k->of_tenant || path_id(req, res, &patient_id)) && body_values(req, res, k, &r)) {
        enum rcm_err err = rcm_store_record_create(req->ctx->store, &req->actor, k, patient_id,
                                                   &r, &id, &diag);
        if (err)
            record_problem(req, res, k, err, &diag);
        else
            respond_record(req, res, k, id, 201);
    }
    wipe(&r);
}

static void
get_record(struct api_request *req, struct api_response *res, const struct rcm_record_kind *k)
{
    int64_t id;
    if (path_id(req, res, &id))
        respond_record(req, res, k, id, 200);
}

static void
patch_record(struct api_request *req, struct api_response *res,
             const struct rcm_record_kind *k)
{
    struct rcm_record r = {0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t id;
    if (path_id(req, res, &id) && body_values(req, res, k, &r)) {
        enum rcm_err err = rcm_store_record_update(req->ctx->store, &req->actor, k, id, &r,
                                                   &diag);
        if (err)
            record_problem(req, res, k, err, &diag);
        else
            respond_record(req, res, k, id, 200);
    }
    wipe(&r);
}

static void
delete_record(struct api_request *req, struct api_response *res,
              const struct rcm_record_kind *k)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t id;
    if (!path_id(req, res, &id))
        return;
    enum rcm_err err = rcm_store_record_delete(req->ctx->store, &req->actor, k, id, &diag);
    if (err)
        record_problem(req, res, k, err, &diag);
    else
        res->json = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
}

struct listing {
    const struct rcm_record_kind *k;
    json_t *items;
    uint32_t visible;
    int64_t last_id;
};

static int
append_record(void *ctx, const struct rcm_record *r)
{
    struct listing *l = ctx;
    l->last_id = r->id;
    return json_array_append_new(l->items, record_json(l->k, r, l->visible)) != 0;
}

static void
list_records(struct api_request *req, struct api_response *res, const struct rcm_record_kind *k,
             const char *plural)
{
    int64_t patient_id = 0;
    if (!k->of_tenant && !path_id(req, res, &patient_id))
        return;
    const char *after_s = req->query ? req->query(req->conn, "after") : NULL;
    const char *limit_s = req->query ? req->query(req->conn, "limit") : NULL;
    int64_t after = 0, limit = LIST_LIMIT_DEFAULT;
    if ((after_s && (rcm_str_to_i64(rcm_str_c(after_s), &after) || after < 0)) ||
        (limit_s && (rcm_str_to_i64(rcm_str_c(limit_s), &limit) || limit < 1 ||
                     limit > LIST_LIMIT_MAX))) {
        api_problem(req, res, API_PROBLEM_bad_request, "after must be a %s id and limit 1-%d",
                    k->name, LIST_LIMIT_MAX);
        return;
    }
    struct listing l = {k, json_array(), visible_fields(req, k), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = l.items ? rcm_store_record_list(req->ctx->store, &req->actor, k,
                                                       patient_id, after, (int)limit,
                                                       l.visible, append_record, &l, &diag)
                               : RCM_E_NOMEM;
    if (err) {
        json_decref(l.items);
        record_problem(req, res, k, err, &diag);
        return;
    }
    res->json = json_pack("{s:o}", plural, l.items);
    if (res->json && (int)json_array_size(l.items) == limit)
        json_object_set_new(res->json, "next_after", json_integer(l.last_id));
}

/* ---- the kinds ------------------------------------------------------------ */

void
api_get_coverages(struct api_request *req, struct api_response *res)
{
    list_records(req, res, &rcm_coverage_kind, "coverages");
}

void
api_post_coverages(struct api_request *req, struct api_response *res)
{
    post_record(req, res, &rcm_coverage_kind);
}

void
api_get_coverage(struct api_request *req, struct api_response *res)
{
    get_record(req, res, &rcm_coverage_kind);
}

void
api_patch_coverage(struct api_request *req, struct api_response *res)
{
    patch_record(req, res, &rcm_coverage_kind);
}

void
api_delete_coverage(struct api_request *req, struct api_response *res)
{
    delete_record(req, res, &rcm_coverage_kind);
}

void
api_get_providers(struct api_request *req, struct api_response *res)
{
    list_records(req, res, &rcm_provider_kind, "providers");
}

void
api_post_providers(struct api_request *req, struct api_response *res)
{
    post_record(req, res, &rcm_provider_kind);
}

void
api_get_provider(struct api_request *req, struct api_response *res)
{
    get_record(req, res, &rcm_provider_kind);
}

void
api_patch_provider(struct api_request *req, struct api_response *res)
{
    patch_record(req, res, &rcm_provider_kind);
}

void
api_delete_provider(struct api_request *req, struct api_response *res)
{
    delete_record(req, res, &rcm_provider_kind);
}

void
api_get_payers(struct api_request *req, struct api_response *res)
{
    list_records(req, res, &rcm_payer_kind, "payers");
}

void
api_post_payers(struct api_request *req, struct api_response *res)
{
    post_record(req, res, &rcm_payer_kind);
}

void
api_get_payer(struct api_request *req, struct api_response *res)
{
    get_record(req, res, &rcm_payer_kind);
}

void
api_patch_payer(struct api_request *req, struct api_response *res)
{
    patch_record(req, res, &rcm_payer_kind);
}

void
api_delete_payer(struct api_request *req, struct api_response *res)
{
    delete_record(req, res, &rcm_payer_kind);
}

void
api_get_guarantors(struct api_request *req, struct api_response *res)
{
    list_records(req, res, &rcm_guarantor_kind, "guarantors");
}

void
api_post_guarantors(struct api_request *req, struct api_response *res)
{
    post_record(req, res, &rcm_guarantor_kind);
}

void
api_get_guarantor(struct api_request *req, struct api_response *res)
{
    get_record(req, res, &rcm_guarantor_kind);
}

void
api_patch_guarantor(struct api_request *req, struct api_response *res)
{
    patch_record(req, res, &rcm_guarantor_kind);
}

void
api_delete_guarantor(struct api_request *req, struct api_response *res)
{
    delete_record(req, res, &rcm_guarantor_kind);
}

void
api_get_fee_schedules(struct api_request *req, struct api_response *res)
{
    list_records(req, res, &rcm_fee_schedule_kind, "fee_schedules");
}

void
api_post_fee_schedules(struct api_request *req, struct api_response *res)
{
    post_record(req, res, &rcm_fee_schedule_kind);
}

void
api_get_fee_schedule(struct api_request *req, struct api_response *res)
{
    get_record(req, res, &rcm_fee_schedule_kind);
}

void
api_patch_fee_schedule(struct api_request *req, struct api_response *res)
{
    patch_record(req, res, &rcm_fee_schedule_kind);
}

void
api_delete_fee_schedule(struct api_request *req, struct api_response *res)
{
    delete_record(req, res, &rcm_fee_schedule_kind);
}
