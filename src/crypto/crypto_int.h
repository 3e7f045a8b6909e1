/*
 * crypto_int.h — helpers shared by the files of src/crypto (not public).
 */
#ifndef RCM_CRYPTO_INT_H
#define RCM_CRYPTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* sodium_init() once per process; aborts if libsodium cannot start. */
void crypto_sodium_ready(void);

/* True for an id of 1..RCM_ID_MAX_LEN characters of [A-Za-z0-9_.-]. */
bool crypto_id_valid(const char *id);

static inline void
crypto_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t
crypto_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
