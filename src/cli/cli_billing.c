/*
 * cli_billing.c — what `serve` and the claim commands load once to build
 * and send claims: the scrubber's reference data (the code-set index, the
 * NCCI tables and the shipped payer rules under reference_dir, each
 * optional: the edits needing a missing one are skipped, and the server
 * logs which), the 837 sender (x12.* settings) and the outbox directory.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_int.h"
#include "cli/cli_refdata.h"
#include "rcm/file.h"
#include "rcm/log.h"

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
cli_billing_open(const char *cmd, const struct rcm_config *cfg, struct cli_billing *b)
{
    memset(b, 0, sizeof *b);
    struct rcm_diag diag = RCM_DIAG_INIT;
    const char *ref = RCM_CFG_STR(cfg, reference_dir);
    const char *index = cli_codes_index_path(RCM_CFG_STR(cfg, codes_index));
    if (rcm_codes_open(index, &b->codes, &diag) != RCM_OK) {
        b->codes = NULL;
        RCM_LOG(RCM_LOG_WARN, "billing.no_code_sets", NULL, RCM_LF_S("index", index));
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/ncci", ref);
    struct rcm_ncci_stats st;
    if (is_dir(path) && rcm_codes_ncci_load(path, 0, &b->ncci, &st, &diag) != RCM_OK) {
        cli_error(cmd, "NCCI tables: %s", diag.msg);
        cli_billing_close(b);
        return false;
    }
    snprintf(path, sizeof path, "%s/payer-rules", ref);
    if (is_dir(path) && rcm_payer_rules_load(path, &b->rules, &diag) != RCM_OK) {
        cli_error(cmd, "payer rules: %s", diag.msg);
        cli_billing_close(b);
        return false;
    }
    b->ref = (struct rcm_scrub_ref){b->codes, b->ncci, b->rules};
    const char *outbox = RCM_CFG_STR(cfg, claims_outbox_dir);
    if (outbox[0])
        snprintf(b->outbox, sizeof b->outbox, "%s", outbox);
    else
        snprintf(b->outbox, sizeof b->outbox, "%s/outbox", RCM_CFG_STR(cfg, state_dir));
    if (rcm_dir_ensure(b->outbox, &diag) != RCM_OK) {
        cli_error(cmd, "claims.outbox_dir: %s", diag.msg);
        cli_billing_close(b);
        return false;
    }
    b->env = (struct rcm_billing_env){
        &b->ref,
        {RCM_CFG_STR(cfg, x12_sender_qualifier), RCM_CFG_STR(cfg, x12_sender_id),
         RCM_CFG_STR(cfg, x12_submitter_name), RCM_CFG_STR(cfg, x12_default_partner),
         RCM_CFG_STR(cfg, x12_usage)[0]},
        b->outbox};
    return true;
}

void
cli_billing_close(struct cli_billing *b)
{
    rcm_codes_ncci_free(b->ncci);
    rcm_payer_rules_free(b->rules);
    rcm_codes_close(b->codes);
    memset(b, 0, sizeof *b);
}
