/*
 * bench_risk.c — members scored per second by the CMS-HCC engine.
 *
 *   bench_risk [--members N] [--year YYYY] [--threads T] [--seed S]
 *   bench_risk --write-csv FILE [--members N] [--year YYYY] [--seed S]
 *
 * Generates a population in memory (ages 0-100 weighted to 65+, all nine
 * segments, OREC 0-3, 0-15 diagnosis codes per member drawn half from the
 * year's V24/V28 maps and half from codes that map to nothing, as in real
 * claims), then scores it with V24 and with V28: single-threaded, and with
 * T threads (default: all cores). Prints table load time, members/s per
 * model and thread count, and peak RSS. --write-csv writes the same kind of
 * population as a member CSV (inline dx) for timing `openrcm raf` end to end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rcm/date.h"
#include "rcm/risk.h"

struct pop {
    size_t n;
    struct rcm_risk_member *mem;
    uint32_t *off;      /* codes of member i: codes[off[i] .. off[i+1]) */
    uint64_t *codes;
    char (*ids)[24];
};

static uint64_t rng_state;

static uint64_t
rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Codes of both models' maps for the year. */
static uint64_t *
mapped_codes(const char *dir, int year, size_t *n_out)
{
    size_t cap = 1 << 15, n = 0;
    uint64_t *v = malloc(cap * sizeof *v);
    static const char *const models[2] = {"V24", "V28"};
    for (int k = 0; k < 2 && v; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/cms-hcc/%s/dx_py%d.tsv", dir, models[k], year);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char line[128];
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#')
                continue;
            char *tab = strchr(line, '\t');
            if (!tab)
                continue;
            uint64_t c;
            if (!rcm_risk_dx_pack((struct rcm_str){line, (size_t)(tab - line)}, &c))
                continue;
            if (n == cap) {
                cap *= 2;
                uint64_t *nv = realloc(v, cap * sizeof *v);
                if (!nv) {
                    free(v);
                    fclose(f);
                    return NULL;
                }
                v = nv;
            }
            v[n++] = c;
        }
        fclose(f);
    }
    *n_out = n;
    return v;
}

static uint64_t
unmapped_code(void)
{
    /* Z00-Z13 / R-codes style: letter + 2-5 digits; almost never in a payment map. */
    static const char letters[] = "RZ";
    char s[8];
    int len = 3 + (int)(rng() % 3);
    s[0] = letters[rng() % 2];
    for (int i = 1; i < len; i++)
        s[i] = (char)('0' + rng() % 10);
    uint64_t c = 0;
    (void)rcm_risk_dx_pack((struct rcm_str){s, (size_t)len}, &c);
    return c;
}

static int
generate(struct pop *p, size_t n, int year, const uint64_t *mapped, size_t n_mapped)
{
    p->n = n;
    p->mem = calloc(n, sizeof *p->mem);
    p->off = malloc((n + 1) * sizeof *p->off);
    p->codes = malloc(n * 15 * sizeof *p->codes);
    p->ids = malloc(n * sizeof *p->ids);
    if (!p->mem || !p->off || !p->codes || !p->ids)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct rcm_risk_member *m = &p->mem[i];
        snprintf(p->ids[i], sizeof p->ids[i], "M%010zu", i);
        int age = (rng() % 10 < 8) ? 65 + (int)(rng() % 36) : (int)(rng() % 65);
        m->dob_days = rcm_date_from_ymd(year - age - 1, 1 + (int)(rng() % 12), 1 + (int)(rng() % 28));
        m->age_years = -1;
        m->sex = 1 + (int)(rng() % 2);
        uint64_t r = rng() % 100;
        m->orec = r < 70 ? 0 : r < 90 ? 1 : r < 97 ? 2 : 3;
        m->medicaid = rng() % 4 == 0;
        r = rng() % 100;
        m->segment = r < 5 ? RCM_RISK_NE : r < 6 ? RCM_RISK_SNPNE : r < 9 ? RCM_RISK_INS
                                                                          : RCM_RISK_SEGMENT_AUTO;
        m->dual = (int)(rng() % 3);
        p->off[i] = (uint32_t)k;
        int nd = (int)(rng() % 16);
        for (int d = 0; d < nd; d++)
            p->codes[k++] = (rng() % 2) ? mapped[rng() % n_mapped] : unmapped_code();
    }
    p->off[n] = (uint32_t)k;
    return 0;
}

struct job {
    const struct rcm_risk_model *m;
    const struct pop *p;
    size_t from, to;
    int64_t sum;
    double cpu_s;       /* CPU time this thread spent scoring */
};

static double
thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
    struct job *j = arg;
    double c0 = thread_cpu_s();
    int64_t sum = 0;
    for (size_t i = j->from; i < j->to; i++) {
        struct rcm_risk_score s;
        if (rcm_risk_score(j->m, &j->p->mem[i], j->p->codes + j->p->off[i],
                           j->p->off[i + 1] - j->p->off[i], &s) == RCM_OK)
            sum += s.raw_milli;
    }
    j->sum = sum;
    j->cpu_s = thread_cpu_s() - c0;
    return NULL;
}

/* Members per wall-clock second; *per_cpu_s gets members per CPU-second
 * (what one core does when it is not shared). */
static double
bench(const struct rcm_risk_model *m, const struct pop *p, int threads, int64_t *checksum,
      double *per_cpu_s)
{
    struct job jobs[64];
    pthread_t th[64];
    size_t per = (p->n + (size_t)threads - 1) / (size_t)threads;
    double t0 = now_s();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){m, p, (size_t)t * per, 0, 0, 0};
        jobs[t].to = jobs[t].from + per > p->n ? p->n : jobs[t].from + per;
        if (t > 0)
            pthread_create(&th[t], NULL, run, &jobs[t]);
    }
    run(&jobs[0]);
    for (int t = 1; t < threads; t++)
        pthread_join(th[t], NULL);
    double secs = now_s() - t0;
    *checksum = 0;
    double cpu = 0;
    for (int t = 0; t < threads; t++) {
        *checksum += jobs[t].sum;
        cpu += jobs[t].cpu_s;
    }
    *per_cpu_s = cpu > 0 ? (double)p->n / cpu : 0;
    return (double)p->n / secs;
}

static int
write_csv(const char *path, const struct pop *p)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("member_id,dob,sex,orec,dual_elgbl_cd,medicaid,lti,new_enrollee,snp,dx\n", f);
    static const char *const dual[3] = {"00", "03", "02"};
    for (size_t i = 0; i < p->n; i++) {
        const struct rcm_risk_member *m = &p->mem[i];
        char dob[RCM_DATE_ISO_LEN + 1];
        rcm_date_format_iso(m->dob_days, dob);
        fprintf(f, "%s,%s,%c,%d,%s,%d,%d,%d,%d,", p->ids[i], dob, m->sex == 1 ? 'M' : 'F', m->orec,
                dual[m->dual], m->medicaid, m->segment == RCM_RISK_INS,
                m->segment == RCM_RISK_NE || m->segment == RCM_RISK_SNPNE,
                m->segment == RCM_RISK_SNPNE);
        for (uint32_t k = p->off[i]; k < p->off[i + 1]; k++) {
            char code[8];
            rcm_risk_dx_unpack(p->codes[k], code);
            fprintf(f, "%s%s", k > p->off[i] ? ";" : "", code);
        }
        fputc('\n', f);
    }
    return fclose(f);
}

int
main(int argc, char **argv)
{
    size_t n = 2000000;
    int year = 2026, threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *csv = NULL, *dir = RCM_SOURCE_DATA_DIR;
    rng_state = 20260201;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--members") == 0)
            n = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--year") == 0)
            year = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            rng_state = strtoull(argv[i + 1], NULL, 10) | 1;
        else if (strcmp(argv[i], "--write-csv") == 0)
            csv = argv[i + 1];
        else if (strcmp(argv[i], "--data") == 0)
            dir = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (threads < 1 || threads > 64 || n == 0) {
        fprintf(stderr, "bad --threads or --members\n");
        return 2;
    }
    double t0 = now_s();
    struct rcm_risk_tables *tables;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_risk_tables_load(dir, &tables, &diag) != RCM_OK) {
        fprintf(stderr, "load: %s\n", diag.msg);
        return 2;
    }
    double load_ms = (now_s() - t0) * 1000;
    size_t n_mapped;
    uint64_t *mapped = mapped_codes(dir, year, &n_mapped);
    struct pop p;
    if (!mapped || n_mapped == 0 || generate(&p, n, year, mapped, n_mapped) != 0) {
        fprintf(stderr, "cannot generate the population\n");
        return 2;
    }
    if (csv) {
        if (write_csv(csv, &p) != 0) {
            fprintf(stderr, "cannot write %s\n", csv);
            return 2;
        }
        printf("wrote %zu members (%u codes) to %s\n", n, p.off[n], csv);
        return 0;
    }
    printf("tables: all models/years loaded in %.1f ms\n", load_ms);
    printf("population: %zu members, %u codes (%.2f per member), payment year %d\n", n, p.off[n],
           (double)p.off[n] / (double)n, year);
    for (int k = 0; k < 2; k++) {
        const struct rcm_risk_model *m = rcm_risk_model_get(tables, (enum rcm_risk_model_id)k, year);
        if (!m)
            continue;
        int64_t c1, cn;
        double cpu1, cpun;
        (void)bench(m, &p, 1, &c1, &cpu1);   /* warm-up */
        double r1 = bench(m, &p, 1, &c1, &cpu1);
        double rn = bench(m, &p, threads, &cn, &cpun);
        printf("%s: 1 thread %.0f members/s (%.0f per CPU-second); %d threads %.0f members/s "
               "(%.0f per thread, %.0f per CPU-second); checksum %lld%s\n",
               rcm_risk_model_name((enum rcm_risk_model_id)k), r1, cpu1, threads, rn,
               rn / threads, cpun, (long long)c1, c1 == cn ? "" : " MISMATCH");
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    rcm_risk_tables_free(tables);
    free(mapped);
    free(p.mem);
    free(p.off);
    free(p.codes);
    free(p.ids);
    return 0;
}
