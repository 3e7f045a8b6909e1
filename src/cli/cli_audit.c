/*
 * cli_audit.c — `openrcm audit verify` and `openrcm audit export`.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/date.h"
#include "rcm/store.h"
#include "rcm/str.h"

static void
help(void)
{
    printf("usage: openrcm audit verify [--config FILE] [--set NAME=VALUE]...\n"
           "       openrcm audit export --tenant SLUG|--all [--patient ID] [--user ID]\n"
           "                            [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n\n"
           "verify: walk the whole hash chain, the keyed checkpoints and the keyed\n"
           "head. Exits 0 when intact; 1 when a record was modified, deleted,\n"
           "inserted or reordered, naming the first sequence number affected;\n"
           "2 when the database or key cannot be read.\n"
           "export: audit records as JSON lines, oldest first, for compliance\n"
           "review (by tenant, patient, user and date range).\n");
}

static int
verify(struct rcm_store *store)
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
    enum rcm_err err = rcm_store_audit_verify(store, &v, &diag);
    if (err) {
        cli_error("audit", "%s", diag.msg);
        return CLI_USAGE;
    }
    if (v.problem) {
        printf("audit log TAMPERED: %s at sequence %lld (%lld records verified before it)\n",
               rcm_audit_problem_str(v.problem), (long long)v.problem_seq,
               (long long)v.records);
        return CLI_PROBLEMS;
    }
    printf("audit log intact: %lld records, head at sequence %lld\n",
           (long long)v.records, (long long)v.last_seq);
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
    if (argc < 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "export") != 0)) {
        cli_error("audit", "expected 'verify' or 'export' (see openrcm audit --help)");
        goto out;
    }
    if (rcm_config_validate(&cfg, &diag) != RCM_OK) {
        cli_error("audit", "invalid configuration: %s", diag.msg);
        goto out;
    }
    if (!(store = cli_store_open("audit", &cfg, false)))
        goto out;
    if (strcmp(argv[1], "verify") == 0) {
        if (argc > 2) {
            cli_error("audit", "unknown option '%s'", argv[2]);
            goto out;
        }
        rc = verify(store);
    } else {
        rc = export(store, argc, argv);
    }
out:
    rcm_store_close(store);
    rcm_config_release(&cfg);
    return rc;
}
