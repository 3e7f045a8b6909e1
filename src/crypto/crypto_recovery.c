/*
 * crypto_recovery.c — single-use MFA recovery codes: generation, the
 * stored hash, constant-time verification.
 */
#include <string.h>

#include "rcm/crypto.h"

#define RECOVERY_SYMBOLS 16

/* Crockford base32: no I, L, O, U. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
rcm_recovery_code_new(char out[RCM_RECOVERY_CODE_LEN + 1])
{
    uint8_t raw[10];        /* 80 bits = 16 symbols of 5 bits */
    rcm_random_bytes(raw, sizeof raw);
    size_t o = 0;
    for (int s = 0; s < RECOVERY_SYMBOLS; s++) {
        int bit = s * 5;
        unsigned v = (unsigned)raw[bit / 8] << 8 | (bit / 8 + 1 < 10 ? raw[bit / 8 + 1] : 0);
        v = (v >> (11 - bit % 8)) & 31;
        if (s > 0 && s % 4 == 0)
            out[o++] = '-';
        out[o++] = crockford[v];
    }
    out[o] = '\0';
    rcm_crypto_wipe(raw, sizeof raw);
}

/* Crockford symbol value of c (with its aliases), or -1. */
static int
crockford_value(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    const char *p = c ? strchr(crockford, c) : NULL;
    return p ? (int)(p - crockford) : -1;
}

enum rcm_err
rcm_recovery_code_hash(const char *user_id, const char *code, uint8_t out[RCM_SHA256_BYTES])
{
    static const char label[] = "openrcm/recovery/v1";
    char norm[RECOVERY_SYMBOLS];
    size_t n = 0;
    memset(out, 0, RCM_SHA256_BYTES);
    if (!user_id || !*user_id || !code || strlen(code) > 64)
        return RCM_E_INVAL;
    for (const char *p = code; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        int v = crockford_value(*p);
        if (v < 0 || n == RECOVERY_SYMBOLS) {
            rcm_crypto_wipe(norm, sizeof norm);
            return RCM_E_INVAL;
        }
        norm[n++] = crockford[v];
    }
    if (n != RECOVERY_SYMBOLS) {
        rcm_crypto_wipe(norm, sizeof norm);
        return RCM_E_INVAL;
    }
    struct rcm_sha256_ctx ctx;
    if (rcm_sha256_init(&ctx) != RCM_OK) {
        rcm_crypto_wipe(norm, sizeof norm);
        return RCM_E_NOMEM;
    }
    rcm_sha256_update(&ctx, label, sizeof label);       /* with its NUL */
    rcm_sha256_update(&ctx, user_id, strlen(user_id) + 1);
    rcm_sha256_update(&ctx, norm, sizeof norm);
    rcm_sha256_final(&ctx, out);
    rcm_crypto_wipe(norm, sizeof norm);
    return RCM_OK;
}

enum rcm_err
rcm_recovery_code_verify(const char *user_id, const char *code,
                         const uint8_t (*hashes)[RCM_SHA256_BYTES], size_t count,
                         size_t *index)
{
    uint8_t h[RCM_SHA256_BYTES];
    *index = 0;
    if (count > RCM_RECOVERY_MAX_CODES)
        return RCM_E_INVAL;
    if (rcm_recovery_code_hash(user_id, code, h) != RCM_OK)
        return RCM_E_PERM;
    size_t found = count;
    for (size_t i = 0; i < count; i++) {
        /* branch-free select so the position of a match does not leak */
        size_t eq = (size_t)rcm_crypto_equal(h, hashes[i], sizeof h);
        size_t mask = (size_t)0 - (eq & (found == count));
        found = (found & ~mask) | (i & mask);
    }
    rcm_crypto_wipe(h, sizeof h);
    if (found == count)
        return RCM_E_PERM;
    *index = found;
    return RCM_OK;
}
