/*
 * cli_store.c — opening the configured store, shared by serve and migrate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_int.h"
#include "rcm/crypto.h"
#include "rcm/log.h"
#include "rcm/mem.h"
#include "rcm/store.h"

bool
cli_state_dir_ensure(const char *cmd, const struct rcm_config *cfg)
{
    const char *dir = RCM_CFG_STR(cfg, state_dir);
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        cli_error(cmd, "state_dir is too long");
        return false;
    }
    /* mkdir -p, each new level private to the user */
    for (char *p = path + 1; ; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                cli_error(cmd, "cannot create %s: %s", path, strerror(errno));
                return false;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    return true;
}

const struct rcm_actor cli_system_actor = {.tenant_id = 0, .type = "system"};

struct rcm_store *
cli_store_open(const char *cmd, const struct rcm_config *cfg, bool create_key)
{
    return cli_store_open_why(cmd, cfg, create_key, NULL);
}

struct rcm_store *
cli_store_open_why(const char *cmd, const struct rcm_config *cfg, bool create_key,
                   enum rcm_err *why)
{
    if (why)
        *why = RCM_E_CONFIG;
    struct rcm_key master, previous;
    bool have_previous = false;
    if (!cli_state_dir_ensure(cmd, cfg) || !cli_master_key(cmd, cfg, create_key, &master))
        return NULL;
    char *path = NULL;
    if (!cli_previous_master_key(cmd, cfg, &previous, &have_previous))
        goto out;
    if (!(path = rcm_config_database_path(cfg))) {
        cli_error(cmd, "out of memory");
        goto out;
    }
    const char *pwfile = RCM_CFG_STR(cfg, database_password_file);
    struct rcm_store_options opt = {
        .backend = RCM_CFG_STR(cfg, database_backend),
        .path = path,
        .conninfo = RCM_CFG_STR(cfg, database_conninfo),
        .password_file = pwfile && pwfile[0] ? pwfile : NULL,
        .busy_timeout_ms = (int)RCM_CFG_INT(cfg, database_busy_timeout_ms),
        .read_connections = (int)RCM_CFG_INT(cfg, database_read_connections),
        .master_key = &master,
        .previous_master_key = have_previous ? &previous : NULL,
    };
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_store_open(&opt, &store, &diag);
    if (why)
        *why = err;
    if (err != RCM_OK)
        cli_error(cmd, "%s", diag.msg);
    else if (rcm_store_audit_anchor_baseline(store, &diag) != RCM_OK)
        /* before migration 0002 there is no log yet: anything written
         * later is anchored at close */
        RCM_LOG(RCM_LOG_DEBUG, "audit.anchor_baseline", NULL, RCM_LF_S("detail", diag.msg));
out:
    rcm_free(path);
    rcm_key_wipe(&master);
    rcm_key_wipe(&previous);
    return store;
}

bool
cli_store_close(const char *cmd, const struct rcm_config *cfg, struct rcm_store *store)
{
    if (!store)
        return true;
    bool ok = true;
    char *path = rcm_config_audit_anchor_path(cfg);
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (!path) {
        cli_error(cmd, "out of memory");
        ok = false;
    } else if (rcm_store_audit_anchor(store, path, false, NULL, &diag) != RCM_OK) {
        cli_error(cmd, "cannot anchor the audit log: %s", diag.msg);
        ok = false;
    }
    rcm_free(path);
    rcm_store_close(store);
    return ok;
}
