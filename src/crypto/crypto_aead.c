/*
 * crypto_aead.c — the AES-256-GCM field envelope (OpenSSL EVP) and the
 * canonical associated data that binds a ciphertext to its cell.
 *
 * One EVP_CIPHER_CTX per thread is created on first use and reused, so a
 * seal or open allocates nothing after warm-up. Nonces are 96 random bits
 * from RAND_bytes, drawn 85 at a time into a per-thread pool (one
 * RAND_bytes call costs about as much as a whole seal); a fork handler
 * empties every pool so a child never reuses its parent's nonces.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "rcm/crypto.h"

static pthread_once_t cipher_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;
static EVP_CIPHER *gcm_cipher;

static void
ctx_destroy(void *p)
{
    EVP_CIPHER_CTX_free(p);
}

/* ---- nonce pool ---- */

#define NONCE_POOL_COUNT 85

static _Atomic unsigned fork_generation;

struct nonce_pool {
    uint8_t bytes[NONCE_POOL_COUNT * RCM_AEAD_NONCE_BYTES];
    unsigned next;          /* nonces used; NONCE_POOL_COUNT = empty */
    unsigned generation;    /* fork_generation when filled */
};

static _Thread_local struct nonce_pool pool = {.next = NONCE_POOL_COUNT};

static void
after_fork_in_child(void)
{
    fork_generation++;      /* every thread's pool is stale in the child */
}

/* The next unused random nonce; each pool byte is handed out once. */
static void
next_nonce(uint8_t out[RCM_AEAD_NONCE_BYTES])
{
    unsigned gen = fork_generation;
    if (pool.next >= NONCE_POOL_COUNT || pool.generation != gen) {
        rcm_random_bytes(pool.bytes, sizeof pool.bytes);
        pool.next = 0;
        pool.generation = gen;
    }
    uint8_t *p = pool.bytes + (size_t)pool.next++ * RCM_AEAD_NONCE_BYTES;
    memcpy(out, p, RCM_AEAD_NONCE_BYTES);
    memset(p, 0, RCM_AEAD_NONCE_BYTES);
}

static void
cipher_init(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
    gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (pthread_key_create(&ctx_key, ctx_destroy) != 0)
        gcm_cipher = NULL;
}

/* This thread's cipher context, reset; NULL when OpenSSL cannot give one. */
static EVP_CIPHER_CTX *
thread_ctx(void)
{
    pthread_once(&cipher_once, cipher_init);
    if (!gcm_cipher)
        return NULL;
    EVP_CIPHER_CTX *ctx = pthread_getspecific(ctx_key);
    if (!ctx) {
        ctx = EVP_CIPHER_CTX_new();
        if (!ctx || pthread_setspecific(ctx_key, ctx) != 0) {
            EVP_CIPHER_CTX_free(ctx);
            return NULL;
        }
    } else {
        EVP_CIPHER_CTX_reset(ctx);
    }
    return ctx;
}

/* Feed the header and the caller's AAD as GCM associated data. */
static bool
add_aad(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *hdr, const uint8_t *aad,
        size_t aad_len)
{
    int n = 0;
    int (*update)(EVP_CIPHER_CTX *, unsigned char *, int *, const unsigned char *, int) =
        enc ? EVP_EncryptUpdate : EVP_DecryptUpdate;
    if (update(ctx, NULL, &n, hdr, 5) != 1)
        return false;
    return aad_len == 0 || update(ctx, NULL, &n, aad, (int)aad_len) == 1;
}

enum rcm_err
rcm_aead_seal(const struct rcm_key *key, const uint8_t *aad, size_t aad_len,
              const uint8_t *plain, size_t plain_len, uint8_t *out, size_t out_cap,
              size_t *out_len)
{
    *out_len = 0;
    if (!key || key->key_id == 0)
        return RCM_E_INVAL;
    if (plain_len > RCM_AEAD_MAX_PLAIN_BYTES || aad_len > RCM_AEAD_MAX_AAD_BYTES ||
        out_cap < plain_len + RCM_AEAD_OVERHEAD_BYTES)
        return RCM_E_TOO_LARGE;
    EVP_CIPHER_CTX *ctx = thread_ctx();
    if (!ctx)
        return RCM_E_NOMEM;

    out[0] = RCM_AEAD_VERSION;
    crypto_put_be32(out + 1, key->key_id);
    uint8_t *nonce = out + 5;
    next_nonce(nonce);
    uint8_t *ct = out + RCM_AEAD_HEADER_BYTES;
    int n = 0, fin = 0;
    bool ok = EVP_EncryptInit_ex2(ctx, gcm_cipher, key->bytes, nonce, NULL) == 1 &&
              add_aad(ctx, 1, out, aad, aad_len) &&
              EVP_EncryptUpdate(ctx, ct, &n, plain, (int)plain_len) == 1 &&
              EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1 &&
              (size_t)(n + fin) == plain_len &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, RCM_AEAD_TAG_BYTES,
                                  ct + plain_len) == 1;
    EVP_CIPHER_CTX_reset(ctx);      /* drops the key schedule */
    if (!ok) {
        rcm_crypto_wipe(out, out_cap);
        return RCM_E_CRYPTO;
    }
    *out_len = plain_len + RCM_AEAD_OVERHEAD_BYTES;
    return RCM_OK;
}

enum rcm_err
rcm_aead_key_id(const uint8_t *env, size_t env_len, uint32_t *key_id)
{
    *key_id = 0;
    if (env_len < RCM_AEAD_OVERHEAD_BYTES)
        return RCM_E_PARSE;
    if (env[0] != RCM_AEAD_VERSION)
        return RCM_E_UNSUPPORTED;
    *key_id = crypto_get_be32(env + 1);
    return RCM_OK;
}

/* Wipe the output and report `err` (every failure path of open). */
static enum rcm_err
open_fail(uint8_t *out, size_t out_cap, size_t *out_len, enum rcm_err err)
{
    if (out && out_cap)
        rcm_crypto_wipe(out, out_cap);
    *out_len = 0;
    return err;
}

enum rcm_err
rcm_aead_open(const struct rcm_key *key, const uint8_t *aad, size_t aad_len,
              const uint8_t *env, size_t env_len, uint8_t *out, size_t out_cap,
              size_t *out_len)
{
    uint32_t id = 0;
    enum rcm_err err = rcm_aead_key_id(env, env_len, &id);
    if (err != RCM_OK)
        return open_fail(out, out_cap, out_len, err);
    if (!key || key->key_id == 0 || aad_len > RCM_AEAD_MAX_AAD_BYTES)
        return open_fail(out, out_cap, out_len, RCM_E_INVAL);
    if (id != key->key_id)
        return open_fail(out, out_cap, out_len, RCM_E_NOT_FOUND);
    size_t ct_len = env_len - RCM_AEAD_OVERHEAD_BYTES;
    if (ct_len > RCM_AEAD_MAX_PLAIN_BYTES || ct_len > out_cap)
        return open_fail(out, out_cap, out_len, RCM_E_TOO_LARGE);
    EVP_CIPHER_CTX *ctx = thread_ctx();
    if (!ctx)
        return open_fail(out, out_cap, out_len, RCM_E_NOMEM);

    const uint8_t *ct = env + RCM_AEAD_HEADER_BYTES;
    uint8_t scratch[1], *dst = out ? out : scratch;     /* out may be NULL for "" */
    uint8_t tag[RCM_AEAD_TAG_BYTES];
    memcpy(tag, ct + ct_len, sizeof tag);
    int n = 0, fin = 0;
    bool ok = EVP_DecryptInit_ex2(ctx, gcm_cipher, key->bytes, env + 5, NULL) == 1 &&
              add_aad(ctx, 0, env, aad, aad_len) &&
              EVP_DecryptUpdate(ctx, dst, &n, ct, (int)ct_len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof tag, tag) == 1 &&
              EVP_DecryptFinal_ex(ctx, dst + n, &fin) == 1 &&
              (size_t)(n + fin) == ct_len;
    EVP_CIPHER_CTX_reset(ctx);
    if (!ok)
        return open_fail(out, out_cap, out_len, RCM_E_CRYPTO);
    *out_len = ct_len;
    return RCM_OK;
}

/* True for 1..RCM_TABLE_NAME_MAX_LEN characters of [a-z0-9_]. */
static bool
sql_name_valid(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
        if (n >= RCM_TABLE_NAME_MAX_LEN)
            return false;
    }
    return n > 0;
}

/* Append one length-prefixed field. */
static void
put_field(uint8_t *out, size_t *o, const char *s)
{
    size_t n = strlen(s);
    out[(*o)++] = (uint8_t)n;
    memcpy(out + *o, s, n);
    *o += n;
}

enum rcm_err
rcm_aead_aad_build(const char *tenant_id, const char *table, const char *column,
                   const char *row_id, uint8_t *out, size_t out_cap, size_t *out_len)
{
    static const char magic[] = "rcm-aad-v1";
    *out_len = 0;
    if (!crypto_id_valid(tenant_id) || !crypto_id_valid(row_id) ||
        !sql_name_valid(table) || !sql_name_valid(column))
        return RCM_E_INVAL;
    size_t need = sizeof magic - 1 + 4 + strlen(tenant_id) + strlen(table) +
                  strlen(column) + strlen(row_id);
    if (out_cap < need)
        return RCM_E_TOO_LARGE;
    size_t o = sizeof magic - 1;
    memcpy(out, magic, o);
    put_field(out, &o, tenant_id);
    put_field(out, &o, table);
    put_field(out, &o, column);
    put_field(out, &o, row_id);
    *out_len = o;
    return RCM_OK;
}
