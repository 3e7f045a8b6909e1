/*
 * bench_post — 835 service lines posted per second into the SQLite store.
 *
 *   bench_post [CLAIMS] [PER_REMITTANCE] [LINES_PER_CLAIM]
 *
 * Builds a fresh store in a temporary directory (master key, one tenant,
 * patient, provider, payer, encounter), inserts CLAIMS claims of
 * LINES_PER_CLAIM lines each with SQL, writes an 835 paying all of them
 * (one interchange per PER_REMITTANCE claims; each line with a CO-45 and a
 * PR-2 adjustment) with rcm_x12_write_835, then times
 * rcm_store_remit_post_x12 end to end: both reading passes (validation,
 * model), matching, plans, every row, one transaction and one audit
 * record per remittance. Also times a validation-only pass to show the
 * split, and a repeat post (every remittance already posted).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rcm/buf.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/remit.h"
#include "rcm/store.h"
#include "rcm/x12.h"
#include "store/db.h"
#include "store/store_int.h"

static double
now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static enum rcm_err
exec_fn(struct db_tx *tx, void *ctx, struct rcm_diag *d)
{
    return db_exec_script(tx, "bench", ctx, d);
}

static void
die(const char *what, const struct rcm_diag *d)
{
    fprintf(stderr, "bench_post: %s: %s\n", what, d ? d->msg : "");
    exit(2);
}

static const char *const PROCS[] = {"99213", "36415", "80053", "85025", "93000", "71046"};

int
main(int argc, char **argv)
{
    long claims = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    long per = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
    long lines = argc > 3 ? strtol(argv[3], NULL, 10) : 3;
    if (claims < 1 || per < 1 || lines < 1 || lines > 6) {
        fprintf(stderr, "usage: bench_post [CLAIMS] [PER_REMITTANCE] [LINES 1-6]\n");
        return 2;
    }
    char dir[] = "/tmp/rcm-bench-post-XXXXXX", path[64];
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    snprintf(path, sizeof path, "%s/openrcm.db", dir);
    struct rcm_key master;
    rcm_key_generate(&master, 0);
    struct rcm_store_options o = {.backend = "sqlite", .path = path, .busy_timeout_ms = 5000,
                                  .read_connections = 2, .master_key = &master};
    struct rcm_store *s = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_store_open(&o, &s, &d) || rcm_store_migrate(s, NULL, &d))
        die("open", &d);
    struct rcm_tenant t;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_tenant_create(s, &sys, "bench", "Bench", &t, &d))
        die("tenant", &d);
    struct rcm_actor a = {.tenant_id = t.id, .type = "system"};
    struct rcm_patient p = {0};
    const int set[] = {RCM_PF_LAST_NAME, RCM_PF_FIRST_NAME, RCM_PF_DOB};
    const char *val[] = {"Bench", "Mark", "1960-01-01"};
    for (int i = 0; i < 3; i++) {
        snprintf(p.value[set[i]], sizeof p.value[0], "%s", val[i]);
        p.present |= RCM_PF_BIT(set[i]);
    }
    int64_t patient;
    if (rcm_store_patient_create(s, &a, &p, &patient, &d))
        die("patient", &d);
    /* claims and lines with SQL */
    char *sql = malloc(1 << 16);
    int n = snprintf(sql, 1 << 16,
        "INSERT INTO provider (id, tenant_id, uid, created_ms, updated_ms, npi, entity, name) "
        "VALUES (1, %" PRId64 ", 'pppppppppppppppppppppppppppppp01', 1, 1, '1234567893', "
        "'organization', 'Bench Clinic');"
        "INSERT INTO payer (id, tenant_id, uid, created_ms, updated_ms, payer_id, name) VALUES "
        "(1, %" PRId64 ", 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy01', 1, 1, 'ACME01', 'Acme');"
        "INSERT INTO encounter (id, tenant_id, patient_id, uid, created_ms, updated_ms, "
        "claim_kind, billing_provider_id, service_from, service_to, diagnoses) VALUES (1, "
        "%" PRId64 ", %" PRId64 ", 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeee01', 1, 1, 'professional', 1, "
        "19763, 19763, 'E119');"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
        "INSERT INTO claim (id, tenant_id, patient_id, encounter_id, uid, created_ms, updated_ms, "
        "control_number, state, claim_kind, frequency, sequence, payer_ref, payer_id, "
        "billing_provider_id, service_from, service_to, charge_cents, fingerprint) SELECT i, "
        "%" PRId64 ", %" PRId64 ", 1, printf('%%032d', i), 1, 1, 'B' || i, 'accepted', "
        "'professional', '1', 'primary', 1, 'ACME01', 1, 19763, 19763, %ld, 'fp' || i FROM n;",
        t.id, t.id, t.id, patient, claims, t.id, patient, lines * 10000);
    for (long l = 0; l < lines; l++)
        n += snprintf(sql + n, (size_t)(1 << 16) - (size_t)n,
                      "INSERT INTO claim_line (tenant_id, claim_id, line_no, procedure, "
                      "units_milli, charge_cents, service_date) SELECT %" PRId64 ", id, %ld, "
                      "'%s', 1000, 10000, 19763 FROM claim;", t.id, l + 1, PROCS[l]);
    double t0 = now_s();
    if (db_write(s->db, exec_fn, sql, &d))
        die("claims", &d);
    double t_claims = now_s() - t0;
    free(sql);
    /* the 835 */
    struct rcm_buf x12 = RCM_BUF_INIT((size_t)1 << 31);
    struct rcm_x12_claim_payment *pays = calloc((size_t)per, sizeof *pays);
    static struct rcm_x12_remit r;
    int64_t total_paid = 0;
    long done = 0, remits = 0;
    while (done < claims) {
        long k = claims - done < per ? claims - done : per;
        memset(&r, 0, sizeof r);
        for (long i = 0; i < k; i++) {
            struct rcm_x12_claim_payment *c = &pays[i];
            memset(c, 0, sizeof *c);
            snprintf(c->claim_id, sizeof c->claim_id, "B%ld", done + i + 1);
            snprintf(c->status, sizeof c->status, "1");
            snprintf(c->filing_indicator, sizeof c->filing_indicator, "12");
            snprintf(c->payer_claim_id, sizeof c->payer_claim_id, "ICN%ld", done + i + 1);
            c->patient.entity_type = '1';
            snprintf(c->patient.last_or_org, sizeof c->patient.last_or_org, "BENCH");
            snprintf(c->patient.id_qualifier, sizeof c->patient.id_qualifier, "MI");
            snprintf(c->patient.id, sizeof c->patient.id, "M1");
            c->service_from_days = c->service_to_days = RCM_X12_NO_DATE;
            for (long l = 0; l < lines; l++) {
                struct rcm_x12_line *sl = &c->lines[c->n_lines++];
                snprintf(sl->proc_qualifier, sizeof sl->proc_qualifier, "HC");
                snprintf(sl->procedure, sizeof sl->procedure, "%s", PROCS[l]);
                sl->charge_cents = 10000;
                sl->paid_cents = 6000;
                sl->units_milli = 1000;
                sl->service_date_days = 19763;
                sl->adj[0] = (struct rcm_x12_adjustment){"CO", "45", 3000};
                sl->adj[1] = (struct rcm_x12_adjustment){"PR", "2", 1000};
                sl->n_adj = 2;
                c->charge_cents += 10000;
                c->paid_cents += 6000;
                c->patient_resp_cents += 1000;
            }
            r.payment_cents += c->paid_cents;
        }
        total_paid += r.payment_cents;
        r.credit_debit = 'C';
        snprintf(r.method, sizeof r.method, "ACH");
        r.payment_date_days = 19800;
        snprintf(r.trace_number, sizeof r.trace_number, "EFT%ld", remits + 1);
        snprintf(r.payer.last_or_org, sizeof r.payer.last_or_org, "ACME");
        snprintf(r.payer_id, sizeof r.payer_id, "ACME01");
        snprintf(r.payee.last_or_org, sizeof r.payee.last_or_org, "BENCH CLINIC");
        snprintf(r.payee.id_qualifier, sizeof r.payee.id_qualifier, "XX");
        snprintf(r.payee.id, sizeof r.payee.id, "1234567893");
        struct rcm_x12_party *pt[2] = {&r.payer, &r.payee};
        for (int i = 0; i < 2; i++) {
            snprintf(pt[i]->address, sizeof pt[i]->address, "1 MAIN ST");
            snprintf(pt[i]->city, sizeof pt[i]->city, "SPRINGFIELD");
            snprintf(pt[i]->state, sizeof pt[i]->state, "IL");
            snprintf(pt[i]->zip, sizeof pt[i]->zip, "62701");
        }
        r.production_date_days = RCM_X12_NO_DATE;
        struct rcm_x12_envelope env = {
            .sender_qualifier = "ZZ", .sender_id = "PAYER", .receiver_qualifier = "ZZ",
            .receiver_id = "PROVIDER", .gs_sender = "PAYER", .gs_receiver = "PROVIDER",
            .isa13 = (uint32_t)(remits + 1), .gs06 = (uint32_t)(remits + 1),
            .date8 = "20240305", .time4 = "1200", .usage = 'T',
            .contact_name = "PROVIDER SERVICES", .contact_phone = "8005551212"};
        if (rcm_x12_write_835(&env, &r, pays, (size_t)k, &x12, &d))
            die("write 835", &d);
        done += k;
        remits++;
    }
    free(pays);
    /* validation only */
    struct rcm_x12_stats st;
    struct rcm_x12_validate_opts vo = {0};
    t0 = now_s();
    if (rcm_x12_validate_buffer(x12.data, x12.len, &vo, &st) || st.errors)
        die("validate", NULL);
    double t_val = now_s() - t0;
    /* the post */
    static struct rcm_remit_post_result res;
    t0 = now_s();
    double c0 = cpu_s();
    if (rcm_store_remit_post_x12(s, &a, x12.data, x12.len, &res, &d))
        die("post", &d);
    double t_post = now_s() - t0, c_post = cpu_s() - c0;
    if (res.posted != remits || res.paid_cents != total_paid || res.service_lines != claims * lines)
        die("post counts differ", NULL);
    t0 = now_s();
    if (rcm_store_remit_post_x12(s, &a, x12.data, x12.len, &res, &d) ||
        res.already_posted != remits)
        die("repeat", &d);
    double t_repeat = now_s() - t0;
    long svc = claims * lines;
    printf("bench_post: sqlite, %ld claims x %ld lines = %ld service lines in %ld remittances "
           "(%.1f MB of 835)\n", claims, lines, svc, remits, (double)x12.len / 1e6);
    printf("  claims inserted (SQL, setup)   %8.3f s\n", t_claims);
    printf("  validate only                  %8.3f s  %10.0f lines/s  %7.1f MB/s\n", t_val,
           (double)svc / t_val, (double)x12.len / 1e6 / t_val);
    printf("  post (end to end)              %8.3f s  %10.0f lines/s  %10.0f claims/s\n", t_post,
           (double)svc / t_post, (double)claims / t_post);
    printf("  post, CPU time of the process  %8.3f s  %10.0f lines/s (wall minus waiting for "
           "a CPU and the disk)\n", c_post, (double)svc / c_post);
    printf("  repeat post (already posted)   %8.3f s\n", t_repeat);
    rcm_buf_release(&x12);
    rcm_store_close(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return 0;
}
