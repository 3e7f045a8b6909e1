/*
 * test_codes.c — code-set index: known codes, the FY2025/FY2026 year
 * boundary, search ranking, CPT/NPI formats, NCCI loading, and clear errors
 * for malformed data files, indexes, NCCI files and payer rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rcm/codes.h"
#include "rcm/date.h"
#include "rcm/scrub.h"

#define INDEX RCM_TEST_BINARY_DIR "/codes/openrcm-codes.idx"

static struct rcm_codes *codes;

static int32_t
day(int y, int m, int d)
{
    return rcm_date_from_ymd(y, m, d);
}

static enum rcm_code_status
look(enum rcm_code_set set, const char *code, int32_t date, struct rcm_code_info *info)
{
    return rcm_codes_lookup(codes, set, code, strlen(code), date, info);
}

static void
test_known_codes(void **state)
{
    (void)state;
    struct rcm_code_info in;
    int32_t d = day(2026, 3, 1);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "E11.9", d, &in), RCM_CODE_VALID);
    assert_true(in.flags & RCM_CODE_BILLABLE);
    assert_string_equal(in.long_title, "Type 2 diabetes mellitus without complications");
    assert_string_equal(in.version, "FY2026");
    assert_int_equal(look(RCM_CODESET_ICD10CM, "e119", d, &in), RCM_CODE_VALID);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "E11", d, &in), RCM_CODE_VALID);
    assert_false(in.flags & RCM_CODE_BILLABLE);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "Z00.00", d, &in), RCM_CODE_VALID);
    assert_true(in.flags & RCM_CODE_BILLABLE);
    assert_true(in.flags & RCM_CODE_MCE_UNACCEPTABLE_PDX);
    assert_true(in.flags & RCM_CODE_POA_EXEMPT);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "E11.99", d, &in), RCM_CODE_UNKNOWN);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "", d, &in), RCM_CODE_UNKNOWN);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "E11.9; DROP", d, &in), RCM_CODE_UNKNOWN);
    assert_int_equal(look(RCM_CODESET_HCPCS, "G0438", d, &in), RCM_CODE_VALID);
    assert_non_null(strstr(in.long_title, "Annual wellness visit"));
    assert_int_equal(look(RCM_CODESET_HCPCS, "G0000", d, &in), RCM_CODE_UNKNOWN);
    assert_int_equal(look(RCM_CODESET_POS, "11", d, &in), RCM_CODE_VALID);
    assert_string_equal(in.short_title, "Office");
    assert_false(in.flags & RCM_CODE_POS_FACILITY);
    assert_int_equal(look(RCM_CODESET_POS, "21", d, &in), RCM_CODE_VALID);
    assert_true(in.flags & RCM_CODE_POS_FACILITY);
    assert_int_equal(look(RCM_CODESET_TAXONOMY, "207Q00000X", d, &in), RCM_CODE_VALID);
    assert_string_equal(in.long_title, "Family Medicine");
    assert_int_equal(look(RCM_CODESET_MODIFIER, "RT", d, &in), RCM_CODE_VALID);
    assert_int_equal(look(RCM_CODESET_CARC, "45", d, &in), RCM_CODE_VALID);
    assert_int_equal(look(RCM_CODESET_RARC, "M1", d, &in), RCM_CODE_VALID);
    assert_int_equal(look(RCM_CODESET_ADJ_GROUP, "CO", d, &in), RCM_CODE_VALID);
    assert_int_equal(look(RCM_CODESET_ADJ_GROUP, "XX", d, &in), RCM_CODE_UNKNOWN);
    /* MCE manifestation and age lists */
    assert_int_equal(look(RCM_CODESET_ICD10CM, "D63.1", d, &in), RCM_CODE_VALID);
    assert_true(in.flags & RCM_CODE_MCE_MANIFESTATION);
    int lo, hi;
    rcm_codes_mce_age_range(codes, RCM_CODE_MCE_ADULT, &lo, &hi);
    assert_int_equal(lo, 15);
    assert_int_equal(hi, 124);
    assert_true(rcm_codes_count(codes, RCM_CODESET_ICD10CM) > 98000);
}

static void
test_year_boundary(void **state)
{
    (void)state;
    struct rcm_code_info in;
    /* S30.1XXA: deleted in the FY2026 addenda */
    assert_int_equal(look(RCM_CODESET_ICD10CM, "S30.1XXA", day(2025, 9, 30), &in),
                     RCM_CODE_VALID);
    assert_string_equal(in.version, "FY2025");
    assert_int_equal(look(RCM_CODESET_ICD10CM, "S30.1XXA", day(2025, 10, 1), &in),
                     RCM_CODE_NOT_IN_FORCE);
    assert_int_equal(in.to_days, day(2025, 9, 30));
    /* D71: billable in FY2025, a header in FY2026 */
    assert_int_equal(look(RCM_CODESET_ICD10CM, "D71", day(2025, 9, 30), &in), RCM_CODE_VALID);
    assert_true(in.flags & RCM_CODE_BILLABLE);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "D71", day(2025, 10, 1), &in), RCM_CODE_VALID);
    assert_false(in.flags & RCM_CODE_BILLABLE);
    /* B88.01: added 2025-10-01 */
    assert_int_equal(look(RCM_CODESET_ICD10CM, "B88.01", day(2025, 9, 30), &in),
                     RCM_CODE_NOT_IN_FORCE);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "B88.01", day(2025, 10, 1), &in),
                     RCM_CODE_VALID);
    /* L02.212: long title revised on 2025-10-01 */
    assert_int_equal(look(RCM_CODESET_ICD10CM, "L02.212", day(2025, 9, 30), &in), RCM_CODE_VALID);
    assert_string_equal(in.long_title, "Cutaneous abscess of back [any part, except buttock]");
    assert_int_equal(look(RCM_CODESET_ICD10CM, "L02.212", day(2025, 10, 1), &in), RCM_CODE_VALID);
    assert_string_equal(in.long_title,
                        "Cutaneous abscess of back [any part, except buttock and flank]");
    /* before the first version; after the last one (checked against it) */
    assert_int_equal(look(RCM_CODESET_ICD10CM, "E11.9", day(2024, 9, 30), &in),
                     RCM_CODE_NO_VERSION);
    assert_int_equal(look(RCM_CODESET_ICD10CM, "E11.9", day(2026, 10, 1), &in), RCM_CODE_VALID);
    assert_true(in.beyond_latest);
}

static void
test_lookup_many(void **state)
{
    (void)state;
    const char *list[40];
    size_t lens[40];
    static const char *const some[] = {"E11.9", "E11", "S30.1XXA", "XYZ", "Z00.00", "D71",
                                       "B88.01", ""};
    for (size_t i = 0; i < 40; i++) {
        list[i] = some[i % 8];
        lens[i] = strlen(list[i]);
    }
    struct rcm_code_info many[40], one;
    int32_t dates[] = {day(2025, 9, 30), day(2025, 10, 1), day(2024, 1, 1)};
    for (size_t d = 0; d < 3; d++) {
        rcm_codes_lookup_many(codes, RCM_CODESET_ICD10CM, list, lens, 40, dates[d], many);
        for (size_t i = 0; i < 40; i++) {
            look(RCM_CODESET_ICD10CM, list[i], dates[d], &one);
            assert_int_equal(many[i].status, one.status);
            assert_int_equal(many[i].flags, one.flags);
            assert_ptr_equal(many[i].long_title, one.long_title);
        }
    }
}

static void
test_search(void **state)
{
    (void)state;
    struct rcm_code_hit hits[10];
    size_t n = 0;
    assert_int_equal(rcm_codes_search(codes, RCM_CODESET_ICD10CM,
                                      "type 2 diabetes with neuropathy", day(2026, 3, 1),
                                      hits, 10, &n),
                     RCM_OK);
    assert_true(n >= 5);
    int e1140 = -1, e1142 = -1;
    for (size_t i = 0; i < 5; i++) {
        if (strcmp(hits[i].code, "E11.40") == 0)
            e1140 = (int)i;
        if (strcmp(hits[i].code, "E11.42") == 0)
            e1142 = (int)i;
    }
    assert_true(e1140 >= 0);
    assert_true(e1142 >= 0);
    assert_int_equal(rcm_codes_search(codes, RCM_CODESET_ICD10CM, "E11.4", day(2026, 3, 1),
                                      hits, 10, &n),
                     RCM_OK);
    assert_string_equal(hits[0].code, "E11.4");
    for (size_t i = 0; i < n; i++)
        assert_memory_equal(hits[i].code, "E11.4", 5);
    assert_int_equal(rcm_codes_search(codes, RCM_CODESET_ICD10CM, "  ", day(2026, 3, 1), hits,
                                      10, &n),
                     RCM_E_INVAL);
    assert_int_equal(rcm_codes_search(codes, RCM_CODESET_HCPCS, "annual wellness visit",
                                      day(2026, 3, 1), hits, 10, &n),
                     RCM_OK);
    assert_true(n >= 2);
    assert_memory_equal(hits[0].code, "G04", 3);
}

static void
test_formats(void **state)
{
    (void)state;
    assert_int_equal(rcm_codes_proc_kind("99213", 5), RCM_PROC_CPT);
    assert_int_equal(rcm_codes_proc_kind("3074F", 5), RCM_PROC_CPT_II);
    assert_int_equal(rcm_codes_proc_kind("0054T", 5), RCM_PROC_CPT_III);
    assert_int_equal(rcm_codes_proc_kind("0001U", 5), RCM_PROC_CPT_PLA);
    assert_int_equal(rcm_codes_proc_kind("G0438", 5), RCM_PROC_HCPCS);
    assert_int_equal(rcm_codes_proc_kind("W0438", 5), RCM_PROC_INVALID);
    assert_int_equal(rcm_codes_proc_kind("9921", 4), RCM_PROC_INVALID);
    assert_int_equal(rcm_codes_proc_kind("9921X", 5), RCM_PROC_INVALID);
    assert_true(rcm_codes_npi_valid("1234567893", 10));
    assert_true(rcm_codes_npi_valid("1245319599", 10));
    assert_false(rcm_codes_npi_valid("1234567890", 10));
    assert_false(rcm_codes_npi_valid("123456789", 9));
    assert_false(rcm_codes_npi_valid("123456789a", 10));
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_malformed_data_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/rcm-codes-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], path[256], out[256];
    snprintf(sub, sizeof sub, "%s/codesets", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(out, sizeof out, "%s/out.idx", dir);
    struct rcm_diag diag = RCM_DIAG_INIT;

    /* no manifest */
    assert_int_equal(rcm_codes_build(dir, out, &diag), RCM_E_IO);
    assert_non_null(strstr(diag.msg, "codesets.tsv"));

    /* manifest with a bad date */
    snprintf(path, sizeof path, "%s/codesets.tsv", sub);
    write_file(path, "pos\t1\t2026-13-01\t-\tpos-tsv\tpos.tsv\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_build(dir, out, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "codesets.tsv line 1"));

    /* POS file with a bad facility column on line 3 */
    write_file(path, "pos\t1\t2026-01-01\t-\tpos-tsv\tpos.tsv\n");
    snprintf(path, sizeof path, "%s/pos.tsv", sub);
    write_file(path, "pos_code\tpos_type\tpos_name\n11\tNon-Facility\tOffice\n12\tMaybe\tHome\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_build(dir, out, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "pos.tsv line 3"));

    /* ICD order file with a bad billable flag; duplicate codes */
    snprintf(path, sizeof path, "%s/codesets.tsv", sub);
    write_file(path, "icd10cm\tFY2030\t2029-10-01\t2030-09-30\ticd10cm-order\torder.txt\n");
    snprintf(path, sizeof path, "%s/order.txt", sub);
    write_file(path, "00001 A00     0 Cholera                                                      Cholera\n"
                     "00002 A000    7 Cholera due to Vibrio cholerae 01, biovar cholerae           Cholera\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_build(dir, out, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "order.txt line 2"));
    write_file(path, "00001 A00     0 Cholera                                                      Cholera\n"
                     "00002 A00     0 Cholera                                                      Cholera\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_build(dir, out, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "duplicate"));

    /* a small valid one builds, opens and looks up (synthetic next-year drop) */
    write_file(path, "00001 A00     0 Cholera                                                      Cholera\n"
                     "00002 A000    1 Cholera due to Vibrio cholerae 01, biovar cholerae           Cholera due to Vibrio cholerae 01, biovar cholerae\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_build(dir, out, &diag), RCM_OK);
    struct rcm_codes *c2;
    assert_int_equal(rcm_codes_open(out, &c2, &diag), RCM_OK);
    struct rcm_code_info in;
    assert_int_equal(rcm_codes_lookup(c2, RCM_CODESET_ICD10CM, "A00.0", 5, day(2030, 9, 30), &in),
                     RCM_CODE_VALID);
    assert_string_equal(in.version, "FY2030");
    rcm_codes_close(c2);

    /* truncated and garbage indexes are refused */
    FILE *f = fopen(out, "r+");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 200), 0);
    fclose(f);
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_open(out, &c2, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "not a valid code-set index"));
    write_file(out, "this is not an index, just some text that is long enough to have a header "
                    "this is not an index, just some text that is long enough to have a header "
                    "this is not an index, just some text that is long enough to have a header "
                    "this is not an index, just some text that is long enough to have a header");
    assert_int_equal(rcm_codes_open(out, &c2, &diag), RCM_E_PARSE);
    assert_int_equal(rcm_codes_open("/nonexistent/x.idx", &c2, &diag), RCM_E_IO);

    /* malformed NCCI row */
    char ndir[256];
    snprintf(ndir, sizeof ndir, "%s/ncci", dir);
    assert_int_equal(mkdir(ndir, 0700), 0);
    snprintf(path, sizeof path, "%s/ptp.txt", ndir);
    write_file(path, "Column 1\tColumn 2\tprior\tEffective\tDeletion\tModifier\tRationale\n"
                     "99214\t36415\t*\t20100101\t*\t1\tok\n"
                     "99214\t36416\t*\t2010-01-01\t*\t1\tbad date\n");
    struct rcm_ncci *nc;
    struct rcm_ncci_stats st;
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_codes_ncci_load(ndir, 0, &nc, &st, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "ptp.txt line 3"));
    write_file(path, "Column 1\tColumn 2\tprior\tEffective\tDeletion\tModifier\tRationale\n"
                     "99214\t36415\t*\t20100101\t*\t1\tok\n");
    assert_int_equal(rcm_codes_ncci_load(ndir, 0, &nc, &st, &diag), RCM_OK);
    assert_int_equal(st.ptp_rows, 1);
    int mi;
    assert_true(rcm_codes_ncci_ptp(nc, "99214", "36415", day(2026, 1, 1), &mi));
    assert_int_equal(mi, 1);
    assert_false(rcm_codes_ncci_ptp(nc, "36415", "99214", day(2026, 1, 1), &mi));
    assert_false(rcm_codes_ncci_ptp(nc, "99214", "36415", day(2009, 12, 31), &mi));
    rcm_codes_ncci_free(nc);

    /* malformed payer rules */
    char rdir[256];
    snprintf(rdir, sizeof rdir, "%s/rules", dir);
    assert_int_equal(mkdir(rdir, 0700), 0);
    snprintf(path, sizeof path, "%s/bad.ini", rdir);
    write_file(path, "[payer]\nname = x\ndefault = true\n[edits]\ndisable = no-such-edit\n");
    struct rcm_payer_rules *rules;
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_payer_rules_load(rdir, &rules, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "bad.ini line 5"));
    assert_non_null(strstr(diag.msg, "no-such-edit"));
    write_file(path, "[payer]\nname = x\ndefault = true\n[hold h]\nfield = line.nope\nop = eq\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_payer_rules_load(rdir, &rules, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "line.nope"));
    write_file(path, "[payer]\nname = x\ntimely_filing_days = 90\n");
    rcm_diag_clear(&diag);
    assert_int_equal(rcm_payer_rules_load(rdir, &rules, &diag), RCM_E_PARSE);
    assert_non_null(strstr(diag.msg, "matches no claim"));
    unlink(path);

    /* cleanup */
    snprintf(path, sizeof path, "%s/ptp.txt", ndir);
    unlink(path);
    rmdir(ndir);
    rmdir(rdir);
    snprintf(path, sizeof path, "%s/order.txt", sub);
    unlink(path);
    snprintf(path, sizeof path, "%s/pos.tsv", sub);
    unlink(path);
    snprintf(path, sizeof path, "%s/codesets.tsv", sub);
    unlink(path);
    unlink(out);
    rmdir(sub);
    rmdir(dir);
}

static void
test_edit_table(void **state)
{
    (void)state;
    json_t *a = rcm_scrub_edits_json();
    assert_non_null(a);
    assert_int_equal(json_array_size(a), RCM_EDIT_COUNT);
    json_decref(a);
    /* docs/edits.md is the generated table: keep it in sync */
    struct rcm_buf b = RCM_BUF_INIT(1u << 20);
    assert_int_equal(rcm_scrub_edits_markdown(&b), RCM_OK);
    FILE *f = fopen(RCM_TEST_SOURCE_DIR "/docs/edits.md", "r");
    assert_non_null(f);
    char *doc = calloc(1, 1u << 20);
    size_t n = fread(doc, 1, (1u << 20) - 1, f);
    fclose(f);
    if (n != b.len || memcmp(doc, b.data, n) != 0)
        fail_msg("docs/edits.md is stale: regenerate with "
                 "'openrcm scrub --list-edits --markdown > docs/edits.md'");
    free(doc);
    rcm_buf_release(&b);
}

static int
setup(void **state)
{
    (void)state;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_codes_open(INDEX, &codes, &diag) != RCM_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    rcm_codes_close(codes);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_codes),
        cmocka_unit_test(test_year_boundary),
        cmocka_unit_test(test_lookup_many),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_malformed_data_files),
        cmocka_unit_test(test_edit_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
