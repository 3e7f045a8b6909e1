/*
 * money.c — decimal text <-> int64 cents, overflow-checked.
 */
#include "rcm/money.h"

#include <stdio.h>

enum rcm_err
rcm_money_parse(struct rcm_str s, int64_t *cents)
{
    size_t i = 0;
    bool neg = false;
    if (s.n && s.p[0] == '-') {
        neg = true;
        i++;
    }
    uint64_t whole = 0;
    size_t int_digits = 0;
    for (; i < s.n && s.p[i] != '.'; i++, int_digits++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return RCM_E_PARSE;
        whole = whole * 10 + (uint64_t)(s.p[i] - '0');
        if (whole > (uint64_t)INT64_MAX / 100)
            return RCM_E_RANGE;
    }
    uint64_t frac = 0;
    size_t frac_digits = 0;
    if (i < s.n) {          /* at the '.' */
        for (i++; i < s.n; i++, frac_digits++) {
            if (s.p[i] < '0' || s.p[i] > '9' || frac_digits == 2)
                return RCM_E_PARSE;
            frac = frac * 10 + (uint64_t)(s.p[i] - '0');
        }
        if (frac_digits == 0)
            return RCM_E_PARSE;     /* "12." */
        if (frac_digits == 1)
            frac *= 10;
    }
    if (int_digits == 0 && frac_digits == 0)
        return RCM_E_PARSE;
    uint64_t v = whole * 100 + frac;
    if (v > (uint64_t)INT64_MAX)
        return RCM_E_RANGE;
    *cents = neg ? -(int64_t)v : (int64_t)v;
    return RCM_OK;
}

/* Split into sign, whole units and cents without overflowing on INT64_MIN. */
static void
split(int64_t cents, const char **sign, uint64_t *whole, unsigned *frac)
{
    uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    *sign = cents < 0 ? "-" : "";
    *whole = mag / 100;
    *frac = (unsigned)(mag % 100);
}

int
rcm_money_format(int64_t cents, char *out)
{
    const char *sign;
    uint64_t whole;
    unsigned frac;
    split(cents, &sign, &whole, &frac);
    return snprintf(out, RCM_MONEY_FMT_MAX, "%s%llu.%02u", sign,
                    (unsigned long long)whole, frac);
}

int
rcm_money_format_x12(int64_t cents, char *out)
{
    const char *sign;
    uint64_t whole;
    unsigned frac;
    split(cents, &sign, &whole, &frac);
    if (frac == 0)
        return snprintf(out, RCM_MONEY_FMT_MAX, "%s%llu", sign,
                        (unsigned long long)whole);
    if (frac % 10 == 0)
        return snprintf(out, RCM_MONEY_FMT_MAX, "%s%llu.%u", sign,
                        (unsigned long long)whole, frac / 10);
    return snprintf(out, RCM_MONEY_FMT_MAX, "%s%llu.%02u", sign,
                    (unsigned long long)whole, frac);
}

bool
rcm_money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}
