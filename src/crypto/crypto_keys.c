/*
 * crypto_keys.c — the key hierarchy: master key file, key ids, key wrapping
 * (master → tenant → patient data key), secure key memory.
 *
 * A wrapped key is an ordinary AEAD envelope of the 32 key bytes whose AAD
 * is the wrapping context ("tenant:<id>", "patient:<tenant>:<id>").
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto_int.h"
#include "rcm/crypto.h"

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void
sodium_start(void)
{
    if (sodium_init() < 0)
        abort();    /* cannot happen short of a broken libsodium */
}

void
crypto_sodium_ready(void)
{
    pthread_once(&sodium_once, sodium_start);
}

bool
crypto_id_valid(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++) {
        char c = id[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok || n >= RCM_ID_MAX_LEN)
            return false;
    }
    return n > 0;
}

uint32_t
rcm_key_id_of(const uint8_t bytes[RCM_KEY_BYTES])
{
    static const char label[] = "openrcm/key-id/v1";
    uint8_t mac[RCM_SHA256_BYTES];
    rcm_hmac_sha256(bytes, RCM_KEY_BYTES, label, sizeof label - 1, mac);
    uint32_t id = crypto_get_be32(mac);
    return id ? id : 1;
}

void
rcm_key_from_bytes(struct rcm_key *out, const uint8_t bytes[RCM_KEY_BYTES])
{
    memmove(out->bytes, bytes, RCM_KEY_BYTES);
    out->key_id = rcm_key_id_of(out->bytes);
}

void
rcm_key_generate(struct rcm_key *out, uint32_t avoid_id)
{
    do {
        rcm_random_bytes(out->bytes, RCM_KEY_BYTES);
        out->key_id = rcm_key_id_of(out->bytes);
    } while (out->key_id == avoid_id);
}

void
rcm_key_wipe(struct rcm_key *key)
{
    if (key)
        rcm_crypto_wipe(key, sizeof *key);
}

struct rcm_key *
rcm_key_alloc(void)
{
    crypto_sodium_ready();
    struct rcm_key *key = sodium_malloc(sizeof *key);   /* guarded + mlock'ed */
    if (key)
        sodium_memzero(key, sizeof *key);
    return key;
}

void
rcm_key_free(struct rcm_key *key)
{
    if (key)
        sodium_free(key);   /* zeroes, munlocks and unmaps */
}

/* ---- master key file ---------------------------------------------------- */

enum rcm_err
rcm_master_key_load(const char *path, struct rcm_key *out, struct rcm_diag *diag)
{
    rcm_key_wipe(out);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "master key file not found");
        if (e == ELOOP)
            return rcm_diag_fail(diag, RCM_E_PERM, "master key file is a symlink");
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open master key file: %s",
                             strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return rcm_diag_fail(diag, RCM_E_PERM, "master key file is not a regular file");
    }
    if (st.st_mode & 077) {
        close(fd);
        return rcm_diag_fail(diag, RCM_E_PERM,
                             "master key file mode is %03o; it must be 0600 (or 0400)",
                             (unsigned)(st.st_mode & 0777));
    }
    char text[2 * RCM_KEY_BYTES + 3];
    ssize_t got = read(fd, text, sizeof text);
    close(fd);
    size_t n = got > 0 ? (size_t)got : 0;
    if (n == 2 * RCM_KEY_BYTES + 1 && text[n - 1] == '\n')
        n--;
    enum rcm_err err = RCM_E_PARSE;
    if (got >= 0 && n == 2 * RCM_KEY_BYTES) {
        text[n] = '\0';
        err = rcm_hex_decode(text, out->bytes, RCM_KEY_BYTES);
    }
    rcm_crypto_wipe(text, sizeof text);
    if (err != RCM_OK) {
        rcm_key_wipe(out);
        return rcm_diag_fail(diag, RCM_E_PARSE,
                             "master key file must hold exactly 64 hex digits");
    }
    out->key_id = rcm_key_id_of(out->bytes);
    return RCM_OK;
}

/* Write all of p, retrying short writes. */
static bool
write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* fsync the directory holding `path` so the new link survives a crash. */
static void
sync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

enum rcm_err
rcm_master_key_create(const char *path, struct rcm_key *out, struct rcm_diag *diag)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= sizeof tmp)
        return rcm_diag_fail(diag, RCM_E_INVAL, "master key path too long");
    struct stat st;
    if (lstat(path, &st) == 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT,
                             "master key file already exists; refusing to replace it");
    mode_t old = umask(077);
    int fd = mkstemp(tmp);          /* creates with 0600 */
    umask(old);
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot create master key file: %s",
                             strerror(errno));
    struct rcm_key key;
    rcm_key_generate(&key, 0);
    char text[2 * RCM_KEY_BYTES + 2];
    rcm_hex_encode(key.bytes, RCM_KEY_BYTES, text);
    text[2 * RCM_KEY_BYTES] = '\n';
    bool ok = fchmod(fd, 0600) == 0 && write_all(fd, text, 2 * RCM_KEY_BYTES + 1) &&
              fsync(fd) == 0;
    rcm_crypto_wipe(text, sizeof text);
    ok = close(fd) == 0 && ok;
    int link_errno = 0;
    if (ok && link(tmp, path) != 0) {
        link_errno = errno;
        ok = false;
    }
    unlink(tmp);
    if (!ok) {
        rcm_key_wipe(&key);
        if (link_errno == EEXIST)
            return rcm_diag_fail(diag, RCM_E_CONFLICT,
                                 "master key file already exists; refusing to replace it");
        return rcm_diag_fail(diag, RCM_E_IO, "cannot write master key file%s%s",
                             link_errno ? ": " : "", link_errno ? strerror(link_errno) : "");
    }
    sync_parent(path);
    if (out)
        *out = key;
    rcm_key_wipe(&key);
    return RCM_OK;
}

/* ---- wrapping ----------------------------------------------------------- */

enum rcm_err
rcm_key_context_tenant(const char *tenant_id, char out[RCM_KEY_CONTEXT_MAX_LEN + 1])
{
    out[0] = '\0';
    if (!crypto_id_valid(tenant_id))
        return RCM_E_INVAL;
    snprintf(out, RCM_KEY_CONTEXT_MAX_LEN + 1, "tenant:%s", tenant_id);
    return RCM_OK;
}

enum rcm_err
rcm_key_context_patient(const char *tenant_id, const char *patient_id,
                        char out[RCM_KEY_CONTEXT_MAX_LEN + 1])
{
    out[0] = '\0';
    if (!crypto_id_valid(tenant_id) || !crypto_id_valid(patient_id))
        return RCM_E_INVAL;
    snprintf(out, RCM_KEY_CONTEXT_MAX_LEN + 1, "patient:%s:%s", tenant_id, patient_id);
    return RCM_OK;
}

/* The AAD of a wrapped key: a domain label, a NUL, the context. */
static bool
wrap_aad(const char *context, uint8_t *aad, size_t *aad_len)
{
    static const char label[] = "openrcm/key-wrap/v1";
    size_t n = context ? strlen(context) : 0;
    if (n == 0 || n > RCM_KEY_CONTEXT_MAX_LEN)
        return false;
    memcpy(aad, label, sizeof label);           /* includes the NUL */
    memcpy(aad + sizeof label, context, n);
    *aad_len = sizeof label + n;
    return true;
}

enum rcm_err
rcm_key_wrap(const struct rcm_key *kek, const char *context, const struct rcm_key *key,
             uint8_t out[RCM_KEY_WRAPPED_BYTES])
{
    uint8_t aad[32 + RCM_KEY_CONTEXT_MAX_LEN];
    size_t aad_len = 0, len = 0;
    if (!wrap_aad(context, aad, &aad_len)) {
        rcm_crypto_wipe(out, RCM_KEY_WRAPPED_BYTES);
        return RCM_E_INVAL;
    }
    return rcm_aead_seal(kek, aad, aad_len, key->bytes, RCM_KEY_BYTES, out,
                         RCM_KEY_WRAPPED_BYTES, &len);
}

enum rcm_err
rcm_key_unwrap(const struct rcm_key *kek, const char *context, const uint8_t *wrapped,
               size_t wrapped_len, struct rcm_key *out)
{
    uint8_t aad[32 + RCM_KEY_CONTEXT_MAX_LEN];
    size_t aad_len = 0, len = 0;
    struct rcm_key tmp;     /* out may be the kek itself */
    enum rcm_err err = RCM_E_INVAL;
    if (!wrap_aad(context, aad, &aad_len))
        err = RCM_E_INVAL;
    else if (wrapped_len != RCM_KEY_WRAPPED_BYTES)
        err = RCM_E_PARSE;
    else
        err = rcm_aead_open(kek, aad, aad_len, wrapped, wrapped_len, tmp.bytes,
                            RCM_KEY_BYTES, &len);
    if (err == RCM_OK && len == RCM_KEY_BYTES)
        rcm_key_from_bytes(out, tmp.bytes);
    else
        rcm_key_wipe(out);
    rcm_key_wipe(&tmp);
    return err != RCM_OK ? err : len == RCM_KEY_BYTES ? RCM_OK : RCM_E_CRYPTO;
}

enum rcm_err
rcm_key_rewrap(const struct rcm_key *old_kek, const struct rcm_key *new_kek,
               const char *context, const uint8_t *wrapped, size_t wrapped_len,
               uint8_t out[RCM_KEY_WRAPPED_BYTES])
{
    uint32_t id = 0;
    struct rcm_key key;
    enum rcm_err err = rcm_aead_key_id(wrapped, wrapped_len, &id);
    if (err == RCM_OK && id == new_kek->key_id) {
        err = rcm_key_unwrap(new_kek, context, wrapped, wrapped_len, &key);
        if (err == RCM_OK)
            memcpy(out, wrapped, RCM_KEY_WRAPPED_BYTES);    /* already rotated */
    } else if (err == RCM_OK) {
        err = rcm_key_unwrap(old_kek, context, wrapped, wrapped_len, &key);
        if (err == RCM_OK)
            err = rcm_key_wrap(new_kek, context, &key, out);
    }
    rcm_key_wipe(&key);
    if (err != RCM_OK)
        rcm_crypto_wipe(out, RCM_KEY_WRAPPED_BYTES);
    return err;
}
