/*
 * api_audit.c — GET /v1/audit: the audit log of the caller's tenant for
 * compliance review, filtered by patient, user, time and break-glass flag
 * (?emergency=true), paged by sequence number (?after=SEQ). Reading the log
 * is itself audited.
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/str.h"

static int
append_event(void *ctx, const struct rcm_audit_event *ev)
{
    char ts[RCM_TIME_ISO_LEN + 1], hash[2 * RCM_SHA256_BYTES + 1];
    rcm_time_format_iso(ev->ts_ms, ts);
    rcm_hex_encode(ev->hash, sizeof ev->hash, hash);
    json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}",
                          "seq", (json_int_t)ev->seq, "time", ts, "actor_type",
                          ev->actor_type, "actor_id", (json_int_t)ev->actor_id, "action",
                          ev->action, "object_type", ev->object_type, "object_id",
                          ev->object_id, "patient_ids", ev->patient_ids, "purpose",
                          ev->purpose, "outcome", ev->outcome, "source_ip", ev->source_ip,
                          "request_id", ev->request_id, "emergency", ev->emergency,
                          "hash", hash);
    return json_array_append_new(ctx, o) != 0;
}

/* Optional integer query parameter; false when present but malformed. */
static bool
query_int(struct api_request *req, const char *name, int64_t *out)
{
    const char *v = req->query ? req->query(req->conn, name) : NULL;
    return !v || rcm_str_to_i64(rcm_str_c(v), out) == RCM_OK;
}

/* Optional date (YYYY-MM-DD) as epoch ms at the start or end of the day. */
static bool
query_day(struct api_request *req, const char *name, bool end, int64_t *out)
{
    const char *v = req->query ? req->query(req->conn, name) : NULL;
    int32_t days;
    if (!v)
        return true;
    if (rcm_date_parse_iso(rcm_str_c(v), &days) != RCM_OK)
        return false;
    *out = (int64_t)days * 86400000 + (end ? 86400000 - 1 : 0);
    return true;
}

void
api_get_audit(struct api_request *req, struct api_response *res)
{
    struct rcm_audit_filter f = {.tenant_id = req->actor.tenant_id, .limit = 100};
    int64_t limit = 100;
    if (!query_int(req, "user", &f.actor_id) || !query_int(req, "after", &f.after_seq) ||
        !query_int(req, "limit", &limit) || !query_day(req, "from", false, &f.from_ms) ||
        !query_day(req, "to", true, &f.to_ms) || limit < 1 || limit > 1000) {
        api_problem(req, res, API_PROBLEM_validation_failed,
                    "user, after and limit (1-1000) are integers; from and to are "
                    "YYYY-MM-DD dates");
        return;
    }
    f.limit = (int)limit;
    const char *emergency = req->query ? req->query(req->conn, "emergency") : NULL;
    if (emergency) {
        if (strcmp(emergency, "true") != 0 && strcmp(emergency, "false") != 0) {
            api_problem(req, res, API_PROBLEM_validation_failed, "emergency is true or false");
            return;
        }
        f.emergency = emergency[0] == 't' ? 1 : -1;
    }
    f.patient_id = req->query ? req->query(req->conn, "patient") : NULL;
    json_t *events = json_array();
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_audit_what what = {"audit.read", "audit", "", f.patient_id, "success"};
    if (!events ||
        rcm_store_break_glass_expire(req->ctx->store, rcm_time_now_ms(), NULL, &diag) ||
        rcm_store_audit_query(req->ctx->store, &f, append_event, events, &diag) != RCM_OK ||
        rcm_store_audit_append(req->ctx->store, &req->actor, &what, &diag) != RCM_OK) {
        json_decref(events);
        api_problem(req, res, API_PROBLEM_internal_error, "the audit log cannot be read");
        return;
    }
    size_t n = json_array_size(events);
    json_t *last = n ? json_array_get(events, n - 1) : NULL;
    json_int_t next = last ? json_integer_value(json_object_get(last, "seq")) : 0;
    res->json = json_pack("{s:o,s:o}", "events", events, "next_after",
                          n == (size_t)f.limit ? json_integer(next) : json_null());
}
