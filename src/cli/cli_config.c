/*
 * cli_config.c — `openrcm config dump [--json]`: the effective configuration
 * and where each value came from.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/buf.h"

static void
help(void)
{
    printf("usage: openrcm config dump [--json] [--config FILE] [--set NAME=VALUE]...\n\n"
           "Print every setting with its effective value and origin (default,\n"
           "file, env or flag). Precedence: defaults < file (--config or\n"
           "$OPENRCM_CONFIG) < OPENRCM_* environment < --set flags.\n"
           "Exits 1 when the resulting configuration is invalid (the reason is\n"
           "printed on stderr), 2 on usage errors.\n");
}

int
cli_config(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("config", &cfg, &argc, argv))
        return CLI_USAGE;
    bool json = false;
    int rc = CLI_OK;
    if (argc < 2 || strcmp(argv[1], "dump") != 0) {
        cli_error("config", "expected 'dump' (see openrcm config --help)");
        rc = CLI_USAGE;
        goto out;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else {
            cli_error("config", "unknown option '%s'", argv[i]);
            rc = CLI_USAGE;
            goto out;
        }
    }
    struct rcm_buf out = RCM_BUF_INIT(1 << 20);
    if (rcm_config_dump(&cfg, json, &out) != RCM_OK) {
        cli_error("config", "out of memory");
        rc = CLI_USAGE;
    } else {
        fputs(rcm_buf_cstr(&out), stdout);
    }
    rcm_buf_release(&out);
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rc == CLI_OK && rcm_config_validate(&cfg, &diag) != RCM_OK) {
        cli_error("config", "invalid configuration: %s", diag.msg);
        rc = CLI_PROBLEMS;
    }
out:
    rcm_config_release(&cfg);
    return rc;
}
