/*
 * cli_keys.c — the master key for a command: the configured file, or a
 * development key in <state_dir>/keys created on first use; and the
 * previous master key while a rotation is unfinished. Every other key is
 * kept by the store, wrapped under the master key (src/store/store_keys.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_int.h"
#include "rcm/crypto.h"
#include "rcm/log.h"

/* Load the master key; with `create`, make a development key when none is
 * configured and none exists yet. */
bool
cli_master_key(const char *cmd, const struct rcm_config *cfg, bool create,
           struct rcm_key *out)
{
    const char *path = RCM_CFG_STR(cfg, security_master_key_file);
    char dir[4000], dev[4096];
    bool dev_key = !path[0];
    if (dev_key) {
        snprintf(dir, sizeof dir, "%s/keys", RCM_CFG_STR(cfg, state_dir));
        snprintf(dev, sizeof dev, "%s/master.key", dir);
        path = dev;
    }
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_master_key_load(path, out, &diag);
    if (err == RCM_E_NOT_FOUND && dev_key && create) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            cli_error(cmd, "cannot create %s: %s", dir, strerror(errno));
            return false;
        }
        err = rcm_master_key_create(path, out, &diag);
        if (err == RCM_E_CONFLICT)      /* another process created it first */
            err = rcm_master_key_load(path, out, &diag);
        else if (!err)
            RCM_LOG(RCM_LOG_WARN, "keys.dev_master_key", NULL,
                    RCM_LF_S("detail", "no master key configured; created a "
                                       "development key"));
    }
    if (err == RCM_E_NOT_FOUND && dev_key)
        cli_error(cmd, "no master key at %s (start the server once, or set "
                  "security.master_key_file)", path);
    else if (err)
        cli_error(cmd, "%s", diag.msg);
    return err == RCM_OK;
}

bool
cli_previous_master_key(const char *cmd, const struct rcm_config *cfg, struct rcm_key *out,
                        bool *have)
{
    const char *path = RCM_CFG_STR(cfg, security_previous_master_key_file);
    *have = path[0] != '\0';
    if (!*have)
        return true;
    struct rcm_diag diag = RCM_DIAG_INIT;
    if (rcm_master_key_load(path, out, &diag) != RCM_OK) {
        cli_error(cmd, "previous master key: %s", diag.msg);
        return false;
    }
    return true;
}
