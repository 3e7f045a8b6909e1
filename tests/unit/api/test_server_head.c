/* Request-head strictness (server_head.c): targets and header fields. */
#include <string.h>

#include "api/server_int.h"
#include "rcm_test.h"

static enum server_head_verdict
target(const char *raw)
{
    const char *why = NULL;
    enum server_head_verdict v = server_head_check_target(raw, &why);
    if (v != SERVER_HEAD_OK)
        assert_non_null(why);
    return v;
}

static void
targets(void **state)
{
    (void)state;
    assert_int_equal(target("/v1/patients/1"), SERVER_HEAD_OK);
    assert_int_equal(target("/v1/audit?patient_id=12&from=2026-01-01"), SERVER_HEAD_OK);
    assert_int_equal(target("/v1/codes/A%20B%2F%7e"), SERVER_HEAD_OK);
    assert_int_equal(target("/v1/patients/1%00abc"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/x?q=%0d%0a"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/x%7F"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/x%1f"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/x%4"), SERVER_HEAD_BAD);     /* malformed */
    assert_int_equal(target("/v1/x%zz"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/x%"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/a\rb"), SERVER_HEAD_BAD);    /* raw control */
    assert_int_equal(target("/v1/a\tb"), SERVER_HEAD_BAD);
    assert_int_equal(target("/v1/\xc3\xa9"), SERVER_HEAD_BAD);/* raw non-ASCII */
    assert_int_equal(target("/v1/a#frag"), SERVER_HEAD_BAD);
    assert_int_equal(target("*"), SERVER_HEAD_BAD);
    assert_int_equal(target("http://example.com/"), SERVER_HEAD_BAD);
    assert_int_equal(target(NULL), SERVER_HEAD_BAD);
}

struct field {
    const char *name, *value;
};

static enum server_head_verdict
head(const struct field *fields, size_t n)
{
    struct server_head_check c = {0};
    for (size_t i = 0; i < n; i++)
        server_head_check_field(&c, fields[i].name, strlen(fields[i].name), fields[i].value,
                                strlen(fields[i].value));
    enum server_head_verdict v = server_head_check_end(&c);
    if (v != SERVER_HEAD_OK)
        assert_non_null(c.why);
    return v;
}

#define HEAD(...)                                                              \
    head((const struct field[]){__VA_ARGS__},                                  \
         sizeof((const struct field[]){__VA_ARGS__}) / sizeof(struct field))

static void
fields(void **state)
{
    (void)state;
    assert_int_equal(HEAD({"Host", "x"}, {"Content-Length", "2"},
                          {"Content-Type", "application/json"}, {"X-Any", "a\tb \x80"}),
                     SERVER_HEAD_OK);
    /* names are tokens */
    assert_int_equal(HEAD({"Host ", "x"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"X Test", "x"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"", "x"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"X-T\x01", "x"}), SERVER_HEAD_BAD);
    /* values hold no controls but HTAB */
    assert_int_equal(HEAD({"X-Test", "a\rb"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"X-Test", "a\nb"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"X-Test", "a\x7f"}), SERVER_HEAD_BAD);
    /* singletons, case-insensitively */
    assert_int_equal(HEAD({"Host", "x"}, {"host", "y"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"Content-Length", "2"}, {"content-length", "2"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"Authorization", "a"}, {"AUTHORIZATION", "b"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"X-Request-Id", "a"}, {"X-Request-Id", "b"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"Idempotency-Key", "a"}, {"idempotency-key", "a"}), SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"Accept", "a"}, {"Accept", "b"}), SERVER_HEAD_OK);
    /* transfer codings */
    assert_int_equal(HEAD({"Transfer-Encoding", "chunked"}), SERVER_HEAD_LENGTH_REQUIRED);
    assert_int_equal(HEAD({"Transfer-Encoding", "Chunked"}), SERVER_HEAD_LENGTH_REQUIRED);
    assert_int_equal(HEAD({"Transfer-Encoding", "gzip"}), SERVER_HEAD_NOT_IMPLEMENTED);
    assert_int_equal(HEAD({"Transfer-Encoding", "gzip, chunked"}), SERVER_HEAD_NOT_IMPLEMENTED);
    assert_int_equal(HEAD({"Content-Length", "2"}, {"Transfer-Encoding", "chunked"}),
                     SERVER_HEAD_BAD);
    assert_int_equal(HEAD({"Transfer-Encoding", "chunked"}, {"Content-Length", "2"}),
                     SERVER_HEAD_BAD);
}

static void
first_problem_sticks(void **state)
{
    (void)state;
    struct server_head_check c = {0};
    server_head_check_field(&c, "Host ", 5, "x", 1);
    const char *first = c.why;
    server_head_check_field(&c, "Transfer-Encoding", 17, "gzip", 4);
    assert_int_equal(server_head_check_end(&c), SERVER_HEAD_BAD);
    assert_ptr_equal(c.why, first);
}

RUN_TESTS(cmocka_unit_test(targets), cmocka_unit_test(fields),
          cmocka_unit_test(first_problem_sticks))
