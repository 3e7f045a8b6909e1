/*
 * crypto_blind.c — keyed blind indexes for exact-match search on encrypted
 * identifiers, and the normalisers that decide what "the same value" is.
 *
 * The folding table below is frozen: changing it changes every index, so a
 * change needs a new normalisation version and a re-index.
 */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto_utf8.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/str.h"

enum rcm_err
rcm_blind_key_derive(const struct rcm_key *tenant_key, enum rcm_blind_kind kind,
                     struct rcm_key *out)
{
    char salt[] = "openrcm/blind-index/v1";
    char digest[] = "SHA256";
    uint8_t ikm[RCM_KEY_BYTES];
    char info[16];
    rcm_key_wipe(out);
    if (kind < RCM_BLIND_MEMBER_ID || kind > RCM_BLIND_SSN)
        return RCM_E_INVAL;
    int info_len = snprintf(info, sizeof info, "%d", (int)kind);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!ctx)
        return RCM_E_NOMEM;
    memcpy(ikm, tenant_key->bytes, sizeof ikm);     /* OSSL_PARAM wants non-const */
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, sizeof ikm),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof salt - 1),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, (size_t)info_len),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(ctx, out->bytes, RCM_KEY_BYTES, params);
    EVP_KDF_CTX_free(ctx);
    rcm_crypto_wipe(ikm, sizeof ikm);
    if (ok != 1) {
        rcm_key_wipe(out);
        return RCM_E_CRYPTO;
    }
    out->key_id = rcm_key_id_of(out->bytes);
    return RCM_OK;
}

void
rcm_blind_index(const struct rcm_key *bkey, const char *normalised, size_t n,
                uint8_t out[RCM_BLIND_INDEX_BYTES])
{
    uint8_t mac[RCM_SHA256_BYTES];
    rcm_hmac_sha256(bkey->bytes, RCM_KEY_BYTES, normalised, n, mac);
    memcpy(out, mac, RCM_BLIND_INDEX_BYTES);
    rcm_crypto_wipe(mac, sizeof mac);
}

enum rcm_err
rcm_blind_norm_id(const char *in, size_t n, char *out, size_t out_cap, size_t *out_len)
{
    size_t o = 0;
    *out_len = 0;
    if (out_cap == 0)
        return RCM_E_TOO_LARGE;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            rcm_crypto_wipe(out, out_cap);
            return RCM_E_INVAL;
        }
        if (o + 1 >= out_cap) {
            rcm_crypto_wipe(out, out_cap);
            return RCM_E_TOO_LARGE;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (o == 0)
        return RCM_E_INVAL;
    *out_len = o;
    return RCM_OK;
}

/*
 * Folding of U+00C0..U+017F to lower-case ASCII; "" drops the character
 * (× and ÷). Frozen (normalisation v1).
 */
static const char *const latin_fold[0x180 - 0xC0] = {
    /* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* D0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    /* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    /* 100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    /* 110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    /* 120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    /* 130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    /* 140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    /* 150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    /* 160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    /* 170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

/* True for code points dropped from names: combining marks and punctuation
 * or spaces outside ASCII (Latin-1 symbols, general punctuation, ideographic
 * space). */
static bool
name_drop(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x00A0 && cp <= 0x00BF) ||
           (cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF;
}

/* Append n bytes to out at *o, keeping room for a NUL. */
static bool
put(char *out, size_t cap, size_t *o, const char *p, size_t n)
{
    if (*o + n + 1 > cap)
        return false;
    memcpy(out + *o, p, n);
    *o += n;
    return true;
}

/* Fold one name into out at *o (see rcm_blind_norm_name_dob). */
static enum rcm_err
fold_name(const char *name, char *out, size_t cap, size_t *o)
{
    size_t n = name ? strlen(name) : 0;
    if (!rcm_utf8_valid(name ? name : "", n))
        return RCM_E_INVAL;
    size_t start = *o;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = crypto_utf8_next(name, n, i, &cp);
        bool ok = true;
        if (cp < 0x80) {
            char c = (char)cp;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                ok = put(out, cap, o, &c, 1);
        } else if (cp >= 0xC0 && cp < 0x180) {
            const char *f = latin_fold[cp - 0xC0];
            ok = put(out, cap, o, f, strlen(f));
        } else if (!name_drop(cp)) {
            ok = put(out, cap, o, name + i, len);
        }
        if (!ok)
            return RCM_E_TOO_LARGE;
        i += len;
    }
    return *o > start ? RCM_OK : RCM_E_INVAL;
}

enum rcm_err
rcm_blind_norm_name_dob(const char *last, const char *first, int32_t dob_days, char *out,
                        size_t out_cap, size_t *out_len)
{
    size_t o = 0;
    int y, m, d;
    *out_len = 0;
    rcm_date_to_ymd(dob_days, &y, &m, &d);
    enum rcm_err err = (y < 1800 || y > 9999) ? RCM_E_INVAL : RCM_OK;
    if (err == RCM_OK)
        err = fold_name(last, out, out_cap, &o);
    if (err == RCM_OK)
        err = put(out, out_cap, &o, "|", 1) ? RCM_OK : RCM_E_TOO_LARGE;
    if (err == RCM_OK)
        err = fold_name(first, out, out_cap, &o);
    char iso[RCM_DATE_ISO_LEN + 2] = "|";
    if (err == RCM_OK) {
        rcm_date_format_iso(dob_days, iso + 1);
        err = put(out, out_cap, &o, iso, RCM_DATE_ISO_LEN + 1) ? RCM_OK : RCM_E_TOO_LARGE;
    }
    if (err != RCM_OK) {
        if (out_cap)
            rcm_crypto_wipe(out, out_cap);
        return err;
    }
    out[o] = '\0';
    *out_len = o;
    return RCM_OK;
}
