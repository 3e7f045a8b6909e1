/*
 * cli_main.c — `openrcm <command> [args]`: dispatch to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"

static const struct cli_command commands[] = {
    {"serve", "run the HTTPS API server", cli_serve},
    {"migrate", "apply database migrations", cli_migrate},
    {"config", "show the effective configuration (config dump)", cli_config},
    {"version", "print the version", cli_version},
    {"audit", "verify or export the audit log", cli_audit},
    {"user", "create and change users (user add|disable|enable|unlock|role)", cli_user},
    {"tenant", "create tenants (tenant add)", cli_tenant},
    {"keys", "new master keys, key rotation and its progress", cli_keys},
    {"jobs", "durable jobs of a tenant and their progress (jobs list|show|wait)", cli_jobs},
    {"backup", "a consistent copy of the database, taken live", cli_backup},
    {"raf", "CMS-HCC V24/V28 risk scores, blends and gap flags", cli_raf},
    {"codes", "look up and search code sets (ICD-10-CM, HCPCS, POS ...)", cli_codes},
    {"scrub", "check claims against the edits before submission", cli_scrub},
    {"report", "A/R aging, KPIs, denials and timely-filing alerts of a tenant", cli_report},
    {"x12", "validate, acknowledge, split and convert X12 5010 files", cli_x12},
    {"post", "post an 835 (ERA) into a tenant's claims", cli_post},
    {"denials", "the denial worklist (denials list|show|act)", cli_denials},
    {"deposits", "bank deposits reconciled to remittances (deposits add|list)", cli_deposits},
    {"batch", "send ready claims as 837 batches to the outbox (batch|list|write)", cli_batch},
    {"ack", "apply a received 999 or 277CA to a tenant's claims (ack FILE --tenant SLUG)",
     cli_ack},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *f)
{
    fprintf(f, "usage: openrcm <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'openrcm <command> --help' describes a command.\n"
               "exit codes: 0 ok, 1 the work found problems, 2 usage or I/O error\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cli_version(1, argv + 1);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "openrcm: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
