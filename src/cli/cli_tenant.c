/*
 * cli_tenant.c — `openrcm tenant add --slug SLUG --name NAME`, and the
 * client assignments of a billing company's staff: `openrcm tenant assign`
 * and `openrcm tenant unassign`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/roles.h"
#include "rcm/store.h"
#include "rcm/str.h"

/* assign|unassign --manager SLUG --client SLUG --email EMAIL [--role ROLE] */
static int
tenant_assign(struct rcm_store *store, int argc, char **argv, bool remove)
{
    const char *manager = NULL, *client = NULL, *email = NULL, *role = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--manager") == 0)
            manager = argv[i + 1];
        else if (strcmp(argv[i], "--client") == 0)
            client = argv[i + 1];
        else if (strcmp(argv[i], "--email") == 0)
            email = argv[i + 1];
        else if (strcmp(argv[i], "--role") == 0)
            role = argv[i + 1];
    }
    if (!manager || !client || !email || (!remove && !role) || (remove && role) ||
        argc != (remove ? 8 : 10)) {
        cli_error("tenant", "%s", remove ? "--manager, --client and --email are required"
                                         : "--manager, --client, --email and --role are "
                                           "required");
        return CLI_USAGE;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    struct rcm_tenant boss, t;
    struct rcm_user u;
    if (rcm_store_tenant_find(store, manager, &boss, &diag) != RCM_OK) {
        cli_error("tenant", "no tenant \"%s\"", manager);
        return CLI_PROBLEMS;
    }
    if (rcm_store_tenant_find(store, client, &t, &diag) != RCM_OK || t.manager_id != boss.id) {
        cli_error("tenant", "no client practice \"%s\" of \"%s\"", client, manager);
        return CLI_PROBLEMS;
    }
    if (rcm_store_login_lookup(store, manager, email, &u, &diag) != RCM_OK ||
        u.tenant_id != boss.id) {
        cli_error("tenant", "no user with this email in \"%s\"", manager);
        return CLI_PROBLEMS;
    }
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = boss.id;
    int r = remove ? -1 : rcm_role_parse(role);
    enum rcm_err err = remove ? rcm_store_client_unassign(store, &actor, t.id, u.id, &diag)
                              : rcm_store_client_assign(store, &actor, t.id, u.id, r, &diag);
    if (err) {
        cli_error("tenant", "%s", diag.msg);
        return err == RCM_E_INVAL || err == RCM_E_NOT_FOUND ? CLI_PROBLEMS : CLI_USAGE;
    }
    if (remove)
        printf("user %lld no longer works in %s\n", (long long)u.id, t.slug);
    else
        printf("user %lld works in %s as %s\n", (long long)u.id, t.slug, role);
    return CLI_OK;
}

int
cli_tenant(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: openrcm tenant add --slug SLUG --name NAME [--manager SLUG]\n"
               "       openrcm tenant assign --manager SLUG --client SLUG --email EMAIL "
               "--role ROLE\n"
               "       openrcm tenant unassign --manager SLUG --client SLUG --email EMAIL\n\n"
               "add: create a tenant (a practice, or a billing company). SLUG is 1-63\n"
               "characters of a-z, 0-9 and '-'. Then create its first owner with\n"
               "`openrcm user add`. --manager makes it a client practice of that\n"
               "billing company, whose staff may then log in to it by naming it.\n\n"
               "assign: let the company's user EMAIL work in the client practice with\n"
               "ROLE there (admin, biller, coder, front_desk, compliance, analyst).\n"
               "The company's owners and admins reach every client with their own\n"
               "role; everyone else only the clients assigned to them. unassign takes\n"
               "the assignment away (their sessions in the client stop at once).\n");
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("tenant", &cfg, &argc, argv))
        return CLI_USAGE;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    const char *slug = NULL, *name = NULL, *manager = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    bool assign = argc >= 2 && strcmp(argv[1], "assign") == 0;
    bool unassign = argc >= 2 && strcmp(argv[1], "unassign") == 0;
    if (assign || unassign) {
        if (!(store = cli_store_open("tenant", &cfg, true)))
            goto out;
        if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
            cli_error("tenant", "%s", diag.msg);
            goto out;
        }
        rc = tenant_assign(store, argc, argv, unassign);
        goto out;
    }
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        cli_error("tenant", "expected 'add', 'assign' or 'unassign' (see openrcm tenant --help)");
        goto out;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--slug") == 0)
            slug = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--manager") == 0)
            manager = argv[i + 1];
    }
    struct rcm_diag ldiag = RCM_DIAG_INIT;
    if (slug && name &&
        (rcm_field_check_len("--slug", slug, RCM_TENANT_SLUG_MAX, &ldiag) ||
         rcm_field_check_len("--name", name, RCM_TENANT_NAME_MAX, &ldiag))) {
        cli_error("tenant", "%s", ldiag.msg);
        goto out;
    }
    if (!slug || !name || argc != (manager ? 8 : 6)) {
        cli_error("tenant", "--slug and --name are required");
        goto out;
    }
    if (!(store = cli_store_open("tenant", &cfg, true)))
        goto out;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("tenant", "%s", diag.msg);
        goto out;
    }
    struct rcm_tenant t, boss;
    enum rcm_err err;
    if (manager) {
        if (rcm_store_tenant_find(store, manager, &boss, &diag) != RCM_OK) {
            cli_error("tenant", "no tenant \"%s\" to manage it", manager);
            rc = CLI_PROBLEMS;
            goto out;
        }
        struct rcm_actor actor = cli_system_actor;
        actor.tenant_id = boss.id;
        err = rcm_store_client_create(store, &actor, slug, name, &t, &diag);
    } else {
        err = rcm_store_tenant_create(store, &cli_system_actor, slug, name, &t, &diag);
    }
    if (err) {
        cli_error("tenant", "%s", diag.msg);
        rc = err == RCM_E_CONFLICT || err == RCM_E_INVAL || err == RCM_E_PERM ? CLI_PROBLEMS
                                                                              : CLI_USAGE;
        goto out;
    }
    printf("created tenant %lld (%s)\n", (long long)t.id, t.slug);
    rc = CLI_OK;
out:
    if (!cli_store_close("tenant", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
