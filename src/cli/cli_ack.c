/*
 * cli_ack.c — `openrcm ack FILE --tenant SLUG`: apply a received 999 or
 * 277CA to the tenant's batches and claims (rcm_store_ack_apply; the same
 * function POST /v1/acknowledgments calls). Exit 0 applied (or already
 * applied), 1 the file is malformed or names a batch or claim the tenant
 * never sent (nothing changed), 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/mem.h"
#include "rcm/store.h"

#define ACK_FILE_MAX (64u << 20)

/* The whole file (at most ACK_FILE_MAX bytes), NUL-terminated. */
static bool
read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("ack", "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    char *buf = rcm_malloc(ACK_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, ACK_FILE_MAX + 1, f) : 0;
    bool ok = buf && !ferror(f) && n <= ACK_FILE_MAX;
    fclose(f);
    if (!ok) {
        cli_error("ack", "%s: %s", path, buf ? "unreadable or larger than 64 MiB"
                                              : "out of memory");
        rcm_free(buf);
        return false;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return true;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: openrcm ack FILE --tenant SLUG [--config FILE]\n"
               "\n"
               "Apply a 999 (per transaction set: the batch's claims accepted or rejected,\n"
               "the batch's ack_state) or a 277CA (per claim: accepted or rejected, the\n"
               "payer claim number recorded) to the tenant's claims, in one transaction.\n"
               "The same file applied twice changes nothing. Exit 0 applied, 1 malformed\n"
               "or unknown batch/claim (nothing changed), 2 usage or I/O error.\n");
}

int
cli_ack(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("ack", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *file = NULL, *slug = NULL;
    char *data = NULL;
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc)
            slug = argv[++i];
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else
            file = NULL, i = argc;
    }
    if (!file || !slug) {
        usage(stderr);
        goto out;
    }
    if (!read_file(file, &data, &len))
        goto out;
    if (!(store = cli_store_open("ack", &cfg, false)))
        goto out;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("ack", "%s", diag.msg);
        goto out;
    }
    struct rcm_tenant t;
    if (rcm_store_tenant_find(store, slug, &t, &diag) != RCM_OK) {
        cli_error("ack", "no tenant \"%s\"", slug);
        rc = CLI_PROBLEMS;
        goto out;
    }
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = t.id;
    struct rcm_ack_summary s;
    enum rcm_err err = rcm_store_ack_apply(store, &actor, data, len, &s, &diag);
    if (err) {
        cli_error("ack", "%s", diag.msg);
        rc = err == RCM_E_INVAL || err == RCM_E_NOT_FOUND || err == RCM_E_TOO_LARGE
                 ? CLI_PROBLEMS
                 : CLI_USAGE;
        goto out;
    }
    printf("%s: %s; %d accepted, %d rejected; %d claims moved, %d unchanged\n", s.kind,
           s.changed ? "applied" : "already applied, nothing changed", s.sets_accepted,
           s.sets_rejected, s.claims_moved, s.claims_unchanged);
    for (int i = 0; i < s.n_batches; i++)
        printf("batch %lld: %s\n", (long long)s.batch_ids[i], s.batch_states[i]);
    rc = CLI_OK;
out:
    if (data) {
        rcm_free(data);
    }
    if (!cli_store_close("ack", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
