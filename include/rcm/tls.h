/*
 * rcm/tls.h — TLS material for the server.
 *
 * Production deployments configure a certificate and key
 * (server.tls_cert_file / server.tls_key_file). For development and tests,
 * openrcm makes its own self-signed certificate on first start so that the
 * server never speaks plain HTTP, not even on a laptop.
 */
#ifndef RCM_TLS_H
#define RCM_TLS_H

#include <stddef.h>

#include "rcm/err.h"

/*
 * Make sure `dir` holds dev-cert.pem and dev-key.pem (key mode 0600): an
 * ECDSA P-256 self-signed certificate for localhost and 127.0.0.1, valid for
 * 397 days. Existing files are kept. The directory is created 0700.
 */
RCM_MUST_CHECK enum rcm_err rcm_tls_dev_cert_ensure(const char *dir,
                                                    struct rcm_diag *diag);

/*
 * Read a whole PEM file (at most 1 MiB) into *out, NUL-terminated, returned
 * owned (free with rcm_tls_pem_free, which wipes it: it may be a key).
 */
RCM_MUST_CHECK enum rcm_err rcm_tls_pem_read(const char *path, char **out,
                                             struct rcm_diag *diag);
void rcm_tls_pem_free(char *pem);

#endif
