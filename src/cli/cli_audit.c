/*
 * cli_audit.c — `openrcm audit verify`, `openrcm audit anchor` and
 * `openrcm audit export`.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/store.h"
#include "rcm/str.h"

static void
help(void)
{
    printf("usage: openrcm audit verify [--anchor FILE | --no-anchor]\n"
           "                            [--config FILE] [--set NAME=VALUE]...\n"
           "       openrcm audit anchor [--config FILE] [--set NAME=VALUE]...\n"
           "       openrcm audit export --tenant SLUG|--all [--patient ID] [--user ID]\n"
           "                            [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n\n"
           "verify: walk the whole hash chain with the per-patient index, the keyed\n"
           "checkpoints and the keyed head, and check the chain against the newest\n"
           "anchor in audit.anchor_file (or FILE: an anchor file or a copy of the\n"
           "operational log). Exits 0 when intact; 1 when a record was modified,\n"
           "deleted, inserted or reordered, an index row or checkpoint is missing,\n"
           "an anchor was altered, the log ends before its anchor (truncated or\n"
           "rolled back), or there is no anchor for a non-empty log (completeness\n"
           "cannot be proven; --no-anchor skips that check and says so); 2 when\n"
           "the database, key or anchor file cannot be read.\n"
           "anchor: append the current head to audit.anchor_file now (after an\n"
           "upgrade, before the server has written one).\n"
           "export: audit records as JSON lines, oldest first, for compliance\n"
           "review (by tenant, patient, user and date range).\n");
}

/* Longest line of an anchor file or log considered; longer ones are not anchors. */
#define ANCHOR_LINE_MAX 65536

/*
 * One line of an anchor file or operational log: anchors are JSON objects
 * with "event":"audit.anchor" (possibly after a syslog prefix). Other lines
 * are skipped; an anchor-looking line that does not parse is reported as a
 * bad anchor (fail closed: an altered anchor must not just disappear).
 */
static void
feed_anchor_line(struct rcm_audit_verify *v, const char *line, int64_t lineno)
{
    if (!strstr(line, "\"audit.anchor\""))
        return;
    const char *brace = strchr(line, '{');
    json_t *o = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    json_t *ev = o ? json_object_get(o, "event") : NULL;
    if (o && (!json_is_string(ev) || strcmp(json_string_value(ev), "audit.anchor") != 0)) {
        json_decref(o);     /* another event that mentions anchors */
        return;
    }
    json_t *seq = o ? json_object_get(o, "seq") : NULL;
    const char *hash = o ? json_string_value(json_object_get(o, "hash")) : NULL;
    const char *mac = o ? json_string_value(json_object_get(o, "mac")) : NULL;
    uint8_t h[RCM_SHA256_BYTES], m[RCM_SHA256_BYTES];
    if (!json_is_integer(seq) || !hash || !mac || strlen(hash) != 64 || strlen(mac) != 64 ||
        rcm_hex_decode(hash, h, sizeof h) != RCM_OK ||
        rcm_hex_decode(mac, m, sizeof m) != RCM_OK) {
        fprintf(stderr, "openrcm audit: anchor on line %lld does not parse\n",
                (long long)lineno);
        memset(h, 0, sizeof h);
        memset(m, 0, sizeof m);
        rcm_audit_verify_anchor(v, json_is_integer(seq) ? json_integer_value(seq) : 0, h, m);
    } else {
        rcm_audit_verify_anchor(v, json_integer_value(seq), h, m);
    }
    json_decref(o);
}

/* Feed every anchor in `path`; *missing when it does not exist. False
 * after printing when it cannot be read. */
static bool
read_anchors(struct rcm_audit_verify *v, const char *path, bool *missing)
{
    *missing = false;
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT) {
            *missing = true;
            return true;
        }
        cli_error("audit", "cannot open anchor file %s: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n <= ANCHOR_LINE_MAX)
            feed_anchor_line(v, line, lineno);
    }
    bool ok = !ferror(f);
    if (!ok)
        cli_error("audit", "cannot read anchor file %s", path);
    free(line);
    fclose(f);
    return ok;
}

static int
verify(struct rcm_store *store, const char *anchor_path, bool no_anchor)
{
    struct rcm_audit_verify v;
    struct rcm_key key;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_system_key(store, RCM_SYSTEM_KEY_AUDIT, &key, &diag) != RCM_OK) {
        cli_error("audit", "%s", diag.msg);
        return CLI_USAGE;
    }
    rcm_audit_verify_init(&v, key.bytes);
    rcm_key_wipe(&key);
    int rc = CLI_USAGE;
    bool missing = true;
    if (!no_anchor && !read_anchors(&v, anchor_path, &missing))
        goto out;
    if (rcm_store_audit_verify(store, &v, &diag) != RCM_OK) {
        cli_error("audit", "%s", diag.msg);
        goto out;
    }
    rcm_audit_verify_finish(&v, !no_anchor);
    rc = CLI_PROBLEMS;
    if (v.problem == RCM_AUDIT_NO_ANCHOR) {
        printf("audit log NOT PROVEN COMPLETE: %s: no anchor in %s; %lld records verify, "
               "but removal of records from the end or of the whole log, or a rollback to "
               "an earlier copy, cannot be ruled out (see docs/security.md; --no-anchor "
               "verifies without it)\n",
               rcm_audit_problem_str(v.problem), anchor_path, (long long)v.records);
    } else if (v.problem == RCM_AUDIT_ANCHOR_TRUNCATED) {
        printf("audit log TAMPERED: %s at sequence %lld: the anchor in %s vouches for "
               "sequence %lld but the log ends at sequence %lld (%lld records verified)\n",
               rcm_audit_problem_str(v.problem), (long long)v.problem_seq, anchor_path,
               (long long)v.anchor_seq, (long long)v.last_seq, (long long)v.records);
    } else if (v.problem == RCM_AUDIT_BAD_ANCHOR) {
        printf("audit log TAMPERED: %s at sequence %lld in %s\n",
               rcm_audit_problem_str(v.problem), (long long)v.problem_seq, anchor_path);
    } else if (v.problem) {
        printf("audit log TAMPERED: %s at sequence %lld (%lld records verified before it)\n",
               rcm_audit_problem_str(v.problem), (long long)v.problem_seq,
               (long long)v.records);
    } else {
        printf("audit log intact: %lld records, head at sequence %lld", (long long)v.records,
               (long long)v.last_seq);
        if (no_anchor)
            printf("; NOT checked against an anchor (--no-anchor): removal of records from "
                   "the end or a rollback would go unnoticed\n");
        else if (v.has_anchor)
            printf("; matches its newest anchor at sequence %lld (%lld anchors in %s)\n",
                   (long long)v.anchor_seq, (long long)v.anchors, anchor_path);
        else
            printf("; empty log, no anchor yet\n");
        rc = CLI_OK;
    }
out:
    rcm_audit_verify_release(&v);
    return rc;
}

/* `openrcm audit anchor`: anchor the head now. */
static int
anchor_now(struct rcm_store *store, const char *path)
{
    struct rcm_diag diag = RCM_DIAG_INIT;
    bool written;
    if (rcm_store_audit_anchor(store, path, true, &written, &diag) != RCM_OK) {
        cli_error("audit", "cannot anchor the audit log: %s", diag.msg);
        return CLI_USAGE;
    }
    if (written)
        printf("audit head anchored to %s\n", path);
    else
        printf("audit log is empty: nothing to anchor\n");
    return CLI_OK;
}

struct page {
    int64_t last_seq;
    int count;
};

static int
print_record(void *ctx, const struct rcm_audit_event *ev)
{
    struct page *page = ctx;
    page->last_seq = ev->seq;
    page->count++;
    char ts[RCM_TIME_ISO_LEN + 1], hash[65];
    rcm_time_format_iso(ev->ts_ms, ts);
    rcm_hex_encode(ev->hash, sizeof ev->hash, hash);
    json_t *o = json_pack("{s:I,s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}",
                          "seq", (json_int_t)ev->seq, "time", ts,
                          "tenant_id", (json_int_t)ev->tenant_id,
                          "actor_type", ev->actor_type, "actor_id", (json_int_t)ev->actor_id,
                          "action", ev->action, "object_type", ev->object_type,
                          "object_id", ev->object_id, "patient_ids", ev->patient_ids,
                          "purpose", ev->purpose, "outcome", ev->outcome,
                          "source_ip", ev->source_ip, "request_id", ev->request_id,
                          "emergency", ev->emergency, "hash", hash);
    if (!o)
        return 1;
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!line)
        return 1;
    puts(line);
    free(line);
    return 0;
}

static bool
parse_day(const char *text, bool end_of_day, int64_t *ms)
{
    int32_t days;
    if (rcm_date_parse_iso(rcm_str_c(text), &days) != RCM_OK)
        return false;
    *ms = (int64_t)days * 86400000 + (end_of_day ? 86400000 - 1 : 0);
    return true;
}

static int
export(struct rcm_store *store, int argc, char **argv)
{
    struct rcm_audit_filter f = {.limit = 10000};
    const char *tenant = NULL;
    bool all = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--all") == 0) {
            all = true;
            continue;
        }
        if (i + 1 >= argc) {
            cli_error("audit", "%s needs a value or is unknown", a);
            return CLI_USAGE;
        }
        const char *v = argv[++i];
        int64_t n;
        if (strcmp(a, "--tenant") == 0) {
            tenant = v;
        } else if (strcmp(a, "--patient") == 0) {
            f.patient_id = v;
        } else if (strcmp(a, "--user") == 0 && rcm_str_to_i64(rcm_str_c(v), &n) == RCM_OK) {
            f.actor_id = n;
        } else if (strcmp(a, "--from") == 0 && parse_day(v, false, &f.from_ms)) {
        } else if (strcmp(a, "--to") == 0 && parse_day(v, true, &f.to_ms)) {
        } else {
            cli_error("audit", "bad option %s %s", a, v);
            return CLI_USAGE;
        }
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (all == (tenant != NULL)) {
        cli_error("audit", "export needs exactly one of --tenant SLUG or --all");
        return CLI_USAGE;
    }
    if (tenant) {
        struct rcm_tenant t;
        if (rcm_store_tenant_find(store, tenant, &t, &diag) != RCM_OK) {
            cli_error("audit", "%s", diag.msg);
            return CLI_USAGE;
        }
        f.tenant_id = t.id;
    } else {
        f.tenant_id = -1;
    }
    /* page through in sequence order */
    struct page page;
    do {
        page.count = 0;
        if (rcm_store_audit_query(store, &f, print_record, &page, &diag) != RCM_OK) {
            cli_error("audit", "%s", diag.msg);
            return CLI_USAGE;
        }
        f.after_seq = page.last_seq;
    } while (page.count == f.limit);
    return CLI_OK;
}

int
cli_audit(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("audit", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    char *anchor_path = NULL;
    if (argc < 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "export") != 0 &&
                     strcmp(argv[1], "anchor") != 0)) {
        cli_error("audit", "expected 'verify', 'anchor' or 'export' (see openrcm audit --help)");
        goto out;
    }
    if (rcm_config_validate(&cfg, &diag) != RCM_OK) {
        cli_error("audit", "invalid configuration: %s", diag.msg);
        goto out;
    }
    if (!(store = cli_store_open("audit", &cfg, false)))
        goto out;
    if (!(anchor_path = rcm_config_audit_anchor_path(&cfg))) {
        cli_error("audit", "out of memory");
        goto out;
    }
    if (strcmp(argv[1], "verify") == 0) {
        const char *file = anchor_path;
        bool no_anchor = false;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--no-anchor") == 0) {
                no_anchor = true;
            } else if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc) {
                file = argv[++i];
            } else {
                cli_error("audit", "unknown option '%s'", argv[i]);
                goto out;
            }
        }
        if (no_anchor && file != anchor_path) {
            cli_error("audit", "--anchor and --no-anchor exclude each other");
            goto out;
        }
        if (file != anchor_path && access(file, R_OK) != 0) {
            cli_error("audit", "cannot read anchor file %s: %s", file, strerror(errno));
            goto out;
        }
        rc = verify(store, file, no_anchor);
    } else if (strcmp(argv[1], "anchor") == 0) {
        if (argc > 2) {
            cli_error("audit", "unknown option '%s'", argv[2]);
            goto out;
        }
        rc = anchor_now(store, anchor_path);
    } else {
        rc = export(store, argc, argv);
    }
out:
    rcm_store_close(store);     /* reading the log never anchors it */
    rcm_free(anchor_path);
    rcm_config_release(&cfg);
    return rc;
}
