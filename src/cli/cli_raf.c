/*
 * cli_raf.c — `openrcm raf`: CMS-HCC V24/V28 risk scores for a population.
 *
 * Streams the member file (and an optional diagnosis file merged by
 * member_id) through the risk engine in batches: the main thread parses the
 * next batch while N threads score and format the current one into
 * per-thread buffers, which are written in input order. Memory is bounded
 * by the two batches (and by N for --gaps-top), whatever the population
 * size. A progress bar goes to stderr only when
 * stderr is a terminal. Input problems are printed as
 * "openrcm raf: members:LINE: member ID: message" and do not stop the run;
 * they make the exit code 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/risk.h"

#define CMD "raf"
#define BATCH_MEMBERS 8192
#define BATCH_CODES (1u << 20)          /* codes held per batch at most */
#define OUT_BUF_MAX ((size_t)1 << 30)   /* per-thread output cap per batch */
#define MAX_THREADS 64
#define MAX_GAPS 64
#define MAX_GAPS_TOP 1000000

struct raf_opts {
    enum rcm_risk_model_id model;
    bool blend;                 /* --model blend: V24 and V28 and the blended payment */
    int payment_year;
    bool json;
    const char *gaps_path;
    size_t gaps_top;            /* --gaps-top N: population-wide top N instead of per member */
};

struct batch_rec {
    size_t id_off;
    struct rcm_risk_member member;
    size_t dx_off, n_dx, prior_off, n_prior, suspect_off, n_suspect;
};

struct batch {
    struct batch_rec *recs;
    size_t n;
    char *ids;
    size_t ids_len, ids_cap;
    uint64_t *codes;
    size_t codes_len, codes_cap;
};

/* A gap of one member of a batch (for --gaps-top). */
struct gap_entry {
    size_t rec;                 /* index in the batch */
    enum rcm_risk_model_id model;
    struct rcm_risk_gap gap;
};

/* One gap kept in the population-wide top-N heap. */
struct top_gap {
    int32_t impact_milli;
    uint64_t seq;               /* input order of the member, for stable ties */
    enum rcm_risk_model_id model;
    int hcc;
    enum rcm_risk_gap_kind kind;
    uint64_t evidence_dx;
    char id[RCM_RISK_ID_MAX + 1];
};

struct worker {
    pthread_t thread;
    const struct raf_opts *opts;
    const struct rcm_risk_tables *tables;
    const struct rcm_risk_model *models[RCM_RISK_MODEL_COUNT]; /* the one, or both for blend */
    int n_models;
    const struct batch *batch;
    size_t from, to;
    struct rcm_buf out;
    struct rcm_buf gaps;
    struct gap_entry *entries;  /* --gaps-top: this batch's gaps, structured */
    size_t n_entries, cap_entries;
    enum rcm_err err;
    uint64_t scored;
};

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm raf --model V24|V28|blend --payment-year YYYY [--members FILE.csv]\n"
            "                   [--diagnoses FILE.csv] [--out FILE] [--json] [--gaps FILE]\n"
            "                   [--threads N] [--config FILE] [--set reference_dir=DIR]\n"
            "\n"
            "Score a population with the CMS-HCC model for a payment year (2024-2026 ship\n"
            "with openrcm; tables come from <reference_dir>/cms-hcc).\n"
            "\n"
            "  --members FILE    member CSV with a header (default: standard input):\n"
            "                    member_id, dob (YYYY-MM-DD) or age, sex (M/F or 1/2), orec,\n"
            "                    and optionally elig (CNA CND CFA CFD CPA CPD INS NE SNPNE;\n"
            "                    derived from dual_elgbl_cd, lti, new_enrollee, snp when\n"
            "                    absent), medicaid, and dx (';'-separated ICD-10-CM codes)\n"
            "  --diagnoses FILE  diagnosis CSV: member_id, code, dos, source; both files\n"
            "                    sorted by member_id (LC_ALL=C sort). Dates of service in\n"
            "                    the data year (payment year - 1) score; the year before\n"
            "                    feeds gap flags; sources that are not risk-adjustment\n"
            "                    eligible (lab, radiology, dme, ...) become suspect gaps\n"
            "  --out FILE        write results here (default: standard output)\n"
            "  --json            one JSON object per member (JSON Lines) with the\n"
            "                    explanation: HCCs kept and dropped, triggering codes,\n"
            "                    coefficients, gaps\n"
            "  --gaps FILE       write the gap worklist CSV (member_id, model, rank, hcc, kind,\n"
            "                    raf_impact, evidence_dx), ranked per member by impact\n"
            "  --gaps-top N      with --gaps: instead, the N highest-impact gaps of the whole\n"
            "                    population, ranked (rank, member_id, model, hcc, kind,\n"
            "                    raf_impact, evidence_dx); memory grows with N only\n"
            "  --threads N       scoring threads (default 1; 0 = all cores)\n"
            "\n"
            "CSV output: member_id,model,raf,hccs,payment_year,segment,age,normalized,\n"
            "payment,blend_weight (raf = raw score; scores with 3 decimals; normalized and\n"
            "payment empty when CMS publishes no normalization factor for the model and\n"
            "year). --model blend scores both models and writes member_id,payment_year,\n"
            "v24_raf,v24_hccs,v24_payment,v28_raf,v28_hccs,v28_payment,blended_payment\n"
            "(PY2024 0.67 V24 + 0.33 V28, PY2025 0.33/0.67, PY2026 V28 only).\n"
            "\n"
            "exit codes: 0 all members scored, 1 some input rows had problems (reported\n"
            "on stderr with file, line and member id), 2 usage or I/O error\n");
}

static void
problem_cb(void *ctx, const char *file, long line, const char *member_id, const char *msg)
{
    (void)ctx;
    if (member_id)
        cli_error(CMD, "%s:%ld: member %s: %s", file, line, member_id, msg);
    else
        cli_error(CMD, "%s:%ld: %s", file, line, msg);
}

/* Append a non-negative integer without printf (the output hot path). */
static enum rcm_err
add_uint(struct rcm_buf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return rcm_buf_add(b, tmp + sizeof tmp - n, (size_t)n);
}

/* Thousandths as "1.234" ("-0.050" for negatives). */
static enum rcm_err
add_milli(struct rcm_buf *b, int32_t v)
{
    enum rcm_err err = RCM_OK;
    int64_t x = v;
    if (x < 0) {
        err = rcm_buf_addch(b, '-');
        x = -x;
    }
    if (!err)
        err = add_uint(b, (uint64_t)(x / 1000));
    char frac[4] = {'.', (char)('0' + x / 100 % 10), (char)('0' + x / 10 % 10),
                    (char)('0' + x % 10)};
    return err ? err : rcm_buf_add(b, frac, 4);
}

static enum rcm_err
add_csv_field(struct rcm_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return rcm_buf_addstr(b, s);
    enum rcm_err err = rcm_buf_addch(b, '"');
    for (const char *p = s; !err && *p; p++)
        err = *p == '"' ? rcm_buf_add(b, "\"\"", 2) : rcm_buf_addch(b, *p);
    return err ? err : rcm_buf_addch(b, '"');
}

static enum rcm_err
add_json_str(struct rcm_buf *b, const char *s)
{
    enum rcm_err err = rcm_buf_addch(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; !err && *p; p++) {
        if (*p == '"' || *p == '\\')
            err = rcm_buf_addf(b, "\\%c", *p);
        else if (*p < 0x20)
            err = rcm_buf_addf(b, "\\u%04x", *p);
        else
            err = rcm_buf_addch(b, (char)*p);
    }
    return err ? err : rcm_buf_addch(b, '"');
}

static enum rcm_err
add_hcc_list(struct rcm_buf *b, const uint64_t *set, bool json)
{
    enum rcm_err err = RCM_OK;
    bool first = true;
    for (int w = 0; w < RCM_RISK_CC_WORDS && !err; w++) {
        uint64_t bits = set[w];
        while (bits && !err) {
            int v = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (!first)
                err = rcm_buf_addch(b, json ? ',' : ';');
            if (!err && !json)
                err = rcm_buf_add(b, "HCC", 3);
            if (!err)
                err = add_uint(b, (uint64_t)v);
            first = false;
        }
    }
    return err;
}

#define TRY(x)                                                                 \
    do {                                                                       \
        if ((err = (x)) != RCM_OK)                                             \
            return err;                                                        \
    } while (0)

static enum rcm_err
format_csv(struct worker *w, const struct rcm_risk_model *m, const char *id,
           const struct rcm_risk_score *s)
{
    struct rcm_buf *b = &w->out;
    enum rcm_err err;
    const char *model = rcm_risk_model_name(rcm_risk_model_id(m));
    const char *seg = rcm_risk_segment_name(s->segment);
    TRY(add_csv_field(b, id));
    TRY(rcm_buf_addch(b, ','));
    TRY(rcm_buf_add(b, model, strlen(model)));
    TRY(rcm_buf_addch(b, ','));
    TRY(add_milli(b, s->raw_milli));
    TRY(rcm_buf_addch(b, ','));
    TRY(add_hcc_list(b, s->hcc, false));
    TRY(rcm_buf_addch(b, ','));
    TRY(add_uint(b, (uint64_t)w->opts->payment_year));
    TRY(rcm_buf_addch(b, ','));
    TRY(rcm_buf_add(b, seg, strlen(seg)));
    TRY(rcm_buf_addch(b, ','));
    TRY(add_uint(b, (uint64_t)s->age));
    TRY(rcm_buf_addch(b, ','));
    if (s->normalized_milli >= 0)
        TRY(add_milli(b, s->normalized_milli));
    TRY(rcm_buf_addch(b, ','));
    if (s->payment_milli >= 0)
        TRY(add_milli(b, s->payment_milli));
    int pct = rcm_risk_model_blend_pct(m);
    char blend[6] = {',', (char)('0' + pct / 100), '.', (char)('0' + pct / 10 % 10),
                     (char)('0' + pct % 10), '\n'};
    return rcm_buf_add(b, blend, sizeof blend);
}

static enum rcm_err
format_json(struct worker *w, const struct rcm_risk_model *m, const char *id,
            const struct rcm_risk_explain *x, const struct rcm_risk_gap *gaps, size_t n_gaps,
            const char *end)
{
    struct rcm_buf *b = &w->out;
    const struct rcm_risk_score *s = &x->score;
    enum rcm_err err;
    char code[8];
    TRY(rcm_buf_addstr(b, "{\"member_id\":"));
    TRY(add_json_str(b, id));
    TRY(rcm_buf_addf(b, ",\"model\":\"%s\",\"payment_year\":%d,\"segment\":\"%s\",\"age\":%d,"
                        "\"disabled\":%s,\"originally_disabled\":%s,\"raf\":",
                     rcm_risk_model_name(rcm_risk_model_id(m)), w->opts->payment_year,
                     rcm_risk_segment_name(s->segment), s->age, s->disabled ? "true" : "false",
                     s->orig_disabled ? "true" : "false"));
    TRY(add_milli(b, s->raw_milli));
    TRY(rcm_buf_addstr(b, ",\"normalized\":"));
    TRY(s->normalized_milli >= 0 ? add_milli(b, s->normalized_milli) : rcm_buf_addstr(b, "null"));
    TRY(rcm_buf_addstr(b, ",\"payment\":"));
    TRY(s->payment_milli >= 0 ? add_milli(b, s->payment_milli) : rcm_buf_addstr(b, "null"));
    int pct = rcm_risk_model_blend_pct(m);
    TRY(rcm_buf_addf(b, ",\"blend_weight\":%d.%02d,\"hcc_count\":%d,\"hccs\":[", pct / 100,
                     pct % 100, s->n_hcc));
    TRY(add_hcc_list(b, s->hcc, true));
    TRY(rcm_buf_addstr(b, "],\"terms\":["));
    for (int i = 0; i < x->n_terms; i++) {
        TRY(rcm_buf_addf(b, "%s{\"name\":\"%s\",\"coefficient\":", i ? "," : "",
                         x->terms[i].name));
        TRY(add_milli(b, x->terms[i].coef_milli));
        TRY(rcm_buf_addch(b, '}'));
    }
    TRY(rcm_buf_addstr(b, "],\"conditions\":["));
    for (int i = 0; i < x->n_ccs; i++) {
        const struct rcm_risk_cc_explain *c = &x->ccs[i];
        static const char *const fate[] = {"kept", "dropped_by_hierarchy", "dropped_by_rule"};
        const char *label = rcm_risk_hcc_label(m, c->cc);
        TRY(rcm_buf_addf(b, "%s{\"hcc\":%d,\"label\":", i ? "," : "", c->cc));
        TRY(add_json_str(b, label ? label : ""));
        TRY(rcm_buf_addf(b, ",\"status\":\"%s\"", fate[c->fate]));
        if (c->fate == RCM_RISK_CC_HIERARCHY)
            TRY(rcm_buf_addf(b, ",\"dropped_by\":%d", c->dropped_by));
        if (c->fate == RCM_RISK_CC_KEPT) {
            TRY(rcm_buf_addstr(b, ",\"coefficient\":"));
            TRY(c->scored ? add_milli(b, c->coef_milli) : rcm_buf_addstr(b, "null"));
        }
        if (c->edited)
            TRY(rcm_buf_addstr(b, ",\"mandatory_edit\":true"));
        TRY(rcm_buf_addstr(b, ",\"dx\":["));
        for (int k = 0; k < c->n_dx; k++) {
            rcm_risk_dx_unpack(c->dx[k], code);
            TRY(rcm_buf_addf(b, "%s\"%s\"", k ? "," : "", code));
        }
        TRY(rcm_buf_addstr(b, "]}"));
    }
    TRY(rcm_buf_addstr(b, "],\"invalidated_by_edit\":["));
    for (int k = 0; k < x->n_edit_invalid; k++) {
        rcm_risk_dx_unpack(x->edit_invalid[k], code);
        TRY(rcm_buf_addf(b, "%s\"%s\"", k ? "," : "", code));
    }
    TRY(rcm_buf_addstr(b, "],\"gaps\":["));
    for (size_t k = 0; k < n_gaps; k++) {
        const char *label = rcm_risk_hcc_label(m, gaps[k].hcc);
        rcm_risk_dx_unpack(gaps[k].evidence_dx, code);
        TRY(rcm_buf_addf(b, "%s{\"rank\":%zu,\"hcc\":%d,\"label\":", k ? "," : "", k + 1,
                         gaps[k].hcc));
        TRY(add_json_str(b, label ? label : ""));
        TRY(rcm_buf_addf(b, ",\"kind\":\"%s\",\"raf_impact\":",
                         gaps[k].kind == RCM_RISK_GAP_RECAPTURE ? "recapture" : "suspect"));
        TRY(add_milli(b, gaps[k].impact_milli));
        TRY(rcm_buf_addf(b, ",\"evidence_dx\":\"%s\"}", code));
    }
    TRY(rcm_buf_addstr(b, "]}"));
    return rcm_buf_addstr(b, end);
}

static enum rcm_err
format_gaps(struct worker *w, const struct rcm_risk_model *m, const char *id,
            const struct rcm_risk_gap *gaps, size_t n)
{
    enum rcm_err err;
    char code[8];
    for (size_t k = 0; k < n; k++) {
        rcm_risk_dx_unpack(gaps[k].evidence_dx, code);
        TRY(add_csv_field(&w->gaps, id));
        TRY(rcm_buf_addf(&w->gaps, ",%s,%zu,HCC%d,%s,", rcm_risk_model_name(rcm_risk_model_id(m)),
                         k + 1, gaps[k].hcc,
                         gaps[k].kind == RCM_RISK_GAP_RECAPTURE ? "recapture" : "suspect"));
        TRY(add_milli(&w->gaps, gaps[k].impact_milli));
        TRY(rcm_buf_addf(&w->gaps, ",%s\n", code));
    }
    return RCM_OK;
}

static enum rcm_err
add_entries(struct worker *w, size_t rec, enum rcm_risk_model_id model,
            const struct rcm_risk_gap *gaps, size_t n)
{
    if (w->n_entries + n > w->cap_entries) {
        size_t cap = (w->cap_entries + n) * 2;
        struct gap_entry *e = rcm_realloc(w->entries, cap * sizeof *e);
        if (!e)
            return RCM_E_NOMEM;
        w->entries = e;
        w->cap_entries = cap;
    }
    for (size_t k = 0; k < n; k++)
        w->entries[w->n_entries++] = (struct gap_entry){rec, model, gaps[k]};
    return RCM_OK;
}

/* --model blend: CSV row, or the end of the JSON object. */
static enum rcm_err
format_blend(struct worker *w, const char *id, const struct rcm_risk_score *s,
             const int32_t *pay)
{
    struct rcm_buf *b = &w->out;
    enum rcm_err err;
    int32_t blended = rcm_risk_blend_milli(w->tables, w->opts->payment_year,
                                           pay[RCM_RISK_V24], pay[RCM_RISK_V28]);
    if (w->opts->json) {
        TRY(rcm_buf_addstr(b, ",\"blended_payment\":"));
        TRY(blended >= 0 ? add_milli(b, blended) : rcm_buf_addstr(b, "null"));
        return rcm_buf_addstr(b, "}\n");
    }
    TRY(add_csv_field(b, id));
    TRY(rcm_buf_addch(b, ','));
    TRY(add_uint(b, (uint64_t)w->opts->payment_year));
    for (int k = 0; k < w->n_models; k++) {
        TRY(rcm_buf_addch(b, ','));
        TRY(add_milli(b, s[k].raw_milli));
        TRY(rcm_buf_addch(b, ','));
        TRY(add_hcc_list(b, s[k].hcc, false));
        TRY(rcm_buf_addch(b, ','));
        if (s[k].payment_milli >= 0)
            TRY(add_milli(b, s[k].payment_milli));
    }
    TRY(rcm_buf_addch(b, ','));
    if (blended >= 0)
        TRY(add_milli(b, blended));
    return rcm_buf_addch(b, '\n');
}

static void *
work(void *arg)
{
    struct worker *w = arg;
    const struct batch *bt = w->batch;
    struct rcm_risk_explain *x = NULL;
    if (w->opts->json) {
        x = rcm_malloc(sizeof *x);
        if (!x) {
            w->err = RCM_E_NOMEM;
            return NULL;
        }
    }
    struct rcm_risk_gap gaps[MAX_GAPS];
    for (size_t i = w->from; i < w->to && !w->err; i++) {
        const struct batch_rec *r = &bt->recs[i];
        const char *id = bt->ids + r->id_off;
        const uint64_t *dx = bt->codes + r->dx_off;
        int32_t pay[RCM_RISK_MODEL_COUNT] = {-1, -1};
        struct rcm_risk_score s[RCM_RISK_MODEL_COUNT];
        if (w->opts->blend && w->opts->json) {
            w->err = rcm_buf_addstr(&w->out, "{\"member_id\":");
            if (!w->err)
                w->err = add_json_str(&w->out, id);
            if (!w->err)
                w->err = rcm_buf_addf(&w->out, ",\"payment_year\":%d,\"models\":[",
                                      w->opts->payment_year);
        }
        for (int k = 0; k < w->n_models && !w->err; k++) {
            const struct rcm_risk_model *m = w->models[k];
            size_t n_gaps = 0;
            if (w->opts->json || w->opts->gaps_path) {
                w->err = rcm_risk_gaps(m, &r->member, dx, r->n_dx, bt->codes + r->prior_off,
                                       r->n_prior, bt->codes + r->suspect_off, r->n_suspect, gaps,
                                       MAX_GAPS, &n_gaps);
                if (!w->err && w->opts->gaps_path && w->opts->gaps_top)
                    w->err = add_entries(w, i, rcm_risk_model_id(m), gaps, n_gaps);
                else if (!w->err && w->opts->gaps_path)
                    w->err = format_gaps(w, m, id, gaps, n_gaps);
                if (w->err)
                    break;
            }
            if (w->opts->json) {
                w->err = rcm_risk_explain(m, &r->member, dx, r->n_dx, x);
                if (!w->err)
                    s[k] = x->score;
                if (!w->err)
                    w->err = format_json(w, m, id, x, gaps, n_gaps,
                                         !w->opts->blend ? "\n" : k + 1 < w->n_models ? "," : "]");
            } else {
                w->err = rcm_risk_score(m, &r->member, dx, r->n_dx, &s[k]);
                if (!w->err && !w->opts->blend)
                    w->err = format_csv(w, m, id, &s[k]);
            }
            if (!w->err)
                pay[rcm_risk_model_id(m)] = s[k].payment_milli;
        }
        if (!w->err && w->opts->blend)
            w->err = format_blend(w, id, s, pay);
        w->scored++;
    }
    rcm_free(x);
    return NULL;
}

/* Copy a record into the batch; false when the batch has no room for it. */
static bool
batch_add(struct batch *b, const struct rcm_risk_record *rec)
{
    size_t idn = strlen(rec->member_id) + 1;
    size_t codes = rec->n_dx + rec->n_prior + rec->n_suspect;
    if (b->n == BATCH_MEMBERS || (b->n > 0 && b->codes_len + codes > BATCH_CODES))
        return false;
    if (b->ids_len + idn > b->ids_cap) {
        size_t cap = b->ids_cap * 2 + idn;
        char *p = rcm_realloc(b->ids, cap);
        if (!p)
            return false;
        b->ids = p;
        b->ids_cap = cap;
    }
    if (b->codes_len + codes > b->codes_cap) {
        size_t cap = b->codes_cap * 2 + codes;
        uint64_t *p = rcm_realloc(b->codes, cap * sizeof *p);
        if (!p)
            return false;
        b->codes = p;
        b->codes_cap = cap;
    }
    struct batch_rec *r = &b->recs[b->n++];
    r->id_off = b->ids_len;
    memcpy(b->ids + b->ids_len, rec->member_id, idn);
    b->ids_len += idn;
    r->member = rec->member;
    r->dx_off = b->codes_len;
    r->n_dx = rec->n_dx;
    if (rec->n_dx)
        memcpy(b->codes + b->codes_len, rec->dx, rec->n_dx * sizeof *rec->dx);
    b->codes_len += rec->n_dx;
    r->prior_off = b->codes_len;
    r->n_prior = rec->n_prior;
    if (rec->n_prior)
        memcpy(b->codes + b->codes_len, rec->prior_dx, rec->n_prior * sizeof *rec->dx);
    b->codes_len += rec->n_prior;
    r->suspect_off = b->codes_len;
    r->n_suspect = rec->n_suspect;
    if (rec->n_suspect)
        memcpy(b->codes + b->codes_len, rec->suspect_dx, rec->n_suspect * sizeof *rec->dx);
    b->codes_len += rec->n_suspect;
    return true;
}

struct progress {
    bool on;
    uint64_t total_bytes;
    int64_t start_ms, last_ms;
};

static void
progress_show(struct progress *p, uint64_t members, uint64_t bytes, bool final)
{
    if (!p->on)
        return;
    int64_t now = rcm_time_mono_ms();
    if (!final && now - p->last_ms < 200)
        return;
    p->last_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)members / secs : 0;
    if (final) {
        fprintf(stderr, "\r\033[K");
        return;
    }
    if (p->total_bytes > 0) {
        int pct = (int)(bytes * 100 / p->total_bytes);
        if (pct > 100)
            pct = 100;
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%%  %llu members", bar, pct, (unsigned long long)members);
    } else {
        fprintf(stderr, "\r%llu members", (unsigned long long)members);
    }
    if (secs >= 0.1)
        fprintf(stderr, "  %.0f/s", rate);
    fflush(stderr);
}

static bool
write_all(FILE *f, const struct rcm_buf *b)
{
    return b->len == 0 || fwrite(b->data, 1, b->len, f) == b->len;
}

/* Population-wide top-N gaps: a min-heap on (impact, later member first). */
struct top_heap {
    struct top_gap *v;
    size_t n, cap;
};

static bool
top_less(const struct top_gap *a, const struct top_gap *b)
{
    if (a->impact_milli != b->impact_milli)
        return a->impact_milli < b->impact_milli;
    if (a->seq != b->seq)
        return a->seq > b->seq;
    return a->hcc > b->hcc;
}

static void
top_sift_down(struct top_heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && top_less(&h->v[l], &h->v[m]))
            m = l;
        if (r < h->n && top_less(&h->v[r], &h->v[m]))
            m = r;
        if (m == i)
            return;
        struct top_gap t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
}

static void
top_push(struct top_heap *h, const struct top_gap *g)
{
    if (h->n < h->cap) {
        size_t i = h->n++;
        h->v[i] = *g;
        while (i > 0 && top_less(&h->v[i], &h->v[(i - 1) / 2])) {
            struct top_gap t = h->v[i];
            h->v[i] = h->v[(i - 1) / 2];
            h->v[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (h->cap > 0 && top_less(&h->v[0], g)) {
        h->v[0] = *g;
        top_sift_down(h, 0);
    }
}

static int
cmp_top_desc(const void *a, const void *b)
{
    const struct top_gap *x = a, *y = b;
    return top_less(x, y) ? 1 : top_less(y, x) ? -1 : 0;
}

/* Write the heap, best first: rank,member_id,model,hcc,kind,raf_impact,evidence_dx. */
static bool
top_write(struct top_heap *h, FILE *f)
{
    qsort(h->v, h->n, sizeof *h->v, cmp_top_desc);
    struct rcm_buf b = RCM_BUF_INIT(OUT_BUF_MAX);
    bool ok = true;
    for (size_t i = 0; i < h->n && ok; i++) {
        const struct top_gap *g = &h->v[i];
        char code[8];
        rcm_risk_dx_unpack(g->evidence_dx, code);
        rcm_buf_reset(&b);
        ok = add_uint(&b, i + 1) == RCM_OK && rcm_buf_addch(&b, ',') == RCM_OK &&
             add_csv_field(&b, g->id) == RCM_OK &&
             rcm_buf_addf(&b, ",%s,HCC%d,%s,", rcm_risk_model_name(g->model), g->hcc,
                          g->kind == RCM_RISK_GAP_RECAPTURE ? "recapture" : "suspect") == RCM_OK &&
             add_milli(&b, g->impact_milli) == RCM_OK &&
             rcm_buf_addf(&b, ",%s\n", code) == RCM_OK && write_all(f, &b);
    }
    rcm_buf_release(&b);
    return ok;
}

/* One batch and the workers that score it (two slots alternate). */
struct slot {
    struct batch bt;
    struct worker workers[MAX_THREADS];
    long nt;                /* workers running on this batch */
};

struct fill_state {
    struct rcm_risk_reader *reader;
    struct rcm_risk_record rec;
    bool held;              /* rec read but not yet added (the batch was full) */
    bool eof;
};

/* Read the next batch into bt (bt->n == 0 at the end). Prints and returns
 * false on a fatal input error. */
static bool
fill(struct fill_state *fs, struct batch *bt)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    bt->n = bt->ids_len = bt->codes_len = 0;
    if (fs->held) {
        if (!batch_add(bt, &fs->rec)) {
            cli_error(CMD, "out of memory");
            return false;
        }
        fs->held = false;
    }
    while (!fs->eof) {
        if (rcm_risk_reader_next(fs->reader, &fs->rec, &fs->eof, &diag) != RCM_OK) {
            cli_error(CMD, "%s", diag.msg);
            return false;
        }
        if (fs->eof)
            break;
        if (!batch_add(bt, &fs->rec)) {
            if (bt->n == 0) {
                cli_error(CMD, "out of memory");
                return false;
            }
            fs->held = true;
            break;
        }
    }
    return true;
}

/* Start scoring a slot: `threads` workers, or inline when threads is 1. */
static bool
slot_start(struct slot *sl, long threads)
{
    long nt = threads;
    if ((size_t)nt > sl->bt.n)
        nt = (long)sl->bt.n;
    size_t per = (sl->bt.n + (size_t)nt - 1) / (size_t)nt;
    sl->nt = 0;
    for (long t = 0; t < nt; t++) {
        struct worker *w = &sl->workers[t];
        rcm_buf_reset(&w->out);
        rcm_buf_reset(&w->gaps);
        w->n_entries = 0;
        w->batch = &sl->bt;
        w->from = (size_t)t * per;
        w->to = w->from + per > sl->bt.n ? sl->bt.n : w->from + per;
        w->err = RCM_OK;
        if (threads == 1) {
            work(w);
        } else if (pthread_create(&w->thread, NULL, work, w) != 0) {
            cli_error(CMD, "cannot start a thread");
            for (long k = 0; k < sl->nt; k++)
                pthread_join(sl->workers[k].thread, NULL);
            sl->nt = 0;
            return false;
        }
        sl->nt = t + 1;
    }
    if (threads == 1)
        sl->nt = -sl->nt;   /* ran inline: nothing to join */
    return true;
}

/* Wait for a slot's workers and write their output in order (gaps into
 * the top-N heap when there is one). `seq0` is the input position of the
 * batch's first member. */
static bool
slot_finish(struct slot *sl, FILE *of, FILE *gf, struct top_heap *top, uint64_t seq0)
{
    long nt = sl->nt < 0 ? -sl->nt : sl->nt;
    if (sl->nt > 0)
        for (long t = 0; t < nt; t++)
            pthread_join(sl->workers[t].thread, NULL);
    for (long t = 0; t < nt; t++) {
        struct worker *w = &sl->workers[t];
        if (w->err == RCM_E_INVAL) {
            cli_error(CMD, "a member could not be scored (internal check failed)");
            return false;
        }
        if (w->err) {
            cli_error(CMD, "cannot format output: %s", rcm_err_str(w->err));
            return false;
        }
    }
    for (long t = 0; t < nt; t++) {
        struct worker *w = &sl->workers[t];
        if (!write_all(of, &w->out) || (gf && !write_all(gf, &w->gaps))) {
            cli_error(CMD, "cannot write output: %s", strerror(errno));
            return false;
        }
        for (size_t k = 0; top && k < w->n_entries; k++) {
            const struct gap_entry *e = &w->entries[k];
            struct top_gap g = {e->gap.impact_milli, seq0 + e->rec, e->model, e->gap.hcc,
                                e->gap.kind, e->gap.evidence_dx, {0}};
            snprintf(g.id, sizeof g.id, "%s", sl->bt.ids + sl->bt.recs[e->rec].id_off);
            top_push(top, &g);
        }
        w->n_entries = 0;
    }
    return true;
}

int
cli_raf(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load(CMD, &cfg, &argc, argv))
        return CLI_USAGE;
    struct raf_opts opts = {.model = RCM_RISK_V28, .payment_year = 0};
    const char *members_path = NULL, *dx_path = NULL, *out_path = NULL;
    bool have_model = false;
    long threads = 1;
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--json") == 0) {
            opts.json = true;
            continue;
        }
        if (!has_val) {
            cli_error(CMD, "unknown option or missing value: '%s' (see --help)", a);
            goto out_cfg;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--model") == 0) {
            if (strcmp(v, "blend") == 0 || strcmp(v, "BLEND") == 0) {
                opts.blend = true;
            } else if (!rcm_risk_model_parse(rcm_str_c(v), &opts.model)) {
                cli_error(CMD, "--model must be V24, V28 or blend");
                goto out_cfg;
            }
            have_model = true;
        } else if (strcmp(a, "--payment-year") == 0) {
            int64_t y;
            if (rcm_str_to_i64(rcm_str_c(v), &y) != RCM_OK || y < 1990 || y > 2100) {
                cli_error(CMD, "--payment-year must be a year such as 2026");
                goto out_cfg;
            }
            opts.payment_year = (int)y;
        } else if (strcmp(a, "--members") == 0) {
            members_path = v;
        } else if (strcmp(a, "--diagnoses") == 0) {
            dx_path = v;
        } else if (strcmp(a, "--out") == 0) {
            out_path = v;
        } else if (strcmp(a, "--gaps") == 0) {
            opts.gaps_path = v;
        } else if (strcmp(a, "--gaps-top") == 0) {
            int64_t n;
            if (rcm_str_to_i64(rcm_str_c(v), &n) != RCM_OK || n < 1 || n > MAX_GAPS_TOP) {
                cli_error(CMD, "--gaps-top must be 1..%d", MAX_GAPS_TOP);
                goto out_cfg;
            }
            opts.gaps_top = (size_t)n;
        } else if (strcmp(a, "--threads") == 0) {
            int64_t t;
            if (rcm_str_to_i64(rcm_str_c(v), &t) != RCM_OK || t < 0 || t > MAX_THREADS) {
                cli_error(CMD, "--threads must be 0..%d", MAX_THREADS);
                goto out_cfg;
            }
            threads = (long)t;
        } else {
            cli_error(CMD, "unknown option '%s' (see --help)", a);
            goto out_cfg;
        }
    }
    if (opts.gaps_top && !opts.gaps_path) {
        cli_error(CMD, "--gaps-top needs --gaps FILE");
        goto out_cfg;
    }
    if (!have_model || opts.payment_year == 0) {
        cli_error(CMD, "--model and --payment-year are required (see --help)");
        goto out_cfg;
    }
    if (threads == 0) {
        threads = sysconf(_SC_NPROCESSORS_ONLN);
        if (threads < 1)
            threads = 1;
        if (threads > MAX_THREADS)
            threads = MAX_THREADS;
    }

    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_risk_tables *tables = NULL;
    if (rcm_risk_tables_load(RCM_CFG_STR(&cfg, reference_dir), &tables, &diag) != RCM_OK) {
        cli_error(CMD, "cannot load CMS-HCC tables: %s", diag.msg);
        goto out_cfg;
    }
    const struct rcm_risk_model *models[RCM_RISK_MODEL_COUNT];
    int n_models = 0;
    for (int k = 0; k < RCM_RISK_MODEL_COUNT; k++) {
        enum rcm_risk_model_id id = (enum rcm_risk_model_id)k;
        if (!opts.blend && id != opts.model)
            continue;
        models[n_models] = rcm_risk_model_get(tables, id, opts.payment_year);
        if (!models[n_models]) {
            cli_error(CMD, "no %s tables for payment year %d in %s/cms-hcc",
                      rcm_risk_model_name(id), opts.payment_year,
                      RCM_CFG_STR(&cfg, reference_dir));
            goto out_tables;
        }
        n_models++;
    }

    FILE *mf = stdin, *df = NULL, *of = stdout, *gf = NULL;
    if (members_path && strcmp(members_path, "-") != 0 && !(mf = fopen(members_path, "r"))) {
        cli_error(CMD, "cannot open %s: %s", members_path, strerror(errno));
        mf = NULL;
        goto out_files;
    }
    if (dx_path && !(df = fopen(dx_path, "r"))) {
        cli_error(CMD, "cannot open %s: %s", dx_path, strerror(errno));
        goto out_files;
    }
    if (out_path && !(of = fopen(out_path, "w"))) {
        cli_error(CMD, "cannot create %s: %s", out_path, strerror(errno));
        of = NULL;
        goto out_files;
    }
    if (opts.gaps_path && !(gf = fopen(opts.gaps_path, "w"))) {
        cli_error(CMD, "cannot create %s: %s", opts.gaps_path, strerror(errno));
        goto out_files;
    }

    struct rcm_risk_reader *reader = NULL;
    if (rcm_risk_reader_open(mf, df, opts.payment_year, problem_cb, NULL, &reader, &diag) !=
        RCM_OK) {
        cli_error(CMD, "%s", diag.msg);
        goto out_files;
    }

    struct progress prog = {.on = isatty(STDERR_FILENO) != 0};
    struct stat st;
    if (prog.on && fstat(fileno(mf), &st) == 0 && S_ISREG(st.st_mode))
        prog.total_bytes = (uint64_t)st.st_size;
    prog.start_ms = rcm_time_mono_ms();
    prog.last_ms = prog.start_ms - 1000;   /* draw at the first batch */

    struct top_heap top = {NULL, 0, opts.gaps_top};
    struct slot *slots = rcm_calloc(2, sizeof *slots);
    if (!slots) {
        cli_error(CMD, "out of memory");
        goto out_reader;
    }
    for (int k = 0; k < 2; k++) {
        for (long t = 0; t < threads; t++) {
            rcm_buf_init(&slots[k].workers[t].out, OUT_BUF_MAX);
            rcm_buf_init(&slots[k].workers[t].gaps, OUT_BUF_MAX);
            slots[k].workers[t].opts = &opts;
            slots[k].workers[t].tables = tables;
            memcpy(slots[k].workers[t].models, models, sizeof models);
            slots[k].workers[t].n_models = n_models;
        }
        slots[k].bt.recs = rcm_malloc(BATCH_MEMBERS * sizeof *slots[k].bt.recs);
        if (!slots[k].bt.recs) {
            cli_error(CMD, "out of memory");
            goto out_batch;
        }
    }
    const char *header = opts.blend ? "member_id,payment_year,v24_raf,v24_hccs,v24_payment,"
                                      "v28_raf,v28_hccs,v28_payment,blended_payment\n"
                                    : "member_id,model,raf,hccs,payment_year,segment,age,"
                                      "normalized,payment,blend_weight\n";
    if (!opts.json && fputs(header, of) < 0) {
        cli_error(CMD, "cannot write output: %s", strerror(errno));
        goto out_batch;
    }
    if (gf && fputs(opts.gaps_top ? "rank,member_id,model,hcc,kind,raf_impact,evidence_dx\n"
                                  : "member_id,model,rank,hcc,kind,raf_impact,evidence_dx\n",
                    gf) < 0) {
        cli_error(CMD, "cannot write %s: %s", opts.gaps_path, strerror(errno));
        goto out_batch;
    }

    /*
     * Pipeline: while the workers score batch `cur`, this thread parses the
     * next one into the other slot; then it writes `cur` in input order.
     * With one thread everything runs here, one batch after the other.
     */
    struct fill_state fs = {.reader = reader};
    if (opts.gaps_top && !(top.v = rcm_calloc(opts.gaps_top, sizeof *top.v))) {
        cli_error(CMD, "out of memory for --gaps-top %zu", opts.gaps_top);
        goto out_batch;
    }
    uint64_t scored = 0;
    int cur = 0;
    if (!fill(&fs, &slots[cur].bt))
        goto out_batch;
    while (slots[cur].bt.n > 0) {
        if (!slot_start(&slots[cur], threads))
            goto out_batch;
        bool filled = fill(&fs, &slots[cur ^ 1].bt);
        bool written = slot_finish(&slots[cur], of, gf, top.v ? &top : NULL, scored);
        if (!filled || !written)
            goto out_batch;
        scored += slots[cur].bt.n;
        progress_show(&prog, scored, rcm_risk_reader_offset(reader), false);
        cur ^= 1;
    }
    progress_show(&prog, scored, 0, true);
    if (top.v && !top_write(&top, gf)) {
        cli_error(CMD, "cannot write %s: %s", opts.gaps_path, strerror(errno));
        goto out_batch;
    }
    if (fflush(of) != 0 || (gf && fflush(gf) != 0)) {
        cli_error(CMD, "cannot write output: %s", strerror(errno));
        goto out_batch;
    }
    rc = rcm_risk_reader_problems(reader) ? CLI_PROBLEMS : CLI_OK;
    if (rc == CLI_PROBLEMS)
        cli_error(CMD, "%llu members scored; %llu input problems reported",
                  (unsigned long long)scored,
                  (unsigned long long)rcm_risk_reader_problems(reader));
out_batch:
    rcm_free(top.v);
    for (int k = 0; k < 2; k++) {
        for (long t = 0; t < threads; t++) {
            rcm_buf_release(&slots[k].workers[t].out);
            rcm_buf_release(&slots[k].workers[t].gaps);
            rcm_free(slots[k].workers[t].entries);
        }
        rcm_free(slots[k].bt.recs);
        rcm_free(slots[k].bt.ids);
        rcm_free(slots[k].bt.codes);
    }
    rcm_free(slots);
out_reader:
    rcm_risk_reader_free(reader);
out_files:
    if (mf && mf != stdin)
        fclose(mf);
    if (df)
        fclose(df);
    if (gf && fclose(gf) != 0 && rc != CLI_USAGE) {
        cli_error(CMD, "cannot write %s: %s", opts.gaps_path, strerror(errno));
        rc = CLI_USAGE;
    }
    if (of && of != stdout && fclose(of) != 0 && rc != CLI_USAGE) {
        cli_error(CMD, "cannot write %s: %s", out_path, strerror(errno));
        rc = CLI_USAGE;
    }
out_tables:
    rcm_risk_tables_free(tables);
out_cfg:
    rcm_config_release(&cfg);
    return rc;
}
