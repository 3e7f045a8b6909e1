/*
 * cli_batch.c — `openrcm batch`: send claims from the command line.
 *
 *   openrcm batch --tenant SLUG              every ready claim into 837
 *                                            batches, written to the outbox
 *   openrcm batch list --tenant SLUG         batches and their control numbers
 *   openrcm batch write ID --tenant SLUG     write a committed batch's file
 *                                            again (after a crash between
 *                                            commit and write, or a lost file)
 *
 * The same store calls as POST /v1/batches. Exit 0 done (also when nothing
 * was ready), 1 when a batch's file could not be written or no such batch,
 * 2 usage or configuration.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/billing.h"
#include "rcm/buf.h"
#include "rcm/crypto.h"
#include "rcm/file.h"
#include "rcm/store.h"
#include "rcm/str.h"

#define BATCHES_MAX 64
#define X12_MAX (64u << 20)

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: openrcm batch --tenant SLUG\n"
            "       openrcm batch list --tenant SLUG\n"
            "       openrcm batch write ID --tenant SLUG\n\n"
            "Put every ready claim of the tenant into 837 batches (one per trading partner\n"
            "and claim kind, ISA13/GS06 never reused per partner) and write each to the\n"
            "outbox (claims.outbox_dir, default <state_dir>/outbox). `list` shows the\n"
            "batches; `write` writes a batch's file again from the stored claims.\n");
}

static bool
write_one(struct rcm_store *store, const struct rcm_actor *actor, const struct cli_billing *b,
          const struct rcm_batch *batch)
{
    struct rcm_buf out = RCM_BUF_INIT(X12_MAX);
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_batch_render(store, actor, batch->id, &b->env.sender, &out,
                                              &diag);
    if (!err)
        err = rcm_file_write_atomic(b->outbox, batch->file_name, out.data, out.len, &diag);
    if (out.data)
        rcm_crypto_wipe(out.data, out.len);
    rcm_buf_release(&out);
    if (err)
        cli_error("batch", "batch %" PRId64 ": %s", batch->id, diag.msg);
    return err == RCM_OK;
}

static void
print_batch(const struct rcm_batch *b, const char *dir)
{
    printf("%-6" PRId64 " %-15s %-4s %9" PRId64 " %6d %12.2f  %s/%s\n", b->id, b->partner,
           b->kind, b->isa13, b->n_claims, (double)b->charge_cents / 100.0, dir, b->file_name);
}

static const char *HEADER = "batch  partner         kind     ISA13 claims       charge  file\n";

int
cli_batch(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("batch", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE, i = 1;
    struct rcm_store *store = NULL;
    struct cli_billing billing = {0};
    bool have_billing = false;
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *verb = i < argc && strcmp(argv[i], "--tenant") != 0 ? argv[i++] : "";
    int64_t id = 0;
    const char *slug = NULL;
    if (strcmp(verb, "write") == 0 &&
        (i >= argc || rcm_str_to_i64(rcm_str_c(argv[i++]), &id) != RCM_OK || id < 1)) {
        cli_error("batch", "expected a batch id");
        goto out;
    }
    if (i + 2 == argc && strcmp(argv[i], "--tenant") == 0)
        slug = argv[i + 1];
    if (!slug || (verb[0] && strcmp(verb, "list") != 0 && strcmp(verb, "write") != 0)) {
        usage(stderr);
        goto out;
    }
    if (!(store = cli_store_open("batch", &cfg, false)))
        goto out;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("batch", "%s", diag.msg);
        goto out;
    }
    struct rcm_tenant t;
    if (rcm_store_tenant_find(store, slug, &t, &diag) != RCM_OK) {
        cli_error("batch", "no tenant \"%s\"", slug);
        rc = CLI_PROBLEMS;
        goto out;
    }
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = t.id;
    if (!(have_billing = cli_billing_open("batch", &cfg, &billing)))
        goto out;
    struct rcm_batch batches[BATCHES_MAX];
    enum rcm_err err = RCM_OK;
    if (strcmp(verb, "list") == 0) {
        int n = 0;
        err = rcm_store_batch_list(store, &actor, 0, BATCHES_MAX, batches, &n, &diag);
        if (!err)
            fputs(HEADER, stdout);
        for (int k = 0; k < n; k++)
            print_batch(&batches[k], billing.outbox);
        rc = err ? CLI_USAGE : CLI_OK;
    } else if (strcmp(verb, "write") == 0) {
        err = rcm_store_batch_get(store, &actor, id, &batches[0], &diag);
        rc = err == RCM_E_NOT_FOUND ? CLI_PROBLEMS : err ? CLI_USAGE : CLI_OK;
        if (!err && !write_one(store, &actor, &billing, &batches[0]))
            rc = CLI_PROBLEMS;
        else if (!err)
            print_batch(&batches[0], billing.outbox);
    } else {
        size_t n = 0;
        err = rcm_store_batch_create(store, &actor, &billing.env.sender, batches, BATCHES_MAX,
                                     &n, &diag);
        rc = err ? CLI_USAGE : CLI_OK;
        if (!err && n == 0)
            printf("no ready claims\n");
        else if (!err)
            fputs(HEADER, stdout);
        for (size_t k = 0; k < n; k++) {
            if (!write_one(store, &actor, &billing, &batches[k]))
                rc = CLI_PROBLEMS;
            print_batch(&batches[k], billing.outbox);
        }
    }
    if (err)
        cli_error("batch", "%s", diag.msg);
out:
    if (have_billing)
        cli_billing_close(&billing);
    if (!cli_store_close("batch", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
