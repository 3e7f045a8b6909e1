/*
 * rcm/err.h — error codes and diagnostics shared by every module.
 *
 * Fallible functions return enum rcm_err (RCM_OK = 0, errors negative) and
 * hand results back through out-parameters. Detail for a human — what failed,
 * where in the input — goes into an optional struct rcm_diag the caller owns.
 * Diagnostics must never contain patient data: callers format ids, offsets
 * and field names, never field values of PHI.
 *
 * Validation problems (X12 findings, claim edits) are data, not errors.
 */
#ifndef RCM_ERR_H
#define RCM_ERR_H

#include <stdint.h>

#define RCM_MUST_CHECK __attribute__((warn_unused_result))
#define RCM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* X(enum suffix, value, stable name, description) */
#define RCM_ERRORS(X)                                                   \
    X(OK, 0, "ok", "success")                                           \
    X(E_NOMEM, -1, "out_of_memory", "out of memory")                    \
    X(E_INVAL, -2, "invalid", "invalid argument or input")              \
    X(E_TOO_LARGE, -3, "too_large", "input exceeds a size limit")       \
    X(E_PARSE, -4, "parse", "malformed input")                          \
    X(E_IO, -5, "io", "input/output error")                             \
    X(E_DB, -6, "database", "database error")                           \
    X(E_CRYPTO, -7, "crypto", "cryptographic failure")                  \
    X(E_CONFLICT, -8, "conflict", "conflicts with existing state")      \
    X(E_NOT_FOUND, -9, "not_found", "not found")                        \
    X(E_PERM, -10, "permission", "permission denied")                   \
    X(E_RANGE, -11, "range", "value out of range")                      \
    X(E_BUSY, -12, "busy", "resource busy")                             \
    X(E_UNSUPPORTED, -13, "unsupported", "not supported")               \
    X(E_CONFIG, -14, "config", "invalid configuration")                 \
    X(E_INTERNAL, -15, "internal", "internal error")                    \
    X(E_STOPPED, -16, "stopped", "stopped on request before finishing")

enum rcm_err {
#define RCM_ERR_ENUM(suffix, value, name, text) RCM_##suffix = value,
    RCM_ERRORS(RCM_ERR_ENUM)
#undef RCM_ERR_ENUM
};

/* Stable machine name ("too_large"); "unknown" for a value not in the list. */
const char *rcm_err_name(enum rcm_err err);
/* Short human description ("input exceeds a size limit"). */
const char *rcm_err_str(enum rcm_err err);

#define RCM_DIAG_MSG_MAX 256

/*
 * Detail about the last failure. `offset` is a byte offset into the input
 * (-1 when not applicable), `line` a 1-based line number (0 when not
 * applicable). Initialise with RCM_DIAG_INIT or rcm_diag_clear().
 */
struct rcm_diag {
    enum rcm_err code;
    int64_t offset;
    long line;
    char msg[RCM_DIAG_MSG_MAX];
};

#define RCM_DIAG_INIT {RCM_OK, -1, 0, {0}}

void rcm_diag_clear(struct rcm_diag *diag);

/*
 * Record `code` and a formatted message in `diag` (which may be NULL) and
 * return `code`, so a failing path can read `return rcm_diag_fail(d, ...)`.
 * Messages follow git: lowercase, no trailing period, what failed first.
 */
enum rcm_err rcm_diag_fail(struct rcm_diag *diag, enum rcm_err code,
                           const char *fmt, ...) RCM_PRINTF(3, 4);

/* Same, also recording a byte offset and/or line number (pass -1 / 0 to skip). */
enum rcm_err rcm_diag_fail_at(struct rcm_diag *diag, enum rcm_err code,
                              int64_t offset, long line, const char *fmt, ...)
    RCM_PRINTF(5, 6);

#endif
