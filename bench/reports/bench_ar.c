/*
 * bench_ar.c — the A/R reports (store_report.c) on a large SQLite store.
 *
 *   bench_ar [CLAIMS [RUNS]]          (default 1000000, 5)
 *
 * Setup: a fresh store (in $TMPDIR, default /tmp) with one tenant and one
 * patient made through the store API; then, for speed, the rest is seeded
 * by SQL through the store's own driver (src/store/db.h) in one write
 * transaction per table — INSERT … SELECT over a recursive counter, not
 * the claims store (which is being written): 20 payers, 50 providers, 1000
 * encounters, CLAIMS claims with one line each spread over two years of
 * service dates and every claim state, a remittance per 1000 claim
 * payments, a claim payment with a CO-45 adjustment for every adjudicated
 * claim, a denial row for every denied or appealed claim and a "rejected"
 * event for every rejected one.
 *
 * Then each report through the public store API, RUNS times (the first
 * run is cold for the page cache of that read connection): A/R aging by
 * payer, by rendering provider and by first submission, the KPIs of 90
 * days, denials by CARC and by payer, timely filing. Prints min and median
 * milliseconds per report and the process's resident memory (VmRSS and
 * peak VmHWM from /proc/self/status) after seeding and after the reports.
 * BENCH_AR_KEEP=1 keeps the database for a look with sqlite3.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/patient.h"
#include "rcm/report.h"
#include "rcm/store.h"
#include "store/db.h"

#define MAX_RUNS 50

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long
status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kb = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static enum rcm_err
script_fn(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    return db_exec_script(tx, "bench-seed", (const char *)ctx, d);
}

static bool
seed(const char *path, long n, long long tenant, long long patient, int base_day)
{
    struct db_options o = {.backend = "sqlite", .path = path, .pool_size = 1};
    struct db *db = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (db_open(&o, &db, &d)) {
        fprintf(stderr, "bench_ar: %s\n", d.msg);
        return false;
    }
    static char sql[8192];
    /* claim i: state by i % 20 (60 % in A/R), service over 730 days,
     * payer (i*7) % 20, billing 1 + i % 5, rendering 6 + (i*13) % 45 */
#define STATE_OF(i)                                                                     \
    "CASE " i " %% 20 WHEN 0 THEN 'draft' WHEN 1 THEN 'ready' WHEN 2 THEN 'submitted' "     \
    "WHEN 3 THEN 'submitted' WHEN 4 THEN 'submitted' WHEN 5 THEN 'submitted' WHEN 6 THEN " \
    "'accepted' WHEN 7 THEN 'accepted' WHEN 8 THEN 'accepted' WHEN 9 THEN 'rejected' "     \
    "WHEN 15 THEN 'partially_paid' WHEN 16 THEN 'partially_paid' WHEN 17 THEN 'denied' "   \
    "WHEN 18 THEN 'appealed' WHEN 19 THEN 'closed' ELSE 'paid' END"
    const char *steps[] = {"payers", "providers", "encounters", "claims", "lines",
                           "remittances", "payments", "adjustments", "denials", "events"};
    for (int step = 0; step < 10; step++) {
        double t0 = now_ms();
        switch (step) {
        case 0:
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < "
                     "20) INSERT INTO payer (id, tenant_id, uid, created_ms, updated_ms, "
                     "payer_id, name, timely_filing_days) SELECT i, %lld, printf('%%032d', i), "
                     "1, 1, printf('P%%04d', i), printf('Payer %%02d', i), CASE WHEN i %% 4 = 0 "
                     "THEN 90 ELSE 365 END FROM k", tenant);
            break;
        case 1:
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < "
                     "50) INSERT INTO provider (id, tenant_id, uid, created_ms, updated_ms, npi, "
                     "entity, name, first_name) SELECT i, %lld, printf('%%032d', i), 1, 1, "
                     "printf('%%010d', 1000000000 + i), CASE WHEN i <= 5 THEN 'organization' "
                     "ELSE 'person' END, printf('Provider %%02d', i), CASE WHEN i <= 5 THEN "
                     "NULL ELSE 'Pat' END FROM k", tenant);
            break;
        case 2:
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < "
                     "1000) INSERT INTO encounter (id, tenant_id, patient_id, uid, created_ms, "
                     "updated_ms, status, claim_kind, billing_provider_id, service_from, "
                     "service_to, diagnoses) SELECT i, %lld, %lld, printf('%%032d', i), 1, 1, "
                     "'billed', 'professional', 1 + i %% 5, %d - i %% 730, %d - i %% 730, "
                     "'I10' FROM k", tenant, patient, base_day, base_day);
            break;
        case 3:
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < "
                     "%ld) INSERT INTO claim (id, tenant_id, patient_id, encounter_id, uid, "
                     "created_ms, updated_ms, control_number, state, claim_kind, frequency, "
                     "sequence, payer_ref, payer_id, billing_provider_id, "
                     "rendering_provider_id, service_from, service_to, charge_cents, "
                     "paid_cents, adjustment_cents, patient_resp_cents, fingerprint, "
                     "scrub_errors, first_submitted_day, submitted_day, adjudicated_day) "
                     "SELECT i, %lld, %lld, 1 + i %% 1000, printf('%%032d', i), 1, 1, "
                     "printf('C%%d', i), st, 'professional', '1', 'primary', p, "
                     "printf('P%%04d', p), 1 + i %% 5, 6 + (i * 13) %% 45, sd, sd, ch, "
                     "CASE WHEN st IN ('paid', 'closed') THEN ch * 6 / 10 WHEN st = "
                     "'partially_paid' THEN ch * 3 / 10 ELSE 0 END, CASE WHEN st IN ('paid', "
                     "'closed', 'partially_paid') THEN ch * 3 / 10 ELSE 0 END, CASE WHEN st IN "
                     "('paid', 'closed') THEN ch - ch * 6 / 10 - ch * 3 / 10 ELSE 0 END, "
                     "printf('f%%d', i), 0, CASE WHEN st IN ('draft', 'ready') THEN NULL ELSE "
                     "sd + 3 END, CASE WHEN st IN ('draft', 'ready') THEN NULL ELSE sd + 3 END, "
                     "CASE WHEN st IN ('paid', 'closed', 'partially_paid', 'denied', "
                     "'appealed') THEN sd + 25 END FROM (SELECT i, " STATE_OF("i") " AS st, "
                     "1 + (i * 7) %% 20 AS p, %d - (i * 7919) %% 730 AS sd, 5000 + (i * 31) "
                     "%% 50000 AS ch FROM k)", n, tenant, patient, base_day);
            break;
        case 4:
            snprintf(sql, sizeof sql,
                     "INSERT INTO claim_line (id, tenant_id, claim_id, line_no, procedure, "
                     "units_milli, charge_cents, service_date, paid_cents) SELECT id, "
                     "tenant_id, id, 1, '99213', 1000, charge_cents, service_from, paid_cents "
                     "FROM claim");
            break;
        case 5:
            snprintf(sql, sizeof sql,
                     "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < "
                     "%ld) INSERT INTO remittance (id, tenant_id, created_ms, source, payer_id, "
                     "trace_number, payment_cents, payment_day) SELECT i, %lld, 1, 'era', "
                     "'P0001', printf('T%%d', i), 0, %d - (i * 7) %% 730 FROM k",
                     n / 1000 + 1, tenant, base_day);
            break;
        case 6:
            snprintf(sql, sizeof sql,
                     "INSERT INTO claim_payment (id, tenant_id, remittance_id, seq, claim_id, "
                     "matched_by, control_number, status_code, charge_cents, paid_cents, "
                     "patient_resp_cents) SELECT id, tenant_id, 1 + id / 1000, id, id, "
                     "'control_number', control_number, CASE WHEN state IN ('denied', "
                     "'appealed') THEN '4' ELSE '1' END, charge_cents, paid_cents, "
                     "patient_resp_cents FROM claim WHERE adjudicated_day IS NOT NULL");
            break;
        case 7:
            snprintf(sql, sizeof sql,
                     "INSERT INTO payment_adjustment (id, tenant_id, claim_payment_id, "
                     "group_code, carc, amount_cents) SELECT cp.id, cp.tenant_id, cp.id, "
                     "'CO', CASE WHEN cp.status_code = '4' THEN '16' ELSE '45' END, "
                     "CASE WHEN cp.status_code = '4' THEN cp.charge_cents ELSE "
                     "cp.charge_cents * 3 / 10 END FROM claim_payment cp");
            break;
        case 8:
            snprintf(sql, sizeof sql,
                     "INSERT INTO denial (id, tenant_id, claim_id, created_ms, payer_id, "
                     "group_code, carc, amount_cents, category, denied_day, appeal_deadline) "
                     "SELECT id, tenant_id, id, 1, payer_id, 'CO', CASE id %% 3 WHEN 0 THEN "
                     "'16' WHEN 1 THEN '50' ELSE '197' END, charge_cents, 'other', "
                     "adjudicated_day, adjudicated_day + 180 FROM claim WHERE state IN "
                     "('denied', 'appealed')");
            break;
        default:
            snprintf(sql, sizeof sql,
                     "INSERT INTO claim_event (tenant_id, claim_id, at_ms, from_state, "
                     "to_state, source) SELECT tenant_id, id, 1, 'submitted', 'rejected', "
                     "'ack_999' FROM claim WHERE state = 'rejected'");
            break;
        }
        if (db_write(db, script_fn, sql, &d)) {
            fprintf(stderr, "bench_ar: seeding %s: %s\n", steps[step], d.msg);
            db_close(db);
            return false;
        }
        printf("  seed %-12s %8.0f ms\n", steps[step], now_ms() - t0);
        fflush(stdout);
    }
    db_close(db);
    return true;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum which { AR_PAYER, AR_RENDERING, AR_SUBMISSION, KPIS, DENIALS_CARC, DENIALS_PAYER, TF,
             N_WHICH };
static const char *const names[N_WHICH] = {
    "A/R aging by payer", "A/R aging by rendering provider", "A/R aging by submission",
    "KPIs (90 days)", "denials by CARC", "denials by payer", "timely filing"};

static bool
run_one(struct rcm_store *s, const struct rcm_actor *a, enum which w, int32_t today,
        long long *check)
{
    struct rcm_diag d = RCM_DIAG_INIT;
    enum rcm_err err = RCM_OK;
    if (w <= AR_SUBMISSION) {
        struct rcm_ar_report r;
        err = rcm_store_report_ar(s, a, today,
                                  w == AR_SUBMISSION ? RCM_AR_BASIS_SUBMISSION
                                                     : RCM_AR_BASIS_SERVICE,
                                  w == AR_RENDERING ? RCM_AR_BY_RENDERING : RCM_AR_BY_PAYER,
                                  &r, &d);
        *check = (long long)r.total.claims;
        rcm_ar_report_free(&r);
    } else if (w == KPIS) {
        struct rcm_kpi_report k;
        err = rcm_store_report_kpis(s, a, today - 89, today, &k, &d);
        *check = (long long)k.adjudicated;
    } else if (w == TF) {
        struct rcm_tf_report r;
        err = rcm_store_report_timely_filing(s, a, today, &r, &d);
        *check = (long long)r.total;
        rcm_tf_report_free(&r);
    } else {
        struct rcm_denial_report r;
        err = rcm_store_report_denials(s, a, today - 89, today,
                                       w == DENIALS_PAYER ? RCM_DENIALS_BY_PAYER
                                                          : RCM_DENIALS_BY_CARC, &r, &d);
        *check = (long long)r.denials;
        rcm_denial_report_free(&r);
    }
    if (err)
        fprintf(stderr, "bench_ar: %s: %s\n", names[w], d.msg);
    return !err;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    if (n < 1000 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: bench_ar [CLAIMS >= 1000 [RUNS 1-%d]]\n", MAX_RUNS);
        return 2;
    }
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/bench-ar-XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(path, sizeof path, "%s/openrcm.db", dir);
    struct rcm_key master;
    rcm_key_generate(&master, 0);
    struct rcm_store_options o = {.backend = "sqlite", .path = path, .busy_timeout_ms = 5000,
                                  .read_connections = 2, .master_key = &master};
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_tenant t;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_open(&o, &s, &d) || rcm_store_migrate(s, NULL, &d) ||
        rcm_store_tenant_create(s, &sys, "bench", "Bench", &t, &d)) {
        fprintf(stderr, "bench_ar: %s\n", d.msg);
        return 1;
    }
    struct rcm_actor actor = {.tenant_id = t.id, .type = "user", .user_id = 1};
    struct rcm_patient p = {0};
    snprintf(p.value[RCM_PF_LAST_NAME], sizeof p.value[0], "Bench");
    snprintf(p.value[RCM_PF_FIRST_NAME], sizeof p.value[0], "Mark");
    snprintf(p.value[RCM_PF_DOB], sizeof p.value[0], "1970-01-02");
    p.present = RCM_PF_BIT(RCM_PF_LAST_NAME) | RCM_PF_BIT(RCM_PF_FIRST_NAME) |
                RCM_PF_BIT(RCM_PF_DOB);
    int64_t patient = 0;
    if (rcm_store_patient_create(s, &actor, &p, &patient, &d)) {
        fprintf(stderr, "bench_ar: patient: %s\n", d.msg);
        return 1;
    }
    rcm_store_close(s);
    int32_t today = rcm_date_today_utc();
    printf("bench_ar: %ld claims, SQLite at %s\n", n, path);
    double t0 = now_ms();
    if (!seed(path, n, (long long)t.id, (long long)patient, today))
        return 1;
    printf("  seeded in %.1f s\n", (now_ms() - t0) / 1e3);
    if (rcm_store_open(&o, &s, &d)) {
        fprintf(stderr, "bench_ar: %s\n", d.msg);
        return 1;
    }
    long rss0 = status_kb("VmRSS");
    printf("  RSS before the reports: %ld KiB\n", rss0);
    printf("%-34s %9s %9s %12s\n", "report", "min ms", "median ms", "check");
    for (int w = 0; w < N_WHICH; w++) {
        double ms[MAX_RUNS];
        long long check = 0;
        for (int r = 0; r < runs; r++) {
            double a = now_ms();
            if (!run_one(s, &actor, (enum which)w, today, &check))
                return 1;
            ms[r] = now_ms() - a;
        }
        qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
        printf("%-34s %9.1f %9.1f %12lld\n", names[w], ms[0], ms[runs / 2], check);
        fflush(stdout);
    }
    printf("  RSS after the reports: %ld KiB (peak %ld KiB)\n", status_kb("VmRSS"),
           status_kb("VmHWM"));
    rcm_store_close(s);
    if (getenv("BENCH_AR_KEEP")) {
        printf("  kept %s\n", path);
        return 0;
    }
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_ar: cannot remove %s\n", dir);
    return 0;
}
