/*
 * date.c — civil dates as day numbers (Howard Hinnant's days_from_civil
 * algorithm), ISO-8601 and CCYYMMDD text, timestamps.
 */
#include "rcm/date.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

bool
rcm_date_valid_ymd(int year, int month, int day)
{
    return year >= 1 && year <= 9999 && month >= 1 && month <= 12 &&
           day >= 1 && day <= days_in_month(year, month);
}

int32_t
rcm_date_from_ymd(int year, int month, int day)
{
    int y = month <= 2 ? year - 1 : year;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
rcm_date_to_ymd(int32_t days, int *year, int *month, int *day)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

/* Parse exactly `n` ASCII digits. */
static bool
digits(const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static enum rcm_err
from_parts(int y, int m, int d, int32_t *days)
{
    if (!rcm_date_valid_ymd(y, m, d))
        return RCM_E_RANGE;
    *days = rcm_date_from_ymd(y, m, d);
    return RCM_OK;
}

enum rcm_err
rcm_date_parse_iso(struct rcm_str s, int32_t *days)
{
    int y, m, d;
    if (s.n != 10 || s.p[4] != '-' || s.p[7] != '-' || !digits(s.p, 4, &y) ||
        !digits(s.p + 5, 2, &m) || !digits(s.p + 8, 2, &d))
        return RCM_E_PARSE;
    return from_parts(y, m, d, days);
}

enum rcm_err
rcm_date_parse_ccyymmdd(struct rcm_str s, int32_t *days)
{
    int y, m, d;
    if (s.n != 8 || !digits(s.p, 4, &y) || !digits(s.p + 4, 2, &m) ||
        !digits(s.p + 6, 2, &d))
        return RCM_E_PARSE;
    return from_parts(y, m, d, days);
}

void
rcm_date_format_iso(int32_t days, char *out)
{
    int y, m, d;
    char tmp[32];
    rcm_date_to_ymd(days, &y, &m, &d);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, RCM_DATE_ISO_LEN + 1);
}

void
rcm_date_format_ccyymmdd(int32_t days, char *out)
{
    int y, m, d;
    char tmp[32];
    rcm_date_to_ymd(days, &y, &m, &d);
    snprintf(tmp, sizeof tmp, "%04d%02d%02d", y % 10000, m, d);
    memcpy(out, tmp, 9);
}

int
rcm_date_age_years(int32_t birth, int32_t on)
{
    int by, bm, bd, oy, om, od;
    rcm_date_to_ymd(birth, &by, &bm, &bd);
    rcm_date_to_ymd(on, &oy, &om, &od);
    int age = oy - by;
    if (om < bm || (om == bm && od < bd))
        age--;
    if (on < birth && age >= 0)
        age = -1;
    return age;
}

int64_t
rcm_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
rcm_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t
rcm_date_today_utc(void)
{
    int64_t ms = rcm_time_now_ms();
    return (int32_t)(ms / 86400000);
}

void
rcm_time_format_iso(int64_t epoch_ms, char *out)
{
    int64_t secs = epoch_ms / 1000;
    int ms = (int)(epoch_ms % 1000);
    int32_t days = (int32_t)(secs / 86400);
    int sod = (int)(secs % 86400);
    int y, m, d;
    char tmp[64];
    rcm_date_to_ymd(days, &y, &m, &d);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             y % 10000, m, d, sod / 3600, sod / 60 % 60, sod % 60, ms);
    memcpy(out, tmp, RCM_TIME_ISO_LEN + 1);
}
