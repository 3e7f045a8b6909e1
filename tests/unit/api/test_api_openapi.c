/*
 * The OpenAPI document describes every route the server has, and nothing
 * else: each (method, pattern) in api_routes[] must be an operation in
 * src/api/openapi.json, and each operation there must be a route.
 */
#include <ctype.h>
#include <string.h>

#include "api/api_int.h"
#include "rcm/embed.h"
#include "rcm/json.h"
#include "rcm_test.h"

static json_t *
load_doc(void)
{
    const struct rcm_embedded_file *f = rcm_embed_find("src/api/openapi.json");
    assert_non_null(f);
    json_t *doc;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_json_parse(f->data, f->len, 64, &doc, &d), RCM_OK);
    return doc;
}

static void
lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void
every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    int n = 0;
    for (const struct api_route *r = api_routes; r->method; r++, n++) {
        char method[16];
        lower(r->method, method, sizeof method);
        json_t *op = json_object_get(json_object_get(paths, r->pattern), method);
        if (!op)
            fail_msg("route %s %s is missing from openapi.json", r->method, r->pattern);
        assert_non_null(json_object_get(op, "operationId"));
        assert_non_null(json_object_get(json_object_get(op, "responses"), "default"));
    }
    assert_true(n >= 5);
    json_decref(doc);
}

static void
every_documented_operation_exists(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op) {
            bool found = false;
            for (const struct api_route *r = api_routes; r->method && !found; r++) {
                char m[16];
                lower(r->method, m, sizeof m);
                found = strcmp(m, method) == 0 && strcmp(r->pattern, path) == 0;
            }
            if (!found)
                fail_msg("openapi.json documents %s %s, which the server lacks", method, path);
        }
    }
    json_decref(doc);
}

/* Whether an operation lists the Idempotency-Key parameter. */
static bool
takes_idempotency_key(json_t *op)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p) {
        const char *ref = json_string_value(json_object_get(p, "$ref"));
        if (ref && strcmp(ref, "#/components/parameters/IdempotencyKey") == 0)
            return true;
    }
    return false;
}

/* Each POST the server keeps answers for (api_idempotency_applies: not
 * public, not API_NO_IDEMPOTENCY) documents the Idempotency-Key header,
 * the replay header and the 409; no other operation claims the header. */
static void
idempotency_key_is_documented_where_it_works(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    int keyed = 0;
    for (const struct api_route *r = api_routes; r->method; r++) {
        char method[16];
        lower(r->method, method, sizeof method);
        json_t *op = json_object_get(json_object_get(paths, r->pattern), method);
        assert_non_null(op);
        bool works = strcmp(r->method, "POST") == 0 && r->permission != API_PUBLIC &&
                     !(r->flags & API_NO_IDEMPOTENCY);
        if (takes_idempotency_key(op) != works)
            fail_msg("%s %s: the Idempotency-Key parameter %s", r->method, r->pattern,
                     works ? "is missing" : "is listed but the route ignores the header");
        if (!works)
            continue;
        keyed++;
        json_t *responses = json_object_get(op, "responses");
        const char *ref = json_string_value(json_object_get(json_object_get(responses, "409"),
                                                            "$ref"));
        if (!ref || strcmp(ref, "#/components/responses/IdempotencyConflict") != 0)
            fail_msg("%s %s: 409 must be the IdempotencyConflict response", r->method,
                     r->pattern);
        const char *code;
        json_t *resp;
        json_object_foreach(responses, code, resp) {
            if (code[0] == '2' &&
                !json_object_get(json_object_get(resp, "headers"), "Idempotent-Replayed"))
                fail_msg("%s %s: %s lacks the Idempotent-Replayed header", r->method,
                         r->pattern, code);
        }
    }
    assert_true(keyed >= 4);
    assert_non_null(json_object_get(json_object_get(json_object_get(doc, "components"),
                                                    "parameters"), "IdempotencyKey"));
    json_decref(doc);
}

static void
problem_codes_match_the_document(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *codes = json_object_get(json_object_get(json_object_get(json_object_get(
        json_object_get(json_object_get(doc, "components"), "schemas"), "Problem"),
        "properties"), "code"), "enum");
    static const char *const ours[] = {
#define API_PROBLEM_NAME(code, status, title) #code,
        API_PROBLEMS(API_PROBLEM_NAME)
#undef API_PROBLEM_NAME
    };
    size_t n = sizeof ours / sizeof ours[0];
    assert_int_equal(json_array_size(codes), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(codes, i)), ours[i]);
    json_decref(doc);
}

RUN_TESTS(cmocka_unit_test(every_route_is_documented),
          cmocka_unit_test(every_documented_operation_exists),
          cmocka_unit_test(idempotency_key_is_documented_where_it_works),
          cmocka_unit_test(problem_codes_match_the_document))
