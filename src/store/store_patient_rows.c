/*
 * store_patient_rows.c — patient rows as stored, on either database: every
 * field a sealed column (one per RCM_PATIENT_FIELDS entry), the keyed blind
 * indexes searched for exact matches, and the patient's wrapped data key in
 * patient_key (deleting that row with the patient is crypto-shredding).
 * Sealing and opening are store_patient.c; here rows only move in and out,
 * and every change is audited in its own transaction.
 */
#include <stdio.h>
#include <string.h>

#include "rcm/mem.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

#define PF_COLUMN(id, name, perm, kind) ", " name
#define PF_PARAM(id, name, perm, kind) ", ?"
#define PF_SET(id, name, perm, kind) name " = ?, "

/* Blind-index columns in the order of enum rcm_blind_kind - 1 */
#define PATIENT_BIDX_COLUMNS "bidx_member_id, bidx_mrn, bidx_name_dob, bidx_ssn"
#define PATIENT_COLUMNS                                                        \
    "p.id, p.tenant_id, p.uid, p.created_ms, p.updated_ms"                     \
    RCM_PATIENT_FIELDS(PF_COLUMN) ", p.bidx_member_id, p.bidx_mrn, "           \
    "p.bidx_name_dob, p.bidx_ssn, k.wrapped"
#define PATIENT_FROM " FROM patient p JOIN patient_key k ON k.patient_id = p.id "
#define PATIENT_FIND(col)                                                      \
    "SELECT " PATIENT_COLUMNS PATIENT_FROM "WHERE p.tenant_id = ?1 AND "       \
    "p." col " = ?2 ORDER BY p.id LIMIT ?3"

/* plain ? numbered in order: tenant_id, uid, created_ms, updated_ms, the
 * fields, the blind indexes */
static const struct db_sql PATIENT_INSERT = {
    "PATIENT_INSERT", "INSERT INTO patient(tenant_id, uid, created_ms, updated_ms"
    RCM_PATIENT_FIELDS(PF_COLUMN) ", " PATIENT_BIDX_COLUMNS ") VALUES (?, ?, ?, ?"
    RCM_PATIENT_FIELDS(PF_PARAM) ", ?, ?, ?, ?) RETURNING id", NULL};
static const struct db_sql PATIENT_KEY_INSERT = {
    "PATIENT_KEY_INSERT", "INSERT INTO patient_key(patient_id, tenant_id, wrapped) "
    "VALUES (?1, ?2, ?3)", NULL};
static const struct db_sql PATIENT_GET = {
    "PATIENT_GET", "SELECT " PATIENT_COLUMNS PATIENT_FROM "WHERE p.tenant_id = ?1 AND "
    "p.id = ?2", NULL};
static const struct db_sql PATIENT_FIND_MEMBER_ID = {
    "PATIENT_FIND_MEMBER_ID", PATIENT_FIND("bidx_member_id"), NULL};
static const struct db_sql PATIENT_FIND_MRN = {
    "PATIENT_FIND_MRN", PATIENT_FIND("bidx_mrn"), NULL};
static const struct db_sql PATIENT_FIND_NAME_DOB = {
    "PATIENT_FIND_NAME_DOB", PATIENT_FIND("bidx_name_dob"), NULL};
static const struct db_sql PATIENT_FIND_SSN = {
    "PATIENT_FIND_SSN", PATIENT_FIND("bidx_ssn"), NULL};
static const struct db_sql PATIENT_LIST = {
    "PATIENT_LIST", "SELECT " PATIENT_COLUMNS PATIENT_FROM "WHERE p.tenant_id = ?1 AND "
    "p.id > ?2 ORDER BY p.id LIMIT ?3", NULL};
/* plain ? numbered in order: the fields, the blind indexes, updated_ms,
 * tenant_id, id, the updated_ms the caller saw */
static const struct db_sql PATIENT_UPDATE = {
    "PATIENT_UPDATE", "UPDATE patient SET " RCM_PATIENT_FIELDS(PF_SET)
    "bidx_member_id = ?, bidx_mrn = ?, bidx_name_dob = ?, bidx_ssn = ?, updated_ms = ? "
    "WHERE tenant_id = ? AND id = ? AND updated_ms = ?", NULL};
static const struct db_sql PATIENT_DELETE = {
    "PATIENT_DELETE", "DELETE FROM patient WHERE tenant_id = ?1 AND id = ?2", NULL};
static const struct db_sql PATIENT_COUNT = {
    "PATIENT_COUNT", "SELECT count(*) FROM patient WHERE tenant_id = ?1", NULL};
static const struct db_sql PATIENT_KEY_SET = {
    "PATIENT_KEY_SET", "UPDATE patient_key SET wrapped = ?2 WHERE patient_id = ?1", NULL};
static const struct db_sql PATIENT_BIDX_SET = {
    "PATIENT_BIDX_SET", "UPDATE patient SET bidx_member_id = ?2, bidx_mrn = ?3, "
    "bidx_name_dob = ?4, bidx_ssn = ?5 WHERE id = ?1", NULL};

#define PATIENT_FIRST_FIELD_COL 5
#define PATIENT_FIRST_BIDX_COL (PATIENT_FIRST_FIELD_COL + RCM_PF_COUNT)
#define PATIENT_WRAPPED_COL (PATIENT_FIRST_BIDX_COL + STORE_BIDX_COUNT)

/* Largest page of a tenant rotation. */
#define REKEY_BATCH_MAX 10000

/* Row of PATIENT_COLUMNS -> row; false when a column is malformed. */
static bool
patient_row(struct db_stmt *st, struct store_patient_row *r)
{
    bool ok = true;
    r->id = db_col_i64(st, 0);
    r->tenant_id = db_col_i64(st, 1);
    ok &= rcm_str_copy(r->uid, sizeof r->uid, rcm_str_c(db_col_str(st, 2)));
    r->created_ms = db_col_i64(st, 3);
    r->updated_ms = db_col_i64(st, 4);
    for (int f = 0; f < RCM_PF_COUNT; f++) {
        size_t n = 0;
        const void *p = db_col_blob(st, PATIENT_FIRST_FIELD_COL + f, &n);
        r->sealed_len[f] = 0;
        if (n > sizeof r->sealed[f]) {
            ok = false;
        } else if (p && n) {
            memcpy(r->sealed[f], p, n);
            r->sealed_len[f] = n;
        }
    }
    for (int b = 0; b < STORE_BIDX_COUNT; b++)
        r->has_bidx[b] = db_col_blob_exact(st, PATIENT_FIRST_BIDX_COL + b, r->bidx[b],
                                   RCM_BLIND_INDEX_BYTES);
    ok &= db_col_blob_exact(st, PATIENT_WRAPPED_COL, r->wrapped_key, RCM_KEY_WRAPPED_BYTES);
    return ok;
}

/* Bind the blind indexes from parameter `first` on (NULL for none). */
static void
bind_bidx(struct db_stmt *st, int first, const struct store_patient_row *r)
{
    for (int b = 0; b < STORE_BIDX_COUNT; b++) {
        if (r->has_bidx[b])
            db_bind_blob(st, first + b, r->bidx[b], RCM_BLIND_INDEX_BYTES);
        else
            db_bind_null(st, first + b);
    }
}

/* Bind fields and blind indexes from parameter `first` on. */
static void
bind_patient_values(struct db_stmt *st, int first, const struct store_patient_row *r)
{
    for (int f = 0; f < RCM_PF_COUNT; f++) {
        if (r->sealed_len[f])
            db_bind_blob(st, first + f, r->sealed[f], r->sealed_len[f]);
        else
            db_bind_null(st, first + f);
    }
    bind_bidx(st, first + RCM_PF_COUNT, r);
}

/*
 * A failed write statement: a broken constraint is a database error here,
 * as before (no caller can fix it, and RCM_E_CONFLICT means "changed
 * meanwhile" to the update's caller); busy and the rest pass unchanged. The
 * transaction is dead either way.
 */
static enum rcm_err
write_failed(struct db_stmt *st, enum rcm_err err, const char *what, struct rcm_diag *diag)
{
    if (err != RCM_E_CONFLICT)
        return err;
    return rcm_diag_fail(diag, RCM_E_DB, "%s: %s", what,
                         db_violation(st) == DB_VIOLATION_FOREIGN_KEY ? "foreign key violation"
                                                                      : "unique violation");
}

static enum rcm_err
audit_patient(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
              const char *action, int64_t id, int64_t now_ms, struct rcm_diag *diag)
{
    char pid[24];
    snprintf(pid, sizeof pid, "%lld", (long long)id);
    struct rcm_audit_what what = {action, "patient", pid, pid, "success"};
    return store_audit_write(s, tx, actor, &what, now_ms, diag);
}

/* ---- writing ------------------------------------------------------------ */

struct insert_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct store_patient_row *row;
    int64_t *id;
};

static enum rcm_err
insert_patient(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct insert_args *a = ctx;
    const struct store_patient_row *row = a->row;
    *a->id = 0;
    struct db_stmt *st;
    bool got;
    enum rcm_err err = db_prepare(tx, &PATIENT_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, row->tenant_id);
    db_bind_text(st, 2, row->uid);
    db_bind_i64(st, 3, row->created_ms);
    db_bind_i64(st, 4, row->updated_ms);
    bind_patient_values(st, 5, row);
    if ((err = db_step(st, &got, diag)))
        return write_failed(st, err, "create patient", diag);
    if (!got)
        return rcm_diag_fail(diag, RCM_E_DB, "create patient: no id returned");
    *a->id = db_col_i64(st, 0);

    if ((err = db_prepare(tx, &PATIENT_KEY_INSERT, &st, diag)))
        return err;
    db_bind_i64(st, 1, *a->id);
    db_bind_i64(st, 2, row->tenant_id);
    db_bind_blob(st, 3, row->wrapped_key, RCM_KEY_WRAPPED_BYTES);
    if ((err = db_exec(st, diag)))
        return write_failed(st, err, "store patient key", diag);
    return audit_patient(a->s, tx, a->actor, "patient.create", *a->id, row->created_ms, diag);
}

enum rcm_err
store_patient_row_insert(struct rcm_store *s, const struct rcm_actor *actor,
                         const struct store_patient_row *row, int64_t *id,
                         struct rcm_diag *diag)
{
    struct insert_args a = {s, actor, row, id};
    enum rcm_err err = db_write(s->db, insert_patient, &a, diag);
    if (err)
        *id = 0;
    return err;
}

struct update_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    const struct store_patient_row *row;
    int64_t seen_updated_ms;
};

static enum rcm_err
update_patient(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct update_args *a = ctx;
    const struct store_patient_row *row = a->row;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &PATIENT_UPDATE, &st, diag);
    if (err)
        return err;
    int col = 1;
    bind_patient_values(st, col, row);
    col += RCM_PF_COUNT + STORE_BIDX_COUNT;
    db_bind_i64(st, col++, row->updated_ms);
    db_bind_i64(st, col++, row->tenant_id);
    db_bind_i64(st, col++, row->id);
    db_bind_i64(st, col, a->seen_updated_ms);
    if ((err = db_exec(st, diag)))
        return write_failed(st, err, "update patient", diag);
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the patient changed meanwhile");
    return audit_patient(a->s, tx, a->actor, "patient.update", row->id, row->updated_ms,
                         diag);
}

enum rcm_err
store_patient_row_update(struct rcm_store *s, const struct rcm_actor *actor,
                         const struct store_patient_row *row, int64_t seen_updated_ms,
                         struct rcm_diag *diag)
{
    struct update_args a = {s, actor, row, seen_updated_ms};
    return db_write(s->db, update_patient, &a, diag);
}

struct delete_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t id;
    int64_t now_ms;
};

static enum rcm_err
delete_patient(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct delete_args *a = ctx;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &PATIENT_DELETE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->id);
    if ((err = db_exec(st, diag)))
        return write_failed(st, err, "delete patient", diag);
    if (db_changes(st) == 0)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such patient");
    return audit_patient(a->s, tx, a->actor, "patient.delete", a->id, a->now_ms, diag);
}

enum rcm_err
store_patient_row_delete(struct rcm_store *s, const struct rcm_actor *actor, int64_t id,
                         int64_t now_ms, struct rcm_diag *diag)
{
    struct delete_args a = {s, actor, id, now_ms};
    return db_write(s->db, delete_patient, &a, diag);
}

/* ---- reading ------------------------------------------------------------- */

struct get_args {
    int64_t tenant_id, id;
    struct store_patient_row *out;
};

static enum rcm_err
read_patient(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct get_args *g = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PATIENT_GET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, g->tenant_id);
    db_bind_i64(st, 2, g->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such patient");
    if (!patient_row(st, g->out))
        return rcm_diag_fail(diag, RCM_E_DB, "patient %lld: malformed row", (long long)g->id);
    return RCM_OK;
}

enum rcm_err
store_patient_row_get(struct rcm_store *s, int64_t tenant_id, int64_t id,
                      struct store_patient_row *out, struct rcm_diag *diag)
{
    struct get_args g = {tenant_id, id, out};
    return store_read(s, read_patient, &g, diag);
}

/* Rows of a find or list statement, each handed to fn (non-zero stops). */
struct rows_args {
    const struct db_sql *sql;
    int64_t tenant_id;
    bool find;                  /* ?2 is bidx, else after_id */
    const uint8_t *bidx;
    int64_t after_id;
    int64_t limit;
    store_patient_row_fn fn;
    void *ctx;
    struct store_patient_row row;
};

static enum rcm_err
each_patient(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct rows_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, a->sql, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    if (a->find)
        db_bind_blob(st, 2, a->bidx, RCM_BLIND_INDEX_BYTES);
    else
        db_bind_i64(st, 2, a->after_id);
    db_bind_i64(st, 3, a->limit);
    while (!(err = db_step(st, &row, diag)) && row) {
        if (!patient_row(st, &a->row))
            return rcm_diag_fail(diag, RCM_E_DB, "a patient row is malformed");
        if (a->fn(a->ctx, &a->row))
            break;
    }
    return err;
}

static enum rcm_err
patient_rows(struct rcm_store *s, const struct db_sql *sql, int64_t tenant_id, bool find,
             const uint8_t *bidx, int64_t after_id, int limit, store_patient_row_fn fn,
             void *ctx, struct rcm_diag *diag)
{
    /* a row is a few kilobytes of ciphertext: on the heap, wiped after */
    struct rows_args *a = rcm_malloc(sizeof *a);
    if (!a)
        return RCM_E_NOMEM;
    a->sql = sql;
    a->tenant_id = tenant_id;
    a->find = find;
    a->bidx = bidx;
    a->after_id = after_id;
    a->limit = limit;
    a->fn = fn;
    a->ctx = ctx;
    enum rcm_err err = store_read(s, each_patient, a, diag);
    rcm_crypto_wipe(a, sizeof *a);
    rcm_free(a);
    return err;
}

enum rcm_err
store_patient_row_find(struct rcm_store *s, int64_t tenant_id, int kind,
                       const uint8_t bidx[RCM_BLIND_INDEX_BYTES], int limit,
                       store_patient_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    static const struct db_sql *const by_kind[STORE_BIDX_COUNT] = {
        &PATIENT_FIND_MEMBER_ID, &PATIENT_FIND_MRN, &PATIENT_FIND_NAME_DOB,
        &PATIENT_FIND_SSN};
    if (kind < 1 || kind > STORE_BIDX_COUNT)
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown search kind");
    return patient_rows(s, by_kind[kind - 1], tenant_id, true, bidx, 0, limit, fn, ctx, diag);
}

enum rcm_err
store_patient_row_list(struct rcm_store *s, int64_t tenant_id, int64_t after_id, int limit,
                       store_patient_row_fn fn, void *ctx, struct rcm_diag *diag)
{
    return patient_rows(s, &PATIENT_LIST, tenant_id, false, NULL, after_id, limit, fn, ctx, diag);
}

struct count_args {
    int64_t tenant_id;
    int64_t *n;
};

static enum rcm_err
count_patients(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct count_args *c = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &PATIENT_COUNT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, c->tenant_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no count");
    *c->n = db_col_i64(st, 0);
    return RCM_OK;
}

enum rcm_err
store_patient_row_count(struct rcm_store *s, int64_t tenant_id, int64_t *n,
                        struct rcm_diag *diag)
{
    struct count_args c = {tenant_id, n};
    return store_read(s, count_patients, &c, diag);
}

/* ---- tenant rotation ------------------------------------------------------ */

/* Re-key a page of patients (see rcm_store_rotate_tenant). */
struct rekey_args {
    int64_t tenant_id, after_id;
    int limit;
    store_rekey_fn fn;
    void *ctx;
    struct store_patient_row *rows;     /* limit of them */
    int64_t *last_id;
    int *n;
};

/* Write back a re-keyed patient: its wrapped key and blind indexes. */
static enum rcm_err
rekey_store(struct db_tx *tx, const struct store_patient_row *r, struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &PATIENT_KEY_SET, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, r->id);
    db_bind_blob(st, 2, r->wrapped_key, RCM_KEY_WRAPPED_BYTES);
    if ((err = db_exec(st, diag)))
        return write_failed(st, err, "re-wrap key", diag);
    if ((err = db_prepare(tx, &PATIENT_BIDX_SET, &st, diag)))
        return err;
    db_bind_i64(st, 1, r->id);
    bind_bidx(st, 2, r);
    if ((err = db_exec(st, diag)))
        return write_failed(st, err, "re-index patient", diag);
    return RCM_OK;
}

static enum rcm_err
rekey_page(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct rekey_args *a = ctx;
    *a->last_id = 0;
    *a->n = 0;
    /* the whole page first, then the writes (fn re-runs on a retry, over
     * rows read again) */
    struct db_stmt *st;
    bool row;
    int n = 0;
    enum rcm_err err = db_prepare(tx, &PATIENT_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->after_id);
    db_bind_i64(st, 3, a->limit);
    while (n < a->limit && !(err = db_step(st, &row, diag)) && row)
        if (!patient_row(st, &a->rows[n++]))
            return rcm_diag_fail(diag, RCM_E_DB, "a patient row is malformed");
    if (err)
        return err;
    for (int i = 0; i < n && !err; i++) {
        err = a->fn(a->ctx, &a->rows[i]);
        if (!err)
            err = rekey_store(tx, &a->rows[i], diag);
    }
    if (!err && n) {
        *a->last_id = a->rows[n - 1].id;
        *a->n = n;
    }
    return err;
}

enum rcm_err
store_patient_row_rekey(struct rcm_store *s, int64_t tenant_id, int64_t after_id, int limit,
                        store_rekey_fn fn, void *ctx, int64_t *last_id, int *n,
                        struct rcm_diag *diag)
{
    *last_id = 0;
    *n = 0;
    if (limit < 1 || limit > REKEY_BATCH_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "batch must be 1-%d", REKEY_BATCH_MAX);
    struct rekey_args a = {tenant_id, after_id, limit, fn, ctx, NULL, last_id, n};
    if (!(a.rows = rcm_malloc((size_t)limit * sizeof *a.rows)))
        return RCM_E_NOMEM;
    enum rcm_err err = db_write(s->db, rekey_page, &a, diag);
    if (err) {
        *last_id = 0;
        *n = 0;
    }
    rcm_crypto_wipe(a.rows, (size_t)limit * sizeof *a.rows);
    rcm_free(a.rows);
    return err;
}
