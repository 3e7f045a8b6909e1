/*
 * x12_bench_run.c — time one X12 pass over a file on one core.
 *
 *   bench_x12_run read|validate|to-json FILE
 *
 * The file is read with read(2) in 1 MiB blocks and streamed through the
 * reader (read: raw segments, without the element split unless the
 * environment sets BENCH_X12_SPLIT), reader + validator (validate), or
 * reader + validator + JSON writer with output written to /dev/null
 * (to-json). Prints input MB, MB/s
 * (1 MB = 10^6 bytes) by wall time and by CPU time of the process (user +
 * system; the fairer figure on a shared machine), segments and peak RSS.
 * Run it on a warm page cache.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rcm/mem.h"
#include "rcm/x12.h"

#define BLOCK (1u << 20)

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_x12_run read|validate|to-json FILE\n");
        return 2;
    }
    const char *mode = argv[1];
    int m = strcmp(mode, "read") == 0 ? 0 : strcmp(mode, "validate") == 0 ? 1
          : strcmp(mode, "to-json") == 0 ? 2 : -1;
    int fd = open(argv[2], O_RDONLY);
    if (m < 0 || fd < 0) {
        fprintf(stderr, "bench_x12_run: bad mode or cannot open %s\n", argv[2]);
        return 2;
    }
    char *buf = rcm_malloc(BLOCK);
    FILE *devnull = fopen("/dev/null", "w");
    struct rcm_buf json = RCM_BUF_INIT((size_t)1 << 30);
    struct rcm_x12_json_writer w;
    rcm_x12_json_writer_init(&w, &json);
    struct rcm_x12_validate_opts o = {0};
    if (m == 2) {
        o.on_segment = rcm_x12_json_writer_segment;
        o.ctx = &w;
    }
    struct rcm_x12_validator *v = m ? rcm_x12_validator_new(&o) : NULL;
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    /* read: the reader alone, raw segments (the split is the validator's) */
    r.split_elements = m != 0 || getenv("BENCH_X12_SPLIT") != NULL;
    unsigned long long bytes = 0, segs = 0, raw = 0, json_bytes = 0;
    double t0 = now_s();
    bool need = true, done = false;
    while (!done) {
        if (need) {
            ssize_t n = read(fd, buf, BLOCK);
            if (n < 0)
                return 2;
            bytes += (unsigned long long)n;
            rcm_x12_reader_feed(&r, buf, (size_t)n, n == 0);
            need = false;
        }
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        switch (rcm_x12_reader_next(&r, &seg, &err)) {
        case RCM_X12_SEGMENT:
            segs++;
            raw += seg.raw.n;
            if (v && rcm_x12_validator_segment(v, &seg) != RCM_OK)
                return 2;
            if (json.len > BLOCK) {
                fwrite(json.data, 1, json.len, devnull);
                json_bytes += json.len;
                rcm_buf_reset(&json);
            }
            break;
        case RCM_X12_ERROR:
            if (v && rcm_x12_validator_read_error(v, &err) != RCM_OK)
                return 2;
            break;
        case RCM_X12_NEED_MORE:
            need = true;
            break;
        default:
            done = true;
        }
    }
    if (v && rcm_x12_validator_finish(v) != RCM_OK)
        return 2;
    if (m == 2) {
        if (rcm_x12_json_writer_finish(&w) != RCM_OK)
            return 2;
        fwrite(json.data, 1, json.len, devnull);
        json_bytes += json.len;
    }
    double t = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("%-8s %-18s %6.1f MB %7.1f MB/s wall %7.1f MB/s cpu %9llu segs %5.1f MiB peak RSS",
           mode, strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2],
           (double)bytes / 1e6, (double)bytes / 1e6 / t, (double)bytes / 1e6 / cpu,
           segs, (double)ru.ru_maxrss / 1024.0);
    if (v) {
        const struct rcm_x12_stats *st = rcm_x12_validator_stats(v);
        printf("  sets %llu accepted %llu errors %llu",
               (unsigned long long)st->sets, (unsigned long long)st->sets_accepted,
               (unsigned long long)st->errors);
    }
    if (m == 2)
        printf("  json %.1f MB", (double)json_bytes / 1e6);
    printf("\n");
    rcm_x12_validator_free(v);
    rcm_x12_reader_release(&r);
    rcm_buf_release(&json);
    rcm_free(buf);
    fclose(devnull);
    close(fd);
    return raw ? 0 : 1;
}
