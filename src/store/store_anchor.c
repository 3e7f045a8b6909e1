/*
 * store_anchor.c — anchoring the audit chain head outside the database.
 *
 * The keyed head and checkpoints live in the same file as the records, so
 * whoever can rewrite the file can delete the whole log, or copy an earlier
 * backup over it, and the chain still verifies. An anchor is the head
 * (seq, hash) with an HMAC under the audit key, appended to a file the
 * administrator keeps elsewhere and written to the operational log (shipped
 * off the box). `openrcm audit verify` checks the chain reaches the newest
 * anchor with the same hash (audit_chain.c). This file only writes anchors;
 * it is not a scheduler — the server and the CLI decide when.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rcm/date.h"
#include "rcm/log.h"
#include "store_int.h"

enum rcm_err
rcm_store_audit_head(struct rcm_store *store, int64_t *seq, uint8_t hash[RCM_SHA256_BYTES],
                     struct rcm_diag *diag)
{
    return store_audit_head(store, seq, hash, diag);
}

enum rcm_err
rcm_store_audit_anchor_baseline(struct rcm_store *store, struct rcm_diag *diag)
{
    enum rcm_err err = rcm_store_audit_head(store, &store->anchored_seq,
                                            store->anchored_hash, diag);
    store->anchored = err == RCM_OK;
    return err;
}

/* Append `line` (n bytes) to `path` and fsync it. */
static enum rcm_err
append_line(const char *path, const char *line, size_t n, struct rcm_diag *diag)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open audit anchor file %s: %s", path,
                             strerror(errno));
    enum rcm_err err = RCM_OK;
    ssize_t w = write(fd, line, n);     /* O_APPEND: one write, one line */
    if (w != (ssize_t)n)
        err = rcm_diag_fail(diag, RCM_E_IO, "cannot write audit anchor file %s: %s", path,
                            w < 0 ? strerror(errno) : "short write");
    else if (fsync(fd) != 0)
        err = rcm_diag_fail(diag, RCM_E_IO, "cannot sync audit anchor file %s: %s", path,
                            strerror(errno));
    close(fd);
    return err;
}

enum rcm_err
rcm_store_audit_anchor(struct rcm_store *store, const char *path, bool force,
                       bool *written, struct rcm_diag *diag)
{
    if (written)
        *written = false;
    if (!path || !path[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "no audit anchor file");
    int64_t seq;
    uint8_t hash[RCM_SHA256_BYTES];
    enum rcm_err err = rcm_store_audit_head(store, &seq, hash, diag);
    if (err)
        return err;
    if (seq == 0 || (!force && store->anchored && seq == store->anchored_seq &&
                     memcmp(hash, store->anchored_hash, sizeof hash) == 0))
        return RCM_OK;
    struct rcm_key key;
    if ((err = rcm_store_system_key(store, RCM_SYSTEM_KEY_AUDIT, &key, diag)))
        return err;
    uint8_t mac[RCM_SHA256_BYTES];
    rcm_audit_anchor_mac(key.bytes, seq, hash, mac);
    rcm_key_wipe(&key);

    char ts[RCM_TIME_ISO_LEN + 1], hash_hex[2 * RCM_SHA256_BYTES + 1],
        mac_hex[2 * RCM_SHA256_BYTES + 1], line[256];
    rcm_time_format_iso(rcm_time_now_ms(), ts);
    rcm_hex_encode(hash, sizeof hash, hash_hex);
    rcm_hex_encode(mac, sizeof mac, mac_hex);
    int n = snprintf(line, sizeof line,
                     "{\"ts\":\"%s\",\"event\":\"audit.anchor\",\"seq\":%lld,"
                     "\"hash\":\"%s\",\"mac\":\"%s\"}\n",
                     ts, (long long)seq, hash_hex, mac_hex);
    if (n < 0 || (size_t)n >= sizeof line)
        return rcm_diag_fail(diag, RCM_E_INTERNAL, "audit anchor line too long");
    if ((err = append_line(path, line, (size_t)n, diag)))
        return err;
    RCM_LOG(RCM_LOG_INFO, "audit.anchor", NULL, RCM_LF_I("seq", seq),
            RCM_LF_S("hash", hash_hex), RCM_LF_S("mac", mac_hex));
    store->anchored = true;
    store->anchored_seq = seq;
    memcpy(store->anchored_hash, hash, sizeof hash);
    if (written)
        *written = true;
    return RCM_OK;
}
