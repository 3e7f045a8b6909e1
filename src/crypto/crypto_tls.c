/*
 * crypto_tls.c — development certificate and PEM loading (OpenSSL).
 */
#include "rcm/tls.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/mem.h"

#define PEM_MAX_BYTES (1024 * 1024)

static enum rcm_err
add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return RCM_E_CRYPTO;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? RCM_OK : RCM_E_CRYPTO;
}

static X509 *
make_cert(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    if (!cert)
        return NULL;
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    X509_NAME *name = X509_get_subject_name(cert);
    bool ok = RAND_bytes(serial, sizeof serial) == 1;
    serial[0] &= 0x7f;      /* positive */
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL &&
         X509_set_version(cert, 2) &&
         X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(cert), 397L * 86400) &&
         X509_set_pubkey(cert, key) &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                    (const unsigned char *)"openrcm", -1, -1, 0) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"openrcm development",
                                    -1, -1, 0) &&
         X509_set_issuer_name(cert, name) &&
         add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") == RCM_OK &&
         add_ext(cert, NID_key_usage, "critical,digitalSignature") == RCM_OK &&
         add_ext(cert, NID_ext_key_usage, "serverAuth") == RCM_OK &&
         add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") == RCM_OK &&
         X509_sign(cert, key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* Write via a temporary file and rename, so a crash leaves no half file. */
static enum rcm_err
write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert,
          struct rcm_diag *diag)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot create %s: %s", tmp,
                             strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return rcm_diag_fail(diag, RCM_E_IO, "cannot write %s", tmp);
    }
    int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_X509(f, cert);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        ok = 0;
    fclose(f);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return rcm_diag_fail(diag, RCM_E_IO, "cannot write %s", path);
    }
    return RCM_OK;
}

enum rcm_err
rcm_tls_dev_cert_ensure(const char *dir, struct rcm_diag *diag)
{
    char cert_path[4096], key_path[4096];
    snprintf(cert_path, sizeof cert_path, "%s/dev-cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/dev-key.pem", dir);
    if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0)
        return RCM_OK;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot create %s: %s", dir,
                             strerror(errno));
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "cannot generate a P-256 key");
    X509 *cert = make_cert(key);
    enum rcm_err err = cert ? RCM_OK
                            : rcm_diag_fail(diag, RCM_E_CRYPTO,
                                            "cannot build the development certificate");
    if (!err)
        err = write_pem(key_path, 0600, key, NULL, diag);
    if (!err)
        err = write_pem(cert_path, 0644, NULL, cert, diag);
    X509_free(cert);
    EVP_PKEY_free(key);
    return err;
}

enum rcm_err
rcm_tls_pem_read(const char *path, char **out, struct rcm_diag *diag)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot open %s: %s", path,
                             strerror(errno));
    char *buf = rcm_malloc(PEM_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, PEM_MAX_BYTES + 1, f) : 0;
    int failed = ferror(f);
    fclose(f);
    if (!buf)
        return RCM_E_NOMEM;
    if (failed || n > PEM_MAX_BYTES || n == 0) {
        rcm_tls_pem_free(buf);
        return rcm_diag_fail(diag, RCM_E_IO, "cannot read %s: %s", path,
                             n > PEM_MAX_BYTES ? "larger than 1 MiB"
                             : n == 0 ? "empty file" : "read error");
    }
    buf[n] = '\0';
    *out = buf;
    return RCM_OK;
}

void
rcm_tls_pem_free(char *pem)
{
    if (!pem)
        return;
    OPENSSL_cleanse(pem, strlen(pem));
    rcm_free(pem);
}
