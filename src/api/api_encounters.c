/*
 * api_encounters.c — charge capture over REST.
 *
 *   POST   /v1/patients/{id}/encounters   an encounter with its diagnoses and
 *                                        service lines, in one call (201)
 *   GET    /v1/encounters                 list (filters: patient_id, status;
 *                                        cursor: after, limit)
 *   GET    /v1/encounters/{id}
 *   PATCH  /v1/encounters/{id}            change members of an open encounter;
 *                                        "lines" and "diagnoses" replace the lists
 *   DELETE /v1/encounters/{id}            an open encounter without a claim
 *
 * Writing needs claim.write (charge capture) or coding.write (a coder
 * fixing codes); the route itself asks phi.read. The prior authorization
 * and the note are shown only with phi.read, which every reader has.
 * Dates are YYYY-MM-DD, amounts integer cents, units a number (1.5 allowed).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/encounter.h"
#include "rcm/log.h"
#include "rcm/mem.h"
#include "rcm/str.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 100

/* ---- JSON → struct ------------------------------------------------------------ */

struct reader {
    struct api_request *req;
    struct api_response *res;
};

/* A 422 naming the member (and line), never a value; returns false. */
static bool fail(struct reader *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool
fail(struct reader *r, int line, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        api_problem(r->req, r->res, API_PROBLEM_validation_failed, "line %d: %s", line, msg);
    else
        api_problem(r->req, r->res, API_PROBLEM_validation_failed, "%s", msg);
    return false;
}

static bool
get_text(struct reader *r, json_t *v, const char *name, char *out, size_t cap, int line)
{
    if (json_is_null(v)) {
        out[0] = '\0';
        return true;
    }
    if (!json_is_string(v))
        return fail(r, line, "%s must be a string or null", name);
    if (!rcm_str_copy(out, cap, rcm_str_c(json_string_value(v))))
        return fail(r, line, "%s is too long", name);
    return true;
}

static bool
get_id(struct reader *r, json_t *v, const char *name, int64_t *out, int line)
{
    if (json_is_null(v)) {
        *out = 0;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return fail(r, line, "%s must be a positive integer or null", name);
    *out = json_integer_value(v);
    return true;
}

static bool
get_date(struct reader *r, json_t *v, const char *name, int32_t *out, int line)
{
    if (json_is_null(v)) {
        *out = RCM_CLAIM_NO_DATE;
        return true;
    }
    if (!json_is_string(v) ||
        rcm_date_parse_iso(rcm_str_c(json_string_value(v)), out) != RCM_OK)
        return fail(r, line, "%s must be a date YYYY-MM-DD", name);
    return true;
}

static bool
get_dx(struct reader *r, json_t *v, struct rcm_encounter *e)
{
    if (!json_is_array(v) || json_array_size(v) > RCM_ENCOUNTER_MAX_DX)
        return fail(r, 0, "diagnoses must be an array of at most 25 codes");
    size_t i;
    json_t *d;
    e->n_dx = (int)json_array_size(v);
    json_array_foreach(v, i, d) {
        json_t *code = d, *poa = NULL;
        if (json_is_object(d)) {
            code = json_object_get(d, "code");
            poa = json_object_get(d, "poa");
            if (json_object_size(d) != (size_t)(1 + (poa != NULL)))
                return fail(r, 0, "a diagnosis object has only code and poa");
        }
        if (!json_is_string(code) ||
            !rcm_str_copy(e->dx[i], sizeof e->dx[i], rcm_str_c(json_string_value(code))))
            return fail(r, 0, "diagnoses must be ICD-10-CM codes");
        e->poa[i] = 0;
        if (poa && !json_is_null(poa)) {
            if (!json_is_string(poa) || strlen(json_string_value(poa)) != 1)
                return fail(r, 0, "poa must be one letter");
            e->poa[i] = json_string_value(poa)[0];
        }
    }
    return true;
}

static bool
get_codes(struct reader *r, json_t *v, const char *name, char (*out)[3], int *n, int line)
{
    if (json_is_null(v)) {
        *n = 0;
        return true;
    }
    if (!json_is_array(v) || json_array_size(v) > RCM_CLAIM_MAX_MODIFIERS)
        return fail(r, line, "%s must be an array of at most 4", name);
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m)
        if (!json_is_string(m) || !rcm_str_copy(out[i], 3, rcm_str_c(json_string_value(m))))
            return fail(r, line, "%s must be two-character codes", name);
    *n = (int)json_array_size(v);
    return true;
}

static bool
get_pointers(struct reader *r, json_t *v, struct rcm_encounter_line *l, int line)
{
    if (!json_is_array(v) || json_array_size(v) > RCM_CLAIM_MAX_POINTERS)
        return fail(r, line, "dx_pointers must be an array of 1 to 4 numbers");
    size_t i;
    json_t *p;
    json_array_foreach(v, i, p) {
        if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 25)
            return fail(r, line, "dx_pointers must be numbers 1-25");
        l->dx_pointers[i] = (uint8_t)json_integer_value(p);
    }
    l->n_dx_pointers = (int)json_array_size(v);
    return true;
}

static bool
get_line(struct reader *r, json_t *o, struct rcm_encounter_line *l, int line)
{
    if (!json_is_object(o))
        return fail(r, line, "each line must be an object");
    l->charge_cents = RCM_ENCOUNTER_NO_CHARGE;
    l->service_date = RCM_CLAIM_NO_DATE;
    l->units_milli = 1000;
    l->line_no = line;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        bool ok;
        if (strcmp(key, "procedure") == 0)
            ok = get_text(r, v, key, l->procedure, sizeof l->procedure, line);
        else if (strcmp(key, "modifiers") == 0)
            ok = get_codes(r, v, key, l->modifiers, &l->n_modifiers, line);
        else if (strcmp(key, "revenue_code") == 0)
            ok = get_text(r, v, key, l->revenue_code, sizeof l->revenue_code, line);
        else if (strcmp(key, "units") == 0) {
            double u = json_is_number(v) ? json_number_value(v) : -1;
            ok = u > 0 && u < 100000 ? true : fail(r, line, "units must be a number above 0");
            l->units_milli = (int64_t)llround(u * 1000);
        } else if (strcmp(key, "charge_cents") == 0) {
            ok = json_is_null(v) || (json_is_integer(v) && json_integer_value(v) >= 0)
                     ? true : fail(r, line, "charge_cents must be an integer, 0 or more");
            if (json_is_integer(v))
                l->charge_cents = json_integer_value(v);
        } else if (strcmp(key, "dx_pointers") == 0)
            ok = get_pointers(r, v, l, line);
        else if (strcmp(key, "place_of_service") == 0)
            ok = get_text(r, v, key, l->place_of_service, sizeof l->place_of_service, line);
        else if (strcmp(key, "service_date") == 0)
            ok = get_date(r, v, key, &l->service_date, line);
        else if (strcmp(key, "rendering_provider_id") == 0)
            ok = get_id(r, v, key, &l->rendering_provider_id, line);
        else if (strcmp(key, "self_pay_restricted") == 0) {
            ok = json_is_boolean(v) ? true : fail(r, line, "%s must be true or false", key);
            l->self_pay_restricted = json_is_true(v);
        } else if (strcmp(key, "id") == 0 || strcmp(key, "line_no") == 0)
            ok = true;   /* as returned by GET: ignored, lines are replaced whole */
        else
            ok = fail(r, line, "unknown line member \"%.40s\"", key);
        if (!ok)
            return false;
    }
    return true;
}

static bool
get_lines(struct reader *r, json_t *v, struct rcm_encounter *e)
{
    if (!json_is_array(v) || json_array_size(v) > RCM_ENCOUNTER_MAX_LINES)
        return fail(r, 0, "lines must be an array of at most 99 service lines");
    size_t i;
    json_t *l;
    memset(e->lines, 0, sizeof e->lines);
    e->n_lines = (int)json_array_size(v);
    json_array_foreach(v, i, l)
        if (!get_line(r, l, &e->lines[i], (int)i + 1))
            return false;
    return true;
}

/* Apply the members of the request body to e (a new one, or the stored one
 * for PATCH). Unknown members are refused. */
static bool
apply_body(struct reader *r, json_t *body, struct rcm_encounter *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        bool ok;
        if (strcmp(key, "claim_kind") == 0) {
            const char *k = json_is_string(v) ? json_string_value(v) : "";
            ok = strcmp(k, "professional") == 0 || strcmp(k, "institutional") == 0
                     ? true : fail(r, 0, "claim_kind must be professional or institutional");
            e->kind = strcmp(k, "institutional") == 0 ? RCM_CLAIM_INSTITUTIONAL
                                                      : RCM_CLAIM_PROFESSIONAL;
        } else if (strcmp(key, "coverage_id") == 0)
            ok = get_id(r, v, key, &e->coverage_id, 0);
        else if (strcmp(key, "billing_provider_id") == 0)
            ok = get_id(r, v, key, &e->billing_provider_id, 0);
        else if (strcmp(key, "rendering_provider_id") == 0)
            ok = get_id(r, v, key, &e->rendering_provider_id, 0);
        else if (strcmp(key, "referring_provider_id") == 0)
            ok = get_id(r, v, key, &e->referring_provider_id, 0);
        else if (strcmp(key, "facility_id") == 0)
            ok = get_id(r, v, key, &e->facility_id, 0);
        else if (strcmp(key, "service_from") == 0)
            ok = get_date(r, v, key, &e->service_from, 0);
        else if (strcmp(key, "service_to") == 0)
            ok = get_date(r, v, key, &e->service_to, 0);
        else if (strcmp(key, "place_of_service") == 0)
            ok = get_text(r, v, key, e->place_of_service, sizeof e->place_of_service, 0);
        else if (strcmp(key, "type_of_bill") == 0)
            ok = get_text(r, v, key, e->type_of_bill, sizeof e->type_of_bill, 0);
        else if (strcmp(key, "admission_type") == 0)
            ok = get_text(r, v, key, e->admission_type, sizeof e->admission_type, 0);
        else if (strcmp(key, "admission_source") == 0)
            ok = get_text(r, v, key, e->admission_source, sizeof e->admission_source, 0);
        else if (strcmp(key, "patient_status") == 0)
            ok = get_text(r, v, key, e->patient_status, sizeof e->patient_status, 0);
        else if (strcmp(key, "prior_authorization") == 0)
            ok = get_text(r, v, key, e->prior_authorization, sizeof e->prior_authorization, 0);
        else if (strcmp(key, "note") == 0)
            ok = get_text(r, v, key, e->note, sizeof e->note, 0);
        else if (strcmp(key, "diagnoses") == 0)
            ok = get_dx(r, v, e);
        else if (strcmp(key, "lines") == 0)
            ok = get_lines(r, v, e);
        else
            ok = fail(r, 0, "unknown encounter member \"%.40s\"", key);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- struct → JSON ------------------------------------------------------------ */

static json_t *
id_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

static json_t *
text_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *
date_json(int32_t days)
{
    if (days == RCM_CLAIM_NO_DATE)
        return json_null();
    char iso[11];
    rcm_date_format_iso(days, iso);
    return json_string(iso);
}

static json_t *
line_json(const struct rcm_encounter_line *l)
{
    json_t *mods = json_array(), *ptrs = json_array();
    for (int m = 0; m < l->n_modifiers; m++)
        json_array_append_new(mods, json_string(l->modifiers[m]));
    for (int p = 0; p < l->n_dx_pointers; p++)
        json_array_append_new(ptrs, json_integer(l->dx_pointers[p]));
    return json_pack("{s:I,s:i,s:s,s:o,s:o,s:f,s:I,s:o,s:o,s:o,s:o,s:b}",
                     "id", (json_int_t)l->id, "line_no", l->line_no,
                     "procedure", l->procedure, "modifiers", mods,
                     "revenue_code", text_or_null(l->revenue_code),
                     "units", (double)l->units_milli / 1000.0,
                     "charge_cents", (json_int_t)l->charge_cents, "dx_pointers", ptrs,
                     "place_of_service", text_or_null(l->place_of_service),
                     "service_date", date_json(l->service_date),
                     "rendering_provider_id", id_or_null(l->rendering_provider_id),
                     "self_pay_restricted", l->self_pay_restricted);
}

static json_t *
encounter_json(const struct rcm_encounter *e)
{
    char created[32], updated[32];
    rcm_time_format_iso(e->created_ms, created);
    rcm_time_format_iso(e->updated_ms, updated);
    json_t *dx = json_array(), *lines = json_array();
    int64_t total = 0;
    for (int i = 0; i < e->n_dx; i++)
        json_array_append_new(dx, e->poa[i] ? json_pack("{s:s,s:s#}", "code", e->dx[i], "poa",
                                                        &e->poa[i], (size_t)1)
                                            : json_string(e->dx[i]));
    for (int i = 0; i < e->n_lines; i++) {
        json_array_append_new(lines, line_json(&e->lines[i]));
        total += e->lines[i].charge_cents;
    }
    json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:o,s:I,s:o,s:o,s:o,s:o,s:o}",
                          "id", (json_int_t)e->id, "patient_id", (json_int_t)e->patient_id,
                          "status", e->status, "claim_kind",
                          e->kind == RCM_CLAIM_INSTITUTIONAL ? "institutional" : "professional",
                          "created_at", created, "updated_at", updated,
                          "coverage_id", id_or_null(e->coverage_id),
                          "billing_provider_id", (json_int_t)e->billing_provider_id,
                          "rendering_provider_id", id_or_null(e->rendering_provider_id),
                          "referring_provider_id", id_or_null(e->referring_provider_id),
                          "facility_id", id_or_null(e->facility_id),
                          "service_from", date_json(e->service_from),
                          "service_to", date_json(e->service_to));
    if (!o)
        return NULL;
    json_object_set_new(o, "place_of_service", text_or_null(e->place_of_service));
    json_object_set_new(o, "type_of_bill", text_or_null(e->type_of_bill));
    json_object_set_new(o, "admission_type", text_or_null(e->admission_type));
    json_object_set_new(o, "admission_source", text_or_null(e->admission_source));
    json_object_set_new(o, "patient_status", text_or_null(e->patient_status));
    json_object_set_new(o, "diagnoses", dx);
    json_object_set_new(o, "lines", lines);
    json_object_set_new(o, "total_charge_cents", json_integer(total));
    json_object_set_new(o, "prior_authorization", text_or_null(e->prior_authorization));
    json_object_set_new(o, "note", text_or_null(e->note));
    return o;
}

/* ---- handlers --------------------------------------------------------------- */



static bool
may_write(struct api_request *req, struct api_response *res)
{
    if (api_can(req, RCM_PERM_CLAIM_WRITE) || api_can(req, RCM_PERM_CODING_WRITE))
        return true;
    api_problem(req, res, API_PROBLEM_forbidden, "changing encounters needs claim.write or "
                "coding.write");
    return false;
}

static struct rcm_encounter *
new_encounter(struct api_request *req, struct api_response *res)
{
    struct rcm_encounter *e = rcm_calloc(1, sizeof *e);
    if (!e)
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
    return e;
}

static void
free_encounter(struct rcm_encounter *e)
{
    if (e) {
        rcm_crypto_wipe(e, sizeof *e);
        rcm_free(e);
    }
}

static void
respond(struct api_request *req, struct api_response *res, struct rcm_encounter *e,
        int status)
{
    res->status = status;
    res->json = encounter_json(e);
    if (!res->json)
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
}

void
api_post_encounters(struct api_request *req, struct api_response *res)
{
    int64_t patient_id;
    if (!may_write(req, res) || !api_path_id(req, res, &patient_id))
        return;
    struct rcm_encounter *e = new_encounter(req, res);
    if (!e)
        return;
    struct reader r = {req, res};
    e->patient_id = patient_id;
    e->service_from = e->service_to = RCM_CLAIM_NO_DATE;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (apply_body(&r, req->json, e)) {
        if (e->service_to == RCM_CLAIM_NO_DATE)
            e->service_to = e->service_from;
        enum rcm_err err = rcm_store_encounter_create(req->ctx->store, &req->actor, e, &diag);
        if (err)
            api_store_problem(req, res, err, &diag, "the encounter is unavailable");
        else
            respond(req, res, e, 201);
    }
    free_encounter(e);
}

void
api_get_encounter(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!api_path_id(req, res, &id))
        return;
    struct rcm_encounter *e = new_encounter(req, res);
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!e)
        return;
    enum rcm_err err = rcm_store_encounter_get(req->ctx->store, &req->actor, id, true, e,
                                               &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the encounter is unavailable");
    else
        respond(req, res, e, 200);
    free_encounter(e);
}

void
api_patch_encounter(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!may_write(req, res) || !api_path_id(req, res, &id))
        return;
    struct rcm_encounter *e = new_encounter(req, res);
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!e)
        return;
    struct reader r = {req, res};
    enum rcm_err err = rcm_store_encounter_get(req->ctx->store, &req->actor, id, true, e,
                                               &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the encounter is unavailable");
    else if (apply_body(&r, req->json, e)) {
        err = rcm_store_encounter_update(req->ctx->store, &req->actor, e, &diag);
        if (!err)
            err = rcm_store_encounter_get(req->ctx->store, &req->actor, id, true, e, &diag);
        if (err)
            api_store_problem(req, res, err, &diag, "the encounter is unavailable");
        else
            respond(req, res, e, 200);
    }
    free_encounter(e);
}

void
api_delete_encounter(struct api_request *req, struct api_response *res)
{
    int64_t id;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!api_can(req, RCM_PERM_CLAIM_WRITE)) {
        api_problem(req, res, API_PROBLEM_forbidden, "deleting encounters needs claim.write");
        return;
    }
    if (!api_path_id(req, res, &id))
        return;
    enum rcm_err err = rcm_store_encounter_delete(req->ctx->store, &req->actor, id, &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the encounter is unavailable");
    else
        res->json = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
}

struct listing {
    json_t *items;
    int64_t last_id;
};

static int
append_encounter(void *ctx, const struct rcm_encounter *e)
{
    struct listing *l = ctx;
    l->last_id = e->id;
    return json_array_append_new(l->items, encounter_json(e)) != 0;
}


void
api_get_encounters(struct api_request *req, struct api_response *res)
{
    int64_t after = 0, limit = LIST_LIMIT_DEFAULT, patient = 0;
    const char *status = req->query ? req->query(req->conn, "status") : NULL;
    if (!api_query_i64(req, "after", &after) || !api_query_i64(req, "limit", &limit) ||
        !api_query_i64(req, "patient_id", &patient) || limit < 1 || limit > LIST_LIMIT_MAX) {
        api_problem(req, res, API_PROBLEM_bad_request, "after and patient_id must be ids and "
                    "limit 1-%d", LIST_LIMIT_MAX);
        return;
    }
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = l.items ? rcm_store_encounter_list(req->ctx->store, &req->actor, patient,
                                                          status, after, (int)limit, true,
                                                          append_encounter, &l, &diag)
                               : RCM_E_NOMEM;
    if (err == RCM_E_INVAL) {
        json_decref(l.items);
        api_problem(req, res, API_PROBLEM_bad_request, "%s", diag.msg);
        return;
    }
    if (err) {
        json_decref(l.items);
        api_store_problem(req, res, err, &diag, "the encounter is unavailable");
        return;
    }
    res->json = json_pack("{s:o}", "encounters", l.items);
    if (res->json && (int64_t)json_array_size(l.items) == limit)
        json_object_set_new(res->json, "next_after", json_integer(l.last_id));
}
