/*
 * codes_int.h — private to src/codes: the on-disk layout of the code-set
 * index shared by the builder (codes_build.c) and the reader
 * (codes_index.c), and small helpers.
 *
 * The index is one file in native byte order (it is a build artefact of the
 * machine that uses it; the header records the byte order and a foreign or
 * truncated file is rejected):
 *
 *   header | set directory (in header) | versions[] | records[] per set |
 *   hash slots[] per set | string pool
 *
 * (v2: plus a direct table per set, see CODES_REC_MORE.)
 * Records of a set are sorted by (code, from_days); a code with several
 * periods (added, deleted, billable flag or title changed) has one record per
 * period, adjacent. Each set has an open-addressing hash table (power-of-two
 * slots, linear probing) from code to the index of its first record + 1
 * (0 = empty).
 */
#ifndef RCM_CODES_INT_H
#define RCM_CODES_INT_H

#include <stdint.h>
#include <string.h>

#include "rcm/codes.h"

#define CODES_IDX_MAGIC "RCMCODX1"
#define CODES_IDX_FORMAT 2u
#define CODES_IDX_BYTE_ORDER 0x01020304u
#define CODES_KEY_BYTES 12
#define CODES_OPEN_DAYS INT32_MAX
#define CODES_MAX_VERSIONS 256

struct codes_idx_set {
    uint64_t rec_off;
    uint64_t hash_off;
    uint32_t rec_count;
    uint32_t hash_slots;
    uint64_t slot_off;      /* direct table: one record per code, see below */
    uint32_t slot_count;    /* power of two */
    uint32_t reserved;
};

/*
 * Direct table: an open-addressing table (same hash, linear probing) whose
 * slots are copies of each code's latest record, so the common lookup is one
 * cache miss. An empty slot has code[0] == 0. CODES_REC_MORE in flags marks
 * a code with other periods: lookups for other dates fall back to the
 * records array through the index hash.
 */
#define CODES_REC_MORE 0x80000000u

struct codes_idx_version {
    uint32_t set;
    int32_t from_days;
    int32_t to_days;
    uint32_t name_off;
};

struct codes_idx_rec {
    char code[CODES_KEY_BYTES];   /* NUL-padded, no dots, upper case */
    int32_t from_days;
    int32_t to_days;
    uint32_t flags;
    uint32_t short_off;
    uint32_t long_off;
};

struct codes_idx_header {
    char magic[8];
    uint32_t format;
    uint32_t byte_order;
    uint64_t file_bytes;
    uint64_t versions_off;
    uint64_t strings_off;
    uint64_t strings_bytes;
    uint32_t n_versions;
    uint32_t n_sets;
    int32_t mce_age[8];           /* min,max for newborn, pediatric, maternity, adult */
    struct codes_idx_set sets[RCM_CODESET_COUNT];
};

/*
 * Normalise a code into a key: upper case; for ICD-10-CM dots dropped.
 * Returns false when the code is empty, too long or has bytes other than
 * letters and digits.
 */
static inline bool
codes_make_key(enum rcm_code_set set, const char *code, size_t n,
               char key[CODES_KEY_BYTES])
{
    size_t k = 0;
    memset(key, 0, CODES_KEY_BYTES);
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        if (c == '.' && set == RCM_CODESET_ICD10CM)
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
        if (k >= CODES_KEY_BYTES - 1)
            return false;
        key[k++] = c;
    }
    return k > 0;
}

/* 64-bit mix of a 12-byte key (splitmix finaliser over the words). */
static inline uint64_t
codes_key_hash(const char key[CODES_KEY_BYTES])
{
    uint64_t a, b;
    uint32_t c;
    memcpy(&a, key, 8);
    memcpy(&c, key + 8, 4);
    b = a ^ ((uint64_t)c * 0x9E3779B97F4A7C15ull);
    b ^= b >> 30;
    b *= 0xBF58476D1CE4E5B9ull;
    b ^= b >> 27;
    b *= 0x94D049BB133111EBull;
    b ^= b >> 31;
    return b;
}

#endif
