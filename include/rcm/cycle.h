/*
 * rcm/cycle.h — the pure claim engine of the revenue cycle: the claim state
 * machine, the claim -> 837 mapping and the duplicate-claim fingerprint. No
 * SQL, no HTTP: the store keeps the state and calls these to decide.
 *
 * The claim state machine
 * -----------------------
 *
 *   draft --scrub--> ready --batch--> submitted --ack_999/ack_277ca--> accepted
 *   ready --user/scrub--> draft            (edited, or a re-scrub failed)
 *   draft / ready / rejected --user (reason)--> voided   (never adjudicated)
 *   submitted --ack_*--> rejected;  accepted --ack_277ca--> rejected
 *   rejected --user--> draft                (fix and resend)
 *   submitted / accepted --remit_835--> paid | partially_paid | denied
 *   partially_paid --remit_835--> paid | partially_paid  (more money)
 *   paid / partially_paid / denied --user--> corrected  (a frequency-7
 *        replacement claim was created; the replacement lives its own life)
 *   accepted / paid / partially_paid / denied --batch--> voided  (a
 *        frequency-8 claim for it was sent)
 *   partially_paid / denied --user (reason)--> appealed
 *   appealed --remit_835--> paid | partially_paid | denied
 *   paid / partially_paid / denied --user (reason)--> closed
 *   paid / partially_paid / denied / closed --reversal--> accepted | submitted
 *        (an 835 CLP02=22 took the payment back; the claim is re-posted;
 *        submitted when it was never acknowledged)
 *
 * Every edge, with the event sources that may take it and why it exists, is
 * declared once in RCM_CLAIM_MOVES below; rcm_claim_moves_markdown() and
 * rcm_claim_moves_json() render that same table for the docs
 * (docs/claim-states.md, checked fresh by a unit test) and the API.
 *
 * States that count in accounts receivable (rcm_claim_state_is_open): those
 * billed to the payer with money still to come — submitted, accepted,
 * rejected (it must be fixed and resent), partially_paid, denied (until
 * appealed, corrected or written off) and appealed. Not in A/R: draft and
 * ready (nothing billed yet), paid (what is left is the patient's, which the
 * A/R engine tracks separately), corrected and voided (the replacement or
 * nothing carries the balance), closed. Terminal: corrected, voided, closed
 * (closed reopens only by a payer reversal).
 *
 * Messages name states and sources, never claim data (no PHI).
 */
#ifndef RCM_CYCLE_H
#define RCM_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/buf.h"
#include "rcm/claim.h"
#include "rcm/err.h"

struct rcm_x12_claim;

/* X(enum suffix, name, counts in A/R, description) */
#define RCM_CLAIM_STATES(X)                                                     \
    X(DRAFT, "draft", false, "being built from an encounter; not scrubbed")     \
    X(READY, "ready", false, "scrubbed with no error; waiting for a batch")     \
    X(SUBMITTED, "submitted", true, "sent in an 837 batch")                     \
    X(ACCEPTED, "accepted", true, "acknowledged by 999 or 277CA")               \
    X(REJECTED, "rejected", true, "refused by 999 or 277CA; fix and resend")    \
    X(PAID, "paid", false, "paid in full by the payer (835)")                   \
    X(PARTIALLY_PAID, "partially_paid", true, "paid in part by the payer")      \
    X(DENIED, "denied", true, "denied by the payer (835)")                      \
    X(APPEALED, "appealed", true, "denial or short payment under appeal")       \
    X(CORRECTED, "corrected", false, "replaced by a frequency-7 claim")         \
    X(VOIDED, "voided", false, "cancelled, or voided by a frequency-8 claim")   \
    X(CLOSED, "closed", false, "settled or written off")

enum rcm_claim_state {
#define RCM_CLAIM_STATE_ENUM(suffix, name, open, text) RCM_CLAIM_##suffix,
    RCM_CLAIM_STATES(RCM_CLAIM_STATE_ENUM)
#undef RCM_CLAIM_STATE_ENUM
    RCM_CLAIM_STATE_COUNT
};

/* X(enum suffix, bit, name, description) */
#define RCM_CLAIM_SOURCES(X)                                                    \
    X(USER, 0x01, "user", "a person, through the API or the CLI")               \
    X(SCRUB, 0x02, "scrub", "the claim scrubber's verdict")                     \
    X(BATCH, 0x04, "batch", "an 837 batch was built and sent")                  \
    X(ACK_999, 0x08, "ack_999", "a 999 implementation acknowledgment")          \
    X(ACK_277CA, 0x10, "ack_277ca", "a 277CA claim acknowledgment")             \
    X(REMIT_835, 0x20, "remit_835", "an 835 claim payment (CLP02 1-4, 19-23 but 22)") \
    X(REVERSAL, 0x40, "reversal", "an 835 claim payment with CLP02=22")

enum rcm_claim_source {
#define RCM_CLAIM_SOURCE_ENUM(suffix, bit, name, text) RCM_CLAIM_SRC_##suffix = bit,
    RCM_CLAIM_SOURCES(RCM_CLAIM_SOURCE_ENUM)
#undef RCM_CLAIM_SOURCE_ENUM
};

#define RCM_CLAIM_SRC_ANY_ACK (RCM_CLAIM_SRC_ACK_999 | RCM_CLAIM_SRC_ACK_277CA)

/*
 * X(from, to, allowed sources (bits), user needs a reason, why)
 * A "reason" is required for a user-driven move into voided, closed or
 * appealed: each is a decision about money someone must be able to explain.
 */
#define RCM_CLAIM_MOVES(X)                                                      \
    X(DRAFT, READY, RCM_CLAIM_SRC_SCRUB, false,                                 \
      "the scrubber found no error-level finding")                              \
    X(READY, DRAFT, RCM_CLAIM_SRC_USER | RCM_CLAIM_SRC_SCRUB, false,            \
      "edited after scrubbing, or a re-scrub (new reference data) failed")      \
    X(DRAFT, VOIDED, RCM_CLAIM_SRC_USER, true,                                  \
      "cancelled before it was ever sent")                                      \
    X(READY, VOIDED, RCM_CLAIM_SRC_USER, true,                                  \
      "cancelled before it was ever sent")                                      \
    X(READY, SUBMITTED, RCM_CLAIM_SRC_BATCH, false,                             \
      "written into an 837 batch that was sent")                                \
    X(SUBMITTED, ACCEPTED, RCM_CLAIM_SRC_ANY_ACK, false,                        \
      "999 accepted the set, or 277CA accepted the claim (A1/A2)")              \
    X(SUBMITTED, REJECTED, RCM_CLAIM_SRC_ANY_ACK, false,                        \
      "999 rejected the set, or 277CA rejected the claim (A3/A6/A7)")           \
    X(ACCEPTED, REJECTED, RCM_CLAIM_SRC_ACK_277CA, false,                       \
      "a 277CA rejected a claim whose 999 had accepted the set")                \
    X(REJECTED, DRAFT, RCM_CLAIM_SRC_USER, false,                               \
      "to be fixed, re-scrubbed and sent again")                                \
    X(REJECTED, VOIDED, RCM_CLAIM_SRC_USER, true,                               \
      "never entered adjudication; abandoned")                                  \
    X(SUBMITTED, PAID, RCM_CLAIM_SRC_REMIT_835, false,                          \
      "paid in full; some payers send no 277CA")                                \
    X(SUBMITTED, PARTIALLY_PAID, RCM_CLAIM_SRC_REMIT_835, false,                \
      "paid in part; some payers send no 277CA")                                \
    X(SUBMITTED, DENIED, RCM_CLAIM_SRC_REMIT_835, false,                        \
      "denied; some payers send no 277CA")                                      \
    X(ACCEPTED, PAID, RCM_CLAIM_SRC_REMIT_835, false, "paid in full")           \
    X(ACCEPTED, PARTIALLY_PAID, RCM_CLAIM_SRC_REMIT_835, false,                 \
      "paid less than expected; the rest is adjusted or patient liability")    \
    X(ACCEPTED, DENIED, RCM_CLAIM_SRC_REMIT_835, false,                         \
      "denied (CLP02=4, or paid zero)")                                         \
    X(PARTIALLY_PAID, PAID, RCM_CLAIM_SRC_REMIT_835, false,                     \
      "a later 835 paid the rest (reprocessing after an inquiry)")              \
    X(PARTIALLY_PAID, PARTIALLY_PAID, RCM_CLAIM_SRC_REMIT_835, false,           \
      "a further payment that still leaves a balance")                          \
    X(PAID, CORRECTED, RCM_CLAIM_SRC_USER, false,                               \
      "a frequency-7 replacement claim was created for it")                     \
    X(PARTIALLY_PAID, CORRECTED, RCM_CLAIM_SRC_USER, false,                     \
      "a frequency-7 replacement claim was created for it")                     \
    X(DENIED, CORRECTED, RCM_CLAIM_SRC_USER, false,                             \
      "a frequency-7 replacement claim was created for it")                     \
    X(ACCEPTED, VOIDED, RCM_CLAIM_SRC_BATCH, false,                             \
      "a frequency-8 void of it was sent")                                      \
    X(PAID, VOIDED, RCM_CLAIM_SRC_BATCH, false,                                 \
      "a frequency-8 void of it was sent (the payer will take the money back)") \
    X(PARTIALLY_PAID, VOIDED, RCM_CLAIM_SRC_BATCH, false,                       \
      "a frequency-8 void of it was sent")                                      \
    X(DENIED, VOIDED, RCM_CLAIM_SRC_BATCH, false,                               \
      "a frequency-8 void of it was sent")                                      \
    X(DENIED, APPEALED, RCM_CLAIM_SRC_USER, true,                               \
      "the denial is disputed with the payer")                                  \
    X(PARTIALLY_PAID, APPEALED, RCM_CLAIM_SRC_USER, true,                       \
      "the short payment is disputed with the payer")                           \
    X(APPEALED, PAID, RCM_CLAIM_SRC_REMIT_835, false, "the appeal was won")     \
    X(APPEALED, PARTIALLY_PAID, RCM_CLAIM_SRC_REMIT_835, false,                 \
      "the appeal was won in part")                                             \
    X(APPEALED, DENIED, RCM_CLAIM_SRC_REMIT_835, false,                         \
      "the appeal was lost")                                                    \
    X(PAID, CLOSED, RCM_CLAIM_SRC_USER, true,                                   \
      "payer and patient balances are settled")                                \
    X(PARTIALLY_PAID, CLOSED, RCM_CLAIM_SRC_USER, true,                         \
      "the rest was collected from the patient or written off")                \
    X(DENIED, CLOSED, RCM_CLAIM_SRC_USER, true, "written off")                  \
    X(PAID, ACCEPTED, RCM_CLAIM_SRC_REVERSAL, false,                            \
      "the payer reversed its payment; re-post the corrected one")              \
    X(PARTIALLY_PAID, ACCEPTED, RCM_CLAIM_SRC_REVERSAL, false,                  \
      "the payer reversed its payment; re-post the corrected one")              \
    X(DENIED, ACCEPTED, RCM_CLAIM_SRC_REVERSAL, false,                          \
      "the payer reversed its denial; re-post the new decision")                \
    X(CLOSED, ACCEPTED, RCM_CLAIM_SRC_REVERSAL, false,                          \
      "a takeback reopens a settled claim")                                     \
    X(PAID, SUBMITTED, RCM_CLAIM_SRC_REVERSAL, false,                           \
      "reversal of a claim that was never acknowledged (no 277CA)")             \
    X(PARTIALLY_PAID, SUBMITTED, RCM_CLAIM_SRC_REVERSAL, false,                 \
      "reversal of a claim that was never acknowledged (no 277CA)")             \
    X(DENIED, SUBMITTED, RCM_CLAIM_SRC_REVERSAL, false,                         \
      "reversal of a claim that was never acknowledged (no 277CA)")             \
    X(CLOSED, SUBMITTED, RCM_CLAIM_SRC_REVERSAL, false,                         \
      "a takeback reopens a settled, never acknowledged claim")

/* One row of RCM_CLAIM_MOVES. */
struct rcm_claim_move {
    enum rcm_claim_state from, to;
    unsigned sources;               /* RCM_CLAIM_SRC_* bits */
    bool reason_required;           /* for source user */
    const char *why;
};

/* The table (borrowed, static) and its length. */
const struct rcm_claim_move *rcm_claim_moves(size_t *n);

/* "partially_paid"; "unknown" for a value outside the enum. */
const char *rcm_claim_state_name(enum rcm_claim_state s);
/* Name -> state; RCM_E_INVAL (diag names the bad length, not the text) when
 * the name is not one of RCM_CLAIM_STATES. */
RCM_MUST_CHECK enum rcm_err rcm_claim_state_from_name(const char *name,
                                                      enum rcm_claim_state *out,
                                                      struct rcm_diag *diag);
/* "remit_835"; "unknown" for a value that is not exactly one source bit. */
const char *rcm_claim_source_name(enum rcm_claim_source src);
RCM_MUST_CHECK enum rcm_err rcm_claim_source_from_name(const char *name,
                                                       enum rcm_claim_source *out,
                                                       struct rcm_diag *diag);

/* True when a claim in state `s` counts in accounts receivable (money may
 * still come from the payer): submitted, accepted, rejected,
 * partially_paid, denied, appealed. */
bool rcm_claim_state_is_open(enum rcm_claim_state s);
/* True when no move leaves `s` except a payer reversal (corrected, voided, closed). */
bool rcm_claim_state_is_terminal(enum rcm_claim_state s);

/*
 * May a claim move from `from` to `to` on an event from `source`?
 *   RCM_OK           the move is in the table for that source;
 *   RCM_E_CONFLICT   no such edge, or not from that source (diag names both
 *                    states and the sources that may take it);
 *   RCM_E_INVAL      a state or source out of range, or a user move that
 *                    needs a reason (voided, closed, appealed) without one.
 */
RCM_MUST_CHECK enum rcm_err rcm_claim_move_check(enum rcm_claim_state from,
                                                 enum rcm_claim_state to,
                                                 enum rcm_claim_source source,
                                                 bool has_reason,
                                                 struct rcm_diag *diag);

/*
 * What an acknowledgment means for a submitted claim. Each returns true and
 * sets *to when the ack moves the claim (source ack_999 / ack_277ca), false
 * when it leaves the claim where it is.
 *   999 IK501 (the claim's transaction set): A accepted, E accepted with
 *     errors noted -> accepted; R, M, W, X rejected -> rejected.
 *   277CA STC01-1 (the claim's category): A2 accepted into adjudication ->
 *     accepted; A3 returned as unprocessable, A6 missing information, A7
 *     invalid information, A8 relational field in error -> rejected; A0
 *     forwarded, A1 receipt, A4 not found, A5 split -> no move (the payer has
 *     not decided; a later 277CA or the 835 will).
 */
bool rcm_claim_state_for_999(char ik501, enum rcm_claim_state *to);
bool rcm_claim_state_for_277ca(const char *category, enum rcm_claim_state *to);

/* The move table as a markdown table (| from | to | sources | reason | why |),
 * appended to `out`. */
RCM_MUST_CHECK enum rcm_err rcm_claim_moves_markdown(struct rcm_buf *out);
/* The states and moves as JSON, appended to `out`:
 * {"states":[{"name","open","terminal","text"}],
 *  "moves":[{"from","to","sources":[..],"reason_required","why"}]} */
RCM_MUST_CHECK enum rcm_err rcm_claim_moves_json(struct rcm_buf *out);

/* ------------------------------------------------------------ 837 mapping */

/*
 * Map a claim (rcm/claim.h, as the store builds it from an encounter) onto
 * the 837 writer's struct for rcm_x12_write_837p / _837i: kind P or I,
 * CLM, REF*F8 for frequency 7/8, billing provider with PRV taxonomy,
 * rendering (837P 2310B / 837I 2310D) and service facility (837P 2310C /
 * 837I 2310E), lines with SV105 place of service, SV107 pointers and
 * REF*6R control numbers, and the other payers (2320/2330A/2330B/2430) of
 * a secondary or tertiary claim. `out` is overwritten (it is large: keep it
 * on the heap). Values are copied (truncated to the writer's field sizes).
 * RCM_E_INVAL with diag naming the field when something the 837 needs is
 * missing or does not fit (more lines, diagnoses or other payers than the
 * guide allows); messages name fields and positions, never values.
 */
RCM_MUST_CHECK enum rcm_err rcm_claim_to_x12(const struct rcm_claim *c,
                                             struct rcm_x12_claim *out,
                                             struct rcm_diag *diag);

/* ---------------------------------------------- duplicate-claim fingerprint */

#define RCM_CLAIM_FINGERPRINT_BYTES 32

/*
 * SHA-256 over a canonical encoding of what makes two claims the same bill
 * for payers' duplicate-claim edits (CARC 18, "exact duplicate claim/
 * service"): the patient, the payer id, the claim's service dates and the
 * sorted multiset of lines (procedure, sorted modifiers, units, charge,
 * line from/to dates). Excluded on purpose: the claim id, frequency,
 * original reference, diagnoses, providers, totals and line order — so the
 * same services billed again under a new claim id collide. A corrected
 * (frequency 7) or void (8) claim collides with its original too: the
 * caller recognises those by their frequency and REF*F8 and does not treat
 * them as duplicates. Codes are compared case-insensitively (trimmed).
 * The store keeps it as hex (rcm_hex_encode, column claim.fingerprint) and
 * looks up open claims of the tenant with the same value before a claim
 * becomes ready. The encoding is versioned (v1 in claim_dup.c): changing
 * it means recomputing stored fingerprints.
 *   RCM_E_INVAL   claim with no lines or a line without a procedure or
 *                 revenue code; more lines than RCM_CLAIM_MAX_LINES.
 *   RCM_E_NOMEM / RCM_E_CRYPTO from the hash.
 */
RCM_MUST_CHECK enum rcm_err rcm_claim_fingerprint(const struct rcm_claim *c,
                                                  int64_t patient_id,
                                                  uint8_t out[RCM_CLAIM_FINGERPRINT_BYTES]);

#endif
