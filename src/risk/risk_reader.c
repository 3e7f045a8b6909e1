/*
 * risk_reader.c — streaming reader of member and diagnosis CSV files for
 * the risk engine (see rcm/risk.h for the formats).
 *
 * One member at a time: the member file is read line by line (a line is
 * capped at RISK_LINE_MAX bytes), and the diagnosis file is merged by
 * member_id — both sorted by member_id in byte order (LC_ALL=C sort), as
 * CMS's SAS software requires its person and diagnosis files sorted BY the
 * id. Memory is bounded by the line cap and RISK_MEMBER_DX_MAX codes per
 * member, whatever the population size.
 *
 * Problems that do not stop the run (a bad date, an unknown sex or segment,
 * a code that is not ICD-10-CM, an unknown source) go to the caller's
 * callback with the file, line and member id, never a field value.
 */
#include <stdarg.h>
#include <string.h>

#include "rcm/date.h"
#include "rcm/mem.h"
#include "risk/risk_int.h"

#define RISK_LINE_MAX (1u << 20)
#define RISK_MEMBER_DX_MAX 20000
#define RISK_ID_MAX RCM_RISK_ID_MAX
#define RISK_CHUNK (1u << 16)
#define RISK_MAX_COLS 64

/* Buffered line source over a borrowed FILE. */
struct lines {
    FILE *f;
    char *buf;          /* chunk buffer */
    size_t pos, len;
    char *line;         /* current line (owned, RISK_LINE_MAX + 1) */
    size_t line_len;
    long lineno;
    uint64_t offset;    /* bytes consumed */
    bool eof;
    bool error;
};

enum line_result { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_IO };

static enum line_result
lines_next(struct lines *l)
{
    size_t n = 0;
    bool too_long = false, any = false;
    for (;;) {
        if (l->pos == l->len) {
            if (l->eof)
                break;
            l->len = fread(l->buf, 1, RISK_CHUNK, l->f);
            l->pos = 0;
            if (l->len == 0) {
                l->eof = true;
                if (ferror(l->f)) {
                    l->error = true;
                    return LINE_IO;
                }
                break;
            }
        }
        any = true;
        char *start = l->buf + l->pos;
        size_t avail = l->len - l->pos;
        char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (!too_long) {
            if (n + take > RISK_LINE_MAX)
                too_long = true;
            else
                memcpy(l->line + n, start, take);
            n += take;
        }
        l->pos += take + (nl ? 1 : 0);
        l->offset += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return LINE_EOF;
    l->lineno++;
    if (too_long)
        return LINE_TOO_LONG;
    if (n && l->line[n - 1] == '\r')
        n--;
    l->line[n] = '\0';
    l->line_len = n;
    return LINE_OK;
}

/*
 * Split a CSV line in place into fields (RFC 4180 quotes, no embedded
 * newlines). Returns the number of fields, -1 for an unterminated quote,
 * or max + 1 when there are more than max.
 */
static int
split_csv(char *p, size_t n, struct rcm_str *f, int max)
{
    int count = 0;
    size_t i = 0;
    for (;;) {
        if (count == max)
            return max + 1;
        if (i < n && p[i] == '"') {
            size_t w = i, r = i + 1;
            for (;;) {
                if (r >= n)
                    return -1;
                if (p[r] == '"') {
                    if (r + 1 < n && p[r + 1] == '"') {
                        p[w++] = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                p[w++] = p[r++];
            }
            f[count++] = (struct rcm_str){p + i, w - i};
            while (r < n && p[r] != ',')
                r++;   /* junk after the closing quote is ignored */
            if (r >= n)
                return count;
            i = r + 1;
        } else {
            size_t start = i;
            while (i < n && p[i] != ',')
                i++;
            f[count++] = (struct rcm_str){p + start, i - start};
            if (i >= n)
                return count;
            i++;
        }
    }
}

enum mcol {
    M_ID, M_DOB, M_AGE, M_SEX, M_OREC, M_ELIG, M_DUAL, M_MEDICAID, M_LTI, M_NE,
    M_SNP, M_DX, M_COUNT
};
static const char *const mcol_names[M_COUNT] = {
    "member_id|id", "dob|date_of_birth|birth_date", "age",
    "sex|gender", "orec", "elig|segment", "dual_elgbl_cd|dual|dual_status",
    "medicaid", "lti|institutional", "new_enrollee|ne", "snp", "dx|diagnoses|icd10"};

enum dcol { D_ID, D_CODE, D_DOS, D_SOURCE, D_COUNT };
static const char *const dcol_names[D_COUNT] = {
    "member_id|id", "code|dx|icd10|diagnosis_code",
    "dos|date_of_service|service_date|date|from_date", "source"};

struct dx_list {
    uint64_t *v;
    size_t n, cap;
};

struct rcm_risk_reader {
    struct lines m, d;
    bool has_dx_file;
    int payment_year;
    rcm_risk_problem_fn problem;
    void *ctx;
    uint64_t problems;
    int mcol[M_COUNT];
    int dcol[D_COUNT];
    int m_ncols, d_ncols;
    char id[RISK_ID_MAX + 1];
    char prev_id[RISK_ID_MAX + 1];
    bool have_prev;
    /* pending diagnosis row (read, not yet consumed) */
    bool d_pending;
    bool d_done;
    char d_id[RISK_ID_MAX + 1];
    uint64_t d_code;            /* pending row's code */
    struct dx_list *d_list;     /* where it goes (NULL: outside the window) */
    char d_prev_id[RISK_ID_MAX + 1];
    bool d_have_prev;
    struct dx_list dx, prior, suspect;
    bool dx_overflow_reported;
};

static void
report(struct rcm_risk_reader *r, const char *file, long line, const char *id,
       const char *fmt, ...) RCM_PRINTF(5, 6);

static void
report(struct rcm_risk_reader *r, const char *file, long line, const char *id,
       const char *fmt, ...)
{
    r->problems++;
    if (!r->problem)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->problem(r->ctx, file, line, id, msg);
}

static bool
name_matches(struct rcm_str name, const char *alternatives)
{
    const char *p = alternatives;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (name.n == len) {
            bool eq = true;
            for (size_t i = 0; i < len && eq; i++) {
                char c = name.p[i];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
                eq = c == p[i];
            }
            if (eq)
                return true;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

static enum rcm_err
read_header(struct lines *l, const char *what, const char *const *names, int count,
            int *cols, int *ncols, struct rcm_diag *diag)
{
    enum line_result lr = lines_next(l);
    if (lr == LINE_IO)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot read the %s file", what);
    if (lr == LINE_EOF)
        return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, 1, "%s file is empty (a header is required)", what);
    if (lr == LINE_TOO_LONG)
        return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, 1, "%s header line too long", what);
    char *p = l->line;
    size_t n = l->line_len;
    if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF) {
        p += 3;
        n -= 3;
    }
    struct rcm_str f[RISK_MAX_COLS];
    int nf = split_csv(p, n, f, RISK_MAX_COLS);
    if (nf < 0 || nf > RISK_MAX_COLS)
        return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, 1, "%s header is not valid CSV (or has more than %d columns)",
                                what, RISK_MAX_COLS);
    for (int i = 0; i < count; i++)
        cols[i] = -1;
    for (int j = 0; j < nf; j++) {
        struct rcm_str name = rcm_str_trim(f[j]);
        for (int i = 0; i < count; i++)
            if (cols[i] < 0 && name_matches(name, names[i])) {
                cols[i] = j;
                break;
            }
    }
    *ncols = nf;
    return RCM_OK;
}

static enum rcm_err
list_init(struct dx_list *l)
{
    l->cap = 64;
    l->n = 0;
    l->v = rcm_malloc(l->cap * sizeof *l->v);
    return l->v ? RCM_OK : RCM_E_NOMEM;
}

/* Append: RCM_OK, RCM_E_TOO_LARGE at the per-member cap, RCM_E_NOMEM. */
static enum rcm_err
list_add(struct dx_list *l, uint64_t code)
{
    if (l->n == l->cap) {
        if (l->cap >= RISK_MEMBER_DX_MAX)
            return RCM_E_TOO_LARGE;
        size_t cap = l->cap * 2 > RISK_MEMBER_DX_MAX ? RISK_MEMBER_DX_MAX : l->cap * 2;
        uint64_t *v = rcm_realloc(l->v, cap * sizeof *v);
        if (!v)
            return RCM_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = code;
    return RCM_OK;
}

/* Add a member's code; a full list is reported once, NOMEM is fatal. */
static enum rcm_err
member_add(struct rcm_risk_reader *r, struct dx_list *l, uint64_t code, const char *file,
           long line, struct rcm_diag *diag)
{
    enum rcm_err err = list_add(l, code);
    if (err == RCM_E_NOMEM)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
    if (err && !r->dx_overflow_reported) {
        r->dx_overflow_reported = true;
        report(r, file, line, r->id, "more than %d codes for one member; the rest are ignored",
               RISK_MEMBER_DX_MAX);
    }
    return RCM_OK;
}

enum rcm_err
rcm_risk_reader_open(FILE *members, FILE *diagnoses, int payment_year,
                     rcm_risk_problem_fn problem, void *problem_ctx,
                     struct rcm_risk_reader **out, struct rcm_diag *diag)
{
    *out = NULL;
    struct rcm_risk_reader *r = rcm_calloc(1, sizeof *r);
    if (!r)
        return rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
    r->payment_year = payment_year;
    r->problem = problem;
    r->ctx = problem_ctx;
    r->m.f = members;
    r->m.buf = rcm_malloc(RISK_CHUNK);
    r->m.line = rcm_malloc(RISK_LINE_MAX + 1);
    enum rcm_err err = RCM_OK;
    if (!r->m.buf || !r->m.line || list_init(&r->dx) || list_init(&r->prior) ||
        list_init(&r->suspect)) {
        err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
        goto fail;
    }
    if (diagnoses) {
        r->has_dx_file = true;
        r->d.f = diagnoses;
        r->d.buf = rcm_malloc(RISK_CHUNK);
        r->d.line = rcm_malloc(RISK_LINE_MAX + 1);
        if (!r->d.buf || !r->d.line) {
            err = rcm_diag_fail(diag, RCM_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    if ((err = read_header(&r->m, "member", mcol_names, M_COUNT, r->mcol, &r->m_ncols, diag)))
        goto fail;
    if (r->mcol[M_ID] < 0 || r->mcol[M_SEX] < 0 || r->mcol[M_OREC] < 0 ||
        (r->mcol[M_DOB] < 0 && r->mcol[M_AGE] < 0)) {
        err = rcm_diag_fail_at(diag, RCM_E_PARSE, -1, 1,
                               "member file header needs member_id, sex, orec and dob or age");
        goto fail;
    }
    if (diagnoses) {
        if ((err = read_header(&r->d, "diagnosis", dcol_names, D_COUNT, r->dcol,
                               &r->d_ncols, diag)))
            goto fail;
        if (r->dcol[D_ID] < 0 || r->dcol[D_CODE] < 0) {
            err = rcm_diag_fail_at(diag, RCM_E_PARSE, -1, 1,
                                   "diagnosis file header needs member_id and code");
            goto fail;
        }
    }
    *out = r;
    return RCM_OK;
fail:
    rcm_risk_reader_free(r);
    return err;
}

void
rcm_risk_reader_free(struct rcm_risk_reader *r)
{
    if (!r)
        return;
    rcm_free(r->m.buf);
    rcm_free(r->m.line);
    rcm_free(r->d.buf);
    rcm_free(r->d.line);
    rcm_free(r->dx.v);
    rcm_free(r->prior.v);
    rcm_free(r->suspect.v);
    rcm_free(r);
}

uint64_t
rcm_risk_reader_problems(const struct rcm_risk_reader *r)
{
    return r->problems;
}

uint64_t
rcm_risk_reader_offset(const struct rcm_risk_reader *r)
{
    return r->m.offset;
}

bool
rcm_risk_source_eligible(struct rcm_str s, bool *eligible)
{
    s = rcm_str_trim(s);
    static const char *const yes[] = {"", "f2f", "face-to-face", "professional", "prof",
                                      "inpatient", "outpatient", "ip", "op"};
    static const char *const no[] = {"lab", "laboratory", "radiology", "rad", "dme",
                                     "ambulance", "non-f2f", "other"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (rcm_str_case_eq_c(s, yes[i])) {
            *eligible = true;
            return true;
        }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (rcm_str_case_eq_c(s, no[i])) {
            *eligible = false;
            return true;
        }
    if (s.n == 7 || s.n == 8) {
        if (!rcm_str_case_eq_c((struct rcm_str){s.p, 4}, "tob:"))
            return false;
        struct rcm_str digits = {s.p + 4, s.n - 4};
        for (size_t i = 0; i < digits.n; i++)
            if (digits.p[i] < '0' || digits.p[i] > '9')
                return false;
        if (digits.n == 4) {
            if (digits.p[0] != '0')
                return false;
            digits.p++;
            digits.n--;
        }
        int fac = (digits.p[0] - '0') * 10 + (digits.p[1] - '0');
        /* CMS risk-adjustment acceptable bill types: inpatient 11x, 41x;
         * outpatient 13x, 43x, 71x, 73x, 76x, 77x, 85x. */
        static const int ok[] = {11, 41, 13, 43, 71, 73, 76, 77, 85};
        *eligible = false;
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
            if (fac == ok[i])
                *eligible = true;
        return true;
    }
    return false;
}

static bool
parse_flag(struct rcm_str s, bool *out)
{
    s = rcm_str_trim(s);
    static const char *const t[] = {"1", "y", "yes", "true", "t"};
    static const char *const f[] = {"", "0", "n", "no", "false", "f"};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (rcm_str_case_eq_c(s, t[i])) {
            *out = true;
            return true;
        }
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (rcm_str_case_eq_c(s, f[i])) {
            *out = false;
            return true;
        }
    return false;
}

static bool
parse_date(struct rcm_str s, int32_t *days)
{
    s = rcm_str_trim(s);
    if (s.n == 10)
        return rcm_date_parse_iso(s, days) == RCM_OK;
    if (s.n == 8)
        return rcm_date_parse_ccyymmdd(s, days) == RCM_OK;
    return false;
}

static struct rcm_str
field(const struct rcm_str *f, int nf, int col)
{
    if (col < 0 || col >= nf)
        return (struct rcm_str){"", 0};
    return f[col];
}

/* Read the next diagnosis row into the pending slot. Fatal errors only. */
static enum rcm_err
dx_advance(struct rcm_risk_reader *r, struct rcm_diag *diag)
{
    r->d_pending = false;
    for (;;) {
        enum line_result lr = lines_next(&r->d);
        if (lr == LINE_EOF) {
            r->d_done = true;
            return RCM_OK;
        }
        if (lr == LINE_IO)
            return rcm_diag_fail(diag, RCM_E_IO, "cannot read the diagnosis file");
        if (lr == LINE_TOO_LONG) {
            report(r, "diagnoses", r->d.lineno, NULL, "line longer than %u bytes skipped",
                   RISK_LINE_MAX);
            continue;
        }
        if (r->d.line_len == 0)
            continue;
        struct rcm_str f[RISK_MAX_COLS];
        int nf = split_csv(r->d.line, r->d.line_len, f, RISK_MAX_COLS);
        if (nf < 0 || nf > RISK_MAX_COLS) {
            report(r, "diagnoses", r->d.lineno, NULL, "not valid CSV; row skipped");
            continue;
        }
        struct rcm_str id = rcm_str_trim(field(f, nf, r->dcol[D_ID]));
        if (id.n == 0 || id.n > RISK_ID_MAX) {
            report(r, "diagnoses", r->d.lineno, NULL, "member_id empty or longer than %d; row skipped",
                   RISK_ID_MAX);
            continue;
        }
        memcpy(r->d_id, id.p, id.n);
        r->d_id[id.n] = '\0';
        if (r->d_have_prev && strcmp(r->d_id, r->d_prev_id) < 0)
            return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, r->d.lineno,
                                    "diagnosis file is not sorted by member_id at line %ld "
                                    "(sort both files with LC_ALL=C sort)", r->d.lineno);
        memcpy(r->d_prev_id, r->d_id, id.n + 1);
        r->d_have_prev = true;
        if (!rcm_risk_dx_pack(field(f, nf, r->dcol[D_CODE]), &r->d_code)) {
            report(r, "diagnoses", r->d.lineno, r->d_id,
                   "code is not an ICD-10-CM code; row skipped");
            continue;
        }
        struct rcm_str dos = rcm_str_trim(field(f, nf, r->dcol[D_DOS]));
        int year = r->payment_year - 1;
        if (dos.n) {
            int32_t days;
            int y, mo, dd;
            if (!parse_date(dos, &days)) {
                report(r, "diagnoses", r->d.lineno, r->d_id,
                       "date of service is not YYYY-MM-DD or CCYYMMDD; row skipped");
                continue;
            }
            rcm_date_to_ymd(days, &y, &mo, &dd);
            year = y;
        }
        bool eligible = true;
        if (!rcm_risk_source_eligible(field(f, nf, r->dcol[D_SOURCE]), &eligible)) {
            report(r, "diagnoses", r->d.lineno, r->d_id, "unknown source; row skipped");
            continue;
        }
        r->d_list = NULL;
        if (year == r->payment_year - 1)
            r->d_list = eligible ? &r->dx : &r->suspect;
        else if (year == r->payment_year - 2 && eligible)
            r->d_list = &r->prior;
        r->d_pending = true;
        return RCM_OK;
    }
}

/* Consume the diagnosis rows of member r->id (keep = store them). */
static enum rcm_err
dx_merge(struct rcm_risk_reader *r, bool keep, struct rcm_diag *diag)
{
    enum rcm_err err;
    for (;;) {
        if (!r->d_pending && !r->d_done && (err = dx_advance(r, diag)) != RCM_OK)
            return err;
        if (!r->d_pending)
            return RCM_OK;
        int c = strcmp(r->d_id, r->id);
        if (c > 0)
            return RCM_OK;
        if (c < 0)
            report(r, "diagnoses", r->d.lineno, r->d_id,
                   "member_id not in the member file (or files not sorted alike); row skipped");
        else if (keep && r->d_list &&
                 (err = member_add(r, r->d_list, r->d_code, "diagnoses", r->d.lineno, diag)))
            return err;
        r->d_pending = false;
    }
}

enum rcm_err
rcm_risk_reader_next(struct rcm_risk_reader *r, struct rcm_risk_record *rec,
                     bool *eof, struct rcm_diag *diag)
{
    *eof = false;
    for (;;) {
        enum line_result lr = lines_next(&r->m);
        if (lr == LINE_EOF) {
            if (r->has_dx_file) {
                /* Remaining diagnosis rows have no member. */
                for (;;) {
                    if (!r->d_pending && !r->d_done) {
                        enum rcm_err err = dx_advance(r, diag);
                        if (err)
                            return err;
                    }
                    if (!r->d_pending)
                        break;
                    report(r, "diagnoses", r->d.lineno, r->d_id,
                           "member_id not in the member file; row skipped");
                    r->d_pending = false;
                }
            }
            *eof = true;
            return RCM_OK;
        }
        if (lr == LINE_IO)
            return rcm_diag_fail(diag, RCM_E_IO, "cannot read the member file");
        long line = r->m.lineno;
        if (lr == LINE_TOO_LONG) {
            report(r, "members", line, NULL, "line longer than %u bytes skipped", RISK_LINE_MAX);
            continue;
        }
        if (r->m.line_len == 0)
            continue;
        struct rcm_str f[RISK_MAX_COLS];
        int nf = split_csv(r->m.line, r->m.line_len, f, RISK_MAX_COLS);
        if (nf < 0 || nf > RISK_MAX_COLS) {
            report(r, "members", line, NULL, "not valid CSV; row skipped");
            continue;
        }
        struct rcm_str id = rcm_str_trim(field(f, nf, r->mcol[M_ID]));
        if (id.n == 0 || id.n > RISK_ID_MAX || memchr(id.p, '\0', id.n)) {
            report(r, "members", line, NULL, "member_id empty or longer than %d; row skipped",
                   RISK_ID_MAX);
            continue;
        }
        memcpy(r->id, id.p, id.n);
        r->id[id.n] = '\0';
        r->dx.n = r->prior.n = r->suspect.n = 0;
        r->dx_overflow_reported = false;
        bool ok = true;
        if (r->has_dx_file) {
            if (r->have_prev) {
                int c = strcmp(r->id, r->prev_id);
                if (c < 0)
                    return rcm_diag_fail_at(diag, RCM_E_PARSE, -1, line,
                                            "member file is not sorted by member_id at line %ld "
                                            "(required with --diagnoses; use LC_ALL=C sort)",
                                            line);
                if (c == 0) {
                    report(r, "members", line, r->id, "duplicate member_id; row skipped");
                    continue;
                }
            }
            memcpy(r->prev_id, r->id, id.n + 1);
            r->have_prev = true;
        }
        if (nf != r->m_ncols) {
            report(r, "members", line, r->id, "%d fields, header has %d; row skipped", nf,
                   r->m_ncols);
            ok = false;
        }
        struct rcm_risk_member *mem = &rec->member;
        memset(mem, 0, sizeof *mem);
        mem->dob_days = RCM_RISK_NO_DOB;
        mem->age_years = -1;
        mem->segment = RCM_RISK_SEGMENT_AUTO;
        struct rcm_str v;
        if (ok) {
            v = rcm_str_trim(field(f, nf, r->mcol[M_DOB]));
            if (v.n && !parse_date(v, &mem->dob_days)) {
                report(r, "members", line, r->id, "dob is not YYYY-MM-DD or CCYYMMDD; row skipped");
                ok = false;
            }
        }
        if (ok && mem->dob_days == RCM_RISK_NO_DOB) {
            int64_t age;
            v = rcm_str_trim(field(f, nf, r->mcol[M_AGE]));
            if (rcm_str_to_i64(v, &age) != RCM_OK || age < 0 || age > 130) {
                report(r, "members", line, r->id, "no valid dob or age; row skipped");
                ok = false;
            } else {
                mem->age_years = (int)age;
            }
        }
        if (ok) {
            v = rcm_str_trim(field(f, nf, r->mcol[M_SEX]));
            if (rcm_str_case_eq_c(v, "M") || rcm_str_eq_c(v, "1") || rcm_str_case_eq_c(v, "male"))
                mem->sex = 1;
            else if (rcm_str_case_eq_c(v, "F") || rcm_str_eq_c(v, "2") ||
                     rcm_str_case_eq_c(v, "female"))
                mem->sex = 2;
            else {
                report(r, "members", line, r->id, "unknown sex (expected M, F, 1 or 2); row skipped");
                ok = false;
            }
        }
        if (ok) {
            v = rcm_str_trim(field(f, nf, r->mcol[M_OREC]));
            if (v.n != 1 || v.p[0] < '0' || v.p[0] > '3') {
                report(r, "members", line, r->id, "orec must be 0, 1, 2 or 3; row skipped");
                ok = false;
            } else {
                mem->orec = v.p[0] - '0';
            }
        }
        if (ok && r->mcol[M_ELIG] >= 0) {
            v = rcm_str_trim(field(f, nf, r->mcol[M_ELIG]));
            if (v.n && !rcm_risk_segment_parse(v, &mem->segment)) {
                report(r, "members", line, r->id,
                       "unknown segment (expected CNA CND CFA CFD CPA CPD INS NE SNPNE); row skipped");
                ok = false;
            }
        }
        if (ok && r->mcol[M_DUAL] >= 0) {
            int64_t code;
            v = rcm_str_trim(field(f, nf, r->mcol[M_DUAL]));
            if (v.n && (rcm_str_to_i64(v, &code) != RCM_OK || code < 0 || code > 99)) {
                report(r, "members", line, r->id, "dual_elgbl_cd is not a CMS dual code; row skipped");
                ok = false;
            } else {
                mem->dual = rcm_risk_dual_from_code(v);
            }
        }
        static const int flag_cols[4] = {M_MEDICAID, M_LTI, M_NE, M_SNP};
        static const char *const flag_names[4] = {"medicaid", "lti", "new_enrollee", "snp"};
        bool flags[4] = {false, false, false, false};
        for (int i = 0; ok && i < 4; i++) {
            if (r->mcol[flag_cols[i]] < 0)
                continue;
            if (!parse_flag(field(f, nf, r->mcol[flag_cols[i]]), &flags[i])) {
                report(r, "members", line, r->id, "%s must be 0/1 (or Y/N); row skipped",
                       flag_names[i]);
                ok = false;
            }
        }
        mem->medicaid = flags[0];
        mem->institutional = flags[1];
        mem->new_enrollee = flags[2];
        mem->snp = flags[3];
        if (ok && r->mcol[M_DX] >= 0) {
            struct rcm_str rest = field(f, nf, r->mcol[M_DX]), tok;
            int pos = 0;
            while (rest.p && rcm_str_split_next(&rest, ';', &tok)) {
                pos++;
                if (rcm_str_trim(tok).n == 0)
                    continue;
                uint64_t code;
                if (!rcm_risk_dx_pack(tok, &code)) {
                    report(r, "members", line, r->id,
                           "dx item %d is not an ICD-10-CM code; code skipped", pos);
                    continue;
                }
                enum rcm_err err = member_add(r, &r->dx, code, "members", line, diag);
                if (err)
                    return err;
            }
        }
        if (r->has_dx_file) {
            enum rcm_err err = dx_merge(r, ok, diag);
            if (err)
                return err;
        }
        if (!ok)
            continue;
        rec->member_id = r->id;
        rec->line = line;
        rec->dx = r->dx.v;
        rec->n_dx = r->dx.n;
        rec->prior_dx = r->prior.v;
        rec->n_prior = r->prior.n;
        rec->suspect_dx = r->suspect.v;
        rec->n_suspect = r->suspect.n;
        return RCM_OK;
    }
}
