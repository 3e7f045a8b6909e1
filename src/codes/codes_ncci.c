/*
 * codes_ncci.c — CMS National Correct Coding Initiative tables read from the
 * files CMS publishes: procedure-to-procedure (PTP) edits, medically
 * unlikely edits (MUE) and add-on code (AOC) edits.
 *
 * The files are not shipped with openrcm (they carry CPT codes under the
 * AMA licence); the user points reference_dir/ncci (or --ncci DIR) at the
 * quarter's files. A file is recognised by its header line; notice lines
 * before the header and header continuation lines are skipped; after the
 * first data line every line must parse.
 *
 * Each table is an array sorted by (key, from) plus an open-addressing hash
 * from key to its first entry, so a lookup is one probe sequence and a short
 * scan over the periods of that key.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes/codes_int.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/str.h"

#define NCCI_LINE_MAX 8192
#define NCCI_MAX_FILES 256
#define NCCI_CODE_BITS 26
#define NCCI_ADDON_MARK ((1ull << NCCI_CODE_BITS) - 1)

struct ncci_ent {
    uint64_t key;
    int32_t from_days, to_days;
    int32_t value;   /* PTP: modifier indicator; MUE: value; AOC: edit type */
    int32_t aux;     /* MUE: adjudication indicator */
};

struct ncci_tab {
    struct ncci_ent *e;
    size_t n, cap;
    uint32_t *slots;
    size_t n_slots;
};

struct rcm_ncci {
    struct ncci_tab ptp, mue, aoc;
    size_t bytes, max_bytes;
};

/* Base-36 packing of a 5-character code; 0 when it is not one. */
static uint64_t
pack(const char *s, size_t n)
{
    if (n != 5)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 5; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'A' && c <= 'Z')
            d = (unsigned)(c - 'A') + 10;
        else if (c >= 'a' && c <= 'z')
            d = (unsigned)(c - 'a') + 10;
        else
            return 0;
        v = v * 36 + d;
    }
    return v + 1;   /* 0 reserved */
}

static uint64_t
mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7FB5D329728EA185ull;
    x ^= x >> 27;
    x *= 0x81DADEF4BC2DD44Dull;
    x ^= x >> 33;
    return x;
}

static enum rcm_err
tab_add(struct rcm_ncci *nc, struct ncci_tab *t, const struct ncci_ent *e)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        size_t grow = (cap - t->cap) * sizeof *e;
        if (nc->bytes + grow > nc->max_bytes)
            return RCM_E_TOO_LARGE;
        struct ncci_ent *ne = rcm_realloc(t->e, cap * sizeof *ne);
        if (!ne)
            return RCM_E_NOMEM;
        nc->bytes += grow;
        t->e = ne;
        t->cap = cap;
    }
    t->e[t->n++] = *e;
    return RCM_OK;
}

static int
ent_cmp(const void *pa, const void *pb)
{
    const struct ncci_ent *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->from_days < b->from_days ? -1 : a->from_days > b->from_days;
}

static enum rcm_err
tab_finish(struct rcm_ncci *nc, struct ncci_tab *t)
{
    if (t->n)
        qsort(t->e, t->n, sizeof *t->e, ent_cmp);
    size_t slots = 16;
    while (slots < t->n * 2)
        slots *= 2;
    if (nc->bytes + slots * 4 > nc->max_bytes)
        return RCM_E_TOO_LARGE;
    t->slots = rcm_calloc(slots, sizeof *t->slots);
    if (!t->slots)
        return RCM_E_NOMEM;
    nc->bytes += slots * 4;
    t->n_slots = slots;
    for (size_t i = 0; i < t->n; i++) {
        if (i && t->e[i].key == t->e[i - 1].key)
            continue;
        size_t j = mix(t->e[i].key) & (slots - 1);
        while (t->slots[j])
            j = (j + 1) & (slots - 1);
        t->slots[j] = (uint32_t)(i + 1);
    }
    return RCM_OK;
}

/* The entry for key in force on date (latest period starting on or before). */
static const struct ncci_ent *
tab_find(const struct ncci_tab *t, uint64_t key, int32_t date)
{
    if (!t->n_slots || !key)
        return NULL;
    size_t mask = t->n_slots - 1, j = mix(key) & mask;
    uint32_t first = 0;
    while (t->slots[j]) {
        if (t->e[t->slots[j] - 1].key == key) {
            first = t->slots[j];
            break;
        }
        j = (j + 1) & mask;
    }
    if (!first)
        return NULL;
    const struct ncci_ent *hit = NULL;
    for (size_t i = first - 1; i < t->n && t->e[i].key == key; i++) {
        if (t->e[i].from_days > date)
            break;
        if (date <= t->e[i].to_days)
            hit = &t->e[i];
    }
    return hit;
}

/* ---- parsing ---------------------------------------------------------- */

enum ncci_kind { NCCI_NONE, NCCI_PTP, NCCI_MUE, NCCI_AOC };

static bool
contains_ci(struct rcm_str s, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= s.n; i++) {
        size_t j = 0;
        while (j < k) {
            char a = s.p[i + j], b = needle[j];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (a != b)
                break;
            j++;
        }
        if (j == k)
            return true;
    }
    return false;
}

static enum ncci_kind
header_kind(struct rcm_str line)
{
    if (contains_ci(line, "column 1") && contains_ci(line, "column 2"))
        return NCCI_PTP;
    if (contains_ci(line, "add-on code") || contains_ci(line, "addon code"))
        return NCCI_AOC;
    if (contains_ci(line, "mue") && contains_ci(line, "value"))
        return NCCI_MUE;
    return NCCI_NONE;
}

/* Split on tabs, or on commas (with "quotes") when the line has no tab. */
static int
split_fields(char *line, struct rcm_str *f, int max)
{
    int n = 0;
    bool tabs = strchr(line, '\t') != NULL;
    char *p = line;
    while (n < max) {
        if (!tabs && *p == '"') {
            char *w = ++p, *start = p;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                *w++ = *p++;
            }
            if (*p == '"')
                p++;
            f[n++] = rcm_str_trim((struct rcm_str){start, (size_t)(w - start)});
        } else {
            char *start = p;
            while (*p && *p != (tabs ? '\t' : ','))
                p++;
            f[n++] = rcm_str_trim((struct rcm_str){start, (size_t)(p - start)});
        }
        if (*p != (tabs ? '\t' : ','))
            break;
        p++;
    }
    return n;
}

/* YYYYMMDD (or MM/DD/YYYY); "*" or empty = absent (returns `absent`). */
static bool
ncci_date(struct rcm_str s, int32_t absent, int32_t *out)
{
    if (s.n == 0 || rcm_str_eq_c(s, "*")) {
        *out = absent;
        return true;
    }
    if (s.n == 8)
        return rcm_date_parse_ccyymmdd(s, out) == RCM_OK;
    if (s.n == 10 && s.p[2] == '/' && s.p[5] == '/') {
        char b[9] = {s.p[6], s.p[7], s.p[8], s.p[9], s.p[0], s.p[1], s.p[3], s.p[4], 0};
        return rcm_date_parse_ccyymmdd(rcm_str_c(b), out) == RCM_OK;
    }
    return false;
}

/* Effective date from a CMS file name ("..._Eff_04-01-2026..."). */
static int32_t
name_date(const char *name)
{
    const char *p = strstr(name, "Eff_");
    if (!p)
        p = strstr(name, "eff_");
    int m, d, y;
    if (p && sscanf(p + 4, "%2d-%2d-%4d", &m, &d, &y) == 3 &&
        rcm_date_valid_ymd(y, m, d))
        return rcm_date_from_ymd(y, m, d);
    return INT32_MIN;
}

static bool
looks_like_data(const struct rcm_str *f, int nf)
{
    return nf >= 2 && pack(f[0].p, f[0].n) != 0;
}

static enum rcm_err
parse_data(struct rcm_ncci *nc, enum ncci_kind kind, const struct rcm_str *f,
           int nf, int32_t file_from, struct rcm_ncci_stats *st)
{
    struct ncci_ent e;
    memset(&e, 0, sizeof e);
    int64_t v;
    if (kind == NCCI_PTP) {
        /* col1, col2, prior-1996, effective, deletion, modifier, rationale */
        uint64_t a = pack(f[0].p, f[0].n), b = nf > 1 ? pack(f[1].p, f[1].n) : 0;
        if (nf < 6 || !a || !b || !ncci_date(f[3], INT32_MIN, &e.from_days) ||
            !ncci_date(f[4], INT32_MAX, &e.to_days) || f[5].n != 1 ||
            (f[5].p[0] != '0' && f[5].p[0] != '1' && f[5].p[0] != '9'))
            return RCM_E_PARSE;
        if (e.to_days != INT32_MAX)
            e.to_days--;   /* deletion date: no longer in force that day */
        e.key = (a << NCCI_CODE_BITS) | b;
        e.value = f[5].p[0] - '0';
        st->ptp_rows++;
        return tab_add(nc, &nc->ptp, &e);
    }
    if (kind == NCCI_MUE) {
        /* code, MUE value, "N description" adjudication indicator, rationale */
        e.key = pack(f[0].p, f[0].n);
        if (nf < 3 || !e.key || rcm_str_to_i64(f[1], &v) != RCM_OK || v < 0 ||
            v > 1000000 || f[2].n < 1 || f[2].p[0] < '1' || f[2].p[0] > '3')
            return RCM_E_PARSE;
        e.value = (int32_t)v;
        e.aux = f[2].p[0] - '0';
        e.from_days = file_from;
        e.to_days = INT32_MAX;
        st->mue_rows++;
        return tab_add(nc, &nc->mue, &e);
    }
    /* AOC: add-on, add-on deletion, primary, primary deletion, type,
     * edit effective, edit deletion, notes */
    uint64_t a = pack(f[0].p, f[0].n), p = nf > 2 ? pack(f[2].p, f[2].n) : 0;
    if (nf < 7 || !a || !p || f[4].n != 1 || f[4].p[0] < '1' ||
        f[4].p[0] > '3' || !ncci_date(f[5], INT32_MIN, &e.from_days) ||
        !ncci_date(f[6], INT32_MAX, &e.to_days))
        return RCM_E_PARSE;
    if (e.to_days != INT32_MAX)
        e.to_days--;
    int type = f[4].p[0] - '0';
    bool any = rcm_str_eq_c(f[2], "CCCCC");
    e.value = type;
    e.key = (a << NCCI_CODE_BITS) | (any ? NCCI_ADDON_MARK : p);
    enum rcm_err err = tab_add(nc, &nc->aoc, &e);
    if (err)
        return err;
    if (!any) {   /* marker: "this is an add-on code" */
        e.key = (a << NCCI_CODE_BITS) | (NCCI_ADDON_MARK - 1);
        err = tab_add(nc, &nc->aoc, &e);
    }
    st->aoc_rows++;
    return err;
}

static enum rcm_err
load_file(struct rcm_ncci *nc, const char *path, const char *name,
          struct rcm_ncci_stats *st, struct rcm_diag *diag)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open %s: %s", path,
                             strerror(errno));
    char *line = rcm_malloc(NCCI_LINE_MAX);
    if (!line) {
        fclose(f);
        return RCM_E_NOMEM;
    }
    enum ncci_kind kind = NCCI_NONE;
    bool in_data = false;
    long lineno = 0;
    int32_t file_from = name_date(name);
    enum rcm_err err = RCM_OK;
    while (fgets(line, NCCI_LINE_MAX, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == NCCI_LINE_MAX - 1 && line[len - 1] != '\n') {
            err = rcm_diag_fail_at(diag, RCM_E_TOO_LARGE, -1, lineno,
                                   "%s line %ld: line longer than %d bytes",
                                   name, lineno, NCCI_LINE_MAX);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (kind == NCCI_NONE) {
            kind = header_kind((struct rcm_str){line, len});
            if (kind == NCCI_NONE && lineno > 50)
                break;   /* not an NCCI table */
            continue;
        }
        struct rcm_str fields[10];
        int nf = split_fields(line, fields, 10);
        if (!in_data && !looks_like_data(fields, nf))
            continue;   /* header continuation lines */
        in_data = true;
        err = parse_data(nc, kind, fields, nf, file_from, st);
        if (err == RCM_E_PARSE) {
            err = rcm_diag_fail_at(diag, RCM_E_PARSE, -1, lineno,
                                   "%s line %ld: malformed %s row", name, lineno,
                                   kind == NCCI_PTP   ? "PTP"
                                   : kind == NCCI_MUE ? "MUE"
                                                      : "add-on code");
            break;
        }
        if (err == RCM_E_TOO_LARGE) {
            err = rcm_diag_fail(diag, err, "NCCI tables exceed the memory cap");
            break;
        }
        if (err)
            break;
    }
    if (!err && ferror(f))
        err = rcm_diag_fail(diag, RCM_E_IO, "cannot read %s", path);
    if (!err && kind != NCCI_NONE)
        st->files++;
    rcm_free(line);
    fclose(f);
    return err;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum rcm_err
rcm_codes_ncci_load(const char *dir, size_t max_bytes, struct rcm_ncci **out,
                    struct rcm_ncci_stats *stats, struct rcm_diag *diag)
{
    *out = NULL;
    struct rcm_ncci_stats st = {0, 0, 0, 0};
    DIR *d = opendir(dir);
    if (!d)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open NCCI directory %s: %s",
                             dir, strerror(errno));
    struct rcm_ncci *nc = rcm_calloc(1, sizeof *nc);
    char *names[NCCI_MAX_FILES];
    size_t n_names = 0;
    enum rcm_err err = RCM_OK;
    if (!nc) {
        closedir(d);
        return RCM_E_NOMEM;
    }
    nc->max_bytes = max_bytes ? max_bytes : ((size_t)2 << 30);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 5)
            continue;
        const char *ext = de->d_name + l - 4;
        if (strcmp(ext, ".txt") && strcmp(ext, ".csv") && strcmp(ext, ".TXT") &&
            strcmp(ext, ".CSV"))
            continue;
        if (n_names == NCCI_MAX_FILES) {
            err = rcm_diag_fail(diag, RCM_E_TOO_LARGE,
                                "more than %d files in %s", NCCI_MAX_FILES, dir);
            break;
        }
        if (!(names[n_names] = rcm_strdup(de->d_name))) {
            err = RCM_E_NOMEM;
            break;
        }
        n_names++;
    }
    closedir(d);
    qsort(names, n_names, sizeof names[0], name_cmp);
    for (size_t i = 0; !err && i < n_names; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        err = load_file(nc, path, names[i], &st, diag);
    }
    for (size_t i = 0; i < n_names; i++)
        rcm_free(names[i]);
    if (!err && !(err = tab_finish(nc, &nc->ptp)) &&
        !(err = tab_finish(nc, &nc->mue)))
        err = tab_finish(nc, &nc->aoc);
    if (err) {
        if (err == RCM_E_TOO_LARGE && diag && diag->code == RCM_OK)
            rcm_diag_fail(diag, err, "NCCI tables exceed the memory cap");
        rcm_codes_ncci_free(nc);
        return err;
    }
    if (stats)
        *stats = st;
    *out = nc;
    return RCM_OK;
}

void
rcm_codes_ncci_free(struct rcm_ncci *ncci)
{
    if (!ncci)
        return;
    struct ncci_tab *t[] = {&ncci->ptp, &ncci->mue, &ncci->aoc};
    for (size_t i = 0; i < 3; i++) {
        rcm_free(t[i]->e);
        rcm_free(t[i]->slots);
    }
    rcm_free(ncci);
}

bool
rcm_codes_ncci_mue(const struct rcm_ncci *ncci, const char *code,
                   int32_t date_days, int *value, int *mai)
{
    if (!ncci || !code)
        return false;
    const struct ncci_ent *e = tab_find(&ncci->mue, pack(code, strlen(code)), date_days);
    if (!e)
        return false;
    *value = e->value;
    *mai = e->aux;
    return true;
}

bool
rcm_codes_ncci_ptp(const struct rcm_ncci *ncci, const char *col1,
                   const char *col2, int32_t date_days, int *modifier_indicator)
{
    if (!ncci || !col1 || !col2)
        return false;
    uint64_t a = pack(col1, strlen(col1)), b = pack(col2, strlen(col2));
    if (!a || !b)
        return false;
    const struct ncci_ent *e = tab_find(&ncci->ptp, (a << NCCI_CODE_BITS) | b, date_days);
    if (!e || e->value == 9)
        return false;
    *modifier_indicator = e->value;
    return true;
}

bool
rcm_codes_ncci_is_addon(const struct rcm_ncci *ncci, const char *code,
                        int32_t date_days)
{
    if (!ncci || !code)
        return false;
    uint64_t a = pack(code, strlen(code));
    if (!a)
        return false;
    return tab_find(&ncci->aoc, (a << NCCI_CODE_BITS) | NCCI_ADDON_MARK, date_days) ||
           tab_find(&ncci->aoc, (a << NCCI_CODE_BITS) | (NCCI_ADDON_MARK - 1), date_days);
}

bool
rcm_codes_ncci_aoc_primary(const struct rcm_ncci *ncci, const char *addon,
                           const char *primary, int32_t date_days)
{
    if (!ncci || !addon || !primary)
        return false;
    uint64_t a = pack(addon, strlen(addon)), p = pack(primary, strlen(primary));
    if (!a || !p)
        return false;
    if (tab_find(&ncci->aoc, (a << NCCI_CODE_BITS) | NCCI_ADDON_MARK, date_days))
        return true;   /* type 2: contractor-defined primaries */
    return tab_find(&ncci->aoc, (a << NCCI_CODE_BITS) | p, date_days) != NULL;
}
