/*
 * rcm/billing.h — claims as the store keeps them, their history of moves,
 * and the 837 batches they go out in. The state machine is rcm/cycle.h;
 * the store (store_claim.c) builds a claim from an encounter, scrubs it,
 * moves it and batches it. A claim row holds no patient identifier: codes,
 * amounts, ids, dates and states only (docs/security.md, "Plain columns").
 */
#ifndef RCM_BILLING_H
#define RCM_BILLING_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/claim.h"
#include "rcm/encounter.h"

#define RCM_CLAIM_FINDINGS_MAX 16384     /* the findings JSON kept with a claim */

struct rcm_claim_line_row {
    int64_t id;
    int line_no;
    int64_t service_line_id;
    char procedure[6];
    char modifiers[RCM_CLAIM_MAX_MODIFIERS][3];
    int n_modifiers;
    char revenue_code[5];
    int64_t units_milli, charge_cents;
    uint8_t dx_pointers[RCM_CLAIM_MAX_POINTERS];
    int n_dx_pointers;
    char place_of_service[3];
    int32_t service_date;
    int64_t paid_cents, adjustment_cents, patient_resp_cents;
    int64_t allowed_cents;               /* -1: not known */
};

struct rcm_claim_row {
    int64_t id, tenant_id, patient_id, encounter_id;
    int64_t created_ms, updated_ms;
    char control_number[24];             /* CLM01 */
    char state[16];                      /* rcm_claim_state_name() */
    enum rcm_claim_kind kind;
    char frequency;                      /* '1', '7', '8' */
    char sequence[10];                   /* primary, secondary, tertiary */
    int64_t payer_ref;                   /* the payer record */
    char payer_id[81];
    int64_t coverage_id, billing_provider_id, rendering_provider_id;
    int64_t original_claim_id;           /* 0: none */
    char payer_claim_number[51];         /* "" until an 835 names it */
    int32_t service_from, service_to;
    int64_t charge_cents, paid_cents, adjustment_cents, patient_resp_cents;
    char fingerprint[65];
    int scrub_errors, scrub_warnings;
    int64_t batch_id;                    /* 0: not batched */
    int32_t first_submitted_day, submitted_day, adjudicated_day;  /* RCM_CLAIM_NO_DATE */
    char findings[RCM_CLAIM_FINDINGS_MAX];   /* JSON; only filled by get */
    int n_lines;
    struct rcm_claim_line_row lines[RCM_ENCOUNTER_MAX_LINES];
};

/* One move of a claim (claim_event). */
struct rcm_claim_event {
    int64_t id;
    int64_t at_ms;
    int64_t user_id;                     /* 0: the system (a 999, 277CA, 835) */
    char from_state[16], to_state[16];   /* from "" for the first */
    char source[16];
    char reason[RCM_PATIENT_VALUE_MAX + 1];  /* opened; "" when none */
};

/* An 837 interchange of claims for one trading partner. */
struct rcm_batch {
    int64_t id;
    int64_t created_ms;
    int64_t user_id;
    char partner[16];                    /* ISA08 */
    char kind[5];                        /* 837P, 837I */
    int64_t isa13, gs06;
    char file_name[64];
    int n_claims;
    int64_t charge_cents;
    char ack_state[24];                  /* written, accepted, partially_accepted, rejected */
};

/* Who sends: the interchange sender and the default trading partner. */
struct rcm_x12_sender {
    const char *sender_qualifier;        /* ISA05, e.g. "ZZ" */
    const char *sender_id;               /* ISA06 / GS02 / 1000A NM109 */
    const char *submitter_name;          /* 1000A NM103 */
    const char *default_partner;         /* ISA08 when a payer names no receiver */
    char usage;                          /* ISA15: 'T' test, 'P' production */
};

/* What the server and the CLI load once to build and send claims. */
struct rcm_scrub_ref;
struct rcm_billing_env {
    const struct rcm_scrub_ref *scrub;   /* code sets, NCCI, shipped payer rules */
    struct rcm_x12_sender sender;
    const char *outbox_dir;              /* where 837 batches are written */
};

#endif
