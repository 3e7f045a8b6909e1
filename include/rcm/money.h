/*
 * rcm/money.h — money as int64_t cents, never floating point.
 *
 * Text form is a decimal with at most two fraction digits ("125", "125.5",
 * "-125.50"), the form X12 uses for amounts (R type) and JSON carries as an
 * integer number of cents.
 */
#ifndef RCM_MONEY_H
#define RCM_MONEY_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/str.h"

/* Longest formatted amount: "-92233720368547758.08" + NUL. */
#define RCM_MONEY_FMT_MAX 24

/* RCM_E_PARSE for anything but [-]digits[.d[d]]; RCM_E_RANGE on overflow. */
RCM_MUST_CHECK enum rcm_err rcm_money_parse(struct rcm_str s, int64_t *cents);
/* "-12.30" style, always two decimals; returns the length written. */
int rcm_money_format(int64_t cents, char *out);
/* X12 style: no trailing zero decimals ("12.3", "12", "-0.05"). */
int rcm_money_format_x12(int64_t cents, char *out);
/* Overflow-checked sum: false (and *out untouched) on overflow. */
RCM_MUST_CHECK bool rcm_money_add(int64_t a, int64_t b, int64_t *out);

#endif
