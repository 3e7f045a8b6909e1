/*
 * fuzz_replay.c — a main() for fuzz targets in builds without libFuzzer:
 *
 *   fuzz_NAME CORPUS_DIR [MUTATIONS]
 *
 * runs every file of CORPUS_DIR through LLVMFuzzerTestOneInput, then
 * MUTATIONS deterministic mutations of them (byte flips, separator bytes,
 * truncations, splices of two seeds; default 300). CTest runs it under the
 * sanitizers, so the committed corpora are regression tests everywhere.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define MAX_SEED_BYTES (1 << 20)

struct seed {
    uint8_t *data;
    size_t len;
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int
load(const char *path, struct seed *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    s->data = malloc(MAX_SEED_BYTES);
    s->len = s->data ? fread(s->data, 1, MAX_SEED_BYTES, f) : 0;
    fclose(f);
    return s->data ? 0 : -1;
}

static void
mutate_and_run(const struct seed *seeds, int n, uint8_t *buf)
{
    const struct seed *s = &seeds[next() % (uint64_t)n];
    static const uint8_t special[] = {'*', '~', ':', '^', ',', ';', '\n', '\r', '"',
                                      '\\', '{', '[', 0, 0x7f, 0xff};
    size_t len = s->len;
    memcpy(buf, s->data, len);
    int edits = 1 + (int)(next() % 4);
    for (int k = 0; k < edits && len > 0; k++) {
        uint64_t x = next();
        size_t pos = (size_t)(x % len);
        switch ((x >> 32) % 4) {
        case 0:
            buf[pos] ^= (uint8_t)(1u << ((x >> 40) % 8));
            break;
        case 1:
            buf[pos] = special[(x >> 40) % sizeof special];
            break;
        case 2:
            len = pos;
            break;
        default: {
            const struct seed *o = &seeds[(x >> 20) % (uint64_t)n];
            size_t take = o->len < MAX_SEED_BYTES - pos ? o->len : MAX_SEED_BYTES - pos;
            memcpy(buf + pos, o->data, take);
            len = pos + take;
        }
        }
    }
    LLVMFuzzerTestOneInput(buf, len);
}

int
main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS]\n", argv[0]);
        return 2;
    }
    long mutations = argc == 3 ? strtol(argv[2], NULL, 10) : 300;
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    static struct seed seeds[MAX_SEEDS];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SEEDS) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        if (load(path, &seeds[n]) != 0)
            continue;
        LLVMFuzzerTestOneInput(seeds[n].data, seeds[n].len);
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "no seeds in %s\n", argv[1]);
        return 2;
    }
    uint8_t *buf = malloc(MAX_SEED_BYTES);
    for (long i = 0; buf && i < mutations; i++)
        mutate_and_run(seeds, n, buf);
    free(buf);
    for (int i = 0; i < n; i++)
        free(seeds[i].data);
    printf("replayed %d seeds and %ld mutations\n", n, mutations);
    return 0;
}
