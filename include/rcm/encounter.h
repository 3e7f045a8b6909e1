/*
 * rcm/encounter.h — an encounter: one visit of a patient, what was done
 * (service lines: CPT/HCPCS with modifiers, units, charge, diagnosis
 * pointers) and why (ICD-10-CM diagnoses), by whom and under which
 * coverage. Charge capture creates one in a call; a claim is built from
 * it (store_claim.c).
 *
 * Codes, amounts, provider and coverage ids and service dates are plain
 * columns (docs/security.md, "Plain columns"); the prior authorization
 * number and the note are sealed under the patient's key. An encounter
 * holds PHI: wipe it (rcm_crypto_wipe) when done.
 */
#ifndef RCM_ENCOUNTER_H
#define RCM_ENCOUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "rcm/claim.h"
#include "rcm/err.h"
#include "rcm/patient.h"

#define RCM_ENCOUNTER_MAX_DX 25      /* 837I: principal + 24 (837P: 12) */
#define RCM_ENCOUNTER_MAX_LINES 99   /* 837P allows 50 per claim */
#define RCM_ENCOUNTER_NO_CHARGE (-1) /* on create: take the fee schedule's */

struct rcm_encounter_line {
    int64_t id;
    int line_no;                     /* 1-based, the order given */
    char procedure[6];               /* CPT or HCPCS */
    char modifiers[RCM_CLAIM_MAX_MODIFIERS][3];
    int n_modifiers;
    char revenue_code[5];            /* institutional */
    int64_t units_milli;             /* 1 unit = 1000 */
    int64_t charge_cents;
    uint8_t dx_pointers[RCM_CLAIM_MAX_POINTERS];  /* 1-based into dx */
    int n_dx_pointers;
    char place_of_service[3];        /* "" = the encounter's */
    int32_t service_date;            /* RCM_CLAIM_NO_DATE = service_from */
    int64_t rendering_provider_id;   /* 0 = the encounter's */
    /* the patient paid in full and asked that the plan not be told
     * (HIPAA §164.522(a)(1)(vi)): never on a claim to the plan */
    bool self_pay_restricted;
};

struct rcm_encounter {
    int64_t id, tenant_id, patient_id;
    int64_t created_ms, updated_ms;
    char status[8];                  /* open, billed, void */
    enum rcm_claim_kind kind;
    int64_t coverage_id;             /* 0 = self-pay */
    int64_t billing_provider_id;
    int64_t rendering_provider_id, referring_provider_id, facility_id;  /* 0 = none */
    int32_t service_from, service_to;    /* days since 1970 */
    char place_of_service[3];        /* professional (CLM05-1) */
    char type_of_bill[5];            /* institutional (CLM05 1+2, 3 digits) */
    char admission_type[2], admission_source[2], patient_status[3];
    int n_dx;
    char dx[RCM_ENCOUNTER_MAX_DX][8];    /* ICD-10-CM without the dot; [0] principal */
    char poa[RCM_ENCOUNTER_MAX_DX];      /* present on admission, 0 = none */
    /* sealed; shown only with phi.read */
    char prior_authorization[51];
    char note[RCM_PATIENT_VALUE_MAX + 1];
    int n_lines;
    struct rcm_encounter_line lines[RCM_ENCOUNTER_MAX_LINES];
};

/*
 * Check an encounter's own values (shapes of codes, pointers within the
 * diagnoses, units, dates, kind-specific fields): RCM_E_INVAL naming the
 * field and line, never a value. Whether a code exists in its code set is
 * the scrubber's finding, not a capture error. References to providers,
 * coverages and fee schedules are checked by the store.
 */
RCM_MUST_CHECK enum rcm_err rcm_encounter_check(const struct rcm_encounter *e,
                                                struct rcm_diag *diag);

#endif
