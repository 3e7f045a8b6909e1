/*
 * auth_fuzz_replay.c — a main() for the fuzz targets in builds without
 * libFuzzer: feeds every file of the corpus directories given as arguments,
 * then 20,000 pseudo-random inputs (fixed seed) and mutations of the
 * corpus, so CTest keeps the targets honest under ASan/UBSan.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t seeds[64][4096];
static size_t seed_len[64];
static size_t n_seeds;

static void
run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        if (n_seeds < 64) {
            memcpy(seeds[n_seeds], buf, n);
            seed_len[n_seeds++] = n;
        }
    }
    closedir(d);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        run_dir(argv[i]);
    uint8_t buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t n;
        if (n_seeds && i % 2) {
            size_t s = next() % n_seeds;
            n = seed_len[s] < sizeof buf ? seed_len[s] : sizeof buf;
            memcpy(buf, seeds[s], n);
            for (int k = 0; k < 3 && n; k++)
                buf[next() % n] ^= (uint8_t)(1u << (next() % 8));
            if (next() % 4 == 0 && n)
                n = next() % n;
        } else {
            n = next() % sizeof buf;
            for (size_t k = 0; k < n; k++)
                buf[k] = (uint8_t)(next() % 4 ? 0x20 + next() % 95 : next());
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    puts("fuzz replay: ok");
    return 0;
}
