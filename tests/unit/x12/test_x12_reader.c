/*
 * test_x12_reader.c — the streaming reader: delimiters, tolerated noise,
 * every read error class with its offset, zero copy, and split invariance
 * (every sample split at every byte offset gives the same trace).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "x12_test_util.h"

static const char *const samples[] = {
    "835-medicare-part-a.edi", "835-secondary-payment.edi",
    "835-managed-care.edi", "835-multi-line.edi", "835-profee.edi",
    "835-mult-loops.edi", "837p-example1.edi", "837p-cob-example3c.edi",
    "837p-ambulance.edi", "837p-drug.edi", "837p-staedi-original.edi",
    "837i-institutional.edi", "837i-two-claims.edi", "270-dependent.edi",
    "270-single-line.edi", "271-dependent.edi", "271-node-x12.edi",
    "276-claim-level.edi", "277-claim-level.edi", "999-pyx12-multi.edi",
    "999-staedi-simple.edi", "ta1-staedi.edi", "ta1-cr-terminator.edi",
    "834-multiple-st.edi",
};

#define ISA_STAR_RAW1 "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*: *:^~"
#define ISA_STAR "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*:~"

static char *
trace_of(const char *data, size_t n, const size_t *cuts, size_t ncuts,
         size_t *nseg)
{
    struct rcm_buf b = RCM_BUF_INIT(64u << 20);
    size_t k = x12t_trace(data, n, cuts, ncuts, &b);
    if (nseg)
        *nseg = k;
    char *s = rcm_buf_detach(&b, NULL);
    return s ? s : rcm_strdup("");
}

/* The trace of `in` is the same for every single cut and byte-by-byte. */
static void
assert_split_invariant(const char *in, size_t n)
{
    char *whole = trace_of(in, n, NULL, 0, NULL);
    for (size_t k = 1; k < n; k++) {
        char *t = trace_of(in, n, &k, 1, NULL);
        if (strcmp(t, whole) != 0)
            fail_msg("split at %zu differs:\n%s---\n%s", k, t, whole);
        rcm_free(t);
    }
    size_t *cuts = malloc(n * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t k = 1; k < n; k++)
        cuts[k - 1] = k;
    char *t = trace_of(in, n, cuts, n ? n - 1 : 0, NULL);
    assert_string_equal(t, whole);
    rcm_free(t);
    free(cuts);
    rcm_free(whole);
}

static void
test_split_every_offset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/golden/x12/samples/%s", samples[i]);
        size_t n = 0;
        char *data = x12t_load(rel, &n);
        assert_non_null(data);
        size_t nseg = 0;
        char *whole = trace_of(data, n, NULL, 0, &nseg);
        assert_true(nseg >= 2);
        for (size_t k = 1; k < n; k++) {
            char *t = trace_of(data, n, &k, 1, NULL);
            if (strcmp(t, whole) != 0)
                fail_msg("%s: split at %zu differs", samples[i], k);
            rcm_free(t);
        }
        /* one byte at a time */
        size_t *cuts = malloc(n * sizeof *cuts);
        assert_non_null(cuts);
        for (size_t k = 1; k < n; k++)
            cuts[k - 1] = k;
        char *t = trace_of(data, n, cuts, n - 1, NULL);
        assert_string_equal(t, whole);
        rcm_free(t);
        free(cuts);
        rcm_free(whole);
        free(data);
    }
}

/* The 283 KB multi-transaction 835: 64 KiB chunks (node-x12's bug), odd
 * chunk sizes, and many random cut sets. */
static void
test_split_big_file(void **state)
{
    (void)state;
    size_t n = 0;
    char *data = x12t_load("tests/golden/x12/samples/835-profee-multiple.edi", &n);
    assert_non_null(data);
    size_t nseg = 0;
    char *whole = trace_of(data, n, NULL, 0, &nseg);
    assert_true(nseg > 1000);
    static const size_t sizes[] = {65536, 4096, 4095, 1000, 7, 3};
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t nc = 0;
        for (size_t k = sizes[s]; k < n; k += sizes[s])
            cuts[nc++] = k;
        char *t = trace_of(data, n, cuts, nc, NULL);
        assert_string_equal(t, whole);
        rcm_free(t);
    }
    uint64_t seed = 12345;
    for (int round = 0; round < 50; round++) {
        size_t nc = 0, k = 0;
        for (;;) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            k += 1 + (size_t)((seed >> 33) % 20000);
            if (k >= n)
                break;
            cuts[nc++] = k;
        }
        char *t = trace_of(data, n, cuts, nc, NULL);
        assert_string_equal(t, whole);
        rcm_free(t);
    }
    free(cuts);
    rcm_free(whole);
    free(data);
}

static void
test_delimiters_from_isa(void **state)
{
    (void)state;
    const char *in =
        "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |240101|1200|!|00501|000000001|0|T|>\n"
        "GS|HC|S|R|20240101|1200|1|X|005010X222A1\n"
        "NM1|IL|1|DOE>X|JANE!JOHN\n"
        "IEA|1|000000001\n"
        ISA_STAR "IEA*1*000000001~"
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000002*0*T*:~"
        "IEA*1*000000002~";
    assert_split_invariant(in, strlen(in));
    char *t = trace_of(in, strlen(in), NULL, 0, NULL);
    /* interchange 1: | > ! newline; 2: * : ^ ~; 3: no repetition (00401) */
    assert_non_null(strstr(t, "S 0 0 ISA ISA|00|"));
    assert_non_null(strstr(t, "S 147 2 NM1 NM1|IL|1|DOE>X|JANE!JOHN |>!\n"));
    assert_non_null(strstr(t, "IEA IEA|1|000000001 |>!\n"));
    assert_non_null(strstr(t, "IEA IEA*1*000000001 *:^~"));
    assert_non_null(strstr(t, "IEA IEA*1*000000002 *:0~"));
    assert_null(strstr(t, "E "));
    rcm_free(t);
}

static void
test_element_access(void **state)
{
    (void)state;
    const char *in = ISA_STAR "NM1*IL*1*DOE:X*JANE^JOHN**~IEA*1*000000001~";
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    rcm_x12_reader_feed(&r, in, strlen(in), true);
    struct rcm_x12_seg seg;
    struct rcm_x12_read_error err;
    assert_int_equal(rcm_x12_reader_next(&r, &seg, &err), RCM_X12_SEGMENT);
    assert_string_equal(seg.id, "ISA");
    assert_int_equal(seg.delims.repetition, '^');
    assert_int_equal(rcm_x12_reader_next(&r, &seg, &err), RCM_X12_SEGMENT);
    assert_string_equal(seg.id, "NM1");
    /* zero copy: the slice points into the caller's buffer */
    assert_ptr_equal(seg.raw.p, in + 106);
    struct rcm_str el[8];
    assert_int_equal(rcm_x12_seg_elements(&seg, el, 8), 7);
    assert_true(rcm_str_eq_c(el[3], "DOE:X"));
    assert_int_equal(el[5].n, 0);
    struct rcm_str comp[4];
    assert_int_equal(rcm_x12_split(el[3], seg.delims.component, comp, 4), 2);
    assert_true(rcm_str_eq_c(comp[1], "X"));
    assert_int_equal(rcm_x12_split(el[4], seg.delims.repetition, comp, 4), 2);
    assert_true(rcm_str_eq_c(comp[1], "JOHN"));
    assert_true(rcm_str_eq_c(rcm_x12_seg_element(&seg, 4), "JANE^JOHN"));
    assert_int_equal(rcm_x12_seg_element(&seg, 9).n, 0);
    assert_int_equal(rcm_x12_seg_elements(&seg, el, 2), 7); /* count past max */
    rcm_x12_reader_release(&r);
}

static void
test_bom_crlf_whitespace(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBF" ISA_STAR "\r\nGS*HC~\r\n  ST*837*1~\n\nIEA*1*000000001~\r\n\x1A";
    assert_split_invariant(in, strlen(in));
    char *t = trace_of(in, strlen(in), NULL, 0, NULL);
    assert_null(strstr(t, "E "));
    assert_non_null(strstr(t, "S 3 0 ISA "));
    assert_non_null(strstr(t, "S 111 1 GS GS*HC "));
    assert_non_null(strstr(t, "S 121 2 ST ST*837*1 "));
    rcm_free(t);
}

static void
test_read_errors(void **state)
{
    (void)state;
    /* garbage before ISA; empty segment; bad id; ISA before IEA; truncated */
    const char *in = "junk\n" ISA_STAR "GS*HC~~st*1~" ISA_STAR "SE*1";
    assert_split_invariant(in, strlen(in));
    char *t = trace_of(in, strlen(in), NULL, 0, NULL);
    assert_string_equal(t,
        "E outside_interchange 0 0\n"
        "S 5 0 ISA " ISA_STAR_RAW1 "\n"
        "S 111 1 GS GS*HC *:^~\n"
        "E empty_segment 117 2\n"
        "E bad_segment_id 118 2\n"
        "E isa_in_interchange 123 3\n"
        "S 123 3 ISA " ISA_STAR_RAW1 "\n"
        "E truncated 229 4\n");
    rcm_free(t);
}

static void
test_too_long_and_bad_isa(void **state)
{
    (void)state;
    struct rcm_buf in = RCM_BUF_INIT(1u << 20);
    assert_int_equal(rcm_buf_addstr(&in, ISA_STAR "GS*"), RCM_OK);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(rcm_buf_addch(&in, 'A'), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&in, "~GE*1*1~IEA*1*000000001~"
                                         "ISA*00*0~GS*X~"
                                         "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*A~"),
                     RCM_OK);
    assert_split_invariant(in.data, in.len);
    char *t = trace_of(in.data, in.len, NULL, 0, NULL);
    /* limit 4096 in x12t_trace: the 5003-byte GS is skipped */
    assert_non_null(strstr(t, "E segment_too_long 106 1\n"));
    assert_non_null(strstr(t, "S 5110 1 GE GE*1*1 "));
    /* an ISA with too few elements eats bytes up to 256, then is rejected */
    assert_non_null(strstr(t, "E bad_isa 5133 3\n"));
    rcm_free(t);
    rcm_buf_release(&in);

    const char *bad16 = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*A~GS*X~";
    assert_split_invariant(bad16, strlen(bad16));
    t = trace_of(bad16, strlen(bad16), NULL, 0, NULL);
    assert_string_equal(t, "E bad_isa 0 0\n");
    rcm_free(t);
}

/* An interchange cut short (no IEA) followed by one with other delimiters:
 * the new ISA is recognised at the segment start and its delimiters used. */
static void
test_isa_without_iea_new_delimiters(void **state)
{
    (void)state;
    const char *in = ISA_STAR "GS*HC~"
        "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |240101|1200|!|00501|000000002|0|T|>\n"
        "GS|HC|S|R\nIEA|1|000000002\n";
    assert_split_invariant(in, strlen(in));
    char *t = trace_of(in, strlen(in), NULL, 0, NULL);
    assert_non_null(strstr(t, "E isa_in_interchange 112 2\n"));
    assert_non_null(strstr(t, "S 112 2 ISA ISA|00|"));
    assert_non_null(strstr(t, "S 218 3 GS GS|HC|S|R |>!\n"));
    assert_non_null(strstr(t, "IEA IEA|1|000000002 |>!\n"));
    rcm_free(t);
}

static void
test_empty_input(void **state)
{
    (void)state;
    char *t = trace_of("", 0, NULL, 0, NULL);
    assert_string_equal(t, "");
    rcm_free(t);
    t = trace_of("\r\n\xEF\xBB\xBF  ", 7, NULL, 0, NULL);
    assert_string_equal(t, "");
    rcm_free(t);
    t = trace_of("IS", 2, NULL, 0, NULL);
    assert_string_equal(t, "E outside_interchange 0 0\n");
    rcm_free(t);
}

/* rcm_x12_split (word-at-a-time) agrees with a plain byte loop for random
 * strings of every length up to 40, separators next to each other, at the
 * ends and in the last partial word, bytes >= 0x80 and NUL, and every cap. */
static void
test_split_matches_bytewise(void **state)
{
    (void)state;
    static const char alphabet[] = {'*', '*', ':', 'A', '0', '\x01', '\x2b',
                                    '\x80', '\xaa', '\xff', '\0', '^'};
    static const char seps[] = {'*', ':', '^', '\xaa', '\x01'};
    uint32_t seed = 12345;
    char buf[48];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 41);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % sizeof alphabet];
        }
        char sep = seps[round % (int)sizeof seps];
        size_t max = (size_t)(round % 7 == 0 ? 3 : 48);
        struct rcm_str got[48], want[48];
        size_t ng = rcm_x12_split((struct rcm_str){buf, n}, sep, got, max);
        size_t nw = 0, start = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i < n && buf[i] != sep)
                continue;
            if (nw < max)
                want[nw] = (struct rcm_str){buf + start, i - start};
            nw++;
            start = i + 1;
        }
        assert_int_equal(ng, nw);
        for (size_t k = 0; k < ng && k < max; k++) {
            assert_ptr_equal(got[k].p, want[k].p);
            assert_int_equal(got[k].n, want[k].n);
        }
    }
}

/* Check every segment of data (fed in pieces of `step` bytes) against
 * rcm_x12_split of its raw bytes; returns how many came with a split. */
static size_t
check_els(const char *data, size_t n, size_t step, bool split)
{
    struct rcm_x12_reader r;
    rcm_x12_reader_init(&r, 0);
    r.split_elements = split;
    size_t pos = 0, with = 0;
    for (bool done = false; !done;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error err;
        switch (rcm_x12_reader_next(&r, &seg, &err)) {
        case RCM_X12_SEGMENT: {
            if (!seg.els)
                break;
            assert_true(split);
            with++;
            struct rcm_str want[RCM_X12_SEG_ELEMS_MAX], got[RCM_X12_SEG_ELEMS_MAX];
            size_t nw = rcm_x12_split(seg.raw, seg.delims.element, want,
                                      RCM_X12_SEG_ELEMS_MAX);
            assert_int_equal(seg.n_els, nw);
            assert_int_equal(rcm_x12_seg_elements(&seg, got, RCM_X12_SEG_ELEMS_MAX), nw);
            for (size_t k = 0; k < nw && k < RCM_X12_SEG_ELEMS_MAX; k++) {
                assert_ptr_equal(seg.els[k].p, want[k].p);
                assert_int_equal(seg.els[k].n, want[k].n);
                assert_ptr_equal(got[k].p, want[k].p);
                assert_int_equal(got[k].n, want[k].n);
            }
            break;
        }
        case RCM_X12_ERROR:
            break;
        case RCM_X12_NEED_MORE: {
            size_t k = n - pos < step ? n - pos : step;
            rcm_x12_reader_feed(&r, data + pos, k, pos + k == n);
            pos += k;
            break;
        }
        default:
            done = true;
        }
    }
    rcm_x12_reader_release(&r);
    return with;
}

/* The element split the reader hands out with a segment (seg->els) is the
 * split of its raw bytes, however the input is fed; none when turned off. */
static void
test_reader_split_matches(void **state)
{
    (void)state;
    static const size_t steps[] = {1, 7, 64, 4096, (size_t)1 << 30};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/golden/x12/samples/%s", samples[i]);
        size_t n;
        char *data = x12t_load(rel, &n);
        assert_non_null(data);
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
            check_els(data, n, steps[s], true);
        /* fed whole, nearly every segment comes with its split */
        assert_true(check_els(data, n, (size_t)1 << 30, true) > 0);
        assert_int_equal(check_els(data, n, (size_t)1 << 30, false), 0);
        free(data);
    }
    /* a segment with more elements than the reader keeps, and CR/LF as the
     * terminator (the CR is not part of the segment) */
    struct rcm_buf in;
    rcm_buf_init(&in, 1 << 20);
    assert_int_equal(rcm_buf_addstr(&in, ISA_STAR "NTE"), RCM_OK);
    for (int k = 0; k < 300; k++)
        assert_int_equal(rcm_buf_addstr(&in, k % 3 ? "*X" : "*"), RCM_OK);
    assert_int_equal(rcm_buf_addstr(&in, "~IEA*1*000000001~"), RCM_OK);
    assert_true(check_els(in.data, in.len, (size_t)1 << 30, true) > 0);
    rcm_buf_release(&in);
    const char *crlf =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*:\n"
        "GS*HC*S*R*20240101*1200*1*X*005010X222A1\r\nNM1*IL*1*DOE\r\nIEA*1*000000001\r\n";
    assert_true(check_els(crlf, strlen(crlf), (size_t)1 << 30, true) > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delimiters_from_isa),
        cmocka_unit_test(test_element_access),
        cmocka_unit_test(test_bom_crlf_whitespace),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_too_long_and_bad_isa),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_isa_without_iea_new_delimiters),
        cmocka_unit_test(test_split_every_offset),
        cmocka_unit_test(test_split_big_file),
        cmocka_unit_test(test_split_matches_bytewise),
        cmocka_unit_test(test_reader_split_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
