/*
 * rcm/log.h — operational log: one JSON object per line on stderr.
 *
 *   {"ts":"2026-11-22T20:01:02.345Z","level":"info","event":"http.request",
 *    "req_id":"9f2c…","status":200,"ms":1}
 *
 * This log is for operators and must never carry PHI: log ids, counts,
 * codes and durations — never names, member ids, dates of birth, claim
 * contents or free text from requests. (The audit log is a different thing:
 * a hash-chained table, see docs/architecture.md.)
 */
#ifndef RCM_LOG_H
#define RCM_LOG_H

#include <stdint.h>

enum rcm_log_level {
    RCM_LOG_DEBUG,
    RCM_LOG_INFO,
    RCM_LOG_WARN,
    RCM_LOG_ERROR,
};

enum rcm_log_type { RCM_LOGF_STR, RCM_LOGF_INT };

struct rcm_log_field {
    const char *key;
    enum rcm_log_type type;
    const char *s;
    int64_t i;
};

#define RCM_LF_S(k, v) ((struct rcm_log_field){(k), RCM_LOGF_STR, (v), 0})
#define RCM_LF_I(k, v) ((struct rcm_log_field){(k), RCM_LOGF_INT, NULL, (v)})

/* Only messages at or above `level` are written. Default: info. */
void rcm_log_set_level(enum rcm_log_level level);
/* Parse "debug" / "info" / "warn" / "error"; -1 if unknown. */
int rcm_log_level_parse(const char *name);
/* Write to `fd` instead of stderr (tests). */
void rcm_log_set_fd(int fd);

/* Log one event; req_id may be NULL. Thread-safe: one write(2) per line. */
void rcm_log_fields(enum rcm_log_level level, const char *event,
                    const char *req_id, const struct rcm_log_field *fields,
                    int n_fields);

#define RCM_LOG(level, event, req_id, ...)                                    \
    rcm_log_fields((level), (event), (req_id),                                \
                   (const struct rcm_log_field[]){__VA_ARGS__},               \
                   (int)(sizeof((const struct rcm_log_field[]){__VA_ARGS__}) / \
                         sizeof(struct rcm_log_field)))
#define RCM_LOG0(level, event, req_id)                                        \
    rcm_log_fields((level), (event), (req_id), NULL, 0)

#endif
