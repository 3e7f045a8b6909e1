/*
 * rcm/crypto.h — every cryptographic operation openrcm performs, behind one
 * header so a FIPS-validated provider could be swapped in underneath.
 *
 * Hashes, MACs, randomness and AEAD use OpenSSL 3 libcrypto; password
 * hashing uses libsodium (Argon2id). Functions fail closed: on any failure
 * outputs are wiped and an error returned. Fixed-size outputs go into
 * caller-provided buffers; nothing here allocates on a hot path.
 */
#ifndef RCM_CRYPTO_H
#define RCM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

#define RCM_SHA256_BYTES 32
#define RCM_TOKEN_BYTES 32          /* 256-bit opaque tokens */
#define RCM_TOKEN_TEXT_LEN 43       /* base64url without padding */

/* ---- hashes, MACs, randomness (crypto_hash.c) ------------------------- */

/* Fill buf with n bytes from the system CSPRNG. Aborts the process if the
 * CSPRNG fails (continuing without randomness would be worse). */
void rcm_random_bytes(void *buf, size_t n);

void rcm_sha256(const void *p, size_t n, uint8_t out[RCM_SHA256_BYTES]);

/* Incremental SHA-256 for hashing several pieces without copying. */
struct rcm_sha256_ctx {
    void *md;                       /* EVP_MD_CTX */
};
RCM_MUST_CHECK enum rcm_err rcm_sha256_init(struct rcm_sha256_ctx *ctx);
void rcm_sha256_update(struct rcm_sha256_ctx *ctx, const void *p, size_t n);
void rcm_sha256_final(struct rcm_sha256_ctx *ctx, uint8_t out[RCM_SHA256_BYTES]);

void rcm_hmac_sha256(const uint8_t *key, size_t key_len, const void *p, size_t n,
                     uint8_t out[RCM_SHA256_BYTES]);

/* Constant-time comparison of two n-byte buffers. */
bool rcm_crypto_equal(const void *a, const void *b, size_t n);

/* Overwrite n bytes in a way the compiler cannot elide. */
void rcm_crypto_wipe(void *p, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void rcm_hex_encode(const uint8_t *p, size_t n, char *out);
/* Parse exactly 2n hex digits into out; RCM_E_PARSE otherwise. */
RCM_MUST_CHECK enum rcm_err rcm_hex_decode(const char *hex, uint8_t *out, size_t n);

/*
 * A new 256-bit opaque token as base64url text (RCM_TOKEN_TEXT_LEN chars +
 * NUL) — for sessions, API keys, CSRF. Store only rcm_token_hash() of it.
 */
void rcm_token_new(char out[RCM_TOKEN_TEXT_LEN + 1]);
/* SHA-256 of the token text, as hex (65 bytes). Tokens carry 256 bits of
 * entropy, so a fast hash is enough to make a stolen table useless. */
void rcm_token_hash(const char *token, char out_hex[2 * RCM_SHA256_BYTES + 1]);

/* ======================================================================
 * Everything below is the field-encryption, key, blind-index, password,
 * TOTP and recovery-code layer (issue 6). docs/security.md describes the
 * formats; they are stable on disk, so changing one needs a new version.
 * ====================================================================== */

/* ---- keys (crypto_keys.c) --------------------------------------------- */

#define RCM_KEY_BYTES 32            /* AES-256 / HMAC-SHA-256 key */
#define RCM_ID_MAX_LEN 64           /* tenant, patient, row ids */
#define RCM_TABLE_NAME_MAX_LEN 63   /* table and column names in AAD */

/* AES-256-GCM envelope sizes (format below, crypto_aead.c). */
#define RCM_AEAD_VERSION 1
#define RCM_AEAD_NONCE_BYTES 12
#define RCM_AEAD_TAG_BYTES 16
#define RCM_AEAD_HEADER_BYTES (1 + 4 + RCM_AEAD_NONCE_BYTES)
#define RCM_AEAD_OVERHEAD_BYTES (RCM_AEAD_HEADER_BYTES + RCM_AEAD_TAG_BYTES)
#define RCM_AEAD_MAX_PLAIN_BYTES (16u << 20)   /* one field: 16 MiB */
#define RCM_AEAD_MAX_AAD_BYTES 4096

/*
 * A 256-bit secret key and its 32-bit id. The id is a fingerprint of the
 * key (see rcm_key_id_of), never 0, so an envelope or wrapped key names the
 * key that sealed it without any registry: rotation compares ids.
 * Wipe with rcm_key_wipe when done; long-lived keys (master, tenant caches)
 * should come from rcm_key_alloc, which locks the page in RAM.
 */
struct rcm_key {
    uint32_t key_id;
    uint8_t bytes[RCM_KEY_BYTES];
};

/* The id of key material: the first 4 bytes (big-endian) of
 * HMAC-SHA-256(key, "openrcm/key-id/v1"); 0 is mapped to 1. */
uint32_t rcm_key_id_of(const uint8_t bytes[RCM_KEY_BYTES]);

/* Fill `out` with a fresh random key whose id differs from `avoid_id` (pass
 * 0 for none) — rotation passes the id of the key being replaced so old and
 * new can always be told apart. */
void rcm_key_generate(struct rcm_key *out, uint32_t avoid_id);

/* Set `out` from raw bytes, computing the id. */
void rcm_key_from_bytes(struct rcm_key *out, const uint8_t bytes[RCM_KEY_BYTES]);

/* Wipe a key (compiler cannot elide it). Safe on NULL. */
void rcm_key_wipe(struct rcm_key *key);

/* A zeroed key in guarded, mlock'ed memory (libsodium sodium_malloc), or
 * NULL on failure. Release with rcm_key_free, which wipes it. */
struct rcm_key *rcm_key_alloc(void);
void rcm_key_free(struct rcm_key *key);

/*
 * Master key file: exactly 64 hex digits (32 bytes) and an optional final
 * newline; the file must be a regular file (not a symlink) with no group or
 * other permission bits (mode 0600 or 0400). Anything else is refused
 * with RCM_E_PERM (mode) or RCM_E_PARSE (content); a missing file is
 * RCM_E_NOT_FOUND. `diag` never receives key material.
 */
RCM_MUST_CHECK enum rcm_err rcm_master_key_load(const char *path, struct rcm_key *out,
                                                struct rcm_diag *diag);

/*
 * Write a new random master key to `path` with mode 0600, atomically: a
 * temporary file in the same directory is written, fsync'ed and then
 * hard-linked to `path`, so readers see either no file or a complete one,
 * and an existing key file is NEVER replaced (RCM_E_CONFLICT) — losing a
 * master key loses every tenant's data. `out` (may be NULL) gets the key.
 */
RCM_MUST_CHECK enum rcm_err rcm_master_key_create(const char *path, struct rcm_key *out,
                                                  struct rcm_diag *diag);

/* Wrapped key: an AEAD envelope (see below) of the 32 key bytes. */
#define RCM_KEY_WRAPPED_BYTES (RCM_AEAD_OVERHEAD_BYTES + RCM_KEY_BYTES)
#define RCM_KEY_CONTEXT_MAX_LEN (16 + 2 * RCM_ID_MAX_LEN)

/*
 * Wrapping contexts, the AAD of a wrapped key, so a wrapped key cannot be
 * moved to another tenant or patient:
 *   "tenant:<tenant_id>"                 tenant key under the master key
 *   "patient:<tenant_id>:<patient_id>"   patient data key under the tenant key
 * Ids are 1..RCM_ID_MAX_LEN characters of [A-Za-z0-9_.-]; RCM_E_INVAL
 * otherwise. `out` holds RCM_KEY_CONTEXT_MAX_LEN + 1 bytes.
 */
RCM_MUST_CHECK enum rcm_err rcm_key_context_tenant(const char *tenant_id,
                                                   char out[RCM_KEY_CONTEXT_MAX_LEN + 1]);
RCM_MUST_CHECK enum rcm_err rcm_key_context_patient(const char *tenant_id,
                                                    const char *patient_id,
                                                    char out[RCM_KEY_CONTEXT_MAX_LEN + 1]);

/* Seal `key` under `kek` bound to `context`. The envelope's key id is the
 * kek's id (which key to unwrap with); the wrapped key's own id is
 * recomputed on unwrap. */
RCM_MUST_CHECK enum rcm_err rcm_key_wrap(const struct rcm_key *kek, const char *context,
                                         const struct rcm_key *key,
                                         uint8_t out[RCM_KEY_WRAPPED_BYTES]);
/* Open a wrapped key; any mismatch (kek, context, tampering) fails with
 * `out` wiped. `out` may be the kek itself. */
RCM_MUST_CHECK enum rcm_err rcm_key_unwrap(const struct rcm_key *kek, const char *context,
                                           const uint8_t *wrapped, size_t wrapped_len,
                                           struct rcm_key *out);

/*
 * Rotation hook: re-wrap a wrapped key from `old_kek` to `new_kek` under the
 * same context without the caller seeing the key. RCM_OK with `out` equal
 * to a fresh wrap under new_kek; if `wrapped` already names new_kek's id it
 * is only verified and copied (so a resumed job can run over rows it has
 * done). Errors as rcm_key_unwrap; `out` is wiped on failure.
 */
RCM_MUST_CHECK enum rcm_err rcm_key_rewrap(const struct rcm_key *old_kek,
                                           const struct rcm_key *new_kek, const char *context,
                                           const uint8_t *wrapped, size_t wrapped_len,
                                           uint8_t out[RCM_KEY_WRAPPED_BYTES]);

/* ---- AES-256-GCM field envelope (crypto_aead.c) ----------------------- */

/*
 * Envelope: version(1) = 1 | key_id(4, big-endian) | nonce(12, random) |
 * ciphertext (same length as the plaintext) | tag(16).
 * The GCM associated data is the 5 header bytes followed by the caller's
 * AAD, so version and key id are authenticated too.
 */
/* (the RCM_AEAD_* sizes are defined with the keys above) */

/*
 * Seal plain[0..plain_len) with `key` and a fresh random nonce into
 * out[0..out_cap); *out_len = plain_len + RCM_AEAD_OVERHEAD_BYTES.
 * RCM_E_TOO_LARGE when out_cap is too small or a limit is passed. `out`
 * must not overlap `plain`. On failure `out` is wiped.
 */
RCM_MUST_CHECK enum rcm_err rcm_aead_seal(const struct rcm_key *key,
                                          const uint8_t *aad, size_t aad_len,
                                          const uint8_t *plain, size_t plain_len,
                                          uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Open an envelope sealed with `key` and the same AAD into out[0..out_cap);
 * *out_len = env_len - RCM_AEAD_OVERHEAD_BYTES. Errors: RCM_E_PARSE
 * (shorter than the overhead), RCM_E_UNSUPPORTED (version), RCM_E_NOT_FOUND
 * (sealed under another key id), RCM_E_TOO_LARGE (out_cap), RCM_E_CRYPTO
 * (authentication failed: wrong key, wrong AAD or tampered). On any
 * failure out[0..out_cap) is wiped and *out_len is 0.
 */
RCM_MUST_CHECK enum rcm_err rcm_aead_open(const struct rcm_key *key,
                                          const uint8_t *aad, size_t aad_len,
                                          const uint8_t *env, size_t env_len,
                                          uint8_t *out, size_t out_cap, size_t *out_len);

/* The key id an envelope names (for rotation: which key sealed this?).
 * RCM_E_PARSE when too short, RCM_E_UNSUPPORTED for another version. */
RCM_MUST_CHECK enum rcm_err rcm_aead_key_id(const uint8_t *env, size_t env_len,
                                            uint32_t *key_id);

/*
 * Canonical AAD for a PHI column value, binding tenant, table, column and
 * row so an envelope cannot be moved to another cell:
 *   "rcm-aad-v1" | len(tenant) tenant | len(table) table |
 *   len(column) column | len(row) row        (each len one byte)
 * Ids as for rcm_key_context_*; table and column 1..63 of [a-z0-9_].
 * RCM_E_INVAL for a bad name, RCM_E_TOO_LARGE when out_cap is short.
 */
#define RCM_AEAD_AAD_MAX_BYTES (10 + 4 + 2 * RCM_ID_MAX_LEN + 2 * RCM_TABLE_NAME_MAX_LEN)
RCM_MUST_CHECK enum rcm_err rcm_aead_aad_build(const char *tenant_id, const char *table,
                                               const char *column, const char *row_id,
                                               uint8_t *out, size_t out_cap,
                                               size_t *out_len);

/* ---- blind indexes (crypto_blind.c) ----------------------------------- */

#define RCM_BLIND_INDEX_BYTES 16    /* HMAC-SHA-256 truncated to 128 bits */
#define RCM_BLIND_NORM_MAX_BYTES 512

enum rcm_blind_kind {
    RCM_BLIND_MEMBER_ID = 1,
    RCM_BLIND_MRN = 2,
    RCM_BLIND_NAME_DOB = 3,
    RCM_BLIND_SSN = 4,
};

/*
 * Derive the blind-index key for one kind of value from a tenant key:
 * HKDF-SHA-256 (RFC 5869), salt "openrcm/blind-index/v1", info
 * "<kind number>", 32 bytes. Separate keys per kind keep equal values of
 * different kinds from matching; the tenant key itself is never used as
 * an HMAC key.
 */
RCM_MUST_CHECK enum rcm_err rcm_blind_key_derive(const struct rcm_key *tenant_key,
                                                 enum rcm_blind_kind kind,
                                                 struct rcm_key *out);

/* HMAC-SHA-256(bkey, normalised) truncated to RCM_BLIND_INDEX_BYTES. */
void rcm_blind_index(const struct rcm_key *bkey, const char *normalised, size_t n,
                     uint8_t out[RCM_BLIND_INDEX_BYTES]);

/*
 * Normalise an identifier (member id, MRN, SSN): drop spaces, tabs, '-',
 * '.', '/'; upper-case ASCII letters; every remaining byte must be an ASCII
 * letter or digit (RCM_E_INVAL otherwise, or when nothing is left). Leading
 * zeros are kept. out holds out_cap bytes including the NUL.
 */
RCM_MUST_CHECK enum rcm_err rcm_blind_norm_id(const char *in, size_t n, char *out,
                                              size_t out_cap, size_t *out_len);

/*
 * Normalise last name + first name + date of birth to
 *   "<last>|<first>|<YYYY-MM-DD>"
 * where each name is UTF-8 folded by a frozen table (so an index never
 * changes under a library upgrade): ASCII lower-case; Latin-1 and Latin
 * Extended-A letters to their base letters (é→e, ß→ss, æ→ae, ø→o, ł→l,
 * þ→th); combining marks U+0300–U+036F dropped; every other character
 * that is not a letter or digit (spaces, '-', '\'', '’', '.', ',') dropped;
 * letters of other scripts kept as they are. RCM_E_INVAL for bad UTF-8, an
 * empty name after folding, or an out-of-range date.
 */
RCM_MUST_CHECK enum rcm_err rcm_blind_norm_name_dob(const char *last, const char *first,
                                                    int32_t dob_days, char *out,
                                                    size_t out_cap, size_t *out_len);

/* ---- password hashing (crypto_pwhash.c) ------------------------------- */

#define RCM_PWHASH_STR_BYTES 128    /* crypto_pwhash_STRBYTES */
#define RCM_PASSWORD_MAX_BYTES 256  /* longer input is refused, never truncated */

struct rcm_pwhash_params {
    uint64_t opslimit;              /* Argon2id passes (t) */
    size_t memlimit_bytes;          /* Argon2id memory (m) */
};

/* t = 2, m = 64 MiB (libsodium INTERACTIVE): ~110 ms on this 2-core EPYC,
 * above OWASP's minimum (t=2, m=19 MiB); see docs/security.md. */
struct rcm_pwhash_params rcm_pwhash_params_default(void);

/* Hash a password into an encoded "$argon2id$v=19$..." string (salt
 * included). RCM_E_TOO_LARGE past RCM_PASSWORD_MAX_BYTES, RCM_E_NOMEM when
 * the memory cannot be had. */
RCM_MUST_CHECK enum rcm_err rcm_pwhash(const char *password, size_t n,
                                       const struct rcm_pwhash_params *params,
                                       char out[RCM_PWHASH_STR_BYTES]);
/* RCM_OK when the password matches, RCM_E_PERM when it does not,
 * RCM_E_PARSE when `encoded` is not an Argon2id string. */
RCM_MUST_CHECK enum rcm_err rcm_pwhash_verify(const char *encoded, const char *password,
                                              size_t n);
/* True when `encoded` was made with other parameters (or is unreadable):
 * rehash at the next successful login. */
bool rcm_pwhash_needs_rehash(const char *encoded, const struct rcm_pwhash_params *params);

/* ---- TOTP (crypto_totp.c) --------------------------------------------- */

enum rcm_totp_alg { RCM_TOTP_SHA1 = 0, RCM_TOTP_SHA256 = 1, RCM_TOTP_SHA512 = 2 };

#define RCM_TOTP_SECRET_BYTES 20            /* 160 bits, RFC 4226 R6 */
#define RCM_TOTP_SECRET_MIN_BYTES 20
#define RCM_TOTP_SECRET_MAX_BYTES 64

struct rcm_totp_params {
    enum rcm_totp_alg alg;
    unsigned digits;        /* 6..8 */
    unsigned step_s;        /* X, seconds */
    int64_t t0_s;           /* T0, Unix seconds */
    unsigned window;        /* steps accepted either side of now */
};

/* SHA-1, 6 digits, 30 s, T0 = 0, ±1 step. */
struct rcm_totp_params rcm_totp_params_default(void);

/* A fresh random 160-bit secret. */
void rcm_totp_secret_new(uint8_t out[RCM_TOTP_SECRET_BYTES]);

/* HOTP (RFC 4226) value for `counter`, `digits` digits, as a NUL-terminated
 * zero-padded decimal string in out[9]. RCM_E_INVAL for a bad digit count
 * or a secret outside RCM_TOTP_SECRET_MIN/MAX_BYTES. */
RCM_MUST_CHECK enum rcm_err rcm_hotp(const uint8_t *secret, size_t secret_len,
                                     enum rcm_totp_alg alg, uint64_t counter,
                                     unsigned digits, char out[9]);

/* The TOTP time step for `unix_s` (floor((t - T0) / X)); -1 before T0. */
int64_t rcm_totp_step(const struct rcm_totp_params *params, int64_t unix_s);

/* The TOTP code at `unix_s`. */
RCM_MUST_CHECK enum rcm_err rcm_totp_code(const uint8_t *secret, size_t secret_len,
                                          const struct rcm_totp_params *params,
                                          int64_t unix_s, char out[9]);

/*
 * Verify `code` at `now_s` within ±window steps. `last_step` is the step of
 * the last accepted code for this secret (-1 if none; the caller stores
 * it); a code for that step or an earlier one is a replay. On success
 * *accepted_step gets the matched step — store it as the new last_step.
 * Every step in the window is computed and compared in constant time.
 * Returns RCM_OK, RCM_E_PERM (wrong code or malformed input),
 * RCM_E_CONFLICT (replay of an accepted step), RCM_E_INVAL (bad params or
 * secret).
 */
RCM_MUST_CHECK enum rcm_err rcm_totp_verify(const uint8_t *secret, size_t secret_len,
                                            const struct rcm_totp_params *params,
                                            const char *code, int64_t now_s,
                                            int64_t last_step, int64_t *accepted_step);

/* RFC 4648 base32 (upper case, no padding when `pad` is false) into out,
 * which needs rcm_base32_encoded_len(n, pad) + 1 bytes. */
size_t rcm_base32_encoded_len(size_t n, bool pad);
void rcm_base32_encode(const uint8_t *p, size_t n, bool pad, char *out);
/* Decode RFC 4648 base32: case-insensitive, '=' padding optional but only
 * at the end, no other characters. RCM_E_PARSE for bad input (including
 * non-zero trailing bits), RCM_E_TOO_LARGE when it does not fit out_cap. */
RCM_MUST_CHECK enum rcm_err rcm_base32_decode(const char *in, size_t n, uint8_t *out,
                                              size_t out_cap, size_t *out_len);

/*
 * Enrolment URI (Google Authenticator key-URI format):
 *   otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>
 *     &algorithm=SHA1&digits=6&period=30
 * issuer and account are percent-encoded (RFC 3986 unreserved characters
 * kept), must be non-empty UTF-8 and at most 128 bytes each.
 * RCM_E_TOO_LARGE when out_cap is short. The URI contains the secret:
 * never log it.
 */
#define RCM_TOTP_URI_MAX_BYTES 1024
RCM_MUST_CHECK enum rcm_err rcm_totp_uri(const uint8_t *secret, size_t secret_len,
                                         const struct rcm_totp_params *params,
                                         const char *issuer, const char *account,
                                         char *out, size_t out_cap);

/* ---- QR codes (crypto_qr.c, libqrencode) ------------------------------ */

/* A QR symbol: width × width modules, modules[y * width + x] = 1 for dark. */
struct rcm_qr {
    unsigned width;
    uint8_t *modules;       /* owned; rcm_qr_release */
};

/* Encode `text` (byte mode, error correction level M, smallest version). */
RCM_MUST_CHECK enum rcm_err rcm_qr_encode(const char *text, struct rcm_qr *out);
void rcm_qr_release(struct rcm_qr *qr);

/*
 * Render as a standalone SVG document (one <path>, 4-module quiet zone,
 * `module_px` pixels per module, 1..64) into out (a NUL-terminated string
 * the caller frees with rcm_free). RCM_E_INVAL / RCM_E_NOMEM.
 */
RCM_MUST_CHECK enum rcm_err rcm_qr_svg(const struct rcm_qr *qr, unsigned module_px,
                                       char **out, size_t *out_len);

/* ---- recovery codes (crypto_recovery.c) ------------------------------- */

/*
 * A recovery code is 16 characters of Crockford base32 (80 random bits)
 * shown as "XXXX-XXXX-XXXX-XXXX". Only its hash is stored:
 *   SHA-256("openrcm/recovery/v1" | 0 | user_id | 0 | normalised code)
 * 80 bits of entropy make a slow hash unnecessary (as for session tokens);
 * the user id binds a stored hash to its account.
 */
#define RCM_RECOVERY_CODE_LEN 19    /* with the three dashes */
#define RCM_RECOVERY_MAX_CODES 32

void rcm_recovery_code_new(char out[RCM_RECOVERY_CODE_LEN + 1]);

/* Hash of a code as typed: case-insensitive, dashes and spaces ignored,
 * Crockford's I/L → 1 and O → 0. RCM_E_INVAL when it is not 16 symbols. */
RCM_MUST_CHECK enum rcm_err rcm_recovery_code_hash(const char *user_id, const char *code,
                                                   uint8_t out[RCM_SHA256_BYTES]);

/*
 * Check `code` against `count` stored hashes; every entry is compared (no
 * early exit) in constant time. On a match *index gets its position — the
 * caller deletes that hash (single use). RCM_E_PERM when none matches.
 */
RCM_MUST_CHECK enum rcm_err rcm_recovery_code_verify(const char *user_id, const char *code,
                                                     const uint8_t (*hashes)[RCM_SHA256_BYTES],
                                                     size_t count, size_t *index);

#endif
