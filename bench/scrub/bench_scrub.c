/*
 * bench_scrub.c — throughput of the code sets and the scrubber on one core.
 *
 *   index load    rcm_codes_open on the built index (mmap + structure check)
 *   lookups/s     ICD-10-CM lookups of every order-file code, shuffled
 *   NCCI load     synthetic CMS-format PTP (1,000,000 pairs), MUE and AOC
 *                 files written to a temporary directory and loaded
 *   lines/s       rcm_scrub_claim over synthetic 837P-shaped claims (5
 *                 lines, 3 diagnoses, real ICD-10-CM / HCPCS / CPT codes,
 *                 payer rules and NCCI loaded)
 *
 *   837 end to end (bench_scrub --837 FILE [index]): a large synthetic 837P
 *                 (bench/x12's bench_x12_gen) streamed through the X12
 *                 reader, validator, the 837 → claim mapper and
 *                 rcm_scrub_claim, timed in three passes: parse (read +
 *                 validate), parse + map, parse + map + scrub; map and
 *                 scrub alone are the differences (timing each claim
 *                 would cost more than the scrub: a CPU-clock read is a
 *                 system call on this VM).
 *
 * Usage: bench_scrub [claims [index]]   (default 200000, the build's index)
 *        bench_scrub --837 FILE [index]
 *        bench_scrub --write-837 FILE CLAIMS   (837P of claims shaped like the
 *                                               in-memory ones, 2026 dates)
 * Prints one line per figure. Times are thread CPU time (index load: wall
 * clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"
#include "rcm/x12.h"

/* CPU time of this thread: the machine is shared, and "per core" means
 * CPU seconds, not wall-clock seconds spent waiting for a core. */
static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char (*icd)[8];
static size_t n_icd;

static void
load_icd_codes(void)
{
    FILE *f = fopen(RCM_BENCH_DATA "/codesets/icd10cm/icd10cm_order_2026.txt", "r");
    if (!f) {
        perror("order file");
        exit(2);
    }
    icd = calloc(100000, sizeof *icd);
    char line[512];
    while (fgets(line, sizeof line, f) && n_icd < 100000) {
        if (strlen(line) < 16 || line[14] != '1')
            continue;
        size_t k = 0;
        while (k < 7 && line[6 + k] != ' ')
            k++;
        memcpy(icd[n_icd], line + 6, k);
        icd[n_icd][k] = '\0';
        n_icd++;
    }
    fclose(f);
    for (size_t i = n_icd - 1; i > 0; i--) {
        size_t j = next_rand() % (i + 1);
        char t[8];
        memcpy(t, icd[i], 8);
        memcpy(icd[i], icd[j], 8);
        memcpy(icd[j], t, 8);
    }
}

static void
write_ncci(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/ptp.txt", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "Column 1\tColumn 2\t*\tEffective Date\tDeletion Date\tModifier\tRationale\n");
    for (int i = 0; i < 1000000; i++)
        fprintf(f, "%05d\t%05d\t\t20200101\t*\t%d\tsynthetic\n", 10000 + i % 20000,
                30000 + (i / 20000) * 7 + i % 7, i % 2);
    fprintf(f, "99214\t36415\t*\t20100101\t*\t1\tsynthetic\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/mue_Eff_01-01-2026.csv", dir);
    f = fopen(path, "w");
    fprintf(f, "\"HCPCS/CPT Code\",\"Practitioner Services MUE Values\",\"MAI\",\"Rationale\"\n");
    for (int i = 10000; i < 25000; i++)
        fprintf(f, "%05d,%d,\"%d Date of Service Edit\",\"synthetic\"\n", i, 1 + i % 4, 1 + i % 3);
    fprintf(f, "99213,1,\"2 Date of Service Edit\",\"x\"\n99214,1,\"2 Date of Service Edit\",\"x\"\n");
    fprintf(f, "36415,3,\"3 Date of Service Edit\",\"x\"\nG0438,1,\"2 Date of Service Edit\",\"x\"\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/aoc.txt", dir);
    f = fopen(path, "w");
    fprintf(f, "Add-On Code\tAOC Deletion Date\tPrimary Code\tPrimary Code Deletion Date\t"
               "AOC Edit Type\tAOC Edit Effective Date\tAOC Edit Deletion Date\tNotes\n");
    for (int i = 0; i < 7000; i++)
        fprintf(f, "%05d\t*\t%05d\t*\t1\t20150101\t*\t\n", 60000 + i % 500, 10000 + i);
    fclose(f);
}

/* ---- 837 end to end ----------------------------------------------------- */

struct e2e {
    struct rcm_claim_x12 *mapper;
    const struct rcm_scrub_ref *ref;   /* NULL: map only */
    struct rcm_scrub_result res;
    struct rcm_scrub_history *hist;
    int32_t today;
    size_t claims, lines, findings;
};

static enum rcm_err
e2e_claim(void *ctx, const struct rcm_claim *c, const struct rcm_claim_x12_info *info)
{
    (void)info;
    struct e2e *e = ctx;
    e->claims++;
    e->lines += c->n_lines;
    if (!e->ref)
        return RCM_OK;
    rcm_scrub_result_reset(&e->res);
    enum rcm_err err = rcm_scrub_claim(e->ref, c, e->today, e->hist, &e->res);
    e->findings += e->res.n;
    return err;
}

static void
e2e_segment(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *loops)
{
    rcm_claim_x12_segment(((struct e2e *)ctx)->mapper, seg, loops);
}

/* One pass over FILE: mode 0 parse, 1 parse + map, 2 parse + map + scrub. */
static double
e2e_pass(const char *file, int mode, struct e2e *e, uint64_t *bytes)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        perror(file);
        exit(2);
    }
    static char chunk[1u << 20];
    struct rcm_x12_validate_opts opts = {0};
    if (mode >= 1) {
        opts.on_segment = e2e_segment;
        opts.ctx = e;
        if (rcm_claim_x12_new(e2e_claim, e, &e->mapper) != RCM_OK)
            exit(2);
    }
    struct rcm_x12_validator *v = rcm_x12_validator_new(&opts);
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    *bytes = 0;
    double t0 = now_s();
    size_t got = fread(chunk, 1, sizeof chunk, f);
    *bytes += got;
    rcm_x12_reader_feed(&r, chunk, got, got < sizeof chunk);
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_END)
            break;
        enum rcm_err rc = RCM_OK;
        if (ev == RCM_X12_SEGMENT)
            rc = rcm_x12_validator_segment(v, &seg);
        else if (ev == RCM_X12_ERROR)
            rc = rcm_x12_validator_read_error(v, &err);
        else {
            got = fread(chunk, 1, sizeof chunk, f);
            *bytes += got;
            rcm_x12_reader_feed(&r, chunk, got, got == 0);
        }
        if (rc)
            exit(2);
    }
    if (rcm_x12_validator_finish(v) != RCM_OK)
        exit(2);
    if (mode >= 1 && rcm_claim_x12_finish(e->mapper) != RCM_OK)
        exit(2);
    double dt = now_s() - t0;
    const struct rcm_x12_stats *st = rcm_x12_validator_stats(v);
    if (st->errors)
        fprintf(stderr, "bench_scrub: %s has %llu X12 errors\n", file,
                (unsigned long long)st->errors);
    rcm_x12_validator_free(v);
    rcm_x12_reader_release(&r);
    rcm_claim_x12_free(e->mapper);
    e->mapper = NULL;
    fclose(f);
    return dt;
}

/* Write CLAIMS claims shaped like the in-memory ones (5 lines from the same
 * procedure pool, 3 real ICD-10-CM codes, 2026 dates, a clean billing
 * provider) as a valid 837P: one interchange, sets of 1000 claims. */
static int
write_837(const char *file, size_t n_claims)
{
    static const char *const procs[] = {"99213", "99214", "36415", "G0438", "81002",
                                        "10021", "11042", "J1885"};
    load_icd_codes();
    FILE *f = fopen(file, "w");
    if (!f) {
        perror(file);
        return 2;
    }
    fputs("ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*RECEIVERID     *260401*1200*"
          "^*00501*000000001*0*P*:~\nGS*HC*SUBMITTERID*RECEIVERID*20260401*1200*1*X*"
          "005010X222A1~\n", f);
    size_t sets = 0;
    for (size_t c = 0; c < n_claims; sets++) {
        unsigned segs = 0;
#define SEG(...) (fprintf(f, __VA_ARGS__), fputs("~\n", f), segs++)
        SEG("ST*837*%04zu*005010X222A1", sets + 1);
        SEG("BHT*0019*00*B%zu*20260401*1200*CH", sets + 1);
        SEG("NM1*41*2*BENCH SUBMITTER*****46*SUB123");
        SEG("PER*IC*CONTACT*TE*5555551212");
        SEG("NM1*40*2*BENCH RECEIVER*****46*REC123");
        SEG("HL*1**20*1");
        SEG("PRV*BI*PXC*207Q00000X");
        SEG("NM1*85*2*BENCH CLINIC*****XX*1245319599");
        SEG("N3*1 MAIN ST");
        SEG("N4*SPRINGFIELD*IL*627011234");
        SEG("REF*EI*371234567");
        for (size_t i = 0; i < 1000 && c < n_claims; i++, c++) {
            SEG("HL*%zu*1*22*0", i + 2);
            SEG("SBR*P*18*******MB");
            SEG("NM1*IL*1*DOE*JANE****MI*M%09zu", c);
            SEG("N3*1 MAIN ST");
            SEG("N4*SPRINGFIELD*IL*62701");
            SEG("DMG*D8*19500401*F");
            SEG("NM1*PR*2*MEDICARE*****PI*00882");
            SEG("CLM*PCN%zu*510***11:B:1*Y*A*Y*Y", c);
            SEG("HI*ABK:%s*ABF:%s*ABF:%s", icd[(c * 3) % n_icd], icd[(c * 3 + 1) % n_icd],
                icd[(c * 3 + 2) % n_icd]);
            for (size_t k = 0; k < 5; k++) {
                SEG("LX*%zu", k + 1);
                SEG("SV1*HC:%s*%zu*UN*1***1:2", procs[(c + k) % 8], 100 + k);
                SEG("DTP*472*D8*20260302");
            }
        }
        SEG("SE*%u*%04zu", segs + 1, sets + 1);
#undef SEG
    }
    fprintf(f, "GE*%zu*1~\nIEA*1*000000001~\n", sets);
    if (fclose(f) != 0)
        return 2;
    printf("%s: %zu claims, %zu lines, %zu transaction sets\n", file, n_claims, n_claims * 5,
           sets);
    return 0;
}

static int
bench_837(const char *file, const char *index_path)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_codes *codes = NULL;
    if (rcm_codes_open(index_path, &codes, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }
    char dir[] = "/tmp/rcm-bench-ncci-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    write_ncci(dir);
    struct rcm_ncci *ncci = NULL;
    struct rcm_ncci_stats st;
    if (rcm_codes_ncci_load(dir, 0, &ncci, &st, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }
    char path[512];
    const char *names[] = {"ptp.txt", "mue_Eff_01-01-2026.csv", "aoc.txt"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    struct rcm_payer_rules *rules = NULL;
    if (rcm_payer_rules_load(RCM_BENCH_DATA "/payer-rules", &rules, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }
    struct rcm_scrub_ref ref = {codes, ncci, rules};
    struct e2e e;
    memset(&e, 0, sizeof e);
    rcm_scrub_result_init(&e.res, 256);
    if (rcm_scrub_history_new(0, &e.hist) != RCM_OK)
        return 2;
    e.today = rcm_date_from_ymd(2026, 4, 1);   /* as the in-memory claims */
    uint64_t bytes = 0;
    double parse = e2e_pass(file, 0, &e, &bytes);
    double mb = (double)bytes / 1e6;
    printf("837 end to end: %s, %.1f MB\n", file, mb);
    printf("  parse (read + validate):       %.3f s  %.0f MB/s\n", parse, mb / parse);
    double map = e2e_pass(file, 1, &e, &bytes);
    size_t lines = e.lines, claims = e.claims;
    printf("  parse + map to claims:         %.3f s  %.0f MB/s, %zu claims, %zu lines, "
           "%.2f million lines/s\n", map, mb / map, claims, lines, (double)lines / map / 1e6);
    e.claims = 0;
    e.lines = 0;
    e.ref = &ref;
    double full = e2e_pass(file, 2, &e, &bytes);
    printf("  parse + map + scrub:           %.3f s  %.2f million lines/s (%.0f claims/s), "
           "%zu findings\n", full, (double)e.lines / full / 1e6, (double)e.claims / full,
           e.findings);
    printf("  map alone (pass 2 - pass 1):   %.3f s  %.2f million lines/s\n", map - parse,
           (double)lines / (map - parse) / 1e6);
    printf("  scrub alone (pass 3 - pass 2): %.3f s  %.2f million lines/s\n", full - map,
           (double)e.lines / (full - map) / 1e6);
    rcm_scrub_result_release(&e.res);
    rcm_scrub_history_free(e.hist);
    rcm_payer_rules_free(rules);
    rcm_codes_ncci_free(ncci);
    rcm_codes_close(codes);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "--write-837") == 0)
        return write_837(argv[2], (size_t)strtoul(argv[3], NULL, 10));
    if (argc > 2 && strcmp(argv[1], "--837") == 0)
        return bench_837(argv[2], argc > 3 ? argv[3] : RCM_BENCH_INDEX);
    size_t n_claims = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 200000;
    const char *index_path = argc > 2 ? argv[2] : RCM_BENCH_INDEX;
    struct rcm_diag diag = RCM_DIAG_INIT;

    /* index load (cold-ish: first open; then the average of 20 opens) */
    struct rcm_codes *codes = NULL;
    double t0 = wall_s();
    if (rcm_codes_open(index_path, &codes, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }
    double first_ms = (wall_s() - t0) * 1e3;
    rcm_codes_close(codes);
    t0 = wall_s();
    for (int i = 0; i < 20; i++) {
        if (rcm_codes_open(index_path, &codes, &diag) != RCM_OK)
            return 2;
        rcm_codes_close(codes);
    }
    double avg_ms = (wall_s() - t0) * 1e3 / 20;
    if (rcm_codes_open(index_path, &codes, &diag) != RCM_OK)
        return 2;
    printf("index load: first %.2f ms, average of 20 %.2f ms\n", first_ms, avg_ms);

    /* lookups */
    load_icd_codes();
    int32_t dos = rcm_date_from_ymd(2026, 3, 2);
    size_t *lens = malloc(n_icd * sizeof *lens);
    for (size_t i = 0; i < n_icd; i++)
        lens[i] = strlen(icd[i]);
    /* best of 7 runs each: the machine is shared, the best run is the one
     * least disturbed by other processes; the median is printed too */
    double runs[7];
    size_t valid = 0, rounds = 10, hot = n_icd < 2000 ? n_icd : 2000, reps = 400;
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass == 0 ? n_icd : hot, rep = pass == 0 ? rounds : reps;
        for (int k = 0; k < 7; k++) {
            valid = 0;
            t0 = now_s();
            for (size_t r = 0; r < rep; r++)
                for (size_t i = 0; i < n; i++) {
                    struct rcm_code_info in;
                    valid += rcm_codes_lookup(codes, RCM_CODESET_ICD10CM, icd[i], lens[i],
                                              dos, &in) == RCM_CODE_VALID;
                }
            runs[k] = now_s() - t0;
        }
        for (int a = 0; a < 7; a++)
            for (int b = a + 1; b < 7; b++)
                if (runs[b] < runs[a]) {
                    double t = runs[a];
                    runs[a] = runs[b];
                    runs[b] = t;
                }
        printf("lookups (%s): %zu per run (%zu valid), best %.1f million/s, median %.1f "
               "million/s\n",
               pass == 0 ? "all 74,719 billable ICD-10-CM codes, shuffled"
                         : "2,000-code working set",
               n * rep, valid, (double)(n * rep) / runs[0] / 1e6,
               (double)(n * rep) / runs[3] / 1e6);
    }
    /* the batch API (prefetching 16 codes at a time), all codes shuffled */
    {
        const char **ptrs = malloc(n_icd * sizeof *ptrs);
        struct rcm_code_info *infos = malloc(n_icd * sizeof *infos);
        for (size_t i = 0; i < n_icd; i++)
            ptrs[i] = icd[i];
        for (int k = 0; k < 7; k++) {
            t0 = now_s();
            for (size_t r = 0; r < rounds; r++)
                rcm_codes_lookup_many(codes, RCM_CODESET_ICD10CM, ptrs, lens, n_icd, dos,
                                      infos);
            runs[k] = now_s() - t0;
        }
        valid = 0;
        for (size_t i = 0; i < n_icd; i++)
            valid += infos[i].status == RCM_CODE_VALID;
        for (int a = 0; a < 7; a++)
            for (int b = a + 1; b < 7; b++)
                if (runs[b] < runs[a]) {
                    double t = runs[a];
                    runs[a] = runs[b];
                    runs[b] = t;
                }
        printf("lookups (rcm_codes_lookup_many, all billable codes shuffled): %zu per run "
               "(%zu valid), best %.1f million/s, median %.1f million/s\n",
               n_icd * rounds, valid * rounds, (double)(n_icd * rounds) / runs[0] / 1e6,
               (double)(n_icd * rounds) / runs[3] / 1e6);
        free(ptrs);
        free(infos);
    }
    double dt;

    /* NCCI */
    char dir[] = "/tmp/rcm-bench-ncci-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    write_ncci(dir);
    struct rcm_ncci *ncci = NULL;
    struct rcm_ncci_stats st;
    t0 = now_s();
    if (rcm_codes_ncci_load(dir, 0, &ncci, &st, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }
    printf("NCCI load: %zu PTP + %zu MUE + %zu AOC rows in %.0f ms\n", st.ptp_rows,
           st.mue_rows, st.aoc_rows, (now_s() - t0) * 1e3);
    char path[512];
    const char *names[] = {"ptp.txt", "mue_Eff_01-01-2026.csv", "aoc.txt"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    struct rcm_payer_rules *rules = NULL;
    if (rcm_payer_rules_load(RCM_BENCH_DATA "/payer-rules", &rules, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }

    /* claims */
    static const char *const procs[] = {"99213", "99214", "36415", "G0438", "81002",
                                        "10021", "11042", "J1885"};
    struct rcm_claim *claims = calloc(n_claims, sizeof *claims);
    struct rcm_claim_line *lines = calloc(n_claims * 5, sizeof *lines);
    size_t total_lines = 0;
    for (size_t i = 0; i < n_claims; i++) {
        struct rcm_claim *c = &claims[i];
        rcm_claim_init(c);
        c->id = "PCN";
        c->facility_code = "11";
        c->frequency = '1';
        c->relationship = "18";
        c->payer = (struct rcm_claim_payer){"00882", "MEDICARE", "MB", 'P', NULL, false};
        c->subscriber.present = true;
        c->subscriber.last = "DOE";
        c->subscriber.member_id = "1EG4TE5MK73";
        c->subscriber.birth_date = rcm_date_from_ymd(1950, 4, 1);
        c->subscriber.sex = 'F';
        c->billing = (struct rcm_claim_provider){true, true, "CLINIC", NULL, "1245319599",
                                                 "207Q00000X", "371234567", 'E',
                                                 {"1 MAIN", NULL, "X", "IL", "627011234"}};
        c->n_dx = 3;
        for (size_t k = 0; k < 3; k++)
            c->dx[k].code = icd[(i * 3 + k) % n_icd];
        c->lines = &lines[i * 5];
        c->n_lines = 5;
        int64_t sum = 0;
        for (size_t k = 0; k < 5; k++) {
            struct rcm_claim_line *l = &c->lines[k];
            l->number = (uint32_t)k + 1;
            l->procedure = procs[(i + k) % 8];
            l->charge_cents = 10000 + (int64_t)k * 100;
            l->units_milli = 1000;
            l->from_date = l->to_date = dos;
            l->dx_pointers[0] = 1;
            l->dx_pointers[1] = 2;
            l->n_dx_pointers = 2;
            sum += l->charge_cents;
        }
        c->total_charge_cents = sum;
        total_lines += 5;
    }
    struct rcm_scrub_ref ref = {codes, ncci, rules};
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 256);
    struct rcm_scrub_history *hist;
    if (rcm_scrub_history_new(n_claims, &hist) != RCM_OK)
        return 2;
    int32_t today = rcm_date_from_ymd(2026, 4, 1);
    size_t findings = 0;
    t0 = now_s();
    for (size_t i = 0; i < n_claims; i++) {
        rcm_scrub_result_reset(&res);
        if (rcm_scrub_claim(&ref, &claims[i], today, hist, &res) != RCM_OK)
            return 2;
        findings += res.n;
    }
    dt = now_s() - t0;
    printf("scrub: %zu claims, %zu lines, %zu findings in %.3f s = %.2f million lines/s "
           "(%.0f claims/s)\n", n_claims, total_lines, findings, dt,
           (double)total_lines / dt / 1e6, (double)n_claims / dt);
    rcm_scrub_result_release(&res);
    rcm_scrub_history_free(hist);
    rcm_payer_rules_free(rules);
    rcm_codes_ncci_free(ncci);
    rcm_codes_close(codes);
    free(claims);
    free(lines);
    free(lens);
    free(icd);
    return 0;
}
