/*
 * crypto_totp.c — HOTP (RFC 4226) and TOTP (RFC 6238) with the window and
 * replay policy, base32 (RFC 4648) and the otpauth:// enrolment URI.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "rcm/crypto.h"
#include "rcm/str.h"

struct rcm_totp_params
rcm_totp_params_default(void)
{
    return (struct rcm_totp_params){
        .alg = RCM_TOTP_SHA1, .digits = 6, .step_s = 30, .t0_s = 0, .window = 1};
}

void
rcm_totp_secret_new(uint8_t out[RCM_TOTP_SECRET_BYTES])
{
    rcm_random_bytes(out, RCM_TOTP_SECRET_BYTES);
}

static const EVP_MD *
alg_md(enum rcm_totp_alg alg)
{
    switch (alg) {
    case RCM_TOTP_SHA1: return EVP_sha1();
    case RCM_TOTP_SHA256: return EVP_sha256();
    case RCM_TOTP_SHA512: return EVP_sha512();
    }
    return NULL;
}

static const char *
alg_name(enum rcm_totp_alg alg)
{
    return alg == RCM_TOTP_SHA256 ? "SHA256" : alg == RCM_TOTP_SHA512 ? "SHA512" : "SHA1";
}

enum rcm_err
rcm_hotp(const uint8_t *secret, size_t secret_len, enum rcm_totp_alg alg, uint64_t counter,
         unsigned digits, char out[9])
{
    static const uint32_t mod[] = {1000000, 10000000, 100000000};
    out[0] = '\0';
    const EVP_MD *md = alg_md(alg);
    if (!md || digits < 6 || digits > 8 || secret_len < RCM_TOTP_SECRET_MIN_BYTES ||
        secret_len > RCM_TOTP_SECRET_MAX_BYTES)
        return RCM_E_INVAL;
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    for (int i = 7; i >= 0; i--, counter >>= 8)
        msg[i] = (uint8_t)counter;
    unsigned int mac_len = 0;
    if (!HMAC(md, secret, (int)secret_len, msg, sizeof msg, mac, &mac_len))
        return RCM_E_CRYPTO;
    unsigned off = mac[mac_len - 1] & 0x0f;    /* dynamic truncation */
    uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                   (uint32_t)mac[off + 2] << 8 | mac[off + 3];
    rcm_crypto_wipe(mac, sizeof mac);
    uint32_t v = bin % mod[digits - 6];
    for (unsigned i = digits; i-- > 0; v /= 10)
        out[i] = (char)('0' + v % 10);
    out[digits] = '\0';
    return RCM_OK;
}

int64_t
rcm_totp_step(const struct rcm_totp_params *params, int64_t unix_s)
{
    if (params->step_s == 0 || unix_s < params->t0_s)
        return -1;
    return (unix_s - params->t0_s) / (int64_t)params->step_s;
}

enum rcm_err
rcm_totp_code(const uint8_t *secret, size_t secret_len, const struct rcm_totp_params *params,
              int64_t unix_s, char out[9])
{
    int64_t step = rcm_totp_step(params, unix_s);
    if (step < 0) {
        out[0] = '\0';
        return RCM_E_INVAL;
    }
    return rcm_hotp(secret, secret_len, params->alg, (uint64_t)step, params->digits, out);
}

/* True when code is exactly `digits` ASCII digits. */
static bool
code_well_formed(const char *code, unsigned digits)
{
    size_t n = code ? strlen(code) : 0;
    if (n != digits)
        return false;
    for (size_t i = 0; i < n; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

enum rcm_err
rcm_totp_verify(const uint8_t *secret, size_t secret_len, const struct rcm_totp_params *params,
                const char *code, int64_t now_s, int64_t last_step, int64_t *accepted_step)
{
    *accepted_step = -1;
    int64_t now_step = rcm_totp_step(params, now_s);
    if (now_step < 0 || params->window > 10 || params->digits < 6 || params->digits > 8 ||
        !alg_md(params->alg) || secret_len < RCM_TOTP_SECRET_MIN_BYTES ||
        secret_len > RCM_TOTP_SECRET_MAX_BYTES)
        return RCM_E_INVAL;
    bool well_formed = code_well_formed(code, params->digits);
    char padded[9] = {0};
    if (well_formed)
        memcpy(padded, code, params->digits);
    /* Compare against every step in the window, newest wins; no early exit. */
    int64_t match = -1;
    bool replay = false;
    for (int64_t d = -(int64_t)params->window; d <= (int64_t)params->window; d++) {
        int64_t step = now_step + d;
        char want[9] = {0};
        if (step < 0 || rcm_hotp(secret, secret_len, params->alg, (uint64_t)step,
                                 params->digits, want) != RCM_OK)
            continue;
        bool eq = rcm_crypto_equal(want, padded, sizeof want);
        rcm_crypto_wipe(want, sizeof want);
        if (eq && step > last_step)
            match = step;
        else if (eq)
            replay = true;
    }
    if (!well_formed)
        return RCM_E_PERM;
    if (match >= 0) {
        *accepted_step = match;
        return RCM_OK;
    }
    return replay ? RCM_E_CONFLICT : RCM_E_PERM;
}

/* ---- base32 (RFC 4648 §6) ---------------------------------------------- */

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t
rcm_base32_encoded_len(size_t n, bool pad)
{
    return pad ? (n + 4) / 5 * 8 : (n * 8 + 4) / 5;
}

void
rcm_base32_encode(const uint8_t *p, size_t n, bool pad, char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8 | p[i]) & 0xFFFF;
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    while (pad && o % 8)
        out[o++] = '=';
    out[o] = '\0';
}

static int
b32_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

enum rcm_err
rcm_base32_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    size_t data = n;
    while (data > 0 && in[data - 1] == '=')
        data--;
    /* valid unpadded lengths mod 8: 0, 2, 4, 5, 7; padding completes a block */
    size_t rem = data % 8;
    if (rem == 1 || rem == 3 || rem == 6 || (n != data && n % 8 != 0) || n - data > 6)
        return RCM_E_PARSE;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < data; i++) {
        int v = b32_value(in[i]);
        if (v < 0)
            goto bad;
        acc = (acc << 5 | (uint32_t)v) & 0xFFFF;
        bits += 5;
        if (bits >= 8) {
            if (o >= out_cap) {
                rcm_crypto_wipe(out, out_cap);
                return RCM_E_TOO_LARGE;
            }
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        goto bad;           /* non-canonical trailing bits */
    *out_len = o;
    return RCM_OK;
bad:
    if (out_cap)
        rcm_crypto_wipe(out, out_cap);
    return RCM_E_PARSE;
}

/* ---- otpauth:// URI ----------------------------------------------------- */

/* Percent-encode s (RFC 3986: unreserved kept) at out+*o; false if full. */
static bool
pct_encode(const char *s, char *out, size_t cap, size_t *o)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        size_t need = keep ? 1 : 3;
        if (*o + need + 1 > cap)
            return false;
        if (keep) {
            out[(*o)++] = (char)c;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[c >> 4];
            out[(*o)++] = hex[c & 15];
        }
    }
    out[*o] = '\0';
    return true;
}

/* Append a literal at out+*o; false if full. */
static bool
lit(const char *s, char *out, size_t cap, size_t *o)
{
    size_t n = strlen(s);
    if (*o + n + 1 > cap)
        return false;
    memcpy(out + *o, s, n + 1);
    *o += n;
    return true;
}

static bool
label_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 128 && rcm_utf8_valid(s, n);
}

enum rcm_err
rcm_totp_uri(const uint8_t *secret, size_t secret_len, const struct rcm_totp_params *params,
             const char *issuer, const char *account, char *out, size_t out_cap)
{
    if (out_cap)
        out[0] = '\0';
    if (!label_ok(issuer) || !label_ok(account) || secret_len < RCM_TOTP_SECRET_MIN_BYTES ||
        secret_len > RCM_TOTP_SECRET_MAX_BYTES || params->digits < 6 || params->digits > 8 ||
        params->step_s == 0 || params->t0_s != 0 || !alg_md(params->alg))
        return RCM_E_INVAL;
    char b32[RCM_TOTP_SECRET_MAX_BYTES * 8 / 5 + 2];
    rcm_base32_encode(secret, secret_len, false, b32);
    char tail[96];
    snprintf(tail, sizeof tail, "&algorithm=%s&digits=%u&period=%u", alg_name(params->alg),
             params->digits, params->step_s);
    size_t o = 0;
    bool ok = lit("otpauth://totp/", out, out_cap, &o) && pct_encode(issuer, out, out_cap, &o) &&
              lit(":", out, out_cap, &o) && pct_encode(account, out, out_cap, &o) &&
              lit("?secret=", out, out_cap, &o) && lit(b32, out, out_cap, &o) &&
              lit("&issuer=", out, out_cap, &o) && pct_encode(issuer, out, out_cap, &o) &&
              lit(tail, out, out_cap, &o);
    rcm_crypto_wipe(b32, sizeof b32);
    if (!ok) {
        if (out_cap)
            rcm_crypto_wipe(out, out_cap);
        return RCM_E_TOO_LARGE;
    }
    return RCM_OK;
}
