/*
 * report_json.c — the JSON form of the reports (rcm/report.h), one shape
 * for the API (GET /v1/reports/...) and `openrcm report --format json`.
 * Amounts are integer cents; a KPI is {applicable, value_x100, value} with
 * value a decimal string ("72.32") or null when not applicable; days are
 * ISO dates. Nothing here reads a database.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "rcm/date.h"
#include "rcm/report.h"

static json_t *
day_json(int32_t day)
{
    char iso[RCM_DATE_ISO_LEN + 1];
    rcm_date_format_iso(day, iso);
    return json_string(iso);
}

void
rcm_report_x100_text(int64_t v, char *out, size_t cap)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64, v < 0 ? "-" : "", a / 100, a % 100);
}

static json_t *
kpi_json(struct rcm_kpi k, const char *unit)
{
    char text[32];
    rcm_report_x100_text(k.value_x100, text, sizeof text);
    json_t *o = json_object();
    json_object_set_new(o, "applicable", json_boolean(k.applicable));
    json_object_set_new(o, "value_x100", k.applicable ? json_integer(k.value_x100) : json_null());
    json_object_set_new(o, "value", k.applicable ? json_string(text) : json_null());
    json_object_set_new(o, "unit", json_string(unit));
    return o;
}

static json_t *
ar_row_json(const struct rcm_ar_row *r, bool total)
{
    json_t *o = json_object(), *cents = json_array(), *claims = json_array();
    for (int b = 0; b < RCM_AR_BUCKET_COUNT; b++) {
        json_array_append_new(cents, json_integer(r->bucket_cents[b]));
        json_array_append_new(claims, json_integer(r->bucket_claims[b]));
    }
    if (!total) {
        json_object_set_new(o, "id", json_integer(r->id));
        json_object_set_new(o, "code", json_string(r->code));
        json_object_set_new(o, "name", json_string(r->name));
    }
    json_object_set_new(o, "claims", json_integer(r->claims));
    json_object_set_new(o, "balance_cents", json_integer(r->balance_cents));
    json_object_set_new(o, "bucket_cents", cents);
    json_object_set_new(o, "bucket_claims", claims);
    return o;
}

struct json_t *
rcm_report_ar_json(const struct rcm_ar_report *r)
{
    json_t *o = json_object(), *buckets = json_array(), *rows = json_array();
    for (int b = 0; b < RCM_AR_BUCKET_COUNT; b++)
        json_array_append_new(buckets, json_string(rcm_ar_bucket_name((enum rcm_ar_bucket)b)));
    for (size_t i = 0; i < r->n_rows; i++)
        json_array_append_new(rows, ar_row_json(&r->rows[i], false));
    json_object_set_new(o, "report", json_string("ar_aging"));
    json_object_set_new(o, "as_of", day_json(r->as_of));
    json_object_set_new(o, "basis", json_string(rcm_ar_basis_name(r->basis)));
    json_object_set_new(o, "group_by", json_string(rcm_ar_group_name(r->group_by)));
    json_object_set_new(o, "buckets", buckets);
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "total", ar_row_json(&r->total, true));
    json_object_set_new(o, "unaged", json_pack("{s:I,s:I}", "claims",
                                               (json_int_t)r->unaged_claims, "cents",
                                               (json_int_t)r->unaged_cents));
    json_object_set_new(o, "rows_dropped", json_integer((json_int_t)r->rows_dropped));
    return o;
}

struct json_t *
rcm_report_kpis_json(const struct rcm_kpi_report *k)
{
    json_t *o = json_object(), *in = json_object(), *kp = json_object();
    json_object_set_new(o, "report", json_string("kpis"));
    json_object_set_new(o, "from", day_json(k->from));
    json_object_set_new(o, "to", day_json(k->to));
    json_object_set_new(o, "period_days", json_integer(k->period_days));
    const struct {
        const char *name;
        int64_t v;
    } inputs[] = {
        {"ar_claims", k->ar_claims},
        {"ar_cents", k->ar_cents},
        {"gross_charges_cents", k->gross_charges_cents},
        {"submitted", k->submitted},
        {"clean_first_pass", k->clean_first_pass},
        {"adjudicated", k->adjudicated},
        {"adjudicated_cents", k->adjudicated_cents},
        {"paid_first_pass", k->paid_first_pass},
        {"denied", k->denied},
        {"denied_cents", k->denied_cents},
        {"payments_cents", k->payments_cents},
        {"payment_charges_cents", k->payment_charges_cents},
        {"contractual_cents", k->contractual_cents},
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        json_object_set_new(in, inputs[i].name, json_integer(inputs[i].v));
    json_object_set_new(kp, "days_in_ar", kpi_json(k->days_in_ar, "days"));
    json_object_set_new(kp, "clean_claim_rate", kpi_json(k->clean_claim_rate, "percent"));
    json_object_set_new(kp, "first_pass_rate", kpi_json(k->first_pass_rate, "percent"));
    json_object_set_new(kp, "denial_rate_count", kpi_json(k->denial_rate_count, "percent"));
    json_object_set_new(kp, "denial_rate_amount", kpi_json(k->denial_rate_amount, "percent"));
    json_object_set_new(kp, "net_collection_rate",
                        kpi_json(k->net_collection_rate, "percent"));
    json_object_set_new(o, "inputs", in);
    json_object_set_new(o, "kpis", kp);
    return o;
}

struct json_t *
rcm_report_denials_json(const struct rcm_denial_report *r)
{
    json_t *o = json_object(), *rows = json_array(), *cat = json_object();
    bool by_payer = r->group_by == RCM_DENIALS_BY_PAYER;
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct rcm_denial_row *d = &r->rows[i];
        json_t *row = json_object();
        if (by_payer) {
            json_object_set_new(row, "payer_id", json_string(d->payer_id));
            json_object_set_new(row, "payer_name", json_string(d->payer_name));
        } else {
            json_object_set_new(row, "group_code", json_string(d->group_code));
            json_object_set_new(row, "carc", json_string(d->carc));
            json_object_set_new(row, "category",
                                json_string(rcm_denial_category_name(d->category)));
            const char *why = rcm_denial_carc_reason(d->carc);
            json_object_set_new(row, "reason", why ? json_string(why) : json_null());
        }
        json_object_set_new(row, "denials", json_integer(d->denials));
        json_object_set_new(row, "claims", json_integer(d->claims));
        json_object_set_new(row, "amount_cents", json_integer(d->amount_cents));
        if (by_payer) {
            json_object_set_new(row, "adjudicated", json_integer(d->adjudicated));
            json_object_set_new(row, "adjudicated_denied", json_integer(d->adjudicated_denied));
            json_object_set_new(row, "denial_rate_count",
                                kpi_json(d->denial_rate_count, "percent"));
        }
        json_array_append_new(rows, row);
    }
    if (!by_payer)
        for (int c = 0; c < RCM_DENIAL_CATEGORY_COUNT; c++)
            if (r->by_category_cents[c])
                json_object_set_new(cat, rcm_denial_category_name((enum rcm_denial_category)c),
                                    json_integer(r->by_category_cents[c]));
    json_object_set_new(o, "report", json_string("denials"));
    json_object_set_new(o, "from", day_json(r->from));
    json_object_set_new(o, "to", day_json(r->to));
    json_object_set_new(o, "group_by", json_string(rcm_denial_group_name(r->group_by)));
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "total", json_pack("{s:I,s:I,s:I}", "denials",
                                              (json_int_t)r->denials, "claims",
                                              (json_int_t)r->claims, "amount_cents",
                                              (json_int_t)r->amount_cents));
    if (by_payer)
        json_decref(cat);
    else
        json_object_set_new(o, "by_category_cents", cat);
    json_object_set_new(o, "rows_dropped", json_integer((json_int_t)r->rows_dropped));
    return o;
}

struct json_t *
rcm_report_tf_json(const struct rcm_tf_report *r)
{
    json_t *o = json_object(), *items = json_array(), *by = json_object();
    for (size_t i = 0; i < r->n_items; i++) {
        const struct rcm_tf_item *it = &r->items[i];
        json_t *row = json_object();
        json_object_set_new(row, "kind", json_string(it->encounter ? "encounter" : "claim"));
        json_object_set_new(row, "id", json_integer(it->id));
        json_object_set_new(row, "state", json_string(it->state));
        json_object_set_new(row, "payer_id", json_string(it->payer_id));
        json_object_set_new(row, "service_date", day_json(it->service_day));
        json_object_set_new(row, "limit_days", json_integer(it->limit_days));
        json_object_set_new(row, "deadline", day_json(it->deadline_day));
        json_object_set_new(row, "days_left", json_integer(it->days_left));
        json_object_set_new(row, "alert", json_string(rcm_tf_alert_name(it->alert)));
        json_array_append_new(items, row);
    }
    for (int a = RCM_TF_30; a <= RCM_TF_EXPIRED; a++)
        json_object_set_new(by, rcm_tf_alert_name((enum rcm_tf_alert)a),
                            json_integer(r->by_alert[a]));
    json_object_set_new(o, "report", json_string("timely_filing"));
    json_object_set_new(o, "as_of", day_json(r->as_of));
    json_object_set_new(o, "window_days", json_integer(RCM_REPORT_TF_WINDOW));
    json_object_set_new(o, "total", json_integer(r->total));
    json_object_set_new(o, "by_alert", by);
    json_object_set_new(o, "truncated", json_boolean((int64_t)r->n_items < r->total));
    json_object_set_new(o, "items", items);
    return o;
}
