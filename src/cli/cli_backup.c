/*
 * cli_backup.c — `openrcm backup FILE`: a consistent copy of the database,
 * taken while the server runs. Patient fields stay sealed in the copy; the
 * master key is not in it (keep the key file's own backup apart).
 */
#include <stdio.h>

#include "cli/cli_int.h"
#include "rcm/store.h"

int
cli_backup(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: openrcm backup FILE\n\n"
               "Copy the whole database to FILE (created with mode 0600; an existing\n"
               "file is never overwritten) while the server keeps running. Every\n"
               "patient field in the copy is still encrypted; restoring needs the\n"
               "master key, which is not in the copy.\n");
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("backup", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (argc != 2) {
        cli_error("backup", "expected one FILE (see openrcm backup --help)");
        goto out;
    }
    if (!(store = cli_store_open("backup", &cfg, false)))
        goto out;
    if (rcm_store_backup(store, argv[1], &diag) != RCM_OK) {
        cli_error("backup", "%s", diag.msg);
        goto out;
    }
    printf("backup written to %s\n", argv[1]);
    rc = CLI_OK;
out:
    if (!cli_store_close("backup", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
