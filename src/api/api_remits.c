/*
 * api_remits.c — payment posting over REST (docs/posting.md).
 *
 *   POST /v1/remittances                 {"x12": "ISA*..."}: post an 835
 *   GET  /v1/remittances                 newest first (before, limit)
 *   GET  /v1/remittances/{id}            with its claim payments
 *   POST /v1/remittances/manual          a paper EOB as JSON
 *   GET  /v1/unmatched-payments          the queue, each CLP opened (PHI)
 *   POST /v1/unmatched-payments/{id}/match   {"claim_id"}
 *   POST /v1/deposits                    {"trace_number","amount_cents","deposit_date"}
 *   GET  /v1/deposits
 *   GET  /v1/denials                     state, category, payer_id, deadline_before,
 *                                        after, limit
 *   GET  /v1/denials/{id}
 *   POST /v1/denials/{id}/actions        {"action", "note"}; an appeal answers
 *                                        the letter as letter_html
 *
 * The 835 travels as a JSON string (one content type for the whole API,
 * and the body cap, server.max_body_bytes, applies as for any request).
 * Writes need claim.write; the routes ask phi.read. A post answers 201
 * when it wrote something, 200 when every remittance was posted before.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm/posting.h"
#include "rcm/remit.h"
#include "rcm/str.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 100


static bool
may_write(struct api_request *req, struct api_response *res)
{
    if (api_can(req, RCM_PERM_CLAIM_WRITE))
        return true;
    api_problem(req, res, API_PROBLEM_forbidden, "posting payments needs claim.write");
    return false;
}



static const char *
query_s(struct api_request *req, const char *name)
{
    return req->query ? req->query(req->conn, name) : NULL;
}

static json_t *
date_json(int32_t d)
{
    if (d == RCM_X12_NO_DATE)
        return json_null();
    char iso[11];
    rcm_date_format_iso(d, iso);
    return json_string(iso);
}

static json_t *
text_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/* ---- posting -------------------------------------------------------------------- */

static json_t *
result_json(const struct rcm_remit_post_result *r)
{
    json_t *ids = json_array(), *findings = json_array();
    for (int i = 0; ids && i < r->n_ids; i++)
        json_array_append_new(ids, json_pack("{s:I, s:b}", "id",
                                             (json_int_t)r->remittance_ids[i], "already_posted",
                                             r->already[i]));
    for (int i = 0; findings && i < r->n_findings; i++) {
        const struct rcm_remit_finding *f = &r->findings[i];
        json_array_append_new(findings, json_pack(
            "{s:i, s:i, s:s, s:s, s:i, s:I, s:I}", "remittance", f->set, "claim_payment",
            f->seq, "code", f->code, "severity", f->error ? "error" : "warning", "line_no",
            f->line_no, "expected_cents", (json_int_t)f->expected_cents, "actual_cents",
            (json_int_t)f->actual_cents));
    }
    return json_pack("{s:o, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:I, s:I, "
                     "s:i, s:o, s:i}",
                     "remittances", ids ? ids : json_array(), "posted", r->posted,
                     "already_posted", r->already_posted, "claims", "total", r->claims, "paid",
                     r->paid, "partially_paid", r->partial, "denied", r->denied, "reversed",
                     r->reversed, "other", r->other, "unmatched", r->unmatched,
                     "service_lines", r->service_lines, "paid_cents",
                     (json_int_t)r->paid_cents, "provider_adjustment_cents",
                     (json_int_t)r->plb_cents, "denials_created", r->denials, "findings",
                     findings ? findings : json_array(), "findings_not_listed",
                     r->n_findings_dropped);
}

static void
answer_post(struct api_request *req, struct api_response *res, enum rcm_err err,
            const struct rcm_remit_post_result *r, const struct rcm_diag *diag)
{
    if (err == RCM_E_PARSE) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag->msg);
        return;
    }
    if (err) {
        api_store_problem(req, res, err, diag, "posting is unavailable");
        return;
    }
    res->status = r->posted ? 201 : 200;
    res->json = result_json(r);
    if (!res->json)
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
}

void
api_post_remittances(struct api_request *req, struct api_response *res)
{
    if (!may_write(req, res))
        return;
    static const char *const allowed[] = {"x12", NULL};
    const char *unknown = NULL;
    json_t *x = json_object_get(req->json, "x12");
    if (!json_is_object(req->json) || !api_json_only(req->json, allowed, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "the body has only x12 (%s is "
                    "unknown)", unknown ? unknown : "?");
        return;
    }
    if (!json_is_string(x) || json_string_length(x) == 0) {
        api_problem(req, res, API_PROBLEM_validation_failed, "x12 (the 835 as a string) is "
                    "required");
        return;
    }
    struct rcm_remit_post_result *r = rcm_calloc(1, sizeof *r);
    if (!r) {
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
        return;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_remit_post_x12(req->ctx->store, &req->actor,
                                                json_string_value(x), json_string_length(x), r,
                                                &diag);
    answer_post(req, res, err, r, &diag);
    rcm_free(r);
}

void
api_post_remittance_manual(struct api_request *req, struct api_response *res)
{
    if (!may_write(req, res))
        return;
    static const char *const allowed[] = {"payer_id", "trace_number", "payment_cents",
                                          "payment_date", "method", "claim_payments", NULL};
    const char *unknown = NULL;
    json_t *b = req->json;
    if (!json_is_object(b) || !api_json_only(b, allowed, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown member %s",
                    unknown ? unknown : "?");
        return;
    }
    struct rcm_remit_manual m = {0};
    json_t *v;
    const char *bad = NULL;
    if (!json_is_string(v = json_object_get(b, "payer_id")) ||
        !rcm_str_copy(m.payer_id, sizeof m.payer_id, rcm_str_c(json_string_value(v))))
        bad = "payer_id (a string) is required";
    else if (!json_is_string(v = json_object_get(b, "trace_number")) ||
             !rcm_str_copy(m.trace_number, sizeof m.trace_number,
                           rcm_str_c(json_string_value(v))) || !m.trace_number[0])
        bad = "trace_number (the check number) is required";
    else if (!json_is_integer(v = json_object_get(b, "payment_cents")))
        bad = "payment_cents (an integer) is required";
    if (!bad) {
        m.payment_cents = json_integer_value(v);
        v = json_object_get(b, "payment_date");
        if (!json_is_string(v) ||
            rcm_date_parse_iso(rcm_str_c(json_string_value(v)), &m.payment_day) != RCM_OK)
            bad = "payment_date (YYYY-MM-DD) is required";
    }
    v = json_object_get(b, "method");
    if (!bad && v && (!json_is_string(v) ||
                      !rcm_str_copy(m.method, sizeof m.method, rcm_str_c(json_string_value(v)))))
        bad = "method must be CHK, ACH, NON ...";
    json_t *pays = json_object_get(b, "claim_payments");
    if (!bad && (!json_is_array(pays) || json_array_size(pays) < 1 ||
                 json_array_size(pays) > 100))
        bad = "claim_payments must be an array of 1 to 100";
    if (bad) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", bad);
        return;
    }
    size_t n = json_array_size(pays);
    struct rcm_x12_claim_payment *p = rcm_calloc(n, sizeof *p);
    struct rcm_remit_post_result *r = rcm_calloc(1, sizeof *r);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = p && r ? RCM_OK : RCM_E_NOMEM;
    for (size_t i = 0; !err && i < n; i++) {
        err = rcm_remit_payment_from_json(json_array_get(pays, i), &p[i], &diag);
        if (err) {
            char msg[sizeof diag.msg];
            snprintf(msg, sizeof msg, "%s", diag.msg);
            rcm_diag_fail(&diag, err, "claim_payments[%zu]: %s", i, msg);
        }
    }
    if (!err) {
        m.pays = p;
        m.n_pays = n;
        err = rcm_store_remit_post_manual(req->ctx->store, &req->actor, &m, r, &diag);
    }
    if (err == RCM_E_NOMEM)
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
    else
        answer_post(req, res, err, r, &diag);
    if (p)
        rcm_crypto_wipe(p, n * sizeof *p);
    rcm_free(p);
    rcm_free(r);
}

/* ---- remittances ------------------------------------------------------------------ */

static json_t *
remit_json(const struct rcm_remittance *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:i, s:i, s:o}", "id",
                          (json_int_t)r->id, "source", r->source, "payer_id", r->payer_id,
                          "trace_number", r->trace_number, "payment_cents",
                          (json_int_t)r->payment_cents, "credit_debit", r->credit_debit,
                          "method", text_or_null(r->method), "payment_date",
                          date_json(r->payment_day), "n_claims", r->n_claims, "n_unmatched",
                          r->n_unmatched, "user_id",
                          r->user_id ? json_integer(r->user_id) : json_null());
    if (o) {
        char at[RCM_TIME_ISO_LEN + 1];
        rcm_time_format_iso(r->created_ms, at);
        json_object_set_new(o, "created_at", json_string(at));
        json_object_set_new(o, "deposit", r->deposit_id ? json_pack(
            "{s:I, s:I, s:b}", "id", (json_int_t)r->deposit_id, "amount_cents",
            (json_int_t)r->deposit_cents, "reconciled", r->deposit_cents == r->payment_cents)
            : json_null());
    }
    return o;
}

static json_t *
cp_json(const struct rcm_claim_payment_row *p)
{
    return json_pack("{s:I, s:i, s:o, s:o, s:s, s:s, s:I, s:I, s:I, s:o, s:b}", "id",
                     (json_int_t)p->id, "seq", p->seq, "claim_id",
                     p->claim_id ? json_integer(p->claim_id) : json_null(), "matched_by",
                     text_or_null(p->matched_by), "control_number", p->control_number,
                     "status", p->status, "charge_cents", (json_int_t)p->charge_cents,
                     "paid_cents", (json_int_t)p->paid_cents, "patient_resp_cents",
                     (json_int_t)p->patient_resp_cents, "payer_claim_number",
                     text_or_null(p->payer_claim_number), "reversal", p->reversal);
}

struct listing {
    json_t *items;
    int64_t last_id;
};

static int
add_remit(void *ctx, const struct rcm_remittance *r)
{
    struct listing *l = ctx;
    l->last_id = r->id;
    return json_array_append_new(l->items, remit_json(r)) != 0;
}

static int
add_cp(void *ctx, const struct rcm_claim_payment_row *p)
{
    struct listing *l = ctx;
    return json_array_append_new(l->items, cp_json(p)) != 0;
}

static bool
limits(struct api_request *req, struct api_response *res, const char *cursor, int64_t *after,
       int64_t *limit)
{
    *after = 0;
    *limit = LIST_LIMIT_DEFAULT;
    if (!api_query_i64(req, cursor, after) || !api_query_i64(req, "limit", limit) || *limit < 1 ||
        *limit > LIST_LIMIT_MAX) {
        api_problem(req, res, API_PROBLEM_bad_request, "%s must be an id and limit 1-%d",
                    cursor, LIST_LIMIT_MAX);
        return false;
    }
    return true;
}

static void
answer_list(struct api_request *req, struct api_response *res, enum rcm_err err,
            struct listing *l, const char *name, int64_t limit, const char *cursor,
            const struct rcm_diag *diag)
{
    if (err) {
        json_decref(l->items);
        api_store_problem(req, res, err, diag, "posting is unavailable");
        return;
    }
    res->json = json_pack("{s:o}", name, l->items);
    if (res->json && (int64_t)json_array_size(l->items) == limit)
        json_object_set_new(res->json, cursor, json_integer(l->last_id));
}

void
api_get_remittances(struct api_request *req, struct api_response *res)
{
    int64_t before, limit;
    if (!limits(req, res, "before", &before, &limit))
        return;
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_remit_list(req->ctx->store, &req->actor, before, (int)limit,
                                            add_remit, &l, &diag);
    answer_list(req, res, err, &l, "remittances", limit, "next_before", &diag);
}

void
api_get_remittance(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!api_path_id(req, res, &id))
        return;
    struct rcm_remittance r;
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_remit_get(req->ctx->store, &req->actor, id, &r, add_cp, &l,
                                           &diag);
    if (err) {
        json_decref(l.items);
        api_store_problem(req, res, err, &diag, "posting is unavailable");
        return;
    }
    res->json = remit_json(&r);
    if (res->json)
        json_object_set_new(res->json, "claim_payments", l.items);
    else
        json_decref(l.items);
}

/* ---- the unmatched queue -------------------------------------------------------- */

static int
add_unmatched(void *ctx, const struct rcm_unmatched *u)
{
    struct listing *l = ctx;
    l->last_id = u->pay.id;
    json_t *o = cp_json(&u->pay);
    if (!o)
        return 1;
    json_object_set_new(o, "remittance_id", json_integer(u->pay.remittance_id));
    json_object_set_new(o, "payer_id", json_string(u->payer_id));
    json_object_set_new(o, "trace_number", json_string(u->trace_number));
    json_object_set_new(o, "payment_date", date_json(u->payment_day));
    json_t *clp = NULL;
    if (u->json && rcm_json_parse(u->json, strlen(u->json), RCM_JSON_DEPTH_DEFAULT, &clp,
                                  NULL) != RCM_OK)
        clp = NULL;
    json_object_set_new(o, "payment", clp ? clp : json_null());
    return json_array_append_new(l->items, o) != 0;
}

void
api_get_unmatched_payments(struct api_request *req, struct api_response *res)
{
    int64_t after, limit;
    if (!limits(req, res, "after", &after, &limit))
        return;
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_unmatched_list(req->ctx->store, &req->actor, after, (int)limit,
                                                api_can(req, RCM_PERM_PHI_READ), add_unmatched,
                                                &l, &diag);
    answer_list(req, res, err, &l, "unmatched_payments", limit, "next_after", &diag);
}

void
api_post_unmatched_match(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!may_write(req, res) || !api_path_id(req, res, &id))
        return;
    static const char *const allowed[] = {"claim_id", NULL};
    const char *unknown = NULL;
    json_t *c = json_object_get(req->json, "claim_id");
    if (!json_is_object(req->json) || !api_json_only(req->json, allowed, &unknown) ||
        !json_is_integer(c) || json_integer_value(c) <= 0) {
        api_problem(req, res, API_PROBLEM_validation_failed, "the body is {\"claim_id\": ID}");
        return;
    }
    struct rcm_remit_post_result *r = rcm_calloc(1, sizeof *r);
    if (!r) {
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
        return;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_unmatched_match(req->ctx->store, &req->actor, id,
                                                 json_integer_value(c), r, &diag);
    if (err) {
        api_store_problem(req, res, err, &diag, "posting is unavailable");
    } else {
        res->json = result_json(r);
        if (res->json)
            json_object_set_new(res->json, "claim_payment_id", json_integer(id));
    }
    rcm_free(r);
}

/* ---- deposits --------------------------------------------------------------------- */

static json_t *
deposit_json(const struct rcm_deposit *d)
{
    return json_pack("{s:I, s:s, s:I, s:o, s:o, s:I, s:b, s:I}", "id", (json_int_t)d->id,
                     "trace_number", d->trace_number, "amount_cents",
                     (json_int_t)d->amount_cents, "deposit_date", date_json(d->deposit_day),
                     "remittance_id",
                     d->remittance_id ? json_integer(d->remittance_id) : json_null(),
                     "remittance_cents", (json_int_t)d->remittance_cents, "reconciled",
                     d->reconciled, "difference_cents",
                     (json_int_t)(d->remittance_id ? d->amount_cents - d->remittance_cents : 0));
}

void
api_post_deposits(struct api_request *req, struct api_response *res)
{
    if (!may_write(req, res))
        return;
    static const char *const allowed[] = {"trace_number", "amount_cents", "deposit_date", NULL};
    const char *unknown = NULL;
    json_t *b = req->json, *t = json_object_get(b, "trace_number"),
           *a = json_object_get(b, "amount_cents"), *dd = json_object_get(b, "deposit_date");
    struct rcm_deposit d = {0};
    if (!json_is_object(b) || !api_json_only(b, allowed, &unknown) || !json_is_string(t) ||
        !rcm_str_copy(d.trace_number, sizeof d.trace_number, rcm_str_c(json_string_value(t))) ||
        !json_is_integer(a) || !json_is_string(dd) ||
        rcm_date_parse_iso(rcm_str_c(json_string_value(dd)), &d.deposit_day) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_validation_failed, "the body is {\"trace_number\", "
                    "\"amount_cents\", \"deposit_date\": \"YYYY-MM-DD\"}");
        return;
    }
    d.amount_cents = json_integer_value(a);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_deposit_add(req->ctx->store, &req->actor, &d, &diag);
    if (err) {
        api_store_problem(req, res, err, &diag, "posting is unavailable");
        return;
    }
    res->status = 201;
    res->json = deposit_json(&d);
}

static int
add_deposit(void *ctx, const struct rcm_deposit *d)
{
    struct listing *l = ctx;
    l->last_id = d->id;
    return json_array_append_new(l->items, deposit_json(d)) != 0;
}

void
api_get_deposits(struct api_request *req, struct api_response *res)
{
    int64_t before, limit;
    if (!limits(req, res, "before", &before, &limit))
        return;
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_deposit_list(req->ctx->store, &req->actor, before, (int)limit,
                                              add_deposit, &l, &diag);
    answer_list(req, res, err, &l, "deposits", limit, "next_before", &diag);
}

/* ---- the denial worklist ------------------------------------------------------------- */

static json_t *
denial_json(const struct rcm_denial *d)
{
    const char *reason = rcm_denial_carc_reason(d->carc);
    json_t *o = json_pack("{s:I, s:I, s:o, s:o, s:s, s:s, s:s, s:o, s:s, s:I, s:s, s:o, s:o, "
                          "s:s, s:s, s:s}",
                          "id", (json_int_t)d->id, "claim_id", (json_int_t)d->claim_id,
                          "claim_line_id",
                          d->claim_line_id ? json_integer(d->claim_line_id) : json_null(),
                          "line_no", d->line_no ? json_integer(d->line_no) : json_null(),
                          "payer_id", d->payer_id, "group_code", d->group_code, "carc",
                          d->carc, "carc_reason", text_or_null(reason), "remarks", d->remarks,
                          "amount_cents", (json_int_t)d->amount_cents, "category", d->category,
                          "denied_date", date_json(d->denied_day), "appeal_deadline",
                          date_json(d->appeal_deadline), "state", d->state,
                          "claim_control_number", d->control_number, "claim_state",
                          d->claim_state);
    if (o) {
        json_object_set_new(o, "procedure", text_or_null(d->procedure));
        json_object_set_new(o, "resolved_by",
                            d->resolved_by ? json_integer(d->resolved_by) : json_null());
    }
    return o;
}

static int
add_denial(void *ctx, const struct rcm_denial *d)
{
    struct listing *l = ctx;
    l->last_id = d->id;
    return json_array_append_new(l->items, denial_json(d)) != 0;
}

void
api_get_denials(struct api_request *req, struct api_response *res)
{
    int64_t after, limit;
    if (!limits(req, res, "after", &after, &limit))
        return;
    struct rcm_denial_filter f = {query_s(req, "state"), query_s(req, "category"),
                                  query_s(req, "payer_id"), RCM_X12_NO_DATE, after, (int)limit};
    const char *before = query_s(req, "deadline_before");
    if (before && rcm_date_parse_iso(rcm_str_c(before), &f.deadline_before) != RCM_OK) {
        api_problem(req, res, API_PROBLEM_bad_request, "deadline_before must be YYYY-MM-DD");
        return;
    }
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_denial_list(req->ctx->store, &req->actor, &f, add_denial, &l,
                                             &diag);
    answer_list(req, res, err, &l, "denials", limit, "next_after", &diag);
}

void
api_get_denial(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!api_path_id(req, res, &id))
        return;
    struct rcm_denial d;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_denial_get(req->ctx->store, &req->actor, id, &d, &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "posting is unavailable");
    else
        res->json = denial_json(&d);
}

void
api_post_denial_action(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!may_write(req, res) || !api_path_id(req, res, &id))
        return;
    static const char *const allowed[] = {"action", "note", NULL};
    const char *unknown = NULL;
    json_t *a = json_object_get(req->json, "action"), *n = json_object_get(req->json, "note");
    enum rcm_denial_action action;
    if (!json_is_object(req->json) || !api_json_only(req->json, allowed, &unknown) ||
        !json_is_string(a) || !rcm_denial_action_from_name(json_string_value(a), &action) ||
        (n && !json_is_null(n) && !json_is_string(n))) {
        api_problem(req, res, API_PROBLEM_validation_failed, "the body is {\"action\": "
                    "resubmit|appeal|write_off|close, \"note\": text}");
        return;
    }
    struct rcm_buf letter = RCM_BUF_INIT(1u << 20);
    struct rcm_denial d;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_denial_act(req->ctx->store, &req->actor, id, (int)action,
                                            json_is_string(n) ? json_string_value(n) : NULL,
                                            &letter, &d, &diag);
    if (err) {
        api_store_problem(req, res, err, &diag, "posting is unavailable");
    } else {
        res->json = denial_json(&d);
        if (res->json && action == RCM_DENIAL_APPEAL)
            json_object_set_new(res->json, "letter_html", json_string(rcm_buf_cstr(&letter)));
    }
    if (letter.data)
        rcm_crypto_wipe(letter.data, letter.cap);
    rcm_buf_release(&letter);
}
