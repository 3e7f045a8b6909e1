/*
 * bench_store.c — the store alone, without HTTP (issue 21's baseline).
 *
 *   bench_store [PATIENTS [THREADS [SECONDS]]]     (default 2000, 16, 5)
 *
 * On a fresh SQLite database (in $TMPDIR, default /tmp) with a generated
 * master key: PATIENTS patient creates from one thread (each sealed field,
 * its blind indexes, a wrapped patient key and an audit record in one
 * transaction and fsync), the same number again from THREADS threads, then
 * THREADS threads reading random patients for SECONDS — every field opened
 * and a "patient.read" audit record committed before each read returns (the
 * audited PHI read of GET /v1/patients/{id}). Prints creates/s and reads/s.
 * With RCM_BENCH_PG_ENV naming a file of "conninfo=…" and "password_file=…"
 * lines (what tests/pg/pg-test-server writes), the same runs on PostgreSQL
 * instead, in a new schema.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rcm/crypto.h"
#include "rcm/patient.h"
#include "rcm/store.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set(struct rcm_patient *p, enum rcm_patient_field f, const char *v)
{
    snprintf(p->value[f], sizeof p->value[f], "%s", v);
    p->present |= 1u << f;
}

/* A patient with every field, as bench/http creates one. */
static void
full_patient(struct rcm_patient *p, long i)
{
    char member[32], mrn[32];
    snprintf(member, sizeof member, "W%09ld", i);
    snprintf(mrn, sizeof mrn, "MRN-%ld", i);
    memset(p, 0, sizeof *p);
    set(p, RCM_PF_LAST_NAME, "Bench");
    set(p, RCM_PF_FIRST_NAME, "Mark");
    set(p, RCM_PF_MIDDLE_NAME, "Q");
    set(p, RCM_PF_DOB, "1970-01-02");
    set(p, RCM_PF_SEX, "M");
    set(p, RCM_PF_ADDRESS_LINE1, "1 Main St");
    set(p, RCM_PF_ADDRESS_LINE2, "Apt 2");
    set(p, RCM_PF_CITY, "Springfield");
    set(p, RCM_PF_STATE, "IL");
    set(p, RCM_PF_POSTAL_CODE, "62701");
    set(p, RCM_PF_PHONE, "2175550100");
    set(p, RCM_PF_EMAIL, "mark@example.org");
    set(p, RCM_PF_MRN, mrn);
    set(p, RCM_PF_MEMBER_ID, member);
    set(p, RCM_PF_SSN, "219099999");
    set(p, RCM_PF_BANK_ROUTING, "011000015");
    set(p, RCM_PF_BANK_ACCOUNT, "123456789");
}

struct worker {
    struct rcm_store *store;
    struct rcm_actor actor;
    long first, count;          /* creates: ids to make */
    long patients;              /* reads: ids 1..patients */
    double until;
    unsigned seed;
    long done;
    int failed;
};

static void *
create_patients(void *arg)
{
    struct worker *w = arg;
    struct rcm_patient p;
    struct rcm_diag d = RCM_DIAG_INIT;
    for (long i = 0; i < w->count && !w->failed; i++) {
        int64_t id;
        full_patient(&p, w->first + i);
        w->failed = rcm_store_patient_create(w->store, &w->actor, &p, &id, &d) != RCM_OK;
        w->done += !w->failed;
    }
    if (w->failed)
        fprintf(stderr, "create: %s\n", d.msg);
    return NULL;
}

static void *
read_patients(void *arg)
{
    struct worker *w = arg;
    struct rcm_patient *p = malloc(sizeof *p);
    struct rcm_diag d = RCM_DIAG_INIT;
    while (p && !w->failed && now_s() < w->until) {
        int64_t id = 1 + rand_r(&w->seed) % w->patients;
        w->failed = rcm_store_patient_get(w->store, &w->actor, id, 0xffffffffu, p, &d) != RCM_OK;
        w->done += !w->failed;
    }
    if (w->failed)
        fprintf(stderr, "read: %s\n", d.msg);
    free(p);
    return NULL;
}

/* Run `fn` on `threads` workers; returns operations done, -1 on failure. */
static long
run(void *(*fn)(void *), struct worker *proto, long threads, long per_thread)
{
    pthread_t tid[256];
    struct worker w[256];
    for (long t = 0; t < threads; t++) {
        w[t] = *proto;
        w[t].first = proto->first + t * per_thread;
        w[t].count = per_thread;
        w[t].seed = (unsigned)(t * 7919 + 1);
        pthread_create(&tid[t], NULL, fn, &w[t]);
    }
    long done = 0;
    int failed = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        done += w[t].done;
        failed |= w[t].failed;
    }
    return failed ? -1 : done;
}

/* The server of a pg-test-server env file, in a new schema of its own:
 * conninfo gets its search_path. The schema is created with psql. */
static bool
pg_schema(const char *env, char *conninfo, size_t cn, char *password_file, size_t pn)
{
    FILE *fp = fopen(env, "r");
    char line[512], base[512] = "";
    if (!fp)
        return false;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "conninfo=", 9) == 0)
            snprintf(base, sizeof base, "%s", line + 9);
        else if (strncmp(line, "password_file=", 14) == 0)
            snprintf(password_file, pn, "%s", line + 14);
    }
    fclose(fp);
    char schema[64], cmd[2048];
    snprintf(schema, sizeof schema, "bench_%ld", (long)getpid());
    snprintf(cmd, sizeof cmd, "PGPASSWORD=\"$(cat '%s')\" psql -X -q \"%s\" -c 'CREATE SCHEMA %s'",
             password_file, base, schema);
    if (!base[0] || system(cmd) != 0) {
        fprintf(stderr, "bench_store: cannot create a schema on %s\n", env);
        return false;
    }
    snprintf(conninfo, cn, "%s options='-c search_path=%s'", base, schema);
    return true;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 16;
    double seconds = argc > 3 ? strtod(argv[3], NULL) : 5;
    if (n < threads || threads < 1 || threads > 256 || seconds <= 0)
        return 2;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/rcm-bench-store-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/openrcm.db", dir);
    struct rcm_key master;
    rcm_key_generate(&master, 0);
    struct rcm_store_options opt = {.backend = "sqlite", .path = path, .busy_timeout_ms = 5000,
                                    .read_connections = 8, .master_key = &master};
    char conninfo[768] = "", password_file[512] = "";
    if (getenv("RCM_BENCH_PG_ENV")) {
        if (!pg_schema(getenv("RCM_BENCH_PG_ENV"), conninfo, sizeof conninfo, password_file,
                       sizeof password_file))
            return 2;
        opt.backend = "postgres";
        opt.conninfo = conninfo;
        opt.password_file = password_file;
    }
    struct rcm_store *store = NULL;
    struct rcm_diag d = RCM_DIAG_INIT;
    struct rcm_migrate_report rep;
    struct rcm_tenant tenant;
    struct rcm_actor sys = {.type = "system"};
    if (rcm_store_open(&opt, &store, &d) || rcm_store_migrate(store, &rep, &d) ||
        rcm_store_tenant_create(store, &sys, "bench", "Bench", &tenant, &d)) {
        fprintf(stderr, "bench_store: %s\n", d.msg);
        return 1;
    }
    struct worker proto = {.store = store, .first = 0, .patients = 2 * n};
    proto.actor = (struct rcm_actor){.tenant_id = tenant.id, .type = "user", .user_id = 1,
                                     .request_id = "0123456789abcdef0123456789abcdef",
                                     .source_ip = "127.0.0.1", .purpose = "payment"};
    printf("bench_store: %s, %ld patients, %ld threads, %.0f s of reads (%s)\n",
           opt.backend, 2 * n, threads, seconds, rcm_store_library_versions());

    double t0 = now_s();
    long made = run(create_patients, &proto, 1, n);
    double t1 = now_s();
    if (made < 0)
        return 1;
    printf("patient create, 1 thread:     %9.0f /s  (%ld in %.2f s)\n", made / (t1 - t0), made,
           t1 - t0);
    proto.first = n;
    made = run(create_patients, &proto, threads, n / threads);
    double t2 = now_s();
    if (made < 0)
        return 1;
    printf("patient create, %3ld threads:  %9.0f /s  (%ld in %.2f s)\n", threads,
           made / (t2 - t1), made, t2 - t1);
    proto.patients = n + made;
    proto.until = now_s() + seconds;
    double t3 = now_s();
    long reads = run(read_patients, &proto, threads, 0);
    double t4 = now_s();
    if (reads < 0)
        return 1;
    printf("audited read, %3ld threads:    %9.0f /s  (%ld in %.2f s; 17 fields opened, one "
           "audit record each)\n", threads, reads / (t4 - t3), reads, t4 - t3);
    rcm_store_close(store);
    rcm_key_wipe(&master);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
