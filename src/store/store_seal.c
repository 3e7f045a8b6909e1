/*
 * store_seal.c — sealing single values of the revenue-cycle tables (an
 * encounter's note, a claim move's reason, a denial's note) and finding
 * the key of the patient they are about. The envelope's associated data
 * names tenant, table, column and the row's random uid, as for record
 * kinds (store_record.c), so a sealed value moved to another cell does not
 * open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

static const struct db_sql PATIENT_KEY_ROW = {
    "PATIENT_KEY_ROW", "SELECT p.uid, k.wrapped FROM patient p JOIN patient_key k ON "
    "k.patient_id = p.id WHERE p.tenant_id = ?1 AND p.id = ?2", NULL};

enum rcm_err
store_patient_key_row(struct db_tx *tx, struct store_patient_key_row *p, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PATIENT_KEY_ROW, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, p->tenant_id);
    db_bind_i64(st, 2, p->patient_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such patient");
    if (!db_col_blob_exact(st, 1, p->wrapped, RCM_KEY_WRAPPED_BYTES))
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "patient %" PRId64 ": malformed key row",
                             p->patient_id);
    rcm_str_copy(p->uid, sizeof p->uid, rcm_str_c(db_col_str(st, 0)));
    return RCM_OK;
}

static enum rcm_err
read_key_row(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    return store_patient_key_row(tx, ctx, diag);
}

enum rcm_err
store_patient_key_read(struct rcm_store *s, int64_t tenant_id, int64_t patient_id,
                       struct rcm_key *out, struct rcm_diag *diag)
{
    struct store_patient_key_row pk = {.tenant_id = tenant_id, .patient_id = patient_id};
    enum rcm_err err = store_read(s, read_key_row, &pk, diag);
    if (!err)
        err = store_patient_key_open(s, tenant_id, patient_id, pk.uid, pk.wrapped, out, diag);
    return err;
}

static enum rcm_err
value_aad(const struct store_cell *c, uint8_t *aad, size_t *aad_len)
{
    char tid[24];
    snprintf(tid, sizeof tid, "%" PRId64, c->tenant_id);
    return rcm_aead_aad_build(tid, c->table, c->column, c->uid, aad, RCM_AEAD_AAD_MAX_BYTES,
                              aad_len);
}

enum rcm_err
store_seal_value(const struct rcm_key *key, const struct store_cell *c, const char *value,
                 uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    size_t n = value ? strlen(value) : 0;
    if (n == 0)
        return RCM_OK;
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0;
    enum rcm_err err = value_aad(c, aad, &aad_len);
    return err ? err : rcm_aead_seal(key, aad, aad_len, (const uint8_t *)value, n, out, cap, len);
}

enum rcm_err
store_open_value(const struct rcm_key *key, const struct store_cell *c, const uint8_t *env,
                 size_t env_len, char *out, size_t cap, struct rcm_diag *diag)
{
    out[0] = '\0';
    if (env_len == 0)
        return RCM_OK;
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0, n = 0;
    enum rcm_err err = value_aad(c, aad, &aad_len);
    if (!err && cap > 0)
        err = rcm_aead_open(key, aad, aad_len, env, env_len, (uint8_t *)out, cap - 1, &n);
    if (err)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "%s %s does not open (altered or moved)",
                             c->table, c->column);
    out[n] = '\0';
    return RCM_OK;
}

bool
store_tenant_scoped(const struct rcm_actor *actor, const char *what, struct rcm_diag *diag)
{
    if (actor && actor->tenant_id > 0)
        return true;
    rcm_diag_fail(diag, RCM_E_INVAL, "%s belong to a tenant", what);
    return false;
}
