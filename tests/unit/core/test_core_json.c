/* The door for untrusted JSON: depth, duplicates, UTF-8, typed access. */
#include <string.h>

#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm_test.h"

static enum rcm_err
parse(const char *text, json_t **out, struct rcm_diag *diag)
{
    return rcm_json_parse(text, strlen(text), RCM_JSON_DEPTH_DEFAULT, out, diag);
}

static void
parses_valid_documents(void **state)
{
    (void)state;
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(parse("{\"claim\":{\"lines\":[1,2,3]}}", &v, &d), RCM_OK);
    assert_int_equal(json_array_size(json_object_get(json_object_get(v, "claim"), "lines")), 3);
    json_decref(v);
    assert_int_equal(parse("42", &v, &d), RCM_OK);  /* any value at the top */
    json_decref(v);
}

static void
rejects_duplicate_keys(void **state)
{
    (void)state;
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(parse("{\"a\":1,\"a\":2}", &v, &d), RCM_E_PARSE);
    assert_null(v);
    assert_non_null(strstr(d.msg, "duplicate"));
}

static void
caps_depth_before_parsing(void **state)
{
    (void)state;
    char deep[2 * 5000 + 1];
    memset(deep, '[', 5000);
    memset(deep + 5000, ']', 5000);
    deep[10000] = '\0';
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_json_parse(deep, 10000, 32, &v, &d), RCM_E_TOO_LARGE);
    assert_int_equal(rcm_json_depth(deep, 10000), 5000);
    /* brackets inside strings do not count */
    assert_int_equal(rcm_json_depth("{\"x\":\"[[[[\\\"[[\"}", 17), 1);
    /* exactly at the limit is fine */
    char ok[65];
    memset(ok, '[', 32);
    memset(ok + 32, ']', 32);
    assert_int_equal(rcm_json_parse(ok, 64, 32, &v, &d), RCM_OK);
    json_decref(v);
}

static void
reports_invalid_utf8_offset(void **state)
{
    (void)state;
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(parse("{\"name\":\"a\xff\"}", &v, &d), RCM_E_PARSE);
    assert_int_equal(d.offset, 10);
    assert_non_null(strstr(d.msg, "UTF-8"));
}

static void
reports_syntax_errors(void **state)
{
    (void)state;
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(parse("{\"a\":", &v, &d), RCM_E_PARSE);
    assert_int_equal(parse("{\"a\":1} trailing", &v, &d), RCM_E_PARSE);
    assert_int_equal(parse("", &v, &d), RCM_E_PARSE);
    assert_non_null(strstr(d.msg, "malformed JSON"));
}

static void
typed_members(void **state)
{
    (void)state;
    json_t *v;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(parse("{\"s\":\"x\",\"i\":7,\"b\":true}", &v, &d), RCM_OK);
    const char *s = NULL;
    int64_t i = 0;
    bool b = false;
    assert_int_equal(rcm_json_get_str(v, "s", true, &s, &d), RCM_OK);
    assert_string_equal(s, "x");
    assert_int_equal(rcm_json_get_int(v, "i", true, &i, &d), RCM_OK);
    assert_int_equal(i, 7);
    assert_int_equal(rcm_json_get_bool(v, "b", true, &b, &d), RCM_OK);
    assert_true(b);
    assert_int_equal(rcm_json_get_int(v, "s", true, &i, &d), RCM_E_INVAL);
    assert_non_null(strstr(d.msg, "\"s\""));
    assert_int_equal(rcm_json_get_str(v, "missing", true, &s, &d), RCM_E_NOT_FOUND);
    assert_int_equal(rcm_json_get_str(v, "missing", false, &s, &d), RCM_OK);
    assert_string_equal(s, "x");    /* untouched */
    json_decref(v);
}

static void
dump_appends_compact(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:i,s:[s]}", "cents", 12345, "codes", "E119");
    struct rcm_buf b = RCM_BUF_INIT(1024);
    assert_int_equal(rcm_buf_addstr(&b, ">"), RCM_OK);
    assert_int_equal(rcm_json_dump(v, &b), RCM_OK);
    assert_string_equal(rcm_buf_cstr(&b), ">{\"cents\":12345,\"codes\":[\"E119\"]}");
    struct rcm_buf small = RCM_BUF_INIT(5);
    assert_int_equal(rcm_json_dump(v, &small), RCM_E_TOO_LARGE);
    rcm_buf_release(&small);
    rcm_buf_release(&b);
    json_decref(v);
}

RUN_TESTS(cmocka_unit_test(parses_valid_documents),
          cmocka_unit_test(rejects_duplicate_keys),
          cmocka_unit_test(caps_depth_before_parsing),
          cmocka_unit_test(reports_invalid_utf8_offset),
          cmocka_unit_test(reports_syntax_errors),
          cmocka_unit_test(typed_members),
          cmocka_unit_test(dump_appends_compact))
