/*
 * cli_scrub.c — `openrcm scrub FILE [--json] [--payer-rules DIR]`: run the
 * claim edits over the claims in FILE and print the findings.
 *
 * Input is chosen by content: a file that starts with ISA (after an optional
 * UTF-8 BOM and white space) is an X12 837P/837I interchange, streamed
 * through the X12 reader, validator and the 837 → claim mapper one claim at a
 * time (constant memory); one that starts with { or [ is claim JSON, read
 * whole through its rcm_claim_reader_fn. X12 problems are reported next to
 * the scrub findings (docs/scrub.md, "837 input").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli_int.h"
#include "cli/cli_refdata.h"
#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/scrub.h"
#include "rcm/x12.h"

#define SCRUB_INPUT_MAX_BYTES (64u << 20)

/* Skip a UTF-8 byte order mark and white space. */
static size_t
skip_lead(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    return i;
}

static bool
sniff_x12(const char *data, size_t len)
{
    size_t i = skip_lead(data, len);
    return len - i >= 3 && memcmp(data + i, "ISA", 3) == 0;
}

static bool
sniff_json(const char *data, size_t len)
{
    size_t i = skip_lead(data, len);
    return i < len && (data[i] == '{' || data[i] == '[');
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm scrub FILE [--json] [--payer-rules DIR] [--ncci DIR]\n"
            "                          [--today YYYY-MM-DD] [--index FILE]\n"
            "       openrcm scrub --list-edits [--json | --markdown]\n"
            "\n"
            "Checks each claim in FILE against the edits in docs/edits.md. FILE is an\n"
            "X12 837P/837I interchange (starts with ISA; streamed, one claim at a time)\n"
            "or claim JSON (one claim object or an array, see docs/scrub.md); '-' reads\n"
            "stdin. X12 syntax problems are reported with the findings.\n"
            "\n"
            "  --payer-rules DIR  payer rule files (default <reference_dir>/payer-rules)\n"
            "  --ncci DIR         CMS NCCI PTP/MUE/AOC files (default <reference_dir>/ncci\n"
            "                     when it exists; NCCI edits are skipped without them)\n"
            "  --today D          scrub as of date D (default today, UTC)\n"
            "exit: 0 no error-level finding, 1 at least one (or an X12 error),\n"
            "      2 usage or I/O error, or no readable 837 transaction set\n");
}

static void
read_fail(const char *path, FILE *f, enum rcm_err err)
{
    cli_error("scrub", "cannot read %s: %s", path,
              err ? rcm_err_str(err) : ferror(f) ? strerror(errno) : "read error");
}

/* Read the rest of `f` after the first chunk already in `out`. */
static bool
read_rest(const char *path, FILE *f, struct rcm_buf *out)
{
    char chunk[65536];
    size_t got;
    enum rcm_err err = RCM_OK;
    while (!err && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = rcm_buf_add(out, chunk, got);
    if (err || ferror(f)) {
        read_fail(path, f, err);
        return false;
    }
    return true;
}

static int
list_edits(bool json, bool markdown)
{
    if (markdown) {
        struct rcm_buf b = RCM_BUF_INIT(1u << 20);
        if (rcm_scrub_edits_markdown(&b) != RCM_OK) {
            rcm_buf_release(&b);
            return CLI_USAGE;
        }
        fputs(rcm_buf_cstr(&b), stdout);
        rcm_buf_release(&b);
        return CLI_OK;
    }
    if (json) {
        json_t *a = rcm_scrub_edits_json();
        char *s = a ? json_dumps(a, JSON_INDENT(2)) : NULL;
        json_decref(a);
        if (!s)
            return CLI_USAGE;
        puts(s);
        free(s);
        return CLI_OK;
    }
    for (unsigned i = 0; i < RCM_EDIT_COUNT; i++) {
        const struct rcm_scrub_edit_info *e = rcm_scrub_edit_info((enum rcm_scrub_edit)i);
        printf("%-26s %-7s %s\n", e->id, rcm_scrub_severity_name(e->severity), e->what);
    }
    return CLI_OK;
}

static bool
dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- output, shared by both inputs ------------------------------------ */

#define X12_FINDINGS_KEPT 100

struct scrub_run {
    struct rcm_scrub_ref ref;
    int32_t today;
    struct rcm_scrub_history *hist;
    struct rcm_scrub_result res;
    bool json, x12;
    size_t claims, errors, warnings;
    /* X12 */
    uint64_t x12_errors, x12_warnings;
    json_t *x12_findings;            /* the first X12_FINDINGS_KEPT (json mode) */
};

static enum rcm_err
scrub_one(struct scrub_run *r, const struct rcm_claim *claim,
          const struct rcm_claim_x12_info *info)
{
    struct rcm_scrub_result *res = &r->res;
    rcm_scrub_result_reset(res);
    enum rcm_err err = rcm_scrub_claim(&r->ref, claim, r->today, r->hist, res);
    if (err)
        return err;
    size_t i = r->claims++;
    r->errors += res->n_errors;
    r->warnings += res->n_warnings;
    const char *id = claim->id ? claim->id : "";
    if (r->json) {
        json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:b, s:o}", "index", (json_int_t)i,
                              "claim_id", id, "payer_rule", res->payer_rule, "errors",
                              (json_int_t)res->n_errors, "warnings",
                              (json_int_t)res->n_warnings, "truncated", res->truncated,
                              "findings", rcm_scrub_result_json(res));
        if (!o)
            return RCM_E_NOMEM;
        json_t *vers = json_object();
        for (unsigned s = 0; vers && s < RCM_CODESET_COUNT; s++)
            if (*res->versions[s])
                json_object_set_new(vers, rcm_codes_set_name((enum rcm_code_set)s),
                                    json_string(res->versions[s]));
        json_object_set_new(o, "code_set_versions", vers);
        if (info) {
            json_object_set_new(o, "x12_segment", json_integer((json_int_t)info->seg_index + 1));
            if (info->lines_dropped)
                json_object_set_new(o, "lines_dropped", json_integer(info->lines_dropped));
            if (info->dx_dropped)
                json_object_set_new(o, "diagnoses_dropped", json_integer(info->dx_dropped));
        }
        char *s = json_dumps(o, JSON_INDENT(2));
        json_decref(o);
        if (!s)
            return RCM_E_NOMEM;
        printf("%s%s", i ? ",\n" : "", s);
        free(s);
    } else {
        char where[48] = "";
        if (info)
            snprintf(where, sizeof where, " (segment %llu)",
                     (unsigned long long)info->seg_index + 1);
        printf("claim %zu%s%s%s: %zu error(s), %zu warning(s)%s%s\n", i + 1, *id ? " " : "",
               id, where, res->n_errors, res->n_warnings, *res->payer_rule ? ", payer rule " : "",
               res->payer_rule);
        if (info && info->lines_dropped)
            printf("  note: %u service line(s) beyond 999 ignored\n", info->lines_dropped);
        if (info && info->dx_dropped)
            printf("  note: %u diagnosis code(s) beyond 25 ignored\n", info->dx_dropped);
        for (size_t k = 0; k < res->n; k++) {
            const struct rcm_scrub_finding *f = &res->findings[k];
            const struct rcm_scrub_edit_info *e = rcm_scrub_edit_info(f->edit);
            printf("  %-7s %-24s %-28s %s\n          fix: %s\n",
                   rcm_scrub_severity_name(f->severity), e->id, f->field, f->message, e->hint);
        }
    }
    return RCM_OK;
}

/* ---- X12 837 input, streamed ------------------------------------------- */

static enum rcm_err
x12_claim(void *ctx, const struct rcm_claim *claim, const struct rcm_claim_x12_info *info)
{
    return scrub_one(ctx, claim, info);
}

struct x12_run {
    struct scrub_run *run;
    struct rcm_claim_x12 *mapper;
};

static void
x12_segment(void *ctx, const struct rcm_x12_seg *seg, const struct rcm_x12_loop_ctx *loops)
{
    struct x12_run *x = ctx;
    rcm_claim_x12_segment(x->mapper, seg, loops);
}

/* An X12 finding: codes and positions only (bad_value may hold PHI). */
static void
x12_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct scrub_run *r = ((struct x12_run *)ctx)->run;
    bool error = f->severity == RCM_X12_SEV_ERROR;
    uint64_t seen = r->x12_errors + r->x12_warnings;
    if (error)
        r->x12_errors++;
    else
        r->x12_warnings++;
    if (r->json) {
        if (seen >= X12_FINDINGS_KEPT || !r->x12_findings)
            return;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:i, s:i, s:s}", "severity",
                              rcm_x12_severity_name(f->severity), "level",
                              rcm_x12_level_name(f->level), "code", f->code, "segment",
                              f->seg_id, "segment_index", (json_int_t)f->seg_index + 1,
                              "offset", (json_int_t)f->offset_bytes, "loop", f->loop_id,
                              "element", f->element, "component", f->component, "message",
                              f->msg);
        if (o)
            json_array_append_new(r->x12_findings, o);
        return;
    }
    printf("x12 %-7s %-24s segment %s #%llu%s%s", rcm_x12_severity_name(f->severity), f->code,
           f->seg_id[0] ? f->seg_id : "-", (unsigned long long)f->seg_index + 1,
           f->loop_id[0] ? " loop " : "", f->loop_id);
    if (f->element)
        printf(" element %d", f->element);
    if (f->component)
        printf("-%d", f->component);
    printf(": %s\n", f->msg);
}

/*
 * Stream `f` (the first `got` bytes already in `chunk`) through the reader,
 * validator and mapper, scrubbing each claim as it completes.
 */
static int
scrub_x12(const char *path, FILE *f, char *chunk, size_t chunk_size, size_t got,
          struct scrub_run *run)
{
    struct x12_run x = {run, NULL};
    struct rcm_x12_reader rd;
    struct rcm_x12_validator *v = NULL;
    int rc = CLI_USAGE;
    rcm_x12_reader_init(&rd, 0);
    if (rcm_claim_x12_new(x12_claim, run, &x.mapper) != RCM_OK)
        goto oom;
    struct rcm_x12_validate_opts opts = {0};
    opts.on_segment = x12_segment;
    opts.on_finding = x12_finding;
    opts.ctx = &x;
    if (!(v = rcm_x12_validator_new(&opts)))
        goto oom;
    if (run->json) {
        run->x12_findings = json_array();
        printf("{\"claims\": [\n");
    }
    rcm_x12_reader_feed(&rd, chunk, got, got < chunk_size && !ferror(f));
    enum rcm_err err = RCM_OK;
    for (;;) {
        struct rcm_x12_seg seg;
        struct rcm_x12_read_error rerr;
        enum rcm_x12_event ev = rcm_x12_reader_next(&rd, &seg, &rerr);
        if (ev == RCM_X12_END)
            break;
        if (ev == RCM_X12_SEGMENT) {
            err = rcm_x12_validator_segment(v, &seg);
        } else if (ev == RCM_X12_ERROR) {
            err = rcm_x12_validator_read_error(v, &rerr);
        } else {
            got = fread(chunk, 1, chunk_size, f);
            if (ferror(f)) {
                read_fail(path, f, RCM_OK);
                goto out;
            }
            rcm_x12_reader_feed(&rd, chunk, got, got == 0);
        }
        if (err)
            break;
    }
    if (!err)
        err = rcm_x12_validator_finish(v);
    enum rcm_err merr = rcm_claim_x12_finish(x.mapper);
    if (!err)
        err = merr;
    if (err) {
        cli_error("scrub", "%s: %s", path, rcm_err_str(err));
        goto out;
    }
    uint64_t sets = rcm_claim_x12_sets(x.mapper);
    if (run->json) {
        char *s = json_dumps(run->x12_findings, JSON_INDENT(2));
        printf("%s], \"x12\": {\"transaction_sets_837\": %llu, \"errors\": %llu, "
               "\"warnings\": %llu, \"findings_shown\": %zu, \"findings\": %s}}\n",
               run->claims ? "\n" : "", (unsigned long long)sets,
               (unsigned long long)run->x12_errors, (unsigned long long)run->x12_warnings,
               json_array_size(run->x12_findings), s ? s : "[]");
        free(s);
    } else {
        printf("%zu claim(s): %zu error(s), %zu warning(s); x12: %llu 837 set(s), %llu "
               "error(s), %llu warning(s)\n",
               run->claims, run->errors, run->warnings, (unsigned long long)sets,
               (unsigned long long)run->x12_errors, (unsigned long long)run->x12_warnings);
    }
    if (sets == 0) {
        cli_error("scrub", "%s: no 837 transaction set could be read (%llu X12 error(s))", path,
                  (unsigned long long)run->x12_errors);
        goto out;
    }
    rc = run->errors || run->x12_errors ? CLI_PROBLEMS : CLI_OK;
    goto out;
oom:
    cli_error("scrub", "out of memory");
out:
    rcm_x12_validator_free(v);
    rcm_claim_x12_free(x.mapper);
    rcm_x12_reader_release(&rd);
    return rc;
}

/* ---- claim JSON input --------------------------------------------------- */

static int
scrub_json(const char *path, struct rcm_buf *input, struct scrub_run *run)
{
    struct rcm_arena arena;
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_claim *claims = NULL;
    size_t n = 0;
    int rc = CLI_USAGE;
    rcm_arena_init(&arena, 1u << 30, RCM_ARENA_WIPE);
    enum rcm_err err = rcm_claim_json_read(input->data, input->len, &arena, &claims, &n, &diag);
    if (err) {
        cli_error("scrub", "%s: %s", path, diag.msg[0] ? diag.msg : rcm_err_str(err));
        goto out;
    }
    if (run->json)
        printf("[\n");
    for (size_t i = 0; i < n; i++) {
        if (scrub_one(run, &claims[i], NULL) != RCM_OK) {
            cli_error("scrub", "out of memory");
            goto out;
        }
    }
    if (run->json)
        printf("%s]\n", n ? "\n" : "");
    else
        printf("%zu claim(s): %zu error(s), %zu warning(s)\n", n, run->errors, run->warnings);
    rc = run->errors ? CLI_PROBLEMS : CLI_OK;
out:
    rcm_arena_release(&arena);
    return rc;
}

int
cli_scrub(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("scrub", &cfg, &argc, argv))
        return CLI_USAGE;
    const char *file = NULL, *rules_dir = NULL, *ncci_dir = NULL, *index = NULL;
    const char *today_s = NULL;
    bool json = false, list = false, markdown = false;
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--markdown") == 0)
            markdown = true;
        else if (strcmp(a, "--list-edits") == 0)
            list = true;
        else if (strcmp(a, "--payer-rules") == 0 && has)
            rules_dir = argv[++i];
        else if (strcmp(a, "--ncci") == 0 && has)
            ncci_dir = argv[++i];
        else if (strcmp(a, "--index") == 0 && has)
            index = argv[++i];
        else if (strcmp(a, "--today") == 0 && has)
            today_s = argv[++i];
        else if ((a[0] != '-' || strcmp(a, "-") == 0) && !file)
            file = a;
        else {
            cli_error("scrub", "unexpected argument '%s'", a);
            usage(stderr);
            goto out_cfg;
        }
    }
    if (list) {
        rc = list_edits(json, markdown);
        goto out_cfg;
    }
    if (!file) {
        usage(stderr);
        goto out_cfg;
    }
    int32_t today = rcm_date_today_utc();
    if (today_s && !cli_parse_date("scrub", today_s, &today))
        goto out_cfg;

    static char chunk[1u << 16];
    struct rcm_buf input = RCM_BUF_INIT(SCRUB_INPUT_MAX_BYTES);
    struct rcm_codes *codes = NULL;
    struct rcm_ncci *ncci = NULL;
    struct rcm_payer_rules *rules = NULL;
    struct scrub_run run;
    memset(&run, 0, sizeof run);
    rcm_scrub_result_init(&run.res, 256);
    struct rcm_diag diag = RCM_DIAG_INIT;
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        cli_error("scrub", "cannot open %s: %s", file, strerror(errno));
        goto out;
    }
    /* the first chunk decides the format */
    size_t got = fread(chunk, 1, sizeof chunk, f);
    if (ferror(f)) {
        read_fail(file, f, RCM_OK);
        goto out;
    }
    bool x12 = sniff_x12(chunk, got);
    if (!x12 && !sniff_json(chunk, got)) {
        cli_error("scrub", "%s is neither claim JSON nor an X12 interchange", file);
        goto out;
    }
    if (!x12) {
        enum rcm_err aerr = rcm_buf_add(&input, chunk, got);
        if (aerr) {
            read_fail(file, f, aerr);
            goto out;
        }
        if (!read_rest(file, f, &input))
            goto out;
    }
    if (!index)
        index = RCM_CFG_STR(&cfg, codes_index);     /* setting codes.index */
    if (!cli_codes_open("scrub", index, &codes))
        goto out;
    enum rcm_err err;
    char path[4096];
    if (!rules_dir) {
        snprintf(path, sizeof path, "%s/payer-rules", RCM_CFG_STR(&cfg, reference_dir));
        if (dir_exists(path))
            rules_dir = path;
    }
    if (rules_dir && (err = rcm_payer_rules_load(rules_dir, &rules, &diag))) {
        cli_error("scrub", "payer rules: %s", diag.msg[0] ? diag.msg : rcm_err_str(err));
        goto out;
    }
    char npath[4096];
    if (!ncci_dir) {
        snprintf(npath, sizeof npath, "%s/ncci", RCM_CFG_STR(&cfg, reference_dir));
        if (dir_exists(npath))
            ncci_dir = npath;
    }
    struct rcm_ncci_stats st;
    if (ncci_dir && (err = rcm_codes_ncci_load(ncci_dir, 0, &ncci, &st, &diag))) {
        cli_error("scrub", "NCCI: %s", diag.msg[0] ? diag.msg : rcm_err_str(err));
        goto out;
    }
    /* duplicate-claim history: fingerprints of up to 1,048,576 claims */
    if (rcm_scrub_history_new(0, &run.hist) != RCM_OK) {
        cli_error("scrub", "out of memory");
        goto out;
    }
    if (!ncci)
        fprintf(stderr, "openrcm scrub: no NCCI files configured: MUE, PTP and add-on "
                        "edits skipped\n");
    run.ref = (struct rcm_scrub_ref){codes, ncci, rules};
    run.today = today;
    run.json = json;
    run.x12 = x12;
    rc = x12 ? scrub_x12(file, f, chunk, sizeof chunk, got, &run)
             : scrub_json(file, &input, &run);
out:
    if (f && f != stdin)
        fclose(f);
    json_decref(run.x12_findings);
    rcm_scrub_result_release(&run.res);
    rcm_scrub_history_free(run.hist);
    rcm_codes_ncci_free(ncci);
    rcm_payer_rules_free(rules);
    rcm_codes_close(codes);
    rcm_buf_release(&input);
out_cfg:
    rcm_config_release(&cfg);
    return rc;
}
