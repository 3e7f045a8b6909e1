/*
 * cli_codes.c — `openrcm codes lookup|search|build`: the code-set index from
 * the command line (code pickers and checks in scripts).
 *
 * Also the shared helpers that find and open the index and the NCCI tables
 * for `openrcm scrub` (cli_refdata.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli_int.h"
#include "cli/cli_refdata.h"
#include "rcm/codes.h"
#include "rcm/date.h"

#ifndef RCM_CODES_INDEX_DEFAULT
#define RCM_CODES_INDEX_DEFAULT "openrcm-codes.idx"
#endif

const char *
cli_codes_index_path(const char *flag)
{
    return flag && flag[0] ? flag : RCM_CODES_INDEX_DEFAULT;
}

bool
cli_codes_open(const char *cmd, const char *flag, struct rcm_codes **out)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *path = cli_codes_index_path(flag);
    enum rcm_err err = rcm_codes_open(path, out, &diag);
    if (err) {
        cli_error(cmd, "%s", diag.msg[0] ? diag.msg : rcm_err_str(err));
        if (err == RCM_E_IO)
            cli_error(cmd, "build the index with 'openrcm codes build --out %s' "
                           "or pass --index FILE", path);
        return false;
    }
    return true;
}

bool
cli_parse_date(const char *cmd, const char *text, int32_t *out)
{
    if (rcm_date_parse_iso(rcm_str_c(text), out) != RCM_OK) {
        cli_error(cmd, "bad date '%s' (want YYYY-MM-DD)", text);
        return false;
    }
    return true;
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: openrcm codes lookup CODE [--date YYYY-MM-DD] [--codeset SET] [--json]\n"
            "       openrcm codes search TEXT... [--codeset SET] [--date D] [--limit N] [--json]\n"
            "       openrcm codes build [--out FILE]\n"
            "\n"
            "  lookup  is CODE valid on the date (default today), billable, and its title;\n"
            "          without --codeset every set that knows the code is shown\n"
            "  search  ranked search by code prefix and words (default set icd10cm)\n"
            "  build   compile <reference_dir>/codesets into an index\n"
            "\n"
            "options: --index FILE (default: setting codes.index, else the build's index),\n"
            "         --config FILE, --set NAME=VALUE\n"
            "sets: icd10cm hcpcs modifier pos carc rarc adj_group taxonomy\n"
            "exit: 0 found/valid, 1 not found or not valid, 2 usage or I/O error\n");
}

static const char *
status_name(enum rcm_code_status s)
{
    switch (s) {
    case RCM_CODE_VALID: return "valid";
    case RCM_CODE_UNKNOWN: return "unknown";
    case RCM_CODE_NOT_IN_FORCE: return "not_in_force";
    case RCM_CODE_NO_VERSION: return "no_version_loaded";
    }
    return "unknown";
}

static json_t *
flags_json(uint32_t flags)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {RCM_CODE_MCE_NEWBORN, "mce_newborn"},
        {RCM_CODE_MCE_PEDIATRIC, "mce_pediatric"},
        {RCM_CODE_MCE_MATERNITY, "mce_maternity"},
        {RCM_CODE_MCE_ADULT, "mce_adult"},
        {RCM_CODE_MCE_MALE, "mce_male_only"},
        {RCM_CODE_MCE_FEMALE, "mce_female_only"},
        {RCM_CODE_MCE_MANIFESTATION, "mce_manifestation"},
        {RCM_CODE_MCE_UNACCEPTABLE_PDX, "mce_unacceptable_principal"},
        {RCM_CODE_POA_EXEMPT, "poa_exempt"},
        {RCM_CODE_POS_FACILITY, "facility"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flags & names[i].bit)
            json_array_append_new(a, json_string(names[i].name));
    return a;
}

static json_t *
info_json(enum rcm_code_set set, const char *code, const struct rcm_code_info *in)
{
    char disp[16], from[RCM_DATE_ISO_LEN + 1], to[RCM_DATE_ISO_LEN + 1];
    if (set == RCM_CODESET_ICD10CM)
        rcm_codes_icd_display(code, strlen(code), disp);
    else
        snprintf(disp, sizeof disp, "%s", code);
    json_t *o = json_object();
    json_object_set_new(o, "set", json_string(rcm_codes_set_name(set)));
    json_object_set_new(o, "code", json_string(disp));
    json_object_set_new(o, "status", json_string(status_name(in->status)));
    json_object_set_new(o, "billable", json_boolean(in->flags & RCM_CODE_BILLABLE));
    json_object_set_new(o, "version", json_string(in->version));
    rcm_date_format_iso(in->from_days, from);
    json_object_set_new(o, "in_force_from", json_string(from));
    if (in->to_days == INT32_MAX) {
        json_object_set_new(o, "in_force_to", json_null());
    } else {
        rcm_date_format_iso(in->to_days, to);
        json_object_set_new(o, "in_force_to", json_string(to));
    }
    json_object_set_new(o, "short_title", json_string(in->short_title));
    json_object_set_new(o, "long_title", json_string(in->long_title));
    json_object_set_new(o, "flags", flags_json(in->flags));
    if (in->beyond_latest)
        json_object_set_new(o, "beyond_latest_version", json_true());
    return o;
}

static void
print_info(json_t *o)
{
    printf("%-9s %-9s %s%s  %s", json_string_value(json_object_get(o, "set")),
           json_string_value(json_object_get(o, "code")),
           json_string_value(json_object_get(o, "status")),
           json_is_true(json_object_get(o, "billable")) ? " billable" : " not-billable",
           json_string_value(json_object_get(o, "version")));
    json_t *to = json_object_get(o, "in_force_to");
    printf("  in force %s..%s\n", json_string_value(json_object_get(o, "in_force_from")),
           json_is_string(to) ? json_string_value(to) : "");
    printf("  %s\n", json_string_value(json_object_get(o, "long_title")));
    json_t *fl = json_object_get(o, "flags");
    if (json_array_size(fl)) {
        printf("  flags:");
        size_t i;
        json_t *v;
        json_array_foreach(fl, i, v) printf(" %s", json_string_value(v));
        printf("\n");
    }
    if (json_is_true(json_object_get(o, "beyond_latest_version")))
        printf("  note: date is after the latest loaded version; checked against it\n");
}

struct opts {
    const char *index;
    const char *set;
    const char *date;
    const char *out;
    long limit;
    bool json;
    int n_args;
    char *args[32];
};

static int
parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->limit = 10;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            o->json = true;
        else if (strcmp(a, "--index") == 0 && has)
            o->index = argv[++i];
        else if (strcmp(a, "--codeset") == 0 && has)
            o->set = argv[++i];
        else if (strcmp(a, "--date") == 0 && has)
            o->date = argv[++i];
        else if (strcmp(a, "--out") == 0 && has)
            o->out = argv[++i];
        else if (strcmp(a, "--limit") == 0 && has) {
            char *end;
            o->limit = strtol(argv[++i], &end, 10);
            if (*end || o->limit < 1 || o->limit > 1000) {
                cli_error(cmd, "--limit wants 1..1000");
                return CLI_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            cli_error(cmd, "unknown option '%s'", a);
            return CLI_USAGE;
        } else if (o->n_args < 32) {
            o->args[o->n_args++] = argv[i];
        } else {
            cli_error(cmd, "too many arguments");
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

static int
do_lookup(const struct opts *o)
{
    const char *cmd = "codes lookup";
    if (o->n_args != 1) {
        cli_error(cmd, "want exactly one CODE");
        return CLI_USAGE;
    }
    int32_t date = rcm_date_today_utc();
    if (o->date && !cli_parse_date(cmd, o->date, &date))
        return CLI_USAGE;
    enum rcm_code_set only = RCM_CODESET_COUNT;
    if (o->set && !rcm_codes_set_from_name(o->set, &only)) {
        cli_error(cmd, "unknown set '%s'", o->set);
        return CLI_USAGE;
    }
    struct rcm_codes *codes;
    if (!cli_codes_open(cmd, o->index, &codes))
        return CLI_USAGE;
    const char *code = o->args[0];
    json_t *all = json_array();
    bool valid = false;
    for (unsigned s = 0; s < RCM_CODESET_COUNT; s++) {
        if (only != RCM_CODESET_COUNT && s != (unsigned)only)
            continue;
        struct rcm_code_info info;
        enum rcm_code_status st = rcm_codes_lookup(codes, (enum rcm_code_set)s, code,
                                                   strlen(code), date, &info);
        if (st == RCM_CODE_UNKNOWN && only == RCM_CODESET_COUNT)
            continue;
        valid |= st == RCM_CODE_VALID;
        json_array_append_new(all, info_json((enum rcm_code_set)s, code, &info));
    }
    if (o->json) {
        char *s = json_dumps(all, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
    } else if (json_array_size(all) == 0) {
        printf("%s: not in any code set\n", code);
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(all, i, v) print_info(v);
    }
    json_decref(all);
    rcm_codes_close(codes);
    return valid ? CLI_OK : CLI_PROBLEMS;
}

static int
do_search(const struct opts *o)
{
    const char *cmd = "codes search";
    if (o->n_args < 1) {
        cli_error(cmd, "want search TEXT");
        return CLI_USAGE;
    }
    char query[512] = "";
    size_t ql = 0;
    for (int i = 0; i < o->n_args; i++) {
        int w = snprintf(query + ql, sizeof query - ql, "%s%s", i ? " " : "", o->args[i]);
        if (w < 0 || (size_t)w >= sizeof query - ql) {
            cli_error(cmd, "query too long");
            return CLI_USAGE;
        }
        ql += (size_t)w;
    }
    enum rcm_code_set set = RCM_CODESET_ICD10CM;
    if (o->set && !rcm_codes_set_from_name(o->set, &set)) {
        cli_error(cmd, "unknown set '%s'", o->set);
        return CLI_USAGE;
    }
    int32_t date = rcm_date_today_utc();
    if (o->date && !cli_parse_date(cmd, o->date, &date))
        return CLI_USAGE;
    struct rcm_codes *codes;
    if (!cli_codes_open(cmd, o->index, &codes))
        return CLI_USAGE;
    struct rcm_code_hit hits[1000];
    size_t n = 0;
    enum rcm_err err = rcm_codes_search(codes, set, query, date, hits,
                                        (size_t)o->limit, &n);
    int rc = CLI_OK;
    if (err) {
        cli_error(cmd, "search needs a code prefix or at least one word");
        rc = CLI_USAGE;
    } else if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:i}", "code", hits[i].code,
                                               "title", hits[i].title, "billable",
                                               (int)(hits[i].flags & RCM_CODE_BILLABLE),
                                               "score", hits[i].score));
        char *s = json_dumps(a, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
        json_decref(a);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-9s %s%s\n", hits[i].code, hits[i].title,
                   hits[i].flags & RCM_CODE_BILLABLE ? "" : "  [header, not billable]");
    }
    if (!err && n == 0)
        rc = CLI_PROBLEMS;
    rcm_codes_close(codes);
    return rc;
}

static int
do_build(const struct opts *o, const struct rcm_config *cfg)
{
    const char *out = o->out ? o->out : cli_codes_index_path(o->index);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_codes_build(RCM_CFG_STR(cfg, reference_dir), out, &diag);
    if (err) {
        cli_error("codes build", "%s", diag.msg[0] ? diag.msg : rcm_err_str(err));
        return CLI_USAGE;
    }
    printf("wrote %s\n", out);
    return CLI_OK;
}

int
cli_codes(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("codes", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct opts o;
    if (argc < 2) {
        usage(stderr);
        goto out;
    }
    if ((rc = parse_opts("codes", argc - 2, argv + 2, &o)) != CLI_OK)
        goto out;
    if (!o.index)
        o.index = RCM_CFG_STR(&cfg, codes_index);   /* setting codes.index */
    if (strcmp(argv[1], "lookup") == 0)
        rc = do_lookup(&o);
    else if (strcmp(argv[1], "search") == 0)
        rc = do_search(&o);
    else if (strcmp(argv[1], "build") == 0)
        rc = do_build(&o, &cfg);
    else {
        cli_error("codes", "unknown subcommand '%s'", argv[1]);
        usage(stderr);
        rc = CLI_USAGE;
    }
out:
    rcm_config_release(&cfg);
    return rc;
}
