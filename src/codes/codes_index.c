/*
 * codes_index.c — the read side of the code-set index: map it, check it,
 * look codes up by date, and the ranked search for code pickers.
 *
 * Open is mmap plus a check of the header and section bounds: O(1) in the
 * number of codes, so nothing is paged in until used. Each record's own
 * offsets are bounds-checked when a lookup or search reads it (two compares),
 * so a corrupt index yields "unknown", never a wild read. Nothing here
 * allocates after open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codes/codes_int.h"
#include "rcm/mem.h"

struct rcm_codes {
    const unsigned char *map;
    size_t map_bytes;
    const struct codes_idx_header *h;
    const struct codes_idx_version *versions;
    const char *strings;
    const struct codes_idx_rec *recs[RCM_CODESET_COUNT];
    const uint32_t *hash[RCM_CODESET_COUNT];
    const struct codes_idx_rec *slots[RCM_CODESET_COUNT];
    /* covered range per set: first from, last to, and the latest version */
    int32_t min_from[RCM_CODESET_COUNT];
    int32_t max_to[RCM_CODESET_COUNT];
    /* versions of each set, for the version-in-force answer */
    uint16_t set_versions[RCM_CODESET_COUNT][CODES_MAX_VERSIONS];
    uint16_t n_set_versions[RCM_CODESET_COUNT];
};

static const char *const set_names[] = {
#define RCM_CODE_SET_NAME(suffix, name, text) name,
    RCM_CODE_SETS(RCM_CODE_SET_NAME)
#undef RCM_CODE_SET_NAME
};

const char *
rcm_codes_set_name(enum rcm_code_set set)
{
    return (unsigned)set < RCM_CODESET_COUNT ? set_names[set] : "unknown";
}

bool
rcm_codes_set_from_name(const char *name, enum rcm_code_set *out)
{
    for (unsigned i = 0; i < RCM_CODESET_COUNT; i++)
        if (strcmp(name, set_names[i]) == 0) {
            *out = (enum rcm_code_set)i;
            return true;
        }
    return false;
}

static enum rcm_err
bad_index(struct rcm_diag *diag, const char *path, const char *what)
{
    return rcm_diag_fail(diag, RCM_E_PARSE,
                         "%s is not a valid code-set index: %s (rebuild it "
                         "with 'openrcm codes build')", path, what);
}

/* A record's string offsets and code are sane (checked on every use). */
static inline bool
rec_ok(const struct rcm_codes *c, const struct codes_idx_rec *r)
{
    return r->short_off < c->h->strings_bytes && r->long_off < c->h->strings_bytes &&
           r->code[CODES_KEY_BYTES - 1] == '\0';
}

static bool
in_file(uint64_t off, uint64_t bytes, size_t size)
{
    return off <= size && bytes <= size - off;
}

enum rcm_err
rcm_codes_open(const char *path, struct rcm_codes **out,
               struct rcm_diag *diag)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open %s: %s", path,
                             strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return rcm_diag_fail(diag, RCM_E_IO, "cannot stat %s: %s", path,
                             strerror(errno));
    }
    size_t size = (size_t)st.st_size;
    if (size < sizeof(struct codes_idx_header)) {
        close(fd);
        return bad_index(diag, path, "too short");
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot map %s: %s", path,
                             strerror(errno));
    enum rcm_err err = RCM_OK;
    struct rcm_codes *c = rcm_calloc(1, sizeof *c);
    if (!c) {
        munmap(map, size);
        return RCM_E_NOMEM;
    }
    c->map = map;
    c->map_bytes = size;
    c->h = map;
    const struct codes_idx_header *h = c->h;
    if (memcmp(h->magic, CODES_IDX_MAGIC, 8) != 0) {
        err = bad_index(diag, path, "bad magic");
        goto fail;
    }
    if (h->format != CODES_IDX_FORMAT || h->byte_order != CODES_IDX_BYTE_ORDER) {
        err = bad_index(diag, path, "other format version or byte order");
        goto fail;
    }
    if (h->file_bytes != size || h->n_sets != RCM_CODESET_COUNT ||
        h->n_versions > CODES_MAX_VERSIONS) {
        err = bad_index(diag, path, "size or counts do not match (truncated?)");
        goto fail;
    }
    if (!in_file(h->versions_off, (uint64_t)h->n_versions * sizeof *c->versions, size) ||
        h->versions_off % 8 || !in_file(h->strings_off, h->strings_bytes, size) ||
        h->strings_bytes == 0 || c->map[h->strings_off + h->strings_bytes - 1] != '\0') {
        err = bad_index(diag, path, "section out of bounds");
        goto fail;
    }
    c->versions = (const void *)(c->map + h->versions_off);
    c->strings = (const char *)c->map + h->strings_off;
    for (unsigned s = 0; s < RCM_CODESET_COUNT; s++) {
        const struct codes_idx_set *is = &h->sets[s];
        if (!in_file(is->rec_off, (uint64_t)is->rec_count * sizeof(struct codes_idx_rec), size) ||
            !in_file(is->hash_off, (uint64_t)is->hash_slots * 4, size) ||
            is->rec_off % 8 || is->hash_off % 4 || is->hash_slots == 0 ||
            (is->hash_slots & (is->hash_slots - 1)) ||
            is->hash_slots < is->rec_count) {
            err = bad_index(diag, path, "set table out of bounds");
            goto fail;
        }
        if (!in_file(is->slot_off, (uint64_t)is->slot_count * sizeof(struct codes_idx_rec), size) ||
            is->slot_off % 8 || is->slot_count == 0 ||
            (is->slot_count & (is->slot_count - 1)) || is->slot_count < is->rec_count / 4) {
            err = bad_index(diag, path, "direct table out of bounds");
            goto fail;
        }
        c->slots[s] = (const void *)(c->map + is->slot_off);
        c->recs[s] = (const void *)(c->map + is->rec_off);
        c->hash[s] = (const void *)(c->map + is->hash_off);
        c->min_from[s] = INT32_MAX;
        c->max_to[s] = INT32_MIN;
    }
    for (uint32_t i = 0; i < h->n_versions; i++) {
        const struct codes_idx_version *v = &c->versions[i];
        if (v->set >= RCM_CODESET_COUNT || v->name_off >= h->strings_bytes) {
            err = bad_index(diag, path, "version out of bounds");
            goto fail;
        }
        c->set_versions[v->set][c->n_set_versions[v->set]++] = (uint16_t)i;
        if (v->from_days < c->min_from[v->set])
            c->min_from[v->set] = v->from_days;
        if (v->to_days > c->max_to[v->set])
            c->max_to[v->set] = v->to_days;
    }
    *out = c;
    return RCM_OK;
fail:
    munmap(map, size);
    rcm_free(c);
    return err;
}

void
rcm_codes_close(struct rcm_codes *codes)
{
    if (!codes)
        return;
    munmap((void *)(uintptr_t)codes->map, codes->map_bytes);
    rcm_free(codes);
}

size_t
rcm_codes_count(const struct rcm_codes *codes, enum rcm_code_set set)
{
    return (unsigned)set < RCM_CODESET_COUNT ? codes->h->sets[set].rec_count : 0;
}

void
rcm_codes_mce_age_range(const struct rcm_codes *codes, uint32_t category,
                        int *min_years, int *max_years)
{
    int slot = category == RCM_CODE_MCE_NEWBORN     ? 0
               : category == RCM_CODE_MCE_PEDIATRIC ? 1
               : category == RCM_CODE_MCE_MATERNITY ? 2
                                                    : 3;
    *min_years = codes->h->mce_age[slot * 2];
    *max_years = codes->h->mce_age[slot * 2 + 1];
}

/* Date actually checked: clamps a date past the latest version onto it. */
static int32_t
effective_date(const struct rcm_codes *c, enum rcm_code_set set, int32_t date,
               bool *beyond, bool *none)
{
    *beyond = false;
    *none = false;
    if (c->min_from[set] == INT32_MAX || date < c->min_from[set]) {
        *none = true;
        return date;
    }
    if (date > c->max_to[set]) {
        *beyond = true;
        return c->max_to[set];
    }
    return date;
}

const char *
rcm_codes_version(const struct rcm_codes *codes, enum rcm_code_set set,
                  int32_t date_days, bool *beyond_latest)
{
    bool beyond = false, none = false;
    if ((unsigned)set >= RCM_CODESET_COUNT)
        return "";
    int32_t d = effective_date(codes, set, date_days, &beyond, &none);
    if (beyond_latest)
        *beyond_latest = beyond;
    if (none)
        return "";
    const char *best = "";
    int32_t best_from = INT32_MIN;
    for (uint32_t k = 0; k < codes->n_set_versions[set]; k++) {
        const struct codes_idx_version *v = &codes->versions[codes->set_versions[set][k]];
        if (v->from_days <= d && d <= v->to_days &&
            v->from_days >= best_from) {
            best = codes->strings + v->name_off;
            best_from = v->from_days;
        }
    }
    return best;
}

enum rcm_code_status
rcm_codes_lookup(const struct rcm_codes *codes, enum rcm_code_set set,
                 const char *code, size_t code_len, int32_t date_days,
                 struct rcm_code_info *info)
{
    char key[CODES_KEY_BYTES];
    memset(info, 0, sizeof *info);
    info->short_title = info->long_title = info->version = "";
    info->status = RCM_CODE_UNKNOWN;
    if ((unsigned)set >= RCM_CODESET_COUNT)
        return info->status;
    bool beyond, none;
    int32_t d = effective_date(codes, set, date_days, &beyond, &none);
    info->beyond_latest = beyond;
    if (!codes_make_key(set, code, code_len, key))
        return info->status;
    /* fast path: the direct table holds each code's latest period */
    const struct codes_idx_rec *tab = codes->slots[set];
    uint32_t smask = codes->h->sets[set].slot_count - 1;
    uint64_t hv = codes_key_hash(key);
    const struct codes_idx_rec *best = NULL;
    for (size_t j = hv & smask, probes = 0;; j = (j + 1) & smask, probes++) {
        const struct codes_idx_rec *r = &tab[j];
        if (probes > smask)
            return info->status;   /* full table: corrupt index */
        if (!r->code[0])
            return info->status;
        if (memcmp(r->code, key, CODES_KEY_BYTES) == 0) {
            if (!rec_ok(codes, r))
                return info->status;
            if ((r->from_days <= d && d <= r->to_days) || !(r->flags & CODES_REC_MORE))
                best = r;
            break;
        }
    }
    if (best) {
        info->status = best->from_days <= d && d <= best->to_days ? RCM_CODE_VALID
                       : none                                     ? RCM_CODE_NO_VERSION
                                                                  : RCM_CODE_NOT_IN_FORCE;
        info->flags = best->flags & ~CODES_REC_MORE;
        info->from_days = best->from_days;
        info->to_days = best->to_days;
        info->short_title = codes->strings + best->short_off;
        info->long_title = codes->strings + best->long_off;
        if (info->status == RCM_CODE_VALID)
            info->version = rcm_codes_version(codes, set, date_days, NULL);
        return info->status;
    }
    const struct codes_idx_rec *recs = codes->recs[set];
    const uint32_t *htab = codes->hash[set];
    uint32_t mask = codes->h->sets[set].hash_slots - 1;
    uint32_t count = codes->h->sets[set].rec_count;
    size_t j = hv & mask;
    uint32_t first = 0;
    for (uint32_t probes = 0; probes <= mask; probes++) {
        uint32_t slot = htab[j];
        if (!slot || slot > count)
            break;
        if (memcmp(recs[slot - 1].code, key, CODES_KEY_BYTES) == 0) {
            first = slot;
            break;
        }
        j = (j + 1) & mask;
    }
    if (!first)
        return info->status;
    for (uint32_t i = first - 1; i < count &&
                                 memcmp(recs[i].code, key, CODES_KEY_BYTES) == 0;
         i++) {
        best = &recs[i];
        if (recs[i].from_days <= d && d <= recs[i].to_days) {
            info->status = RCM_CODE_VALID;
            break;
        }
        if (recs[i].from_days > d)
            break;   /* nearest later period */
    }
    if (!best || !rec_ok(codes, best)) {
        info->status = RCM_CODE_UNKNOWN;
        return info->status;
    }
    if (info->status != RCM_CODE_VALID)
        info->status = none ? RCM_CODE_NO_VERSION : RCM_CODE_NOT_IN_FORCE;
    info->flags = best->flags & ~CODES_REC_MORE;
    info->from_days = best->from_days;
    info->to_days = best->to_days;
    info->short_title = codes->strings + best->short_off;
    info->long_title = codes->strings + best->long_off;
    if (info->status == RCM_CODE_VALID)
        info->version = rcm_codes_version(codes, set, date_days, NULL);
    return info->status;
}

void
rcm_codes_lookup_many(const struct rcm_codes *codes, enum rcm_code_set set,
                      const char *const *code, const size_t *code_len, size_t n,
                      int32_t date_days, struct rcm_code_info *info)
{
    if ((unsigned)set >= RCM_CODESET_COUNT) {
        for (size_t i = 0; i < n; i++)
            (void)rcm_codes_lookup(codes, set, code[i], code_len[i], date_days, &info[i]);
        return;
    }
    const struct codes_idx_rec *tab = codes->slots[set];
    uint32_t smask = codes->h->sets[set].slot_count - 1;
    for (size_t base = 0; base < n; base += 16) {
        size_t m = n - base < 16 ? n - base : 16;
        /* issue the first probe of each code, then resolve them in order */
        for (size_t i = 0; i < m; i++) {
            char key[CODES_KEY_BYTES];
            if (codes_make_key(set, code[base + i], code_len[base + i], key))
                __builtin_prefetch(&tab[codes_key_hash(key) & smask]);
        }
        for (size_t i = 0; i < m; i++)
            (void)rcm_codes_lookup(codes, set, code[base + i], code_len[base + i], date_days,
                                   &info[base + i]);
    }
}

void
rcm_codes_icd_display(const char *code, size_t n, char out[16])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 14; i++) {
        if (code[i] == '.')
            continue;
        if (k == 3)
            out[k++] = '.';
        out[k++] = code[i];
    }
    out[k] = '\0';
}

/* ---- search ----------------------------------------------------------- */

#define SEARCH_MAX_TOKENS 12
#define SEARCH_TOKEN_MAX 32

static char
lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
stopword(const char *w)
{
    static const char *const stop[] = {"with", "of", "and", "the", "in", "for",
                                       "to", "a", "an", "or", "due", "by", "on"};
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++)
        if (strcmp(w, stop[i]) == 0)
            return true;
    return false;
}

/* 3 when `tok` starts a word of `text`, 1 inside a word, 0 absent. */
static int
match_token(const char *text, const char *tok, size_t tn)
{
    int best = 0;
    for (const char *p = text; *p; p++) {
        if (lower(*p) != tok[0])
            continue;
        size_t i = 1;
        while (i < tn && p[i] && lower(p[i]) == tok[i])
            i++;
        if (i < tn)
            continue;
        bool start = p == text || !is_alnum(p[-1]);
        bool whole = !is_alnum(p[tn]);
        int s = start ? (whole ? 4 : 3) : 1;
        if (s > best)
            best = s;
        if (best == 4)
            break;
    }
    return best;
}

static void
insert_hit(struct rcm_code_hit *hits, size_t max, size_t *n,
           const struct rcm_code_hit *h)
{
    size_t at = *n;
    while (at > 0 && hits[at - 1].score < h->score)
        at--;
    if (at >= max)
        return;
    size_t last = *n < max ? *n : max - 1;
    memmove(&hits[at + 1], &hits[at], (last - at) * sizeof *hits);
    hits[at] = *h;
    if (*n < max)
        (*n)++;
}

enum rcm_err
rcm_codes_search(const struct rcm_codes *codes, enum rcm_code_set set,
                 const char *query, int32_t date_days,
                 struct rcm_code_hit *hits, size_t max, size_t *n)
{
    *n = 0;
    if ((unsigned)set >= RCM_CODESET_COUNT || !query || max == 0)
        return RCM_E_INVAL;
    char toks[SEARCH_MAX_TOKENS][SEARCH_TOKEN_MAX];
    size_t tlen[SEARCH_MAX_TOKENS];
    size_t nt = 0;
    char prefix[CODES_KEY_BYTES] = {0};
    size_t prefix_len = 0;
    for (const char *p = query; *p && nt < SEARCH_MAX_TOKENS;) {
        while (*p && !is_alnum(*p) && *p != '.')
            p++;
        size_t k = 0;
        char raw[SEARCH_TOKEN_MAX];
        while (*p && (is_alnum(*p) || *p == '.')) {
            if (k < SEARCH_TOKEN_MAX - 1)
                raw[k++] = *p;
            p++;
        }
        if (k == 0)
            continue;
        raw[k] = '\0';
        /* the first token may be a code prefix */
        if (nt == 0 && prefix_len == 0) {
            char key[CODES_KEY_BYTES];
            bool digit = false;
            for (size_t i = 0; i < k; i++)
                digit |= raw[i] >= '0' && raw[i] <= '9';
            if (digit && k >= 2 && codes_make_key(set, raw, k, key)) {
                memcpy(prefix, key, sizeof prefix);
                prefix_len = strlen(key);
            }
        }
        size_t w = 0;
        for (size_t i = 0; i < k; i++)
            if (raw[i] != '.')
                toks[nt][w++] = lower(raw[i]);
        toks[nt][w] = '\0';
        tlen[nt] = w;
        if (w == 0 || stopword(toks[nt]))
            continue;
        nt++;
    }
    if (nt == 0 && prefix_len == 0)
        return RCM_E_INVAL;
    bool beyond, none;
    int32_t d = effective_date(codes, set, date_days, &beyond, &none);
    const struct codes_idx_rec *recs = codes->recs[set];
    uint32_t count = codes->h->sets[set].rec_count;
    for (uint32_t i = 0; i < count; i++) {
        const struct codes_idx_rec *r = &recs[i];
        if (r->from_days > d || d > r->to_days || !rec_ok(codes, r))
            continue;
        int score = 0;
        bool code_match = prefix_len && strncmp(r->code, prefix, prefix_len) == 0;
        if (code_match)
            score += 1000 - 10 * (int)(strlen(r->code) - prefix_len) +
                     (strlen(r->code) == prefix_len ? 100 : 0);
        const char *title = codes->strings + r->long_off;
        int matched = 0, text = 0;
        for (size_t t = 0; t < nt; t++) {
            if (code_match && t == 0)
                continue;
            int m = match_token(title, toks[t], tlen[t]);
            if (!m)
                m = match_token(codes->strings + r->short_off, toks[t], tlen[t]);
            if (m) {
                matched++;
                text += m;
            }
        }
        size_t needed = nt - (code_match ? 1u : 0u);
        if (!code_match && (needed == 0 || matched == 0))
            continue;
        if (needed && matched < (int)needed) {
            /* partial match: only when at least half the words are there */
            if (!code_match && (size_t)matched * 2 < needed)
                continue;
            score += matched * 20 + text * 5;
        } else {
            score += 300 + text * 10;
        }
        if (r->flags & RCM_CODE_BILLABLE)
            score += 15;
        size_t tl = strlen(title);
        score -= (int)(tl > 200 ? 40 : tl / 5);
        struct rcm_code_hit h;
        memset(&h, 0, sizeof h);
        if (set == RCM_CODESET_ICD10CM)
            rcm_codes_icd_display(r->code, strlen(r->code), h.code);
        else
            memcpy(h.code, r->code, CODES_KEY_BYTES);
        h.title = title;
        h.flags = r->flags;
        h.score = score;
        insert_hit(hits, max, n, &h);
    }
    return RCM_OK;
}
