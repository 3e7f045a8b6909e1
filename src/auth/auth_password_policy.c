/*
 * auth_password_policy.c — NIST SP 800-63B password rules: length in code
 * points (8 with a second factor, 15 as the only factor), at least 64
 * accepted (cap 256 bytes), no composition rules, and rejection of common,
 * context-derived, repetitive and sequential passwords.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

#include "rcm/auth.h"
#include "rcm/crypto.h"
#include "rcm/str.h"

static size_t
codepoints(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

static bool
has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

/* The whole password is one unit of 1..4 bytes repeated. */
static bool
repetitive(const char *s, size_t n)
{
    for (size_t unit = 1; unit <= 4 && unit < n; unit++) {
        if (n % unit)
            continue;
        size_t i = unit;
        while (i < n && s[i] == s[i - unit])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* The whole password is an ASCII run ascending or descending by one
 * ("12345678", "abcdefgh", "hgfedcba"). */
static bool
sequential(const char *s, size_t n)
{
    if (n < 3)
        return false;
    int step = (unsigned char)s[1] - (unsigned char)s[0];
    if (step != 1 && step != -1)
        return false;
    for (size_t i = 1; i < n; i++)
        if ((unsigned char)s[i] - (unsigned char)s[i - 1] != step)
            return false;
    return true;
}

static char
ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII): does hay[0..hn) contain needle[0..nn)? */
static bool
contains_ci(const char *hay, size_t hn, const char *needle, size_t nn)
{
    for (size_t i = 0; nn && i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && ascii_lower(hay[i + k]) == ascii_lower(needle[k]))
            k++;
        if (k == nn)
            return true;
    }
    return false;
}

/* One context word against the password: equal always rejects; contained
 * rejects when the word has at least RCM_CONTEXT_WORD_MIN_LEN bytes. */
static bool
context_hit(const char *pw, size_t n, const char *word, size_t wn)
{
    if (wn == 0)
        return false;
    if (wn == n && contains_ci(pw, n, word, wn))
        return true;
    return wn >= RCM_CONTEXT_WORD_MIN_LEN && contains_ci(pw, n, word, wn);
}

static bool
context_match(const char *pw, size_t n, const char *const *context, size_t n_context)
{
    for (size_t i = 0; i < n_context; i++) {
        const char *w = context[i];
        if (!w)
            continue;
        size_t wn = strlen(w);
        const char *at = memchr(w, '@', wn);
        if (context_hit(pw, n, w, wn) || (at && context_hit(pw, n, w, (size_t)(at - w))))
            return true;
    }
    return false;
}

enum rcm_err
rcm_auth_password_prepare(const char *raw, size_t n, char out[RCM_PASSWORD_POLICY_MAX_BYTES],
                          size_t *out_len)
{
    *out_len = 0;
    if (n > RCM_PASSWORD_POLICY_MAX_BYTES)
        return RCM_E_TOO_LARGE;
    if (!rcm_utf8_valid(raw ? raw : "", n))
        return RCM_E_PARSE;
    if (n == 0)
        return RCM_OK;
    /* NFKC expands at most 18× per code point (U+FDFA); a room of 4× plus
     * libunistring's own allocation for the rare longer case. */
    uint8_t room[4 * RCM_PASSWORD_POLICY_MAX_BYTES];
    size_t len = sizeof room;
    uint8_t *res = u8_normalize(UNINORM_NFKC, (const uint8_t *)raw, n, room, &len);
    enum rcm_err err = RCM_OK;
    if (!res)
        err = RCM_E_PARSE;
    else if (len > RCM_PASSWORD_POLICY_MAX_BYTES)
        err = RCM_E_TOO_LARGE;
    else
        memcpy(out, res, len);
    if (res && res != room) {
        rcm_crypto_wipe(res, len);
        free(res);
    }
    rcm_crypto_wipe(room, sizeof room);
    if (err != RCM_OK) {
        rcm_crypto_wipe(out, RCM_PASSWORD_POLICY_MAX_BYTES);
        return err;
    }
    *out_len = len;
    return RCM_OK;
}

/* The policy rules on a prepared (normalised) password. */
static enum rcm_pw_verdict
check_prepared(const char *password, size_t n, size_t min_codepoints, size_t *codepoints_out,
               const struct rcm_pwlist *list, const char *const *context, size_t n_context)
{
    size_t cps = codepoints(password, n);
    *codepoints_out = cps;
    if (has_control(password, n))
        return RCM_PW_CONTROL_CHAR;
    if (cps < min_codepoints)
        return RCM_PW_TOO_SHORT;
    if (list && rcm_pwlist_contains(list, password, n))
        return RCM_PW_COMMON;
    if (context_match(password, n, context, n_context))
        return RCM_PW_CONTEXT;
    if (repetitive(password, n))
        return RCM_PW_REPETITIVE;
    if (sequential(password, n))
        return RCM_PW_SEQUENTIAL;
    return RCM_PW_OK;
}

struct rcm_pw_check
rcm_auth_password_check(const char *password, size_t n, bool only_factor,
                        const struct rcm_pwlist *list, const char *const *context,
                        size_t n_context)
{
    struct rcm_pw_check r = {
        .verdict = RCM_PW_OK,
        .min_codepoints = only_factor ? RCM_PASSWORD_MIN_ONLY_FACTOR : RCM_PASSWORD_MIN_WITH_MFA,
        .codepoints = 0,
    };
    char prepared[RCM_PASSWORD_POLICY_MAX_BYTES];
    size_t len = 0;
    enum rcm_err err = rcm_auth_password_prepare(password ? password : "", password ? n : 0,
                                                 prepared, &len);
    if (err == RCM_E_TOO_LARGE)
        r.verdict = RCM_PW_TOO_LONG;
    else if (err != RCM_OK)
        r.verdict = RCM_PW_NOT_UTF8;
    else
        r.verdict = check_prepared(prepared, len, r.min_codepoints, &r.codepoints, list,
                                   context, n_context);
    rcm_crypto_wipe(prepared, sizeof prepared);
    return r;
}

const char *
rcm_pw_verdict_name(enum rcm_pw_verdict verdict)
{
    switch (verdict) {
    case RCM_PW_OK: return "ok";
    case RCM_PW_TOO_SHORT: return "too_short";
    case RCM_PW_TOO_LONG: return "too_long";
    case RCM_PW_NOT_UTF8: return "not_utf8";
    case RCM_PW_CONTROL_CHAR: return "control_character";
    case RCM_PW_COMMON: return "common";
    case RCM_PW_CONTEXT: return "context";
    case RCM_PW_REPETITIVE: return "repetitive";
    case RCM_PW_SEQUENTIAL: return "sequential";
    }
    return "unknown";
}

void
rcm_auth_password_message(const struct rcm_pw_check *check, char *out, size_t out_cap)
{
    if (!out_cap)
        return;
    switch (check->verdict) {
    case RCM_PW_OK:
        snprintf(out, out_cap, "password accepted");
        break;
    case RCM_PW_TOO_SHORT:
        snprintf(out, out_cap, "password must be at least %zu characters%s",
                 check->min_codepoints,
                 check->min_codepoints >= RCM_PASSWORD_MIN_ONLY_FACTOR
                     ? " when it is the only sign-in factor" : "");
        break;
    case RCM_PW_TOO_LONG:
        snprintf(out, out_cap, "password must be at most %d bytes",
                 RCM_PASSWORD_POLICY_MAX_BYTES);
        break;
    case RCM_PW_NOT_UTF8:
        snprintf(out, out_cap, "password is not valid UTF-8 text");
        break;
    case RCM_PW_CONTROL_CHAR:
        snprintf(out, out_cap, "password must not contain control characters");
        break;
    case RCM_PW_COMMON:
        snprintf(out, out_cap, "password is on a list of common or breached passwords");
        break;
    case RCM_PW_CONTEXT:
        snprintf(out, out_cap, "password must not contain your username or email address");
        break;
    case RCM_PW_REPETITIVE:
        snprintf(out, out_cap, "password must not be a short pattern repeated");
        break;
    case RCM_PW_SEQUENTIAL:
        snprintf(out, out_cap, "password must not be a simple run of letters or digits");
        break;
    }
}
