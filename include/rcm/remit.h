/*
 * rcm/remit.h — payment posting as the store keeps it: what one post of an
 * 835 (or a paper EOB) did, remittances, the unmatched-payment queue,
 * deposits and the denial worklist (store_remit.c; docs/posting.md). The
 * pure rules are rcm/posting.h; this header only carries results.
 *
 * Nothing here holds a patient name or identifier except the opened JSON
 * of an unmatched payment (rcm_unmatched.json), which is PHI and shown only
 * to holders of phi.read.
 */
#ifndef RCM_REMIT_H
#define RCM_REMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"
#include "rcm/x12.h"

struct json_t;

#define RCM_REMIT_MAX_FINDINGS 32
#define RCM_REMIT_MAX_IDS 64
#define RCM_REMIT_JSON_MAX (64 * 1024)
/* A worklist note or appeal argument, bytes. */
#define RCM_REMIT_NOTE_MAX 4000

/* One finding of a post: the plan's (rcm_post_finding codes) or the
 * store's own: claim-state-unchanged (the money was posted but the claim's
 * state could not move: the move table refused it; warning). */
struct rcm_remit_finding {
    int set;                 /* 1-based remittance of the input */
    int seq;                 /* 1-based claim payment in it */
    const char *code;        /* static */
    bool error;
    int line_no;             /* stored line number, 0 = claim level */
    int64_t expected_cents, actual_cents;
};

struct rcm_remit_post_result {
    int sets;                /* remittances in the input */
    int posted;              /* remittances written now */
    int already_posted;      /* remittances a previous post wrote */
    int n_ids;               /* remittance ids, in input order (posted or found) */
    int64_t remittance_ids[RCM_REMIT_MAX_IDS];
    bool already[RCM_REMIT_MAX_IDS];
    int claims;              /* claim payments written now */
    int paid, partial, denied, reversed, other, unmatched;
    int service_lines;       /* SVCs written now */
    int64_t paid_cents;      /* sum of CLP04 written now */
    int64_t plb_cents;       /* sum of PLB amounts written now */
    int denials;             /* worklist items created */
    int n_findings, n_findings_dropped;
    struct rcm_remit_finding findings[RCM_REMIT_MAX_FINDINGS];
    /* a malformed input (RCM_E_PARSE): where, never a value */
    char error_seg[4];
    uint64_t error_seg_index;    /* 0-based segment index in the file */
    int error_element;
    const char *error_code;
};

/* A paper EOB posted by hand: the header a BPR/TRN would carry and its
 * claim payments (borrowed). */
struct rcm_remit_manual {
    char payer_id[81];
    char trace_number[51];   /* check number: required */
    int64_t payment_cents;
    int32_t payment_day;
    char method[4];          /* CHK, ACH, NON ... ("" = CHK) */
    const struct rcm_x12_claim_payment *pays;
    size_t n_pays;
};

struct rcm_remittance {
    int64_t id;
    int64_t created_ms;
    int64_t user_id;
    char source[8];          /* era, manual */
    char payer_id[81];
    char trace_number[51];
    int64_t payment_cents;
    char credit_debit[2];
    char method[4];
    int32_t payment_day;     /* RCM_X12_NO_DATE when absent */
    int n_claims, n_unmatched;
    int64_t deposit_id;      /* 0 = no deposit recorded for the trace */
    int64_t deposit_cents;
};
typedef int (*rcm_remittance_fn)(void *ctx, const struct rcm_remittance *r);

/* A claim payment of a remittance (matched or not). */
struct rcm_claim_payment_row {
    int64_t id, remittance_id, claim_id;  /* claim_id 0 = unmatched */
    int seq;
    char matched_by[20];
    char control_number[39];
    char status[3];
    int64_t charge_cents, paid_cents, patient_resp_cents;
    char payer_claim_number[51];
    bool reversal;
};
typedef int (*rcm_claim_payment_fn)(void *ctx, const struct rcm_claim_payment_row *p);

/* An unmatched payment with its CLP opened (JSON, PHI: patient name). */
struct rcm_unmatched {
    struct rcm_claim_payment_row pay;
    char payer_id[81];
    char trace_number[51];
    int32_t payment_day;
    const char *json;        /* borrowed for the callback; NULL when not opened */
};
typedef int (*rcm_unmatched_fn)(void *ctx, const struct rcm_unmatched *u);

struct rcm_deposit {
    int64_t id, created_ms, user_id;
    char trace_number[51];
    int64_t amount_cents;
    int32_t deposit_day;
    int64_t remittance_id;   /* 0 = no remittance with the trace yet */
    int64_t remittance_cents;
    bool reconciled;         /* a remittance exists and the amounts agree */
};
typedef int (*rcm_deposit_fn)(void *ctx, const struct rcm_deposit *d);

struct rcm_denial {
    int64_t id, claim_id, claim_line_id, claim_payment_id, created_ms;
    char payer_id[81];
    char group_code[3];
    char carc[6];
    char remarks[80];
    int64_t amount_cents;
    char category[24];
    int32_t denied_day, appeal_deadline;
    char state[16];
    int64_t resolved_ms, resolved_by;
    char control_number[39];  /* the claim's */
    char claim_state[16];
    int line_no;              /* 0 = claim level */
    char procedure[49];
};
typedef int (*rcm_denial_fn)(void *ctx, const struct rcm_denial *d);

struct rcm_denial_filter {
    const char *state;        /* NULL/"" = any */
    const char *category;
    const char *payer_id;
    int32_t deadline_before;  /* RCM_X12_NO_DATE = any; else deadline < it */
    int64_t after_id;
    int limit;                /* 1-100 */
};

/* Worklist actions. */
enum rcm_denial_action {
    RCM_DENIAL_RESUBMIT = 1,
    RCM_DENIAL_APPEAL,
    RCM_DENIAL_WRITE_OFF,
    RCM_DENIAL_CLOSE,
};
bool rcm_denial_action_from_name(const char *name, enum rcm_denial_action *out);

/* ---- the claim payment as JSON (remit_json.c): the unmatched queue's
 * sealed form and the manual EOB's input ---------------------------------- */

/*
 * {"claim_control_number", "status", "charge_cents", "paid_cents",
 *  "patient_resp_cents", "payer_claim_number", "patient": {"last_name",
 *  "first_name", "member_id"}, "service_from", "service_to",
 *  "adjustments": [{"group", "carc", "amount_cents"}], "remarks": [..],
 *  "lines": [{"procedure", "modifiers": [..], "charge_cents", "paid_cents",
 *  "allowed_cents", "units", "service_date", "control", "adjustments",
 *  "remarks"}]}   dates YYYY-MM-DD.
 */
RCM_MUST_CHECK enum rcm_err rcm_remit_payment_to_json(const struct rcm_x12_claim_payment *p,
                                                      struct json_t **out);
/* Strict: unknown members, wrong types and out-of-range values are
 * RCM_E_INVAL with diag naming the member (never a value). */
RCM_MUST_CHECK enum rcm_err rcm_remit_payment_from_json(struct json_t *o,
                                                        struct rcm_x12_claim_payment *p,
                                                        struct rcm_diag *diag);

#endif
