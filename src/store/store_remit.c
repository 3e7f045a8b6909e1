/*
 * store_remit.c — payment posting on either database (docs/posting.md).
 *
 * An 835 is read twice: once to validate it (a malformed file writes
 * nothing), once through the model, which hands its claim payments over one
 * at a time; those of one remittance (BPR/TRN, one transaction set) are kept
 * in compact copies and posted together, in ONE write transaction, when the
 * set ends (its PLB segments come last). That transaction inserts the
 * remittance first: (tenant, payer, trace, amount) is unique, so a second
 * post of the same remittance finds the first and writes nothing, and a
 * post interrupted by a crash is completed by posting the file again.
 *
 * Per claim payment: the claim by CLP01 = claim.control_number, else by
 * CLP07 = claim.payer_claim_number; the plan (rcm_post_plan_build) against
 * its lines; claim_payment, payment_line and payment_adjustment rows; the
 * lines' and claim's amounts; the claim's state move (rcm_claim_move_check)
 * with a claim_event; a denial row per workable adjustment. A payment with
 * no claim waits in claim_payment with claim_id NULL, its CLP as JSON sealed
 * under the tenant's data key, until someone matches it by hand.
 *
 * Audit: one record per remittance posted ("remittance.post"), per manual
 * match, deposit and worklist action, each in the transaction it records.
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcm/buf.h"
#include "rcm/crypto.h"
#include "rcm/cycle.h"
#include "rcm/date.h"
#include "rcm/json.h"
#include "rcm/mem.h"
#include "rcm/money.h"
#include "rcm/posting.h"
#include "rcm/remit.h"
#include "rcm/str.h"
#include "store/db.h"
#include "store/store_int.h"

/* ---- SQL ------------------------------------------------------------------- */

static const struct db_sql REMIT_INSERT = {
    "REMIT_INSERT",
    "INSERT INTO remittance (tenant_id, created_ms, user_id, source, payer_id, trace_number, "
    "payment_cents, credit_debit, method, payment_day, file_sha256) VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (tenant_id, payer_id, trace_number, "
    "payment_cents) DO NOTHING RETURNING id", NULL};
static const struct db_sql REMIT_FIND = {
    "REMIT_FIND", "SELECT id FROM remittance WHERE tenant_id = ?1 AND payer_id = ?2 AND "
    "trace_number = ?3 AND payment_cents = ?4", NULL};
static const struct db_sql REMIT_COUNTS = {
    "REMIT_COUNTS", "UPDATE remittance SET n_claims = ?2, n_unmatched = ?3 WHERE id = ?1", NULL};
static const struct db_sql DEPOSIT_LINK = {
    "DEPOSIT_LINK", "UPDATE deposit SET remittance_id = ?3 WHERE tenant_id = ?1 AND "
    "trace_number = ?2 AND remittance_id IS NULL", NULL};
static const struct db_sql CLAIM_BY_CONTROL = {
    "REMIT_CLAIM_BY_CONTROL",
    "SELECT c.id, c.state, c.payer_id, c.patient_id, COALESCE(p.appeal_days, 0) FROM claim c "
    "JOIN payer p ON p.id = c.payer_ref WHERE c.tenant_id = ?1 AND c.control_number = ?2",
    NULL};
static const struct db_sql CLAIM_BY_PAYER_NO = {
    "REMIT_CLAIM_BY_PAYER_NO",
    "SELECT c.id, c.state, c.payer_id, c.patient_id, COALESCE(p.appeal_days, 0) FROM claim c "
    "JOIN payer p ON p.id = c.payer_ref WHERE c.tenant_id = ?1 AND c.payer_claim_number = ?2 "
    "ORDER BY c.id DESC LIMIT 1", NULL};
static const struct db_sql CLAIM_BY_ID = {
    "REMIT_CLAIM_BY_ID",
    "SELECT c.id, c.state, c.payer_id, c.patient_id, COALESCE(p.appeal_days, 0) FROM claim c "
    "JOIN payer p ON p.id = c.payer_ref WHERE c.tenant_id = ?1 AND c.id = ?2", NULL};
static const struct db_sql CLAIM_LINES = {
    "REMIT_CLAIM_LINES", "SELECT id, line_no, procedure, modifiers, units_milli, "
    "charge_cents, service_date FROM claim_line WHERE claim_id = ?1 ORDER BY line_no", NULL};
static const struct db_sql CP_INSERT = {
    "CLAIM_PAYMENT_INSERT",
    "INSERT INTO claim_payment (tenant_id, remittance_id, seq, claim_id, matched_by, "
    "matched_ms, control_number, status_code, charge_cents, paid_cents, patient_resp_cents, "
    "payer_claim_number, reversal, pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14) RETURNING id", NULL};
static const struct db_sql CP_MATCH = {
    "CLAIM_PAYMENT_MATCH", "UPDATE claim_payment SET claim_id = ?3, matched_by = 'manual', "
    "matched_ms = ?4, pending = NULL WHERE tenant_id = ?1 AND id = ?2 AND claim_id IS NULL", NULL};
static const struct db_sql PL_INSERT = {
    "PAYMENT_LINE_INSERT",
    "INSERT INTO payment_line (tenant_id, claim_payment_id, claim_line_id, matched_by, "
    "procedure, modifiers, charge_cents, paid_cents, allowed_cents, units_milli, remarks) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id", NULL};
static const struct db_sql EVENT_INSERT = {
    "REMIT_CLAIM_EVENT",
    "INSERT INTO claim_event (tenant_id, claim_id, at_ms, user_id, from_state, to_state, "
    "source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", NULL};
static const struct db_sql DENIAL_INSERT = {
    "DENIAL_INSERT",
    "INSERT INTO denial (tenant_id, claim_id, claim_line_id, claim_payment_id, created_ms, "
    "payer_id, group_code, carc, remarks, amount_cents, category, denied_day, "
    "appeal_deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", NULL};
static const struct db_sql PLB_INSERT = {
    "PROVIDER_ADJ_INSERT",
    "INSERT INTO provider_adjustment (tenant_id, remittance_id, provider_id, fiscal_day, "
    "reason, reference, amount_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", NULL};

/* ---- helpers ---------------------------------------------------------------- */



static void
bind_day_or_null(struct db_stmt *st, int i, int32_t d)
{
    if (d == RCM_X12_NO_DATE)
        db_bind_null(st, i);
    else
        db_bind_i64(st, i, d);
}



static int32_t
col_day(struct db_stmt *st, int i)
{
    return db_col_is_null(st, i) ? RCM_X12_NO_DATE : (int32_t)db_col_i64(st, i);
}

static void
join_words(char *out, size_t cap, const char (*w)[RCM_X12_REMARK_MAX], int n)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int k = snprintf(out + at, cap - at, "%s%s", at ? " " : "", w[i]);
        if (k < 0 || (size_t)k >= cap - at)
            break;
        at += (size_t)k;
    }
}

static void
join_mods(char *out, size_t cap, const char (*m)[3])
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < 4; i++) {
        if (!m[i][0])
            continue;
        int k = snprintf(out + at, cap - at, "%s%s", at ? " " : "", m[i]);
        if (k < 0 || (size_t)k >= cap - at)
            break;
        at += (size_t)k;
    }
}

static enum rcm_err
audit_obj(struct rcm_store *s, struct db_tx *tx, const struct rcm_actor *actor,
          const char *action, const char *type, int64_t id, int64_t patient_id, int64_t now,
          struct rcm_diag *diag)
{
    char object[24], patient[24];
    snprintf(object, sizeof object, "%" PRId64, id);
    snprintf(patient, sizeof patient, "%" PRId64, patient_id);
    struct rcm_audit_what what = {action, type, object, patient_id ? patient : NULL, "success"};
    return tx ? store_audit_write(s, tx, actor, &what, now, diag)
              : store_audit_append(s, actor, &what, diag);
}


/* The uid binding an unmatched payment's sealed CLP to its row. */
static void
pending_uid(int64_t remit_id, int seq, char uid[33])
{
    snprintf(uid, 33, "%016" PRIx64 "%016x", (uint64_t)remit_id, (unsigned)seq);
}

/* ---- posting one claim payment ---------------------------------------------- */

#define BATCH 32
#define ADJ_COLS 6
#define LU_COLS 6

/* Multi-row statements for 1..BATCH rows, made once. */
static struct db_sql adj_sql[BATCH], lu_sql[BATCH], cu_sql[BATCH], ev_sql[BATCH];
static char cu_text[BATCH][BATCH * 200 + 480], ev_text[BATCH][BATCH * 64 + 160];
static char adj_text[BATCH][BATCH * 64 + 160], lu_text[BATCH][BATCH * 180 + 480];
static pthread_once_t batch_once = PTHREAD_ONCE_INIT;

static void
batch_init(void)
{
    for (int n = 1; n <= BATCH; n++) {
        char *t = adj_text[n - 1];
        size_t cap = sizeof adj_text[0], at = 0;
        at += (size_t)snprintf(t, cap, "INSERT INTO payment_adjustment (tenant_id, "
                               "claim_payment_id, payment_line_id, group_code, carc, "
                               "amount_cents) VALUES ");
        for (int r = 0; r < n; r++) {
            int b = r * ADJ_COLS;
            at += (size_t)snprintf(t + at, cap - at, "%s(?%d, ?%d, ?%d, ?%d, ?%d, ?%d)",
                                   r ? ", " : "", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6);
        }
        adj_sql[n - 1] = (struct db_sql){"PAYMENT_ADJ_BATCH", t, NULL};
        t = lu_text[n - 1];
        cap = sizeof lu_text[0];
        at = (size_t)snprintf(t, cap, "UPDATE claim_line SET paid_cents = paid_cents + "
                              "v.column2, adjustment_cents = adjustment_cents + v.column3, "
                              "patient_resp_cents = patient_resp_cents + v.column4, "
                              "allowed_cents = CASE WHEN v.column5 = 1 THEN v.column6 WHEN "
                              "v.column5 = 2 THEN NULL ELSE claim_line.allowed_cents END FROM "
                              "(VALUES ");
        for (int r = 0; r < n; r++) {
            int b = r * LU_COLS;
            at += (size_t)snprintf(t + at, cap - at,
                                   "%s(CAST(?%d AS bigint), CAST(?%d AS bigint), CAST(?%d AS "
                                   "bigint), CAST(?%d AS bigint), CAST(?%d AS bigint), CAST(?%d "
                                   "AS bigint))", r ? ", " : "", b + 1, b + 2, b + 3, b + 4,
                                   b + 5, b + 6);
        }
        snprintf(t + at, cap - at, ") AS v WHERE claim_line.id = v.column1");
        lu_sql[n - 1] = (struct db_sql){"CLAIM_LINE_UPDATE_BATCH", t, NULL};
        t = cu_text[n - 1];
        cap = sizeof cu_text[0];
        at = (size_t)snprintf(t, cap, "UPDATE claim SET paid_cents = paid_cents + v.column2, "
                              "adjustment_cents = adjustment_cents + v.column3, "
                              "patient_resp_cents = patient_resp_cents + v.column4, "
                              "payer_claim_number = COALESCE(v.column5, "
                              "claim.payer_claim_number), adjudicated_day = v.column6, "
                              "updated_ms = v.column7, state = v.column8 FROM (VALUES ");
        for (int r = 0; r < n; r++) {
            int b = r * 8;
            at += (size_t)snprintf(t + at, cap - at,
                                   "%s(CAST(?%d AS bigint), CAST(?%d AS bigint), CAST(?%d AS "
                                   "bigint), CAST(?%d AS bigint), CAST(?%d AS text), CAST(?%d "
                                   "AS bigint), CAST(?%d AS bigint), CAST(?%d AS text))",
                                   r ? ", " : "", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6,
                                   b + 7, b + 8);
        }
        snprintf(t + at, cap - at, ") AS v WHERE claim.id = v.column1");
        cu_sql[n - 1] = (struct db_sql){"CLAIM_UPDATE_BATCH", t, NULL};
        t = ev_text[n - 1];
        cap = sizeof ev_text[0];
        at = (size_t)snprintf(t, cap, "INSERT INTO claim_event (tenant_id, claim_id, at_ms, "
                              "user_id, from_state, to_state, source) VALUES ");
        for (int r = 0; r < n; r++) {
            int b = r * 7;
            at += (size_t)snprintf(t + at, cap - at, "%s(?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d)",
                                   r ? ", " : "", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6,
                                   b + 7);
        }
        ev_sql[n - 1] = (struct db_sql){"CLAIM_EVENT_BATCH", t, NULL};
    }
}

struct claim_ref {
    int64_t id, patient_id;
    char state[16];
    char payer_id[81];
    int appeal_days;
};

/* What one post writes; merged into the caller's result on commit. */
struct tally {
    int claims, paid, partial, denied, reversed, other, unmatched, lines, denials;
    int64_t paid_cents, plb_cents;
    int n_findings, n_dropped;
    struct rcm_remit_finding findings[RCM_REMIT_MAX_FINDINGS];
};

struct poster {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t tenant_id;
    int64_t event_user;          /* claim_event.user_id: 0 for an ERA file */
    const char *source;          /* era / manual */
    const char *file_sha256;     /* hex or NULL */
    const struct rcm_key *tenant_key;
    int64_t now;
    struct rcm_post_plan *plan;  /* heap scratch */
    struct rcm_post_line lines[RCM_X12_MAX_LINES];
    struct tally t;
    int set_no;
    /* rows kept for multi-row statements (fewer statements: each one in a
     * large transaction pays for its statement journal) */
    int n_adj, n_lu;
    struct adj_row {
        int64_t cp_id, pl_id, amount;
        char group[3], carc[6];
    } adj[BATCH];
    struct lu_row {
        int64_t id, paid, adj, pr, allowed_mode, allowed;
    } lu[BATCH];
    int n_cu;
    struct cu_row {
        int64_t id, paid, adj, pr;
        int32_t day;
        bool move;
        char payer_no[51], from[16], to[16];
        const char *source;
    } cu[BATCH];
};

static void
add_finding(struct tally *t, int set, int seq, const char *code, bool error, int line_no,
            int64_t expected, int64_t actual)
{
    if (t->n_findings == RCM_REMIT_MAX_FINDINGS) {
        t->n_dropped++;
        return;
    }
    t->findings[t->n_findings++] = (struct rcm_remit_finding){set, seq, code, error, line_no,
                                                              expected, actual};
}

static enum rcm_err
claim_row(struct db_stmt *st, struct claim_ref *c)
{
    c->id = db_col_i64(st, 0);
    db_col_copy(st, 1, c->state, sizeof c->state);
    db_col_copy(st, 2, c->payer_id, sizeof c->payer_id);
    c->patient_id = db_col_i64(st, 3);
    c->appeal_days = (int)db_col_i64(st, 4);
    return RCM_OK;
}

static enum rcm_err
find_claim(struct db_tx *tx, const struct db_sql *sql, int64_t tenant, const char *key,
           int64_t id, struct claim_ref *c, bool *found, struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, sql, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, tenant);
    if (key)
        db_bind_text(st, 2, key);
    else
        db_bind_i64(st, 2, id);
    if ((err = db_step(st, found, diag)))
        return err;
    if (*found)
        claim_row(st, c);
    return RCM_OK;
}

static void
split_mods(const char *s, char (*out)[3])
{
    struct rcm_str rest = rcm_str_c(s), tok;
    int n = 0;
    memset(out, 0, 4 * 3);
    while (n < 4 && rest.n && rcm_str_split_next(&rest, ' ', &tok))
        if (tok.n)
            rcm_str_copy(out[n++], 3, tok);
}

static enum rcm_err
load_lines(struct db_tx *tx, int64_t claim_id, struct rcm_post_line *lines, size_t *n,
           struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_LINES, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, claim_id);
    *n = 0;
    while (!(err = db_step(st, &row, diag)) && row) {
        if (*n == RCM_X12_MAX_LINES)
            continue;
        struct rcm_post_line *l = &lines[(*n)++];
        memset(l, 0, sizeof *l);
        l->id = db_col_i64(st, 0);
        l->line_no = (int)db_col_i64(st, 1);
        db_col_copy(st, 2, l->procedure, sizeof l->procedure);
        split_mods(db_col_str(st, 3), l->modifiers);
        l->units_milli = db_col_i64(st, 4);
        l->charge_cents = db_col_i64(st, 5);
        l->service_date_days = (int32_t)db_col_i64(st, 6);
    }
    return err;
}

/* Where the claim goes for a plan outcome (false: it stays). */
static bool
target_state(enum rcm_post_outcome o, enum rcm_claim_state *to, enum rcm_claim_source *src)
{
    *src = RCM_CLAIM_SRC_REMIT_835;
    switch (o) {
    case RCM_POST_PAID_FULL:
    case RCM_POST_PATIENT_RESP:
    case RCM_POST_ZERO_PAID:
        *to = RCM_CLAIM_PAID;
        return true;
    case RCM_POST_PAID_PARTIAL:
        *to = RCM_CLAIM_PARTIALLY_PAID;
        return true;
    case RCM_POST_DENIED:
        *to = RCM_CLAIM_DENIED;
        return true;
    case RCM_POST_REVERSAL:
        *to = RCM_CLAIM_ACCEPTED;
        *src = RCM_CLAIM_SRC_REVERSAL;
        return true;
    default:
        return false;
    }
}

static enum rcm_err
insert_denial(struct poster *p, struct db_tx *tx, const struct claim_ref *c, int64_t line_id,
              int64_t cp_id, const struct rcm_post_adj *a, const char *remarks, int32_t day,
              struct rcm_diag *diag)
{
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &DENIAL_INSERT, &st, diag);
    if (err)
        return err;
    enum rcm_denial_category cat = a->category;
    if (cat == RCM_DENIAL_CONTRACTUAL || cat == RCM_DENIAL_PATIENT_RESPONSIBILITY)
        cat = RCM_DENIAL_OTHER;
    db_bind_i64(st, 1, p->tenant_id);
    db_bind_i64(st, 2, c->id);
    db_bind_id_or_null(st, 3, line_id);
    db_bind_id_or_null(st, 4, cp_id);
    db_bind_i64(st, 5, p->now);
    db_bind_text(st, 6, c->payer_id);
    db_bind_text(st, 7, a->group);
    db_bind_text(st, 8, a->carc);
    db_bind_text(st, 9, remarks);
    db_bind_i64(st, 10, a->amount_cents);
    db_bind_text(st, 11, rcm_denial_category_name(cat));
    db_bind_i64(st, 12, day);
    db_bind_i64(st, 13, rcm_appeal_deadline(day, c->appeal_days));
    if (!(err = db_exec(st, diag)))
        p->t.denials++;
    return err;
}

static enum rcm_err
flush_adj(struct poster *p, struct db_tx *tx, struct rcm_diag *diag)
{
    if (!p->n_adj)
        return RCM_OK;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &adj_sql[p->n_adj - 1], &st, diag);
    if (err)
        return err;
    for (int r = 0; r < p->n_adj; r++) {
        const struct adj_row *a = &p->adj[r];
        int b = r * ADJ_COLS;
        db_bind_i64(st, b + 1, p->tenant_id);
        db_bind_i64(st, b + 2, a->cp_id);
        db_bind_id_or_null(st, b + 3, a->pl_id);
        db_bind_text(st, b + 4, a->group);
        db_bind_text(st, b + 5, a->carc);
        db_bind_i64(st, b + 6, a->amount);
    }
    p->n_adj = 0;
    return db_exec(st, diag);
}

static enum rcm_err
flush_lines(struct poster *p, struct db_tx *tx, struct rcm_diag *diag)
{
    if (!p->n_lu)
        return RCM_OK;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &lu_sql[p->n_lu - 1], &st, diag);
    if (err)
        return err;
    for (int r = 0; r < p->n_lu; r++) {
        const struct lu_row *l = &p->lu[r];
        int b = r * LU_COLS;
        db_bind_i64(st, b + 1, l->id);
        db_bind_i64(st, b + 2, l->paid);
        db_bind_i64(st, b + 3, l->adj);
        db_bind_i64(st, b + 4, l->pr);
        db_bind_i64(st, b + 5, l->allowed_mode);
        db_bind_i64(st, b + 6, l->allowed);
    }
    p->n_lu = 0;
    return db_exec(st, diag);
}

/* The claims' amounts and states, then the events of those that moved. */
static enum rcm_err
flush_claims(struct poster *p, struct db_tx *tx, struct rcm_diag *diag)
{
    if (!p->n_cu)
        return RCM_OK;
    struct db_stmt *st;
    enum rcm_err err = db_prepare(tx, &cu_sql[p->n_cu - 1], &st, diag);
    if (err)
        return err;
    int n_ev = 0;
    for (int r = 0; r < p->n_cu; r++) {
        const struct cu_row *c = &p->cu[r];
        int b = r * 8;
        db_bind_i64(st, b + 1, c->id);
        db_bind_i64(st, b + 2, c->paid);
        db_bind_i64(st, b + 3, c->adj);
        db_bind_i64(st, b + 4, c->pr);
        db_bind_text_or_null(st, b + 5, c->payer_no);
        db_bind_i64(st, b + 6, c->day);
        db_bind_i64(st, b + 7, p->now);
        db_bind_text(st, b + 8, c->to);
        n_ev += c->move;
    }
    if ((err = db_exec(st, diag)))
        return err;
    if (n_ev && !(err = db_prepare(tx, &ev_sql[n_ev - 1], &st, diag))) {
        int k = 0;
        for (int r = 0; r < p->n_cu; r++) {
            const struct cu_row *c = &p->cu[r];
            if (!c->move)
                continue;
            int b = k++ * 7;
            db_bind_i64(st, b + 1, p->tenant_id);
            db_bind_i64(st, b + 2, c->id);
            db_bind_i64(st, b + 3, p->now);
            db_bind_id_or_null(st, b + 4, p->event_user);
            db_bind_text(st, b + 5, c->from);
            db_bind_text(st, b + 6, c->to);
            db_bind_text(st, b + 7, c->source);
        }
        err = db_exec(st, diag);
    }
    p->n_cu = 0;
    return err;
}

static bool
claim_pending(const struct poster *p, int64_t id)
{
    for (int i = 0; i < p->n_cu; i++)
        if (p->cu[i].id == id)
            return true;
    return false;
}

static enum rcm_err
flush_all(struct poster *p, struct db_tx *tx, struct rcm_diag *diag)
{
    enum rcm_err err = flush_adj(p, tx, diag);
    if (!err)
        err = flush_lines(p, tx, diag);
    return err ? err : flush_claims(p, tx, diag);
}

static enum rcm_err
insert_adj(struct poster *p, struct db_tx *tx, int64_t cp_id, int64_t pl_id,
           const struct rcm_post_adj *a, struct rcm_diag *diag)
{
    if (p->n_adj == BATCH) {
        enum rcm_err err = flush_adj(p, tx, diag);
        if (err)
            return err;
    }
    enum rcm_adj_group g;
    struct adj_row *r = &p->adj[p->n_adj++];
    r->cp_id = cp_id;
    r->pl_id = pl_id;
    r->amount = a->amount_cents;
    rcm_str_copy(r->group, sizeof r->group,
                 rcm_str_c(rcm_adj_group_from_code(a->group, &g) ? a->group : "OA"));
    rcm_str_copy(r->carc, sizeof r->carc, rcm_str_c(a->carc));
    return RCM_OK;
}

static enum rcm_err
update_line(struct poster *p, struct db_tx *tx, const struct rcm_post_line_result *r,
            int64_t line_adj, struct rcm_diag *diag)
{
    bool dup = false;
    for (int i = 0; i < p->n_lu && !dup; i++)
        dup = p->lu[i].id == r->line_id;
    if (dup || p->n_lu == BATCH) {
        enum rcm_err err = flush_lines(p, tx, diag);
        if (err)
            return err;
    }
    p->lu[p->n_lu++] = (struct lu_row){r->line_id, r->paid_cents, line_adj,
                                       r->patient_resp_cents,
                                       r->reversal ? 2 : r->has_allowed ? 1 : 0,
                                       r->allowed_cents};
    return RCM_OK;
}

/*
 * Apply a planned claim payment to claim c: its lines, adjustments,
 * denials, amounts and state. cp_id is the claim_payment row (written by
 * the caller). day = the remittance's payment date.
 */
/* Whether an adjustment lowers what the payer still owes now: not the
 * patient's share (PR), and not a denial someone can work (it stays in A/R
 * until it is written off — the write-off adds it then — appealed or
 * corrected). A reversal's negative amount is classified like the amount
 * it takes back. */
static bool
counts_as_adjustment(const struct rcm_post_adj *a)
{
    int64_t amount = a->amount_cents < 0 ? -a->amount_cents : a->amount_cents;
    return strcmp(a->group, "PR") != 0 && !rcm_denial_is_workable(a->group, a->carc, amount);
}

static enum rcm_err
apply_plan(struct poster *p, struct db_tx *tx, const struct claim_ref *c, int64_t cp_id,
           const struct rcm_x12_claim_payment *pay, int32_t day, int seq, struct rcm_diag *diag)
{
    const struct rcm_post_plan *plan = p->plan;
    bool money = plan->outcome != RCM_POST_NOT_OURS && plan->outcome != RCM_POST_PREDETERMINATION;
    int64_t adj_total = 0;
    enum rcm_err err = RCM_OK;
    struct db_stmt *st;
    bool row;
    char remarks[80];
    for (int i = 0; i < plan->n_results && !err; i++) {
        const struct rcm_post_line_result *r = &plan->results[i];
        const struct rcm_x12_line *svc = &pay->lines[r->svc_index];
        char mods[16];
        join_mods(mods, sizeof mods, svc->modifiers);
        join_words(remarks, sizeof remarks, r->remarks, r->n_remarks);
        if ((err = db_prepare(tx, &PL_INSERT, &st, diag)))
            break;
        db_bind_i64(st, 1, p->tenant_id);
        db_bind_i64(st, 2, cp_id);
        db_bind_id_or_null(st, 3, r->line_id);
        db_bind_text_or_null(st, 4, r->match ? rcm_post_match_name(r->match) : NULL);
        db_bind_text(st, 5, svc->procedure);
        db_bind_text(st, 6, mods);
        db_bind_i64(st, 7, r->charge_cents);
        db_bind_i64(st, 8, r->paid_cents);
        if (r->has_allowed)
            db_bind_i64(st, 9, r->allowed_cents);
        else
            db_bind_null(st, 9);
        if (svc->units_milli > 0)
            db_bind_i64(st, 10, svc->units_milli);
        else
            db_bind_null(st, 10);
        db_bind_text(st, 11, remarks);
        if ((err = db_step(st, &row, diag)))
            break;
        int64_t pl_id = db_col_i64(st, 0);
        int64_t line_adj = 0;
        for (int k = 0; k < r->n_adj && !err; k++) {
            const struct rcm_post_adj *a = &r->adj[k];
            err = insert_adj(p, tx, cp_id, pl_id, a, diag);
            if (counts_as_adjustment(a))
                line_adj += a->amount_cents;
            if (!err && money && a->workable && a->amount_cents > 0)
                err = insert_denial(p, tx, c, r->line_id, cp_id, a, remarks, day, diag);
        }
        adj_total += line_adj;
        p->t.lines++;
        if (err || !r->line_id || !money)
            continue;
        err = update_line(p, tx, r, line_adj, diag);
    }
    join_words(remarks, sizeof remarks, plan->claim_remarks, plan->n_claim_remarks);
    for (int k = 0; k < plan->n_claim_adj && !err; k++) {
        const struct rcm_post_adj *a = &plan->claim_adj[k];
        err = insert_adj(p, tx, cp_id, 0, a, diag);
        if (counts_as_adjustment(a))
            adj_total += a->amount_cents;
        if (!err && money && a->workable && a->amount_cents > 0)
            err = insert_denial(p, tx, c, 0, cp_id, a, remarks, day, diag);
    }
    if (err)
        return err;
    /* the state move */
    enum rcm_claim_state from, to;
    enum rcm_claim_source src = RCM_CLAIM_SRC_REMIT_835;
    bool move = money && target_state(plan->outcome, &to, &src) &&
                rcm_claim_state_from_name(c->state, &from, NULL) == RCM_OK;
    if (move && rcm_claim_move_check(from, to, src, false, NULL) != RCM_OK) {
        if (src == RCM_CLAIM_SRC_REVERSAL &&
            rcm_claim_move_check(from, RCM_CLAIM_SUBMITTED, src, false, NULL) == RCM_OK) {
            to = RCM_CLAIM_SUBMITTED;
        } else {
            move = false;
            add_finding(&p->t, p->set_no, seq, "claim-state-unchanged", false, 0, 0, 0);
        }
    }
    const char *state = move ? rcm_claim_state_name(to) : c->state;
    if (p->n_cu == BATCH && (err = flush_claims(p, tx, diag)))
        return err;
    struct cu_row *cu = &p->cu[p->n_cu++];
    *cu = (struct cu_row){c->id, money ? plan->paid_cents : 0, money ? adj_total : 0,
                          money ? plan->patient_resp_cents : 0, day, move, "", "", "",
                          rcm_claim_source_name(src)};
    rcm_str_copy(cu->payer_no, sizeof cu->payer_no, rcm_str_c(pay->payer_claim_id));
    rcm_str_copy(cu->from, sizeof cu->from, rcm_str_c(c->state));
    rcm_str_copy(cu->to, sizeof cu->to, rcm_str_c(state));
    switch (plan->outcome) {
    case RCM_POST_PAID_FULL:
    case RCM_POST_PATIENT_RESP:
    case RCM_POST_ZERO_PAID: p->t.paid++; break;
    case RCM_POST_PAID_PARTIAL: p->t.partial++; break;
    case RCM_POST_DENIED: p->t.denied++; break;
    case RCM_POST_REVERSAL: p->t.reversed++; break;
    default: p->t.other++; break;
    }
    return err;
}

static void
plan_findings(struct poster *p, int seq)
{
    const struct rcm_post_plan *plan = p->plan;
    for (int i = 0; i < plan->n_findings; i++) {
        const struct rcm_post_finding *f = &plan->findings[i];
        if (strcmp(f->code, "claim-unknown") == 0)
            continue;
        add_finding(&p->t, p->set_no, seq, f->code, f->severity == RCM_POST_ERROR, f->line_no,
                    f->expected_cents, f->actual_cents);
    }
    p->t.n_dropped += plan->n_findings_dropped;
}

static enum rcm_err
insert_payment_row(struct poster *p, struct db_tx *tx, int64_t remit_id, int seq,
                   const struct rcm_x12_claim_payment *pay, int64_t claim_id,
                   const char *matched_by, const uint8_t *pending, size_t pending_len,
                   int64_t *id, struct rcm_diag *diag)
{
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CP_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, p->tenant_id);
    db_bind_i64(st, 2, remit_id);
    db_bind_i64(st, 3, seq);
    db_bind_id_or_null(st, 4, claim_id);
    db_bind_text_or_null(st, 5, matched_by);
    if (claim_id)
        db_bind_i64(st, 6, p->now);
    else
        db_bind_null(st, 6);
    db_bind_text(st, 7, pay->claim_id);
    db_bind_text(st, 8, pay->status);
    db_bind_i64(st, 9, pay->charge_cents);
    db_bind_i64(st, 10, pay->paid_cents);
    db_bind_i64(st, 11, pay->patient_resp_cents);
    db_bind_text_or_null(st, 12, pay->payer_claim_id);
    db_bind_i64(st, 13, strcmp(pay->status, "22") == 0);
    if (pending_len)
        db_bind_blob(st, 14, pending, pending_len);
    else
        db_bind_null(st, 14);
    if ((err = db_step(st, &row, diag)))
        return err;
    *id = db_col_i64(st, 0);
    return RCM_OK;
}

static enum rcm_err
seal_pending(struct poster *p, int64_t remit_id, int seq,
             const struct rcm_x12_claim_payment *pay, uint8_t **out, size_t *len,
             struct rcm_diag *diag)
{
    json_t *j = NULL;
    struct rcm_buf b = RCM_BUF_INIT(RCM_REMIT_JSON_MAX);
    enum rcm_err err = rcm_remit_payment_to_json(pay, &j);
    if (!err)
        err = rcm_json_dump(j, &b);
    json_decref(j);
    *out = NULL;
    *len = 0;
    if (!err) {
        size_t cap = b.len + RCM_AEAD_OVERHEAD_BYTES + 16;
        char uid[33];
        pending_uid(remit_id, seq, uid);
        struct store_cell c = {p->tenant_id, "claim_payment", "pending", uid};
        *out = rcm_malloc(cap);
        err = *out ? store_seal_value(p->tenant_key, &c, rcm_buf_cstr(&b), *out, cap, len)
                   : RCM_E_NOMEM;
    }
    rcm_crypto_wipe(b.data, b.cap);
    rcm_buf_release(&b);
    if (err)
        rcm_diag_fail(diag, err, "cannot seal an unmatched payment");
    return err;
}

static enum rcm_err
post_payment(struct poster *p, struct db_tx *tx, int64_t remit_id, int seq, int32_t day,
             const struct rcm_x12_claim_payment *pay, bool *unmatched, struct rcm_diag *diag)
{
    struct claim_ref c = {0};
    bool found = false;
    const char *by = "control_number";
    enum rcm_err err = find_claim(tx, &CLAIM_BY_CONTROL, p->tenant_id, pay->claim_id, 0, &c,
                                  &found, diag);
    if (!err && !found && pay->payer_claim_id[0]) {
        /* a payer claim number may come from a claim still in the batch */
        if ((err = flush_claims(p, tx, diag)))
            return err;
        by = "payer_claim_number";
        err = find_claim(tx, &CLAIM_BY_PAYER_NO, p->tenant_id, pay->payer_claim_id, 0, &c,
                         &found, diag);
    }
    if (!err && found && claim_pending(p, c.id)) {
        /* paid twice in one remittance: read it again as the first left it */
        if (!(err = flush_claims(p, tx, diag)))
            err = find_claim(tx, &CLAIM_BY_ID, p->tenant_id, NULL, c.id, &c, &found, diag);
    }
    if (err)
        return err;
    int64_t cp_id = 0;
    p->t.claims++;
    p->t.paid_cents += pay->paid_cents;
    *unmatched = !found;
    if (!found) {
        uint8_t *sealed = NULL;
        size_t n = 0;
        err = seal_pending(p, remit_id, seq, pay, &sealed, &n, diag);
        if (!err)
            err = insert_payment_row(p, tx, remit_id, seq, pay, 0, NULL, sealed, n, &cp_id, diag);
        rcm_free(sealed);
        p->t.unmatched++;
        add_finding(&p->t, p->set_no, seq, "claim-unknown", true, 0, 0, 0);
        return err;
    }
    size_t n_lines = 0;
    if ((err = load_lines(tx, c.id, p->lines, &n_lines, diag)))
        return err;
    if (rcm_post_plan_build(pay, p->lines, n_lines, p->plan) != RCM_OK)
        return rcm_diag_fail(diag, RCM_E_INVAL, "claim payment %d: no plan", seq);
    plan_findings(p, seq);
    err = insert_payment_row(p, tx, remit_id, seq, pay, c.id, by, NULL, 0, &cp_id, diag);
    return err ? err : apply_plan(p, tx, &c, cp_id, pay, day, seq, diag);
}

/* ---- one remittance --------------------------------------------------------- */

/* A claim payment kept compact: the struct without its unused lines. */
#define PAY_HEAD offsetof(struct rcm_x12_claim_payment, lines)
#define PAY_TAIL_AT (PAY_HEAD + RCM_X12_MAX_LINES * sizeof(struct rcm_x12_line))
#define PAY_TAIL (sizeof(struct rcm_x12_claim_payment) - PAY_TAIL_AT)

static void *
pay_pack(const struct rcm_x12_claim_payment *p)
{
    int n = p->n_lines < 0 ? 0 : p->n_lines > RCM_X12_MAX_LINES ? RCM_X12_MAX_LINES : p->n_lines;
    size_t lines = (size_t)n * sizeof(struct rcm_x12_line);
    unsigned char *b = rcm_malloc(PAY_HEAD + lines + PAY_TAIL);
    if (!b)
        return NULL;
    memcpy(b, p, PAY_HEAD);
    memcpy(b + PAY_HEAD, p->lines, lines);
    memcpy(b + PAY_HEAD + lines, (const unsigned char *)p + PAY_TAIL_AT, PAY_TAIL);
    return b;
}

static void
pay_unpack(const void *blob, struct rcm_x12_claim_payment *p)
{
    const unsigned char *b = blob;
    memcpy(p, b, PAY_HEAD);
    int n = p->n_lines < 0 ? 0 : p->n_lines > RCM_X12_MAX_LINES ? RCM_X12_MAX_LINES : p->n_lines;
    size_t lines = (size_t)n * sizeof(struct rcm_x12_line);
    memcpy(p->lines, b + PAY_HEAD, lines);
    memcpy((unsigned char *)p + PAY_TAIL_AT, b + PAY_HEAD + lines, PAY_TAIL);
}

struct set {
    struct rcm_x12_remit remit;
    void **pays;
    size_t n, cap;
    struct rcm_x12_claim_payment *scratch;  /* unpacked one at a time */
    /* manual: borrowed, not packed */
    const struct rcm_x12_claim_payment *direct;
    /* out */
    int64_t remit_id;
    bool already;
};

struct set_args {
    struct poster *p;
    struct set *set;
};

static enum rcm_err
post_set_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct set_args *a = ctx;
    struct poster *p = a->p;
    struct set *set = a->set;
    const struct rcm_x12_remit *r = &set->remit;
    memset(&p->t, 0, sizeof p->t);
    p->n_adj = p->n_lu = p->n_cu = 0;
    set->already = false;
    struct db_stmt *st;
    bool row;
    char cd[2] = {r->credit_debit ? r->credit_debit : 'C', 0};
    enum rcm_err err = db_prepare(tx, &REMIT_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, p->tenant_id);
    db_bind_i64(st, 2, p->now);
    db_bind_id_or_null(st, 3, p->actor->user_id);
    db_bind_text(st, 4, p->source);
    db_bind_text(st, 5, r->payer_id);
    db_bind_text(st, 6, r->trace_number);
    db_bind_i64(st, 7, r->payment_cents);
    db_bind_text(st, 8, cd[0] == 'D' ? "D" : "C");
    db_bind_text_or_null(st, 9, r->method);
    bind_day_or_null(st, 10, r->payment_date_days);
    db_bind_text_or_null(st, 11, p->file_sha256);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row) {
        if ((err = db_prepare(tx, &REMIT_FIND, &st, diag)))
            return err;
        db_bind_i64(st, 1, p->tenant_id);
        db_bind_text(st, 2, r->payer_id);
        db_bind_text(st, 3, r->trace_number);
        db_bind_i64(st, 4, r->payment_cents);
        if ((err = db_step(st, &row, diag)))
            return err;
        set->remit_id = row ? db_col_i64(st, 0) : 0;
        set->already = true;
        return RCM_OK;
    }
    set->remit_id = db_col_i64(st, 0);
    int32_t day = r->payment_date_days != RCM_X12_NO_DATE ? r->payment_date_days
                                                           : rcm_date_today_utc();
    int n_unmatched = 0;
    for (size_t i = 0; i < set->n && !err; i++) {
        const struct rcm_x12_claim_payment *pay = &set->direct[i];
        if (!set->direct) {
            pay_unpack(set->pays[i], set->scratch);
            pay = set->scratch;
        }
        bool unmatched = false;
        err = post_payment(p, tx, set->remit_id, (int)i + 1, day, pay, &unmatched, diag);
        n_unmatched += unmatched;
    }
    if (!err)
        err = flush_all(p, tx, diag);
    for (int i = 0; i < r->n_plb && !err; i++) {
        const struct rcm_x12_plb *b = &r->plb[i];
        if ((err = db_prepare(tx, &PLB_INSERT, &st, diag)))
            break;
        db_bind_i64(st, 1, p->tenant_id);
        db_bind_i64(st, 2, set->remit_id);
        db_bind_text(st, 3, b->provider_id);
        bind_day_or_null(st, 4, b->fiscal_period_days);
        db_bind_text(st, 5, b->reason);
        db_bind_text_or_null(st, 6, b->reference);
        db_bind_i64(st, 7, b->amount_cents);
        err = db_exec(st, diag);
        p->t.plb_cents += b->amount_cents;
    }
    if (!err && !(err = db_prepare(tx, &REMIT_COUNTS, &st, diag))) {
        db_bind_i64(st, 1, set->remit_id);
        db_bind_i64(st, 2, (int64_t)set->n);
        db_bind_i64(st, 3, n_unmatched);
        err = db_exec(st, diag);
    }
    if (!err && !(err = db_prepare(tx, &DEPOSIT_LINK, &st, diag))) {
        db_bind_i64(st, 1, p->tenant_id);
        db_bind_text(st, 2, r->trace_number);
        db_bind_i64(st, 3, set->remit_id);
        err = db_exec(st, diag);
    }
    return err ? err : audit_obj(p->s, tx, p->actor, "remittance.post", "remittance",
                                 set->remit_id, 0, p->now, diag);
}

static void
merge(struct rcm_remit_post_result *out, const struct poster *p, const struct set *set)
{
    if (out->n_ids < RCM_REMIT_MAX_IDS) {
        out->remittance_ids[out->n_ids] = set->remit_id;
        out->already[out->n_ids++] = set->already;
    }
    if (set->already) {
        out->already_posted++;
        return;
    }
    const struct tally *t = &p->t;
    out->posted++;
    out->claims += t->claims;
    out->paid += t->paid;
    out->partial += t->partial;
    out->denied += t->denied;
    out->reversed += t->reversed;
    out->other += t->other;
    out->unmatched += t->unmatched;
    out->service_lines += t->lines;
    out->paid_cents += t->paid_cents;
    out->plb_cents += t->plb_cents;
    out->denials += t->denials;
    for (int i = 0; i < t->n_findings; i++) {
        if (out->n_findings == RCM_REMIT_MAX_FINDINGS)
            out->n_findings_dropped++;
        else
            out->findings[out->n_findings++] = t->findings[i];
    }
    out->n_findings_dropped += t->n_dropped;
}

static enum rcm_err
post_set(struct poster *p, struct set *set, struct rcm_remit_post_result *out,
         struct rcm_diag *diag)
{
    struct set_args a = {p, set};
    p->set_no = out->sets + 1;
    enum rcm_err err = db_write(p->s->db, post_set_fn, &a, diag);
    out->sets++;
    if (!err)
        merge(out, p, set);
    return err;
}

static void
set_clear(struct set *set)
{
    for (size_t i = 0; i < set->n; i++)
        rcm_free(set->pays[i]);
    set->n = 0;
}

/* ---- the 835 reader --------------------------------------------------------- */

struct reading {
    struct poster *p;
    struct set set;
    struct rcm_remit_post_result *out;
    struct rcm_diag *diag;
    enum rcm_err err;
    bool first_error;
};

static void
on_finding(void *ctx, const struct rcm_x12_finding *f)
{
    struct rcm_remit_post_result *out = ctx;
    if (f->severity != RCM_X12_SEV_ERROR || out->error_code)
        return;
    out->error_code = f->code;
    rcm_str_copy(out->error_seg, sizeof out->error_seg, rcm_str_c(f->seg_id));
    out->error_seg_index = f->seg_index;
    out->error_element = f->element;
}

static void
on_pay(void *ctx, const struct rcm_x12_remit *r, const struct rcm_x12_claim_payment *pay)
{
    (void)r;
    struct reading *rd = ctx;
    if (rd->err)
        return;
    if (rd->set.n == rd->set.cap) {
        size_t cap = rd->set.cap ? rd->set.cap * 2 : 64;
        void **v = rcm_realloc(rd->set.pays, cap * sizeof *v);
        if (!v) {
            rd->err = RCM_E_NOMEM;
            return;
        }
        rd->set.pays = v;
        rd->set.cap = cap;
    }
    void *b = pay_pack(pay);
    if (!b) {
        rd->err = RCM_E_NOMEM;
        return;
    }
    rd->set.pays[rd->set.n++] = b;
}

static void
on_remit(void *ctx, const struct rcm_x12_remit *r)
{
    struct reading *rd = ctx;
    if (!rd->err) {
        rd->set.remit = *r;
        rd->err = post_set(rd->p, &rd->set, rd->out, rd->diag);
    }
    set_clear(&rd->set);
}

static enum rcm_err
poster_init(struct poster *p, struct rcm_store *s, const struct rcm_actor *actor,
            struct rcm_key *key, struct rcm_diag *diag)
{
    pthread_once(&batch_once, batch_init);
    memset(p, 0, sizeof *p);
    p->s = s;
    p->actor = actor;
    p->tenant_id = actor->tenant_id;
    p->now = rcm_time_now_ms();
    p->tenant_key = key;
    p->plan = rcm_calloc(1, sizeof *p->plan);
    if (!p->plan)
        return RCM_E_NOMEM;
    return store_tenant_key(s, actor->tenant_id, STORE_KEY_DATA, true, key, diag);
}

enum rcm_err
rcm_store_remit_post_x12(struct rcm_store *store, const struct rcm_actor *actor,
                         const char *x12, size_t n, struct rcm_remit_post_result *out,
                         struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    if (!x12 || !n)
        return rcm_diag_fail(diag, RCM_E_PARSE, "the file is empty");
    /* pass 1: validate; nothing is written unless the file is clean */
    struct rcm_x12_validate_opts vo = {.on_finding = on_finding, .ctx = out};
    struct rcm_x12_stats stats;
    enum rcm_err err = rcm_x12_validate_buffer(x12, n, &vo, &stats);
    if (err)
        return rcm_diag_fail(diag, err, "cannot read the 835");
    if (stats.errors || !out->error_code) {
        if (stats.errors || stats.sets == 0) {
            if (!out->error_code)
                out->error_code = "no_transaction_set";
            return rcm_diag_fail(diag, RCM_E_PARSE, "malformed 835: %s at segment %" PRIu64
                                 " (%s) element %d", out->error_code, out->error_seg_index + 1,
                                 out->error_seg[0] ? out->error_seg : "-", out->error_element);
        }
    }
    uint8_t digest[RCM_SHA256_BYTES];
    char hex[2 * RCM_SHA256_BYTES + 1];
    rcm_sha256(x12, n, digest);
    rcm_hex_encode(digest, sizeof digest, hex);
    /* pass 2: the model hands the claim payments over, one set at a time */
    struct rcm_key key = {0};
    struct poster *p = rcm_calloc(1, sizeof *p);
    struct rcm_x12_model *m = rcm_calloc(1, sizeof *m);
    struct reading *rd = rcm_calloc(1, sizeof *rd);
    err = p && m && rd ? poster_init(p, store, actor, &key, diag) : RCM_E_NOMEM;
    if (!err) {
        p->source = "era";
        p->file_sha256 = hex;
        rd->p = p;
        rd->out = out;
        rd->diag = diag;
        rd->set.scratch = rcm_malloc(sizeof *rd->set.scratch);
        if (!rd->set.scratch)
            err = RCM_E_NOMEM;
    }
    if (!err) {
        rcm_x12_model_init(m, NULL, on_pay, rd);
        m->on_remit = on_remit;
        struct rcm_x12_validate_opts o = {.on_segment = rcm_x12_model_segment, .ctx = m};
        err = rcm_x12_validate_buffer(x12, n, &o, NULL);
        rcm_x12_model_finish(m);
        if (!err)
            err = rd->err;
    }
    if (rd) {
        set_clear(&rd->set);
        rcm_free(rd->set.pays);
        rcm_free(rd->set.scratch);
    }
    if (p)
        rcm_free(p->plan);
    rcm_key_wipe(&key);
    rcm_free(p);
    rcm_free(m);
    rcm_free(rd);
    return err;
}

enum rcm_err
rcm_store_remit_post_manual(struct rcm_store *store, const struct rcm_actor *actor,
                            const struct rcm_remit_manual *mn,
                            struct rcm_remit_post_result *out, struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    if (!mn->trace_number[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "trace_number (the check number) is required");
    if (!mn->payer_id[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "payer_id is required");
    if (mn->n_pays < 1 || mn->n_pays > 1000)
        return rcm_diag_fail(diag, RCM_E_INVAL, "1 to 1000 claim payments are required");
    int64_t sum = 0;
    for (size_t i = 0; i < mn->n_pays; i++)
        sum += mn->pays[i].paid_cents;
    if (sum != mn->payment_cents)
        return rcm_diag_fail(diag, RCM_E_INVAL, "payment_cents is not the sum of the claim "
                             "payments' paid_cents");
    struct rcm_key key = {0};
    struct poster *p = rcm_calloc(1, sizeof *p);
    struct set *set = rcm_calloc(1, sizeof *set);
    enum rcm_err err = p && set ? poster_init(p, store, actor, &key, diag) : RCM_E_NOMEM;
    if (!err) {
        p->source = "manual";
        p->event_user = actor->user_id;
        set->remit.payment_cents = mn->payment_cents;
        set->remit.credit_debit = 'C';
        rcm_str_copy(set->remit.method, sizeof set->remit.method,
                     rcm_str_c(mn->method[0] ? mn->method : "CHK"));
        set->remit.payment_date_days = mn->payment_day;
        rcm_str_copy(set->remit.trace_number, sizeof set->remit.trace_number,
                     rcm_str_c(mn->trace_number));
        rcm_str_copy(set->remit.payer_id, sizeof set->remit.payer_id, rcm_str_c(mn->payer_id));
        set->direct = mn->pays;
        set->n = mn->n_pays;
        err = post_set(p, set, out, diag);
    }
    if (p)
        rcm_free(p->plan);
    rcm_key_wipe(&key);
    rcm_free(p);
    rcm_free(set);
    return err;
}

/* ---- the unmatched queue ----------------------------------------------------- */

static const struct db_sql CP_PENDING = {
    "CLAIM_PAYMENT_PENDING",
    "SELECT cp.remittance_id, cp.seq, cp.pending, r.payment_day FROM claim_payment cp JOIN "
    "remittance r ON r.id = cp.remittance_id WHERE cp.tenant_id = ?1 AND cp.id = ?2 AND "
    "cp.claim_id IS NULL AND cp.pending IS NOT NULL", NULL};

struct match_args {
    struct poster *p;
    int64_t payment_id, claim_id;
    const struct rcm_x12_claim_payment *pay;
    int64_t remit_id;
    int seq;
    int32_t day;
};

static enum rcm_err
match_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct match_args *a = ctx;
    struct poster *p = a->p;
    memset(&p->t, 0, sizeof p->t);
    p->n_adj = p->n_lu = p->n_cu = 0;
    struct claim_ref c = {0};
    bool found;
    struct db_stmt *st;
    enum rcm_err err = find_claim(tx, &CLAIM_BY_ID, p->tenant_id, NULL, a->claim_id, &c, &found,
                                  diag);
    if (err)
        return err;
    if (!found)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such claim");
    if ((err = db_prepare(tx, &CP_MATCH, &st, diag)))
        return err;
    db_bind_i64(st, 1, p->tenant_id);
    db_bind_i64(st, 2, a->payment_id);
    db_bind_i64(st, 3, c.id);
    db_bind_i64(st, 4, p->now);
    if ((err = db_exec(st, diag)))
        return err;
    if (db_changes(st) != 1)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the payment was matched meanwhile");
    size_t n_lines = 0;
    if ((err = load_lines(tx, c.id, p->lines, &n_lines, diag)))
        return err;
    if (rcm_post_plan_build(a->pay, p->lines, n_lines, p->plan) != RCM_OK)
        return rcm_diag_fail(diag, RCM_E_INVAL, "no plan for the payment");
    plan_findings(p, a->seq);
    p->t.claims = 1;
    p->t.paid_cents = a->pay->paid_cents;
    err = apply_plan(p, tx, &c, a->payment_id, a->pay, a->day, a->seq, diag);
    if (!err)
        err = flush_all(p, tx, diag);
    return err ? err : audit_obj(p->s, tx, p->actor, "remittance.match", "claim_payment",
                                 a->payment_id, c.patient_id, p->now, diag);
}

struct pending_read {
    int64_t tenant_id, id;
    int64_t remit_id;
    int seq;
    int32_t day;
    uint8_t *env;
    size_t env_len;
};

static enum rcm_err
pending_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct pending_read *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CP_PENDING, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such unmatched payment");
    a->remit_id = db_col_i64(st, 0);
    a->seq = (int)db_col_i64(st, 1);
    size_t n = 0;
    const void *b = db_col_blob(st, 2, &n);
    a->day = col_day(st, 3);
    a->env = rcm_malloc(n ? n : 1);
    if (!a->env)
        return RCM_E_NOMEM;
    memcpy(a->env, b, n);
    a->env_len = n;
    return RCM_OK;
}

/* Open a sealed pending CLP into out (cap bytes). */
static enum rcm_err
open_pending(const struct rcm_key *key, int64_t tenant, int64_t remit_id, int seq,
             const uint8_t *env, size_t len, char *out, size_t cap, struct rcm_diag *diag)
{
    char uid[33];
    pending_uid(remit_id, seq, uid);
    struct store_cell c = {tenant, "claim_payment", "pending", uid};
    return store_open_value(key, &c, env, len, out, cap, diag);
}

enum rcm_err
rcm_store_unmatched_match(struct rcm_store *store, const struct rcm_actor *actor,
                          int64_t payment_id, int64_t claim_id,
                          struct rcm_remit_post_result *out, struct rcm_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    struct pending_read pr = {.tenant_id = actor->tenant_id, .id = payment_id};
    struct rcm_key key = {0};
    struct poster *p = rcm_calloc(1, sizeof *p);
    struct rcm_x12_claim_payment *pay = rcm_calloc(1, sizeof *pay);
    char *json = rcm_malloc(RCM_REMIT_JSON_MAX);
    enum rcm_err err = p && pay && json ? poster_init(p, store, actor, &key, diag) : RCM_E_NOMEM;
    if (!err)
        err = store_read(store, pending_fn, &pr, diag);
    if (!err)
        err = open_pending(&key, actor->tenant_id, pr.remit_id, pr.seq, pr.env, pr.env_len, json,
                           RCM_REMIT_JSON_MAX, diag);
    json_t *j = NULL;
    if (!err)
        err = rcm_json_parse(json, strlen(json), RCM_JSON_DEPTH_DEFAULT, &j, diag);
    if (!err)
        err = rcm_remit_payment_from_json(j, pay, diag);
    json_decref(j);
    if (!err) {
        p->source = "manual";
        p->event_user = actor->user_id;
        p->set_no = 1;
        struct match_args a = {p, payment_id, claim_id, pay, pr.remit_id, pr.seq, pr.day};
        if (a.day == RCM_X12_NO_DATE)
            a.day = rcm_date_today_utc();
        err = db_write(store->db, match_fn, &a, diag);
    }
    if (!err) {
        struct set set = {.remit_id = pr.remit_id};
        merge(out, p, &set);
        out->sets = 1;
    }
    if (json)
        rcm_crypto_wipe(json, RCM_REMIT_JSON_MAX);
    rcm_free(json);
    if (pay)
        rcm_crypto_wipe(pay, sizeof *pay);
    rcm_free(pay);
    rcm_free(pr.env);
    if (p)
        rcm_free(p->plan);
    rcm_free(p);
    rcm_key_wipe(&key);
    return err;
}

/* ---- reads ------------------------------------------------------------------- */

#define REMIT_COLUMNS                                                                  \
    "r.id, r.created_ms, r.user_id, r.source, r.payer_id, r.trace_number, "            \
    "r.payment_cents, r.credit_debit, r.method, r.payment_day, r.n_claims, r.n_unmatched, " \
    "d.id, d.amount_cents"

static const struct db_sql REMIT_GET = {
    "REMIT_GET", "SELECT " REMIT_COLUMNS " FROM remittance r LEFT JOIN deposit d ON "
    "d.tenant_id = r.tenant_id AND d.trace_number = r.trace_number WHERE r.tenant_id = ?1 "
    "AND r.id = ?2", NULL};
static const struct db_sql REMIT_LIST = {
    "REMIT_LIST", "SELECT " REMIT_COLUMNS " FROM remittance r LEFT JOIN deposit d ON "
    "d.tenant_id = r.tenant_id AND d.trace_number = r.trace_number WHERE r.tenant_id = ?1 "
    "AND (?2 = 0 OR r.id < ?2) ORDER BY r.id DESC LIMIT ?3",
    "SELECT " REMIT_COLUMNS " FROM remittance r LEFT JOIN deposit d ON "
    "d.tenant_id = r.tenant_id AND d.trace_number = r.trace_number WHERE r.tenant_id = ?1 "
    "AND (CAST(?2 AS bigint) = 0 OR r.id < ?2) ORDER BY r.id DESC LIMIT ?3"};

#define CP_COLUMNS                                                                     \
    "cp.id, cp.remittance_id, cp.claim_id, cp.seq, cp.matched_by, cp.control_number, "  \
    "cp.status_code, cp.charge_cents, cp.paid_cents, cp.patient_resp_cents, "           \
    "cp.payer_claim_number, cp.reversal"

static const struct db_sql CP_OF_REMIT = {
    "CLAIM_PAYMENTS_OF_REMIT", "SELECT " CP_COLUMNS " FROM claim_payment cp WHERE "
    "cp.tenant_id = ?1 AND cp.remittance_id = ?2 ORDER BY cp.seq", NULL};
static const struct db_sql CP_UNMATCHED = {
    "CLAIM_PAYMENTS_UNMATCHED", "SELECT " CP_COLUMNS ", r.payer_id, r.trace_number, "
    "r.payment_day, cp.pending FROM claim_payment cp JOIN remittance r ON r.id = "
    "cp.remittance_id WHERE cp.tenant_id = ?1 AND cp.claim_id IS NULL AND cp.matched_by IS "
    "NULL AND cp.id > ?2 ORDER BY cp.id LIMIT ?3", NULL};

static void
remit_row(struct db_stmt *st, struct rcm_remittance *r)
{
    memset(r, 0, sizeof *r);
    r->id = db_col_i64(st, 0);
    r->created_ms = db_col_i64(st, 1);
    r->user_id = db_col_i64_or(st, 2, 0);
    db_col_copy(st, 3, r->source, sizeof r->source);
    db_col_copy(st, 4, r->payer_id, sizeof r->payer_id);
    db_col_copy(st, 5, r->trace_number, sizeof r->trace_number);
    r->payment_cents = db_col_i64(st, 6);
    db_col_copy(st, 7, r->credit_debit, sizeof r->credit_debit);
    db_col_copy(st, 8, r->method, sizeof r->method);
    r->payment_day = col_day(st, 9);
    r->n_claims = (int)db_col_i64(st, 10);
    r->n_unmatched = (int)db_col_i64(st, 11);
    r->deposit_id = db_col_i64_or(st, 12, 0);
    r->deposit_cents = db_col_i64_or(st, 13, 0);
}

static void
cp_row(struct db_stmt *st, struct rcm_claim_payment_row *p)
{
    memset(p, 0, sizeof *p);
    p->id = db_col_i64(st, 0);
    p->remittance_id = db_col_i64(st, 1);
    p->claim_id = db_col_i64_or(st, 2, 0);
    p->seq = (int)db_col_i64(st, 3);
    db_col_copy(st, 4, p->matched_by, sizeof p->matched_by);
    db_col_copy(st, 5, p->control_number, sizeof p->control_number);
    db_col_copy(st, 6, p->status, sizeof p->status);
    p->charge_cents = db_col_i64(st, 7);
    p->paid_cents = db_col_i64(st, 8);
    p->patient_resp_cents = db_col_i64(st, 9);
    db_col_copy(st, 10, p->payer_claim_number, sizeof p->payer_claim_number);
    p->reversal = db_col_i64(st, 11) != 0;
}

struct list_args {
    int64_t tenant_id, id, after;
    int limit;
    rcm_remittance_fn rfn;
    rcm_claim_payment_fn pfn;
    void *ctx;
    struct rcm_remittance *one;
    bool found;
};

static enum rcm_err
remit_list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct list_args *a = ctx;
    struct db_stmt *st;
    bool row;
    struct rcm_remittance r;
    enum rcm_err err = db_prepare(tx, a->one ? &REMIT_GET : &REMIT_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->one ? a->id : a->after);
    if (!a->one)
        db_bind_i64(st, 3, a->limit);
    while (!(err = db_step(st, &row, diag)) && row) {
        remit_row(st, a->one ? a->one : &r);
        a->found = true;
        if (a->one)
            break;
        if (a->rfn(a->ctx, &r))
            return RCM_OK;
    }
    if (err || !a->one || !a->found || !a->pfn)
        return err;
    /* the claim payments of one remittance */
    if ((err = db_prepare(tx, &CP_OF_REMIT, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->id);
    struct rcm_claim_payment_row p;
    while (!(err = db_step(st, &row, diag)) && row) {
        cp_row(st, &p);
        if (a->pfn(a->ctx, &p))
            break;
    }
    return err;
}

enum rcm_err
rcm_store_remit_list(struct rcm_store *store, const struct rcm_actor *actor, int64_t before_id,
                     int limit, rcm_remittance_fn fn, void *ctx, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    struct list_args a = {.tenant_id = actor->tenant_id, .after = before_id,
                          .limit = limit < 1 || limit > 100 ? 50 : limit, .rfn = fn, .ctx = ctx};
    enum rcm_err err = store_read(store, remit_list_fn, &a, diag);
    return err ? err : audit_obj(store, NULL, actor, "remittance.list", "remittance", 0, 0, 0,
                                 diag);
}

enum rcm_err
rcm_store_remit_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                    struct rcm_remittance *out, rcm_claim_payment_fn fn, void *ctx,
                    struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    struct list_args a = {.tenant_id = actor->tenant_id, .id = id, .one = out, .pfn = fn,
                          .ctx = ctx};
    enum rcm_err err = store_read(store, remit_list_fn, &a, diag);
    if (!err && !a.found)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such remittance");
    return err ? err : audit_obj(store, NULL, actor, "remittance.read", "remittance", id, 0, 0,
                                 diag);
}

struct unmatched_args {
    int64_t tenant_id, after;
    int limit;
    struct rcm_unmatched *rows;
    uint8_t **env;
    size_t *env_len;
    int n;
};

static enum rcm_err
unmatched_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct unmatched_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CP_UNMATCHED, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    db_bind_i64(st, 2, a->after);
    db_bind_i64(st, 3, a->limit);
    while (!(err = db_step(st, &row, diag)) && row && a->n < a->limit) {
        struct rcm_unmatched *u = &a->rows[a->n];
        memset(u, 0, sizeof *u);
        cp_row(st, &u->pay);
        db_col_copy(st, 12, u->payer_id, sizeof u->payer_id);
        db_col_copy(st, 13, u->trace_number, sizeof u->trace_number);
        u->payment_day = col_day(st, 14);
        size_t n = 0;
        const void *b = db_col_blob(st, 15, &n);
        a->env[a->n] = rcm_malloc(n ? n : 1);
        if (!a->env[a->n])
            return RCM_E_NOMEM;
        if (n)
            memcpy(a->env[a->n], b, n);
        a->env_len[a->n] = n;
        a->n++;
    }
    return err;
}

enum rcm_err
rcm_store_unmatched_list(struct rcm_store *store, const struct rcm_actor *actor,
                         int64_t after_id, int limit, bool open_sealed, rcm_unmatched_fn fn,
                         void *ctx, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    if (limit < 1 || limit > 100)
        limit = 50;
    struct unmatched_args a = {.tenant_id = actor->tenant_id, .after = after_id, .limit = limit};
    a.rows = rcm_calloc((size_t)limit, sizeof *a.rows);
    a.env = rcm_calloc((size_t)limit, sizeof *a.env);
    a.env_len = rcm_calloc((size_t)limit, sizeof *a.env_len);
    char *json = rcm_malloc(RCM_REMIT_JSON_MAX);
    struct rcm_key key = {0};
    enum rcm_err err = a.rows && a.env && a.env_len && json ? RCM_OK : RCM_E_NOMEM;
    if (!err)
        err = store_read(store, unmatched_fn, &a, diag);
    if (!err && open_sealed && a.n)
        err = store_tenant_key(store, actor->tenant_id, STORE_KEY_DATA, false, &key, diag);
    for (int i = 0; !err && i < a.n; i++) {
        struct rcm_unmatched *u = &a.rows[i];
        if (open_sealed) {
            err = open_pending(&key, actor->tenant_id, u->pay.remittance_id, u->pay.seq,
                               a.env[i], a.env_len[i], json, RCM_REMIT_JSON_MAX, diag);
            u->json = json;
        }
        if (!err && fn(ctx, u))
            break;
    }
    if (!err) {
        struct rcm_audit_what what = {"remittance.unmatched.list", "claim_payment", NULL, NULL,
                                      "success"};
        err = store_audit_append(store, actor, &what, diag);
    }
    for (int i = 0; a.env && i < a.n; i++)
        rcm_free(a.env[i]);
    rcm_key_wipe(&key);
    if (json)
        rcm_crypto_wipe(json, RCM_REMIT_JSON_MAX);
    rcm_free(json);
    rcm_free(a.rows);
    rcm_free(a.env);
    rcm_free(a.env_len);
    return err;
}

/* ---- deposits --------------------------------------------------------------- */

static const struct db_sql DEPOSIT_INSERT = {
    "DEPOSIT_INSERT",
    "INSERT INTO deposit (tenant_id, created_ms, user_id, trace_number, amount_cents, "
    "deposit_day, remittance_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT max(id) FROM "
    "remittance WHERE tenant_id = ?1 AND trace_number = ?4)) RETURNING id", NULL};
#define DEPOSIT_COLUMNS                                                               \
    "d.id, d.created_ms, d.user_id, d.trace_number, d.amount_cents, d.deposit_day, "   \
    "r.id, (SELECT COALESCE(sum(x.payment_cents), 0) FROM remittance x WHERE "        \
    "x.tenant_id = d.tenant_id AND x.trace_number = d.trace_number)"
static const struct db_sql DEPOSIT_GET = {
    "DEPOSIT_GET", "SELECT " DEPOSIT_COLUMNS " FROM deposit d LEFT JOIN remittance r ON "
    "r.id = d.remittance_id WHERE d.tenant_id = ?1 AND d.id = ?2",
    "SELECT d.id, d.created_ms, d.user_id, d.trace_number, d.amount_cents, d.deposit_day, "
    "r.id, (SELECT CAST(COALESCE(sum(x.payment_cents), 0) AS bigint) FROM remittance x WHERE "
    "x.tenant_id = d.tenant_id AND x.trace_number = d.trace_number) FROM deposit d LEFT JOIN "
    "remittance r ON r.id = d.remittance_id WHERE d.tenant_id = ?1 AND d.id = ?2"};
static const struct db_sql DEPOSIT_LIST = {
    "DEPOSIT_LIST", "SELECT " DEPOSIT_COLUMNS " FROM deposit d LEFT JOIN remittance r ON "
    "r.id = d.remittance_id WHERE d.tenant_id = ?1 AND (?2 = 0 OR d.id < ?2) ORDER BY d.id "
    "DESC LIMIT ?3",
    "SELECT d.id, d.created_ms, d.user_id, d.trace_number, d.amount_cents, d.deposit_day, "
    "r.id, (SELECT CAST(COALESCE(sum(x.payment_cents), 0) AS bigint) FROM remittance x WHERE "
    "x.tenant_id = d.tenant_id AND x.trace_number = d.trace_number) FROM deposit d LEFT JOIN "
    "remittance r ON r.id = d.remittance_id WHERE d.tenant_id = ?1 AND (CAST(?2 AS bigint) "
    "= 0 OR d.id < ?2) ORDER BY d.id DESC LIMIT ?3"};

static void
deposit_row(struct db_stmt *st, struct rcm_deposit *d)
{
    memset(d, 0, sizeof *d);
    d->id = db_col_i64(st, 0);
    d->created_ms = db_col_i64(st, 1);
    d->user_id = db_col_i64_or(st, 2, 0);
    db_col_copy(st, 3, d->trace_number, sizeof d->trace_number);
    d->amount_cents = db_col_i64(st, 4);
    d->deposit_day = (int32_t)db_col_i64(st, 5);
    d->remittance_id = db_col_i64_or(st, 6, 0);
    d->remittance_cents = db_col_i64(st, 7);
    d->reconciled = d->remittance_id && d->remittance_cents == d->amount_cents;
}

struct deposit_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    struct rcm_deposit *d;
    int64_t now, before;
    int limit;
    rcm_deposit_fn fn;
    void *ctx;
};

static enum rcm_err
deposit_add_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct deposit_args *a = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &DEPOSIT_INSERT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->now);
    db_bind_id_or_null(st, 3, a->actor->user_id);
    db_bind_text(st, 4, a->d->trace_number);
    db_bind_i64(st, 5, a->d->amount_cents);
    db_bind_i64(st, 6, a->d->deposit_day);
    if ((err = db_step(st, &row, diag))) {
        if (err == RCM_E_CONFLICT)
            rcm_diag_fail(diag, err, "a deposit with this trace number exists");
        return err;
    }
    int64_t id = db_col_i64(st, 0);
    if ((err = db_prepare(tx, &DEPOSIT_GET, &st, diag)))
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (row)
        deposit_row(st, a->d);
    return audit_obj(a->s, tx, a->actor, "deposit.create", "deposit", id, 0, a->now, diag);
}

enum rcm_err
rcm_store_deposit_add(struct rcm_store *store, const struct rcm_actor *actor,
                      struct rcm_deposit *d, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    if (!d->trace_number[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "trace_number is required");
    if (d->amount_cents <= 0)
        return rcm_diag_fail(diag, RCM_E_INVAL, "amount_cents must be above 0");
    if (d->deposit_day == RCM_X12_NO_DATE)
        return rcm_diag_fail(diag, RCM_E_INVAL, "deposit_day is required");
    struct deposit_args a = {store, actor, d, rcm_time_now_ms(), 0, 0, NULL, NULL};
    return db_write(store->db, deposit_add_fn, &a, diag);
}

static enum rcm_err
deposit_list_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct deposit_args *a = ctx;
    struct db_stmt *st;
    bool row;
    struct rcm_deposit d;
    enum rcm_err err = db_prepare(tx, &DEPOSIT_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->actor->tenant_id);
    db_bind_i64(st, 2, a->before);
    db_bind_i64(st, 3, a->limit);
    while (!(err = db_step(st, &row, diag)) && row) {
        deposit_row(st, &d);
        if (a->fn(a->ctx, &d))
            break;
    }
    return err;
}

enum rcm_err
rcm_store_deposit_list(struct rcm_store *store, const struct rcm_actor *actor,
                       int64_t before_id, int limit, rcm_deposit_fn fn, void *ctx,
                       struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    struct deposit_args a = {store, actor, NULL, 0, before_id,
                             limit < 1 || limit > 100 ? 50 : limit, fn, ctx};
    enum rcm_err err = store_read(store, deposit_list_fn, &a, diag);
    return err ? err : audit_obj(store, NULL, actor, "deposit.list", "deposit", 0, 0, 0, diag);
}

/* ---- the denial worklist ------------------------------------------------------ */

#define DENIAL_COLUMNS                                                                 \
    "d.id, d.claim_id, d.claim_line_id, d.claim_payment_id, d.created_ms, d.payer_id, " \
    "d.group_code, d.carc, d.remarks, d.amount_cents, d.category, d.denied_day, "       \
    "d.appeal_deadline, d.state, d.resolved_ms, d.resolved_by, c.control_number, c.state, " \
    "cl.line_no, cl.procedure"
#define DENIAL_FROM                                                                    \
    " FROM denial d JOIN claim c ON c.id = d.claim_id LEFT JOIN claim_line cl ON cl.id = " \
    "d.claim_line_id "

static const struct db_sql DENIAL_GET = {
    "DENIAL_GET", "SELECT " DENIAL_COLUMNS DENIAL_FROM "WHERE d.tenant_id = ?1 AND d.id = ?2",
    NULL};
static const struct db_sql DENIAL_LIST = {
    "DENIAL_LIST", "SELECT " DENIAL_COLUMNS DENIAL_FROM "WHERE d.tenant_id = ?1 AND "
    "(?2 = '' OR d.state = ?2) AND (?3 = '' OR d.category = ?3) AND (?4 = '' OR d.payer_id = "
    "?4) AND (?5 = 0 OR d.appeal_deadline < ?6) AND d.id > ?7 ORDER BY d.id LIMIT ?8",
    "SELECT " DENIAL_COLUMNS DENIAL_FROM "WHERE d.tenant_id = ?1 AND (CAST(?2 AS text) = '' "
    "OR d.state = ?2) AND (CAST(?3 AS text) = '' OR d.category = ?3) AND (CAST(?4 AS text) = "
    "'' OR d.payer_id = ?4) AND (CAST(?5 AS bigint) = 0 OR d.appeal_deadline < ?6) AND d.id > "
    "?7 ORDER BY d.id LIMIT ?8"};

static void
denial_row(struct db_stmt *st, struct rcm_denial *d)
{
    memset(d, 0, sizeof *d);
    d->id = db_col_i64(st, 0);
    d->claim_id = db_col_i64(st, 1);
    d->claim_line_id = db_col_i64_or(st, 2, 0);
    d->claim_payment_id = db_col_i64_or(st, 3, 0);
    d->created_ms = db_col_i64(st, 4);
    db_col_copy(st, 5, d->payer_id, sizeof d->payer_id);
    db_col_copy(st, 6, d->group_code, sizeof d->group_code);
    db_col_copy(st, 7, d->carc, sizeof d->carc);
    db_col_copy(st, 8, d->remarks, sizeof d->remarks);
    d->amount_cents = db_col_i64(st, 9);
    db_col_copy(st, 10, d->category, sizeof d->category);
    d->denied_day = (int32_t)db_col_i64(st, 11);
    d->appeal_deadline = (int32_t)db_col_i64(st, 12);
    db_col_copy(st, 13, d->state, sizeof d->state);
    d->resolved_ms = db_col_i64_or(st, 14, 0);
    d->resolved_by = db_col_i64_or(st, 15, 0);
    db_col_copy(st, 16, d->control_number, sizeof d->control_number);
    db_col_copy(st, 17, d->claim_state, sizeof d->claim_state);
    d->line_no = (int)db_col_i64_or(st, 18, 0);
    db_col_copy(st, 19, d->procedure, sizeof d->procedure);
}

struct denial_args {
    int64_t tenant_id, id;
    const struct rcm_denial_filter *f;
    rcm_denial_fn fn;
    void *ctx;
    struct rcm_denial *one;
    bool found;
};

static enum rcm_err
denial_read_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct denial_args *a = ctx;
    struct db_stmt *st;
    bool row;
    struct rcm_denial d;
    enum rcm_err err = db_prepare(tx, a->one ? &DENIAL_GET : &DENIAL_LIST, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, a->tenant_id);
    if (a->one) {
        db_bind_i64(st, 2, a->id);
    } else {
        const struct rcm_denial_filter *f = a->f;
        db_bind_text(st, 2, f->state ? f->state : "");
        db_bind_text(st, 3, f->category ? f->category : "");
        db_bind_text(st, 4, f->payer_id ? f->payer_id : "");
        db_bind_i64(st, 5, f->deadline_before != RCM_X12_NO_DATE);
        db_bind_i64(st, 6, f->deadline_before != RCM_X12_NO_DATE ? f->deadline_before : 0);
        db_bind_i64(st, 7, f->after_id);
        db_bind_i64(st, 8, f->limit < 1 || f->limit > 100 ? 50 : f->limit);
    }
    while (!(err = db_step(st, &row, diag)) && row) {
        a->found = true;
        if (a->one) {
            denial_row(st, a->one);
            break;
        }
        denial_row(st, &d);
        if (a->fn(a->ctx, &d))
            break;
    }
    return err;
}

enum rcm_err
rcm_store_denial_list(struct rcm_store *store, const struct rcm_actor *actor,
                      const struct rcm_denial_filter *f, rcm_denial_fn fn, void *ctx,
                      struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    struct denial_args a = {.tenant_id = actor->tenant_id, .f = f, .fn = fn, .ctx = ctx};
    enum rcm_err err = store_read(store, denial_read_fn, &a, diag);
    return err ? err : audit_obj(store, NULL, actor, "denial.list", "denial", 0, 0, 0, diag);
}

enum rcm_err
rcm_store_denial_get(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                     struct rcm_denial *out, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    struct denial_args a = {.tenant_id = actor->tenant_id, .id = id, .one = out};
    enum rcm_err err = store_read(store, denial_read_fn, &a, diag);
    if (!err && !a.found)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such denial");
    return err ? err : audit_obj(store, NULL, actor, "denial.read", "denial", id, 0, 0, diag);
}

/* ---- worklist actions and the appeal letter ------------------------------------ */

static const struct db_sql DENIAL_STATE = {
    "DENIAL_STATE", "SELECT d.state, c.id, c.state, c.patient_id, p.uid, k.wrapped FROM denial d "
    "JOIN claim c ON c.id = d.claim_id JOIN patient p ON p.id = c.patient_id JOIN patient_key k "
    "ON k.patient_id = c.patient_id WHERE d.tenant_id = ?1 AND d.id = ?2", NULL};
static const struct db_sql DENIAL_RESOLVE = {
    "DENIAL_RESOLVE", "UPDATE denial SET state = ?3, resolved_ms = ?4, resolved_by = ?5, "
    "note = COALESCE(?6, note) WHERE tenant_id = ?1 AND id = ?2 AND state = 'open'", NULL};
static const struct db_sql DENIAL_OPEN_OTHERS = {
    "DENIAL_OPEN_OTHERS", "SELECT count(*) FROM denial WHERE claim_id = ?1 AND state IN "
    "('open', 'appealed', 'resubmitted')",
    "SELECT CAST(count(*) AS bigint) FROM denial WHERE claim_id = ?1 AND state IN "
    "('open', 'appealed', 'resubmitted')"};
static const struct db_sql CLAIM_MOVE = {
    "REMIT_CLAIM_MOVE", "UPDATE claim SET state = ?3, updated_ms = ?4 WHERE id = ?1 AND "
    "state = ?2", NULL};
static const struct db_sql LETTER_HEAD = {
    "APPEAL_LETTER_HEAD",
    "SELECT pr.name, py.name, c.control_number, c.payer_claim_number, c.service_from, "
    "c.service_to, c.charge_cents, c.paid_cents, pr.npi FROM claim c JOIN provider pr ON pr.id = "
    "c.billing_provider_id JOIN payer py ON py.id = c.payer_ref WHERE c.id = ?1", NULL};
static const struct db_sql LETTER_LINES = {
    "APPEAL_LETTER_LINES", "SELECT line_no, procedure, modifiers, service_date, charge_cents, "
    "paid_cents FROM claim_line WHERE claim_id = ?1 ORDER BY line_no", NULL};

struct act_args {
    struct rcm_store *s;
    const struct rcm_actor *actor;
    int64_t id;
    enum rcm_denial_action action;
    const char *note;
    struct rcm_key *patient_key;      /* opened before the transaction */
    int64_t now;
    struct rcm_buf *letter;           /* appeal: the HTML, else NULL */
    struct rcm_denial *d;             /* read before */
};

static void
html_add(struct rcm_buf *b, const char *s)
{
    for (; s && *s; s++) {
        enum rcm_err e = RCM_OK;
        switch (*s) {
        case '<': e = rcm_buf_addstr(b, "&lt;"); break;
        case '>': e = rcm_buf_addstr(b, "&gt;"); break;
        case '&': e = rcm_buf_addstr(b, "&amp;"); break;
        case '"': e = rcm_buf_addstr(b, "&quot;"); break;
        case '\'': e = rcm_buf_addstr(b, "&#39;"); break;
        case '\n': e = rcm_buf_addstr(b, "<br>\n"); break;
        default: e = rcm_buf_addch(b, *s); break;
        }
        if (e)
            return;
    }
}

static void
money_str(int64_t cents, char out[32])
{
    if (rcm_money_format(cents, out) < 0)
        snprintf(out, 32, "%" PRId64, cents);
}

#define W(call)                   \
    do {                          \
        if (!we)                  \
            we = (call);          \
    } while (0)

static enum rcm_err
write_letter(struct db_tx *tx, const struct act_args *a, struct rcm_diag *diag)
{
    enum rcm_err we = RCM_OK;
    struct db_stmt *st;
    bool row;
    struct rcm_buf *b = a->letter;
    const struct rcm_denial *d = a->d;
    enum rcm_err err = db_prepare(tx, &LETTER_HEAD, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, d->claim_id);
    if ((err = db_step(st, &row, diag)) || !row)
        return err ? err : rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such claim");
    char from[11], to[11], today[11], m1[32], m2[32];
    rcm_date_format_iso((int32_t)db_col_i64(st, 4), from);
    rcm_date_format_iso((int32_t)db_col_i64(st, 5), to);
    rcm_date_format_iso(rcm_date_today_utc(), today);
    money_str(db_col_i64(st, 6), m1);
    money_str(db_col_i64(st, 7), m2);
    W(rcm_buf_addstr(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                            "<title>Appeal</title></head><body>\n<p>"));
    html_add(b, db_col_str(st, 0));
    W(rcm_buf_addstr(b, " (NPI "));
    html_add(b, db_col_str(st, 8));
    W(rcm_buf_addf(b, ")<br>%s</p>\n<p>To: ", today));
    html_add(b, db_col_str(st, 1));
    W(rcm_buf_addstr(b, " — Appeals</p>\n<h1>Request for reconsideration</h1>\n<table>\n"
                            "<tr><th>Claim control number</th><td>"));
    html_add(b, db_col_str(st, 2));
    W(rcm_buf_addstr(b, "</td></tr>\n<tr><th>Payer claim number</th><td>"));
    html_add(b, db_col_str(st, 3));
    W(rcm_buf_addf(b, "</td></tr>\n<tr><th>Dates of service</th><td>%s to %s</td></tr>\n"
                          "<tr><th>Billed</th><td>%s</td></tr>\n<tr><th>Paid</th><td>%s</td>"
                          "</tr>\n</table>\n", from, to, m1, m2));
    if ((err = db_prepare(tx, &LETTER_LINES, &st, diag)))
        return err;
    db_bind_i64(st, 1, d->claim_id);
    W(rcm_buf_addstr(b, "<table>\n<tr><th>Line</th><th>Date</th><th>Procedure</th>"
                            "<th>Modifiers</th><th>Billed</th><th>Paid</th></tr>\n"));
    while (!(err = db_step(st, &row, diag)) && row) {
        char day[11];
        rcm_date_format_iso((int32_t)db_col_i64(st, 3), day);
        money_str(db_col_i64(st, 4), m1);
        money_str(db_col_i64(st, 5), m2);
        W(rcm_buf_addf(b, "<tr><td>%" PRId64 "</td><td>%s</td><td>", db_col_i64(st, 0), day));
        html_add(b, db_col_str(st, 1));
        W(rcm_buf_addstr(b, "</td><td>"));
        html_add(b, db_col_str(st, 2));
        W(rcm_buf_addf(b, "</td><td>%s</td><td>%s</td></tr>\n", m1, m2));
    }
    if (err)
        return err;
    const char *reason = rcm_denial_carc_reason(d->carc);
    money_str(d->amount_cents, m1);
    W(rcm_buf_addstr(b, "</table>\n<h2>Adjustment appealed</h2>\n<p>"));
    html_add(b, d->group_code);
    W(rcm_buf_addch(b, '-'));
    html_add(b, d->carc);
    if (reason) {
        W(rcm_buf_addstr(b, " ("));
        html_add(b, reason);
        W(rcm_buf_addch(b, ')'));
    }
    W(rcm_buf_addf(b, ", %s", m1));
    if (d->line_no)
        W(rcm_buf_addf(b, ", line %d", d->line_no));
    if (d->remarks[0]) {
        W(rcm_buf_addstr(b, "; remarks "));
        html_add(b, d->remarks);
    }
    W(rcm_buf_addstr(b, "</p>\n<p><small>Reason texts are openrcm's own short labels, not "
                            "the X12 code descriptions.</small></p>\n<h2>Why the claim should be "
                            "paid</h2>\n<p>"));
    html_add(b, a->note);
    W(rcm_buf_addstr(b, "</p>\n<p>Sincerely,<br>Billing office</p>\n</body></html>\n"));
    return we ? rcm_diag_fail(diag, we, "the letter is too long") : RCM_OK;
}

static const struct db_sql DENIAL_WRITE_OFF_CLAIM = {
    "DENIAL_WRITE_OFF_CLAIM", "UPDATE claim SET adjustment_cents = adjustment_cents + "
    "(SELECT amount_cents FROM denial WHERE id = ?2) WHERE id = ?1", NULL};
static const struct db_sql DENIAL_WRITE_OFF_LINE = {
    "DENIAL_WRITE_OFF_LINE", "UPDATE claim_line SET adjustment_cents = "
    "claim_line.adjustment_cents + d.amount_cents FROM denial d WHERE d.id = ?1 AND "
    "claim_line.id = d.claim_line_id", NULL};

static enum rcm_err
act_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct act_args *a = ctx;
    const struct rcm_actor *actor = a->actor;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &DENIAL_STATE, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_i64(st, 2, a->id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such denial");
    if (strcmp(db_col_str(st, 0), "open") != 0)
        return rcm_diag_fail(diag, RCM_E_CONFLICT, "the denial is %s, not open",
                             db_col_str(st, 0));
    int64_t claim_id = db_col_i64(st, 1);
    char claim_state[16];
    db_col_copy(st, 2, claim_state, sizeof claim_state);
    int64_t patient_id = db_col_i64(st, 3);
    static const char *const states[] = {"", "resubmitted", "appealed", "written_off", "closed"};
    const char *to = states[a->action];
    /* the note, sealed under the patient's key; uid = the denial id */
    uint8_t sealed[RCM_REMIT_NOTE_MAX + RCM_AEAD_OVERHEAD_BYTES];
    size_t sealed_len = 0;
    char uid[33];
    snprintf(uid, sizeof uid, "%032" PRId64, a->id);
    struct store_cell cell = {actor->tenant_id, "denial", "note", uid};
    if (a->note && a->note[0] &&
        (err = store_seal_value(a->patient_key, &cell, a->note, sealed, sizeof sealed,
                                &sealed_len)))
        return rcm_diag_fail(diag, err, "the note is too long or cannot be sealed");
    if ((err = db_prepare(tx, &DENIAL_RESOLVE, &st, diag)))
        return err;
    db_bind_i64(st, 1, actor->tenant_id);
    db_bind_i64(st, 2, a->id);
    db_bind_text(st, 3, to);
    db_bind_i64(st, 4, a->now);
    db_bind_id_or_null(st, 5, actor->user_id);
    if (sealed_len)
        db_bind_blob(st, 6, sealed, sealed_len);
    else
        db_bind_null(st, 6);
    if ((err = db_exec(st, diag)))
        return err;
    /* the claim's move: appealed, or closed when nothing else is open */
    enum rcm_claim_state from, dest;
    bool move = false;
    if (rcm_claim_state_from_name(claim_state, &from, NULL) == RCM_OK) {
        if (a->action == RCM_DENIAL_APPEAL) {
            dest = RCM_CLAIM_APPEALED;
            move = from != dest;
            if (move && (err = rcm_claim_move_check(from, dest, RCM_CLAIM_SRC_USER, true, diag)))
                return err;
        } else if (a->action == RCM_DENIAL_WRITE_OFF) {
            /* the denied amount leaves A/R now: it becomes an adjustment */
            if ((err = db_prepare(tx, &DENIAL_WRITE_OFF_CLAIM, &st, diag)))
                return err;
            db_bind_i64(st, 1, claim_id);
            db_bind_i64(st, 2, a->id);
            if ((err = db_exec(st, diag)) ||
                (err = db_prepare(tx, &DENIAL_WRITE_OFF_LINE, &st, diag)))
                return err;
            db_bind_i64(st, 1, a->id);
            if ((err = db_exec(st, diag)))
                return err;
            if ((err = db_prepare(tx, &DENIAL_OPEN_OTHERS, &st, diag)))
                return err;
            db_bind_i64(st, 1, claim_id);
            if ((err = db_step(st, &row, diag)))
                return err;
            dest = RCM_CLAIM_CLOSED;
            move = row && db_col_i64(st, 0) == 0 &&
                   rcm_claim_move_check(from, dest, RCM_CLAIM_SRC_USER, true, NULL) == RCM_OK;
        }
    }
    if (move) {
        if ((err = db_prepare(tx, &CLAIM_MOVE, &st, diag)))
            return err;
        db_bind_i64(st, 1, claim_id);
        db_bind_text(st, 2, claim_state);
        db_bind_text(st, 3, rcm_claim_state_name(dest));
        db_bind_i64(st, 4, a->now);
        if ((err = db_exec(st, diag)) || (err = db_prepare(tx, &EVENT_INSERT, &st, diag)))
            return err;
        db_bind_i64(st, 1, actor->tenant_id);
        db_bind_i64(st, 2, claim_id);
        db_bind_i64(st, 3, a->now);
        db_bind_id_or_null(st, 4, actor->user_id);
        db_bind_text(st, 5, claim_state);
        db_bind_text(st, 6, rcm_claim_state_name(dest));
        db_bind_text(st, 7, "user");
        if ((err = db_exec(st, diag)))
            return err;
    }
    if (a->letter && (err = write_letter(tx, a, diag)))
        return err;
    char action[40];
    snprintf(action, sizeof action, "denial.%s", a->action == RCM_DENIAL_RESUBMIT ? "resubmit"
                                                : a->action == RCM_DENIAL_APPEAL ? "appeal"
                                                : a->action == RCM_DENIAL_WRITE_OFF ? "write_off"
                                                                                    : "close");
    return audit_obj(a->s, tx, actor, action, "denial", a->id, patient_id, a->now, diag);
}

static const struct db_sql CLAIM_PATIENT = {
    "REMIT_CLAIM_PATIENT", "SELECT patient_id FROM claim WHERE tenant_id = ?1 AND id = ?2", NULL};

struct claim_patient {
    int64_t tenant_id, claim_id, patient_id;
};

static enum rcm_err
claim_patient_fn(struct db_tx *tx, void *ctx, struct rcm_diag *diag)
{
    struct claim_patient *c = ctx;
    struct db_stmt *st;
    bool row;
    enum rcm_err err = db_prepare(tx, &CLAIM_PATIENT, &st, diag);
    if (err)
        return err;
    db_bind_i64(st, 1, c->tenant_id);
    db_bind_i64(st, 2, c->claim_id);
    if ((err = db_step(st, &row, diag)))
        return err;
    if (!row)
        return rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such claim");
    c->patient_id = db_col_i64(st, 0);
    return RCM_OK;
}

enum rcm_err
rcm_store_denial_act(struct rcm_store *store, const struct rcm_actor *actor, int64_t id,
                     int action, const char *note, struct rcm_buf *letter,
                     struct rcm_denial *out, struct rcm_diag *diag)
{
    if (!store_tenant_scoped(actor, "remittances", diag))
        return RCM_E_INVAL;
    if (action < RCM_DENIAL_RESUBMIT || action > RCM_DENIAL_CLOSE)
        return rcm_diag_fail(diag, RCM_E_INVAL, "unknown action");
    if (action == RCM_DENIAL_APPEAL && (!note || !note[0]))
        return rcm_diag_fail(diag, RCM_E_INVAL, "an appeal needs an argument");
    if (note && strlen(note) > RCM_REMIT_NOTE_MAX)
        return rcm_diag_fail(diag, RCM_E_INVAL, "the note is too long");
    struct rcm_denial *d = rcm_calloc(1, sizeof *d);
    if (!d)
        return RCM_E_NOMEM;
    struct denial_args ra = {.tenant_id = actor->tenant_id, .id = id, .one = d};
    enum rcm_err err = store_read(store, denial_read_fn, &ra, diag);
    if (!err && !ra.found)
        err = rcm_diag_fail(diag, RCM_E_NOT_FOUND, "no such denial");
    struct rcm_key key = {0};
    struct claim_patient cp = {actor->tenant_id, d->claim_id, 0};
    if (!err)
        err = store_read(store, claim_patient_fn, &cp, diag);
    if (!err)
        err = store_patient_key_read(store, actor->tenant_id, cp.patient_id, &key, diag);
    struct act_args a = {store, actor, id, action, note, &key, rcm_time_now_ms(),
                         action == RCM_DENIAL_APPEAL ? letter : NULL, d};
    if (!err)
        err = db_write(store->db, act_fn, &a, diag);
    rcm_key_wipe(&key);
    if (!err && out)
        err = rcm_store_denial_get(store, actor, id, out, diag);
    rcm_free(d);
    return err;
}
