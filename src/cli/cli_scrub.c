/*
 * cli_scrub.c — `openrcm scrub FILE [--json] [--payer-rules DIR]`: run the
 * claim edits over the claims in FILE and print the findings.
 *
 * Input is chosen by content through a small table of claim readers
 * (rcm_claim_reader_fn): the documented claim JSON today; an X12 837 reader
 * plugs into the same table once the X12 engine provides an 837 → claim
 * mapper. Until then an 837 file is refused with a clear message.
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

#define SCRUB_INPUT_MAX_BYTES (64u << 20)

struct claim_reader {
    const char *name;
    bool (*sniff)(const char *data, size_t len);
    rcm_claim_reader_fn read;   /* NULL: format known but not available */
};

static bool
sniff_x12(const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    return len - i >= 3 && memcmp(data + i, "ISA", 3) == 0;
}

static bool
sniff_json(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')
            continue;
        return data[i] == '{' || data[i] == '[';
    }
    return false;
}

static const struct claim_reader readers[] = {
    {"claim JSON", sniff_json, rcm_claim_json_read},
    {"X12 837", sniff_x12, NULL},
};

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm scrub FILE [--json] [--payer-rules DIR] [--ncci DIR]\n"
            "                          [--today YYYY-MM-DD] [--index FILE]\n"
            "       openrcm scrub --list-edits [--json | --markdown]\n"
            "\n"
            "Checks each claim in FILE (claim JSON: one claim object or an array, see\n"
            "docs/scrub.md; '-' reads stdin) against the edits in docs/edits.md.\n"
            "X12 837 input needs the X12 engine's 837 reader, not in this build yet.\n"
            "\n"
            "  --payer-rules DIR  payer rule files (default <reference_dir>/payer-rules)\n"
            "  --ncci DIR         CMS NCCI PTP/MUE/AOC files (default <reference_dir>/ncci\n"
            "                     when it exists; NCCI edits are skipped without them)\n"
            "  --today D          scrub as of date D (default today, UTC)\n"
            "exit: 0 no error-level finding, 1 at least one, 2 usage or I/O error\n");
}

static bool
read_input(const char *path, struct rcm_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("scrub", "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    char chunk[65536];
    size_t got;
    enum rcm_err err = RCM_OK;
    while (!err && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = rcm_buf_add(out, chunk, got);
    bool ok = !err && !ferror(f);
    if (f != stdin)
        fclose(f);
    if (!ok)
        cli_error("scrub", "cannot read %s: %s", path,
                  err ? rcm_err_str(err) : "read error");
    return ok;
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

    struct rcm_buf input = RCM_BUF_INIT(SCRUB_INPUT_MAX_BYTES);
    struct rcm_codes *codes = NULL;
    struct rcm_ncci *ncci = NULL;
    struct rcm_payer_rules *rules = NULL;
    struct rcm_scrub_history *hist = NULL;
    struct rcm_arena arena;
    struct rcm_diag diag = RCM_DIAG_INIT;
    rcm_arena_init(&arena, 1u << 30, RCM_ARENA_WIPE);
    if (!read_input(file, &input))
        goto out;
    const struct claim_reader *reader = NULL;
    for (size_t i = 0; i < sizeof readers / sizeof readers[0] && !reader; i++)
        if (readers[i].sniff(input.data ? input.data : "", input.len))
            reader = &readers[i];
    if (!reader) {
        cli_error("scrub", "%s is neither claim JSON nor an X12 interchange", file);
        goto out;
    }
    if (!reader->read) {
        cli_error("scrub", "%s is an %s file: reading 837 claims needs the X12 engine's "
                           "837 reader, which is not in this build yet; convert the "
                           "claims to claim JSON (docs/scrub.md)", file, reader->name);
        goto out;
    }
    struct rcm_claim *claims = NULL;
    size_t n = 0;
    enum rcm_err err = reader->read(input.data, input.len, &arena, &claims, &n, &diag);
    if (err) {
        cli_error("scrub", "%s: %s", file, diag.msg[0] ? diag.msg : rcm_err_str(err));
        goto out;
    }
    if (!index)
        index = RCM_CFG_STR(&cfg, codes_index);     /* setting codes.index */
    if (!cli_codes_open("scrub", index, &codes))
        goto out;
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
    if (rcm_scrub_history_new(n + 16, &hist) != RCM_OK) {
        cli_error("scrub", "out of memory");
        goto out;
    }
    if (!ncci)
        fprintf(stderr, "openrcm scrub: no NCCI files configured: MUE, PTP and add-on "
                        "edits skipped\n");
    struct rcm_scrub_ref ref = {codes, ncci, rules};
    struct rcm_scrub_result res;
    rcm_scrub_result_init(&res, 256);
    json_t *all = json ? json_array() : NULL;
    size_t errors = 0, warnings = 0;
    rc = CLI_OK;
    for (size_t i = 0; i < n; i++) {
        rcm_scrub_result_reset(&res);
        if (rcm_scrub_claim(&ref, &claims[i], today, hist, &res) != RCM_OK) {
            cli_error("scrub", "out of memory");
            rc = CLI_USAGE;
            break;
        }
        errors += res.n_errors;
        warnings += res.n_warnings;
        const char *id = claims[i].id ? claims[i].id : "";
        if (json) {
            json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:i, s:b, s:o}", "index", (int)i,
                                  "claim_id", id, "payer_rule", res.payer_rule, "errors",
                                  (int)res.n_errors, "warnings", (int)res.n_warnings,
                                  "truncated", res.truncated, "findings",
                                  rcm_scrub_result_json(&res));
            json_t *vers = json_object();
            for (unsigned s = 0; s < RCM_CODESET_COUNT; s++)
                if (*res.versions[s])
                    json_object_set_new(vers, rcm_codes_set_name((enum rcm_code_set)s),
                                        json_string(res.versions[s]));
            json_object_set_new(o, "code_set_versions", vers);
            json_array_append_new(all, o);
        } else {
            printf("claim %zu%s%s: %zu error(s), %zu warning(s)%s%s\n", i + 1,
                   *id ? " " : "", id, res.n_errors, res.n_warnings,
                   *res.payer_rule ? ", payer rule " : "", res.payer_rule);
            for (size_t k = 0; k < res.n; k++) {
                const struct rcm_scrub_finding *f = &res.findings[k];
                const struct rcm_scrub_edit_info *e = rcm_scrub_edit_info(f->edit);
                printf("  %-7s %-24s %-28s %s\n          fix: %s\n",
                       rcm_scrub_severity_name(f->severity), e->id, f->field, f->message,
                       e->hint);
            }
        }
    }
    if (json) {
        char *s = json_dumps(all, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
        json_decref(all);
    } else {
        printf("%zu claim(s): %zu error(s), %zu warning(s)\n", n, errors, warnings);
    }
    rcm_scrub_result_release(&res);
    if (rc == CLI_OK && errors)
        rc = CLI_PROBLEMS;
out:
    rcm_scrub_history_free(hist);
    rcm_codes_ncci_free(ncci);
    rcm_payer_rules_free(rules);
    rcm_codes_close(codes);
    rcm_arena_release(&arena);
    rcm_buf_release(&input);
out_cfg:
    rcm_config_release(&cfg);
    return rc;
}
