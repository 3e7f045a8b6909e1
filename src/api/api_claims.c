/*
 * api_claims.c — claims and 837 batches over REST.
 *
 *   POST /v1/encounters/{id}/claims   build, scrub and store the encounter's
 *                                     claim (201; state ready or draft)
 *   GET  /v1/claims                   list (filters: state, patient_id,
 *                                     encounter_id, batch_id; cursor)
 *   GET  /v1/claims/{id}              with lines and the scrubber's findings
 *   GET  /v1/claims/{id}/events       every move: who, when, why
 *   POST /v1/claims/{id}/moves        a person's move {to, reason}
 *   POST /v1/batches                  every ready claim into 837 batches,
 *                                     written to the outbox (201)
 *   GET  /v1/batches[/{id}]           batches and their control numbers
 *   GET  /v1/batches/{id}/x12         the 837 itself (PHI: audited)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/billing.h"
#include "rcm/buf.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/file.h"
#include "rcm/log.h"
#include "rcm/mem.h"
#include "rcm/str.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200
#define BATCHES_MAX 64
#define X12_MAX (64u << 20)

static json_t *
day_json(int32_t days)
{
    if (days == RCM_CLAIM_NO_DATE)
        return json_null();
    char iso[11];
    rcm_date_format_iso(days, iso);
    return json_string(iso);
}

static json_t *
id_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

static json_t *
line_json(const struct rcm_claim_line_row *l)
{
    json_t *mods = json_array(), *ptrs = json_array();
    for (int m = 0; m < l->n_modifiers; m++)
        json_array_append_new(mods, json_string(l->modifiers[m]));
    for (int p = 0; p < l->n_dx_pointers; p++)
        json_array_append_new(ptrs, json_integer(l->dx_pointers[p]));
    json_t *o = json_pack("{s:I,s:i,s:s,s:o,s:f,s:I,s:o,s:o,s:I,s:I,s:I}",
                          "id", (json_int_t)l->id, "line_no", l->line_no,
                          "procedure", l->procedure, "modifiers", mods,
                          "units", (double)l->units_milli / 1000.0,
                          "charge_cents", (json_int_t)l->charge_cents, "dx_pointers", ptrs,
                          "service_date", day_json(l->service_date),
                          "paid_cents", (json_int_t)l->paid_cents,
                          "adjustment_cents", (json_int_t)l->adjustment_cents,
                          "patient_resp_cents", (json_int_t)l->patient_resp_cents);
    if (o) {
        json_object_set_new(o, "revenue_code",
                            l->revenue_code[0] ? json_string(l->revenue_code) : json_null());
        json_object_set_new(o, "allowed_cents", l->allowed_cents >= 0
                                                    ? json_integer(l->allowed_cents)
                                                    : json_null());
    }
    return o;
}

static json_t *
claim_json(const struct rcm_claim_row *c, bool full)
{
    char created[32], updated[32], freq[2] = {c->frequency, 0};
    rcm_time_format_iso(c->created_ms, created);
    rcm_time_format_iso(c->updated_ms, updated);
    json_t *o = json_pack(
        "{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,"
        "s:I,s:s,s:s}",
        "id", (json_int_t)c->id, "control_number", c->control_number, "state", c->state,
        "claim_kind", c->kind == RCM_CLAIM_INSTITUTIONAL ? "institutional" : "professional",
        "frequency", freq, "sequence", c->sequence, "patient_id", (json_int_t)c->patient_id,
        "encounter_id", (json_int_t)c->encounter_id, "payer_id", c->payer_id,
        "payer_ref", (json_int_t)c->payer_ref, "coverage_id", id_or_null(c->coverage_id),
        "billing_provider_id", (json_int_t)c->billing_provider_id,
        "rendering_provider_id", id_or_null(c->rendering_provider_id),
        "original_claim_id", id_or_null(c->original_claim_id),
        "service_from", day_json(c->service_from), "service_to", day_json(c->service_to),
        "charge_cents", (json_int_t)c->charge_cents, "paid_cents", (json_int_t)c->paid_cents,
        "adjustment_cents", (json_int_t)c->adjustment_cents,
        "patient_resp_cents", (json_int_t)c->patient_resp_cents,
        "balance_cents", (json_int_t)(c->charge_cents - c->paid_cents - c->adjustment_cents -
                                      c->patient_resp_cents),
        "created_at", created, "updated_at", updated);
    if (!o)
        return NULL;
    json_object_set_new(o, "payer_claim_number", c->payer_claim_number[0]
                                                     ? json_string(c->payer_claim_number)
                                                     : json_null());
    json_object_set_new(o, "batch_id", id_or_null(c->batch_id));
    json_object_set_new(o, "first_submitted_on", day_json(c->first_submitted_day));
    json_object_set_new(o, "submitted_on", day_json(c->submitted_day));
    json_object_set_new(o, "adjudicated_on", day_json(c->adjudicated_day));
    json_t *scrub = json_pack("{s:i,s:i}", "errors", c->scrub_errors, "warnings",
                              c->scrub_warnings);
    if (scrub && full && c->findings[0]) {
        json_t *f = json_loads(c->findings, 0, NULL);
        json_t *list = f ? json_object_get(f, "findings") : NULL;
        json_object_set(scrub, "findings", list ? list : json_array());
        json_t *rule = f ? json_object_get(f, "payer_rule") : NULL;
        if (rule)
            json_object_set(scrub, "payer_rule", rule);
        json_decref(f);
    }
    json_object_set_new(o, "scrub", scrub);
    if (full) {
        json_t *lines = json_array();
        for (int i = 0; i < c->n_lines; i++)
            json_array_append_new(lines, line_json(&c->lines[i]));
        json_object_set_new(o, "lines", lines);
    }
    return o;
}



static bool
billing_ready(struct api_request *req, struct api_response *res)
{
    if (req->ctx->billing)
        return true;
    api_problem(req, res, API_PROBLEM_not_ready, "claims are not configured on this server");
    return false;
}

static void
respond_claim(struct api_request *req, struct api_response *res, int64_t id, int status)
{
    struct rcm_claim_row *c = rcm_calloc(1, sizeof *c);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = c ? rcm_store_claim_get(req->ctx->store, &req->actor, id, c, &diag)
                         : RCM_E_NOMEM;
    if (err) {
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    } else {
        res->status = status;
        res->json = claim_json(c, true);
    }
    rcm_free(c);
}

void
api_post_encounter_claims(struct api_request *req, struct api_response *res)
{
    int64_t encounter_id, id = 0;
    if (!billing_ready(req, res) || !api_path_id(req, res, &encounter_id))
        return;
    struct rcm_claim_create in = {encounter_id, 0, NULL, req->ctx->billing->scrub, 0};
    if (req->json) {
        static const char *const allowed[] = {"coverage_id", "sequence", NULL};
        const char *unknown = NULL;
        if (!api_json_only(req->json, allowed, &unknown)) {
            api_problem(req, res, API_PROBLEM_validation_failed, "unknown member \"%.40s\"",
                        unknown);
            return;
        }
        json_t *cov = json_object_get(req->json, "coverage_id");
        json_t *seq = json_object_get(req->json, "sequence");
        if ((cov && !json_is_null(cov) && (!json_is_integer(cov) || json_integer_value(cov) <= 0)) ||
            (seq && !json_is_null(seq) &&
             (!json_is_string(seq) || (strcmp(json_string_value(seq), "primary") != 0 &&
                                       strcmp(json_string_value(seq), "secondary") != 0 &&
                                       strcmp(json_string_value(seq), "tertiary") != 0)))) {
            api_problem(req, res, API_PROBLEM_validation_failed, "coverage_id must be an id "
                        "and sequence primary, secondary or tertiary");
            return;
        }
        in.coverage_id = json_is_integer(cov) ? json_integer_value(cov) : 0;
        in.sequence = json_is_string(seq) ? json_string_value(seq) : NULL;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_claim_create(req->ctx->store, &req->actor, &in, &id, &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    else
        respond_claim(req, res, id, 201);
}

void
api_get_claim(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (api_path_id(req, res, &id))
        respond_claim(req, res, id, 200);
}

struct listing {
    json_t *items;
    int64_t last_id;
};

static int
append_claim(void *ctx, const struct rcm_claim_row *c)
{
    struct listing *l = ctx;
    l->last_id = c->id;
    return json_array_append_new(l->items, claim_json(c, false)) != 0;
}


void
api_get_claims(struct api_request *req, struct api_response *res)
{
    int64_t after = 0, limit = LIST_LIMIT_DEFAULT;
    struct rcm_claim_filter f = {0};
    f.state = req->query ? req->query(req->conn, "state") : NULL;
    if (!api_query_i64(req, "after", &after) || !api_query_i64(req, "limit", &limit) ||
        !api_query_i64(req, "patient_id", &f.patient_id) ||
        !api_query_i64(req, "encounter_id", &f.encounter_id) ||
        !api_query_i64(req, "batch_id", &f.batch_id) || limit < 1 || limit > LIST_LIMIT_MAX) {
        api_problem(req, res, API_PROBLEM_bad_request, "after, patient_id, encounter_id and "
                    "batch_id must be ids and limit 1-%d", LIST_LIMIT_MAX);
        return;
    }
    struct listing l = {json_array(), 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = l.items ? rcm_store_claim_list(req->ctx->store, &req->actor, &f, after,
                                                      (int)limit, append_claim, &l, &diag)
                               : RCM_E_NOMEM;
    if (err) {
        json_decref(l.items);
        if (err == RCM_E_INVAL)
            api_problem(req, res, API_PROBLEM_bad_request, "%s", diag.msg);
        else
            api_store_problem(req, res, err, &diag, "the claim is unavailable");
        return;
    }
    res->json = json_pack("{s:o}", "claims", l.items);
    if (res->json && (int64_t)json_array_size(l.items) == limit)
        json_object_set_new(res->json, "next_after", json_integer(l.last_id));
}

static int
append_event(void *ctx, const struct rcm_claim_event *e)
{
    json_t *items = ctx;
    char at[32];
    rcm_time_format_iso(e->at_ms, at);
    json_t *o = json_pack("{s:I,s:s,s:o,s:s,s:s,s:o,s:o}", "id", (json_int_t)e->id, "at", at,
                          "from", e->from_state[0] ? json_string(e->from_state) : json_null(),
                          "to", e->to_state, "source", e->source,
                          "user_id", id_or_null(e->user_id),
                          "reason", e->reason[0] ? json_string(e->reason) : json_null());
    return json_array_append_new(items, o) != 0;
}

void
api_get_claim_events(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!api_path_id(req, res, &id))
        return;
    json_t *items = json_array();
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = items ? rcm_store_claim_events(req->ctx->store, &req->actor, id, true,
                                                      append_event, items, &diag)
                             : RCM_E_NOMEM;
    if (err) {
        json_decref(items);
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
        return;
    }
    res->json = json_pack("{s:o}", "events", items);
}

void
api_post_claim_moves(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!api_path_id(req, res, &id))
        return;
    static const char *const allowed[] = {"to", "reason", NULL};
    const char *unknown = NULL;
    json_t *to = json_object_get(req->json, "to"), *reason = json_object_get(req->json, "reason");
    if (!api_json_only(req->json, allowed, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown member \"%.40s\"",
                    unknown);
        return;
    }
    if (!json_is_string(to) || (reason && !json_is_null(reason) && !json_is_string(reason))) {
        api_problem(req, res, API_PROBLEM_validation_failed, "to must be a claim state and "
                    "reason a string");
        return;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_claim_move(req->ctx->store, &req->actor, id,
                                            json_string_value(to),
                                            json_is_string(reason) ? json_string_value(reason)
                                                                   : NULL,
                                            &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    else
        respond_claim(req, res, id, 200);
}

/* ---- batches ------------------------------------------------------------------ */

static json_t *
batch_json(const struct rcm_batch *b)
{
    char created[32];
    rcm_time_format_iso(b->created_ms, created);
    return json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:i,s:I,s:s}", "id", (json_int_t)b->id,
                     "created_at", created, "partner", b->partner, "kind", b->kind,
                     "isa13", (json_int_t)b->isa13, "gs06", (json_int_t)b->gs06,
                     "file_name", b->file_name, "claims", b->n_claims,
                     "charge_cents", (json_int_t)b->charge_cents, "ack_state", b->ack_state);
}

/* Render a committed batch and write it to the outbox. */
static enum rcm_err
write_batch(struct api_request *req, const struct rcm_batch *b, struct rcm_diag *diag)
{
    const struct rcm_billing_env *env = req->ctx->billing;
    struct rcm_buf out = RCM_BUF_INIT(X12_MAX);
    enum rcm_err err = rcm_store_batch_render(req->ctx->store, &req->actor, b->id,
                                              &env->sender, &out, diag);
    if (!err)
        err = rcm_file_write_atomic(env->outbox_dir, b->file_name, out.data, out.len, diag);
    if (out.data)
        rcm_crypto_wipe(out.data, out.len);
    rcm_buf_release(&out);
    return err;
}

void
api_post_batches(struct api_request *req, struct api_response *res)
{
    if (!billing_ready(req, res))
        return;
    struct rcm_batch *b = rcm_calloc(BATCHES_MAX, sizeof *b);
    size_t n = 0;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = b ? rcm_store_batch_create(req->ctx->store, &req->actor,
                                                  &req->ctx->billing->sender, b, BATCHES_MAX,
                                                  &n, &diag)
                         : RCM_E_NOMEM;
    json_t *items = json_array();
    for (size_t i = 0; i < n && !err; i++) {
        /* the batch is committed: a failure to write the file leaves it to
         * GET /v1/batches/{id}/x12 or `openrcm batch write` */
        struct rcm_diag wdiag = RCM_DIAG_INIT;
        json_t *o = batch_json(&b[i]);
        enum rcm_err werr = write_batch(req, &b[i], &wdiag);
        if (werr)
            RCM_LOG(RCM_LOG_ERROR, "batch.write_failed", req->req_id,
                    RCM_LF_I("batch", b[i].id), RCM_LF_S("error", rcm_err_str(werr)));
        json_object_set_new(o, "written", json_boolean(werr == RCM_OK));
        json_array_append_new(items, o);
    }
    if (err) {
        json_decref(items);
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    } else {
        res->status = 201;
        res->json = json_pack("{s:o}", "batches", items);
    }
    rcm_free(b);
}

void
api_get_batches(struct api_request *req, struct api_response *res)
{
    int64_t after = 0, limit = LIST_LIMIT_DEFAULT;
    if (!api_query_i64(req, "after", &after) || !api_query_i64(req, "limit", &limit) || limit < 1 ||
        limit > LIST_LIMIT_MAX) {
        api_problem(req, res, API_PROBLEM_bad_request, "after must be an id and limit 1-%d",
                    LIST_LIMIT_MAX);
        return;
    }
    struct rcm_batch *b = rcm_calloc((size_t)limit, sizeof *b);
    int n = 0;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = b ? rcm_store_batch_list(req->ctx->store, &req->actor, after, (int)limit,
                                                b, &n, &diag)
                         : RCM_E_NOMEM;
    if (err) {
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    } else {
        json_t *items = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(items, batch_json(&b[i]));
        res->json = json_pack("{s:o}", "batches", items);
        if (res->json && n == limit)
            json_object_set_new(res->json, "next_after", json_integer(b[n - 1].id));
    }
    rcm_free(b);
}

void
api_get_batch(struct api_request *req, struct api_response *res)
{
    int64_t id;
    struct rcm_batch b;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!api_path_id(req, res, &id))
        return;
    enum rcm_err err = rcm_store_batch_get(req->ctx->store, &req->actor, id, &b, &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    else
        res->json = batch_json(&b);
}

void
api_get_batch_x12(struct api_request *req, struct api_response *res)
{
    int64_t id;
    if (!billing_ready(req, res) || !api_path_id(req, res, &id))
        return;
    struct rcm_buf out = RCM_BUF_INIT(X12_MAX);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_batch_render(req->ctx->store, &req->actor, id,
                                              &req->ctx->billing->sender, &out, &diag);
    if (err) {
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
        rcm_buf_release(&out);
        return;
    }
    /* the body is handed to the transport as a string owned by the response */
    res->json = json_pack("{s:I,s:s#}", "id", (json_int_t)id, "x12", out.data, out.len);
    rcm_crypto_wipe(out.data, out.len);
    rcm_buf_release(&out);
}

/* ---- acknowledgments ------------------------------------------------------------ */

static json_t *
ack_summary_json(const struct rcm_ack_summary *s)
{
    json_t *batches = json_array();
    for (int i = 0; i < s->n_batches; i++)
        json_array_append_new(batches, json_pack("{s:I,s:s}", "id",
                                                 (json_int_t)s->batch_ids[i], "ack_state",
                                                 s->batch_states[i]));
    return json_pack("{s:s,s:b,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:o}", "kind", s->kind, "changed",
                     s->changed, "sets", s->sets, "accepted", s->sets_accepted, "rejected",
                     s->sets_rejected, "statuses", s->statuses, "claims_moved", s->claims_moved,
                     "claims_unchanged", s->claims_unchanged, "payer_claim_numbers",
                     s->numbers_recorded, "batches", batches);
}

void
api_post_acknowledgments(struct api_request *req, struct api_response *res)
{
    static const char *const allowed[] = {"x12", NULL};
    const char *unknown = NULL;
    if (!api_json_only(req->json, allowed, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown member \"%.40s\"",
                    unknown);
        return;
    }
    json_t *x12 = json_object_get(req->json, "x12");
    if (!json_is_string(x12) || json_string_length(x12) == 0) {
        api_problem(req, res, API_PROBLEM_validation_failed, "x12 must be the text of a 999 "
                    "or 277CA");
        return;
    }
    struct rcm_ack_summary s;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_ack_apply(req->ctx->store, &req->actor, json_string_value(x12),
                                           json_string_length(x12), &s, &diag);
    if (err == RCM_E_NOT_FOUND || err == RCM_E_INVAL || err == RCM_E_TOO_LARGE)
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag.msg);
    else if (err)
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    else
        res->json = ack_summary_json(&s);
}

/* ---- corrections, voids, secondaries ---------------------------------------------- */

static void
followup(struct api_request *req, struct api_response *res,
         enum rcm_claim_followup_kind kind)
{
    int64_t id, new_id = 0;
    if (!billing_ready(req, res) || !api_path_id(req, res, &id))
        return;
    static const char *const allowed[] = {"reason", NULL};
    const char *unknown = NULL;
    json_t *reason = req->json ? json_object_get(req->json, "reason") : NULL;
    if (req->json && !api_json_only(req->json, allowed, &unknown)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "unknown member \"%.40s\"%s",
                    unknown, kind == RCM_FOLLOWUP_CORRECTION
                                 ? " (replacement lines and diagnoses: correct the encounter "
                                   "is not supported yet; the original's lines are billed)"
                                 : "");
        return;
    }
    if (reason && !json_is_null(reason) && !json_is_string(reason)) {
        api_problem(req, res, API_PROBLEM_validation_failed, "reason must be a string");
        return;
    }
    struct rcm_claim_followup in = {id, kind, json_is_string(reason) ? json_string_value(reason)
                                                                     : NULL,
                                    req->ctx->billing->scrub, 0};
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_claim_followup(req->ctx->store, &req->actor, &in, &new_id,
                                                &diag);
    if (err)
        api_store_problem(req, res, err, &diag, "the claim is unavailable");
    else
        respond_claim(req, res, new_id, new_id == id ? 200 : 201);
}

void
api_post_claim_corrections(struct api_request *req, struct api_response *res)
{
    followup(req, res, RCM_FOLLOWUP_CORRECTION);
}

void
api_post_claim_void(struct api_request *req, struct api_response *res)
{
    followup(req, res, RCM_FOLLOWUP_VOID);
}

void
api_post_claim_secondary(struct api_request *req, struct api_response *res)
{
    followup(req, res, RCM_FOLLOWUP_NEXT_PAYER);
}
