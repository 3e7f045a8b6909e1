/*
 * crypto_hash.c — SHA-256, HMAC-SHA-256, randomness, constant-time compare,
 * hex, opaque tokens (OpenSSL libcrypto).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/crypto.h"

void
rcm_random_bytes(void *buf, size_t n)
{
    if (n && RAND_bytes(buf, (int)n) != 1) {
        fputs("openrcm: the system random generator failed\n", stderr);
        abort();
    }
}

void
rcm_sha256(const void *p, size_t n, uint8_t out[RCM_SHA256_BYTES])
{
    unsigned int len = 0;
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
        abort();    /* only fails on allocation failure inside OpenSSL */
}

enum rcm_err
rcm_sha256_init(struct rcm_sha256_ctx *ctx)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        ctx->md = NULL;
        return RCM_E_NOMEM;
    }
    ctx->md = md;
    return RCM_OK;
}

void
rcm_sha256_update(struct rcm_sha256_ctx *ctx, const void *p, size_t n)
{
    EVP_DigestUpdate(ctx->md, p, n);
}

void
rcm_sha256_final(struct rcm_sha256_ctx *ctx, uint8_t out[RCM_SHA256_BYTES])
{
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx->md, out, &len);
    EVP_MD_CTX_free(ctx->md);
    ctx->md = NULL;
}

void
rcm_hmac_sha256(const uint8_t *key, size_t key_len, const void *p, size_t n,
                uint8_t out[RCM_SHA256_BYTES])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, p, n, out, &len))
        abort();
}

bool
rcm_crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void
rcm_crypto_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}

void
rcm_hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

enum rcm_err
rcm_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return RCM_E_PARSE;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            rcm_crypto_wipe(out, n);
            return RCM_E_PARSE;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return RCM_OK;
}

void
rcm_token_new(char out[RCM_TOKEN_TEXT_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t raw[RCM_TOKEN_BYTES + 1] = {0};    /* zero pad to a multiple of 3 */
    rcm_random_bytes(raw, RCM_TOKEN_BYTES);
    /* base64url of 32 bytes: 43 characters, the last carrying 4 bits */
    size_t o = 0;
    for (size_t i = 0; i < RCM_TOKEN_BYTES; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 0; k < 4 && o < RCM_TOKEN_TEXT_LEN; k++)
            out[o++] = alphabet[(v >> (18 - 6 * k)) & 63];
    }
    out[RCM_TOKEN_TEXT_LEN] = '\0';
    rcm_crypto_wipe(raw, sizeof raw);
}

void
rcm_token_hash(const char *token, char out_hex[2 * RCM_SHA256_BYTES + 1])
{
    uint8_t md[RCM_SHA256_BYTES];
    rcm_sha256(token, strlen(token), md);
    rcm_hex_encode(md, sizeof md, out_hex);
}
