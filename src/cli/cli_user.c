/*
 * cli_user.c — `openrcm user add`: create a user from the command line (the
 * first owner of a tenant, or a service account). The password comes from a
 * file or standard input, never from argv, where other users of the machine
 * could read it. `user disable|enable|unlock|role` change a user as the
 * operator (audited as the system actor; the store still keeps one active
 * owner per tenant).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "rcm/auth.h"
#include "rcm/crypto.h"
#include "rcm/roles.h"
#include "rcm/store.h"
#include "rcm/str.h"

static void
help(void)
{
    printf("usage: openrcm user add --tenant SLUG --email EMAIL --name NAME --role ROLE\n"
           "                        [--password-file FILE|-]\n"
           "       openrcm user disable|enable|unlock --tenant SLUG --email EMAIL\n"
           "       openrcm user role --tenant SLUG --email EMAIL --role ROLE\n\n"
           "add: create a user in a tenant. The password is read from FILE, or from\n"
           "standard input with '-' (first line); without --password-file a\n"
           "random one is generated and printed once. It must satisfy the\n"
           "password policy (docs/security.md). Roles: owner, admin, biller,\n"
           "coder, front_desk, compliance, analyst, api_client.\n"
           "disable: the user can no longer log in; their sessions end and the API\n"
           "keys they created stop working (until enabled again).\n"
           "enable: undo disable. unlock: reset the failed-login counter.\n"
           "role: change the role; the user's sessions end (log in again).\n"
           "A tenant always keeps one active owner: disabling or re-roling the\n"
           "last one is refused (exit 1). Every change is audited.\n");
}

/* `user disable|enable|unlock|role`: change one user found by email. */
static int
user_change(const char *verb, struct rcm_store *store, const char *slug, const char *email,
            int role)
{
    struct rcm_tenant t;
    struct rcm_user u;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_tenant_find(store, slug, &t, &diag) != RCM_OK) {
        cli_error("user", "no tenant '%s'", slug);
        return CLI_PROBLEMS;
    }
    if (rcm_store_login_lookup(store, slug, email, &u, &diag) != RCM_OK) {
        cli_error("user", "no user with that email in tenant '%s'", slug);
        return CLI_PROBLEMS;
    }
    rcm_crypto_wipe(u.password_hash, sizeof u.password_hash);
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = t.id;
    enum rcm_err err;
    if (strcmp(verb, "unlock") == 0) {
        err = rcm_store_user_unlock(store, &actor, u.id, &diag);
    } else {
        struct rcm_user_change change = {.role = -1, .disabled = -1};
        if (strcmp(verb, "role") == 0)
            change.role = role;
        else
            change.disabled = strcmp(verb, "disable") == 0;
        err = rcm_store_user_update(store, &actor, u.id, &change, &u, &diag);
    }
    if (err) {
        cli_error("user", "%s", diag.msg);
        return CLI_PROBLEMS;
    }
    printf("user %lld: %s done\n", (long long)u.id, verb);
    return CLI_OK;
}

static bool
read_password(const char *path, char *out, size_t size)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)size, f) != NULL;
    size_t n = ok ? strlen(out) : 0;
    /* a line that did not fit is refused, never cut */
    if (ok && n == size - 1 && out[n - 1] != '\n' && fgetc(f) != EOF)
        ok = false;
    if (f != stdin)
        fclose(f);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return ok && n > 0;
}

bool
cli_user_create(const char *cmd, struct rcm_store *store, const char *slug,
                const char *email, const char *name, int role, const char *password,
                bool print_password)
{
    struct rcm_tenant t;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_tenant_find(store, slug, &t, &diag) != RCM_OK) {
        cli_error(cmd, "no tenant '%s'", slug);
        return false;
    }
    struct rcm_pwlist list = {0};
    if (rcm_pwlist_load_embedded(&list, &diag) != RCM_OK) {
        cli_error(cmd, "%s", diag.msg);
        return false;
    }
    const char *const context[] = {email, name, slug};
    struct rcm_pw_check check = rcm_auth_password_check(password, strlen(password), true,
                                                        &list, context, 3);
    rcm_pwlist_release(&list);
    if (check.verdict != RCM_PW_OK) {
        char why[256];
        rcm_auth_password_message(&check, why, sizeof why);
        cli_error(cmd, "password refused: %s", why);
        return false;
    }
    char hash[RCM_PWHASH_STR_BYTES];
    struct rcm_pwhash_params params = rcm_pwhash_params_default();
    if (rcm_pwhash(password, strlen(password), &params, hash) != RCM_OK) {
        cli_error(cmd, "cannot hash the password");
        return false;
    }
    struct rcm_actor actor = cli_system_actor;
    actor.tenant_id = t.id;
    struct rcm_user u;
    enum rcm_err err = rcm_store_user_create(store, &actor, email, name, role, hash, &u, &diag);
    rcm_crypto_wipe(hash, sizeof hash);
    if (err) {
        cli_error(cmd, "%s", diag.msg);
        return false;
    }
    printf("created user %lld (%s) in tenant %s as %s\n", (long long)u.id, u.email, slug,
           rcm_role_name((enum rcm_role)role));
    if (print_password)
        printf("password (shown once, stored only as an Argon2id hash): %s\n", password);
    return true;
}

int
cli_user(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_OK;
    }
    struct rcm_config cfg;
    if (!cli_config_load("user", &cfg, &argc, argv))
        return CLI_USAGE;
    const char *tenant = NULL, *email = NULL, *name = NULL, *role_name = NULL, *pwfile = NULL;
    int rc = CLI_USAGE;
    struct rcm_store *store = NULL;
    char password[RCM_PASSWORD_MAX_BYTES + 2] = {0};
    static const char *const verbs[] = {"add", "disable", "enable", "unlock", "role", NULL};
    const char *verb = NULL;
    for (const char *const *v = verbs; argc >= 2 && *v && !verb; v++)
        if (strcmp(argv[1], *v) == 0)
            verb = *v;
    if (!verb) {
        cli_error("user", "expected add, disable, enable, unlock or role (see openrcm user --help)");
        goto out;
    }
    for (int i = 2; i < argc; i += 2) {
        const char **slot = strcmp(argv[i], "--tenant") == 0 ? &tenant
                          : strcmp(argv[i], "--email") == 0 ? &email
                          : strcmp(argv[i], "--name") == 0 ? &name
                          : strcmp(argv[i], "--role") == 0 ? &role_name
                          : strcmp(argv[i], "--password-file") == 0 ? &pwfile : NULL;
        if (!slot || i + 1 >= argc) {
            cli_error("user", "unknown option or missing value: %s", argv[i]);
            goto out;
        }
        *slot = argv[i + 1];
    }
    bool adding = strcmp(verb, "add") == 0, re_role = strcmp(verb, "role") == 0;
    if (!adding) {
        if (!tenant || !email || name || pwfile || (re_role != (role_name != NULL))) {
            cli_error("user", re_role ? "role needs --tenant, --email and --role"
                                      : "%s needs --tenant and --email only", verb);
            goto out;
        }
        int role = re_role ? rcm_role_parse(role_name) : -1;
        if (re_role && role < 0) {
            cli_error("user", "unknown role '%s'", role_name);
            goto out;
        }
        if (!(store = cli_store_open("user", &cfg, true)))
            goto out;
        struct rcm_diag mdiag = RCM_DIAG_INIT;
        if (rcm_store_migrate(store, NULL, &mdiag) != RCM_OK) {
            cli_error("user", "%s", mdiag.msg);
            goto out;
        }
        rc = user_change(verb, store, tenant, email, role);
        goto out;
    }
    if (!tenant || !email || !name || !role_name) {
        cli_error("user", "--tenant, --email, --name and --role are required");
        goto out;
    }
    struct rcm_diag ldiag = RCM_DIAG_INIT;
    if (rcm_field_check_len("--email", email, RCM_EMAIL_MAX, &ldiag) ||
        rcm_field_check_len("--name", name, RCM_DISPLAY_NAME_MAX, &ldiag)) {
        cli_error("user", "%s", ldiag.msg);
        goto out;
    }
    int role = rcm_role_parse(role_name);
    if (role < 0) {
        cli_error("user", "unknown role '%s'", role_name);
        goto out;
    }
    if (pwfile && !read_password(pwfile, password, sizeof password)) {
        cli_error("user", "cannot read a password of 1-%d bytes from %s",
                  RCM_PASSWORD_MAX_BYTES, pwfile);
        goto out;
    }
    if (!pwfile)
        rcm_token_new(password);
    if (!(store = cli_store_open("user", &cfg, true)))
        goto out;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_migrate(store, NULL, &diag) != RCM_OK) {
        cli_error("user", "%s", diag.msg);
        goto out;
    }
    rc = cli_user_create("user", store, tenant, email, name, role, password, !pwfile)
             ? CLI_OK : CLI_PROBLEMS;
out:
    rcm_crypto_wipe(password, sizeof password);
    if (!cli_store_close("user", &cfg, store) && rc == CLI_OK)
        rc = CLI_USAGE;
    rcm_config_release(&cfg);
    return rc;
}
