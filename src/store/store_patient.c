/*
 * store_patient.c — patients: check, seal, index, open, audit.
 *
 * Plaintext exists only here, in the caller's struct rcm_patient; the
 * backend sees envelopes and blind indexes. Each field is sealed with the
 * patient's own data key and associated data naming tenant, table
 * ("patient"), column and the row's random uid, so an envelope copied into
 * another cell, row or tenant fails to open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rcm/buf.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/record.h"
#include "rcm/str.h"
#include "store_int.h"

#define TABLE "patient"

struct field_def {
    const char *name;
    enum rcm_permission perm;
    enum rcm_patient_kind kind;
};

static const struct field_def fields[RCM_PF_COUNT] = {
#define RCM_PF_DEF(id, name, perm, kind) {name, RCM_PERM_##perm, kind},
    RCM_PATIENT_FIELDS(RCM_PF_DEF)
#undef RCM_PF_DEF
};

int
rcm_patient_field_parse(const char *name)
{
    for (int i = 0; i < RCM_PF_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            return i;
    return -1;
}

const char *
rcm_patient_field_name(enum rcm_patient_field f)
{
    return (unsigned)f < RCM_PF_COUNT ? fields[f].name : "unknown";
}

enum rcm_permission
rcm_patient_field_permission(enum rcm_patient_field f)
{
    return (unsigned)f < RCM_PF_COUNT ? fields[f].perm : RCM_PERM_PHI_FINANCIAL;
}

/* ---- checking values ------------------------------------------------------ */

enum rcm_err
rcm_patient_value_check(enum rcm_patient_field f, const char *value,
                        char out[RCM_PATIENT_VALUE_MAX + 1], struct rcm_diag *diag)
{
    out[0] = '\0';
    if ((unsigned)f >= RCM_PF_COUNT || !value)
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown patient field");
    struct rcm_field def = {fields[f].name, fields[f].perm, fields[f].kind, true, false, NULL};
    return rcm_value_check(&def, value, out, diag);
}

/* ---- sealing ------------------------------------------------------------ */

static enum rcm_err
field_aad(int64_t tenant_id, const char *uid, enum rcm_patient_field f, uint8_t *aad,
          size_t *aad_len)
{
    char tid[24];
    snprintf(tid, sizeof tid, "%" PRId64, tenant_id);
    return rcm_aead_aad_build(tid, TABLE, fields[f].name, uid, aad, RCM_AEAD_AAD_MAX_BYTES,
                              aad_len);
}

static enum rcm_err
seal_field(const struct rcm_key *pkey, struct store_patient_row *row,
           enum rcm_patient_field f, const char *value)
{
    row->sealed_len[f] = 0;
    size_t n = strlen(value);
    if (n == 0)
        return RCM_OK;
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0;
    enum rcm_err err = field_aad(row->tenant_id, row->uid, f, aad, &aad_len);
    if (!err)
        err = rcm_aead_seal(pkey, aad, aad_len, (const uint8_t *)value, n, row->sealed[f],
                            sizeof row->sealed[f], &row->sealed_len[f]);
    return err;
}

static enum rcm_err
open_field(const struct rcm_key *pkey, const struct store_patient_row *row,
           enum rcm_patient_field f, char out[RCM_PATIENT_VALUE_MAX + 1])
{
    out[0] = '\0';
    if (row->sealed_len[f] == 0)
        return RCM_OK;
    uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
    size_t aad_len = 0, n = 0;
    enum rcm_err err = field_aad(row->tenant_id, row->uid, f, aad, &aad_len);
    if (!err)
        err = rcm_aead_open(pkey, aad, aad_len, row->sealed[f], row->sealed_len[f],
                            (uint8_t *)out, RCM_PATIENT_VALUE_MAX, &n);
    out[err ? 0 : n] = '\0';
    return err;
}

static enum rcm_err
key_context(int64_t tenant_id, const char *uid, char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1])
{
    char tid[24];
    snprintf(tid, sizeof tid, "%" PRId64, tenant_id);
    return rcm_key_context_patient(tid, uid, ctx);
}

enum rcm_err
store_patient_key_open(struct rcm_store *s, int64_t tenant_id, int64_t patient_id,
                       const char *patient_uid, const uint8_t wrapped[RCM_KEY_WRAPPED_BYTES],
                       struct rcm_key *out, struct rcm_diag *diag)
{
    uint32_t kid = 0;
    char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
    struct rcm_key tkey;
    enum rcm_err err = rcm_aead_key_id(wrapped, RCM_KEY_WRAPPED_BYTES, &kid);
    if (!err)
        err = key_context(tenant_id, patient_uid, ctx);
    if (err)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "patient %" PRId64 ": malformed key row",
                             patient_id);
    if ((err = store_tenant_key_by_id(s, tenant_id, kid, &tkey, diag)))
        return err;
    err = rcm_key_unwrap(&tkey, ctx, wrapped, RCM_KEY_WRAPPED_BYTES, out);
    rcm_key_wipe(&tkey);
    if (err)
        return rcm_diag_fail(diag, RCM_E_CRYPTO, "patient %" PRId64 ": the data key does "
                             "not open (altered or moved)", patient_id);
    return RCM_OK;
}

/* The patient's data key, unwrapped with whichever tenant key wrapped it. */
static enum rcm_err
patient_key(struct rcm_store *s, const struct store_patient_row *row, struct rcm_key *out,
            struct rcm_diag *diag)
{
    return store_patient_key_open(s, row->tenant_id, row->id, row->uid, row->wrapped_key, out,
                                  diag);
}

/* The blind index of one search key, from plaintext values, under the
 * tenant index key `ikey`. */
static enum rcm_err
blind_of(const struct rcm_key *ikey, enum rcm_blind_kind kind, const char *a,
         const char *first, const char *dob, uint8_t out[RCM_BLIND_INDEX_BYTES],
         struct rcm_diag *diag)
{
    char norm[RCM_BLIND_NORM_MAX_BYTES];
    size_t n = 0;
    enum rcm_err err;
    if (kind == RCM_BLIND_NAME_DOB) {
        int32_t days = 0;
        err = rcm_date_parse_iso(rcm_str_c(dob), &days);
        if (!err)
            err = rcm_blind_norm_name_dob(a, first, days, norm, sizeof norm, &n);
    } else {
        err = rcm_blind_norm_id(a, strlen(a), norm, sizeof norm, &n);
    }
    if (err)
        return rcm_diag_fail(diag, RCM_E_INVAL, "search value cannot be indexed");
    struct rcm_key bkey;
    err = rcm_blind_key_derive(ikey, kind, &bkey);
    if (!err)
        rcm_blind_index(&bkey, norm, n, out);
    rcm_key_wipe(&bkey);
    rcm_crypto_wipe(norm, sizeof norm);
    return err;
}

/* Recompute every blind index of a row from its plaintext values. */
static enum rcm_err
index_row(const struct rcm_key *ikey, const struct rcm_patient *p,
          struct store_patient_row *row, struct rcm_diag *diag)
{
    static const struct {
        enum rcm_blind_kind kind;
        enum rcm_patient_field f;
    } ids[] = {
        {RCM_BLIND_MEMBER_ID, RCM_PF_MEMBER_ID},
        {RCM_BLIND_MRN, RCM_PF_MRN},
        {RCM_BLIND_SSN, RCM_PF_SSN},
    };
    enum rcm_err err = RCM_OK;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0] && !err; i++) {
        int slot = ids[i].kind - 1;
        row->has_bidx[slot] = p->value[ids[i].f][0] != '\0';
        if (row->has_bidx[slot])
            err = blind_of(ikey, ids[i].kind, p->value[ids[i].f], NULL, NULL, row->bidx[slot],
                           diag);
    }
    int slot = RCM_BLIND_NAME_DOB - 1;
    row->has_bidx[slot] = p->value[RCM_PF_LAST_NAME][0] && p->value[RCM_PF_FIRST_NAME][0] &&
                          p->value[RCM_PF_DOB][0];
    if (!err && row->has_bidx[slot])
        err = blind_of(ikey, RCM_BLIND_NAME_DOB, p->value[RCM_PF_LAST_NAME],
                       p->value[RCM_PF_FIRST_NAME], p->value[RCM_PF_DOB], row->bidx[slot],
                       diag);
    return err;
}

/* Index a row under the index key that goes with its wrapped patient key. */
static enum rcm_err
index_row_for_key(struct rcm_store *s, const struct rcm_patient *p,
                  struct store_patient_row *row, struct rcm_diag *diag)
{
    uint32_t kek_id = 0;
    struct rcm_key ikey;
    enum rcm_err err = rcm_aead_key_id(row->wrapped_key, RCM_KEY_WRAPPED_BYTES, &kek_id);
    if (!err)
        err = store_index_key_for(s, row->tenant_id, kek_id, &ikey, diag);
    if (!err)
        err = index_row(&ikey, p, row, diag);
    rcm_key_wipe(&ikey);
    return err;
}

/* Check and normalise the values in `in` marked present into `out`. */
static enum rcm_err
check_values(const struct rcm_patient *in, struct rcm_patient *out, struct rcm_diag *diag)
{
    for (int f = 0; f < RCM_PF_COUNT; f++) {
        if (!(in->present & RCM_PF_BIT(f)))
            continue;
        out->value[f][0] = '\0';
        if (!in->value[f][0])
            continue;       /* clears the field */
        enum rcm_err err = rcm_patient_value_check((enum rcm_patient_field)f, in->value[f],
                                                   out->value[f], diag);
        if (err)
            return err;
    }
    return RCM_OK;
}

static enum rcm_err
require_names(const struct rcm_patient *p, struct rcm_diag *diag)
{
    static const enum rcm_patient_field required[] = {RCM_PF_LAST_NAME, RCM_PF_FIRST_NAME,
                                                     RCM_PF_DOB};
    for (size_t i = 0; i < 3; i++)
        if (!p->value[required[i]][0])
            return rcm_diag_fail(diag, RCM_E_INVAL, "%s is required",
                                 fields[required[i]].name);
    return RCM_OK;
}

/* Seal every field of p into row with the patient key. */
static enum rcm_err
seal_all(const struct rcm_key *pkey, const struct rcm_patient *p,
         struct store_patient_row *row)
{
    enum rcm_err err = RCM_OK;
    for (int f = 0; f < RCM_PF_COUNT && !err; f++)
        err = seal_field(pkey, row, (enum rcm_patient_field)f, p->value[f]);
    return err;
}

static void
wipe_patient(struct rcm_patient *p)
{
    rcm_crypto_wipe(p, sizeof *p);
}

enum rcm_err
rcm_store_patient_create(struct rcm_store *store, const struct rcm_actor *actor,
                         const struct rcm_patient *in, int64_t *id, struct rcm_diag *diag)
{
    *id = 0;
    struct rcm_patient p = {0};
    struct store_patient_row row = {.tenant_id = actor->tenant_id};
    struct rcm_key tkey = {0}, pkey = {0};
    char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
    enum rcm_err err = actor->tenant_id > 0 ? RCM_OK
                       : rcm_diag_fail(diag, RCM_E_INVAL, "patients belong to a tenant");
    if (!err)
        err = check_values(in, &p, diag);
    if (!err)
        err = require_names(&p, diag);
    if (!err) {
        uint8_t uid[16];
        rcm_random_bytes(uid, sizeof uid);
        rcm_hex_encode(uid, sizeof uid, row.uid);
        err = store_sealing_key(store, actor->tenant_id, &tkey, diag);
    }
    if (!err) {
        rcm_key_generate(&pkey, 0);
        err = key_context(row.tenant_id, row.uid, ctx);
        if (!err)
            err = rcm_key_wrap(&tkey, ctx, &pkey, row.wrapped_key);
        if (!err)
            err = seal_all(&pkey, &p, &row);
        if (!err)
            err = index_row_for_key(store, &p, &row, diag);
    }
    if (!err) {
        row.created_ms = row.updated_ms = rcm_time_now_ms();
        err = store_patient_row_insert(store, actor, &row, id, diag);
    }
    rcm_key_wipe(&tkey);
    rcm_key_wipe(&pkey);
    wipe_patient(&p);
    rcm_crypto_wipe(&row, sizeof row);
    return err;
}

/* Open the fields in `mask` of a stored row into out. */
static enum rcm_err
open_row(struct rcm_store *s, const struct store_patient_row *row, uint32_t mask,
         struct rcm_patient *out, struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    out->id = row->id;
    out->tenant_id = row->tenant_id;
    out->created_ms = row->created_ms;
    out->updated_ms = row->updated_ms;
    if (!(mask & RCM_PF_ALL))
        return RCM_OK;
    struct rcm_key pkey;
    enum rcm_err err = patient_key(s, row, &pkey, diag);
    for (int f = 0; f < RCM_PF_COUNT && !err; f++) {
        if (!(mask & RCM_PF_BIT(f)))
            continue;
        if (open_field(&pkey, row, (enum rcm_patient_field)f, out->value[f]))
            err = rcm_diag_fail(diag, RCM_E_CRYPTO, "patient %" PRId64 ": field %s does "
                                "not open (altered or moved)", row->id, fields[f].name);
        else if (out->value[f][0])
            out->present |= RCM_PF_BIT(f);
    }
    rcm_key_wipe(&pkey);
    if (err)
        wipe_patient(out);
    return err;
}

/* Audit a read of the listed patients (one record per request). */
static enum rcm_err
audit_read(struct rcm_store *s, const struct rcm_actor *actor, const char *action,
           const char *object_id, const char *ids, struct rcm_diag *diag)
{
    struct rcm_audit_what what = {action, TABLE, object_id, ids, "success"};
    return store_audit_append(s, actor, &what, diag);
}

enum rcm_err
rcm_store_patient_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                      uint32_t mask, struct rcm_patient *out, struct rcm_diag *diag)
{
    struct store_patient_row row;
    memset(out, 0, sizeof *out);
    enum rcm_err err = store_patient_row_get(store, actor->tenant_id, id, &row, diag);
    if (!err)
        err = open_row(store, &row, mask, out, diag);
    if (!err) {
        char ids[24];
        snprintf(ids, sizeof ids, "%" PRId64, id);
        err = audit_read(store, actor, "patient.read", ids, ids, diag);
        if (err)
            wipe_patient(out);
    }
    rcm_crypto_wipe(&row, sizeof row);
    return err;
}

/* Collects rows of a search or list, opens them after the read connection
 * is released, then audits all ids in one record before handing any out. */
#define RESULT_MAX 500

struct collected {
    struct store_patient_row *rows;
    int n, cap;
};

static int
collect_row(void *ctx, const struct store_patient_row *row)
{
    struct collected *c = ctx;
    for (int i = 0; i < c->n; i++)
        if (c->rows[i].id == row->id)
            return 0;   /* found under both index keys during a rotation */
    if (c->n == c->cap)
        return 1;
    c->rows[c->n++] = *row;
    return 0;
}

static enum rcm_err
deliver(struct rcm_store *s, const struct rcm_actor *actor, const char *action,
        struct collected *c, uint32_t mask, rcm_patient_fn fn, void *ctx,
        struct rcm_diag *diag)
{
    struct rcm_buf ids;
    rcm_buf_init(&ids, (size_t)c->n * 21 + 1);
    enum rcm_err err = RCM_OK;
    for (int i = 0; i < c->n && !err; i++)
        err = rcm_buf_addf(&ids, "%s%" PRId64, i ? "," : "", c->rows[i].id);
    if (!err)
        err = audit_read(s, actor, action, "", rcm_buf_cstr(&ids), diag);
    rcm_buf_release(&ids);
    struct rcm_patient *p = err ? NULL : rcm_malloc(sizeof *p);
    if (!err && !p)
        err = RCM_E_NOMEM;
    for (int i = 0; i < c->n && !err; i++) {
        err = open_row(s, &c->rows[i], mask, p, diag);
        if (!err && fn(ctx, p))
            break;
    }
    if (p) {
        wipe_patient(p);
        rcm_free(p);
    }
    return err;
}

static enum rcm_err
collected_init(struct collected *c, int limit, struct rcm_diag *diag)
{
    if (limit < 1 || limit > RESULT_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1-%d", RESULT_MAX);
    c->n = 0;
    c->cap = limit;
    c->rows = rcm_malloc((size_t)limit * sizeof *c->rows);
    return c->rows ? RCM_OK : RCM_E_NOMEM;
}

static void
collected_free(struct collected *c)
{
    if (c->rows) {
        rcm_crypto_wipe(c->rows, (size_t)c->cap * sizeof *c->rows);
        rcm_free(c->rows);
    }
}

enum rcm_err
rcm_store_patient_search(struct rcm_store *store, const struct rcm_actor *actor,
                         const struct rcm_patient_query *q, uint32_t mask, int limit,
                         rcm_patient_fn fn, void *ctx, struct rcm_diag *diag)
{
    enum rcm_blind_kind kind;
    const char *a = NULL;
    if (q->member_id) {
        kind = RCM_BLIND_MEMBER_ID;
        a = q->member_id;
    } else if (q->mrn) {
        kind = RCM_BLIND_MRN;
        a = q->mrn;
    } else if (q->ssn) {
        kind = RCM_BLIND_SSN;
        a = q->ssn;
    } else if (q->last_name && q->first_name && q->dob) {
        kind = RCM_BLIND_NAME_DOB;
        a = q->last_name;
    } else {
        return rcm_diag_fail(diag, RCM_E_INVAL, "search by member_id, mrn, ssn, or "
                             "last_name + first_name + dob");
    }
    uint8_t bidx[RCM_BLIND_INDEX_BYTES];
    char ssn[RCM_PATIENT_VALUE_MAX + 1];
    if (kind == RCM_BLIND_SSN) {
        /* the SSN is stored as nine digits; index what would be stored */
        if (rcm_patient_value_check(RCM_PF_SSN, a, ssn, diag))
            return RCM_E_INVAL;
        a = ssn;
    }
    /* under the index key, and during a rotation under the next one too */
    struct collected c = {0};
    enum rcm_err err = collected_init(&c, limit, diag);
    static const char *const purposes[] = {STORE_KEY_INDEX, STORE_KEY_INDEX_NEXT};
    for (size_t i = 0; i < 2 && !err; i++) {
        struct rcm_key ikey;
        err = store_tenant_key(store, actor->tenant_id, purposes[i], i == 0, &ikey, diag);
        if (err == RCM_E_NOT_FOUND && i == 1) {
            err = RCM_OK;
            break;
        }
        if (!err)
            err = blind_of(&ikey, kind, a, q->first_name, q->dob, bidx, diag);
        rcm_key_wipe(&ikey);
        if (!err)
            err = store_patient_row_find(store, actor->tenant_id, kind, bidx, limit,
                                         collect_row, &c, diag);
    }
    rcm_crypto_wipe(ssn, sizeof ssn);
    if (!err)
        err = deliver(store, actor, "patient.search", &c, mask, fn, ctx, diag);
    collected_free(&c);
    return err;
}

enum rcm_err
rcm_store_patient_list(struct rcm_store *store, const struct rcm_actor *actor,
                       int64_t after_id, int limit, uint32_t mask, rcm_patient_fn fn,
                       void *ctx, struct rcm_diag *diag)
{
    struct collected c = {0};
    enum rcm_err err = collected_init(&c, limit, diag);
    if (!err)
        err = store_patient_row_list(store, actor->tenant_id, after_id, limit, collect_row,
                                     &c, diag);
    if (!err)
        err = deliver(store, actor, "patient.list", &c, mask, fn, ctx, diag);
    collected_free(&c);
    return err;
}

void (*store_patient_update_hook)(void *ctx, int attempt);
void *store_patient_update_hook_ctx;

enum rcm_err
rcm_store_patient_update(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                         const struct rcm_patient *changes, struct rcm_diag *diag)
{
    struct rcm_patient *p = rcm_malloc(sizeof *p);
    struct store_patient_row *row = rcm_malloc(sizeof *row);
    enum rcm_err err = p && row ? RCM_OK : RCM_E_NOMEM;
    /* two tries: a concurrent update between read and write is retried once */
    for (int attempt = 0; attempt < 2 && !err; attempt++) {
        struct rcm_key pkey;
        err = store_patient_row_get(store, actor->tenant_id, id, row, diag);
        if (!err)
            err = open_row(store, row, RCM_PF_ALL, p, diag);
        if (!err)
            err = check_values(changes, p, diag);
        if (!err)
            err = require_names(p, diag);
        if (!err)
            err = patient_key(store, row, &pkey, diag);
        if (err)
            break;
        err = seal_all(&pkey, p, row);
        rcm_key_wipe(&pkey);
        if (!err)
            err = index_row_for_key(store, p, row, diag);
        int64_t seen = row->updated_ms;
        row->updated_ms = rcm_time_now_ms();
        if (row->updated_ms <= seen)
            row->updated_ms = seen + 1;
        if (store_patient_update_hook)
            store_patient_update_hook(store_patient_update_hook_ctx, attempt);
        if (!err)
            err = store_patient_row_update(store, actor, row, seen, diag);
        if (err != RCM_E_CONFLICT || attempt == 1)
            break;
        err = RCM_OK;   /* read the newer row and apply the changes to it */
    }
    if (p) {
        wipe_patient(p);
        rcm_free(p);
    }
    if (row) {
        rcm_crypto_wipe(row, sizeof *row);
        rcm_free(row);
    }
    return err;
}

enum rcm_err
rcm_store_patient_delete(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                         struct rcm_diag *diag)
{
    return store_patient_row_delete(store, actor, id, rcm_time_now_ms(), diag);
}

/* ---- rotation: re-key one patient ----------------------------------------- */

enum rcm_err
store_patient_rekey(struct rcm_store *s, const struct rcm_key *next_data,
                    const struct rcm_key *next_index, struct store_patient_row *row,
                    struct rcm_diag *diag)
{
    struct rcm_key pkey;
    struct rcm_patient *p = rcm_malloc(sizeof *p);
    char ctx[RCM_KEY_CONTEXT_MAX_LEN + 1];
    enum rcm_err err = p ? patient_key(s, row, &pkey, diag) : RCM_E_NOMEM;
    if (err) {
        rcm_free(p);
        return err;
    }
    /* the fields blind indexes are made of */
    static const enum rcm_patient_field indexed[] = {
        RCM_PF_MEMBER_ID, RCM_PF_MRN, RCM_PF_SSN, RCM_PF_LAST_NAME, RCM_PF_FIRST_NAME,
        RCM_PF_DOB,
    };
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < sizeof indexed / sizeof indexed[0] && !err; i++)
        if (open_field(&pkey, row, indexed[i], p->value[indexed[i]]))
            err = rcm_diag_fail(diag, RCM_E_CRYPTO, "patient %" PRId64 ": field %s does not "
                                "open (altered or moved)", row->id, fields[indexed[i]].name);
    if (!err)
        err = key_context(row->tenant_id, row->uid, ctx);
    if (!err)
        err = rcm_key_wrap(next_data, ctx, &pkey, row->wrapped_key);
    if (!err)
        err = index_row(next_index, p, row, diag);
    rcm_key_wipe(&pkey);
    wipe_patient(p);
    rcm_free(p);
    return err;
}
