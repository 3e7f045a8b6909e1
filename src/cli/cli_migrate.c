/*
 * cli_migrate.c — `openrcm migrate [--status]`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/store.h"

int
cli_migrate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: openrcm migrate [--status] [--config FILE] [--set NAME=VALUE]...\n\n"
               "Apply every database migration compiled into this binary that the\n"
               "database does not have yet, each in its own transaction. `serve`\n"
               "does this on start. --status only reports the schema version.\n"
               "Refuses a database newer than this binary, or one whose applied\n"
               "migrations differ from the compiled ones. Works on SQLite and on\n"
               "PostgreSQL (database.backend=postgres, database.conninfo,\n"
               "database.password_file); when several start at once, one applies\n"
               "each migration and the others find it done.\n");
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("migrate", &cfg, &argc, argv))
        return CLI_USAGE;
    bool status_only = false;
    int rc = CLI_OK;
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--status") == 0) {
            status_only = true;
        } else {
            cli_error("migrate", "unknown option '%s'", argv[i]);
            rc = CLI_USAGE;
            goto out;
        }
    }
    if (rcm_config_validate(&cfg, &diag) != RCM_OK) {
        cli_error("migrate", "invalid configuration: %s", diag.msg);
        rc = CLI_USAGE;
        goto out;
    }
    enum rcm_err why;
    if (!(store = cli_store_open_why("migrate", &cfg, true, &why))) {
        rc = why == RCM_E_CONFLICT ? CLI_PROBLEMS : CLI_USAGE;
        goto out;
    }
    if (status_only) {
        int current, latest;
        enum rcm_err err = rcm_store_schema_version(store, &current, &latest, &diag);
        if (err != RCM_OK) {
            cli_error("migrate", "%s", diag.msg);
            rc = CLI_USAGE;
        } else {
            printf("schema version %d of %d%s\n", current, latest,
                   current < latest ? " (migrations pending)" : "");
            rc = current == latest ? CLI_OK : CLI_PROBLEMS;
        }
        goto out;
    }
    struct rcm_migrate_report rep;
    enum rcm_err err = rcm_store_migrate(store, &rep, &diag);
    if (err != RCM_OK) {
        cli_error("migrate", "%s", diag.msg);
        rc = diag.code == RCM_E_CONFLICT ? CLI_PROBLEMS : CLI_USAGE;
        goto out;
    }
    if (rep.applied)
        printf("applied %d migration%s: schema version %d -> %d\n", rep.applied,
               rep.applied == 1 ? "" : "s", rep.from_version, rep.to_version);
    else
        printf("schema version %d is up to date\n", rep.to_version);
out:
    if (!cli_store_close("migrate", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
