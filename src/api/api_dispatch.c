/*
 * api_dispatch.c — routing, request checks and problem documents.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/log.h"
#include "rcm/buf.h"
#include "rcm/json.h"
#include "rcm/str.h"

/* ---- routing ---------------------------------------------------------- */

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode a path segment into the arena; NULL if malformed or if it
 * decodes to a NUL or a '/'. */
static const char *
decode_segment(struct rcm_arena *arena, struct rcm_str seg)
{
    char *out = rcm_arena_alloc(arena, seg.n + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < seg.n; i++) {
        char c = seg.p[i];
        if (c == '%') {
            if (i + 2 >= seg.n)
                return NULL;
            int hi = hexval(seg.p[i + 1]), lo = hexval(seg.p[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (char)(hi * 16 + lo);
            if (c == '\0' || c == '/')
                return NULL;
            i += 2;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

/* Match one pattern against a path; fills params on success. */
static bool
pattern_match(struct api_request *req, const char *pattern)
{
    struct rcm_str prest = rcm_str_c(pattern), path = rcm_str_c(req->path);
    struct rcm_str pseg, seg;
    int n_params = 0;
    while (true) {
        bool more_p = rcm_str_split_next(&prest, '/', &pseg);
        bool more_s = rcm_str_split_next(&path, '/', &seg);
        if (!more_p || !more_s)
            return more_p == more_s && (req->n_params = n_params, true);
        if (pseg.n > 2 && pseg.p[0] == '{' && pseg.p[pseg.n - 1] == '}') {
            if (seg.n == 0 || n_params == API_MAX_PARAMS)
                return false;
            const char *value = decode_segment(req->arena, seg);
            const char *name = rcm_arena_strndup(req->arena, pseg.p + 1, pseg.n - 2);
            if (!value || !name)
                return false;
            req->params[n_params++] = (struct api_param){name, value};
        } else if (!rcm_str_eq(pseg, seg)) {
            return false;
        }
    }
}

enum api_match
api_route_match(struct api_request *req, const struct api_route **route,
                char *allow, size_t allow_size)
{
    enum api_match result = API_MATCH_NO_PATH;
    struct rcm_buf methods = RCM_BUF_INIT(64);
    *route = NULL;
    if (allow_size)
        allow[0] = '\0';
    for (const struct api_route *r = api_routes; r->method; r++) {
        if (!pattern_match(req, r->pattern))
            continue;
        if (strcmp(r->method, req->method) == 0) {
            *route = r;
            result = API_MATCH_FOUND;
            break;
        }
        result = API_MATCH_NO_METHOD;
        if (methods.len && rcm_buf_addstr(&methods, ", ") != RCM_OK)
            continue;
        if (rcm_buf_addstr(&methods, r->method) != RCM_OK)
            continue;
    }
    if (result == API_MATCH_NO_METHOD && allow_size)
        snprintf(allow, allow_size, "%s", rcm_buf_cstr(&methods));
    rcm_buf_release(&methods);
    return result;
}

/* ---- problems ---------------------------------------------------------- */

static const struct {
    const char *code;
    int status;
    const char *title;
} problems[] = {
#define API_PROBLEM_ROW(code, status, title) {#code, status, title},
    API_PROBLEMS(API_PROBLEM_ROW)
#undef API_PROBLEM_ROW
};

int
api_problem_status(enum api_problem problem)
{
    return problems[problem].status;
}

void
api_problem(struct api_request *req, struct api_response *res,
            enum api_problem problem, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    char type[96];
    snprintf(type, sizeof type, "urn:openrcm:problem:%s", problems[problem].code);
    api_response_release(res);
    res->status = problems[problem].status;
    res->content_type = "application/problem+json";
    /* The instance is the request path; it may hold invalid UTF-8 that
     * jansson would refuse, so it is omitted then. */
    const char *path = req->path && rcm_utf8_valid(req->path, strlen(req->path))
                           ? req->path : NULL;
    res->json = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s}", "type", type, "title",
                          problems[problem].title, "status", res->status,
                          "detail", detail, "code", problems[problem].code,
                          "request_id", req->req_id);
    if (res->json && path)
        json_object_set_new(res->json, "instance", json_string(path));
}

const char *
api_param(const struct api_request *req, const char *name)
{
    for (int i = 0; i < req->n_params; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

bool
api_path_id(struct api_request *req, struct api_response *res, int64_t *id)
{
    if (rcm_str_to_i64(rcm_str_c(api_param(req, "id")), id) != RCM_OK || *id <= 0) {
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
        return false;
    }
    return true;
}

bool
api_query_i64(const struct api_request *req, const char *name, int64_t *out)
{
    const char *s = req->query ? req->query(req->conn, name) : NULL;
    return !s || (rcm_str_to_i64(rcm_str_c(s), out) == RCM_OK && *out >= 0);
}

void
api_store_problem(struct api_request *req, struct api_response *res, enum rcm_err err,
                  const struct rcm_diag *diag, const char *what)
{
    if (err == RCM_E_NOT_FOUND) {
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
    } else if (err == RCM_E_INVAL || err == RCM_E_PARSE) {
        api_problem(req, res, API_PROBLEM_validation_failed, "%s", diag->msg);
    } else if (err == RCM_E_CONFLICT) {
        api_problem(req, res, API_PROBLEM_conflict, "%s", diag->msg);
    } else if (err == RCM_E_BUSY) {
        api_problem(req, res, API_PROBLEM_busy, "the database is busy; try again");
    } else {
        RCM_LOG(RCM_LOG_ERROR, "store.failed", req->req_id, RCM_LF_S("error", rcm_err_str(err)),
                RCM_LF_S("detail", diag->msg));
        api_problem(req, res, API_PROBLEM_internal_error, "%s", what);
    }
}

void
api_response_release(struct api_response *res)
{
    json_decref(res->json);
    res->json = NULL;
    res->raw = NULL;
    res->raw_len = 0;
}

char *
api_response_body(const struct api_response *res, size_t *len)
{
    struct rcm_buf out = RCM_BUF_INIT(SIZE_MAX / 2);
    if (res->raw) {
        if (rcm_buf_add(&out, res->raw, res->raw_len) != RCM_OK)
            return NULL;
    } else if (res->json) {
        if (rcm_json_dump(res->json, &out) != RCM_OK) {
            rcm_buf_release(&out);
            return NULL;
        }
    }
    if (!out.data && rcm_buf_add(&out, "", 0) != RCM_OK)
        return NULL;
    return rcm_buf_detach(&out, len);
}

/* ---- dispatch ---------------------------------------------------------- */

/* "application/json" optionally followed by parameters ("; charset=utf-8"). */
static bool
is_json_type(const char *ct)
{
    if (!ct)
        return false;
    struct rcm_str rest = rcm_str_c(ct), media;
    rcm_str_split_next(&rest, ';', &media);
    media = rcm_str_trim(media);
    if (!rcm_str_case_eq_c(media, "application/json"))
        return false;
    /* only UTF-8 is accepted as a charset */
    struct rcm_str param;
    while (rcm_str_split_next(&rest, ';', &param)) {
        param = rcm_str_trim(param);
        if (param.n > 8 && rcm_str_case_eq_c((struct rcm_str){param.p, 8}, "charset=")) {
            struct rcm_str cs = {param.p + 8, param.n - 8};
            if (!rcm_str_case_eq_c(cs, "utf-8") && !rcm_str_case_eq_c(cs, "\"utf-8\""))
                return false;
        }
    }
    return true;
}

/* Decode the JSON body for routes that take one; false = problem set. */
static bool
take_json_body(struct api_request *req, struct api_response *res)
{
    if (req->body_too_large) {
        api_problem(req, res, API_PROBLEM_payload_too_large,
                    "request body exceeds %zu bytes", req->max_body_bytes);
        return false;
    }
    if (!is_json_type(req->content_type)) {
        api_problem(req, res, API_PROBLEM_unsupported_media_type,
                    "send the body as application/json");
        return false;
    }
    if (!req->body || req->body_len == 0) {
        api_problem(req, res, API_PROBLEM_bad_request, "a JSON body is required");
        return false;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_json_parse(req->body, req->body_len,
                                      RCM_JSON_DEPTH_DEFAULT, &req->json, &diag);
    if (err == RCM_OK)
        return true;
    if (err == RCM_E_TOO_LARGE)
        api_problem(req, res, API_PROBLEM_json_too_deep, "%s", diag.msg);
    else if (!rcm_utf8_valid(req->body, req->body_len))
        api_problem(req, res, API_PROBLEM_invalid_utf8,
                    "the body is not valid UTF-8 (byte %lld)", (long long)diag.offset);
    else
        api_problem(req, res, API_PROBLEM_malformed_json, "%s", diag.msg);
    return false;
}

void
api_dispatch(struct api_request *req, struct api_response *res)
{
    const struct api_route *route;
    res->status = 200;
    res->content_type = "application/json";
    if (!rcm_utf8_valid(req->path, strlen(req->path))) {
        api_problem(req, res, API_PROBLEM_bad_request, "the request path is not valid UTF-8");
        return;
    }
    switch (api_route_match(req, &route, res->allow, sizeof res->allow)) {
    case API_MATCH_NO_PATH:
        api_problem(req, res, API_PROBLEM_not_found, "no resource at this path");
        return;
    case API_MATCH_NO_METHOD:
        api_problem(req, res, API_PROBLEM_method_not_allowed,
                    "this resource allows %s", res->allow);
        return;
    case API_MATCH_FOUND:
        break;
    }
    req->route = route->pattern;
    if (route->permission != API_PUBLIC && !api_authorize(req, res, route->permission))
        return;
    bool idempotent = api_idempotency_applies(req, route);
    if (idempotent && !api_idempotency_key_ok(req, res))
        return;
    bool optional = (route->flags & API_BODY_JSON_OPTIONAL) && !req->body_len &&
                    !req->body_too_large;
    if ((route->flags & (API_BODY_JSON | API_BODY_JSON_OPTIONAL)) && !optional) {
        if (!take_json_body(req, res))
            return;
    } else if (optional) {
        req->json = NULL;
    } else if (req->body_len || req->body_too_large) {
        api_problem(req, res, req->body_too_large ? API_PROBLEM_payload_too_large
                                                  : API_PROBLEM_bad_request,
                    "this resource takes no request body");
        return;
    }
    /* Requests refused above change nothing and are refused again when
     * repeated, so only those that reach the handler involve the key. */
    int64_t idempotency_id = 0;
    if (idempotent && !api_idempotency_begin(req, res, &idempotency_id))
        return;
    route->handler(req, res);
    if (!res->json && !res->raw)
        api_problem(req, res, API_PROBLEM_internal_error, "the response could not be built");
    if (idempotency_id)
        api_idempotency_end(req, res, idempotency_id);
}
