/* Routing and request checks, without sockets (api_dispatch). */
#include <string.h>

#include "api/api_int.h"
#include "rcm/json.h"
#include "rcm_test.h"

struct call {
    struct rcm_arena arena;
    struct api_request req;
    struct api_response res;
};

static void
dispatch(struct call *c, const char *method, const char *path,
         const char *content_type, const char *body)
{
    memset(c, 0, sizeof *c);
    rcm_arena_init(&c->arena, 1 << 20, 0);
    c->req.method = method;
    c->req.path = path;
    c->req.content_type = content_type;
    c->req.body = body;
    c->req.body_len = body ? strlen(body) : 0;
    c->req.max_body_bytes = 1 << 20;
    c->req.arena = &c->arena;
    strcpy(c->req.req_id, "test-req");
    api_dispatch(&c->req, &c->res);
}

static void
done(struct call *c)
{
    api_response_release(&c->res);
    json_decref(c->req.json);
    rcm_arena_release(&c->arena);
}

static const char *
problem_code(const struct call *c)
{
    return json_string_value(json_object_get(c->res.json, "code"));
}

static void
health_answers(void **state)
{
    (void)state;
    struct call c;
    dispatch(&c, "GET", "/healthz", NULL, NULL);
    assert_int_equal(c.res.status, 200);
    assert_string_equal(json_string_value(json_object_get(c.res.json, "status")), "ok");
    done(&c);
}

static void
unknown_path_is_problem_404(void **state)
{
    (void)state;
    struct call c;
    dispatch(&c, "GET", "/v1/nothing-here", NULL, NULL);
    assert_int_equal(c.res.status, 404);
    assert_string_equal(c.res.content_type, "application/problem+json");
    assert_string_equal(problem_code(&c), "not_found");
    assert_string_equal(json_string_value(json_object_get(c.res.json, "type")),
                        "urn:openrcm:problem:not_found");
    assert_string_equal(json_string_value(json_object_get(c.res.json, "instance")),
                        "/v1/nothing-here");
    assert_string_equal(json_string_value(json_object_get(c.res.json, "request_id")),
                        "test-req");
    done(&c);
    dispatch(&c, "GET", "/healthz/extra", NULL, NULL);
    assert_int_equal(c.res.status, 404);
    done(&c);
}

static void
wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    struct call c;
    dispatch(&c, "DELETE", "/v1/version", NULL, NULL);
    assert_int_equal(c.res.status, 405);
    assert_string_equal(c.res.allow, "GET");
    assert_string_equal(problem_code(&c), "method_not_allowed");
    done(&c);
    dispatch(&c, "GET", "/v1/echo", NULL, NULL);
    assert_int_equal(c.res.status, 405);
    assert_string_equal(c.res.allow, "POST");
    done(&c);
}

static void
json_body_checks(void **state)
{
    (void)state;
    struct call c;
    dispatch(&c, "POST", "/v1/echo", "application/json; charset=utf-8", "{\"n\":1}");
    assert_int_equal(c.res.status, 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c.res.json, "echo"), "n")), 1);
    done(&c);

    dispatch(&c, "POST", "/v1/echo", "text/plain", "{\"n\":1}");
    assert_int_equal(c.res.status, 415);
    assert_string_equal(problem_code(&c), "unsupported_media_type");
    done(&c);

    dispatch(&c, "POST", "/v1/echo", "application/json; charset=latin1", "{}");
    assert_int_equal(c.res.status, 415);
    done(&c);

    dispatch(&c, "POST", "/v1/echo", NULL, "{}");
    assert_int_equal(c.res.status, 415);
    done(&c);

    dispatch(&c, "POST", "/v1/echo", "application/json", "{\"n\":");
    assert_int_equal(c.res.status, 400);
    assert_string_equal(problem_code(&c), "malformed_json");
    done(&c);

    dispatch(&c, "POST", "/v1/echo", "application/json", "{\"n\":\"\xc3\x28\"}");
    assert_int_equal(c.res.status, 400);
    assert_string_equal(problem_code(&c), "invalid_utf8");
    done(&c);

    char deep[81];
    memset(deep, '[', 40);
    memset(deep + 40, ']', 40);
    deep[80] = '\0';
    dispatch(&c, "POST", "/v1/echo", "application/json", deep);
    assert_int_equal(c.res.status, 400);
    assert_string_equal(problem_code(&c), "json_too_deep");
    done(&c);

    dispatch(&c, "POST", "/v1/echo", "application/json", NULL);
    assert_int_equal(c.res.status, 400);
    assert_string_equal(problem_code(&c), "bad_request");
    done(&c);
}

static void
oversized_body_is_413(void **state)
{
    (void)state;
    struct call c;
    memset(&c, 0, sizeof c);
    rcm_arena_init(&c.arena, 1 << 20, 0);
    c.req = (struct api_request){.method = "POST", .path = "/v1/echo",
                                 .content_type = "application/json",
                                 .body_too_large = true, .max_body_bytes = 1024,
                                 .arena = &c.arena};
    api_dispatch(&c.req, &c.res);
    assert_int_equal(c.res.status, 413);
    assert_string_equal(problem_code(&c), "payload_too_large");
    done(&c);
}

static void
body_on_bodiless_route_is_refused(void **state)
{
    (void)state;
    struct call c;
    dispatch(&c, "GET", "/healthz", "application/json", "{}");
    assert_int_equal(c.res.status, 400);
    done(&c);
}

static void
bad_path_bytes(void **state)
{
    (void)state;
    struct call c;
    dispatch(&c, "GET", "/v1/\xff\xfe", NULL, NULL);
    assert_int_equal(c.res.status, 400);
    assert_null(json_object_get(c.res.json, "instance"));   /* not echoed */
    done(&c);
}

/* A public route has no principal to keep answers for: the header is
 * ignored, even a malformed one, and nothing is replayed. */
static void
public_routes_ignore_idempotency_keys(void **state)
{
    (void)state;
    static const char *const keys[] = {"k-1", "", "tab\there"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        struct call c;
        memset(&c, 0, sizeof c);
        rcm_arena_init(&c.arena, 1 << 20, 0);
        c.req.method = "POST";
        c.req.path = "/v1/echo";
        c.req.content_type = "application/json";
        c.req.body = "{\"n\":2}";
        c.req.body_len = strlen(c.req.body);
        c.req.max_body_bytes = 1 << 20;
        c.req.arena = &c.arena;
        c.req.idempotency_key = keys[i];
        api_dispatch(&c.req, &c.res);
        assert_int_equal(c.res.status, 200);
        assert_false(c.res.replayed);
        done(&c);
    }
}

RUN_TESTS(cmocka_unit_test(health_answers),
          cmocka_unit_test(public_routes_ignore_idempotency_keys),
          cmocka_unit_test(unknown_path_is_problem_404),
          cmocka_unit_test(wrong_method_is_405_with_allow),
          cmocka_unit_test(json_body_checks),
          cmocka_unit_test(oversized_body_is_413),
          cmocka_unit_test(body_on_bodiless_route_is_refused),
          cmocka_unit_test(bad_path_bytes))
