/*
 * crypto_pwhash.c — password hashing with Argon2id (libsodium
 * crypto_pwhash_str), verification and parameter upgrades.
 */
#include <sodium.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "rcm/crypto.h"

struct rcm_pwhash_params
rcm_pwhash_params_default(void)
{
    return (struct rcm_pwhash_params){
        .opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE,       /* 2 */
        .memlimit_bytes = crypto_pwhash_MEMLIMIT_INTERACTIVE, /* 64 MiB */
    };
}

enum rcm_err
rcm_pwhash(const char *password, size_t n, const struct rcm_pwhash_params *params,
           char out[RCM_PWHASH_STR_BYTES])
{
    crypto_sodium_ready();
    memset(out, 0, RCM_PWHASH_STR_BYTES);
    if (n > RCM_PASSWORD_MAX_BYTES)
        return RCM_E_TOO_LARGE;
    if (params->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
        params->memlimit_bytes < crypto_pwhash_MEMLIMIT_MIN)
        return RCM_E_INVAL;
    if (crypto_pwhash_str_alg(out, password, n, params->opslimit, params->memlimit_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        memset(out, 0, RCM_PWHASH_STR_BYTES);
        return RCM_E_NOMEM;     /* libsodium fails only when memory is short */
    }
    return RCM_OK;
}

enum rcm_err
rcm_pwhash_verify(const char *encoded, const char *password, size_t n)
{
    crypto_sodium_ready();
    static const char prefix[] = "$argon2id$";
    if (!encoded || strncmp(encoded, prefix, sizeof prefix - 1) != 0 ||
        strlen(encoded) >= RCM_PWHASH_STR_BYTES)
        return RCM_E_PARSE;
    if (n > RCM_PASSWORD_MAX_BYTES)
        return RCM_E_PERM;
    return crypto_pwhash_str_verify(encoded, password, n) == 0 ? RCM_OK : RCM_E_PERM;
}

bool
rcm_pwhash_needs_rehash(const char *encoded, const struct rcm_pwhash_params *params)
{
    crypto_sodium_ready();
    if (!encoded || strlen(encoded) >= RCM_PWHASH_STR_BYTES)
        return true;
    /* 0 = current, 1 = other parameters, -1 = not an Argon2id string */
    return crypto_pwhash_str_needs_rehash(encoded, params->opslimit,
                                          params->memlimit_bytes) != 0;
}
