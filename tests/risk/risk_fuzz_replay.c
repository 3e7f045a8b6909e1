/*
 * risk_fuzz_replay.c — runs a libFuzzer target without libFuzzer, so the
 * risk fuzz targets are regression tests in every build: each file of the
 * corpus directory given as argv[1], then deterministic mutations of them
 * (byte flips, truncations, splices, inserted separators): argv[2] of them,
 * 2,000 by default.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 64
#define MAX_SEED_BYTES (1 << 16)

int
main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS]\n", argv[0]);
        return 2;
    }
    int mutations = argc == 3 ? atoi(argv[2]) : 2000;
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    static uint8_t seeds[MAX_SEEDS][MAX_SEED_BYTES];
    size_t lens[MAX_SEEDS];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SEEDS) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        lens[n] = fread(seeds[n], 1, MAX_SEED_BYTES, f);
        fclose(f);
        LLVMFuzzerTestOneInput(seeds[n], lens[n]);
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "no seeds in %s\n", argv[1]);
        return 2;
    }
    static const uint8_t special[] = {',', ';', '\n', '\r', '"', '\t', 0, '.', '-', 0xff};
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static uint8_t buf[MAX_SEED_BYTES * 2];
    for (int i = 0; i < mutations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int s = (int)(x % (uint64_t)n);
        size_t len = lens[s];
        memcpy(buf, seeds[s], len);
        int edits = 1 + (int)(x >> 60);
        for (int k = 0; k < edits && len > 0; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (size_t)(x % len);
            switch ((x >> 32) % 4) {
            case 0:
                buf[pos] ^= (uint8_t)(x >> 40);
                break;
            case 1:
                buf[pos] = special[(x >> 40) % sizeof special];
                break;
            case 2:
                len = pos;
                break;
            default: {
                int o = (int)((x >> 20) % (uint64_t)n);
                size_t take = lens[o] < sizeof buf - pos ? lens[o] : sizeof buf - pos;
                memcpy(buf + pos, seeds[o], take);
                len = pos + take;
            }
            }
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("replayed %d seeds and %d mutations\n", n, mutations);
    return 0;
}
