/*
 * bench_auth.c — throughput of the crypto primitives the auth and PHI
 * layers call per request: AES-256-GCM field seal/open (64-byte field with
 * the canonical AAD), blind index (normalise + HMAC), Argon2id latency with
 * the default parameters, TOTP verify (±1 step = 3 HMAC-SHA-1), and key
 * unwrap. Single thread; prints one line per figure.
 *
 * Usage: bench_auth [seconds-per-figure]   (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcm/crypto.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink;

/* Run `fn` in batches until `seconds` pass; returns operations per second. */
static double
rate(void (*fn)(void), double seconds)
{
    uint64_t ops = 0;
    double start = now_s(), t;
    do {
        for (int i = 0; i < 1000; i++)
            fn();
        ops += 1000;
        t = now_s() - start;
    } while (t < seconds);
    return (double)ops / t;
}

static struct rcm_key key;
static uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
static size_t aad_len;
static uint8_t field[64];
static uint8_t env[64 + RCM_AEAD_OVERHEAD_BYTES];
static size_t env_len;

static void
do_seal(void)
{
    size_t n;
    if (rcm_aead_seal(&key, aad, aad_len, field, sizeof field, env, sizeof env, &n) != RCM_OK)
        abort();
    sink += env[20];
}

static void
do_open(void)
{
    uint8_t out[64];
    size_t n;
    if (rcm_aead_open(&key, aad, aad_len, env, env_len, out, sizeof out, &n) != RCM_OK)
        abort();
    sink += out[0];
}

static struct rcm_key bkey;

static void
do_blind(void)
{
    char norm[64];
    size_t n;
    uint8_t idx[RCM_BLIND_INDEX_BYTES];
    if (rcm_blind_norm_id("W123-456-789", 12, norm, sizeof norm, &n) != RCM_OK)
        abort();
    rcm_blind_index(&bkey, norm, n, idx);
    sink += idx[0];
}

static void
do_blind_name(void)
{
    char norm[RCM_BLIND_NORM_MAX_BYTES];
    size_t n;
    uint8_t idx[RCM_BLIND_INDEX_BYTES];
    if (rcm_blind_norm_name_dob("O'Brien-Smith", "Zo\xc3\xab", 3711, norm, sizeof norm, &n) != RCM_OK)
        abort();
    rcm_blind_index(&bkey, norm, n, idx);
    sink += idx[0];
}

static uint8_t totp_secret[RCM_TOTP_SECRET_BYTES];
static char totp_code[9];
static int64_t totp_now;

static void
do_totp(void)
{
    struct rcm_totp_params p = rcm_totp_params_default();
    int64_t step;
    if (rcm_totp_verify(totp_secret, sizeof totp_secret, &p, totp_code, totp_now, -1, &step) != RCM_OK)
        abort();
    sink += (uint64_t)step;
}

static uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];

static void
do_unwrap(void)
{
    struct rcm_key k;
    if (rcm_key_unwrap(&key, "patient:t1:p1", wrapped, sizeof wrapped, &k) != RCM_OK)
        abort();
    sink += k.bytes[0];
    rcm_key_wipe(&k);
}

static void
argon2(const struct rcm_pwhash_params *p, int runs)
{
    char h[RCM_PWHASH_STR_BYTES];
    double best = 1e9, total = 0;
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        if (rcm_pwhash("correct horse battery staple", 28, p, h) != RCM_OK)
            abort();
        double t = now_s() - t0;
        total += t;
        best = t < best ? t : best;
    }
    double t0 = now_s();
    if (rcm_pwhash_verify(h, "correct horse battery staple", 28) != RCM_OK)
        abort();
    double v = now_s() - t0;
    printf("argon2id t=%llu m=%zu MiB   hash mean %8.1f ms  min %8.1f ms  verify %8.1f ms  (%d runs)\n",
           (unsigned long long)p->opslimit, p->memlimit_bytes >> 20, 1e3 * total / runs,
           1e3 * best, 1e3 * v, runs);
}

int
main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    if (secs <= 0)
        secs = 2.0;
    rcm_key_generate(&key, 0);
    memset(field, 'x', sizeof field);
    if (rcm_aead_aad_build("tenant-1", "patient", "member_id", "123456", aad, sizeof aad,
                           &aad_len) != RCM_OK ||
        rcm_aead_seal(&key, aad, aad_len, field, sizeof field, env, sizeof env, &env_len) != RCM_OK ||
        rcm_blind_key_derive(&key, RCM_BLIND_MEMBER_ID, &bkey) != RCM_OK)
        return 1;
    struct rcm_key patient;
    rcm_key_generate(&patient, 0);
    if (rcm_key_wrap(&key, "patient:t1:p1", &patient, wrapped) != RCM_OK)
        return 1;
    rcm_totp_secret_new(totp_secret);
    totp_now = 1700000000;
    struct rcm_totp_params tp = rcm_totp_params_default();
    if (rcm_totp_code(totp_secret, sizeof totp_secret, &tp, totp_now - 30, totp_code) != RCM_OK)
        return 1;   /* previous step: the verify loop runs the whole window */

    printf("aead seal, 64-byte field + %zu-byte AAD   %12.0f /s\n", aad_len, rate(do_seal, secs));
    printf("aead open, 64-byte field                %12.0f /s\n", rate(do_open, secs));
    printf("key unwrap (patient data key)           %12.0f /s\n", rate(do_unwrap, secs));
    printf("blind index, member id (norm + HMAC)    %12.0f /s\n", rate(do_blind, secs));
    printf("blind index, name + DOB (norm + HMAC)   %12.0f /s\n", rate(do_blind_name, secs));
    printf("totp verify, SHA-1, window +-1          %12.0f /s\n", rate(do_totp, secs));
    struct rcm_pwhash_params def = rcm_pwhash_params_default();
    argon2(&def, 10);
    struct rcm_pwhash_params owasp = {2, 19u << 20};  /* OWASP minimum, for comparison */
    argon2(&owasp, 10);
    return sink == 42 ? 2 : 0;
}
