/*
 * api_patients.c — patients of the caller's tenant.
 *
 * Minimum necessary is decided here once, by patient_fields(): a field is
 * shown, searched by or written only when the principal holds the field's
 * permission (include/rcm/patient.h), and the store never decrypts the
 * others. Masked fields are named in "masked" so a client can tell "hidden
 * from you" from "empty". PHI travels only in bodies (search is a POST), so
 * it never reaches a URL or an access log.
 */
#include <inttypes.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/str.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

/* The fields this principal may see (and write, and search by). */
static uint32_t
patient_fields(const struct api_request *req)
{
    uint32_t mask = 0;
    for (int f = 0; f < RCM_PF_COUNT; f++)
        if (api_can(req, rcm_patient_field_permission((enum rcm_patient_field)f)))
            mask |= RCM_PF_BIT(f);
    return mask;
}

static json_t *
patient_json(const struct rcm_patient *p, uint32_t visible)
{
    char created[32], updated[32];
    rcm_time_format_iso(p->created_ms, created);
    rcm_time_format_iso(p->updated_ms, updated);
    json_t *o = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)p->id, "created_at", created,
                          "updated_at", updated);
    json_t *masked = json_array();
    if (!o || !masked) {
        json_decref(o);
        json_decref(masked);
        return NULL;
    }
    for (int f = 0; f < RCM_PF_COUNT; f++) {
        const char *name = rcm_patient_field_name((enum rcm_patient_field)f);
        if (!(visible & RCM_PF_BIT(f)))
            json_array_append_new(masked, json_string(name));
        else if (p->present & RCM_PF_BIT(f))
            json_object_set_new(o, name, json_string(p->value[f]));
        else
            json_object_set_new(o, name, json_null());
    }
    json_object_set_new(o, "masked", masked);
    return o;
}

/* Problem for a store error on a patient route. */
static void
patient_problem(struct api_request *req, struct api_response *res, enum rcm_err err,
                const struct rcm_diag *diag)
{
    if (err == RCM_E_NOT_FOUND)
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    else if (err == RCM_E_INVAL)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag->msg);
    else if (err == RCM_E_CONFLICT)
        api_problem(req, res, API_PROBLEM_conflict, "the patient changed meanwhile; retry");
    else
        api_problem(req, res, API_PROBLEM_internal_error, "the patient record is unavailable");
}

/*
 * Read the body's field values into p (present bits set). Unknown members,
 * non-string values and fields the principal may not write are refused —
 * a write must not change what its author cannot see.
 */
static bool
body_fields(struct api_request *req, struct api_response *res, struct rcm_patient *p)
{
    uint32_t writable = patient_fields(req);
    const char *key;
    json_t *value;
    json_object_foreach(req->json, key, value) {
        int f = rcm_patient_field_parse(key);
        if (f < 0) {
            api_problem(req, res, API_PROBLEM_validation_failed,
                        "unknown patient field \"%.40s\"", key);
            return false;
        }
        if (!(writable & RCM_PF_BIT(f))) {
            api_problem(req, res, API_PROBLEM_forbidden, "the role %s may not set %s",
                        rcm_role_name((enum rcm_role)req->principal.role), key);
            return false;
        }
        if (!json_is_string(value) && !json_is_null(value)) {
            api_problem(req, res, API_PROBLEM_validation_failed, "%s must be a string or null",
                        key);
            return false;
        }
        const char *s = json_is_string(value) ? json_string_value(value) : "";
        struct rcm_diag diag = RCM_DIAG_INIT;
        if (rcm_field_check_len(key, s, RCM_PATIENT_VALUE_MAX, &diag) != RCM_OK) {
            api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
            return false;
        }
        memcpy(p->value[f], s, strlen(s) + 1);
        p->present |= RCM_PF_BIT(f);
    }
    return true;
}

static void
wipe(struct rcm_patient *p)
{
    rcm_crypto_wipe(p, sizeof *p);
}

/* Answer with one patient as the principal may see it. */
static void
respond_patient(struct api_request *req, struct api_response *res, int64_t id, int status)
{
    struct rcm_patient p;
    struct rcm_diag diag = RCM_DIAG_INIT;
    uint32_t visible = patient_fields(req);
    enum rcm_err err = rcm_store_patient_get(req->ctx->store, &req->actor, id, visible, &p,
                                             &diag);
    if (err) {
        patient_problem(req, res, err, &diag);
        return;
    }
    res->status = status;
    res->json = patient_json(&p, visible);
    wipe(&p);
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

void
api_post_patients(struct api_request *req, struct api_response *res)
{
    struct rcm_patient p = {0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t id = 0;
    if (body_fields(req, res, &p)) {
        enum rcm_err err = rcm_store_patient_create(req->ctx->store, &req->actor, &p, &id,
                                                    &diag);
        if (err)
            patient_problem(req, res, err, &diag);
        else
            respond_patient(req, res, id, 201);
    }
    wipe(&p);
}

void
api_get_patient(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (path_id(req, res, &id))
        respond_patient(req, res, id, 200);
}

void
api_patch_patient(struct api_request *req, struct api_response *res)
{
    struct rcm_patient p = {0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t id;
    if (path_id(req, res, &id) && body_fields(req, res, &p)) {
        enum rcm_err err = rcm_store_patient_update(req->ctx->store, &req->actor, id, &p,
                                                    &diag);
        if (err)
            patient_problem(req, res, err, &diag);
        else
            respond_patient(req, res, id, 200);
    }
    wipe(&p);
}

void
api_delete_patient(struct api_request *req, struct api_response *res)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    int64_t id;
    if (!path_id(req, res, &id))
        return;
    enum rcm_err err = rcm_store_patient_delete(req->ctx->store, &req->actor, id, &diag);
    if (err)
        patient_problem(req, res, err, &diag);
    else
        res->json = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
}

struct listing {
    json_t *items;
    uint32_t visible;
    int64_t last_id;
};

static int
append_patient(void *ctx, const struct rcm_patient *p)
{
    struct listing *l = ctx;
    l->last_id = p->id;
    return json_array_append_new(l->items, patient_json(p, l->visible)) != 0;
}

static void
respond_listing(struct api_request *req, struct api_response *res, struct listing *l,
                enum rcm_err err, const struct rcm_diag *diag, int limit)
{
    if (err) {
        json_decref(l->items);
        patient_problem(req, res, err, diag);
        return;
    }
    res->json = json_pack("{s:o}", "patients", l->items);
    if (res->json && limit > 0 && (int)json_array_size(l->items) == limit)
        json_object_set_new(res->json, "next_after", json_integer(l->last_id));
}

void
api_get_patients(struct api_request *req, struct api_response *res)
{
    const char *after_s = req->query ? req->query(req->conn, "after") : NULL;
    const char *limit_s = req->query ? req->query(req->conn, "limit") : NULL;
    int64_t after = 0, limit = LIST_LIMIT_DEFAULT;
    if ((after_s && (rcm_str_to_i64(rcm_str_c(after_s), &after) || after < 0)) ||
        (limit_s && (rcm_str_to_i64(rcm_str_c(limit_s), &limit) || limit < 1 ||
                     limit > LIST_LIMIT_MAX))) {
        api_problem(req, res, API_PROBLEM_bad_request,
                    "after must be a patient id and limit 1-%d", LIST_LIMIT_MAX);
        return;
    }
    struct listing l = {json_array(), patient_fields(req), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = l.items ? rcm_store_patient_list(req->ctx->store, &req->actor, after,
                                                        (int)limit, l.visible,
                                                        append_patient, &l, &diag)
                               : RCM_E_NOMEM;
    respond_listing(req, res, &l, err, &diag, (int)limit);
}

void
api_post_patient_search(struct api_request *req, struct api_response *res)
{
    struct rcm_patient_query q = {0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct {
        const char *name;
        const char **slot;
        enum rcm_patient_field field;
    } keys[] = {
        {"member_id", &q.member_id, RCM_PF_MEMBER_ID},
        {"mrn", &q.mrn, RCM_PF_MRN},
        {"ssn", &q.ssn, RCM_PF_SSN},
        {"last_name", &q.last_name, RCM_PF_LAST_NAME},
        {"first_name", &q.first_name, RCM_PF_FIRST_NAME},
        {"dob", &q.dob, RCM_PF_DOB},
    };
    uint32_t visible = patient_fields(req);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (rcm_json_get_str_max(req->json, keys[i].name, false, RCM_PATIENT_VALUE_MAX,
                                 keys[i].slot, &diag)) {
            api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
            return;
        }
        /* searching by a field is seeing it: an SSN search needs phi.financial */
        if (*keys[i].slot && !(visible & RCM_PF_BIT(keys[i].field))) {
            api_problem(req, res, API_PROBLEM_forbidden, "the role %s may not search by %s",
                        rcm_role_name((enum rcm_role)req->principal.role), keys[i].name);
            return;
        }
    }
    struct listing l = {json_array(), visible, 0};
    enum rcm_err err = l.items ? rcm_store_patient_search(req->ctx->store, &req->actor, &q,
                                                          visible, LIST_LIMIT_DEFAULT,
                                                          append_patient, &l, &diag)
                               : RCM_E_NOMEM;
    respond_listing(req, res, &l, err, &diag, 0);
}
