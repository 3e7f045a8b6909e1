/*
 * store_record.c — every record kind about a patient (rcm/record.h), on
 * either database: check, seal, store, open with a field mask, audit.
 *
 * The SQL of a kind is generated once from its field table (a registry
 * keyed by the kind's address); every statement reads the patient's key
 * row beside the record so a record is opened with the key of the patient
 * it belongs to. Plaintext exists only in the caller's struct rcm_record.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/buf.h"
#include "rcm/crypto.h"
#include "rcm/date.h"
#include "rcm/mem.h"
#include "rcm/record.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define RESULT_MAX 500
#define CELL_MAX (RCM_RECORD_VALUE_MAX + RCM_AEAD_OVERHEAD_BYTES)

/* A record as stored: sealed envelopes, or plain text for plain fields. */
struct record_row {
    int64_t id;
    int64_t tenant_id;
    int64_t patient_id;
    int64_t created_ms;
    int64_t updated_ms;
    char uid[33];
    char patient_uid[33];
    uint8_t wrapped[RCM_KEY_WRAPPED_BYTES];
    uint8_t cell[RCM_RECORD_FIELDS_MAX][CELL_MAX];
    size_t cell_len[RCM_RECORD_FIELDS_MAX];
};

/* ---- the SQL of a kind ------------------------------------------------------ */

enum { RS_INSERT, RS_GET, RS_LIST, RS_UPDATE, RS_DELETE, RS_COUNT };

struct kind_sql {
    const struct rcm_record_kind *kind;
    struct db_sql sql[RS_COUNT];
    char *text[RS_COUNT];       /* owned: the texts sql[] points to */
    struct kind_sql *next;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kind_sql *registry;   /* lives as long as the process */

#define ROW_COLUMNS 8   /* before the fields, see select_list */

/* The parameter number of the first field in RS_INSERT: after tenant,
 * (patient,) uid, created and updated. */
static int
first_field_param(const struct rcm_record_kind *k)
{
    return k->of_tenant ? 5 : 6;
}

static enum rcm_err
build_sql(const struct rcm_record_kind *k, struct kind_sql *ks)
{
    struct rcm_buf cols = RCM_BUF_INIT(1 << 16), sel = RCM_BUF_INIT(1 << 16);
    struct rcm_buf b[RS_COUNT];
    enum rcm_err err = RCM_OK;
    for (int i = 0; i < k->n_fields && !err; i++) {
        err = rcm_buf_addf(&cols, ", %s", k->fields[i].name);
        if (!err)
            err = rcm_buf_addf(&sel, ", r.%s", k->fields[i].name);
    }
    for (int i = 0; i < RS_COUNT; i++)
        rcm_buf_init(&b[i], 1 << 16);
    const char *t = k->name, *c = rcm_buf_cstr(&cols), *f = rcm_buf_cstr(&sel);
    /* A tenant's own records have no patient: the same columns come back,
     * patient id 0 and no key row, and their statements take no patient
     * parameter (insert_fn and list_fn number accordingly). */
    char from[256];
    const char *head;
    int first = first_field_param(k);
    if (k->of_tenant) {
        snprintf(from, sizeof from, " FROM %s r", t);
        head = "SELECT r.id, r.tenant_id, CAST(0 AS bigint), r.uid, r.created_ms, "
               "r.updated_ms, r.uid, NULL";
    } else {
        snprintf(from, sizeof from, " FROM %s r JOIN patient p ON p.id = r.patient_id JOIN "
                 "patient_key k ON k.patient_id = r.patient_id", t);
        head = "SELECT r.id, r.tenant_id, r.patient_id, r.uid, r.created_ms, r.updated_ms, "
               "p.uid, k.wrapped";
    }
    if (!err)
        err = rcm_buf_addf(&b[RS_INSERT], "INSERT INTO %s(tenant_id, %suid, created_ms, "
                           "updated_ms%s) VALUES (?1", t, k->of_tenant ? "" : "patient_id, ", c);
    for (int i = 2; i < first + k->n_fields && !err; i++)
        err = rcm_buf_addf(&b[RS_INSERT], ", ?%d", i);
    if (!err)
        err = rcm_buf_addstr(&b[RS_INSERT], ") RETURNING id");
    if (!err)
        err = rcm_buf_addf(&b[RS_GET], "%s%s%s WHERE r.tenant_id = ?1 AND r.id = ?2", head, f,
                           from);
    if (!err && k->of_tenant)
        err = rcm_buf_addf(&b[RS_LIST], "%s%s%s WHERE r.tenant_id = ?1 AND r.id > ?2 ORDER "
                           "BY r.id LIMIT ?3", head, f, from);
    else if (!err)
        err = rcm_buf_addf(&b[RS_LIST], "%s%s%s WHERE r.tenant_id = ?1 AND r.patient_id = ?2 "
                           "AND r.id > ?3 ORDER BY r.id LIMIT ?4", head, f, from);
    if (!err)
        err = rcm_buf_addf(&b[RS_UPDATE], "UPDATE %s SET updated_ms = ?4", t);
    for (int i = 0; i < k->n_fields && !err; i++)
        err = rcm_buf_addf(&b[RS_UPDATE], ", %s = ?%d", k->fields[i].name, 5 + i);
    if (!err)
        err = rcm_buf_addstr(&b[RS_UPDATE], " WHERE tenant_id = ?1 AND id = ?2 AND "
                             "updated_ms = ?3");
    if (!err)
        err = rcm_buf_addf(&b[RS_DELETE], "DELETE FROM %s WHERE tenant_id = ?1 AND id = ?2 "
                           "RETURNING %s", t, k->of_tenant ? "CAST(0 AS bigint)" : "patient_id");
    static const char *const ids[RS_COUNT] = {"RECORD_INSERT", "RECORD_GET", "RECORD_LIST",
                                              "RECORD_UPDATE", "RECORD_DELETE"};
    for (int i = 0; i < RS_COUNT; i++) {
        ks->text[i] = err ? NULL : rcm_buf_detach(&b[i], NULL);
        if (!err && !ks->text[i])
            err = RCM_E_NOMEM;
        ks->sql[i] = (struct db_sql){ids[i], ks->text[i], NULL};
        rcm_buf_release(&b[i]);
    }
    rcm_buf_release(&cols);
    rcm_buf_release(&sel);
    return err;
}

static enum rcm_err
kind_sql(const struct rcm_record_kind *k, const struct kind_sql **out, struct rcm_diag *diag)
{
    bool sealed = false;
    for (int i = 0; i < k->n_fields && i < RCM_RECORD_FIELDS_MAX; i++)
        sealed |= k->fields[i].sealed;
    /* a tenant's own record has no patient key to seal with */
    if (k->n_fields < 1 || k->n_fields > RCM_RECORD_FIELDS_MAX || (k->of_tenant && sealed))
        return rcm_diag_fail(diag, RCM_E_INVAL, "record kind %s: bad field table", k->name);
    pthread_mutex_lock(&registry_mu);
    struct kind_sql *ks = registry;
    while (ks && ks->kind != k)
        ks = ks->next;
    enum rcm_err err = RCM_OK;
    if (!ks) {
        ks = rcm_calloc(1, sizeof *ks);
        err = ks ? build_sql(k, ks) : RCM_E_NOMEM;
        if (!err) {
            ks->kind = k;
            ks->next = registry;
            registry = ks;
        } else if (ks) {
            for (int i = 0; i < RS_COUNT; i++)
                rcm_free(ks->text[i]);
            rcm_free(ks);
        }
    }
    pthread_mutex_unlock(&registry_mu);
    if (err)
        return rcm_diag_fail(diag, err, "record kind %s: out of memory", k->name);
    *out = ks;
    return RCM_OK;
}

/* ---- rows ------------------------------------------------------------------ */

static void
copy_text(char *dst, size_t cap, const char *s)
{
    rcm_str_copy(dst, cap, rcm_str_c(s));
}

static bool
read_row(const struct rcm_record_kind *k, struct db_stmt *st, struct record_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = db_col_i64(st, 0);
    r->tenant_id = db_col_i64(st, 1);
    r->patient_id = db_col_i64(st, 2);
    copy_text(r->uid, sizeof r->uid, db_col_str(st, 3));
    r->created_ms = db_col_i64(st, 4);
    r->updated_ms = db_col_i64(st, 5);
    copy_text(r->patient_uid, sizeof r->patient_uid, db_col_str(st, 6));
    if (!k->of_tenant && !db_col_blob_exact(st, 7, r->wrapped, RCM_KEY_WRAPPED_BYTES))
        return false;
    size_t n = 0;
    for (int i = 0; i < k->n_fields; i++) {
        int col = ROW_COLUMNS + i;
        const struct rcm_field *f = &k->fields[i];
        if (db_col_is_null(st, col))
            continue;
        if (f->sealed) {
            const void *p = db_col_blob(st, col, &n);
            if (n > CELL_MAX)
                return false;
            memcpy(r->cell[i], p, n);
            r->cell_len[i] = n;
        } else if (rcm_field_is_integer(f)) {
            r->cell_len[i] = (size_t)snprintf((char *)r->cell[i], CELL_MAX, "%" PRId64,
                                              db_col_i64(st, col));
        } else {
            const char *p = db_col_text(st, col, &n);
            if (n > RCM_RECORD_VALUE_MAX)
                return false;
            memcpy(r->cell[i], p, n);
            r->cell_len[i] = n;
        }
    }
    return true;
}

/* Bind the field cells from ?first on. */
static void
bind_cells(const struct rcm_record_kind *k, struct db_stmt *st, int first,
           const struct record_row *r)
{
    for (int i = 0; i < k->n_fields; i++) {
        const struct rcm_field *f = &k->fields[i];
        int at = first + i;
        if (r->cell_len[i] == 0)
            db_bind_null(st, at);
        else if (f->sealed)
            db_bind_blob(st, at, r->cell[i], r->cell_len[i]);
        else if (rcm_field_is_integer(f))
            db_bind_i64(st, at, strtoll((const char *)r->cell[i], NULL, 10));
        else    /* plain text: zero-padded, so NUL-terminated */
            db_bind_text(st, at, (const char *)r->cell[i]);
    }
}

/* ---- sealing ------------------------------------------------------------- */

static enum rcm_err
cell_aad(const struct rcm_record_kind *k, const struct record_row *r, int i, uint8_t *aad,
         size_t *aad_len)
{
    char tid[24];
    snprintf(tid, sizeof tid, "%" PRId64, r->tenant_id);
    return rcm_aead_aad_build(tid, k->name, k->fields[i].name, r->uid, aad,
                              RCM_AEAD_AAD_MAX_BYTES, aad_len);
}

/* Seal (or copy, for plain fields) every value of rec into the row. */
static enum rcm_err
seal_row(const struct rcm_record_kind *k, const struct rcm_key *pkey,
         const struct rcm_record *rec, struct record_row *r)
{
    for (int i = 0; i < k->n_fields; i++) {
        const char *v = rec->value[i];
        size_t n = strlen(v);
        memset(r->cell[i], 0, sizeof r->cell[i]);
        r->cell_len[i] = 0;
        if (n == 0)
            continue;
        if (!k->fields[i].sealed) {
            memcpy(r->cell[i], v, n);
            r->cell_len[i] = n;
            continue;
        }
        uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
        size_t aad_len = 0;
        enum rcm_err err = cell_aad(k, r, i, aad, &aad_len);
        if (!err)
            err = rcm_aead_seal(pkey, aad, aad_len, (const uint8_t *)v, n, r->cell[i],
                                CELL_MAX, &r->cell_len[i]);
        if (err)
            return err;
    }
    return RCM_OK;
}

static void
wipe_record(struct rcm_record *rec)
{
    rcm_crypto_wipe(rec, sizeof *rec);
}

/* Wipe and free what the calls below allocate (NULL is a no-op). */
static void
free_record(struct rcm_record *rec)
{
    if (rec) {
        wipe_record(rec);
        rcm_free(rec);
    }
}

static void
free_rows(struct record_row *rows, size_t n)
{
    if (rows) {
        rcm_crypto_wipe(rows, n * sizeof *rows);
        rcm_free(rows);
    }
}

/* Open the fields in mask into out. */
static enum rcm_err
open_row(struct rcm_store *s, const struct rcm_record_kind *k, const struct record_row *r,
         uint32_t mask, struct rcm_record *out, struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->tenant_id = r->tenant_id;
    out->patient_id = r->patient_id;
    out->created_ms = r->created_ms;
    out->updated_ms = r->updated_ms;
    bool need_key = false;
    for (int i = 0; i < k->n_fields; i++)
        need_key |= (mask >> i & 1) && k->fields[i].sealed && r->cell_len[i];
    struct rcm_key pkey = {0};
    enum rcm_err err = need_key ? store_patient_key_open(s, r->tenant_id, r->patient_id,
                                                         r->patient_uid, r->wrapped, &pkey, diag)
                                : RCM_OK;
    for (int i = 0; i < k->n_fields && !err; i++) {
        if (!(mask >> i & 1) || !r->cell_len[i])
            continue;
        size_t n = 0;
        if (!k->fields[i].sealed) {
            memcpy(out->value[i], r->cell[i], r->cell_len[i]);
            n = r->cell_len[i];
        } else {
            uint8_t aad[RCM_AEAD_AAD_MAX_BYTES];
            size_t aad_len = 0;
            err = cell_aad(k, r, i, aad, &aad_len);
            if (!err && rcm_aead_open(&pkey, aad, aad_len, r->cell[i], r->cell_len[i],
                                      (uint8_t *)out->value[i], RCM_RECORD_VALUE_MAX, &n))
                err = rcm_diag_fail(diag, RCM_E_CRYPTO, "%s %" PRId64 ": field %s does not "
                                    "open (altered or moved)", k->name, r->id,
                                    k->fields[i].name);
        }
        out->value[i][n] = '\0';
        out->present |= 1u << i;
    }
    rcm_key_wipe(&pkey);
    if (err)
        wipe_record(out);
    return err;
}

/* ---- checking -------------------------------------------------------------- */

/* Check the values of `in` marked present into out (cleared when empty). */
static enum rcm_err
check_values(const struct rcm_record_kind *k, const struct rcm_record *in,
             struct rcm_record *out, struct rcm_diag *diag)
{
    for (int i = 0; i < k->n_fields; i++) {
        if (!(in->present >> i & 1))
            continue;
        out->value[i][0] = '\0';
        out->present &= ~(1u << i);
        if (!in->value[i][0])
            continue;
        enum rcm_err err = rcm_value_check(&k->fields[i], in->value[i], out->value[i], diag);
        if (err)
            return err;
        out->present |= 1u << i;
    }
    for (int i = 0; i < k->n_fields; i++)
        if (k->fields[i].required && !out->value[i][0])
            return rcm_diag_fail(diag, RCM_E_INVAL, "%s is required", k->fields[i].name);
    return k->check ? k->check(out, diag) : RCM_OK;
}

static bool
tenant_scoped(const struct rcm_actor *actor, const struct rcm_record_kind *k,
              struct rcm_diag *diag)
{
    if (actor->tenant_id > 0)
        return true;
    rcm_diag_fail(diag, RCM_E_INVAL, "%s records belong to a tenant", k->name);
    return false;
}

/* ---- create ------------------------------------------------------------------ */

static enum rcm_err
read_key_row(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    return store_patient_key_row(tx, ctx, diag);
}

struct write_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct rcm_record_kind *k;
    const struct kind_sql *ks;
    struct record_row *row;
    int64_t seen_updated_ms;
    int64_t *id;
};

static enum rcm_err
audit_change(struct write_args *w, struct db_tx *tx, const char *verb, int64_t id,
             int64_t patient_id, int64_t now_ms, struct rcm_diag *diag)
{
    char action[64], object[24], patient[24];
    snprintf(action, sizeof action, "%s.%s", w->k->name, verb);
    snprintf(object, sizeof object, "%" PRId64, id);
    snprintf(patient, sizeof patient, "%" PRId64, patient_id);
    struct rcm_audit_what what = {action, w->k->name, object, patient_id ? patient : NULL,
                                  "success"};
    return store_audit_write(w->s, tx, w->actor, &what, now_ms, diag);
}

static enum rcm_err
insert_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct write_args *w = ctx;
    const struct record_row *r = w->row;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &w->ks->sql[RS_INSERT], &st, diag);
    if (err)
        return err;
    int p = 1;
    db_bind_i64(st, p++, r->tenant_id);
    if (!w->k->of_tenant)
        db_bind_i64(st, p++, r->patient_id);
    db_bind_text(st, p++, r->uid);
    db_bind_i64(st, p++, r->created_ms);
    db_bind_i64(st, p++, r->updated_ms);
    bind_cells(w->k, st, p, r);
    if ((err = db_step(st, &row, diag))) {
        if (err == RCM_E_CONFLICT && db_violation(st) == DB_VIOLATION_FOREIGN_KEY)
            return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such patient");
        return err;
    }
    *w->id = db_col_i64(st, 0);
    return audit_change(w, tx, "create", *w->id, r->patient_id, r->created_ms, diag);
}

enum rcm_err
rcm_store_record_create(struct rcm_store *store, const struct rcm_actor *actor,
                        const struct rcm_record_kind *kind, int64_t patient_id,
                        const struct rcm_record *in, int64_t *id, struct rcm_diag *diag)
{
    *id = 0;
    const struct kind_sql *ks;
    if (!tenant_scoped(actor, kind, diag))
        return RCM_E_INVAL;
    enum rcm_err err = kind_sql(kind, &ks, diag);
    if (err)
        return err;
    struct rcm_record *rec = rcm_calloc(1, sizeof *rec);
    struct record_row *row = rcm_calloc(1, sizeof *row);
    struct rcm_key pkey = {0};
    err = rec && row ? check_values(kind, in, rec, diag) : RCM_E_NOMEM;
    if (!err && kind->of_tenant && patient_id)
        err = rcm_diag_fail(diag, RCM_E_INVAL, "a %s is not about a patient", kind->name);
    if (!err && !kind->of_tenant)
        err = store_patient_key_read(store, actor->tenant_id, patient_id, &pkey, diag);
    if (!err) {
        uint8_t uid[16];
        rcm_random_bytes(uid, sizeof uid);
        rcm_hex_encode(uid, sizeof uid, row->uid);
        row->tenant_id = actor->tenant_id;
        row->patient_id = patient_id;
        row->created_ms = row->updated_ms = rcm_time_now_ms();
        err = seal_row(kind, &pkey, rec, row);
    }
    if (!err) {
        struct write_args w = {store, actor, kind, ks, row, 0, id};
        err = db_write(store->db, insert_fn, &w, diag);
    }
    rcm_key_wipe(&pkey);
    free_record(rec);
    free_rows(row, 1);
    return err;
}

/* ---- read --------------------------------------------------------------------- */

struct read_args {
    const struct rcm_record_kind *k;
    const struct kind_sql *ks;
    int64_t tenant_id, id, patient_id, after_id;
    int limit;
    struct record_row *rows;
    int n;
};

static enum rcm_err
get_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct read_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &a->ks->sql[RS_GET], &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such %s", a->k->name);
    if (!read_row(a->k, st, a->rows))
        return rcm_diag_fail(diag, RCM_E_DB, "%s %" PRId64 ": malformed row", a->k->name,
                             a->id);
    a->n = 1;
    return RCM_OK;
}

static enum rcm_err
list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct read_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &a->ks->sql[RS_LIST], &st, diag);
    if (err)
        return err;
    int p = 1;
    db_bind_i64(st, p++, a->tenant_id);
    if (!a->k->of_tenant)
        db_bind_i64(st, p++, a->patient_id);
    db_bind_i64(st, p++, a->after_id);
    db_bind_i64(st, p, a->limit);
    a->n = 0;
    while (!(err = db_step(st, &row, diag)) && row && a->n < a->limit) {
        if (!read_row(a->k, st, &a->rows[a->n]))
            return rcm_diag_fail(diag, RCM_E_DB, "%s: malformed row", a->k->name);
        a->n++;
    }
    return err;
}

static enum rcm_err
audit_read(struct rcm_store *s, const struct rcm_actor *actor, const struct rcm_record_kind *k,
           const char *verb, int64_t object_id, int64_t patient_id, struct rcm_diag *diag)
{
    char action[64], object[24] = "", patient[24];
    snprintf(action, sizeof action, "%s.%s", k->name, verb);
    if (object_id)
        snprintf(object, sizeof object, "%" PRId64, object_id);
    snprintf(patient, sizeof patient, "%" PRId64, patient_id);
    struct rcm_audit_what what = {action, k->name, object, patient_id ? patient : NULL,
                                  "success"};
    return store_audit_append(s, actor, &what, diag);
}

enum rcm_err
rcm_store_record_get(struct rcm_store *store, const struct rcm_actor *actor,
                     const struct rcm_record_kind *kind, int64_t id, uint32_t mask,
                     struct rcm_record *out, struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    const struct kind_sql *ks;
    if (!tenant_scoped(actor, kind, diag))
        return RCM_E_INVAL;
    enum rcm_err err = kind_sql(kind, &ks, diag);
    struct record_row *row = err ? NULL : rcm_calloc(1, sizeof *row);
    if (!err && !row)
        err = RCM_E_NOMEM;
    struct read_args a = {kind, ks, actor->tenant_id, id, 0, 0, 1, row, 0};
    if (!err)
        err = store_read(store, get_fn, &a, diag);
    if (!err)
        err = open_row(store, kind, row, mask, out, diag);
    if (!err && (err = audit_read(store, actor, kind, "read", id, row->patient_id, diag)))
        wipe_record(out);
    free_rows(row, 1);
    return err;
}

enum rcm_err
rcm_store_record_list(struct rcm_store *store, const struct rcm_actor *actor,
                      const struct rcm_record_kind *kind, int64_t patient_id,
                      int64_t after_id, int limit, uint32_t mask, rcm_record_fn fn,
                      void *ctx, struct rcm_diag *diag)
{
    const struct kind_sql *ks;
    if (!tenant_scoped(actor, kind, diag))
        return RCM_E_INVAL;
    if (limit < 1 || limit > RESULT_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "limit must be 1-%d", RESULT_MAX);
    enum rcm_err err = kind_sql(kind, &ks, diag);
    struct record_row *rows = err ? NULL : rcm_calloc((size_t)limit, sizeof *rows);
    struct rcm_record *rec = err ? NULL : rcm_malloc(sizeof *rec);
    if (!err && (!rows || !rec))
        err = RCM_E_NOMEM;
    /* the patient must be the tenant's: another tenant's is "no such patient" */
    struct store_patient_key_row pk = {.tenant_id = actor->tenant_id, .patient_id = patient_id};
    if (!err && !kind->of_tenant)
        err = store_read(store, read_key_row, &pk, diag);
    struct read_args a = {kind, ks, actor->tenant_id, 0, patient_id, after_id, limit, rows, 0};
    if (!err)
        err = store_read(store, list_fn, &a, diag);
    /* one audit record before any row is handed out */
    if (!err)
        err = audit_read(store, actor, kind, "list", 0, patient_id, diag);
    for (int i = 0; i < a.n && !err; i++) {
        err = open_row(store, kind, &rows[i], mask, rec, diag);
        if (!err && fn(ctx, rec))
            break;
    }
    free_record(rec);
    free_rows(rows, (size_t)limit);
    return err;
}

/* ---- update and delete ---------------------------------------------------------- */

static enum rcm_err
update_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct write_args *w = ctx;
    const struct record_row *r = w->row;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &w->ks->sql[RS_UPDATE], &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, r->tenant_id);
    db_bind_i64(st, 2, r->id);
    db_bind_i64(st, 3, w->seen_updated_ms);
    db_bind_i64(st, 4, r->updated_ms);
    bind_cells(w->k, st, 5, r);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) != 1)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the %s changed meanwhile", w->k->name);
    return audit_change(w, tx, "update", r->id, r->patient_id, r->updated_ms, diag);
}

enum rcm_err
rcm_store_record_update(struct rcm_store *store, const struct rcm_actor *actor,
                        const struct rcm_record_kind *kind, int64_t id,
                        const struct rcm_record *changes, struct rcm_diag *diag)
{
    const struct kind_sql *ks;
    if (!tenant_scoped(actor, kind, diag))
        return RCM_E_INVAL;
    enum rcm_err err = kind_sql(kind, &ks, diag);
    struct rcm_record *rec = err ? NULL : rcm_calloc(1, sizeof *rec);
    struct record_row *row = err ? NULL : rcm_calloc(1, sizeof *row);
    if (!err && (!rec || !row))
        err = RCM_E_NOMEM;
    /* two tries: a concurrent update between read and write is retried once */
    for (int attempt = 0; attempt < 2 && !err; attempt++) {
        struct read_args a = {kind, ks, actor->tenant_id, id, 0, 0, 1, row, 0};
        struct rcm_key pkey = {0};
        err = store_read(store, get_fn, &a, diag);
        if (!err)
            err = open_row(store, kind, row, RCM_RECORD_ALL, rec, diag);
        if (!err)
            err = check_values(kind, changes, rec, diag);
        if (!err && !kind->of_tenant)
            err = store_patient_key_open(store, row->tenant_id, row->patient_id,
                                         row->patient_uid, row->wrapped, &pkey, diag);
        if (!err)
            err = seal_row(kind, &pkey, rec, row);
        rcm_key_wipe(&pkey);
        if (err)
            break;
        int64_t seen = row->updated_ms;
        row->updated_ms = rcm_time_now_ms();
        if (row->updated_ms <= seen)
            row->updated_ms = seen + 1;
        struct write_args w = {store, actor, kind, ks, row, seen, NULL};
        err = db_write(store->db, update_fn, &w, diag);
        if (err != RCM_E_CONFLICT || attempt == 1)
            break;
        err = RCM_OK;
    }
    free_record(rec);
    free_rows(row, 1);
    return err;
}

struct delete_args {
    struct write_args w;
    int64_t id;
};

static enum rcm_err
delete_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct delete_args *d = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &d->w.ks->sql[RS_DELETE], &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, d->w.actor->tenant_id);
    db_bind_i64(st, 2, d->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such %s", d->w.k->name);
    int64_t patient_id = db_col_i64(st, 0);
    return audit_change(&d->w, tx, "delete", d->id, patient_id, rcm_time_now_ms(), diag);
}

enum rcm_err
rcm_store_record_delete(struct rcm_store *store, const struct rcm_actor *actor,
                        const struct rcm_record_kind *kind, int64_t id, struct rcm_diag *diag)
{
    const struct kind_sql *ks;
    if (!tenant_scoped(actor, kind, diag))
        return RCM_E_INVAL;
    enum rcm_err err = kind_sql(kind, &ks, diag);
    if (err)
        return err;
    struct delete_args d = {{store, actor, kind, ks, NULL, 0, NULL}, id};
    return db_write(store->db, delete_fn, &d, diag);
}

int
rcm_record_field(const struct rcm_record_kind *kind, const char *name)
{
    for (int i = 0; i < kind->n_fields; i++)
        if (strcmp(kind->fields[i].name, name) == 0)
            return i;
    return -1;
}
