/*
 * cli_keys.c — the master key for a command: the configured file, or a
 * development key in <state_dir>/keys created on first use; and the keys
 * derived from it (the audit log's MAC key).
 *
 * Master key file: 64 hex digits (32 bytes) and an optional newline, mode
 * 0600. Derived keys are HMAC-SHA-256(master, label), so each purpose has its
 * own key and none reveals the master.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "rcm/crypto.h"
#include "rcm/log.h"

#define MASTER_KEY_BYTES 32
#define AUDIT_KEY_LABEL "openrcm/audit-mac/v1"

static bool
create_dev_key(const char *cmd, const char *dir, const char *path)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_error(cmd, "cannot create %s: %s", dir, strerror(errno));
        return false;
    }
    uint8_t key[MASTER_KEY_BYTES];
    char hex[2 * MASTER_KEY_BYTES + 2];
    rcm_random_bytes(key, sizeof key);
    rcm_hex_encode(key, sizeof key, hex);
    rcm_crypto_wipe(key, sizeof key);
    hex[2 * MASTER_KEY_BYTES] = '\n';
    hex[2 * MASTER_KEY_BYTES + 1] = '\0';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex) &&
              fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    rcm_crypto_wipe(hex, sizeof hex);
    if (!ok) {
        cli_error(cmd, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return false;
    }
    RCM_LOG(RCM_LOG_WARN, "keys.dev_master_key", NULL,
            RCM_LF_S("detail", "no master key configured; created a development key"));
    return true;
}

static bool
read_master(const char *cmd, const char *path, uint8_t key[MASTER_KEY_BYTES])
{
    char text[2 * MASTER_KEY_BYTES + 4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error(cmd, "cannot open master key %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 && !(st.st_mode & 077)
                    ? read(fd, text, sizeof text - 1) : -2;
    close(fd);
    if (n == -2) {
        cli_error(cmd, "master key %s must be mode 0600", path);
        return false;
    }
    if (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    bool ok = n == 2 * MASTER_KEY_BYTES && rcm_hex_decode(text, key, MASTER_KEY_BYTES) == RCM_OK;
    rcm_crypto_wipe(text, sizeof text);
    if (!ok)
        cli_error(cmd, "master key %s must hold 64 hex digits", path);
    return ok;
}

bool
cli_audit_key(const char *cmd, const struct rcm_config *cfg, bool create,
              uint8_t out[RCM_AUDIT_KEY_BYTES])
{
    const char *path = RCM_CFG_STR(cfg, security_master_key_file);
    char dir[4000], dev[4096];
    if (!path[0]) {
        snprintf(dir, sizeof dir, "%s/keys", RCM_CFG_STR(cfg, state_dir));
        snprintf(dev, sizeof dev, "%s/master.key", dir);
        path = dev;
        if (access(path, F_OK) != 0 && (!create || !create_dev_key(cmd, dir, path))) {
            if (!create)
                cli_error(cmd, "no master key at %s (start the server once, or set "
                          "security.master_key_file)", path);
            return false;
        }
    }
    uint8_t master[MASTER_KEY_BYTES];
    if (!read_master(cmd, path, master))
        return false;
    rcm_hmac_sha256(master, sizeof master, AUDIT_KEY_LABEL, strlen(AUDIT_KEY_LABEL), out);
    rcm_crypto_wipe(master, sizeof master);
    return true;
}
