/*
 * err.c — names and descriptions of error codes; diagnostics.
 */
#include "rcm/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *
rcm_err_name(enum rcm_err err)
{
    switch (err) {
#define NAME_CASE(suffix, value, name, text) case RCM_##suffix: return name;
    RCM_ERRORS(NAME_CASE)
#undef NAME_CASE
    }
    return "unknown";
}

const char *
rcm_err_str(enum rcm_err err)
{
    switch (err) {
#define TEXT_CASE(suffix, value, name, text) case RCM_##suffix: return text;
    RCM_ERRORS(TEXT_CASE)
#undef TEXT_CASE
    }
    return "unknown error";
}

void
rcm_diag_clear(struct rcm_diag *diag)
{
    if (!diag)
        return;
    diag->code = RCM_OK;
    diag->offset = -1;
    diag->line = 0;
    diag->msg[0] = '\0';
}

static void RCM_PRINTF(5, 0)
diag_vset(struct rcm_diag *diag, enum rcm_err code, int64_t offset, long line,
          const char *fmt, va_list ap)
{
    diag->code = code;
    diag->offset = offset;
    diag->line = line;
    vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
}

enum rcm_err
rcm_diag_fail(struct rcm_diag *diag, enum rcm_err code, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        va_start(ap, fmt);
        diag_vset(diag, code, -1, 0, fmt, ap);
        va_end(ap);
    }
    return code;
}

enum rcm_err
rcm_diag_fail_at(struct rcm_diag *diag, enum rcm_err code, int64_t offset,
                 long line, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        va_start(ap, fmt);
        diag_vset(diag, code, offset, line, fmt, ap);
        va_end(ap);
    }
    return code;
}
