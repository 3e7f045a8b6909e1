/*
 * cli_report.c — `openrcm report ar-aging|kpis|denials|timely-filing`: the
 * store's aggregate reports (rcm/report.h, docs/reports.md) read directly
 * from the database (the server need not run), as an aligned table (money
 * in dollars with cents), CSV (RFC 4180: header row, CRLF, quoted where
 * needed) or the API's JSON.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/report.h"
#include "rcm/str.h"
#include "rcm/store.h"

#define MAXCOL 10
#define CELL 96
#define DEFAULT_PERIOD_DAYS 90

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm report ar-aging --tenant SLUG [--as-of DAY]\n"
            "                      [--basis service|submission]\n"
            "                      [--group-by payer|provider|billing_provider|"
            "rendering_provider]\n"
            "       openrcm report kpis --tenant SLUG [--from DAY] [--to DAY]\n"
            "       openrcm report denials --tenant SLUG [--from DAY] [--to DAY]\n"
            "                      [--group-by carc|payer]\n"
            "       openrcm report timely-filing --tenant SLUG [--as-of DAY]\n"
            "  every report: [--format table|csv|json]\n\n"
            "A/R aging (open balance by age bucket and payer or provider), the\n"
            "revenue-cycle KPIs of a period, denials by CARC or payer, and claims\n"
            "and encounters near their payer's timely-filing limit; definitions in\n"
            "docs/reports.md. DAY is YYYY-MM-DD; --as-of and --to default to today\n"
            "(UTC), --from to 89 days before --to. Each run is audited.\n"
            "Exit: 0 done, 1 no such tenant, 2 bad usage or a database error.\n");
}

/* ---- a table of text cells --------------------------------------------------- */

struct table {
    int ncol;
    const char *head[MAXCOL];
    bool right[MAXCOL];
    size_t n, cap;
    char (*rows)[MAXCOL][CELL];
};

static char (*table_row(struct table *t))[CELL]
{
    if (t->n == t->cap) {
        size_t want = t->cap ? t->cap * 2 : 16;
        void *p = rcm_realloc(t->rows, want * sizeof *t->rows);
        if (!p)
            return NULL;
        t->rows = p;
        t->cap = want;
    }
    memset(t->rows[t->n], 0, sizeof t->rows[t->n]);
    return t->rows[t->n++];
}

static void
put(char (*row)[CELL], int c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
put(char (*row)[CELL], int c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row[c], CELL, fmt, ap);
    va_end(ap);
}

/* Dollars with cents: "1,234.56" (grouped) or "1234.56". */
static void
money(int64_t cents, bool grouped, char *out, size_t cap)
{
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    char digits[32], body[48];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)(a / 100));
    size_t n = strlen(digits), k = 0;
    for (size_t i = 0; i < n && k + 2 < sizeof body; i++) {
        if (grouped && i > 0 && (n - i) % 3 == 0)
            body[k++] = ',';
        body[k++] = digits[i];
    }
    body[k] = '\0';
    snprintf(out, cap, "%s%s.%02llu", cents < 0 ? "-" : "", body,
             (unsigned long long)(a % 100));
}

static void
put_money(char (*row)[CELL], int c, int64_t cents, enum fmt f)
{
    money(cents, f == FMT_TABLE, row[c], CELL);
}

static void
csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void
table_print(const struct table *t, enum fmt f)
{
    if (f == FMT_CSV) {
        for (int c = 0; c < t->ncol; c++) {
            if (c)
                putchar(',');
            csv_field(t->head[c]);
        }
        fputs("\r\n", stdout);
        for (size_t r = 0; r < t->n; r++) {
            for (int c = 0; c < t->ncol; c++) {
                if (c)
                    putchar(',');
                csv_field(t->rows[r][c]);
            }
            fputs("\r\n", stdout);
        }
        return;
    }
    int w[MAXCOL];
    for (int c = 0; c < t->ncol; c++) {
        w[c] = (int)strlen(t->head[c]);
        for (size_t r = 0; r < t->n; r++)
            if ((int)strlen(t->rows[r][c]) > w[c])
                w[c] = (int)strlen(t->rows[r][c]);
    }
    for (int c = 0; c < t->ncol; c++)
        printf("%s%*s", c ? "  " : "", t->right[c] ? w[c] : -w[c], t->head[c]);
    putchar('\n');
    for (int c = 0; c < t->ncol; c++) {
        printf("%s", c ? "  " : "");
        for (int i = 0; i < w[c]; i++)
            putchar('-');
    }
    putchar('\n');
    for (size_t r = 0; r < t->n; r++) {
        char line[MAXCOL * (CELL + 2) + 1];
        size_t at = 0;
        for (int c = 0; c < t->ncol && at < sizeof line; c++)
            at += (size_t)snprintf(line + at, sizeof line - at, "%s%*s", c ? "  " : "",
                                   t->right[c] ? w[c] : -w[c], t->rows[r][c]);
        if (at >= sizeof line)
            at = sizeof line - 1;
        while (at > 0 && line[at - 1] == ' ')   /* no trailing blanks */
            at--;
        line[at] = '\0';
        puts(line);
    }
}

static void
table_free(struct table *t)
{
    rcm_free(t->rows);
    t->rows = NULL;
}

static bool
print_json(struct json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!s)
        return false;
    puts(s);
    free(s);
    return true;
}

static void
iso(int32_t day, char out[RCM_DATE_ISO_LEN + 1])
{
    rcm_date_format_iso(day, out);
}

/* ---- the reports ---------------------------------------------------------------- */

static bool
show_ar(const struct rcm_ar_report *r, enum fmt f)
{
    if (f == FMT_JSON)
        return print_json(rcm_report_ar_json(r));
    bool payer = r->group_by == RCM_AR_BY_PAYER;
    struct table t = {.ncol = 9, .head = {payer ? "payer_id" : "npi", payer ? "payer" : "provider",
                                          "claims", "0-30", "31-60", "61-90", "91-120", "120+",
                                          "total"}};
    for (int c = 2; c < 9; c++)
        t.right[c] = true;
    for (int b = 0; b < RCM_AR_BUCKET_COUNT; b++)
        t.head[3 + b] = rcm_ar_bucket_name((enum rcm_ar_bucket)b);
    for (size_t i = 0; i <= r->n_rows; i++) {
        const struct rcm_ar_row *x = i < r->n_rows ? &r->rows[i] : &r->total;
        char (*row)[CELL] = table_row(&t);
        if (!row) {
            table_free(&t);
            return false;
        }
        put(row, 0, "%s", i < r->n_rows ? x->code : "");
        put(row, 1, "%s", i < r->n_rows ? x->name : "TOTAL");
        put(row, 2, "%lld", (long long)x->claims);
        for (int b = 0; b < RCM_AR_BUCKET_COUNT; b++)
            put_money(row, 3 + b, x->bucket_cents[b], f);
        put_money(row, 8, x->balance_cents, f);
    }
    if (f == FMT_TABLE) {
        char day[RCM_DATE_ISO_LEN + 1];
        iso(r->as_of, day);
        printf("A/R aging as of %s, age from %s, by %s\n\n", day, rcm_ar_basis_name(r->basis),
               rcm_ar_group_name(r->group_by));
    }
    table_print(&t, f);
    if (f == FMT_TABLE && r->unaged_claims) {
        char m[48];
        money(r->unaged_cents, true, m, sizeof m);
        printf("\nnot aged (never submitted): %lld claims, %s\n", (long long)r->unaged_claims, m);
    }
    table_free(&t);
    return true;
}

static void
kpi_row(struct table *t, const char *name, struct rcm_kpi k, const char *unit, int64_t num,
        int64_t den, bool money_parts, enum fmt f, bool *ok)
{
    char (*row)[CELL] = table_row(t);
    if (!row) {
        *ok = false;
        return;
    }
    char v[32];
    rcm_report_x100_text(k.value_x100, v, sizeof v);
    put(row, 0, "%s", name);
    put(row, 1, "%s", k.applicable ? v : f == FMT_TABLE ? "n/a" : "");
    put(row, 2, "%s", unit);
    if (money_parts) {
        put_money(row, 3, num, f);
        put_money(row, 4, den, f);
    } else {
        put(row, 3, "%lld", (long long)num);
        put(row, 4, "%lld", (long long)den);
    }
}

static bool
show_kpis(const struct rcm_kpi_report *k, enum fmt f)
{
    if (f == FMT_JSON)
        return print_json(rcm_report_kpis_json(k));
    struct table t = {.ncol = 5, .head = {"kpi", "value", "unit", "numerator", "denominator"},
                      .right = {false, true, false, true, true}};
    bool ok = true;
    kpi_row(&t, "days_in_ar", k->days_in_ar, "days", k->ar_cents, k->gross_charges_cents, true,
            f, &ok);
    kpi_row(&t, "clean_claim_rate", k->clean_claim_rate, "percent", k->clean_first_pass,
            k->submitted, false, f, &ok);
    kpi_row(&t, "first_pass_rate", k->first_pass_rate, "percent", k->paid_first_pass,
            k->adjudicated, false, f, &ok);
    kpi_row(&t, "denial_rate_count", k->denial_rate_count, "percent", k->denied,
            k->adjudicated, false, f, &ok);
    kpi_row(&t, "denial_rate_amount", k->denial_rate_amount, "percent", k->denied_cents,
            k->adjudicated_cents, true, f, &ok);
    kpi_row(&t, "net_collection_rate", k->net_collection_rate, "percent", k->payments_cents,
            k->payment_charges_cents - k->contractual_cents, true, f, &ok);
    if (ok && f == FMT_TABLE) {
        char from[RCM_DATE_ISO_LEN + 1], to[RCM_DATE_ISO_LEN + 1];
        iso(k->from, from);
        iso(k->to, to);
        printf("KPIs %s to %s (%d days)\n\n", from, to, k->period_days);
    }
    if (ok)
        table_print(&t, f);
    if (ok && f == FMT_TABLE) {
        char ar[48], gross[48];
        money(k->ar_cents, true, ar, sizeof ar);
        money(k->gross_charges_cents, true, gross, sizeof gross);
        printf("\nA/R now: %lld claims, %s; gross charges served in the period: %s\n",
               (long long)k->ar_claims, ar, gross);
    }
    table_free(&t);
    return ok;
}

static bool
show_denials(const struct rcm_denial_report *r, enum fmt f)
{
    if (f == FMT_JSON)
        return print_json(rcm_report_denials_json(r));
    bool payer = r->group_by == RCM_DENIALS_BY_PAYER;
    struct table t;
    if (payer)
        t = (struct table){.ncol = 7, .head = {"payer_id", "payer", "denials", "claims",
                                               "amount", "adjudicated", "denial_rate"},
                           .right = {false, false, true, true, true, true, true}};
    else
        t = (struct table){.ncol = 6, .head = {"group", "carc", "category", "denials",
                                               "claims", "amount"},
                           .right = {false, false, false, true, true, true}};
    for (size_t i = 0; i <= r->n_rows; i++) {
        char (*row)[CELL] = table_row(&t);
        if (!row) {
            table_free(&t);
            return false;
        }
        bool total = i == r->n_rows;
        const struct rcm_denial_row *d = total ? NULL : &r->rows[i];
        int64_t n = total ? r->denials : d->denials, c = total ? r->claims : d->claims;
        int64_t amount = total ? r->amount_cents : d->amount_cents;
        if (payer) {
            put(row, 0, "%s", total ? "" : d->payer_id);
            put(row, 1, "%s", total ? "TOTAL" : d->payer_name);
        } else {
            put(row, 0, "%s", total ? "TOTAL" : d->group_code);
            put(row, 1, "%s", total ? "" : d->carc);
            put(row, 2, "%s", total ? "" : rcm_denial_category_name(d->category));
        }
        int at = payer ? 2 : 3;
        put(row, at, "%lld", (long long)n);
        put(row, at + 1, "%lld", (long long)c);
        put_money(row, at + 2, amount, f);
        if (payer && !total) {
            char v[32];
            rcm_report_x100_text(d->denial_rate_count.value_x100, v, sizeof v);
            put(row, 5, "%lld", (long long)d->adjudicated);
            put(row, 6, "%s", d->denial_rate_count.applicable ? v : f == FMT_TABLE ? "n/a" : "");
        }
    }
    if (f == FMT_TABLE) {
        char from[RCM_DATE_ISO_LEN + 1], to[RCM_DATE_ISO_LEN + 1];
        iso(r->from, from);
        iso(r->to, to);
        printf("Denials %s to %s by %s\n\n", from, to, rcm_denial_group_name(r->group_by));
    }
    table_print(&t, f);
    table_free(&t);
    return true;
}

static bool
show_tf(const struct rcm_tf_report *r, enum fmt f)
{
    if (f == FMT_JSON)
        return print_json(rcm_report_tf_json(r));
    struct table t = {.ncol = 8, .head = {"kind", "id", "state", "payer_id", "service_date",
                                          "deadline", "days_left", "alert"},
                      .right = {false, true, false, false, false, false, true, false}};
    for (size_t i = 0; i < r->n_items; i++) {
        const struct rcm_tf_item *it = &r->items[i];
        char (*row)[CELL] = table_row(&t);
        if (!row) {
            table_free(&t);
            return false;
        }
        char sd[RCM_DATE_ISO_LEN + 1], dl[RCM_DATE_ISO_LEN + 1];
        iso(it->service_day, sd);
        iso(it->deadline_day, dl);
        put(row, 0, "%s", it->encounter ? "encounter" : "claim");
        put(row, 1, "%lld", (long long)it->id);
        put(row, 2, "%s", it->state);
        put(row, 3, "%s", it->payer_id);
        put(row, 4, "%s", sd);
        put(row, 5, "%s", dl);
        put(row, 6, "%d", (int)it->days_left);
        put(row, 7, "%s", rcm_tf_alert_name(it->alert));
    }
    if (f == FMT_TABLE) {
        char day[RCM_DATE_ISO_LEN + 1];
        iso(r->as_of, day);
        printf("Timely filing as of %s: %lld within %d days or past (expired %lld, 7 days "
               "%lld, 14 days %lld, 30 days %lld)\n\n", day, (long long)r->total,
               RCM_REPORT_TF_WINDOW, (long long)r->by_alert[RCM_TF_EXPIRED],
               (long long)r->by_alert[RCM_TF_7], (long long)r->by_alert[RCM_TF_14],
               (long long)r->by_alert[RCM_TF_30]);
    }
    table_print(&t, f);
    if (f == FMT_TABLE && (int64_t)r->n_items < r->total)
        printf("\n(first %zu of %lld shown)\n", r->n_items, (long long)r->total);
    table_free(&t);
    return true;
}

/* ---- arguments ------------------------------------------------------------------ */

struct report_args {
    const char *slug;
    enum fmt fmt;
    int32_t as_of, from, to;
    bool has_from;
    enum rcm_ar_basis basis;
    enum rcm_ar_group ar_group;
    enum rcm_denial_group denial_group;
};

static bool
parse_day(const char *flag, const char *v, int32_t *out)
{
    if (rcm_date_parse_iso(rcm_str_c(v), out) == RCM_OK)
        return true;
    cli_error("report", "%s must be a date (YYYY-MM-DD)", flag);
    return false;
}

static bool
parse_args(int argc, char **argv, bool ar, bool denials, struct report_args *a)
{
    int32_t today = rcm_date_today_utc();
    *a = (struct report_args){.fmt = FMT_TABLE, .as_of = today, .to = today};
    int i = 2;
    for (; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--tenant") == 0) {
            a->slug = v;
        } else if (strcmp(k, "--format") == 0) {
            if (strcmp(v, "table") == 0)
                a->fmt = FMT_TABLE;
            else if (strcmp(v, "csv") == 0)
                a->fmt = FMT_CSV;
            else if (strcmp(v, "json") == 0)
                a->fmt = FMT_JSON;
            else {
                cli_error("report", "--format must be table, csv or json");
                return false;
            }
        } else if (strcmp(k, "--as-of") == 0) {
            if (!parse_day(k, v, &a->as_of))
                return false;
        } else if (strcmp(k, "--from") == 0) {
            if (!parse_day(k, v, &a->from))
                return false;
            a->has_from = true;
        } else if (strcmp(k, "--to") == 0) {
            if (!parse_day(k, v, &a->to))
                return false;
        } else if (ar && strcmp(k, "--basis") == 0) {
            if (!rcm_ar_basis_from_name(v, &a->basis)) {
                cli_error("report", "--basis must be service or submission");
                return false;
            }
        } else if (ar && strcmp(k, "--group-by") == 0) {
            if (!rcm_ar_group_from_name(v, &a->ar_group)) {
                cli_error("report", "--group-by must be payer, provider, billing_provider or "
                          "rendering_provider");
                return false;
            }
        } else if (denials && strcmp(k, "--group-by") == 0) {
            if (!rcm_denial_group_from_name(v, &a->denial_group)) {
                cli_error("report", "--group-by must be carc or payer");
                return false;
            }
        } else {
            break;
        }
    }
    if (i != argc || !a->slug) {
        cli_error("report", "expected --tenant SLUG and known options (see openrcm report "
                  "--help)");
        return false;
    }
    if (!a->has_from)
        a->from = a->to - (DEFAULT_PERIOD_DAYS - 1);
    if (a->from > a->to) {
        cli_error("report", "--from must not be after --to");
        return false;
    }
    return true;
}

int
cli_report(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("report", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *verb = argc > 1 ? argv[1] : "";
    bool ar = strcmp(verb, "ar-aging") == 0, kpis = strcmp(verb, "kpis") == 0,
         denials = strcmp(verb, "denials") == 0, tf = strcmp(verb, "timely-filing") == 0;
    struct report_args a;
    if (!ar && !kpis && !denials && !tf) {
        usage(stderr);
        goto out;
    }
    if (!parse_args(argc, argv, ar, denials, &a))
        goto out;
    if (!(store = cli_store_open("report", &cfg, false)))
        goto out;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("report", "%s", diag.msg);
        goto out;
    }
    struct rcm_tenant t;
    if (rcm_store_tenant_find(store, a.slug, &t, &diag) != RCM_OK) {
        cli_error("report", "no tenant \"%s\"", a.slug);
        rc = CLI_PROBLEMS;
        goto out;
    }
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = t.id;
    enum rcm_err err;
    bool shown = false;
    if (ar) {
        struct rcm_ar_report r;
        err = rcm_store_report_ar(store, &actor, a.as_of, a.basis, a.ar_group, &r, &diag);
        shown = !err && show_ar(&r, a.fmt);
        rcm_ar_report_free(&r);
    } else if (kpis) {
        struct rcm_kpi_report k;
        err = rcm_store_report_kpis(store, &actor, a.from, a.to, &k, &diag);
        shown = !err && show_kpis(&k, a.fmt);
    } else if (denials) {
        struct rcm_denial_report r;
        err = rcm_store_report_denials(store, &actor, a.from, a.to, a.denial_group, &r, &diag);
        shown = !err && show_denials(&r, a.fmt);
        rcm_denial_report_free(&r);
    } else {
        struct rcm_tf_report r;
        err = rcm_store_report_timely_filing(store, &actor, a.as_of, &r, &diag);
        shown = !err && show_tf(&r, a.fmt);
        rcm_tf_report_free(&r);
    }
    if (err)
        cli_error("report", "%s", diag.msg);
    else if (!shown)
        cli_error("report", "out of memory");
    rc = !err && shown ? CLI_OK : CLI_USAGE;
out:
    if (!cli_store_close("report", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
