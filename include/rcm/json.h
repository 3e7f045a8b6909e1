/*
 * rcm/json.h — JSON helpers over jansson for input from outside.
 *
 * rcm_json_parse is the only way untrusted JSON enters openrcm: it checks
 * UTF-8 and nesting depth before jansson sees the bytes (jansson's parser is
 * recursive; a deep document could exhaust a thread stack), rejects duplicate
 * keys and trailing garbage, and reports the byte offset of the problem.
 */
#ifndef RCM_JSON_H
#define RCM_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/buf.h"
#include "rcm/err.h"

#define RCM_JSON_DEPTH_DEFAULT 32

/*
 * Parse p[0..n) into *out (returned owned: json_decref). Fails with
 * RCM_E_PARSE (syntax, invalid UTF-8, duplicate key) or RCM_E_TOO_LARGE
 * (nesting deeper than max_depth); diag gets the reason and byte offset.
 */
RCM_MUST_CHECK enum rcm_err rcm_json_parse(const char *p, size_t n,
                                           unsigned max_depth, json_t **out,
                                           struct rcm_diag *diag);

/* Deepest array/object nesting in p[0..n), ignoring brackets in strings. */
unsigned rcm_json_depth(const char *p, size_t n);

/* Append the compact encoding of `value` to `out`. */
RCM_MUST_CHECK enum rcm_err rcm_json_dump(const json_t *value,
                                          struct rcm_buf *out);

/*
 * Typed member access for request decoding. A missing member is
 * RCM_E_NOT_FOUND when `required`, else leaves *out untouched and returns
 * RCM_OK; a member of the wrong type is RCM_E_INVAL. diag names the key.
 * Returned strings are borrowed from the json_t.
 */
RCM_MUST_CHECK enum rcm_err rcm_json_get_str(const json_t *obj, const char *key,
                                             bool required, const char **out,
                                             struct rcm_diag *diag);
/* rcm_json_get_str for a member with a cap: longer than max_bytes is
 * RCM_E_INVAL naming the member and its limit (rcm_field_check_len). */
RCM_MUST_CHECK enum rcm_err rcm_json_get_str_max(const json_t *obj, const char *key,
                                                 bool required, size_t max_bytes,
                                                 const char **out, struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_json_get_int(const json_t *obj, const char *key,
                                             bool required, int64_t *out,
                                             struct rcm_diag *diag);
RCM_MUST_CHECK enum rcm_err rcm_json_get_bool(const json_t *obj,
                                              const char *key, bool required,
                                              bool *out, struct rcm_diag *diag);

#endif
