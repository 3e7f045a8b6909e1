/*
 * codes_build.c — compile the raw code-set files named in
 * data/codesets/codesets.tsv into the mmap-able index (layout in
 * codes_int.h). Run at build time by tools/codes/ (and by
 * `openrcm codes build`); not on any request path.
 *
 * Every reader here is strict: a line that does not have the shape its
 * format promises stops the build with the file name and line number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "codes/codes_int.h"
#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm/str.h"

#define RAW_FILE_MAX_BYTES (64u << 20)
#define MAX_RECORDS (4u << 20)

struct brec {
    char code[CODES_KEY_BYTES];
    uint8_t set;
    int32_t from_days, to_days;
    uint32_t flags;
    struct rcm_str short_t, long_t;
};

struct bversion {
    uint32_t set;
    int32_t from_days, to_days;
    char name[32];
};

/* One ICD-10-CM version being assembled (for reverse addenda). */
struct icd_entry {
    char code[CODES_KEY_BYTES];
    bool billable;
    struct rcm_str short_t, long_t;
};

struct builder {
    struct brec *recs;
    size_t n_recs, cap_recs;
    struct bversion versions[CODES_MAX_VERSIONS];
    size_t n_versions;
    char *files[64];              /* raw file contents, owned */
    size_t n_files;
    struct icd_entry *icd_last;   /* latest icd version read (for reverse addenda) */
    size_t n_icd_last;
    int32_t icd_last_from;
    int32_t mce_age[8];
    /* flag lists applied to ICD codes after sorting */
    struct { char code[CODES_KEY_BYTES]; uint32_t flag; } *flagged;
    size_t n_flagged, cap_flagged;
    struct rcm_diag *diag;
    const char *cur_file;
};

static enum rcm_err
read_file(struct builder *b, const char *path, struct rcm_str *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcm_diag_fail(b->diag, RCM_E_IO, "cannot open %s: %s", path,
                             strerror(errno));
    struct rcm_buf buf = RCM_BUF_INIT(RAW_FILE_MAX_BYTES);
    char chunk[65536];
    size_t got;
    enum rcm_err err = RCM_OK;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        err = rcm_buf_add(&buf, chunk, got);
        if (err)
            break;
    }
    if (!err && ferror(f))
        err = RCM_E_IO;
    fclose(f);
    if (err) {
        rcm_buf_release(&buf);
        return rcm_diag_fail(b->diag, err, "cannot read %s: %s", path,
                             rcm_err_str(err));
    }
    if (b->n_files == sizeof b->files / sizeof b->files[0]) {
        rcm_buf_release(&buf);
        return rcm_diag_fail(b->diag, RCM_E_TOO_LARGE, "too many code-set files");
    }
    size_t len = 0;
    char *data = rcm_buf_detach(&buf, &len);
    if (!data) {
        data = rcm_strdup("");
        if (!data)
            return RCM_E_NOMEM;
    }
    b->files[b->n_files++] = data;
    *out = (struct rcm_str){data, len};
    return RCM_OK;
}

/* Next line without its CR/LF; false at the end. */
static bool
next_line(struct rcm_str *rest, struct rcm_str *line)
{
    if (!rest->p || rest->n == 0)
        return false;
    const char *nl = memchr(rest->p, '\n', rest->n);
    size_t len = nl ? (size_t)(nl - rest->p) : rest->n;
    *line = (struct rcm_str){rest->p, len};
    if (nl) {
        rest->p = nl + 1;
        rest->n -= len + 1;
    } else {
        rest->p = NULL;
        rest->n = 0;
    }
    if (line->n && line->p[line->n - 1] == '\r')
        line->n--;
    return true;
}

static struct rcm_str
rtrim(struct rcm_str s)
{
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static struct rcm_str
sub(struct rcm_str s, size_t from, size_t len)
{
    if (from >= s.n)
        return (struct rcm_str){s.p + s.n, 0};
    if (len > s.n - from)
        len = s.n - from;
    return rtrim((struct rcm_str){s.p + from, len});
}

static enum rcm_err
add_rec(struct builder *b, const struct brec *r)
{
    if (b->n_recs == b->cap_recs) {
        if (b->cap_recs >= MAX_RECORDS)
            return rcm_diag_fail(b->diag, RCM_E_TOO_LARGE,
                                 "more than %u code records", MAX_RECORDS);
        size_t cap = b->cap_recs ? b->cap_recs * 2 : 4096;
        struct brec *n = rcm_realloc(b->recs, cap * sizeof *n);
        if (!n)
            return RCM_E_NOMEM;
        b->recs = n;
        b->cap_recs = cap;
    }
    b->recs[b->n_recs++] = *r;
    return RCM_OK;
}

static enum rcm_err
bad_line(struct builder *b, long lineno, const char *what)
{
    return rcm_diag_fail_at(b->diag, RCM_E_PARSE, -1, lineno, "%s line %ld: %s",
                            b->cur_file, lineno, what);
}

static enum rcm_err
add_code(struct builder *b, enum rcm_code_set set, struct rcm_str code,
         int32_t from, int32_t to, uint32_t flags, struct rcm_str st,
         struct rcm_str lt, long lineno)
{
    struct brec r;
    memset(&r, 0, sizeof r);
    if (!codes_make_key(set, code.p, code.n, r.code))
        return bad_line(b, lineno, "malformed code");
    r.set = (uint8_t)set;
    r.from_days = from;
    r.to_days = to;
    r.flags = flags;
    r.short_t = st;
    r.long_t = lt;
    return add_rec(b, &r);
}

/* ---- ICD-10-CM ------------------------------------------------------- */

/* Order file: order(0-4) code(6-12) flag(14) short(16-75) long(77-). */
struct icd_layout {
    size_t code_at, flag_at, short_at, long_at;
};
static const struct icd_layout order_layout = {6, 14, 16, 77};
static const struct icd_layout addenda_layout = {15, 13, 23, 84};

static enum rcm_err
parse_icd_fixed(struct builder *b, struct rcm_str line,
                const struct icd_layout *lay, long lineno, struct icd_entry *e)
{
    if (line.n < lay->short_at + 1)
        return bad_line(b, lineno, "line too short for the order-file layout");
    struct rcm_str code = sub(line, lay->code_at, 7);
    char flag = line.p[lay->flag_at];
    if (flag != '0' && flag != '1')
        return bad_line(b, lineno, "billable flag is not 0 or 1");
    memset(e, 0, sizeof *e);
    if (!codes_make_key(RCM_CODESET_ICD10CM, code.p, code.n, e->code) ||
        code.n < 3)
        return bad_line(b, lineno, "malformed ICD-10-CM code");
    e->billable = flag == '1';
    e->short_t = sub(line, lay->short_at, 60);
    e->long_t = sub(line, lay->long_at, SIZE_MAX / 2);
    if (e->long_t.n == 0)
        e->long_t = e->short_t;
    return RCM_OK;
}

static int
icd_entry_cmp(const void *a, const void *b)
{
    return memcmp(((const struct icd_entry *)a)->code,
                  ((const struct icd_entry *)b)->code, CODES_KEY_BYTES);
}

static enum rcm_err
emit_icd(struct builder *b, const struct icd_entry *v, size_t n, int32_t from,
         int32_t to)
{
    for (size_t i = 0; i < n; i++) {
        struct brec r;
        memset(&r, 0, sizeof r);
        memcpy(r.code, v[i].code, CODES_KEY_BYTES);
        r.set = RCM_CODESET_ICD10CM;
        r.from_days = from;
        r.to_days = to;
        r.flags = v[i].billable ? RCM_CODE_BILLABLE : 0;
        r.short_t = v[i].short_t;
        r.long_t = v[i].long_t;
        enum rcm_err err = add_rec(b, &r);
        if (err)
            return err;
    }
    return RCM_OK;
}

static enum rcm_err
load_icd_order(struct builder *b, struct rcm_str data, int32_t from, int32_t to)
{
    struct rcm_str rest = data, line;
    long lineno = 0;
    size_t cap = 0, n = 0;
    struct icd_entry *v = NULL;
    enum rcm_err err = RCM_OK;
    while (next_line(&rest, &line)) {
        lineno++;
        if (line.n == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            struct icd_entry *nv = rcm_realloc(v, cap * sizeof *nv);
            if (!nv) {
                err = RCM_E_NOMEM;
                goto out;
            }
            v = nv;
        }
        err = parse_icd_fixed(b, line, &order_layout, lineno, &v[n]);
        if (err)
            goto out;
        n++;
    }
    if (n == 0) {
        err = bad_line(b, lineno, "no ICD-10-CM codes");
        goto out;
    }
    qsort(v, n, sizeof *v, icd_entry_cmp);
    for (size_t i = 1; i < n; i++)
        if (memcmp(v[i].code, v[i - 1].code, CODES_KEY_BYTES) == 0) {
            err = rcm_diag_fail(b->diag, RCM_E_PARSE, "%s: duplicate code %s",
                                b->cur_file, v[i].code);
            goto out;
        }
    err = emit_icd(b, v, n, from, to);
    if (err)
        goto out;
    rcm_free(b->icd_last);
    b->icd_last = v;
    b->n_icd_last = n;
    b->icd_last_from = from;
    return RCM_OK;
out:
    rcm_free(v);
    return err;
}

static struct icd_entry *
icd_find(struct icd_entry *v, size_t n, const char *key)
{
    struct icd_entry k;
    memcpy(k.code, key, CODES_KEY_BYTES);
    return bsearch(&k, v, n, sizeof *v, icd_entry_cmp);
}

/*
 * Derive the previous version from the latest one and its addenda: codes
 * added are dropped, deleted ones restored, revised titles reverted. "Add" of
 * a code also deleted (a billable-flag change) is handled by the restore.
 */
static enum rcm_err
load_icd_reverse(struct builder *b, struct rcm_str data, int32_t from,
                 int32_t to)
{
    if (!b->icd_last)
        return rcm_diag_fail(b->diag, RCM_E_PARSE,
                             "%s: reverse addenda need a preceding icd10cm "
                             "order file in codesets.tsv", b->cur_file);
    size_t n = b->n_icd_last;
    /* room for all current codes plus every restored one */
    size_t cap = n + data.n / 40 + 16;
    struct icd_entry *v = rcm_malloc(cap * sizeof *v);
    if (!v)
        return RCM_E_NOMEM;
    memcpy(v, b->icd_last, n * sizeof *v);
    bool *drop = rcm_calloc(n ? n : 1, sizeof *drop);
    if (!drop) {
        rcm_free(v);
        return RCM_E_NOMEM;
    }
    size_t extra = 0;
    enum rcm_err err = RCM_OK;
    struct rcm_str rest = data, line;
    long lineno = 0;
    bool blank = false;
    long expect_codes = -1, expect_headers = -1;
    while (next_line(&rest, &line)) {
        lineno++;
        if (line.n == 0) {
            blank = true;
            continue;
        }
        if (blank && !rcm_str_starts_with(line, RCM_STR("Add:")) &&
            !rcm_str_starts_with(line, RCM_STR("Delete:")) &&
            !rcm_str_starts_with(line, RCM_STR("Revise"))) {
            /* CMS summary trailer: "  74260 codes in icd10cm_order_2025.txt";
             * the first count of each kind is the older (derived) file's */
            long cnt;
            char what[16], fname[64], tmp[128];
            if (rcm_str_copy(tmp, sizeof tmp, line) &&
                sscanf(tmp, "%ld %15s in %63s", &cnt, what, fname) == 3) {
                if (strcmp(what, "codes") == 0 && expect_codes < 0)
                    expect_codes = cnt;
                else if (strcmp(what, "headers") == 0 && expect_headers < 0)
                    expect_headers = cnt;
            }
            continue;
        }
        bool is_add = rcm_str_starts_with(line, RCM_STR("Add:"));
        bool is_del = rcm_str_starts_with(line, RCM_STR("Delete:"));
        bool is_rev_from = rcm_str_starts_with(line, RCM_STR("Revise from:"));
        bool is_rev_to = rcm_str_starts_with(line, RCM_STR("Revise to:"));
        if (!is_add && !is_del && !is_rev_from && !is_rev_to) {
            err = bad_line(b, lineno, "not an Add/Delete/Revise addenda line");
            goto out;
        }
        struct icd_entry e;
        /* addenda: 13-byte tag, then flag(13) code(15-21) short(23-82) long(84-) */
        err = parse_icd_fixed(b, line, &addenda_layout, lineno, &e);
        if (err)
            goto out;
        struct icd_entry *cur = icd_find(b->icd_last, n, e.code);
        size_t at = cur ? (size_t)(cur - b->icd_last) : 0;
        if (is_add) {
            if (!cur) {
                err = bad_line(b, lineno, "added code missing from the newer order file");
                goto out;
            }
            drop[at] = true;
        } else if (is_del || is_rev_from) {
            if (is_rev_from && cur && !drop[at]) {
                v[at] = e;
                continue;
            }
            if (n + extra >= cap) {
                err = bad_line(b, lineno, "too many addenda lines");
                goto out;
            }
            v[n + extra++] = e;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n + extra; i++)
        if (i >= n || !drop[i])
            v[k++] = v[i];
    qsort(v, k, sizeof *v, icd_entry_cmp);
    if (expect_codes >= 0 && expect_headers >= 0) {
        long codes = 0, headers = 0;
        for (size_t i = 0; i < k; i++)
            *(v[i].billable ? &codes : &headers) += 1;
        if (codes != expect_codes || headers != expect_headers) {
            err = rcm_diag_fail(b->diag, RCM_E_PARSE,
                                "%s: derived previous year has %ld codes and "
                                "%ld headers, the addenda summary says %ld and %ld",
                                b->cur_file, codes, headers, expect_codes,
                                expect_headers);
            goto out;
        }
    }
    for (size_t i = 1; i < k; i++)
        if (memcmp(v[i].code, v[i - 1].code, CODES_KEY_BYTES) == 0) {
            err = rcm_diag_fail(b->diag, RCM_E_PARSE,
                                "%s: addenda restore %s twice", b->cur_file,
                                v[i].code);
            goto out;
        }
    err = emit_icd(b, v, k, from, to);
out:
    rcm_free(drop);
    rcm_free(v);
    return err;
}

/* ---- flag lists (MCE, POA) -------------------------------------------- */

static enum rcm_err
add_flag(struct builder *b, const char *code, size_t n, uint32_t flag,
         long lineno)
{
    if (b->n_flagged == b->cap_flagged) {
        size_t cap = b->cap_flagged ? b->cap_flagged * 2 : 16384;
        void *nf = rcm_realloc(b->flagged, cap * sizeof *b->flagged);
        if (!nf)
            return RCM_E_NOMEM;
        b->flagged = nf;
        b->cap_flagged = cap;
    }
    if (!codes_make_key(RCM_CODESET_ICD10CM, code, n,
                        b->flagged[b->n_flagged].code))
        return bad_line(b, lineno, "malformed ICD-10-CM code");
    b->flagged[b->n_flagged++].flag = flag;
    return RCM_OK;
}

static enum rcm_err
load_poa(struct builder *b, struct rcm_str data)
{
    struct rcm_str rest = data, line;
    long lineno = 0;
    while (next_line(&rest, &line)) {
        lineno++;
        if (line.n == 0 || lineno == 1)
            continue;
        struct rcm_str r = line, order, code;
        if (!rcm_str_split_next(&r, '\t', &order) ||
            !rcm_str_split_next(&r, '\t', &code) || !r.p)
            return bad_line(b, lineno, "expected order, code, description");
        enum rcm_err err = add_flag(b, code.p, code.n, RCM_CODE_POA_EXEMPT, lineno);
        if (err)
            return err;
    }
    return RCM_OK;
}

static enum rcm_err
load_mce_v37_sex(struct builder *b, struct rcm_str data)
{
    struct rcm_str rest = data, line;
    long lineno = 0;
    while (next_line(&rest, &line)) {
        lineno++;
        if (line.n == 0 || lineno == 1)
            continue;
        struct rcm_str r = line, f[8];
        int nf = 0;
        while (nf < 8 && rcm_str_split_next(&r, '\t', &f[nf]))
            nf++;
        if (nf < 7)
            return bad_line(b, lineno, "expected 8 tab-separated MCE columns");
        if (!rcm_str_eq_c(f[5], "D"))
            continue;
        uint32_t flag = rcm_str_eq_c(f[4], "Female_Only") ? RCM_CODE_MCE_FEMALE
                        : rcm_str_eq_c(f[4], "Male_Only") ? RCM_CODE_MCE_MALE
                                                          : 0;
        if (!flag)
            continue;
        enum rcm_err err = add_flag(b, f[6].p, f[6].n, flag, lineno);
        if (err)
            return err;
    }
    return RCM_OK;
}

static enum rcm_err
load_mce_json(struct builder *b, struct rcm_str data)
{
    json_t *root = NULL;
    enum rcm_err err = rcm_json_parse(data.p, data.n, 16, &root, b->diag);
    if (err)
        return err;
    static const struct {
        const char *list;
        const char *age;
        uint32_t flag;
        int slot;
    } lists[] = {
        {"manifestation_not_pdx", NULL, RCM_CODE_MCE_MANIFESTATION, -1},
        {"unacceptable_pdx", NULL, RCM_CODE_MCE_UNACCEPTABLE_PDX, -1},
        {"age_newborn", "newborn", RCM_CODE_MCE_NEWBORN, 0},
        {"age_pediatric", "pediatric", RCM_CODE_MCE_PEDIATRIC, 1},
        {"age_maternity", "maternity", RCM_CODE_MCE_MATERNITY, 2},
        {"age_adult", "adult", RCM_CODE_MCE_ADULT, 3},
    };
    json_t *codes = json_object_get(root, "codes");
    json_t *ages = json_object_get(root, "age_categories");
    if (!json_is_object(codes) || !json_is_object(ages)) {
        err = rcm_diag_fail(b->diag, RCM_E_PARSE,
                            "%s: missing \"codes\" or \"age_categories\"",
                            b->cur_file);
        goto out;
    }
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        json_t *arr = json_object_get(codes, lists[i].list);
        if (!json_is_array(arr)) {
            err = rcm_diag_fail(b->diag, RCM_E_PARSE, "%s: missing list codes.%s",
                                b->cur_file, lists[i].list);
            goto out;
        }
        size_t k;
        json_t *item;
        json_array_foreach(arr, k, item) {
            const char *code = json_string_value(json_object_get(item, "code"));
            if (!code) {
                err = rcm_diag_fail(b->diag, RCM_E_PARSE,
                                    "%s: codes.%s[%zu] has no \"code\"",
                                    b->cur_file, lists[i].list, k);
                goto out;
            }
            err = add_flag(b, code, strlen(code), lists[i].flag, 0);
            if (err)
                goto out;
        }
        if (lists[i].age) {
            json_t *cat = json_object_get(ages, lists[i].age);
            json_t *mn = json_object_get(cat, "min_age");
            json_t *mx = json_object_get(cat, "max_age");
            if (!json_is_integer(mn) || !json_is_integer(mx) ||
                json_integer_value(mn) < 0 || json_integer_value(mx) > 150 ||
                json_integer_value(mn) > json_integer_value(mx)) {
                err = rcm_diag_fail(b->diag, RCM_E_PARSE,
                                    "%s: bad age_categories.%s", b->cur_file,
                                    lists[i].age);
                goto out;
            }
            b->mce_age[lists[i].slot * 2] = (int32_t)json_integer_value(mn);
            b->mce_age[lists[i].slot * 2 + 1] = (int32_t)json_integer_value(mx);
        }
    }
out:
    json_decref(root);
    return err;
}

/* ---- simple tables ---------------------------------------------------- */

/* Tab-separated with a header line; column 0 the code, then `title_cols`. */
static enum rcm_err
load_tsv(struct builder *b, enum rcm_code_set set, struct rcm_str data,
         int32_t from, int32_t to, const char *format)
{
    struct rcm_str rest = data, line;
    long lineno = 0;
    size_t rows = 0;
    while (next_line(&rest, &line)) {
        lineno++;
        if (line.n == 0 || lineno == 1)
            continue;
        struct rcm_str r = line, f[4] = {{0}};
        int nf = 0;
        while (nf < 4 && rcm_str_split_next(&r, '\t', &f[nf]))
            nf++;
        uint32_t flags = RCM_CODE_BILLABLE;
        struct rcm_str st = {"", 0}, lt = {"", 0};
        if (strcmp(format, "hcpcs-tsv") == 0 || strcmp(format, "adj-group-tsv") == 0) {
            if (nf < 3)
                return bad_line(b, lineno, "expected code, short, long columns");
            st = f[1];
            lt = f[strcmp(format, "adj-group-tsv") == 0 ? 1 : 2];
        } else if (strcmp(format, "pos-tsv") == 0) {
            if (nf < 3)
                return bad_line(b, lineno, "expected pos_code, pos_type, pos_name");
            if (rcm_str_eq_c(f[1], "Facility"))
                flags |= RCM_CODE_POS_FACILITY;
            else if (!rcm_str_eq_c(f[1], "Non-Facility"))
                return bad_line(b, lineno, "pos_type is not Facility or Non-Facility");
            st = lt = f[2];
        } else if (nf != 1) {
            return bad_line(b, lineno, "expected one code per line");
        }
        struct rcm_str code = rcm_str_trim(f[0]);
        enum rcm_err err = add_code(b, set, code, from, to, flags, st, lt, lineno);
        if (err)
            return err;
        rows++;
    }
    if (rows == 0)
        return bad_line(b, lineno, "no codes");
    return RCM_OK;
}

/* RFC 4180 field: quoted fields may hold commas, "" and newlines (unquoted
 * in place: the raw buffer is ours). */
static bool
csv_field(struct rcm_str *rest, struct rcm_str *out, bool *eol)
{
    const char *p = rest->p, *end = rest->p + rest->n;
    if (p >= end) {
        *eol = true;
        *out = (struct rcm_str){p, 0};
        return false;
    }
    if (*p == '"') {
        char *w = (char *)(uintptr_t)(p + 1);
        const char *start = w;
        p++;
        for (;;) {
            if (p >= end)
                return false;
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            *w++ = *p++;
        }
        *out = (struct rcm_str){start, (size_t)(w - start)};
    } else {
        const char *s = p;
        while (p < end && *p != ',' && *p != '\n' && *p != '\r')
            p++;
        *out = (struct rcm_str){s, (size_t)(p - s)};
    }
    if (p < end && *p == ',') {
        p++;
        *eol = false;
    } else {
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        else if (p < end)
            return false;
        *eol = true;
    }
    rest->n -= (size_t)(p - rest->p);
    rest->p = p;
    return true;
}

static enum rcm_err
load_nucc(struct builder *b, struct rcm_str data, int32_t from, int32_t to)
{
    struct rcm_str rest = data;
    long row = 0;
    size_t rows = 0;
    while (rest.n) {
        struct rcm_str f[8];
        int nf = 0;
        bool eol = false;
        row++;
        while (!eol) {
            struct rcm_str v;
            if (!csv_field(&rest, &v, &eol))
                return bad_line(b, row, "malformed CSV record");
            if (nf < 8)
                f[nf++] = v;
        }
        if (nf == 1 && f[0].n == 0)
            continue;
        if (nf < 7)
            return bad_line(b, row, "expected 8 NUCC columns");
        if (row == 1) {
            if (!rcm_str_eq_c(f[0], "Code"))
                return bad_line(b, row, "header does not start with Code");
            continue;
        }
        if (f[0].n != 10)
            return bad_line(b, row, "taxonomy code is not 10 characters");
        enum rcm_err err = add_code(b, RCM_CODESET_TAXONOMY, f[0], from, to,
                                    RCM_CODE_BILLABLE, f[6],
                                    f[3].n ? f[3] : f[2], row);
        if (err)
            return err;
        rows++;
    }
    if (rows == 0)
        return bad_line(b, row, "no taxonomy codes");
    return RCM_OK;
}

/* ---- manifest --------------------------------------------------------- */

static enum rcm_err
parse_date(struct builder *b, struct rcm_str s, long lineno, int32_t *out)
{
    if (rcm_date_parse_iso(s, out) != RCM_OK)
        return bad_line(b, lineno, "bad date (want YYYY-MM-DD)");
    return RCM_OK;
}

static int
brec_cmp(const void *pa, const void *pb)
{
    const struct brec *a = pa, *b = pb;
    if (a->set != b->set)
        return a->set < b->set ? -1 : 1;
    int c = memcmp(a->code, b->code, CODES_KEY_BYTES);
    if (c)
        return c;
    return a->from_days < b->from_days ? -1 : a->from_days > b->from_days;
}

static int
flag_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CODES_KEY_BYTES);
}

static enum rcm_err
load_manifest(struct builder *b, const char *data_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/codesets/codesets.tsv", data_dir);
    b->cur_file = "codesets.tsv";
    struct rcm_str data, rest, line;
    enum rcm_err err = read_file(b, path, &data);
    if (err)
        return err;
    rest = data;
    long lineno = 0;
    while (next_line(&rest, &line)) {
        lineno++;
        if (line.n == 0 || line.p[0] == '#')
            continue;
        struct rcm_str r = line, f[7];
        int nf = 0;
        while (nf < 7 && rcm_str_split_next(&r, '\t', &f[nf]))
            nf++;
        b->cur_file = "codesets.tsv";
        if (nf != 6)
            return bad_line(b, lineno, "expected 6 tab-separated columns");
        int32_t from, to = CODES_OPEN_DAYS;
        if ((err = parse_date(b, f[2], lineno, &from)))
            return err;
        if (!rcm_str_eq_c(f[3], "-") && (err = parse_date(b, f[3], lineno, &to)))
            return err;
        if (to < from)
            return bad_line(b, lineno, "effective_to before effective_from");
        char fmt[32], name[32], setname[32];
        if (!rcm_str_copy(fmt, sizeof fmt, f[4]) ||
            !rcm_str_copy(name, sizeof name, f[1]) ||
            !rcm_str_copy(setname, sizeof setname, f[0]))
            return bad_line(b, lineno, "field too long");
        snprintf(path, sizeof path, "%s/codesets/%.*s", data_dir, (int)f[5].n,
                 f[5].p);
        struct rcm_str raw;
        if ((err = read_file(b, path, &raw)))
            return err;
        static char cur[512];
        snprintf(cur, sizeof cur, "%.*s", (int)f[5].n, f[5].p);
        b->cur_file = cur;
        enum rcm_code_set set;
        bool versioned = rcm_codes_set_from_name(setname, &set);
        if (strcmp(fmt, "icd10cm-order") == 0 && versioned &&
            set == RCM_CODESET_ICD10CM)
            err = load_icd_order(b, raw, from, to);
        else if (strcmp(fmt, "icd10cm-reverse-addenda") == 0 && versioned &&
                 set == RCM_CODESET_ICD10CM)
            err = load_icd_reverse(b, raw, from, to);
        else if (strcmp(fmt, "poa-exempt") == 0)
            err = load_poa(b, raw);
        else if (strcmp(fmt, "mce-json") == 0)
            err = load_mce_json(b, raw);
        else if (strcmp(fmt, "mce-v37-sex") == 0)
            err = load_mce_v37_sex(b, raw);
        else if (strcmp(fmt, "nucc-csv") == 0 && versioned &&
                 set == RCM_CODESET_TAXONOMY)
            err = load_nucc(b, raw, from, to);
        else if (versioned && (strcmp(fmt, "hcpcs-tsv") == 0 ||
                               strcmp(fmt, "pos-tsv") == 0 ||
                               strcmp(fmt, "code-list") == 0 ||
                               strcmp(fmt, "adj-group-tsv") == 0))
            err = load_tsv(b, set, raw, from, to, fmt);
        else {
            b->cur_file = "codesets.tsv";
            return bad_line(b, lineno, "unknown set/format combination");
        }
        if (err)
            return err;
        if (versioned) {
            if (b->n_versions == CODES_MAX_VERSIONS)
                return bad_line(b, lineno, "too many versions");
            struct bversion *v = &b->versions[b->n_versions++];
            v->set = set;
            v->from_days = from;
            v->to_days = to;
            snprintf(v->name, sizeof v->name, "%s", name);
        }
    }
    return RCM_OK;
}

/* ---- writer ----------------------------------------------------------- */

struct interner {
    struct rcm_buf pool;
    uint32_t *slots;     /* offset + 1 */
    size_t n_slots, used;
};

static uint64_t
str_hash(struct rcm_str s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.n; i++)
        h = (h ^ (unsigned char)s.p[i]) * 1099511628211ull;
    return h;
}

static enum rcm_err
intern(struct interner *in, struct rcm_str s, uint32_t *off)
{
    if (in->used * 2 >= in->n_slots) {
        size_t ns = in->n_slots ? in->n_slots * 2 : 1u << 16;
        uint32_t *slots = rcm_calloc(ns, sizeof *slots);
        if (!slots)
            return RCM_E_NOMEM;
        for (size_t i = 0; i < in->n_slots; i++) {
            if (!in->slots[i])
                continue;
            const char *t = in->pool.data + in->slots[i] - 1;
            size_t j = str_hash(rcm_str_c(t)) & (ns - 1);
            while (slots[j])
                j = (j + 1) & (ns - 1);
            slots[j] = in->slots[i];
        }
        rcm_free(in->slots);
        in->slots = slots;
        in->n_slots = ns;
    }
    size_t j = str_hash(s) & (in->n_slots - 1);
    while (in->slots[j]) {
        const char *t = in->pool.data + in->slots[j] - 1;
        if (strncmp(t, s.p, s.n) == 0 && t[s.n] == '\0') {
            *off = in->slots[j] - 1;
            return RCM_OK;
        }
        j = (j + 1) & (in->n_slots - 1);
    }
    if (in->pool.len + s.n + 1 > UINT32_MAX - 1)
        return RCM_E_TOO_LARGE;
    uint32_t at = (uint32_t)in->pool.len;
    enum rcm_err err = rcm_buf_add(&in->pool, s.p, s.n);
    if (!err)
        err = rcm_buf_addch(&in->pool, '\0');
    if (err)
        return err;
    in->slots[j] = at + 1;
    in->used++;
    *off = at;
    return RCM_OK;
}

static enum rcm_err
write_index(struct builder *b, const char *out_path)
{
    enum rcm_err err = RCM_OK;
    struct interner in = {RCM_BUF_INIT(1u << 30), NULL, 0, 0};
    struct codes_idx_rec *recs = NULL;
    uint32_t *hash = NULL;
    struct codes_idx_rec *slots_tab = NULL;
    size_t hash_total = 0;
    struct codes_idx_header h;
    struct codes_idx_version vers[CODES_MAX_VERSIONS];
    FILE *f = NULL;
    char tmp[4200];

    memset(&h, 0, sizeof h);
    memcpy(h.magic, CODES_IDX_MAGIC, 8);
    h.format = CODES_IDX_FORMAT;
    h.byte_order = CODES_IDX_BYTE_ORDER;
    h.n_sets = RCM_CODESET_COUNT;
    h.n_versions = (uint32_t)b->n_versions;
    memcpy(h.mce_age, b->mce_age, sizeof h.mce_age);

    /* string 0 is "" */
    uint32_t empty;
    if ((err = intern(&in, (struct rcm_str){"", 0}, &empty)))
        goto out;
    for (size_t i = 0; i < b->n_versions; i++) {
        vers[i].set = b->versions[i].set;
        vers[i].from_days = b->versions[i].from_days;
        vers[i].to_days = b->versions[i].to_days;
        if ((err = intern(&in, rcm_str_c(b->versions[i].name), &vers[i].name_off)))
            goto out;
    }
    recs = rcm_calloc(b->n_recs ? b->n_recs : 1, sizeof *recs);
    if (!recs) {
        err = RCM_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < b->n_recs; i++) {
        memcpy(recs[i].code, b->recs[i].code, CODES_KEY_BYTES);
        recs[i].from_days = b->recs[i].from_days;
        recs[i].to_days = b->recs[i].to_days;
        recs[i].flags = b->recs[i].flags;
        if ((err = intern(&in, b->recs[i].short_t, &recs[i].short_off)) ||
            (err = intern(&in, b->recs[i].long_t, &recs[i].long_off)))
            goto out;
    }
    /* per-set ranges and hash tables */
    size_t set_start[RCM_CODESET_COUNT + 1] = {0};
    for (size_t i = 0, s = 0; s <= RCM_CODESET_COUNT; s++) {
        while (i < b->n_recs && b->recs[i].set < s)
            i++;
        set_start[s] = i;
    }
    set_start[RCM_CODESET_COUNT] = b->n_recs;
    size_t slots_of[RCM_CODESET_COUNT];
    for (size_t s = 0; s < RCM_CODESET_COUNT; s++) {
        size_t n = set_start[s + 1] - set_start[s], slots = 16;
        while (slots < n * 2)
            slots *= 2;
        slots_of[s] = slots;
        hash_total += slots;
    }
    hash = rcm_calloc(hash_total, sizeof *hash);
    if (!hash) {
        err = RCM_E_NOMEM;
        goto out;
    }
    uint64_t off = sizeof h;
    h.versions_off = off;
    off += b->n_versions * sizeof(struct codes_idx_version);
    off = (off + 63) & ~(uint64_t)63;
    size_t hash_at = 0;
    uint64_t rec_base = off;
    uint64_t hash_base = rec_base + b->n_recs * sizeof *recs;
    for (size_t s = 0; s < RCM_CODESET_COUNT; s++) {
        size_t lo = set_start[s], hi = set_start[s + 1];
        h.sets[s].rec_off = rec_base + lo * sizeof *recs;
        h.sets[s].rec_count = (uint32_t)(hi - lo);
        h.sets[s].hash_off = hash_base + hash_at * sizeof *hash;
        h.sets[s].hash_slots = (uint32_t)slots_of[s];
        uint32_t *tab = hash + hash_at;
        size_t mask = slots_of[s] - 1;
        for (size_t i = lo; i < hi; i++) {
            if (i > lo && memcmp(recs[i].code, recs[i - 1].code, CODES_KEY_BYTES) == 0)
                continue;
            size_t j = codes_key_hash(recs[i].code) & mask;
            while (tab[j])
                j = (j + 1) & mask;
            tab[j] = (uint32_t)(i - lo + 1);
        }
        hash_at += slots_of[s];
    }
    /* direct tables: the latest record of each code */
    uint64_t slot_base = (hash_base + hash_total * sizeof *hash + 63) & ~(uint64_t)63;
    size_t slot_total = 0;
    size_t slot_counts[RCM_CODESET_COUNT];
    for (size_t s = 0; s < RCM_CODESET_COUNT; s++) {
        size_t uniq = 0;
        for (size_t i = set_start[s]; i < set_start[s + 1]; i++)
            uniq += i == set_start[s] ||
                    memcmp(recs[i].code, recs[i - 1].code, CODES_KEY_BYTES) != 0;
        size_t slots = 16;
        while (slots * 2 < uniq * 3)
            slots *= 2;
        slot_counts[s] = slots;
        slot_total += slots;
    }
    slots_tab = rcm_calloc(slot_total, sizeof *slots_tab);
    if (!slots_tab) {
        err = RCM_E_NOMEM;
        goto out;
    }
    for (size_t s = 0, at = 0; s < RCM_CODESET_COUNT; s++) {
        struct codes_idx_rec *tab = slots_tab + at;
        size_t mask = slot_counts[s] - 1;
        h.sets[s].slot_off = slot_base + at * sizeof *slots_tab;
        h.sets[s].slot_count = (uint32_t)slot_counts[s];
        for (size_t i = set_start[s]; i < set_start[s + 1]; i++) {
            bool last = i + 1 == set_start[s + 1] ||
                        memcmp(recs[i].code, recs[i + 1].code, CODES_KEY_BYTES) != 0;
            bool first = i == set_start[s] ||
                         memcmp(recs[i].code, recs[i - 1].code, CODES_KEY_BYTES) != 0;
            if (!last)
                continue;
            size_t j = codes_key_hash(recs[i].code) & mask;
            while (tab[j].code[0])
                j = (j + 1) & mask;
            tab[j] = recs[i];
            if (!first)
                tab[j].flags |= CODES_REC_MORE;
        }
        at += slot_counts[s];
    }
    h.strings_off = slot_base + slot_total * sizeof *slots_tab;
    h.strings_bytes = in.pool.len;
    h.file_bytes = h.strings_off + h.strings_bytes;

    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        err = rcm_diag_fail(b->diag, RCM_E_IO, "cannot create %s: %s", tmp,
                            strerror(errno));
        goto out;
    }
    static const char zeros[64];
    size_t pad = (size_t)(rec_base - (sizeof h + b->n_versions * sizeof vers[0]));
    size_t slot_pad = (size_t)(slot_base - (hash_base + hash_total * sizeof *hash));
    if (fwrite(&h, sizeof h, 1, f) != 1 ||
        (b->n_versions && fwrite(vers, sizeof vers[0], b->n_versions, f) != b->n_versions) ||
        (pad && fwrite(zeros, 1, pad, f) != pad) ||
        (b->n_recs && fwrite(recs, sizeof *recs, b->n_recs, f) != b->n_recs) ||
        fwrite(hash, sizeof *hash, hash_total, f) != hash_total ||
        (slot_pad && fwrite(zeros, 1, slot_pad, f) != slot_pad) ||
        fwrite(slots_tab, sizeof *slots_tab, slot_total, f) != slot_total ||
        fwrite(in.pool.data, 1, in.pool.len, f) != in.pool.len) {
        err = rcm_diag_fail(b->diag, RCM_E_IO, "cannot write %s", tmp);
        fclose(f);
        f = NULL;
        remove(tmp);
        goto out;
    }
    if (fclose(f) != 0 || rename(tmp, out_path) != 0) {
        f = NULL;
        err = rcm_diag_fail(b->diag, RCM_E_IO, "cannot write %s: %s", out_path,
                            strerror(errno));
        remove(tmp);
        goto out;
    }
    f = NULL;
out:
    rcm_free(recs);
    rcm_free(hash);
    rcm_free(slots_tab);
    rcm_free(in.slots);
    rcm_buf_release(&in.pool);
    return err;
}

enum rcm_err
rcm_codes_build(const char *data_dir, const char *out_path,
                struct rcm_diag *diag)
{
    struct builder b;
    memset(&b, 0, sizeof b);
    b.diag = diag;
    enum rcm_err err = load_manifest(&b, data_dir);
    if (err)
        goto out;
    if (b.n_recs == 0) {
        err = rcm_diag_fail(diag, RCM_E_PARSE, "codesets.tsv lists no code sets");
        goto out;
    }
    qsort(b.recs, b.n_recs, sizeof *b.recs, brec_cmp);
    for (size_t i = 1; i < b.n_recs; i++) {
        struct brec *p = &b.recs[i - 1], *c = &b.recs[i];
        if (p->set == c->set && memcmp(p->code, c->code, CODES_KEY_BYTES) == 0 &&
            c->from_days <= p->to_days) {
            char from[RCM_DATE_ISO_LEN + 1];
            rcm_date_format_iso(c->from_days, from);
            err = rcm_diag_fail(diag, RCM_E_PARSE,
                                "code %s of set %s has overlapping periods at %s "
                                "(duplicate code or overlapping versions)",
                                c->code, rcm_codes_set_name(c->set), from);
            goto out;
        }
    }
    /* apply MCE / POA flags to every period of the flagged ICD codes */
    if (b.n_flagged)
        qsort(b.flagged, b.n_flagged, sizeof *b.flagged, flag_cmp);
    for (size_t i = 0; i < b.n_recs && b.recs[i].set == RCM_CODESET_ICD10CM; i++) {
        size_t lo = 0, hi = b.n_flagged;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (memcmp(b.flagged[mid].code, b.recs[i].code, CODES_KEY_BYTES) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < b.n_flagged &&
               memcmp(b.flagged[lo].code, b.recs[i].code, CODES_KEY_BYTES) == 0;
             lo++)
            b.recs[i].flags |= b.flagged[lo].flag;
    }
    /* coalesce adjacent identical periods */
    size_t k = 0;
    for (size_t i = 0; i < b.n_recs; i++) {
        struct brec *c = &b.recs[i];
        if (k > 0) {
            struct brec *p = &b.recs[k - 1];
            if (p->set == c->set && memcmp(p->code, c->code, CODES_KEY_BYTES) == 0 &&
                p->to_days != CODES_OPEN_DAYS && p->to_days + 1 == c->from_days &&
                p->flags == c->flags && rcm_str_eq(p->short_t, c->short_t) &&
                rcm_str_eq(p->long_t, c->long_t)) {
                p->to_days = c->to_days;
                continue;
            }
        }
        b.recs[k++] = *c;
    }
    b.n_recs = k;
    err = write_index(&b, out_path);
out:
    for (size_t i = 0; i < b.n_files; i++)
        rcm_free(b.files[i]);
    rcm_free(b.recs);
    rcm_free(b.flagged);
    rcm_free(b.icd_last);
    return err;
}
