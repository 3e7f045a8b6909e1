/*
 * rcm/str.h — string slices: a pointer and a length into someone else's
 * memory (borrowed, never NUL-terminated by contract).
 */
#ifndef RCM_STR_H
#define RCM_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rcm/err.h"

struct rcm_str {
    const char *p;
    size_t n;
};

#define RCM_STR(lit) ((struct rcm_str){(lit), sizeof(lit) - 1})

static inline struct rcm_str
rcm_str_c(const char *s)
{
    return (struct rcm_str){s, s ? strlen(s) : 0};
}

bool rcm_str_eq(struct rcm_str a, struct rcm_str b);
bool rcm_str_eq_c(struct rcm_str a, const char *b);
bool rcm_str_case_eq_c(struct rcm_str a, const char *b);
bool rcm_str_starts_with(struct rcm_str s, struct rcm_str prefix);
/* Strip ASCII spaces and tabs at both ends. */
struct rcm_str rcm_str_trim(struct rcm_str s);

/*
 * Split off the next token ending at `sep` (or the end). Returns false when
 * `rest` is exhausted (rest->p == NULL). An empty input yields one empty
 * token, as does a trailing separator: "a,,b" → "a", "", "b".
 */
bool rcm_str_split_next(struct rcm_str *rest, char sep, struct rcm_str *tok);

/*
 * Strict decimal integer: optional '-', digits only, no spaces, no '+',
 * within int64 range. RCM_E_PARSE or RCM_E_RANGE otherwise.
 */
RCM_MUST_CHECK enum rcm_err rcm_str_to_i64(struct rcm_str s, int64_t *out);

/* True when p[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool rcm_utf8_valid(const char *p, size_t n);
/* Length of the longest well-formed UTF-8 prefix: the offset of the first
 * bad byte sequence, or n. */
size_t rcm_utf8_valid_prefix(const char *p, size_t n);

/* Copy into a fixed buffer, always NUL-terminating; false if truncated. */
bool rcm_str_copy(char *dst, size_t dst_size, struct rcm_str s);

/*
 * The one rule for capped text fields from outside (API members, CLI
 * flags, files): a value longer than max_bytes is refused, never cut.
 * RCM_E_INVAL with diag naming the field and its limit, e.g.
 * "name is longer than its limit of 100 bytes". `value` is borrowed.
 */
RCM_MUST_CHECK enum rcm_err rcm_field_check_len(const char *field, const char *value,
                                                size_t max_bytes, struct rcm_diag *diag);

#endif
