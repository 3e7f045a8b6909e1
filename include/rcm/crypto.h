/*
 * rcm/crypto.h — every cryptographic operation openrcm performs, behind one
 * header so a FIPS-validated provider could be swapped in underneath.
 *
 * Hashes, MACs, randomness and AEAD use OpenSSL 3 libcrypto; password
 * hashing uses libsodium (Argon2id). Functions fail closed: on any failure
 * outputs are wiped and an error returned. Fixed-size outputs go into
 * caller-provided buffers; nothing here allocates on a hot path.
 */
#ifndef RCM_CRYPTO_H
#define RCM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

#define RCM_SHA256_BYTES 32
#define RCM_TOKEN_BYTES 32          /* 256-bit opaque tokens */
#define RCM_TOKEN_TEXT_LEN 43       /* base64url without padding */

/* ---- hashes, MACs, randomness (crypto_hash.c) ------------------------- */

/* Fill buf with n bytes from the system CSPRNG. Aborts the process if the
 * CSPRNG fails (continuing without randomness would be worse). */
void rcm_random_bytes(void *buf, size_t n);

void rcm_sha256(const void *p, size_t n, uint8_t out[RCM_SHA256_BYTES]);

/* Incremental SHA-256 for hashing several pieces without copying. */
struct rcm_sha256_ctx {
    void *md;                       /* EVP_MD_CTX */
};
RCM_MUST_CHECK enum rcm_err rcm_sha256_init(struct rcm_sha256_ctx *ctx);
void rcm_sha256_update(struct rcm_sha256_ctx *ctx, const void *p, size_t n);
void rcm_sha256_final(struct rcm_sha256_ctx *ctx, uint8_t out[RCM_SHA256_BYTES]);

void rcm_hmac_sha256(const uint8_t *key, size_t key_len, const void *p, size_t n,
                     uint8_t out[RCM_SHA256_BYTES]);

/* Constant-time comparison of two n-byte buffers. */
bool rcm_crypto_equal(const void *a, const void *b, size_t n);

/* Overwrite n bytes in a way the compiler cannot elide. */
void rcm_crypto_wipe(void *p, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void rcm_hex_encode(const uint8_t *p, size_t n, char *out);
/* Parse exactly 2n hex digits into out; RCM_E_PARSE otherwise. */
RCM_MUST_CHECK enum rcm_err rcm_hex_decode(const char *hex, uint8_t *out, size_t n);

/*
 * A new 256-bit opaque token as base64url text (RCM_TOKEN_TEXT_LEN chars +
 * NUL) — for sessions, API keys, CSRF. Store only rcm_token_hash() of it.
 */
void rcm_token_new(char out[RCM_TOKEN_TEXT_LEN + 1]);
/* SHA-256 of the token text, as hex (65 bytes). Tokens carry 256 bits of
 * entropy, so a fast hash is enough to make a stolen table useless. */
void rcm_token_hash(const char *token, char out_hex[2 * RCM_SHA256_BYTES + 1]);

#endif
