/*
 * bench_claims.c — claims built, scrubbed and written as 837P, per second.
 *
 *   bench_claims [CLAIMS [STORE_CLAIMS]]          (default 200000, 2000)
 *
 * 1. Engine, one thread: CLAIMS claims of 4 lines each, every one filled
 *    into a struct rcm_claim (as store_claim.c builds one from an
 *    encounter), scrubbed with the shipped code-set index and payer rules,
 *    fingerprinted for duplicate detection, mapped to the 837 model and
 *    written in interchanges of 1,000 claims. Prints claims/s and the
 *    bytes of 837 written (the goal: >= 20,000 claims/s on one
 *    core). Memory is one interchange buffer and one claim: constant in
 *    CLAIMS.
 * 2. The store, SQLite, one thread: STORE_CLAIMS encounters captured,
 *    claims created from them (each reads the encounter, patient and
 *    coverage with their audit records, scrubs, fingerprints and commits
 *    claim, lines, moves and audit in one transaction), then one batch
 *    committed and rendered to an 837. Prints each step per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rcm/billing.h"
#include "rcm/buf.h"
#include "rcm/codes.h"
#include "rcm/crypto.h"
#include "rcm/cycle.h"
#include "rcm/date.h"
#include "rcm/encounter.h"
#include "rcm/record.h"
#include "rcm/scrub.h"
#include "rcm/store.h"
#include "rcm/x12.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const PROCS[] = {"99213", "99214", "36415", "83036", "80053", "93000"};
static const char *const DX[] = {"E119", "I10", "E785", "K219", "J069", "M5450"};

/* Claim i as the store would build it: billing organization, rendering
 * person, a subscriber who is the patient, 4 lines. */
static void
fill_claim(struct rcm_claim *c, struct rcm_claim_line *lines, long i, char id[24],
           char controls[4][24], int32_t dos)
{
    rcm_claim_init(c);
    snprintf(id, 24, "%014lX", (unsigned long)i);
    c->kind = RCM_CLAIM_PROFESSIONAL;
    c->id = id;
    c->facility_code = "11";
    c->frequency = '1';
    c->relationship = "18";
    c->received_date = dos + 3;
    c->payer = (struct rcm_claim_payer){"87726", "UHC", "CI", 'P', NULL, false};
    static const struct rcm_claim_address addr = {"1 Main St", NULL, "Springfield", "IL",
                                                  "627011234"};
    c->subscriber = (struct rcm_claim_person){true, "Bench", "Mark", "W123456789",
                                              rcm_date_from_ymd(1960, 1, 2), 'M', addr};
    c->billing = (struct rcm_claim_provider){true, true, "Springfield Clinic", NULL,
                                             "1245319599", "261QP2300X", "123456789", 'E',
                                             addr};
    c->rendering = (struct rcm_claim_provider){true, false, "Okafor", "Nneka", "1234567893",
                                               "207Q00000X", NULL, 0, {0}};
    c->n_dx = 2;
    c->dx[0] = (struct rcm_claim_dx){DX[i % 6], 0};
    c->dx[1] = (struct rcm_claim_dx){DX[(i + 1) % 6], 0};
    c->lines = lines;
    c->n_lines = 4;
    for (int k = 0; k < 4; k++) {
        struct rcm_claim_line *l = &lines[k];
        memset(l, 0, sizeof *l);
        snprintf(controls[k], 24, "L%ld", i * 4 + k);
        l->number = (uint32_t)k + 1;
        l->procedure = PROCS[(i + k) % 6];
        l->charge_cents = 5000 + 100 * k;
        l->units_milli = 1000;
        l->from_date = l->to_date = dos;
        l->dx_pointers[0] = 1;
        l->n_dx_pointers = 1;
        l->control = controls[k];
        c->total_charge_cents += l->charge_cents;
    }
}

static void
engine(long n, const struct rcm_scrub_ref *ref)
{
    struct rcm_x12_claim *x12 = calloc(1000, sizeof *x12);
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 64);
    struct rcm_buf out = RCM_BUF_INIT(64u << 20);
    struct rcm_x12_envelope env = {"ZZ", "OPENRCM", "ZZ", "CLEARINGHOUSE", "OPENRCM",
                                   "CLEARINGHOUSE", 1, 1, "20261207", "1200", 'T',
                                   "OPENRCM", "OPENRCM", "BILLING", "8005550100",
                                   "CLEARINGHOUSE", "CLEARINGHOUSE"};
    int32_t dos = rcm_date_from_ymd(2026, 9, 1);
    struct rcm_claim c;
    struct rcm_claim_line lines[4];
    char id[24], controls[4][24];
    uint8_t fp[RCM_CLAIM_FINGERPRINT_BYTES];
    size_t bytes = 0, errors = 0, in_batch = 0;
    struct rcm_diag d = RCM_DIAG_INIT;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        fill_claim(&c, lines, i, id, controls, dos);
        rcm_scrub_result_reset(&res);
        if (rcm_scrub_claim(ref, &c, c.received_date, NULL, &res) ||
            rcm_claim_fingerprint(&c, i, fp) || rcm_claim_to_x12(&c, &x12[in_batch++], &d)) {
            fprintf(stderr, "bench_claims: claim %ld: %s\n", i, d.msg);
            exit(1);
        }
        errors += res.n_errors;
        if (res.n_errors && errors == res.n_errors)
            printf("first scrub error (claim %ld): %s\n", i, rcm_scrub_edit_info(res.findings[0].edit)->id);
        if (in_batch == 1000 || i == n - 1) {
            rcm_buf_reset(&out);
            if (rcm_x12_write_837p(&env, x12, in_batch, &out, &d)) {
                fprintf(stderr, "bench_claims: 837: %s\n", d.msg);
                exit(1);
            }
            bytes += out.len;
            env.isa13++;
            env.gs06++;
            in_batch = 0;
        }
    }
    double t = now_s() - t0;
    printf("engine   %8ld claims  %7.3f s  %9.0f claims/s  %7.1f MB of 837P  (%zu scrub "
           "errors)\n", n, t, (double)n / t, (double)bytes / 1e6, errors);
    rcm_buf_release(&out);
    rcm_scrub_result_release(&res);
    free(x12);
}

static long
make_practice(struct rcm_store *s, const struct rcm_actor *a, int64_t *clinic, int64_t *payer)
{
    struct rcm_record r;
    struct rcm_diag d = RCM_DIAG_INIT;
    memset(&r, 0, sizeof r);
    const char *pv[][2] = {{"npi", "1245319599"}, {"entity", "organization"},
                           {"name", "Springfield Clinic"}, {"tax_id", "123456789"},
                           {"address_line1", "1 Main St"}, {"city", "Springfield"},
                           {"state", "IL"}, {"postal_code", "627011234"}};
    for (size_t i = 0; i < sizeof pv / sizeof pv[0]; i++) {
        int f = rcm_record_field(&rcm_provider_kind, pv[i][0]);
        snprintf(r.value[f], sizeof r.value[f], "%s", pv[i][1]);
        r.present |= 1u << f;
    }
    if (rcm_store_record_create(s, a, &rcm_provider_kind, 0, &r, clinic, &d))
        return fprintf(stderr, "bench_claims: provider: %s\n", d.msg), -1;
    memset(&r, 0, sizeof r);
    const char *py[][2] = {{"payer_id", "87726"}, {"name", "UHC"}};
    for (size_t i = 0; i < 2; i++) {
        int f = rcm_record_field(&rcm_payer_kind, py[i][0]);
        snprintf(r.value[f], sizeof r.value[f], "%s", py[i][1]);
        r.present |= 1u << f;
    }
    if (rcm_store_record_create(s, a, &rcm_payer_kind, 0, &r, payer, &d))
        return fprintf(stderr, "bench_claims: payer: %s\n", d.msg), -1;
    return 0;
}

static void
store_bench(long n, const struct rcm_scrub_ref *ref)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/rcm-bench-claims-XXXXXX", tmp);
    if (!mkdtemp(dir))
        exit(2);
    snprintf(path, sizeof path, "%s/openrcm.db", dir);
    struct rcm_key master;
    rcm_key_generate(&master, 0);
    struct rcm_store_options opt = {.backend = "sqlite", .path = path, .busy_timeout_ms = 5000,
                                    .read_connections = 4, .master_key = &master};
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_migrate_report rep;
    struct rcm_tenant tenant;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_open(&opt, &s, &d) || rcm_store_migrate(s, &rep, &d) ||
        rcm_store_tenant_create(s, &sys, "bench", "Bench", &tenant, &d)) {
        fprintf(stderr, "bench_claims: %s\n", d.msg);
        exit(1);
    }
    /* a service actor: no user row (moves record no user) */
    struct rcm_actor a = {.tenant_id = tenant.id, .type = "system", .user_id = 0,
                          .request_id = "0123456789abcdef0123456789abcdef",
                          .source_ip = "127.0.0.1", .purpose = "payment"};
    int64_t clinic, payer;
    if (make_practice(s, &a, &clinic, &payer))
        exit(1);
    struct rcm_encounter *e = calloc(1, sizeof *e);
    int64_t *encounters = calloc((size_t)n, sizeof *encounters);
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        struct rcm_patient p;
        memset(&p, 0, sizeof p);
        const char *pf[][2] = {{"last_name", "Bench"}, {"first_name", "Mark"},
                               {"dob", "1960-01-02"}, {"sex", "M"}};
        for (size_t k = 0; k < 4; k++) {
            int f = rcm_patient_field_parse(pf[k][0]);
            snprintf(p.value[f], sizeof p.value[f], "%s", pf[k][1]);
            p.present |= 1u << f;
        }
        int64_t pid, cov;
        struct rcm_record r;
        memset(&r, 0, sizeof r);
        const char *cv[][2] = {{"payer_id", "87726"}, {"coverage_order", "primary"},
                               {"relationship", "self"}, {"member_id", "W123456789"}};
        for (size_t k = 0; k < 4; k++) {
            int f = rcm_record_field(&rcm_coverage_kind, cv[k][0]);
            snprintf(r.value[f], sizeof r.value[f], "%s", cv[k][1]);
            r.present |= 1u << f;
        }
        memset(e, 0, sizeof *e);
        e->kind = RCM_CLAIM_PROFESSIONAL;
        e->billing_provider_id = clinic;
        e->service_from = e->service_to = rcm_date_from_ymd(2026, 9, 1) + (int32_t)(i % 60);
        snprintf(e->place_of_service, sizeof e->place_of_service, "11");
        e->n_dx = 1;
        snprintf(e->dx[0], sizeof e->dx[0], "%s", DX[i % 6]);
        e->n_lines = 4;
        for (int k = 0; k < 4; k++) {
            struct rcm_encounter_line *l = &e->lines[k];
            snprintf(l->procedure, sizeof l->procedure, "%s", PROCS[(i + k) % 6]);
            l->units_milli = 1000;
            l->charge_cents = 5000 + 100 * k;
            l->dx_pointers[0] = 1;
            l->n_dx_pointers = 1;
            l->service_date = RCM_CLAIM_NO_DATE;
        }
        if (rcm_store_patient_create(s, &a, &p, &pid, &d) ||
            rcm_store_record_create(s, &a, &rcm_coverage_kind, pid, &r, &cov, &d) ||
            ((e->patient_id = pid), (e->coverage_id = cov), 0) ||
            rcm_store_encounter_create(s, &a, e, &d)) {
            fprintf(stderr, "bench_claims: capture %ld: %s\n", i, d.msg);
            exit(1);
        }
        encounters[i] = e->id;
    }
    double t1 = now_s();
    long ready = 0;
    for (long i = 0; i < n; i++) {
        struct rcm_claim_create in = {encounters[i], 0, NULL, ref, 0};
        int64_t id;
        if (rcm_store_claim_create(s, &a, &in, &id, &d)) {
            fprintf(stderr, "bench_claims: claim %ld: %s\n", i, d.msg);
            exit(1);
        }
        ready++;
    }
    double t2 = now_s();
    struct rcm_batch b[8];
    size_t nb = 0;
    struct rcm_x12_sender sender = {"ZZ", "OPENRCM", "OPENRCM", "CLEARINGHOUSE", 'T'};
    if (rcm_store_batch_create(s, &a, &sender, b, 8, &nb, &d)) {
        fprintf(stderr, "bench_claims: batch: %s\n", d.msg);
        exit(1);
    }
    double t3 = now_s();
    struct rcm_buf out = RCM_BUF_INIT(256u << 20);
    for (size_t k = 0; k < nb; k++)
        if (rcm_store_batch_render(s, &a, b[k].id, &sender, &out, &d)) {
            fprintf(stderr, "bench_claims: render: %s\n", d.msg);
            exit(1);
        }
    double t4 = now_s();
    long batched = 0;
    for (size_t k = 0; k < nb; k++)
        batched += b[k].n_claims;
    printf("store    %8ld encounters captured (patient, coverage, encounter)  %7.0f /s\n", n,
           (double)n / (t1 - t0));
    printf("store    %8ld claims created (read, scrub, fingerprint, commit)   %7.0f /s\n",
           ready, (double)ready / (t2 - t1));
    printf("store    %8ld claims batched (one transaction)                    %7.0f /s\n",
           batched, (double)batched / (t3 - t2));
    printf("store    %8ld claims rendered to 837P (%.1f MB)                   %7.0f /s\n",
           batched, (double)out.len / 1e6, (double)batched / (t4 - t3));
    rcm_buf_release(&out);
    free(e);
    free(encounters);
    rcm_store_close(s);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_claims: could not remove %s\n", dir);
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    long store_n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    if (n < 1 || store_n < 0)
        return 2;
    struct rcm_codes *codes = NULL;
    struct rcm_payer_rules *rules = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_codes_open(RCM_BENCH_INDEX, &codes, &d) ||
        rcm_payer_rules_load(RCM_BENCH_DATA "/payer-rules", &rules, &d)) {
        fprintf(stderr, "bench_claims: %s\n", d.msg);
        return 1;
    }
    struct rcm_scrub_ref ref = {codes, NULL, rules};
    printf("bench_claims: %ld claims through the engine, %ld through the SQLite store "
           "(code sets and payer rules loaded, no NCCI)\n", n, store_n);
    engine(n, &ref);
    if (store_n)
        store_bench(store_n, &ref);
    rcm_payer_rules_free(rules);
    rcm_codes_close(codes);
    return 0;
}
