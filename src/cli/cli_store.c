/*
 * cli_store.c — opening the configured store, shared by serve and migrate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_int.h"
#include "rcm/crypto.h"
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
    uint8_t audit_key[RCM_AUDIT_KEY_BYTES];
    if (!cli_state_dir_ensure(cmd, cfg) || !cli_audit_key(cmd, cfg, create_key, audit_key))
        return NULL;
    char *path = rcm_config_database_path(cfg);
    if (!path) {
        cli_error(cmd, "out of memory");
        return NULL;
    }
    struct rcm_store_options opt = {
        .backend = RCM_CFG_STR(cfg, database_backend),
        .path = path,
        .busy_timeout_ms = (int)RCM_CFG_INT(cfg, database_busy_timeout_ms),
        .read_connections = (int)RCM_CFG_INT(cfg, database_read_connections),
        .audit_key = audit_key,
    };
    struct rcm_store *store = NULL;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_store_open(&opt, &store, &diag) != RCM_OK)
        cli_error(cmd, "%s", diag.msg);
    rcm_free(path);
    rcm_crypto_wipe(audit_key, sizeof audit_key);
    return store;
}
