/*
 * api_reports.c — GET /v1/reports/{ar-aging,kpis,denials,timely-filing}:
 * the store's aggregate reports (rcm/report.h, docs/reports.md) as JSON.
 *
 * Who may: the aggregates (A/R aging, KPIs, denials) hold no PHI — sums by
 * payer, provider, bucket and CARC — so they are for analysts (deid.read,
 * "de-identified data and reports") and billers (claim.write); the route
 * table asks for "self" and the handler for either permission. The
 * timely-filing list names claim and encounter ids with their dates of
 * service, so it needs phi.read (route table).
 *
 * Dates are YYYY-MM-DD: as_of defaults to today (UTC); to defaults to
 * today and from to 89 days before it (a 90-day period).
 */
#include <string.h>

#include "api/api_int.h"
#include "rcm/date.h"
#include "rcm/report.h"
#include "rcm/str.h"

#define DEFAULT_PERIOD_DAYS 90

static const char *
query(struct api_request *req, const char *name)
{
    const char *s = req->query ? req->query(req->conn, name) : NULL;
    return s && s[0] ? s : NULL;
}

static bool
may_see_aggregates(struct api_request *req, struct api_response *res)
{
    if (api_can(req, RCM_PERM_DEID_READ) || api_can(req, RCM_PERM_CLAIM_WRITE))
        return true;
    api_problem(req, res, API_PROBLEM_forbidden, "reports need deid.read or claim.write");
    return false;
}

/* A YYYY-MM-DD query parameter, or `dflt` when absent. */
static bool
query_day(struct api_request *req, struct api_response *res, const char *name, int32_t dflt,
          int32_t *out)
{
    const char *s = query(req, name);
    if (!s) {
        *out = dflt;
        return true;
    }
    if (rcm_date_parse_iso(rcm_str_c(s), out) == RCM_OK)
        return true;
    api_problem(req, res, API_PROBLEM_bad_request, "%s must be a date (YYYY-MM-DD)", name);
    return false;
}

static bool
query_period(struct api_request *req, struct api_response *res, int32_t *from, int32_t *to)
{
    if (!query_day(req, res, "to", rcm_date_today_utc(), to) ||
        !query_day(req, res, "from", *to - (DEFAULT_PERIOD_DAYS - 1), from))
        return false;
    if (*from > *to) {
        api_problem(req, res, API_PROBLEM_bad_request, "from must not be after to");
        return false;
    }
    return true;
}

static void
finish(struct api_request *req, struct api_response *res, enum rcm_err err,
       const struct rcm_diag *diag, struct json_t *body)
{
    if (err == RCM_E_INVAL) {
        api_problem(req, res, API_PROBLEM_bad_request, "%s", diag->msg);
        return;
    }
    if (err) {
        api_problem(req, res, API_PROBLEM_internal_error, "the report is unavailable");
        return;
    }
    if (!body) {
        api_problem(req, res, API_PROBLEM_internal_error, "out of memory");
        return;
    }
    res->status = 200;
    res->json = body;
}

void
api_get_report_ar(struct api_request *req, struct api_response *res)
{
    if (!may_see_aggregates(req, res))
        return;
    int32_t as_of;
    enum rcm_ar_basis basis = RCM_AR_BASIS_SERVICE;
    enum rcm_ar_group group = RCM_AR_BY_PAYER;
    const char *b = query(req, "basis"), *g = query(req, "group_by");
    if (!query_day(req, res, "as_of", rcm_date_today_utc(), &as_of))
        return;
    if ((b && !rcm_ar_basis_from_name(b, &basis)) || (g && !rcm_ar_group_from_name(g, &group))) {
        api_problem(req, res, API_PROBLEM_bad_request, "basis must be service or submission; "
                    "group_by payer, provider, billing_provider or rendering_provider");
        return;
    }
    struct rcm_ar_report r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_report_ar(req->ctx->store, &req->actor, as_of, basis, group,
                                           &r, &diag);
    finish(req, res, err, &diag, err ? NULL : rcm_report_ar_json(&r));
    rcm_ar_report_free(&r);
}

void
api_get_report_kpis(struct api_request *req, struct api_response *res)
{
    int32_t from, to;
    if (!may_see_aggregates(req, res) || !query_period(req, res, &from, &to))
        return;
    struct rcm_kpi_report k;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_report_kpis(req->ctx->store, &req->actor, from, to, &k, &diag);
    finish(req, res, err, &diag, err ? NULL : rcm_report_kpis_json(&k));
}

void
api_get_report_denials(struct api_request *req, struct api_response *res)
{
    int32_t from, to;
    if (!may_see_aggregates(req, res) || !query_period(req, res, &from, &to))
        return;
    enum rcm_denial_group group = RCM_DENIALS_BY_CARC;
    const char *g = query(req, "group_by");
    if (g && !rcm_denial_group_from_name(g, &group)) {
        api_problem(req, res, API_PROBLEM_bad_request, "group_by must be carc or payer");
        return;
    }
    struct rcm_denial_report r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_report_denials(req->ctx->store, &req->actor, from, to, group,
                                                &r, &diag);
    finish(req, res, err, &diag, err ? NULL : rcm_report_denials_json(&r));
    rcm_denial_report_free(&r);
}

void
api_get_report_timely_filing(struct api_request *req, struct api_response *res)
{
    int32_t as_of;
    if (!query_day(req, res, "as_of", rcm_date_today_utc(), &as_of))
        return;
    struct rcm_tf_report r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_report_timely_filing(req->ctx->store, &req->actor, as_of, &r,
                                                      &diag);
    finish(req, res, err, &diag, err ? NULL : rcm_report_tf_json(&r));
    rcm_tf_report_free(&r);
}
