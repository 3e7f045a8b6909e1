/*
 * bench_audit.c — audit log throughput on the SQLite store.
 *
 *   bench_audit [RECORDS [THREADS]]     (default 20000, 16)
 *
 * Appends RECORDS audit records from one thread — each its own transaction
 * and fsync (synchronous=FULL), as for a change — then RECORDS more from
 * THREADS threads at once, as concurrent PHI reads do (these share commits:
 * group commit), then verifies the whole chain, and prints appends/s and
 * records verified/s.
 * The database lives in a fresh directory under $TMPDIR (default /tmp).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcm/store.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct appender {
    struct rcm_store *store;
    long n;
    int failed;
};

static void *
append_records(void *p)
{
    struct appender *a = p;
    struct rcm_actor actor = {.tenant_id = 1, .type = "user", .user_id = 8,
                              .request_id = "0123456789abcdef0123456789abcdef",
                              .source_ip = "127.0.0.1", .purpose = "payment"};
    struct rcm_audit_what what = {"patient.read", "patient", "4711", "4711", "success"};
    struct rcm_diag d = RCM_DIAG_INIT;
    for (long i = 0; i < a->n && !a->failed; i++)
        a->failed = rcm_store_audit_append(a->store, &actor, &what, &d) != RCM_OK;
    return NULL;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 16;
    if (threads < 1 || threads > 256)
        return 2;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/rcm-bench-audit-XXXXXX", tmp);
    if (n < 1 || !mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/openrcm.db", dir);
    static const uint8_t key[RCM_AUDIT_KEY_BYTES] = "benchmark-audit-key-0123456789ab";
    struct rcm_store_options opt = {.backend = "sqlite", .path = path,
        .busy_timeout_ms = 5000, .read_connections = 2, .audit_key = key};
    struct rcm_store *s;
    struct rcm_diag d = RCM_DIAG_INIT;
    if (rcm_store_open(&opt, &s, &d) || rcm_store_migrate(s, NULL, &d)) {
        fprintf(stderr, "bench_audit: %s\n", d.msg);
        return 2;
    }
    struct rcm_actor actor = {.tenant_id = 1, .type = "user", .user_id = 7,
                              .request_id = "0123456789abcdef0123456789abcdef",
                              .source_ip = "127.0.0.1", .purpose = "payment"};
    struct rcm_audit_what what = {"patient.read", "patient", "4711", "4711", "success"};
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (rcm_store_audit_append(s, &actor, &what, &d) != RCM_OK) {
            fprintf(stderr, "bench_audit: %s\n", d.msg);
            return 2;
        }
    }
    double append_s = now_s() - t0;
    pthread_t tid[256];
    struct appender a[256];
    t0 = now_s();
    for (long i = 0; i < threads; i++) {
        a[i] = (struct appender){s, n / threads, 0};
        if (pthread_create(&tid[i], NULL, append_records, &a[i]) != 0)
            return 2;
    }
    int failed = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        failed |= a[i].failed;
    }
    double group_s = now_s() - t0;
    long group_n = n / threads * threads;
    if (failed) {
        fprintf(stderr, "bench_audit: a concurrent append failed\n");
        return 2;
    }
    struct rcm_audit_verify v;
    rcm_audit_verify_init(&v, key);
    t0 = now_s();
    if (rcm_store_audit_verify(s, &v, &d) != RCM_OK || v.problem || v.records != n + group_n) {
        fprintf(stderr, "bench_audit: verification failed\n");
        return 1;
    }
    double verify_s = now_s() - t0;
    rcm_audit_verify_release(&v);
    printf("audit appends (one transaction each, fsync per commit): %ld in %.2f s = %.0f/s\n",
           n, append_s, (double)n / append_s);
    printf("audit appends from %ld threads (group commit): %ld in %.2f s = %.0f/s\n",
           threads, group_n, group_s, (double)group_n / group_s);
    printf("audit verify (chain + patient index + checkpoints + head): %ld records in %.3f s = %.0f records/s\n",
           n + group_n, verify_s, (double)(n + group_n) / verify_s);
    rcm_store_close(s);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 2;
}
