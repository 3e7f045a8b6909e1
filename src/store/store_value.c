/*
 * store_value.c — what a field's value may be: one checker for every
 * record kind (rcm/record.h) and for patients (rcm/patient.h). Messages
 * name the field and what it must be, never the value.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/codes.h"
#include "rcm/date.h"
#include "rcm/record.h"
#include "rcm/str.h"

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Keep the digits of s, allowing only the characters in `punct` besides;
 * false when anything else appears or the digit count is outside lo..hi. */
static bool
digits_only(struct rcm_str s, const char *punct, size_t lo, size_t hi, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (is_digit(s.p[i])) {
            if (n == hi)
                return false;
            out[n++] = s.p[i];
        } else if (!strchr(punct, s.p[i]) || s.p[i] == '\0') {
            return false;
        }
    }
    out[n] = '\0';
    return n >= lo;
}

static bool
printable_text(struct rcm_str s)
{
    if (!rcm_utf8_valid(s.p, s.n))
        return false;
    for (size_t i = 0; i < s.n; i++)
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            return false;
    return true;
}

/* s is one of the '|'-separated words of choices. */
static bool
is_choice(const char *choices, struct rcm_str s)
{
    struct rcm_str rest = rcm_str_c(choices ? choices : ""), word;
    while (rcm_str_split_next(&rest, '|', &word))
        if (word.n == s.n && memcmp(word.p, s.p, s.n) == 0)
            return true;
    return false;
}

/* Letters and digits only, min..max of them, upper-cased into out. */
static bool
upper_code(struct rcm_str s, size_t min, size_t max, char *out)
{
    if (s.n < min || s.n > max)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!is_digit(c) && !(c >= 'A' && c <= 'Z'))
            return false;
        out[i] = c;
    }
    out[s.n] = '\0';
    return true;
}

/* An ICD-10-CM code as written in claims: the dot after the category is
 * dropped (X12 HI carries no dot); whether the code exists is the
 * scrubber's question, not this one. */
static bool
icd10_shape(struct rcm_str s, char *out)
{
    char flat[16];
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '.' && i == 3)
            continue;
        if (n == sizeof flat - 1)
            return false;
        flat[n++] = s.p[i];
    }
    if (!upper_code((struct rcm_str){flat, n}, 3, 7, out))
        return false;
    return out[0] >= 'A' && out[0] <= 'Z' && is_digit(out[1]);
}

enum rcm_err
rcm_value_check(const struct rcm_field *f, const char *value,
                char out[RCM_RECORD_VALUE_MAX + 1], struct rcm_diag *diag)
{
    out[0] = '\0';
    if (!value)
        return rcm_diag_fail(diag, RCM_E_INVAL, "%s has no value", f->name);
    const char *name = f->name;
    struct rcm_str s = rcm_str_trim(rcm_str_c(value));
    if (s.n > RCM_RECORD_VALUE_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "%s is longer than %d bytes", name,
                             RCM_RECORD_VALUE_MAX);
    bool ok = true;
    const char *want = "";
    switch (f->kind) {
    case RCM_PK_TEXT:
    case RCM_PK_NAME:
        ok = printable_text(s) && rcm_str_copy(out, RCM_RECORD_VALUE_MAX + 1, s);
        want = "printable text";
        break;
    case RCM_PK_DATE: {
        int32_t days = 0;
        ok = rcm_date_parse_iso(s, &days) == RCM_OK && days <= rcm_date_today_utc() &&
             days >= rcm_date_from_ymd(1850, 1, 1);
        if (ok)
            rcm_date_format_iso(days, out);
        want = "a date YYYY-MM-DD, not in the future";
        break;
    }
    case RCM_PK_DAY: {
        int32_t days = 0;
        ok = rcm_date_parse_iso(s, &days) == RCM_OK && days >= rcm_date_from_ymd(1850, 1, 1) &&
             days <= rcm_date_from_ymd(2199, 12, 31);
        if (ok)
            rcm_date_format_iso(days, out);
        want = "a date YYYY-MM-DD";
        break;
    }
    case RCM_PK_SEX:
        ok = s.n == 1 && (s.p[0] == 'F' || s.p[0] == 'M' || s.p[0] == 'U');
        if (ok)
            rcm_str_copy(out, RCM_RECORD_VALUE_MAX + 1, s);
        want = "F, M or U";
        break;
    case RCM_PK_ID:
        ok = s.n >= 1 && s.n <= 80;
        for (size_t i = 0; ok && i < s.n; i++) {
            char c = s.p[i];
            ok = is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 c == '-' || c == '.' || c == '/' || c == ' ';
        }
        if (ok)
            rcm_str_copy(out, RCM_RECORD_VALUE_MAX + 1, s);
        want = "1-80 letters, digits, '-', '.', '/' or spaces";
        break;
    case RCM_PK_SSN:
        ok = digits_only(s, "- ", 9, 9, out);
        want = "nine digits";
        break;
    case RCM_PK_STATE:
        ok = s.n == 2;
        for (size_t i = 0; ok && i < 2; i++) {
            char c = s.p[i];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            ok = c >= 'A' && c <= 'Z';
            out[i] = c;
        }
        out[ok ? 2 : 0] = '\0';
        want = "a two-letter state code";
        break;
    case RCM_PK_ZIP:
        ok = digits_only(s, "-", 5, 9, out) && (strlen(out) == 5 || strlen(out) == 9);
        want = "five or nine digits";
        break;
    case RCM_PK_PHONE:
        ok = digits_only(s, "()-+. ", 10, 15, out);
        want = "10-15 digits";
        break;
    case RCM_PK_EMAIL: {
        const char *at = memchr(s.p, '@', s.n);
        ok = at && at != s.p && at != s.p + s.n - 1 && s.n <= 254 && printable_text(s) &&
             !memchr(s.p, ' ', s.n) && rcm_str_copy(out, RCM_RECORD_VALUE_MAX + 1, s);
        want = "an e-mail address";
        break;
    }
    case RCM_PK_DIGITS:
        ok = digits_only(s, "", 4, 34, out);
        want = "4-34 digits";
        break;
    case RCM_PK_CHOICE:
        ok = s.n > 0 && is_choice(f->choices, s) && rcm_str_copy(out, RCM_RECORD_VALUE_MAX + 1, s);
        want = "one of the listed values";
        break;
    case RCM_PK_DAYS: {
        int64_t days = 0;
        ok = digits_only(s, "", 1, 4, out) && rcm_str_to_i64(rcm_str_c(out), &days) == RCM_OK &&
             days >= 1 && days <= 3650;
        if (ok)
            snprintf(out, RCM_RECORD_VALUE_MAX + 1, "%lld", (long long)days);
        want = "a number of days, 1-3650";
        break;
    }
    case RCM_PK_NPI:
        ok = digits_only(s, "", 10, 10, out) && rcm_codes_npi_valid(out, 10);
        want = "ten digits with a valid NPI check digit";
        break;
    case RCM_PK_TIN:
        ok = digits_only(s, "-", 9, 9, out);
        want = "nine digits";
        break;
    case RCM_PK_TAXONOMY:
        ok = s.n == 10;
        for (size_t i = 0; ok && i < s.n; i++) {
            char c = s.p[i];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            ok = is_digit(c) || (c >= 'A' && c <= 'Z');
            out[i] = c;
        }
        out[ok ? 10 : 0] = '\0';
        want = "a ten-character taxonomy code";
        break;
    case RCM_PK_PROCEDURE:
        ok = upper_code(s, 5, 5, out);
        want = "a five-character CPT or HCPCS code";
        break;
    case RCM_PK_MODIFIER:
        ok = upper_code(s, 2, 2, out);
        want = "a two-character modifier";
        break;
    case RCM_PK_ICD10:
        ok = icd10_shape(s, out);
        want = "an ICD-10-CM code (letter, digit, then 1-5 letters or digits)";
        break;
    case RCM_PK_CENTS:
        /* at most 10^13 cents: far past any claim, well inside int64 */
        ok = digits_only(s, "", 1, 13, out);
        want = "a whole number of cents (0 or more)";
        break;
    }
    if (!ok) {
        out[0] = '\0';
        return rcm_diag_fail(diag, RCM_E_INVAL, "%s must be %s", name, want);
    }
    return RCM_OK;
}

bool
rcm_field_is_integer(const struct rcm_field *f)
{
    return f->kind == RCM_PK_CENTS || f->kind == RCM_PK_DAYS;
}
