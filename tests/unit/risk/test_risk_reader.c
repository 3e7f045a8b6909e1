/*
 * test_risk_reader.c — malformed input files: bad dates, unknown sex,
 * unknown segment, garbage codes, short rows, bad flags are reported with
 * the file, line and member id and do not stop the run; the diagnosis file
 * merge (date windows, sources, orphans, order) and the limits.
 */
#include "rcm/mem.h"
#include "risk_test_util.h"

struct problem {
    char file[16];
    long line;
    char id[64];
    char msg[256];
};

struct problems {
    struct problem p[64];
    int n;
};

static void
collect(void *ctx, const char *file, long line, const char *id, const char *msg)
{
    struct problems *ps = ctx;
    if (ps->n == 64)
        return;
    struct problem *p = &ps->p[ps->n++];
    snprintf(p->file, sizeof p->file, "%s", file);
    p->line = line;
    snprintf(p->id, sizeof p->id, "%s", id ? id : "");
    snprintf(p->msg, sizeof p->msg, "%s", msg);
}

static const struct problem *
find(const struct problems *ps, const char *file, long line)
{
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].file, file) == 0 && ps->p[i].line == line)
            return &ps->p[i];
    return NULL;
}

static FILE *
memfile(const char *text)
{
    FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    assert_non_null(f);
    return f;
}

/* Read every record; ids joined with ' ' into out. */
static enum rcm_err
read_all(struct rcm_risk_reader *r, char *out, size_t cap, size_t *n_dx_total)
{
    out[0] = '\0';
    *n_dx_total = 0;
    for (;;) {
        struct rcm_risk_record rec;
        bool eof;
        struct rcm_diag diag = RCM_DIAG_INIT;
        enum rcm_err err = rcm_risk_reader_next(r, &rec, &eof, &diag);
        if (err)
            return err;
        if (eof)
            return RCM_OK;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? " " : "", rec.member_id);
        *n_dx_total += rec.n_dx;
    }
}

static void
malformed_member_rows(void **state)
{
    (void)state;
    const char *text =
        "member_id,dob,sex,orec,elig,medicaid,dx\n"           /* 1 */
        "A1,1950-01-01,F,0,CNA,0,E1122;I5022\n"               /* 2 ok */
        "A2,1950-13-01,F,0,CNA,0,E1122\n"                     /* 3 bad date */
        "A3,1950-01-01,X,0,CNA,0,\n"                          /* 4 unknown sex */
        "A4,1950-01-01,M,0,ZZZ,0,\n"                          /* 5 unknown segment */
        "A5,1950-01-01,M,0,CNA,0,E11#22;E119;;garbage!!\n"    /* 6 two bad codes, scored */
        "A6,1950-01-01,M,7,CNA,0,\n"                          /* 7 bad orec */
        "A7,1950-01-01,M,0\n"                                 /* 8 short row */
        ",1950-01-01,M,0,CNA,0,\n"                            /* 9 no id */
        "A9,1950-01-01,M,0,CNA,maybe,\n"                      /* 10 bad flag */
        "\"A,10\",19500101,m,0,cna,1,\"E1122\"\n"             /* 11 ok: quoted, CCYYMMDD */
        "A11,\"1950-01-01,F,0,CNA,0,\n"                       /* 12 unterminated quote */
        "A12,,F,0,CNA,0,\n"                                   /* 13 no dob, no age column */
        "\n"                                                  /* 14 blank */
        "A13,1950-01-01,F,0,,0,E1122\n";                      /* 15 ok, segment derived */
    FILE *f = memfile(text);
    struct problems ps = {0};
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(f, NULL, 2026, collect, &ps, &r, &diag), RCM_OK);
    char ids[512];
    size_t n_dx;
    assert_int_equal(read_all(r, ids, sizeof ids, &n_dx), RCM_OK);
    assert_string_equal(ids, "A1 A5 A,10 A13");
    assert_int_equal(n_dx, 2 + 1 + 1 + 1);
    static const struct {
        long line;
        const char *id;
        const char *needle;
    } want[] = {
        {3, "A2", "dob"},          {4, "A3", "sex"},   {5, "A4", "segment"},
        {6, "A5", "dx item 1"},    {7, "A6", "orec"},  {8, "A7", "fields"},
        {9, "", "member_id"},      {10, "A9", "medicaid"}, {12, "", "CSV"},
        {13, "A12", "dob or age"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const struct problem *p = find(&ps, "members", want[i].line);
        if (!p)
            fail_msg("no problem reported for line %ld", want[i].line);
        assert_string_equal(p->id, want[i].id);
        if (!strstr(p->msg, want[i].needle))
            fail_msg("line %ld: '%s' lacks '%s'", want[i].line, p->msg, want[i].needle);
    }
    /* Both bad codes of A5 reported (items 1 and 4); no field values in messages. */
    int a5 = 0;
    for (int i = 0; i < ps.n; i++) {
        a5 += strcmp(ps.p[i].id, "A5") == 0;
        assert_null(strstr(ps.p[i].msg, "E11#22"));
        assert_null(strstr(ps.p[i].msg, "1950"));
        assert_null(strstr(ps.p[i].msg, "garbage"));
    }
    assert_int_equal(a5, 2);
    assert_int_equal(rcm_risk_reader_problems(r), (uint64_t)ps.n);
    assert_int_equal(ps.n, 11);
    rcm_risk_reader_free(r);
    fclose(f);
}

static void
bad_headers(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "",                                   /* empty */
        "member_id,sex,orec\n",               /* no dob/age */
        "id,dob,orec\nA,1950-01-01,0\n",      /* no sex */
        "\"member_id,dob\n",                  /* broken CSV */
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        FILE *f = memfile(texts[i][0] ? texts[i] : "\n");
        if (!texts[i][0]) {
            fclose(f);
            f = fmemopen((void *)(uintptr_t)"x", 0, "r");
            assert_non_null(f);
        }
        struct rcm_risk_reader *r = NULL;
        struct rcm_diag diag = RCM_DIAG_INIT;
        assert_int_equal(rcm_risk_reader_open(f, NULL, 2026, NULL, NULL, &r, &diag), RCM_E_PARSE);
        assert_null(r);
        assert_true(diag.msg[0] != '\0');
        fclose(f);
    }
    /* Age column instead of dob; BOM; aliases. */
    FILE *f = memfile("\xEF\xBB\xBFID,Age,Gender,OREC,Segment\nZ1,70,F,0,CNA\n");
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(f, NULL, 2026, NULL, NULL, &r, &diag), RCM_OK);
    struct rcm_risk_record rec;
    bool eof;
    assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
    assert_false(eof);
    assert_string_equal(rec.member_id, "Z1");
    assert_int_equal(rec.member.age_years, 70);
    assert_int_equal(rec.member.dob_days, RCM_RISK_NO_DOB);
    assert_int_equal(rec.member.segment, RCM_RISK_CNA);
    rcm_risk_reader_free(r);
    fclose(f);
}

static void
diagnosis_file_merge(void **state)
{
    (void)state;
    const char *members =
        "member_id,dob,sex,orec,elig\n"
        "B1,1950-01-01,F,0,CNA\n"
        "B2,1950-01-01,F,0,CNA\n"
        "B3,1950-01-01,F,9,CNA\n"       /* bad orec: its rows are consumed silently */
        "B5,1950-01-01,M,0,CNA\n";
    const char *dx =
        "member_id,code,dos,source\n"   /* 1 */
        "B0,E1122,2025-03-01,\n"         /* 2 orphan before B1 */
        "B1,E1122,2025-03-01,f2f\n"      /* 3 current */
        "B1,I50.22,20251231,tob:111\n"   /* 4 current */
        "B1,J449,2025-05-05,lab\n"       /* 5 suspect */
        "B1,F200,2024-06-01,\n"          /* 6 prior */
        "B1,F200,2024-06-01,radiology\n" /* 7 prior, ineligible: ignored */
        "B1,C771,2023-01-01,\n"          /* 8 outside the window */
        "B1,E119,2025-02-30,\n"          /* 9 bad date */
        "B2,XX,2025-01-01,\n"            /* 10 bad code */
        "B2,E119,2025-01-01,psychic\n"   /* 11 unknown source */
        "B2,E119,,\n"                    /* 12 no date: current */
        "B3,E119,2025-01-01,\n"          /* 13 belongs to skipped member */
        "B4,E119,2025-01-01,\n"          /* 14 orphan between members */
        "B6,E119,2025-01-01,\n";         /* 15 orphan after the last member */
    FILE *mf = memfile(members), *df = memfile(dx);
    struct problems ps = {0};
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(mf, df, 2026, collect, &ps, &r, &diag), RCM_OK);
    struct rcm_risk_record rec;
    bool eof;
    assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
    assert_string_equal(rec.member_id, "B1");
    assert_int_equal(rec.n_dx, 2);
    assert_int_equal(rec.n_suspect, 1);
    assert_int_equal(rec.n_prior, 1);
    char code[8];
    rcm_risk_dx_unpack(rec.prior_dx[0], code);
    assert_string_equal(code, "F200");
    assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
    assert_string_equal(rec.member_id, "B2");
    assert_int_equal(rec.n_dx, 1);
    assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
    assert_string_equal(rec.member_id, "B5");
    assert_int_equal(rec.n_dx, 0);
    assert_int_equal(rcm_risk_reader_next(r, &rec, &eof, &diag), RCM_OK);
    assert_true(eof);
    static const struct {
        long line;
        const char *id;
        const char *needle;
    } want[] = {
        {2, "B0", "not in the member file"}, {9, "B1", "date"},
        {10, "B2", "ICD-10-CM"},            {11, "B2", "source"},
        {14, "B4", "not in the member file"}, {15, "B6", "not in the member file"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const struct problem *p = find(&ps, "diagnoses", want[i].line);
        if (!p)
            fail_msg("no problem for diagnoses line %ld", want[i].line);
        assert_string_equal(p->id, want[i].id);
        assert_non_null(strstr(p->msg, want[i].needle));
    }
    assert_non_null(find(&ps, "members", 4));   /* B3's orec */
    assert_null(find(&ps, "diagnoses", 13));    /* rows of a skipped member: no noise */
    assert_int_equal(ps.n, 7);
    rcm_risk_reader_free(r);
    fclose(mf);
    fclose(df);
}

static void
unsorted_files_are_fatal(void **state)
{
    (void)state;
    FILE *mf = memfile("member_id,dob,sex,orec\nC1,1950-01-01,F,0\nC2,1950-01-01,F,0\n");
    FILE *df = memfile("member_id,code\nC2,E119\nC1,E119\n");
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(mf, df, 2026, NULL, NULL, &r, &diag), RCM_OK);
    char ids[64];
    size_t n;
    assert_int_equal(read_all(r, ids, sizeof ids, &n), RCM_E_PARSE);
    rcm_risk_reader_free(r);
    fclose(mf);
    fclose(df);
    mf = memfile("member_id,dob,sex,orec\nC2,1950-01-01,F,0\nC1,1950-01-01,F,0\n");
    df = memfile("member_id,code\nC1,E119\n");
    assert_int_equal(rcm_risk_reader_open(mf, df, 2026, NULL, NULL, &r, &diag), RCM_OK);
    assert_int_equal(read_all(r, ids, sizeof ids, &n), RCM_E_PARSE);
    rcm_risk_reader_free(r);
    fclose(mf);
    fclose(df);
    /* Without a diagnosis file, order does not matter. */
    mf = memfile("member_id,dob,sex,orec\nC2,1950-01-01,F,0\nC1,1950-01-01,F,0\n");
    assert_int_equal(rcm_risk_reader_open(mf, NULL, 2026, NULL, NULL, &r, &diag), RCM_OK);
    assert_int_equal(read_all(r, ids, sizeof ids, &n), RCM_OK);
    assert_string_equal(ids, "C2 C1");
    rcm_risk_reader_free(r);
    fclose(mf);
}

static void
limits(void **state)
{
    (void)state;
    /* A line longer than 1 MiB is reported and skipped; the next row still reads. */
    size_t big = (1u << 20) + 100;
    char *text = malloc(big + 200);
    assert_non_null(text);
    int n = snprintf(text, 200, "member_id,dob,sex,orec,dx\nL1,1950-01-01,F,0,");
    memset(text + n, 'A', big);
    snprintf(text + n + big, 200, "\nL2,1950-01-01,F,0,E119\n");
    FILE *f = memfile(text);
    struct problems ps = {0};
    struct rcm_risk_reader *r;
    struct rcm_diag diag = RCM_DIAG_INIT;
    assert_int_equal(rcm_risk_reader_open(f, NULL, 2026, collect, &ps, &r, &diag), RCM_OK);
    char ids[64];
    size_t nd;
    assert_int_equal(read_all(r, ids, sizeof ids, &nd), RCM_OK);
    assert_string_equal(ids, "L2");
    assert_int_equal(ps.n, 1);
    assert_int_equal(ps.p[0].line, 2);
    assert_non_null(strstr(ps.p[0].msg, "longer"));
    rcm_risk_reader_free(r);
    fclose(f);
    free(text);
    /* More than 20,000 codes for one member: capped and reported once. */
    size_t codes = 20050;
    text = malloc(codes * 6 + 200);
    assert_non_null(text);
    n = snprintf(text, 200, "member_id,dob,sex,orec,dx\nL3,1950-01-01,F,0,");
    for (size_t i = 0; i < codes; i++)
        n += snprintf(text + n, 7, "E119;");
    snprintf(text + n, 10, "\n");
    f = memfile(text);
    ps.n = 0;
    assert_int_equal(rcm_risk_reader_open(f, NULL, 2026, collect, &ps, &r, &diag), RCM_OK);
    assert_int_equal(read_all(r, ids, sizeof ids, &nd), RCM_OK);
    assert_int_equal(nd, 20000);
    assert_int_equal(ps.n, 1);
    assert_non_null(strstr(ps.p[0].msg, "20000"));
    rcm_risk_reader_free(r);
    fclose(f);
    free(text);
}

/* Every allocation failing in turn: clean errors, no crash, no leak. */
static void
allocation_failures(void **state)
{
    (void)state;
    const char *members = "member_id,dob,sex,orec,dx\nE1,1950-01-01,F,0,E119;I5022\n"
                          "E2,1950-01-01,M,0,E119\n";
    const char *dx = "member_id,code,dos\nE1,J449,2025-01-01\nE2,F200,2024-01-01\n";
    bool succeeded = false;
    for (uint64_t k = 1; k < 100 && !succeeded; k++) {
        FILE *mf = memfile(members), *df = memfile(dx);
        struct rcm_risk_reader *r = NULL;
        struct rcm_diag diag = RCM_DIAG_INIT;
        rcm_alloc_fail_after(k, 1);
        enum rcm_err err = rcm_risk_reader_open(mf, df, 2026, NULL, NULL, &r, &diag);
        if (err == RCM_OK) {
            char ids[64];
            size_t n;
            err = read_all(r, ids, sizeof ids, &n);
            if (err == RCM_OK) {
                assert_string_equal(ids, "E1 E2");
                succeeded = true;
            }
            rcm_risk_reader_free(r);
        } else {
            assert_null(r);
        }
        rcm_alloc_fail_after(0, 0);
        if (!succeeded)
            assert_int_equal(err, RCM_E_NOMEM);
        fclose(mf);
        fclose(df);
    }
    assert_true(succeeded);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_member_rows),
        cmocka_unit_test(bad_headers),
        cmocka_unit_test(diagnosis_file_merge),
        cmocka_unit_test(unsorted_files_are_fatal),
        cmocka_unit_test(limits),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
