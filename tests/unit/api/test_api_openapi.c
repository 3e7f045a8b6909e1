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
          cmocka_unit_test(problem_codes_match_the_document))
