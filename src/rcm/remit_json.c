/*
 * remit_json.c — one 835 claim payment as JSON and back (rcm/remit.h): the
 * form an unmatched payment waits in (sealed) and the form a paper EOB is
 * typed in. Strict on input: unknown members and wrong types are refused,
 * naming the member, never echoing a value.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/posting.h"
#include "rcm/remit.h"
#include "rcm/str.h"

bool
rcm_denial_action_from_name(const char *name, enum rcm_denial_action *out)
{
    static const struct { const char *n; enum rcm_denial_action a; } t[] = {
        {"resubmit", RCM_DENIAL_RESUBMIT}, {"appeal", RCM_DENIAL_APPEAL},
        {"write_off", RCM_DENIAL_WRITE_OFF}, {"close", RCM_DENIAL_CLOSE}};
    for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(name, t[i].n) == 0) {
            *out = t[i].a;
            return true;
        }
    return false;
}

/* ---- to JSON ------------------------------------------------------------------ */

static json_t *
date_or_null(int32_t d)
{
    if (d == RCM_X12_NO_DATE)
        return json_null();
    char iso[11];
    rcm_date_format_iso(d, iso);
    return json_string(iso);
}

static json_t *
adjs_json(const struct rcm_x12_adjustment *a, int n)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "group", a[i].group, "carc",
                                             a[i].reason, "amount_cents",
                                             (json_int_t)a[i].amount_cents));
    return arr;
}

static json_t *
remarks_json(const char (*r)[RCM_X12_REMARK_MAX], int n)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(r[i]));
    return arr;
}

enum rcm_err
rcm_remit_payment_to_json(const struct rcm_x12_claim_payment *p, json_t **out)
{
    json_t *lines = json_array();
    for (int i = 0; lines && i < p->n_lines; i++) {
        const struct rcm_x12_line *l = &p->lines[i];
        json_t *mods = json_array();
        for (int m = 0; mods && m < 4; m++)
            if (l->modifiers[m][0])
                json_array_append_new(mods, json_string(l->modifiers[m]));
        json_t *o = json_pack("{s:s, s:o, s:I, s:I, s:o, s:I, s:o, s:s, s:o, s:o}",
                              "procedure", l->procedure, "modifiers", mods ? mods : json_array(),
                              "charge_cents", (json_int_t)l->charge_cents, "paid_cents",
                              (json_int_t)l->paid_cents, "allowed_cents",
                              l->has_allowed ? json_integer(l->allowed_cents) : json_null(),
                              "units_milli", (json_int_t)(l->units_milli ? l->units_milli : 1000),
                              "service_date", date_or_null(l->service_date_days), "control",
                              l->control, "adjustments", adjs_json(l->adj, l->n_adj),
                              "remarks", remarks_json(l->remarks, l->n_remarks));
        if (!o || json_array_append_new(lines, o)) {
            json_decref(lines);
            return RCM_E_NOMEM;
        }
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o, "
                          "s:o, s:o}",
                          "claim_control_number", p->claim_id, "status", p->status,
                          "charge_cents", (json_int_t)p->charge_cents, "paid_cents",
                          (json_int_t)p->paid_cents, "patient_resp_cents",
                          (json_int_t)p->patient_resp_cents, "payer_claim_number",
                          p->payer_claim_id, "patient", "last_name", p->patient.last_or_org,
                          "first_name", p->patient.first, "member_id", p->patient.id,
                          "service_from", date_or_null(p->service_from_days), "service_to",
                          date_or_null(p->service_to_days), "adjustments",
                          adjs_json(p->adj, p->n_adj), "remarks",
                          remarks_json(p->remarks, p->n_remarks), "lines",
                          lines ? lines : json_array());
    *out = o;
    return o ? RCM_OK : RCM_E_NOMEM;
}

/* ---- from JSON ---------------------------------------------------------------- */

struct rd {
    struct rcm_diag *diag;
    int line;                /* 1-based, 0 = claim level */
};

static enum rcm_err
bad(struct rd *r, const char *member, const char *what)
{
    if (r->line)
        return rcm_diag_fail(r->diag, RCM_E_INVAL, "lines[%d].%s %s", r->line - 1, member, what);
    return rcm_diag_fail(r->diag, RCM_E_INVAL, "%s %s", member, what);
}

static enum rcm_err
only(struct rd *r, json_t *o, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok)
            return bad(r, "object", "has an unknown member");
    }
    return RCM_OK;
}

static enum rcm_err
get_s(struct rd *r, json_t *o, const char *k, bool req, char *out, size_t cap)
{
    json_t *v = json_object_get(o, k);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return req ? bad(r, k, "is required") : RCM_OK;
    if (!json_is_string(v) || !rcm_str_copy(out, cap, rcm_str_c(json_string_value(v))))
        return bad(r, k, "must be a string of the right length");
    return RCM_OK;
}

static enum rcm_err
get_i(struct rd *r, json_t *o, const char *k, bool req, int64_t *out, bool *has)
{
    json_t *v = json_object_get(o, k);
    if (has)
        *has = false;
    if (!v || json_is_null(v))
        return req ? bad(r, k, "is required") : RCM_OK;
    if (!json_is_integer(v) || json_integer_value(v) < -99999999999LL ||
        json_integer_value(v) > 99999999999LL)
        return bad(r, k, "must be an integer (cents) within range");
    *out = json_integer_value(v);
    if (has)
        *has = true;
    return RCM_OK;
}

static enum rcm_err
get_d(struct rd *r, json_t *o, const char *k, int32_t *out)
{
    json_t *v = json_object_get(o, k);
    *out = RCM_X12_NO_DATE;
    if (!v || json_is_null(v))
        return RCM_OK;
    if (!json_is_string(v) || rcm_date_parse_iso(rcm_str_c(json_string_value(v)), out))
        return bad(r, k, "must be a date YYYY-MM-DD");
    return RCM_OK;
}

static enum rcm_err
get_adjs(struct rd *r, json_t *o, struct rcm_x12_adjustment *a, int *n)
{
    static const char *const keys[] = {"group", "carc", "amount_cents", NULL};
    json_t *v = json_object_get(o, "adjustments");
    *n = 0;
    if (!v || json_is_null(v))
        return RCM_OK;
    if (!json_is_array(v) || json_array_size(v) > RCM_X12_MAX_ADJ)
        return bad(r, "adjustments", "must be an array of at most 18");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        struct rcm_x12_adjustment *x = &a[i];
        enum rcm_adj_group g;
        enum rcm_err err = json_is_object(e) ? only(r, e, keys) : bad(r, "adjustments",
                                                                      "must hold objects");
        if (!err)
            err = get_s(r, e, "group", true, x->group, sizeof x->group);
        if (!err)
            err = get_s(r, e, "carc", true, x->reason, sizeof x->reason);
        if (!err)
            err = get_i(r, e, "amount_cents", true, &x->amount_cents, NULL);
        if (!err && !rcm_adj_group_from_code(x->group, &g))
            err = bad(r, "adjustments.group", "must be CO, PR, OA, PI or CR");
        if (err)
            return err;
        (*n)++;
    }
    return RCM_OK;
}

static enum rcm_err
get_remarks(struct rd *r, json_t *o, char (*out)[RCM_X12_REMARK_MAX], int *n)
{
    json_t *v = json_object_get(o, "remarks");
    *n = 0;
    if (!v || json_is_null(v))
        return RCM_OK;
    if (!json_is_array(v) || json_array_size(v) > RCM_X12_MAX_REMARKS)
        return bad(r, "remarks", "must be an array of at most 8 codes");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) ||
            !rcm_str_copy(out[i], RCM_X12_REMARK_MAX, rcm_str_c(json_string_value(e))))
            return bad(r, "remarks", "must be RARC codes");
        (*n)++;
    }
    return RCM_OK;
}

static enum rcm_err
get_line(struct rd *r, json_t *o, struct rcm_x12_line *l)
{
    static const char *const keys[] = {"procedure", "modifiers", "charge_cents", "paid_cents",
        "allowed_cents", "units_milli", "service_date", "control", "adjustments", "remarks",
        NULL};
    if (!json_is_object(o))
        return bad(r, "lines", "must hold objects");
    enum rcm_err err = only(r, o, keys);
    if (!err)
        err = get_s(r, o, "procedure", true, l->procedure, sizeof l->procedure);
    rcm_str_copy(l->proc_qualifier, sizeof l->proc_qualifier, RCM_STR("HC"));
    json_t *m = json_object_get(o, "modifiers");
    if (!err && m && !json_is_null(m)) {
        if (!json_is_array(m) || json_array_size(m) > 4)
            return bad(r, "modifiers", "must be an array of at most 4");
        size_t i;
        json_t *e;
        json_array_foreach(m, i, e)
            if (!json_is_string(e) ||
                !rcm_str_copy(l->modifiers[i], 3, rcm_str_c(json_string_value(e))))
                return bad(r, "modifiers", "must be two-character codes");
    }
    if (!err)
        err = get_i(r, o, "charge_cents", true, &l->charge_cents, NULL);
    if (!err)
        err = get_i(r, o, "paid_cents", true, &l->paid_cents, NULL);
    if (!err)
        err = get_i(r, o, "allowed_cents", false, &l->allowed_cents, &l->has_allowed);
    l->units_milli = 1000;
    if (!err)
        err = get_i(r, o, "units_milli", false, &l->units_milli, NULL);
    if (!err)
        err = get_d(r, o, "service_date", &l->service_date_days);
    if (!err)
        err = get_s(r, o, "control", false, l->control, sizeof l->control);
    if (!err)
        err = get_adjs(r, o, l->adj, &l->n_adj);
    if (!err)
        err = get_remarks(r, o, l->remarks, &l->n_remarks);
    return err;
}

enum rcm_err
rcm_remit_payment_from_json(json_t *o, struct rcm_x12_claim_payment *p,
                            struct rcm_diag *diag)
{
    static const char *const keys[] = {"claim_control_number", "status", "charge_cents",
        "paid_cents", "patient_resp_cents", "payer_claim_number", "patient", "service_from",
        "service_to", "adjustments", "remarks", "lines", NULL};
    static const char *const pkeys[] = {"last_name", "first_name", "member_id", NULL};
    struct rd r = {diag, 0};
    memset(p, 0, sizeof *p);
    if (!json_is_object(o))
        return bad(&r, "claim payment", "must be an object");
    enum rcm_err err = only(&r, o, keys);
    if (!err)
        err = get_s(&r, o, "claim_control_number", true, p->claim_id, sizeof p->claim_id);
    if (!err)
        err = get_s(&r, o, "status", true, p->status, sizeof p->status);
    if (!err)
        err = get_i(&r, o, "charge_cents", true, &p->charge_cents, NULL);
    if (!err)
        err = get_i(&r, o, "paid_cents", true, &p->paid_cents, NULL);
    if (!err)
        err = get_i(&r, o, "patient_resp_cents", false, &p->patient_resp_cents, NULL);
    if (!err)
        err = get_s(&r, o, "payer_claim_number", false, p->payer_claim_id,
                    sizeof p->payer_claim_id);
    json_t *pt = json_object_get(o, "patient");
    if (!err && pt && !json_is_null(pt)) {
        err = json_is_object(pt) ? only(&r, pt, pkeys) : bad(&r, "patient", "must be an object");
        if (!err)
            err = get_s(&r, pt, "last_name", false, p->patient.last_or_org,
                        sizeof p->patient.last_or_org);
        if (!err)
            err = get_s(&r, pt, "first_name", false, p->patient.first, sizeof p->patient.first);
        if (!err)
            err = get_s(&r, pt, "member_id", false, p->patient.id, sizeof p->patient.id);
    }
    if (!err)
        err = get_d(&r, o, "service_from", &p->service_from_days);
    if (!err)
        err = get_d(&r, o, "service_to", &p->service_to_days);
    if (!err)
        err = get_adjs(&r, o, p->adj, &p->n_adj);
    if (!err)
        err = get_remarks(&r, o, p->remarks, &p->n_remarks);
    if (err)
        return err;
    json_t *lines = json_object_get(o, "lines");
    if (lines && !json_is_null(lines)) {
        if (!json_is_array(lines) || json_array_size(lines) > RCM_X12_MAX_LINES)
            return bad(&r, "lines", "must be an array of at most 50");
        size_t i;
        json_t *e;
        json_array_foreach(lines, i, e) {
            r.line = (int)i + 1;
            if ((err = get_line(&r, e, &p->lines[i])))
                return err;
            p->n_lines++;
        }
    }
    return RCM_OK;
}
