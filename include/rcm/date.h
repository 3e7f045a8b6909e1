/*
 * rcm/date.h — calendar dates and timestamps.
 *
 * Dates are int32_t days since 1970-01-01 (proleptic Gregorian, no time
 * zone): they compare and subtract as integers. ISO-8601 (YYYY-MM-DD) at the
 * edges, CCYYMMDD in X12. Years 1 to 9999 are accepted.
 */
#ifndef RCM_DATE_H
#define RCM_DATE_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/str.h"

#define RCM_DATE_ISO_LEN 10     /* "YYYY-MM-DD" */
#define RCM_TIME_ISO_LEN 24     /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */

bool rcm_date_valid_ymd(int year, int month, int day);
/* Days since 1970-01-01 for a valid y/m/d (caller checks validity). */
int32_t rcm_date_from_ymd(int year, int month, int day);
void rcm_date_to_ymd(int32_t days, int *year, int *month, int *day);

RCM_MUST_CHECK enum rcm_err rcm_date_parse_iso(struct rcm_str s, int32_t *days);
RCM_MUST_CHECK enum rcm_err rcm_date_parse_ccyymmdd(struct rcm_str s,
                                                    int32_t *days);
/* Write "YYYY-MM-DD" and a NUL into out (RCM_DATE_ISO_LEN + 1 bytes). */
void rcm_date_format_iso(int32_t days, char *out);
/* Write "CCYYMMDD" and a NUL into out (9 bytes). */
void rcm_date_format_ccyymmdd(int32_t days, char *out);

/* Whole years from `birth` to `on` (birthday counted on its day; Feb 29
 * birthdays advance on Mar 1 in common years). Negative if on < birth. */
int rcm_date_age_years(int32_t birth, int32_t on);

int32_t rcm_date_today_utc(void);
/* Wall-clock milliseconds since the epoch (UTC). */
int64_t rcm_time_now_ms(void);
/* Monotonic milliseconds, for durations and timeouts. */
int64_t rcm_time_mono_ms(void);
/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" and a NUL (RCM_TIME_ISO_LEN + 1 bytes). */
void rcm_time_format_iso(int64_t epoch_ms, char *out);

#endif
