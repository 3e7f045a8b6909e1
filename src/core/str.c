/*
 * str.c — string slices, strict integer parsing, UTF-8 validation.
 */
#include "rcm/str.h"

#include <stdint.h>

bool
rcm_str_eq(struct rcm_str a, struct rcm_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool
rcm_str_eq_c(struct rcm_str a, const char *b)
{
    return rcm_str_eq(a, rcm_str_c(b));
}

static char
lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool
rcm_str_case_eq_c(struct rcm_str a, const char *b)
{
    size_t n = strlen(b);
    if (a.n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a.p[i]) != lower(b[i]))
            return false;
    return true;
}

bool
rcm_str_starts_with(struct rcm_str s, struct rcm_str prefix)
{
    return s.n >= prefix.n && memcmp(s.p, prefix.p, prefix.n) == 0;
}

struct rcm_str
rcm_str_trim(struct rcm_str s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

bool
rcm_str_split_next(struct rcm_str *rest, char sep, struct rcm_str *tok)
{
    if (!rest->p)
        return false;
    const char *end = rest->n ? memchr(rest->p, sep, rest->n) : NULL;
    if (!end) {
        *tok = *rest;
        rest->p = NULL;
        rest->n = 0;
        return true;
    }
    tok->p = rest->p;
    tok->n = (size_t)(end - rest->p);
    rest->n -= tok->n + 1;
    rest->p = end + 1;
    return true;
}

enum rcm_err
rcm_str_to_i64(struct rcm_str s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (s.n && s.p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == s.n)
        return RCM_E_PARSE;
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.n; i++) {
        char c = s.p[i];
        if (c < '0' || c > '9')
            return RCM_E_PARSE;
        unsigned d = (unsigned)(c - '0');
        if (v > (limit - d) / 10)
            return RCM_E_RANGE;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return RCM_OK;
}

size_t
rcm_utf8_valid_prefix(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned min;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2; min = 0x80; cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3; min = 0x800; cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4; min = 0x10000; cp = c & 0x07;
        } else {
            return i;
        }
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

bool
rcm_utf8_valid(const char *p, size_t n)
{
    return rcm_utf8_valid_prefix(p, n) == n;
}

bool
rcm_str_copy(char *dst, size_t dst_size, struct rcm_str s)
{
    if (dst_size == 0)
        return false;
    size_t n = s.n < dst_size - 1 ? s.n : dst_size - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
    return n == s.n;
}

enum rcm_err
rcm_field_check_len(const char *field, const char *value, size_t max_bytes,
                    struct rcm_diag *diag)
{
    size_t n = strlen(value);
    if (n > max_bytes)
        return rcm_diag_fail(diag, RCM_E_INVAL,
                             "%s is longer than its limit of %zu bytes (%zu sent); nothing "
                             "is cut, send at most %zu bytes",
                             field, max_bytes, n, max_bytes);
    return RCM_OK;
}
