/*
 * json.c — the door for untrusted JSON.
 */
#include "rcm/json.h"

#include "rcm/str.h"

unsigned
rcm_json_depth(const char *p, size_t n)
{
    unsigned depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++;        /* skip the escaped character */
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > deepest)
                deepest = depth;
            break;
        case ']':
        case '}':
            if (depth)
                depth--;
            break;
        default:
            break;
        }
    }
    return deepest;
}

enum rcm_err
rcm_json_parse(const char *p, size_t n, unsigned max_depth, json_t **out,
               struct rcm_diag *diag)
{
    *out = NULL;
    size_t valid = rcm_utf8_valid_prefix(p, n);
    if (valid != n)
        return rcm_diag_fail_at(diag, RCM_E_PARSE, (int64_t)valid, 0,
                                "invalid UTF-8 in JSON text at byte %zu", valid);
    unsigned depth = rcm_json_depth(p, n);
    if (depth > max_depth)
        return rcm_diag_fail(diag, RCM_E_TOO_LARGE,
                             "JSON nesting depth %u exceeds the limit of %u",
                             depth, max_depth);
    json_error_t jerr;
    json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!v)
        return rcm_diag_fail_at(diag, RCM_E_PARSE, jerr.position, jerr.line,
                                "malformed JSON at line %d column %d: %s",
                                jerr.line, jerr.column, jerr.text);
    *out = v;
    return RCM_OK;
}

enum rcm_err
rcm_json_dump(const json_t *value, struct rcm_buf *out)
{
    size_t n = json_dumpb(value, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0)
        return RCM_E_INVAL;
    enum rcm_err err = rcm_buf_grow(out, n);
    if (err)
        return err;
    json_dumpb(value, out->data + out->len, n, JSON_COMPACT | JSON_ENCODE_ANY);
    out->len += n;
    out->data[out->len] = '\0';
    return RCM_OK;
}

static enum rcm_err
member(const json_t *obj, const char *key, bool required, json_t **v,
       struct rcm_diag *diag)
{
    *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!*v && required)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "missing member \"%s\"", key);
    return RCM_OK;
}

enum rcm_err
rcm_json_get_str(const json_t *obj, const char *key, bool required,
                 const char **out, struct rcm_diag *diag)
{
    json_t *v;
    enum rcm_err err = member(obj, key, required, &v, diag);
    if (err || !v)
        return err;
    if (!json_is_string(v))
        return rcm_diag_fail(diag, RCM_E_INVAL, "member \"%s\" must be a string", key);
    *out = json_string_value(v);
    return RCM_OK;
}

enum rcm_err
rcm_json_get_str_max(const json_t *obj, const char *key, bool required, size_t max_bytes,
                     const char **out, struct rcm_diag *diag)
{
    const char *s = NULL;
    enum rcm_err err = rcm_json_get_str(obj, key, required, &s, diag);
    if (err || !s)
        return err;     /* absent and optional: *out untouched, as rcm_json_get_str */
    if ((err = rcm_field_check_len(key, s, max_bytes, diag)))
        return err;
    *out = s;
    return RCM_OK;
}

enum rcm_err
rcm_json_get_int(const json_t *obj, const char *key, bool required,
                 int64_t *out, struct rcm_diag *diag)
{
    json_t *v;
    enum rcm_err err = member(obj, key, required, &v, diag);
    if (err || !v)
        return err;
    if (!json_is_integer(v))
        return rcm_diag_fail(diag, RCM_E_INVAL, "member \"%s\" must be an integer", key);
    *out = json_integer_value(v);
    return RCM_OK;
}

enum rcm_err
rcm_json_get_bool(const json_t *obj, const char *key, bool required, bool *out,
                  struct rcm_diag *diag)
{
    json_t *v;
    enum rcm_err err = member(obj, key, required, &v, diag);
    if (err || !v)
        return err;
    if (!json_is_boolean(v))
        return rcm_diag_fail(diag, RCM_E_INVAL, "member \"%s\" must be true or false", key);
    *out = json_is_true(v);
    return RCM_OK;
}
