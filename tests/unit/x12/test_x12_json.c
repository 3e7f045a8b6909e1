/*
 * test_x12_json.c — the JSON form: x12 -> json -> x12 reproduces every
 * sample segment for segment, the JSON names loops and elements, and bad
 * JSON is refused with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rcm/json.h"
#include "x12_test_util.h"

static char *
to_json(const char *p, size_t n)
{
    struct rcm_buf out = RCM_BUF_INIT(1u << 26);
    struct rcm_x12_json_writer w;
    rcm_x12_json_writer_init(&w, &out);
    struct rcm_x12_validate_opts o = {
        .on_segment = rcm_x12_json_writer_segment, .ctx = &w,
    };
    assert_int_equal(rcm_x12_validate_buffer(p, n, &o, NULL), RCM_OK);
    assert_int_equal(rcm_x12_json_writer_finish(&w), RCM_OK);
    return rcm_buf_detach(&out, NULL);
}

/* "raw|delims\n" for each segment */
static char *
segments_of(const char *p, size_t n)
{
    struct rcm_buf b = RCM_BUF_INIT(1u << 26);
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    rcm_x12_reader_feed(&r, p, n, true);
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        enum rcm_x12_event ev = rcm_x12_reader_next(&r, &seg, &err);
        if (ev == RCM_X12_SEGMENT) {
            assert_int_equal(rcm_buf_add(&b, seg.raw.p, seg.raw.n), RCM_OK);
            assert_int_equal(rcm_buf_addf(&b, "|%c%c%d%c\n", seg.delims.element,
                                          seg.delims.component,
                                          seg.delims.repetition,
                                          seg.delims.segment), RCM_OK);
        } else if (ev != RCM_X12_ERROR) {
            break;
        }
    }
    rcm_x12_reader_release(&r);
    char *s = rcm_buf_detach(&b, NULL);
    return s ? s : rcm_strdup("");
}

static const char *const samples[] = {
    "835-medicare-part-a.edi", "835-secondary-payment.edi", "835-managed-care.edi",
    "835-multi-line.edi", "835-profee.edi", "835-mult-loops.edi",
    "835-profee-multiple.edi", "837p-example1.edi", "837p-cob-example3c.edi",
    "837p-ambulance.edi", "837p-drug.edi", "837p-staedi-original.edi",
    "837i-institutional.edi", "837i-two-claims.edi", "270-dependent.edi",
    "270-single-line.edi", "271-dependent.edi", "271-node-x12.edi",
    "276-claim-level.edi", "277-claim-level.edi", "999-pyx12-multi.edi",
    "999-staedi-simple.edi", "834-multiple-st.edi", "ta1-staedi.edi",
};

static void
test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/golden/x12/samples/%s", samples[i]);
        size_t n;
        char *p = x12t_load(rel, &n);
        assert_non_null(p);
        char *json = to_json(p, n);
        assert_non_null(json);
        json_t *doc = NULL;
        if (rcm_json_parse(json, strlen(json), 64, &doc, NULL) != RCM_OK)
            fail_msg("%s: writer produced invalid JSON", samples[i]);
        json_decref(doc);
        struct rcm_buf back = RCM_BUF_INIT(1u << 26);
        struct rcm_diag d = RCM_DIAG_INIT;
        if (rcm_x12_from_json(json, strlen(json), &back, &d) != RCM_OK)
            fail_msg("%s: from-json failed: %s", samples[i], d.msg);
        char *a = segments_of(p, n);
        char *b = segments_of(back.data, back.len);
        if (strcmp(a, b) != 0)
            fail_msg("%s: round trip differs", samples[i]);
        rcm_free(a);
        rcm_free(b);
        rcm_buf_release(&back);
        rcm_free(json);
        free(p);
    }
}

static void
test_names_and_shape(void **state)
{
    (void)state;
    size_t n;
    char *p = x12t_load("tests/golden/x12/samples/837p-example1.edi", &n);
    assert_non_null(p);
    char *json = to_json(p, n);
    assert_non_null(strstr(json, "{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"loop\":\"ISA_LOOP\""));
    assert_non_null(strstr(json, "\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"^\",\"segment\":\"~\"}"));
    assert_non_null(strstr(json, "{\"loop\":\"2300\",\"name\":\"Claim Information\",\"content\":[{\"seg\":\"CLM\",\"name\":\"Claim Information\",\"el\":{\"CLM01\":\"26463774\",\"CLM02\":\"100.00\",\"CLM05\":[\"11\",\"B\",\"1\"]"));
    assert_non_null(strstr(json, "{\"seg\":\"HI\""));
    assert_non_null(strstr(json, "\"HI01\":[\"BK\",\"0340\"]"));
    /* four service lines, each its own 2400 occurrence */
    size_t k = 0;
    for (const char *q = json; (q = strstr(q, "{\"loop\":\"2400\"")); q++)
        k++;
    assert_int_equal(k, 4);
    rcm_free(json);
    free(p);
}

static void
test_from_json_errors(void **state)
{
    (void)state;
    static const struct { const char *json, *msg; } bad[] = {
        {"[]", "format"},
        {"{\"format\":\"x\"}", "format"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{}]}", "delimiters"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\"*\",\"repetition\":\"\",\"segment\":\"~\"},\"content\":[]}]}", "distinct"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"\",\"segment\":\"~\"},\"content\":[{\"seg\":\"nm1\"}]}]}", "id"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"\",\"segment\":\"~\"},\"content\":[{\"seg\":\"NM1\",\"el\":{\"NM101\":\"a*b\"}}]}]}", "delimiter"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"\",\"segment\":\"~\"},\"content\":[{\"seg\":\"NM1\",\"el\":{\"N3X1\":\"a\"}}]}]}", "key"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"\",\"segment\":\"~\"},\"content\":[{\"seg\":\"NM1\",\"el\":{\"NM101\":{\"rep\":[\"a\",\"b\"]}}}]}]}", "repetition"},
        {"{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"\",\"segment\":\"~\"},\"content\":[{\"seg\":\"NM1\",\"el\":{\"NM101\":{\"hex\":\"2\"}}}]}]}", "hex"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rcm_buf out = RCM_BUF_INIT(4096);
        struct rcm_diag d = RCM_DIAG_INIT;
        enum rcm_err e = rcm_x12_from_json(bad[i].json, strlen(bad[i].json), &out, &d);
        if (e == RCM_OK || !strstr(d.msg, bad[i].msg))
            fail_msg("case %zu: err %d msg '%s'", i, (int)e, d.msg);
        rcm_buf_release(&out);
    }
    /* a good one: trailing empty elements and hex bytes */
    const char *good = "{\"format\":\"openrcm-x12-json/1\",\"interchanges\":[{\"delimiters\":{\"element\":\"*\",\"component\":\":\",\"repetition\":\"^\",\"segment\":\"~\"},\"content\":[{\"seg\":\"NM1\",\"el\":{\"NM101\":{\"rep\":[[\"a\",\"b\"],\"c\"]},\"NM103\":{\"hex\":\"e9\"}},\"n\":5}]}]}";
    struct rcm_buf out = RCM_BUF_INIT(4096);
    assert_int_equal(rcm_x12_from_json(good, strlen(good), &out, NULL), RCM_OK);
    assert_string_equal(rcm_buf_cstr(&out), "NM1*a:b^c**\xe9**~\n");
    rcm_buf_release(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_shape),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_json_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
