/*
 * rcm/claim.h — one claim as the scrubber (and later submission) sees it:
 * the content of an 837P/837I claim, independent of how it arrived (837
 * file, JSON, the RCM layer's database).
 *
 * All strings are NUL-terminated and borrowed (usually from the arena of the
 * decoder that filled the struct); NULL means "absent". Dates are days since
 * 1970 (rcm/date.h), RCM_CLAIM_NO_DATE when absent. Money is int64 cents.
 * Units are thousandths (SV104/SV205 allow decimals): 1 unit = 1000.
 *
 * A claim carries PHI; nothing derived from a claim may be logged except ids,
 * positions and codes.
 */
#ifndef RCM_CLAIM_H
#define RCM_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcm/err.h"

#define RCM_CLAIM_NO_DATE INT32_MIN
#define RCM_CLAIM_MAX_DX 25          /* 837I: principal + 24 other (837P: 12) */
#define RCM_CLAIM_MAX_LINES 999      /* 837I limit (837P: 50) */
#define RCM_CLAIM_MAX_MODIFIERS 4
#define RCM_CLAIM_MAX_POINTERS 4
#define RCM_CLAIM_MAX_OTHER_PAYERS 10  /* 2320 repeats (837P/837I limit) */
#define RCM_CLAIM_MAX_ADJ 18           /* CAS: 6 reasons x 3 groups kept */

enum rcm_claim_kind {
    RCM_CLAIM_PROFESSIONAL = 0,  /* 837P / CMS-1500 */
    RCM_CLAIM_INSTITUTIONAL,     /* 837I / UB-04 */
};

struct rcm_claim_address {
    const char *line1, *line2, *city, *state, *zip;   /* N3/N4 */
};

/* Billing (2010AA), rendering (2310B), referring (2310A/2420F), service
 * facility (2310C) providers. `present` false = loop absent. */
struct rcm_claim_provider {
    bool present;
    bool organization;          /* NM102 = 2 */
    const char *last_or_org;    /* NM103 */
    const char *first;          /* NM104 */
    const char *npi;            /* NM109 (XX) */
    const char *taxonomy;       /* PRV03 */
    const char *tin;            /* REF*EI / REF*SY (billing) */
    char tin_kind;              /* 'E' EIN, 'S' SSN, 0 unknown */
    struct rcm_claim_address addr;
};

/* Subscriber (2010BA) or patient (2010CA). */
struct rcm_claim_person {
    bool present;
    const char *last, *first;
    const char *member_id;      /* NM109 (MI) — subscriber only */
    int32_t birth_date;         /* DMG02 */
    char sex;                   /* DMG03: 'F', 'M', 'U', 0 absent */
    struct rcm_claim_address addr;
};

struct rcm_claim_dx {
    const char *code;           /* ICD-10-CM, with or without the dot */
    char poa;                   /* 837I present-on-admission: Y N U W 1, 0 absent */
};

struct rcm_claim_line {
    uint32_t number;            /* LX01 (1-based) */
    const char *procedure;      /* SV101-2 / SV202-2 (CPT or HCPCS) */
    const char *modifiers[RCM_CLAIM_MAX_MODIFIERS];
    uint8_t n_modifiers;
    const char *revenue_code;   /* SV201 (837I) */
    int64_t charge_cents;       /* SV102 / SV203 */
    int64_t units_milli;        /* SV104 / SV205 in thousandths */
    const char *pos;            /* SV105 (overrides the claim's CLM05-1) */
    int32_t from_date, to_date; /* DTP*472 */
    uint8_t dx_pointers[RCM_CLAIM_MAX_POINTERS];  /* SV107, 1-based */
    uint8_t n_dx_pointers;
    bool self_pay_restricted;   /* patient paid in full and asked that this
                                   service not be disclosed to the plan */
    const char *rendering_npi;  /* 2420A override */
    const char *control;        /* REF*6R line item control number the store
                                   gives each line ("L<claim line id>"); the
                                   835 echoes it in its 2110 REF*6R */
};

struct rcm_claim_payer {
    const char *id;             /* NM109 of 2010BB */
    const char *name;
    const char *filing_indicator; /* SBR09: MB Medicare B, MA, MC Medicaid, CI … */
    char sequence;              /* SBR01: P S T … */
    const char *insurance_type; /* SBR05 (Medicare secondary payer type) */
    bool self_pay;              /* the "payer" is the patient: no plan disclosure */
};

/* One adjustment of an earlier payer's adjudication (CAS group + CARC). */
struct rcm_claim_adj {
    const char *group;          /* CAS01: CO, PR, OA, PI, CR */
    const char *carc;           /* claim adjustment reason code */
    int64_t amount_cents;
};

/* An earlier payer's adjudication of one service line (2430). */
struct rcm_claim_line_adjudication {
    uint32_t line_number;       /* the rcm_claim_line.number it answers */
    int64_t paid_cents;         /* SVD02 */
    struct rcm_claim_adj adj[RCM_CLAIM_MAX_ADJ];
    size_t n_adj;
};

/*
 * Another payer on a secondary/tertiary claim (2320 with 2330A/2330B and
 * the 2430 line adjudications). `payer` is the other payer itself (its
 * sequence is the other payer's SBR01, e.g. 'P' for the primary that paid
 * first); `subscriber` the other plan's subscriber (NM1*IL).
 */
struct rcm_claim_other_payer {
    struct rcm_claim_payer payer;
    const char *relationship;   /* 2320 SBR02 (patient to other subscriber) */
    struct rcm_claim_person subscriber;
    int64_t paid_cents;         /* AMT*D: what this payer paid */
    bool has_paid;
    int64_t patient_resp_cents; /* AMT*EAF: patient liability remaining */
    bool has_patient_resp;
    int32_t adjudication_date;  /* 2330B / 2430 DTP*573; 0 or
                                   RCM_CLAIM_NO_DATE when absent */
    struct rcm_claim_adj adj[RCM_CLAIM_MAX_ADJ];  /* claim-level CAS */
    size_t n_adj;
    const struct rcm_claim_line_adjudication *lines; /* borrowed; may be NULL */
    size_t n_lines;
};

struct rcm_claim {
    enum rcm_claim_kind kind;
    const char *id;             /* CLM01 patient control number */
    int64_t total_charge_cents; /* CLM02 */
    const char *facility_code;  /* CLM05-1: POS (837P) or type of bill prefix (837I) */
    char frequency;             /* CLM05-3: '1' original, '7' replacement, '8' void … */
    const char *original_ref;   /* REF*F8 payer claim control number */
    const char *relationship;   /* SBR02 / PAT01 individual relationship code */
    int32_t statement_from, statement_to;  /* 837I DTP*434 */
    const char *admission_type;   /* 837I CL101 */
    const char *admission_source; /* 837I CL102 */
    const char *patient_status;   /* 837I CL103 (required to write an 837I) */
    int32_t received_date;      /* when the claim will be sent; timely filing
                                   uses the scrub date when absent */
    bool self_pay_restricted;   /* whole claim restricted (see the line flag) */
    struct rcm_claim_payer payer;
    struct rcm_claim_person subscriber, patient;
    struct rcm_claim_provider billing, rendering, referring, facility;
    struct rcm_claim_dx dx[RCM_CLAIM_MAX_DX];  /* dx[0] principal */
    size_t n_dx;
    struct rcm_claim_line *lines;
    size_t n_lines;
    /* secondary/tertiary: payers that adjudicated before this one (borrowed;
       NULL/0 on a claim to the first payer) */
    const struct rcm_claim_other_payer *other_payers;
    size_t n_other_payers;
};

/* Zero the claim and mark every date absent. */
void rcm_claim_init(struct rcm_claim *claim);

#endif
